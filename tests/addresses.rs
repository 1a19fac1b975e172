//! Stable addresses: an unchanged function, grant or policy keeps every
//! address (Terraform resource and data addresses and StackSet names;
//! CloudFormation logical IDs, outputs, exports, parameters, stack names and
//! StackSet names) whatever is added or removed beside it, and two items
//! that would still share one are refused.

use accessc_core::emit::cfn::{emit_cfn, CfnFormat, CfnOptions};
use accessc_core::emit::terraform::emit_terraform;
use accessc_core::ir::Ir;
use accessc_core::load::load_texts;
use accessc_core::{check, CheckOptions, RealFs, Today};
use accessc_guard::GuardRules;
use proptest::prelude::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// A program with a function per name in `functions` (each with its own
/// customer managed policy `<name>P`, a break-glass alarm, and grants to
/// the groups in `groups`).
fn program(functions: &[&str], groups: &[&str]) -> String {
    let mut p = String::from(
        "org {\n  root \"r-ab12\"\n  management \"999999999999\"\n  ou Workloads \"ou-ab12-11111111\" { account app \"111111111111\" }\n  account management \"999999999999\"\n}\n",
    );
    for g in groups {
        p.push_str(&format!("group {g}\n"));
    }
    for f in functions {
        p.push_str(&format!(
            "managed_policy {f}P {{ allow s3:GetObject on * }}\n\
             function {f} {{\n  managed ReadOnlyAccess\n  customer {f}P\n  boundary ReadOnlyAccess\n  break_glass notify \"arn:aws:sns:eu-west-1:111111111111:pager\"\n}}\n"
        ));
        for g in groups {
            p.push_str(&format!("grant {f} to {g} on Workloads\n"));
        }
    }
    p
}

fn ir(text: &str) -> Ir {
    let prog = load_texts(
        &RealFs,
        Path::new(env!("CARGO_MANIFEST_DIR")),
        vec![("main.access".to_string(), text.to_string())],
    );
    let checked = check(
        &prog,
        &CheckOptions {
            today: Today::parse("2026-11-28").expect("date"),
        },
    );
    let errors: Vec<String> = checked
        .diagnostics
        .iter()
        .filter(|d| d.severity == accessc_core::diagnostic::Severity::Error)
        .map(|d| format!("{} {}", d.code, d.message))
        .collect();
    assert!(errors.is_empty(), "{errors:?}\n{text}");
    accessc_core::model_to_ir::lower(checked.checked_model().expect("no errors"))
}

/// Every Terraform address and StackSet name of the output, or the clashes.
fn terraform_addresses(ir: &Ir) -> Result<BTreeSet<String>, Vec<String>> {
    let files = emit_terraform(ir)?;
    let mut out = BTreeSet::new();
    for f in &files {
        for line in f.contents.lines() {
            let parts: Vec<&str> = line.split('"').collect();
            if (line.starts_with("resource \"") || line.starts_with("data \"")) && parts.len() >= 4
            {
                let kind = if line.starts_with("data") {
                    "data."
                } else {
                    ""
                };
                out.insert(format!("{kind}{}.{}", parts[1], parts[3]));
            }
            let t = line.trim_start();
            if t.starts_with("name ") && parts.len() >= 2 && parts[1].starts_with("accessc-") {
                out.insert(format!("stack set {}", parts[1]));
            }
        }
    }
    Ok(out)
}

/// Every CloudFormation name of the output: stack (file) names, logical
/// IDs, outputs, exports, parameters and StackSet names; or the refusals.
fn cfn_addresses(ir: &Ir) -> Result<BTreeSet<String>, Vec<String>> {
    let files = emit_cfn(
        ir,
        &CfnOptions {
            format: CfnFormat::Json,
            ..Default::default()
        },
        &GuardRules,
    )?;
    let mut out = BTreeSet::new();
    for f in files.iter().filter(|f| f.path.ends_with(".template.json")) {
        let stem = f.path.trim_end_matches(".template.json");
        out.insert(format!("stack {stem}"));
        let t: Value = serde_json::from_str(&f.contents).expect("template JSON");
        for (id, r) in t["Resources"].as_object().into_iter().flatten() {
            out.insert(format!("{stem} resource {id}"));
            if let Some(n) = r.pointer("/Properties/StackSetName/Fn::Sub") {
                out.insert(format!("stack set {n}"));
            }
        }
        for (id, o) in t["Outputs"].as_object().into_iter().flatten() {
            out.insert(format!(
                "{stem} output {id} exports {}",
                o["Export"]["Name"]
            ));
        }
        for id in t["Parameters"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k)
        {
            out.insert(format!("parameter {id}"));
        }
    }
    Ok(out)
}

/// `sub` ⊆ `sup`, or the addresses of `sub` missing from `sup`.
fn missing(sub: &BTreeSet<String>, sup: &BTreeSet<String>) -> Vec<String> {
    sub.difference(sup).cloned().collect()
}

/// The names of `base`'s items keep every address when `extra` is added,
/// and `extra`'s keep theirs when `base`'s are removed.
fn assert_stable(base: (&[&str], &[&str]), extra: (&[&str], &[&str])) {
    let fs_all: Vec<&str> = base.0.iter().chain(extra.0).copied().collect();
    let gs_all: Vec<&str> = base.1.iter().chain(extra.1).copied().collect();
    let before = ir(&program(base.0, base.1));
    let after = ir(&program(&fs_all, &gs_all));
    let only_extra = ir(&program(
        extra.0,
        if extra.1.is_empty() { base.1 } else { extra.1 },
    ));
    for (what, f) in [
        (
            "terraform",
            terraform_addresses as fn(&Ir) -> Result<BTreeSet<String>, Vec<String>>,
        ),
        ("cfn", cfn_addresses),
    ] {
        let b = f(&before).unwrap_or_else(|e| panic!("{what}: {e:?}"));
        let a = f(&after).unwrap_or_else(|e| panic!("{what}: {e:?}"));
        let x = f(&only_extra).unwrap_or_else(|e| panic!("{what}: {e:?}"));
        assert!(
            missing(&b, &a).is_empty(),
            "{what}: adding {extra:?} moved {:?}",
            missing(&b, &a)
        );
        // Stack names of stage 1 and 2 are shared by every item: the
        // assignment stacks and the rest are per item.
        assert!(
            missing(&x, &a).is_empty(),
            "{what}: {extra:?} alone has {:?}",
            missing(&x, &a)
        );
    }
}

#[test]
fn adding_ops_hyphen_admin_beside_ops_underscore_admin_moves_nothing() {
    // And the other way round; and removing one keeps the other's.
    assert_stable((&["Ops_Admin"], &["team"]), (&["Ops-Admin"], &[]));
    assert_stable((&["Ops-Admin"], &["team"]), (&["Ops_Admin"], &[]));
    assert_stable(
        (&["OpsAdmin"], &["team"]),
        (&["Ops_Admin", "Ops-Admin"], &[]),
    );
}

#[test]
fn groups_and_policies_beside_each_other_keep_their_addresses() {
    assert_stable((&["Ops"], &["ops_team"]), (&[], &["ops-team"]));
    assert_stable((&["Ops"], &["ops-team"]), (&[], &["ops_team", "Ops-Team"]));
}

#[test]
fn the_unchanged_set_keeps_its_plain_terraform_address() {
    let before = terraform_addresses(&ir(&program(&["OpsAdmin"], &["team"]))).expect("tf");
    assert!(before.contains("aws_ssoadmin_permission_set.ops_admin"));
    let after =
        terraform_addresses(&ir(&program(&["OpsAdmin", "Ops-Admin"], &["team"]))).expect("tf");
    assert!(after.contains("aws_ssoadmin_permission_set.ops_admin"));
    assert!(!after.iter().any(|a| a.ends_with("ops_admin_2")));
    let cfn = cfn_addresses(&ir(&program(&["OpsAdmin", "Ops-Admin"], &["team"]))).expect("cfn");
    assert!(cfn.contains("stack assignments-OpsAdmin"));
    assert!(cfn
        .iter()
        .any(|a| a.contains("PermissionSetArn:OpsAdmin\"")));
}

#[test]
fn two_items_that_still_collide_are_refused() {
    // `OpsAdmin` and `ops-admin` both keep their words whole: both would be
    // `ops_admin` / `OpsAdmin`.
    let clash = ir(&program(&["OpsAdmin", "ops-admin"], &["team"]));
    let tf = terraform_addresses(&clash).expect_err("terraform refuses");
    assert!(
        tf.iter().any(|e| e.contains("`OpsAdmin`")
            && e.contains("`ops-admin`")
            && e.contains("ops_admin")),
        "{tf:?}"
    );
    let cfn = cfn_addresses(&clash).expect_err("cfn refuses");
    assert!(
        cfn.iter()
            .any(|e| e.contains("`OpsAdmin`") && e.contains("`ops-admin`")),
        "{cfn:?}"
    );

    // Through the command line: exit 1, nothing written.
    let src = tempfile::tempdir().expect("tmp");
    std::fs::write(
        src.path().join("main.access"),
        program(&["OpsAdmin", "ops-admin"], &["team"]),
    )
    .expect("write");
    for target in ["terraform", "cfn"] {
        let out = tempfile::tempdir().expect("tmp");
        let o = Command::new(env!("CARGO_BIN_EXE_accessc"))
            .args([
                "build",
                src.path().to_str().unwrap_or_default(),
                "--target",
                target,
                "-o",
            ])
            .arg(out.path())
            .args(["--today", "2026-11-28"])
            .output()
            .expect("run");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{target}: {err}");
        assert!(err.contains("rename one of them"), "{target}: {err}");
        assert_eq!(
            std::fs::read_dir(out.path()).expect("out").count(),
            0,
            "{target}"
        );
    }
}

/// Names built to collide: the same words with every case and separator.
fn name() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["Ops", "ops", "OPS"]),
        prop::sample::select(vec!["", "-", "_", "--"]),
        prop::sample::select(vec!["Admin", "admin", "AdMin", "A"]),
    )
        .prop_map(|(a, s, b)| format!("{a}{s}{b}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn adding_or_removing_a_name_never_moves_another(
        names in prop::collection::btree_set(name(), 1..5),
        pick in any::<prop::sample::Index>(),
    ) {
        let names: Vec<String> = names.into_iter().collect();
        let gone = pick.index(names.len());
        let all: Vec<&str> = names.iter().map(String::as_str).collect();
        let rest: Vec<&str> = all.iter().enumerate().filter(|(i, _)| *i != gone).map(|(_, n)| *n).collect();
        let with = ir(&program(&all, &["team"]));
        let without = ir(&program(&rest, &["team"]));
        for (what, f) in [
            ("terraform", terraform_addresses as fn(&Ir) -> Result<BTreeSet<String>, Vec<String>>),
            ("cfn", cfn_addresses),
        ] {
            match (f(&with), f(&without)) {
                (Ok(a), Ok(b)) => {
                    let moved = missing(&b, &a);
                    prop_assert!(moved.is_empty(), "{}: {:?} moved by {}", what, moved, all[gone]);
                }
                // A refusal names the clash; removing a name never makes one.
                (Err(_), _) => {}
                (Ok(_), Err(e)) => prop_assert!(false, "{}: removing {} made a clash: {:?}", what, all[gone], e),
            }
        }
    }
}
