//! The org tree (inline `org { }` or a JSON snapshot) and the principals.

use super::names::Kind;
use super::names::Names;
use super::text;
use super::{duplicate_item, Inputs, Sink, SymbolIndex};
use crate::ast::*;
use crate::aws_ids::{is_account_id, is_ou_id, is_principal_id, is_root_id};
use crate::diagnostic::{Code, Diagnostic};
use crate::load::External;
use crate::model::*;
use crate::org_snapshot::{self, OrgSnapshot, ReadError, SnapshotError};
use crate::span::Span;
use std::collections::HashMap;

/// An `org from` snapshot that could not be read (A104 is reported), or an
/// `org` block with a syntax error (A100): the org is declared, but its OUs
/// and accounts are unknown.
#[derive(Debug)]
pub(crate) struct OrgFailed {
    /// The `org` item.
    pub span: Span,
}

impl OrgFailed {
    /// The org the later phases see: declared here, with nothing in it.
    pub fn declared_org(&self) -> Org {
        Org {
            span: Some(self.span),
            declared: true,
            ..Org::default()
        }
    }
}

/// The org tree from the first `org` item (inline or a snapshot), each OU and
/// account in the symbol index; an org nobody declared is empty and not
/// `declared`.
pub(super) fn lower_org(
    inputs: &Inputs<'_>,
    index: &mut SymbolIndex,
    sink: &mut Sink,
) -> Result<Org, OrgFailed> {
    let mut first: Option<Span> = None;
    let mut org = Org::default();
    let mut failed = None;
    for item in inputs.items() {
        let ItemKind::Org(decl) = &item.kind else {
            continue;
        };
        if let Some(prev) = first {
            duplicate_item(sink, "org", item.span, prev);
            continue;
        }
        first = Some(item.span);
        org.declared = true;
        org.span = Some(item.span);
        match decl {
            OrgDecl::Inline(tree) => lower_inline_org(tree, &mut org, index, sink),
            OrgDecl::From(path) => match lower_json_org(inputs, path, index, sink) {
                Some(read) => {
                    org = Org {
                        span: org.span,
                        declared: true,
                        ..read
                    };
                }
                None => failed = Some(OrgFailed { span: item.span }),
            },
        }
    }
    // An `org` block that did not parse (A100 is reported): its OUs and
    // accounts are unknown, not missing.
    if first.is_none() {
        if let Some(ident) = inputs.broken_item("org") {
            failed = Some(OrgFailed { span: ident.span });
        }
    }
    check_org_uniqueness(&org, sink);
    match failed {
        Some(failed) => Err(failed),
        None => Ok(org),
    }
}

fn lower_inline_org(tree: &OrgTree, org: &mut Org, index: &mut SymbolIndex, sink: &mut Sink) {
    org.root_id = tree.root.as_ref().map(|s| s.value.clone());
    if let Some(root) = &tree.root {
        if !is_root_id(&root.value) {
            sink.push(
                Diagnostic::new(
                    Code::InvalidRootId,
                    root.span,
                    format!("`{}` is not an organization root id", root.value),
                )
                .with_help("a root id looks like `r-ab12` (`aws organizations list-roots`)"),
            );
        }
    }
    for a in &tree.accounts {
        add_inline_account(a, None, org, index, sink);
    }
    for ou in &tree.ous {
        add_inline_ou(ou, None, 1, org, index, sink);
    }
    if let Some(m) = &tree.management {
        match org.accounts.position(|a| a.id == m.value) {
            Some(i) => org.management = Some(i),
            None => sink.push(
                Diagnostic::new(
                    Code::UnknownAccountId,
                    m.span,
                    format!(
                        "the management account `{}` is not an account of the org",
                        m.value
                    ),
                )
                .with_help(format!(
                    "list it at the root: `account management \"{}\"`",
                    m.value
                )),
            ),
        }
    }
}

fn add_inline_account(
    a: &Account,
    ou: Option<OuIdx>,
    org: &mut Org,
    index: &mut SymbolIndex,
    sink: &mut Sink,
) {
    if !is_account_id(&a.id.value) {
        sink.push(
            Diagnostic::new(
                Code::InvalidAccountId,
                a.id.span,
                format!("`{}` is not an AWS account id", a.id.value),
            )
            .with_help("an account id is exactly 12 digits, e.g. \"111122223333\""),
        );
    }
    let idx = org.accounts.push(AccountNode {
        name: a.name.name.clone(),
        id: a.id.value.clone(),
        ou,
        span: a.name.span,
        status: a.state.map_or(AccountStatus::Active, |s| s.value),
    });
    if let Some(o) = ou {
        org.ous[o].accounts.push(idx);
    }
    index
        .definitions
        .push((Kind::Account, a.name.name.clone(), a.name.span));
}

fn add_inline_ou(
    ou: &Ou,
    parent: Option<OuIdx>,
    depth: usize,
    org: &mut Org,
    index: &mut SymbolIndex,
    sink: &mut Sink,
) {
    let path = match parent {
        Some(p) => format!("{}/{}", org.ous[p].path, ou.name.name),
        None => ou.name.name.clone(),
    };
    if let Some(id) = &ou.id {
        if !is_ou_id(&id.value) {
            sink.push(
                Diagnostic::new(
                    Code::InvalidOuId,
                    id.span,
                    format!("`{}` is not an OU id", id.value),
                )
                .with_help("an OU id looks like `ou-ab12-11111111`"),
            );
        }
    }
    if depth > 5 {
        sink.push(
            Diagnostic::new(
                Code::OuTooDeep,
                ou.name.span,
                format!("OU `{path}` is nested deeper than AWS allows"),
            )
            .with_help("AWS Organizations allows five levels of OUs below the root"),
        );
    }
    let idx = org.ous.push(OuNode {
        name: ou.name.name.clone(),
        path: path.clone(),
        id: ou.id.as_ref().map(|s| s.value.clone()),
        parent,
        children: Vec::new(),
        accounts: Vec::new(),
        span: ou.name.span,
    });
    if let Some(p) = parent {
        org.ous[p].children.push(idx);
    }
    index.definitions.push((Kind::Ou, path, ou.name.span));
    for a in &ou.accounts {
        add_inline_account(a, Some(idx), org, index, sink);
    }
    for child in &ou.ous {
        add_inline_ou(child, Some(idx), depth + 1, org, index, sink);
    }
}

/// The org of a snapshot file, or None when it cannot be read (reported).
fn lower_json_org(
    inputs: &Inputs<'_>,
    path: &Str,
    index: &mut SymbolIndex,
    sink: &mut Sink,
) -> Option<Org> {
    let text = match inputs.program.externals.get(&path.span) {
        Some(External::Loaded(id)) => inputs.program.sources.get(*id).text.clone(),
        Some(External::Failed(why)) => {
            sink.push(
                    Diagnostic::new(Code::UnreadableFile, path.span, format!("cannot read org snapshot `{}`: {why}", path.value))
                        .with_help("write it with `accessc org snapshot -o FILE`; the path is relative to this file's directory"),
                );
            return None;
        }
        None => return None,
    };
    let snapshot = match OrgSnapshot::from_json(&text) {
        Ok(s) => s,
        Err(ReadError::Syntax(e)) => {
            sink.push(
                Diagnostic::new(
                    Code::MalformedSnapshot,
                    path.span,
                    format!("org snapshot `{}` is not valid JSON: {e}", path.value),
                )
                .with_help("regenerate it with `accessc org snapshot -o FILE`"),
            );
            return None;
        }
        Err(ReadError::Shape(e)) => {
            malformed_snapshot(path, vec![e], sink);
            return None;
        }
    };
    let errors = snapshot.validate();
    if !errors.is_empty() {
        malformed_snapshot(path, errors, sink);
        return None;
    }
    let org = snapshot_to_org(&snapshot, path.span);
    for a in &org.accounts {
        index
            .definitions
            .push((Kind::Account, a.name.clone(), path.span));
    }
    for o in &org.ous {
        index
            .definitions
            .push((Kind::Ou, o.path.clone(), path.span));
    }
    Some(org)
}

/// One A104 for each thing wrong with the snapshot `org from` names.
fn malformed_snapshot(path: &Str, errors: Vec<SnapshotError>, sink: &mut Sink) {
    for e in errors {
        sink.push(
                Diagnostic::new(Code::MalformedSnapshot, path.span, format!("malformed org snapshot `{}`: {e}", path.value))
                    .with_help("the format is described in docs/org-snapshot.md; regenerate it with `accessc org snapshot`"),
            );
    }
}

/// A101 for an account name or OU path defined twice; A302 for an account id listed twice.
fn check_org_uniqueness(org: &Org, sink: &mut Sink) {
    let mut by_name: HashMap<&str, Span> = HashMap::new();
    let mut by_id: HashMap<&str, Span> = HashMap::new();
    let mut out = Vec::new();
    for a in &org.accounts {
        if let Some(prev) = by_name.insert(&a.name, a.span) {
            out.push(
                Diagnostic::new(
                    Code::DuplicateName,
                    a.span,
                    format!("account `{}` is defined twice", a.name),
                )
                .with_related(prev, "first defined here")
                .with_help("account names are global: give each account its own name"),
            );
        }
        if let Some(prev) = by_id.insert(&a.id, a.span) {
            out.push(
                Diagnostic::new(
                    Code::DuplicateAccountId,
                    a.span,
                    format!("account id `{}` appears twice", a.id),
                )
                .with_related(prev, "first listed here")
                .with_help("an account belongs to exactly one OU"),
            );
        }
    }
    let mut by_path: HashMap<&str, Span> = HashMap::new();
    for o in &org.ous {
        if let Some(prev) = by_path.insert(&o.path, o.span) {
            out.push(
                Diagnostic::new(
                    Code::DuplicateName,
                    o.span,
                    format!("OU `{}` is defined twice", o.path),
                )
                .with_related(prev, "first defined here")
                .with_help("OU names are unique within their parent"),
            );
        }
    }
    sink.extend(out);
}

/// Groups and users, with their identity-store ids from the program or the org snapshot.
pub(super) fn lower_principals(
    inputs: &Inputs<'_>,
    names: &Names<'_>,
    org: &Org,
    sink: &mut Sink,
) -> IdxVec<PrincipalIdx, PrincipalDef> {
    let mut principals = IdxVec::new();
    for item in inputs.items() {
        let (kind, name, display, id) = match &item.kind {
            ItemKind::Group(g) => (PrincipalKind::Group, &g.name, &g.display_name, &g.id),
            ItemKind::User(u) => (PrincipalKind::User, &u.name, &u.user_name, &u.id),
            _ => continue,
        };
        let k = if kind == PrincipalKind::Group {
            Kind::Group
        } else {
            Kind::User
        };
        // Skip a duplicate (already reported); its first definition stands.
        if names.get(k, &name.name).is_none_or(|d| d.span != name.span) {
            continue;
        }
        let display_name = display
            .as_ref()
            .map_or(name.name.clone(), |s| s.value.clone());
        if let Some(id) = id {
            if !is_principal_id(&id.value) {
                sink.push(
                        Diagnostic::new(Code::InvalidPrincipalId, id.span, format!("`{}` is not an identity-store id", id.value))
                            .with_help("a GroupId or UserId is a UUID, optionally prefixed with the store's `xxxxxxxxxx-`"),
                    );
            }
        }
        let span = display.as_ref().map_or(name.span, |s| s.span);
        let (what, max, ok): (&str, usize, fn(char) -> bool) = match kind {
            PrincipalKind::Group => ("group display name", 1024, text::display_name_char),
            PrincipalKind::User => ("user name", 128, text::user_name_char),
        };
        let count = display_name.chars().count();
        if count == 0 || count > max {
            sink.push(Diagnostic::new(
                Code::InvalidPrincipalName,
                span,
                format!("a {what} must be 1 to {} characters", super::thousands(max)),
            ));
        } else if let Some(msg) = text::bad_char(what, &display_name, ok) {
            sink.push(
                    Diagnostic::new(Code::InvalidPrincipalName, span, msg).with_help(match kind {
                        PrincipalKind::Group => "a display name is one line of letters, marks, digits, punctuation, symbols and spaces",
                        PrincipalKind::User => "a user name is letters, marks, digits, punctuation and symbols, without spaces",
                    }),
                );
        }
        let snapshot_id = match kind {
            PrincipalKind::Group => org.group_ids.get(&display_name),
            PrincipalKind::User => org.user_ids.get(&display_name),
        }
        .cloned();
        principals.push(PrincipalDef {
            kind,
            name: name.name.clone(),
            display_name,
            id: id.as_ref().map(|s| s.value.clone()).or(snapshot_id),
            span: name.span,
        });
    }
    principals
}

/// The org a valid snapshot describes: the root's accounts first, then each
/// OU, its accounts and the OUs below it, depth first.
fn snapshot_to_org(snapshot: &OrgSnapshot, span: Span) -> Org {
    let mut org = Org {
        root_id: snapshot.root.clone(),
        ..Org::default()
    };
    add_snapshot_accounts(&snapshot.accounts, None, &mut org, span);
    add_snapshot_ous(&snapshot.ous, None, &mut org, span);
    if let Some(m) = &snapshot.management_account {
        org.management = org.accounts.position(|a| &a.id == m);
    }
    if let Some(store) = &snapshot.identity_store {
        org.identity_store = store.id.clone();
        org.group_ids = store.groups.clone();
        org.user_ids = store.users.clone();
    }
    org
}

fn add_snapshot_accounts(
    accounts: &[org_snapshot::Account],
    ou: Option<OuIdx>,
    org: &mut Org,
    span: Span,
) {
    for a in accounts {
        let idx = org.accounts.push(AccountNode {
            name: a.name.clone(),
            id: a.id.clone(),
            ou,
            span,
            status: a.state(),
        });
        if let Some(o) = ou {
            org.ous[o].accounts.push(idx);
        }
    }
}

fn add_snapshot_ous(ous: &[org_snapshot::Ou], parent: Option<OuIdx>, org: &mut Org, span: Span) {
    for o in ous {
        let path = match parent {
            Some(p) => format!("{}/{}", org.ous[p].path, o.name),
            None => o.name.clone(),
        };
        let idx = org.ous.push(OuNode {
            name: o.name.clone(),
            path,
            id: o.id.clone(),
            parent,
            children: Vec::new(),
            accounts: Vec::new(),
            span,
        });
        if let Some(p) = parent {
            org.ous[p].children.push(idx);
        }
        add_snapshot_accounts(&o.accounts, Some(idx), org, span);
        add_snapshot_ous(&o.ous, Some(idx), org, span);
    }
}
