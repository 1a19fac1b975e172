//! What both deployable backends (`cfn`, `terraform`) write alike, so that
//! one program deployed either way means the same in AWS: the break-glass
//! tag and metric, the default name prefix, and the StackSet descriptions.

use crate::ir::CmpDeployment;

/// The tag that marks a break-glass permission set, value `true` (the guard
/// rules read it; both backends write it on exactly the `break_glass` sets).
pub const BREAK_GLASS_TAG: &str = "accessc:BreakGlass";

/// The CloudWatch namespace of the break-glass sign-in metrics.
pub const BREAK_GLASS_METRIC_NAMESPACE: &str = "accessc/BreakGlass";

/// The default prefix of the names accessc gives in AWS (alarms, metric
/// filters, StackSets, exports, stacks), without its separator.
pub const DEFAULT_NAME_PREFIX: &str = "accessc";

/// The metric that counts the sign-ins to break-glass set `name`: the set's
/// name, in [`BREAK_GLASS_METRIC_NAMESPACE`].
pub fn break_glass_metric_name(name: &str) -> String {
    name.to_string()
}

/// The name of the metric filter and of the alarm of break-glass set `name`,
/// after the name prefix and its `-`.
pub fn break_glass_name(name: &str) -> String {
    format!("break-glass-{name}")
}

/// The description of the StackSet of one customer-managed-policy body: the
/// program's description of the policy (or a sentence naming it), which
/// policy and which accounts, and `accessc` once.
pub fn stack_set_description(c: &CmpDeployment) -> String {
    let scope = match c.body.ou_path() {
        None => "every member account without a more specific body".to_string(),
        Some(path) => format!("the accounts under {path}"),
    };
    match &c.description {
        // A description that already names accessc is not told again.
        Some(desc) if desc.contains(DEFAULT_NAME_PREFIX) => {
            format!("{desc} ({}{} for {scope})", c.path, c.name)
        }
        Some(desc) => format!("{desc} ({}{} for {scope}; accessc)", c.path, c.name),
        None => format!(
            "Customer managed policy {}{} for {scope} (accessc)",
            c.path, c.name
        ),
    }
}

/// The `Description` of the template each stack instance of that StackSet
/// deploys (one `AWS::IAM::ManagedPolicy`).
pub fn policy_template_description(c: &CmpDeployment) -> String {
    format!(
        "accessc: customer managed policy {}{} ({} body)",
        c.path, c.name, c.body
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::PolicyBody;

    fn cmp(description: Option<&str>) -> CmpDeployment {
        CmpDeployment {
            name: "DevBoundary".into(),
            path: "/boundaries/".into(),
            description: description.map(str::to_string),
            body: PolicyBody::Default,
            document: "{}".into(),
            targets: vec![],
            account_ids: vec![],
        }
    }

    #[test]
    fn stack_set_descriptions_name_accessc_once() {
        for d in [
            None,
            Some("Boundary of developers"),
            Some("Boundary of developers (accessc)"),
            Some("Managed by accessc"),
        ] {
            let text = stack_set_description(&cmp(d));
            assert_eq!(text.matches("accessc").count(), 1, "{text}");
            assert!(text.contains("/boundaries/DevBoundary"), "{text}");
        }
    }
}
