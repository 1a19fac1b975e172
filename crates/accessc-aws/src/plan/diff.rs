//! One permission set of the source against its live state, field by field.

use super::Change;
use super::Op;
use crate::live::LiveSet;
use accessc_core::ir::{self, PermissionSet, SessionDuration};
use std::collections::{BTreeMap, HashSet};

fn same_policy(a: &str, b: &str) -> bool {
    match (
        serde_json::from_str::<serde_json::Value>(a),
        serde_json::from_str::<serde_json::Value>(b),
    ) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
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
