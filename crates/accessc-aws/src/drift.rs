//! IR × live state → drift report (pure): what exists live but not in the
//! source (orphan assignments and owned sets, changes made to owned sets
//! outside accessc, user grants kept past their `until`), and what the source
//! has that is not live yet. `accessc drift` exits 3 when it finds any.

use super::live::{Live, PrincipalScope};
use super::plan::{
    self, AssignmentChange, AttributesPlan, Blocked, Change, PlanOptions, SetAction,
};
use accessc_core::ir::{Date, Ir, PrincipalType};
use serde::Serialize;
use std::collections::HashSet;

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
        if matches!(s.action, SetAction::Update { .. }) || !outdated.is_empty() {
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
                permission_set: a.permission_set.clone(),
                assignment: AssignmentChange {
                    principal_type: a.principal_type,
                    principal: a.principal.clone(),
                    principal_id: pid.to_string(),
                    account_id: a.account_id.clone(),
                    account_name: ir.account_name(&a.account_id).map(str::to_string),
                },
                until,
                owner: a.owner.clone(),
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
    out.push('\n');
    if d.is_clean() {
        out.push_str("No drift: the live instance matches the source.\n");
    } else {
        out.push_str(&format!(
            "Drift: {} orphan assignment(s), {} orphan set(s), {} changed set(s), {} stale user grant(s), {} set(s) and {} assignment(s) not applied.\n",
            d.orphan_assignments.len(),
            d.orphan_sets.len(),
            d.changed_sets.len(),
            d.stale_grants.len(),
            d.missing_sets.len(),
            d.missing_assignments.len()
        ));
    }
    out
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
}
