//! IAM policy documents compared as IAM reads them. [`normalize`] turns a
//! policy's JSON text (and [`normalize_value`] a parsed document) into one
//! canonical JSON value, so that two spellings of the same policy give equal
//! values and two different policies do not. It is the
//! comparison form (for `plan`, `drift` and import), not a display form: it
//! lowercases what IAM reads without regard to case.
//!
//! What does not matter to IAM, and so not to [`normalize`]:
//!
//! - key order and whitespace (the text is parsed);
//! - a single string against a list of one, for `Action`, `NotAction`,
//!   `Resource`, `NotResource`, the values of a `Principal`/`NotPrincipal`
//!   map and condition values: every one becomes a list;
//! - the order of those lists and repeated entries in them (IAM reads each
//!   as a set): sorted, repeats dropped;
//! - `Statement` as one object against a list of one, and the order of
//!   statements (IAM evaluates every statement): a sorted list;
//! - the case of an action (`s3:GetObject` is `S3:getobject`) and of a
//!   condition key (`aws:SourceIp` is `AWS:SourceIP`): lowercased;
//! - a condition value written as a JSON number or boolean: IAM compares it
//!   as its string (`true` is `"true"`).
//!
//! What does matter and is kept: the case of element names (`Effect`,
//! `Action`) and of condition operators (`StringEquals` is not
//! `stringequals`: IAM rejects the latter), `Effect`'s value, resources (ARNs
//! are case-sensitive), condition value case, and `Version` where it
//! matters. An absent `Version` is `2008-10-17`, IAM's default, under which
//! policy variables are not substituted: a document holding a `${…}` without
//! `Version` equals it with `"Version": "2008-10-17"` and differs from it
//! with `"2012-10-17"`. A document holding no `${…}` reads the same under
//! both, so absent, `2008-10-17` and `2012-10-17` normalize to `2012-10-17`
//! there (another `Version` is kept as written).

use serde_json::{Map, Value};
use std::fmt;

/// The only policy language version a program writes.
pub const VERSION: &str = "2012-10-17";

/// The `Version` IAM assumes when a document has none.
pub const DEFAULT_VERSION: &str = "2008-10-17";

/// Why a text is not a policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAPolicy(pub String);

impl fmt::Display for NotAPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotAPolicy {}

/// Elements whose value is a string or a list of strings read as a set.
const SET_VALUED: [&str; 4] = ["Action", "NotAction", "Resource", "NotResource"];

/// The canonical form of a policy's JSON text (see the module's notes).
pub fn normalize(text: &str) -> Result<Value, NotAPolicy> {
    let doc: Value =
        serde_json::from_str(text).map_err(|e| NotAPolicy(format!("not JSON: {e}")))?;
    normalize_value(&doc)
}

/// [`normalize`] of a document already parsed. A document that is not an
/// object, or whose `Statement` is neither a statement nor a list of them,
/// is not a policy. Parts of unexpected types further in are kept as they
/// are, so that they still compare equal only to themselves.
pub fn normalize_value(doc: &Value) -> Result<Value, NotAPolicy> {
    let top = doc
        .as_object()
        .ok_or_else(|| NotAPolicy("a policy document is a JSON object".into()))?;
    let mut out = Map::new();
    for (k, v) in top {
        let v = if k == "Statement" {
            let statements: Vec<Value> = match v {
                Value::Array(items) => items.iter().map(statement).collect(),
                o @ Value::Object(_) => vec![statement(o)],
                _ => {
                    return Err(NotAPolicy(
                        "`Statement` is neither a statement nor a list of them".into(),
                    ))
                }
            };
            Value::Array(sorted_unique(statements, false))
        } else {
            v.clone()
        };
        out.insert(k.clone(), v);
    }
    if !out.contains_key("Version") {
        out.insert("Version".into(), Value::String(DEFAULT_VERSION.into()));
    }
    // The two versions read a document differently only where a policy
    // variable appears (`${…}` is literal text under 2008-10-17).
    let known = matches!(
        out.get("Version").and_then(Value::as_str),
        Some(VERSION | DEFAULT_VERSION)
    );
    if known && !out.get("Statement").is_some_and(has_variable) {
        out.insert("Version".into(), Value::String(VERSION.into()));
    }
    Ok(sort_keys(Value::Object(out)))
}

/// Whether a string anywhere in `v` holds a policy variable (`${`).
fn has_variable(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains("${"),
        Value::Array(items) => items.iter().any(has_variable),
        Value::Object(m) => m.iter().any(|(k, v)| k.contains("${") || has_variable(v)),
        _ => false,
    }
}

/// Whether two policy texts are the same policy to IAM (see [`normalize`]).
/// A text that is not a policy is the same only as the identical text.
pub fn same_policy(a: &str, b: &str) -> bool {
    a == b || matches!((normalize(a), normalize(b)), (Ok(x), Ok(y)) if x == y)
}

/// The canonical text of a policy: [`normalize`] written compactly, keys
/// sorted.
pub fn canonical_text(text: &str) -> Result<String, NotAPolicy> {
    normalize(text).map(|v| v.to_string())
}

fn statement(s: &Value) -> Value {
    let Value::Object(m) = s else {
        return s.clone();
    };
    let mut out = Map::new();
    for (k, v) in m {
        let v = match k.as_str() {
            "Action" | "NotAction" => {
                string_set(v, |s| s.to_ascii_lowercase()).unwrap_or_else(|| v.clone())
            }
            k if SET_VALUED.contains(&k) => {
                string_set(v, str::to_string).unwrap_or_else(|| v.clone())
            }
            "Principal" | "NotPrincipal" => match v {
                Value::Object(p) => Value::Object(
                    p.iter()
                        .map(|(kind, ids)| {
                            (
                                kind.clone(),
                                string_set(ids, str::to_string).unwrap_or_else(|| ids.clone()),
                            )
                        })
                        .collect(),
                ),
                other => other.clone(),
            },
            "Condition" => condition(v),
            _ => v.clone(),
        };
        out.insert(k.clone(), v);
    }
    Value::Object(out)
}

fn condition(v: &Value) -> Value {
    let Value::Object(ops) = v else {
        return v.clone();
    };
    let mut out = Map::new();
    for (op, keys) in ops {
        let Value::Object(keys) = keys else {
            out.insert(op.clone(), keys.clone());
            continue;
        };
        // Keys are read without regard to case: two spellings of one key
        // under one operator are one key whose values are the union.
        let mut merged: Map<String, Value> = Map::new();
        for (key, values) in keys {
            let key = key.to_ascii_lowercase();
            let Some(Value::Array(vals)) = condition_values(values) else {
                merged.insert(key, values.clone());
                continue;
            };
            match merged.get_mut(&key) {
                Some(Value::Array(prev)) => {
                    prev.extend(vals);
                    let all = std::mem::take(prev);
                    *prev = sorted_unique(all, true);
                }
                _ => {
                    merged.insert(key, Value::Array(vals));
                }
            }
        }
        out.insert(op.clone(), Value::Object(merged));
    }
    Value::Object(out)
}

/// Condition values: a scalar or a list of scalars, each as its string.
fn condition_values(v: &Value) -> Option<Value> {
    let scalar = |x: &Value| match x {
        Value::String(s) => Some(Value::String(s.clone())),
        Value::Bool(b) => Some(Value::String(b.to_string())),
        Value::Number(n) => Some(Value::String(n.to_string())),
        _ => None,
    };
    let items: Vec<Value> = match v {
        Value::Array(items) => items.iter().map(scalar).collect::<Option<_>>()?,
        other => vec![scalar(other)?],
    };
    Some(Value::Array(sorted_unique(items, true)))
}

/// A string or a list of strings as a sorted list without repeats, each
/// string through `f`; `None` when `v` is neither.
fn string_set(v: &Value, f: impl Fn(&str) -> String) -> Option<Value> {
    let items: Vec<Value> = match v {
        Value::String(s) => vec![Value::String(f(s))],
        Value::Array(items) => items
            .iter()
            .map(|x| x.as_str().map(|s| Value::String(f(s))))
            .collect::<Option<_>>()?,
        _ => return None,
    };
    Some(Value::Array(sorted_unique(items, true)))
}

/// Values sorted by their canonical text; repeats dropped when `dedup`.
fn sorted_unique(items: Vec<Value>, dedup: bool) -> Vec<Value> {
    let mut keyed: Vec<(String, Value)> = items
        .into_iter()
        .map(|v| {
            let v = sort_keys(v);
            (v.to_string(), v)
        })
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    if dedup {
        keyed.dedup_by(|a, b| a.0 == b.0);
    }
    keyed.into_iter().map(|(_, v)| v).collect()
}

/// Every object's keys in sorted order, recursively (so the compact text is
/// canonical whatever the map's insertion order).
fn sort_keys(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(String, Value)> = m.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sort_keys(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sort_keys).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(a: &str, b: &str) -> bool {
        same_policy(a, b)
    }

    #[test]
    fn spacing_and_key_order_do_not_matter() {
        assert!(same(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#,
            r#"{ "Statement" : [ { "Resource": "*", "Action": "s3:GetObject", "Effect": "Allow" } ],
                "Version": "2012-10-17" }"#,
        ));
    }

    #[test]
    fn a_string_is_a_list_of_one() {
        assert!(same(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["*"]}]}"#,
        ));
    }

    #[test]
    fn lists_are_sets() {
        assert!(same(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["a:B","c:D","a:B"],"Resource":"*"}]}"#,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["c:D","a:B"],"Resource":"*"}]}"#,
        ));
        assert!(same(
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"a:B","Resource":"*"},{"Sid":"B","Effect":"Deny","Action":"c:D","Resource":"*"}]}"#,
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"B","Effect":"Deny","Action":"c:D","Resource":"*"},{"Sid":"A","Effect":"Allow","Action":"a:B","Resource":"*"}]}"#,
        ));
    }

    #[test]
    fn action_and_condition_key_case_do_not_matter() {
        assert!(same(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpc":"vpc-1"}}}]}"#,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"S3:getobject","Resource":"*","Condition":{"StringEquals":{"AWS:SOURCEVPC":["vpc-1"]}}}]}"#,
        ));
    }

    #[test]
    fn condition_scalars_are_strings() {
        assert!(same(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":false},"NumericLessThan":{"s3:max-keys":10}}}]}"#,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"},"NumericLessThan":{"s3:max-keys":["10"]}}}]}"#,
        ));
    }

    #[test]
    fn what_iam_reads_differently_stays_different() {
        let base = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:username":"john"}}}]}"#;
        for other in [
            // Effect.
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:username":"john"}}}]}"#,
            // Resource case.
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::B/*","Condition":{"StringEquals":{"aws:username":"john"}}}]}"#,
            // Condition value case.
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:username":"John"}}}]}"#,
            // Condition operator case.
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"stringequals":{"aws:username":"john"}}}]}"#,
            // Action against NotAction.
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:username":"john"}}}]}"#,
            // One more action.
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:username":"john"}}}]}"#,
        ] {
            assert!(!same(base, other), "{other}");
        }
    }

    #[test]
    fn absent_version_is_iams_default() {
        // Without a policy variable, the versions read the same.
        let plain = r#""Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]"#;
        for v in [
            "",
            r#""Version":"2008-10-17","#,
            r#""Version":"2012-10-17","#,
        ] {
            assert!(same(&format!("{{{plain}}}"), &format!("{{{v}{plain}}}")));
        }
        let stmt = r#""Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::home/${aws:username}/*"}]"#;
        let none = format!("{{{stmt}}}");
        assert!(same(
            &none,
            &format!(r#"{{"Version":"2008-10-17",{stmt}}}"#)
        ));
        assert!(!same(
            &none,
            &format!(r#"{{"Version":"2012-10-17",{stmt}}}"#)
        ));
    }

    #[test]
    fn text_that_is_not_a_policy_equals_only_itself() {
        assert!(same("{nope", "{nope"));
        assert!(!same("{nope", "{nope "));
        assert!(!same("{nope", "{}"));
        assert!(normalize("[]").is_err());
        assert!(normalize("{").is_err());
        assert!(normalize(r#"{"Statement": 3}"#).is_err());
    }

    #[test]
    fn canonical_text_is_sorted_and_compact() {
        assert_eq!(
            canonical_text(r#"{"Statement":{"Resource":"*","Effect":"Allow","Action":"S3:Get*"}}"#)
                .ok()
                .as_deref(),
            Some(
                r#"{"Statement":[{"Action":["s3:get*"],"Effect":"Allow","Resource":["*"]}],"Version":"2012-10-17"}"#
            )
        );
    }
}
