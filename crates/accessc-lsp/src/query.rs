//! What is at a position: a declared name (from the checker's
//! [`SymbolIndex`](accessc_core::check::SymbolIndex)), an IAM action, an AWS-managed
//! policy, a `use`, or a file named by `org from` / `from json`; and where a
//! name is defined and used.

use super::analysis::Analysis;
use accessc_core::ast::*;
use accessc_core::check::Kind;
use accessc_core::load::External;
use accessc_core::model::AccountIdx;
use accessc_core::span::{FileId, Span};
use std::path::PathBuf;

/// The thing under the cursor.
#[derive(Debug, Clone)]
pub enum Found {
    /// A name of the program, where it is defined or used.
    Name {
        kind: Kind,
        name: String,
        span: Span,
    },
    /// `s3:GetObject`, `ec2:Describe*`, `*` in a statement.
    Action { text: String, span: Span },
    /// An AWS-managed policy named after `managed` or `boundary`.
    AwsManaged { name: String, span: Span },
    /// `use std::guards`.
    StdModule { name: String, span: Span },
    /// `use "shared/common.access"`.
    UseFile { path: PathBuf, span: Span },
    /// The string of `org from "org.json"` or `policy P from json "p.json"`.
    External { file: Option<FileId>, span: Span },
    /// A quoted account id among a grant's or rule's targets.
    AccountId { account: AccountIdx, span: Span },
}

impl Found {
    pub fn span(&self) -> Span {
        match self {
            Found::Name { span, .. }
            | Found::Action { span, .. }
            | Found::AwsManaged { span, .. }
            | Found::StdModule { span, .. }
            | Found::UseFile { span, .. }
            | Found::External { span, .. }
            | Found::AccountId { span, .. } => *span,
        }
    }
}

fn contains(span: Span, file: FileId, offset: u32) -> bool {
    span.file == file && span.start <= offset && offset <= span.end
}

/// What is at `offset` in `file`.
pub fn at(a: &Analysis, file: FileId, offset: u32) -> Option<Found> {
    let module = a.module(file)?;
    // The syntax first: things the symbol index does not hold.
    if let Some(found) = syntax_at(a, module, offset) {
        return Some(found);
    }
    let index = &a.checked.index;
    let attrs = a
        .checked
        .model
        .attributes
        .values()
        .map(|d| (Kind::Attribute, &d.key, d.span));
    let best = index
        .definitions
        .iter()
        .chain(index.references.iter())
        .map(|(k, n, s)| (*k, n, *s))
        .chain(attrs)
        .filter(|(_, _, s)| contains(*s, file, offset))
        .min_by_key(|(_, _, s)| s.len())?;
    let (kind, name, span) = (best.0, best.1.clone(), best.2);
    if kind == Kind::Ou {
        if let Some(found) = ou_segment(module, &name, span, offset) {
            return Some(found);
        }
    }
    Some(Found::Name { kind, name, span })
}

/// In `Workloads/NonProd`, the cursor on `Workloads` means that OU.
fn ou_segment(module: &Module, resolved: &str, span: Span, offset: u32) -> Option<Found> {
    let mut path: Option<&OuPath> = None;
    for item in &module.items {
        if !(item.span.start <= span.start && span.end <= item.span.end) {
            continue;
        }
        visit_item(item, &mut |node| {
            if let Node::OuPath(p) = node {
                if p.span == span {
                    path = Some(p);
                }
            }
        });
    }
    let path = path?;
    let i = path
        .segments
        .iter()
        .position(|s| s.span.start <= offset && offset <= s.span.end)?;
    let all: Vec<&str> = resolved.split('/').collect();
    let n = path.segments.len();
    if all.len() < n {
        return None;
    }
    let keep = all.len() - n + i + 1;
    let seg = &path.segments[i];
    Some(Found::Name {
        kind: Kind::Ou,
        name: all[..keep].join("/"),
        span: seg.span,
    })
}

/// The nodes of the syntax tree that the symbol index does not cover.
pub enum Node<'a> {
    Action(&'a Action),
    OuPath(&'a OuPath),
    /// A policy named after `managed` (`boundary: false`) or `boundary`.
    PolicyName(&'a Ident, bool),
    Use(&'a Use),
    OrgFrom(&'a Str),
    PolicyJson(&'a Str),
    AccountId(&'a Str),
}

fn syntax_at(a: &Analysis, module: &Module, offset: u32) -> Option<Found> {
    let file = module.file;
    let i = module.items.partition_point(|it| it.span.end < offset);
    let mut found = None;
    for item in module.items[i..]
        .iter()
        .take_while(|it| it.span.start <= offset)
    {
        visit_item(item, &mut |node| {
            let hit = match node {
                Node::Action(act) if contains(act.span, file, offset) => Some(Found::Action {
                    text: act.text.clone(),
                    span: act.span,
                }),
                Node::PolicyName(id, boundary) if contains(id.span, file, offset) => {
                    let declared = boundary
                        && a.checked
                            .model
                            .managed_policies
                            .contains_key(id.name.as_str());
                    (!declared).then(|| Found::AwsManaged {
                        name: id.name.clone(),
                        span: id.span,
                    })
                }
                Node::Use(Use::Std { module, span }) if contains(*span, file, offset) => {
                    Some(Found::StdModule {
                        name: module.name.clone(),
                        span: *span,
                    })
                }
                Node::Use(Use::File(s)) if contains(s.span, file, offset) => {
                    let name = &a.program.sources.get(file).name;
                    let dir = std::path::Path::new(name)
                        .parent()
                        .map(PathBuf::from)
                        .unwrap_or_default();
                    Some(Found::UseFile {
                        path: dir.join(&s.value),
                        span: s.span,
                    })
                }
                Node::OrgFrom(s) | Node::PolicyJson(s) if contains(s.span, file, offset) => {
                    let loaded = match a.program.externals.get(&s.span) {
                        Some(External::Loaded(id)) => Some(*id),
                        _ => None,
                    };
                    Some(Found::External {
                        file: loaded,
                        span: s.span,
                    })
                }
                Node::AccountId(s) if contains(s.span, file, offset) => a
                    .checked
                    .model
                    .org
                    .accounts
                    .position(|acc| acc.id == s.value)
                    .map(|account| Found::AccountId {
                        account,
                        span: s.span,
                    }),
                _ => None,
            };
            if hit.is_some() {
                found = hit;
            }
        });
    }
    found
}

/// Call `f` on every node of interest in an item.
pub fn visit_item<'a>(item: &'a Item, f: &mut dyn FnMut(Node<'a>)) {
    let targets = |ts: &'a [Target], f: &mut dyn FnMut(Node<'a>)| {
        for t in ts {
            match t {
                Target::Ou(p) => f(Node::OuPath(p)),
                Target::AccountId(s) => f(Node::AccountId(s)),
                Target::Root(_) | Target::Account(_) => {}
            }
        }
    };
    match &item.kind {
        ItemKind::Use(u) => f(Node::Use(u)),
        ItemKind::Org(OrgDecl::From(s)) => f(Node::OrgFrom(s)),
        ItemKind::Policy(p) => match &p.body {
            PolicyBody::Statements(sts) => statements(sts, f),
            PolicyBody::FromJson(s) => f(Node::PolicyJson(s)),
        },
        ItemKind::ManagedPolicy(mp) => {
            statements(&mp.statements, f);
            in_blocks(&mp.blocks, f);
            for x in &mp.except {
                for p in &x.ous {
                    f(Node::OuPath(p));
                }
            }
        }
        ItemKind::Function(func) => {
            for p in &func.props {
                match p {
                    FunctionProp::Managed(refs) => {
                        for r in refs {
                            if let PolicyRef::Name(id) = r {
                                f(Node::PolicyName(id, false));
                            }
                        }
                    }
                    FunctionProp::Boundary(PolicyRef::Name(id)) => f(Node::PolicyName(id, true)),
                    _ => {}
                }
            }
            statements(&func.statements, f);
        }
        ItemKind::Grant(g) => {
            targets(&g.targets, f);
            targets(&g.except, f);
        }
        ItemKind::Forbid(
            Forbid::Combination { targets: ts, .. }
            | Forbid::User { targets: ts, .. }
            | Forbid::Functions { targets: ts, .. },
        )
        | ItemKind::Limit(Limit { targets: ts, .. }) => targets(ts, f),
        _ => {}
    }
}

fn statements<'a>(sts: &'a [Statement], f: &mut dyn FnMut(Node<'a>)) {
    for st in sts {
        for act in &st.actions {
            f(Node::Action(act));
        }
    }
}

fn in_blocks<'a>(blocks: &'a [InBlock], f: &mut dyn FnMut(Node<'a>)) {
    for b in blocks {
        f(Node::OuPath(&b.ou));
        statements(&b.statements, f);
        in_blocks(&b.blocks, f);
    }
}

/// Where a name is defined: its spans in `.access` files, or, for OUs and
/// accounts of an org snapshot, the entry in the JSON file.
pub fn definitions(a: &Analysis, kind: Kind, name: &str) -> Vec<Span> {
    if kind == Kind::Attribute {
        return a
            .checked
            .model
            .attributes
            .get(name)
            .map(|d| vec![d.span])
            .unwrap_or_default();
    }
    a.checked
        .index
        .definitions
        .iter()
        .filter(|(k, n, _)| *k == kind && n == name)
        .map(|(_, _, s)| json_entry(a, kind, name).unwrap_or(*s))
        .collect()
}

/// Every use of a name (not its definition); an account's quoted id counts.
pub fn references(a: &Analysis, kind: Kind, name: &str) -> Vec<Span> {
    let mut v: Vec<Span> = a
        .checked
        .index
        .references
        .iter()
        .filter(|(k, n, _)| *k == kind && n == name)
        .map(|(_, _, s)| *s)
        .collect();
    if kind == Kind::Account {
        let org = &a.checked.model.org;
        if let Some(acc) = org.accounts.iter().find(|x| x.name == name) {
            for item in a.program.modules.iter().flat_map(|m| m.items.iter()) {
                visit_item(item, &mut |node| {
                    if let Node::AccountId(s) = node {
                        if s.value == acc.id {
                            v.push(s.span);
                        }
                    }
                });
            }
        }
    }
    v.sort();
    v.dedup();
    v
}

/// The `"id": "…"` of an OU or account in the org snapshot, when the org
/// came from one.
fn json_entry(a: &Analysis, kind: Kind, name: &str) -> Option<Span> {
    let org = &a.checked.model.org;
    let id = match kind {
        Kind::Ou => org.ous.iter().find(|o| o.path == name)?.id.clone()?,
        Kind::Account => org.accounts.iter().find(|x| x.name == name)?.id.clone(),
        _ => return None,
    };
    // The snapshot named by the `org from` item.
    let org_span = org.span?;
    let file = a.program.externals.iter().find_map(|(s, e)| match e {
        External::Loaded(id)
            if s.file == org_span.file && org_span.start <= s.start && s.end <= org_span.end =>
        {
            Some(*id)
        }
        _ => None,
    })?;
    let text = &a.program.sources.get(file).text;
    let needle = format!("\"{id}\"");
    let mut from = 0;
    while let Some(i) = text[from..].find(&needle) {
        let at = from + i;
        // The value of an `"id"` key, not `management_account`.
        let before = text[..at].trim_end();
        if let Some(b) = before.strip_suffix(':') {
            if b.trim_end().ends_with("\"id\"") {
                return Some(Span::new(file, at, at + needle.len()));
            }
        }
        from = at + needle.len();
    }
    None
}

/// The `///` doc comment of the item that defines a name, if any.
pub fn doc_of(a: &Analysis, kind: Kind, name: &str) -> Option<String> {
    let span = a
        .checked
        .index
        .definitions
        .iter()
        .find(|(k, n, _)| *k == kind && n == name)
        .map(|(_, _, s)| *s)?;
    let module = a.module(span.file)?;
    let item = module
        .items
        .iter()
        .find(|it| it.span.start <= span.start && span.end <= it.span.end)?;
    item.doc.as_ref().map(|d| d.value.clone())
}
