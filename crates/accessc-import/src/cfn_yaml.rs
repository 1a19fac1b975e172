//! A CloudFormation template's text (YAML or JSON) as a JSON value, the
//! short-form tags (`!Ref`, `!GetAtt`, `!Sub`, …) turned into their long
//! forms (`{"Ref": …}`, `{"Fn::GetAtt": […]}`, `{"Fn::Sub": …}`).
//!
//! YAML is read with `yaml-rust2`'s event parser (YAML 1.2): tags come with
//! each event, and the tree is built here without recursion, bounded in
//! depth and node count. Plain scalars stay strings (`012345678901` keeps
//! its zero), except `true`/`false` and `null`/`~`/empty; aliases are
//! refused, as CloudFormation refuses them; duplicate keys are refused.

use crate::offline::ReadError;
use serde_json::{Map, Value};
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::TScalarStyle;

/// Nesting deeper than this is refused.
pub const MAX_DEPTH: usize = 64;
/// The most nodes (scalars, lists and maps) one template may hold.
pub const MAX_NODES: usize = 4_000_000;

/// The intrinsic functions' short forms, as `!Name` → long key.
fn long_key(tag: &str) -> Option<&'static str> {
    Some(match tag {
        "Ref" => "Ref",
        "Condition" => "Condition",
        "GetAtt" => "Fn::GetAtt",
        "Sub" => "Fn::Sub",
        "Join" => "Fn::Join",
        "Select" => "Fn::Select",
        "Split" => "Fn::Split",
        "ImportValue" => "Fn::ImportValue",
        "If" => "Fn::If",
        "Equals" => "Fn::Equals",
        "Not" => "Fn::Not",
        "And" => "Fn::And",
        "Or" => "Fn::Or",
        "FindInMap" => "Fn::FindInMap",
        "Base64" => "Fn::Base64",
        "Cidr" => "Fn::Cidr",
        "GetAZs" => "Fn::GetAZs",
        "Transform" => "Fn::Transform",
        "ToJsonString" => "Fn::ToJsonString",
        "Length" => "Fn::Length",
        _ => return None,
    })
}

enum Frame {
    Seq(Vec<Value>, Option<String>),
    Map(Map<String, Value>, Option<String>, Option<String>),
}

/// Parse a template's text: JSON when it starts with `{`, YAML otherwise.
/// A YAML flow mapping that is not JSON is read as YAML; a text that is
/// neither is reported as JSON (what it most likely meant to be). A leading
/// byte-order mark is skipped.
pub fn parse(file: &str, text: &str) -> Result<Value, ReadError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim_start().starts_with('{') {
        return serde_json::from_str(text).or_else(|e| {
            parse_yaml(file, text).map_err(|_| {
                ReadError::new(
                    file,
                    format!("not valid JSON: {e}"),
                    "fix the template (`cfn-lint` points at the place)",
                )
            })
        });
    }
    parse_yaml(file, text)
}

fn yaml_error(file: &str, msg: impl Into<String>) -> ReadError {
    ReadError::new(
        file,
        msg,
        "fix the template (`cfn-lint` points at the place)",
    )
}

fn tag_name(file: &str, tag: Option<Tag>) -> Result<Option<String>, ReadError> {
    let Some(t) = tag else {
        return Ok(None);
    };
    if t.handle == "!" {
        if long_key(&t.suffix).is_none() {
            return Err(yaml_error(
                file,
                format!("unknown tag `!{}`: not a CloudFormation function", t.suffix),
            ));
        }
        return Ok(Some(t.suffix));
    }
    // `!!str` and the like: YAML's own tags, read as the plain value.
    Ok(None)
}

/// A tagged node in its long form.
fn apply_tag(tag: Option<String>, v: Value) -> Value {
    let Some(tag) = tag else {
        return v;
    };
    let key = long_key(&tag).unwrap_or("Ref");
    let v = match (key, v) {
        // `!GetAtt Resource.Attribute`
        ("Fn::GetAtt", Value::String(s)) => match s.split_once('.') {
            Some((r, a)) => Value::Array(vec![Value::String(r.into()), Value::String(a.into())]),
            None => Value::String(s),
        },
        (_, v) => v,
    };
    let mut m = Map::new();
    m.insert(key.to_string(), v);
    Value::Object(m)
}

fn scalar(s: String, style: TScalarStyle) -> Value {
    if style != TScalarStyle::Plain {
        return Value::String(s);
    }
    match s.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        _ => Value::String(s),
    }
}

fn parse_yaml(file: &str, text: &str) -> Result<Value, ReadError> {
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Value> = None;
    let mut nodes = 0usize;
    let mut documents = 0usize;
    loop {
        let (ev, mark) = parser
            .next_token()
            .map_err(|e| yaml_error(file, format!("not valid YAML: {e}")))?;
        let at = |msg: String| {
            yaml_error(
                file,
                format!("{msg} (line {}, column {})", mark.line(), mark.col() + 1),
            )
        };
        let done: Option<Value> = match ev {
            Event::StreamEnd => break,
            Event::StreamStart | Event::Nothing | Event::DocumentEnd => None,
            Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    return Err(at("more than one YAML document".into()));
                }
                None
            }
            Event::Alias(_) => {
                return Err(at(
                    "a YAML alias (`*name`): CloudFormation does not accept aliases".into(),
                ))
            }
            Event::Scalar(s, style, _, tag) => {
                let tag = tag_name(file, tag)?;
                Some(apply_tag(tag, scalar(s, style)))
            }
            Event::SequenceStart(_, tag) => {
                let tag = tag_name(file, tag)?;
                stack.push(Frame::Seq(Vec::new(), tag));
                None
            }
            Event::MappingStart(_, tag) => {
                let tag = tag_name(file, tag)?;
                stack.push(Frame::Map(Map::new(), tag, None));
                None
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq(items, tag)) => Some(apply_tag(tag, Value::Array(items))),
                _ => return Err(at("unbalanced sequence".into())),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map(m, tag, None)) => Some(apply_tag(tag, Value::Object(m))),
                _ => return Err(at("unbalanced mapping".into())),
            },
        };
        if stack.len() > MAX_DEPTH {
            return Err(at(format!("nested deeper than {MAX_DEPTH} levels")));
        }
        let Some(v) = done else {
            continue;
        };
        nodes += 1;
        if nodes > MAX_NODES {
            return Err(at(format!("more than {MAX_NODES} values")));
        }
        match stack.last_mut() {
            None => {
                if root.is_some() {
                    return Err(at("more than one YAML document".into()));
                }
                root = Some(v);
            }
            Some(Frame::Seq(items, _)) => items.push(v),
            Some(Frame::Map(m, _, key)) => match key.take() {
                None => {
                    let k = match v {
                        Value::String(s) => s,
                        Value::Bool(b) => b.to_string(),
                        Value::Null => String::new(),
                        _ => return Err(at("a mapping key that is not a plain value".into())),
                    };
                    *key = Some(k);
                }
                Some(k) => {
                    if m.contains_key(&k) {
                        return Err(at(format!("the key `{k}` appears twice in one mapping")));
                    }
                    m.insert(k, v);
                }
            },
        }
    }
    Ok(root.unwrap_or(Value::Null))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(text: &str) -> Value {
        parse("t.yaml", text).expect("parse")
    }

    #[test]
    fn short_forms_become_long_forms() {
        let v = p("A: !Ref X\nB: !GetAtt R.PermissionSetArn\nC: !GetAtt [R, Arn]\nD: !Sub '${X}-y'\nE: !Join ['', [a, !Ref X]]\nF: !If [Cond, a, b]\n");
        assert_eq!(v["A"], json!({"Ref": "X"}));
        assert_eq!(v["B"], json!({"Fn::GetAtt": ["R", "PermissionSetArn"]}));
        assert_eq!(v["C"], json!({"Fn::GetAtt": ["R", "Arn"]}));
        assert_eq!(v["D"], json!({"Fn::Sub": "${X}-y"}));
        assert_eq!(v["E"], json!({"Fn::Join": ["", ["a", {"Ref": "X"}]]}));
        assert_eq!(v["F"], json!({"Fn::If": ["Cond", "a", "b"]}));
    }

    #[test]
    fn plain_scalars_stay_strings() {
        let v = p("A: 012345678901\nB: '111'\nC: true\nD:\nE: 1.0\n");
        assert_eq!(v["A"], "012345678901");
        assert_eq!(v["B"], "111");
        assert_eq!(v["C"], true);
        assert_eq!(v["D"], Value::Null);
        assert_eq!(v["E"], "1.0");
    }

    #[test]
    fn json_is_read_as_json() {
        assert_eq!(p(r#" {"A": 1}"#), json!({"A": 1}));
        assert_eq!(p("\u{feff}{\"A\": 1}"), json!({"A": 1}));
        // A YAML flow mapping that is not JSON.
        assert_eq!(p("{A: !Ref B}"), json!({"A": {"Ref": "B"}}));
    }

    #[test]
    fn refused() {
        for (text, what) in [
            ("A: &x 1\nB: *x\n", "alias"),
            ("A: 1\nA: 2\n", "twice"),
            ("A: !Bogus x\n", "unknown tag"),
            ("A: [1\n", "not valid YAML"),
            ("--- 1\n--- 2\n", "more than one"),
            ("{\"A\": ", "not valid JSON"),
        ] {
            let e = parse("t.yaml", text).expect_err(text);
            assert!(e.message.contains(what), "{text}: {e}");
        }
        let deep = format!("{}1{}", "[".repeat(100), "]".repeat(100));
        let e = parse("t.yaml", &format!("A: {deep}\n")).expect_err("deep");
        assert!(e.message.contains("nested deeper"), "{e}");
    }
}
