//! Only a checked model without errors can be lowered: `Checked` gives a
//! `CheckedModel` when there is no error, and, for `drift`, when the only
//! errors are grants past their `until` (A401).

use accessc_core::diagnostic::Severity;
use accessc_core::load::load_texts;
use accessc_core::{check, CheckOptions, Checked, RealFs, Today};
use std::path::Path;

const PROGRAM: &str = r#"
org {
  root "r-ab12"
  ou Workloads "ou-ab12-11111111" { account app-a-dev "111111111111" }
}
function AppDeveloper {
  session 4h
  managed ReadOnlyAccess
}
group aws-team-a-engineers
grant AppDeveloper to aws-team-a-engineers on Workloads
  owner "platform@example.com" until 2026-10-31
"#;

fn checked(text: &str, today: &str) -> Checked {
    let prog = load_texts(
        &RealFs,
        Path::new("."),
        vec![("main.access".into(), text.to_string())],
    );
    check(
        &prog,
        &CheckOptions {
            today: Today::parse(today).expect("date"),
        },
    )
}

/// The codes of the errors.
fn codes(c: &Checked) -> Vec<String> {
    c.diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.code.to_string())
        .collect()
}

#[test]
fn a_program_without_errors_lowers() {
    let c = checked(PROGRAM, "2026-01-01");
    assert!(!c.has_errors(), "{:?}", codes(&c));
    let model = c.checked_model().expect("no errors");
    let ir = accessc_core::model_to_ir::lower(model);
    assert_eq!(ir.assignments.len(), 1);
    assert_eq!(
        ir.assignments[0].until.map(|d| d.to_string()).as_deref(),
        Some("2026-10-31")
    );
    assert!(c.checked_model_with_expired_grants().is_some());
}

#[test]
fn an_expired_grant_lowers_only_for_drift() {
    let c = checked(PROGRAM, "2026-11-28");
    assert_eq!(codes(&c), ["A401"]);
    assert!(c.checked_model().is_none());
    let model = c
        .checked_model_with_expired_grants()
        .expect("A401 leaves the model whole");
    let ir = accessc_core::model_to_ir::lower(model);
    assert_eq!(
        ir.assignments.len(),
        1,
        "the expired grant is still lowered"
    );
}

#[test]
fn any_other_error_lowers_for_no_one() {
    let broken = PROGRAM.replace("grant AppDeveloper", "grant AppDeveloperX");
    let c = checked(&broken, "2026-11-28");
    assert!(c.has_errors());
    assert!(c.checked_model().is_none(), "{:?}", codes(&c));
    assert!(
        c.checked_model_with_expired_grants().is_none(),
        "{:?}",
        codes(&c)
    );
}

/// What lowering reads of a model is all `shed_for_lowering` keeps: the IR
/// of every example and corpus program that lowers is the same with the
/// rest freed (expired grants lowered too, as `drift` does).
#[test]
fn a_shed_model_lowers_to_the_same_ir() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    for dir in [root.join("../../examples"), root.join("tests/corpus")] {
        for entry in std::fs::read_dir(&dir).expect("dir") {
            let p = entry.expect("entry").path();
            if p.is_dir() || p.extension().is_some_and(|e| e == "access") {
                paths.push(p);
            }
        }
    }
    paths.sort();
    let mut lowered = 0;
    for path in &paths {
        let Ok(prog) = accessc_core::load(&RealFs, path) else {
            continue;
        };
        let today = Today::parse("2026-11-28").expect("date");
        let checked = check(&prog, &CheckOptions { today });
        let Some(model) = checked.checked_model_with_expired_grants() else {
            continue;
        };
        let whole = accessc_core::model_to_ir::lower(model);
        let mut shed = checked.clone();
        accessc_core::model_to_ir::shed_for_lowering(&mut shed.model);
        let model = shed
            .checked_model_with_expired_grants()
            .expect("same diagnostics");
        assert!(
            accessc_core::model_to_ir::lower(model) == whole,
            "{}: the IR changed",
            path.display()
        );
        lowered += usize::from(!whole.assignments.is_empty());
    }
    assert!(lowered >= 6, "only {lowered} programs with assignments");
}
