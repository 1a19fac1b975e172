//! What the import tests share: an in-memory program directory, the write →
//! load → check → lower round trip, and a realistic model.

#![allow(dead_code)]

use accessc_core::ir::{Boundary, Ir, PolicyReference, PrincipalType};
use accessc_core::load::{load_texts, FileSystem};
use accessc_core::org_snapshot::OrgSnapshot;
use accessc_core::policy_json::normalize;
use accessc_core::render::{render_human, HumanOptions};
use accessc_core::{check, CheckOptions, Checked, Date, SessionDuration};
use accessc_import::model::*;
use accessc_import::{write_program, WriteOptions, Written};
use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};

pub const BASE: &str = "/prog";

/// A program directory in memory.
pub struct MemFs(pub BTreeMap<PathBuf, Vec<u8>>);

impl MemFs {
    pub fn of(files: &[(String, String)]) -> MemFs {
        MemFs(
            files
                .iter()
                .map(|(n, t)| (Path::new(BASE).join(n), t.clone().into_bytes()))
                .collect(),
        )
    }
}

impl FileSystem for MemFs {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.0
            .get(path)
            .cloned()
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
    }
    fn is_dir(&self, path: &Path) -> bool {
        path == Path::new(BASE)
    }
    fn access_files(&self, _: &Path) -> io::Result<Vec<PathBuf>> {
        Ok(self
            .0
            .keys()
            .filter(|p| p.extension().is_some_and(|e| e == "access"))
            .cloned()
            .collect())
    }
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        Ok(path.to_path_buf())
    }
}

pub fn today() -> Date {
    Date::new(2026, 12, 1).expect("date")
}

pub fn opts() -> WriteOptions {
    WriteOptions {
        include_foreign: false,
        user_grant_owner: Some("secops@example.com".into()),
        user_grant_until: Some(Date::new(2027, 6, 30).expect("date")),
    }
}

/// Load and check the written files.
pub fn check_written(w: &Written) -> Checked {
    let fs = MemFs::of(&w.files);
    let texts: Vec<(String, String)> = w
        .files
        .iter()
        .filter(|(n, _)| n.ends_with(".access"))
        .cloned()
        .collect();
    let program = load_texts(&fs, Path::new(BASE), texts);
    let checked = check(&program, &CheckOptions { today: today() });
    if checked.has_errors() {
        let shown = render_human(
            &checked.diagnostics,
            &program.sources,
            HumanOptions::default(),
        );
        panic!("the written program does not check:\n{shown}");
    }
    checked
}

/// Write, load, check (no error) and lower.
pub fn round_trip(model: &ImportModel, opts: &WriteOptions) -> (Written, Ir) {
    let w = write_program(model, opts).unwrap_or_else(|e| panic!("write: {e}"));
    let checked = check_written(&w);
    let cm = checked.checked_model().expect("no errors");
    let ir = accessc_core::model_to_ir::lower(cm);
    (w, ir)
}

fn without_ownership(tags: impl IntoIterator<Item = (String, String)>) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = tags.into_iter().filter(|(k, _)| k != "ManagedBy").collect();
    v.sort();
    v
}

/// The sets and assignments of `ir` are exactly those of `model` that are
/// written: every field of every set, every (principal id, set, account).
pub fn assert_same(model: &ImportModel, ir: &Ir, written_sets: &BTreeSet<String>) {
    for ps in model
        .permission_sets
        .iter()
        .filter(|p| written_sets.contains(&p.name))
    {
        let got = ir
            .permission_set(&ps.name)
            .unwrap_or_else(|| panic!("set {} missing from the IR", ps.name));
        assert_eq!(got.description, ps.description, "{}: description", ps.name);
        let session = ps
            .session_duration
            .as_deref()
            .map_or(SessionDuration::DEFAULT, |s| {
                SessionDuration::parse_iso8601(s).expect("iso")
            });
        assert_eq!(got.session_duration, session, "{}: session", ps.name);
        assert_eq!(got.relay_state, ps.relay_state, "{}: relay", ps.name);
        assert_eq!(
            got.managed_policies, ps.managed_policies,
            "{}: managed",
            ps.name
        );
        assert_eq!(
            got.customer_managed_policies, ps.customer_managed_policies,
            "{}: customer",
            ps.name
        );
        assert_eq!(
            got.permissions_boundary, ps.permissions_boundary,
            "{}: boundary",
            ps.name
        );
        match (&got.inline_policy, &ps.inline_policy) {
            (None, None) => {}
            (Some(a), Some(b)) => assert_eq!(
                normalize(a).expect("ir policy"),
                normalize(b).expect("model policy"),
                "{}: inline",
                ps.name
            ),
            (a, b) => panic!("{}: inline {a:?} vs {b:?}", ps.name),
        }
        assert_eq!(
            without_ownership(got.tags.iter().map(|t| (t.key.clone(), t.value.clone()))),
            without_ownership(ps.tags.clone()),
            "{}: tags",
            ps.name
        );
    }
    let names: BTreeSet<&str> = ir.permission_sets.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        written_sets
            .iter()
            .map(String::as_str)
            .collect::<BTreeSet<_>>(),
        "sets"
    );
    let assignable = assignable_accounts(model);
    let want: BTreeSet<(PrincipalType, String, String, String)> = model
        .assignments
        .iter()
        .filter(|a| written_sets.contains(&a.permission_set))
        .filter(|a| assignable.contains(&a.account_id))
        .map(|a| {
            (
                a.principal_type,
                a.principal_id.clone(),
                a.permission_set.clone(),
                a.account_id.clone(),
            )
        })
        .collect();
    let got: BTreeSet<(PrincipalType, String, String, String)> = ir
        .assignments
        .iter()
        .map(|a| {
            (
                a.principal_type,
                a.principal_id.as_deref().expect("principal id").to_string(),
                a.permission_set.to_string(),
                a.account_id.to_string(),
            )
        })
        .collect();
    assert_eq!(got.len(), ir.assignments.len(), "assignments repeat");
    assert_eq!(got, want, "assignments");
}

/// The accounts AWS assigns in (every account the assignments name when
/// the model has no organization).
pub fn assignable_accounts(model: &ImportModel) -> BTreeSet<String> {
    match &model.org {
        Some(o) => o
            .all_accounts()
            .filter(|a| a.state().is_assignable())
            .map(|a| a.id.clone())
            .collect(),
        None => model
            .assignments
            .iter()
            .map(|a| a.account_id.clone())
            .collect(),
    }
}

pub fn org() -> OrgSnapshot {
    OrgSnapshot::from_json(ORG).expect("org")
}

pub const ORG: &str = r#"{
  "format": "accessc-org/1",
  "root": "r-ab12",
  "management_account": "999999999999",
  "accounts": [ { "name": "management", "id": "999999999999" } ],
  "ous": [
    { "name": "Security", "id": "ou-ab12-44444444",
      "accounts": [ { "name": "audit", "id": "444444444444" }, { "name": "log-archive", "id": "555555555555" } ] },
    { "name": "Workloads", "id": "ou-ab12-11111111", "accounts": [],
      "ous": [
        { "name": "NonProd", "id": "ou-ab12-22222222",
          "accounts": [ { "name": "app-a-dev", "id": "111111111111" }, { "name": "app-b-dev", "id": "222222222222" },
                        { "name": "app-c-dev", "id": "212121212121" },
                        { "name": "app-old", "id": "121212121212", "status": "SUSPENDED" } ] },
        { "name": "Prod", "id": "ou-ab12-33333333",
          "accounts": [ { "name": "app-a-prod", "id": "333333333333" }, { "name": "app-b-prod", "id": "666666666666" } ],
          "ous": [ { "name": "Payments", "id": "ou-ab12-77777777",
                     "accounts": [ { "name": "pay-prod", "id": "777777777777" } ] } ] }
      ] },
    { "name": "Sandbox", "id": "ou-ab12-55555555",
      "accounts": [ { "name": "sandbox-a", "id": "888888888888" }, { "name": "sandbox-gone", "id": "898989898989", "status": "CLOSED" } ] }
  ],
  "identity_store": {
    "id": "d-1234567890",
    "groups": { "aws-team-a-engineers": "9067a2c4-1111-2222-3333-444455556666" },
    "users": { "auditor@partner.example": "90677c42-aaaa-bbbb-cccc-ddddeeeeffff" }
  }
}"#;

pub const G_ENG: &str = "9067a2c4-1111-2222-3333-444455556666";
pub const G_PLATFORM: &str = "9067a2c4-2222-2222-3333-444455556666";
pub const G_SECOPS: &str = "9067a2c4-3333-2222-3333-444455556666";
pub const G_NAMELESS: &str = "9067a2c4-4444-2222-3333-444455556666";
pub const U_AUDITOR: &str = "90677c42-aaaa-bbbb-cccc-ddddeeeeffff";

pub const ALL: &[&str] = &[
    "999999999999",
    "444444444444",
    "555555555555",
    "111111111111",
    "222222222222",
    "212121212121",
    "121212121212",
    "333333333333",
    "666666666666",
    "777777777777",
    "888888888888",
    "898989898989",
];
pub const NONPROD: &[&str] = &["111111111111", "222222222222", "212121212121"];
pub const PROD: &[&str] = &["333333333333", "666666666666", "777777777777"];
pub const SECURITY: &[&str] = &["444444444444", "555555555555"];

fn set(name: &str) -> PermissionSet {
    PermissionSet {
        arn: Some(format!(
            "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-{}",
            name.len()
        )),
        name: name.into(),
        description: None,
        session_duration: None,
        relay_state: None,
        tags: Vec::new(),
        managed_policies: Vec::new(),
        customer_managed_policies: Vec::new(),
        permissions_boundary: None,
        inline_policy: None,
    }
}

fn assign(out: &mut Vec<Assignment>, set: &str, kind: PrincipalType, id: &str, accounts: &[&str]) {
    for a in accounts {
        out.push(Assignment {
            permission_set: set.into(),
            principal_type: kind,
            principal_id: id.into(),
            account_id: (*a).into(),
        });
    }
}

/// A model with every field: nested OUs, suspended and closed accounts,
/// sets with every property, inline policies with conditions, NotAction and
/// NotResource, policy variables, one that must stay JSON, group and user
/// assignments, and foreign sets.
pub fn realistic() -> ImportModel {
    let mut app = set("AppDeveloper");
    app.description = Some("Application developers: deploy app-* serverless resources".into());
    app.session_duration = Some("PT4H".into());
    app.relay_state = Some("https://console.aws.amazon.com/lambda/home".into());
    app.tags = vec![
        ("Owner".into(), "platform".into()),
        ("ManagedBy".into(), "accessc".into()),
        ("cost center".into(), "1234".into()),
    ];
    app.managed_policies = vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()];
    app.customer_managed_policies = vec![PolicyReference {
        name: "AppExtras".into(),
        path: "/app/".into(),
    }];
    app.permissions_boundary = Some(Boundary::CustomerManagedPolicy(PolicyReference {
        name: "BoundaryForDev".into(),
        path: "/boundaries/".into(),
    }));
    app.inline_policy = Some(
        r#"{"Version":"2012-10-17","Statement":[
          {"Sid":"AllowAppCompute","Effect":"Allow","Action":["lambda:*","states:*"],
           "Resource":["arn:aws:lambda:*:*:function:app-*","arn:aws:states:*:*:stateMachine:app-*"]},
          {"Sid":"TeamData","Effect":"Allow","Action":"s3:GetObject",
           "Resource":"arn:aws:s3:::team-${aws:PrincipalTag/Team}/*",
           "Condition":{"StringEquals":{"aws:ResourceTag/Team":"${aws:PrincipalTag/Team}"},
                        "StringLike":{"aws:RequestedRegion":["eu-*","us-east-1"]}}},
          {"Effect":"Deny","Action":["iam:CreateUser","iam:CreateAccessKey"],"Resource":"*"}
        ]}"#
        .into(),
    );

    let mut secops = set("SecOpsResponder");
    secops.session_duration = Some("PT2H".into());
    secops.managed_policies = vec![
        "arn:aws:iam::aws:policy/SecurityAudit".into(),
        "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess".into(),
    ];
    secops.permissions_boundary = Some(Boundary::ManagedPolicyArn(
        "arn:aws:iam::aws:policy/PowerUserAccess".into(),
    ));
    secops.inline_policy = Some(
        r#"{"Version":"2012-10-17","Statement":{"Sid":"OutsideRegions","Effect":"Deny","NotAction":["iam:*","sts:*"],
           "NotResource":"arn:aws:s3:::audit-*",
           "Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1"]},"Bool":{"aws:MultiFactorAuthPresent":"false"}}}}"#
            .into(),
    );

    let mut legacy = set("Legacy.Ops+");
    legacy.description = Some("Kept from the old setup".into());
    legacy.session_duration = Some("PT1H30M".into());
    legacy.customer_managed_policies = vec![PolicyReference {
        name: "BoundaryForDev".into(),
        path: "/boundaries/".into(),
    }];
    legacy.inline_policy = Some(
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"1","Effect":"Allow","Action":"ec2:Describe*","Resource":"*",
           "Condition":{"Bool":{"aws:SecureTransport":true}}}]}"#
            .into(),
    );

    let mut billing = set("BillingViewer");
    billing.managed_policies = vec![
        "arn:aws:iam::aws:policy/job-function/Billing".into(),
        // Newer than the catalog: written as its quoted ARN.
        "arn:aws:iam::aws:policy/service-role/AWSFutureBillingInsights".into(),
    ];
    billing.description = Some("Reads the \"Billing\" console".into());
    billing.tags = vec![("ManagedBy".into(), "accessc".into())];

    let mut ct = set("AWSAdministratorAccess");
    ct.managed_policies = vec!["arn:aws:iam::aws:policy/AdministratorAccess".into()];
    let mut tf = set("TerraformAdmins");
    tf.tags = vec![("ManagedBy".into(), "terraform".into())];
    tf.managed_policies = vec!["arn:aws:iam::aws:policy/AdministratorAccess".into()];

    let principals = vec![
        Principal {
            kind: PrincipalType::Group,
            id: G_ENG.into(),
            name: Some("aws-team-a-engineers".into()),
        },
        Principal {
            kind: PrincipalType::Group,
            id: G_PLATFORM.into(),
            name: Some("AWS Platform Admins".into()),
        },
        Principal {
            kind: PrincipalType::Group,
            id: G_SECOPS.into(),
            name: Some("secops".into()),
        },
        Principal {
            kind: PrincipalType::User,
            id: U_AUDITOR.into(),
            name: Some("auditor@partner.example".into()),
        },
    ];
    use PrincipalType::{Group, User};
    let mut a = Vec::new();
    assign(&mut a, "AppDeveloper", Group, G_ENG, NONPROD);
    assign(&mut a, "AppDeveloper", Group, G_ENG, &["121212121212"]);
    assign(&mut a, "AppDeveloper", Group, G_PLATFORM, NONPROD);
    assign(&mut a, "AppDeveloper", Group, G_PLATFORM, &["121212121212"]);
    // Everything but the management account and Payments.
    let most: Vec<&str> = ALL
        .iter()
        .copied()
        .filter(|a| *a != "999999999999" && *a != "777777777777")
        .collect();
    assign(&mut a, "SecOpsResponder", Group, G_SECOPS, &most);
    assign(&mut a, "SecOpsResponder", User, U_AUDITOR, SECURITY);
    assign(&mut a, "BillingViewer", Group, G_PLATFORM, ALL);
    assign(&mut a, "BillingViewer", Group, G_SECOPS, ALL);
    assign(&mut a, "Legacy.Ops+", Group, G_NAMELESS, &["333333333333"]);
    assign(&mut a, "AWSAdministratorAccess", Group, G_PLATFORM, ALL);
    assign(&mut a, "TerraformAdmins", Group, G_PLATFORM, PROD);

    ImportModel {
        instance: Instance {
            arn: Some("arn:aws:sso:::instance/ssoins-1234567890abcdef".into()),
            identity_store_id: Some("d-1234567890".into()),
            region: Some("eu-west-1".into()),
        },
        org: Some(org()),
        attributes: vec![
            Attribute {
                key: "Team".into(),
                source: "${path:enterprise.department}".into(),
            },
            Attribute {
                key: "CostCenter".into(),
                source: "${path:enterprise.costCenter}".into(),
            },
        ],
        permission_sets: vec![app, secops, legacy, billing, ct, tf],
        principals,
        assignments: a,
    }
}

pub fn names(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}
