//! What the grammar accepts at a cursor, for completion: the item holding the
//! cursor is parsed up to it, with a marker no rule reads at its end, and the
//! rules pest reports as expected at the marker are what may come next.

use super::keywords;
use super::lexical::{self, MAX_NESTING};
use super::text_to_ast::{AccessParser, Rule};
use crate::span::FileId;
use pest::error::{ErrorVariant, InputLocation};
use pest::Parser;

/// A character no token holds outside strings and comments.
const MARKER: char = '\u{1}';

/// How many lines with syntax errors before the cursor's line are set aside
/// before giving up.
const MAX_RECOVERIES: usize = 8;

/// What may come at a cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    /// Where the item that holds the cursor starts (the cursor when it is
    /// between items).
    pub item_start: usize,
    /// The rules pest tried at the cursor, in the grammar's order. A rule
    /// that may begin with several things stands for them (see
    /// [`super::keywords::leading_keywords`]); `EOI` means the item may end.
    pub rules: Vec<Rule>,
}

/// Whether byte offset `at` of `text` is inside a comment.
pub fn in_comment(text: &str, at: usize) -> bool {
    let Some(before) = text.get(..at) else {
        return false;
    };
    let lexed = lexical::lex(FileId(0), before);
    lexed.comments.last().is_some_and(|c| {
        c.span.end as usize == at
            && (c.text.starts_with("//")
                || lexed.unclosed_comments.last() == Some(&(c.span.start as usize)))
    })
}

/// What the grammar accepts at byte offset `at` of `text`: `None` inside a
/// comment or a string, in an item nested too deep to parse, or after a
/// syntax error on the cursor's line. A syntax error on an earlier line of
/// the item sets that line aside, unless it opens or closes a block, so the
/// rest of the item still counts.
pub fn expected(text: &str, at: usize) -> Option<Expected> {
    let before = text.get(..at)?;
    if in_comment(text, at) {
        return None;
    }
    let lexed = lexical::lex(FileId(0), before);
    let item_start = match lexed.chunks.last() {
        Some(chunk) if chunk.max_depth > MAX_NESTING => return None,
        Some(chunk) => chunk.start,
        None => at,
    };
    let mut prefix = before[item_start..].to_string();
    for _ in 0..=MAX_RECOVERIES {
        match parse_to_end(&prefix) {
            Parsed::AtEnd(rules) => {
                let rules = keyword_reading(&prefix, rules);
                return Some(Expected { item_start, rules });
            }
            Parsed::Before(pos) if set_aside_line(&mut prefix, pos) => {}
            Parsed::Before(_) | Parsed::Past => return None,
        }
    }
    None
}

enum Parsed {
    /// The rules expected at the end of the text.
    AtEnd(Vec<Rule>),
    /// A syntax error at this offset, before the end.
    Before(usize),
    /// The marker was read: the text ends inside a string.
    Past,
}

fn parse_to_end(prefix: &str) -> Parsed {
    let mut input = prefix.to_string();
    input.push(MARKER);
    let e = match AccessParser::parse(Rule::item_only, &input) {
        Ok(_) => return Parsed::Past,
        Err(e) => e,
    };
    let pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    match (pos.cmp(&prefix.len()), e.variant) {
        (std::cmp::Ordering::Less, _) => Parsed::Before(pos),
        (std::cmp::Ordering::Equal, ErrorVariant::ParsingError { mut positives, .. }) => {
            positives.dedup();
            Parsed::AtEnd(positives)
        }
        _ => Parsed::Past,
    }
}

/// Where the text ends in a keyword that the grammar may also read as a
/// name (`on account`, and `account` may name an OU), pest tries the name
/// only because the keyword's clause failed at the end of the text; what the
/// name alone expects (`except`, `owner`… after an OU) is dropped.
fn keyword_reading(prefix: &str, rules: Vec<Rule>) -> Vec<Rule> {
    let trimmed = prefix.trim_end();
    let word_start = trimmed
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .map_or(0, |n| n + 1);
    let word = &trimmed[word_start..];
    if !keywords::KEYWORDS
        .iter()
        .any(|k| k.text == word && !k.reserved)
    {
        return rules;
    }
    let mut as_name = prefix.to_string();
    as_name.replace_range(word_start..trimmed.len(), &"x".repeat(word.len()));
    match parse_to_end(&as_name) {
        Parsed::AtEnd(name_rules)
            if name_rules.len() < rules.len() && name_rules.iter().all(|r| rules.contains(r)) =>
        {
            rules
                .into_iter()
                .filter(|r| !name_rules.contains(r))
                .collect()
        }
        _ => rules,
    }
}

/// Blank out the line holding byte `pos`, from its start (or the last brace
/// before `pos` on it) to its end, when that line is not the last and the
/// blanked part holds no brace. Offsets stay as they were.
fn set_aside_line(prefix: &mut String, pos: usize) -> bool {
    let line_start = prefix[..pos].rfind('\n').map_or(0, |n| n + 1);
    let Some(line_end) = prefix[pos..].find('\n').map(|n| pos + n) else {
        return false;
    };
    let from = prefix[line_start..pos]
        .rfind(['{', '}'])
        .map_or(line_start, |n| line_start + n + 1);
    let part = &prefix[from..line_end];
    if part.contains(['{', '}']) || part.trim().is_empty() {
        return false;
    }
    let blank = " ".repeat(part.len());
    prefix.replace_range(from..line_end, &blank);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rules expected at `|`.
    fn at(text: &str) -> Option<Vec<Rule>> {
        let cursor = text.find('|').expect("cursor");
        let t = text.replace('|', "");
        expected(&t, cursor).map(|e| e.rules)
    }

    #[test]
    fn the_rules_expected_at_the_cursor() {
        use Rule::*;
        assert_eq!(
            at("|"),
            Some(vec![
                kw_use,
                kw_instance,
                kw_attributes,
                kw_org,
                kw_group,
                kw_user,
                kw_policy,
                kw_managed_policy,
                kw_function,
                kw_grant,
                kw_forbid,
                kw_limit,
                kw_quotas
            ])
        );
        assert_eq!(at("grant |"), Some(vec![ident]));
        assert_eq!(at("grant A |"), Some(vec![kw_to]));
        assert_eq!(at("grant A to |"), Some(vec![principal]));
        assert_eq!(
            at("grant A to b on X |"),
            Some(vec![EOI, kw_except, kw_owner, kw_until])
        );
        assert_eq!(at("forbid |"), Some(vec![ident, kw_user]));
        assert_eq!(at("policy P {\n  allow |"), Some(vec![kw_not, action]));
        assert_eq!(
            at("org {\n  |"),
            Some(vec![kw_root, kw_account, kw_ou, kw_management])
        );
        assert_eq!(at("use |"), Some(vec![string, std_path]));
        // The item is the one the lexical pass puts the cursor in.
        assert_eq!(at("group a\ngrant A |"), Some(vec![kw_to]));
        assert_eq!(
            at("function F {\n  session 4h\n}\ngrant A |"),
            Some(vec![kw_to])
        );
        // A keyword that may also be a name is read as the keyword.
        assert_eq!(at("grant A to b on account |"), Some(vec![ident]));
        assert_eq!(at("limit A to account |"), Some(vec![ident]));
        assert_eq!(at("forbid user |"), Some(vec![EOI, ident, kw_on]));
    }

    #[test]
    fn nothing_is_expected_in_a_comment_or_a_string_or_after_an_error_on_the_line() {
        assert_eq!(at("grant A // to |"), None);
        assert_eq!(at("grant A /* to |"), None);
        assert_eq!(at("group a \"b |"), None);
        assert_eq!(at("grant A from |"), None);
        // A closed comment is not the cursor's.
        assert_eq!(at("grant A /* x */ |"), Some(vec![Rule::kw_to]));
    }

    #[test]
    fn an_error_on_an_earlier_line_is_set_aside() {
        assert_eq!(
            at("policy P {\n  allow s3:GetObject on x\n  |"),
            Some(vec![Rule::statement])
        );
        let f = at("function F {\n  session \"4h\"\n  |").expect("expected");
        assert!(
            f.contains(&Rule::kw_session) && f.contains(&Rule::statement),
            "{f:?}"
        );
        // A broken opener cannot be set aside.
        assert_eq!(at("function F {\n  in A/ {\n    |"), None);
    }

    #[test]
    fn an_item_nested_too_deep_is_not_parsed() {
        let deep = format!("org {{ {}|", "ou A { ".repeat(MAX_NESTING + 1));
        assert_eq!(at(&deep), None);
    }
}
