//! The intermediate representation every backend reads: the checked program,
//! fully expanded, as plain data. `accessc build --target ir` writes it as
//! JSON (`docs/ir.md`); the CloudFormation, Terraform and direct-API backends
//! are functions of this type alone.
//!
//! Every list is sorted by a stable key, so the same input gives the same bytes
//! and a one-grant edit changes only that grant's entries.

use serde::{Deserialize, Serialize};

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
    /// ISO 8601, e.g. `PT4H`.
    pub session_duration: String,
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

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Assignment {
    /// Permission set name (AWS).
    pub permission_set: String,
    pub principal_type: PrincipalType,
    /// Principal name in the program.
    pub principal: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    pub account_id: String,
    /// The grant's `until` (user grants), `YYYY-MM-DD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

/// One body of one customer managed policy and where it must exist.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CmpDeployment {
    pub name: String,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `default` for the statements outside `in` blocks, else the `in` OU path.
    pub body: String,
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
    /// OU ids (or the root id) whose every account, now and future, is a target.
    pub ou_ids: Vec<String>,
    /// When non-empty: only these accounts of `ou_ids` (AccountFilterType INTERSECTION).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub account_ids: Vec<String>,
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
