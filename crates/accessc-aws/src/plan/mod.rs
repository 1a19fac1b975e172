//! IR × live state → plan (pure). Permission sets to create, update field by
//! field, re-provision or delete; assignments to create or delete. Only sets
//! accessc owns (tag `ManagedBy = accessc`, name not `AWS…`) are ever changed;
//! deletions wait for `--allow-delete`.
//!
//! | file | holds |
//! |---|---|
//! | `mod.rs` | the plan's types and [`plan`] |
//! | `diff.rs` | one set's fields against the live set: [`diff_set`] |
//! | `render.rs` | the plan for people: [`render_human`] |

mod diff;
mod render;
#[cfg(test)]
mod tests;

use super::live::{is_control_tower, InFlight, Live, LiveAssignment, LiveSet};
use accessc_core::ir::{
    self, Boundary, Ir, PermissionSet, PrincipalType, SessionDuration, OWNERSHIP_TAG,
};
use serde::{Serialize, Serializer};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

pub use diff::diff_set;
pub use render::{assignment_text, change_line, render_human, summary_line};

#[derive(Debug, Clone, Copy, Default)]
pub struct PlanOptions {
    /// Delete what the source no longer has (otherwise it is listed as pending).
    pub allow_delete: bool,
}

/// What happens to one permission set, with what that needs: the set to
/// create, or the live set's ARN. In JSON: `create`, `update`, `keep`,
/// `adopt`, `delete`, `pending_delete`, and the ARN as the set plan's `arn`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetAction {
    /// The set does not exist: create it as the source wants it.
    Create(Box<PermissionSet>),
    /// The live set's fields differ: make the set plan's `changes`.
    Update { arn: String },
    /// Fields agree; assignments or provisioning may still change.
    Keep { arn: String },
    /// The set exists without the ownership tag and with every field as the
    /// source has it: `apply --adopt` adds the tag, and nothing else.
    Adopt { arn: String },
    /// An owned set the source no longer has.
    Delete { arn: String },
    /// Would be deleted with `--allow-delete`.
    PendingDelete { arn: String },
}

impl SetAction {
    /// The live set's ARN (none before it is created).
    pub fn arn(&self) -> Option<&str> {
        match self {
            SetAction::Create(_) => None,
            SetAction::Update { arn }
            | SetAction::Keep { arn }
            | SetAction::Adopt { arn }
            | SetAction::Delete { arn }
            | SetAction::PendingDelete { arn } => Some(arn),
        }
    }

    /// The JSON name.
    pub fn as_str(&self) -> &'static str {
        match self {
            SetAction::Create(_) => "create",
            SetAction::Update { .. } => "update",
            SetAction::Keep { .. } => "keep",
            SetAction::Adopt { .. } => "adopt",
            SetAction::Delete { .. } => "delete",
            SetAction::PendingDelete { .. } => "pending_delete",
        }
    }
}

impl Serialize for SetAction {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetPlan {
    pub name: String,
    pub action: SetAction,
    pub changes: Vec<Change>,
    pub reprovision: Option<Reprovision>,
    pub create_assignments: Vec<AssignmentChange>,
    pub delete_assignments: Vec<AssignmentChange>,
    /// Deletions that wait for `--allow-delete`.
    pub pending_deletes: Vec<AssignmentChange>,
}

/// A set plan as JSON: the action's ARN as a field of its own.
#[derive(Serialize)]
struct SetPlanJson<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    arn: Option<&'a str>,
    action: &'a SetAction,
    changes: &'a [Change],
    #[serde(skip_serializing_if = "Option::is_none")]
    reprovision: Option<&'a Reprovision>,
    create_assignments: &'a [AssignmentChange],
    delete_assignments: &'a [AssignmentChange],
    pending_deletes: &'a [AssignmentChange],
}

impl Serialize for SetPlan {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        SetPlanJson {
            name: &self.name,
            arn: self.action.arn(),
            action: &self.action,
            changes: &self.changes,
            reprovision: self.reprovision.as_ref(),
            create_assignments: &self.create_assignments,
            delete_assignments: &self.delete_assignments,
            pending_deletes: &self.pending_deletes,
        }
        .serialize(s)
    }
}

impl SetPlan {
    fn is_noop(&self) -> bool {
        matches!(self.action, SetAction::Keep { .. })
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
    /// Untagged sets with the source's content, for `apply --adopt`.
    pub sets_to_adopt: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// Whether the live instance differs from the source (pending deletions
    /// aside): something to change, or a blocked set that cannot be changed.
    pub has_changes: bool,
    /// Whether `apply` can make the live instance match the source: false
    /// while any set is blocked or waits to be adopted (`accessc plan` and
    /// `apply` then exit 1; `apply --adopt` adopts).
    pub can_apply: bool,
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
    /// Whether the live instance differs from the source: something to
    /// change, or a blocked set.
    pub fn has_changes(&self) -> bool {
        self.has_changes
    }

    /// Whether `apply` would change anything (blocked sets and sets to
    /// adopt aside).
    pub fn has_applicable_changes(&self) -> bool {
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

fn owns(ps: &PermissionSet) -> bool {
    ps.tags
        .iter()
        .any(|t| t.key == OWNERSHIP_TAG.0 && t.value == OWNERSHIP_TAG.1)
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
        .get(&(a.principal_type, a.principal.to_string()))
        .map(String::as_str)
        .or(a.principal_id.as_deref())
}

/// Compute the plan.
pub fn plan(ir: &Ir, live: &Live, opts: PlanOptions) -> Plan {
    let mut notes = Vec::new();
    let mut blocked = Vec::new();
    let live_sets: HashMap<&str, &LiveSet> =
        live.sets.iter().map(|s| (s.name.as_str(), s)).collect();
    // A suspended or closed account takes no change: what it still holds
    // live is left as it is, neither deleted nor reported.
    let inactive: HashSet<&str> = ir
        .org
        .accounts
        .iter()
        .filter(|a| !a.is_assignable())
        .map(|a| a.id.as_str())
        .collect();
    let mut left_alone = 0usize;
    let mut by_set: HashMap<&str, Vec<&LiveAssignment>> = HashMap::new();
    for a in &live.assignments {
        if inactive.contains(a.account_id.as_str()) {
            left_alone += 1;
            continue;
        }
        by_set.entry(a.permission_set.as_str()).or_default().push(a);
    }
    if left_alone > 0 {
        notes.push(format!(
            "{left_alone} live assignment(s) in suspended or closed accounts left as they are: AWS takes no change there"
        ));
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
        let mut adopt = None;
        if let Some(h) = have {
            if !h.owned {
                match adoption(want, h) {
                    Ok(tag) => adopt = Some((h.arn.clone(), tag)),
                    Err(differences) => {
                        blocked.push(Blocked {
                            name: want.name.clone(),
                            reason: format!(
                                "a permission set of this name exists without the tag `{}={}` and differs from the source ({}); accessc leaves it alone (make the two agree and adopt it with `accessc apply --adopt`, or rename the function)",
                                OWNERSHIP_TAG.0,
                                OWNERSHIP_TAG.1,
                                differences.join("; ")
                            ),
                        });
                        continue;
                    }
                }
            }
        }
        let (action, changes) = match adopt {
            Some((arn, tag)) => (SetAction::Adopt { arn }, vec![tag]),
            None => {
                let changes = diff_set(want, have, &mut notes);
                let action = match (have, changes.is_empty()) {
                    (None, _) => SetAction::Create(Box::new(want.clone())),
                    (Some(h), true) => SetAction::Keep { arn: h.arn.clone() },
                    (Some(h), false) => SetAction::Update { arn: h.arn.clone() },
                };
                (action, changes)
            }
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
                    principal: a.principal.to_string(),
                    principal_id: pid.to_string(),
                    account_id: a.account_id.to_string(),
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
            action,
            changes,
            reprovision,
            create_assignments: create,
            delete_assignments: delete,
            pending_deletes: pending,
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
        let arn = h.arn.clone();
        let (action, delete, pending) = if opts.allow_delete {
            (SetAction::Delete { arn }, rows, Vec::new())
        } else {
            (SetAction::PendingDelete { arn }, Vec::new(), rows)
        };
        sets.push(SetPlan {
            name: h.name.clone(),
            action,
            changes: Vec::new(),
            reprovision: None,
            create_assignments: Vec::new(),
            delete_assignments: delete,
            pending_deletes: pending,
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
            SetAction::Create(_) => summary.sets_to_create += 1,
            SetAction::Update { .. } => summary.sets_to_update += 1,
            SetAction::Delete { .. } => summary.sets_to_delete += 1,
            SetAction::PendingDelete { .. } => summary.pending_deletes += 1,
            SetAction::Adopt { .. } => summary.sets_to_adopt += 1,
            SetAction::Keep { .. } => {}
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
        can_apply: blocked.is_empty() && summary.sets_to_adopt == 0,
        instance_arn: live.instance_arn.clone(),
        identity_store_id: live.identity_store_id.clone(),
        permission_sets: sets,
        attributes,
        blocked,
        notes,
        in_flight: live.in_flight,
        summary,
    };
    p.has_changes =
        p.has_applicable_changes() || !p.blocked.is_empty() || p.summary.sets_to_adopt > 0;
    p
}

/// Whether the untagged live set `have` may be adopted as `want`: every
/// field equal (the inline policy by the plan's one policy comparison), the
/// ownership tag the only difference. `Ok`: the tag to add; `Err`: each
/// difference, named (field; for the inline policy, the statements and
/// keys that differ).
pub fn adoption(want: &PermissionSet, have: &LiveSet) -> Result<Change, Vec<String>> {
    let mut notes = Vec::new();
    let changes = diff_set(want, Some(have), &mut notes);
    let mut differences: Vec<String> = Vec::new();
    let mut tag = None;
    for c in changes {
        match &c {
            Change::Tag {
                op: Op::Add,
                key,
                to: Some(v),
                ..
            } if key == OWNERSHIP_TAG.0 && v == OWNERSHIP_TAG.1 => tag = Some(c),
            _ => differences.push(difference_text(&c)),
        }
    }
    // A field the source leaves out but the live set has (a description,
    // a relay state) is a difference too: adopting would keep it.
    if want.description.is_none() && have.description.is_some() {
        differences.push("description: the live set has one, the source has none".into());
    }
    if want.relay_state.is_none() && have.relay_state.is_some() {
        differences.push("relay_state: the live set has one, the source has none".into());
    }
    match tag {
        Some(tag) if differences.is_empty() => Ok(tag),
        _ if differences.is_empty() => Err(vec![format!(
            "tag {}: the source does not carry it",
            OWNERSHIP_TAG.0
        )]),
        _ => Err(differences),
    }
}

/// One difference between a source set and a live one, for people.
fn difference_text(c: &Change) -> String {
    match c {
        Change::InlinePolicy {
            from: Some(live),
            to: Some(source),
        } => format!("inline_policy: {}", diff::policy_difference(source, live)),
        Change::InlinePolicy { from: None, .. } => {
            "inline_policy: the live set has none, the source has one".into()
        }
        Change::InlinePolicy { to: None, .. } => {
            "inline_policy: the live set has one, the source has none".into()
        }
        _ => {
            let (sign, text) = change_line(c);
            let side = match sign {
                '+' => " (the source has it, the live set does not)",
                '-' => " (the live set has it, the source does not)",
                _ => "",
            };
            format!("{text}{side}")
        }
    }
}
