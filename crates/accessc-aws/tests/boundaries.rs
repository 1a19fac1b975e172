//! The direct-API backend reads only the core's IR (and writes the org
//! snapshot format the core owns, and compares the IR's policy documents with
//! the live ones as IAM reads them, through `policy_json`): plan, apply and
//! drift are functions of the IR and the live state, never of the AST, the
//! checker or the model. Cargo
//! lets this crate depend on the whole core; this test keeps it to those
//! modules. A grouped import (`accessc_core::{…}`) counts as outside, so that
//! every use names its module.

use std::collections::BTreeSet;
use std::path::Path;

/// The core modules this crate may use.
const ALLOWED: &[&str] = &["ir", "org_snapshot", "policy_json"];

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).expect("src") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Every `accessc_core::MODULE` path named in `text`.
fn core_modules(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (at, _) in text.match_indices("accessc_core::") {
        let rest = text.get(at + "accessc_core::".len()..).unwrap_or_default();
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '{')
            .collect();
        found.insert(name);
    }
    found
}

#[test]
fn the_backend_uses_only_the_ir_of_the_core() {
    let mut files = Vec::new();
    sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    files.sort();
    assert!(files.len() >= 5, "{files:?}");
    let mut outside = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("read");
        for m in core_modules(&text) {
            if !ALLOWED.contains(&m.as_str()) {
                outside.push(format!("{}: accessc_core::{m}", f.display()));
            }
        }
    }
    assert!(outside.is_empty(), "{}", outside.join("\n"));
}

#[test]
fn the_scan_sees_a_use_of_another_module() {
    let text =
        "use accessc_core::check::Checked;\nuse accessc_core::{ir, load};\nx: accessc_core::ir::Ir";
    let found = core_modules(text);
    assert!(found.contains("check"), "{found:?}");
    assert!(found.contains("{ir"), "{found:?}");
    assert!(found.contains("ir"), "{found:?}");
}
