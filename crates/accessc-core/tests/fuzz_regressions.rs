//! Inputs the fuzz targets (`fuzz/`) found, and representative programs of
//! the structured target's generator, run through the same pipeline
//! the targets run (`fuzz/src/pipeline.rs`, included here): load, check,
//! render every diagnostic format, format and re-parse, and for clean
//! programs lower, emit every target and compare the IR of the formatted
//! text. A case is `tests/fuzz_regressions/NAME.access`, or a directory
//! `NAME/` holding `main.access` and the files it names.

#[allow(
    clippy::indexing_slicing,
    reason = "the fuzz pipeline asserts; a panic there is the finding"
)]
#[path = "../../../fuzz/src/pipeline.rs"]
mod pipeline;

use std::path::Path;

/// One input: its name, the text of `main.access`, and the files beside it.
struct Case {
    name: String,
    text: String,
    files: Vec<(String, Vec<u8>)>,
}

fn cases() -> Vec<Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/fuzz_regressions")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    let mut out = Vec::new();
    for p in entries {
        let name = p.file_name().expect("name").to_string_lossy().into_owned();
        let mut files = pipeline::fixture_files();
        if p.is_dir() {
            let text = std::fs::read_to_string(p.join(pipeline::MAIN)).expect("main.access");
            for e in std::fs::read_dir(&p).expect("case dir") {
                let f = e.expect("entry").path();
                let n = f.file_name().expect("name").to_string_lossy().into_owned();
                if n != pipeline::MAIN {
                    files.push((n, std::fs::read(&f).expect("case file")));
                }
            }
            out.push(Case { name, text, files });
        } else if p.extension().is_some_and(|e| e == "access") {
            let bytes = std::fs::read(&p).expect("case");
            let text = String::from_utf8_lossy(&bytes).into_owned();
            out.push(Case { name, text, files });
        }
    }
    out
}

#[test]
fn regression_inputs_pass_the_pipeline() {
    let cases = cases();
    assert!(!cases.is_empty(), "no cases in tests/fuzz_regressions");
    let mut failed = Vec::new();
    for Case { name, text, files } in &cases {
        let result = std::panic::catch_unwind(|| pipeline::run(text, files));
        if let Err(e) = result {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failed.push(format!("{name}: {msg}"));
        }
    }
    assert!(
        failed.is_empty(),
        "{} case(s) failed:\n{}",
        failed.len(),
        failed.join("\n\n")
    );
}

/// The pipeline reaches the backends: a clean program is lowered and emitted
/// (and a broken one is not mistaken for clean).
#[test]
fn the_pipeline_emits_clean_programs() {
    let clean = "org {\n  account dev \"111111111111\"\n}\ngroup eng\n\
                 function Reader {\n  managed ReadOnlyAccess\n  boundary ReadOnlyAccess\n}\n\
                 grant Reader to eng on account dev\n";
    let out = pipeline::run(clean, &pipeline::fixture_files());
    assert!(out.parsed && out.clean, "{out:?}");
    let broken = pipeline::run(
        "grant Nope to nobody on nowhere\n",
        &pipeline::fixture_files(),
    );
    assert!(broken.parsed && !broken.clean, "{broken:?}");
    let unparsable = pipeline::run("function {", &pipeline::fixture_files());
    assert!(!unparsable.parsed && !unparsable.clean, "{unparsable:?}");
}
