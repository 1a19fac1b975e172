//! Inline policies to `.access` statements, kept only where they are exact:
//! the statements are lowered by the checker itself and the result compared
//! with the policy read ([`accessc_core::policy_json::normalize`] on both
//! sides). Whatever does not come back the same stays JSON (`from json`).

use crate::names::is_ident;
use accessc_core::fmt::quote;
use accessc_core::load::{load_texts, FileSystem};
use accessc_core::policy_json::{normalize, normalize_value};
use accessc_core::{check, CheckOptions, Date};
use serde_json::{Map, Value};
use std::io;
use std::path::{Path, PathBuf};

/// The outcome for one inline policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decompiled {
    /// The statements, one per entry, each as one line of `.access`.
    Statements(Vec<String>),
    /// Not expressible exactly: why.
    Json(String),
}

/// The statements of `text`, when they lower back to the same policy.
pub fn decompile(text: &str) -> Decompiled {
    let doc: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return Decompiled::Json(format!("the policy is not JSON ({e})")),
    };
    let lines = match statements(&doc) {
        Ok(lines) => lines,
        Err(why) => return Decompiled::Json(why),
    };
    match lowered(&lines) {
        Some(back) => match (normalize(text), normalize_value(&back)) {
            (Ok(a), Ok(b)) if a == b => Decompiled::Statements(lines),
            _ => Decompiled::Json("its statements do not lower back to the same policy".into()),
        },
        None => Decompiled::Json("its statements do not parse back".into()),
    }
}

fn statements(doc: &Value) -> Result<Vec<String>, String> {
    let obj = doc.as_object().ok_or("the policy is not a JSON object")?;
    for k in obj.keys() {
        if k != "Version" && k != "Statement" {
            return Err(format!("it has a top-level `{k}`"));
        }
    }
    match obj.get("Version") {
        None => {}
        Some(Value::String(v)) if v == accessc_core::policy_json::VERSION => {}
        Some(v) => return Err(format!("its Version is {v}")),
    }
    let list = match obj.get("Statement") {
        Some(Value::Array(a)) => a.clone(),
        Some(o @ Value::Object(_)) => vec![o.clone()],
        _ => return Err("it has no `Statement` list".into()),
    };
    if list.is_empty() {
        return Err("it has no statements".into());
    }
    list.iter()
        .enumerate()
        .map(|(i, st)| statement(st).map_err(|why| format!("statement {}: {why}", i + 1)))
        .collect()
}

fn statement(st: &Value) -> Result<String, String> {
    let obj = st.as_object().ok_or("not an object")?;
    for k in obj.keys() {
        if ![
            "Sid",
            "Effect",
            "Action",
            "NotAction",
            "Resource",
            "NotResource",
            "Condition",
        ]
        .contains(&k.as_str())
        {
            return Err(format!("field `{k}`"));
        }
    }
    let mut out = String::new();
    if let Some(sid) = obj.get("Sid") {
        let sid = sid.as_str().ok_or("`Sid` is not a string")?;
        if !is_ident(sid) || !sid.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(format!("`Sid` {sid:?} is not a name of the language"));
        }
        out.push_str(sid);
        out.push_str(": ");
    }
    match obj.get("Effect").and_then(Value::as_str) {
        Some("Allow") => out.push_str("allow "),
        Some("Deny") => out.push_str("deny "),
        _ => return Err("`Effect` is not `Allow` or `Deny`".into()),
    }
    let (not_action, actions) = one_of(obj, "Action", "NotAction")?;
    if not_action {
        out.push_str("not ");
    }
    out.push_str(
        &actions
            .iter()
            .map(|a| action(a))
            .collect::<Vec<_>>()
            .join(", "),
    );
    out.push_str(" on ");
    let (not_resource, resources) = one_of(obj, "Resource", "NotResource")?;
    if not_resource {
        out.push_str("not ");
    }
    out.push_str(
        &resources
            .iter()
            .map(|r| if r == "*" { "*".to_string() } else { quote(r) })
            .collect::<Vec<_>>()
            .join(", "),
    );
    if let Some(c) = obj.get("Condition") {
        let ops = c.as_object().ok_or("`Condition` is not an object")?;
        let mut conds = Vec::new();
        for (op, keys) in ops {
            let keys = keys
                .as_object()
                .ok_or("a condition operator holds no keys")?;
            for (key, value) in keys {
                conds.push(condition(op, key, value)?);
            }
        }
        if conds.is_empty() {
            return Err("an empty `Condition`".into());
        }
        out.push_str(" when ");
        out.push_str(&conds.join(" and "));
    }
    Ok(out)
}

/// `(negated, values)` of `Action`/`NotAction` or `Resource`/`NotResource`.
fn one_of(obj: &Map<String, Value>, yes: &str, no: &str) -> Result<(bool, Vec<String>), String> {
    let (not, v) = match (obj.get(yes), obj.get(no)) {
        (Some(v), None) => (false, v),
        (None, Some(v)) => (true, v),
        _ => return Err(format!("not exactly one of `{yes}` and `{no}`")),
    };
    let list = strings(v).ok_or_else(|| format!("`{yes}` is not a string or a list of strings"))?;
    if list.is_empty() {
        return Err(format!("an empty `{yes}`"));
    }
    Ok((not, list))
}

fn strings(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(a) => a.iter().map(|x| x.as_str().map(str::to_string)).collect(),
        _ => None,
    }
}

fn action(a: &str) -> String {
    let bare = !a.is_empty()
        && a.chars()
            .all(|c| c.is_ascii_alphanumeric() || "*?:_-.".contains(c));
    if bare {
        a.to_string()
    } else {
        quote(a)
    }
}

/// A tag key the `resource.tag.K` sugar can spell.
fn tag_key(k: &str) -> bool {
    !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-:/=+@.".contains(c))
        && !k.contains("//")
        && !k.contains("/*")
}

fn condition(op: &str, key: &str, value: &Value) -> Result<String, String> {
    if let (Some(v), Some(negated)) = (
        value.as_str(),
        match op {
            "StringEquals" => Some(false),
            "StringNotEquals" => Some(true),
            _ => None,
        },
    ) {
        let scope = [
            ("aws:ResourceTag/", "resource"),
            ("aws:RequestTag/", "request"),
            ("aws:PrincipalTag/", "principal"),
        ]
        .into_iter()
        .find_map(|(p, s)| key.strip_prefix(p).filter(|k| tag_key(k)).map(|k| (s, k)));
        if let Some((scope, k)) = scope {
            let cmp = if negated { "!=" } else { "==" };
            let rhs = v
                .strip_prefix("${aws:PrincipalTag/")
                .and_then(|r| r.strip_suffix('}'))
                .filter(|r| tag_key(r) && !r.contains(['$', '{', '}', ',', '\'']))
                .map_or_else(|| quote(v), |r| format!("principal.tag.{r}"));
            return Ok(format!("{scope}.tag.{k} {cmp} {rhs}"));
        }
    }
    let values = match value {
        Value::String(s) => quote(s),
        Value::Array(a) if !a.is_empty() => {
            let items: Option<Vec<String>> = a.iter().map(|x| x.as_str().map(quote)).collect();
            let items = items.ok_or("a condition value that is not a string")?;
            format!("[{}]", items.join(", "))
        }
        Value::Array(_) => return Err("an empty condition value list".into()),
        _ => return Err(format!("condition value {value} is not a string")),
    };
    Ok(format!("{op} {} {values}", quote(key)))
}

/// A file system with nothing in it: the programs checked here read no file.
struct NoFs;

impl FileSystem for NoFs {
    fn read(&self, _: &Path) -> io::Result<Vec<u8>> {
        Err(io::Error::from(io::ErrorKind::NotFound))
    }
    fn is_dir(&self, _: &Path) -> bool {
        false
    }
    fn access_files(&self, _: &Path) -> io::Result<Vec<PathBuf>> {
        Ok(Vec::new())
    }
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        Ok(path.to_path_buf())
    }
}

/// The inline policy the checker makes of `lines` in a function: `None` when
/// they do not parse.
fn lowered(lines: &[String]) -> Option<Value> {
    let mut text = String::from("function Decompiled {\n");
    for l in lines {
        text.push_str("  ");
        text.push_str(l);
        text.push('\n');
    }
    text.push_str("}\n");
    let program = load_texts(
        &NoFs,
        Path::new("/decompile"),
        vec![("decompile.access".into(), text)],
    );
    if program.diagnostics.iter().any(|d| d.code.is_syntax()) {
        return None;
    }
    let today = Date::new(2000, 1, 1).ok()?;
    let checked = check(&program, &CheckOptions { today });
    checked
        .model
        .functions
        .named("Decompiled")
        .and_then(|f| f.inline.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        match decompile(text) {
            Decompiled::Statements(l) => l,
            Decompiled::Json(why) => panic!("not decompiled: {why}"),
        }
    }

    #[test]
    fn statements_with_every_part_come_back_exactly() {
        let l = lines(
            r#"{"Version":"2012-10-17","Statement":[
              {"Sid":"ReadOwn","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],
               "Resource":["arn:aws:s3:::team-${aws:PrincipalTag/Team}/*"],
               "Condition":{"StringEquals":{"aws:ResourceTag/Team":"${aws:PrincipalTag/Team}"},
                            "Bool":{"aws:SecureTransport":"true"}}},
              {"Effect":"Deny","NotAction":"iam:*","NotResource":["arn:aws:iam::*:role/x","arn:aws:iam::*:role/y"]}
            ]}"#,
        );
        assert_eq!(l.len(), 2);
        assert!(
            l[0].starts_with("ReadOwn: allow s3:GetObject, s3:ListBucket on "),
            "{}",
            l[0]
        );
        assert!(
            l[0].contains("resource.tag.Team == principal.tag.Team"),
            "{}",
            l[0]
        );
        assert!(l[1].starts_with("deny not iam:* on not "), "{}", l[1]);
    }

    #[test]
    fn what_does_not_come_back_stays_json() {
        for text in [
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Principal":"*"}]}"#,
            r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"1","Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":true}}}]}"#,
            r#"{"Version":"2012-10-17","Id":"x","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":[]}}}]}"#,
            r#"{"Version":"2012-10-17","Statement":[]}"#,
            "not json",
        ] {
            assert!(matches!(decompile(text), Decompiled::Json(_)), "{text}");
        }
    }
}
