//! The org tree (inline `org { }` or a JSON snapshot) and the principals.

use super::names::Kind;
use super::text;
use super::{is_account_id, is_identity_store_id, Checker};
use crate::ast::*;
use crate::diagnostic::{Code, Diagnostic};
use crate::load::External;
use crate::model::*;
use crate::span::Span;
use serde_json::Value;
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
        let value: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
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
        };
        let mut errors = Vec::new();
        let org = json_to_org(&value, path.span, &mut errors);
        if let Some(e) = errors.into_iter().next() {
            self.diags.push(
                Diagnostic::new(Code::MalformedSnapshot, path.span, format!("malformed org snapshot `{}`: {e}", path.value))
                    .with_help("the format is described in docs/org-snapshot.md; regenerate it with `accessc org snapshot`"),
            );
            return;
        }
        for (i, a) in org.accounts.iter().enumerate() {
            let _ = i;
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

fn is_root_id(s: &str) -> bool {
    s.strip_prefix("r-").is_some_and(|r| {
        (4..=32).contains(&r.len())
            && r.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

fn is_ou_id(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("ou-") else {
        return false;
    };
    let Some((a, b)) = rest.split_once('-') else {
        return false;
    };
    let ok = |p: &str, min, max| {
        (min..=max).contains(&p.len())
            && p.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    ok(a, 4, 32) && ok(b, 8, 32)
}

fn is_principal_id(s: &str) -> bool {
    let uuid = s.rsplit_once('-').map(|_| s).unwrap_or(s);
    let core = match uuid.split_once('-') {
        Some((pre, rest)) if pre.len() == 10 && rest.len() == 36 => rest,
        _ => uuid,
    };
    core.len() == 36
        && core.bytes().enumerate().all(|(i, b)| {
            if [8, 13, 18, 23].contains(&i) {
                b == b'-'
            } else {
                b.is_ascii_hexdigit()
            }
        })
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Read an org snapshot (docs/org-snapshot.md). Problems go to `errors` as
/// messages naming the JSON path; the first one is reported.
pub fn json_to_org(v: &Value, span: Span, errors: &mut Vec<String>) -> Org {
    let mut org = Org::default();
    let Some(obj) = v.as_object() else {
        errors.push("the top level must be an object".into());
        return org;
    };
    match obj.get("format").and_then(Value::as_str) {
        Some("accessc-org/1") => {}
        Some(other) => errors.push(format!(
            "`format` is `{}`, expected `accessc-org/1`",
            text::escaped(other)
        )),
        None => errors.push("`format` is missing (expected `accessc-org/1`)".into()),
    }
    if let Some(r) = obj.get("root") {
        match r.as_str() {
            Some(s) if is_root_id(s) => org.root_id = Some(s.to_string()),
            Some(s) => errors.push(format!(
                "`root` `{}` is not an organization root id (r-xxxx)",
                text::escaped(s)
            )),
            None => errors.push("`root` must be a string".into()),
        }
    }
    read_accounts(
        obj.get("accounts"),
        "accounts",
        None,
        &mut org,
        span,
        errors,
    );
    read_ous(obj.get("ous"), "ous", None, &mut org, span, errors, 1);
    if let Some(m) = obj.get("management_account") {
        match m.as_str() {
            Some(id) => match org.accounts.iter().position(|a| a.id == id) {
                Some(i) => org.management = Some(i),
                None => errors.push(format!(
                    "`management_account` `{}` is not one of the accounts",
                    text::escaped(id)
                )),
            },
            None => errors.push("`management_account` must be a string".into()),
        }
    }
    if let Some(store) = obj.get("identity_store") {
        let Some(store) = store.as_object() else {
            errors.push("`identity_store` must be an object".into());
            return org;
        };
        if let Some(id) = store.get("id") {
            match id.as_str() {
                Some(s) if is_identity_store_id(s) => org.identity_store = Some(s.to_string()),
                Some(s) => errors.push(format!(
                    "`identity_store.id` `{}` is not an identity store id (d-xxxxxxxxxx)",
                    text::escaped(s)
                )),
                None => errors.push("`identity_store.id` must be a string".into()),
            }
        }
        for (field, target) in [("groups", &mut org.group_ids), ("users", &mut org.user_ids)] {
            let Some(map) = store.get(field) else {
                continue;
            };
            let Some(map) = map.as_object() else {
                errors.push(format!(
                    "`identity_store.{field}` must be an object of name → id"
                ));
                continue;
            };
            let (what, max, ok): (&str, usize, fn(char) -> bool) = if field == "groups" {
                ("display name", 1024, text::display_name_char)
            } else {
                ("user name", 128, text::user_name_char)
            };
            for (k, v) in map {
                let shown = text::escaped(k);
                let count = k.chars().count();
                if count == 0 || count > max {
                    errors.push(format!(
                        "`identity_store.{field}` key `{shown}`: a {what} is 1 to {max} characters"
                    ));
                } else if let Some(msg) = text::bad_char(what, k, ok) {
                    errors.push(format!("`identity_store.{field}` key `{shown}`: {msg}"));
                }
                match v.as_str() {
                    Some(id) if is_principal_id(id) => {
                        target.insert(k.clone(), id.to_string());
                    }
                    Some(id) => errors.push(format!(
                        "`identity_store.{field}.{shown}` `{}` is not an identity-store id",
                        text::escaped(id)
                    )),
                    None => errors.push(format!(
                        "`identity_store.{field}.{shown}` must be a string id"
                    )),
                }
            }
        }
    }
    org
}

#[allow(
    clippy::indexing_slicing,
    reason = "model indices are made by the checker from these same vectors, which only grow"
)]
fn read_accounts(
    v: Option<&Value>,
    at: &str,
    ou: Option<OuIdx>,
    org: &mut Org,
    span: Span,
    errors: &mut Vec<String>,
) {
    let Some(v) = v else { return };
    let Some(list) = v.as_array() else {
        errors.push(format!("`{at}` must be an array"));
        return;
    };
    for (i, a) in list.iter().enumerate() {
        let here = format!("{at}[{i}]");
        let name = a.get("name").and_then(Value::as_str);
        let id = a.get("id").and_then(Value::as_str);
        let (Some(name), Some(id)) = (name, id) else {
            errors.push(format!("`{here}` needs string fields `name` and `id`"));
            continue;
        };
        if !is_ident(name) {
            errors.push(format!(
                "`{here}.name` `{}` is not an identifier ([A-Za-z_][A-Za-z0-9_-]*)",
                text::escaped(name)
            ));
        }
        if !is_account_id(id) {
            errors.push(format!(
                "`{here}.id` `{}` is not a 12-digit account id",
                text::escaped(id)
            ));
        }
        let idx = org.accounts.len();
        org.accounts.push(AccountNode {
            name: name.to_string(),
            id: id.to_string(),
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
    reason = "model indices are made by the checker from these same vectors, which only grow"
)]
fn read_ous(
    v: Option<&Value>,
    at: &str,
    parent: Option<OuIdx>,
    org: &mut Org,
    span: Span,
    errors: &mut Vec<String>,
    depth: usize,
) {
    let Some(v) = v else { return };
    let Some(list) = v.as_array() else {
        errors.push(format!("`{at}` must be an array"));
        return;
    };
    if depth > 5 {
        errors.push(format!(
            "`{at}` is nested deeper than the five OU levels AWS allows"
        ));
        return;
    }
    for (i, o) in list.iter().enumerate() {
        let here = format!("{at}[{i}]");
        let Some(name) = o.get("name").and_then(Value::as_str) else {
            errors.push(format!("`{here}` needs a string field `name`"));
            continue;
        };
        if !is_ident(name) {
            errors.push(format!(
                "`{here}.name` `{}` is not an identifier ([A-Za-z_][A-Za-z0-9_-]*)",
                text::escaped(name)
            ));
        }
        let id = match o.get("id") {
            Some(Value::String(s)) => {
                if !is_ou_id(s) {
                    errors.push(format!(
                        "`{here}.id` `{}` is not an OU id (ou-xxxx-xxxxxxxx)",
                        text::escaped(s)
                    ));
                }
                Some(s.clone())
            }
            None | Some(Value::Null) => None,
            Some(_) => {
                errors.push(format!("`{here}.id` must be a string"));
                None
            }
        };
        let path = match parent {
            Some(p) => format!("{}/{name}", org.ous[p].path),
            None => name.to_string(),
        };
        let idx = org.ous.len();
        org.ous.push(OuNode {
            name: name.to_string(),
            path,
            id,
            parent,
            children: Vec::new(),
            accounts: Vec::new(),
            span,
        });
        if let Some(p) = parent {
            org.ous[p].children.push(idx);
        }
        read_accounts(
            o.get("accounts"),
            &format!("{here}.accounts"),
            Some(idx),
            org,
            span,
            errors,
        );
        read_ous(
            o.get("ous"),
            &format!("{here}.ous"),
            Some(idx),
            org,
            span,
            errors,
            depth + 1,
        );
    }
}
