//! Write → load → check → lower gives back the model: every field of every
//! set written, every assignment.

mod common;

use common::*;

#[test]
fn the_realistic_model_comes_back_exactly() {
    let model = realistic();
    let (w, ir) = round_trip(&model, &opts());
    assert_same(
        &model,
        &ir,
        &names(&[
            "AppDeveloper",
            "SecOpsResponder",
            "Legacy.Ops+",
            "BillingViewer",
        ]),
    );
    let s = &w.summary;
    assert_eq!(s.inline_as_statements, 2, "{s}");
    assert_eq!(s.inline_as_json.len(), 1, "{s}");
    assert_eq!(s.left_out.len(), 2, "{s}");
    assert!(s.user_grants_incomplete.is_empty(), "{s}");
}

#[test]
fn without_an_organization_or_names_the_program_still_checks() {
    let mut model = realistic();
    model.org = None;
    for p in &mut model.principals {
        p.name = None;
    }
    let (w, ir) = round_trip(&model, &opts());
    assert!(w.summary.org_synthesized);
    assert_same(
        &model,
        &ir,
        &names(&[
            "AppDeveloper",
            "SecOpsResponder",
            "Legacy.Ops+",
            "BillingViewer",
        ]),
    );
}

#[test]
fn foreign_sets_are_written_when_asked() {
    let mut model = realistic();
    // Control Tower's own names stay out of reach of the checker (A207), so
    // the set tagged by another tool is the one to include.
    model
        .permission_sets
        .retain(|p| p.name != "AWSAdministratorAccess");
    model
        .assignments
        .retain(|a| a.permission_set != "AWSAdministratorAccess");
    let o = accessc_import::WriteOptions {
        include_foreign: true,
        ..opts()
    };
    let (w, ir) = round_trip(&model, &o);
    assert_eq!(
        w.summary.foreign_included,
        vec!["TerraformAdmins".to_string()]
    );
    assert_same(
        &model,
        &ir,
        &names(&[
            "AppDeveloper",
            "SecOpsResponder",
            "Legacy.Ops+",
            "BillingViewer",
            "TerraformAdmins",
        ]),
    );
}

#[test]
fn user_grants_without_owner_and_until_are_written_and_reported() {
    let o = accessc_import::WriteOptions::default();
    let w = accessc_import::write_program(&realistic(), &o).expect("write");
    assert_eq!(w.summary.user_grants_incomplete.len(), 1);
    let fs = MemFs::of(&w.files);
    let texts: Vec<(String, String)> = w
        .files
        .iter()
        .filter(|(n, _)| n.ends_with(".access"))
        .cloned()
        .collect();
    let program = accessc_core::load::load_texts(&fs, std::path::Path::new(BASE), texts);
    let checked = accessc_core::check(&program, &accessc_core::CheckOptions { today: today() });
    let errors: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.severity == accessc_core::diagnostic::Severity::Error)
        .map(|d| d.code.as_str())
        .collect();
    assert_eq!(errors, vec!["A400"]);
}

#[test]
fn the_same_model_gives_the_same_bytes_in_any_order() {
    let model = realistic();
    let first = accessc_import::write_program(&model, &opts()).expect("write");
    let again = accessc_import::write_program(&model, &opts()).expect("write");
    assert_eq!(first.files, again.files);
    let mut shuffled = model.clone();
    shuffled.permission_sets.reverse();
    shuffled.principals.reverse();
    shuffled.assignments.reverse();
    shuffled.assignments.rotate_left(7);
    for p in &mut shuffled.permission_sets {
        p.tags.reverse();
    }
    if let Some(org) = &mut shuffled.org {
        org.ous.reverse();
        for o in &mut org.ous {
            o.accounts.reverse();
            o.ous.reverse();
        }
    }
    let other = accessc_import::write_program(&shuffled, &opts()).expect("write");
    assert_eq!(first.files, other.files);
    assert_eq!(first.summary, other.summary);
}

#[test]
fn every_file_written_is_formatted() {
    let w = accessc_import::write_program(&realistic(), &opts()).expect("write");
    for (name, text) in w.files.iter().filter(|(n, _)| n.ends_with(".access")) {
        let (module, diags) = accessc_core::parse::parse_file(accessc_core::span::FileId(0), text);
        assert!(diags.is_empty(), "{name}: {diags:?}");
        assert_eq!(
            &accessc_core::fmt::format_module(&module, text),
            text,
            "{name}"
        );
    }
}

#[test]
fn hostile_names_and_policies_stay_inside_their_strings_and_comments() {
    let mut model = realistic();
    let evil = "x\"\n}\nfunction Evil {\n  managed AdministratorAccess\n}\n// \u{202e}";
    model.permission_sets[0].description = Some(evil.into());
    model.permission_sets[0].relay_state = Some(evil.into());
    model.permission_sets[0]
        .tags
        .push((evil.into(), evil.into()));
    model.principals[1].name = Some(evil.into());
    model.permission_sets[1].inline_policy = Some(format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:*","Resource":"*",{}:1}}]}}"#,
        serde_json::to_string(evil).expect("json")
    ));
    model.permission_sets[1].session_duration = Some(evil.into());
    let w = accessc_import::write_program(&model, &opts()).expect("write");
    for (name, text) in w.files.iter().filter(|(n, _)| n.ends_with(".access")) {
        let (module, diags) = accessc_core::parse::parse_file(accessc_core::span::FileId(0), text);
        assert!(diags.is_empty(), "{name}: {diags:?}");
        for item in &module.items {
            if let accessc_core::ast::ItemKind::Function(f) = &item.kind {
                assert_ne!(f.name.name, "Evil", "{name}:\n{text}");
            }
        }
    }
    let shown = w.summary.to_string();
    assert!(!shown.chars().any(|c| c == '\u{202e}'), "{shown}");
    assert_eq!(w.summary.changed.len(), 1, "{shown}");
}

#[test]
fn grants_written_draw_no_warning_of_their_own() {
    let w = accessc_import::write_program(&realistic(), &opts()).expect("write");
    let checked = check_written(&w);
    let mut codes: Vec<&str> = checked
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    codes.sort_unstable();
    codes.dedup();
    // A501/A505/A508 judge what was read (no boundary; an attribute no
    // policy uses; reaching the management account); A510 marks the assignments kept in suspended and closed
    // accounts. No A404 (a repeat) or A512 (an except outside the targets).
    assert_eq!(codes, vec!["A501", "A505", "A508", "A510"]);
}

#[test]
fn a_setup_past_the_default_quotas_gets_its_quotas_block() {
    let mut model = realistic();
    let policies = [
        "ReadOnlyAccess",
        "SecurityAudit",
        "AmazonS3ReadOnlyAccess",
        "AmazonEC2ReadOnlyAccess",
        "AWSLambda_ReadOnlyAccess",
        "CloudWatchReadOnlyAccess",
        "AmazonDynamoDBReadOnlyAccess",
        "AmazonRDSReadOnlyAccess",
        "AmazonSQSReadOnlyAccess",
        "AmazonSNSReadOnlyAccess",
        "IAMReadOnlyAccess",
    ];
    let cat = accessc_core::catalog::managed_policies();
    let billing = model
        .permission_sets
        .iter_mut()
        .find(|p| p.name == "BillingViewer")
        .expect("set");
    billing.managed_policies = policies
        .iter()
        .map(|n| cat.arn(n).unwrap_or_else(|| panic!("{n}")).to_string())
        .collect();
    let (w, ir) = round_trip(&model, &opts());
    let org = &w
        .files
        .iter()
        .find(|(n, _)| n == "org.access")
        .expect("org")
        .1;
    assert!(org.contains("quotas {\n  managed_policies 11\n}"), "{org}");
    assert_same(
        &model,
        &ir,
        &names(&[
            "AppDeveloper",
            "SecOpsResponder",
            "Legacy.Ops+",
            "BillingViewer",
        ]),
    );
}

#[test]
fn what_the_program_cannot_hold_is_left_out_and_said() {
    use accessc_core::ir::{PolicyReference, PrincipalType};
    use accessc_import::model::Assignment;
    let mut model = realistic();
    let grant = |set: &str, account: &str| Assignment {
        permission_set: set.into(),
        principal_type: PrincipalType::Group,
        principal_id: G_SECOPS.into(),
        account_id: account.into(),
    };
    // An account that left the organization, a set that was not read, and
    // a set whose customer managed policy the language cannot name.
    model
        .assignments
        .push(grant("BillingViewer", "123456789012"));
    model.assignments.push(grant("Vanished", "111111111111"));
    let mut odd = model.permission_sets[3].clone();
    odd.name = "OddPolicy".into();
    odd.customer_managed_policies = vec![PolicyReference {
        name: "team.policy".into(),
        path: "/".into(),
    }];
    model.permission_sets.push(odd);
    model.assignments.push(grant("OddPolicy", "111111111111"));
    let (w, ir) = round_trip(&model, &opts());
    let s = &w.summary;
    let left: Vec<(&str, usize)> = s
        .assignments_left_out
        .iter()
        .map(|a| (a.why.as_str(), a.assignments))
        .collect();
    assert_eq!(
        left,
        vec![
            ("they name a permission set that was not read", 1),
            ("account 123456789012 is not in the organization", 1),
        ]
    );
    let odd = s
        .left_out
        .iter()
        .find(|l| l.name == "OddPolicy")
        .expect("left out");
    assert_eq!(odd.assignments, 1);
    assert!(odd.why.contains("`team.policy`"), "{}", odd.why);
    model.assignments.retain(|a| a.account_id != "123456789012");
    assert_same(
        &model,
        &ir,
        &names(&[
            "AppDeveloper",
            "SecOpsResponder",
            "Legacy.Ops+",
            "BillingViewer",
        ]),
    );
    assert_eq!(s.assignments_read, 63);
}

#[test]
fn policy_files_differ_even_where_case_does_not_count() {
    let mut model = realistic();
    let legacy = model
        .permission_sets
        .iter()
        .find(|p| p.name == "Legacy.Ops+")
        .expect("set")
        .clone();
    for name in ["Worker", "worker"] {
        let mut p = legacy.clone();
        p.name = name.into();
        model.permission_sets.push(p);
    }
    let (w, ir) = round_trip(&model, &opts());
    let files: Vec<String> = w
        .files
        .iter()
        .map(|(n, _)| n.to_lowercase())
        .filter(|n| n.starts_with("policies/"))
        .collect();
    let distinct: std::collections::BTreeSet<&String> = files.iter().collect();
    assert_eq!(files.len(), 3);
    assert_eq!(distinct.len(), 3, "{files:?}");
    assert_same(
        &model,
        &ir,
        &names(&[
            "AppDeveloper",
            "SecOpsResponder",
            "Legacy.Ops+",
            "BillingViewer",
            "Worker",
            "worker",
        ]),
    );
}
