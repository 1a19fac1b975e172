//! Terraform names: readable (`snake_case` of the AWS or program name) and
//! unique within one namespace, the first taker keeping the plain name.

use super::hcl::snake;
use std::collections::HashSet;

/// One namespace of names: a resource type, a data source type, a variable.
#[derive(Default)]
pub struct Namespace {
    taken: HashSet<String>,
}

impl Namespace {
    /// `snake(base)`, or `snake(base)_2`, `_3`… when that is taken.
    pub fn name(&mut self, base: &str) -> String {
        self.exact(snake(base))
    }

    /// `ident` as given (already an identifier), made unique the same way.
    pub fn exact(&mut self, ident: String) -> String {
        self.unique(ident, '_')
    }

    /// `name` as given, made unique with `-2`, `-3`… (for AWS names).
    pub fn unique_dashed(&mut self, name: String) -> String {
        self.unique(name, '-')
    }

    fn unique(&mut self, name: String, sep: char) -> String {
        if self.taken.insert(name.clone()) {
            return name;
        }
        let mut n = 2;
        loop {
            let candidate = format!("{name}{sep}{n}");
            if self.taken.insert(candidate.clone()) {
                return candidate;
            }
            n += 1;
        }
    }
}

/// A CloudFormation StackSet name (`[A-Za-z][A-Za-z0-9-]*`, at most 128
/// characters): every other character becomes `-`.
pub fn stack_set_name(parts: &[&str]) -> String {
    let joined = parts.join("-");
    let mut out: String = joined
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    while out.contains("--") {
        out = out.replace("--", "-");
    }
    let mut out = out.trim_matches('-').to_string();
    // Room for a `-N` suffix when two names meet.
    out.truncate(120);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_taker_keeps_the_plain_name() {
        let mut ns = Namespace::default();
        assert_eq!(ns.name("App-Dev"), "app_dev");
        assert_eq!(ns.name("AppDev"), "app_dev_2");
        assert_eq!(ns.name("app_dev"), "app_dev_3");
    }

    #[test]
    fn aws_names_take_dashed_suffixes() {
        let mut ns = Namespace::default();
        assert_eq!(ns.unique_dashed("accessc-P".into()), "accessc-P");
        assert_eq!(ns.unique_dashed("accessc-P".into()), "accessc-P-2");
    }

    #[test]
    fn stack_set_names_are_valid() {
        assert_eq!(
            stack_set_name(&["accessc", "SecOps.Actions", "Workloads/NonProd"]),
            "accessc-SecOps-Actions-Workloads-NonProd"
        );
    }
}
