//! `who-can --action`: whether a function's policies allow one IAM action in
//! one account.
//!
//! The policies are the function's inline policy, its AWS-managed policies
//! (judged by their documents in the catalog, read only here), and the body
//! of each customer managed policy it references that the account receives;
//! the permissions boundary, when there is one, must allow the action too.
//! Patterns match as the checker matches them (`catalog::wildcard_match`:
//! `*` and `?`, case-insensitive), with `NotAction` read as "every action but
//! these".
//!
//! - An `Allow` counts whatever its resources (a statement on one bucket
//!   still allows the action there) and whatever its condition; the
//!   conditions are reported when no unconditional allow exists.
//! - A `Deny` removes the action only when it covers every resource
//!   (`Resource: "*"`) without a condition: a narrower deny still leaves the
//!   action allowed somewhere.
//! - The boundary: the same rules, applied to the boundary's own document.

use accessc_core::catalog::{managed_policy_document, wildcard_match};
use accessc_core::model::{AccountIdx, BoundaryRef, FnIdx, ManagedPolicyDef, Model};
use serde_json::Value;
use std::cell::RefCell;
use std::collections::HashMap;

/// One action to judge, with the AWS-managed documents parsed so far.
#[derive(Debug)]
pub struct ActionCheck {
    action: String,
    documents: RefCell<HashMap<String, Option<Value>>>,
}

/// The action is allowed: unconditionally (`condition: None`), or under the
/// conditions shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowance {
    pub condition: Option<String>,
}

/// What one set of statements says about the action.
#[derive(Debug, Default)]
struct Judgement {
    /// Some allow matches without a condition.
    unconditional: bool,
    /// The conditions of the matching conditional allows, compact JSON.
    conditions: Vec<String>,
    /// A deny on every resource without a condition matches.
    denied: bool,
}

impl Judgement {
    fn allows(&self) -> bool {
        !self.denied && (self.unconditional || !self.conditions.is_empty())
    }

    fn condition_text(&self) -> Option<String> {
        (!self.unconditional && !self.conditions.is_empty()).then(|| self.conditions.join(" or "))
    }

    fn add(&mut self, statements: &[&Value], action: &str) {
        for s in statements {
            let Some(effect) = s.get("Effect").and_then(Value::as_str) else {
                continue;
            };
            if !covers_action(s, action) {
                continue;
            }
            let condition = s
                .get("Condition")
                .filter(|c| c.as_object().is_some_and(|o| !o.is_empty()));
            if effect.eq_ignore_ascii_case("allow") {
                match condition {
                    None => self.unconditional = true,
                    Some(c) => {
                        let text = serde_json::to_string(c).unwrap_or_default();
                        if !self.conditions.contains(&text) {
                            self.conditions.push(text);
                        }
                    }
                }
            } else if effect.eq_ignore_ascii_case("deny")
                && condition.is_none()
                && covers_every_resource(s)
            {
                self.denied = true;
            }
        }
    }
}

/// Whether the statement's `Action` (or `NotAction`) takes in `action`.
fn covers_action(statement: &Value, action: &str) -> bool {
    let any = |v: &Value| patterns(v).any(|p| wildcard_match(p, action));
    match (statement.get("Action"), statement.get("NotAction")) {
        (Some(a), _) => any(a),
        (None, Some(not)) => !any(not),
        (None, None) => false,
    }
}

/// Whether the statement applies to every resource: `Resource` is or holds
/// `*` (a `NotResource` always leaves some resource out).
fn covers_every_resource(statement: &Value) -> bool {
    statement
        .get("Resource")
        .is_some_and(|r| patterns(r).any(|p| p == "*"))
}

/// A string or an array of strings, as IAM writes one or many.
fn patterns(v: &Value) -> impl Iterator<Item = &str> {
    let many: Box<dyn Iterator<Item = &Value>> = match v {
        Value::Array(items) => Box::new(items.iter()),
        other => Box::new(std::iter::once(other)),
    };
    many.filter_map(Value::as_str)
}

/// A policy document's statements (`Statement` is one object or an array).
fn document_statements(doc: &Value) -> Vec<&Value> {
    match doc.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    }
}

impl ActionCheck {
    /// `action` as AWS spells it (`s3:GetObject`).
    pub fn new(action: String) -> ActionCheck {
        ActionCheck {
            action,
            documents: RefCell::new(HashMap::new()),
        }
    }

    pub fn action(&self) -> &str {
        &self.action
    }

    /// Whether `function` allows the action in `account`, and under which
    /// conditions; `None` when it does not.
    pub fn judge(&self, model: &Model, function: FnIdx, account: AccountIdx) -> Option<Allowance> {
        let f = &model.functions[function];
        let mut identity = Judgement::default();
        if let Some(doc) = &f.inline {
            identity.add(&document_statements(doc), &self.action);
        }
        for m in &f.managed {
            self.with_aws_document(&m.name, |doc| {
                identity.add(&document_statements(doc), &self.action)
            });
        }
        for name in &f.customer {
            if let Some(mp) = model.managed_policies.named(name) {
                identity.add(&customer_body(model, mp, account), &self.action);
            }
        }
        if !identity.allows() {
            return None;
        }
        let mut parts: Vec<String> = identity.condition_text().into_iter().collect();
        match &f.boundary {
            None => {}
            Some(BoundaryRef::Aws { name, .. }) => {
                let mut b = Judgement::default();
                self.with_aws_document(name, |doc| b.add(&document_statements(doc), &self.action));
                if !b.allows() {
                    return None;
                }
                parts.extend(b.condition_text().map(|c| format!("boundary {name}: {c}")));
            }
            Some(BoundaryRef::Customer { name, .. }) => match model.managed_policies.named(name) {
                Some(mp) if !mp.external => {
                    let mut b = Judgement::default();
                    b.add(&customer_body(model, mp, account), &self.action);
                    if !b.allows() {
                        return None;
                    }
                    parts.extend(b.condition_text().map(|c| format!("boundary {name}: {c}")));
                }
                _ => parts.push(format!("boundary {name} is not in the program: not judged")),
            },
        }
        Some(Allowance {
            condition: (!parts.is_empty()).then(|| parts.join("; ")),
        })
    }

    /// Runs `f` on the AWS-managed policy's document, parsed once per check.
    fn with_aws_document(&self, name: &str, f: impl FnOnce(&Value)) {
        let mut docs = self.documents.borrow_mut();
        let doc = docs.entry(name.to_string()).or_insert_with(|| {
            managed_policy_document(name).and_then(|(text, _)| serde_json::from_str(text).ok())
        });
        if let Some(doc) = doc {
            f(doc);
        }
    }
}

/// The statements of the customer managed policy's body that `account`
/// receives (none when no body reaches it, or the policy is external).
fn customer_body<'m>(
    model: &'m Model,
    mp: &'m ManagedPolicyDef,
    account: AccountIdx,
) -> Vec<&'m Value> {
    if mp.external {
        return Vec::new();
    }
    match mp.body_for(&model.org, account) {
        Some(None) => mp.default_body.iter().flatten().collect(),
        Some(Some(i)) => mp.ou_bodies[i].statements.iter().collect(),
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn judge(statements: Value, action: &str) -> Judgement {
        let mut j = Judgement::default();
        let list: Vec<&Value> = statements
            .as_array()
            .map(|a| a.iter().collect())
            .unwrap_or_default();
        j.add(&list, action);
        j
    }

    #[test]
    fn not_action_allows_everything_else() {
        let s = json!([{"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}]);
        assert!(judge(s.clone(), "s3:GetObject").allows());
        assert!(!judge(s, "iam:CreateUser").allows());
    }

    #[test]
    fn only_an_unconditional_deny_on_everything_removes() {
        let allow = json!({"Effect": "Allow", "Action": "s3:*", "Resource": "*"});
        let narrow =
            json!({"Effect": "Deny", "Action": "s3:Delete*", "Resource": "arn:aws:s3:::logs/*"});
        let conditional = json!({"Effect": "Deny", "Action": "s3:Delete*", "Resource": "*",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}});
        let full = json!({"Effect": "Deny", "Action": ["s3:Delete*"], "Resource": ["*"]});
        let not_resource =
            json!({"Effect": "Deny", "Action": "s3:*", "NotResource": "arn:aws:s3:::x"});
        assert!(judge(
            json!([allow, narrow, conditional, not_resource]),
            "s3:DeleteObject"
        )
        .allows());
        assert!(!judge(json!([allow, full]), "s3:DeleteObject").allows());
        assert!(judge(json!([allow, full]), "s3:GetObject").allows());
    }

    #[test]
    fn conditions_are_shown_unless_an_unconditional_allow_exists() {
        let cond = json!({"Effect": "Allow", "Action": "ec2:StartInstances", "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceTag/Team": "a"}}});
        let j = judge(json!([cond]), "ec2:startinstances");
        assert!(j.allows());
        assert_eq!(
            j.condition_text().as_deref(),
            Some(r#"{"StringEquals":{"aws:ResourceTag/Team":"a"}}"#)
        );
        let all = json!({"Effect": "Allow", "Action": "ec2:*", "Resource": "*"});
        assert_eq!(
            judge(json!([cond, all]), "ec2:StartInstances").condition_text(),
            None
        );
        assert!(!judge(json!([cond]), "ec2:StopInstances").allows());
    }
}
