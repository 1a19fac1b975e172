//! IAM policy documents compared as IAM reads them: [`normalize`] turns a
//! policy's JSON text into one canonical value, so two texts that IAM takes
//! for the same policy compare equal whatever their key order, whitespace,
//! one-element lists or single strings.

use serde_json::{Map, Value};
use std::fmt;

/// The only policy language version a program writes.
pub const VERSION: &str = "2012-10-17";

/// Why a text is not a policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAPolicy(pub String);

impl fmt::Display for NotAPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotAPolicy {}

/// The canonical form of a policy document:
///
/// - every object's keys sorted (IAM ignores their order), whitespace gone;
/// - `Version` given: a document without one reads as `2012-10-17`, the
///   version every program's policies are written with;
/// - `Statement` a list (a single statement object becomes a one-element list);
/// - `Action`, `NotAction`, `Resource`, `NotResource` and every condition
///   value a list (a single string becomes a one-element list).
///
/// Order inside lists is kept: statements, actions, resources and
/// condition values compare in the order written. Numbers and booleans are
/// kept as they are (`true` is not `"true"`).
pub fn normalize(text: &str) -> Result<Value, NotAPolicy> {
    let doc: Value =
        serde_json::from_str(text).map_err(|e| NotAPolicy(format!("not JSON: {e}")))?;
    normalize_value(&doc)
}

/// [`normalize`] of a document already parsed.
pub fn normalize_value(doc: &Value) -> Result<Value, NotAPolicy> {
    let obj = doc
        .as_object()
        .ok_or_else(|| NotAPolicy("a policy document is a JSON object".into()))?;
    let mut out = Map::new();
    for (k, v) in obj {
        let v = match k.as_str() {
            "Statement" => {
                let list = match v {
                    Value::Array(a) => a.clone(),
                    o @ Value::Object(_) => vec![o.clone()],
                    _ => {
                        return Err(NotAPolicy(
                            "`Statement` is neither a statement nor a list of them".into(),
                        ))
                    }
                };
                Value::Array(list.iter().map(statement).collect())
            }
            _ => sorted(v),
        };
        out.insert(k.clone(), v);
    }
    if !out.contains_key("Version") {
        out.insert("Version".into(), Value::String(VERSION.into()));
    }
    Ok(Value::Object(sort_keys(out)))
}

fn statement(st: &Value) -> Value {
    let Some(obj) = st.as_object() else {
        return sorted(st);
    };
    let mut out = Map::new();
    for (k, v) in obj {
        let v = match k.as_str() {
            "Action" | "NotAction" | "Resource" | "NotResource" => as_list(v),
            "Condition" => match v {
                Value::Object(ops) => {
                    let mut m = Map::new();
                    for (op, keys) in ops {
                        let keys = match keys {
                            Value::Object(keys) => Value::Object(sort_keys(
                                keys.iter().map(|(k, v)| (k.clone(), as_list(v))).collect(),
                            )),
                            other => sorted(other),
                        };
                        m.insert(op.clone(), keys);
                    }
                    Value::Object(sort_keys(m))
                }
                other => sorted(other),
            },
            _ => sorted(v),
        };
        out.insert(k.clone(), v);
    }
    Value::Object(sort_keys(out))
}

/// A string as a one-element list; anything else as it is (sorted).
fn as_list(v: &Value) -> Value {
    match v {
        Value::String(_) => Value::Array(vec![v.clone()]),
        other => sorted(other),
    }
}

fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(sort_keys(
            m.iter().map(|(k, v)| (k.clone(), sorted(v))).collect(),
        )),
        Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

fn sort_keys(m: Map<String, Value>) -> Map<String, Value> {
    let mut entries: Vec<(String, Value)> = m.into_iter().collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    entries.into_iter().collect()
}

/// Whether two policy texts are the same policy to IAM (see [`normalize`]);
/// false when either is not a policy document.
pub fn same_policy(a: &str, b: &str) -> bool {
    matches!((normalize(a), normalize(b)), (Ok(x), Ok(y)) if x == y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_key_order_and_single_values_do_not_matter() {
        let a = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"*",
            "Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}}]}"#;
        let b = r#"{
          "Statement": {"Resource": ["*"], "Action": "s3:GetObject", "Effect": "Allow",
            "Condition": {"StringEquals": {"aws:RequestedRegion": ["eu-west-1"]}}},
          "Version": "2012-10-17"
        }"#;
        assert_eq!(normalize(a).ok(), normalize(b).ok());
        assert!(same_policy(a, b));
        let no_version = r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*",
            "Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}}]}"#;
        assert!(same_policy(a, no_version));
    }

    #[test]
    fn what_iam_reads_differently_stays_different() {
        let base = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["a:B","a:C"],"Resource":"*"}]}"#;
        for other in [
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["a:C","a:B"],"Resource":"*"}]}"#,
            r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":["a:B","a:C"],"Resource":"*"}]}"#,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["a:B","a:C"],"Resource":"*"}]}"#,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["a:B","a:C"],"Resource":"*"}]}"#,
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"X","Effect":"Allow","Action":["a:B","a:C"],"Resource":"*"}]}"#,
        ] {
            assert!(!same_policy(base, other), "{other}");
        }
        let b = r#"{"Statement":[{"Effect":"Allow","Action":"a:B","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":true}}}]}"#;
        let s = r#"{"Statement":[{"Effect":"Allow","Action":"a:B","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}"#;
        assert!(!same_policy(b, s));
        assert!(normalize("[]").is_err());
        assert!(normalize("{").is_err());
        assert!(normalize(r#"{"Statement": 3}"#).is_err());
    }
}
