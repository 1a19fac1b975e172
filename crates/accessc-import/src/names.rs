//! Names in the written program: identifiers made from AWS names, unique
//! within their kind, the same for the same input, and never depending on
//! which other names exist (adding a principal renames no other).
//!
//! The rule (`docs/import.md`, *Naming*):
//!
//! - a name that already is an identifier of the language (and not one of
//!   its keywords) is kept as it is;
//! - any other name has every run of characters an identifier cannot hold
//!   replaced by `-` (leading and trailing ones dropped, a `PREFIX-` put in
//!   front when it would not start with a letter), then `-` and four hex
//!   digits of a hash of the whole original name appended: `AWS Platform
//!   Admins` → `AWS-Platform-Admins-3c1f`. The suffix depends on the name
//!   alone, so it keeps two names that differ only in such characters apart
//!   without looking at the other names;
//! - should two results still be equal (a 16-bit hash collision, or a kept
//!   name that happens to look like a made one), the one whose original
//!   sorts first keeps it and the others get `-2`, `-3`, … in that order.

use accessc_core::parse::keywords::KEYWORDS;
use std::collections::{BTreeMap, HashMap};

/// Whether `s` is an identifier of the grammar (`[A-Za-z_][A-Za-z0-9_-]*`,
/// not one of the reserved words that separate list items).
pub fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !KEYWORDS.iter().any(|k| k.reserved && k.text == s)
}

/// Whether `s` is an identifier the writer names a function, group or user
/// with: an [`is_ident`] that is no keyword at all (so `grant F to user`
/// never reads as a principal kind with its name missing).
pub fn is_identifier(s: &str) -> bool {
    is_ident(s) && !KEYWORDS.iter().any(|k| k.text == s)
}

/// FNV-1a, 32 bits: stable across versions and platforms.
fn fnv1a(s: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in s.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// The identifier for `name` before collisions are resolved.
pub fn identifier(name: &str, prefix: &str) -> String {
    if is_identifier(name) {
        return name.to_string();
    }
    let mut base = String::new();
    let mut gap = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            if gap && !base.is_empty() {
                base.push('-');
            }
            gap = false;
            base.push(c);
        } else {
            gap = true;
        }
    }
    if !base.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        base = if base.is_empty() {
            prefix.to_string()
        } else {
            format!("{prefix}-{base}")
        };
    }
    format!("{base}-{:04x}", fnv1a(name) & 0xffff)
}

/// Identifiers for `names` (distinct originals), by [`identifier`] and the
/// collision rule of the module: original → identifier.
pub fn assign<'a>(
    names: impl IntoIterator<Item = &'a str>,
    prefix: &str,
) -> HashMap<String, String> {
    let mut by_ident: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for n in names {
        by_ident.entry(identifier(n, prefix)).or_default().push(n);
    }
    let taken: std::collections::HashSet<String> = by_ident.keys().cloned().collect();
    let mut out = HashMap::new();
    for (ident, mut originals) in by_ident {
        originals.sort_unstable();
        originals.dedup();
        let mut n = 1;
        for (i, o) in originals.into_iter().enumerate() {
            if i == 0 {
                out.insert(o.to_string(), ident.clone());
                continue;
            }
            loop {
                n += 1;
                let candidate = format!("{ident}-{n}");
                if !taken.contains(&candidate) {
                    out.insert(o.to_string(), candidate);
                    break;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_kept_and_others_made_stably() {
        assert_eq!(identifier("aws-team-a", "group"), "aws-team-a");
        let made = identifier("AWS Platform Admins", "group");
        assert!(made.starts_with("AWS-Platform-Admins-"), "{made}");
        assert!(is_identifier(&made));
        assert_eq!(made, identifier("AWS Platform Admins", "group"));
        assert_ne!(identifier("A B", "group"), identifier("A.B", "group"));
        assert!(identifier("9lives", "group").starts_with("group-9lives-"));
        assert!(identifier("", "user").starts_with("user-"));
        assert!(identifier("(((", "user").starts_with("user-"));
        assert!(is_identifier(&identifier("to", "group")));
        assert!(is_identifier(&identifier("group", "group")));
        assert!(is_identifier(&identifier("alice@example.com", "user")));
    }

    #[test]
    fn adding_a_name_renames_no_other() {
        let before = assign(["A B", "ops", "alice@example.com"], "group");
        let after = assign(["A B", "A.B", "A-B", "ops", "alice@example.com"], "group");
        for (k, v) in &before {
            assert_eq!(after.get(k), Some(v), "{k}");
        }
        let mut values: Vec<&String> = after.values().collect();
        values.sort();
        values.dedup();
        assert_eq!(values.len(), 5);
    }
}
