//! One permission set of the source against its live state, field by field.

use super::Change;
use super::Op;
use crate::live::LiveSet;
use accessc_core::ir::{self, PermissionSet, SessionDuration};
use accessc_core::policy_json::same_policy;
use std::collections::{BTreeMap, HashSet};

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

/// What differs between two inline policies that [`same_policy`] finds
/// unequal, for people: the top-level keys, then the statements (by
/// position, with their `Sid`) and, in each, the keys that differ.
pub fn policy_difference(source: &str, live: &str) -> String {
    use serde_json::Value;
    let (Ok(s), Ok(l)) = (
        serde_json::from_str::<Value>(source),
        serde_json::from_str::<Value>(live),
    ) else {
        return "the documents differ (one is not JSON)".into();
    };
    let statements = |v: &Value| -> Vec<Value> {
        match v.get("Statement") {
            Some(Value::Array(a)) => a.clone(),
            Some(other) => vec![other.clone()],
            None => Vec::new(),
        }
    };
    let keys = |a: &Value, b: &Value| -> Vec<String> {
        let mut all: Vec<String> = a
            .as_object()
            .into_iter()
            .chain(b.as_object())
            .flat_map(|o| o.keys().cloned())
            .collect();
        all.sort();
        all.dedup();
        all.into_iter().filter(|k| a.get(k) != b.get(k)).collect()
    };
    let mut out = Vec::new();
    let top: Vec<String> = keys(&s, &l)
        .into_iter()
        .filter(|k| k != "Statement")
        .collect();
    let verb = |n: usize| if n == 1 { "differs" } else { "differ" };
    if !top.is_empty() {
        out.push(format!("{} {}", top.join(", "), verb(top.len())));
    }
    let (ss, ls) = (statements(&s), statements(&l));
    if ss.len() != ls.len() {
        out.push(format!(
            "the source has {} statement(s), the live set {}",
            ss.len(),
            ls.len()
        ));
    }
    let wrap = |st: &Value| serde_json::json!({ "Statement": [st] }).to_string();
    for (i, (a, b)) in ss.iter().zip(&ls).enumerate() {
        if same_policy(&wrap(a), &wrap(b)) {
            continue;
        }
        let sid = a
            .get("Sid")
            .and_then(Value::as_str)
            .map(|s| format!(" (Sid {:?})", s.chars().take(64).collect::<String>()))
            .unwrap_or_default();
        let differing = keys(a, b);
        if differing.is_empty() {
            out.push(format!("statement {}{sid} differs", i + 1));
        } else {
            out.push(format!(
                "statement {}{sid}: {} {}",
                i + 1,
                differing
                    .iter()
                    .map(|k| k.chars().take(64).collect::<String>())
                    .collect::<Vec<_>>()
                    .join(", "),
                verb(differing.len())
            ));
        }
    }
    if out.is_empty() {
        out.push("the documents differ".into());
    }
    out.join("; ")
}

#[cfg(test)]
mod tests {
    use super::policy_difference;

    #[test]
    fn a_policy_difference_names_the_statements_and_keys() {
        let a = r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Effect":"Deny","NotAction":"iam:*","Resource":"*"}]}"#;
        let b = r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Effect":"Deny","NotAction":"iam:*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}]}"#;
        assert_eq!(policy_difference(a, b), "statement 2: Condition differs");
        let c = r#"{"Version":"2008-10-17","Statement":{"Sid":"A","Effect":"Allow","Action":"s3:PutObject","Resource":"*"}}"#;
        assert_eq!(
            policy_difference(a, c),
            "Version differs; the source has 2 statement(s), the live set 1; statement 1 (Sid \"A\"): Action differs"
        );
    }
}
