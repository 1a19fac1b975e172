//! Completion: what may come next at the cursor, read from the document's
//! current text (so it is right while the program is still being checked),
//! filled with the names of the last analysis and the IAM catalog.
//!
//! The grammar decides what may come: the item holding the cursor is parsed
//! up to it ([`accessc_core::parse::expect`]), and the rules pest expects
//! there become keywords (through the keyword table the lexical pass splits
//! items with) or the kinds of names that fit (functions after `grant`,
//! principals after `to`, targets after `on`…), which the last analysis fills.

use super::analysis::Analysis;
use accessc_core::ast::PrincipalKind;
use accessc_core::catalog;
use accessc_core::parse::expect::{self, Expected};
use accessc_core::parse::keywords::{leading_keywords, KEYWORDS};
use accessc_core::parse::text_to_ast::Rule;
use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionList, CompletionTextEdit, Range, TextEdit,
};

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
    /// `principal.tag.` and the other scopes.
    TagScopes,
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
    let bytes = text.as_bytes();
    let mut start = cursor;
    while start > 0 && is_word_byte(bytes[start - 1]) {
        start -= 1;
    }
    let partial = &text[start..cursor];
    let want = if expect::in_comment(text, cursor) {
        Want::Nothing
    } else {
        match expect::expected(text, start) {
            Some(e) => decide(text, &e, start, partial),
            None => Want::Nothing,
        }
    };
    Context {
        start,
        partial: partial.to_string(),
        want,
    }
}

/// What the expected rules let the cursor's word be.
fn decide(text: &str, e: &Expected, start: usize, partial: &str) -> Want {
    let rules = &e.rules;
    let tag_ref = rules.contains(&Rule::condition) || rules.contains(&Rule::tag_scope);
    if tag_ref && TAG_SCOPES.iter().any(|s| partial.starts_with(s)) {
        return Want::TagKeys;
    }
    let toks = tokens(&text[e.item_start..start]);
    // An item keyword starts a new item only at the start of a line.
    let line_start = text[..start]
        .rsplit('\n')
        .next()
        .is_some_and(|l| l.trim().is_empty());
    let mut names: Vec<Want> = Vec::new();
    let mut keywords: Vec<Rule> = Vec::new();
    let mut star = false;
    for &r in rules {
        let name = match r {
            Rule::EOI => {
                if line_start {
                    keywords.extend(KEYWORDS.iter().filter(|k| k.item).map(|k| k.rule));
                }
                continue;
            }
            Rule::principal => Want::Principals {
                groups: true,
                users: true,
            },
            Rule::target => Want::Targets,
            Rule::ident | Rule::ident_list | Rule::ou_path => name_slot(&toks),
            Rule::policy_ref => match list_head(&toks) {
                "managed" => Want::ManagedPolicies {
                    declared: false,
                    aws: true,
                },
                "boundary" => Want::ManagedPolicies {
                    declared: true,
                    aws: true,
                },
                _ => Want::Nothing,
            },
            Rule::action => Want::Actions,
            Rule::condition => Want::ConditionStart,
            Rule::tag_scope => Want::TagScopes,
            Rule::std_path => Want::StdModules,
            Rule::duration => Want::Durations,
            Rule::resource => {
                star = true;
                continue;
            }
            r => {
                keywords.extend(leading_keywords(r));
                continue;
            }
        };
        if name != Want::Nothing && !names.contains(&name) {
            names.push(name);
        }
    }
    let mut words: Vec<&'static str> = Vec::new();
    if star {
        words.push("*");
    }
    words.extend(
        KEYWORDS
            .iter()
            .filter(|k| keywords.contains(&k.rule))
            .map(|k| k.text),
    );
    if !words.is_empty() {
        names.push(Want::Keywords(words));
    }
    names
        .into_iter()
        .reduce(|a, b| Want::Both(Box::new(a), Box::new(b)))
        .unwrap_or(Want::Nothing)
}

/// The names a name written at the end of `toks` may be: the word that
/// begins the list it is in and the item it is in decide.
fn name_slot(toks: &[&str]) -> Want {
    let item = toks.first().copied().unwrap_or("");
    match (item, list_head(toks)) {
        ("quotas", _) => Want::QuotaKeys,
        ("grant", "grant") | ("forbid", "forbid" | "with" | "user") | ("limit", "limit") => {
            Want::Functions
        }
        ("grant", "group") => Want::Principals {
            groups: true,
            users: false,
        },
        ("grant", "user") => Want::Principals {
            groups: false,
            users: true,
        },
        ("grant" | "forbid" | "limit", "account") => Want::Accounts,
        ("function", "inline") => Want::Policies,
        ("function", "customer") => Want::ManagedPolicies {
            declared: true,
            aws: false,
        },
        ("managed_policy", "in" | "except") => Want::OuPaths,
        _ => Want::Nothing,
    }
}

/// The word before the list that `toks` ends in (`grant A, B,` → `grant`).
fn list_head<'t>(toks: &[&'t str]) -> &'t str {
    let mut i = toks.len();
    while i >= 2 && toks[i - 1] == "," {
        i -= 2;
    }
    match i {
        0 => "",
        _ => toks[i - 1],
    }
}

/// The tokens of an item's text: words, strings and punctuation, without
/// comments.
fn tokens(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let s = i;
        match bytes[i] {
            b if b.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = text[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |n| i + 2 + n + 2);
                continue;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(bytes.len());
            }
            b if is_word_byte(b) => {
                while i < bytes.len() && is_word_byte(bytes[i]) {
                    i += 1;
                }
            }
            _ => {
                i += 1;
                while i < bytes.len() && !text.is_char_boundary(i) {
                    i += 1;
                }
            }
        }
        out.push(&text[s..i]);
    }
    out
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
                for (i, ou) in m.org.ous.iter_enumerated() {
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
        Want::TagScopes => {
            for s in TAG_SCOPES {
                out.push(s, CompletionItemKind::KEYWORD, None);
            }
        }
        Want::ConditionStart => {
            fill(&Want::TagScopes, ctx, a, out, range_of);
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
        assert_eq!(want("managed_policy M {\n  except |"), Want::OuPaths);
        assert_eq!(want("managed_policy M {\n  except A, |"), Want::OuPaths);
        assert_eq!(want("use |"), Want::StdModules);
        assert_eq!(want("// grant |"), Want::Nothing);
        assert_eq!(want("group \"a |"), Want::Nothing);
        assert_eq!(want("limit A to |"), Want::Targets);
        assert_eq!(want("forbid A with |"), Want::Functions);
    }

    /// What the grammar allows where the clause-by-clause reading of the
    /// text did not know it.
    #[test]
    fn contexts_the_grammar_decides() {
        assert_eq!(want("limit A to account |"), Want::Accounts);
        assert_eq!(
            want("forbid user |"),
            Want::Both(
                Box::new(Want::Functions),
                Box::new(Want::Keywords(vec!["on"]))
            )
        );
        assert_eq!(want("forbid user A |"), Want::Keywords(vec!["on"]));
        assert_eq!(
            want("policy P {\n  allow s3:GetObject on not |"),
            Want::Keywords(vec!["*"])
        );
        assert_eq!(
            want("policy P {\n  allow s3:GetObject on |"),
            Want::Keywords(vec!["*", "not"])
        );
        assert_eq!(
            want("policy P {\n  allow s3:GetObject on * when resource.tag.X == |"),
            Want::TagScopes
        );
        assert_eq!(
            want("policy P {\n  allow s3:GetObject\n  |"),
            Want::Keywords(vec!["on"])
        );
        assert_eq!(want("group a \"A\" |"), Want::Keywords(vec!["id"]));
        assert_eq!(
            want("org {\n  account a \"111111111111\" |"),
            Want::Keywords(vec![
                "root",
                "management",
                "ou",
                "account",
                "suspended",
                "pending_closure",
                "closed"
            ])
        );
        // Item keywords at the start of a line only where the item may end.
        assert_eq!(want("grant A\n|"), Want::Keywords(vec!["to"]));
        let Want::Keywords(k) = want("grant A to b on root\n|") else {
            panic!("not keywords");
        };
        assert_eq!(k[..3], ["except", "owner", "until"]);
        assert!(k.contains(&"grant") && k.len() == 3 + ITEM_KEYWORDS.len());
        assert_eq!(
            want("grant A to b on root |"),
            Want::Keywords(vec!["except", "owner", "until"])
        );
        // A syntax error on an earlier line of the item is set aside; one on
        // the cursor's line leaves nothing to offer.
        assert_eq!(
            want("function F {\n  session \"4h\"\n  se|"),
            Want::Keywords(FUNCTION_KEYWORDS.to_vec())
        );
        assert_eq!(want("grant A to b on X bad |"), Want::Nothing);
    }
}
