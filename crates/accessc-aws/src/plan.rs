//! IR × live state → plan (pure). Permission sets to create, update field by
//! field, re-provision or delete; assignments to create or delete. Only sets
//! accessc owns (tag `ManagedBy = accessc`, name not `AWS…`) are ever changed;
//! deletions wait for `--allow-delete`.

use super::live::{is_control_tower, InFlight, Live, LiveAssignment, LiveSet};
use accessc_core::ir::{
    self, Boundary, Ir, PermissionSet, PrincipalType, SessionDuration, OWNERSHIP_TAG,
};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

#[derive(Debug, Clone, Copy, Default)]
pub struct PlanOptions {
    /// Delete what the source no longer has (otherwise it is listed as pending).
    pub allow_delete: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SetAction {
    Create,
    Update,
    /// Fields agree; assignments or provisioning may still change.
    Keep,
    Delete,
    /// Would be deleted with `--allow-delete`.
    PendingDelete,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Add,
    Remove,
    Change,
}

/// One field of a permission set that differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "field", rename_all = "snake_case")]
pub enum Change {
    Description {
        from: Option<String>,
        to: Option<String>,
    },
    SessionDuration {
        /// As the live set has it (`PT240M`).
        from: Option<String>,
        to: SessionDuration,
    },
    RelayState {
        from: Option<String>,
        to: Option<String>,
    },
    ManagedPolicy {
        op: Op,
        arn: String,
    },
    CustomerManagedPolicy {
        op: Op,
        name: String,
        path: String,
    },
    PermissionsBoundary {
        from: Option<Boundary>,
        to: Option<Boundary>,
    },
    InlinePolicy {
        from: Option<String>,
        to: Option<String>,
    },
    Tag {
        op: Op,
        key: String,
        from: Option<String>,
        to: Option<String>,
    },
}

impl Change {
    /// Whether the change reaches the IAM roles (tags do not).
    pub fn reaches_roles(&self) -> bool {
        !matches!(self, Change::Tag { .. })
    }
}

/// One assignment to create or delete.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct AssignmentChange {
    pub principal_type: PrincipalType,
    /// The name in the program, or the identity store's name, or the id.
    pub principal: String,
    pub principal_id: String,
    pub account_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reprovision {
    pub reason: String,
    /// The accounts known to hold the set (ProvisionPermissionSet targets
    /// ALL_PROVISIONED_ACCOUNTS, which may be more).
    pub accounts: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetPlan {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    pub action: SetAction,
    pub changes: Vec<Change>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reprovision: Option<Reprovision>,
    pub create_assignments: Vec<AssignmentChange>,
    pub delete_assignments: Vec<AssignmentChange>,
    /// Deletions that wait for `--allow-delete`.
    pub pending_deletes: Vec<AssignmentChange>,
    /// The set as the source wants it (create and update).
    #[serde(skip)]
    pub desired: Option<PermissionSet>,
}

impl SetPlan {
    fn is_noop(&self) -> bool {
        self.action == SetAction::Keep
            && self.reprovision.is_none()
            && self.create_assignments.is_empty()
            && self.delete_assignments.is_empty()
            && self.pending_deletes.is_empty()
    }
}

/// A set of the source that cannot be managed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Blocked {
    pub name: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttributesPlan {
    pub from: Option<Vec<ir::Attribute>>,
    pub to: Vec<ir::Attribute>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub sets_to_create: usize,
    pub sets_to_update: usize,
    pub sets_to_delete: usize,
    pub sets_to_reprovision: usize,
    pub assignments_to_create: usize,
    pub assignments_to_delete: usize,
    /// Assignments and sets that `--allow-delete` would delete.
    pub pending_deletes: usize,
    pub attributes: bool,
    pub blocked: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// Whether `apply` would change anything (pending deletions aside).
    pub has_changes: bool,
    pub instance_arn: String,
    pub identity_store_id: String,
    /// Sets with something to do, by name.
    pub permission_sets: Vec<SetPlan>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes: Option<AttributesPlan>,
    pub blocked: Vec<Blocked>,
    /// Differences the API cannot undo (left as they are).
    pub notes: Vec<String>,
    /// Asynchronous operations of an earlier run still in progress.
    pub in_flight: InFlight,
    pub summary: Summary,
}

impl Plan {
    /// Whether `apply` would change anything.
    pub fn has_changes(&self) -> bool {
        self.has_changes
    }

    fn compute_has_changes(&self) -> bool {
        let s = &self.summary;
        s.sets_to_create
            + s.sets_to_update
            + s.sets_to_delete
            + s.sets_to_reprovision
            + s.assignments_to_create
            + s.assignments_to_delete
            > 0
            || s.attributes
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

fn same_policy(a: &str, b: &str) -> bool {
    match (
        serde_json::from_str::<serde_json::Value>(a),
        serde_json::from_str::<serde_json::Value>(b),
    ) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

fn owns(ps: &PermissionSet) -> bool {
    ps.tags
        .iter()
        .any(|t| t.key == OWNERSHIP_TAG.0 && t.value == OWNERSHIP_TAG.1)
}

/// Every field of `want` against `have` (`None`: the set does not exist).
/// Differences the API cannot make go to `notes`.
pub fn diff_set(
    want: &PermissionSet,
    have: Option<&LiveSet>,
    notes: &mut Vec<String>,
) -> Vec<Change> {
    let mut out = Vec::new();
    let empty = LiveSet::default();
    let h = have.unwrap_or(&empty);
    let creating = have.is_none();

    match (&want.description, &h.description) {
        (Some(w), Some(x)) if w == x => {}
        (Some(w), x) => out.push(Change::Description {
            from: x.clone(),
            to: Some(w.clone()),
        }),
        (None, Some(x)) => notes.push(format!(
            "`{}`: the live description {x:?} cannot be removed through the API; it is left as it is",
            want.name
        )),
        (None, None) => {}
    }
    let same_session = !creating
        && SessionDuration::parse_iso8601(&h.session_duration) == Some(want.session_duration);
    if !same_session {
        out.push(Change::SessionDuration {
            from: (!creating).then(|| h.session_duration.clone()),
            to: want.session_duration,
        });
    }
    match (&want.relay_state, &h.relay_state) {
        (Some(w), Some(x)) if w == x => {}
        (Some(w), x) => out.push(Change::RelayState {
            from: x.clone(),
            to: Some(w.clone()),
        }),
        (None, Some(x)) => notes.push(format!(
            "`{}`: the live relay state {x:?} cannot be removed through the API; it is left as it is",
            want.name
        )),
        (None, None) => {}
    }
    for arn in &h.managed_policies {
        if !want.managed_policies.contains(arn) {
            out.push(Change::ManagedPolicy {
                op: Op::Remove,
                arn: arn.clone(),
            });
        }
    }
    let mut seen = HashSet::new();
    for arn in &want.managed_policies {
        if !h.managed_policies.contains(arn) && seen.insert(arn) {
            out.push(Change::ManagedPolicy {
                op: Op::Add,
                arn: arn.clone(),
            });
        }
    }
    for c in &h.customer_managed_policies {
        if !want.customer_managed_policies.contains(c) {
            out.push(Change::CustomerManagedPolicy {
                op: Op::Remove,
                name: c.name.clone(),
                path: c.path.clone(),
            });
        }
    }
    let mut seen: Vec<&ir::PolicyReference> = Vec::new();
    for c in &want.customer_managed_policies {
        if !h.customer_managed_policies.contains(c) && !seen.contains(&c) {
            seen.push(c);
            out.push(Change::CustomerManagedPolicy {
                op: Op::Add,
                name: c.name.clone(),
                path: c.path.clone(),
            });
        }
    }
    if want.permissions_boundary != h.permissions_boundary {
        out.push(Change::PermissionsBoundary {
            from: h.permissions_boundary.clone(),
            to: want.permissions_boundary.clone(),
        });
    }
    let same_inline = match (&want.inline_policy, &h.inline_policy) {
        (Some(a), Some(b)) => same_policy(a, b),
        (None, None) => true,
        _ => false,
    };
    if !same_inline {
        out.push(Change::InlinePolicy {
            from: h.inline_policy.clone(),
            to: want.inline_policy.clone(),
        });
    }
    let have_tags: BTreeMap<&str, &str> = h
        .tags
        .iter()
        .map(|t| (t.key.as_str(), t.value.as_str()))
        .collect();
    let want_tags: BTreeMap<&str, &str> = want
        .tags
        .iter()
        .map(|t| (t.key.as_str(), t.value.as_str()))
        .collect();
    for (k, v) in &have_tags {
        if !want_tags.contains_key(k) {
            out.push(Change::Tag {
                op: Op::Remove,
                key: k.to_string(),
                from: Some(v.to_string()),
                to: None,
            });
        }
    }
    for (k, v) in &want_tags {
        match have_tags.get(k) {
            None => out.push(Change::Tag {
                op: Op::Add,
                key: k.to_string(),
                from: None,
                to: Some(v.to_string()),
            }),
            Some(x) if x != v => out.push(Change::Tag {
                op: Op::Change,
                key: k.to_string(),
                from: Some(x.to_string()),
                to: Some(v.to_string()),
            }),
            Some(_) => {}
        }
    }
    out
}

struct Labels<'a> {
    ir: &'a Ir,
    live: &'a Live,
    /// id → the program's name for it.
    program_names: HashMap<(PrincipalType, &'a str), &'a str>,
}

impl Labels<'_> {
    fn change(&self, a: &LiveAssignment) -> AssignmentChange {
        let principal = self
            .program_names
            .get(&(a.principal_type, a.principal_id.as_str()))
            .map(|s| s.to_string())
            .or_else(|| {
                self.live
                    .principal_name(a.principal_type, &a.principal_id)
                    .map(str::to_string)
            })
            .unwrap_or_else(|| a.principal_id.clone());
        AssignmentChange {
            principal_type: a.principal_type,
            principal,
            principal_id: a.principal_id.clone(),
            account_id: a.account_id.clone(),
            account_name: self.ir.account_name(&a.account_id).map(str::to_string),
        }
    }
}

/// The id of an IR assignment's principal, if it resolved.
pub fn principal_id<'a>(live: &'a Live, a: &'a ir::Assignment) -> Option<&'a str> {
    live.resolved
        .get(&(a.principal_type, a.principal.clone()))
        .map(String::as_str)
        .or(a.principal_id.as_deref())
}

/// Compute the plan.
pub fn plan(ir: &Ir, live: &Live, opts: PlanOptions) -> Plan {
    let mut notes = Vec::new();
    let mut blocked = Vec::new();
    let live_sets: HashMap<&str, &LiveSet> =
        live.sets.iter().map(|s| (s.name.as_str(), s)).collect();
    let mut by_set: HashMap<&str, Vec<&LiveAssignment>> = HashMap::new();
    for a in &live.assignments {
        by_set.entry(a.permission_set.as_str()).or_default().push(a);
    }
    let mut ir_by_set: HashMap<&str, Vec<&ir::Assignment>> = HashMap::new();
    for a in &ir.assignments {
        ir_by_set
            .entry(a.permission_set.as_str())
            .or_default()
            .push(a);
    }
    let labels = Labels {
        ir,
        live,
        program_names: live
            .resolved
            .iter()
            .map(|((k, name), id)| ((*k, id.as_str()), name.as_str()))
            .collect(),
    };
    let mut sets = Vec::new();

    for want in &ir.permission_sets {
        let have = live_sets.get(want.name.as_str()).copied();
        if is_control_tower(&want.name) {
            blocked.push(Blocked {
                name: want.name.clone(),
                reason: "names starting with `AWS` belong to AWS Control Tower".into(),
            });
            continue;
        }
        if !owns(want) {
            blocked.push(Blocked {
                name: want.name.clone(),
                reason: format!(
                    "the program tags it `{}` other than `{}`; the direct API manages only sets it owns",
                    OWNERSHIP_TAG.0, OWNERSHIP_TAG.1
                ),
            });
            continue;
        }
        if let Some(h) = have {
            if !h.owned {
                blocked.push(Blocked {
                    name: want.name.clone(),
                    reason: format!(
                        "a permission set of this name exists without the tag `{}={}`; accessc leaves it alone (tag it to adopt it, or rename the function)",
                        OWNERSHIP_TAG.0, OWNERSHIP_TAG.1
                    ),
                });
                continue;
            }
        }
        let changes = diff_set(want, have, &mut notes);
        let action = match (have, changes.is_empty()) {
            (None, _) => SetAction::Create,
            (Some(_), true) => SetAction::Keep,
            (Some(_), false) => SetAction::Update,
        };
        let live_rows = by_set.get(want.name.as_str()).cloned().unwrap_or_default();
        let live_keys: HashSet<(PrincipalType, &str, &str)> = live_rows
            .iter()
            .map(|a| {
                (
                    a.principal_type,
                    a.principal_id.as_str(),
                    a.account_id.as_str(),
                )
            })
            .collect();
        let mut wanted_keys = HashSet::new();
        let mut create = Vec::new();
        for a in ir_by_set
            .get(want.name.as_str())
            .cloned()
            .unwrap_or_default()
        {
            let Some(pid) = principal_id(live, a) else {
                continue;
            };
            wanted_keys.insert((a.principal_type, pid, a.account_id.as_str()));
            if !live_keys.contains(&(a.principal_type, pid, a.account_id.as_str())) {
                create.push(AssignmentChange {
                    principal_type: a.principal_type,
                    principal: a.principal.clone(),
                    principal_id: pid.to_string(),
                    account_id: a.account_id.clone(),
                    account_name: ir.account_name(&a.account_id).map(str::to_string),
                });
            }
        }
        let extra: Vec<AssignmentChange> = live_rows
            .iter()
            .filter(|a| {
                !wanted_keys.contains(&(
                    a.principal_type,
                    a.principal_id.as_str(),
                    a.account_id.as_str(),
                ))
            })
            .map(|a| labels.change(a))
            .collect();
        let reprovision = have.and_then(|h| {
            let edited = changes.iter().any(Change::reaches_roles);
            if !edited && h.outdated_accounts.is_empty() {
                return None;
            }
            let mut accounts: BTreeSet<String> =
                live_rows.iter().map(|a| a.account_id.clone()).collect();
            accounts.extend(h.outdated_accounts.iter().cloned());
            Some(Reprovision {
                reason: if edited {
                    "the set changes".into()
                } else {
                    format!(
                        "{} account(s) run an older version of the set",
                        h.outdated_accounts.len()
                    )
                },
                accounts: accounts.into_iter().collect(),
            })
        });
        let (delete, pending) = if opts.allow_delete {
            (extra, Vec::new())
        } else {
            (Vec::new(), extra)
        };
        let mut sp = SetPlan {
            name: want.name.clone(),
            arn: have.map(|h| h.arn.clone()),
            action,
            changes,
            reprovision,
            create_assignments: create,
            delete_assignments: delete,
            pending_deletes: pending,
            desired: Some(want.clone()),
        };
        sp.create_assignments.sort();
        sp.delete_assignments.sort();
        sp.pending_deletes.sort();
        if !sp.is_noop() {
            sets.push(sp);
        }
    }

    let wanted_names: HashSet<&str> = ir.permission_sets.iter().map(|p| p.name.as_str()).collect();
    for h in live.sets.iter().filter(|s| s.owned) {
        if wanted_names.contains(h.name.as_str()) {
            continue;
        }
        let mut rows: Vec<AssignmentChange> = by_set
            .get(h.name.as_str())
            .map(|v| v.iter().map(|a| labels.change(a)).collect())
            .unwrap_or_default();
        rows.sort();
        let (action, delete, pending) = if opts.allow_delete {
            (SetAction::Delete, rows, Vec::new())
        } else {
            (SetAction::PendingDelete, Vec::new(), rows)
        };
        sets.push(SetPlan {
            name: h.name.clone(),
            arn: Some(h.arn.clone()),
            action,
            changes: Vec::new(),
            reprovision: None,
            create_assignments: Vec::new(),
            delete_assignments: delete,
            pending_deletes: pending,
            desired: None,
        });
    }
    sets.sort_by(|a, b| a.name.cmp(&b.name));

    let attributes = if ir.attributes.is_empty() {
        None
    } else {
        let norm = |v: &[ir::Attribute]| -> BTreeMap<String, String> {
            v.iter().map(|a| (a.key.clone(), a.value.clone())).collect()
        };
        let same = live
            .attributes
            .as_ref()
            .is_some_and(|l| norm(l) == norm(&ir.attributes));
        (!same).then(|| AttributesPlan {
            from: live.attributes.clone(),
            to: ir.attributes.clone(),
        })
    };

    let mut summary = Summary {
        attributes: attributes.is_some(),
        blocked: blocked.len(),
        ..Summary::default()
    };
    for s in &sets {
        match s.action {
            SetAction::Create => summary.sets_to_create += 1,
            SetAction::Update => summary.sets_to_update += 1,
            SetAction::Delete => summary.sets_to_delete += 1,
            SetAction::PendingDelete => summary.pending_deletes += 1,
            SetAction::Keep => {}
        }
        if s.reprovision.is_some() {
            summary.sets_to_reprovision += 1;
        }
        summary.assignments_to_create += s.create_assignments.len();
        summary.assignments_to_delete += s.delete_assignments.len();
        summary.pending_deletes += s.pending_deletes.len();
    }
    let mut p = Plan {
        has_changes: false,
        instance_arn: live.instance_arn.clone(),
        identity_store_id: live.identity_store_id.clone(),
        permission_sets: sets,
        attributes,
        blocked,
        notes,
        in_flight: live.in_flight,
        summary,
    };
    p.has_changes = p.compute_has_changes();
    p
}

// --------------------------------------------------------------------------
// Human output.

fn boundary_text(b: &Option<Boundary>) -> String {
    match b {
        None => "(none)".into(),
        Some(Boundary::ManagedPolicyArn(a)) => a.clone(),
        Some(Boundary::CustomerManagedPolicy(r)) => format!("customer {}{}", r.path, r.name),
    }
}

fn opt(s: &Option<String>) -> String {
    match s {
        Some(s) => format!("{s:?}"),
        None => "(none)".into(),
    }
}

fn bytes(s: &Option<String>) -> String {
    match s {
        Some(s) => format!("{} bytes", s.len()),
        None => "(none)".into(),
    }
}

fn sign(op: Op) -> char {
    match op {
        Op::Add => '+',
        Op::Remove => '-',
        Op::Change => '~',
    }
}

/// One line for a change, without the leading sign.
pub fn change_line(c: &Change) -> (char, String) {
    let pair = |from: bool| if from { '~' } else { '+' };
    match c {
        Change::Description { from, to } => (
            pair(from.is_some()),
            format!("description: {} -> {}", opt(from), opt(to)),
        ),
        Change::SessionDuration { from, to } => (
            pair(from.is_some()),
            format!(
                "session_duration: {} -> {to}",
                from.as_deref().unwrap_or("(none)")
            ),
        ),
        Change::RelayState { from, to } => (
            pair(from.is_some()),
            format!("relay_state: {} -> {}", opt(from), opt(to)),
        ),
        Change::ManagedPolicy { op, arn } => (sign(*op), format!("managed_policy: {arn}")),
        Change::CustomerManagedPolicy { op, name, path } => {
            (sign(*op), format!("customer_managed_policy: {path}{name}"))
        }
        Change::PermissionsBoundary { from, to } => (
            if from.is_none() {
                '+'
            } else if to.is_none() {
                '-'
            } else {
                '~'
            },
            format!(
                "permissions_boundary: {} -> {}",
                boundary_text(from),
                boundary_text(to)
            ),
        ),
        Change::InlinePolicy { from, to } => (
            if from.is_none() {
                '+'
            } else if to.is_none() {
                '-'
            } else {
                '~'
            },
            format!("inline_policy: {} -> {}", bytes(from), bytes(to)),
        ),
        Change::Tag { op, key, from, to } => (
            sign(*op),
            match op {
                Op::Add => format!("tag: {key} = {}", to.as_deref().unwrap_or("")),
                Op::Remove => format!("tag: {key} (was {})", from.as_deref().unwrap_or("")),
                Op::Change => format!(
                    "tag: {key} = {} -> {}",
                    from.as_deref().unwrap_or(""),
                    to.as_deref().unwrap_or("")
                ),
            },
        ),
    }
}

/// `group aws-team-a -> 111111111111 (app-a-dev)`.
pub fn assignment_text(a: &AssignmentChange) -> String {
    let kind = match a.principal_type {
        PrincipalType::Group => "group",
        PrincipalType::User => "user",
    };
    match &a.account_name {
        Some(n) => format!("{kind} {} -> {} ({n})", a.principal, a.account_id),
        None => format!("{kind} {} -> {}", a.principal, a.account_id),
    }
}

pub fn summary_line(p: &Plan) -> String {
    let s = &p.summary;
    if !p.has_changes() {
        let mut line = "No changes: the live instance matches the source.".to_string();
        if s.pending_deletes > 0 {
            line.push_str(&format!(
                " {} deletion(s) pending: run with --allow-delete to make them.",
                s.pending_deletes
            ));
        }
        if s.blocked > 0 {
            line.push_str(&format!(" {} set(s) blocked.", s.blocked));
        }
        return line;
    }
    let mut line = format!(
        "Plan: {} set(s) to create, {} to update, {} to delete, {} to re-provision; {} assignment(s) to create, {} to delete",
        s.sets_to_create,
        s.sets_to_update,
        s.sets_to_delete,
        s.sets_to_reprovision,
        s.assignments_to_create,
        s.assignments_to_delete
    );
    if s.attributes {
        line.push_str("; ABAC attributes to set");
    }
    line.push('.');
    if s.pending_deletes > 0 {
        line.push_str(&format!(
            " {} deletion(s) pending: run with --allow-delete to make them.",
            s.pending_deletes
        ));
    }
    if s.blocked > 0 {
        line.push_str(&format!(" {} set(s) blocked.", s.blocked));
    }
    line
}

/// The plan for people: `+ / ~ / -` lines grouped by permission set.
pub fn render_human(p: &Plan) -> String {
    let mut out = format!(
        "Instance {} (identity store {})\n",
        p.instance_arn, p.identity_store_id
    );
    if p.in_flight.total() > 0 {
        out.push_str(&format!(
            "\n{} asynchronous operation(s) of an earlier run are still in progress; apply waits for them first.\n",
            p.in_flight.total()
        ));
    }
    for s in &p.permission_sets {
        out.push('\n');
        let (mark, note) = match s.action {
            SetAction::Create => ('+', ""),
            SetAction::Update => ('~', ""),
            SetAction::Keep => (' ', ""),
            SetAction::Delete => ('-', ""),
            SetAction::PendingDelete => ('-', "  (pending: needs --allow-delete)"),
        };
        out.push_str(&format!("{mark} permission set {}{note}\n", s.name));
        for c in &s.changes {
            let (m, text) = change_line(c);
            out.push_str(&format!("    {m} {text}\n"));
        }
        if let Some(r) = &s.reprovision {
            out.push_str(&format!(
                "    ~ re-provision on all provisioned accounts ({} known): {}\n",
                r.accounts.len(),
                r.reason
            ));
        }
        for a in &s.create_assignments {
            out.push_str(&format!("    + assignment: {}\n", assignment_text(a)));
        }
        for a in &s.delete_assignments {
            out.push_str(&format!("    - assignment: {}\n", assignment_text(a)));
        }
        for a in &s.pending_deletes {
            out.push_str(&format!(
                "    - assignment: {}  (pending: needs --allow-delete)\n",
                assignment_text(a)
            ));
        }
    }
    if let Some(a) = &p.attributes {
        out.push('\n');
        out.push_str(if a.from.is_some() {
            "~ ABAC attributes\n"
        } else {
            "+ ABAC attributes\n"
        });
        for at in &a.to {
            out.push_str(&format!("    {} = {}\n", at.key, at.value));
        }
    }
    for b in &p.blocked {
        out.push_str(&format!(
            "\n! permission set {}: blocked: {}\n",
            b.name, b.reason
        ));
    }
    for n in &p.notes {
        out.push_str(&format!("\nnote: {n}\n"));
    }
    out.push('\n');
    out.push_str(&summary_line(p));
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use accessc_core::ir::{Assignment, Principal, Tag};

    fn tag(k: &str, v: &str) -> Tag {
        Tag {
            key: k.into(),
            value: v.into(),
        }
    }

    fn set(name: &str) -> PermissionSet {
        PermissionSet {
            name: name.into(),
            function: name.into(),
            description: Some("d".into()),
            session_duration: SessionDuration::from_minutes(240),
            relay_state: None,
            managed_policies: vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()],
            customer_managed_policies: vec![],
            permissions_boundary: Some(Boundary::ManagedPolicyArn(
                "arn:aws:iam::aws:policy/PowerUserAccess".into(),
            )),
            inline_policy: Some(r#"{"Version":"2012-10-17","Statement":[]}"#.into()),
            tags: vec![tag("ManagedBy", "accessc")],
            break_glass: None,
        }
    }

    fn live_of(ps: &PermissionSet) -> LiveSet {
        LiveSet {
            arn: format!("arn:aws:sso:::permissionSet/ssoins-1/{}", ps.name),
            name: ps.name.clone(),
            owned: true,
            description: ps.description.clone(),
            session_duration: "PT240M".into(),
            relay_state: ps.relay_state.clone(),
            managed_policies: ps.managed_policies.clone(),
            customer_managed_policies: ps.customer_managed_policies.clone(),
            permissions_boundary: ps.permissions_boundary.clone(),
            // Same document, other key order and spacing.
            inline_policy: Some(r#"{ "Statement": [], "Version": "2012-10-17" }"#.into()),
            tags: ps.tags.clone(),
            outdated_accounts: vec![],
        }
    }

    fn ir_with(sets: Vec<PermissionSet>, assignments: Vec<Assignment>) -> Ir {
        Ir {
            permission_sets: sets,
            principals: vec![Principal {
                kind: PrincipalType::Group,
                name: "devs".into(),
                display_name: "devs".into(),
                id: None,
            }],
            assignments,
            ..Ir::default()
        }
    }

    fn grant(set: &str, account: &str) -> Assignment {
        Assignment {
            permission_set: set.into(),
            principal_type: PrincipalType::Group,
            principal: "devs".into(),
            principal_id: None,
            account_id: account.into(),
            until: None,
            owner: None,
        }
    }

    fn live_with(sets: Vec<LiveSet>, rows: &[(&str, &str, &str)]) -> Live {
        let mut live = Live {
            instance_arn: "arn:aws:sso:::instance/ssoins-1".into(),
            identity_store_id: "d-1".into(),
            sets,
            ..Live::default()
        };
        live.resolved
            .insert((PrincipalType::Group, "devs".into()), "g-devs".into());
        live.assignments = rows
            .iter()
            .map(|(s, p, a)| LiveAssignment {
                permission_set: s.to_string(),
                principal_type: PrincipalType::Group,
                principal_id: p.to_string(),
                account_id: a.to_string(),
            })
            .collect();
        live
    }

    #[test]
    fn equal_state_plans_nothing() {
        let ps = set("Dev");
        let ir = ir_with(vec![ps.clone()], vec![grant("Dev", "111111111111")]);
        let live = live_with(vec![live_of(&ps)], &[("Dev", "g-devs", "111111111111")]);
        let p = plan(&ir, &live, PlanOptions::default());
        assert!(!p.has_changes(), "{}", render_human(&p));
        assert!(p.permission_sets.is_empty());
        assert!(render_human(&p).contains("No changes"));
    }

    #[test]
    fn a_new_set_is_created_with_every_field_and_its_assignments() {
        let ps = set("Dev");
        let ir = ir_with(vec![ps], vec![grant("Dev", "111111111111")]);
        let live = live_with(vec![], &[]);
        let p = plan(&ir, &live, PlanOptions::default());
        assert_eq!(p.summary.sets_to_create, 1);
        assert_eq!(p.summary.assignments_to_create, 1);
        assert_eq!(p.summary.sets_to_reprovision, 0);
        let s = &p.permission_sets[0];
        assert_eq!(s.action, SetAction::Create);
        // description, session, managed, boundary, inline, tag
        assert_eq!(s.changes.len(), 6, "{:?}", s.changes);
        assert_eq!(s.create_assignments[0].principal_id, "g-devs");
    }

    #[test]
    fn field_changes_are_listed_and_reprovision_follows() {
        let mut want = set("Dev");
        let have = live_of(&want);
        want.session_duration = SessionDuration::from_minutes(480);
        want.managed_policies = vec!["arn:aws:iam::aws:policy/ViewOnlyAccess".into()];
        want.tags.push(tag("Owner", "platform"));
        let ir = ir_with(vec![want], vec![grant("Dev", "111111111111")]);
        let live = live_with(vec![have], &[("Dev", "g-devs", "111111111111")]);
        let p = plan(&ir, &live, PlanOptions::default());
        let s = &p.permission_sets[0];
        assert_eq!(s.action, SetAction::Update);
        assert!(s.changes.contains(&Change::SessionDuration {
            from: Some("PT240M".into()),
            to: SessionDuration::from_minutes(480)
        }));
        assert!(s.changes.contains(&Change::ManagedPolicy {
            op: Op::Remove,
            arn: "arn:aws:iam::aws:policy/ReadOnlyAccess".into()
        }));
        assert!(s.changes.contains(&Change::ManagedPolicy {
            op: Op::Add,
            arn: "arn:aws:iam::aws:policy/ViewOnlyAccess".into()
        }));
        assert!(s
            .changes
            .iter()
            .any(|c| matches!(c, Change::Tag { op: Op::Add, key, .. } if key == "Owner")));
        assert_eq!(
            s.reprovision.as_ref().map(|r| r.accounts.clone()),
            Some(vec!["111111111111".to_string()])
        );
    }

    #[test]
    fn a_tag_only_change_does_not_reprovision() {
        let mut want = set("Dev");
        let have = live_of(&want);
        want.tags.push(tag("Owner", "platform"));
        let ir = ir_with(vec![want], vec![]);
        let p = plan(&ir, &live_with(vec![have], &[]), PlanOptions::default());
        assert!(p.permission_sets[0].reprovision.is_none());
    }

    #[test]
    fn an_outdated_account_is_reprovisioned_without_field_changes() {
        let want = set("Dev");
        let mut have = live_of(&want);
        have.outdated_accounts = vec!["222222222222".into()];
        let ir = ir_with(vec![want], vec![]);
        let p = plan(&ir, &live_with(vec![have], &[]), PlanOptions::default());
        assert_eq!(p.summary.sets_to_reprovision, 1);
        assert_eq!(p.permission_sets[0].action, SetAction::Keep);
        assert!(p.has_changes());
    }

    #[test]
    fn deletions_wait_for_allow_delete() {
        let ps = set("Dev");
        let old = {
            let mut s = live_of(&set("Old"));
            s.name = "Old".into();
            s
        };
        let ir = ir_with(vec![ps.clone()], vec![grant("Dev", "111111111111")]);
        let rows = [
            ("Dev", "g-devs", "111111111111"),
            ("Dev", "g-other", "111111111111"),
            ("Old", "g-devs", "333333333333"),
        ];
        let live = live_with(vec![live_of(&ps), old], &rows);
        let p = plan(&ir, &live, PlanOptions::default());
        assert!(!p.has_changes());
        assert_eq!(p.summary.pending_deletes, 3); // two assignments and the set
        let p = plan(&ir, &live, PlanOptions { allow_delete: true });
        assert!(p.has_changes());
        assert_eq!(p.summary.assignments_to_delete, 2);
        assert_eq!(p.summary.sets_to_delete, 1);
        assert!(render_human(&p).contains("- permission set Old"));
    }

    #[test]
    fn unowned_and_control_tower_sets_are_never_touched() {
        let ps = set("Dev");
        let mut theirs = live_of(&ps);
        theirs.owned = false;
        theirs.tags = vec![];
        let mut ct = live_of(&set("AWSAdministratorAccess"));
        ct.owned = false;
        let ir = ir_with(vec![ps], vec![grant("Dev", "111111111111")]);
        let live = live_with(vec![theirs, ct], &[]);
        let p = plan(&ir, &live, PlanOptions { allow_delete: true });
        assert_eq!(p.blocked.len(), 1);
        assert!(p.permission_sets.is_empty(), "{:?}", p.permission_sets);
        assert!(!p.has_changes());
    }

    #[test]
    fn a_description_cannot_be_removed_and_says_so() {
        let mut want = set("Dev");
        let have = live_of(&want);
        want.description = None;
        let p = plan(
            &ir_with(vec![want], vec![]),
            &live_with(vec![have], &[]),
            PlanOptions::default(),
        );
        assert!(!p.has_changes());
        assert_eq!(p.notes.len(), 1);
    }

    #[test]
    fn abac_attributes_are_set_when_they_differ() {
        let mut ir = ir_with(vec![], vec![]);
        ir.attributes = vec![ir::Attribute {
            key: "Team".into(),
            value: "${path:enterprise.department}".into(),
        }];
        let mut live = live_with(vec![], &[]);
        let p = plan(&ir, &live, PlanOptions::default());
        assert!(p.summary.attributes);
        live.attributes = Some(ir.attributes.clone());
        assert!(!plan(&ir, &live, PlanOptions::default()).has_changes());
    }
}
