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
//! Two more cases measure the server's CPU time per one-character edit (read
//! from its `ACCESSC_LSP_LOG=1` log) against the targets of 20 ms in a
//! single-file program of ~350 KB and 50 ms at over 1,000,000 assignments.
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

/// The server CPU time (ms) of its last analysis, from the log line
/// `ACCESSC_LSP_LOG=1` makes it write to stderr before it publishes.
fn last_cpu(c: &Client) -> f64 {
    let log = std::fs::read_to_string(&c.stderr).unwrap_or_default();
    log.lines()
        .rev()
        .find_map(|l| {
            let rest = &l[l.find(", cpu ")? + 6..];
            rest[..rest.find(' ')?].parse().ok()
        })
        .unwrap_or_else(|| panic!("no analysis logged with its cpu time:\n{log}"))
}

/// Start the server with its log on.
fn start(cache: &Path) -> Client {
    Client::start_with(
        &lsp_client::binary(),
        cache,
        json!({"today": lsp_client::TODAY}),
        &[("ACCESSC_LSP_LOG", "1")],
    )
}

/// A one-character edit of a grant's target, `runs * 2` times: the first
/// `Workloads` of a grant line becomes `Workloadz` (an unknown OU, A102),
/// then `Workloads` again. Client wall time and server CPU time per edit.
fn grant_edits(c: &mut Client, uri: &str, text: &str, runs: usize) -> (Vec<f64>, Vec<f64>) {
    let line = text
        .lines()
        .position(|l| l.starts_with("grant ") && l.contains(" on Workloads/"))
        .expect("a grant on Workloads/…");
    let col = text
        .lines()
        .nth(line)
        .and_then(|l| l.find(" on Workloads/"))
        .expect("col")
        + 4
        + 8;
    let (mut wall, mut cpu) = (Vec::new(), Vec::new());
    for i in 0..runs * 2 {
        let broken = i % 2 == 0;
        let to = if broken { "z" } else { "s" };
        let t = Instant::now();
        c.edit(
            uri,
            [line as u32, col as u32, line as u32, (col + 1) as u32],
            to,
        );
        let d = c.diagnostics(uri);
        wall.push(ms(t.elapsed()));
        cpu.push(last_cpu(c));
        assert_eq!(d.iter().any(|x| x["code"] == "A102"), broken, "{d:?}");
    }
    (wall, cpu)
}

/// The same in a function: `session 2h` becomes `13h` (A202) and back.
fn function_edits(c: &mut Client, uri: &str, text: &str, runs: usize) -> (Vec<f64>, Vec<f64>) {
    let fline = text
        .lines()
        .position(|l| l.trim_start().starts_with("session 2h"))
        .expect("a 2h session");
    let fcol = text
        .lines()
        .nth(fline)
        .and_then(|l| l.find("2h"))
        .expect("col");
    let (mut wall, mut cpu) = (Vec::new(), Vec::new());
    for i in 0..runs * 2 {
        let broken = i % 2 == 0;
        let (old_len, to) = if broken { (1, "13") } else { (2, "2") };
        let t = Instant::now();
        c.edit(
            uri,
            [
                fline as u32,
                fcol as u32,
                fline as u32,
                (fcol + old_len) as u32,
            ],
            to,
        );
        let d = c.diagnostics(uri);
        wall.push(ms(t.elapsed()));
        cpu.push(last_cpu(c));
        assert_eq!(d.iter().any(|x| x["code"] == "A202"), broken, "{d:?}");
    }
    (wall, cpu)
}

fn runs() -> usize {
    std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(20)
}

/// Writes `md` to `target/bench/<name>.md` and prints it.
fn report(name: &str, md: &str) {
    println!("\n{md}");
    let out = root().join("target/bench");
    let _ = std::fs::create_dir_all(&out);
    let _ = std::fs::write(out.join(format!("{name}.md")), md);
}

/// Edits of one organization generated with `gen_args` (or found at
/// `$env_dir`): opens `file` and edits a grant's target in it, opens
/// `fn_file` (which may be the same) and edits a function's session;
/// returns the report and the statistics (grant edits wall, CPU; function
/// edits wall, CPU).
fn edit_bench(
    name: &str,
    gen_args: &[&str],
    env_dir: &str,
    file: &str,
    fn_file: &str,
) -> (String, [Stats; 4]) {
    let runs = runs();
    let tmp = tempfile::tempdir().expect("tmp");
    let org = match std::env::var_os(env_dir) {
        Some(p) => PathBuf::from(p),
        None => {
            let d = tmp.path().join(name);
            let mut argv: Vec<std::ffi::OsString> =
                vec!["accessc-gen-org".into(), "-o".into(), d.clone().into()];
            argv.extend(gen_args.iter().map(Into::into));
            match accessc_bench::generate_from(argv) {
                Ok(summary) => println!("{summary}"),
                Err(e) => panic!("accessc-gen-org: {e}"),
            }
            d
        }
    };
    let cache = tmp.path().join("cache");
    std::fs::create_dir_all(&cache).expect("mkdir");
    let path = org.join(file);
    let text = std::fs::read_to_string(&path).expect("program file");
    let u = uri(&path);
    let mut c = start(&cache);
    let t = Instant::now();
    c.open(&u, &text);
    let d = c.diagnostics(&u);
    let open = ms(t.elapsed());
    assert!(
        d.is_empty(),
        "the generated organization has diagnostics: {d:?}"
    );
    let open_cpu = last_cpu(&c);
    let (gw, gc) = grant_edits(&mut c, &u, &text, runs);
    let (fw, fc) = if fn_file == file {
        function_edits(&mut c, &u, &text, runs)
    } else {
        let fpath = org.join(fn_file);
        let ftext = std::fs::read_to_string(&fpath).expect("functions file");
        let fu = uri(&fpath);
        c.open(&fu, &ftext);
        c.diagnostics(&fu);
        function_edits(&mut c, &fu, &ftext, runs)
    };
    let log = std::fs::read_to_string(&c.stderr).unwrap_or_default();
    assert!(c.shutdown().success());
    let stats = [
        Stats::new(gw),
        Stats::new(gc),
        Stats::new(fw),
        Stats::new(fc),
    ];
    let mut md = String::new();
    let _ = writeln!(
        md,
        "input: {} (`{file}`, {:.0} KB), `accessc-gen-org {}`, {} edits of each kind\n",
        org.display(),
        text.len() as f64 / 1e3,
        gen_args.join(" "),
        runs * 2
    );
    let _ = writeln!(
        md,
        "first diagnostics after open: {open:.1} ms (server CPU {open_cpu:.1} ms)\n"
    );
    let _ = writeln!(
        md,
        "| measure | best (ms) | median (ms) | p90 (ms) | worst (ms) |\n|---|---|---|---|---|"
    );
    for (what, s) in [
        ("grant edit, server CPU", &stats[1]),
        ("grant edit, client wall", &stats[0]),
        ("function edit, server CPU", &stats[3]),
        ("function edit, client wall", &stats[2]),
    ] {
        let _ = writeln!(
            md,
            "| {what} | {:.1} | {:.1} | {:.1} | {:.1} |",
            s.best(),
            s.median(),
            s.p90(),
            s.worst()
        );
    }
    for line in log
        .lines()
        .rev()
        .take(2)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
    {
        let _ = writeln!(md, "\nserver: {line}");
    }
    report(name, &md);
    (md, stats)
}

/// The server CPU budget of an edit, overridable for a slower machine.
fn cpu_budget(var: &str, default: f64) -> f64 {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A one-character edit in a single-file program of ~350 KB.
#[test]
#[ignore]
fn language_server_edit_in_a_single_350_kb_file() {
    let (md, s) = edit_bench(
        "lsp-single-file",
        &[
            "--single-file",
            "--accounts",
            "1000",
            "--ous",
            "150",
            "--functions",
            "120",
            "--groups",
            "600",
            "--grants",
            "3000",
            "--users",
            "30",
        ],
        "ACCESSC_BENCH_SINGLE",
        "main.access",
        "main.access",
    );
    let budget = cpu_budget("ACCESSC_BENCH_SINGLE_CPU_MS", 20.0);
    assert!(s[1].median() < budget, "{md}");
    assert!(s[3].median() < budget, "{md}");
}

/// A one-character edit in an organization of over 1,000,000 assignments.
#[test]
#[ignore]
fn language_server_edit_at_a_million_assignments() {
    let (md, s) = edit_bench(
        "lsp-million",
        &[
            "--accounts",
            "4000",
            "--ous",
            "400",
            "--functions",
            "250",
            "--groups",
            "2000",
            "--grants",
            "11000",
        ],
        "ACCESSC_BENCH_MILLION",
        "grants.access",
        "functions.access",
    );
    let budget = cpu_budget("ACCESSC_BENCH_MILLION_CPU_MS", 50.0);
    assert!(s[1].median() < budget, "{md}");
    assert!(s[3].median() < budget, "{md}");
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

    let mut c = start(&cache);
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
    let mut grant_cpu = Vec::new();
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
        grant_cpu.push(last_cpu(&c));
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
    let mut function_cpu = Vec::new();
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
        function_cpu.push(last_cpu(&c));
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
    for (name, v) in [
        ("grants.access", grant_cpu),
        ("functions.access", function_cpu),
    ] {
        let s = Stats::new(v);
        let _ = writeln!(
            md,
            "| server CPU of a one-line edit of {name} | | {:.1} | {:.1} | {:.1} | {:.1} |",
            s.best(),
            s.median(),
            s.p90(),
            s.worst()
        );
    }
    println!("\n{md}");
    // The server's own account of the last analyses (ACCESSC_LSP_LOG=1).
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
