//! `accessc build --target aws-config`: one `~/.aws/config` per group and
//! user, snapshotted on every example, read back by Python's configparser and
//! by botocore's own profile loader: every profile has the fields
//! `aws configure sso` writes, and resolves to its sso-session.

#[path = "support/peers.rs"]
mod peers;

use accessc_core::ir::{Ir, PrincipalType};
use peers::{accessc, files_with_ext, root, run, venv_bin};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const TODAY: &str = "2026-12-01";
const STORE: &str = "d-1234567890";

fn s(p: &Path) -> &str {
    p.to_str().expect("utf8 path")
}

/// A copy of `example` in `dir` with the identity store (and, when the
/// example has none, the Region) given in `instance { }`.
fn with_instance(example: &Path, dir: &Path) -> PathBuf {
    let to = dir.join(example.file_name().expect("name"));
    std::fs::create_dir_all(&to).expect("mkdir");
    let mut has_instance = false;
    for e in std::fs::read_dir(example).expect("read").flatten() {
        let p = e.path();
        if !p.is_file() {
            continue;
        }
        let mut text = std::fs::read_to_string(&p).expect("read");
        if text.contains("\ninstance {") || text.starts_with("instance {") {
            has_instance = true;
            text = text.replacen(
                "instance {",
                &format!("instance {{\n  identity_store \"{STORE}\""),
                1,
            );
        }
        std::fs::write(to.join(e.file_name()), text).expect("write");
    }
    if !has_instance {
        std::fs::write(
            to.join("instance.access"),
            format!("instance {{\n  identity_store \"{STORE}\"\n  region \"eu-west-1\"\n}}\n"),
        )
        .expect("write");
    }
    to
}

fn build(program: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "build",
        s(program),
        "--target",
        "aws-config",
        "-o",
        s(out),
        "--today",
        TODAY,
    ];
    args.extend(extra);
    run(accessc().args(args), None)
}

/// Every file under `dir`, as `== path ==` and its text.
fn listing(dir: &Path) -> String {
    let mut text = String::new();
    for f in files_with_ext(dir, "config") {
        let rel = f.strip_prefix(dir).expect("inside");
        text.push_str(&format!("== {} ==\n", rel.display()));
        text.push_str(&std::fs::read_to_string(&f).expect("read"));
    }
    text
}

#[test]
fn aws_config_is_snapshotted_for_every_example() {
    insta::with_settings!({snapshot_path => "snapshots/aws-config", prepend_module_to_snapshot => false, omit_expression => true}, {
        insta::glob!("../examples", "?*", |ex| {
            if !ex.is_dir() {
                return;
            }
            let tmp = tempfile::tempdir().expect("tmp");
            // As it is: the examples give no identity store, so the build says what to add.
            let out = build(ex, &tmp.path().join("as-is"), &[]);
            let mut text = format!(
                "# as it is: exit {:?}\n{}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
                    .replace(s(tmp.path()), "$TMP")
                    .replace(env!("CARGO_MANIFEST_DIR"), "$ROOT")
            );
            // With the identity store given.
            let prog = with_instance(ex, tmp.path());
            let dir = tmp.path().join("out");
            let out = build(&prog, &dir, &[]);
            assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
            text.push_str("\n# with `identity_store` in `instance { }`\n");
            text.push_str(&listing(&dir));
            insta::assert_snapshot!("aws-config", text);
        });
    });
}

/// What botocore and configparser make of every file of `dir`.
fn load(dir: &Path) -> (Vec<PathBuf>, Value) {
    let files = files_with_ext(dir, "config");
    assert!(!files.is_empty());
    let out = run(
        std::process::Command::new(venv_bin("python"))
            .arg(root().join("tests/aws_config/load.py"))
            .args(&files),
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (files, serde_json::from_slice(&out.stdout).expect("json"))
}

fn ir_of(program: &Path, dir: &Path) -> Ir {
    let out = run(
        accessc().args([
            "build",
            s(program),
            "--target",
            "ir",
            "-o",
            s(dir),
            "--today",
            TODAY,
        ]),
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&std::fs::read(dir.join("accessc.ir.json")).expect("ir")).expect("ir")
}

/// Checks every file against the IR: one profile per (account, permission
/// set) of its principal, with every field `aws configure sso` writes, and
/// botocore resolving its sso-session.
fn check_against_ir(ir: &Ir, dir: &Path, start_url: &str, region: &str) {
    let (files, loaded) = load(dir);
    let mut principals_seen = BTreeSet::new();
    for f in &files {
        let rel = f.strip_prefix(dir).expect("inside");
        let kind = match rel.parent().and_then(|p| p.to_str()) {
            Some("groups") => PrincipalType::Group,
            Some("users") => PrincipalType::User,
            other => panic!("unexpected folder {other:?}"),
        };
        let name = rel.file_stem().and_then(|n| n.to_str()).expect("name");
        principals_seen.insert((kind, name.to_string()));
        let want: BTreeSet<(String, String)> = ir
            .assignments
            .iter()
            .filter(|a| a.principal_type == kind && a.principal == name)
            .map(|a| (a.account_id.to_string(), a.permission_set.to_string()))
            .collect();
        let got = &loaded[s(f)];
        let session = &got["sso_sessions"][STORE];
        assert_eq!(session["sso_start_url"], start_url, "{rel:?}");
        assert_eq!(session["sso_region"], region, "{rel:?}");
        assert_eq!(
            session["sso_registration_scopes"], "sso:account:access",
            "{rel:?}"
        );
        let sections = got["sections"].as_object().expect("sections");
        assert!(sections.contains_key(&format!("sso-session {STORE}")));
        let profiles = got["profiles"].as_object().expect("profiles");
        assert_eq!(
            profiles.len(),
            want.len(),
            "{rel:?}: one profile per assignment"
        );
        assert_eq!(sections.len(), want.len() + 1, "{rel:?}");
        let mut have = BTreeSet::new();
        for (profile, p) in profiles {
            let scoped = &p["scoped"];
            for key in [
                "sso_session",
                "sso_account_id",
                "sso_role_name",
                "region",
                "output",
            ] {
                assert!(scoped.get(key).is_some(), "{rel:?} {profile}: no {key}");
            }
            assert_eq!(scoped["sso_session"], STORE);
            assert_eq!(scoped["region"], region);
            // botocore's SSO provider resolves the session's URL and Region.
            let sso = &p["sso"];
            assert_eq!(sso["sso_start_url"], start_url, "{profile}");
            assert_eq!(sso["sso_region"], region, "{profile}");
            assert_eq!(sso["sso_account_id"], scoped["sso_account_id"]);
            assert_eq!(sso["sso_role_name"], scoped["sso_role_name"]);
            // The section configparser read is the same profile.
            assert_eq!(
                sections[&format!("profile {profile}")]["sso_role_name"],
                scoped["sso_role_name"]
            );
            have.insert((
                scoped["sso_account_id"].as_str().expect("id").to_string(),
                scoped["sso_role_name"].as_str().expect("role").to_string(),
            ));
        }
        assert_eq!(have, want, "{rel:?}");
    }
    let with_access: BTreeSet<(PrincipalType, String)> = ir
        .assignments
        .iter()
        .map(|a| (a.principal_type, a.principal.to_string()))
        .collect();
    assert_eq!(
        principals_seen, with_access,
        "one file per principal with access"
    );
}

#[test]
fn botocore_loads_every_profile_of_every_example() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut examples: Vec<_> = std::fs::read_dir(root().join("examples"))
        .expect("examples")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    examples.sort();
    for ex in examples {
        let name = ex.file_name().expect("name").to_string_lossy().to_string();
        let work = tmp.path().join(&name);
        let prog = with_instance(&ex, &work);
        let ir = ir_of(&prog, &work.join("ir"));
        let dir = work.join("aws-config");
        let out = build(&prog, &dir, &[]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let region = ir.instance.region.clone().expect("region");
        check_against_ir(
            &ir,
            &dir,
            &format!("https://{STORE}.awsapps.com/start"),
            &region,
        );
    }
}

#[test]
fn botocore_loads_a_generated_organization_with_a_template() {
    let tmp = tempfile::tempdir().expect("tmp");
    let prog = tmp.path().join("org");
    let mut argv = vec![
        std::ffi::OsString::from("accessc-gen-org"),
        "-o".into(),
        prog.clone().into(),
    ];
    argv.extend(
        [
            "--accounts",
            "60",
            "--ous",
            "20",
            "--functions",
            "20",
            "--groups",
            "40",
            "--users",
            "5",
            "--grants",
            "150",
        ]
        .map(std::ffi::OsString::from),
    );
    accessc_bench::generate_from(argv).expect("gen-org");
    let ir = ir_of(&prog, &tmp.path().join("ir"));
    let dir = tmp.path().join("aws-config");
    let out = build(
        &prog,
        &dir,
        &["--profile-name-template", "{account_id}.{permission_set}"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let store = ir.instance.identity_store_id.clone().expect("store");
    // The generated organization has its own store id: read it back with that.
    let (files, loaded) = load(&dir);
    assert!(files.iter().any(|f| f.starts_with(dir.join("users"))));
    for f in &files {
        let got = &loaded[s(f)];
        for (profile, p) in got["profiles"].as_object().expect("profiles") {
            let (id, role) = profile.split_once('.').expect("template");
            assert_eq!(p["scoped"]["sso_account_id"], id);
            assert_eq!(p["scoped"]["sso_role_name"], role);
            assert_eq!(
                p["sso"]["sso_start_url"],
                format!("https://{store}.awsapps.com/start")
            );
        }
    }
}

#[test]
fn bad_templates_and_missing_settings_are_refused() {
    let tmp = tempfile::tempdir().expect("tmp");
    let ex = root().join("examples/org-matrix");
    for bad in [
        "{account}",
        "{account}-{fn}",
        "{account} {function}",
        "{account}]\n[x-{function}",
    ] {
        let out = build(
            &ex,
            &tmp.path().join("bad"),
            &["--profile-name-template", bad],
        );
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
    // No Region: exit 1, the message names the setting, nothing is written.
    let out = build(&ex, &tmp.path().join("none"), &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("in `instance { }`"), "{err}");
    assert!(!tmp.path().join("none").exists());
}

#[test]
fn a_second_build_replaces_only_its_own_files() {
    let tmp = tempfile::tempdir().expect("tmp");
    let prog = with_instance(&root().join("examples/org-matrix"), tmp.path());
    let dir = tmp.path().join("out");
    assert_eq!(build(&prog, &dir, &[]).status.code(), Some(0));
    let mine = dir.join("groups/mine.config");
    std::fs::write(&mine, "[profile mine]\n").expect("write");
    let out = build(&prog, &dir, &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&mine).expect("read"),
        "[profile mine]\n"
    );
    // With another target, into a folder of its own.
    let both = tmp.path().join("both");
    let out = run(
        accessc().args([
            "build",
            s(&prog),
            "--target",
            "ir,aws-config",
            "-o",
            s(&both),
            "--today",
            TODAY,
        ]),
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(both.join("aws-config/groups").is_dir());
    assert!(both.join("ir/accessc.ir.json").is_file());
}

#[test]
fn a_start_url_in_the_instance_is_the_portal_of_every_profile() {
    let tmp = tempfile::tempdir().expect("tmp");
    let prog = tmp.path().join("p");
    std::fs::create_dir_all(&prog).expect("mkdir");
    for e in std::fs::read_dir(root().join("examples/app-developer"))
        .expect("read")
        .flatten()
    {
        std::fs::copy(e.path(), prog.join(e.file_name())).expect("copy");
    }
    let url = "https://my-company.awsapps.com/start";
    std::fs::write(
        prog.join("instance.access"),
        format!("instance {{\n  region \"eu-west-1\"\n  start_url \"{url}\"\n}}\n"),
    )
    .expect("write");
    let dir = tmp.path().join("out");
    let out = build(&prog, &dir, &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (files, loaded) = load(&dir);
    for f in &files {
        let got = &loaded[s(f)];
        // No identity store: the session is named after the portal's host.
        assert_eq!(got["sso_sessions"]["my-company"]["sso_start_url"], url);
        for (profile, p) in got["profiles"].as_object().expect("profiles") {
            assert_eq!(p["sso"]["sso_start_url"], url, "{profile}");
            assert_eq!(p["scoped"]["sso_session"], "my-company", "{profile}");
        }
    }
    // The IR carries it.
    let ir = ir_of(&prog, &tmp.path().join("ir"));
    assert_eq!(ir.instance.start_url.as_deref(), Some(url));
}
