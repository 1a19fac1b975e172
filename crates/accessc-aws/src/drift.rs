//! IR × live state → drift report (pure): what exists live but not in the
//! source (orphan assignments and owned sets, changes made to owned sets
//! outside accessc, user grants kept past their `until`), and what the source
//! has that is not live yet. `accessc drift` exits 3 when it finds any.

use super::live::{Live, PrincipalScope};
use super::plan::{
    self, AssignmentChange, AttributesPlan, Blocked, Change, PlanOptions, SetAction,
};
use accessc_core::ir::{Date, Ir, PrincipalType};
use accessc_core::org_snapshot::{self, OrgSnapshot};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};

/// One assignment, with its set.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct DriftAssignment {
    pub permission_set: String,
    #[serde(flatten)]
    pub assignment: AssignmentChange,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangedSet {
    pub name: String,
    /// What the source says against what is live.
    pub changes: Vec<Change>,
    /// Accounts whose role lags the set.
    pub outdated_accounts: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaleGrant {
    pub permission_set: String,
    #[serde(flatten)]
    pub assignment: AssignmentChange,
    pub until: Date,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Drift {
    pub instance_arn: String,
    pub identity_store_id: String,
    /// Which assignments were read (see `docs/aws.md`).
    pub scope: String,
    pub today: Date,
    /// Assignments of owned sets that the source does not have.
    pub orphan_assignments: Vec<DriftAssignment>,
    /// Owned sets the source does not have.
    pub orphan_sets: Vec<String>,
    /// Owned sets whose live fields differ from the source, or whose roles lag.
    pub changed_sets: Vec<ChangedSet>,
    /// User grants whose `until` has passed and that are still live.
    pub stale_grants: Vec<StaleGrant>,
    /// In the source but not live: sets and assignments not applied yet.
    pub missing_sets: Vec<String>,
    pub missing_assignments: Vec<DriftAssignment>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes: Option<AttributesPlan>,
    pub blocked: Vec<Blocked>,
    /// How the program's org snapshot differs from the live organization
    /// (absent when the organization was not compared).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stale_snapshot: Option<StaleSnapshot>,
}

/// An account of an organization, where it is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct OrgAccount {
    pub id: String,
    pub name: String,
    /// The OU path it is in (`root` directly under the root).
    pub ou: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct MovedAccount {
    pub id: String,
    pub name: String,
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct OrgOu {
    /// `ou-…`, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub path: String,
}

/// An account whose AWS Organizations state differs between the snapshot
/// and the live organization (`ACTIVE` where the snapshot writes none).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct AccountStateChange {
    pub id: String,
    pub name: String,
    /// The OU path it is in live (`root` directly under the root).
    pub ou: String,
    pub from: String,
    pub to: String,
}

impl AccountStateChange {
    /// Whether the account could be assigned to in the snapshot and cannot
    /// be live: suspended, closing or closed since the snapshot.
    pub fn became_unassignable(&self) -> bool {
        assignable(&self.from) && !assignable(&self.to)
    }
}

fn assignable(state: &str) -> bool {
    org_snapshot::AccountStatus::parse(state).is_none_or(|s| s.is_assignable())
}

/// What changed in the organization since the snapshot was written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StaleSnapshot {
    /// The file `org from` names.
    pub snapshot: String,
    pub accounts_joined: Vec<OrgAccount>,
    pub accounts_left: Vec<OrgAccount>,
    pub accounts_moved: Vec<MovedAccount>,
    /// Accounts suspended, closed or reactivated since the snapshot.
    pub accounts_state_changed: Vec<AccountStateChange>,
    pub ous_added: Vec<OrgOu>,
    pub ous_removed: Vec<OrgOu>,
}

impl StaleSnapshot {
    pub fn differences(&self) -> usize {
        self.accounts_joined.len()
            + self.accounts_left.len()
            + self.accounts_moved.len()
            + self.accounts_state_changed.len()
            + self.ous_added.len()
            + self.ous_removed.len()
    }
}

/// Each OU (keyed `id:ou-…`, else `path:A/B`) with its path, and each
/// account with its name, the key of its OU (`None`: the root) and its state
/// (`None`: `ACTIVE`).
type Flat = (
    BTreeMap<String, String>,
    BTreeMap<String, (String, Option<String>, Option<String>)>,
);

fn flatten(doc: &OrgSnapshot) -> Flat {
    fn walk(
        accounts: &[org_snapshot::Account],
        ous: &[org_snapshot::Ou],
        parent: Option<(&str, &str)>,
        flat: &mut Flat,
    ) {
        for a in accounts {
            flat.1.insert(
                a.id.clone(),
                (
                    a.name.clone(),
                    parent.map(|(key, _)| key.to_string()),
                    a.status.clone(),
                ),
            );
        }
        for o in ous {
            let path = match parent {
                Some((_, p)) => format!("{p}/{}", o.name),
                None => o.name.clone(),
            };
            let key = match &o.id {
                Some(id) => format!("id:{id}"),
                None => format!("path:{path}"),
            };
            flat.0.insert(key.clone(), path.clone());
            walk(&o.accounts, &o.ous, Some((&key, &path)), flat);
        }
    }
    let mut flat = Flat::default();
    walk(&doc.accounts, &doc.ous, None, &mut flat);
    flat
}

/// The accounts of `snapshot` whose live state (`states`: every account of
/// the organization with its state, `None` for `ACTIVE`) is not the
/// snapshot's: a [`StaleSnapshot`] with only its state changes, each account
/// in its OU as the snapshot has it. An account no longer in the
/// organization has not changed state (`drift` reports it as left).
pub fn state_changes(
    file: &str,
    snapshot: &OrgSnapshot,
    states: &BTreeMap<String, Option<String>>,
) -> StaleSnapshot {
    let (ous, accounts) = flatten(snapshot);
    let state = |s: &Option<String>| s.clone().unwrap_or_else(|| "ACTIVE".to_string());
    let mut s = StaleSnapshot {
        snapshot: file.to_string(),
        ..StaleSnapshot::default()
    };
    for (id, (name, parent, status)) in &accounts {
        let Some(live) = states.get(id) else {
            continue;
        };
        if state(status) != state(live) {
            s.accounts_state_changed.push(AccountStateChange {
                id: id.clone(),
                name: name.clone(),
                ou: match parent {
                    Some(k) => ous.get(k).cloned().unwrap_or_else(|| k.clone()),
                    None => "root".to_string(),
                },
                from: state(status),
                to: state(live),
            });
        }
    }
    s
}

/// How the snapshot `snapshot` (named `file`) differs from the live
/// organization: accounts that joined, left or moved between OUs, OUs added
/// or removed, accounts whose state changed (suspended, closed). OUs are
/// matched by id (by path when the snapshot has none), accounts by id;
/// renames alone are not differences.
pub fn stale_snapshot(file: &str, snapshot: &OrgSnapshot, live: &OrgSnapshot) -> StaleSnapshot {
    let (old_ous, old_accounts) = flatten(snapshot);
    let (new_ous, new_accounts) = flatten(live);
    let ou_of = |ous: &BTreeMap<String, String>, key: &Option<String>| match key {
        Some(k) => ous.get(k).cloned().unwrap_or_else(|| k.clone()),
        None => "root".to_string(),
    };
    // A snapshot OU without id is compared by path (below).
    let same_parent = |old: &Option<String>, new: &Option<String>| match (old, new) {
        (Some(o), _) if !o.starts_with("id:") => true,
        _ => old == new,
    };
    let mut s = StaleSnapshot {
        snapshot: file.to_string(),
        ..StaleSnapshot::default()
    };
    let state = |s: &Option<String>| s.clone().unwrap_or_else(|| "ACTIVE".to_string());
    for (id, (name, parent, status)) in &new_accounts {
        if let Some((old_name, _, old_status)) = old_accounts.get(id) {
            if state(old_status) != state(status) {
                s.accounts_state_changed.push(AccountStateChange {
                    id: id.clone(),
                    name: old_name.clone(),
                    ou: ou_of(&new_ous, parent),
                    from: state(old_status),
                    to: state(status),
                });
            }
        }
        match old_accounts.get(id) {
            None => s.accounts_joined.push(OrgAccount {
                id: id.clone(),
                name: name.clone(),
                ou: ou_of(&new_ous, parent),
            }),
            Some((old_name, old_parent, _))
                if !same_parent(old_parent, parent)
                    || (old_parent.as_deref().is_some_and(|k| !k.starts_with("id:"))
                        && ou_of(&old_ous, old_parent) != ou_of(&new_ous, parent)) =>
            {
                s.accounts_moved.push(MovedAccount {
                    id: id.clone(),
                    name: old_name.clone(),
                    from: ou_of(&old_ous, old_parent),
                    to: ou_of(&new_ous, parent),
                })
            }
            Some(_) => {}
        }
    }
    for (id, (name, parent, _)) in &old_accounts {
        if !new_accounts.contains_key(id) {
            s.accounts_left.push(OrgAccount {
                id: id.clone(),
                name: name.clone(),
                ou: ou_of(&old_ous, parent),
            });
        }
    }
    let is_id = |k: &str| k.starts_with("id:");
    let id_of = |k: &str| k.strip_prefix("id:").map(str::to_string);
    for (key, path) in &new_ous {
        // A snapshot OU without id is matched by its path.
        if !old_ous.contains_key(key) && !old_ous.iter().any(|(k, p)| !is_id(k) && p == path) {
            s.ous_added.push(OrgOu {
                id: id_of(key),
                path: path.clone(),
            });
        }
    }
    for (key, path) in &old_ous {
        let gone = if is_id(key) {
            !new_ous.contains_key(key)
        } else {
            !new_ous.values().any(|p| p == path)
        };
        if gone {
            s.ous_removed.push(OrgOu {
                id: id_of(key),
                path: path.clone(),
            });
        }
    }
    s
}

impl Drift {
    pub fn is_clean(&self) -> bool {
        self.orphan_assignments.is_empty()
            && self.orphan_sets.is_empty()
            && self.changed_sets.is_empty()
            && self.stale_grants.is_empty()
            && self.missing_sets.is_empty()
            && self.missing_assignments.is_empty()
            && self.attributes.is_none()
            && self.blocked.is_empty()
            && self
                .stale_snapshot
                .as_ref()
                .is_none_or(|s| s.differences() == 0)
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

fn scope_text(live: &Live) -> String {
    if live.deep {
        return "every assignment of every owned set (--deep)".into();
    }
    match live.scope {
        Some(PrincipalScope::Program) => "assignments of the program's principals".into(),
        _ => "assignments of every group and user of the identity store".into(),
    }
}

/// Compare; user grants whose `until` is before `today` are stale.
pub fn drift(ir: &Ir, live: &Live, today: Date) -> Drift {
    let p = plan::plan(ir, live, PlanOptions { allow_delete: true });
    let mut d = Drift {
        instance_arn: p.instance_arn.clone(),
        identity_store_id: p.identity_store_id.clone(),
        scope: scope_text(live),
        today,
        orphan_assignments: Vec::new(),
        orphan_sets: Vec::new(),
        changed_sets: Vec::new(),
        stale_grants: Vec::new(),
        missing_sets: Vec::new(),
        missing_assignments: Vec::new(),
        attributes: p.attributes.clone(),
        blocked: p.blocked.clone(),
        stale_snapshot: None,
    };
    for s in &p.permission_sets {
        let with_set = |a: &AssignmentChange| DriftAssignment {
            permission_set: s.name.clone(),
            assignment: a.clone(),
        };
        d.orphan_assignments
            .extend(s.delete_assignments.iter().map(with_set));
        d.missing_assignments
            .extend(s.create_assignments.iter().map(with_set));
        match s.action {
            SetAction::Delete { .. } => d.orphan_sets.push(s.name.clone()),
            SetAction::Create(_) => d.missing_sets.push(s.name.clone()),
            _ => {}
        }
        let outdated = live
            .set(&s.name)
            .map(|l| l.outdated_accounts.clone())
            .unwrap_or_default();
        if matches!(s.action, SetAction::Update { .. } | SetAction::Adopt { .. })
            || !outdated.is_empty()
        {
            d.changed_sets.push(ChangedSet {
                name: s.name.clone(),
                changes: s.changes.clone(),
                outdated_accounts: outdated,
            });
        }
    }
    let live_keys: HashSet<(&str, PrincipalType, &str, &str)> = live
        .assignments
        .iter()
        .map(|a| {
            (
                a.permission_set.as_str(),
                a.principal_type,
                a.principal_id.as_str(),
                a.account_id.as_str(),
            )
        })
        .collect();
    for a in &ir.assignments {
        let Some(until) = a.until else { continue };
        if until >= today {
            continue;
        }
        let Some(pid) = plan::principal_id(live, a) else {
            continue;
        };
        if live_keys.contains(&(
            a.permission_set.as_str(),
            a.principal_type,
            pid,
            a.account_id.as_str(),
        )) {
            d.stale_grants.push(StaleGrant {
                permission_set: a.permission_set.to_string(),
                assignment: AssignmentChange {
                    principal_type: a.principal_type,
                    principal: a.principal.to_string(),
                    principal_id: pid.to_string(),
                    account_id: a.account_id.to_string(),
                    account_name: ir.account_name(&a.account_id).map(str::to_string),
                },
                until,
                owner: a.owner.as_deref().map(str::to_string),
            });
        }
    }
    d
}

/// The report for people.
pub fn render_human(d: &Drift) -> String {
    let mut out = format!(
        "Drift of {} (identity store {}), reading {}\n",
        d.instance_arn, d.identity_store_id, d.scope
    );
    let line = |a: &DriftAssignment| {
        format!(
            "{}: {}",
            a.permission_set,
            plan::assignment_text(&a.assignment)
        )
    };
    if !d.orphan_assignments.is_empty() {
        out.push_str("\nOrphan assignments (live, not in the source):\n");
        for a in &d.orphan_assignments {
            out.push_str(&format!("  - {}\n", line(a)));
        }
    }
    if !d.orphan_sets.is_empty() {
        out.push_str("\nOwned permission sets not in the source:\n");
        for s in &d.orphan_sets {
            out.push_str(&format!("  - {s}\n"));
        }
    }
    if !d.changed_sets.is_empty() {
        out.push_str("\nOwned permission sets that differ from the source (live -> source):\n");
        for s in &d.changed_sets {
            out.push_str(&format!("  ~ {}\n", s.name));
            for c in &s.changes {
                let (m, text) = plan::change_line(c);
                out.push_str(&format!("      {m} {text}\n"));
            }
            if !s.outdated_accounts.is_empty() {
                out.push_str(&format!(
                    "      ! roles not re-provisioned in {} account(s): {}\n",
                    s.outdated_accounts.len(),
                    s.outdated_accounts.join(", ")
                ));
            }
        }
    }
    if !d.stale_grants.is_empty() {
        out.push_str(&format!(
            "\nUser grants past their `until` (today is {}):\n",
            d.today
        ));
        for g in &d.stale_grants {
            let owner = g
                .owner
                .as_deref()
                .map(|o| format!(", owner {o}"))
                .unwrap_or_default();
            out.push_str(&format!(
                "  ! {}: {} (until {}{owner})\n",
                g.permission_set,
                plan::assignment_text(&g.assignment),
                g.until
            ));
        }
    }
    if let Some(a) = &d.attributes {
        out.push_str("\nABAC attributes differ from the source:\n");
        for at in &a.to {
            out.push_str(&format!("  ~ {} = {}\n", at.key, at.value));
        }
    }
    if !d.missing_sets.is_empty() || !d.missing_assignments.is_empty() {
        out.push_str("\nIn the source, not live (not applied yet):\n");
        for s in &d.missing_sets {
            out.push_str(&format!("  + permission set {s}\n"));
        }
        for a in &d.missing_assignments {
            out.push_str(&format!("  + {}\n", line(a)));
        }
    }
    for b in &d.blocked {
        out.push_str(&format!(
            "\n! permission set {}: blocked: {}\n",
            b.name, b.reason
        ));
    }
    let stale = d.stale_snapshot.as_ref().filter(|s| s.differences() > 0);
    if let Some(s) = stale {
        render_stale(s, &mut out);
    }
    out.push('\n');
    if d.is_clean() {
        out.push_str("No drift: the live instance matches the source.\n");
    } else {
        let blocked = if d.blocked.is_empty() {
            String::new()
        } else {
            format!(" ({} blocked)", d.blocked.len())
        };
        out.push_str(&format!(
            "Drift: {} orphan assignment(s), {} orphan set(s), {} changed set(s), {} stale user grant(s), {} set(s){blocked} and {} assignment(s) not applied",
            d.orphan_assignments.len(),
            d.orphan_sets.len(),
            d.changed_sets.len(),
            d.stale_grants.len(),
            d.missing_sets.len() + d.blocked.len(),
            d.missing_assignments.len()
        ));
        if let Some(s) = stale {
            out.push_str(&format!(
                "; the org snapshot is stale ({} difference(s))",
                s.differences()
            ));
        }
        out.push_str(".\n");
    }
    out
}

fn render_stale(s: &StaleSnapshot, out: &mut String) {
    out.push_str(&format!(
        "\nThe org snapshot `{}` is stale: the live organization differs (snapshot -> live):\n",
        s.snapshot
    ));
    for a in &s.accounts_joined {
        out.push_str(&format!(
            "  + account {} ({}) joined {}\n",
            a.name, a.id, a.ou
        ));
    }
    for a in &s.accounts_left {
        out.push_str(&format!(
            "  - account {} ({}) left {}\n",
            a.name, a.id, a.ou
        ));
    }
    for a in &s.accounts_moved {
        out.push_str(&format!(
            "  ~ account {} ({}) moved from {} to {}\n",
            a.name, a.id, a.from, a.to
        ));
    }
    for a in &s.accounts_state_changed {
        out.push_str(&format!(
            "  ~ account {} ({}) in {} is {} (was {}){}\n",
            a.name,
            a.id,
            a.ou,
            a.to,
            a.from,
            if a.became_unassignable() {
                ": its assignments fail"
            } else {
                ""
            }
        ));
    }
    for o in &s.ous_added {
        out.push_str(&format!("  + OU {}\n", ou_text(o)));
    }
    for o in &s.ous_removed {
        out.push_str(&format!("  - OU {}\n", ou_text(o)));
    }
    out.push_str(&format!(
        "  help: write it again with `accessc org snapshot -o {}`, or plan and apply with `--org live`\n",
        s.snapshot
    ));
}

/// For `plan` and `apply` from the snapshot: one warning per account the
/// program assigns to that the live organization has suspended or closed
/// since the snapshot `s` was written (IAM Identity Center refuses those
/// assignments), naming what to do.
pub fn unassignable_warnings(s: &StaleSnapshot, ir: &Ir) -> Vec<String> {
    s.accounts_state_changed
        .iter()
        .filter(|a| a.became_unassignable())
        .map(|a| {
            let n = ir
                .assignments
                .iter()
                .filter(|x| x.account_id.as_str() == a.id)
                .count();
            format!(
                "warning: the live organization has account {} ({}) {}, but the org snapshot `{}` has it {}: its {n} assignment(s) in the program will fail; plan and apply with `--org live` (which leaves it out), or write the snapshot again with `accessc org snapshot -o {}`",
                a.name, a.id, a.to, s.snapshot, a.from, s.snapshot
            )
        })
        .collect()
}

fn ou_text(o: &OrgOu) -> String {
    match &o.id {
        Some(id) => format!("{} ({id})", o.path),
        None => o.path.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::{LiveAssignment, LiveSet};
    use accessc_core::ir::{Assignment, PermissionSet, Principal, SessionDuration, Tag};

    fn date(s: &str) -> Date {
        Date::parse(s).expect("date")
    }

    fn ps(name: &str) -> PermissionSet {
        PermissionSet {
            name: name.into(),
            function: name.into(),
            description: None,
            session_duration: SessionDuration::from_minutes(60),
            relay_state: None,
            managed_policies: vec![],
            customer_managed_policies: vec![],
            permissions_boundary: None,
            inline_policy: None,
            tags: vec![Tag {
                key: "ManagedBy".into(),
                value: "accessc".into(),
            }],
            break_glass: None,
        }
    }

    #[test]
    fn orphans_stale_grants_and_clean_state() {
        let set = ps("Audit");
        let ir = Ir {
            permission_sets: vec![set.clone()],
            principals: vec![Principal {
                kind: PrincipalType::User,
                name: "aud".into(),
                display_name: "aud@x".into(),
                id: None,
            }],
            assignments: vec![Assignment {
                permission_set: "Audit".into(),
                principal_type: PrincipalType::User,
                principal: "aud".into(),
                principal_id: None,
                account_id: "111111111111".into(),
                until: Some(date("2027-03-31")),
                owner: Some("secops@example.com".into()),
            }],
            ..Ir::default()
        };
        let mut live = Live {
            sets: vec![LiveSet {
                arn: "arn:ps".into(),
                name: "Audit".into(),
                owned: true,
                session_duration: "PT1H".into(),
                tags: set.tags.clone(),
                ..LiveSet::default()
            }],
            assignments: vec![LiveAssignment {
                permission_set: "Audit".into(),
                principal_type: PrincipalType::User,
                principal_id: "u-1".into(),
                account_id: "111111111111".into(),
            }],
            ..Live::default()
        };
        live.resolved
            .insert((PrincipalType::User, "aud".into()), "u-1".into());
        let d = drift(&ir, &live, date("2027-01-01"));
        assert!(d.is_clean(), "{}", render_human(&d));
        // The last day of a grant is still inside it.
        assert!(drift(&ir, &live, date("2027-03-31"))
            .stale_grants
            .is_empty());
        let d = drift(&ir, &live, date("2027-04-01"));
        assert_eq!(d.stale_grants.len(), 1);
        assert!(render_human(&d).contains("until 2027-03-31"));
        let json = d.to_json();
        assert!(json.contains(r#""today": "2027-04-01","#), "{json}");
        assert!(json.contains(r#""until": "2027-03-31","#), "{json}");
        live.assignments.push(LiveAssignment {
            permission_set: "Audit".into(),
            principal_type: PrincipalType::Group,
            principal_id: "g-9".into(),
            account_id: "222222222222".into(),
        });
        let d = drift(&ir, &live, date("2027-01-01"));
        assert_eq!(d.orphan_assignments.len(), 1);
        assert!(!d.is_clean());
    }

    /// A source set whose name an unowned live set of other content holds
    /// is not applied: drift counts it, and never says "0 set(s) not
    /// applied". With the source's content, it is a changed set (its tag).
    #[test]
    fn a_blocked_set_is_a_set_not_applied() {
        let ir = Ir {
            permission_sets: vec![ps("Dev")],
            ..Ir::default()
        };
        let theirs = LiveSet {
            arn: "arn:theirs".into(),
            name: "Dev".into(),
            owned: false,
            session_duration: "PT1H".into(),
            ..LiveSet::default()
        };
        let same = Live {
            sets: vec![theirs.clone()],
            ..Live::default()
        };
        let d = drift(&ir, &same, date("2027-01-01"));
        assert_eq!(d.changed_sets.len(), 1);
        assert!(!d.is_clean());
        let live = Live {
            sets: vec![LiveSet {
                description: Some("theirs".into()),
                ..theirs
            }],
            ..Live::default()
        };
        let d = drift(&ir, &live, date("2027-01-01"));
        assert_eq!(d.blocked.len(), 1);
        assert!(!d.is_clean());
        let human = render_human(&d);
        assert!(
            human.ends_with("Drift: 0 orphan assignment(s), 0 orphan set(s), 0 changed set(s), 0 stale user grant(s), 1 set(s) (1 blocked) and 0 assignment(s) not applied.\n"),
            "{human}"
        );
    }

    fn org(text: &str) -> OrgSnapshot {
        OrgSnapshot::from_json(text).expect("snapshot")
    }

    /// An account suspended (or closed) since the snapshot is a difference,
    /// with the warning `plan` prints; one reactivated is a difference
    /// without a warning.
    #[test]
    fn state_changes_from_the_accounts_states_agree_with_the_whole_comparison() {
        let file = org(
            r#"{"format": "accessc-org/1", "accounts": [{"name": "mgmt", "id": "999999999999"}],
            "ous": [{"name": "Dev", "id": "ou-ab12-11111111", "accounts": [
              {"name": "a", "id": "111111111111"},
              {"name": "b", "id": "222222222222", "status": "SUSPENDED"},
              {"name": "gone", "id": "333333333333"}
            ], "ous": []}]}"#,
        );
        let live = org(
            r#"{"format": "accessc-org/1", "accounts": [{"name": "mgmt", "id": "999999999999"}],
            "ous": [{"name": "Dev", "id": "ou-ab12-11111111", "accounts": [
              {"name": "a", "id": "111111111111", "status": "SUSPENDED"},
              {"name": "b", "id": "222222222222"},
              {"name": "new", "id": "444444444444", "status": "SUSPENDED"}
            ], "ous": []}]}"#,
        );
        // ListAccounts' answer: every live account and its state.
        let states: BTreeMap<String, Option<String>> = [
            ("999999999999", None),
            ("111111111111", Some("SUSPENDED")),
            ("222222222222", None),
            ("444444444444", Some("SUSPENDED")),
        ]
        .into_iter()
        .map(|(id, st)| (id.to_string(), st.map(str::to_string)))
        .collect();
        let only_states = state_changes("org.json", &file, &states);
        let whole = stale_snapshot("org.json", &file, &live);
        assert_eq!(
            only_states.accounts_state_changed,
            whole.accounts_state_changed
        );
        assert_eq!(only_states.accounts_state_changed.len(), 2);
        // Joins and departures are drift's to report, not changes of state.
        assert_eq!(only_states.differences(), 2);
        assert_eq!(whole.differences(), 4);
    }

    #[test]
    fn a_stale_snapshot_lists_an_account_whose_state_changed() {
        let file = org(
            r#"{"format": "accessc-org/1", "accounts": [{"name": "mgmt", "id": "999999999999"}],
            "ous": [{"name": "Dev", "id": "ou-ab12-11111111", "accounts": [
              {"name": "a", "id": "111111111111"},
              {"name": "b", "id": "222222222222", "status": "SUSPENDED"}
            ], "ous": []}]}"#,
        );
        let live = org(
            r#"{"format": "accessc-org/1", "accounts": [{"name": "mgmt", "id": "999999999999"}],
            "ous": [{"name": "Dev", "id": "ou-ab12-11111111", "accounts": [
              {"name": "a-renamed", "id": "111111111111", "status": "SUSPENDED"},
              {"name": "b", "id": "222222222222"}
            ], "ous": []}]}"#,
        );
        let s = stale_snapshot("org.json", &file, &live);
        assert_eq!(s.differences(), 2);
        assert!(s.accounts_joined.is_empty() && s.accounts_moved.is_empty());
        assert_eq!(
            s.accounts_state_changed,
            [
                AccountStateChange {
                    id: "111111111111".into(),
                    name: "a".into(),
                    ou: "Dev".into(),
                    from: "ACTIVE".into(),
                    to: "SUSPENDED".into(),
                },
                AccountStateChange {
                    id: "222222222222".into(),
                    name: "b".into(),
                    ou: "Dev".into(),
                    from: "SUSPENDED".into(),
                    to: "ACTIVE".into(),
                }
            ]
        );
        assert!(s.accounts_state_changed[0].became_unassignable());
        assert!(!s.accounts_state_changed[1].became_unassignable());
        let ir = Ir {
            assignments: vec![Assignment {
                permission_set: "Audit".into(),
                principal_type: PrincipalType::Group,
                principal: "g".into(),
                principal_id: None,
                account_id: "111111111111".into(),
                until: None,
                owner: None,
            }],
            ..Ir::default()
        };
        let warnings = unassignable_warnings(&s, &ir);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].starts_with("warning: the live organization has account a (111111111111) SUSPENDED, but the org snapshot `org.json` has it ACTIVE: its 1 assignment(s) in the program will fail; plan and apply with `--org live`"),
            "{}",
            warnings[0]
        );
        assert!(
            warnings[0].ends_with("`accessc org snapshot -o org.json`"),
            "{}",
            warnings[0]
        );
        let mut d = drift(&Ir::default(), &Live::default(), date("2027-01-01"));
        d.stale_snapshot = Some(s);
        assert!(!d.is_clean());
        let human = render_human(&d);
        assert!(
            human.contains(
                "  ~ account a (111111111111) in Dev is SUSPENDED (was ACTIVE): its assignments fail\n"
            ),
            "{human}"
        );
        assert!(
            human.contains("  ~ account b (222222222222) in Dev is ACTIVE (was SUSPENDED)\n"),
            "{human}"
        );
        assert!(
            human.ends_with("; the org snapshot is stale (2 difference(s)).\n"),
            "{human}"
        );
        let json: serde_json::Value = serde_json::from_str(&d.to_json()).expect("json");
        assert_eq!(
            json["stale_snapshot"]["accounts_state_changed"][0]["to"],
            "SUSPENDED"
        );
    }

    #[test]
    fn a_stale_snapshot_lists_what_joined_left_and_moved() {
        let file = org(
            r#"{"format": "accessc-org/1", "accounts": [{"name": "mgmt", "id": "999999999999"}],
            "ous": [
              {"name": "Dev", "id": "ou-ab12-11111111", "accounts": [{"name": "a", "id": "111111111111"}, {"name": "b", "id": "222222222222"}], "ous": []},
              {"name": "Old", "id": "ou-ab12-33333333", "accounts": [], "ous": []},
              {"name": "Named", "accounts": [{"name": "n", "id": "555555555555"}], "ous": []}
            ]}"#,
        );
        let same = stale_snapshot("org.json", &file, &file);
        assert_eq!(same.differences(), 0);
        let live = org(
            r#"{"format": "accessc-org/1", "accounts": [{"name": "mgmt", "id": "999999999999"}],
            "ous": [
              {"name": "Dev", "id": "ou-ab12-11111111", "accounts": [{"name": "a", "id": "111111111111"}, {"name": "c", "id": "444444444444"}], "ous": [
                {"name": "Deep", "id": "ou-ab12-22222222", "accounts": [{"name": "b-renamed", "id": "222222222222"}], "ous": []}
              ]},
              {"name": "Named", "id": "ou-ab12-55555555", "accounts": [{"name": "n", "id": "555555555555"}], "ous": []}
            ]}"#,
        );
        let s = stale_snapshot("org.json", &file, &live);
        assert_eq!(
            s.accounts_joined,
            [OrgAccount {
                id: "444444444444".into(),
                name: "c".into(),
                ou: "Dev".into()
            }]
        );
        assert_eq!(
            s.accounts_moved,
            [MovedAccount {
                id: "222222222222".into(),
                name: "b".into(),
                from: "Dev".into(),
                to: "Dev/Deep".into()
            }]
        );
        assert!(s.accounts_left.is_empty());
        assert_eq!(
            s.ous_added,
            [OrgOu {
                id: Some("ou-ab12-22222222".into()),
                path: "Dev/Deep".into()
            }]
        );
        assert_eq!(
            s.ous_removed,
            [OrgOu {
                id: Some("ou-ab12-33333333".into()),
                path: "Old".into()
            }]
        );
        // The other way round: the account left, the OU is new.
        let back = stale_snapshot("org.json", &live, &file);
        assert_eq!(back.accounts_left.len(), 1);
        assert_eq!(back.accounts_left[0].id, "444444444444");
        let mut d = drift(&Ir::default(), &Live::default(), date("2027-01-01"));
        assert!(d.is_clean());
        d.stale_snapshot = Some(same);
        assert!(d.is_clean(), "an up-to-date snapshot is no drift");
        d.stale_snapshot = Some(s);
        assert!(!d.is_clean());
        let human = render_human(&d);
        assert!(
            human.contains("The org snapshot `org.json` is stale"),
            "{human}"
        );
        assert!(
            human.contains("  + account c (444444444444) joined Dev\n"),
            "{human}"
        );
        assert!(
            human.contains("  ~ account b (222222222222) moved from Dev to Dev/Deep\n"),
            "{human}"
        );
        assert!(human.contains("  - OU Old (ou-ab12-33333333)\n"), "{human}");
        assert!(
            human.ends_with("; the org snapshot is stale (4 difference(s)).\n"),
            "{human}"
        );
        let json: serde_json::Value = serde_json::from_str(&d.to_json()).expect("json");
        assert_eq!(
            json["stale_snapshot"]["accounts_joined"][0]["id"],
            "444444444444"
        );
    }
}
