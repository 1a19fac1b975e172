//! `accessc org snapshot | plan | apply | drift` end to end, on every example,
//! against a real local AWS endpoint (moto server with the sso-admin
//! extensions of `tests/support/moto_ext.py`, on a free loopback port):
//! snapshot → plan → apply → the live state read back through the SDK equals
//! the IR → a second plan is empty → an out-of-band assignment shows in drift
//! → a grant removed from the source is deleted only with `--allow-delete`.

#[path = "support/peers.rs"]
mod peers;

#[path = "support/aws.rs"]
mod aws_support;

use accessc_aws::client::Aws;
use accessc_core::ir::{Ir, PrincipalType};
use aws_support::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

/// A fixed date, so that `until` dates in the examples never expire under the tests.
const TODAY: &str = "2026-06-01";

fn json(out: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// A shipped example copied into a temporary directory, its IR, and a local
/// endpoint seeded with the IR's organization and principals (what
/// `seed_from_ir` returns: the instance and the ids it made).
fn seeded_example(example: &str) -> (tempfile::TempDir, std::path::PathBuf, Ir, Moto, Value) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join(example);
    copy_dir(&peers::root().join("examples").join(example), &dir);
    let ir = ir_of(&dir, TODAY);
    let moto = Moto::start(
        ir.org
            .management_account_id
            .as_deref()
            .unwrap_or("123456789012"),
    );
    let seeded = moto.seed_from_ir(&ir, &[]);
    (tmp, dir, ir, moto, seeded)
}

fn end_to_end(example: &str) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join(example);
    copy_dir(&peers::root().join("examples").join(example), &dir);
    let d = s(&dir);
    let seeded = ir_of(&dir, TODAY);
    let account = seeded
        .org
        .management_account_id
        .clone()
        .unwrap_or_else(|| "123456789012".to_string());
    let moto = Moto::start(&account);
    let url = moto.url();
    moto.seed_from_ir(&seeded, &["intruders"]);

    // Snapshot: the organization as seeded, the program's principals, the
    // same bytes twice.
    let snap = tmp.path().join("snap.json");
    expect(
        &mut accessc(&url, &["org", "snapshot", d, "-o", s(&snap)]),
        0,
    );
    let first = std::fs::read_to_string(&snap).expect("snapshot");
    expect(
        &mut accessc(&url, &["org", "snapshot", d, "-o", s(&snap)]),
        0,
    );
    assert_eq!(
        first,
        std::fs::read_to_string(&snap).expect("snapshot"),
        "snapshot is not deterministic"
    );
    let v = json(&first);
    assert_eq!(v["format"], "accessc-org/1");
    let (ous, accounts) = flatten_snapshot(&v);
    for o in &seeded.org.ous {
        if let Some(id) = &o.id {
            assert_eq!(ous.get(&o.path), Some(id), "OU {}", o.path);
        }
        assert!(
            ous.contains_key(&o.path),
            "OU {} missing from the snapshot",
            o.path
        );
    }
    for a in &seeded.org.accounts {
        assert_eq!(
            accounts.get(&a.id),
            Some(&(a.name.clone(), a.ou_path.clone())),
            "account {}",
            a.id
        );
    }
    if let Some(m) = &seeded.org.management_account_id {
        assert_eq!(v["management_account"], m.as_str());
    }
    for p in &seeded.principals {
        let map = match p.kind {
            PrincipalType::Group => &v["identity_store"]["groups"],
            PrincipalType::User => &v["identity_store"]["users"],
        };
        assert!(
            map[&p.display_name].is_string(),
            "{} not in the snapshot",
            p.display_name
        );
    }
    assert!(
        v["identity_store"]["groups"]["intruders"].is_null(),
        "only the program's principals"
    );
    // A program that reads its organization from a snapshot reads this one.
    if dir.join("org.json").exists() {
        std::fs::copy(&snap, dir.join("org.json")).expect("copy snapshot");
    }
    let ir = ir_of(&dir, TODAY);

    // Plan: every set and assignment to create.
    let (out, _) = expect(
        &mut accessc(&url, &["plan", d, "--today", TODAY, "--format", "json"]),
        0,
    );
    let plan = json(&out);
    assert_eq!(plan["has_changes"], true);
    assert_eq!(plan["summary"]["sets_to_create"], ir.permission_sets.len());
    assert_eq!(
        plan["summary"]["assignments_to_create"],
        ir.assignments.len()
    );
    let (human, _) = expect(&mut accessc(&url, &["plan", d, "--today", TODAY]), 0);
    for ps in &ir.permission_sets {
        assert!(
            human.contains(&format!("+ permission set {}", ps.name)),
            "{human}"
        );
    }
    // --dry-run prints the plan and changes nothing.
    let (dry, _) = expect(
        &mut accessc(&url, &["apply", d, "--today", TODAY, "--dry-run"]),
        0,
    );
    assert_eq!(dry, human);

    // Apply, then the live state is the IR.
    let (out, _) = expect(
        &mut accessc(
            &url,
            &[
                "apply",
                d,
                "--today",
                TODAY,
                "--poll-interval-ms",
                "20",
                "--progress",
                "plain",
            ],
        ),
        0,
    );
    assert!(out.contains("Applied:"), "{out}");
    let live = read_live(&url, &ir);
    assert_live_matches(&ir, &live);

    // A second plan is empty; a second apply does nothing and says so.
    let (out, _) = expect(
        &mut accessc(&url, &["plan", d, "--today", TODAY, "--format", "json"]),
        0,
    );
    let again = json(&out);
    assert_eq!(again["has_changes"], false, "{out}");
    assert!(
        again["permission_sets"]
            .as_array()
            .is_some_and(|a| a.is_empty()),
        "{out}"
    );
    let (out, _) = expect(&mut accessc(&url, &["apply", d, "--today", TODAY]), 0);
    assert!(
        out.contains("No changes") && out.contains("Nothing to apply."),
        "{out}"
    );
    expect(&mut accessc(&url, &["drift", d, "--today", TODAY]), 0);

    // An out-of-band assignment shows in drift (exit 3).
    let set = live
        .sets
        .iter()
        .find(|x| x.owned)
        .expect("an owned set")
        .clone();
    let intruders = live
        .principals
        .iter()
        .find(|p| p.name == "intruders")
        .expect("intruders group")
        .id
        .clone();
    let target = ir.assignments[0].account_id.to_string();
    let rt = runtime();
    rt.block_on(async {
        let aws = sdk(&url).await;
        aws.sso
            .create_account_assignment()
            .instance_arn(&live.instance_arn)
            .permission_set_arn(&set.arn)
            .principal_type(aws_sdk_ssoadmin::types::PrincipalType::Group)
            .principal_id(&intruders)
            .target_type(aws_sdk_ssoadmin::types::TargetType::AwsAccount)
            .target_id(&target)
            .send()
            .await
            .expect("out-of-band assignment");
    });
    let (out, _) = expect(
        &mut accessc(&url, &["drift", d, "--today", TODAY, "--format", "json"]),
        3,
    );
    let drift = json(&out);
    let orphans = drift["orphan_assignments"].as_array().expect("orphans");
    assert_eq!(orphans.len(), 1, "{out}");
    assert_eq!(orphans[0]["principal"], "intruders");
    assert_eq!(orphans[0]["permission_set"], set.name.as_str());
    assert_eq!(orphans[0]["account_id"], target.as_str());
    let (human, _) = expect(&mut accessc(&url, &["drift", d, "--today", TODAY]), 3);
    assert!(
        human.contains("Orphan assignments") && human.contains("intruders"),
        "{human}"
    );

    // A grant removed from the source: pending without --allow-delete,
    // deleted with it; nothing the source keeps is touched.
    let removed = remove_a_grant(&dir, TODAY);
    let after = ir_of(&dir, TODAY);
    let live = read_live(&url, &after);
    let gone: BTreeSet<_> = ir_keys(&ir, &live)
        .difference(&ir_keys(&after, &live))
        .cloned()
        .collect();
    assert!(
        !gone.is_empty(),
        "removing `{removed}` removed no assignment"
    );
    let (out, _) = expect(
        &mut accessc(
            &url,
            &["apply", d, "--today", TODAY, "--poll-interval-ms", "20"],
        ),
        0,
    );
    assert!(out.contains("pending: needs --allow-delete"), "{out}");
    let live = read_live(&url, &after);
    assert!(
        live_keys(&live).is_superset(&gone),
        "deleted without --allow-delete"
    );
    let (out, _) = expect(
        &mut accessc(
            &url,
            &[
                "apply",
                d,
                "--today",
                TODAY,
                "--allow-delete",
                "--poll-interval-ms",
                "20",
            ],
        ),
        0,
    );
    assert!(out.contains("Applied:"), "{out}");
    let live = read_live(&url, &after);
    assert!(
        live_keys(&live).is_disjoint(&gone),
        "still live after --allow-delete"
    );
    assert_live_matches(&after, &live);
    let (out, _) = expect(
        &mut accessc(&url, &["plan", d, "--today", TODAY, "--format", "json"]),
        0,
    );
    assert_eq!(json(&out)["has_changes"], false, "{out}");
    expect(&mut accessc(&url, &["drift", d, "--today", TODAY]), 0);
}

#[test]
fn every_example_has_an_end_to_end_test() {
    let mut dirs: Vec<String> = std::fs::read_dir(peers::root().join("examples"))
        .expect("examples")
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    dirs.sort();
    let this = include_str!("aws.rs");
    for d in dirs {
        let name = d.replace('-', "_");
        assert!(
            this.contains(&format!("fn {name}() {{")),
            "examples/{d} has no end-to-end test in tests/aws.rs"
        );
    }
}

#[test]
fn abac_team_s3() {
    end_to_end("abac-team-s3");
}

#[test]
fn app_developer() {
    end_to_end("app-developer");
}

#[test]
fn break_glass() {
    end_to_end("break-glass");
}

#[test]
fn external_auditor() {
    end_to_end("external-auditor");
}

#[test]
fn org_matrix() {
    end_to_end("org-matrix");
}

#[test]
fn secops_responder() {
    end_to_end("secops-responder");
}

/// A user grant kept past its `until` is stale drift.
#[test]
fn a_user_grant_past_until_is_stale_drift() {
    let (_tmp, dir, ir, moto, _) = seeded_example("external-auditor");
    let d = s(&dir);
    let url = moto.url();
    expect(
        &mut accessc(
            &url,
            &["apply", d, "--today", TODAY, "--poll-interval-ms", "20"],
        ),
        0,
    );
    let until = ir.assignments[0].until.expect("a user grant with until");
    // The day after: the checker refuses to plan (A401) but drift reports it.
    let (_, err) = expect(&mut accessc(&url, &["plan", d, "--today", "2099-01-01"]), 1);
    assert!(err.contains("A401"), "{err}");
    let (out, _) = expect(
        &mut accessc(
            &url,
            &["drift", d, "--today", "2099-01-01", "--format", "json"],
        ),
        3,
    );
    let v = json(&out);
    let stale = v["stale_grants"].as_array().expect("stale grants");
    assert_eq!(stale.len(), ir.assignments.len(), "{out}");
    assert_eq!(stale[0]["until"], until.to_string());
    assert_eq!(stale[0]["principal_type"], "USER");
}

/// Fields changed out of band on an owned set are drift, and apply restores
/// them and re-provisions the set on every account.
#[test]
fn an_out_of_band_edit_is_drift_and_apply_restores_and_reprovisions() {
    let (_tmp, dir, ir, moto, _) = seeded_example("app-developer");
    let d = s(&dir);
    let url = moto.url();
    expect(
        &mut accessc(
            &url,
            &["apply", d, "--today", TODAY, "--poll-interval-ms", "20"],
        ),
        0,
    );
    let live = read_live(&url, &ir);
    let set = live.set("AppDeveloper").expect("AppDeveloper").clone();
    let rt = runtime();
    rt.block_on(async {
        let aws = sdk(&url).await;
        aws.sso
            .update_permission_set()
            .instance_arn(&live.instance_arn)
            .permission_set_arn(&set.arn)
            .session_duration("PT12H")
            .send()
            .await
            .expect("edit");
        aws.sso
            .attach_managed_policy_to_permission_set()
            .instance_arn(&live.instance_arn)
            .permission_set_arn(&set.arn)
            .managed_policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
            .send()
            .await
            .expect("attach");
    });
    let (out, _) = expect(
        &mut accessc(&url, &["drift", d, "--today", TODAY, "--format", "json"]),
        3,
    );
    let v = json(&out);
    let changed = &v["changed_sets"][0];
    assert_eq!(changed["name"], "AppDeveloper", "{out}");
    let fields: BTreeSet<&str> = changed["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter_map(|c| c["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        BTreeSet::from(["session_duration", "managed_policy"]),
        "{out}"
    );
    assert!(
        !changed["outdated_accounts"]
            .as_array()
            .expect("outdated")
            .is_empty(),
        "{out}"
    );

    moto.reset_stats();
    let (out, _) = expect(
        &mut accessc(
            &url,
            &["apply", d, "--today", TODAY, "--poll-interval-ms", "20"],
        ),
        0,
    );
    assert!(out.contains("~ session_duration: PT12H -> PT4H"), "{out}");
    assert!(
        out.contains("- managed_policy: arn:aws:iam::aws:policy/AdministratorAccess"),
        "{out}"
    );
    assert!(out.contains("1 re-provisioned"), "{out}");
    let stats = moto.stats();
    assert_eq!(
        stats["calls"]["sso-admin:ProvisionPermissionSet"], 1,
        "{stats}"
    );
    assert!(
        stats["calls"]["sso-admin:DescribePermissionSetProvisioningStatus"].as_u64() >= Some(1),
        "{stats}"
    );
    assert_live_matches(&ir, &read_live(&url, &ir));
}

/// A set that exists live under the program's name but without the ownership
/// tag is never touched, nor are Control Tower's `AWS…` sets.
#[test]
fn unowned_and_control_tower_sets_are_never_touched() {
    let (_tmp, dir, _, moto, seeded) = seeded_example("org-matrix");
    let d = s(&dir);
    let url = moto.url();
    let instance = seeded["instance_arn"]
        .as_str()
        .expect("instance")
        .to_string();
    // The snapshot's identity store is the program's (org from "org.json").
    snapshot_org(&url, &dir);
    let ir = ir_of(&dir, TODAY);
    let rt = runtime();
    let tagged = |k: &str, v: &str| {
        aws_sdk_ssoadmin::types::Tag::builder()
            .key(k)
            .value(v)
            .build()
            .expect("tag")
    };
    let taken = &ir.permission_sets[0].name;
    rt.block_on(async {
        let aws = sdk(&url).await;
        for (name, tags) in [
            (taken.as_str(), vec![tagged("Owner", "someone-else")]),
            (
                "AWSAdministratorAccess",
                vec![tagged("ManagedBy", "accessc")],
            ),
        ] {
            aws.sso
                .create_permission_set()
                .instance_arn(&instance)
                .name(name)
                .session_duration("PT1H")
                .set_tags(Some(tags))
                .send()
                .await
                .expect("create");
        }
    });
    // A blocked set is a change that cannot be applied: plan says so and exits 1.
    let (out, err) = expect(
        &mut accessc(&url, &["plan", d, "--today", TODAY, "--allow-delete"]),
        1,
    );
    assert!(
        out.contains(&format!("! permission set {taken}: blocked")),
        "{out}"
    );
    assert!(!out.contains("AWSAdministratorAccess"), "{out}");
    assert!(!out.contains("No changes"), "{out}");
    assert!(
        out.contains("1 set(s) blocked: they cannot be applied"),
        "{out}"
    );
    assert!(
        err.contains("error: 1 permission set(s) of the source cannot be managed"),
        "{err}"
    );
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
    let plan = json(&out);
    assert_eq!(plan["has_changes"], true, "{out}");
    assert_eq!(plan["can_apply"], false, "{out}");
    assert_eq!(plan["summary"]["blocked"], 1, "{out}");
    for args in [
        &["apply", d, "--today", TODAY, "--allow-delete"][..],
        &["apply", d, "--today", TODAY, "--allow-delete", "--dry-run"][..],
    ] {
        let (out, err) = expect(&mut accessc(&url, args), 1);
        assert!(err.contains("nothing was changed"), "{err}");
        assert!(!out.contains("Nothing to apply"), "{out}");
    }
    let (out, _) = expect(&mut accessc(&url, &["drift", d, "--today", TODAY]), 3);
    assert!(out.contains(" (1 blocked) and "), "{out}");
    let live = read_live(&url, &ir);
    assert_eq!(live.sets.len(), 2, "apply created or deleted something");
    let theirs = live.set(taken).expect("their set");
    assert!(!theirs.owned);
    assert_eq!(theirs.session_duration, "PT1H");
}

/// Writes the live organization as the program's `org.json`.
fn snapshot_org(url: &str, dir: &Path) {
    expect(
        &mut accessc(
            url,
            &["org", "snapshot", s(dir), "-o", s(&dir.join("org.json"))],
        ),
        0,
    );
}

/// The id of the OU at `path` in the IR's organization.
fn ou_id(ir: &Ir, path: &str) -> String {
    ir.org
        .ous
        .iter()
        .find(|o| o.path == path)
        .and_then(|o| o.id.clone())
        .unwrap_or_else(|| panic!("no id for OU {path}"))
}

/// Creates an account named `name` and moves it from the root into the OU
/// `ou` (an id), as a new account joins an OU; its id.
async fn join_new_account(aws: &Aws, name: &str, ou: &str) -> String {
    let made = aws
        .org
        .create_account()
        .account_name(name)
        .email(format!("{name}@example.com"))
        .send()
        .await
        .expect("create account");
    let id = made
        .create_account_status()
        .and_then(|s| s.account_id())
        .expect("account id")
        .to_string();
    let roots = aws.org.list_roots().send().await.expect("roots");
    let root = roots.roots()[0].id().expect("root id").to_string();
    aws.org
        .move_account()
        .account_id(&id)
        .source_parent_id(root)
        .destination_parent_id(ou)
        .send()
        .await
        .expect("move account");
    id
}

/// An account that joins an OU after the snapshot was written: with
/// `--org live` plan shows its assignments and apply makes them; the
/// snapshot alone does not see it, and drift says the snapshot is stale
/// (exit 3).
#[test]
fn an_account_that_joins_an_ou_gets_its_access_with_org_live() {
    let (_tmp, dir, ir, moto, _) = seeded_example("org-matrix");
    let d = s(&dir);
    let url = moto.url();
    snapshot_org(&url, &dir);
    expect(&mut accessc(&url, &["apply", d, "--today", TODAY]), 0);
    // The snapshot is the live organization: no drift.
    expect(&mut accessc(&url, &["drift", d, "--today", TODAY]), 0);

    // A new account joins Workloads/NonProd.
    let nonprod = ou_id(&ir, "Workloads/NonProd");
    let rt = runtime();
    let joined = rt.block_on(async {
        let aws = sdk(&url).await;
        join_new_account(&aws, "app-c-dev", &nonprod).await
    });

    // The snapshot does not know it: nothing to do.
    let (out, _) = expect(
        &mut accessc(&url, &["plan", d, "--today", TODAY, "--format", "json"]),
        0,
    );
    assert_eq!(json(&out)["has_changes"], false, "{out}");

    // Live: its assignments, and only its.
    let (out, _) = expect(
        &mut accessc(
            &url,
            &[
                "plan", d, "--today", TODAY, "--org", "live", "--format", "json",
            ],
        ),
        0,
    );
    let plan = json(&out);
    assert_eq!(plan["has_changes"], true, "{out}");
    // NonProd: AppDeveloper and PowerUser; Workloads: Admin; the root but the
    // management account: BillingViewer.
    assert_eq!(plan["summary"]["assignments_to_create"], 4, "{out}");
    let mut sets = Vec::new();
    for ps in plan["permission_sets"].as_array().expect("sets") {
        for a in ps["create_assignments"].as_array().expect("assignments") {
            assert_eq!(a["account_id"], joined.as_str(), "{out}");
            sets.push(ps["name"].as_str().expect("name").to_string());
        }
    }
    sets.sort();
    assert_eq!(
        sets,
        ["Admin", "AppDeveloper", "BillingViewer", "PowerUser"]
    );
    let (human, _) = expect(
        &mut accessc(&url, &["plan", d, "--today", TODAY, "--org", "live"]),
        0,
    );
    assert!(
        human.contains(&format!(
            "+ assignment: group aws-team-a-engineers -> {joined} (app-c-dev)"
        )),
        "{human}"
    );

    // Drift against the snapshot: stale, exit 3, with what changed.
    let (out, _) = expect(&mut accessc(&url, &["drift", d, "--today", TODAY]), 3);
    assert!(
        out.contains(&format!(
            "  + account app-c-dev ({joined}) joined Workloads/NonProd\n"
        )),
        "{out}"
    );
    assert!(
        out.contains("; the org snapshot is stale (1 difference(s)).\n"),
        "{out}"
    );
    let (out, _) = expect(
        &mut accessc(&url, &["drift", d, "--today", TODAY, "--format", "json"]),
        3,
    );
    let drift = json(&out);
    assert_eq!(
        drift["stale_snapshot"]["accounts_joined"][0]["id"],
        joined.as_str(),
        "{out}"
    );
    assert_eq!(drift["orphan_assignments"], serde_json::json!([]), "{out}");

    // Apply live: the new account gets its access; then nothing is left.
    let (out, _) = expect(
        &mut accessc(
            &url,
            &[
                "apply",
                d,
                "--today",
                TODAY,
                "--org",
                "live",
                "--progress",
                "none",
            ],
        ),
        0,
    );
    assert!(out.contains("4 assignment(s) created"), "{out}");
    let (out, _) = expect(
        &mut accessc(
            &url,
            &[
                "plan", d, "--today", TODAY, "--org", "live", "--format", "json",
            ],
        ),
        0,
    );
    assert_eq!(json(&out)["has_changes"], false, "{out}");
    expect(
        &mut accessc(&url, &["drift", d, "--today", TODAY, "--org", "live"]),
        0,
    );

    // The Sandbox OU goes (its accounts move to the root): the program's
    // grant on Sandbox is an ordinary error against the live organization,
    // and drift lists the removed OU and the moved accounts.
    let sandbox = ir
        .org
        .ous
        .iter()
        .find(|o| o.path == "Sandbox")
        .and_then(|o| o.id.clone())
        .expect("Sandbox id");
    rt.block_on(async {
        let aws = sdk(&url).await;
        let roots = aws.org.list_roots().send().await.expect("roots");
        let root = roots.roots()[0].id().expect("root id").to_string();
        for a in ir.org.accounts.iter().filter(|a| a.ou_path == "Sandbox") {
            aws.org
                .move_account()
                .account_id(&a.id)
                .source_parent_id(&sandbox)
                .destination_parent_id(&root)
                .send()
                .await
                .expect("move account");
        }
        aws.org
            .delete_organizational_unit()
            .organizational_unit_id(&sandbox)
            .send()
            .await
            .expect("delete OU");
    });
    let (_, err) = expect(
        &mut accessc(&url, &["plan", d, "--today", TODAY, "--org", "live"]),
        1,
    );
    assert!(err.contains("`Sandbox`"), "{err}");
    assert!(
        err.contains("error: the program has errors; nothing was changed"),
        "{err}"
    );
    let (out, _) = expect(&mut accessc(&url, &["drift", d, "--today", TODAY]), 3);
    assert!(
        out.contains(&format!("  - OU Sandbox ({sandbox})\n")),
        "{out}"
    );
    assert!(
        out.contains("  ~ account sandbox-a (777777777777) moved from Sandbox to root\n"),
        "{out}"
    );
}

/// After the snapshot, one account is closed (moto's `CloseAccount` leaves
/// it `SUSPENDED`) and another joins an OU. `plan --org live` assigns the
/// joined one and leaves the closed one out, with a note; `plan` from the
/// snapshot warns that the closed account's assignments will fail; `drift`
/// names both changes and exits 3.
#[test]
fn an_account_closed_and_one_joined_after_the_snapshot() {
    let (_tmp, dir, ir, moto, _) = seeded_example("org-matrix");
    let d = s(&dir);
    let url = moto.url();
    snapshot_org(&url, &dir);
    let closed = ir
        .org
        .accounts
        .iter()
        .find(|a| a.name == "sandbox-b")
        .expect("sandbox-b")
        .id
        .clone();
    assert!(ir.assignments.iter().any(|a| a.account_id == closed));
    let nonprod = ou_id(&ir, "Workloads/NonProd");
    let joined = runtime().block_on(async {
        let aws = sdk(&url).await;
        aws.org
            .close_account()
            .account_id(&closed)
            .send()
            .await
            .expect("close account");
        join_new_account(&aws, "app-c-dev", &nonprod).await
    });

    // Live: the joined account is assigned, the closed one left out, noted.
    let (out, err) = expect(
        &mut accessc(
            &url,
            &[
                "plan", d, "--today", TODAY, "--org", "live", "--format", "json",
            ],
        ),
        0,
    );
    let accounts: BTreeSet<String> = json(&out)["permission_sets"]
        .as_array()
        .expect("sets")
        .iter()
        .flat_map(|ps| ps["create_assignments"].as_array().expect("assignments"))
        .map(|a| a["account_id"].as_str().expect("id").to_string())
        .collect();
    assert!(accounts.contains(&joined), "{out}");
    assert!(!accounts.contains(&closed), "{out}");
    assert!(
        err.contains(
            "note: 1 suspended or closed account(s) get no assignments: sandbox-b (SUSPENDED)"
        ),
        "{err}"
    );

    // From the snapshot: the closed account's assignments are planned, with
    // a warning that they will fail and what to do.
    let (out, err) = expect(&mut accessc(&url, &["plan", d, "--today", TODAY]), 0);
    assert!(out.contains(&format!("-> {closed}")), "{out}");
    assert!(
        err.contains(&format!(
            "warning: the live organization has account sandbox-b ({closed}) SUSPENDED, but the org snapshot `org.json` has it ACTIVE: its "
        )) && err.contains("plan and apply with `--org live`"),
        "{err}"
    );

    // Drift: the snapshot is stale, naming both accounts.
    let (out, _) = expect(&mut accessc(&url, &["drift", d, "--today", TODAY]), 3);
    assert!(
        out.contains(&format!(
            "  + account app-c-dev ({joined}) joined Workloads/NonProd\n"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "  ~ account sandbox-b ({closed}) in Sandbox is SUSPENDED (was ACTIVE): its assignments fail\n"
        )),
        "{out}"
    );
    assert!(
        out.contains("; the org snapshot is stale (2 difference(s)).\n"),
        "{out}"
    );
}

/// `--org live` replaces a snapshot's tree: a program with an inline org,
/// or none, is a usage error before anything is read.
#[test]
fn org_live_needs_an_org_snapshot() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("app-developer");
    copy_dir(&peers::root().join("examples/app-developer"), &dir);
    let moto = Moto::start("999999999999");
    let (_, err) = expect(
        &mut accessc(
            &moto.url(),
            &["plan", s(&dir), "--today", TODAY, "--org", "live"],
        ),
        2,
    );
    assert!(
        err.contains(
            "error: --org live replaces the OUs and accounts of an `org from \"FILE\"` snapshot"
        ),
        "{err}"
    );
    assert_eq!(moto.stats()["total"], 0, "a request was sent");
}

/// A closed account: `org snapshot` records the state AWS Organizations
/// reports (moto's `CloseAccount` leaves it `SUSPENDED`) and only that
/// account's; the program then leaves it out of every `root` and OU grant, the
/// IR carries its `status`, `build` notes it, and plan creates no assignment
/// in it.
#[test]
fn a_closed_account_is_recorded_and_gets_no_assignment() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("org-matrix");
    copy_dir(&peers::root().join("examples/org-matrix"), &dir);
    let d = s(&dir);
    let seeded = ir_of(&dir, TODAY);
    let closed = seeded
        .org
        .accounts
        .iter()
        .find(|a| a.name == "sandbox-b")
        .expect("sandbox-b")
        .id
        .clone();
    assert!(
        seeded.assignments.iter().any(|a| a.account_id == closed),
        "the example grants in sandbox-b"
    );
    let moto = Moto::start(
        seeded
            .org
            .management_account_id
            .as_deref()
            .unwrap_or("123456789012"),
    );
    let url = moto.url();
    moto.seed_from_ir(&seeded, &[]);
    runtime().block_on(async {
        let aws = sdk(&url).await;
        aws.org
            .close_account()
            .account_id(&closed)
            .send()
            .await
            .expect("close account");
    });
    snapshot_org(&url, &dir);
    let snap = json(&std::fs::read_to_string(dir.join("org.json")).expect("snapshot"));
    let mut states = Vec::new();
    fn walk(v: &Value, out: &mut Vec<(String, Value)>) {
        for a in v["accounts"].as_array().into_iter().flatten() {
            out.push((
                a["id"].as_str().unwrap_or_default().to_string(),
                a["status"].clone(),
            ));
        }
        for o in v["ous"].as_array().into_iter().flatten() {
            walk(o, out);
        }
    }
    walk(&snap, &mut states);
    assert_eq!(states.len(), seeded.org.accounts.len());
    for (id, status) in &states {
        if *id == closed {
            assert_eq!(status, "SUSPENDED", "{snap}");
        } else {
            assert!(status.is_null(), "ACTIVE is not written: {id} {status}");
        }
    }

    let ir = ir_of(&dir, TODAY);
    let acct = ir
        .org
        .accounts
        .iter()
        .find(|a| a.id == closed)
        .expect("closed account");
    assert_eq!(acct.status.as_deref(), Some("SUSPENDED"));
    assert!(!ir.assignments.iter().any(|a| a.account_id == closed));
    assert!(ir.assignments.len() < seeded.assignments.len());

    let out = tmp.path().join("out");
    let (_, err) = expect(
        peers::accessc().args([
            "build",
            d,
            "--target",
            "ir",
            "-o",
            s(&out),
            "--today",
            TODAY,
        ]),
        0,
    );
    assert!(
        err.contains(
            "note: 1 suspended or closed account(s) get no assignments: sandbox-b (SUSPENDED)"
        ),
        "{err}"
    );

    let (plan, _) = expect(
        &mut accessc(&url, &["plan", d, "--today", TODAY, "--format", "json"]),
        0,
    );
    let plan = json(&plan);
    assert_eq!(
        plan["summary"]["assignments_to_create"],
        ir.assignments.len()
    );
}
