//! The access diff of two versions of a program: what AWS would hold
//! differently, from the two IRs alone. Assignments are compared by what
//! identifies them in AWS (permission set, principal as the identity store
//! knows it, account), permission sets by name and every field, policy
//! documents by what they allow and deny ([`policy`]). Source text plays no
//! part: a pure refactor is no change.

pub mod policy;
pub mod render;

use accessc_core::ir::{
    Assignment, Boundary, Date, Ir, PermissionSet, PolicyReference, PrincipalType,
};
use policy::{Normalized, PolicyChange};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The whole diff, as `--format json` writes it.
#[derive(Debug, Serialize)]
pub struct AccessDiff {
    /// Whether anyone can do more, or somewhere more, than before.
    pub widened: bool,
    /// Added and removed assignments, grouped by (principal, function).
    pub summary: Vec<SummaryLine>,
    pub added: Vec<AssignmentRow>,
    pub removed: Vec<AssignmentRow>,
    /// Assignments on both sides whose expiry or owner changed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changed: Vec<AssignmentChange>,
    pub functions: Vec<FunctionDiff>,
    /// Customer managed policies whose documents changed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<PolicyDiff>,
    /// Program names that now stand for another identity-store principal.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub principals: Vec<PrincipalChange>,
    /// ABAC attributes (session tags) added, removed or changed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<AttributeChange>,
}

impl AccessDiff {
    /// Whether the two programs give AWS the same thing.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.changed.is_empty()
            && self.functions.is_empty()
            && self.policies.is_empty()
            && self.principals.is_empty()
            && self.attributes.is_empty()
    }
}

/// `old` → `new`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change<T> {
    pub old: T,
    pub new: T,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Added,
    Removed,
}

/// One (principal, function) whose accounts changed, with the OUs whose every
/// account it now reaches (added) or reached (removed) named.
#[derive(Debug, Clone, Serialize)]
pub struct SummaryLine {
    pub change: Side,
    pub principal_type: PrincipalType,
    pub principal: String,
    pub function: String,
    /// How many accounts were added or removed.
    pub accounts: usize,
    /// OU paths (`root` for the whole organization) whose every account is
    /// reached.
    pub through: Vec<String>,
    /// The other accounts, by name.
    pub in_accounts: Vec<String>,
}

/// One (principal, function, account).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssignmentRow {
    pub principal_type: PrincipalType,
    pub principal: String,
    pub function: String,
    pub account: String,
    pub account_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<Date>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AssignmentChange {
    #[serde(flatten)]
    pub assignment: AssignmentRow,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until_change: Option<Change<Option<Date>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_change: Option<Change<Option<String>>>,
    /// A later or removed expiry.
    pub widens: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FunctionStatus {
    Added,
    Removed,
    Changed,
    /// Removed under one name and added under another with the same content.
    Renamed,
}

/// How one permission set changed.
#[derive(Debug, Clone, Serialize)]
pub struct FunctionDiff {
    /// The permission set's name (the new one for a rename).
    pub name: String,
    pub status: FunctionStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    /// Whether the function itself now allows more.
    pub widens: bool,
    /// ISO 8601 (`PT4H`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<Change<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Change<Option<String>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relay_state: Option<Change<Option<String>>>,
    /// AWS managed policies, by name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub managed_policies_added: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub managed_policies_removed: Vec<String>,
    /// Customer managed policies, `/path/Name`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub customer_managed_policies_added: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub customer_managed_policies_removed: Vec<String>,
    /// The permissions boundary (an AWS managed policy's name or `/path/Name`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub boundary: Option<Change<Option<String>>>,
    /// The inline policy.
    #[serde(flatten)]
    pub inline: PolicyChange,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<TagChange>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub break_glass: Option<Change<bool>>,
}

impl FunctionDiff {
    fn new(name: &str, status: FunctionStatus) -> FunctionDiff {
        FunctionDiff {
            name: name.to_string(),
            status,
            renamed_from: None,
            widens: false,
            session: None,
            description: None,
            relay_state: None,
            managed_policies_added: Vec::new(),
            managed_policies_removed: Vec::new(),
            customer_managed_policies_added: Vec::new(),
            customer_managed_policies_removed: Vec::new(),
            boundary: None,
            inline: PolicyChange::default(),
            tags: Vec::new(),
            break_glass: None,
        }
    }

    /// Whether nothing but the name differs.
    fn same_content(&self) -> bool {
        self.session.is_none()
            && self.description.is_none()
            && self.relay_state.is_none()
            && self.managed_policies_added.is_empty()
            && self.managed_policies_removed.is_empty()
            && self.customer_managed_policies_added.is_empty()
            && self.customer_managed_policies_removed.is_empty()
            && self.boundary.is_none()
            && self.inline.is_empty()
            && self.tags.is_empty()
            && self.break_glass.is_none()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TagChange {
    pub key: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PolicyDiff {
    pub name: String,
    pub path: String,
    /// `default`, or the `in` block's OU path.
    pub body: String,
    pub status: FunctionStatus,
    /// The functions that attach it or use it as their boundary (new side).
    pub used_by: Vec<String>,
    pub widens: bool,
    #[serde(flatten)]
    pub change: PolicyChange,
}

#[derive(Debug, Clone, Serialize)]
pub struct PrincipalChange {
    pub principal_type: PrincipalType,
    pub principal: String,
    /// The identity-store name (or id) before and after.
    pub identity: Change<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AttributeChange {
    pub key: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// The identity a principal has in AWS: its id when known, else the
/// identity-store name.
fn identities(ir: &Ir) -> HashMap<(PrincipalType, &str), &str> {
    ir.principals
        .iter()
        .map(|p| {
            (
                (p.kind, p.name.as_str()),
                p.id.as_deref().unwrap_or(&p.display_name),
            )
        })
        .collect()
}

/// What identifies an assignment in AWS.
type Key<'a> = (&'a str, PrincipalType, &'a str, &'a str);

fn keyed<'a>(ir: &'a Ir) -> HashMap<Key<'a>, &'a Assignment> {
    let ids = identities(ir);
    ir.assignments
        .iter()
        .map(|a| {
            let id = a.principal_id.as_deref().unwrap_or_else(|| {
                ids.get(&(a.principal_type, a.principal.as_str()))
                    .copied()
                    .unwrap_or(&a.principal)
            });
            (
                (
                    a.permission_set.as_str(),
                    a.principal_type,
                    id,
                    a.account_id.as_str(),
                ),
                a,
            )
        })
        .collect()
}

fn row(ir: &Ir, a: &Assignment) -> AssignmentRow {
    AssignmentRow {
        principal_type: a.principal_type,
        principal: a.principal.to_string(),
        function: a.permission_set.to_string(),
        account: ir
            .account_name(&a.account_id)
            .unwrap_or_default()
            .to_string(),
        account_id: a.account_id.to_string(),
        until: a.until,
        owner: a.owner.as_deref().map(str::to_string),
    }
}

fn row_order(r: &AssignmentRow) -> (PrincipalType, &str, &str, &str, &str) {
    (
        r.principal_type,
        &r.principal,
        &r.function,
        &r.account,
        &r.account_id,
    )
}

/// The access diff from `old` to `new`.
pub fn diff(old: &Ir, new: &Ir) -> AccessDiff {
    let mut functions = function_diffs(old, new);
    let renamed: HashMap<&str, &str> = functions
        .iter()
        .filter_map(|f| Some((f.name.as_str(), f.renamed_from.as_deref()?)))
        .collect();

    let (ka, kb) = (keyed(old), keyed(new));
    let mut added = Vec::new();
    let mut removed = Vec::new();
    let mut changed = Vec::new();
    let mut widened = false;
    for (key, a) in &kb {
        match ka.get(key) {
            None => {
                let (ps, kind, id, account) = *key;
                let moved = renamed
                    .get(ps)
                    .is_some_and(|from| ka.contains_key(&(*from, kind, id, account)));
                widened |= !moved;
                added.push(row(new, a));
            }
            Some(before) => {
                if before.until != a.until || before.owner != a.owner {
                    let later = match (before.until, a.until) {
                        (Some(x), Some(y)) => y > x,
                        (Some(_), None) => true,
                        _ => false,
                    };
                    widened |= later;
                    changed.push(AssignmentChange {
                        assignment: row(new, a),
                        until_change: (before.until != a.until).then_some(Change {
                            old: before.until,
                            new: a.until,
                        }),
                        owner_change: (before.owner != a.owner).then(|| Change {
                            old: before.owner.as_deref().map(str::to_string),
                            new: a.owner.as_deref().map(str::to_string),
                        }),
                        widens: later,
                    });
                }
            }
        }
    }
    for (key, a) in &ka {
        if !kb.contains_key(key) {
            removed.push(row(old, a));
        }
    }
    let summary = summarize(old, new, &added, &removed);
    added.sort_by(|x, y| row_order(x).cmp(&row_order(y)));
    removed.sort_by(|x, y| row_order(x).cmp(&row_order(y)));
    changed.sort_by(|x, y| row_order(&x.assignment).cmp(&row_order(&y.assignment)));

    let policies = policy_diffs(old, new);
    let principals = principal_changes(old, new);
    let attributes = attribute_changes(old, new);
    functions.retain(|f| !(f.status == FunctionStatus::Changed && f.same_content()));
    widened |= functions.iter().any(|f| f.widens)
        || policies.iter().any(|p| p.widens)
        || !attributes.is_empty();
    AccessDiff {
        widened,
        summary,
        added,
        removed,
        changed,
        functions,
        policies,
        principals,
        attributes,
    }
}

fn managed_name(arn: &str) -> String {
    accessc_core::catalog::managed_policies()
        .by_arn(arn)
        .map(str::to_string)
        .unwrap_or_else(|| arn.rsplit('/').next().unwrap_or(arn).to_string())
}

fn reference(r: &PolicyReference) -> String {
    format!("{}{}", r.path, r.name)
}

fn boundary_name(b: &Boundary) -> String {
    match b {
        Boundary::ManagedPolicyArn(arn) => managed_name(arn),
        Boundary::CustomerManagedPolicy(r) => reference(r),
    }
}

fn set_diff(old: BTreeSet<String>, new: BTreeSet<String>) -> (Vec<String>, Vec<String>) {
    (
        new.difference(&old).cloned().collect(),
        old.difference(&new).cloned().collect(),
    )
}

/// How `new` differs from `old`, field by field.
fn compare_sets(
    old: &PermissionSet,
    new: &PermissionSet,
    old_inline: Option<&Normalized>,
    new_inline: Option<&Normalized>,
) -> FunctionDiff {
    let mut d = FunctionDiff::new(&new.name, FunctionStatus::Changed);
    if old.session_duration != new.session_duration {
        d.session = Some(Change {
            old: old.session_duration.to_iso8601(),
            new: new.session_duration.to_iso8601(),
        });
        d.widens |= new.session_duration > old.session_duration;
    }
    if old.description != new.description {
        d.description = Some(Change {
            old: old.description.clone(),
            new: new.description.clone(),
        });
    }
    if old.relay_state != new.relay_state {
        d.relay_state = Some(Change {
            old: old.relay_state.clone(),
            new: new.relay_state.clone(),
        });
    }
    let names = |p: &PermissionSet| p.managed_policies.iter().map(|a| managed_name(a)).collect();
    (d.managed_policies_added, d.managed_policies_removed) = set_diff(names(old), names(new));
    let refs = |p: &PermissionSet| p.customer_managed_policies.iter().map(reference).collect();
    (
        d.customer_managed_policies_added,
        d.customer_managed_policies_removed,
    ) = set_diff(refs(old), refs(new));
    d.widens |=
        !d.managed_policies_added.is_empty() || !d.customer_managed_policies_added.is_empty();
    if old.permissions_boundary != new.permissions_boundary {
        d.boundary = Some(Change {
            old: old.permissions_boundary.as_ref().map(boundary_name),
            new: new.permissions_boundary.as_ref().map(boundary_name),
        });
        // Removing a boundary widens; so may exchanging it for another.
        d.widens |= old.permissions_boundary.is_some();
    }
    d.inline = policy::compare(old_inline, new_inline);
    d.widens |= d.inline.widens();
    let tags = |p: &PermissionSet| -> BTreeMap<String, String> {
        p.tags
            .iter()
            .map(|t| (t.key.clone(), t.value.clone()))
            .collect()
    };
    let (ta, tb) = (tags(old), tags(new));
    let keys: BTreeSet<&String> = ta.keys().chain(tb.keys()).collect();
    for key in keys {
        let (a, b) = (ta.get(key), tb.get(key));
        if a != b {
            d.tags.push(TagChange {
                key: key.clone(),
                old: a.cloned(),
                new: b.cloned(),
            });
        }
    }
    if old.break_glass.is_some() != new.break_glass.is_some() {
        d.break_glass = Some(Change {
            old: old.break_glass.is_some(),
            new: new.break_glass.is_some(),
        });
    }
    d
}

fn function_diffs(old: &Ir, new: &Ir) -> Vec<FunctionDiff> {
    let index = |ir: &'_ Ir| -> BTreeMap<String, usize> {
        ir.permission_sets
            .iter()
            .enumerate()
            .map(|(i, p)| (p.name.clone(), i))
            .collect()
    };
    let (ia, ib) = (index(old), index(new));
    let inline = |p: &PermissionSet| p.inline_policy.as_deref().map(policy::normalize);
    let mut out = Vec::new();
    let mut gone: Vec<(&PermissionSet, Option<Normalized>)> = Vec::new();
    let mut fresh: Vec<&PermissionSet> = Vec::new();
    for (name, &i) in &ib {
        let Some(b) = new.permission_sets.get(i) else {
            continue;
        };
        match ia.get(name).and_then(|&j| old.permission_sets.get(j)) {
            Some(a) if a == b => {}
            Some(a) => out.push(compare_sets(a, b, inline(a).as_ref(), inline(b).as_ref())),
            None => fresh.push(b),
        }
    }
    for (name, &j) in &ia {
        if !ib.contains_key(name) {
            if let Some(a) = old.permission_sets.get(j) {
                gone.push((a, inline(a)));
            }
        }
    }
    // A set removed under one name and added under another with the same
    // content is a rename (still two sets in AWS).
    let mut taken = HashSet::default();
    for b in fresh {
        let b_inline = inline(b);
        let same = gone.iter().find(|(a, a_inline)| {
            !taken.contains(&a.name)
                && a.session_duration == b.session_duration
                && a.managed_policies.len() == b.managed_policies.len()
                && a.description == b.description
                && *a_inline == b_inline
                && compare_sets(a, b, b_inline.as_ref(), b_inline.as_ref()).same_content()
        });
        match same {
            Some((a, _)) => {
                taken.insert(a.name.clone());
                let mut d = FunctionDiff::new(&b.name, FunctionStatus::Renamed);
                d.renamed_from = Some(a.name.clone());
                out.push(d);
            }
            None => out.push(FunctionDiff::new(&b.name, FunctionStatus::Added)),
        }
    }
    for (a, _) in gone {
        if !taken.contains(&a.name) {
            out.push(FunctionDiff::new(&a.name, FunctionStatus::Removed));
        }
    }
    out.sort_by(|x, y| x.name.cmp(&y.name));
    out
}

fn policy_diffs(old: &Ir, new: &Ir) -> Vec<PolicyDiff> {
    type PolicyKey<'a> = (&'a str, &'a str, &'a str);
    let docs = |ir: &'_ Ir| -> BTreeMap<(String, String, String), String> {
        ir.customer_managed_policies
            .iter()
            .map(|c| {
                (
                    (c.name.clone(), c.path.clone(), c.body.as_str().to_string()),
                    c.document.clone(),
                )
            })
            .collect()
    };
    let (da, db) = (docs(old), docs(new));
    let used_by = |name: &str, path: &str| -> Vec<String> {
        new.permission_sets
            .iter()
            .filter(|p| {
                p.customer_managed_policies
                    .iter()
                    .any(|r| r.name == name && r.path == path)
                    || matches!(&p.permissions_boundary,
                        Some(Boundary::CustomerManagedPolicy(r)) if r.name == name && r.path == path)
            })
            .map(|p| p.name.clone())
            .collect()
    };
    let keys: BTreeSet<PolicyKey> = da
        .keys()
        .chain(db.keys())
        .map(|(n, p, b)| (n.as_str(), p.as_str(), b.as_str()))
        .collect();
    let norm = |d: Option<&String>| d.map(|d| policy::normalize(d));
    let mut out = Vec::new();
    for (name, path, body) in keys {
        let key = (name.to_string(), path.to_string(), body.to_string());
        let default = (name.to_string(), path.to_string(), "default".to_string());
        let (a, b) = (da.get(&key), db.get(&key));
        // Most documents are the same text on both sides: no need to read them.
        if a.is_some() && a == b {
            continue;
        }
        let (status, change) = match (a, b) {
            (Some(_), Some(_)) => {
                let (na, nb) = (norm(a), norm(b));
                if na == nb {
                    continue;
                }
                (
                    FunctionStatus::Changed,
                    policy::compare(na.as_ref(), nb.as_ref()),
                )
            }
            // A body for an OU that had the default body before, or back.
            (None, Some(_)) => (
                FunctionStatus::Added,
                policy::compare(norm(da.get(&default)).as_ref(), norm(b).as_ref()),
            ),
            (Some(_), None) => (
                FunctionStatus::Removed,
                policy::compare(norm(a).as_ref(), norm(db.get(&default)).as_ref()),
            ),
            (None, None) => continue,
        };
        out.push(PolicyDiff {
            name: name.to_string(),
            path: path.to_string(),
            body: body.to_string(),
            status,
            used_by: used_by(name, path),
            widens: change.widens(),
            change,
        });
    }
    out
}

fn principal_changes(old: &Ir, new: &Ir) -> Vec<PrincipalChange> {
    let ia = identities(old);
    let mut out: Vec<PrincipalChange> = identities(new)
        .into_iter()
        .filter_map(|((kind, name), id)| {
            let before = ia.get(&(kind, name))?;
            (*before != id).then(|| PrincipalChange {
                principal_type: kind,
                principal: name.to_string(),
                identity: Change {
                    old: before.to_string(),
                    new: id.to_string(),
                },
            })
        })
        .collect();
    out.sort_by(|x, y| (x.principal_type, &x.principal).cmp(&(y.principal_type, &y.principal)));
    out
}

fn attribute_changes(old: &Ir, new: &Ir) -> Vec<AttributeChange> {
    let map = |ir: &'_ Ir| -> BTreeMap<String, String> {
        ir.attributes
            .iter()
            .map(|a| (a.key.clone(), a.value.clone()))
            .collect()
    };
    let (a, b) = (map(old), map(new));
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| AttributeChange {
            key: k.clone(),
            old: a.get(k).cloned(),
            new: b.get(k).cloned(),
        })
        .collect()
}

/// The organization of one IR as the summary needs it.
struct Org<'a> {
    /// Account id → its OU path (empty: under the root), assignable accounts only.
    ou_of: HashMap<&'a str, &'a str>,
    /// OU path (empty: the root) → how many assignable accounts are under it.
    size: HashMap<&'a str, usize>,
}

/// `Workloads/NonProd` → ``, `Workloads`, `Workloads/NonProd`.
fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    std::iter::once("").chain(
        path.match_indices('/')
            .map(move |(i, _)| &path[..i])
            .chain((!path.is_empty()).then_some(path)),
    )
}

impl<'a> Org<'a> {
    fn of(ir: &'a Ir) -> Org<'a> {
        let mut ou_of = HashMap::default();
        let mut size: HashMap<&str, usize> = HashMap::default();
        for a in ir.org.accounts.iter().filter(|a| a.is_assignable()) {
            ou_of.insert(a.id.as_str(), a.ou_path.as_str());
            for ou in ancestors(&a.ou_path) {
                *size.entry(ou).or_default() += 1;
            }
        }
        Org { ou_of, size }
    }

    /// The topmost OUs whose every account is in `all` and that hold one of
    /// `changed`, and the accounts of `changed` under none of them.
    fn describe<'b>(
        &self,
        changed: &[&'b str],
        all: &HashSet<&str>,
    ) -> (Vec<String>, Vec<&'b str>) {
        let mut count: HashMap<&str, usize> = HashMap::default();
        for id in all {
            if let Some(ou) = self.ou_of.get(id) {
                for a in ancestors(ou) {
                    *count.entry(a).or_default() += 1;
                }
            }
        }
        let mut through = BTreeSet::new();
        let mut loose = Vec::new();
        for id in changed {
            let full = self.ou_of.get(id).and_then(|ou| {
                ancestors(ou).find(|a| count.get(a).is_some_and(|c| Some(c) == self.size.get(a)))
            });
            match full {
                Some(ou) => {
                    through.insert(if ou.is_empty() { "root" } else { ou });
                }
                None => loose.push(*id),
            }
        }
        (through.into_iter().map(str::to_string).collect(), loose)
    }
}

fn summarize(
    old: &Ir,
    new: &Ir,
    added: &[AssignmentRow],
    removed: &[AssignmentRow],
) -> Vec<SummaryLine> {
    let mut out = Vec::new();
    for (side, rows, ir) in [(Side::Added, added, new), (Side::Removed, removed, old)] {
        if rows.is_empty() {
            continue;
        }
        let org = Org::of(ir);
        let mut groups: BTreeMap<(&str, PrincipalType, &str), Vec<&AssignmentRow>> =
            BTreeMap::new();
        for r in rows {
            groups
                .entry((&r.function, r.principal_type, &r.principal))
                .or_default()
                .push(r);
        }
        // Every account of each (principal, function) that changed, on this side.
        let mut all: HashMap<(PrincipalType, &str, &str), HashSet<&str>> = groups
            .keys()
            .map(|&(f, k, p)| ((k, p, f), HashSet::default()))
            .collect();
        for a in &ir.assignments {
            let pair = (
                a.principal_type,
                a.principal.as_str(),
                a.permission_set.as_str(),
            );
            if let Some(set) = all.get_mut(&pair) {
                set.insert(&a.account_id);
            }
        }
        for ((function, kind, principal), rows) in groups {
            let ids: Vec<&str> = rows.iter().map(|r| r.account_id.as_str()).collect();
            let empty = HashSet::default();
            let full = all.get(&(kind, principal, function)).unwrap_or(&empty);
            let (through, loose) = org.describe(&ids, full);
            let mut in_accounts: Vec<String> = loose
                .iter()
                .map(|id| ir.account_name(id).unwrap_or(id).to_string())
                .collect();
            in_accounts.sort();
            out.push(SummaryLine {
                change: side,
                principal_type: kind,
                principal: principal.to_string(),
                function: function.to_string(),
                accounts: ids.len(),
                through,
                in_accounts,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestors_run_from_the_root_down() {
        assert_eq!(
            ancestors("Workloads/NonProd").collect::<Vec<_>>(),
            ["", "Workloads", "Workloads/NonProd"]
        );
        assert_eq!(ancestors("").collect::<Vec<_>>(), [""]);
    }
}
