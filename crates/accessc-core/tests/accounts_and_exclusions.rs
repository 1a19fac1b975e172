//! What the IR says about account states and about the OUs a customer managed
//! policy keeps out with `except`: the StackSet targets of every body leave
//! the excluded OUs out, and no assignment reaches a suspended or closed
//! account.

use accessc_core::ir::{DeploymentTarget, Ir, OrgUnitRef, PolicyBody};
use accessc_core::load::load_texts;
use accessc_core::{check, model_to_ir, CheckOptions, RealFs, Today};
use std::path::Path;

fn ir_of(text: &str) -> Ir {
    let prog = load_texts(
        &RealFs,
        Path::new("."),
        vec![("main.access".into(), text.to_string())],
    );
    let checked = check(
        &prog,
        &CheckOptions {
            today: Today::parse("2026-11-28").expect("date"),
        },
    );
    let model = checked.checked_model().unwrap_or_else(|| {
        panic!(
            "errors: {:?}",
            checked
                .diagnostics
                .iter()
                .map(|d| format!("{} {}", d.code, d.message))
                .collect::<Vec<_>>()
        )
    });
    model_to_ir::lower(model)
}

const ORG: &str = r#"
org {
  root "r-ab12"
  management "999999999999"
  ou Workloads "ou-ab12-11111111" {
    account loose "666666666666"
    ou NonProd "ou-ab12-22222222" { account app-a-dev "111111111111" }
    ou Prod "ou-ab12-33333333" { account app-a-prod "333333333333" }
    ou Suspended "ou-ab12-55555555" { account old-app "555555555555" }
  }
  ou Security "ou-ab12-44444444" { account audit "444444444444" }
  account management "999999999999"
}
group aws-team-a-engineers
"#;

fn policy(except: &str) -> String {
    format!(
        r#"{ORG}
managed_policy AppBoundary {{
  path "/boundaries/"
  allow * on *
  deny iam:*, organizations:*, account:* on *
  in Workloads/Prod {{ deny iam:*, organizations:*, account:*, ec2:DeleteVpc on * }}
  {except}
}}
function AppDeveloper {{
  session 4h
  managed ReadOnlyAccess
  boundary AppBoundary
}}
grant AppDeveloper to aws-team-a-engineers on Workloads/NonProd
"#
    )
}

fn ou(id: &str) -> OrgUnitRef {
    OrgUnitRef::Id(id.to_string())
}

/// (body, targets, accounts) of each deployment, the default body first.
fn deployments(ir: &Ir) -> Vec<(PolicyBody, Vec<DeploymentTarget>, Vec<String>)> {
    let mut v: Vec<_> = ir
        .customer_managed_policies
        .iter()
        .map(|c| (c.body.clone(), c.targets.clone(), c.account_ids.clone()))
        .collect();
    v.sort_by_key(|(b, _, _)| *b != PolicyBody::Default);
    v
}

#[test]
fn an_excluded_ou_is_targeted_by_no_body() {
    // Without `except`: the default body reaches the root but Prod.
    let before = deployments(&ir_of(&policy("")));
    assert_eq!(before[0].0, PolicyBody::Default);
    assert_eq!(
        before[0].2,
        [
            "111111111111",
            "444444444444",
            "555555555555",
            "666666666666"
        ]
    );

    let after = deployments(&ir_of(&policy("except Workloads/Suspended, Security")));
    assert_eq!(after.len(), 2);
    let (body, targets, accounts) = &after[0];
    assert_eq!(*body, PolicyBody::Default);
    assert_eq!(*accounts, ["111111111111", "666666666666"]);
    // Workloads' own account by INTERSECTION, and its one other child OU;
    // never Suspended, Prod (its own body) or Security.
    assert_eq!(
        *targets,
        [
            DeploymentTarget {
                ou_ids: vec![ou("ou-ab12-11111111")],
                account_ids: vec!["666666666666".into()],
            },
            DeploymentTarget {
                ou_ids: vec![ou("ou-ab12-22222222")],
                account_ids: vec![],
            },
        ]
    );
    let (body, targets, accounts) = &after[1];
    assert_eq!(*body, PolicyBody::Ou("Workloads/Prod".into()));
    assert_eq!(*accounts, ["333333333333"]);
    assert_eq!(
        *targets,
        [DeploymentTarget {
            ou_ids: vec![ou("ou-ab12-33333333")],
            account_ids: vec![],
        }]
    );
}

#[test]
fn an_in_block_inside_an_excluded_ou_deploys_nowhere() {
    let text = policy("except Workloads").replace("on Workloads/NonProd", "on Security");
    let ir = ir_of(&text);
    let d = deployments(&ir);
    assert_eq!(d.len(), 1, "the Prod body is gone: {d:?}");
    assert_eq!(d[0].0, PolicyBody::Default);
    assert_eq!(d[0].2, ["444444444444"]);
    assert_eq!(
        d[0].1,
        [DeploymentTarget {
            ou_ids: vec![ou("ou-ab12-44444444")],
            account_ids: vec![],
        }]
    );
}

#[test]
fn suspended_and_closed_accounts_get_no_assignment_and_carry_their_state() {
    let text = r#"
org {
  root "r-ab12"
  management "999999999999"
  ou Workloads "ou-ab12-11111111" {
    account app-a-dev "111111111111"
    account legacy "555555555555" suspended
    account retired "666666666666" closed
    account leaving "777777777777" pending_closure
  }
  account management "999999999999"
}
function ReadOnlyAuditor {
  session 2h
  managed ReadOnlyAccess
  boundary PowerUserAccess
}
group aws-auditors
grant ReadOnlyAuditor to aws-auditors on root except account management
"#;
    let ir = ir_of(text);
    let assigned: Vec<&str> = ir
        .assignments
        .iter()
        .map(|a| a.account_id.as_str())
        .collect();
    assert_eq!(assigned, ["111111111111"]);
    let states: Vec<(&str, Option<&str>, bool)> = ir
        .org
        .accounts
        .iter()
        .map(|a| (a.name.as_str(), a.status.as_deref(), a.is_assignable()))
        .collect();
    assert_eq!(
        states,
        [
            ("app-a-dev", None, true),
            ("legacy", Some("SUSPENDED"), false),
            ("retired", Some("CLOSED"), false),
            ("leaving", Some("PENDING_CLOSURE"), false),
            ("management", None, true),
        ]
    );
}
