//! The namespaces of a program: one per kind of name. Duplicate definitions
//! (A101), unknown names with a did-you-mean (A102) and names of the wrong
//! kind (A103) are decided here.

use super::{Inputs, Scope, Sink, SymbolIndex};
use crate::ast::*;
use crate::diagnostic::{did_you_mean, Code, Diagnostic};
use crate::span::Span;
use indexmap::IndexMap;
use std::collections::HashSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Function,
    Policy,
    ManagedPolicy,
    Group,
    User,
    Attribute,
    Ou,
    Account,
}

impl Kind {
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Function => "function",
            Kind::Policy => "policy",
            Kind::ManagedPolicy => "managed policy",
            Kind::Group => "group",
            Kind::User => "user",
            Kind::Attribute => "attribute",
            Kind::Ou => "OU",
            Kind::Account => "account",
        }
    }

    fn article(self) -> &'static str {
        match self {
            Kind::Attribute | Kind::Account | Kind::Ou => "an",
            _ => "a",
        }
    }
}

/// Where a name of some kind is defined.
#[derive(Debug, Clone, Copy)]
pub struct Def<'a> {
    pub span: Span,
    pub item: &'a Item,
}

#[derive(Debug, Default)]
pub struct Names<'a> {
    pub defs: IndexMap<(Kind, String), Def<'a>>,
    /// Names of items that failed to parse: known, but with no definition.
    pub broken: std::collections::HashSet<(Kind, String)>,
}

impl<'a> Names<'a> {
    pub fn get(&self, kind: Kind, name: &str) -> Option<&Def<'a>> {
        self.defs.get(&(kind, name.to_string()))
    }

    pub fn names_of(&self, kind: Kind) -> impl Iterator<Item = &str> {
        self.defs
            .keys()
            .filter(move |(k, _)| *k == kind)
            .map(|(_, n)| n.as_str())
    }
}

/// Collect the names the program defines: one namespace per kind, each
/// definition in the symbol index, duplicates reported (A101).
pub(super) fn collect<'a>(inputs: &Inputs<'a>, sink: &mut Sink) -> Scope<'a> {
    let mut scope = Scope {
        names: Names::default(),
        used: HashSet::new(),
        index: SymbolIndex::default(),
    };
    // Broken items first: a program's own definition, broken or not,
    // shadows the standard library's.
    for m in &inputs.program.modules {
        for (kw, ident) in &m.broken {
            let kind = match kw.as_str() {
                "function" => Kind::Function,
                "policy" => Kind::Policy,
                "managed_policy" => Kind::ManagedPolicy,
                "group" => Kind::Group,
                "user" => Kind::User,
                _ => continue,
            };
            if !inputs.is_std(ident.span) {
                scope.names.broken.insert((kind, ident.name.clone()));
            }
        }
    }
    for item in inputs.items() {
        let Some((kind, ident)) = declared_name(&item.kind) else {
            continue;
        };
        if inputs.is_std(ident.span) && scope.names.broken.contains(&(kind, ident.name.clone())) {
            continue;
        }
        define(inputs, &mut scope, kind, ident, item, sink);
    }
    scope
}

fn define<'a>(
    inputs: &Inputs<'a>,
    scope: &mut Scope<'a>,
    kind: Kind,
    ident: &Ident,
    item: &'a Item,
    sink: &mut Sink,
) -> bool {
    let key = (kind, ident.name.clone());
    if let Some(prev) = scope.names.defs.get(&key) {
        let prev = prev.span;
        // A program's own definition shadows the standard library's.
        if inputs.is_std(ident.span) && !inputs.is_std(prev) {
            return false;
        }
        let where_ = if inputs.is_std(prev) {
            " (in the standard library)"
        } else {
            ""
        };
        sink.push(
            Diagnostic::new(
                Code::DuplicateName,
                ident.span,
                format!("{} `{}` is defined twice", kind.noun(), ident.name),
            )
            .with_related(prev, format!("first defined here{where_}"))
            .with_help(format!(
                "rename one of them or remove the duplicate {}",
                kind.noun()
            )),
        );
        return false;
    }
    scope
        .index
        .definitions
        .push((kind, ident.name.clone(), ident.span));
    scope.names.defs.insert(
        key,
        Def {
            span: ident.span,
            item,
        },
    );
    true
}

impl<'a> Scope<'a> {
    /// Look up a name that must be of `kind`; reports A102/A103 when it is not.
    pub(super) fn resolve(
        &mut self,
        kind: Kind,
        ident: &Ident,
        sink: &mut Sink,
    ) -> Option<Def<'a>> {
        self.resolve_any(&[kind], ident, sink)
    }

    /// Look up a name that may be of any of `kinds` (the first that matches wins).
    pub(super) fn resolve_any(
        &mut self,
        kinds: &[Kind],
        ident: &Ident,
        sink: &mut Sink,
    ) -> Option<Def<'a>> {
        for &k in kinds {
            if let Some(d) = self.names.get(k, &ident.name).copied() {
                self.used.insert((k, ident.name.clone()));
                self.index
                    .references
                    .push((k, ident.name.clone(), ident.span));
                return Some(d);
            }
        }
        // A name whose item did not parse: the syntax error says enough.
        if kinds
            .iter()
            .any(|k| self.names.broken.contains(&(*k, ident.name.clone())))
        {
            return None;
        }
        let &want = kinds.first()?;
        // A name of another kind?
        for other in [
            Kind::Function,
            Kind::Policy,
            Kind::ManagedPolicy,
            Kind::Group,
            Kind::User,
        ] {
            if kinds.contains(&other) {
                continue;
            }
            if self.names.get(other, &ident.name).is_some() {
                // Used, if wrongly: no "never used" on top of this error.
                self.used.insert((other, ident.name.clone()));
                let def = self.names.get(other, &ident.name).map(|d| d.span);
                let mut d = Diagnostic::new(
                    Code::WrongKind,
                    ident.span,
                    format!(
                        "`{}` is {} {}, not {} {}",
                        ident.name,
                        other.article(),
                        other.noun(),
                        want.article(),
                        want.noun()
                    ),
                )
                .with_help(wrong_kind_help(want, other, &ident.name));
                if let Some(def) = def {
                    d = d.with_related(def, format!("`{}` is defined here", ident.name));
                }
                sink.push(d);
                return None;
            }
        }
        let candidates: Vec<String> = kinds
            .iter()
            .flat_map(|k| {
                self.names
                    .names_of(*k)
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect();
        let mut d = Diagnostic::new(
            Code::UnknownName,
            ident.span,
            format!("unknown {} `{}`", want.noun(), ident.name),
        );
        // A standard-library name without its `use`: a similar local name
        // would grant other access, so the `use` comes first.
        let std = std_names()
            .iter()
            .find(|(k, n, _)| kinds.contains(k) && *n == ident.name);
        if let Some((_, _, module)) = std {
            sink.push(d.with_help(format!(
                "{} is in the standard library: add `use std::{module}`",
                ident.name
            )));
            return None;
        }
        d = match did_you_mean(&ident.name, candidates.iter().map(String::as_str)) {
            Some(s) => d.with_suggestion(ident.span, s),
            None => d.with_help(format!(
                "declare it: `{}`",
                declaration_example(want, &ident.name)
            )),
        };
        sink.push(d);
        None
    }
}

/// Every name the standard library defines: its kind, the name and the
/// module (`functions` for `std::functions`).
fn std_names() -> &'static [(Kind, String, &'static str)] {
    static NAMES: std::sync::OnceLock<Vec<(Kind, String, &'static str)>> =
        std::sync::OnceLock::new();
    NAMES.get_or_init(|| {
        let mut out = Vec::new();
        for (module, text) in crate::load::STD_MODULES {
            let (m, _) = crate::parse::parse_file(crate::span::FileId(0), text);
            for item in &m.items {
                let Some((kind, ident)) = declared_name(&item.kind) else {
                    continue;
                };
                out.push((kind, ident.name.clone(), *module));
            }
        }
        out
    })
}

fn declaration_example(kind: Kind, name: &str) -> String {
    match kind {
        Kind::Function => format!("function {name} {{ … }}"),
        Kind::Policy => format!("policy {name} {{ allow … on … }}"),
        Kind::ManagedPolicy => format!("managed_policy {name} {{ path \"/\" … }}"),
        Kind::Group => format!("group {name}"),
        Kind::User => format!("user {name} \"user@example.com\""),
        Kind::Attribute => format!("attributes {{ {name} = \"${{path:…}}\" }}"),
        Kind::Ou => format!("ou {name} \"ou-…\" {{ … }}"),
        Kind::Account => format!("account {name} \"123456789012\""),
    }
}

fn wrong_kind_help(want: Kind, found: Kind, name: &str) -> String {
    match (want, found) {
        (Kind::Policy, Kind::ManagedPolicy) => {
            format!("a managed policy is attached by reference: write `customer {name}`")
        }
        (Kind::ManagedPolicy, Kind::Policy) => {
            format!("a policy is merged into the inline policy: write `inline {name}`")
        }
        (Kind::Group, Kind::User) => format!("write `user {name}` to grant to a user"),
        (Kind::User, Kind::Group) => {
            format!("write `group {name}` (or just `{name}`) to grant to a group")
        }
        _ => format!("use {} {} here", want.article(), want.noun()),
    }
}

/// The kind and name an item declares, for the items that declare one.
fn declared_name(item: &ItemKind) -> Option<(Kind, &Ident)> {
    Some(match item {
        ItemKind::Function(f) => (Kind::Function, &f.name),
        ItemKind::Policy(p) => (Kind::Policy, &p.name),
        ItemKind::ManagedPolicy(m) => (Kind::ManagedPolicy, &m.name),
        ItemKind::Group(g) => (Kind::Group, &g.name),
        ItemKind::User(u) => (Kind::User, &u.name),
        _ => return None,
    })
}
