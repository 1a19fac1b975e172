//! The intermediate representation every backend reads: the checked program,
//! fully expanded, as plain data. `accessc build --target ir` writes it as
//! JSON (`docs/ir.md`); the CloudFormation, Terraform and direct-API backends
//! are functions of this type alone.
//!
//! Every list is sorted by a stable key, so the same input gives the same bytes
//! and a one-grant edit changes only that grant's entries.

pub use crate::date::Date;
pub use crate::session_duration::SessionDuration;
pub use crate::shared_str::SharedStr;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

pub const IR_FORMAT: &str = "accessc-ir/1";

/// The tag `accessc` puts on every permission set it manages.
pub const OWNERSHIP_TAG: (&str, &str) = ("ManagedBy", "accessc");

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct Ir {
    pub format: String,
    pub instance: Instance,
    pub org: OrgSummary,
    /// ABAC: session tag key → identity-source attribute path, in source order.
    pub attributes: Vec<Attribute>,
    pub permission_sets: Vec<PermissionSet>,
    pub principals: Vec<Principal>,
    pub assignments: Vec<Assignment>,
    pub customer_managed_policies: Vec<CmpDeployment>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct Instance {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_store_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replica_regions: Vec<String>,
    /// The AWS access portal URL, when the program gives it (`start_url`);
    /// otherwise the identity store's default, `https://d-….awsapps.com/start`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_url: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct OrgSummary {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub management_account_id: Option<String>,
    /// Every account, sorted by id, with the OU path it sits in.
    pub accounts: Vec<Account>,
    /// Every OU, in tree order.
    pub ous: Vec<Ou>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub name: String,
    /// `Workloads/NonProd`; empty for an account directly under the root.
    pub ou_path: String,
    /// AWS Organizations' state when it is not `ACTIVE` (`SUSPENDED`,
    /// `PENDING_CLOSURE`, `CLOSED`, `PENDING_ACTIVATION`). No assignment
    /// reaches a suspended, closing or closed account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

impl Account {
    /// Whether IAM Identity Center can assign access in the account.
    pub fn is_assignable(&self) -> bool {
        self.status
            .as_deref()
            .and_then(crate::org_snapshot::AccountStatus::parse)
            .is_none_or(|s| s.is_assignable())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Ou {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Attribute {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PermissionSet {
    /// The permission set's name in AWS.
    pub name: String,
    /// The `function` it comes from.
    pub function: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// ISO 8601 in JSON, e.g. `PT4H`.
    pub session_duration: SessionDuration,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relay_state: Option<String>,
    /// AWS-managed policy ARNs, in source order.
    pub managed_policies: Vec<String>,
    pub customer_managed_policies: Vec<PolicyReference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permissions_boundary: Option<Boundary>,
    /// The inline policy, minified JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inline_policy: Option<String>,
    /// Sorted by key; always carries the ownership tag.
    pub tags: Vec<Tag>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub break_glass: Option<BreakGlass>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct PolicyReference {
    pub name: String,
    pub path: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Boundary {
    ManagedPolicyArn(String),
    CustomerManagedPolicy(PolicyReference),
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct BreakGlass {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "UPPERCASE")]
pub enum PrincipalType {
    Group,
    User,
}

impl PrincipalType {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalType::Group => "GROUP",
            PrincipalType::User => "USER",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Principal {
    #[serde(rename = "type")]
    pub kind: PrincipalType,
    /// The name in the program.
    pub name: String,
    /// Identity-store DisplayName (groups) or UserName (users).
    pub display_name: String,
    /// GroupId / UserId when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// One account assignment. A large organization has hundreds of thousands:
/// the names they repeat (permission set, principal, account, owner) are
/// [`SharedStr`]s, one allocation per distinct name rather than per
/// assignment.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Assignment {
    /// Permission set name (AWS).
    pub permission_set: SharedStr,
    pub principal_type: PrincipalType,
    /// Principal name in the program.
    pub principal: SharedStr,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<SharedStr>,
    pub account_id: SharedStr,
    /// The grant's `until` (user grants), `YYYY-MM-DD` in JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<Date>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<SharedStr>,
}

/// One body of one customer managed policy and where it must exist.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CmpDeployment {
    pub name: String,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Which body: the statements outside `in` blocks, or one `in` block's.
    pub body: PolicyBody,
    /// The policy document, minified JSON.
    pub document: String,
    /// Where a service-managed StackSet reaches exactly these accounts.
    pub targets: Vec<DeploymentTarget>,
    /// The accounts that receive this body today, sorted.
    pub account_ids: Vec<String>,
}

/// A StackSet deployment target: whole OUs, or some accounts of an OU.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DeploymentTarget {
    /// OUs (or the root) whose every account, now and future, is a target.
    pub ou_ids: Vec<OrgUnitRef>,
    /// When non-empty: only these accounts of `ou_ids` (AccountFilterType INTERSECTION).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub account_ids: Vec<String>,
}

/// Which body of a customer managed policy a deployment carries. In JSON:
/// `default`, or the `in` block's OU path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PolicyBody {
    /// The statements outside `in` blocks: every account no `in` block covers.
    Default,
    /// The statements of `in <path> { }`: the accounts under that OU.
    Ou(String),
}

impl PolicyBody {
    /// `default`, or the OU path: the text the IR and the generated names use.
    pub fn as_str(&self) -> &str {
        match self {
            PolicyBody::Default => "default",
            PolicyBody::Ou(path) => path,
        }
    }

    pub fn is_default(&self) -> bool {
        matches!(self, PolicyBody::Default)
    }

    /// The `in` block's OU path, if this is one.
    pub fn ou_path(&self) -> Option<&str> {
        match self {
            PolicyBody::Default => None,
            PolicyBody::Ou(path) => Some(path),
        }
    }

    fn from_text(s: String) -> PolicyBody {
        if s == "default" {
            PolicyBody::Default
        } else {
            PolicyBody::Ou(s)
        }
    }
}

impl fmt::Display for PolicyBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for PolicyBody {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for PolicyBody {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<PolicyBody, D::Error> {
        String::deserialize(d).map(PolicyBody::from_text)
    }
}

/// An OU or the organization root as a deployment target: its id, or, when
/// the program does not give the id, which one it is (backends ask for the
/// id as a parameter or variable). In JSON: the id, or `{root}`, or
/// `{Workloads/NonProd}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OrgUnitRef {
    /// `r-ab12`, `ou-ab12-11111111`.
    Id(String),
    /// The root, whose id the program does not give.
    UnknownRoot,
    /// The OU at this path, whose id the program does not give.
    UnknownOu(String),
}

impl OrgUnitRef {
    /// The JSON text.
    pub fn to_text(&self) -> String {
        match self {
            OrgUnitRef::Id(id) => id.clone(),
            OrgUnitRef::UnknownRoot => "{root}".to_string(),
            OrgUnitRef::UnknownOu(path) => format!("{{{path}}}"),
        }
    }

    fn from_text(s: String) -> OrgUnitRef {
        match s.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
            Some("root") => OrgUnitRef::UnknownRoot,
            Some(path) => OrgUnitRef::UnknownOu(path.to_string()),
            None => OrgUnitRef::Id(s),
        }
    }

    /// The id, when the program gives it.
    pub fn id(&self) -> Option<&str> {
        match self {
            OrgUnitRef::Id(id) => Some(id),
            _ => None,
        }
    }
}

impl Serialize for OrgUnitRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            OrgUnitRef::Id(id) => s.serialize_str(id),
            other => s.serialize_str(&other.to_text()),
        }
    }
}

impl<'de> Deserialize<'de> for OrgUnitRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<OrgUnitRef, D::Error> {
        String::deserialize(d).map(OrgUnitRef::from_text)
    }
}

impl Ir {
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    pub fn permission_set(&self, name: &str) -> Option<&PermissionSet> {
        self.permission_sets.iter().find(|p| p.name == name)
    }

    pub fn principal(&self, kind: PrincipalType, name: &str) -> Option<&Principal> {
        self.principals
            .iter()
            .find(|p| p.kind == kind && p.name == name)
    }

    pub fn account_name(&self, id: &str) -> Option<&str> {
        self.org
            .accounts
            .binary_search_by(|a| a.id.as_str().cmp(id))
            .ok()
            .and_then(|i| self.org.accounts.get(i))
            .map(|a| a.name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json<T: Serialize>(v: &T) -> String {
        serde_json::to_string(v).expect("serialize")
    }

    fn back<T: for<'de> Deserialize<'de>>(s: &str) -> T {
        serde_json::from_str(s).expect("deserialize")
    }

    #[test]
    fn policy_bodies_read_and_write_their_text() {
        assert_eq!(json(&PolicyBody::Default), "\"default\"");
        let ou = PolicyBody::Ou("Workloads/NonProd".into());
        assert_eq!(json(&ou), "\"Workloads/NonProd\"");
        assert_eq!(back::<PolicyBody>("\"default\""), PolicyBody::Default);
        assert_eq!(back::<PolicyBody>("\"Workloads/NonProd\""), ou);
    }

    #[test]
    fn unknown_ids_are_their_own_variants_with_the_placeholder_text() {
        let cases = [
            (
                OrgUnitRef::Id("ou-ab12-11111111".into()),
                "ou-ab12-11111111",
            ),
            (OrgUnitRef::Id("r-ab12".into()), "r-ab12"),
            (OrgUnitRef::UnknownRoot, "{root}"),
            (
                OrgUnitRef::UnknownOu("Workloads/NonProd".into()),
                "{Workloads/NonProd}",
            ),
        ];
        for (r, text) in cases {
            assert_eq!(json(&r), format!("\"{text}\""));
            assert_eq!(back::<OrgUnitRef>(&format!("\"{text}\"")), r);
            assert_eq!(r.to_text(), text);
        }
        assert_eq!(OrgUnitRef::UnknownRoot.id(), None);
    }
}
