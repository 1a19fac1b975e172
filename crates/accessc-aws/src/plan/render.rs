//! The plan for people: one block per permission set with `+ / ~ / -`
//! lines, and the closing summary. The JSON form is the plan's own serde.

use super::{AssignmentChange, Change, Op, Plan, SetAction};
use accessc_core::ir::{Boundary, PrincipalType};

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
    let pending = if s.pending_deletes > 0 {
        format!(
            " {} deletion(s) pending: run with --allow-delete to make them.",
            s.pending_deletes
        )
    } else {
        String::new()
    };
    let adopt = if s.sets_to_adopt > 0 {
        format!(
            " {} set(s) to adopt (see `&` above): they exist live without the ownership tag and with the source's content; `accessc apply --adopt` tags them, and changes nothing else.",
            s.sets_to_adopt
        )
    } else {
        String::new()
    };
    let blocked = if s.blocked > 0 {
        format!(
            " {} set(s) blocked: they cannot be applied (see `!` above), and apply changes nothing until they are resolved.",
            s.blocked
        )
    } else {
        String::new()
    };
    if !p.has_applicable_changes() {
        if s.blocked > 0 || s.sets_to_adopt > 0 {
            return format!("Cannot apply: nothing else to change.{adopt}{blocked}{pending}");
        }
        return format!("No changes: the live instance matches the source.{pending}");
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
    line.push_str(&pending);
    line.push_str(&adopt);
    line.push_str(&blocked);
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
            SetAction::Create(_) => ('+', ""),
            SetAction::Update { .. } => ('~', ""),
            SetAction::Keep { .. } => (' ', ""),
            SetAction::Adopt { .. } => (
                '&',
                "  (to adopt: it exists untagged with the source's content; `apply --adopt` tags it)",
            ),
            SetAction::Delete { .. } => ('-', ""),
            SetAction::PendingDelete { .. } => ('-', "  (pending: needs --allow-delete)"),
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
