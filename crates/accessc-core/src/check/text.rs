//! The characters AWS accepts in each free-text field of a program, and the
//! check that names the first character outside them. Every string that
//! reaches AWS or a generated file passes one of these sets; none admits a
//! control character (line feeds only where AWS takes multi-line text, in
//! descriptions), a bidirectional override or a line separator.

use unicode_general_category::{get_general_category, GeneralCategory};

/// The major Unicode category of `c`: `L`, `M`, `N`, `P`, `S`, `Z` or `C`.
fn major(c: char) -> char {
    get_general_category(c)
        .abbreviation()
        .chars()
        .next()
        .unwrap_or('C')
}

/// Permission set and managed policy descriptions:
/// `[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]`.
pub fn description_char(c: char) -> bool {
    matches!(c as u32, 0x09 | 0x0a | 0x0d | 0x20..=0x7e | 0xa1..=0xff)
}

/// A relay state: `[a-zA-Z0-9&$@#\\/%?=~\-_'"|!:,.;*+\[\] (){}]`.
pub fn relay_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "&$@#\\/%?=~-_'\"|!:,.;*+[] (){}".contains(c)
}

/// Tag keys and values, session tag keys: `[\p{L}\p{Z}\p{N}_.:/=+\-@]`,
/// narrowed to the space separators (`\p{Zs}`): line and paragraph
/// separators end lines in some readers.
pub fn tag_char(c: char) -> bool {
    matches!(major(c), 'L' | 'N')
        || get_general_category(c) == GeneralCategory::SpaceSeparator
        || "_.:/=+-@".contains(c)
}

/// A group's DisplayName: `[\p{L}\p{M}\p{S}\p{N}\p{P}\t\n\r  ]`, without
/// the tab, line feed and carriage return (a display name is one line).
pub fn display_name_char(c: char) -> bool {
    matches!(major(c), 'L' | 'M' | 'S' | 'N' | 'P') || c == ' ' || c == '\u{a0}'
}

/// A user's UserName: `[\p{L}\p{M}\p{S}\p{N}\p{P}]`.
pub fn user_name_char(c: char) -> bool {
    matches!(major(c), 'L' | 'M' | 'S' | 'N' | 'P')
}

/// The name part of a condition key (after `service:`): the characters of a
/// tag key, which is what follows `aws:ResourceTag/` and its kind. Never a
/// quote, a line break or a template sequence (`${`, `%{`).
pub fn condition_key_char(c: char) -> bool {
    tag_char(c)
}

/// Any other free text (an owner, a resource ARN, a condition value, an
/// attribute path): no control, format (bidirectional overrides, zero-width
/// characters), line or paragraph separator, private-use or unassigned
/// character.
pub fn plain_text_char(c: char) -> bool {
    c == ' '
        || !matches!(major(c), 'C' | 'Z')
        || get_general_category(c) == GeneralCategory::SpaceSeparator
}

/// The first character of `s` outside `ok`, and its 1-based position in characters.
pub fn first_outside(s: &str, ok: impl Fn(char) -> bool) -> Option<(usize, char)> {
    s.chars()
        .enumerate()
        .find(|(_, c)| !ok(*c))
        .map(|(i, c)| (i + 1, c))
}

/// `c` for a message: visible ASCII in backticks, anything else as its
/// escape (`\u{a}`), with a name where one helps.
pub fn show_char(c: char) -> String {
    if c == '`' {
        return "a backtick".to_string();
    }
    if c.is_ascii_graphic() {
        return format!("`{c}`");
    }
    let name = match c {
        ' ' => "a space",
        '\t' => "a tab",
        '\n' => "a line feed",
        '\r' => "a carriage return",
        '\0' => "a NUL",
        '\u{1b}' => "an escape",
        '\u{7f}' => "a delete",
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => "a bidirectional control",
        '\u{2028}' => "a line separator",
        '\u{2029}' => "a paragraph separator",
        _ => match major(c) {
            'C' => "a control or format character",
            'Z' => "a separator",
            _ => "",
        },
    };
    let code = format!("`\\u{{{:x}}}`", c as u32);
    if name.is_empty() {
        // A printable character outside the set: show it too.
        format!("`{c}` ({code})")
    } else if c == ' ' {
        name.to_string()
    } else {
        format!("{name} ({code})")
    }
}

/// `s` for a message: every character that is not visible text replaced by
/// its escape, so that a diagnostic never carries a line break, a terminal
/// escape or a bidirectional override of the input.
pub fn escaped(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == ' ' || (!matches!(major(c), 'C' | 'Z')) {
            out.push(c);
        } else {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
    }
    out
}

/// "`{what}` has {char} at character {n}" for the first character of `s`
/// outside `ok`.
pub fn bad_char(what: &str, s: &str, ok: impl Fn(char) -> bool) -> Option<String> {
    first_outside(s, ok).map(|(pos, c)| {
        format!(
            "{what} has {} at character {pos}, which AWS rejects",
            show_char(c)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_follow_aws_patterns() {
        assert!("Grants read-only access.\n\tÀ"
            .chars()
            .all(description_char));
        assert!(!description_char('\u{1b}'));
        assert!(!description_char('\u{202e}'));
        assert!(!description_char('\u{85}'));
        assert!("https://console.aws.amazon.com/s3/home?a=b#x"
            .chars()
            .all(relay_char));
        assert!(!relay_char('<') && !relay_char('\n') && !relay_char('é'));
        assert!("Coût Centre 42_.:/=+-@".chars().all(tag_char));
        assert!(!tag_char('"') && !tag_char('%') && !tag_char('\n') && !tag_char('\u{2028}'));
        assert!("AWS Platform Admins # `$(rm -rf /)` | <b> ü"
            .chars()
            .all(display_name_char));
        assert!(
            !display_name_char('\n') && !display_name_char('\u{202e}') && !display_name_char('\0')
        );
        assert!(!user_name_char(' '));
        assert!(plain_text_char('a') && plain_text_char(' ') && !plain_text_char('\u{200b}'));
    }

    #[test]
    fn messages_name_the_character_and_its_position() {
        assert_eq!(
            bad_char("display name", "ab\ncd", display_name_char).as_deref(),
            Some("display name has a line feed (`\\u{a}`) at character 3, which AWS rejects")
        );
        assert_eq!(
            bad_char("x", "a\u{202e}", display_name_char).as_deref(),
            Some("x has a bidirectional control (`\\u{202e}`) at character 2, which AWS rejects")
        );
        assert_eq!(
            bad_char("x", "é", relay_char).as_deref(),
            Some("x has `é` (`\\u{e9}`) at character 1, which AWS rejects")
        );
        assert_eq!(escaped("a\nb\u{1b}[31m"), "a\\u{a}b\\u{1b}[31m");
    }
}
