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
            scalar(&mut out, other, 0, false);
            out.push('\n');
        }
    }
    out
}

/// Writes `key:` at `indent`, then `v` as [`to_yaml`] writes a map entry's
/// value: the pieces a template writer needs to stream a map's entries.
pub fn write_entry(out: &mut String, k: &str, v: &Value, indent: usize) {
    pad(out, indent);
    key(out, k);
    out.push(':');
    write_value_after_key(out, v, indent);
}

/// Writes `key:` at `indent`, then a line break: the start of a nested map
/// (which must not be empty) whose entries follow at `indent + 2`.
pub fn write_map_key(out: &mut String, k: &str, indent: usize) {
    pad(out, indent);
    key(out, k);
    out.push_str(":\n");
}

/// [`write_map_key`] for a key written in the source that reads as a plain
/// scalar (a debug assertion checks it in every test that renders an
/// assignment): the keys of an assignment, written thousands of times,
/// without the check of each byte.
pub(super) fn write_known_key(out: &mut String, k: &'static str, indent: usize) {
    debug_assert!(is_plain(k), "{k}");
    pad(out, indent);
    out.push_str(k);
    out.push_str(":\n");
}

/// `key: "value"` at `indent` for a string value, exactly as [`write_entry`]
/// writes it for `Value::String`, for a key as in [`write_known_key`].
pub(super) fn write_known_entry(out: &mut String, k: &'static str, v: &str, indent: usize) {
    debug_assert!(is_plain(k), "{k}");
    pad(out, indent);
    out.push_str(k);
    out.push_str(": ");
    write_str(out, v, indent + 2, true);
    out.push('\n');
}

pub(super) fn pad(out: &mut String, indent: usize) {
    const SPACES: &str = "                                                                ";
    let mut n = indent;
    while n > 0 {
        let k = n.min(SPACES.len());
        out.push_str(&SPACES[..k]);
        n -= k;
    }
}

fn write_map(out: &mut String, m: &serde_json::Map<String, Value>, indent: usize) {
    let mut first = true;
    for (k, v) in m {
        if !first {
            pad(out, indent);
        }
        first = false;
        key(out, k);
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
            scalar(out, other, indent + 2, true);
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
                scalar(out, other, indent + 2, true);
                out.push('\n');
            }
        }
    }
}

fn key(out: &mut String, k: &str) {
    if is_plain(k) {
        out.push_str(k);
    } else {
        quoted(out, k);
    }
}

/// Writes a scalar (or an empty collection) as YAML text. `block_indent` is
/// the indentation of a literal block's content; `allow_block` permits one.
fn scalar(out: &mut String, v: &Value, block_indent: usize, allow_block: bool) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_str(out, s, block_indent, allow_block),
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
    }
}

/// A string scalar: plain when that reads back the same, else a literal
/// block when allowed and exact, else double-quoted.
fn write_str(out: &mut String, s: &str, block_indent: usize, allow_block: bool) {
    if is_plain(s) {
        out.push_str(s);
    } else if allow_block && block_ok(s) {
        literal_block(out, s, block_indent);
    } else {
        quoted(out, s);
    }
}

/// Words that YAML 1.1 or 1.2 reads as something other than a string.
const RESERVED: &[&str] = &["y", "n", "yes", "no", "true", "false", "on", "off", "null"];

/// The bytes a plain scalar may hold: ASCII letters and digits and
/// `_./:=+@$(){},;~*? -`.
#[allow(
    clippy::indexing_slicing,
    reason = "a constant evaluated at compile time: an index out of bounds fails the build"
)]
const SAFE: [bool; 128] = {
    let mut t = [false; 128];
    let mut c = 0;
    while c < 128 {
        t[c] = (c as u8).is_ascii_alphanumeric();
        c += 1;
    }
    let extra = b"_./:=+@$(){},;~*? -";
    let mut i = 0;
    while i < extra.len() {
        t[extra[i] as usize] = true;
        i += 1;
    }
    t
};

/// True when `s` may be written without quotes and reads back as the same
/// string: it starts with a letter, `/` or `$`, holds only [`SAFE`] bytes,
/// has no `: ` or ` #`, does not end in a space or `:`, and is no
/// [`RESERVED`] word in any case.
fn is_plain(s: &str) -> bool {
    let b = s.as_bytes();
    let Some(&first) = b.first() else {
        return false;
    };
    if !(first.is_ascii_alphabetic() || first == b'/' || first == b'$') {
        return false;
    }
    let mut prev = 0u8;
    for &c in b {
        if !SAFE.get(usize::from(c)).copied().unwrap_or(false) {
            return false;
        }
        if (prev == b':' && c == b' ') || (prev == b' ' && c == b'#') {
            return false;
        }
        prev = c;
    }
    if prev == b' ' || prev == b':' {
        return false;
    }
    b.len() > 5 || !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(s))
}

/// Characters PyYAML accepts unescaped inside a quoted scalar and that no YAML
/// reader treats as a line break.
fn printable(c: char) -> bool {
    matches!(c, '\u{20}'..='\u{7e}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
        && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// A double-quoted scalar with JSON-compatible escapes (YAML's double-quoted
/// style is a superset of JSON strings).
fn quoted(out: &mut String, s: &str) {
    use std::fmt::Write;
    out.reserve(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if printable(c) => out.push(c),
            c if (c as u32) <= 0xffff => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push('"');
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

fn literal_block(out: &mut String, s: &str, indent: usize) {
    let (body, indicator) = match s.strip_suffix('\n') {
        Some(b) => (b, "|"),
        None => (s, "|-"),
    };
    out.push_str(indicator);
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            pad(out, indent);
            out.push_str(line);
        }
    }
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
        let mut q = String::new();
        quoted(&mut q, "a\u{2028}b\u{1}\u{1F600}\u{85}");
        assert_eq!(q, "\"a\\u2028b\\u0001\u{1F600}\\u0085\"");
    }
}
