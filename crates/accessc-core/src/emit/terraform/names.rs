//! Terraform names: readable (`snake_case` of the AWS or program name) and
//! stable. A name depends on its item's own exact name and on nothing beside
//! it, so adding or removing an item never moves another one's address:
//!
//! - a name that `snake` keeps whole, i.e. that reads back from its
//!   `snake_case` as PascalCase or as lower `kebab-case`, gets the plain
//!   `snake_case`: `AppDeveloper` → `app_developer`, `aws-team-a` →
//!   `aws_team_a`;
//! - any other name gets its `snake_case`, two underscores and eight hex
//!   digits of the stable hash of the exact name
//!   ([`crate::emit::cfn::names::stable_hash`], FNV-1a 64 with a fixed
//!   finalizer): `Ops_Admin` → `ops_admin__3f2a9c1e`. `snake` never writes
//!   two underscores in a row, so a hashed name never equals a plain one.
//!
//! Two plain names share a `snake_case` only when one is the PascalCase and
//! the other the `kebab-case` of the same words (`OpsAdmin`, `ops-admin`);
//! those, names composed of several parts that meet (an assignment's set and
//! principal) and hash collisions are what can still clash:
//! [`Namespace::claim`] records them and the build refuses them.

use super::hcl::snake;
use crate::emit::cfn::names::short_hash;
use std::collections::HashMap;

/// PascalCase from `snake_case`: `app_developer` → `AppDeveloper`.
fn unsnake_pascal(s: &str) -> String {
    s.split('_')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// Whether `snake` keeps `name` whole: `name` is PascalCase or lower
/// `kebab-case` that reads back from its `snake_case`.
pub fn is_plain(name: &str) -> bool {
    let s = snake(name);
    unsnake_pascal(&s) == name || s.replace('_', "-") == name
}

/// The Terraform name of `name`: its `snake_case`, with `__` and the hash
/// of `name` when `snake` does not keep it whole.
pub fn ident(name: &str) -> String {
    let s = snake(name);
    if is_plain(name) {
        s
    } else {
        format!("{s}__{}", short_hash(name))
    }
}

/// The Terraform name part of an OU path (`Workloads/NonProd` →
/// `workloads_non_prod`): plain when every OU name is plain.
pub fn path_ident(path: &str) -> String {
    if path.split('/').all(is_plain) {
        snake(path)
    } else {
        format!("{}__{}", snake(path), short_hash(path))
    }
}

/// One namespace of names (a resource type, a data source type): records
/// who holds each name, and every name two items would share.
pub struct Namespace {
    what: &'static str,
    taken: HashMap<String, String>,
    errors: Vec<String>,
}

impl Namespace {
    /// A namespace for `what`, e.g. "`aws_ssoadmin_permission_set` name".
    pub fn new(what: &'static str) -> Namespace {
        Namespace {
            what,
            taken: HashMap::new(),
            errors: Vec::new(),
        }
    }

    /// Records that `owner` (a description of the item, e.g. "permission
    /// set `Ops_Admin`") has `name`; returns `name`. The same owner may
    /// claim a name again.
    pub fn claim(&mut self, name: String, owner: &str) -> String {
        match self.taken.get(&name) {
            Some(other) if other != owner => self.errors.push(format!(
                "{owner} and {other} would both have the {} `{name}`: rename one of them (docs/terraform.md, \"Addresses\")",
                self.what
            )),
            Some(_) => {}
            None => {
                self.taken.insert(name.clone(), owner.to_string());
            }
        }
        name
    }

    /// The names two items would share, as error messages.
    pub fn into_errors(self) -> Vec<String> {
        self.errors
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
    out.trim_matches('-').to_string()
}

/// The longest name prefix (`var.name_prefix`): a letter and 31 more.
pub const MAX_PREFIX_LEN: usize = 32;

/// The StackSet name of a customer managed policy body after the name
/// prefix: `NAME` or `NAME-OU-PATH`, plain when that keeps the names whole
/// (the policy name of letters, digits and single inner `-`, the OU names of
/// letters and digits) and fits in 128 characters with the longest prefix;
/// else cut, with `--` and the hash of the exact name and body (a plain name
/// never holds `--`).
pub fn stable_stack_set_name(name: &str, body: Option<&str>) -> String {
    const MAX: usize = 128 - MAX_PREFIX_LEN;
    let mut parts = vec![name];
    parts.extend(body);
    let joined = stack_set_name(&parts);
    let name_plain = !name.is_empty() && stack_set_name(&[name]) == name;
    let body_plain = body.is_none_or(|b| {
        b.split('/')
            .all(|seg| !seg.is_empty() && seg.chars().all(|c| c.is_ascii_alphanumeric()))
    });
    if name_plain && body_plain && joined.len() <= MAX {
        return joined;
    }
    let raw = match body {
        Some(b) => format!("{name}\u{1f}{b}"),
        None => name.to_string(),
    };
    let suffix = format!("--{}", short_hash(&raw));
    let keep = MAX - suffix.len();
    let cut = joined[..joined.len().min(keep)].trim_end_matches('-');
    format!("{cut}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_keep_their_snake_case() {
        assert_eq!(ident("AppDeveloper"), "app_developer");
        assert_eq!(ident("S3Reader"), "s3_reader");
        assert_eq!(ident("aws-team-a-engineers"), "aws_team_a_engineers");
        assert_eq!(ident("AppDevelopers"), "app_developers");
        assert_eq!(path_ident("Workloads/NonProd"), "workloads_non_prod");
    }

    #[test]
    fn lossy_names_get_the_hash_of_their_own_name() {
        let a = ident("Ops_Admin");
        let b = ident("Ops-Admin");
        assert!(a.starts_with("ops_admin__") && a.len() == "ops_admin__".len() + 8);
        assert!(b.starts_with("ops_admin__"));
        assert_ne!(a, b);
        assert_eq!(ident("OpsAdmin"), "ops_admin");
        assert_eq!(ident("ops-admin"), "ops_admin");
        // Case and acronyms are information too.
        assert!(ident("EC2Admin").starts_with("ec2_admin__"));
        assert!(ident("opsAdmin").starts_with("ops_admin__"));
        assert!(ident("aws_team").starts_with("aws_team__"));
    }

    #[test]
    fn a_shared_name_is_an_error() {
        let mut ns = Namespace::new("`aws_x` name");
        ns.claim("a_b".into(), "grant `A` to `b`");
        ns.claim("a_b".into(), "grant `A` to `b`");
        assert!(ns.errors.is_empty());
        ns.claim("a_b".into(), "grant `AB` to `x`");
        assert_eq!(ns.into_errors().len(), 1);
    }

    #[test]
    fn stack_set_names_are_valid_and_stable() {
        assert_eq!(
            stack_set_name(&["accessc", "SecOps.Actions", "Workloads/NonProd"]),
            "accessc-SecOps-Actions-Workloads-NonProd"
        );
        assert_eq!(
            stable_stack_set_name("DevBoundary", Some("Workloads/Prod")),
            "DevBoundary-Workloads-Prod"
        );
        let a = stable_stack_set_name("Dev_Boundary", None);
        let b = stable_stack_set_name("Dev-Boundary", None);
        assert!(a.starts_with("Dev-Boundary--") && b == "Dev-Boundary");
        let long = stable_stack_set_name(&"A".repeat(200), None);
        assert!(long.len() + MAX_PREFIX_LEN <= 128 && long.contains("--"));
    }
}
