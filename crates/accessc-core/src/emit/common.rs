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

/// The longest name prefix: Terraform's `name_prefix` holds it and its `-`
/// in the 32 characters its validation allows, and with it every stack,
/// StackSet, export, alarm and metric filter name stays within AWS's limits
/// (stack and StackSet names: 128 characters).
pub const MAX_NAME_PREFIX_LEN: usize = 31;

/// The prefix of the names accessc gives in AWS, without its separator
/// (`accessc build --name-prefix`): an ASCII letter, then letters, digits
/// and single inner hyphens, at most [`MAX_NAME_PREFIX_LEN`] characters —
/// what a stack, StackSet, export, alarm and metric filter name may all
/// start with. Both backends write it as the default of their prefix
/// (CloudFormation's `NamePrefix` parameter, Terraform's `name_prefix`
/// variable with its `-`), so one prefix names the same things either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NamePrefix {
    len: u8,
    bytes: [u8; MAX_NAME_PREFIX_LEN],
}

impl NamePrefix {
    /// `s` as a prefix, or why it cannot be one (one sentence).
    pub fn new(s: &str) -> Result<NamePrefix, String> {
        let shown: String = s
            .chars()
            .take(40)
            .collect::<String>()
            .escape_debug()
            .collect();
        if s.is_empty() {
            return Err(
                "the name prefix is empty: give a letter, then letters, digits and hyphens".into(),
            );
        }
        if s.len() > MAX_NAME_PREFIX_LEN {
            return Err(format!(
                "the name prefix `{shown}…` is longer than {MAX_NAME_PREFIX_LEN} characters:                  stack and StackSet names after it must stay within 128"
            ));
        }
        if !s.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return Err(format!(
                "the name prefix `{shown}` does not start with a letter, as stack and StackSet names must"
            ));
        }
        if let Some(c) = s
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            return Err(format!(
                "the name prefix `{shown}` has `{}`: only letters, digits and hyphens are allowed in stack, StackSet and export names",
                c.escape_debug()
            ));
        }
        if s.ends_with('-') || s.contains("--") {
            return Err(format!(
                "the name prefix `{shown}` ends with `-` or has `--`: accessc adds the `-` after it, and `--` marks a shortened name"
            ));
        }
        let mut bytes = [0; MAX_NAME_PREFIX_LEN];
        for (b, c) in bytes.iter_mut().zip(s.bytes()) {
            *b = c;
        }
        Ok(NamePrefix {
            len: s.len() as u8,
            bytes,
        })
    }

    pub fn as_str(&self) -> &str {
        self.bytes
            .get(..usize::from(self.len))
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or(DEFAULT_NAME_PREFIX)
    }
}

impl Default for NamePrefix {
    fn default() -> Self {
        NamePrefix::new(DEFAULT_NAME_PREFIX).unwrap_or(NamePrefix {
            len: 0,
            bytes: [0; MAX_NAME_PREFIX_LEN],
        })
    }
}

impl std::fmt::Display for NamePrefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

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
    fn name_prefixes_are_what_every_aws_name_allows() {
        assert_eq!(NamePrefix::default().as_str(), "accessc");
        for ok in ["a", "prod", "Team-7", "x1-y2-z3", &"a".repeat(31)] {
            assert_eq!(
                NamePrefix::new(ok).map(|p| p.to_string()),
                Ok(ok.to_string())
            );
        }
        for bad in [
            "",
            "7up",
            "-a",
            "a-",
            "a--b",
            "a_b",
            "a b",
            "a.b",
            "a/b",
            "a:b",
            "ä",
            "a\n",
            &"a".repeat(32),
            &"ab".repeat(1000),
        ] {
            let err = NamePrefix::new(bad).expect_err(bad);
            assert!(err.starts_with("the name prefix"), "{err}");
            assert!(err.len() < 200, "{err}");
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
