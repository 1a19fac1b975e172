//! `accessc build`: the IR is deterministic and complete, a failing build
//! writes nothing, and an output directory keeps every file accessc did not write.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn accessc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_accessc"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run accessc")
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf8 path")
}

/// One snapshot per example, `snapshots/ir/ir@<example>.snap`; every example
/// is built and every mismatch reported, not only the first.
#[test]
fn ir_is_deterministic_and_snapshotted() {
    insta::with_settings!({snapshot_path => "snapshots/ir", prepend_module_to_snapshot => false, omit_expression => true}, {
        // `?*`, not `*`: the empty path is the examples directory itself.
        insta::glob!("../examples", "?*", |ex| {
            if !ex.is_dir() {
                return;
            }
            let a = tempfile::tempdir().expect("tmp");
            let b = tempfile::tempdir().expect("tmp");
            for d in [&a, &b] {
                let out = build(ex, "ir", d.path());
                assert_eq!(
                    out.status.code(),
                    Some(0),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            let ja = std::fs::read(a.path().join("accessc.ir.json")).expect("ir");
            let jb = std::fs::read(b.path().join("accessc.ir.json")).expect("ir");
            assert_eq!(ja, jb, "{}: two builds differ", ex.display());
            let text = String::from_utf8(ja).expect("utf8");
            let ir: accessc_core::ir::Ir = serde_json::from_str(&text).expect("the IR reads back");
            assert_eq!(ir.format, accessc_core::ir::IR_FORMAT);
            insta::assert_snapshot!("ir", text);
        });
    });
}

#[test]
fn ir_contents_match_the_program() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = build(&root().join("examples/secops-responder"), "ir", dir.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ir: accessc_core::ir::Ir = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("accessc.ir.json")).expect("read"),
    )
    .expect("ir");
    let ps = ir
        .permission_set("SecOpsResponder")
        .expect("the permission set");
    assert_eq!(ps.session_duration.to_iso8601(), "PT2H");
    assert_eq!(
        ps.managed_policies,
        ["arn:aws:iam::aws:policy/SecurityAudit"]
    );
    assert_eq!(
        ps.customer_managed_policies[0].name,
        "SecOpsResponderActions"
    );
    assert_eq!(ps.customer_managed_policies[0].path, "/security/");
    assert!(ps
        .tags
        .iter()
        .any(|t| t.key == "ManagedBy" && t.value == "accessc"));
    // The per-OU policy has one deployment per body, each targeting its OU.
    let bodies: Vec<(&str, &Vec<accessc_core::ir::DeploymentTarget>)> = ir
        .customer_managed_policies
        .iter()
        .filter(|c| c.name == "SecOpsResponderActions")
        .map(|c| (c.body.as_str(), &c.targets))
        .collect();
    assert_eq!(bodies.len(), 2);
    assert!(bodies.iter().any(|(b, t)| *b == "Security"
        && t[0].ou_ids == [accessc_core::ir::OrgUnitRef::Id("ou-ab12-44444444".into())]));
    // No assignment reaches the management account, every one names a real account.
    for a in &ir.assignments {
        assert_ne!(
            Some(a.account_id.as_str()),
            ir.org.management_account_id.as_deref()
        );
        assert!(ir.account_name(&a.account_id).is_some());
    }
}

#[test]
fn cmp_targets_reach_exactly_their_accounts() {
    let dir = tempfile::tempdir().expect("tmp");
    let program = r#"
org {
  root "r-ab12"
  management "999999999999"
  ou Workloads "ou-ab12-11111111" {
    account loose "777777777777"
    ou NonProd "ou-ab12-22222222" { account dev "111111111111" }
    ou Prod "ou-ab12-33333333" { account prod "333333333333" }
  }
  ou Security "ou-ab12-44444444" { account audit "444444444444" }
  account sandbox "888888888888"
  account management "999999999999"
}
group ops
managed_policy Ops {
  path "/ops/"
  allow s3:GetObject on *
  in Workloads/Prod { allow s3:ListBucket on * }
}
function Operator {
  customer Ops
  boundary PowerUserAccess
}
grant Operator to ops on Workloads, Security, account sandbox
"#;
    std::fs::write(dir.path().join("main.access"), program).expect("write");
    let out_dir = dir.path().join("out");
    let out = build(dir.path(), "ir", &out_dir);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ir: accessc_core::ir::Ir = serde_json::from_str(
        &std::fs::read_to_string(out_dir.join("accessc.ir.json")).expect("read"),
    )
    .expect("ir");
    let default = ir
        .customer_managed_policies
        .iter()
        .find(|c| c.body == accessc_core::ir::PolicyBody::Default)
        .expect("default body");
    // Every account but Prod's and the management account's.
    assert_eq!(
        default.account_ids,
        [
            "111111111111",
            "444444444444",
            "777777777777",
            "888888888888"
        ]
    );
    let t = serde_json::to_value(&default.targets).expect("json");
    assert_eq!(
        t,
        serde_json::json!([
            {"ou_ids": ["r-ab12"], "account_ids": ["888888888888"]},
            {"ou_ids": ["ou-ab12-11111111"], "account_ids": ["777777777777"]},
            {"ou_ids": ["ou-ab12-22222222"]},
            {"ou_ids": ["ou-ab12-44444444"]}
        ])
    );
    let prod = ir
        .customer_managed_policies
        .iter()
        .find(|c| c.body.ou_path() == Some("Workloads/Prod"))
        .expect("prod body");
    assert_eq!(prod.account_ids, ["333333333333"]);
    assert_eq!(
        serde_json::to_value(&prod.targets).expect("json"),
        serde_json::json!([{"ou_ids": ["ou-ab12-33333333"]}])
    );
}

#[test]
fn failing_build_writes_nothing_and_foreign_files_survive() {
    let dir = tempfile::tempdir().expect("tmp");
    let src = dir.path().join("src");
    std::fs::create_dir(&src).expect("mkdir");
    let good = "org {\n  management \"999999999999\"\n  ou W \"ou-ab12-11111111\" { account a \"111111111111\" }\n  account management \"999999999999\"\n}\ngroup g\nfunction F {\n  session 2h\n  boundary PowerUserAccess\n}\ngrant F to g on W\n";
    std::fs::write(src.join("main.access"), good).expect("write");
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).expect("mkdir");
    std::fs::write(out_dir.join("README.txt"), "mine").expect("write");
    let out = build(&src, "ir", &out_dir);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ir_path = out_dir.join("accessc.ir.json");
    let first = std::fs::read(&ir_path).expect("ir");
    // A broken program: exit 1 and the previous output is untouched.
    std::fs::write(
        src.join("main.access"),
        good.replace("session 2h", "session 13h"),
    )
    .expect("write");
    let out = build(&src, "ir", &out_dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("A202"));
    assert_eq!(std::fs::read(&ir_path).expect("ir"), first);
    assert_eq!(
        std::fs::read_to_string(out_dir.join("README.txt")).expect("mine"),
        "mine"
    );
    // A file of the same name accessc did not write is never overwritten.
    let other = dir.path().join("other");
    std::fs::create_dir(&other).expect("mkdir");
    std::fs::write(other.join("accessc.ir.json"), "hand-written").expect("write");
    std::fs::write(src.join("main.access"), good).expect("write");
    let out = build(&src, "ir", &other);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(other.join("accessc.ir.json")).expect("read"),
        "hand-written"
    );
}

/// The file names of these tests' outputs.
const YAML: accessc_core::output::Kinds = accessc_core::output::Kinds::new(&[], &[".yaml"]);

#[test]
fn manifest_removes_only_stale_files_accessc_wrote() {
    use accessc_core::emit::OutFile;
    use accessc_core::output::write_files;
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("notes.md"), "keep").expect("write");
    let r = write_files(
        dir.path(),
        YAML,
        &[OutFile::new("a.yaml", "a"), OutFile::new("b.yaml", "b")],
    )
    .expect("write");
    assert_eq!(r.written, ["a.yaml", "b.yaml"]);
    let r = write_files(dir.path(), YAML, &[OutFile::new("a.yaml", "a")]).expect("write");
    assert_eq!(r.unchanged, ["a.yaml"]);
    assert_eq!(r.removed, ["b.yaml"]);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("notes.md")).expect("keep"),
        "keep"
    );
    // Only plain file names of the target's kinds are written.
    for bad in [
        "../escape.yaml",
        "stacks/b.yaml",
        "/tmp/x.yaml",
        ".hidden.yaml",
        "notes.md",
    ] {
        assert!(
            write_files(dir.path(), YAML, &[OutFile::new(bad, "x")]).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn an_interrupted_streaming_write_is_finished_by_the_next_build() {
    use accessc_core::output::OutputWriter;
    let dir = tempfile::tempdir().expect("tmp");
    let paths = || vec!["a.yaml".to_string(), "b.yaml".to_string()];
    // The first build writes one file and stops (killed before `finish`).
    let mut w = OutputWriter::begin(dir.path(), YAML, paths()).expect("begin");
    w.write("a.yaml", "a").expect("write");
    assert!(
        w.write("c.yaml", "c").is_err(),
        "an unannounced path is refused"
    );
    assert!(w.write("a.yaml", "a").is_err(), "a path is written once");
    drop(w);
    let manifest =
        std::fs::read_to_string(dir.path().join(accessc_core::output::MANIFEST)).expect("manifest");
    assert!(
        manifest
            .lines()
            .any(|l| l == accessc_core::output::STATE_INCOMPLETE),
        "the stopped build is marked: {manifest}"
    );
    // The manifest already claimed both names, so the re-run replaces them
    // instead of refusing them as files accessc did not write.
    let mut w = OutputWriter::begin(dir.path(), YAML, paths()).expect("re-run");
    w.write("a.yaml", "a").expect("write a");
    w.write("b.yaml", "b").expect("write b");
    let r = w.finish().expect("finish");
    assert_eq!(r.unchanged, ["a.yaml"]);
    assert_eq!(r.written, ["b.yaml"]);
    let manifest =
        std::fs::read_to_string(dir.path().join(accessc_core::output::MANIFEST)).expect("manifest");
    assert!(manifest.ends_with("a.yaml\nb.yaml\n"), "{manifest}");
    assert!(
        manifest
            .lines()
            .any(|l| l == accessc_core::output::STATE_COMPLETE),
        "{manifest}"
    );
    // A build that announces a file and never writes it fails at `finish`.
    let w = OutputWriter::begin(dir.path(), YAML, paths()).expect("begin");
    assert!(w.finish().is_err());
}

#[test]
fn one_grant_edit_only_adds_that_grants_lines() {
    let dir = tempfile::tempdir().expect("tmp");
    let src = dir.path().join("src");
    std::fs::create_dir(&src).expect("mkdir");
    let ex = root().join("examples/org-matrix");
    for e in std::fs::read_dir(&ex).expect("example") {
        let p = e.expect("entry").path();
        if p.is_file() {
            std::fs::copy(&p, src.join(p.file_name().expect("name"))).expect("copy");
        }
    }
    let build_ir = |out: &Path| {
        let o = build(&src, "ir", out);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        std::fs::read_to_string(out.join("accessc.ir.json")).expect("ir")
    };
    let before = build_ir(&dir.path().join("a"));
    let grants = src.join("grants.access");
    let mut text = std::fs::read_to_string(&grants).expect("grants");
    text.push_str("\ngrant AppDeveloper to aws-team-a-leads on Workloads/NonProd\n");
    std::fs::write(&grants, text).expect("write");
    let after = build_ir(&dir.path().join("b"));
    assert_ne!(before, after, "the edit changed nothing");
    // Every line of the old IR is still there, in order: the edit only inserted lines.
    let old: Vec<&str> = before.lines().collect();
    let new: Vec<&str> = after.lines().collect();
    let mut i = 0;
    for line in &new {
        if i < old.len() && *line == old[i] {
            i += 1;
        }
    }
    assert_eq!(i, old.len(), "the edit changed or removed existing lines");
    let added = new.len() - old.len();
    assert!(added > 0 && added < 40, "{added} lines added for one grant");
}

/// Every file under `dir`, relative path → bytes.
fn tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).expect("under dir");
                out.insert(
                    rel.to_string_lossy().to_string(),
                    std::fs::read(&p).expect("read"),
                );
            }
        }
    }
    out
}

fn build(src: &Path, target: &str, out: &Path) -> Output {
    accessc(&[
        "build",
        s(src),
        "--target",
        target,
        "-o",
        s(out),
        "--today",
        "2026-11-28",
    ])
}

#[test]
fn several_targets_share_one_build_and_write_a_folder_each() {
    let ex = root().join("examples/org-matrix");
    let all = tempfile::tempdir().expect("tmp");
    let out = build(&ex, "cfn,ir,terraform,ir", all.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut dirs: Vec<String> = std::fs::read_dir(all.path())
        .expect("out")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .collect();
    dirs.sort();
    assert_eq!(dirs, ["cfn", "ir", "terraform"]);
    for target in ["ir", "cfn", "terraform"] {
        let one = tempfile::tempdir().expect("tmp");
        let out = build(&ex, target, one.path());
        assert_eq!(out.status.code(), Some(0), "{target}");
        assert_eq!(
            tree(&all.path().join(target)),
            tree(one.path()),
            "--target {target} alone writes the same files"
        );
    }
}

#[test]
fn several_targets_write_nothing_when_one_refuses() {
    // The checker only warns (A502) on this program; the guard rules of the
    // CloudFormation backend refuse it.
    let src = root().join("crates/accessc-core/tests/corpus/A502-allow-star-inline.access");
    let dir = tempfile::tempdir().expect("tmp");
    let out = build(&src, "ir,terraform,cfn", dir.path());
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("accessc_no_star_on_star_outside_break_glass"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert!(tree(dir.path()).is_empty(), "nothing was written");

    // A foreign file in one target's folder: refused before any is written.
    let ex = root().join("examples/org-matrix");
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::create_dir(dir.path().join("terraform")).expect("mkdir");
    std::fs::write(dir.path().join("terraform/main.tf"), "# mine\n").expect("write");
    let out = build(&ex, "cfn,ir,terraform", dir.path());
    assert_eq!(out.status.code(), Some(2));
    let files = tree(dir.path());
    assert_eq!(
        files.keys().collect::<Vec<_>>(),
        ["terraform/main.tf"],
        "only the foreign file is there"
    );
}

/// `--max-concurrent-assignments` takes 1 to 15 (anything else is a usage
/// error that writes nothing) and sets the chains and the deploy order.
#[test]
fn max_concurrent_assignments_is_bounded_and_used() {
    let ex = root().join("examples/org-matrix");
    let run = |n: &str, out: &Path| {
        accessc(&[
            "build",
            s(&ex),
            "--target",
            "cfn",
            "-o",
            s(out),
            "--today",
            "2026-11-28",
            "--max-concurrent-assignments",
            n,
        ])
    };
    let dir = tempfile::tempdir().expect("tmp");
    for bad in ["0", "16", "ten"] {
        let out = dir.path().join(format!("bad{bad}"));
        let o = run(bad, &out);
        assert_eq!(o.status.code(), Some(2), "{bad}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("--max-concurrent-assignments"), "{bad}: {err}");
        assert!(!out.exists(), "{bad}: something was written");
    }
    let out = dir.path().join("three");
    let o = run("3", &out);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let order: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("deploy-order.json")).expect("deploy order"),
    )
    .expect("json");
    assert_eq!(order["max_concurrent_assignments"], 3);
    assert_eq!(order["stages"][2]["max_parallel_stacks"], 5);
    let md = std::fs::read_to_string(out.join("DEPLOY.md")).expect("DEPLOY.md");
    assert!(
        md.contains("**at most 5** stacks of this stage at a time"),
        "{md}"
    );
    // No assignment stack starts more than three assignments.
    let mut stacks = 0;
    for e in std::fs::read_dir(out.join("templates"))
        .expect("out/templates")
        .flatten()
    {
        let name = e.file_name().to_string_lossy().to_string();
        if !name.starts_with("assignments-") {
            continue;
        }
        stacks += 1;
        let text = std::fs::read_to_string(e.path()).expect("template");
        let resources = text.matches("Type: AWS::SSO::Assignment").count();
        let chained = text.matches("DependsOn: ").count();
        assert!(resources - chained <= 3, "{name}: {resources} - {chained}");
        assert!(resources < 3 || resources - chained >= 1, "{name}");
    }
    assert!(stacks > 0, "no assignment template in out/templates");
}

/// `--name-prefix` names the stacks of the deploy order and is the default
/// of both backends' prefix; a prefix AWS would refuse in a stack, StackSet
/// or export name is a usage error that writes nothing.
#[test]
fn name_prefix_is_validated_and_names_both_backends() {
    let ex = root().join("examples/break-glass");
    let run = |prefix: &str, out: &Path| {
        accessc(&[
            "build",
            s(&ex),
            "--target",
            "cfn,terraform",
            "-o",
            s(out),
            "--today",
            "2026-11-28",
            "--name-prefix",
            prefix,
        ])
    };
    let dir = tempfile::tempdir().expect("tmp");
    let long = "a".repeat(32);
    for (i, bad) in ["", "7up", "a_b", "a b", "team-", "a--b", "a/b", "é", &long]
        .into_iter()
        .enumerate()
    {
        let out = dir.path().join(format!("bad{i}"));
        let o = run(bad, &out);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{bad:?}: {err}");
        assert!(err.contains("--name-prefix"), "{bad:?}: {err}");
        assert!(err.contains("the name prefix"), "{bad:?}: {err}");
        assert!(!err.contains("panicked"), "{bad:?}: {err}");
        assert!(!out.exists(), "{bad:?}: something was written");
    }
    let out = dir.path().join("good");
    let o = run("Prod-eu1", &out);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let cfn = out.join("cfn");
    let order: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(cfn.join("deploy-order.json")).expect("deploy order"),
    )
    .expect("json");
    assert_eq!(order["name_prefix"], "Prod-eu1");
    let mut stacks = 0;
    for stage in order["stages"].as_array().expect("stages") {
        for stack in stage["stacks"].as_array().expect("stacks") {
            let name = stack["stack_name"].as_str().expect("name");
            assert!(name.starts_with("Prod-eu1-"), "{name}");
            let template = stack["template"].as_str().expect("template");
            assert!(template.starts_with("templates/"), "{template}");
            let text = std::fs::read_to_string(cfn.join(template)).expect("template");
            assert!(text.contains("Default: Prod-eu1\n"), "{template}");
            stacks += 1;
        }
    }
    assert!(stacks >= 2, "{order}");
    let md = std::fs::read_to_string(cfn.join("DEPLOY.md")).expect("DEPLOY.md");
    assert!(
        md.contains("--stack-name Prod-eu1-permission-sets --template-file templates/permission-sets.template.yaml"),
        "{md}"
    );
    assert!(!md.contains("accessc-permission-sets"), "{md}");
    let variables =
        std::fs::read_to_string(out.join("terraform/variables.tf")).expect("variables.tf");
    assert!(variables.contains("\"Prod-eu1-\""), "{variables}");
}
