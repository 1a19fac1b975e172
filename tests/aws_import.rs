//! `accessc import` from the live instance, end to end, against the local
//! endpoint (moto server with `tests/support/moto_ext.py`): an instance built
//! by hand through the SDK (nested OUs, a suspended account, sets with every
//! field, inline policies with conditions, `NotAction`/`NotResource` and
//! policy variables, group and user assignments, a Control Tower set) is
//! imported; the program checks and is formatted; `plan` shows only
//! adoptions; `apply --adopt` makes only tag writes (a set that differs is
//! refused, naming the difference); then the plan is empty. The program
//! applied to a second, empty instance imports back to the same bytes. Bad
//! input (a read denied, an inline policy that is not JSON, an output
//! directory that is a link, holds a planted link, or is not empty) exits 2
//! and writes nothing.

#[path = "support/peers.rs"]
mod peers;

#[path = "support/aws.rs"]
mod aws_support;

use aws_sdk_ssoadmin::types::{
    AccessControlAttribute, AccessControlAttributeValue, CustomerManagedPolicyReference,
    InstanceAccessControlAttributeConfiguration, PermissionsBoundary, PrincipalType, Tag,
};
use aws_support::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;

const TODAY: &str = "2026-06-01";
const ACCOUNT: &str = "123456789012";
const INSTANCE: &str = "arn:aws:sso:::instance/ssoins-72236b0a1b2c3d4e";
const STORE: &str = "d-9067a1b2c3";
const OWNER: &str = "security@example.com";
const UNTIL: &str = "2027-03-31";

const ADMINS: &str = "9067a2c4-1111-2222-3333-444455556601";
const DATA: &str = "9067a2c4-1111-2222-3333-444455556602";
const AUDIT: &str = "9067a2c4-1111-2222-3333-444455556603";
const ALICE: &str = "9067a2c4-1111-2222-3333-444455556611";

const PROD_A: &str = "111111111111";
const PROD_B: &str = "111111111112";
const DEV_A: &str = "222222222221";
const SANDBOX: &str = "222222222229";
const LOGS: &str = "333333333331";
const CLOSED: &str = "444444444441";

fn json_of(out: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// The organization, the identity store and the instance ids, seeded the same
/// way into every endpoint (ids pinned).
fn seed(moto: &Moto) {
    let org = json!({
        "format": "accessc-org/1",
        "root": "r-ab12",
        "management_account": ACCOUNT,
        "accounts": [{"name": "management", "id": ACCOUNT}],
        "ous": [
            {"name": "Security", "id": "ou-ab12-11111111", "accounts": [
                {"name": "log-archive", "id": LOGS},
                {"name": "retired", "id": CLOSED}
            ], "ous": []},
            {"name": "Workloads", "id": "ou-ab12-22222222", "accounts": [], "ous": [
                {"name": "Prod", "id": "ou-ab12-33333333", "accounts": [
                    {"name": "app-a-prod", "id": PROD_A},
                    {"name": "app-b-prod", "id": PROD_B}
                ], "ous": []},
                {"name": "NonProd", "id": "ou-ab12-44444444", "accounts": [
                    {"name": "app-a-dev", "id": DEV_A}
                ], "ous": [
                    {"name": "Sandbox", "id": "ou-ab12-55555555", "accounts": [
                        {"name": "sandbox-1", "id": SANDBOX}
                    ], "ous": []}
                ]}
            ]}
        ]
    });
    moto.post(
        "/_accessc/seed",
        &json!({
            "org": org,
            "groups": {"platform-admins": ADMINS, "Data Engineers": DATA, "auditors": AUDIT},
            "users": {"alice": ALICE},
            "instance": {"arn": INSTANCE, "identity_store_id": STORE}
        }),
    );
    // The retired account is closed: AWS Organizations reports it SUSPENDED.
    let rt = runtime();
    rt.block_on(async {
        let aws = sdk(&moto.url()).await;
        aws.org
            .close_account()
            .account_id(CLOSED)
            .send()
            .await
            .expect("close account");
    });
}

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build().expect("tag")
}

/// One set as the test builds it.
struct Set {
    name: &'static str,
    description: Option<&'static str>,
    session: &'static str,
    relay: Option<&'static str>,
    tags: Vec<(&'static str, &'static str)>,
    managed: Vec<&'static str>,
    customer: Vec<(&'static str, &'static str)>,
    boundary: Option<PermissionsBoundary>,
    inline: Option<Value>,
}

fn sets() -> Vec<Set> {
    vec![
        Set {
            name: "PlatformAdmin",
            description: Some("Administers the platform accounts"),
            session: "PT4H",
            relay: Some("https://console.aws.amazon.com/ec2/home"),
            tags: vec![("team", "platform"), ("cost-center", "cc-1234")],
            managed: vec!["arn:aws:iam::aws:policy/AdministratorAccess"],
            customer: vec![("platform-extras", "/teams/platform/")],
            boundary: Some(
                PermissionsBoundary::builder()
                    .managed_policy_arn("arn:aws:iam::aws:policy/PowerUserAccess")
                    .build(),
            ),
            inline: Some(json!({
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "DenyOutsideRegions",
                        "Effect": "Deny",
                        "NotAction": ["iam:*", "sts:*", "support:*"],
                        "Resource": "*",
                        "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "us-east-1"]}}
                    },
                    {
                        "Sid": "OwnHome",
                        "Effect": "Allow",
                        "Action": ["s3:GetObject", "s3:PutObject"],
                        "Resource": "arn:aws:s3:::home-bucket/${aws:username}/*"
                    }
                ]
            })),
        },
        Set {
            name: "DataEngineer",
            description: Some("Reads and writes the data lake"),
            session: "PT8H",
            relay: None,
            tags: vec![("team", "data")],
            managed: vec!["arn:aws:iam::aws:policy/ReadOnlyAccess"],
            customer: vec![("datalake-rw", "/")],
            boundary: Some(
                PermissionsBoundary::builder()
                    .customer_managed_policy_reference(
                        CustomerManagedPolicyReference::builder()
                            .name("data-boundary")
                            .path("/boundaries/")
                            .build()
                            .expect("ref"),
                    )
                    .build(),
            ),
            inline: Some(json!({
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Deny",
                        "Action": "s3:*",
                        "NotResource": ["arn:aws:s3:::datalake", "arn:aws:s3:::datalake/*"]
                    },
                    {
                        "Effect": "Allow",
                        "Action": "athena:*",
                        "Resource": "*",
                        "Condition": {"Bool": {"aws:SecureTransport": "true"}}
                    }
                ]
            })),
        },
        Set {
            name: "Auditor",
            description: None,
            session: "PT1H",
            relay: None,
            tags: vec![],
            managed: vec!["arn:aws:iam::aws:policy/SecurityAudit"],
            customer: vec![],
            boundary: None,
            inline: None,
        },
        // Control Tower's: foreign, left out of the program, never adoptable.
        Set {
            name: "AWSAdministratorAccess",
            description: Some("Provides full access to AWS services and resources"),
            session: "PT1H",
            relay: None,
            tags: vec![],
            managed: vec!["arn:aws:iam::aws:policy/AdministratorAccess"],
            customer: vec![],
            boundary: None,
            inline: None,
        },
    ]
}

/// (set, principal type, principal id, account)
fn assignments() -> Vec<(&'static str, PrincipalType, &'static str, &'static str)> {
    use PrincipalType::{Group, User};
    vec![
        ("PlatformAdmin", Group, ADMINS, PROD_A),
        ("PlatformAdmin", Group, ADMINS, PROD_B),
        ("PlatformAdmin", Group, ADMINS, DEV_A),
        ("PlatformAdmin", Group, ADMINS, SANDBOX),
        ("DataEngineer", Group, DATA, DEV_A),
        ("DataEngineer", Group, DATA, SANDBOX),
        ("DataEngineer", User, ALICE, PROD_A),
        ("Auditor", Group, AUDIT, PROD_A),
        ("Auditor", Group, AUDIT, PROD_B),
        ("Auditor", Group, AUDIT, DEV_A),
        ("Auditor", Group, AUDIT, SANDBOX),
        ("Auditor", Group, AUDIT, LOGS),
        ("Auditor", Group, AUDIT, ACCOUNT),
        ("AWSAdministratorAccess", Group, ADMINS, ACCOUNT),
    ]
}

/// The instance built by hand through the SDK (never through `accessc`).
/// Returns each set's ARN.
fn build_by_hand(url: &str) -> BTreeMap<String, String> {
    let rt = runtime();
    rt.block_on(async {
        let aws = sdk(url).await;
        let mut arns = BTreeMap::new();
        for s in sets() {
            let made = aws
                .sso
                .create_permission_set()
                .instance_arn(INSTANCE)
                .name(s.name)
                .set_description(s.description.map(str::to_string))
                .session_duration(s.session)
                .set_relay_state(s.relay.map(str::to_string))
                .set_tags(if s.tags.is_empty() {
                    None
                } else {
                    Some(s.tags.iter().map(|(k, v)| tag(k, v)).collect())
                })
                .send()
                .await
                .expect("create permission set");
            let arn = made
                .permission_set()
                .and_then(|p| p.permission_set_arn())
                .expect("arn")
                .to_string();
            for m in &s.managed {
                aws.sso
                    .attach_managed_policy_to_permission_set()
                    .instance_arn(INSTANCE)
                    .permission_set_arn(&arn)
                    .managed_policy_arn(*m)
                    .send()
                    .await
                    .expect("attach managed");
            }
            for (n, p) in &s.customer {
                aws.sso
                    .attach_customer_managed_policy_reference_to_permission_set()
                    .instance_arn(INSTANCE)
                    .permission_set_arn(&arn)
                    .customer_managed_policy_reference(
                        CustomerManagedPolicyReference::builder()
                            .name(*n)
                            .path(*p)
                            .build()
                            .expect("ref"),
                    )
                    .send()
                    .await
                    .expect("attach customer managed");
            }
            if let Some(b) = s.boundary {
                aws.sso
                    .put_permissions_boundary_to_permission_set()
                    .instance_arn(INSTANCE)
                    .permission_set_arn(&arn)
                    .permissions_boundary(b)
                    .send()
                    .await
                    .expect("boundary");
            }
            if let Some(doc) = &s.inline {
                aws.sso
                    .put_inline_policy_to_permission_set()
                    .instance_arn(INSTANCE)
                    .permission_set_arn(&arn)
                    .inline_policy(doc.to_string())
                    .send()
                    .await
                    .expect("inline policy");
            }
            arns.insert(s.name.to_string(), arn);
        }
        for (set, kind, pid, account) in assignments() {
            aws.sso
                .create_account_assignment()
                .instance_arn(INSTANCE)
                .permission_set_arn(&arns[set])
                .principal_type(kind)
                .principal_id(pid)
                .target_type(aws_sdk_ssoadmin::types::TargetType::AwsAccount)
                .target_id(account)
                .send()
                .await
                .expect("assignment");
        }
        let attr = |k: &str, src: &str| {
            AccessControlAttribute::builder()
                .key(k)
                .value(
                    AccessControlAttributeValue::builder()
                        .source(src)
                        .build()
                        .expect("value"),
                )
                .build()
                .expect("attribute")
        };
        aws.sso
            .create_instance_access_control_attribute_configuration()
            .instance_arn(INSTANCE)
            .instance_access_control_attribute_configuration(
                InstanceAccessControlAttributeConfiguration::builder()
                    .access_control_attributes(attr("Department", "${path:enterprise.department}"))
                    .access_control_attributes(attr("CostCenter", "${path:enterprise.costCenter}"))
                    .build()
                    .expect("config"),
            )
            .send()
            .await
            .expect("abac");
        arns
    })
}

/// A fresh endpoint with the organization seeded; `by_hand`: the instance
/// built through the SDK too.
fn instance(by_hand: bool) -> (Moto, BTreeMap<String, String>) {
    let moto = Moto::start(ACCOUNT);
    seed(&moto);
    let arns = if by_hand {
        build_by_hand(&moto.url())
    } else {
        BTreeMap::new()
    };
    (moto, arns)
}

fn import_args(dir: &str) -> Vec<&str> {
    vec![
        "import",
        "-o",
        dir,
        "--user-grant-owner",
        OWNER,
        "--user-grant-until",
        UNTIL,
    ]
}

/// Every file under `dir`: relative path → bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, d: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(d).expect("read dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).expect("inside").display().to_string();
                out.insert(rel, std::fs::read(&p).expect("read"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The requests of each write action the endpoint saw since the last reset.
fn writes(moto: &Moto) -> BTreeMap<String, u64> {
    let stats = moto.stats();
    stats["calls"]
        .as_object()
        .expect("calls")
        .iter()
        .filter(|(k, _)| {
            let action = k.rsplit(':').next().unwrap_or("");
            !["List", "Describe", "Get"]
                .iter()
                .any(|p| action.starts_with(p))
        })
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
        .collect()
}

fn only_tags(w: &BTreeMap<String, u64>, n: u64) {
    let tags: u64 = w
        .iter()
        .filter(|(k, _)| k.ends_with(":TagResource"))
        .map(|(_, v)| *v)
        .sum();
    assert_eq!(tags, n, "tag writes: {w:?}");
    assert!(
        w.keys().all(|k| k.ends_with(":TagResource")),
        "writes other than tags: {w:?}"
    );
}

#[test]
fn a_live_instance_imports_checks_adopts_and_round_trips() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (a, arns) = instance(true);
    let url = a.url();
    let dir = tmp.path().join("imported");
    let d = s(&dir);

    let (out, err) = expect(&mut accessc(&url, &import_args(d)), 0);
    assert!(err.contains("read the live instance in "), "{err}");
    assert!(out.contains("14 assignment(s) read"), "{out}");
    assert!(
        out.contains("left out: permission set `AWSAdministratorAccess` and its 1 assignment(s)"),
        "{out}"
    );
    let program = files(&dir);
    assert!(program.contains_key("org.json"), "{:?}", program.keys());

    // The program checks without an error and is formatted.
    let local = |args: &[&str]| {
        let mut c = peers::accessc();
        c.args(args);
        c
    };
    let (out, err) = expect(&mut local(&["check", d, "--today", TODAY]), 0);
    let all = format!("{out}{err}");
    assert!(all.contains("\n0 errors, "), "{all}");
    expect(&mut local(&["fmt", "--check", d]), 0);

    // The plan: the three imported sets to adopt, and nothing else.
    let (out, err) = expect(
        &mut accessc(&url, &["plan", d, "--today", TODAY, "--allow-delete"]),
        1,
    );
    for set in ["PlatformAdmin", "DataEngineer", "Auditor"] {
        assert!(
            out.contains(&format!("& permission set {set}  (to adopt")),
            "{out}"
        );
    }
    assert!(!out.contains("assignment:"), "{out}");
    assert!(!out.contains("AWSAdministratorAccess"), "{out}");
    assert!(
        out.contains("Cannot apply: nothing else to change. 3 set(s) to adopt"),
        "{out}"
    );
    assert!(err.contains("accessc apply --adopt"), "{err}");
    let (out, _) = expect(
        &mut accessc(
            &url,
            &[
                "plan",
                d,
                "--today",
                TODAY,
                "--allow-delete",
                "--format",
                "json",
            ],
        ),
        1,
    );
    let plan = json_of(&out);
    assert_eq!(plan["can_apply"], false, "{out}");
    assert_eq!(plan["summary"]["sets_to_adopt"], 3, "{out}");
    for key in [
        "sets_to_create",
        "sets_to_update",
        "sets_to_delete",
        "sets_to_reprovision",
        "assignments_to_create",
        "assignments_to_delete",
        "pending_deletes",
        "blocked",
    ] {
        assert_eq!(plan["summary"][key], 0, "{key}: {out}");
    }
    for s in plan["permission_sets"].as_array().expect("sets") {
        assert_eq!(s["action"], "adopt", "{out}");
    }
    // Without --adopt, apply refuses and changes nothing.
    a.reset_stats();
    expect(&mut accessc(&url, &["apply", d, "--today", TODAY]), 1);
    only_tags(&writes(&a), 0);

    // A set that differs live is refused, naming the statement and key.
    let rt = runtime();
    let changed = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "s3:*",
         "NotResource": ["arn:aws:s3:::datalake", "arn:aws:s3:::datalake/*"]},
        {"Effect": "Allow", "Action": "athena:*", "Resource": "*"}
    ]});
    let put = |doc: String| {
        rt.block_on(async {
            let aws = sdk(&url).await;
            aws.sso
                .put_inline_policy_to_permission_set()
                .instance_arn(INSTANCE)
                .permission_set_arn(&arns["DataEngineer"])
                .inline_policy(doc)
                .send()
                .await
                .expect("inline policy");
        })
    };
    put(changed.to_string());
    a.reset_stats();
    let (out, err) = expect(
        &mut accessc(&url, &["apply", d, "--adopt", "--today", TODAY]),
        1,
    );
    assert!(
        out.contains("! permission set DataEngineer: blocked:")
            && out.contains("inline_policy: statement 2: Condition differs"),
        "{out}"
    );
    assert!(out.contains("Adopted: 2 set(s)"), "{out}");
    assert!(
        err.contains("1 permission set(s) of the source cannot be managed"),
        "{err}"
    );
    only_tags(&writes(&a), 2);

    // Made equal again, it is adopted; then the plan is empty.
    let original = sets()
        .into_iter()
        .find(|s| s.name == "DataEngineer")
        .and_then(|s| s.inline)
        .expect("inline");
    put(original.to_string());
    a.reset_stats();
    let (out, _) = expect(
        &mut accessc(&url, &["apply", d, "--adopt", "--today", TODAY]),
        0,
    );
    assert!(out.contains("Adopted: 1 set(s)"), "{out}");
    only_tags(&writes(&a), 1);
    // The policy was edited by hand twice: its roles lag the set, which
    // `apply` (not `--adopt`) re-provisions.
    assert!(
        out.contains("~ re-provision") && out.contains("The plan has other changes"),
        "{out}"
    );
    expect(&mut accessc(&url, &["apply", d, "--today", TODAY]), 0);
    let (out, _) = expect(
        &mut accessc(&url, &["plan", d, "--today", TODAY, "--allow-delete"]),
        0,
    );
    assert!(
        out.contains("No changes: the live instance matches the source."),
        "{out}"
    );

    // The program applied to a second, empty instance imports back to the
    // same bytes.
    let (b, _) = instance(false);
    expect(&mut accessc(&b.url(), &["apply", d, "--today", TODAY]), 0);
    let again = tmp.path().join("again");
    expect(&mut accessc(&b.url(), &import_args(s(&again))), 0);
    let second = files(&again);
    assert_eq!(
        program.keys().collect::<Vec<_>>(),
        second.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &program {
        assert!(
            second.get(path) == Some(bytes),
            "{path} differs:\n--- first\n{}\n--- second\n{}",
            String::from_utf8_lossy(bytes),
            String::from_utf8_lossy(second.get(path).map(Vec::as_slice).unwrap_or(b""))
        );
    }
}

/// A read that fails, or an answer that cannot be imported: exit 2, one
/// clear message, nothing written.
fn refused(moto: &Moto, dir: &Path, wants: &[&str]) {
    let (_, err) = expect(&mut accessc(&moto.url(), &import_args(s(dir))), 2);
    for w in wants {
        assert!(err.contains(w), "`{w}` not in:\n{err}");
    }
    assert!(err.contains("nothing was written"), "{err}");
    assert!(!dir.exists(), "{} was created", dir.display());
}

#[test]
fn a_read_that_is_denied_writes_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (moto, _) = instance(true);
    for (action, iam) in [
        ("ListPermissionSets", "sso:ListPermissionSets"),
        ("ListGroups", "identitystore:ListGroups"),
        (
            "GetPermissionsBoundaryForPermissionSet",
            "sso:GetPermissionsBoundaryForPermissionSet",
        ),
        (
            "ListAccountsForParent",
            "organizations:ListAccountsForParent",
        ),
    ] {
        moto.faults(json!({"deny": [action]}));
        let dir = tmp.path().join(action);
        refused(
            &moto,
            &dir,
            &[
                &format!("error: cannot read the instance: access denied: the credentials may not call {iam}; allow `{iam}`"),
                "help: `accessc import` reads",
            ],
        );
    }
}

#[test]
fn an_inline_policy_that_is_not_json_writes_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (moto, _) = instance(true);
    moto.faults(
        json!({"inline_text": {"Auditor": "{\"Version\": \"2012-10-17\", \"Statement\": ["}}),
    );
    refused(
        &moto,
        &tmp.path().join("out"),
        &[
            "the inline policy of permission set `Auditor` is not valid JSON",
            "help: correct that permission set's inline policy",
        ],
    );
}

#[test]
fn the_output_directory_is_a_jail() {
    // Refused before anything is read: no endpoint is needed.
    let url = "http://127.0.0.1:9";
    let tmp = tempfile::tempdir().expect("tmp");
    let victim = tmp.path().join("victim");
    std::fs::create_dir(&victim).expect("mkdir");

    // DIR a symbolic link to an empty directory.
    let link = tmp.path().join("link");
    std::os::unix::fs::symlink(&victim, &link).expect("symlink");
    let (_, err) = expect(&mut accessc(url, &import_args(s(&link))), 2);
    assert!(err.contains("symbolic link"), "{err}");
    assert_eq!(std::fs::read_dir(&victim).expect("ls").count(), 0);

    // A link planted inside DIR, where the program would write a file.
    let dir = tmp.path().join("planted");
    std::fs::create_dir(&dir).expect("mkdir");
    let target = victim.join("secret");
    std::fs::write(&target, "keep").expect("write");
    std::os::unix::fs::symlink(&target, dir.join("org.access")).expect("symlink");
    let (_, err) = expect(&mut accessc(url, &import_args(s(&dir))), 2);
    assert!(err.contains("not empty"), "{err}");
    assert_eq!(std::fs::read_to_string(&target).expect("read"), "keep");

    // A directory that holds anything.
    let full = tmp.path().join("full");
    std::fs::create_dir(&full).expect("mkdir");
    std::fs::write(full.join("notes.txt"), "mine").expect("write");
    let (_, err) = expect(&mut accessc(url, &import_args(s(&full))), 2);
    assert!(
        err.contains("not empty") && err.contains("nothing was read or written"),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(&full).expect("ls").count(), 1);

    // A file.
    let file = tmp.path().join("file");
    std::fs::write(&file, "x").expect("write");
    expect(&mut accessc(url, &import_args(s(&file))), 2);
    assert_eq!(std::fs::read_to_string(&file).expect("read"), "x");
}
