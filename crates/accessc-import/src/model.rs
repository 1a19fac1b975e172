//! What an import read, whatever the source: the one input of the program
//! writer. Every field holds what AWS (or the template, or the state) says,
//! unnormalized; the writer decides how to spell it in `.access`.

use accessc_core::ir::{Boundary, PolicyReference, PrincipalType};
use accessc_core::org_snapshot::OrgSnapshot;
use serde::{Deserialize, Serialize};

/// Everything read from one source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportModel {
    /// The instance: ARN (`arn:aws:sso:::instance/ssoins-…`), identity-store
    /// id (`d-…`) and the Region it lives in, when the source knows them.
    pub instance: Instance,
    /// The organization, as `accessc org snapshot` writes it, when known
    /// (live import; `--org` for offline sources). Its `identity_store`
    /// holds the groups and users the assignments name.
    pub org: Option<OrgSnapshot>,
    /// The instance's access-control attributes (ABAC): key and its value
    /// source (`${path:enterprise.department}`), in the order AWS lists them.
    pub attributes: Vec<Attribute>,
    /// Every permission set read, foreign ones included: the writer decides
    /// what to leave out.
    pub permission_sets: Vec<PermissionSet>,
    /// Every group and user an assignment names.
    pub principals: Vec<Principal>,
    /// Every (principal, permission set, account) assignment read.
    pub assignments: Vec<Assignment>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instance {
    pub arn: Option<String>,
    pub identity_store_id: Option<String>,
    pub region: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribute {
    pub key: String,
    pub source: String,
}

/// One permission set, every field AWS holds for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionSet {
    /// Its ARN, when read live (`arn:aws:sso:::permissionSet/ssoins-…/ps-…`).
    pub arn: Option<String>,
    pub name: String,
    pub description: Option<String>,
    /// ISO 8601 as read (`PT1H`, `PT12H`); `None` means AWS's default (1 hour).
    pub session_duration: Option<String>,
    pub relay_state: Option<String>,
    /// Tags in the order read.
    pub tags: Vec<(String, String)>,
    /// AWS-managed policy ARNs.
    pub managed_policies: Vec<String>,
    /// Customer managed policy references (name and path, path `/` by default).
    pub customer_managed_policies: Vec<PolicyReference>,
    pub permissions_boundary: Option<Boundary>,
    /// The inline policy's JSON text exactly as read.
    pub inline_policy: Option<String>,
}

/// A group or a user, as the identity store names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    pub kind: PrincipalType,
    /// GroupId or UserId.
    pub id: String,
    /// DisplayName (groups) or UserName (users); `None` when the source only
    /// has the id (templates, state files without `--org`).
    pub name: Option<String>,
}

/// One assignment.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Assignment {
    /// The permission set's name.
    pub permission_set: String,
    pub principal_type: PrincipalType,
    pub principal_id: String,
    /// The 12-digit account id.
    pub account_id: String,
}
