//! HCL literals: quoted strings (with Terraform's template sequences
//! escaped), object keys, and JSON values rendered as HCL expressions for
//! `jsonencode(...)`. Layout is left to [`super::fmt`]; these functions put
//! one item per line where a value spans lines.

use serde_json::Value;

/// Width under which a list of scalars stays on one line.
const INLINE_WIDTH: usize = 80;

/// A quoted HCL string whose value is exactly `s`: quotes, backslashes and
/// control characters escaped, and `${` / `%{` doubled so that Terraform
/// does not read an IAM policy variable as an interpolation.
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text for a `#` comment: one line, whatever the input holds.
pub fn comment(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// An object key: bare when it is a plain identifier, else quoted.
pub fn key(s: &str) -> String {
    let mut chars = s.chars();
    let ident = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !matches!(
            s,
            "true" | "false" | "null" | "for" | "in" | "if" | "else" | "endif" | "endfor"
        );
    if ident {
        s.to_string()
    } else {
        string(s)
    }
}

/// A list of strings on one line: `["a", "b"]`.
pub fn string_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| string(s)).collect();
    format!("[{}]", quoted.join(", "))
}

/// A JSON value as an HCL expression that `jsonencode` turns back into the
/// same JSON (object keys aside, which Terraform sorts). `depth` is the
/// nesting level the value starts at, for the one-line-list decision.
pub fn json_value(v: &Value, depth: usize) -> String {
    let mut out = String::new();
    write_value(v, depth, 0, &mut out);
    out
}

/// Write `v`; `prefix` is the width of what precedes it on its line.
fn write_value(v: &Value, depth: usize, prefix: usize, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => out.push_str(&string(s)),
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Array(items) => {
            let scalars = items.iter().all(|i| !i.is_array() && !i.is_object());
            if scalars {
                let mut one = String::from("[");
                for (n, i) in items.iter().enumerate() {
                    if n > 0 {
                        one.push_str(", ");
                    }
                    write_value(i, depth, 0, &mut one);
                }
                one.push(']');
                if depth * 2 + prefix + one.len() <= INLINE_WIDTH {
                    out.push_str(&one);
                    return;
                }
            }
            out.push_str("[\n");
            for i in items {
                write_value(i, depth + 1, 0, out);
                out.push_str(",\n");
            }
            out.push(']');
        }
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Object(map) => {
            out.push_str("{\n");
            for (k, val) in map {
                let k = key(k);
                out.push_str(&k);
                out.push_str(" = ");
                write_value(val, depth + 1, k.len() + 3, out);
                out.push('\n');
            }
            out.push('}');
        }
    }
}

/// `snake_case` of a name, for Terraform resource names: `AppDeveloper` →
/// `app_developer`, `aws-team-a-engineers` → `aws_team_a_engineers`,
/// `EC2Admin` → `ec2_admin`. Never empty; never starts with a digit.
pub fn snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            continue;
        }
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars.get(i - 1).copied().unwrap_or(' ');
            let next_lower = chars.get(i + 1).is_some_and(char::is_ascii_lowercase);
            let boundary = prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower);
            if boundary && !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    while out.ends_with('_') {
        out.pop();
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape_template_sequences() {
        assert_eq!(
            string("${aws:PrincipalTag/Dept}"),
            "\"$${aws:PrincipalTag/Dept}\""
        );
        assert_eq!(string("100%{x} $5"), "\"100%%{x} $5\"");
        assert_eq!(string("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
    }

    #[test]
    fn comments_stay_on_one_line() {
        assert_eq!(comment("owner a\nb\r"), "owner a b");
    }

    #[test]
    fn keys_quote_when_needed() {
        assert_eq!(key("Version"), "Version");
        assert_eq!(key("aws:ResourceTag/Dept"), "\"aws:ResourceTag/Dept\"");
        assert_eq!(key("cost-center"), "\"cost-center\"");
        assert_eq!(key("null"), "\"null\"");
    }

    #[test]
    fn snake_case_names() {
        assert_eq!(snake("AppDeveloper"), "app_developer");
        assert_eq!(snake("aws-team-a-engineers"), "aws_team_a_engineers");
        assert_eq!(snake("EC2Admin"), "ec2_admin");
        assert_eq!(snake("AWSAdmin"), "aws_admin");
        assert_eq!(snake("S3Reader"), "s3_reader");
        assert_eq!(snake("Workloads/NonProd"), "workloads_non_prod");
        assert_eq!(snake("123"), "_123");
        assert_eq!(snake("+="), "_");
    }
}
