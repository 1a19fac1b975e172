//! The org tree (inline `org { }` or a JSON snapshot) and the principals.

use super::names::Kind;
use super::text;
use super::Checker;
use crate::ast::*;
use crate::aws_ids::{is_account_id, is_ou_id, is_principal_id, is_root_id};
use crate::diagnostic::{Code, Diagnostic};
use crate::load::External;
use crate::model::*;
use crate::org_snapshot::{self, OrgSnapshot, ReadError, SnapshotError};
use crate::span::Span;
use std::collections::HashMap;

impl<'a> Checker<'a> {
    pub(super) fn lower_org(&mut self) {
        let mut first: Option<Span> = None;
        let items: Vec<&'a Item> = self.items().collect();
        for item in items {
            let ItemKind::Org(decl) = &item.kind else {
                continue;
            };
            if let Some(prev) = first {
                self.duplicate_item("org", item.span, prev);
                continue;
            }
            first = Some(item.span);
            self.model.org.declared = true;
            self.model.org.span = Some(item.span);
            match decl {
                OrgDecl::Inline(tree) => self.lower_inline_org(tree),
                OrgDecl::From(path) => self.lower_json_org(path),
            }
        }
        self.check_org_uniqueness();
    }

    fn lower_inline_org(&mut self, tree: &OrgTree) {
        let org = &mut self.model.org;
        org.root_id = tree.root.as_ref().map(|s| s.value.clone());
        if let Some(root) = &tree.root {
            if !is_root_id(&root.value) {
                self.diags.push(
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
            self.add_inline_account(a, None);
        }
        for ou in &tree.ous {
            self.add_inline_ou(ou, None, 1);
        }
        if let Some(m) = &tree.management {
            match self.model.org.accounts.iter().position(|a| a.id == m.value) {
                Some(i) => self.model.org.management = Some(i),
                None => self.diags.push(
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

    #[allow(
        clippy::indexing_slicing,
        reason = "model indices are made by the checker from these same vectors, which only grow"
    )]
    fn add_inline_account(&mut self, a: &Account, ou: Option<OuIdx>) {
        if !is_account_id(&a.id.value) {
            self.diags.push(
                Diagnostic::new(
                    Code::InvalidAccountId,
                    a.id.span,
                    format!("`{}` is not an AWS account id", a.id.value),
                )
                .with_help("an account id is exactly 12 digits, e.g. \"111122223333\""),
            );
        }
        let idx = self.model.org.accounts.len();
        self.model.org.accounts.push(AccountNode {
            name: a.name.name.clone(),
            id: a.id.value.clone(),
            ou,
            span: a.name.span,
        });
        if let Some(o) = ou {
            self.model.org.ous[o].accounts.push(idx);
        }
        self.index
            .definitions
            .push((Kind::Account, a.name.name.clone(), a.name.span));
    }

    #[allow(
        clippy::indexing_slicing,
        reason = "model indices are made by the checker from these same vectors, which only grow"
    )]
    fn add_inline_ou(&mut self, ou: &Ou, parent: Option<OuIdx>, depth: usize) {
        let path = match parent {
            Some(p) => format!("{}/{}", self.model.org.ous[p].path, ou.name.name),
            None => ou.name.name.clone(),
        };
        if let Some(id) = &ou.id {
            if !is_ou_id(&id.value) {
                self.diags.push(
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
            self.diags.push(
                Diagnostic::new(
                    Code::OuTooDeep,
                    ou.name.span,
                    format!("OU `{path}` is nested deeper than AWS allows"),
                )
                .with_help("AWS Organizations allows five levels of OUs below the root"),
            );
        }
        let idx = self.model.org.ous.len();
        self.model.org.ous.push(OuNode {
            name: ou.name.name.clone(),
            path: path.clone(),
            id: ou.id.as_ref().map(|s| s.value.clone()),
            parent,
            children: Vec::new(),
            accounts: Vec::new(),
            span: ou.name.span,
        });
        if let Some(p) = parent {
            self.model.org.ous[p].children.push(idx);
        }
        self.index.definitions.push((Kind::Ou, path, ou.name.span));
        for a in &ou.accounts {
            self.add_inline_account(a, Some(idx));
        }
        for child in &ou.ous {
            self.add_inline_ou(child, Some(idx), depth + 1);
        }
    }

    fn lower_json_org(&mut self, path: &Str) {
        self.org_failed = true;
        let text = match self.program.externals.get(&path.span) {
            Some(External::Loaded(id)) => self.program.sources.get(*id).text.clone(),
            Some(External::Failed(why)) => {
                self.diags.push(
                    Diagnostic::new(Code::UnreadableFile, path.span, format!("cannot read org snapshot `{}`: {why}", path.value))
                        .with_help("write it with `accessc org snapshot -o FILE`; the path is relative to this file's directory"),
                );
                return;
            }
            None => return,
        };
        let snapshot = match OrgSnapshot::from_json(&text) {
            Ok(s) => s,
            Err(ReadError::Syntax(e)) => {
                self.diags.push(
                    Diagnostic::new(
                        Code::MalformedSnapshot,
                        path.span,
                        format!("org snapshot `{}` is not valid JSON: {e}", path.value),
                    )
                    .with_help("regenerate it with `accessc org snapshot -o FILE`"),
                );
                return;
            }
            Err(ReadError::Shape(e)) => return self.malformed_snapshot(path, vec![e]),
        };
        let errors = snapshot.validate();
        if !errors.is_empty() {
            return self.malformed_snapshot(path, errors);
        }
        let org = snapshot_to_org(&snapshot, path.span);
        for a in &org.accounts {
            self.index
                .definitions
                .push((Kind::Account, a.name.clone(), path.span));
        }
        for o in &org.ous {
            self.index
                .definitions
                .push((Kind::Ou, o.path.clone(), path.span));
        }
        self.org_failed = false;
        let span = self.model.org.span;
        self.model.org = org;
        self.model.org.span = span;
        self.model.org.declared = true;
    }

    /// One A104 for each thing wrong with the snapshot `org from` names.
    fn malformed_snapshot(&mut self, path: &Str, errors: Vec<SnapshotError>) {
        for e in errors {
            self.diags.push(
                Diagnostic::new(Code::MalformedSnapshot, path.span, format!("malformed org snapshot `{}`: {e}", path.value))
                    .with_help("the format is described in docs/org-snapshot.md; regenerate it with `accessc org snapshot`"),
            );
        }
    }

    fn check_org_uniqueness(&mut self) {
        let org = &self.model.org;
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
        self.diags.extend(out);
    }

    pub(super) fn lower_principals(&mut self) {
        let items: Vec<&'a Item> = self.items().collect();
        for item in items {
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
            if self
                .names
                .get(k, &name.name)
                .is_some_and(|d| d.span != name.span)
            {
                continue;
            }
            let display_name = display
                .as_ref()
                .map_or(name.name.clone(), |s| s.value.clone());
            if let Some(id) = id {
                if !is_principal_id(&id.value) {
                    self.diags.push(
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
                self.diags.push(Diagnostic::new(
                    Code::InvalidPrincipalName,
                    span,
                    format!("a {what} must be 1 to {} characters", super::thousands(max)),
                ));
            } else if let Some(msg) = text::bad_char(what, &display_name, ok) {
                self.diags.push(
                    Diagnostic::new(Code::InvalidPrincipalName, span, msg).with_help(match kind {
                        PrincipalKind::Group => "a display name is one line of letters, marks, digits, punctuation, symbols and spaces",
                        PrincipalKind::User => "a user name is letters, marks, digits, punctuation and symbols, without spaces",
                    }),
                );
            }
            let snapshot_id = match kind {
                PrincipalKind::Group => self.model.org.group_ids.get(&display_name),
                PrincipalKind::User => self.model.org.user_ids.get(&display_name),
            }
            .cloned();
            self.model.principals.push(PrincipalDef {
                kind,
                name: name.name.clone(),
                display_name,
                id: id.as_ref().map(|s| s.value.clone()).or(snapshot_id),
                span: name.span,
            });
        }
    }

    /// The index of a declared principal.
    pub(super) fn principal_index(&self, kind: PrincipalKind, name: &str) -> Option<PrincipalIdx> {
        self.model
            .principals
            .iter()
            .position(|p| p.kind == kind && p.name == name)
    }
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
        org.management = org.accounts.iter().position(|a| &a.id == m);
    }
    if let Some(store) = &snapshot.identity_store {
        org.identity_store = store.id.clone();
        org.group_ids = store.groups.clone();
        org.user_ids = store.users.clone();
    }
    org
}

#[allow(
    clippy::indexing_slicing,
    reason = "model indices are made here from these same vectors, which only grow"
)]
fn add_snapshot_accounts(
    accounts: &[org_snapshot::Account],
    ou: Option<OuIdx>,
    org: &mut Org,
    span: Span,
) {
    for a in accounts {
        let idx = org.accounts.len();
        org.accounts.push(AccountNode {
            name: a.name.clone(),
            id: a.id.clone(),
            ou,
            span,
        });
        if let Some(o) = ou {
            org.ous[o].accounts.push(idx);
        }
    }
}

#[allow(
    clippy::indexing_slicing,
    reason = "model indices are made here from these same vectors, which only grow"
)]
fn add_snapshot_ous(ous: &[org_snapshot::Ou], parent: Option<OuIdx>, org: &mut Org, span: Span) {
    for o in ous {
        let path = match parent {
            Some(p) => format!("{}/{}", org.ous[p].path, o.name),
            None => o.name.clone(),
        };
        let idx = org.ous.len();
        org.ous.push(OuNode {
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
