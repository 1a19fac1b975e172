//! Any bytes through load → parse → check → fmt → render: no panic, no hang.
#![no_main]

use accessc::load::{load_texts, RealFs};
use accessc::render::{render_human, render_json, render_sarif, HumanOptions};
use accessc::{check, CheckOptions, Today};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    // A base directory with no files: `org from` / `from json` fail cleanly (A104).
    let prog = load_texts(&RealFs, Path::new("/nonexistent-fuzz-base"), vec![("fuzz.access".into(), text.clone())]);
    let today = Today::parse("2026-11-28").expect("date");
    let checked = check(&prog, &CheckOptions { today });
    let _ = render_human(&checked.diagnostics, &prog.sources, HumanOptions::default());
    let _ = render_json(&checked.diagnostics, &prog.sources);
    let _ = render_sarif(&checked.diagnostics, &prog.sources);
    if !prog.diagnostics.iter().any(|d| d.code == "A100") {
        let once = accessc::fmt::format_module(&prog.modules[0], &text);
        let again = load_texts(&RealFs, Path::new("/nonexistent-fuzz-base"), vec![("fuzz.access".into(), once.clone())]);
        assert!(!again.diagnostics.iter().any(|d| d.code == "A100"), "fmt output does not parse:\n{once}");
        let twice = accessc::fmt::format_module(&again.modules[0], &once);
        assert_eq!(once, twice, "fmt is not idempotent");
    }
});
