//! A policy document as what it allows and denies: the statements normalized
//! (no `Sid`, lists sorted and deduplicated, one string or a list alike), then
//! every action pattern expanded against the IAM catalog, so that `s3:Get*` →
//! `s3:*` is a widening while reordering, renaming or splitting statements is
//! no change at all.

use accessc_core::catalog::{iam, wildcard_match};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The most statements read from one document (IAM allows far fewer).
const MAX_STATEMENTS: usize = 10_000;

/// One statement with everything that does not change access taken out.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Statement {
    allow: bool,
    not_action: bool,
    /// Lowercase (IAM compares actions without regard to case), sorted.
    actions: BTreeSet<String>,
    scope: Scope,
}

/// Where and when a statement applies: its resources and its condition.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Scope {
    not_resource: bool,
    resources: BTreeSet<String>,
    /// The condition block in a canonical form; empty when there is none.
    condition: String,
}

/// A policy document, normalized: equal for documents that differ only in
/// statement order, `Sid`s, list order or one-element lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Normalized {
    Statements(BTreeSet<Statement>),
    /// A document that is not IAM JSON (it never comes out of the lowering):
    /// compared as text.
    Opaque(String),
}

/// [`Normalized`] of an IAM JSON policy document: the core's canonical form
/// ([`accessc_core::policy_json::normalize`]: key order, single strings and
/// one-element lists), then statements as a set without `Sid`s and lists as
/// sets.
pub fn normalize(document: &str) -> Normalized {
    let Ok(value) = accessc_core::policy_json::normalize(document) else {
        return Normalized::Opaque(document.to_string());
    };
    let statements = match value.get("Statement") {
        Some(Value::Array(list)) => list.iter().take(MAX_STATEMENTS).collect::<Vec<_>>(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    };
    let mut out = BTreeSet::new();
    for s in statements {
        let Some(allow) = s
            .get("Effect")
            .and_then(Value::as_str)
            .map(|e| e == "Allow")
        else {
            return Normalized::Opaque(document.to_string());
        };
        let (not_action, actions) = match (s.get("Action"), s.get("NotAction")) {
            (Some(a), None) => (false, strings(a, true)),
            (None, Some(a)) => (true, strings(a, true)),
            _ => return Normalized::Opaque(document.to_string()),
        };
        let (not_resource, resources) = match (s.get("Resource"), s.get("NotResource")) {
            (Some(r), None) => (false, strings(r, false)),
            (None, Some(r)) => (true, strings(r, false)),
            _ => return Normalized::Opaque(document.to_string()),
        };
        let condition = s
            .get("Condition")
            .map(canonical_condition)
            .unwrap_or_default();
        out.insert(Statement {
            allow,
            not_action,
            actions,
            scope: Scope {
                not_resource,
                resources,
                condition,
            },
        });
    }
    Normalized::Statements(out)
}

fn strings(v: &Value, lowercase: bool) -> BTreeSet<String> {
    let one = |v: &Value| -> String {
        let s = match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if lowercase {
            s.to_ascii_lowercase()
        } else {
            s
        }
    };
    match v {
        Value::Array(list) => list.iter().map(one).collect(),
        other => BTreeSet::from([one(other)]),
    }
}

/// `{operator: {key: [values]}}` with keys lowercased (IAM compares condition
/// keys without regard to case) and values sorted, as compact text.
fn canonical_condition(v: &Value) -> String {
    let Value::Object(ops) = v else {
        return v.to_string();
    };
    let mut canon: BTreeMap<&str, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (op, keys) in ops {
        let entry = canon.entry(op.as_str()).or_default();
        if let Value::Object(keys) = keys {
            for (key, values) in keys {
                entry
                    .entry(key.to_ascii_lowercase())
                    .or_default()
                    .extend(strings(values, false));
            }
        }
    }
    if canon.is_empty() {
        return String::new();
    }
    serde_json::to_string(&canon).unwrap_or_default()
}

/// What one document allows and denies, action by action (as the catalog
/// spells it; a pattern the catalog does not know stays as written).
#[derive(Debug, Default)]
pub struct Expanded {
    allow: BTreeMap<String, Vec<Scope>>,
    deny: BTreeMap<String, Vec<Scope>>,
    /// The document could not be read as IAM JSON.
    opaque: bool,
}

impl Expanded {
    pub fn of(policy: Option<&Normalized>) -> Expanded {
        let mut out = Expanded::default();
        match policy {
            None => {}
            Some(Normalized::Opaque(_)) => out.opaque = true,
            Some(Normalized::Statements(statements)) => {
                for s in statements {
                    let map = if s.allow {
                        &mut out.allow
                    } else {
                        &mut out.deny
                    };
                    for action in expand(s.not_action, &s.actions) {
                        map.entry(action).or_default().push(s.scope.clone());
                    }
                }
                for scopes in out.allow.values_mut().chain(out.deny.values_mut()) {
                    merge(scopes);
                }
            }
        }
        out
    }

    /// The actions allowed somewhere that no deny takes away on every
    /// resource without a condition.
    fn effective(&self) -> BTreeSet<&str> {
        self.allow
            .keys()
            .filter(|a| {
                !self.deny.get(*a).is_some_and(|scopes| {
                    scopes.iter().any(|s| {
                        !s.not_resource && s.condition.is_empty() && s.resources.contains("*")
                    })
                })
            })
            .map(String::as_str)
            .collect()
    }
}

/// The actions an `Action` (or, with `not`, a `NotAction`) list names.
fn expand(not: bool, patterns: &BTreeSet<String>) -> BTreeSet<String> {
    let mut named = BTreeSet::new();
    for pattern in patterns {
        let before = named.len();
        let (service, action) = pattern.split_once(':').unwrap_or((pattern.as_str(), "*"));
        for s in iam().services() {
            let matches_service = if service.contains(['*', '?']) {
                wildcard_match(service, s.prefix)
            } else {
                s.prefix.eq_ignore_ascii_case(service)
            };
            if matches_service {
                named.extend(s.matching(action).map(|(n, _)| format!("{}:{n}", s.prefix)));
            }
        }
        if named.len() == before && !not {
            named.insert(pattern.clone());
        }
    }
    if !not {
        return named;
    }
    iam()
        .services()
        .flat_map(|s| s.actions().map(move |(n, _)| format!("{}:{n}", s.prefix)))
        .filter(|a| !named.contains(a))
        .collect()
}

/// Scopes with the same resource kind and condition become one (two
/// statements that differ only in their resources are one statement to IAM).
fn merge(scopes: &mut Vec<Scope>) {
    let mut merged: BTreeMap<(bool, String), BTreeSet<String>> = BTreeMap::new();
    let mut not_resource = BTreeSet::new();
    for s in scopes.drain(..) {
        if s.not_resource {
            not_resource.insert(s);
        } else {
            merged
                .entry((false, s.condition))
                .or_default()
                .extend(s.resources);
        }
    }
    scopes.extend(
        merged
            .into_iter()
            .map(|((not_resource, condition), resources)| Scope {
                not_resource,
                resources,
                condition,
            }),
    );
    scopes.extend(not_resource);
}

/// Whether `scopes` reach everywhere `s` does.
fn covered(s: &Scope, scopes: &[Scope]) -> bool {
    scopes.iter().any(|o| {
        (o.condition.is_empty() || o.condition == s.condition)
            && match (o.not_resource, s.not_resource) {
                (false, false) => s
                    .resources
                    .iter()
                    .all(|r| o.resources.iter().any(|p| wildcard_match(p, r))),
                (false, true) => o.resources.contains("*"),
                (true, true) => o.resources.is_subset(&s.resources),
                (true, false) => s
                    .resources
                    .iter()
                    .all(|r| !o.resources.iter().any(|p| wildcard_match(p, r))),
            }
    })
}

/// How what a document allows changed, action by action.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PolicyChange {
    /// Allowed now (and not denied on every resource), not before.
    pub added_actions: Vec<String>,
    /// Allowed before, not now.
    pub removed_actions: Vec<String>,
    /// Allowed before and now, now on more resources or under fewer conditions.
    pub broadened_actions: Vec<String>,
    /// Allowed before and now, now on fewer resources or under more conditions.
    pub narrowed_actions: Vec<String>,
    /// Denied now, not before.
    pub added_denies: Vec<String>,
    /// Denied before, not now.
    pub removed_denies: Vec<String>,
    /// Denied before and now, now on fewer resources or under more conditions.
    pub weakened_denies: Vec<String>,
    /// Denied before and now, now on more resources or under fewer conditions.
    pub strengthened_denies: Vec<String>,
    /// The document changed but is not IAM JSON: it may widen.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unreadable: bool,
}

impl PolicyChange {
    /// Whether the change lets anyone do more than before.
    pub fn widens(&self) -> bool {
        !self.added_actions.is_empty()
            || !self.broadened_actions.is_empty()
            || !self.removed_denies.is_empty()
            || !self.weakened_denies.is_empty()
            || self.unreadable
    }

    pub fn is_empty(&self) -> bool {
        *self == PolicyChange::default()
    }
}

/// The change from `old` to `new` (`None`: no document).
pub fn compare(old: Option<&Normalized>, new: Option<&Normalized>) -> PolicyChange {
    if old == new {
        return PolicyChange::default();
    }
    let (a, b) = (Expanded::of(old), Expanded::of(new));
    let mut change = PolicyChange {
        unreadable: a.opaque || b.opaque,
        ..PolicyChange::default()
    };
    let (ea, eb) = (a.effective(), b.effective());
    change.added_actions = compact(eb.difference(&ea).copied());
    change.removed_actions = compact(ea.difference(&eb).copied());
    let (mut broadened, mut narrowed) = (Vec::new(), Vec::new());
    for (action, new_scopes) in &b.allow {
        if let Some(old_scopes) = a.allow.get(action) {
            if !ea.contains(action.as_str()) || !eb.contains(action.as_str()) {
                continue;
            }
            if new_scopes.iter().any(|s| !covered(s, old_scopes)) {
                broadened.push(action.as_str());
            } else if old_scopes.iter().any(|s| !covered(s, new_scopes)) {
                narrowed.push(action.as_str());
            }
        }
    }
    change.broadened_actions = compact(broadened.into_iter());
    change.narrowed_actions = compact(narrowed.into_iter());
    let da: BTreeSet<&str> = a.deny.keys().map(String::as_str).collect();
    let db: BTreeSet<&str> = b.deny.keys().map(String::as_str).collect();
    change.added_denies = compact(db.difference(&da).copied());
    change.removed_denies = compact(da.difference(&db).copied());
    let (mut weakened, mut strengthened) = (Vec::new(), Vec::new());
    for (action, new_scopes) in &b.deny {
        if let Some(old_scopes) = a.deny.get(action) {
            if old_scopes.iter().any(|s| !covered(s, new_scopes)) {
                weakened.push(action.as_str());
            } else if new_scopes.iter().any(|s| !covered(s, old_scopes)) {
                strengthened.push(action.as_str());
            }
        }
    }
    change.weakened_denies = compact(weakened.into_iter());
    change.strengthened_denies = compact(strengthened.into_iter());
    change
}

/// Sorted actions, with every service whose actions are all present written
/// `service:*` (and all of them `*`).
fn compact<'a>(actions: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut by_service: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for a in actions {
        let service = a.split_once(':').map_or(a, |(s, _)| s);
        by_service.entry(service.to_string()).or_default().push(a);
    }
    let mut out = Vec::new();
    let mut whole = 0usize;
    for (service, actions) in &by_service {
        let total = iam().service(service).map(|s| s.actions().count());
        if total.is_some_and(|t| t > 0 && actions.len() == t) {
            out.push(format!("{service}:*"));
            whole += 1;
        } else {
            out.extend(actions.iter().map(|a| a.to_string()));
        }
    }
    if whole > 0 && whole == iam().services().count() && whole == by_service.len() {
        return vec!["*".to_string()];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(statements: &str) -> Normalized {
        normalize(&format!(
            r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#
        ))
    }

    #[test]
    fn order_sids_and_one_element_lists_do_not_matter() {
        let a = doc(
            r#"{"Sid":"A","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"*"},
               {"Sid":"B","Effect":"Deny","Action":"iam:*","Resource":["*"]}"#,
        );
        let b = doc(
            r#"{"Sid":"Other","Effect":"Deny","Action":["IAM:*"],"Resource":"*"},
               {"Effect":"Allow","Action":["s3:PutObject","s3:GetObject","s3:GetObject"],"Resource":["*"]}"#,
        );
        assert_eq!(a, b);
        assert!(compare(Some(&a), Some(&b)).is_empty());
    }

    #[test]
    fn a_statement_split_in_two_is_no_change() {
        let a = doc(
            r#"{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":["arn:aws:s3:::a/*","arn:aws:s3:::b/*"]}"#,
        );
        let b = doc(
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::a/*","arn:aws:s3:::b/*"]},
               {"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::a/*"},
               {"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}"#,
        );
        assert!(compare(Some(&a), Some(&b)).is_empty());
    }

    #[test]
    fn a_wider_wildcard_is_a_widening() {
        let a = doc(r#"{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}"#);
        let b = doc(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#);
        let change = compare(Some(&a), Some(&b));
        assert!(change.widens());
        assert!(change
            .added_actions
            .contains(&"s3:DeleteObject".to_string()));
        assert!(change.removed_actions.is_empty());
        let back = compare(Some(&b), Some(&a));
        assert!(!back.widens());
        assert_eq!(back.removed_actions, change.added_actions);
    }

    #[test]
    fn wildcards_that_name_the_same_actions_are_no_change() {
        let a = doc(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#);
        let all: Vec<String> = iam()
            .service("s3")
            .map(|s| s.actions().map(|(n, _)| format!("\"s3:{n}\"")).collect())
            .unwrap_or_default();
        let b = doc(&format!(
            r#"{{"Effect":"Allow","Action":[{}],"Resource":"*"}}"#,
            all.join(",")
        ));
        assert!(compare(Some(&a), Some(&b)).is_empty());
    }

    #[test]
    fn a_removed_deny_widens_and_shows_as_newly_allowed() {
        let a = doc(r#"{"Effect":"Allow","Action":"*","Resource":"*"},
               {"Effect":"Deny","Action":"iam:CreateUser","Resource":"*"}"#);
        let b = doc(r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#);
        let change = compare(Some(&a), Some(&b));
        assert!(change.widens());
        assert_eq!(change.removed_denies, ["iam:CreateUser"]);
        assert_eq!(change.added_actions, ["iam:CreateUser"]);
    }

    #[test]
    fn resources_and_conditions_broaden_and_narrow() {
        let narrow =
            doc(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::app-a/*"}"#);
        let wide = doc(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::*"}"#);
        assert_eq!(
            compare(Some(&narrow), Some(&wide)).broadened_actions,
            ["s3:GetObject"]
        );
        assert_eq!(
            compare(Some(&wide), Some(&narrow)).narrowed_actions,
            ["s3:GetObject"]
        );
        let conditional = doc(
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::*",
                "Condition":{"StringEquals":{"aws:PrincipalTag/Team":"a"}}}"#,
        );
        assert!(compare(Some(&conditional), Some(&wide)).widens());
        assert!(!compare(Some(&wide), Some(&conditional)).widens());
    }

    #[test]
    fn not_action_is_every_other_action() {
        let a = doc(r#"{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}"#);
        let b = doc(r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#);
        let change = compare(Some(&a), Some(&b));
        assert_eq!(change.added_actions, ["iam:*"]);
    }
}
