//! The code table (`accessc_core::code`) agrees with everything that states a
//! code's severity or title: the pages in `docs/codes/`, the table of
//! `docs/diagnostics.md`, the language contract, and what the checker emits.

use accessc_core::code::{Code, CODES};
use accessc_core::diagnostic::Severity;
use accessc_core::load::load_texts;
use accessc_core::{check, load, CheckOptions, RealFs, Today};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use Severity::{Error as E, Warning as W};

/// The codes and severities of the language contract, LANGUAGE.md section 4,
/// "Diagnostics" (its table `| code | sev | condition |`, E and W). The
/// contract is not part of the repository: this is a copy of its table.
const CONTRACT: &[(&str, Severity)] = &[
    ("A100", E),
    ("A101", E),
    ("A102", E),
    ("A103", E),
    ("A104", E),
    ("A200", E),
    ("A201", E),
    ("A202", E),
    ("A203", E),
    ("A204", E),
    ("A205", E),
    ("A206", E),
    ("A207", E),
    ("A208", E),
    ("A300", E),
    ("A301", E),
    ("A302", E),
    ("A303", E),
    ("A304", E),
    ("A305", E),
    ("A306", E),
    ("A400", E),
    ("A401", E),
    ("A402", E),
    ("A403", E),
    ("A404", W),
    ("A500", W),
    ("A501", W),
    ("A502", W),
    ("A503", W),
    ("A504", W),
    ("A505", W),
    ("A506", W),
    ("A507", W),
    ("A508", W),
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// A page states its code and title on its first line, `# A302: title`, and
/// its severity on a line of its own, `Severity: error` or `Severity: warning`.
#[test]
fn the_table_and_the_pages_agree() {
    let mut problems = Vec::new();
    let dir = root().join("docs/codes");
    for info in CODES {
        let path = dir.join(format!("{}.md", info.code));
        match std::fs::read_to_string(&path) {
            Ok(on_disk) if on_disk != info.page => {
                problems.push(format!("{}: the compiled-in page is stale", info.code));
            }
            Ok(_) => {}
            Err(e) => problems.push(format!("{}: {e}", path.display())),
        }
        let first = info.page.lines().next().unwrap_or("");
        let want = format!("# {}: {}", info.code, info.title);
        if first != want {
            problems.push(format!(
                "{}: page starts {first:?}, table says {want:?}",
                info.code
            ));
        }
        let stated: Vec<&str> = info
            .page
            .lines()
            .filter(|l| l.starts_with("Severity:"))
            .collect();
        let want = format!("Severity: {}", word(info.severity));
        if stated != [want.as_str()] {
            problems.push(format!(
                "{}: page says {stated:?}, table says {want:?}",
                info.code
            ));
        }
        if info.variants.is_empty() {
            problems.push(format!("{}: no problem is reported under it", info.code));
        }
        for c in info.variants {
            if c.as_str() != info.code || c.severity() != info.severity || c.page() != info.page {
                problems.push(format!("{}: {} does not read its row", info.code, c.name()));
            }
        }
    }
    let table: BTreeSet<&str> = CODES.iter().map(|i| i.code).collect();
    assert_eq!(table.len(), CODES.len(), "a public code has two rows");
    for e in std::fs::read_dir(&dir).expect("docs/codes") {
        let name = e.expect("entry").file_name().to_string_lossy().to_string();
        match name.strip_suffix(".md") {
            Some(code) if table.contains(code) => {}
            _ => problems.push(format!("docs/codes/{name}: no code of the table")),
        }
    }
    let variants: usize = CODES.iter().map(|i| i.variants.len()).sum();
    assert_eq!(variants, Code::ALL.len(), "a variant is outside its row");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// `docs/diagnostics.md` lists every code as `| [A100](codes/A100.md) | error | syntax error |`.
#[test]
fn the_diagnostics_guide_lists_the_table() {
    let text = std::fs::read_to_string(root().join("docs/diagnostics.md")).expect("guide");
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("| [A")).collect();
    let want: Vec<String> = CODES
        .iter()
        .map(|i| {
            format!(
                "| [{c}](codes/{c}.md) | {} | {} |",
                word(i.severity),
                i.title,
                c = i.code
            )
        })
        .collect();
    assert_eq!(rows, want);
}

#[test]
fn every_code_of_the_contract_is_in_the_table_with_its_severity() {
    let mut problems = Vec::new();
    for &(code, severity) in CONTRACT {
        match CODES.iter().find(|i| i.code == code) {
            None => problems.push(format!("{code}: not in the table")),
            Some(i) if i.severity != severity => problems.push(format!(
                "{code}: the contract says {}, the table {}",
                word(severity),
                word(i.severity)
            )),
            Some(_) => {}
        }
    }
    // Every code the contract defines, in its order; new codes may follow.
    let table: Vec<&str> = CODES.iter().map(|i| i.code).collect();
    let contract: Vec<&str> = CONTRACT.iter().map(|(c, _)| *c).collect();
    let in_order: Vec<&str> = table
        .iter()
        .copied()
        .filter(|c| contract.contains(c))
        .collect();
    if in_order != contract {
        problems.push(format!("the table's order is {table:?}"));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every corpus program and example, every page's example and fix, and the
/// program of [`not_utf8_program`].
fn programs() -> Vec<(String, accessc_core::Program)> {
    let mut paths = Vec::new();
    for dir in ["crates/accessc-core/tests/corpus", "examples"] {
        for e in std::fs::read_dir(root().join(dir)).expect(dir) {
            let p = e.expect("entry").path();
            if p.is_dir() || p.extension().is_some_and(|x| x == "access") {
                let name = p.file_name().unwrap_or_default().to_string_lossy();
                paths.push((format!("{dir}/{name}"), p));
            }
        }
    }
    paths.sort();
    let mut out: Vec<(String, accessc_core::Program)> = paths
        .into_iter()
        .map(|(name, p)| {
            let prog = load(&RealFs, &p).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, prog)
        })
        .collect();
    for info in CODES {
        let info = *info;
        for (what, text) in [("example", info.example()), ("fix", info.fix())] {
            if let Some(text) = text {
                let prog = load_texts(
                    &RealFs,
                    Path::new("."),
                    vec![("example.access".into(), text.to_string())],
                );
                out.push((format!("{} {what}", info.code), prog));
            }
        }
    }
    out.push(("a file that is not UTF-8".into(), not_utf8_program()));
    out
}

/// A program whose one file was saved as Latin-1: its comment has `ë` as the
/// single byte 0xEB. It is not a corpus program, because the language
/// server's suites open every corpus file as text, and a document sent as
/// text is valid UTF-8 by then: the server could not report what `accessc
/// check` reports. So the file is written to a temporary directory.
const NOT_UTF8: &[u8] = b"// Owner: Zo\xEB Martin, platform team
org {
  root \"r-ab12\"
  management \"999999999999\"
  ou Workloads \"ou-ab12-11111111\" { account app-a-dev \"111111111111\" }
  account management \"999999999999\"
}

/// Application developers
function AppDeveloper {
  session 4h
  managed ReadOnlyAccess
  boundary PowerUserAccess
}

group aws-team-a-engineers

grant AppDeveloper to aws-team-a-engineers on Workloads
";

fn not_utf8_program() -> accessc_core::Program {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("main.access"), NOT_UTF8).expect("write");
    load(&RealFs, dir.path()).expect("load")
}

#[test]
fn a_file_that_is_not_utf8_is_reported_at_its_first_bad_byte() {
    let prog = not_utf8_program();
    let today = Today::parse("2026-11-28").expect("date");
    let diags = check(&prog, &CheckOptions { today }).diagnostics;
    let got: Vec<(Code, &str, u32, u32)> = diags
        .iter()
        .map(|d| (d.code, d.message.as_str(), d.span.start, d.span.end))
        .collect();
    let at = NOT_UTF8.iter().position(|&b| b == 0xEB).expect("the byte") as u32;
    assert_eq!(
        got,
        [(
            Code::NotUtf8,
            "file is not valid UTF-8 (byte 0xeb)",
            at,
            at + 1
        )]
    );
}

#[test]
fn the_checker_emits_each_code_with_its_severity() {
    let today = Today::parse("2026-11-28").expect("date");
    let mut problems = Vec::new();
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let mut n = 0;
    for (name, prog) in programs() {
        for d in check(&prog, &CheckOptions { today }).diagnostics {
            n += 1;
            seen.insert(d.code.as_str());
            if d.severity != d.code.severity() {
                problems.push(format!(
                    "{name}: {} ({}) is reported as {}: {}",
                    d.code,
                    d.code.name(),
                    word(d.severity),
                    d.message
                ));
            }
        }
    }
    assert!(n > 200, "only {n} diagnostics");
    // Both severities are exercised: every public code is emitted somewhere.
    let all: BTreeSet<&str> = CODES.iter().map(|i| i.code).collect();
    assert_eq!(seen, all, "codes never emitted");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every problem of the table is reported by some program of the corpus, the
/// examples or the pages, so each variant's message is under test.
#[test]
fn every_problem_is_reported_by_some_program() {
    let today = Today::parse("2026-11-28").expect("date");
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    for (_, prog) in programs() {
        for d in check(&prog, &CheckOptions { today }).diagnostics {
            seen.insert(d.code.name());
        }
    }
    let missing: Vec<&str> = Code::ALL
        .iter()
        .map(|c| c.name())
        .filter(|n| !seen.contains(n))
        .collect();
    assert!(missing.is_empty(), "never reported: {missing:?}");
}
