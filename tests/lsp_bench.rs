//! The language server's latency on the large synthetic organization
//! (`accessc-gen-org` with its defaults: 2,000 accounts, ~1 MB of source over
//! 5 files), measured from the client's side of the protocol:
//!
//! - first diagnostics after opening `grants.access` (the whole directory
//!   program loaded, parsed and checked);
//! - diagnostics after a one-line edit (of `grants.access`, 520 KB, and of
//!   `functions.access`), each edit introducing or removing an error;
//! - completion answered (after `on `, `grant `, `to `, `s3:`, `principal.tag.`).
//!
//! Ignored by `cargo test`; `bench/lsp.sh` builds release binaries and runs it:
//! `cargo test --release --test lsp_bench -- --ignored --nocapture`.
//! `ACCESSC_BENCH_ORG` names an already generated organization.

mod lsp_client;

use lsp_client::{uri, Client};
use serde_json::{json, Value};
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn generate(dir: &Path) {
    let argv = [
        std::ffi::OsString::from("accessc-gen-org"),
        "-o".into(),
        dir.into(),
    ];
    if let Err(e) = accessc_bench::generate_from(argv) {
        panic!("accessc-gen-org: {e}");
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

struct Stats {
    samples: Vec<f64>,
}

impl Stats {
    fn new(mut samples: Vec<f64>) -> Stats {
        samples.sort_by(f64::total_cmp);
        Stats { samples }
    }
    fn best(&self) -> f64 {
        self.samples[0]
    }
    fn median(&self) -> f64 {
        self.samples[self.samples.len() / 2]
    }
    fn p90(&self) -> f64 {
        self.samples[(self.samples.len() * 9 / 10).min(self.samples.len() - 1)]
    }
    fn worst(&self) -> f64 {
        self.samples[self.samples.len() - 1]
    }
}

/// The position after the `needle` on line `line` of `text`.
fn after(text: &str, line: usize, needle: &str) -> Value {
    let l = text.lines().nth(line).unwrap_or("");
    let col = l.find(needle).map_or(l.len(), |i| i + needle.len());
    json!({"line": line, "character": col})
}

#[test]
#[ignore]
fn language_server_latency_on_the_large_organization() {
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(20);
    let tmp = tempfile::tempdir().expect("tmp");
    let org = match std::env::var_os("ACCESSC_BENCH_ORG") {
        Some(p) => PathBuf::from(p),
        None => {
            let d = tmp.path().join("large");
            generate(&d);
            d
        }
    };
    let cache = tmp.path().join("cache");
    std::fs::create_dir_all(&cache).expect("mkdir");
    let grants_path = org.join("grants.access");
    let functions_path = org.join("functions.access");
    let grants_text = std::fs::read_to_string(&grants_path).expect("grants");
    let functions_text = std::fs::read_to_string(&functions_path).expect("functions");
    let bytes: u64 = std::fs::read_dir(&org)
        .expect("dir")
        .map(|e| e.expect("entry").metadata().map(|m| m.len()).unwrap_or(0))
        .sum();
    let (grants, functions) = (uri(&grants_path), uri(&functions_path));

    // 1. Open: the whole program is loaded and checked.
    let mut opens = Vec::new();
    for _ in 0..runs.min(5) {
        let mut c = Client::start(&cache, json!({"today": lsp_client::TODAY}));
        let t = Instant::now();
        c.open(&grants, &grants_text);
        let d = c.diagnostics(&grants);
        opens.push(ms(t.elapsed()));
        assert!(
            d.is_empty(),
            "the generated organization has diagnostics: {d:?}"
        );
        assert!(c.shutdown().success());
    }

    let mut c = Client::start(&cache, json!({"today": lsp_client::TODAY}));
    c.open(&grants, &grants_text);
    c.diagnostics(&grants);
    c.open(&functions, &functions_text);
    c.diagnostics(&functions);

    // 2. One-line edits: a target becomes an unknown OU, then is fixed again.
    let line = grants_text
        .lines()
        .position(|l| l.contains(" on Workloads/"))
        .expect("a grant on Workloads/…");
    let col = grants_text
        .lines()
        .nth(line)
        .and_then(|l| l.find(" on Workloads/"))
        .expect("col")
        + 4;
    let mut grant_edits = Vec::new();
    for i in 0..runs * 2 {
        let broken = i % 2 == 0;
        let (from, to) = if broken {
            ("Workloads", "Workloadz")
        } else {
            ("Workloadz", "Workloads")
        };
        let _ = from;
        let t = Instant::now();
        c.edit(
            &grants,
            [line as u32, col as u32, line as u32, (col + 9) as u32],
            to,
        );
        let d = c.diagnostics(&grants);
        grant_edits.push(ms(t.elapsed()));
        assert_eq!(d.iter().any(|x| x["code"] == "A102"), broken, "{d:?}");
    }
    // The same in functions.access: a session of 13h is A202.
    let fline = functions_text
        .lines()
        .position(|l| l.trim_start().starts_with("session 2h"))
        .expect("a 2h session");
    let fcol = functions_text
        .lines()
        .nth(fline)
        .and_then(|l| l.find("2h"))
        .expect("col");
    let mut function_edits = Vec::new();
    for i in 0..runs * 2 {
        let broken = i % 2 == 0;
        let (old_len, to) = if broken { (2, "13h") } else { (3, "2h") };
        let t = Instant::now();
        c.edit(
            &functions,
            [
                fline as u32,
                fcol as u32,
                fline as u32,
                (fcol + old_len) as u32,
            ],
            to,
        );
        let d = c.diagnostics(&functions);
        function_edits.push(ms(t.elapsed()));
        assert_eq!(d.iter().any(|x| x["code"] == "A202"), broken, "{d:?}");
    }

    // 3. Completion, on a line typed at the end of grants.access.
    let base_lines = grants_text.lines().count();
    let cases = [
        ("grant Fn00", "grant Fn00"),
        ("grant Fn0001NetworkOps to g-01", "to g-01"),
        (
            "grant Fn0001NetworkOps to g-0001-platform-admins on ",
            "on ",
        ),
        (
            "grant Fn0001NetworkOps to g-0001-platform-admins on Workloads/",
            "on Workloads/",
        ),
    ];
    let mut completions = Vec::new();
    let mut sizes = Vec::new();
    let mut text = grants_text.clone();
    for (typed, needle) in cases {
        text = format!("{grants_text}{typed}");
        c.replace(&grants, &text);
        c.diagnostics(&grants);
        for _ in 0..runs {
            let p = after(&text, base_lines, needle);
            let t = Instant::now();
            let r = c.request(
                "textDocument/completion",
                json!({"textDocument": {"uri": grants}, "position": p}),
            );
            completions.push(ms(t.elapsed()));
            sizes.push(r["result"]["items"].as_array().map_or(0, Vec::len));
        }
    }
    // Completion inside a function: actions and attribute keys.
    let fcases = [
        ("  allow s3:Get", "s3:Get"),
        (
            "  allow s3:GetObject on * when principal.tag.",
            "principal.tag.",
        ),
    ];
    for (typed, needle) in fcases {
        let ftext = format!("function Bench {{\n{typed}");
        let text = format!("{functions_text}{ftext}");
        c.replace(&functions, &text);
        c.diagnostics(&functions);
        let line = functions_text.lines().count() + 1;
        for _ in 0..runs {
            let p = after(&text, line, needle);
            let t = Instant::now();
            let r = c.request(
                "textDocument/completion",
                json!({"textDocument": {"uri": functions}, "position": p}),
            );
            completions.push(ms(t.elapsed()));
            sizes.push(r["result"]["items"].as_array().map_or(0, Vec::len));
        }
    }
    let _ = text;
    assert!(sizes.iter().all(|&n| n > 0), "{sizes:?}");
    let stderr = c.stderr_text();
    assert!(c.shutdown().success());

    let (o, g, f, k) = (
        Stats::new(opens),
        Stats::new(grant_edits),
        Stats::new(function_edits),
        Stats::new(completions),
    );
    let mut md = String::new();
    let _ = writeln!(
        md,
        "input: {} ({:.2} MB in 5 files), {} runs per measure\n",
        org.display(),
        bytes as f64 / 1e6,
        runs
    );
    let _ = writeln!(
        md,
        "| measure | budget | best (ms) | median (ms) | p90 (ms) | worst (ms) |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|");
    for (name, budget, s) in [
        ("first diagnostics after open", "1,000 ms", &o),
        (
            "diagnostics after a one-line edit of grants.access (520 KB)",
            "100 ms",
            &g,
        ),
        (
            "diagnostics after a one-line edit of functions.access",
            "100 ms",
            &f,
        ),
        ("completion answered", "50 ms", &k),
    ] {
        let _ = writeln!(
            md,
            "| {name} | {budget} | {:.1} | {:.1} | {:.1} | {:.1} |",
            s.best(),
            s.median(),
            s.p90(),
            s.worst()
        );
    }
    println!("\n{md}");
    // With ACCESSC_LSP_LOG=1, the server's own account of the last analyses.
    for line in stderr
        .lines()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
    {
        println!("server: {line}");
    }
    let out = root().join("target/bench");
    let _ = std::fs::create_dir_all(&out);
    let _ = std::fs::write(out.join("lsp.md"), &md);
    // The budgets, on the median (the machine may be shared).
    assert!(o.median() < 1000.0, "{md}");
    assert!(g.median() < 100.0, "{md}");
    assert!(f.median() < 100.0, "{md}");
    assert!(k.median() < 50.0, "{md}");
}
