//! The plan of small IRs against small live states.

use super::*;
use accessc_core::ir::{Assignment, Principal, Tag};

fn tag(k: &str, v: &str) -> Tag {
    Tag {
        key: k.into(),
        value: v.into(),
    }
}

fn set(name: &str) -> PermissionSet {
    PermissionSet {
        name: name.into(),
        function: name.into(),
        description: Some("d".into()),
        session_duration: SessionDuration::from_minutes(240),
        relay_state: None,
        managed_policies: vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()],
        customer_managed_policies: vec![],
        permissions_boundary: Some(Boundary::ManagedPolicyArn(
            "arn:aws:iam::aws:policy/PowerUserAccess".into(),
        )),
        inline_policy: Some(r#"{"Version":"2012-10-17","Statement":[]}"#.into()),
        tags: vec![tag("ManagedBy", "accessc")],
        break_glass: None,
    }
}

fn live_of(ps: &PermissionSet) -> LiveSet {
    LiveSet {
        arn: format!("arn:aws:sso:::permissionSet/ssoins-1/{}", ps.name),
        name: ps.name.clone(),
        owned: true,
        description: ps.description.clone(),
        session_duration: "PT240M".into(),
        relay_state: ps.relay_state.clone(),
        managed_policies: ps.managed_policies.clone(),
        customer_managed_policies: ps.customer_managed_policies.clone(),
        permissions_boundary: ps.permissions_boundary.clone(),
        // Same document, other key order and spacing.
        inline_policy: Some(r#"{ "Statement": [], "Version": "2012-10-17" }"#.into()),
        tags: ps.tags.clone(),
        outdated_accounts: vec![],
    }
}

fn ir_with(sets: Vec<PermissionSet>, assignments: Vec<Assignment>) -> Ir {
    Ir {
        permission_sets: sets,
        principals: vec![Principal {
            kind: PrincipalType::Group,
            name: "devs".into(),
            display_name: "devs".into(),
            id: None,
        }],
        assignments,
        ..Ir::default()
    }
}

fn grant(set: &str, account: &str) -> Assignment {
    Assignment {
        permission_set: set.into(),
        principal_type: PrincipalType::Group,
        principal: "devs".into(),
        principal_id: None,
        account_id: account.into(),
        until: None,
        owner: None,
    }
}

fn live_with(sets: Vec<LiveSet>, rows: &[(&str, &str, &str)]) -> Live {
    let mut live = Live {
        instance_arn: "arn:aws:sso:::instance/ssoins-1".into(),
        identity_store_id: "d-1".into(),
        sets,
        ..Live::default()
    };
    live.resolved
        .insert((PrincipalType::Group, "devs".into()), "g-devs".into());
    live.assignments = rows
        .iter()
        .map(|(s, p, a)| LiveAssignment {
            permission_set: s.to_string(),
            principal_type: PrincipalType::Group,
            principal_id: p.to_string(),
            account_id: a.to_string(),
        })
        .collect();
    live
}

#[test]
fn equal_state_plans_nothing() {
    let ps = set("Dev");
    let ir = ir_with(vec![ps.clone()], vec![grant("Dev", "111111111111")]);
    let live = live_with(vec![live_of(&ps)], &[("Dev", "g-devs", "111111111111")]);
    let p = plan(&ir, &live, PlanOptions::default());
    assert!(!p.has_changes(), "{}", render_human(&p));
    assert!(p.permission_sets.is_empty());
    assert!(render_human(&p).contains("No changes"));
}

#[test]
fn a_new_set_is_created_with_every_field_and_its_assignments() {
    let ps = set("Dev");
    let ir = ir_with(vec![ps], vec![grant("Dev", "111111111111")]);
    let live = live_with(vec![], &[]);
    let p = plan(&ir, &live, PlanOptions::default());
    assert_eq!(p.summary.sets_to_create, 1);
    assert_eq!(p.summary.assignments_to_create, 1);
    assert_eq!(p.summary.sets_to_reprovision, 0);
    let s = &p.permission_sets[0];
    assert_eq!(s.action, SetAction::Create(Box::new(set("Dev"))));
    // description, session, managed, boundary, inline, tag
    assert_eq!(s.changes.len(), 6, "{:?}", s.changes);
    assert_eq!(s.create_assignments[0].principal_id, "g-devs");
}

#[test]
fn field_changes_are_listed_and_reprovision_follows() {
    let mut want = set("Dev");
    let have = live_of(&want);
    want.session_duration = SessionDuration::from_minutes(480);
    want.managed_policies = vec!["arn:aws:iam::aws:policy/ViewOnlyAccess".into()];
    want.tags.push(tag("Owner", "platform"));
    let ir = ir_with(vec![want], vec![grant("Dev", "111111111111")]);
    let live = live_with(vec![have], &[("Dev", "g-devs", "111111111111")]);
    let p = plan(&ir, &live, PlanOptions::default());
    let s = &p.permission_sets[0];
    assert_eq!(
        s.action,
        SetAction::Update {
            arn: "arn:aws:sso:::permissionSet/ssoins-1/Dev".into()
        }
    );
    assert!(s.changes.contains(&Change::SessionDuration {
        from: Some("PT240M".into()),
        to: SessionDuration::from_minutes(480)
    }));
    assert!(s.changes.contains(&Change::ManagedPolicy {
        op: Op::Remove,
        arn: "arn:aws:iam::aws:policy/ReadOnlyAccess".into()
    }));
    assert!(s.changes.contains(&Change::ManagedPolicy {
        op: Op::Add,
        arn: "arn:aws:iam::aws:policy/ViewOnlyAccess".into()
    }));
    assert!(s
        .changes
        .iter()
        .any(|c| matches!(c, Change::Tag { op: Op::Add, key, .. } if key == "Owner")));
    assert_eq!(
        s.reprovision.as_ref().map(|r| r.accounts.clone()),
        Some(vec!["111111111111".to_string()])
    );
}

#[test]
fn a_tag_only_change_does_not_reprovision() {
    let mut want = set("Dev");
    let have = live_of(&want);
    want.tags.push(tag("Owner", "platform"));
    let ir = ir_with(vec![want], vec![]);
    let p = plan(&ir, &live_with(vec![have], &[]), PlanOptions::default());
    assert!(p.permission_sets[0].reprovision.is_none());
}

#[test]
fn an_outdated_account_is_reprovisioned_without_field_changes() {
    let want = set("Dev");
    let mut have = live_of(&want);
    have.outdated_accounts = vec!["222222222222".into()];
    let ir = ir_with(vec![want], vec![]);
    let p = plan(&ir, &live_with(vec![have], &[]), PlanOptions::default());
    assert_eq!(p.summary.sets_to_reprovision, 1);
    assert!(matches!(
        p.permission_sets[0].action,
        SetAction::Keep { .. }
    ));
    assert!(p.has_changes());
}

#[test]
fn deletions_wait_for_allow_delete() {
    let ps = set("Dev");
    let old = {
        let mut s = live_of(&set("Old"));
        s.name = "Old".into();
        s
    };
    let ir = ir_with(vec![ps.clone()], vec![grant("Dev", "111111111111")]);
    let rows = [
        ("Dev", "g-devs", "111111111111"),
        ("Dev", "g-other", "111111111111"),
        ("Old", "g-devs", "333333333333"),
    ];
    let live = live_with(vec![live_of(&ps), old], &rows);
    let p = plan(&ir, &live, PlanOptions::default());
    assert!(!p.has_changes());
    assert_eq!(p.summary.pending_deletes, 3); // two assignments and the set
    let p = plan(&ir, &live, PlanOptions { allow_delete: true });
    assert!(p.has_changes());
    assert_eq!(p.summary.assignments_to_delete, 2);
    assert_eq!(p.summary.sets_to_delete, 1);
    assert!(render_human(&p).contains("- permission set Old"));
}

#[test]
fn unowned_and_control_tower_sets_are_never_touched() {
    let ps = set("Dev");
    let mut theirs = live_of(&ps);
    theirs.owned = false;
    theirs.tags = vec![];
    // Another session than the source's: not a set to adopt.
    theirs.session_duration = "PT1H".into();
    let mut ct = live_of(&set("AWSAdministratorAccess"));
    ct.owned = false;
    let ir = ir_with(vec![ps], vec![grant("Dev", "111111111111")]);
    let live = live_with(vec![theirs, ct], &[]);
    let p = plan(&ir, &live, PlanOptions { allow_delete: true });
    assert_eq!(p.blocked.len(), 1);
    assert!(p.permission_sets.is_empty(), "{:?}", p.permission_sets);
    // A blocked set is a difference that cannot be applied: never "No changes".
    assert!(p.has_changes());
    assert!(!p.can_apply);
    assert!(!p.has_applicable_changes());
    let human = render_human(&p);
    assert!(
        human.ends_with("\nCannot apply: nothing else to change. 1 set(s) blocked: they cannot be applied (see `!` above), and apply changes nothing until they are resolved.\n"),
        "{human}"
    );
    assert!(!human.contains("No changes"), "{human}");
    let json: serde_json::Value = serde_json::from_str(&p.to_json()).expect("json");
    assert_eq!(json["has_changes"], true);
    assert_eq!(json["can_apply"], false);
    assert_eq!(json["summary"]["blocked"], 1);
}

#[test]
fn a_description_cannot_be_removed_and_says_so() {
    let mut want = set("Dev");
    let have = live_of(&want);
    want.description = None;
    let p = plan(
        &ir_with(vec![want], vec![]),
        &live_with(vec![have], &[]),
        PlanOptions::default(),
    );
    assert!(!p.has_changes());
    assert_eq!(p.notes.len(), 1);
}

#[test]
fn abac_attributes_are_set_when_they_differ() {
    let mut ir = ir_with(vec![], vec![]);
    ir.attributes = vec![ir::Attribute {
        key: "Team".into(),
        value: "${path:enterprise.department}".into(),
    }];
    let mut live = live_with(vec![], &[]);
    let p = plan(&ir, &live, PlanOptions::default());
    assert!(p.summary.attributes);
    live.attributes = Some(ir.attributes.clone());
    assert!(!plan(&ir, &live, PlanOptions::default()).has_changes());
}

#[test]
fn a_set_plan_writes_its_action_by_name_and_the_live_arn_beside_it() {
    let mut want = set("Dev");
    let have = live_of(&want);
    want.session_duration = SessionDuration::from_minutes(480);
    let ir = ir_with(vec![want], vec![]);
    let updated = plan(&ir, &live_with(vec![have], &[]), PlanOptions::default());
    let json = serde_json::to_string(&updated.permission_sets[0]).expect("json");
    assert_eq!(
        json,
        r#"{"name":"Dev","arn":"arn:aws:sso:::permissionSet/ssoins-1/Dev","action":"update","changes":[{"field":"session_duration","from":"PT240M","to":"PT8H"}],"reprovision":{"reason":"the set changes","accounts":[]},"create_assignments":[],"delete_assignments":[],"pending_deletes":[]}"#
    );

    let created = plan(&ir, &live_with(vec![], &[]), PlanOptions::default());
    let json = serde_json::to_string(&created.permission_sets[0]).expect("json");
    assert!(
        json.starts_with(r#"{"name":"Dev","action":"create","changes":[{"field":"description","from":null,"to":"d"},{"field":"session_duration","from":null,"to":"PT8H"}"#),
        "{json}"
    );
    assert!(!json.contains("desired"), "{json}");

    let mut gone = live_of(&set("Old"));
    gone.name = "Old".into();
    let deleted = plan(
        &ir_with(vec![], vec![]),
        &live_with(vec![gone], &[]),
        PlanOptions { allow_delete: true },
    );
    let json = serde_json::to_string(&deleted.permission_sets[0]).expect("json");
    assert!(
        json.starts_with(
            r#"{"name":"Old","arn":"arn:aws:sso:::permissionSet/ssoins-1/Old","action":"delete","#
        ),
        "{json}"
    );
}

#[test]
fn a_suspended_account_keeps_what_it_holds_live() {
    let ps = set("Dev");
    let mut ir = ir_with(vec![ps.clone()], vec![grant("Dev", "111111111111")]);
    ir.org.accounts = vec![
        accessc_core::ir::Account {
            id: "111111111111".into(),
            name: "dev".into(),
            ou_path: String::new(),
            status: None,
        },
        accessc_core::ir::Account {
            id: "222222222222".into(),
            name: "gone".into(),
            ou_path: String::new(),
            status: Some("SUSPENDED".into()),
        },
    ];
    let rows = [
        ("Dev", "g-devs", "111111111111"),
        ("Dev", "g-devs", "222222222222"),
    ];
    let live = live_with(vec![live_of(&ps)], &rows);
    let p = plan(&ir, &live, PlanOptions { allow_delete: true });
    assert!(!p.has_changes(), "{}", render_human(&p));
    assert_eq!(p.summary.assignments_to_delete, 0);
    assert!(
        p.notes
            .iter()
            .any(|n| n.starts_with("1 live assignment(s) in suspended or closed accounts")),
        "{:?}",
        p.notes
    );
    // The same row in an active account is a deletion.
    ir.org.accounts[1].status = None;
    let p = plan(&ir, &live, PlanOptions { allow_delete: true });
    assert_eq!(p.summary.assignments_to_delete, 1);
}

#[test]
fn an_untagged_set_with_the_source_content_is_to_adopt_and_nothing_else() {
    let ps = set("Dev");
    let mut theirs = live_of(&ps);
    theirs.owned = false;
    theirs.tags = vec![];
    let ir = ir_with(vec![ps], vec![grant("Dev", "111111111111")]);
    let live = live_with(vec![theirs], &[("Dev", "g-devs", "111111111111")]);
    let p = plan(&ir, &live, PlanOptions { allow_delete: true });
    assert!(p.blocked.is_empty(), "{:?}", p.blocked);
    assert_eq!(p.summary.sets_to_adopt, 1);
    assert_eq!(p.permission_sets.len(), 1);
    let s = &p.permission_sets[0];
    assert!(matches!(s.action, SetAction::Adopt { .. }));
    assert_eq!(
        s.changes,
        vec![Change::Tag {
            op: Op::Add,
            key: "ManagedBy".into(),
            from: None,
            to: Some("accessc".into()),
        }]
    );
    assert!(s.create_assignments.is_empty() && s.delete_assignments.is_empty());
    assert!(s.reprovision.is_none());
    assert!(p.has_changes());
    assert!(!p.can_apply);
    assert!(!p.has_applicable_changes());
    let human = render_human(&p);
    assert!(human.contains("& permission set Dev  (to adopt"), "{human}");
    assert!(
        human.contains("Cannot apply: nothing else to change. 1 set(s) to adopt"),
        "{human}"
    );
    let json: serde_json::Value = serde_json::from_str(&p.to_json()).expect("json");
    assert_eq!(json["permission_sets"][0]["action"], "adopt");
    assert_eq!(json["summary"]["sets_to_adopt"], 1);
    assert_eq!(json["can_apply"], false);
}

#[test]
fn an_untagged_set_that_differs_is_blocked_naming_the_difference() {
    let ps = set("Dev");
    let mut theirs = live_of(&ps);
    theirs.owned = false;
    theirs.tags = vec![];
    theirs.relay_state = Some("https://console.aws.amazon.com/".into());
    theirs.inline_policy = Some(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#
            .into(),
    );
    let p = plan(
        &ir_with(vec![ps], vec![]),
        &live_with(vec![theirs], &[]),
        PlanOptions::default(),
    );
    assert_eq!(p.summary.sets_to_adopt, 0);
    assert_eq!(p.blocked.len(), 1);
    let why = &p.blocked[0].reason;
    assert!(
        why.contains("inline_policy: the source has 0 statement(s), the live set 1"),
        "{why}"
    );
    assert!(
        why.contains("relay_state: the live set has one, the source has none"),
        "{why}"
    );
}

#[test]
fn control_tower_sets_are_never_to_adopt() {
    let ps = set("AWSAdministratorAccess");
    let mut theirs = live_of(&ps);
    theirs.owned = false;
    theirs.tags = vec![];
    let p = plan(
        &ir_with(vec![ps], vec![]),
        &live_with(vec![theirs], &[]),
        PlanOptions::default(),
    );
    assert_eq!(p.summary.sets_to_adopt, 0);
    assert_eq!(p.blocked.len(), 1);
}

#[test]
fn a_live_policy_spelled_differently_is_no_change() {
    let mut ps = set("Dev");
    ps.inline_policy = Some(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"arn:aws:s3:::home/${aws:username}/*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}"#
            .into(),
    );
    let mut have = live_of(&ps);
    // What AWS may hand back: one statement as an object, the list in
    // another order, the key in another case, the value a JSON boolean.
    have.inline_policy = Some(
        r#"{"Statement":{"Condition":{"Bool":{"AWS:SecureTransport":true}},"Resource":["arn:aws:s3:::home/${aws:username}/*"],"Action":["s3:listbucket","s3:GetObject"],"Effect":"Allow"},"Version":"2012-10-17"}"#
            .into(),
    );
    let ir = ir_with(vec![ps.clone()], vec![grant("Dev", "111111111111")]);
    let live = live_with(vec![have.clone()], &[("Dev", "g-devs", "111111111111")]);
    let p = plan(&ir, &live, PlanOptions::default());
    assert!(!p.has_changes(), "{}", render_human(&p));

    // Without the Version, IAM reads the document under 2008-10-17, where
    // `${aws:username}` is literal text: a change.
    have.inline_policy = Some(
        r#"{"Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"arn:aws:s3:::home/${aws:username}/*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}"#
            .into(),
    );
    let live = live_with(vec![have], &[("Dev", "g-devs", "111111111111")]);
    let p = plan(&ir, &live, PlanOptions::default());
    assert_eq!(p.summary.sets_to_update, 1, "{}", render_human(&p));
    assert!(matches!(
        p.permission_sets[0].changes.as_slice(),
        [Change::InlinePolicy { .. }]
    ));
}
