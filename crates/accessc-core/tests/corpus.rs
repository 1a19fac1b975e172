//! The data-driven corpus: every program under `tests/corpus/` (a `.access`
//! file, or a directory of them) names the codes it must produce in its first
//! line, `// expect: A101, A505` or `// expect: none`. The set of codes the
//! checker reports must be exactly that set. The rendered diagnostics of each
//! program are an insta snapshot (uncoloured, 100 columns).

use accessc_core::render::{render_human, HumanOptions};
use accessc_core::{check, load, CheckOptions, RealFs, Today};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub const TODAY: &str = "2026-11-28";

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// Every corpus program: `.access` files and directories directly in the corpus.
fn programs() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("corpus dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir() || p.extension().is_some_and(|e| e == "access"))
        .collect();
    v.sort();
    v
}

/// The `// expect:` header of a program (of its `main.access` for a directory).
fn expected(path: &Path) -> BTreeSet<String> {
    let file = if path.is_dir() {
        path.join("main.access")
    } else {
        path.to_path_buf()
    };
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let first = text.lines().next().unwrap_or("");
    let spec = first
        .strip_prefix("// expect:")
        .unwrap_or_else(|| panic!("{}: first line must be `// expect: …`", file.display()))
        .trim();
    if spec == "none" {
        return BTreeSet::new();
    }
    spec.split(',').map(|c| c.trim().to_string()).collect()
}

fn today() -> Today {
    Today::parse(TODAY).expect("date")
}

#[test]
fn corpus_codes_match_headers() {
    let mut failures = Vec::new();
    let programs = programs();
    assert!(programs.len() > 60, "the corpus is unexpectedly small");
    for p in &programs {
        let prog = load(&RealFs, p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let checked = check(&prog, &CheckOptions { today: today() });
        let got: BTreeSet<String> = checked
            .diagnostics
            .iter()
            .map(|d| d.code.to_string())
            .collect();
        let want = expected(p);
        if got != want {
            let detail: Vec<String> = checked
                .diagnostics
                .iter()
                .map(|d| {
                    let f = prog.sources.get(d.span.file);
                    let (l, c) = f.line_col(d.span.start);
                    format!("    {} {}:{l}:{c} {}", d.code, f.name, d.message)
                })
                .collect();
            failures.push(format!(
                "{}: expected {:?}, got {:?}\n{}",
                p.file_name().unwrap_or_default().to_string_lossy(),
                want,
                got,
                detail.join("\n")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} corpus programs disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_code_has_a_trigger_and_a_near_miss() {
    let programs = programs();
    let mut missing = Vec::new();
    for info in accessc_core::explain::all() {
        let trigger = programs.iter().any(|p| {
            let name = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string();
            name.starts_with(info.code) && expected(p).contains(info.code)
        });
        let near = programs.iter().any(|p| {
            let name = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string();
            name.starts_with(&format!("{}-near", info.code)) && !expected(p).contains(info.code)
        });
        if !trigger {
            missing.push(format!("{}: no trigger", info.code));
        }
        if !near {
            missing.push(format!(
                "{}: no near miss (`{}-near-….access`)",
                info.code, info.code
            ));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

/// One snapshot per program, `snapshots/corpus/diagnostics@<program>.snap`;
/// every program is checked and every mismatch reported, not only the first.
#[test]
fn rendered_diagnostics_snapshots() {
    insta::with_settings!({snapshot_path => "snapshots/corpus", prepend_module_to_snapshot => false, omit_expression => true}, {
        insta::glob!("corpus/*", |p| {
            if !(p.is_dir() || p.extension().is_some_and(|e| e == "access")) {
                return;
            }
            let prog = load(&RealFs, p).expect("load");
            let checked = check(&prog, &CheckOptions { today: today() });
            let rendered = render_human(
                &checked.diagnostics,
                &prog.sources,
                HumanOptions {
                    color: false,
                    width: 100,
                },
            );
            // File names in the rendering are absolute; make them relative to the corpus.
            let corpus = p.parent().expect("in the corpus");
            let rendered = rendered.replace(&format!("{}/", corpus.display()), "");
            insta::assert_snapshot!("diagnostics", rendered);
        });
    });
}
