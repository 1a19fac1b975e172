//! The checked program: every name resolved, grants expanded to assignments.
//! Backends lower this (through the IR) and the language server queries it.

use crate::ast::PrincipalKind;
use crate::date::Date;
pub use crate::org_snapshot::AccountStatus;
use crate::session_duration::SessionDuration;
use crate::span::Span;
use indexmap::IndexMap;
use serde_json::Value;

pub use crate::idx::{Idx, IdxMap, IdxVec};

crate::idx::newtype_index! {
    /// An OU: an index into `Org::ous`.
    OuIdx;
    /// An account: an index into `Org::accounts`.
    AccountIdx;
    /// A function: an index into `Model::functions`.
    FnIdx;
    /// A group or user: an index into `Model::principals`.
    PrincipalIdx;
    /// A grant: an index into `Model::grants`.
    GrantIdx;
    /// A managed policy: an index into `Model::managed_policies`.
    ManagedPolicyIdx;
    /// An `in OU` body of a managed policy: an index into `ManagedPolicyDef::ou_bodies`.
    BodyIdx;
}

#[derive(Debug, Clone, Default)]
pub struct Model {
    pub instance: InstanceSettings,
    /// ABAC: session tag key → identity-source attribute path.
    pub attributes: IndexMap<String, AttributeDef>,
    pub org: Org,
    pub principals: IdxVec<PrincipalIdx, PrincipalDef>,
    pub policies: IndexMap<String, PolicyDef>,
    pub managed_policies: IdxMap<ManagedPolicyIdx, ManagedPolicyDef>,
    pub functions: IdxMap<FnIdx, FunctionDef>,
    pub grants: IdxVec<GrantIdx, GrantDef>,
    /// Distinct (principal, function, account) triples, in grant order.
    pub assignments: Vec<Assignment>,
    pub quotas: Quotas,
}

#[derive(Debug, Clone, Default)]
pub struct InstanceSettings {
    pub arn: Option<String>,
    pub identity_store: Option<String>,
    pub region: Option<String>,
    pub replicas: Vec<String>,
    /// The AWS access portal URL, when the program gives it.
    pub start_url: Option<String>,
    pub span: Option<Span>,
}

#[derive(Debug, Clone)]
pub struct AttributeDef {
    pub key: String,
    pub value: String,
    pub span: Span,
}

/// The organization. Its OUs and accounts are indexed by their own index
/// types:
///
/// ```no_run
/// use accessc_core::model::{AccountIdx, Idx, Org, OuIdx};
/// let org = Org::default();
/// let _ = (&org.accounts[AccountIdx::new(0)], &org.ous[OuIdx::new(0)]);
/// ```
///
/// and an account's index does not look up an OU:
///
/// ```compile_fail
/// use accessc_core::model::{AccountIdx, Idx, Org};
/// let org = Org::default();
/// let _ = &org.ous[AccountIdx::new(0)];
/// ```
#[derive(Debug, Clone, Default)]
pub struct Org {
    pub root_id: Option<String>,
    pub management: Option<AccountIdx>,
    pub ous: IdxVec<OuIdx, OuNode>,
    pub accounts: IdxVec<AccountIdx, AccountNode>,
    /// Where the org was declared (an `org { }` block or `org from`).
    pub span: Option<Span>,
    pub declared: bool,
    /// Identity-store ids from a snapshot: display name → id.
    pub group_ids: IndexMap<String, String>,
    pub user_ids: IndexMap<String, String>,
    pub identity_store: Option<String>,
}

#[derive(Debug, Clone, Hash)]
pub struct OuNode {
    pub name: String,
    /// `Workloads/NonProd`
    pub path: String,
    pub id: Option<String>,
    pub parent: Option<OuIdx>,
    pub children: Vec<OuIdx>,
    pub accounts: Vec<AccountIdx>,
    pub span: Span,
}

#[derive(Debug, Clone, Hash)]
pub struct AccountNode {
    pub name: String,
    pub id: String,
    pub ou: Option<OuIdx>,
    pub span: Span,
    /// From the snapshot; an inline `org { }` account is `Active`.
    pub status: AccountStatus,
}

impl Org {
    /// Whether IAM Identity Center can assign access in the account (it is
    /// not suspended, closing or closed).
    pub fn is_assignable(&self, account: AccountIdx) -> bool {
        self.accounts[account].status.is_assignable()
    }

    pub fn ou_by_path(&self, path: &str) -> Option<OuIdx> {
        self.ous.position(|o| o.path == path)
    }

    /// Every account under an OU, at any depth, in tree order.
    pub fn accounts_under(&self, ou: OuIdx, out: &mut Vec<AccountIdx>) {
        out.extend(self.ous[ou].accounts.iter().copied());
        for &c in &self.ous[ou].children {
            self.accounts_under(c, out);
        }
    }

    /// The OUs from the root down to the account's OU.
    pub fn ancestry(&self, account: AccountIdx) -> Vec<OuIdx> {
        let mut chain = Vec::new();
        let mut cur = self.accounts[account].ou;
        while let Some(o) = cur {
            chain.push(o);
            cur = self.ous[o].parent;
        }
        chain.reverse();
        chain
    }
}

#[derive(Debug, Clone, Hash)]
pub struct PrincipalDef {
    pub kind: PrincipalKind,
    pub name: String,
    /// Identity-store DisplayName (groups) or UserName (users).
    pub display_name: String,
    /// GroupId / UserId when known (from the program or the org snapshot).
    pub id: Option<String>,
    pub span: Span,
}

/// A `policy`: statements that become part of an inline policy.
#[derive(Debug, Clone)]
pub struct PolicyDef {
    pub name: String,
    pub statements: Vec<Value>,
    pub span: Span,
    pub from_std: bool,
}

#[derive(Debug, Clone)]
pub struct ManagedPolicyDef {
    pub name: String,
    pub path: String,
    pub description: Option<String>,
    pub external: bool,
    /// Statements for accounts no `in` block covers (None: deployed only by `in` blocks).
    pub default_body: Option<Vec<Value>>,
    /// `in` blocks, most general first; an account takes the most specific one.
    pub ou_bodies: IdxVec<BodyIdx, OuBody>,
    /// `except` OUs: no body reaches an account under them.
    pub excluded: Vec<OuIdx>,
    pub span: Span,
    pub from_std: bool,
}

#[derive(Debug, Clone)]
pub struct OuBody {
    pub ou: OuIdx,
    pub statements: Vec<Value>,
    pub span: Span,
}

impl ManagedPolicyDef {
    /// The body an account receives: `Some(None)` for the default body,
    /// `Some(Some(i))` for `ou_bodies[i]`, `None` when not deployed there
    /// (no body covers it, or it is under an `except` OU).
    pub fn body_for(&self, org: &Org, account: AccountIdx) -> Option<Option<BodyIdx>> {
        let chain = org.ancestry(account);
        if chain.iter().any(|o| self.excluded.contains(o)) {
            return None;
        }
        let mut best: Option<(usize, BodyIdx)> = None; // (depth, body)
        for (i, b) in self.ou_bodies.iter_enumerated() {
            if let Some(depth) = chain.iter().position(|&o| o == b.ou) {
                if best.is_none_or(|(d, _)| depth >= d) {
                    best = Some((depth, i));
                }
            }
        }
        match best {
            Some((_, i)) => Some(Some(i)),
            None if self.default_body.is_some() => Some(None),
            None => None,
        }
    }
}

#[derive(Debug, Clone)]
pub enum BoundaryRef {
    Aws { name: String, arn: String },
    Customer { name: String, path: String },
}

#[derive(Debug, Clone)]
pub struct ManagedRef {
    pub name: String,
    pub arn: String,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct FunctionDef {
    pub name: String,
    /// The permission set's name in AWS.
    pub aws_name: String,
    pub description: Option<String>,
    pub session: SessionDuration,
    pub relay: Option<String>,
    pub managed: Vec<ManagedRef>,
    /// Declared managed policies referenced as CustomerManagedPolicyReferences.
    pub customer: Vec<String>,
    pub boundary: Option<BoundaryRef>,
    /// The inline policy document, if there are any statements.
    pub inline: Option<Value>,
    pub inline_sources: Vec<String>,
    pub tags: IndexMap<String, String>,
    pub break_glass: Option<BreakGlass>,
    pub span: Span,
    pub from_std: bool,
}

impl FunctionDef {
    /// The customer managed policies the set needs in each account (references and boundary).
    pub fn cmp_dependencies(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.customer.iter().map(String::as_str).collect();
        if let Some(BoundaryRef::Customer { name, .. }) = &self.boundary {
            if !v.contains(&name.as_str()) {
                v.push(name);
            }
        }
        v
    }
}

#[derive(Debug, Clone)]
pub struct BreakGlass {
    pub notify: Option<String>,
}

#[derive(Debug, Clone)]
pub struct GrantDef {
    pub functions: Vec<FnIdx>,
    pub principals: Vec<PrincipalIdx>,
    pub accounts: Vec<AccountIdx>,
    pub owner: Option<String>,
    pub until: Option<Date>,
    pub span: Span,
    /// Per account the grant reaches, the target that reaches it (the
    /// first one, in the grant's order), when it has more than one target.
    pub reached_by: Vec<(AccountIdx, Span)>,
    /// Its target, when it has only one (it reaches every account).
    pub only_target: Option<Span>,
}

impl GrantDef {
    /// The target of this grant that reaches `account` (the whole grant when
    /// none is recorded).
    pub fn target_span(&self, account: AccountIdx) -> Span {
        if let Some(only) = self.only_target {
            return only;
        }
        self.reached_by
            .iter()
            .find(|(a, _)| *a == account)
            .map_or(self.span, |(_, s)| *s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Assignment {
    pub principal: PrincipalIdx,
    pub function: FnIdx,
    pub account: AccountIdx,
    pub grant: GrantIdx,
}

#[derive(Debug, Clone, Copy)]
pub struct Quotas {
    pub managed_policies: u64,
    pub permission_sets: u64,
    pub provisioned_per_account: u64,
}

impl Default for Quotas {
    fn default() -> Quotas {
        Quotas {
            managed_policies: 10,
            permission_sets: 3500,
            provisioned_per_account: 500,
        }
    }
}
