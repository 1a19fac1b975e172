//! Completion: what may come next at the cursor, read from the document's
//! current text (so it is right while the program is still being checked),
//! filled with the names of the last analysis and the IAM catalog.
//!
//! The text before the cursor is scanned once (comments, strings, braces and
//! item boundaries as the parser's lexical pass sees them); the clause the
//! cursor is in (`grant … to`, `on`, `inline`, an `allow` action list,
//! `principal.tag.`) decides what is offered.

use super::analysis::Analysis;
use accessc_core::ast::PrincipalKind;
use accessc_core::catalog;
use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionList, CompletionTextEdit, Range, TextEdit,
};

const ITEM_KEYWORDS: &[&str] = &[
    "use",
    "instance",
    "attributes",
    "org",
    "group",
    "user",
    "policy",
    "managed_policy",
    "function",
    "grant",
    "forbid",
    "limit",
    "quotas",
];
const CONTINUES: &[&str] = &["to", "with", "on", "except", "forbid"];
const BLOCK_OPENERS: &[&str] = &[
    "function",
    "policy",
    "managed_policy",
    "in",
    "org",
    "ou",
    "instance",
    "attributes",
    "quotas",
];
const FUNCTION_KEYWORDS: &[&str] = &[
    "description",
    "session",
    "relay",
    "managed",
    "customer",
    "boundary",
    "inline",
    "tags",
    "break_glass",
    "name",
    "allow",
    "deny",
];
const STATEMENT_KEYWORDS: &[&str] = &["allow", "deny"];
const MANAGED_POLICY_KEYWORDS: &[&str] =
    &["path", "description", "external", "in", "allow", "deny"];
const IN_KEYWORDS: &[&str] = &["in", "allow", "deny"];
const ORG_KEYWORDS: &[&str] = &["root", "management", "ou", "account"];
const OU_KEYWORDS: &[&str] = &["ou", "account"];
const INSTANCE_KEYWORDS: &[&str] = &["arn", "identity_store", "region", "replicas"];
const QUOTA_KEYS: &[&str] = &[
    "managed_policies",
    "permission_sets",
    "provisioned_per_account",
];
const OPERATORS: &[&str] = &[
    "StringEquals",
    "StringNotEquals",
    "StringLike",
    "StringNotLike",
    "StringEqualsIgnoreCase",
    "ArnLike",
    "ArnNotLike",
    "ArnEquals",
    "Bool",
    "NumericEquals",
    "NumericLessThan",
    "NumericGreaterThan",
    "DateLessThan",
    "DateGreaterThan",
    "IpAddress",
    "NotIpAddress",
    "Null",
    "ForAnyValue:StringEquals",
    "ForAllValues:StringEquals",
];
const TAG_SCOPES: &[&str] = &["principal.tag.", "resource.tag.", "request.tag."];
const DURATIONS: &[&str] = &["1h", "2h", "4h", "8h", "12h"];
/// Lists longer than this are cut (and marked incomplete).
const MAX_ITEMS: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Word,
    Str,
    Punct(u8),
}

#[derive(Debug, Clone, Copy)]
struct Token<'t> {
    kind: Tok,
    text: &'t str,
    start: usize,
    /// The brace depth the token is at (both braces of a block at the outer one).
    depth: usize,
}

/// What may be written at the cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Want {
    Nothing,
    Keywords(Vec<&'static str>),
    Functions,
    /// Groups and/or users (and the `group`/`user` keywords when both).
    Principals {
        groups: bool,
        users: bool,
    },
    /// `root`, `account`, OU paths.
    Targets,
    OuPaths,
    Accounts,
    Policies,
    /// Declared managed policies, and AWS-managed ones when `aws`.
    ManagedPolicies {
        declared: bool,
        aws: bool,
    },
    Actions,
    /// The keys after `principal.tag.` (and the other scopes).
    TagKeys,
    ConditionStart,
    StdModules,
    Durations,
    QuotaKeys,
    /// Several of the above.
    Both(Box<Want>, Box<Want>),
}

/// The cursor's context: the word being typed and what may replace it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// Byte offset where the word being typed starts (the cursor is its end).
    pub start: usize,
    pub partial: String,
    pub want: Want,
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'_' | b'-' | b':' | b'*' | b'?' | b'/' | b'.' | b'@' | b'+'
        )
}

/// Read the context at byte offset `cursor` of `text`.
pub fn context(text: &str, cursor: usize) -> Context {
    let mut cursor = cursor.min(text.len());
    while !text.is_char_boundary(cursor) {
        cursor -= 1;
    }
    let bytes = &text.as_bytes()[..cursor];
    let mut toks: Vec<Token> = Vec::new();
    let mut blocks: Vec<&str> = Vec::new();
    let mut depth = 0usize;
    let mut line_start = true;
    let mut last_line_start_tok: Option<usize> = None;
    let mut i = 0;
    let nothing = |start| Context {
        start,
        partial: String::new(),
        want: Want::Nothing,
    };
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'\n' => {
                line_start = true;
                i += 1;
            }
            b' ' | b'\t' | b'\r' => i += 1,
            b'/' if bytes.get(i + 1) == Some(&b'/') => match text[i..cursor].find('\n') {
                Some(n) => i += n,
                None => return nothing(cursor),
            },
            b'/' if bytes.get(i + 1) == Some(&b'*') => match text[i + 2..cursor].find("*/") {
                Some(n) => i += 2 + n + 2,
                None => return nothing(cursor),
            },
            b'"' => {
                let s = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                if i >= bytes.len() {
                    return nothing(cursor);
                }
                i += 1;
                toks.push(Token {
                    kind: Tok::Str,
                    text: &text[s..i],
                    start: s,
                    depth,
                });
                line_start = false;
            }
            _ if is_word_byte(b) => {
                let s = i;
                while i < bytes.len() && is_word_byte(bytes[i]) {
                    i += 1;
                }
                let word = &text[s..i];
                let last = toks.last();
                let continues =
                    last.is_some_and(|t| t.kind == Tok::Punct(b',') || CONTINUES.contains(&t.text));
                if depth == 0
                    && line_start
                    && ITEM_KEYWORDS.contains(&word)
                    && !((word == "group" || word == "user") && continues)
                {
                    toks.clear();
                    blocks.clear();
                }
                if line_start {
                    last_line_start_tok = Some(toks.len());
                }
                toks.push(Token {
                    kind: Tok::Word,
                    text: word,
                    start: s,
                    depth,
                });
                line_start = false;
            }
            _ => {
                let s = i;
                // One whole character.
                i += 1;
                while i < bytes.len() && !text.is_char_boundary(i) {
                    i += 1;
                }
                let tok_depth = if b == b'}' {
                    depth = depth.saturating_sub(1);
                    blocks.pop();
                    depth
                } else {
                    depth
                };
                if b == b'{' {
                    let opener = toks
                        .iter()
                        .rev()
                        .take_while(|t| t.depth >= depth)
                        .filter(|t| t.depth == depth && t.kind == Tok::Word)
                        .find(|t| BLOCK_OPENERS.contains(&t.text))
                        .map_or("", |t| t.text);
                    blocks.push(opener);
                    depth += 1;
                }
                toks.push(Token {
                    kind: Tok::Punct(b),
                    text: &text[s..i],
                    start: s,
                    depth: tok_depth,
                });
                line_start = false;
            }
        }
    }
    // The word being typed, if the cursor is at its end.
    let (start, partial) = match toks.last() {
        Some(t) if t.kind == Tok::Word && t.start + t.text.len() == cursor => {
            let t = toks.pop().map(|t| (t.start, t.text.to_string()));
            t.unwrap_or((cursor, String::new()))
        }
        _ => (cursor, String::new()),
    };
    // Whether the word starts its line.
    let at_line_start = text[..start]
        .rsplit('\n')
        .next()
        .is_some_and(|l| l.trim().is_empty());
    let _ = last_line_start_tok;
    let want = decide(&toks, &blocks, depth, &partial, at_line_start);
    Context {
        start,
        partial,
        want,
    }
}

fn decide(toks: &[Token], blocks: &[&str], depth: usize, partial: &str, line_start: bool) -> Want {
    if TAG_SCOPES.iter().any(|s| partial.starts_with(s)) {
        return Want::TagKeys;
    }
    let prev = toks.last();
    let Some(first) = toks.first() else {
        return if depth == 0 {
            Want::Keywords(ITEM_KEYWORDS.to_vec())
        } else {
            Want::Nothing
        };
    };
    let prev_text = prev.map_or("", |t| t.text);
    let after_comma = prev.is_some_and(|t| t.kind == Tok::Punct(b','));
    if depth == 0 {
        let clause = |set: &[&str]| -> Option<&str> {
            toks.iter()
                .rev()
                .filter(|t| t.kind == Tok::Word)
                .map(|t| t.text)
                .find(|w| set.contains(w))
        };
        let want = match first.text {
            "use" if toks.len() == 1 => Want::StdModules,
            "org" if toks.len() == 1 => Want::Keywords(vec!["from"]),
            "group" | "user" if toks.len() == 2 => Want::Keywords(vec!["id"]),
            "policy" if toks.len() == 2 => Want::Keywords(vec!["from"]),
            "policy" if toks.len() == 3 && prev_text == "from" => Want::Keywords(vec!["json"]),
            "grant" => {
                let c =
                    clause(&["grant", "to", "on", "except", "owner", "until"]).unwrap_or("grant");
                let open = after_comma
                    || prev_text == c
                    || ["group", "user", "account"].contains(&prev_text);
                match (c, open) {
                    ("grant", true) => Want::Functions,
                    ("to", true) => match prev_text {
                        "user" => Want::Principals {
                            groups: false,
                            users: true,
                        },
                        "group" => Want::Principals {
                            groups: true,
                            users: false,
                        },
                        _ => Want::Principals {
                            groups: true,
                            users: true,
                        },
                    },
                    ("on" | "except", true) if prev_text == "account" => Want::Accounts,
                    ("on" | "except", true) => Want::Targets,
                    ("grant", false) => Want::Keywords(vec!["to"]),
                    ("to", false) => Want::Keywords(vec!["on"]),
                    ("on", false) => Want::Keywords(vec!["except", "owner", "until"]),
                    ("except", false) => Want::Keywords(vec!["owner", "until"]),
                    ("owner", false) => Want::Keywords(vec!["until"]),
                    ("until", false) => Want::Keywords(vec!["owner"]),
                    _ => Want::Nothing,
                }
            }
            "forbid" => {
                let c = clause(&["forbid", "with", "on"]).unwrap_or("forbid");
                let open = after_comma || prev_text == c || prev_text == "user";
                match (c, open) {
                    ("on", true) if prev_text == "account" => Want::Accounts,
                    ("on", true) => Want::Targets,
                    ("on", false) if prev_text == "account" => Want::Accounts,
                    ("forbid", true) if prev_text == "forbid" => Want::Both(
                        Box::new(Want::Functions),
                        Box::new(Want::Keywords(vec!["user"])),
                    ),
                    ("forbid" | "with", true) => Want::Functions,
                    ("forbid", false) => Want::Keywords(vec!["with", "on"]),
                    ("with", false) => Want::Keywords(vec!["on"]),
                    _ => Want::Nothing,
                }
            }
            "limit" => {
                let c = clause(&["limit", "to"]).unwrap_or("limit");
                let open = after_comma || prev_text == c;
                match (c, open) {
                    ("limit", true) => Want::Functions,
                    ("to", true) if prev_text == "account" => Want::Accounts,
                    ("to", true) => Want::Targets,
                    ("limit", false) => Want::Keywords(vec!["to"]),
                    _ => Want::Nothing,
                }
            }
            _ => Want::Nothing,
        };
        // A new line after a complete clause may start the next item.
        if line_start
            && !after_comma
            && !matches!(
                want,
                Want::Functions | Want::Principals { .. } | Want::Targets | Want::Accounts
            )
        {
            return match want {
                Want::Nothing => Want::Keywords(ITEM_KEYWORDS.to_vec()),
                w => Want::Both(
                    Box::new(w),
                    Box::new(Want::Keywords(ITEM_KEYWORDS.to_vec())),
                ),
            };
        }
        return want;
    }
    // Inside a block.
    let block = blocks.last().copied().unwrap_or("");
    let (clauses, statement_start): (&[&str], &[&str]) = match block {
        "function" => (
            &[
                "session",
                "managed",
                "customer",
                "boundary",
                "inline",
                "tags",
                "break_glass",
                "name",
                "description",
                "relay",
                "allow",
                "deny",
                "not",
                "on",
                "when",
                "and",
                "notify",
            ],
            FUNCTION_KEYWORDS,
        ),
        "policy" => (
            &["allow", "deny", "not", "on", "when", "and"],
            STATEMENT_KEYWORDS,
        ),
        "managed_policy" => (
            &[
                "path",
                "description",
                "external",
                "in",
                "allow",
                "deny",
                "not",
                "on",
                "when",
                "and",
            ],
            MANAGED_POLICY_KEYWORDS,
        ),
        "in" => (
            &["in", "allow", "deny", "not", "on", "when", "and"],
            IN_KEYWORDS,
        ),
        "org" => (ORG_KEYWORDS, ORG_KEYWORDS),
        "ou" => (OU_KEYWORDS, OU_KEYWORDS),
        "instance" => (INSTANCE_KEYWORDS, INSTANCE_KEYWORDS),
        "quotas" => (&[], &[]),
        _ => (&[], &[]),
    };
    // The nearest clause keyword of this block, before the cursor.
    let clause = toks
        .iter()
        .rev()
        .take_while(|t| t.depth >= depth)
        .filter(|t| t.depth == depth && t.kind == Tok::Word)
        .map(|t| t.text)
        .find(|w| clauses.contains(w));
    let block_start = prev.is_none_or(|t| t.kind == Tok::Punct(b'{') || t.kind == Tok::Punct(b'}'));
    if block == "quotas" {
        return if line_start || block_start {
            Want::QuotaKeys
        } else {
            Want::Nothing
        };
    }
    if block_start {
        return Want::Keywords(statement_start.to_vec());
    }
    let open = after_comma || Some(prev_text) == clause || prev_text == "not";
    let want = match (clause.unwrap_or(""), open) {
        ("allow" | "deny", true) => {
            if prev_text == "allow" || prev_text == "deny" {
                Want::Both(
                    Box::new(Want::Actions),
                    Box::new(Want::Keywords(vec!["not"])),
                )
            } else {
                Want::Actions
            }
        }
        ("not", true) => Want::Actions,
        ("allow" | "deny" | "not", false) => Want::Keywords(vec!["on"]),
        ("on", true) if prev_text == "on" => Want::Keywords(vec!["*", "not"]),
        ("on", true) => Want::Keywords(vec!["*"]),
        ("on", false) => Want::Keywords(vec!["when"]),
        ("when" | "and", true) => Want::ConditionStart,
        ("when" | "and", false) => Want::Keywords(vec!["and"]),
        ("session", true) => Want::Durations,
        ("managed", true) => Want::ManagedPolicies {
            declared: false,
            aws: true,
        },
        ("customer", true) => Want::ManagedPolicies {
            declared: true,
            aws: false,
        },
        ("boundary", true) => Want::ManagedPolicies {
            declared: true,
            aws: true,
        },
        ("inline", true) => Want::Policies,
        ("break_glass", _) => Want::Keywords(vec!["notify"]),
        ("in", true) if block != "function" => Want::OuPaths,
        _ => Want::Nothing,
    };
    if line_start && !after_comma && !open {
        return match want {
            Want::Nothing => Want::Keywords(statement_start.to_vec()),
            w => Want::Both(
                Box::new(w),
                Box::new(Want::Keywords(statement_start.to_vec())),
            ),
        };
    }
    want
}

/// The completion list for a context.
pub fn complete(
    ctx: &Context,
    analysis: Option<&Analysis>,
    range_of: &dyn Fn(usize) -> Range,
) -> CompletionList {
    let mut out = Items {
        items: Vec::new(),
        later: Vec::new(),
        incomplete: false,
        partial: &ctx.partial,
        range: range_of(ctx.start),
    };
    fill(&ctx.want, ctx, analysis, &mut out, range_of);
    let later = std::mem::take(&mut out.later);
    out.items.extend(later);
    // Keep this order in clients that sort by `sortText`.
    for (i, item) in out.items.iter_mut().enumerate() {
        item.sort_text = Some(format!("{i:05}"));
    }
    if out.items.len() > MAX_ITEMS {
        out.items.truncate(MAX_ITEMS);
        out.incomplete = true;
    }
    CompletionList {
        is_incomplete: out.incomplete,
        items: out.items,
    }
}

struct Items<'p> {
    items: Vec<CompletionItem>,
    /// Items that contain the typed word but do not start with it: after the others.
    later: Vec<CompletionItem>,
    incomplete: bool,
    partial: &'p str,
    range: Range,
}

impl Items<'_> {
    /// Add `label` (replacing the word being typed) if it matches the word.
    fn push(&mut self, label: &str, kind: CompletionItemKind, detail: Option<String>) {
        self.push_at(
            label,
            label,
            self.range,
            kind,
            detail,
            self.partial.to_string(),
        );
    }

    fn push_at(
        &mut self,
        label: &str,
        new_text: &str,
        range: Range,
        kind: CompletionItemKind,
        detail: Option<String>,
        typed: String,
    ) {
        let (matches, prefix) = if typed.is_empty() {
            (true, true)
        } else {
            let l = new_text.to_ascii_lowercase();
            let t = typed.to_ascii_lowercase();
            if l.starts_with(&t) {
                (true, true)
            } else {
                // Filtered here: ask again as the word grows.
                self.incomplete = true;
                (l.contains(&t), false)
            }
        };
        if !matches {
            return;
        }
        let list = if prefix {
            &mut self.items
        } else {
            &mut self.later
        };
        list.push(CompletionItem {
            label: label.to_string(),
            kind: Some(kind),
            detail,
            filter_text: (label != new_text).then(|| new_text.to_string()),
            text_edit: Some(CompletionTextEdit::Edit(TextEdit {
                range,
                new_text: new_text.to_string(),
            })),
            ..CompletionItem::default()
        });
    }
}

fn fill(
    want: &Want,
    ctx: &Context,
    a: Option<&Analysis>,
    out: &mut Items,
    range_of: &dyn Fn(usize) -> Range,
) {
    let model = a.map(|a| &a.checked.model);
    match want {
        Want::Nothing => {}
        Want::Both(x, y) => {
            fill(x, ctx, a, out, range_of);
            fill(y, ctx, a, out, range_of);
        }
        Want::Keywords(kws) => {
            for k in kws {
                out.push(k, CompletionItemKind::KEYWORD, None);
            }
        }
        Want::StdModules => {
            for (m, _) in accessc_core::load::STD_MODULES {
                out.push(
                    &format!("std::{m}"),
                    CompletionItemKind::MODULE,
                    Some("standard library".into()),
                );
            }
        }
        Want::Durations => {
            for d in DURATIONS {
                out.push(d, CompletionItemKind::VALUE, None);
            }
        }
        Want::QuotaKeys => {
            for q in QUOTA_KEYS {
                out.push(q, CompletionItemKind::PROPERTY, None);
            }
        }
        Want::Functions => {
            for f in model.iter().flat_map(|m| m.functions.values()) {
                let detail = match &f.description {
                    Some(d) => d.lines().next().unwrap_or("").to_string(),
                    None => format!("permission set {}", f.aws_name),
                };
                out.push(&f.name, CompletionItemKind::FUNCTION, Some(detail));
            }
        }
        Want::Principals { groups, users } => {
            if *groups && *users {
                out.push("group", CompletionItemKind::KEYWORD, None);
                out.push("user", CompletionItemKind::KEYWORD, None);
            }
            for p in model.iter().flat_map(|m| m.principals.iter()) {
                let ok = match p.kind {
                    PrincipalKind::Group => *groups,
                    PrincipalKind::User => *users,
                };
                if ok {
                    let kind = match p.kind {
                        PrincipalKind::Group => CompletionItemKind::CLASS,
                        PrincipalKind::User => CompletionItemKind::VARIABLE,
                    };
                    out.push(
                        &p.name,
                        kind,
                        Some(format!("{} {}", p.kind.keyword(), p.display_name)),
                    );
                }
            }
        }
        Want::Targets => {
            out.push(
                "root",
                CompletionItemKind::KEYWORD,
                Some("every account".into()),
            );
            out.push("account", CompletionItemKind::KEYWORD, None);
            fill(&Want::OuPaths, ctx, a, out, range_of);
        }
        Want::OuPaths => {
            if let Some(m) = model {
                for (i, ou) in m.org.ous.iter().enumerate() {
                    let mut under = Vec::new();
                    m.org.accounts_under(i, &mut under);
                    out.push(
                        &ou.path,
                        CompletionItemKind::MODULE,
                        Some(format!(
                            "OU · {} account{}",
                            under.len(),
                            if under.len() == 1 { "" } else { "s" }
                        )),
                    );
                }
            }
        }
        Want::Accounts => {
            if let Some(m) = model {
                for acc in &m.org.accounts {
                    let place = acc
                        .ou
                        .map_or("root".to_string(), |o| m.org.ous[o].path.clone());
                    out.push(
                        &acc.name,
                        CompletionItemKind::CONSTANT,
                        Some(format!("{} · {place}", acc.id)),
                    );
                }
            }
        }
        Want::Policies => {
            for p in model.iter().flat_map(|m| m.policies.values()) {
                out.push(
                    &p.name,
                    CompletionItemKind::STRUCT,
                    Some(format!("policy · {} statements", p.statements.len())),
                );
            }
        }
        Want::ManagedPolicies { declared, aws } => {
            if *declared {
                for mp in model.iter().flat_map(|m| m.managed_policies.values()) {
                    out.push(
                        &mp.name,
                        CompletionItemKind::INTERFACE,
                        Some(format!("managed policy · {}", mp.path)),
                    );
                }
            }
            if *aws {
                for name in catalog::managed_policies().names() {
                    let arn = catalog::managed_policies().arn(name).map(str::to_string);
                    out.push(name, CompletionItemKind::INTERFACE, arn);
                }
            }
        }
        Want::Actions => match ctx.partial.split_once(':') {
            Some((prefix, _)) => {
                if let Some(service) = catalog::iam().service(prefix) {
                    for (name, level) in service.actions() {
                        let full = format!("{}:{name}", service.prefix);
                        out.push(
                            &full,
                            CompletionItemKind::METHOD,
                            Some(format!("{level} · {}", service.name)),
                        );
                    }
                }
            }
            None => {
                out.push(
                    "*",
                    CompletionItemKind::KEYWORD,
                    Some("every action".into()),
                );
                for s in catalog::iam().services() {
                    out.push(
                        &format!("{}:", s.prefix),
                        CompletionItemKind::MODULE,
                        Some(s.name.to_string()),
                    );
                }
            }
        },
        Want::ConditionStart => {
            for s in TAG_SCOPES {
                out.push(s, CompletionItemKind::KEYWORD, None);
            }
            for op in OPERATORS {
                out.push(op, CompletionItemKind::OPERATOR, None);
            }
        }
        Want::TagKeys => {
            let Some(scope) = TAG_SCOPES.iter().find(|s| ctx.partial.starts_with(**s)) else {
                return;
            };
            let key_start = ctx.start + scope.len();
            let typed = ctx.partial[scope.len()..].to_string();
            let range = Range::new(range_of(key_start).start, out.range.end);
            for attr in model.iter().flat_map(|m| m.attributes.values()) {
                out.push_at(
                    &attr.key,
                    &attr.key,
                    range,
                    CompletionItemKind::PROPERTY,
                    Some(attr.value.clone()),
                    typed.clone(),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn want(text: &str) -> Want {
        let at = text.find('|').expect("cursor");
        let t = text.replace('|', "");
        context(&t, at).want
    }

    #[test]
    fn contexts() {
        assert_eq!(want("gr|"), Want::Keywords(ITEM_KEYWORDS.to_vec()));
        assert_eq!(want("grant A|"), Want::Functions);
        assert_eq!(want("grant A, |"), Want::Functions);
        assert_eq!(want("grant A |"), Want::Keywords(vec!["to"]));
        assert_eq!(
            want("grant A to |"),
            Want::Principals {
                groups: true,
                users: true
            }
        );
        assert_eq!(
            want("grant A to user |"),
            Want::Principals {
                groups: false,
                users: true
            }
        );
        assert_eq!(want("grant A to b on Work|"), Want::Targets);
        assert_eq!(want("grant A to b on account |"), Want::Accounts);
        assert_eq!(want("grant A to b\n  on X,\n  Y|"), Want::Targets);
        assert_eq!(want("function F {\n  inline A, |\n}"), Want::Policies);
        assert_eq!(
            want("function F {\n  boundary |"),
            Want::ManagedPolicies {
                declared: true,
                aws: true
            }
        );
        assert_eq!(
            want("function F {\n  se|"),
            Want::Keywords(FUNCTION_KEYWORDS.to_vec())
        );
        assert_eq!(
            want("policy P {\n  allow s3:Get|"),
            Want::Both(
                Box::new(Want::Actions),
                Box::new(Want::Keywords(vec!["not"]))
            )
        );
        assert_eq!(
            want("policy P {\n  X: allow s3:GetObject, ec|"),
            Want::Actions
        );
        assert_eq!(
            want("policy P {\n  allow s3:GetObject on * when principal.tag.D|"),
            Want::TagKeys
        );
        assert_eq!(
            want("policy P {\n  allow s3:GetObject on * when |"),
            Want::ConditionStart
        );
        assert_eq!(want("managed_policy M {\n  in |"), Want::OuPaths);
        assert_eq!(want("use |"), Want::StdModules);
        assert_eq!(want("// grant |"), Want::Nothing);
        assert_eq!(want("group \"a |"), Want::Nothing);
        assert_eq!(want("limit A to |"), Want::Targets);
        assert_eq!(want("forbid A with |"), Want::Functions);
    }
}
