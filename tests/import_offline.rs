//! The offline import readers against what other tools write:
//! aws-sso-util's templates (the peer, run offline), accessc's own
//! CloudFormation output of every example, and Terraform state shaped from
//! the Terraform backend's own resources.

#[path = "support/peers.rs"]
mod peers;

use accessc_core::emit::cfn::{emit_cfn, CfnFormat, CfnOptions};
use accessc_core::emit::OutFile;
use accessc_core::ir::{Boundary, Ir, PrincipalType};
use accessc_core::policy_json::same_policy;
use accessc_core::{check, load, CheckOptions, RealFs, Today};
use accessc_guard::GuardRules;
use accessc_import::cfn::{self, CfnInput};
use accessc_import::model::ImportModel;
use accessc_import::offline::{finish, SourceFile};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

const INSTANCE: &str = "arn:aws:sso:::instance/ssoins-1234567890abcdef";

fn ir_of(path: &Path) -> Ir {
    let prog = load(&RealFs, path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let checked = check(
        &prog,
        &CheckOptions {
            today: Today::parse("2026-11-28").expect("date"),
        },
    );
    assert!(!checked.has_errors(), "{}", path.display());
    accessc_core::model_to_ir::lower(checked.checked_model().expect("no errors"))
}

fn examples() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(peers::root().join("examples"))
        .expect("examples")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

/// A deterministic identity-store id for the n-th principal.
fn principal_id(n: usize) -> String {
    format!("{n:08x}-90ab-cdef-1234-567890abcdef")
}

/// Every file under `dir`, as the reader takes them (names relative to `dir`).
fn read_dir_files(dir: &Path) -> Vec<SourceFile> {
    let mut out = Vec::new();
    for ext in ["yaml", "json"] {
        for p in peers::files_with_ext(dir, ext) {
            let name = p
                .strip_prefix(dir)
                .expect("under dir")
                .display()
                .to_string();
            out.push(SourceFile {
                name,
                text: std::fs::read_to_string(&p).expect("read"),
            });
        }
    }
    out
}

fn assignment_set(m: &ImportModel) -> BTreeSet<(String, PrincipalType, String, String)> {
    m.assignments
        .iter()
        .map(|a| {
            (
                a.permission_set.to_string(),
                a.principal_type,
                a.principal_id.clone(),
                a.account_id.to_string(),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------
// aws-sso-util

/// One aws-sso-util configuration file: its text, and the assignments and
/// permission sets it stands for.
struct SsoConfig {
    file: &'static str,
    yaml: String,
    extra_args: &'static [&'static str],
}

fn sso_configs() -> Vec<SsoConfig> {
    let groups: Vec<String> = (0..4).map(principal_id).collect();
    let users: Vec<String> = (100..102).map(principal_id).collect();
    let accounts: Vec<String> = (1..=9).map(|i| format!("{i}{i}{i}{i}22223333")).collect();
    let list = |v: &[String]| {
        v.iter()
            .map(|x| format!("  - '{x}'"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let team = format!(
        r#"Instance: {INSTANCE}
Groups:
{g}
Users:
{u}
PermissionSets:
  - Name: Developer
    Description: Application developers
    SessionDuration: PT8H
    ManagedPolicies: [ReadOnlyAccess, arn:aws:iam::aws:policy/AWSLambda_FullAccess]
    InlinePolicy:
      Version: "2012-10-17"
      Statement:
        - Sid: Logs
          Effect: Allow
          Action: [logs:GetLogEvents, logs:FilterLogEvents]
          Resource: "*"
          Condition:
            StringEquals:
              aws:RequestedRegion: [eu-west-1, us-east-1]
  - Name: Viewer
    ManagedPolicies: [ViewOnlyAccess]
Accounts:
{a}
"#,
        g = list(&groups[..3]),
        u = list(&users),
        a = list(&accounts[..7]),
    );
    let ops = format!(
        r#"Instance: {INSTANCE}
Groups: ['{g}']
PermissionSets:
  - Name: Operator
    Description: On-call operators
    SessionDuration: PT1H
    RelayStateType: https://console.aws.amazon.com/cloudwatch/home
    CustomerManagedPolicyReferences:
      - Name: OpsExtras
        Path: /ops/
    PermissionsBoundary:
      CustomerManagedPolicyReference:
        Name: OpsBoundary
    Tags:
      - Key: Team
        Value: sre
Accounts:
{a}
"#,
        g = groups[3],
        a = list(&accounts[5..]),
    );
    vec![
        SsoConfig {
            file: "team.yaml",
            yaml: team,
            // Child stacks, each receiving the sets' ARNs as parameters.
            extra_args: &["--num-child-stacks", "3"],
        },
        SsoConfig {
            file: "ops.yaml",
            yaml: ops,
            extra_args: &[],
        },
    ]
}

/// aws-sso-util's own account of the assignments it generated
/// (`--assignments-csv`): (set name, type, principal id, account id).
fn sso_util_csv(path: &Path) -> BTreeSet<(String, PrincipalType, String, String)> {
    let text = std::fs::read_to_string(path).expect("csv");
    let mut out = BTreeSet::new();
    for line in text.lines().skip(1).filter(|l| !l.is_empty()) {
        let f: Vec<&str> = line.split(',').collect();
        let kind = match f[1] {
            "GROUP" => PrincipalType::Group,
            _ => PrincipalType::User,
        };
        let set = f[4].strip_prefix("PermSet").expect("a set of the config");
        out.insert((set.to_string(), kind, f[2].to_string(), f[7].to_string()));
    }
    out
}

/// aws-sso-util run offline on [`sso_configs`] into `tmp/out`: the output
/// directory, and the assignments aws-sso-util says it generated.
fn sso_util_output(tmp: &Path) -> (PathBuf, BTreeSet<(String, PrincipalType, String, String)>) {
    let out = tmp.join("out");
    let mut expected = BTreeSet::new();
    for c in sso_configs() {
        let cfg = tmp.join(c.file);
        std::fs::write(&cfg, &c.yaml).expect("write config");
        let csv = tmp.join(format!("{}.csv", c.file));
        let mut cmd = Command::new(peers::venv_bin("aws-sso-util"));
        cmd.current_dir(tmp)
            .args(["admin", "cfn", "--output-dir"])
            .arg(&out)
            .arg("--assignments-csv")
            .arg(&csv)
            .args(c.extra_args)
            .arg(&cfg);
        let o = peers::run(&mut cmd, None);
        assert!(
            o.status.success(),
            "aws-sso-util failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        expected.extend(sso_util_csv(&csv));
    }
    (out, expected)
}

#[test]
fn aws_sso_util_templates_import_to_their_sources_assignments_and_sets() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (out, expected) = sso_util_output(tmp.path());
    let files = read_dir_files(&out);
    assert!(
        files.iter().any(|f| f.name.contains('/')),
        "child stacks expected: {:?}",
        files.iter().map(|f| &f.name).collect::<Vec<_>>()
    );
    let model = cfn::read(&CfnInput {
        files,
        parameters: BTreeMap::new(),
    })
    .unwrap_or_else(|e| panic!("{e}"));
    // team: 5 principals x 2 sets x 7 accounts; ops: 1 x 1 x 4.
    assert_eq!(expected.len(), 5 * 2 * 7 + 4);
    assert_eq!(assignment_set(&model), expected);
    assert_eq!(model.instance.arn.as_deref(), Some(INSTANCE));

    let sets: BTreeMap<&str, &accessc_import::model::PermissionSet> = model
        .permission_sets
        .iter()
        .map(|s| (s.name.as_str(), s))
        .collect();
    assert_eq!(
        sets.keys().copied().collect::<Vec<_>>(),
        ["Developer", "Operator", "Viewer"]
    );
    let dev = sets["Developer"];
    assert_eq!(dev.description.as_deref(), Some("Application developers"));
    assert_eq!(dev.session_duration.as_deref(), Some("PT8H"));
    assert_eq!(
        dev.managed_policies,
        [
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "arn:aws:iam::aws:policy/AWSLambda_FullAccess"
        ]
    );
    let want_policy = json!({"Version": "2012-10-17", "Statement": [{"Sid": "Logs", "Effect": "Allow",
        "Action": ["logs:FilterLogEvents", "logs:GetLogEvents"], "Resource": "*",
        "Condition": {"StringEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}}]});
    assert!(same_policy(
        dev.inline_policy.as_deref().expect("inline"),
        &want_policy.to_string()
    ));
    assert_eq!(
        sets["Viewer"].managed_policies,
        ["arn:aws:iam::aws:policy/ViewOnlyAccess"]
    );
    assert_eq!(sets["Viewer"].inline_policy, None);
    let op = sets["Operator"];
    assert_eq!(
        op.relay_state.as_deref(),
        Some("https://console.aws.amazon.com/cloudwatch/home")
    );
    assert_eq!(op.customer_managed_policies[0].name, "OpsExtras");
    assert_eq!(op.customer_managed_policies[0].path, "/ops/");
    assert_eq!(
        op.permissions_boundary,
        Some(Boundary::CustomerManagedPolicy(
            accessc_core::ir::PolicyReference {
                name: "OpsBoundary".into(),
                path: "/".into()
            }
        ))
    );
    assert_eq!(op.tags, [("Team".to_string(), "sre".to_string())]);

    // With an organization snapshot, principals are named from its identity store.
    let org = accessc_core::org_snapshot::OrgSnapshot::from_json(
        &json!({
            "format": "accessc-org-snapshot/1",
            "accounts": [],
            "identity_store": {
                "id": "d-1234567890",
                "groups": {"platform": principal_id(0), "sre": principal_id(3)},
                "users": {"alice": principal_id(100)},
            }
        })
        .to_string(),
    )
    .map_err(|e| format!("{e:?}"))
    .expect("snapshot");
    let named = finish(model, Some(org));
    let name_of = |id: &str| {
        named
            .principals
            .iter()
            .find(|p| p.id == id)
            .and_then(|p| p.name.clone())
    };
    assert_eq!(name_of(&principal_id(0)).as_deref(), Some("platform"));
    assert_eq!(name_of(&principal_id(3)).as_deref(), Some("sre"));
    assert_eq!(name_of(&principal_id(100)).as_deref(), Some("alice"));
    assert_eq!(name_of(&principal_id(1)), None);
    assert_eq!(named.principals.len(), 6);
    assert_eq!(
        named.instance.identity_store_id.as_deref(),
        Some("d-1234567890")
    );
}

// ---------------------------------------------------------------------------
// accessc's own CloudFormation output

/// The example's IR with every principal given an id, so the templates name
/// them literally (otherwise they are parameters).
fn ir_with_ids(path: &Path) -> Ir {
    let mut ir = ir_of(path);
    let mut ids = BTreeMap::new();
    for (n, p) in ir.principals.iter_mut().enumerate() {
        let id = p.id.clone().unwrap_or_else(|| principal_id(n + 1000));
        p.id = Some(id.clone());
        ids.insert((p.kind, p.name.clone()), id);
    }
    for a in &mut ir.assignments {
        a.principal_id = ids
            .get(&(a.principal_type, a.principal.to_string()))
            .map(|id| id.as_str().into());
    }
    ir
}

fn templates_of(files: &[OutFile]) -> Vec<SourceFile> {
    files
        .iter()
        .filter(|f| accessc_core::emit::cfn::is_template(&f.path))
        .map(|f| SourceFile {
            name: format!("templates/{}", f.path),
            text: f.contents.clone(),
        })
        .collect()
}

#[test]
fn accessc_cloudformation_output_imports_to_the_irs_sets_and_assignments() {
    for format in [CfnFormat::Yaml, CfnFormat::Json] {
        for ex in examples() {
            let ir = ir_with_ids(&ex);
            let files = emit_cfn(
                &ir,
                &CfnOptions {
                    format,
                    ..Default::default()
                },
                &GuardRules,
            )
            .unwrap_or_else(|e| panic!("{}: {}", ex.display(), e.join("\n")));
            let mut parameters = BTreeMap::new();
            parameters.insert("InstanceArn".to_string(), INSTANCE.to_string());
            parameters.insert("HomeRegion".to_string(), "eu-west-1".to_string());
            let model = cfn::read(&CfnInput {
                files: templates_of(&files),
                parameters,
            })
            .unwrap_or_else(|e| panic!("{} ({format:?}): {e}", ex.display()));
            let what = format!("{} ({format:?})", ex.display());

            let want: BTreeSet<_> = ir
                .assignments
                .iter()
                .map(|a| {
                    (
                        a.permission_set.to_string(),
                        a.principal_type,
                        a.principal_id.clone().expect("id").to_string(),
                        a.account_id.to_string(),
                    )
                })
                .collect();
            assert_eq!(assignment_set(&model), want, "{what}");

            assert_eq!(
                model.permission_sets.len(),
                ir.permission_sets.len(),
                "{what}"
            );
            for p in &ir.permission_sets {
                let got = model
                    .permission_sets
                    .iter()
                    .find(|s| s.name == p.name)
                    .unwrap_or_else(|| panic!("{what}: no set {}", p.name));
                assert_eq!(got.description, p.description, "{what}: {}", p.name);
                assert_eq!(
                    got.session_duration.as_deref(),
                    Some(p.session_duration.to_iso8601().as_str()),
                    "{what}: {}",
                    p.name
                );
                assert_eq!(got.relay_state, p.relay_state, "{what}: {}", p.name);
                assert_eq!(
                    got.managed_policies, p.managed_policies,
                    "{what}: {}",
                    p.name
                );
                assert_eq!(
                    got.customer_managed_policies, p.customer_managed_policies,
                    "{what}: {}",
                    p.name
                );
                assert_eq!(
                    got.permissions_boundary, p.permissions_boundary,
                    "{what}: {}",
                    p.name
                );
                match (&got.inline_policy, &p.inline_policy) {
                    (Some(a), Some(b)) => assert!(same_policy(a, b), "{what}: {}", p.name),
                    (a, b) => assert_eq!(a, b, "{what}: {}", p.name),
                }
                // The backend tags a break-glass set for its alarm.
                let mut want_tags: Vec<(String, String)> = p
                    .tags
                    .iter()
                    .map(|t| (t.key.clone(), t.value.clone()))
                    .collect();
                if p.break_glass.is_some() {
                    want_tags.push((
                        accessc_core::emit::common::BREAK_GLASS_TAG.to_string(),
                        "true".to_string(),
                    ));
                    want_tags.sort();
                }
                assert_eq!(got.tags, want_tags, "{what}: {}", p.name);
            }
            let want_attrs: Vec<(String, String)> = ir
                .attributes
                .iter()
                .map(|a| (a.key.clone(), a.value.clone()))
                .collect();
            let got_attrs: Vec<(String, String)> = model
                .attributes
                .iter()
                .map(|a| (a.key.clone(), a.source.clone()))
                .collect();
            assert_eq!(got_attrs, want_attrs, "{what}");
        }
    }
}

/// Without the instance parameter, the import names the template, the
/// resource and the reference.
#[test]
fn accessc_output_without_its_parameters_is_refused_by_name() {
    let ir = ir_with_ids(&peers::root().join("examples/app-developer"));
    let files = emit_cfn(&ir, &CfnOptions::default(), &GuardRules).expect("emit");
    let e = cfn::read(&CfnInput {
        files: templates_of(&files),
        parameters: BTreeMap::new(),
    })
    .expect_err("InstanceArn is a parameter");
    assert!(e.file.starts_with("templates/"), "{e}");
    assert!(
        e.at.as_deref().is_some_and(|a| a.starts_with("resource `")),
        "{e}"
    );
    assert!(e.message.contains("`Ref: InstanceArn`"), "{e}");
    assert!(e.message.contains("--parameter InstanceArn="), "{e}");
}

// ---------------------------------------------------------------------------
// Terraform state shaped from the Terraform backend's own resources

const TF_TYPES: [&str; 7] = [
    "aws_ssoadmin_permission_set",
    "aws_ssoadmin_permission_set_inline_policy",
    "aws_ssoadmin_managed_policy_attachment",
    "aws_ssoadmin_customer_managed_policy_attachment",
    "aws_ssoadmin_permissions_boundary_attachment",
    "aws_ssoadmin_account_assignment",
    "aws_ssoadmin_instance_access_control_attributes",
];

/// An hcl2json value as HCL expression text: a `${…}` string is its
/// expression, other strings stay quoted (their template escapes kept),
/// blocks (lists of objects) stay lists, as the state holds them.
fn to_hcl(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::String(s) => match s.strip_prefix("${").and_then(|e| e.strip_suffix('}')) {
            Some(e) if !e.replace("$${", "").contains("${") => format!("({e})"),
            _ => Value::String(s.clone()).to_string(),
        },
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(to_hcl).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(m) => format!(
            "{{ {} }}",
            m.iter()
                .map(|(k, v)| format!("{} = {}", Value::String(k.clone()), to_hcl(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

/// The `terraform show -json` state the aws provider would write after
/// applying the backend's configuration: every `aws_ssoadmin_*` resource
/// instance with its arguments evaluated by `terraform console` (for_each,
/// `jsonencode`, `each.*`), the references to other resources replaced by
/// the values AWS would give (a permission set's ARN), and the assignments
/// in a child module.
fn state_from_hcl(dir: &Path, files: &[OutFile]) -> String {
    use serde_json::Value;
    let paths: Vec<PathBuf> = files
        .iter()
        .filter(|f| f.path.ends_with(".tf"))
        .map(|f| dir.join(&f.path))
        .collect();
    let parsed = peers::hcl_parse(&paths);
    // (type, name, for_each?, attributes as HCL)
    let mut blocks: Vec<(String, String, Option<String>, String)> = Vec::new();
    let mut set_arns: BTreeMap<String, String> = BTreeMap::new();
    for doc in parsed.values() {
        for ty in TF_TYPES {
            for (name, body) in doc["resource"][ty].as_object().into_iter().flatten() {
                let body = &body[0];
                let for_each = body.get("for_each").map(to_hcl);
                let attrs: serde_json::Map<String, Value> = body
                    .as_object()
                    .expect("block")
                    .iter()
                    .filter(|(k, _)| {
                        !["for_each", "depends_on", "lifecycle", "provider"].contains(&k.as_str())
                    })
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                if ty == "aws_ssoadmin_permission_set" {
                    let n = set_arns.len();
                    set_arns.insert(
                        name.clone(),
                        format!("arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-{n:016x}"),
                    );
                }
                blocks.push((
                    ty.to_string(),
                    name.clone(),
                    for_each,
                    to_hcl(&Value::Object(attrs)),
                ));
            }
        }
    }
    let substitute = |e: &str| -> String {
        let mut e = e
            .replace("each.value", "v")
            .replace("each.key", "k")
            .replace("local.instance_arn", &format!("\"{INSTANCE}\""));
        for (name, arn) in &set_arns {
            e = e.replace(
                &format!("aws_ssoadmin_permission_set.{name}.arn"),
                &format!("\"{arn}\""),
            );
        }
        e
    };
    let locals: String = blocks
        .iter()
        .enumerate()
        .map(|(i, (_, _, for_each, attrs))| {
            let over = for_each.clone().unwrap_or_else(|| "{ \"\" = \"\" }".into());
            format!(
                "r{i} = {{ for k, v in {} : k => {} }}\n",
                substitute(&over),
                substitute(attrs)
            )
        })
        .collect();
    let console = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        console.path().join("main.tf"),
        format!("locals {{\n{locals}}}\n"),
    )
    .expect("write");
    let all: Vec<String> = (0..blocks.len()).map(|i| format!("local.r{i}")).collect();
    let out = peers::run(
        Command::new(peers::venv_bin("terraform"))
            .arg("console")
            .current_dir(console.path()),
        Some(format!("jsonencode([{}])\n", all.join(", ")).as_bytes()),
    );
    assert!(
        out.status.success(),
        "terraform console: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let text: String =
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let evaluated: Vec<BTreeMap<String, Value>> = serde_json::from_str(&text).expect("instances");

    let (mut root, mut child) = (Vec::new(), Vec::new());
    for ((ty, name, for_each, _), instances) in blocks.iter().zip(evaluated) {
        for (key, mut values) in instances {
            let mut address = format!("{ty}.{name}");
            if for_each.is_some() {
                address.push_str(&format!("[{}]", Value::String(key.clone())));
            }
            if ty == "aws_ssoadmin_permission_set" {
                values["arn"] = json!(set_arns[name]);
            }
            let in_child = ty == "aws_ssoadmin_account_assignment";
            if in_child {
                address = format!("module.assignments.{address}");
            }
            let r = json!({
                "address": address,
                "mode": "managed",
                "type": ty,
                "name": name,
                "index": if for_each.is_some() { json!(key) } else { Value::Null },
                "provider_name": "registry.terraform.io/hashicorp/aws",
                "schema_version": 0,
                "values": values,
                "sensitive_values": {},
            });
            if in_child {
                child.push(r)
            } else {
                root.push(r)
            }
        }
    }
    json!({
        "format_version": "1.0",
        "terraform_version": "1.9.8",
        "values": {"root_module": {
            "resources": root,
            "child_modules": [{"address": "module.assignments", "resources": child}],
        }},
    })
    .to_string()
}

#[test]
fn terraform_state_of_the_backends_resources_imports_to_the_irs_sets_and_assignments() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for ex in examples() {
        let ir = ir_with_ids(&ex);
        let files = accessc_core::emit::terraform::emit_terraform(&ir)
            .unwrap_or_else(|e| panic!("{}: {}", ex.display(), e.join("\n")));
        let dir = tmp.path().join(ex.file_name().expect("name"));
        std::fs::create_dir_all(&dir).expect("mkdir");
        for f in &files {
            std::fs::write(dir.join(&f.path), &f.contents).expect("write");
        }
        let state = state_from_hcl(&dir, &files);
        let model = accessc_import::terraform::read(&SourceFile {
            name: "state.json".into(),
            text: state,
        })
        .unwrap_or_else(|e| panic!("{}: {e}", ex.display()));
        let what = ex.display().to_string();
        assert_same_content(&ir, &model, &what);
        let want_attrs: Vec<(String, String)> = ir
            .attributes
            .iter()
            .map(|a| (a.key.clone(), a.value.clone()))
            .collect();
        let got_attrs: Vec<(String, String)> = model
            .attributes
            .iter()
            .map(|a| (a.key.clone(), a.source.clone()))
            .collect();
        assert_eq!(got_attrs, want_attrs, "{what}");
    }
}

// ---------------------------------------------------------------------------
// Through the program writer: import → program → `accessc build --target ir`

/// Write the model's program, build its IR with the binary, and check that
/// the IR holds exactly the model's permission sets (every field, inline
/// policies as IAM reads them) and assignments.
fn assert_round_trip(model: &ImportModel, what: &str) {
    use accessc_import::{write_program, WriteOptions};
    let tmp = tempfile::tempdir().expect("tempdir");
    let prog = tmp.path().join("prog");
    let written = write_program(
        model,
        &WriteOptions {
            include_foreign: false,
            user_grant_owner: Some("secops@example.com".into()),
            user_grant_until: Some(accessc_core::Date::new(2027, 6, 30).expect("date")),
        },
    )
    .unwrap_or_else(|e| panic!("{what}: write: {e}"));
    for (path, text) in &written.files {
        let p = prog.join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, text).expect("write");
    }
    let ir_dir = tmp.path().join("ir");
    let out = peers::run(
        peers::accessc()
            .args(["build", "--target", "ir", "--today", "2026-12-01", "-o"])
            .arg(&ir_dir)
            .arg(&prog),
        None,
    );
    assert!(
        out.status.success(),
        "{what}: build: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ir: Ir = serde_json::from_str(
        &std::fs::read_to_string(ir_dir.join("accessc.ir.json")).expect("ir.json"),
    )
    .expect("ir");
    assert_same_content(&ir, model, what);
}

/// The IR holds exactly the model's assignments and permission sets: every
/// field, inline policies as IAM reads them, tags but the ownership tag.
fn assert_same_content(ir: &Ir, model: &ImportModel, what: &str) {
    let got: BTreeSet<_> = ir
        .assignments
        .iter()
        .map(|a| {
            (
                a.permission_set.to_string(),
                a.principal_type,
                a.principal_id.clone().expect("pinned id").to_string(),
                a.account_id.to_string(),
            )
        })
        .collect();
    assert_eq!(got, assignment_set(model), "{what}");
    assert_eq!(
        ir.permission_sets.len(),
        model.permission_sets.len(),
        "{what}"
    );
    for want in &model.permission_sets {
        let p = ir
            .permission_sets
            .iter()
            .find(|p| p.name == want.name)
            .unwrap_or_else(|| panic!("{what}: no set {}", want.name));
        assert_eq!(p.description, want.description, "{what}: {}", p.name);
        let minutes = |iso: &str| accessc_core::ir::SessionDuration::parse_iso8601(iso);
        assert_eq!(
            Some(p.session_duration),
            minutes(want.session_duration.as_deref().unwrap_or("PT1H")),
            "{what}: {}",
            p.name
        );
        assert_eq!(p.relay_state, want.relay_state, "{what}: {}", p.name);
        let set = |v: &[String]| v.iter().cloned().collect::<BTreeSet<_>>();
        assert_eq!(
            set(&p.managed_policies),
            set(&want.managed_policies),
            "{what}: {}",
            p.name
        );
        assert_eq!(
            p.customer_managed_policies.len(),
            want.customer_managed_policies.len(),
            "{what}: {}",
            p.name
        );
        for c in &want.customer_managed_policies {
            assert!(
                p.customer_managed_policies.contains(c),
                "{what}: {}",
                p.name
            );
        }
        assert_eq!(
            p.permissions_boundary, want.permissions_boundary,
            "{what}: {}",
            p.name
        );
        match (&p.inline_policy, &want.inline_policy) {
            (Some(a), Some(b)) => assert!(same_policy(a, b), "{what}: {}\n{a}\n{b}", p.name),
            (a, b) => assert_eq!(a, b, "{what}: {}", p.name),
        }
        // The backends write a break-glass function's tag themselves.
        let mut tags: BTreeSet<(String, String)> = p
            .tags
            .iter()
            .filter(|t| t.key != "ManagedBy")
            .map(|t| (t.key.clone(), t.value.clone()))
            .collect();
        if p.break_glass.is_some() {
            tags.insert((
                accessc_core::emit::common::BREAK_GLASS_TAG.to_string(),
                "true".to_string(),
            ));
        }
        let want_tags: BTreeSet<(String, String)> = want
            .tags
            .iter()
            .filter(|(k, _)| k != "ManagedBy")
            .cloned()
            .collect();
        assert_eq!(tags, want_tags, "{what}: {}", p.name);
    }
}

#[test]
fn aws_sso_util_import_round_trips_through_the_writer() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (out, _) = sso_util_output(tmp.path());
    let model = cfn::read(&CfnInput {
        files: read_dir_files(&out),
        parameters: BTreeMap::new(),
    })
    .unwrap_or_else(|e| panic!("{e}"));
    assert_round_trip(&finish(model, None), "aws-sso-util");
}

#[test]
fn terraform_import_round_trips_through_the_writer() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for ex in examples() {
        let ir = ir_with_ids(&ex);
        let files = accessc_core::emit::terraform::emit_terraform(&ir)
            .unwrap_or_else(|e| panic!("{}: {}", ex.display(), e.join("\n")));
        let dir = tmp.path().join(ex.file_name().expect("name"));
        std::fs::create_dir_all(&dir).expect("mkdir");
        for f in &files {
            std::fs::write(dir.join(&f.path), &f.contents).expect("write");
        }
        let model = accessc_import::terraform::read(&SourceFile {
            name: "state.json".into(),
            text: state_from_hcl(&dir, &files),
        })
        .unwrap_or_else(|e| panic!("{}: {e}", ex.display()));
        assert_round_trip(&finish(model, None), &ex.display().to_string());
    }
}

/// With `--org`: principals named from the snapshot's identity store, grants
/// compressed to its OUs, and still exactly the same assignments.
#[test]
fn terraform_import_with_an_org_snapshot_round_trips_with_names() {
    let ex = peers::root().join("examples/org-matrix");
    let ir = ir_with_ids(&ex);
    let tmp = tempfile::tempdir().expect("tempdir");
    let files = accessc_core::emit::terraform::emit_terraform(&ir).expect("emit");
    for f in &files {
        std::fs::write(tmp.path().join(&f.path), &f.contents).expect("write");
    }
    let model = accessc_import::terraform::read(&SourceFile {
        name: "state.json".into(),
        text: state_from_hcl(tmp.path(), &files),
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let org = accessc_core::org_snapshot::OrgSnapshot::from_json(
        &std::fs::read_to_string(ex.join("org.json")).expect("org.json"),
    )
    .map_err(|e| format!("{e:?}"))
    .expect("snapshot");
    let model = finish(model, Some(org));
    assert!(
        model.principals.iter().all(|p| p.name.is_some()),
        "{:?}",
        model.principals
    );
    let written = accessc_import::write_program(&model, &accessc_import::WriteOptions::default())
        .expect("write");
    let grants = written
        .files
        .iter()
        .find(|(p, _)| p == "grants.access")
        .map(|(_, t)| t.clone())
        .expect("grants.access");
    assert!(grants.contains("aws-team-a-engineers"), "{grants}");
    assert!(
        !grants.contains("\"111111111111\""),
        "grants name OUs, not account ids:\n{grants}"
    );
    assert_round_trip(&model, "org-matrix with --org");
}

// ---------------------------------------------------------------------------
// `accessc import` with offline sources

/// `accessc import ARGS -o DIR`: the output, and whether DIR was created.
fn import(args: &[&std::ffi::OsStr], dir: &Path) -> (std::process::Output, bool) {
    let mut cmd = peers::accessc();
    cmd.arg("import").args(args).arg("-o").arg(dir);
    let out = peers::run(&mut cmd, None);
    let written = dir.exists()
        && std::fs::read_dir(dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(false);
    (out, written)
}

#[test]
fn bad_offline_input_is_one_message_exit_2_and_nothing_written() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let t = tmp.path();
    let unresolved = format!(
        "Resources:\n  A:\n    Type: AWS::SSO::Assignment\n    Properties:\n      InstanceArn: {INSTANCE}\n      PrincipalType: GROUP\n      PrincipalId: !Ref GroupId\n      PermissionSetArn: !GetAtt S.PermissionSetArn\n      TargetType: AWS_ACCOUNT\n      TargetId: '111111111111'\n  S:\n    Type: AWS::SSO::PermissionSet\n    Properties:\n      InstanceArn: {INSTANCE}\n      Name: Dev\nParameters:\n  GroupId:\n    Type: String\n"
    );
    std::fs::write(t.join("unresolved.yaml"), unresolved).expect("write");
    let bad_policy = format!(
        "Resources:\n  S:\n    Type: AWS::SSO::PermissionSet\n    Properties:\n      InstanceArn: {INSTANCE}\n      Name: Dev\n      InlinePolicy: '{{\"Statement\": ['\n"
    );
    std::fs::write(t.join("bad-policy.yaml"), bad_policy).expect("write");
    let other_provider = json!({"format_version": "1.0", "values": {"root_module": {"resources": [
        {"address": "aws_ssoadmin_permission_set.x", "mode": "managed", "type": "aws_ssoadmin_permission_set",
         "name": "x", "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 3, "values": {}}]}}});
    std::fs::write(t.join("newer.json"), other_provider.to_string()).expect("write");
    std::fs::write(
        t.join("raw.tfstate"),
        json!({"version": 4, "resources": []}).to_string(),
    )
    .expect("write");
    let tf_bad_policy = json!({"format_version": "1.0", "values": {"root_module": {"resources": [
        {"address": "aws_ssoadmin_permission_set.x", "mode": "managed", "type": "aws_ssoadmin_permission_set",
         "name": "x", "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
         "values": {"arn": "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef",
                    "instance_arn": INSTANCE, "name": "Dev"}},
        {"address": "aws_ssoadmin_permission_set_inline_policy.x", "mode": "managed",
         "type": "aws_ssoadmin_permission_set_inline_policy", "name": "x",
         "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
         "values": {"instance_arn": INSTANCE, "inline_policy": "{nope",
                    "permission_set_arn": "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef"}}]}}});
    std::fs::write(t.join("tf-bad-policy.json"), tf_bad_policy.to_string()).expect("write");

    let cases: [(&[&str], &str, &str); 5] = [
        (
            &["--from-cfn", "unresolved.yaml"],
            "`Ref: GroupId`",
            "--parameter GroupId=",
        ),
        (
            &["--from-cfn", "bad-policy.yaml"],
            "inline policy of permission set `Dev` is not valid JSON",
            "fix the policy document",
        ),
        (
            &["--from-terraform", "newer.json"],
            "schema version 3",
            "aws provider release",
        ),
        (
            &["--from-terraform", "raw.tfstate"],
            "raw state file",
            "terraform show -json",
        ),
        (
            &["--from-terraform", "tf-bad-policy.json"],
            "inline policy of permission set `Dev` is not valid JSON",
            "fix the policy document",
        ),
    ];
    for (i, (args, what, help)) in cases.iter().enumerate() {
        let dir = t.join(format!("out{i}"));
        let args: Vec<std::ffi::OsString> = args
            .iter()
            .map(|a| {
                if a.starts_with("--") {
                    a.into()
                } else {
                    t.join(a).into_os_string()
                }
            })
            .collect();
        let refs: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
        let (out, written) = import(&refs, &dir);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(!written, "{args:?}: something was written");
        assert!(stderr.contains(what), "{args:?}: {stderr}");
        assert!(stderr.contains(help), "{args:?}: {stderr}");
        assert!(stderr.contains("nothing was written"), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

/// A template directory is untrusted: a symbolic link planted in it (here to
/// a template outside it, whose text marks it) is not followed, and nothing
/// of the linked file reaches the program or the terminal.
#[cfg(unix)]
#[test]
fn a_link_planted_in_a_template_directory_is_not_followed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let t = tmp.path();
    let dir = t.join("templates");
    std::fs::create_dir(&dir).expect("mkdir");
    let set = |name: &str| {
        format!(
            "Resources:\n  S:\n    Type: AWS::SSO::PermissionSet\n    Properties:\n      InstanceArn: {INSTANCE}\n      Name: {name}\n"
        )
    };
    std::fs::write(dir.join("dev.yaml"), set("Dev")).expect("write");
    std::fs::write(t.join("outside.yaml"), set("OutsideMarker")).expect("write");
    std::os::unix::fs::symlink(t.join("outside.yaml"), dir.join("planted.yaml")).expect("link");
    let out_dir = t.join("out");
    let (out, written) = import(
        &[std::ffi::OsStr::new("--from-cfn"), dir.as_os_str()],
        &out_dir,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(written);
    assert!(!stderr.contains("OutsideMarker"), "{stderr}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("OutsideMarker"));
    let functions = std::fs::read_to_string(out_dir.join("functions.access")).expect("read");
    assert!(functions.contains("Dev"), "{functions}");
    assert!(!functions.contains("OutsideMarker"), "{functions}");
}

/// The IR `accessc build --target ir` makes of a program directory.
fn build_ir(prog: &Path, tmp: &Path) -> Ir {
    let ir_dir = tmp.join("ir");
    let out = peers::run(
        peers::accessc()
            .args(["build", "--target", "ir", "--today", "2026-12-01", "-o"])
            .arg(&ir_dir)
            .arg(prog),
        None,
    );
    assert!(
        out.status.success(),
        "build: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(ir_dir.join("accessc.ir.json")).expect("ir"))
        .expect("ir")
}

fn ir_assignments(ir: &Ir) -> BTreeSet<(String, PrincipalType, String, String)> {
    ir.assignments
        .iter()
        .map(|a| {
            (
                a.permission_set.to_string(),
                a.principal_type,
                a.principal_id.clone().expect("pinned id").to_string(),
                a.account_id.to_string(),
            )
        })
        .collect()
}

#[test]
fn accessc_import_from_cfn_writes_a_program_that_builds_to_the_sources_assignments() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (out, expected) = sso_util_output(tmp.path());
    let prog = tmp.path().join("prog");
    let o = peers::run(
        peers::accessc()
            .args(["import", "--from-cfn"])
            .arg(&out)
            .args([
                "--user-grant-owner",
                "secops@example.com",
                "--user-grant-until",
                "2027-06-30",
                "-o",
            ])
            .arg(&prog),
        None,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("wrote "), "{stdout}");
    let ir = build_ir(&prog, tmp.path());
    assert_eq!(ir_assignments(&ir), expected);
    let names: BTreeSet<&str> = ir.permission_sets.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, BTreeSet::from(["Developer", "Operator", "Viewer"]));
}

#[test]
fn accessc_import_from_terraform_with_org_writes_named_principals_and_ou_grants() {
    let ex = peers::root().join("examples/org-matrix");
    let ir = ir_with_ids(&ex);
    let tmp = tempfile::tempdir().expect("tempdir");
    let tf = tmp.path().join("tf");
    std::fs::create_dir_all(&tf).expect("mkdir");
    let files = accessc_core::emit::terraform::emit_terraform(&ir).expect("emit");
    for f in &files {
        std::fs::write(tf.join(&f.path), &f.contents).expect("write");
    }
    let state = tmp.path().join("state.json");
    std::fs::write(&state, state_from_hcl(&tf, &files)).expect("write");
    let prog = tmp.path().join("prog");
    let o = peers::run(
        peers::accessc()
            .args(["import", "--from-terraform"])
            .arg(&state)
            .arg("--org")
            .arg(ex.join("org.json"))
            .arg("-o")
            .arg(&prog),
        None,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let identity = std::fs::read_to_string(prog.join("identity.access")).expect("identity");
    assert!(identity.contains("aws-team-a-engineers"), "{identity}");
    let grants = std::fs::read_to_string(prog.join("grants.access")).expect("grants");
    assert!(!grants.contains("\"111111111111\""), "{grants}");
    let back = build_ir(&prog, tmp.path());
    assert_eq!(ir_assignments(&back), ir_assignments(&ir));
}
