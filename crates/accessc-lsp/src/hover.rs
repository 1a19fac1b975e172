//! Hover: what the checked model knows about the thing under the cursor, in
//! Markdown. A function shows its permission set and where it is granted; an
//! action its service and access level; a group, user, OU or account what it
//! is granted.

use super::analysis::Analysis;
use super::query::Found;
use accessc_core::ast::{ItemKind, PrincipalKind, Target};
use accessc_core::catalog::{self, AccessLevel};
use accessc_core::check::{non_whitespace_chars, thousands, Kind};
use accessc_core::model::*;
use accessc_core::span::Span;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write;

/// At most this many lines in one list of a hover.
const LIST_MAX: usize = 12;

pub fn hover(a: &Analysis, found: &Found) -> Option<String> {
    let mut md = String::new();
    match found {
        Found::Name { kind, name, .. } => name_hover(a, *kind, name, &mut md)?,
        Found::Action { text, .. } => action_hover(text, &mut md),
        Found::AwsManaged { name, .. } => match catalog::managed_policies().arn(name) {
            Some(arn) => {
                let _ = write!(md, "**AWS-managed policy** `{name}`\n\n`{arn}`");
            }
            None => {
                let _ = write!(md, "`{name}` is not an AWS-managed policy in the catalog");
            }
        },
        Found::StdModule { name, .. } => std_hover(a, name, &mut md),
        Found::UseFile { path, .. } => {
            let _ = write!(md, "**use** `{}`", path.display());
        }
        Found::External { file, .. } => match file {
            Some(f) => {
                let _ = write!(md, "`{}`", a.program.sources.get(*f).name);
            }
            None => md.push_str("the file could not be read"),
        },
        Found::AccountId { account, .. } => {
            let name = a.checked.model.org.accounts[*account].name.clone();
            name_hover(a, Kind::Account, &name, &mut md)?;
        }
    }
    Some(md)
}

fn name_hover(a: &Analysis, kind: Kind, name: &str, md: &mut String) -> Option<()> {
    let m = &a.checked.model;
    match kind {
        Kind::Function => function_hover(a, m.functions.index_of(name)?, md),
        Kind::Group | Kind::User => {
            let pk = if kind == Kind::User {
                PrincipalKind::User
            } else {
                PrincipalKind::Group
            };
            let p = m.principals.position(|p| p.kind == pk && p.name == name)?;
            principal_hover(a, p, md)
        }
        Kind::Ou => ou_hover(a, m.org.ou_by_path(name)?, md),
        Kind::Account => account_hover(a, m.org.accounts.position(|x| x.name == name)?, md),
        Kind::Policy => policy_hover(a, m.policies.get(name)?, md),
        Kind::ManagedPolicy => managed_hover(a, m.managed_policies.named(name)?, md),
        Kind::Attribute => {
            let d = m.attributes.get(name)?;
            let uses = super::query::references(a, Kind::Attribute, name).len();
            let _ = write!(
                md,
                "**attribute** `{}` = `{}`\n\nThe session tag `aws:PrincipalTag/{}` takes its value from this identity-source attribute; {} in the program.",
                d.key,
                d.value,
                d.key,
                plural(uses, "use", "uses")
            );
        }
    }
    Some(())
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

fn hours(minutes: u64) -> String {
    match (minutes / 60, minutes % 60) {
        (h, 0) => format!("{h}h"),
        (0, m) => format!("{m}m"),
        (h, m) => format!("{h}h{m}m"),
    }
}

fn function_hover(a: &Analysis, fi: FnIdx, md: &mut String) {
    let m = &a.checked.model;
    let f = &m.functions[fi];
    let _ = write!(md, "**function** `{}`", f.name);
    if f.aws_name != f.name {
        let _ = write!(md, " · permission set `{}`", f.aws_name);
    } else {
        md.push_str(" · permission set of the same name");
    }
    if f.from_std {
        md.push_str(" · standard library");
    }
    md.push_str("\n\n");
    if let Some(d) = &f.description {
        let _ = write!(md, "{d}\n\n");
    }
    let _ = writeln!(
        md,
        "- session: {} (`{}`)",
        hours(f.session.minutes()),
        f.session.to_iso8601()
    );
    if !f.managed.is_empty() {
        let list: Vec<String> = f.managed.iter().map(|r| format!("`{}`", r.name)).collect();
        let _ = writeln!(md, "- managed: {}", list.join(", "));
    }
    if !f.customer.is_empty() {
        let list: Vec<String> = f
            .customer
            .iter()
            .map(|c| match m.managed_policies.named(c) {
                Some(mp) => format!("`{c}` (`{}`)", mp.path),
                None => format!("`{c}`"),
            })
            .collect();
        let _ = writeln!(md, "- customer managed: {}", list.join(", "));
    }
    match &f.boundary {
        Some(BoundaryRef::Aws { name, .. }) => {
            let _ = writeln!(md, "- boundary: `{name}` (AWS-managed)");
        }
        Some(BoundaryRef::Customer { name, path }) => {
            let _ = writeln!(md, "- boundary: `{name}` (customer managed, `{path}`)");
        }
        None => {}
    }
    if let Some(doc) = &f.inline {
        let statements = match doc.get("Statement") {
            Some(serde_json::Value::Array(v)) => v.len(),
            Some(_) => 1,
            None => 0,
        };
        let sources: Vec<String> = f.inline_sources.iter().map(|s| format!("`{s}`")).collect();
        let chars = non_whitespace_chars(doc);
        let _ = writeln!(
            md,
            "- inline policy: {}{} · {} non-whitespace characters of 10,240",
            if sources.is_empty() {
                String::new()
            } else {
                format!("{} → ", sources.join(", "))
            },
            plural(statements, "statement", "statements"),
            thousands(chars)
        );
    }
    if !f.tags.is_empty() {
        let list: Vec<String> = f
            .tags
            .iter()
            .map(|(k, v)| format!("`{k}` = `{v}`"))
            .collect();
        let _ = writeln!(md, "- tags: {}", list.join(", "));
    }
    if let Some(bg) = &f.break_glass {
        match &bg.notify {
            Some(n) => {
                let _ = writeln!(md, "- break-glass: every use notifies `{n}`");
            }
            None => md.push_str("- break-glass, without `notify`\n"),
        }
    }
    // Where it is granted.
    let mut accounts = BTreeSet::new();
    let mut principals = BTreeSet::new();
    for asg in m.assignments.iter().filter(|x| x.function == fi) {
        accounts.insert(asg.account);
        principals.insert(asg.principal);
    }
    let grants: Vec<(GrantIdx, &GrantDef)> = m
        .grants
        .iter_enumerated()
        .filter(|(_, g)| g.functions.contains(&fi))
        .collect();
    if grants.is_empty() {
        md.push_str("\nNot granted anywhere.");
        return;
    }
    let _ = writeln!(
        md,
        "\n**Granted** in {} to {} by {}:",
        plural(accounts.len(), "account", "accounts"),
        plural(principals.len(), "principal", "principals"),
        plural(grants.len(), "grant", "grants")
    );
    let targets = grant_targets(a);
    for (shown, (gi, g)) in grants.iter().enumerate() {
        if shown == LIST_MAX {
            let _ = writeln!(md, "- … and {} more", grants.len() - LIST_MAX);
            break;
        }
        let who: Vec<String> = g
            .principals
            .iter()
            .map(|&p| {
                let p = &m.principals[p];
                format!("{} `{}`", p.kind.keyword(), p.name)
            })
            .collect();
        let _ = writeln!(
            md,
            "- to {} on {} — {}",
            who.join(", "),
            targets.get(gi).map(String::as_str).unwrap_or("?"),
            plural(g.accounts.len(), "account", "accounts")
        );
    }
}

/// The targets of each grant as written (`Workloads/NonProd except account x`).
fn grant_targets(a: &Analysis) -> HashMap<GrantIdx, String> {
    let by_span: HashMap<Span, GrantIdx> = a
        .checked
        .model
        .grants
        .iter_enumerated()
        .map(|(i, g)| (g.span, i))
        .collect();
    let mut out = HashMap::new();
    for module in &a.program.modules {
        for item in &module.items {
            let ItemKind::Grant(g) = &item.kind else {
                continue;
            };
            let Some(&gi) = by_span.get(&item.span) else {
                continue;
            };
            let mut s = targets_text(a, &g.targets);
            if !g.except.is_empty() {
                s.push_str(" except ");
                s.push_str(&targets_text(a, &g.except));
            }
            out.insert(gi, s);
        }
    }
    out
}

fn targets_text(a: &Analysis, ts: &[Target]) -> String {
    ts.iter()
        .map(|t| match t {
            Target::Root(_) => "`root`".to_string(),
            Target::Ou(p) => format!("`{}`", p.text()),
            Target::Account(n) => format!("account `{}`", n.name),
            Target::AccountId(s) => format!(
                "`\"{}\"`",
                a.program.sources.snippet(s.span).trim_matches('"')
            ),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn principal_hover(a: &Analysis, pi: PrincipalIdx, md: &mut String) {
    let m = &a.checked.model;
    let p = &m.principals[pi];
    let (noun, field) = match p.kind {
        PrincipalKind::Group => ("group", "DisplayName"),
        PrincipalKind::User => ("user", "UserName"),
    };
    let _ = writeln!(md, "**{noun}** `{}`\n", p.name);
    let kind = match p.kind {
        PrincipalKind::Group => Kind::Group,
        PrincipalKind::User => Kind::User,
    };
    if let Some(doc) = super::query::doc_of(a, kind, &p.name) {
        let _ = writeln!(md, "{doc}\n");
    }
    let _ = writeln!(md, "- identity store {field}: `{}`", p.display_name);
    if let Some(id) = &p.id {
        let _ = writeln!(md, "- id: `{id}`");
    }
    // Function → accounts.
    let mut by_fn: BTreeMap<FnIdx, BTreeSet<AccountIdx>> = BTreeMap::new();
    for asg in m.assignments.iter().filter(|x| x.principal == pi) {
        by_fn.entry(asg.function).or_default().insert(asg.account);
    }
    if by_fn.is_empty() {
        md.push_str("\nNot granted anything.");
        return;
    }
    let total: usize = by_fn.values().map(BTreeSet::len).sum();
    let _ = writeln!(
        md,
        "\n**Granted** {} ({}):",
        plural(by_fn.len(), "function", "functions"),
        plural(total, "assignment", "assignments")
    );
    list_functions(a, &by_fn, md);
    let targets = grant_targets(a);
    let mut shown = 0;
    let mut grants = Vec::new();
    for (gi, g) in m.grants.iter_enumerated() {
        if g.principals.contains(&pi) && (g.owner.is_some() || g.until.is_some()) {
            grants.push((gi, g));
        }
    }
    if !grants.is_empty() {
        md.push_str("\nTime-limited grants:\n");
        for (gi, g) in grants {
            if shown == LIST_MAX {
                break;
            }
            shown += 1;
            let fns: Vec<String> = g
                .functions
                .iter()
                .map(|&f| format!("`{}`", m.functions[f].name))
                .collect();
            let _ = write!(
                md,
                "- {} on {}",
                fns.join(", "),
                targets.get(&gi).map(String::as_str).unwrap_or("?")
            );
            if let Some(o) = &g.owner {
                let _ = write!(md, ", owner `{o}`");
            }
            if let Some(until) = g.until {
                let _ = write!(md, ", until {until}");
            }
            md.push('\n');
        }
    }
}

fn list_functions(a: &Analysis, by_fn: &BTreeMap<FnIdx, BTreeSet<AccountIdx>>, md: &mut String) {
    let m = &a.checked.model;
    for (shown, (f, accts)) in by_fn.iter().enumerate() {
        if shown == LIST_MAX {
            let _ = writeln!(md, "- … and {} more", by_fn.len() - LIST_MAX);
            break;
        }
        let where_ = if accts.len() <= 3 {
            accts
                .iter()
                .map(|&x| format!("`{}`", m.org.accounts[x].name))
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            plural(accts.len(), "account", "accounts")
        };
        let _ = writeln!(md, "- `{}` in {where_}", m.functions[*f].name);
    }
}

fn ou_hover(a: &Analysis, oi: OuIdx, md: &mut String) {
    let m = &a.checked.model;
    let ou = &m.org.ous[oi];
    let _ = writeln!(md, "**OU** `{}`\n", ou.path);
    if let Some(id) = &ou.id {
        let _ = writeln!(md, "- id: `{id}`");
    }
    let mut under = Vec::new();
    m.org.accounts_under(oi, &mut under);
    let _ = writeln!(
        md,
        "- {} ({} directly), {}",
        plural(under.len(), "account", "accounts"),
        ou.accounts.len(),
        plural(ou.children.len(), "child OU", "child OUs")
    );
    let bodies: Vec<String> = m
        .managed_policies
        .values()
        .filter(|mp| mp.ou_bodies.iter().any(|b| b.ou == oi))
        .map(|mp| format!("`{}`", mp.name))
        .collect();
    if !bodies.is_empty() {
        let _ = writeln!(
            md,
            "- customer managed policy bodies for it: {}",
            bodies.join(", ")
        );
    }
    let inside: BTreeSet<AccountIdx> = under.into_iter().collect();
    granted_in(a, &inside, md);
}

/// Function → (principals, accounts) over the assignments in `accounts`.
fn granted_in(a: &Analysis, accounts: &BTreeSet<AccountIdx>, md: &mut String) {
    let m = &a.checked.model;
    let mut by_fn: BTreeMap<FnIdx, (BTreeSet<PrincipalIdx>, BTreeSet<AccountIdx>)> =
        BTreeMap::new();
    for asg in m
        .assignments
        .iter()
        .filter(|x| accounts.contains(&x.account))
    {
        let e = by_fn.entry(asg.function).or_default();
        e.0.insert(asg.principal);
        e.1.insert(asg.account);
    }
    if by_fn.is_empty() {
        md.push_str("\nNothing is granted here.");
        return;
    }
    let _ = writeln!(
        md,
        "\n**Granted** here: {}",
        plural(by_fn.len(), "function", "functions")
    );
    for (shown, (f, (ps, accts))) in by_fn.iter().enumerate() {
        if shown == LIST_MAX {
            let _ = writeln!(md, "- … and {} more", by_fn.len() - LIST_MAX);
            break;
        }
        let who = if ps.len() <= 3 {
            ps.iter()
                .map(|&p| format!("`{}`", m.principals[p].name))
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            plural(ps.len(), "principal", "principals")
        };
        let _ = writeln!(
            md,
            "- `{}` to {who} in {}",
            m.functions[*f].name,
            plural(accts.len(), "account", "accounts")
        );
    }
}

fn account_hover(a: &Analysis, ai: AccountIdx, md: &mut String) {
    let m = &a.checked.model;
    let acc = &m.org.accounts[ai];
    let _ = writeln!(md, "**account** `{}`\n", acc.name);
    let _ = writeln!(md, "- id: `{}`", acc.id);
    match acc.ou {
        Some(o) => {
            let _ = writeln!(md, "- in OU `{}`", m.org.ous[o].path);
        }
        None => md.push_str("- directly under the root\n"),
    }
    if m.org.management == Some(ai) {
        md.push_str("- the management account\n");
    }
    let one: BTreeSet<AccountIdx> = [ai].into_iter().collect();
    granted_in(a, &one, md);
}

fn policy_hover(a: &Analysis, p: &PolicyDef, md: &mut String) {
    let m = &a.checked.model;
    let _ = write!(md, "**policy** `{}`", p.name);
    if p.from_std {
        md.push_str(" · standard library");
    }
    if let Some(doc) = super::query::doc_of(a, Kind::Policy, &p.name) {
        let _ = write!(md, "\n\n{doc}");
    }
    let chars: usize = p.statements.iter().map(non_whitespace_chars).sum();
    let _ = writeln!(
        md,
        "\n\n- {}, {} non-whitespace characters",
        plural(p.statements.len(), "statement", "statements"),
        thousands(chars)
    );
    let users: Vec<String> = m
        .functions
        .values()
        .filter(|f| f.inline_sources.contains(&p.name))
        .map(|f| format!("`{}`", f.name))
        .collect();
    used_by(&users, "inline in", md);
}

fn used_by(users: &[String], how: &str, md: &mut String) {
    if users.is_empty() {
        md.push_str("- used by no function\n");
    } else if users.len() > LIST_MAX {
        let _ = writeln!(
            md,
            "- {how} {} and {} more functions",
            users[..LIST_MAX].join(", "),
            users.len() - LIST_MAX
        );
    } else {
        let _ = writeln!(md, "- {how} {}", users.join(", "));
    }
}

fn managed_hover(a: &Analysis, mp: &ManagedPolicyDef, md: &mut String) {
    let m = &a.checked.model;
    let _ = write!(md, "**managed policy** `{}` · path `{}`", mp.name, mp.path);
    if mp.from_std {
        md.push_str(" · standard library");
    }
    md.push_str("\n\n");
    if let Some(d) = mp
        .description
        .clone()
        .or_else(|| super::query::doc_of(a, Kind::ManagedPolicy, &mp.name))
    {
        let _ = write!(md, "{d}\n\n");
    }
    if mp.external {
        md.push_str("- external: exists already, never deployed by accessc\n");
    }
    if let Some(body) = &mp.default_body {
        let _ = writeln!(
            md,
            "- default body: {}",
            plural(body.len(), "statement", "statements")
        );
    }
    for b in &mp.ou_bodies {
        let _ = writeln!(
            md,
            "- in `{}`: {}",
            m.org.ous[b.ou].path,
            plural(b.statements.len(), "statement", "statements")
        );
    }
    let customer: Vec<String> = m
        .functions
        .values()
        .filter(|f| f.customer.contains(&mp.name))
        .map(|f| format!("`{}`", f.name))
        .collect();
    let boundary: Vec<String> = m
        .functions
        .values()
        .filter(
            |f| matches!(&f.boundary, Some(BoundaryRef::Customer { name, .. }) if *name == mp.name),
        )
        .map(|f| format!("`{}`", f.name))
        .collect();
    if customer.is_empty() && boundary.is_empty() {
        md.push_str("- used by no function\n");
    }
    if !customer.is_empty() {
        used_by(&customer, "attached to", md);
    }
    if !boundary.is_empty() {
        used_by(&boundary, "the boundary of", md);
    }
}

fn action_hover(text: &str, md: &mut String) {
    if text == "*" {
        md.push_str("**`*`**: every action of every service");
        return;
    }
    let Some((prefix, name)) = text.split_once(':') else {
        let _ = write!(md, "`{text}` is not an action (`service:Action`)");
        return;
    };
    let Some(service) = catalog::iam().service(prefix) else {
        let _ = write!(md, "`{prefix}` is not a service prefix IAM knows");
        return;
    };
    if !name.contains(['*', '?']) {
        match service.action(name) {
            Some((spelled, level)) => {
                let _ = write!(
                    md,
                    "**{}:{spelled}** · {}\n\naccess level: **{level}**",
                    service.prefix, service.name
                );
            }
            None => {
                let _ = write!(md, "{} has no action `{name}` in the catalog", service.name);
            }
        }
        return;
    }
    let matched: Vec<(&str, AccessLevel)> = service.matching(name).collect();
    let total = service.actions().count();
    let _ = writeln!(
        md,
        "**{text}** · {}\n\nmatches {} of {} actions:",
        service.name,
        thousands(matched.len()),
        thousands(total)
    );
    let mut levels: BTreeMap<AccessLevel, usize> = BTreeMap::new();
    for (_, l) in &matched {
        *levels.entry(*l).or_default() += 1;
    }
    for (l, n) in levels {
        let _ = writeln!(md, "- {l}: {}", thousands(n));
    }
    if !matched.is_empty() && matched.len() <= LIST_MAX {
        md.push('\n');
        let names: Vec<String> = matched.iter().map(|(n, _)| format!("`{n}`")).collect();
        md.push_str(&names.join(", "));
    }
}

fn std_hover(a: &Analysis, name: &str, md: &mut String) {
    let _ = writeln!(md, "**standard library** `std::{name}`\n");
    let file = a
        .program
        .std_name
        .iter()
        .find(|(_, n)| *n == name)
        .map(|(f, _)| *f);
    let Some(module) = file.and_then(|f| a.module(f)) else {
        md.push_str("not a module of the standard library");
        return;
    };
    for item in &module.items {
        let line = match &item.kind {
            ItemKind::Function(f) => format!("- function `{}`", f.name.name),
            ItemKind::Policy(p) => format!("- policy `{}`", p.name.name),
            ItemKind::ManagedPolicy(p) => format!("- managed policy `{}`", p.name.name),
            _ => continue,
        };
        md.push_str(&line);
        md.push('\n');
    }
}
