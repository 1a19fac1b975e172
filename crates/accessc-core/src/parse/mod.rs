//! Text to syntax tree. `parse_file` never fails: it returns every item it
//! could read and an A100 diagnostic for every one it could not.

pub mod expect;
pub mod incremental;
pub mod keywords;
mod lexical;
pub mod text_to_ast;

use crate::ast::{Item, Module};
use crate::diagnostic::{Code, Diagnostic};
use crate::span::{FileId, Span};
pub use lexical::MAX_NESTING;
use pest::Parser;
use std::sync::Arc;
use text_to_ast::{AccessParser, Builder, Rule};

/// Parse one file's text.
pub fn parse_file(file: FileId, text: &str) -> (Module, Vec<Diagnostic>) {
    let lexed = lexical::lex(file, text);
    let outcomes: Vec<ChunkOutcome> = lexed
        .chunks
        .iter()
        .map(|chunk| parse_chunk(file, text, &lexed.comments, chunk))
        .collect();
    assemble(file, lexed.comments, &lexed.unclosed_comments, &outcomes)
}

/// What one item chunk parses to. It depends on the chunk's text, its offset
/// and the file, and (for an item's doc comment) on the text between the
/// start of the chunk before it and its own; so the incremental parser can
/// reuse it after an edit elsewhere, moved by the edit's length.
#[derive(Debug, Clone)]
pub(crate) enum ChunkOutcome {
    /// The item, with its doc comment (which lies before the chunk). Shared
    /// by every parse of the file that reuses it.
    Item(Arc<Item>),
    /// A syntax error, and the name of the broken item when it can be read.
    Failed {
        diagnostic: Diagnostic,
        broken: Option<(String, crate::ast::Ident)>,
    },
    /// Nested deeper than [`MAX_NESTING`]: refused before parsing.
    TooDeep(Diagnostic),
    /// Parsed to nothing (`item_only` always yields its item, so never seen).
    Empty,
}

fn parse_chunk(
    file: FileId,
    text: &str,
    comments: &[crate::ast::Comment],
    chunk: &lexical::Chunk,
) -> ChunkOutcome {
    let src = &text[chunk.start..chunk.end];
    if chunk.max_depth > MAX_NESTING {
        return ChunkOutcome::TooDeep(
            Diagnostic::new(
                Code::NestingTooDeep,
                Span::new(file, chunk.start, chunk.start + first_word_len(src)),
                format!("blocks nested more than {MAX_NESTING} levels deep"),
            )
            .with_help("flatten the nesting; no organization needs OUs this deep"),
        );
    }
    if let Some((brace, open)) = chunk.unclosed {
        // Parsed with its blocks closed, the item shows whether anything but
        // the missing `}` is wrong; the first error is reported either way.
        let mut closed = src.to_string();
        closed.push('\n');
        closed.push_str(&"}".repeat(open));
        let diagnostic = match AccessParser::parse(Rule::item_only, &closed) {
            Err(e) if error_pos(&e) < src.trim_end().len() => {
                syntax_error(file, chunk.start, src, e)
            }
            _ => unclosed_block(file, brace),
        };
        return ChunkOutcome::Failed {
            diagnostic,
            broken: broken_name(file, chunk.start, src),
        };
    }
    match AccessParser::parse(Rule::item_only, src) {
        Ok(mut pairs) => {
            let builder = Builder {
                file,
                base: chunk.start,
                text,
                comments,
            };
            match pairs.next() {
                Some(p) => {
                    let mut item = builder.item(p);
                    item.doc = doc_of(text, comments, chunk.start);
                    ChunkOutcome::Item(Arc::new(item))
                }
                None => ChunkOutcome::Empty,
            }
        }
        Err(e) => ChunkOutcome::Failed {
            diagnostic: syntax_error(file, chunk.start, src, e),
            broken: broken_name(file, chunk.start, src),
        },
    }
}

/// The `///` doc comment of the item whose chunk starts at `start`.
fn doc_of(text: &str, comments: &[crate::ast::Comment], start: usize) -> Option<crate::ast::Str> {
    lexical::doc_comment_before(text, comments, start)
        .map(|(span, doc)| crate::ast::Str { value: doc, span })
}

/// The module and diagnostics of a file from its comments and its chunks'
/// outcomes, in order.
fn assemble(
    file: FileId,
    comments: Vec<crate::ast::Comment>,
    unclosed_comments: &[usize],
    outcomes: &[ChunkOutcome],
) -> (Module, Vec<Diagnostic>) {
    let mut items: Vec<Arc<Item>> = Vec::with_capacity(outcomes.len());
    let mut broken = Vec::new();
    let mut diags = Vec::new();
    for &start in unclosed_comments {
        diags.push(
            Diagnostic::new(
                Code::UnclosedComment,
                Span::new(file, start, start + 2),
                "this block comment is never closed",
            )
            .with_label("everything after this is part of the comment")
            .with_help("close it with `*/`"),
        );
    }
    for outcome in outcomes {
        match outcome {
            ChunkOutcome::Item(item) => items.push(item.clone()),
            ChunkOutcome::Failed {
                diagnostic,
                broken: b,
            } => {
                diags.push(diagnostic.clone());
                broken.extend(b.clone());
            }
            ChunkOutcome::TooDeep(d) => diags.push(d.clone()),
            ChunkOutcome::Empty => {}
        }
    }
    (
        Module {
            file,
            items,
            comments,
            broken,
        },
        diags,
    )
}

/// A100 at a `{` whose block never closes (before the next item or the end
/// of the file). It depends on the chunk alone, as every outcome does (the
/// incremental parser reuses it after edits elsewhere).
fn unclosed_block(file: FileId, brace: usize) -> Diagnostic {
    Diagnostic::new(
        Code::Syntax,
        Span::new(file, brace, brace + 1),
        "this `{` is never closed",
    )
    .with_label("this block has no `}`")
    .with_help(
        "add the missing `}` where this block ends; a line that starts with an item keyword \
         (`function`, `grant`, …) begins the next item",
    )
}

fn error_pos(e: &pest::error::Error<Rule>) -> usize {
    match e.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    }
}

/// `function AppDeveloper { …broken… }` → `("function", AppDeveloper)`; a
/// broken `org` or `attributes` block is named by its keyword.
fn broken_name(file: FileId, base: usize, src: &str) -> Option<(String, crate::ast::Ident)> {
    let kw_end = src
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(src.len());
    let kw = &src[..kw_end];
    if kw == "org" || kw == "attributes" {
        let span = Span::new(file, base, base + kw_end);
        let name = kw.to_string();
        return Some((name.clone(), crate::ast::Ident { name, span }));
    }
    if !["function", "policy", "managed_policy", "group", "user"].contains(&kw) {
        return None;
    }
    let rest = &src[kw_end..];
    let start = kw_end + (rest.len() - rest.trim_start().len());
    let name: String = src[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    if name.is_empty() {
        return None;
    }
    let span = Span::new(file, base + start, base + start + name.len());
    Some((kw.to_string(), crate::ast::Ident { name, span }))
}

fn first_word_len(s: &str) -> usize {
    s.find(|c: char| c.is_whitespace())
        .unwrap_or(s.len())
        .max(1)
        .min(s.len())
}

/// A pest error as an A100 diagnostic with a readable message.
fn syntax_error(file: FileId, base: usize, src: &str, e: pest::error::Error<Rule>) -> Diagnostic {
    use pest::error::{ErrorVariant, InputLocation};
    let pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    if let Some(d) = habit(file, base, src, pos) {
        return d;
    }
    let found = describe_at(src, pos);
    let message = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            let mut names: Vec<&str> = positives.iter().filter_map(|r| rule_name(*r)).collect();
            names.sort();
            names.dedup();
            if pos == 0 {
                format!("expected an item (`function`, `grant`, `policy`, …), found {found}")
            } else if names.is_empty() {
                format!("unexpected {found}")
            } else {
                format!("expected {}, found {found}", join_or(&names))
            }
        }
        ErrorVariant::CustomError { message } => message.clone(),
    };
    let end = pos + src[pos..].chars().next().map_or(0, char::len_utf8);
    let mut d = Diagnostic::new(
        Code::Syntax,
        Span::new(file, base + pos, base + end),
        message,
    )
    .with_label("here");
    if let Some(help) = hint(src, pos) {
        d = d.with_help(help);
    }
    d
}

/// A100 for a habit from another language, when the error at `pos` comes
/// from one: a string left open, a colon before a block (`function X:`) or
/// after a property (`session: 4h`).
fn habit(file: FileId, base: usize, src: &str, pos: usize) -> Option<Diagnostic> {
    let at = |start: usize, end: usize| Span::new(file, base + start, base + end);
    if let Some(q) = unclosed_string(src).filter(|&q| q <= pos) {
        return Some(
            Diagnostic::new(Code::Syntax, at(q, q + 1), "this string is never closed")
                .with_label("the string starts here")
                .with_help("close it with `\"` on the same line; a string cannot span lines"),
        );
    }
    // `function AppDeveloper:` and an indented body.
    let first_line = src.lines().next().unwrap_or("");
    let head = first_line.split("//").next().unwrap_or("").trim_end();
    let kw = head.split_whitespace().next().unwrap_or("");
    if head.ends_with(':') && !head.contains('{') && BLOCK_ITEMS.contains(&kw) {
        let colon = head.len() - 1;
        let name = head[..colon].trim_end();
        return Some(
            Diagnostic::new(
                Code::Syntax,
                at(colon, colon + 1),
                format!("a `{kw}` body goes in braces, not after a colon"),
            )
            .with_label("a colon does not open a block")
            .with_help(format!(
                "write `{name} {{`, the body on the lines below, and `}}` after it; \
                 indentation does not end a block"
            )),
        );
    }
    // `function F() {`: a parameter list after the name of a named block
    // (on the item's first line, after any comments).
    let mut line_at = 0;
    for line in src.split_inclusive('\n') {
        let t = line.trim();
        if !(t.is_empty() || t.starts_with("//")) {
            break;
        }
        line_at += line.len();
    }
    let item_line = src[line_at..].lines().next().unwrap_or("");
    let item_line = item_line.split("//").next().unwrap_or("");
    let item_kw = item_line.split_whitespace().next().unwrap_or("");
    if let Some(rest) = item_line
        .strip_prefix(item_kw)
        .filter(|_| NAMED_ITEMS.contains(&item_kw))
    {
        let name_at = item_kw.len() + (rest.len() - rest.trim_start().len());
        let name: String = item_line[name_at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .collect();
        let after = &item_line[name_at + name.len()..];
        let paren = name_at + name.len() + (after.len() - after.trim_start().len());
        if !name.is_empty() && item_line[paren..].starts_with('(') && pos <= line_at + paren {
            let close = item_line[paren..]
                .find(')')
                .map_or(paren + 1, |c| paren + c + 1);
            return Some(
                Diagnostic::new(
                    Code::Syntax,
                    at(line_at + paren, line_at + close),
                    format!("a `{item_kw}` takes no parameters: its header is `{item_kw} NAME {{`"),
                )
                .with_label("remove this")
                .with_help(format!("write `{item_kw} {name} {{`")),
            );
        }
    }
    // `session: 4h`: a property followed by a colon, on the error's line.
    let line_start = src[..pos.min(src.len())].rfind('\n').map_or(0, |n| n + 1);
    let line = &src[line_start..];
    let indent = line.len() - line.trim_start().len();
    let word: String = line[indent..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let after = &line[indent + word.len()..];
    let gap = after.len() - after.trim_start_matches([' ', '\t']).len();
    if after[gap..].starts_with(':')
        && !after[gap..].starts_with("::")
        && keywords::KEYWORDS
            .iter()
            .any(|k| k.text == word && !k.item && !k.reserved)
    {
        let colon = line_start + indent + word.len() + gap;
        let value = after[gap + 1..]
            .lines()
            .next()
            .unwrap_or("")
            .split("//")
            .next()
            .unwrap_or("")
            .trim();
        let example = if value.is_empty() {
            format!("`{word} …`")
        } else {
            format!("`{word} {value}`")
        };
        return Some(
            Diagnostic::new(
                Code::Syntax,
                at(colon, colon + 1),
                format!("`{word}` takes its value without a colon"),
            )
            .with_label("remove this colon")
            .with_help(format!("write {example}")),
        );
    }
    None
}

/// The properties that take a comma-separated list of names.
const LISTS: &[&str] = &["managed", "customer", "inline"];

/// The items whose body is a block.
const BLOCK_ITEMS: &[&str] = &[
    "function",
    "policy",
    "managed_policy",
    "org",
    "instance",
    "attributes",
    "quotas",
    "group",
    "user",
];

/// The items with a name and a block: `function NAME { … }`.
const NAMED_ITEMS: &[&str] = &["function", "policy", "managed_policy"];

/// The offset of the first `"` in `src` (outside comments) whose string
/// reaches the end of its line or of the text unclosed.
fn unclosed_string(src: &str) -> Option<usize> {
    let b = src.as_bytes();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = src[i..].find('\n').map_or(b.len(), |n| i + n);
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = src[i + 2..].find("*/").map_or(b.len(), |n| i + 2 + n + 2);
            }
            b'"' => {
                let q = i;
                i += 1;
                loop {
                    match b.get(i) {
                        None | Some(b'\n') => return Some(q),
                        Some(b'"') => break,
                        Some(b'\\') => i += 2,
                        Some(_) => i += 1,
                    }
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    None
}

fn describe_at(src: &str, pos: usize) -> String {
    let rest = &src[pos..];
    match rest.chars().next() {
        None => "end of input".to_string(),
        Some(c) if c.is_alphanumeric() || c == '_' => {
            let w: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
                .take(40)
                .collect();
            format!("`{w}`")
        }
        Some('\n') => "end of line".to_string(),
        Some(c) => format!("`{}`", c.escape_debug()),
    }
}

/// A fix for the commonest mistakes.
fn hint(src: &str, pos: usize) -> Option<String> {
    let before = src[..pos].trim_end();
    let rest = &src[pos..];
    // `managed SecurityAudit ViewOnlyAccess`: a list without its commas.
    let line_start = before.rfind('\n').map_or(0, |n| n + 1);
    let words: Vec<&str> = before[line_start..].split_whitespace().collect();
    let next: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '/'))
        .collect();
    if let [kw, listed @ .., last] = words.as_slice() {
        if LISTS.contains(kw) && !last.ends_with(',') && !next.is_empty() {
            let head: Vec<&str> = std::iter::once(*kw).chain(listed.iter().copied()).collect();
            return Some(format!(
                "separate the names of a list with commas: `{} {last}, {next}`",
                head.join(" ")
            ));
        }
    }
    if before.ends_with("allow")
        || before.ends_with("deny")
        || rest.starts_with('"') && before.contains(" allow ")
    {
        return None;
    }
    if src.trim_start().starts_with("grant") && !src.contains(" on ") && !src.contains("\non ") {
        return Some("a grant reads `grant FUNCTION to PRINCIPAL on TARGET`".into());
    }
    if (src.contains("allow") || src.contains("deny")) && !src.contains(" on ") {
        return Some("every statement names its resources: `allow s3:GetObject on *`".into());
    }
    if rest.starts_with('"') && before.ends_with("session") {
        return Some("write a session as `4h`, `90m` or `PT4H`, without quotes".into());
    }
    None
}

fn join_or(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// Human names for the grammar rules an error may expect.
fn rule_name(r: Rule) -> Option<&'static str> {
    Some(match r {
        Rule::ident | Rule::mp_name | Rule::ident_list => "a name",
        Rule::string | Rule::target_id => "a string",
        Rule::duration => "a duration (`4h`, `90m`, `PT4H`)",
        Rule::date => "a date (`2026-12-31`)",
        Rule::number => "a number",
        Rule::statement | Rule::sid | Rule::effect => "a statement (`allow … on …`)",
        Rule::action | Rule::action_word | Rule::action_list => "an action (`s3:GetObject`)",
        Rule::resource | Rule::star | Rule::resource_list => "a resource (`*` or \"arn:…\")",
        Rule::condition | Rule::tag_condition | Rule::general_condition | Rule::tag_ref => {
            "a condition"
        }
        Rule::operator => "a condition operator",
        Rule::compare => "`==` or `!=`",
        Rule::value_list => "a list of strings",
        Rule::kw_on => "`on`",
        Rule::kw_to => "`to`",
        Rule::kw_with => "`with`",
        Rule::kw_when => "`when`",
        Rule::kw_and => "`and`",
        Rule::kw_except => "`except`",
        Rule::kw_owner => "`owner`",
        Rule::kw_until => "`until`",
        Rule::kw_from => "`from`",
        Rule::kw_json => "`json`",
        Rule::kw_notify => "`notify`",
        Rule::kw_id => "`id`",
        Rule::kw_not => "`not`",
        Rule::principal | Rule::principal_list | Rule::principal_kind => "a group or user",
        Rule::target
        | Rule::target_list
        | Rule::ou_path
        | Rule::target_root
        | Rule::target_account => "a target (`root`, an OU path, `account NAME` or an account id)",
        Rule::ou | Rule::kw_ou => "`ou`",
        Rule::account | Rule::kw_account => "`account`",
        Rule::org_root | Rule::kw_root => "`root`",
        Rule::org_management => "`management`",
        Rule::in_block | Rule::kw_in => "`in`",
        Rule::mp_path => "`path`",
        Rule::mp_description | Rule::fp_description => "`description`",
        Rule::mp_external | Rule::kw_external => "`external`",
        Rule::mp_except => "`except`",
        Rule::account_state | Rule::kw_suspended | Rule::kw_pending_closure | Rule::kw_closed => {
            "an account state (`suspended`, `pending_closure`, `closed`)"
        }
        Rule::attribute => "an attribute (`Department = \"${path:…}\"`)",
        Rule::quota => "a quota (`managed_policies 20`)",
        Rule::tag | Rule::tag_name => "a tag (`Key = \"value\"`)",
        Rule::policy_ref => "a managed policy name or ARN",
        Rule::fp_session
        | Rule::fp_relay
        | Rule::fp_managed
        | Rule::fp_customer
        | Rule::fp_boundary
        | Rule::fp_inline
        | Rule::fp_tags
        | Rule::fp_break_glass
        | Rule::fp_name
        | Rule::kw_session
        | Rule::kw_relay
        | Rule::kw_managed
        | Rule::kw_customer
        | Rule::kw_boundary
        | Rule::kw_inline
        | Rule::kw_tags
        | Rule::kw_break_glass
        | Rule::kw_name => "a function property",
        Rule::kw_description => "`description`",
        Rule::kw_path => "`path`",
        Rule::kw_management => "`management`",
        Rule::kw_arn
        | Rule::kw_identity_store
        | Rule::kw_region
        | Rule::kw_replicas
        | Rule::kw_start_url => {
            "an instance setting (`arn`, `identity_store`, `region`, `replicas`, `start_url`)"
        }
        Rule::instance_arn
        | Rule::instance_store
        | Rule::instance_region
        | Rule::instance_replicas
        | Rule::instance_start_url => {
            "an instance setting (`arn`, `identity_store`, `region`, `replicas`, `start_url`)"
        }
        Rule::std_path => "`std::MODULE`",
        Rule::EOI => "end of item",
        Rule::grant_owner | Rule::grant_until => "`owner` or `until`",
        Rule::org_body | Rule::org_from | Rule::policy_body | Rule::policy_from => "`{` or `from`",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::*;

    fn parse(text: &str) -> Module {
        let (m, d) = parse_file(FileId(0), text);
        assert!(d.is_empty(), "{d:?}");
        m
    }

    /// `//` or `/*` right after a name that may hold `/` begins a comment to
    /// the parser as to the lexer (or `fmt` writes the comment's text twice).
    #[test]
    fn a_comment_right_after_a_name_with_slashes_is_a_comment() {
        let text = "function F {\n  managed ReadOnlyAccess//read\n  boundary Base/*cap*/\n  \
                    allow s3:GetObject on * when resource.tag.cost/center//k\n  == \"x\"\n}\n";
        let m = parse(text);
        let ItemKind::Function(f) = &m.items[0].kind else {
            panic!("not a function");
        };
        let names: Vec<String> = f
            .props
            .iter()
            .flat_map(|p| match p {
                FunctionProp::Managed(r) => r.clone(),
                FunctionProp::Boundary(r) => vec![r.clone()],
                _ => vec![],
            })
            .map(|r| match r {
                PolicyRef::Name(n) => n.name,
                PolicyRef::Arn(s) => s.value,
            })
            .collect();
        assert_eq!(names, ["ReadOnlyAccess", "Base"]);
        let Condition::Tag { lhs, .. } = &f.statements[0].conditions[0] else {
            panic!("not a tag condition");
        };
        assert_eq!(lhs.key.name, "cost/center");
        let comments: Vec<&str> = m.comments.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(comments, ["//read", "/*cap*/", "//k"]);
    }

    /// A block left open ends at an item keyword at the very start of a
    /// line: the item is reported at its open brace, and the next one is read.
    #[test]
    fn an_unclosed_block_ends_at_the_next_item_at_the_start_of_a_line() {
        let text = "org {\n  ou A \"ou-ab12-11111111\" {\n    account a \"111111111111\"\n  \
                    account m \"999999999999\"\n}\n\ngroup devs\n";
        let (m, d) = parse_file(FileId(0), text);
        assert_eq!(d.len(), 1, "{d:?}");
        let at = text.find("\" {").map(|n| n + 2).expect("the OU's brace");
        assert_eq!(
            (d[0].span.start as usize, d[0].message.as_str()),
            (at, "this `{` is never closed")
        );
        assert!(
            matches!(&m.items[..], [item] if matches!(&item.kind, ItemKind::Group(g) if g.name.name == "devs"))
        );
        assert_eq!(m.broken.first().map(|(k, _)| k.as_str()), Some("org"));
        // Indented, or an attribute that happens to be named like an item
        // keyword, it does not end the block.
        for inner in ["  group = \"${path:x}\"", "user = \"${path:x}\""] {
            let text = format!("attributes {{\n{inner}\n}}\n");
            let (m, _) = parse_file(FileId(0), &text);
            assert!(
                matches!(&m.items[..], [item] if matches!(item.kind, ItemKind::Attributes(_))),
                "{text}"
            );
        }
    }

    #[test]
    fn a_repeated_setting_keeps_the_first_and_sets_the_rest_aside() {
        let text =
            "managed_policy M {\n  path \"/a/\"\n  external\n  path \"/b/\"\n  external\n}\n\
                    grant F to G on root until 2026-01-01 owner \"a\" until 2027-01-01\n\
                    instance { replicas \"us-east-1\" replicas \"eu-west-1\", \"eu-west-2\" }\n";
        let m = parse(text);
        let ItemKind::ManagedPolicy(mp) = &m.items[0].kind else {
            panic!("not a managed policy");
        };
        assert_eq!(mp.path.as_ref().map(|s| s.value.as_str()), Some("/a/"));
        let rep: Vec<(&str, &str, &str)> = mp
            .repeated
            .iter()
            .map(|r| {
                (
                    r.keyword,
                    &text[r.span.start as usize..r.span.end as usize],
                    &text[r.first.start as usize..r.first.end as usize],
                )
            })
            .collect();
        assert_eq!(
            rep,
            [
                ("path", "path \"/b/\"", "path \"/a/\""),
                ("external", "external", "external")
            ]
        );
        let ItemKind::Grant(g) = &m.items[1].kind else {
            panic!("not a grant");
        };
        assert_eq!(
            g.until
                .as_ref()
                .and_then(|d| d.value.as_ref().ok())
                .map(|d| d.year()),
            Some(2026)
        );
        assert!(matches!(
            &g.repeated[..],
            [Repeated {
                keyword: "until",
                value: PropValue::Date(DateLit { value: Ok(d), .. }),
                ..
            }] if d.year() == 2027
        ));
        let ItemKind::Instance(i) = &m.items[2].kind else {
            panic!("not an instance");
        };
        assert_eq!(i.replicas.len(), 1);
        assert!(matches!(
            &i.repeated[..],
            [Repeated { keyword: "replicas", value: PropValue::List(l), .. }] if l.len() == 2
        ));
    }

    #[test]
    fn a_quota_keeps_its_digits_and_a_number_beyond_u64_has_no_value() {
        let m =
            parse("quotas { permission_sets 007 provisioned_per_account 1180591620717411303424 }");
        let ItemKind::Quotas(q) = &m.items[0].kind else {
            panic!("not quotas");
        };
        assert_eq!((q[0].value, q[0].text.as_str()), (Some(7), "007"));
        assert_eq!(
            (q[1].value, q[1].text.as_str()),
            (None, "1180591620717411303424")
        );
    }
}
