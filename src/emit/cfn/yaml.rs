//! A small deterministic YAML writer for JSON values: block style, two-space
//! indent, keys in insertion order. It writes only what both YAML 1.1 readers
//! (PyYAML in cfn-lint, CloudFormation's own) and YAML 1.2 readers read back as
//! the same JSON value: a string is left plain only when it starts with a
//! letter and cannot be taken for a boolean, null or number; anything else is
//! double-quoted with JSON-style escapes; a multi-line string (an embedded
//! StackSet template) is a literal block (`|`) when that is exact.

use serde_json::Value;

/// The YAML document for `v`, ending in a newline.
pub fn to_yaml(v: &Value) -> String {
    let mut out = String::new();
    match v {
        Value::Object(m) if !m.is_empty() => write_map(&mut out, m, 0),
        Value::Array(a) if !a.is_empty() => write_seq(&mut out, a, 0),
        other => {
            out.push_str(&scalar(other, 0, false));
            out.push('\n');
        }
    }
    out
}

fn pad(out: &mut String, indent: usize) {
    for _ in 0..indent {
        out.push(' ');
    }
}

fn write_map(out: &mut String, m: &serde_json::Map<String, Value>, indent: usize) {
    let mut first = true;
    for (k, v) in m {
        if !first {
            pad(out, indent);
        }
        first = false;
        out.push_str(&key(k));
        out.push(':');
        write_value_after_key(out, v, indent);
    }
}

/// Writes what follows `key:` (or `-`), including the final newline.
fn write_value_after_key(out: &mut String, v: &Value, indent: usize) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            pad(out, indent + 2);
            write_map(out, m, indent + 2);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            pad(out, indent + 2);
            write_seq(out, a, indent + 2);
        }
        other => {
            out.push(' ');
            out.push_str(&scalar(other, indent + 2, true));
            out.push('\n');
        }
    }
}

fn write_seq(out: &mut String, a: &[Value], indent: usize) {
    let mut first = true;
    for v in a {
        if !first {
            pad(out, indent);
        }
        first = false;
        out.push('-');
        match v {
            Value::Object(m) if !m.is_empty() => {
                out.push(' ');
                write_map(out, m, indent + 2);
            }
            Value::Array(inner) if !inner.is_empty() => {
                out.push(' ');
                write_seq(out, inner, indent + 2);
            }
            other => {
                out.push(' ');
                out.push_str(&scalar(other, indent + 2, true));
                out.push('\n');
            }
        }
    }
}

fn key(k: &str) -> String {
    if is_plain(k) {
        k.to_string()
    } else {
        quoted(k)
    }
}

/// A scalar (or an empty collection) as YAML text. `block_indent` is the
/// indentation of a literal block's content; `allow_block` permits one.
fn scalar(v: &Value, block_indent: usize, allow_block: bool) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => {
            if is_plain(s) {
                s.clone()
            } else if allow_block && block_ok(s) {
                literal_block(s, block_indent)
            } else {
                quoted(s)
            }
        }
        Value::Array(_) => "[]".to_string(),
        Value::Object(_) => "{}".to_string(),
    }
}

/// Words that YAML 1.1 or 1.2 reads as something other than a string.
const RESERVED: &[&str] = &["y", "n", "yes", "no", "true", "false", "on", "off", "null"];

/// True when `s` may be written without quotes and reads back as the same string.
fn is_plain(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    if !(first.is_ascii_alphabetic() || first == '/' || first == '$') {
        return false;
    }
    let safe = |c: char| c.is_ascii_alphanumeric() || "_./:=+@$(){},;~*? -".contains(c);
    s.chars().all(safe)
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.ends_with(' ')
        && !s.ends_with(':')
        && !RESERVED.contains(&s.to_ascii_lowercase().as_str())
}

/// Characters PyYAML accepts unescaped inside a quoted scalar and that no YAML
/// reader treats as a line break.
fn printable(c: char) -> bool {
    matches!(c, '\u{20}'..='\u{7e}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
        && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// A double-quoted scalar with JSON-compatible escapes (YAML's double-quoted
/// style is a superset of JSON strings).
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if printable(c) => out.push(c),
            c if (c as u32) <= 0xffff => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// True when `s` can be written as a literal block scalar exactly: several
/// lines, printable, no line starting the block with a space, no trailing
/// whitespace on any line, and ending in at most one newline.
fn block_ok(s: &str) -> bool {
    let body = s.strip_suffix('\n').unwrap_or(s);
    body.contains('\n')
        && !body.ends_with('\n')
        && !body.starts_with([' ', '\n'])
        && body.chars().all(|c| c == '\n' || printable(c))
        && body.lines().all(|l| !l.ends_with(' '))
}

fn literal_block(s: &str, indent: usize) -> String {
    let (body, indicator) = match s.strip_suffix('\n') {
        Some(b) => (b, "|"),
        None => (s, "|-"),
    };
    let mut out = indicator.to_string();
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            for _ in 0..indent {
                out.push(' ');
            }
            out.push_str(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn writes_block_style() {
        let v = json!({
            "A": "plain",
            "B": ["x", {"K": "v", "L": 1}],
            "C": {},
            "D": "111111111111",
            "E": "yes",
            "F": "a: b",
            "G": "line one\nline two\n",
            "H": [],
            "I": true,
        });
        let y = to_yaml(&v);
        assert_eq!(
            y,
            "A: plain\nB:\n  - x\n  - K: v\n    L: 1\nC: {}\nD: \"111111111111\"\nE: \"yes\"\nF: \"a: b\"\nG: |\n  line one\n  line two\nH: []\nI: true\n"
        );
    }

    #[test]
    fn quotes_what_yaml_would_misread() {
        for s in [
            "",
            "-x",
            "*",
            "0777",
            "1e3",
            "on",
            "Null",
            "a #b",
            "x:",
            "tab\there",
            "é",
            "a'b",
        ] {
            assert!(!is_plain(s), "{s:?} must be quoted");
        }
        for s in [
            "AWS::SSO::PermissionSet",
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "PT4H",
            "${path:a.b}",
        ] {
            assert!(is_plain(s), "{s:?} may be plain");
        }
        assert_eq!(quoted("a\u{2028}b\u{1}"), "\"a\\u2028b\\u0001\"");
    }
}
