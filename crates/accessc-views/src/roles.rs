//! `accessc roles`: the IAM role IAM Identity Center creates for each
//! function (permission set) in every account it is assigned in, as the
//! patterns that trust policies, resource and key policies, EKS access
//! entries, CloudTrail queries and metric filters need.
//!
//! AWS names the role `AWSReservedSSO_<permission set name>_<suffix>`, the
//! suffix 16 hexadecimal digits that change when the role is created again
//! (after every assignment of the set in the account is removed), and puts
//! it under the path `/aws-reserved/sso.amazonaws.com/<region>/` (no region
//! segment for an instance in `us-east-1`). A permission set name has at most
//! 32 characters, so the role name has at most 63: IAM's 64-character limit
//! never truncates it.

use accessc_core::ir::Ir;
use serde::Serialize;

/// The role patterns of one function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RolePatterns {
    pub function: String,
    pub permission_set: String,
    /// `AWSReservedSSO_NAME_*`.
    pub role_name: String,
    /// `AWSReservedSSO_NAME_????????????????`: exactly one set's role, even
    /// when another set's name starts with `NAME_`.
    pub role_name_exact: String,
    /// With the `aws-reserved/sso.amazonaws.com/REGION/` path: the role's
    /// real ARN, for `aws:PrincipalArn` conditions and key policies.
    pub role_arn: String,
    /// Without the path: for the EKS `aws-auth` ConfigMap and the places
    /// that do not accept a path.
    pub role_arn_without_path: String,
    /// The session ARN CloudTrail records (`userIdentity.arn`).
    pub assumed_role_arn: String,
    /// Other functions whose role `role_name` also matches.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also_matches: Vec<String>,
    /// The accounts the role exists in (the set is assigned there), sorted.
    pub account_ids: Vec<String>,
}

/// Where the instance is, and the partition that follows from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RolesView {
    /// The instance's region, or `*` when the program does not say.
    pub region: String,
    pub partition: String,
    pub functions: Vec<RolePatterns>,
}

/// The patterns for every permission set of the IR, sorted by name.
pub fn roles(ir: &Ir) -> RolesView {
    let region = ir.instance.region.clone();
    let partition = match region.as_deref() {
        Some(r) if r.starts_with("cn-") => "aws-cn",
        Some(r) if r.starts_with("us-gov-") => "aws-us-gov",
        _ => "aws",
    };
    // The path segment: `REGION/`, none for us-east-1, and a wildcard that
    // takes in both when the region is unknown.
    let path = match region.as_deref() {
        Some("us-east-1") => "aws-reserved/sso.amazonaws.com/".to_string(),
        Some(r) => format!("aws-reserved/sso.amazonaws.com/{r}/"),
        None => "aws-reserved/sso.amazonaws.com/*".to_string(),
    };
    let names: Vec<&str> = ir.permission_sets.iter().map(|p| p.name.as_str()).collect();
    let functions = ir
        .permission_sets
        .iter()
        .map(|ps| {
            let name = &ps.name;
            let role_name = format!("AWSReservedSSO_{name}_*");
            let role_name_exact = format!("AWSReservedSSO_{name}_{}", "?".repeat(16));
            let prefix = format!("{name}_");
            let also_matches = names
                .iter()
                .filter(|n| n.starts_with(&prefix))
                .map(|n| n.to_string())
                .collect();
            let mut account_ids: Vec<String> = ir
                .assignments
                .iter()
                .filter(|a| a.permission_set == *name)
                .map(|a| a.account_id.to_string())
                .collect();
            account_ids.sort();
            account_ids.dedup();
            RolePatterns {
                function: ps.function.clone(),
                permission_set: name.clone(),
                role_arn: format!("arn:{partition}:iam::*:role/{path}{role_name}"),
                role_arn_without_path: format!("arn:{partition}:iam::*:role/{role_name}"),
                assumed_role_arn: format!("arn:{partition}:sts::*:assumed-role/{role_name}/*"),
                role_name,
                role_name_exact,
                also_matches,
                account_ids,
            }
        })
        .collect();
    RolesView {
        region: region.unwrap_or_else(|| "*".to_string()),
        partition: partition.to_string(),
        functions,
    }
}

/// The patterns for people: one block per function.
pub fn text(view: &RolesView) -> String {
    let mut out = String::new();
    if view.region == "*" {
        out.push_str(
            "note: the program names no `instance { region }`: the region in the role path is a wildcard\n\n",
        );
    }
    for f in &view.functions {
        let reach = match f.account_ids.len() {
            0 => "not assigned: no role exists yet".to_string(),
            1 => "assigned in 1 account".to_string(),
            n => format!("assigned in {n} accounts"),
        };
        if f.function == f.permission_set {
            out.push_str(&format!("{} ({reach})\n", f.function));
        } else {
            out.push_str(&format!(
                "{} (permission set {}, {reach})\n",
                f.function, f.permission_set
            ));
        }
        let rows = [
            ("role name", &f.role_name),
            ("exact name", &f.role_name_exact),
            ("role ARN", &f.role_arn),
            ("ARN without path", &f.role_arn_without_path),
            ("session ARN", &f.assumed_role_arn),
        ];
        for (label, value) in rows {
            out.push_str(&format!("  {label:<17} {value}\n"));
        }
        if !f.also_matches.is_empty() {
            out.push_str(&format!(
                "  note: `{}` also matches the role of {}; use the exact name\n",
                f.role_name,
                f.also_matches
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        out.push('\n');
    }
    if view.functions.is_empty() {
        out.push_str("no functions\n");
    }
    out
}

/// The view as JSON.
pub fn json(view: &RolesView) -> String {
    let mut s = serde_json::to_string_pretty(view).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use accessc_core::ir::{Instance, PermissionSet, SessionDuration};

    fn ir(region: Option<&str>, names: &[&str]) -> Ir {
        Ir {
            instance: Instance {
                region: region.map(str::to_string),
                ..Instance::default()
            },
            permission_sets: names
                .iter()
                .map(|n| PermissionSet {
                    name: n.to_string(),
                    function: n.to_string(),
                    description: None,
                    session_duration: SessionDuration::from_minutes(60),
                    relay_state: None,
                    managed_policies: vec![],
                    customer_managed_policies: vec![],
                    permissions_boundary: None,
                    inline_policy: None,
                    tags: vec![],
                    break_glass: None,
                })
                .collect(),
            ..Ir::default()
        }
    }

    #[test]
    fn the_region_picks_the_path_and_the_partition() {
        let v = roles(&ir(Some("eu-west-2"), &["Dev"]));
        assert_eq!(
            v.functions[0].role_arn,
            "arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/eu-west-2/AWSReservedSSO_Dev_*"
        );
        let v = roles(&ir(Some("us-east-1"), &["Dev"]));
        assert_eq!(
            v.functions[0].role_arn,
            "arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Dev_*"
        );
        let v = roles(&ir(Some("cn-north-1"), &["Dev"]));
        assert!(v.functions[0].role_arn.starts_with("arn:aws-cn:iam::*:"));
        let v = roles(&ir(None, &["Dev"]));
        assert_eq!(v.region, "*");
        assert_eq!(
            v.functions[0].role_arn,
            "arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_Dev_*"
        );
    }

    #[test]
    fn a_name_that_prefixes_another_is_flagged() {
        let v = roles(&ir(None, &["Dev", "Dev_Ops", "Ops"]));
        assert_eq!(v.functions[0].also_matches, vec!["Dev_Ops".to_string()]);
        assert!(v.functions[1].also_matches.is_empty());
        assert_eq!(
            v.functions[0].role_name_exact.len(),
            "AWSReservedSSO_Dev_".len() + 16
        );
    }
}
