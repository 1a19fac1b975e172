//! Hostile input through the command line: programs built to crash the
//! renderer, to make did-you-mean or rendering quadratic, or to flood the
//! output. Every run has a timeout; exits are 0, 1 or 2, never a panic (101)
//! or a signal; time and memory are compared between an input and one four
//! times larger, so the bounds hold on a loaded machine and still fail on
//! quadratic behaviour.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    secs: f64,
    /// Peak resident set in KiB, where `/usr/bin/time` can measure it.
    peak_kib: Option<u64>,
}

const TIME: &str = "/usr/bin/time";

/// Run accessc with `args`, killing it after `limit`.
fn accessc(args: &[&str], limit: Duration) -> Run {
    let dir = tempfile::tempdir().expect("tmp");
    let rss = dir.path().join("rss");
    let measure = Path::new(TIME).exists();
    let mut cmd = if measure {
        let mut c = Command::new(TIME);
        c.arg("-f").arg("%M").arg("-o").arg(&rss);
        c.arg(env!("CARGO_BIN_EXE_accessc"));
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_accessc"))
    };
    cmd.args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().expect("run accessc");
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("accessc {args:?} ran over {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let secs = start.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&reader.join().expect("stdout")).into_owned();
    let mut stderr = String::from_utf8_lossy(&err_reader.join().expect("stderr")).into_owned();
    let peak_kib = std::fs::read_to_string(&rss)
        .ok()
        .and_then(|s| s.lines().last().and_then(|l| l.trim().parse().ok()));
    // `/usr/bin/time` reports a signal in its own words; the exit code is
    // the child's.
    if measure {
        if let Ok(s) = std::fs::read_to_string(&rss) {
            stderr.push_str(&s);
        }
    }
    let run = Run {
        code: status.code(),
        stdout,
        stderr,
        secs,
        peak_kib,
    };
    assert!(
        matches!(run.code, Some(0..=2)),
        "accessc {args:?} exited {:?} (a panic is 101, a signal none):\n{}",
        run.code,
        &run.stderr[..run.stderr.len().min(4000)]
    );
    assert!(
        !run.stderr.contains("Command terminated by signal"),
        "{}",
        run.stderr
    );
    run
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf8")
}

const MINUTE: Duration = Duration::from_secs(60);

#[test]
fn a_diagnostic_past_column_70000_and_200000_renders_in_check_and_fmt() {
    let dir = tempfile::tempdir().expect("tmp");
    for width in [70_000usize, 200_000] {
        let text = format!("group {} x\n", "a".repeat(width));
        let p = write(dir.path(), &format!("wide{width}.access"), &text);
        let column = width + 8;
        for cmd in ["check", "fmt"] {
            let run = accessc(&[cmd, s(&p)], MINUTE);
            assert_eq!(run.code, Some(1), "{cmd}: {}", run.stderr);
            // The header points at the real column, and the excerpt is a
            // window of the line, not the line.
            assert!(
                run.stdout.contains(&format!(":1:{column}]")),
                "{cmd}: {}",
                &run.stdout[..run.stdout.len().min(2000)]
            );
            assert!(run.stdout.contains("…"), "{cmd}: no clipping marker");
            assert!(run.stdout.contains("here"), "{cmd}: no label");
            assert!(
                run.stdout.len() < 4_000,
                "{cmd}: {} bytes of output for one diagnostic",
                run.stdout.len()
            );
        }
    }
}

#[test]
fn very_long_unknown_names_are_not_fuzzy_matched_for_seconds() {
    let dir = tempfile::tempdir().expect("tmp");
    let head = "org {\n  management \"999999999999\"\n  ou Workloads \"ou-ab12-11111111\" { account app-dev \"111111111111\" }\n  account management \"999999999999\"\n}\ngroup devs\n";
    let shapes = [
        "function Dev { session 2h\n managed NAME\n boundary PowerUserAccess }\ngrant Dev to devs on Workloads\n",
        "policy P { allow s3:NAME on * }\nfunction Dev { session 2h\n inline P\n boundary PowerUserAccess }\ngrant Dev to devs on Workloads\n",
        "policy P { allow NAME:Get on * }\nfunction Dev { session 2h\n inline P\n boundary PowerUserAccess }\ngrant Dev to devs on Workloads\n",
        "function Dev { session 2h\n boundary PowerUserAccess }\ngrant NAME to devs on Workloads\n",
        "function Dev { session 2h\n boundary PowerUserAccess }\ngrant Dev to NAME on Workloads\n",
    ];
    for len in [20_000usize, 100_000] {
        let name = "Q".repeat(len);
        for (i, shape) in shapes.iter().enumerate() {
            let p = write(
                dir.path(),
                &format!("n{len}-{i}.access"),
                &format!("{head}{}", shape.replace("NAME", &name)),
            );
            let run = accessc(&["check", s(&p), "--today", "2026-11-28"], MINUTE);
            assert_eq!(run.code, Some(1), "{}", run.stderr);
            assert!(
                run.secs < 2.0,
                "shape {i}: a {len}-character name took {:.1} s",
                run.secs
            );
            assert!(run.stdout.len() < 4 * len + 20_000);
        }
    }
}

/// `n` groups, each never used: one A505 warning per line.
fn groups(n: usize) -> String {
    (0..n).map(|i| format!("group g{i}\n")).collect()
}

#[test]
fn many_small_items_cost_linear_time_and_memory() {
    let dir = tempfile::tempdir().expect("tmp");
    let small = write(dir.path(), "small.access", &groups(5_000));
    let large = write(dir.path(), "large.access", &groups(20_000));
    for format in ["human", "json"] {
        let args = |p: &Path| -> Vec<String> {
            ["check", s(p), "--format", format, "--today", "2026-11-28"]
                .map(String::from)
                .to_vec()
        };
        let a = args(&small);
        let b = args(&large);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let b: Vec<&str> = b.iter().map(String::as_str).collect();
        let one = accessc(&a, 2 * MINUTE);
        let four = accessc(&b, 2 * MINUTE);
        assert!(
            four.secs < 8.0 * one.secs + 2.0,
            "{format}: 5,000 items {:.2} s, 20,000 items {:.2} s",
            one.secs,
            four.secs
        );
        if let (Some(m1), Some(m4)) = (one.peak_kib, four.peak_kib) {
            assert!(
                m4 < 4 * m1 + 64 * 1024,
                "{format}: 5,000 items {m1} KiB, 20,000 items {m4} KiB"
            );
        }
        if format == "human" {
            assert!(four.stdout.contains("… and 19980 more A505 warnings"));
            assert!(four.stdout.len() < 20_000, "{}", four.stdout.len());
        } else {
            let v: serde_json::Value = serde_json::from_str(&four.stdout).expect("json");
            assert_eq!(v.as_array().map(Vec::len), Some(20_000));
        }
    }
}

#[test]
fn a_three_megabyte_program_checks_in_bounded_time_and_memory() {
    let dir = tempfile::tempdir().expect("tmp");
    let text = groups(240_000);
    assert!(text.len() > 3_000_000);
    let p = write(dir.path(), "big.access", &text);
    let run = accessc(&["check", s(&p), "--today", "2026-11-28"], 4 * MINUTE);
    assert_eq!(run.code, Some(0));
    assert!(run.stdout.contains("0 errors, 240000 warnings"));
    assert!(run.stdout.len() < 20_000, "{} bytes", run.stdout.len());
    if let Some(kib) = run.peak_kib {
        assert!(kib < 700 * 1024, "{kib} KiB for a 3 MB program");
    }
}

#[test]
fn thousands_of_warnings_on_one_line_are_summarized_for_people_and_complete_in_json() {
    let dir = tempfile::tempdir().expect("tmp");
    let line = |n: usize| format!("policy P {{ {} }}\n", vec!["allow s3:* on *"; n].join(" "));
    let small = write(dir.path(), "w2000.access", &line(2_000));
    let large = write(dir.path(), "w8000.access", &line(8_000));
    let one = accessc(&["check", s(&small)], MINUTE);
    let four = accessc(&["check", s(&large)], MINUTE);
    assert_eq!(four.code, Some(0));
    assert!(
        four.stdout
            .contains("… and 7980 more A500 warnings (use `--format json` for all)"),
        "{}",
        &four.stdout[four.stdout.len().saturating_sub(2000)..]
    );
    assert!(four.stdout.contains("0 errors, 8001 warnings"));
    // 128 KB in: 20 windows of the line, not 8,000 copies of it.
    assert!(four.stdout.len() < 40_000, "{} bytes", four.stdout.len());
    assert!(
        four.secs < 8.0 * one.secs + 2.0,
        "2,000 warnings {:.2} s, 8,000 warnings {:.2} s",
        one.secs,
        four.secs
    );
    let json = accessc(&["check", s(&large), "--format", "json"], MINUTE);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(v.as_array().map(Vec::len), Some(8_001));
    let sarif = accessc(&["check", s(&large), "--format", "sarif"], MINUTE);
    let v: serde_json::Value = serde_json::from_str(&sarif.stdout).expect("sarif");
    assert_eq!(
        v["runs"][0]["results"].as_array().map(Vec::len),
        Some(8_001)
    );
}
