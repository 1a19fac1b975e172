//! Checked model to IR: functions become permission sets, grants become
//! sorted assignments, customer managed policy bodies become deployments with
//! the StackSet targets that reach exactly their accounts.

use crate::ast::PrincipalKind;
use crate::check::CheckedModel;
use crate::ir::*;
use crate::model::{self, AccountIdx, FnIdx, GrantIdx, Idx, IdxVec, Model, OuIdx, PrincipalIdx};
use std::collections::{BTreeSet, HashSet};

/// Lower a checked model to the IR. Only the checker makes a
/// [`CheckedModel`], and only of a model without errors.
pub fn lower(checked: CheckedModel<'_>) -> Ir {
    let m = checked.model();
    // Grown by insertion, as `used` below: only the functions granted.
    let mut granted: HashSet<FnIdx> = HashSet::new();
    for a in m.assignments.iter() {
        granted.insert(a.function);
    }
    // Standard-library functions become permission sets only when granted.
    let functions: Vec<(FnIdx, &model::FunctionDef)> = m
        .functions
        .iter_enumerated()
        .filter(|(i, f)| !f.from_std || granted.contains(i))
        .collect();
    let mut permission_sets: Vec<PermissionSet> = functions
        .iter()
        .map(|(_, f)| permission_set(m, f))
        .collect();
    permission_sets.sort_by(|a, b| a.name.cmp(&b.name));

    let referenced: HashSet<&str> = functions
        .iter()
        .flat_map(|(_, f)| f.cmp_dependencies())
        .collect();
    let mut cmps = Vec::new();
    for mp in m.managed_policies.values() {
        if mp.external || (mp.from_std && !referenced.contains(mp.name.as_str())) {
            continue;
        }
        cmps.extend(deployments(m, mp));
    }
    cmps.sort_by(|a, b| (&a.name, a.body.as_str()).cmp(&(&b.name, b.body.as_str())));

    // Sort by ranks (permission set name, principal, account id) computed once,
    // rather than by comparing strings hundreds of thousands of times.
    let fn_rank: IdxVec<FnIdx, usize> =
        rank(m.functions.values().map(|f| f.aws_name.clone()).collect());
    let p_rank: IdxVec<PrincipalIdx, usize> = rank(
        m.principals
            .iter()
            .map(|p| format!("{}\u{0}{}", principal_type(p.kind).as_str(), p.name))
            .collect(),
    );
    let a_rank: IdxVec<AccountIdx, usize> =
        rank(m.org.accounts.iter().map(|a| a.id.clone()).collect());
    let mut order: Vec<&model::Assignment> = m.assignments.iter().collect();
    order.sort_unstable_by_key(|a| (fn_rank[a.function], p_rank[a.principal], a_rank[a.account]));
    // Each name is made once and shared by every assignment that repeats it.
    let set_names: IdxVec<FnIdx, SharedStr> = m
        .functions
        .values()
        .map(|f| SharedStr::from(f.aws_name.as_str()))
        .collect();
    let principal_names: IdxVec<PrincipalIdx, (SharedStr, Option<SharedStr>)> = m
        .principals
        .iter()
        .map(|p| {
            (
                SharedStr::from(p.name.as_str()),
                p.id.as_deref().map(SharedStr::from),
            )
        })
        .collect();
    let account_ids: IdxVec<AccountIdx, SharedStr> = m
        .org
        .accounts
        .iter()
        .map(|a| SharedStr::from(a.id.as_str()))
        .collect();
    let owners: IdxVec<GrantIdx, Option<SharedStr>> = m
        .grants
        .iter()
        .map(|g| g.owner.as_deref().map(SharedStr::from))
        .collect();
    let mut assignments: Vec<Assignment> = Vec::with_capacity(order.len());
    assignments.extend(order.into_iter().map(|a| {
        let p = &m.principals[a.principal];
        let (principal, principal_id) = &principal_names[a.principal];
        Assignment {
            permission_set: set_names[a.function].clone(),
            principal_type: principal_type(p.kind),
            principal: principal.clone(),
            principal_id: principal_id.clone(),
            account_id: account_ids[a.account].clone(),
            until: m.grants[a.grant].until,
            owner: owners[a.grant].clone(),
        }
    }));
    assignments.dedup_by(|a, b| {
        a.permission_set == b.permission_set
            && a.principal_type == b.principal_type
            && a.principal == b.principal
            && a.account_id == b.account_id
    });

    // Grown by insertion: `collect` would reserve room for every
    // assignment, not for the few principals.
    let mut used: HashSet<(PrincipalType, &str)> = HashSet::new();
    for a in &assignments {
        used.insert((a.principal_type, a.principal.as_str()));
    }
    let mut principals: Vec<Principal> = m
        .principals
        .iter()
        .filter(|p| used.contains(&(principal_type(p.kind), p.name.as_str())))
        .map(|p| Principal {
            kind: principal_type(p.kind),
            name: p.name.clone(),
            display_name: p.display_name.clone(),
            id: p.id.clone(),
        })
        .collect();
    principals.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));

    let mut accounts: Vec<Account> = m
        .org
        .accounts
        .iter()
        .map(|a| Account {
            id: a.id.clone(),
            name: a.name.clone(),
            ou_path: a.ou.map(|o| m.org.ous[o].path.clone()).unwrap_or_default(),
            status: (a.status != model::AccountStatus::Active).then(|| a.status.to_string()),
        })
        .collect();
    accounts.sort_by(|a, b| a.id.cmp(&b.id));

    Ir {
        format: IR_FORMAT.to_string(),
        instance: Instance {
            arn: m.instance.arn.clone(),
            identity_store_id: m
                .instance
                .identity_store
                .clone()
                .or_else(|| m.org.identity_store.clone()),
            region: m.instance.region.clone(),
            replica_regions: m.instance.replicas.clone(),
            start_url: m.instance.start_url.clone(),
        },
        org: OrgSummary {
            root_id: m.org.root_id.clone(),
            management_account_id: m.org.management.map(|i| m.org.accounts[i].id.clone()),
            accounts,
            ous: m
                .org
                .ous
                .iter()
                .map(|o| Ou {
                    path: o.path.clone(),
                    id: o.id.clone(),
                })
                .collect(),
        },
        attributes: m
            .attributes
            .values()
            .map(|a| Attribute {
                key: a.key.clone(),
                value: a.value.clone(),
            })
            .collect(),
        permission_sets,
        principals,
        assignments,
        customer_managed_policies: cmps,
    }
}

/// Frees what [`lower`] never reads of a model, so that it is not held
/// with the IR while the IR is made: of each grant, the lists of what it
/// reaches and which target reaches each account (the checker's, for its
/// diagnostics; lowering reads the expanded assignments and each grant's
/// `owner` and `until`). The model is then fit only for lowering.
pub fn shed_for_lowering(model: &mut Model) {
    let indices: Vec<GrantIdx> = model.grants.indices().collect();
    for i in indices {
        let g = &mut model.grants[i];
        g.functions = Vec::new();
        g.principals = Vec::new();
        g.accounts = Vec::new();
        g.reached_by = Vec::new();
    }
}

fn principal_type(k: PrincipalKind) -> PrincipalType {
    match k {
        PrincipalKind::Group => PrincipalType::Group,
        PrincipalKind::User => PrincipalType::User,
    }
}

fn permission_set(m: &Model, f: &model::FunctionDef) -> PermissionSet {
    let mut tags: Vec<Tag> = f
        .tags
        .iter()
        .map(|(k, v)| Tag {
            key: k.clone(),
            value: v.clone(),
        })
        .collect();
    if !tags.iter().any(|t| t.key == OWNERSHIP_TAG.0) {
        tags.push(Tag {
            key: OWNERSHIP_TAG.0.into(),
            value: OWNERSHIP_TAG.1.into(),
        });
    }
    tags.sort_by(|a, b| a.key.cmp(&b.key));
    PermissionSet {
        name: f.aws_name.clone(),
        function: f.name.clone(),
        description: f.description.clone(),
        session_duration: f.session,
        relay_state: f.relay.clone(),
        managed_policies: f.managed.iter().map(|m| m.arn.clone()).collect(),
        customer_managed_policies: f
            .customer
            .iter()
            .map(|c| PolicyReference {
                name: c.clone(),
                path: m
                    .managed_policies
                    .named(c)
                    .map_or_else(|| "/".to_string(), |p| p.path.clone()),
            })
            .collect(),
        permissions_boundary: f.boundary.as_ref().map(|b| match b {
            model::BoundaryRef::Aws { arn, .. } => Boundary::ManagedPolicyArn(arn.clone()),
            model::BoundaryRef::Customer { name, path } => {
                Boundary::CustomerManagedPolicy(PolicyReference {
                    name: name.clone(),
                    path: path.clone(),
                })
            }
        }),
        inline_policy: f
            .inline
            .as_ref()
            .and_then(|v| serde_json::to_string(v).ok()),
        tags,
        break_glass: f.break_glass.as_ref().map(|b| BreakGlass {
            notify: b.notify.clone(),
        }),
    }
}

fn deployments(m: &Model, mp: &model::ManagedPolicyDef) -> Vec<CmpDeployment> {
    let org = &m.org;
    let body_ous: Vec<OuIdx> = mp.ou_bodies.iter().map(|b| b.ou).collect();
    let mut out = Vec::new();
    let mut push = |body: PolicyBody,
                    statements: &[serde_json::Value],
                    scope: Option<OuIdx>,
                    excluded: &BTreeSet<OuIdx>| {
        let doc = serde_json::json!({"Version": "2012-10-17", "Statement": statements});
        let mut targets = Vec::new();
        cover(m, scope, excluded, &mut targets);
        let mut account_ids: Vec<String> = org
            .accounts
            .indices()
            .filter(|&a| Some(a) != org.management)
            .filter(|&a| {
                let choice = mp.body_for(org, a);
                match (&choice, scope) {
                    (Some(None), None) => true,
                    (Some(Some(i)), Some(ou)) => mp.ou_bodies[*i].ou == ou,
                    _ => false,
                }
            })
            .map(|a| org.accounts[a].id.clone())
            .collect();
        account_ids.sort();
        account_ids.dedup();
        out.push(CmpDeployment {
            name: mp.name.clone(),
            path: mp.path.clone(),
            description: mp.description.clone(),
            body,
            document: serde_json::to_string(&doc).unwrap_or_default(),
            targets,
            account_ids,
        });
    };
    // `except` OUs get no body: every body's targets leave them out.
    let except = |inside: Option<OuIdx>| {
        mp.excluded
            .iter()
            .copied()
            .filter(move |&o| inside.is_none_or(|b| is_under(org, o, b)))
    };
    if let Some(body) = &mp.default_body {
        let excluded: BTreeSet<OuIdx> = body_ous.iter().copied().chain(except(None)).collect();
        push(PolicyBody::Default, body, None, &excluded);
    }
    for b in &mp.ou_bodies {
        if mp.excluded.iter().any(|&x| is_under(org, b.ou, x)) {
            // The block's OU is itself excluded: it deploys nowhere.
            continue;
        }
        // More specific bodies inside this one's OU take their accounts.
        let excluded: BTreeSet<OuIdx> = body_ous
            .iter()
            .copied()
            .filter(|&o| o != b.ou && is_under(org, o, b.ou))
            .chain(except(Some(b.ou)))
            .collect();
        push(
            PolicyBody::Ou(org.ous[b.ou].path.clone()),
            &b.statements,
            Some(b.ou),
            &excluded,
        );
    }
    out
}

/// True when OU `inner` is `outer` or below it.
fn is_under(org: &model::Org, inner: OuIdx, outer: OuIdx) -> bool {
    let mut cur = Some(inner);
    while let Some(o) = cur {
        if o == outer {
            return true;
        }
        cur = org.ous[o].parent;
    }
    false
}

fn subtree_hits(org: &model::Org, node: Option<OuIdx>, excluded: &BTreeSet<OuIdx>) -> bool {
    excluded.iter().any(|&e| match node {
        None => true,
        Some(n) => is_under(org, e, n),
    })
}

/// The smallest set of targets that reaches every account under `node`
/// (the root when `None`) except those under `excluded` OUs.
fn cover(
    m: &Model,
    node: Option<OuIdx>,
    excluded: &BTreeSet<OuIdx>,
    out: &mut Vec<DeploymentTarget>,
) {
    let org = &m.org;
    let id_of = |n: Option<OuIdx>| match n {
        None => org
            .root_id
            .clone()
            .map_or(OrgUnitRef::UnknownRoot, OrgUnitRef::Id),
        Some(o) => org.ous[o].id.clone().map_or_else(
            || OrgUnitRef::UnknownOu(org.ous[o].path.clone()),
            OrgUnitRef::Id,
        ),
    };
    if !subtree_hits(org, node, excluded) {
        out.push(DeploymentTarget {
            ou_ids: vec![id_of(node)],
            account_ids: Vec::new(),
        });
        return;
    }
    let (children, direct): (Vec<OuIdx>, Vec<AccountIdx>) = match node {
        None => (
            org.ous
                .iter_enumerated()
                .filter(|(_, o)| o.parent.is_none())
                .map(|(i, _)| i)
                .collect(),
            org.accounts
                .iter_enumerated()
                .filter(|(_, a)| a.ou.is_none())
                .map(|(i, _)| i)
                .collect(),
        ),
        Some(o) => (org.ous[o].children.clone(), org.ous[o].accounts.clone()),
    };
    let direct: Vec<String> = direct
        .into_iter()
        .filter(|&a| Some(a) != org.management)
        .map(|a| org.accounts[a].id.clone())
        .collect();
    if !direct.is_empty() && node.is_none_or(|n| !excluded.contains(&n)) {
        let mut ids = direct;
        ids.sort();
        out.push(DeploymentTarget {
            ou_ids: vec![id_of(node)],
            account_ids: ids,
        });
    }
    let mut whole = Vec::new();
    for c in children {
        if excluded.contains(&c) {
            continue;
        }
        if subtree_hits(org, Some(c), excluded) {
            cover(m, Some(c), excluded, out);
        } else {
            whole.push(id_of(Some(c)));
        }
    }
    if !whole.is_empty() {
        out.push(DeploymentTarget {
            ou_ids: whole,
            account_ids: Vec::new(),
        });
    }
}

/// Each item's position when the items are sorted by `keys` (one key per
/// item, in index order; equal keys keep their order).
fn rank<I: Idx>(keys: Vec<String>) -> IdxVec<I, usize> {
    let mut order: Vec<(usize, String)> = keys.into_iter().enumerate().collect();
    order.sort_by(|a, b| a.1.cmp(&b.1));
    let mut ranked: Vec<(usize, usize)> = order
        .into_iter()
        .enumerate()
        .map(|(pos, (item, _))| (item, pos))
        .collect();
    ranked.sort_unstable();
    ranked.into_iter().map(|(_, pos)| pos).collect()
}
