//! The Terraform backend against HashiCorp's own tools: every example and
//! every clean corpus program builds; every file parses with HashiCorp's HCL
//! parser (`@cdktf/hcl2json`); `terraform fmt -check` finds nothing to change;
//! checkov finds nothing beyond the findings `docs/terraform.md` accepts. The
//! examples' output is an insta snapshot; output is deterministic and a new
//! grant only adds lines; the guide's section 5.2 sample comes out as the
//! guide writes it.

#[path = "support/peers.rs"]
mod peers;

use accessc_core::emit::terraform::{emit_terraform, fmt};
use accessc_core::emit::OutFile;
use accessc_core::ir::*;
use accessc_core::load::{load_texts, Program};
use accessc_core::{check, load, CheckOptions, RealFs, Today};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const TODAY: &str = "2026-11-28";

/// The checkov findings the output keeps on purpose — (check, output
/// directory, resource) — each justified in `docs/terraform.md`. They must
/// all be found (checkov sees through the `for_each` maps) and there must be
/// no other.
const EXPECTED_CHECKOV: &[(&str, &str, &str)] = &[
    // AdministratorAccess on the break-glass sets: what break-glass is.
    (
        "CKV_AWS_274",
        "break-glass",
        "aws_ssoadmin_managed_policy_attachment.break_glass_admin",
    ),
    (
        "CKV_AWS_274",
        "ok-guide",
        "aws_ssoadmin_managed_policy_attachment.break_glass_admin",
    ),
    (
        "CKV_AWS_274",
        "synthetic-targets",
        "aws_ssoadmin_managed_policy_attachment.break_glass_admin",
    ),
    // The guide's starter AppPlane policy, `service:*` on `*` (A500 in the checker).
    (
        "CKV_AWS_286",
        "app-developer",
        "aws_ssoadmin_permission_set_inline_policy.app_developer",
    ),
    (
        "CKV_AWS_288",
        "app-developer",
        "aws_ssoadmin_permission_set_inline_policy.app_developer",
    ),
    (
        "CKV_AWS_289",
        "app-developer",
        "aws_ssoadmin_permission_set_inline_policy.app_developer",
    ),
    (
        "CKV_AWS_290",
        "app-developer",
        "aws_ssoadmin_permission_set_inline_policy.app_developer",
    ),
    (
        "CKV_AWS_355",
        "app-developer",
        "aws_ssoadmin_permission_set_inline_policy.app_developer",
    ),
    // The platform Admin set manages workload IAM roles and policies, capped
    // by its PlatformAdminBoundary.
    (
        "CKV_AWS_286",
        "org-matrix",
        "aws_ssoadmin_permission_set_inline_policy.admin",
    ),
    (
        "CKV_AWS_289",
        "org-matrix",
        "aws_ssoadmin_permission_set_inline_policy.admin",
    ),
    (
        "CKV_AWS_355",
        "org-matrix",
        "aws_ssoadmin_permission_set_inline_policy.admin",
    ),
];

fn today() -> Today {
    Today::parse(TODAY).expect("date")
}

/// The Terraform files of an IR that must build.
fn emit_ok(ir: &Ir) -> Vec<OutFile> {
    emit_terraform(ir).unwrap_or_else(|e| panic!("emit_terraform refused:\n{}", e.join("\n")))
}

/// Check, lower and emit a loaded program that must have no errors.
fn compile(prog: &Program, what: &str) -> Vec<OutFile> {
    emit_ok(&lower(prog, what))
}

/// Check and lower a loaded program that must have no errors.
fn lower(prog: &Program, what: &str) -> Ir {
    let checked = check(prog, &CheckOptions { today: today() });
    let errors: Vec<String> = checked
        .diagnostics
        .iter()
        .filter(|d| d.severity == accessc_core::diagnostic::Severity::Error)
        .map(|d| format!("{} {}", d.code, d.message))
        .collect();
    assert!(errors.is_empty(), "{what} has errors: {errors:#?}");
    accessc_core::model_to_ir::lower(checked.checked_model().expect("no errors"))
}

fn ir_of_path(path: &Path) -> Ir {
    let prog = load(&RealFs, path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    lower(&prog, &path.display().to_string())
}

fn ir_of_text(name: &str, text: &str) -> Ir {
    let prog = load_texts(
        &RealFs,
        &peers::root(),
        vec![(format!("{name}.access"), text.to_string())],
    );
    lower(&prog, name)
}

fn emit_path(path: &Path) -> Vec<OutFile> {
    emit_ok(&ir_of_path(path))
}

fn emit_text(name: &str, text: &str) -> Vec<OutFile> {
    emit_ok(&ir_of_text(name, text))
}

fn examples() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(peers::root().join("examples"))
        .expect("examples dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

/// Corpus programs whose header expects no error: `none`, or only warnings
/// (A5xx, A404).
fn clean_corpus() -> Vec<PathBuf> {
    let dir = peers::root().join("crates/accessc-core/tests/corpus");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("corpus dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            let main = if p.is_dir() {
                p.join("main.access")
            } else if p.extension().is_some_and(|e| e == "access") {
                p.clone()
            } else {
                return false;
            };
            let text = std::fs::read_to_string(&main).unwrap_or_default();
            let Some(spec) = text
                .lines()
                .next()
                .and_then(|l| l.strip_prefix("// expect:"))
            else {
                return false;
            };
            let spec = spec.trim();
            spec == "none"
                || spec
                    .split(',')
                    .map(str::trim)
                    .all(|c| c.starts_with("A5") || c == "A404")
        })
        .collect();
    v.sort();
    v
}

fn name_of(p: &Path) -> String {
    p.file_stem()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned()
}

fn write_dir(dir: &Path, files: &[OutFile]) {
    std::fs::create_dir_all(dir).expect("mkdir");
    for f in files {
        std::fs::write(dir.join(&f.path), &f.contents).expect("write");
    }
}

fn file<'a>(files: &'a [OutFile], path: &str) -> &'a str {
    files
        .iter()
        .find(|f| f.path == path)
        .map(|f| f.contents.as_str())
        .unwrap_or_else(|| {
            panic!(
                "no {path} among {:?}",
                files.iter().map(|f| &f.path).collect::<Vec<_>>()
            )
        })
}

/// `terraform fmt -check -diff -recursive DIR`: nothing to change.
fn terraform_fmt_check(dir: &Path) {
    let out = peers::run(
        Command::new(peers::venv_bin("terraform"))
            .args(["fmt", "-check", "-diff", "-recursive"])
            .arg(dir),
        None,
    );
    assert!(
        out.status.success() && out.stdout.is_empty(),
        "terraform fmt would change the output:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn every_program_parses_as_hcl_and_is_terraform_fmt_clean() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut programs: Vec<(String, PathBuf)> = examples()
        .into_iter()
        .map(|p| (format!("example-{}", name_of(&p)), p))
        .collect();
    let corpus = clean_corpus();
    assert!(corpus.len() > 40, "the clean corpus is unexpectedly small");
    programs.extend(
        corpus
            .into_iter()
            .map(|p| (format!("corpus-{}", name_of(&p)), p)),
    );

    let started = Instant::now();
    let mut paths = Vec::new();
    for (name, p) in &programs {
        let files = emit_path(p);
        assert!(
            files.iter().any(|f| f.path == "permission_sets.tf"),
            "{name}: no permission sets"
        );
        let dir = tmp.path().join(name);
        write_dir(&dir, &files);
        paths.extend(files.iter().map(|f| dir.join(&f.path)));
    }
    for (name, text) in [
        ("synthetic-targets", TARGETS_PROGRAM),
        ("synthetic-guide", GUIDE_PROGRAM),
    ] {
        let files = emit_text(name, text);
        let dir = tmp.path().join(name);
        write_dir(&dir, &files);
        paths.extend(files.iter().map(|f| dir.join(&f.path)));
    }
    let built = started.elapsed();

    let started = Instant::now();
    let parsed = peers::hcl_parse(&paths);
    assert_eq!(parsed.len(), paths.len());
    let parse_time = started.elapsed();

    let started = Instant::now();
    terraform_fmt_check(tmp.path());
    let fmt_time = started.elapsed();
    eprintln!(
        "{} programs, {} files: build {built:?}, hcl2json {parse_time:?}, terraform fmt {fmt_time:?}",
        programs.len() + 2,
        paths.len()
    );
}

#[test]
fn formatter_agrees_with_terraform_fmt() {
    // Unaligned, unindented input in the shapes the templates produce.
    let samples = [
        "resource \"a\" \"b\" {\nname = \"x\"\ninstance_arn = local.instance_arn\ntags = {\nManagedBy = \"accessc\"\n\"cost-center\" = \"cc\"\n}\n}\n",
        "resource \"a\" \"b\" {\nfor_each = toset([\n\"111111111111\", # app-a-dev\n\"222222222222\", # b; until 2027-01-01, owner x@example.com\n])\n\nprincipal_id = data.aws_identitystore_group.g.group_id\ntarget_id = each.value\n\ndepends_on = [\naws_ssoadmin_managed_policy_attachment.a,\naws_cloudformation_stack_set_instance.b,\n]\n}\n",
        "resource \"a\" \"b\" {\ninline_policy = jsonencode({\nVersion = \"2012-10-17\"\nStatement = [\n{\nSid = \"A\"\nAction = [\"s3:GetObject\", \"s3:PutObject\"]\nCondition = {\nStringEquals = {\n\"aws:ResourceTag/Department\" = \"$${aws:PrincipalTag/Department}\"\n}\n}\n},\n]\n})\n}\n",
        "resource \"a\" \"b\" {\nfor_each = {\n\"111111111111\" = var.organizational_unit_ids[\"Workloads\"] # shared in Workloads\n\"22\" = \"r-ab12\" # loose in root\n}\n}\n",
        "variable \"v\" {\ndescription = \"d\"\ntype = map(string)\n\nvalidation {\ncondition = alltrue([for path in [\"A\", \"B/C\"] : contains(keys(var.v), path)])\nerror_message = \"Give it.\"\n}\n}\n",
        "data \"aws_ssoadmin_instances\" \"this\" {}\n\nlocals {\ninstance_arn = tolist(data.aws_ssoadmin_instances.this.arns)[0]\nidentity_store_id = \"d-1\"\n}\n",
        "locals {\nx = \"Ünïcödé\"\nlonger_name = \"y\" # ä comment\nz = 1 # c\n}\n",
    ];
    for s in samples {
        let ours = fmt::format(s);
        let out = peers::run(
            Command::new(peers::venv_bin("terraform")).args(["fmt", "-"]),
            Some(s.as_bytes()),
        );
        assert!(
            out.status.success(),
            "terraform fmt failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(ours, String::from_utf8_lossy(&out.stdout), "input:\n{s}");
    }
}

#[test]
fn checkov_reports_only_the_documented_findings() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for p in examples() {
        write_dir(&tmp.path().join(name_of(&p)), &emit_path(&p));
    }
    write_dir(
        &tmp.path().join("ok-guide"),
        &emit_path(&peers::root().join("crates/accessc-core/tests/corpus/ok-guide")),
    );
    write_dir(
        &tmp.path().join("synthetic-targets"),
        &emit_text("targets", TARGETS_PROGRAM),
    );

    let started = Instant::now();
    let out = peers::run(
        Command::new(peers::venv_bin("checkov"))
            .args([
                "--skip-download",
                "--framework",
                "terraform",
                "-o",
                "json",
                "-d",
            ])
            .arg(tmp.path()),
        None,
    );
    eprintln!("checkov: {:?}", started.elapsed());
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "checkov output is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let reports: Vec<&Value> = match &report {
        Value::Array(a) => a.iter().collect(),
        one => vec![one],
    };
    let mut unexpected: BTreeSet<String> = BTreeSet::new();
    let mut seen: BTreeSet<(&str, &str, &str)> = BTreeSet::new();
    let mut passed = 0;
    for r in reports {
        passed += r["results"]["passed_checks"].as_array().map_or(0, Vec::len);
        for f in r["results"]["failed_checks"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let id = f["check_id"].as_str().unwrap_or_default();
            let path = f["file_path"].as_str().unwrap_or_default();
            let resource = f["resource"].as_str().unwrap_or_default();
            let expected = EXPECTED_CHECKOV.iter().find(|(c, dir, res)| {
                *c == id && path.starts_with(&format!("/{dir}/")) && resource.starts_with(res)
            });
            match expected {
                Some(e) => {
                    seen.insert(*e);
                }
                None => {
                    unexpected.insert(format!(
                        "{id} {} at {path} {resource}",
                        f["check_name"].as_str().unwrap_or_default()
                    ));
                }
            }
        }
    }
    assert!(
        passed > 0,
        "checkov checked nothing: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        unexpected.is_empty(),
        "undocumented checkov findings:\n{}",
        unexpected.into_iter().collect::<Vec<_>>().join("\n")
    );
    let missing: Vec<_> = EXPECTED_CHECKOV
        .iter()
        .filter(|e| !seen.contains(*e))
        .collect();
    assert!(
        missing.is_empty(),
        "expected checkov findings not reported: {missing:?}"
    );

    let docs = std::fs::read_to_string(peers::root().join("docs/terraform.md"))
        .expect("docs/terraform.md");
    for (id, _, _) in EXPECTED_CHECKOV {
        assert!(docs.contains(id), "docs/terraform.md does not justify {id}");
    }
}

/// The examples' output, one snapshot per example (and one per program of
/// this file), files in order.
#[test]
fn example_snapshots() {
    let mut outputs: Vec<(String, Vec<OutFile>)> = examples()
        .iter()
        .map(|p| (name_of(p), emit_path(p)))
        .collect();
    outputs.push((
        "synthetic-targets".into(),
        emit_text("targets", TARGETS_PROGRAM),
    ));
    outputs.push(("synthetic-guide".into(), emit_text("guide", GUIDE_PROGRAM)));
    outputs.push(("adversarial".into(), emit_ok(&adversarial_ir())));
    for (name, files) in outputs {
        let text: String = files
            .iter()
            .map(|f| format!("=== {} ===\n{}", f.path, f.contents))
            .collect();
        insta::with_settings!({snapshot_path => "snapshots/terraform", prepend_module_to_snapshot => false, omit_expression => true}, {
            insta::assert_snapshot!(name, text);
        });
    }
}

#[test]
fn output_is_deterministic() {
    let mut programs = examples();
    programs.extend(clean_corpus());
    for p in programs {
        let a = emit_path(&p);
        let b = emit_path(&p);
        assert_eq!(a, b, "{}: two builds differ", p.display());
    }
}

/// The lines of `new` that are not in `old`, when `old` is `new` with some
/// lines taken out; `None` when `new` changes or drops a line of `old`.
fn added_lines(old: &str, new: &str) -> Option<Vec<String>> {
    let old: Vec<&str> = old.lines().collect();
    let new: Vec<&str> = new.lines().collect();
    // Longest common subsequence; every old line must be in it.
    let (n, m) = (old.len(), new.len());
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if old[i] == new[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    if lcs[0][0] as usize != n {
        return None;
    }
    let (mut i, mut j, mut added) = (0, 0, Vec::new());
    while j < m {
        if i < n && old[i] == new[j] && lcs[i][j] == lcs[i + 1][j + 1] + 1 {
            i += 1;
        } else {
            added.push(new[j].to_string());
        }
        j += 1;
    }
    Some(added)
}

/// Compare two builds file by file: only additions, and where they are.
fn additions(before: &[OutFile], after: &[OutFile]) -> BTreeMap<String, Vec<String>> {
    let paths: BTreeSet<&str> = before
        .iter()
        .chain(after)
        .map(|f| f.path.as_str())
        .collect();
    let mut changed = BTreeMap::new();
    for p in paths {
        let old = before
            .iter()
            .find(|f| f.path == p)
            .map_or("", |f| f.contents.as_str());
        let new = after
            .iter()
            .find(|f| f.path == p)
            .map_or("", |f| f.contents.as_str());
        let added = added_lines(old, new).unwrap_or_else(|| {
            panic!("{p}: existing lines changed:\n--- before\n{old}\n--- after\n{new}")
        });
        if !added.is_empty() {
            changed.insert(p.to_string(), added);
        }
    }
    changed
}

#[test]
fn one_more_grant_only_adds_its_own_lines() {
    // A grant for a (function, principal) pair that already has accounts:
    // one more line in that resource's account set.
    let before = emit_text("targets", TARGETS_PROGRAM);
    let after = emit_text(
        "targets",
        &format!("{TARGETS_PROGRAM}\ngrant Builder to aws-builders on account shared-tools\n"),
    );
    let changed = additions(&before, &after);
    assert_eq!(
        changed,
        BTreeMap::from([(
            "assignments.tf".to_string(),
            vec!["    \"121212121212\", # shared-tools".to_string()]
        )]),
    );

    // A grant for a new pair in examples/org-matrix: a new resource block,
    // and nothing else moves.
    let dir = peers::root().join("examples/org-matrix");
    let mut texts: Vec<(String, String)> = Vec::new();
    for f in peers::files_with_ext(&dir, "access") {
        let text = std::fs::read_to_string(&f).expect("read");
        texts.push((f.display().to_string(), text));
    }
    let before = compile(&load_texts(&RealFs, &dir, texts.clone()), "org-matrix");
    texts.push((
        "extra.access".into(),
        "grant AppDeveloper to aws-team-a-leads on Workloads/NonProd\n".into(),
    ));
    let after = compile(&load_texts(&RealFs, &dir, texts), "org-matrix + grant");
    let changed = additions(&before, &after);
    assert_eq!(
        changed.keys().collect::<Vec<_>>(),
        ["assignments.tf"],
        "{changed:#?}"
    );
    let added = changed["assignments.tf"].join("\n");
    assert!(
        added.contains(
            "resource \"aws_ssoadmin_account_assignment\" \"app_developer_aws_team_a_leads\""
        ) && added.contains("\"111111111111\", # app-a-dev")
            && added.contains("\"222222222222\", # app-b-dev"),
        "{added}"
    );
}

/// The guide's section 5.2 sample, as a program.
const GUIDE_PROGRAM: &str = r#"
org {
  root "r-ab12"
  management "999999999999"
  ou Workloads "ou-ab12-11111111" {
    ou NonProd "ou-ab12-22222222" {
      account app-a-dev "111111111111"
      account app-b-dev "222222222222"
    }
  }
  account management "999999999999"
}

group AppDevelopers

/// Application developers in non-prod accounts
function AppDeveloper {
  session 4h
  managed ReadOnlyAccess
}

grant AppDeveloper to AppDevelopers on Workloads/NonProd
"#;

/// The source of an expression: hcl2json wraps it in `${...}`.
fn raw_expr(v: &Value) -> String {
    let s = v.as_str().unwrap_or_default();
    s.strip_prefix("${")
        .and_then(|s| s.strip_suffix('}'))
        .unwrap_or(s)
        .to_string()
}

/// The source of an expression with its spacing collapsed.
fn expr(v: &Value) -> String {
    raw_expr(v).split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn guide_sample_comes_out_as_the_guide_writes_it() {
    let files = emit_text("guide", GUIDE_PROGRAM);
    let tmp = tempfile::tempdir().expect("tempdir");
    write_dir(tmp.path(), &files);
    let parsed = peers::hcl_parse(
        &files
            .iter()
            .map(|f| tmp.path().join(&f.path))
            .collect::<Vec<_>>(),
    );
    let get = |name: &str| parsed[&tmp.path().join(name)].clone();

    // data "aws_ssoadmin_instances" "this" {} and the instance ARN local.
    let main = get("main.tf");
    assert!(main["data"]["aws_ssoadmin_instances"]["this"].is_array());
    assert_eq!(
        expr(&main["locals"][0]["instance_arn"]),
        "tolist(data.aws_ssoadmin_instances.this.arns)[0]"
    );

    let sets = get("permission_sets.tf");
    let ps = &sets["resource"]["aws_ssoadmin_permission_set"]["app_developer"][0];
    assert_eq!(ps["name"], "AppDeveloper");
    assert_eq!(expr(&ps["instance_arn"]), "local.instance_arn");
    assert_eq!(ps["session_duration"], "PT4H");

    let att = &sets["resource"]["aws_ssoadmin_managed_policy_attachment"]["app_developer"][0];
    assert_eq!(expr(&att["instance_arn"]), "local.instance_arn");
    assert_eq!(expr(&att["managed_policy_arn"]), "each.value");
    assert_eq!(
        expr(&att["permission_set_arn"]),
        "aws_ssoadmin_permission_set.app_developer.arn"
    );
    assert_eq!(
        expr(&att["for_each"]),
        "toset([ \"arn:aws:iam::aws:policy/ReadOnlyAccess\", ])"
    );

    let asg = get("assignments.tf");
    let resources = asg["resource"]["aws_ssoadmin_account_assignment"]
        .as_object()
        .expect("assignments");
    assert_eq!(
        resources.len(),
        1,
        "one assignment resource, for_each over the non-prod accounts"
    );
    let a = &resources["app_developer_app_developers"][0];
    assert_eq!(expr(&a["instance_arn"]), "local.instance_arn");
    assert_eq!(
        expr(&a["permission_set_arn"]),
        "aws_ssoadmin_permission_set.app_developer.arn"
    );
    assert_eq!(
        expr(&a["principal_id"]),
        "data.aws_identitystore_group.app_developers.group_id"
    );
    assert_eq!(a["principal_type"], "GROUP");
    assert_eq!(expr(&a["target_id"]), "each.value");
    assert_eq!(a["target_type"], "AWS_ACCOUNT");
    assert_eq!(
        expr(&a["for_each"]),
        "toset([ \"111111111111\", # app-a-dev \"222222222222\", # app-b-dev ])"
    );

    // The guide's `var.app_developers_group_id`: looked up by display name.
    let principals = get("principals.tf");
    let g = &principals["data"]["aws_identitystore_group"]["app_developers"][0];
    let attr = &g["alternate_identifier"][0]["unique_attribute"][0];
    assert_eq!(attr["attribute_path"], "DisplayName");
    assert_eq!(attr["attribute_value"], "AppDevelopers");
}

/// OUs and a root without ids, accounts beside OUs that have a body of their
/// own (INTERSECTION targets), a user grant and a break-glass set.
const TARGETS_PROGRAM: &str = r#"
org {
  management "999999999999"
  ou Workloads {
    account shared-tools "121212121212"
    ou NonProd { account app-a-dev "111111111111" }
    ou Prod { account app-a-prod "333333333333" }
  }
  account loose "141414141414"
  account management "999999999999"
}

group aws-builders
group aws-break-glass "AWS Break Glass"
user ext-bob "bob@partner.example"

managed_policy DevBoundary {
  path "/boundaries/"
  allow * on *
  deny iam:CreateUser, iam:CreateAccessKey on *
  in Workloads/Prod {
    allow * on *
    deny iam:*, organizations:* on *
  }
}

/// Builds in the workload accounts.
function Builder {
  session 2h
  managed ReadOnlyAccess
  boundary DevBoundary
}

function BreakGlassAdmin {
  session 1h
  managed AdministratorAccess
  break_glass notify "arn:aws:sns:us-east-1:999999999999:pager"
}

grant Builder to aws-builders on Workloads/NonProd, Workloads/Prod
grant Builder to user ext-bob on account app-a-dev owner "lead@example.com" until 2027-06-30
grant BreakGlassAdmin to aws-break-glass on root
"#;

#[test]
fn unknown_ids_become_variables_and_shared_ous_intersection_targets() {
    let files = emit_text("targets", TARGETS_PROGRAM);
    let cmp = file(&files, "customer_managed_policies.tf");
    // The default body: whole NonProd, and the accounts beside the Prod body.
    assert!(
        cmp.contains("\"Workloads/NonProd\" = var.organizational_unit_ids[\"Workloads/NonProd\"]"),
        "{cmp}"
    );
    assert!(cmp.contains("\"121212121212\" = var.organizational_unit_ids[\"Workloads\"] # shared-tools in Workloads"), "{cmp}");
    assert!(
        cmp.contains("\"141414141414\" = var.organization_root_id"),
        "{cmp}"
    );
    assert!(
        cmp.contains("account_filter_type     = \"INTERSECTION\""),
        "{cmp}"
    );
    assert!(
        cmp.contains("resource \"aws_cloudformation_stack_set\" \"dev_boundary_workloads_prod\""),
        "{cmp}"
    );
    let vars = file(&files, "variables.tf");
    for v in [
        "organization_root_id",
        "organizational_unit_ids",
        "cloudtrail_log_group_name",
    ] {
        assert!(vars.contains(&format!("variable \"{v}\"")), "{vars}");
    }
    let asg = file(&files, "assignments.tf");
    assert!(
        asg.contains("\"111111111111\", # app-a-dev; until 2027-06-30, owner lead@example.com"),
        "{asg}"
    );
    assert!(
        asg.contains("aws_cloudformation_stack_set_instance.dev_boundary_accounts"),
        "{asg}"
    );
    let bg = file(&files, "break_glass.tf");
    assert!(bg.contains("AWSReservedSSO_BreakGlassAdmin_*"), "{bg}");
    assert!(
        bg.contains("alarm_actions       = [\"arn:aws:sns:us-east-1:999999999999:pager\"]"),
        "{bg}"
    );
}

/// An IR no program would give: every string holds what HCL must escape.
fn adversarial_ir() -> Ir {
    let nasty = "He said \"hi\" \\ ${aws:username} %{if x} # no comment // nor = {[( ü\nline\ttab";
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "Odd",
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": format!("arn:aws:s3:::b/${{aws:username}}/{nasty}"),
            "Condition": {
                "ForAnyValue:StringLike": {"aws:PrincipalTag/a.b-c": [nasty, "%{x}", ""]},
                "NumericLessThan": {"s3:max-keys": 10},
                "Bool": {"aws:SecureTransport": true},
                "null": {"true": null, "for": [[], {}]}
            }
        }]
    });
    let name = "Odd.Name+=,@_-x";
    Ir {
        format: IR_FORMAT.into(),
        instance: Instance {
            arn: Some("arn:aws:sso:::instance/ssoins-1".into()),
            identity_store_id: None,
            region: Some("eu-west-1\nnot code".into()),
            replica_regions: vec![],
            start_url: None,
        },
        org: OrgSummary {
            root_id: None,
            management_account_id: Some("999999999999".into()),
            accounts: vec![
                Account {
                    id: "111111111111".into(),
                    name: "odd # name\n = {".into(),
                    ou_path: "Weird OU".into(),
                    status: None,
                },
                Account {
                    id: "222222222222".into(),
                    name: "loose".into(),
                    ou_path: String::new(),
                    status: None,
                },
            ],
            ous: vec![Ou {
                path: "Weird OU".into(),
                id: None,
            }],
        },
        attributes: vec![Attribute {
            key: "a:b".into(),
            value: "${path:enterprise.department}".into(),
        }],
        permission_sets: vec![PermissionSet {
            name: name.into(),
            function: "Odd".into(),
            description: Some(nasty.into()),
            session_duration: SessionDuration::from_minutes(90),
            relay_state: Some(format!("https://x.example/?q=${{a}}&r=%{{b}}#{nasty}")),
            managed_policies: vec!["arn:aws:iam::aws:policy/job-function/ViewOnlyAccess".into()],
            customer_managed_policies: vec![PolicyReference {
                name: "P+=,.@-_".into(),
                path: "/a b/".into(),
            }],
            permissions_boundary: Some(Boundary::CustomerManagedPolicy(PolicyReference {
                name: "P+=,.@-_".into(),
                path: "/a b/".into(),
            })),
            inline_policy: Some(policy.to_string()),
            tags: vec![
                Tag {
                    key: "ManagedBy".into(),
                    value: "accessc".into(),
                },
                Tag {
                    key: "a:b/c d".into(),
                    value: nasty.into(),
                },
            ],
            break_glass: Some(BreakGlass { notify: None }),
        }],
        principals: vec![
            Principal {
                kind: PrincipalType::Group,
                name: "g".into(),
                display_name: nasty.into(),
                id: None,
            },
            Principal {
                kind: PrincipalType::User,
                name: "u".into(),
                display_name: "u@example.com".into(),
                id: Some("9067-1".into()),
            },
        ],
        assignments: vec![
            Assignment {
                permission_set: name.into(),
                principal_type: PrincipalType::Group,
                principal: "g".into(),
                principal_id: None,
                account_id: "111111111111".into(),
                until: None,
                owner: None,
            },
            Assignment {
                permission_set: name.into(),
                principal_type: PrincipalType::User,
                principal: "u".into(),
                principal_id: Some("9067-1".into()),
                account_id: "111111111111".into(),
                until: Date::parse("2027-01-01"),
                owner: Some("a\n# b = {".into()),
            },
        ],
        customer_managed_policies: vec![CmpDeployment {
            name: "P+=,.@-_".into(),
            path: "/a b/".into(),
            description: Some(nasty.into()),
            body: PolicyBody::Default,
            document: policy.to_string(),
            targets: vec![
                DeploymentTarget {
                    ou_ids: vec![OrgUnitRef::UnknownRoot],
                    account_ids: vec!["222222222222".into()],
                },
                DeploymentTarget {
                    ou_ids: vec![OrgUnitRef::UnknownOu("Weird OU".into())],
                    account_ids: vec![],
                },
            ],
            account_ids: vec!["111111111111".into(), "222222222222".into()],
        }],
    }
}

/// What hcl2json gives for a string literal holding `s`: the value, with
/// Terraform's template escapes kept.
fn as_literal(s: &str) -> String {
    s.replace("${", "$${").replace("%{", "%%{")
}

/// Numbers compared as numbers (HCL has one number type).
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_json(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

/// Every string and policy of the IR comes back out of Terraform unchanged:
/// literals through HashiCorp's parser, `jsonencode(...)` policies and
/// templates through `terraform console`.
#[test]
fn values_survive_hcl_and_jsonencode() {
    let mut irs: Vec<(String, Ir)> = examples()
        .iter()
        .map(|p| (name_of(p), ir_of_path(p)))
        .collect();
    irs.push((
        "ok-guide".into(),
        ir_of_path(&peers::root().join("crates/accessc-core/tests/corpus/ok-guide")),
    ));
    irs.push((
        "ok-abac".into(),
        ir_of_path(&peers::root().join("crates/accessc-core/tests/corpus/ok-abac.access")),
    ));
    irs.push(("targets".into(), ir_of_text("targets", TARGETS_PROGRAM)));
    irs.push(("adversarial".into(), adversarial_ir()));

    let tmp = tempfile::tempdir().expect("tempdir");
    let mut paths = Vec::new();
    for (name, ir) in &irs {
        let files = emit_ok(ir);
        write_dir(&tmp.path().join(name), &files);
        paths.extend(files.iter().map(|f| tmp.path().join(name).join(&f.path)));
    }
    terraform_fmt_check(tmp.path());
    let parsed = peers::hcl_parse(&paths);
    let tf = |name: &str, file: &str| {
        parsed
            .get(&tmp.path().join(name).join(file))
            .cloned()
            .unwrap_or(Value::Null)
    };

    // (expression, what it must evaluate to as JSON, where)
    let mut exprs: Vec<(String, Value, String)> = Vec::new();
    for (name, ir) in &irs {
        let sets = tf(name, "permission_sets.tf");
        let res = &sets["resource"];
        for p in &ir.permission_sets {
            let (ident, set) = res["aws_ssoadmin_permission_set"]
                .as_object()
                .and_then(|m| m.iter().find(|(_, v)| v[0]["name"] == p.name.as_str()))
                .unwrap_or_else(|| panic!("{name}: no resource for set {}", p.name));
            let set = &set[0];
            assert_eq!(
                set["description"].as_str(),
                p.description.as_deref().map(as_literal).as_deref(),
                "{name}"
            );
            assert_eq!(
                set["relay_state"].as_str(),
                p.relay_state.as_deref().map(as_literal).as_deref(),
                "{name}"
            );
            assert_eq!(set["session_duration"], p.session_duration.to_iso8601());
            for t in &p.tags {
                assert_eq!(
                    set["tags"][&t.key],
                    as_literal(&t.value).as_str(),
                    "{name}: tag {}",
                    t.key
                );
            }
            if let Some(doc) = &p.inline_policy {
                let e = raw_expr(
                    &res["aws_ssoadmin_permission_set_inline_policy"][ident][0]["inline_policy"],
                );
                exprs.push((
                    e,
                    serde_json::from_str(doc).expect("policy json"),
                    format!("{name}: {}", p.name),
                ));
            }
        }
        for a in &ir.attributes {
            let abac = tf(name, "abac.tf");
            let attrs = abac["resource"]["aws_ssoadmin_instance_access_control_attributes"]["this"]
                [0]["attribute"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            assert!(
                attrs.iter().any(|x| x["key"] == a.key.as_str()
                    && x["value"][0]["source"][0] == as_literal(&a.value).as_str()),
                "{name}: attribute {} not found in {attrs:?}",
                a.key
            );
        }
        for pr in ir.principals.iter().filter(|p| p.id.is_none()) {
            let kind = match pr.kind {
                PrincipalType::Group => "aws_identitystore_group",
                PrincipalType::User => "aws_identitystore_user",
            };
            let lookups = tf(name, "principals.tf");
            let found = lookups["data"][kind].as_object().is_some_and(|m| {
                m.values().any(|v| {
                    v[0]["alternate_identifier"][0]["unique_attribute"][0]["attribute_value"]
                        == as_literal(&pr.display_name).as_str()
                })
            });
            assert!(found, "{name}: no lookup of {}", pr.display_name);
        }
        let cmp = tf(name, "customer_managed_policies.tf");
        for (ident, stack) in cmp["resource"]["aws_cloudformation_stack_set"]
            .as_object()
            .into_iter()
            .flatten()
        {
            let e = raw_expr(&stack[0]["template_body"]);
            exprs.push((e, Value::Null, format!("{name}: stack set {ident}")));
        }
    }

    // Evaluate every expression with `terraform console` in a directory that
    // declares them as locals.
    let dir = tempfile::tempdir().expect("tempdir");
    let locals: String = exprs
        .iter()
        .enumerate()
        .map(|(i, (e, _, _))| format!("p{i} = {e}\n"))
        .collect();
    std::fs::write(
        dir.path().join("main.tf"),
        format!("locals {{\n{locals}}}\n"),
    )
    .expect("write");
    // Non-interactive, the console prints only its last result: ask for one.
    let all: Vec<String> = (0..exprs.len()).map(|i| format!("local.p{i}")).collect();
    let input = format!("jsonencode([{}])\n", all.join(", "));
    let started = Instant::now();
    let out = peers::run(
        Command::new(peers::venv_bin("terraform"))
            .arg("console")
            .current_dir(dir.path()),
        Some(input.as_bytes()),
    );
    eprintln!(
        "terraform console, {} expressions: {:?}",
        exprs.len(),
        started.elapsed()
    );
    assert!(
        out.status.success(),
        "terraform console: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The console prints the string as a quoted literal, JSON-compatible.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let text: String =
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let results: Vec<String> = serde_json::from_str(&text).expect("a list of strings");
    assert_eq!(results.len(), exprs.len(), "{stdout}");
    let docs: Vec<(&str, &str, Value)> = irs
        .iter()
        .flat_map(|(_, ir)| ir.customer_managed_policies.iter())
        .map(|d| {
            let doc = serde_json::from_str(&d.document).expect("document");
            (d.name.as_str(), d.path.as_str(), doc)
        })
        .collect();
    for ((_, want, what), got) in exprs.iter().zip(&results) {
        let value: Value =
            serde_json::from_str(got).unwrap_or_else(|e| panic!("{what}: {e}: {got}"));
        if want.is_null() {
            // A StackSet template: its policy is one of the IR's documents.
            let props = &value["Resources"]["Policy"]["Properties"];
            assert_eq!(
                value["Resources"]["Policy"]["Type"], "AWS::IAM::ManagedPolicy",
                "{what}"
            );
            let found = docs.iter().any(|(n, p, d)| {
                props["ManagedPolicyName"] == *n
                    && props["Path"] == *p
                    && same_json(&props["PolicyDocument"], d)
            });
            assert!(
                found,
                "{what}: template policy is none of the IR's documents: {value}"
            );
        } else {
            assert!(
                same_json(&value, want),
                "{what}:\n got  {value}\n want {want}"
            );
        }
    }
}
