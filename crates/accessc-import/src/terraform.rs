//! `--from-terraform`: a Terraform state as `terraform show -json` prints it
//! (format 1.x), its `aws_ssoadmin_*` resources read into an
//! [`ImportModel`]. Pure: takes the text.
//!
//! Read, in the root module and every child module: `aws_ssoadmin_permission_set`,
//! `aws_ssoadmin_permission_set_inline_policy`,
//! `aws_ssoadmin_managed_policy_attachment`,
//! `aws_ssoadmin_customer_managed_policy_attachment`,
//! `aws_ssoadmin_permissions_boundary_attachment` and
//! `aws_ssoadmin_account_assignment` (and the ABAC attributes of
//! `aws_ssoadmin_instance_access_control_attributes`) of the `hashicorp/aws` provider, at the
//! resource schema version the provider's 4.x to 6.x releases write (0).
//! Everything else is left aside.

use crate::model::{Assignment, Attribute, ImportModel, PermissionSet};
use crate::offline::{check_bounds, check_policy_json, check_size, ReadError, SourceFile};
use accessc_core::aws_ids::{is_account_id, is_instance_arn, is_principal_id};
use accessc_core::ir::{Boundary, PolicyReference, PrincipalType};
use serde_json::Value;
use std::collections::HashMap;

/// Module nesting deeper than this is refused.
pub const MAX_MODULE_DEPTH: usize = 32;

const TYPES: [&str; 7] = [
    "aws_ssoadmin_permission_set",
    "aws_ssoadmin_permission_set_inline_policy",
    "aws_ssoadmin_managed_policy_attachment",
    "aws_ssoadmin_customer_managed_policy_attachment",
    "aws_ssoadmin_permissions_boundary_attachment",
    "aws_ssoadmin_account_assignment",
    "aws_ssoadmin_instance_access_control_attributes",
];

/// The providers whose `aws` resources are read (Terraform's and OpenTofu's
/// registry addresses of `hashicorp/aws`).
fn is_aws_provider(name: &str) -> bool {
    matches!(
        name,
        "registry.terraform.io/hashicorp/aws" | "registry.opentofu.org/hashicorp/aws"
    )
}

/// One resource of interest: its address, type and values.
struct Res<'a> {
    address: String,
    kind: &'a str,
    values: &'a serde_json::Map<String, Value>,
}

/// Read a `terraform show -json` state.
pub fn read(file: &SourceFile) -> Result<ImportModel, ReadError> {
    check_size(file)?;
    let name = file.name.as_str();
    let doc: Value = serde_json::from_str(&file.text).map_err(|e| {
        ReadError::new(
            name,
            format!("not JSON: {e}"),
            "give the output of `terraform show -json > state.json`",
        )
    })?;
    let Value::Object(top) = &doc else {
        return Err(ReadError::new(
            name,
            "not a Terraform state: the document is not a JSON object",
            "give the output of `terraform show -json > state.json`",
        ));
    };
    match top.get("format_version") {
        Some(Value::String(v)) if v.split('.').next() == Some("1") => {}
        Some(v) => {
            return Err(ReadError::new(
                name,
                format!("format_version {v} is not a format this reader knows (1.x)"),
                "write the state with a Terraform release whose `terraform show -json` prints format 1.x (Terraform 1.0 and later)",
            ))
        }
        None if top.contains_key("version") && top.contains_key("resources") => {
            return Err(ReadError::new(
                name,
                "a raw state file (terraform.tfstate), not `terraform show -json` output",
                "run `terraform show -json > state.json` in the configuration's directory and import that",
            ))
        }
        None => {
            return Err(ReadError::new(
                name,
                "not `terraform show -json` output: no format_version",
                "run `terraform show -json > state.json` in the configuration's directory and import that",
            ))
        }
    }
    let mut found = Vec::new();
    if let Some(root) = top.get("values").and_then(|v| v.get("root_module")) {
        collect(name, root, 0, &mut found)?;
    }
    build(name, &found)
}

fn collect<'a>(
    file: &str,
    module: &'a Value,
    depth: usize,
    out: &mut Vec<Res<'a>>,
) -> Result<(), ReadError> {
    if depth > MAX_MODULE_DEPTH {
        return Err(ReadError::new(
            file,
            format!("modules nested deeper than {MAX_MODULE_DEPTH}"),
            "check that this is the right file",
        ));
    }
    for r in module
        .get("resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(kind) = r.get("type").and_then(Value::as_str) else {
            continue;
        };
        if r.get("mode").and_then(Value::as_str) != Some("managed") || !TYPES.contains(&kind) {
            continue;
        }
        let address = r
            .get("address")
            .and_then(Value::as_str)
            .unwrap_or(kind)
            .to_string();
        let provider = r.get("provider_name").and_then(Value::as_str).unwrap_or("");
        if !is_aws_provider(provider) {
            return Err(ReadError::new(
                file,
                format!("written by provider `{provider}`, not hashicorp/aws"),
                "import a state of the hashicorp/aws provider",
            )
            .at(address));
        }
        match r.get("schema_version").and_then(Value::as_u64) {
            Some(0) | None => {}
            Some(v) => {
                return Err(ReadError::new(
                    file,
                    format!(
                        "`{kind}` at schema version {v}: written by an aws provider release this reader does not know (it reads version 0, providers 4.x to 6.x)"
                    ),
                    "write the state with an aws provider release from 4.x to 6.x, or import live with `accessc import`",
                )
                .at(address));
            }
        }
        let Some(Value::Object(values)) = r.get("values") else {
            return Err(ReadError::new(
                file,
                "the resource has no values",
                "run `terraform refresh`, then `terraform show -json` again",
            )
            .at(address));
        };
        out.push(Res {
            address,
            kind,
            values,
        });
    }
    for m in module
        .get("child_modules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        collect(file, m, depth + 1, out)?;
    }
    Ok(())
}

fn text<'a>(file: &str, r: &'a Res, key: &str) -> Result<&'a str, ReadError> {
    match r.values.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        _ => Err(ReadError::new(
            file,
            format!("`{key}` is missing or not a string"),
            "run `terraform refresh`, then `terraform show -json` again",
        )
        .at(r.address.clone())),
    }
}

fn opt_text(r: &Res, key: &str) -> Option<String> {
    r.values
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A `customer_managed_policy_reference` block (a list of one).
fn reference(v: Option<&Value>) -> Option<PolicyReference> {
    let r = match v? {
        Value::Array(items) => items.first()?,
        other => other,
    };
    Some(PolicyReference {
        name: r.get("name")?.as_str()?.to_string(),
        path: r
            .get("path")
            .and_then(Value::as_str)
            .filter(|p| !p.is_empty())
            .unwrap_or("/")
            .to_string(),
    })
}

fn build(file: &str, found: &[Res]) -> Result<ImportModel, ReadError> {
    let mut model = ImportModel::default();
    let mut by_arn: HashMap<String, usize> = HashMap::new();
    let mut sets: Vec<PermissionSet> = Vec::new();
    let mut instance: Option<(String, String)> = None;
    let mut note_instance = |arn: &str, at: &str| -> Result<(), ReadError> {
        if !is_instance_arn(arn) {
            return Err(ReadError::new(
                file,
                format!("`{arn}` is not an Identity Center instance ARN"),
                "check that the state is of the `aws_ssoadmin_*` resources of one instance",
            )
            .at(at));
        }
        match &instance {
            None => instance = Some((arn.to_string(), at.to_string())),
            Some((first, where_)) if first != arn => {
                return Err(ReadError::new(
                    file,
                    format!("instance `{arn}`, but `{where_}` is in `{first}`"),
                    "import the state of one Identity Center instance at a time",
                )
                .at(at))
            }
            Some(_) => {}
        }
        Ok(())
    };
    for r in found.iter().filter(|r| r.kind == TYPES[0]) {
        let arn = text(file, r, "arn")?;
        note_instance(text(file, r, "instance_arn")?, &r.address)?;
        let mut tags: Vec<(String, String)> = r
            .values
            .get("tags")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        tags.sort();
        let set = PermissionSet {
            arn: Some(arn.to_string()),
            name: text(file, r, "name")?.to_string(),
            description: opt_text(r, "description"),
            session_duration: opt_text(r, "session_duration"),
            relay_state: opt_text(r, "relay_state"),
            tags,
            managed_policies: Vec::new(),
            customer_managed_policies: Vec::new(),
            permissions_boundary: None,
            inline_policy: None,
        };
        if let Some(i) = by_arn.get(arn) {
            return Err(ReadError::new(
                file,
                format!(
                    "permission set `{arn}` appears twice (also as `{}`)",
                    sets[*i].name
                ),
                "import one state file per configuration",
            )
            .at(r.address.clone()));
        }
        by_arn.insert(arn.to_string(), sets.len());
        sets.push(set);
    }
    let set_of = |r: &Res| -> Result<usize, ReadError> {
        let arn = text(file, r, "permission_set_arn")?;
        by_arn.get(arn).copied().ok_or_else(|| {
            ReadError::new(
                file,
                format!("names permission set `{arn}`, which the state does not hold"),
                "import the state that holds the permission set too (every module of the configuration)",
            )
            .at(r.address.clone())
        })
    };
    for r in found.iter().filter(|r| r.kind == TYPES[6]) {
        note_instance(text(file, r, "instance_arn")?, &r.address)?;
        // `attribute { key, value { source = [...] } }` blocks.
        for a in r
            .values
            .get("attribute")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let key = a.get("key").and_then(Value::as_str);
            let source = a
                .get("value")
                .and_then(|v| v.get(0).or(Some(v)))
                .and_then(|v| v.get("source"))
                .and_then(|s| s.get(0).or(Some(s)))
                .and_then(Value::as_str);
            if let (Some(key), Some(source)) = (key, source) {
                model.attributes.push(Attribute {
                    key: key.into(),
                    source: source.into(),
                });
            }
        }
    }
    for r in found
        .iter()
        .filter(|r| r.kind != TYPES[0] && r.kind != TYPES[6])
    {
        note_instance(text(file, r, "instance_arn")?, &r.address)?;
        let i = set_of(r)?;
        let set = &mut sets[i];
        match r.kind {
            "aws_ssoadmin_permission_set_inline_policy" => {
                let doc = text(file, r, "inline_policy")?;
                check_policy_json(file, &r.address, &set.name, doc)?;
                set.inline_policy = Some(doc.to_string());
            }
            "aws_ssoadmin_managed_policy_attachment" => {
                let arn = text(file, r, "managed_policy_arn")?.to_string();
                if !set.managed_policies.contains(&arn) {
                    set.managed_policies.push(arn);
                }
            }
            "aws_ssoadmin_customer_managed_policy_attachment" => {
                let c = reference(r.values.get("customer_managed_policy_reference")).ok_or_else(
                    || {
                        ReadError::new(
                            file,
                            "no customer_managed_policy_reference with a name",
                            "run `terraform refresh`, then `terraform show -json` again",
                        )
                        .at(r.address.clone())
                    },
                )?;
                if !set.customer_managed_policies.contains(&c) {
                    set.customer_managed_policies.push(c);
                }
            }
            "aws_ssoadmin_permissions_boundary_attachment" => {
                let b = match r.values.get("permissions_boundary") {
                    Some(Value::Array(items)) => items.first(),
                    other => other,
                };
                let managed = b
                    .and_then(|b| b.get("managed_policy_arn"))
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty());
                let boundary = match managed {
                    Some(arn) => Some(Boundary::ManagedPolicyArn(arn.to_string())),
                    None => reference(b.and_then(|b| b.get("customer_managed_policy_reference")))
                        .map(Boundary::CustomerManagedPolicy),
                };
                set.permissions_boundary = Some(boundary.ok_or_else(|| {
                    ReadError::new(
                        file,
                        "a permissions boundary with neither a managed policy ARN nor a customer managed policy reference",
                        "run `terraform refresh`, then `terraform show -json` again",
                    )
                    .at(r.address.clone())
                })?);
            }
            "aws_ssoadmin_account_assignment" => {
                let principal_type = match text(file, r, "principal_type")? {
                    "GROUP" => PrincipalType::Group,
                    "USER" => PrincipalType::User,
                    other => {
                        return Err(ReadError::new(
                            file,
                            format!("principal_type `{other}` is neither GROUP nor USER"),
                            "check the state file",
                        )
                        .at(r.address.clone()))
                    }
                };
                if let Some(t) = opt_text(r, "target_type") {
                    if t != "AWS_ACCOUNT" {
                        return Err(ReadError::new(
                            file,
                            format!("target_type `{t}` is not AWS_ACCOUNT"),
                            "check the state file",
                        )
                        .at(r.address.clone()));
                    }
                }
                let principal_id = text(file, r, "principal_id")?.to_string();
                if !is_principal_id(&principal_id) {
                    return Err(ReadError::new(
                        file,
                        format!("principal_id `{principal_id}` is not an identity-store id"),
                        "check the state file",
                    )
                    .at(r.address.clone()));
                }
                let account_id = text(file, r, "target_id")?.to_string();
                if !is_account_id(&account_id) {
                    return Err(ReadError::new(
                        file,
                        format!("target_id `{account_id}` is not a 12-digit account id"),
                        "check the state file",
                    )
                    .at(r.address.clone()));
                }
                model.assignments.push(Assignment {
                    permission_set: set.name.clone(),
                    principal_type,
                    principal_id,
                    account_id,
                });
            }
            _ => {}
        }
        check_bounds(file, &sets, &model.assignments)?;
    }
    check_bounds(file, &sets, &model.assignments)?;
    model.instance.arn = instance.map(|(arn, _)| arn);
    model.permission_sets = sets;
    Ok(model)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const INSTANCE: &str = "arn:aws:sso:::instance/ssoins-1234567890abcdef";
    const PS: &str = "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef";
    const GROUP: &str = "12345678-90ab-cdef-1234-567890abcdef";

    fn res(kind: &str, name: &str, values: Value) -> Value {
        json!({
            "address": format!("{kind}.{name}"),
            "mode": "managed",
            "type": kind,
            "name": name,
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "schema_version": 0,
            "values": values,
        })
    }

    fn state(resources: Vec<Value>, child: Vec<Value>) -> SourceFile {
        let doc = json!({
            "format_version": "1.0",
            "terraform_version": "1.9.8",
            "values": {"root_module": {
                "resources": resources,
                "child_modules": [{"address": "module.m", "resources": child}],
            }},
        });
        SourceFile {
            name: "state.json".into(),
            text: doc.to_string(),
        }
    }

    fn set_res() -> Value {
        res(
            "aws_ssoadmin_permission_set",
            "dev",
            json!({"arn": PS, "instance_arn": INSTANCE, "name": "Dev", "description": "d",
                   "session_duration": "PT4H", "relay_state": null, "tags": {"ManagedBy": "accessc"}}),
        )
    }

    fn assignment(account: &str) -> Value {
        res(
            "aws_ssoadmin_account_assignment",
            &format!("a{account}"),
            json!({"instance_arn": INSTANCE, "permission_set_arn": PS, "principal_type": "GROUP",
                   "principal_id": GROUP, "target_type": "AWS_ACCOUNT", "target_id": account}),
        )
    }

    #[test]
    fn reads_sets_attachments_and_assignments_in_modules() {
        let f = state(
            vec![
                set_res(),
                res(
                    "aws_ssoadmin_permission_set_inline_policy",
                    "dev",
                    json!({"instance_arn": INSTANCE, "permission_set_arn": PS,
                           "inline_policy": "{\"Version\":\"2012-10-17\",\"Statement\":[]}"}),
                ),
                res(
                    "aws_ssoadmin_managed_policy_attachment",
                    "dev",
                    json!({"instance_arn": INSTANCE, "permission_set_arn": PS,
                           "managed_policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
                ),
                res(
                    "aws_ssoadmin_customer_managed_policy_attachment",
                    "dev",
                    json!({"instance_arn": INSTANCE, "permission_set_arn": PS,
                           "customer_managed_policy_reference": [{"name": "P", "path": "/x/"}]}),
                ),
                res(
                    "aws_ssoadmin_permissions_boundary_attachment",
                    "dev",
                    json!({"instance_arn": INSTANCE, "permission_set_arn": PS,
                           "permissions_boundary": [{"managed_policy_arn": "",
                             "customer_managed_policy_reference": [{"name": "B", "path": "/"}]}]}),
                ),
                json!({"address": "data.aws_ssoadmin_instances.this", "mode": "data",
                       "type": "aws_ssoadmin_instances", "values": {}}),
                res("aws_s3_bucket", "b", json!({})),
            ],
            vec![assignment("111111111111"), assignment("222222222222")],
        );
        let m = read(&f).expect("read");
        assert_eq!(m.instance.arn.as_deref(), Some(INSTANCE));
        let s = &m.permission_sets[0];
        assert_eq!(s.name, "Dev");
        assert_eq!(s.session_duration.as_deref(), Some("PT4H"));
        assert_eq!(s.relay_state, None);
        assert_eq!(
            s.managed_policies,
            ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
        );
        assert_eq!(s.customer_managed_policies[0].path, "/x/");
        assert_eq!(
            s.permissions_boundary,
            Some(Boundary::CustomerManagedPolicy(PolicyReference {
                name: "B".into(),
                path: "/".into()
            }))
        );
        assert!(s.inline_policy.is_some());
        assert_eq!(m.assignments.len(), 2);
        assert_eq!(m.assignments[1].account_id, "222222222222");
    }

    fn err(f: &SourceFile) -> ReadError {
        read(f).expect_err("should be refused")
    }

    #[test]
    fn bad_inputs_are_refused_with_what_and_how() {
        let raw = SourceFile {
            name: "terraform.tfstate".into(),
            text: json!({"version": 4, "terraform_version": "1.9.8", "resources": []}).to_string(),
        };
        assert!(err(&raw).message.contains("raw state file"));
        assert!(err(&raw).help.contains("terraform show -json"));

        let v2 = SourceFile {
            name: "s.json".into(),
            text: json!({"format_version": "2.0"}).to_string(),
        };
        assert!(err(&v2).message.contains("format_version"));

        let not_json = SourceFile {
            name: "s.json".into(),
            text: "{".into(),
        };
        assert!(err(&not_json).message.starts_with("not JSON"));

        let mut other = set_res();
        other["provider_name"] = json!("registry.terraform.io/example/aws");
        let e = err(&state(vec![other], vec![]));
        assert!(e.message.contains("example/aws"), "{e}");
        assert_eq!(e.at.as_deref(), Some("aws_ssoadmin_permission_set.dev"));

        let mut newer = set_res();
        newer["schema_version"] = json!(1);
        assert!(err(&state(vec![newer], vec![]))
            .message
            .contains("schema version 1"));

        let bad_policy = res(
            "aws_ssoadmin_permission_set_inline_policy",
            "dev",
            json!({"instance_arn": INSTANCE, "permission_set_arn": PS, "inline_policy": "{\"Statement\": ["}),
        );
        let e = err(&state(vec![set_res(), bad_policy], vec![]));
        assert!(e.message.contains("`Dev` is not valid JSON"), "{e}");

        let e = err(&state(vec![], vec![assignment("111111111111")]));
        assert!(e.message.contains("does not hold"), "{e}");

        let mut bad_account = assignment("111111111111");
        bad_account["values"]["target_id"] = json!("1111");
        assert!(err(&state(vec![set_res()], vec![bad_account]))
            .message
            .contains("12-digit"));

        let mut other_instance = assignment("111111111111");
        other_instance["values"]["instance_arn"] =
            json!("arn:aws:sso:::instance/ssoins-fedcba0987654321");
        assert!(err(&state(vec![set_res()], vec![other_instance]))
            .help
            .contains("one Identity Center instance"));

        let big = SourceFile {
            name: "s.json".into(),
            text: " ".repeat(crate::offline::MAX_FILE_BYTES + 1),
        };
        assert!(err(&big).message.contains("MiB"));
    }

    #[test]
    fn deep_modules_are_refused() {
        let mut m = json!({"resources": []});
        for _ in 0..40 {
            m = json!({"child_modules": [m]});
        }
        let f = SourceFile {
            name: "s.json".into(),
            text: json!({"format_version": "1.0", "values": {"root_module": m}}).to_string(),
        };
        assert!(err(&f).message.contains("nested deeper"));
    }
}
