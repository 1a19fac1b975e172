//! Document symbols: the outline of one file, from its syntax tree.

use accessc_core::ast::*;
use accessc_core::span::{SourceFile, Span};
use lsp_types::{DocumentSymbol, SymbolKind};

use super::convert::range;

/// The outline of a parsed file.
pub fn outline(module: &Module, file: &SourceFile) -> Vec<DocumentSymbol> {
    module
        .items
        .iter()
        .filter_map(|item| item_symbol(item, file))
        .collect()
}

#[allow(deprecated)]
fn symbol(
    file: &SourceFile,
    name: String,
    detail: Option<String>,
    kind: SymbolKind,
    span: Span,
    selection: Span,
    children: Vec<DocumentSymbol>,
) -> DocumentSymbol {
    // The selection must lie inside the range.
    let selection = if selection.start >= span.start && selection.end <= span.end {
        selection
    } else {
        span
    };
    DocumentSymbol {
        name: if name.is_empty() { "_".into() } else { name },
        detail,
        kind,
        tags: None,
        deprecated: None,
        range: range(file, span.start, span.end),
        selection_range: range(file, selection.start, selection.end),
        children: (!children.is_empty()).then_some(children),
    }
}

/// The item's first line, whitespace collapsed, cut at 80 characters.
fn headline(file: &SourceFile, span: Span) -> String {
    let text = file
        .text
        .get(span.start as usize..span.end as usize)
        .unwrap_or("");
    let one: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > 80 {
        let cut: String = one.chars().take(79).collect();
        format!("{cut}…")
    } else {
        one
    }
}

fn keyword_span(item: &Item) -> Span {
    let kw = item.kind.keyword();
    Span {
        end: item.span.start + kw.len() as u32,
        ..item.span
    }
}

fn item_symbol(item: &Item, file: &SourceFile) -> Option<DocumentSymbol> {
    let kw = keyword_span(item);
    let doc = item
        .doc
        .as_ref()
        .map(|d| d.value.lines().next().unwrap_or("").to_string());
    Some(match &item.kind {
        ItemKind::Use(_) => symbol(
            file,
            headline(file, item.span),
            None,
            SymbolKind::MODULE,
            item.span,
            item.span,
            vec![],
        ),
        ItemKind::Instance(_) => symbol(
            file,
            "instance".into(),
            None,
            SymbolKind::OBJECT,
            item.span,
            kw,
            vec![],
        ),
        ItemKind::Attributes(attrs) => {
            let children = attrs
                .iter()
                .map(|a| {
                    symbol(
                        file,
                        a.key.name.clone(),
                        Some(a.value.value.clone()),
                        SymbolKind::PROPERTY,
                        a.key.span.to(a.value.span),
                        a.key.span,
                        vec![],
                    )
                })
                .collect();
            symbol(
                file,
                "attributes".into(),
                None,
                SymbolKind::OBJECT,
                item.span,
                kw,
                children,
            )
        }
        ItemKind::Org(OrgDecl::From(s)) => symbol(
            file,
            "org".into(),
            Some(format!("from {}", s.value)),
            SymbolKind::NAMESPACE,
            item.span,
            kw,
            vec![],
        ),
        ItemKind::Org(OrgDecl::Inline(tree)) => {
            let mut children: Vec<DocumentSymbol> =
                tree.ous.iter().map(|o| ou_symbol(o, file)).collect();
            children.extend(tree.accounts.iter().map(|a| account_symbol(a, file)));
            children.sort_by_key(|s| (s.range.start.line, s.range.start.character));
            symbol(
                file,
                "org".into(),
                None,
                SymbolKind::NAMESPACE,
                item.span,
                kw,
                children,
            )
        }
        ItemKind::Group(g) => symbol(
            file,
            g.name.name.clone(),
            g.display_name
                .as_ref()
                .map(|d| d.value.clone())
                .or(Some("group".into())),
            SymbolKind::CLASS,
            item.span,
            g.name.span,
            vec![],
        ),
        ItemKind::User(u) => symbol(
            file,
            u.name.name.clone(),
            u.user_name
                .as_ref()
                .map(|d| d.value.clone())
                .or(Some("user".into())),
            SymbolKind::VARIABLE,
            item.span,
            u.name.span,
            vec![],
        ),
        ItemKind::Policy(p) => {
            let children = match &p.body {
                PolicyBody::Statements(sts) => statement_symbols(sts, file),
                PolicyBody::FromJson(_) => vec![],
            };
            symbol(
                file,
                p.name.name.clone(),
                doc.or(Some("policy".into())),
                SymbolKind::STRUCT,
                item.span,
                p.name.span,
                children,
            )
        }
        ItemKind::ManagedPolicy(mp) => {
            let mut children = statement_symbols(&mp.statements, file);
            children.extend(mp.blocks.iter().map(|b| in_symbol(b, file)));
            children.sort_by_key(|s| (s.range.start.line, s.range.start.character));
            symbol(
                file,
                mp.name.name.clone(),
                doc.or(Some("managed policy".into())),
                SymbolKind::INTERFACE,
                item.span,
                mp.name.span,
                children,
            )
        }
        ItemKind::Function(f) => symbol(
            file,
            f.name.name.clone(),
            doc.or(Some("function".into())),
            SymbolKind::FUNCTION,
            item.span,
            f.name.span,
            statement_symbols(&f.statements, file),
        ),
        ItemKind::Grant(_) => symbol(
            file,
            headline(file, item.span),
            None,
            SymbolKind::EVENT,
            item.span,
            kw,
            vec![],
        ),
        ItemKind::Forbid(_) | ItemKind::Limit(_) => {
            let name = accessc_core::fmt::rule_line(&item.kind)
                .unwrap_or_else(|| headline(file, item.span));
            symbol(
                file,
                name,
                None,
                SymbolKind::OPERATOR,
                item.span,
                kw,
                vec![],
            )
        }
        ItemKind::Quotas(qs) => {
            let children = qs
                .iter()
                .map(|q| {
                    symbol(
                        file,
                        q.key.name.clone(),
                        Some(q.text.clone()),
                        SymbolKind::CONSTANT,
                        q.span,
                        q.key.span,
                        vec![],
                    )
                })
                .collect();
            symbol(
                file,
                "quotas".into(),
                None,
                SymbolKind::OBJECT,
                item.span,
                kw,
                children,
            )
        }
    })
}

fn ou_symbol(ou: &Ou, file: &SourceFile) -> DocumentSymbol {
    let mut children: Vec<DocumentSymbol> = ou.ous.iter().map(|o| ou_symbol(o, file)).collect();
    children.extend(ou.accounts.iter().map(|a| account_symbol(a, file)));
    children.sort_by_key(|s| (s.range.start.line, s.range.start.character));
    symbol(
        file,
        ou.name.name.clone(),
        ou.id.as_ref().map(|i| i.value.clone()),
        SymbolKind::PACKAGE,
        ou.span,
        ou.name.span,
        children,
    )
}

fn account_symbol(a: &Account, file: &SourceFile) -> DocumentSymbol {
    symbol(
        file,
        a.name.name.clone(),
        Some(a.id.value.clone()),
        SymbolKind::CONSTANT,
        a.span,
        a.name.span,
        vec![],
    )
}

fn in_symbol(b: &InBlock, file: &SourceFile) -> DocumentSymbol {
    let mut children = statement_symbols(&b.statements, file);
    children.extend(b.blocks.iter().map(|b| in_symbol(b, file)));
    children.sort_by_key(|s| (s.range.start.line, s.range.start.character));
    symbol(
        file,
        format!("in {}", b.ou.text()),
        None,
        SymbolKind::NAMESPACE,
        b.span,
        b.ou.span,
        children,
    )
}

fn statement_symbols(sts: &[Statement], file: &SourceFile) -> Vec<DocumentSymbol> {
    sts.iter()
        .map(|st| {
            let effect = match st.effect {
                Effect::Allow => "allow",
                Effect::Deny => "deny",
            };
            let first = st.actions.first().map_or("", |a| a.text.as_str());
            let more = if st.actions.len() > 1 { ", …" } else { "" };
            let (name, sel) = match &st.sid {
                Some(sid) => (sid.name.clone(), sid.span),
                None => (format!("{effect} {first}{more}"), st.span),
            };
            symbol(
                file,
                name,
                Some(format!("{effect} {first}{more}")),
                SymbolKind::FIELD,
                st.span,
                sel,
                vec![],
            )
        })
        .collect()
}
