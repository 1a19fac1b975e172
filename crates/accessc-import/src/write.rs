//! The program writer: an [`ImportModel`] becomes the files of an `.access`
//! program directory (`docs/import.md`).
//!
//! - `org.json`: the organization snapshot (the model's, sorted as
//!   `accessc org snapshot` writes it, or one made of the accounts the
//!   assignments name when the source had none);
//! - `org.access`: `instance`, `attributes` and `org from "org.json"`;
//! - `identity.access`: every group and user an assignment names, pinned by id;
//! - `functions.access`: every permission set as a function, the customer
//!   managed policies they reference as `external` declarations, and
//!   `policy … from json` for inline policies that are not written as
//!   statements;
//! - `policies/NAME.json`: those inline policies;
//! - `grants.access`: the assignments, compressed (`crate::compress`).
//!
//! Pure: the caller writes the files. The same model gives the same bytes,
//! whatever the order of its lists.

use crate::compress::{self, Cover, Target, Tree, TreeAccount};
use crate::decompile::{decompile, Decompiled};
use crate::model::{Assignment, ImportModel, PermissionSet};
use crate::names::{self, is_ident};
use accessc_core::date::Date;
use accessc_core::fmt::{format_module, quote};
use accessc_core::ir::{Boundary, PrincipalType, OWNERSHIP_TAG};
use accessc_core::org_snapshot::{self, OrgSnapshot};
use accessc_core::parse::parse_file;
use accessc_core::span::FileId;
use accessc_core::SessionDuration;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

/// How to write the program (the options of `accessc import`).
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// Write foreign permission sets (Control Tower's, other tools') and
    /// their assignments too (`--include-foreign`).
    pub include_foreign: bool,
    /// `owner` of every user grant (`--user-grant-owner EMAIL`).
    pub user_grant_owner: Option<String>,
    /// `until` of every user grant (`--user-grant-until DATE`).
    pub user_grant_until: Option<Date>,
}

/// The program written, and what the command tells about it.
#[derive(Debug, Clone)]
pub struct Written {
    /// `(path inside the program directory, content)`, in the order to
    /// write them. A path is a plain file name, or `policies/` and a plain
    /// file name (the inline policies kept as JSON): the caller creates the
    /// `policies` directory when a path needs it.
    pub files: Vec<(String, String)>,
    pub summary: Summary,
}

/// What the writer did, for people ([`fmt::Display`]) and for `--format json`
/// ([`Serialize`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Distinct (principal, permission set, account) assignments read.
    pub assignments_read: usize,
    /// Of those, the ones the grants written give (in a suspended or closed
    /// account included: see `inactive_accounts`).
    pub assignments_written: usize,
    /// `grant` items written.
    pub grant_lines: usize,
    /// Targets and `except` targets of those grants, all together.
    pub grant_targets: usize,
    /// Functions written (one per permission set).
    pub functions: usize,
    /// Inline policies written as statements.
    pub inline_as_statements: usize,
    /// Inline policies kept as JSON, and why.
    pub inline_as_json: Vec<KeptAsJson>,
    pub groups: usize,
    pub users: usize,
    /// True when the source had no organization and `org.json` holds only
    /// the accounts the assignments name, flat under the root.
    pub org_synthesized: bool,
    /// Permission sets left out, with their assignments, and why.
    pub left_out: Vec<LeftOut>,
    /// Foreign permission sets written because of `--include-foreign`.
    pub foreign_included: Vec<String>,
    /// Grants to users written without `owner` or `until`: `accessc check`
    /// reports each (A400) until they are given.
    pub user_grants_incomplete: Vec<IncompleteUserGrant>,
    /// Accounts AWS Organizations reports as suspended or closed that hold
    /// assignments: written as explicit `account` targets (A510 warns).
    pub inactive_accounts: Vec<InactiveAccount>,
    /// Assignments left out because they name something the program cannot
    /// hold, and why.
    pub assignments_left_out: Vec<AssignmentsLeftOut>,
    /// Attributes for access control the language cannot name, left out.
    pub attributes_left_out: Vec<String>,
    /// Values read that are written differently, each with what and why.
    pub changed: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeptAsJson {
    pub function: String,
    pub file: String,
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeftOut {
    /// The permission set's name.
    pub name: String,
    pub why: String,
    /// Its assignments, left out with it.
    pub assignments: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncompleteUserGrant {
    pub functions: Vec<String>,
    pub users: Vec<String>,
    /// `owner`, `until` or both.
    pub missing: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InactiveAccount {
    pub account_id: String,
    pub status: String,
    pub assignments: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssignmentsLeftOut {
    pub why: String,
    pub assignments: usize,
}

/// Why no program could be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteError {
    /// The organization snapshot read is not one a program can name.
    InvalidOrg(Vec<String>),
    /// Two permission sets of the same name.
    DuplicatePermissionSet(String),
    /// A file written does not read back as `.access` (a defect of the
    /// writer).
    Unreadable { file: String, message: String },
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::InvalidOrg(errors) => {
                writeln!(f, "the organization read is not a valid snapshot:")?;
                for e in errors.iter().take(20) {
                    writeln!(f, "  {}", shown(e))?;
                }
                if errors.len() > 20 {
                    writeln!(f, "  … and {} more", errors.len() - 20)?;
                }
                write!(
                    f,
                    "help: write a fresh snapshot with `accessc org snapshot -o org.json` and pass it with `--org org.json`"
                )
            }
            WriteError::DuplicatePermissionSet(name) => write!(
                f,
                "two permission sets are named `{}`\nhelp: AWS allows one set per name in an instance: read the source again, or remove one of them from it",
                shown(name)
            ),
            WriteError::Unreadable { file, message } => write!(
                f,
                "`{file}` was written but does not read back: {}\nhelp: this is a defect of `accessc import`; please report it with the source that caused it",
                shown(message)
            ),
        }
    }
}

impl std::error::Error for WriteError {}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} assignment(s) read; {} written as {} grant line(s) naming {} target(s)",
            self.assignments_read, self.assignments_written, self.grant_lines, self.grant_targets
        )?;
        writeln!(
            f,
            "{} function(s); inline policies: {} written as statements, {} kept as JSON",
            self.functions,
            self.inline_as_statements,
            self.inline_as_json.len()
        )?;
        writeln!(f, "{} group(s), {} user(s)", self.groups, self.users)?;
        if self.org_synthesized {
            writeln!(
                f,
                "note: no organization was read: org.json holds only the accounts the assignments name, flat under the root (pass `--org` for OU targets)"
            )?;
        }
        for j in &self.inline_as_json {
            writeln!(
                f,
                "note: the inline policy of `{}` is kept as JSON in {}: {}",
                j.function, j.file, j.why
            )?;
        }
        for l in &self.left_out {
            writeln!(
                f,
                "left out: permission set `{}` and its {} assignment(s): {}",
                l.name, l.assignments, l.why
            )?;
        }
        for n in &self.foreign_included {
            writeln!(
                f,
                "note: foreign permission set `{n}` written (--include-foreign)"
            )?;
            if n.starts_with("AWS") {
                writeln!(
                    f,
                    "  `accessc check` refuses an `AWS…` name (A207): give the function another `name` once Control Tower no longer manages the set, or remove it"
                )?;
            }
        }
        for a in &self.assignments_left_out {
            writeln!(f, "left out: {} assignment(s): {}", a.assignments, a.why)?;
        }
        for a in &self.attributes_left_out {
            writeln!(
                f,
                "left out: attribute `{a}`: the language names attributes with identifiers"
            )?;
        }
        for c in &self.changed {
            writeln!(f, "changed: {c}")?;
        }
        for a in &self.inactive_accounts {
            writeln!(
                f,
                "note: account {} is {} and holds {} assignment(s): written as an explicit target, which `accessc check` warns about (A510)",
                a.account_id, a.status, a.assignments
            )?;
        }
        if !self.user_grants_incomplete.is_empty() {
            writeln!(
                f,
                "{} user grant(s) lack {}: `accessc check` reports them (A400); give `--user-grant-owner` and `--user-grant-until`, or edit grants.access",
                self.user_grants_incomplete.len(),
                self.user_grants_incomplete
                    .iter()
                    .flat_map(|g| g.missing.iter().map(String::as_str))
                    .collect::<BTreeSet<&str>>()
                    .into_iter()
                    .collect::<Vec<_>>()
                    .join(" and ")
            )?;
        }
        Ok(())
    }
}

/// `s` safe to print on a terminal and inside a `//` comment: control,
/// line-separating and bidirectional-formatting characters as `\u{…}`
/// escapes (names and policies read are untrusted).
pub fn shown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let hidden = c.is_control()
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}');
        if hidden {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Why a permission set is foreign (another tool's), if it is: its name is
/// one of Control Tower's (`AWS…`), or it carries the ownership tag key
/// with another tool's value.
pub fn foreign_reason(ps: &PermissionSet) -> Option<String> {
    if ps.name.starts_with("AWS") {
        return Some(
            "named `AWS…`, as AWS Control Tower names the sets it creates and manages".into(),
        );
    }
    ps.tags
        .iter()
        .find(|(k, v)| k == OWNERSHIP_TAG.0 && v != OWNERSHIP_TAG.1)
        .map(|(k, v)| format!("tagged `{k} = {}`: another tool manages it", shown(v)))
}

/// Write the program of `model`.
pub fn write_program(model: &ImportModel, opts: &WriteOptions) -> Result<Written, WriteError> {
    let mut summary = Summary::default();

    // The organization.
    let (snapshot, synthesized) = organization(model)?;
    summary.org_synthesized = synthesized;
    let org = OrgIndex::new(&snapshot, synthesized);

    // Permission sets: which are written, under which identifier.
    let mut sets: BTreeMap<&str, &PermissionSet> = BTreeMap::new();
    for ps in &model.permission_sets {
        if sets.insert(ps.name.as_str(), ps).is_some() {
            return Err(WriteError::DuplicatePermissionSet(ps.name.clone()));
        }
    }
    let mut assignments: Vec<&Assignment> = model.assignments.iter().collect();
    assignments.sort_unstable();
    assignments.dedup();
    summary.assignments_read = assignments.len();
    let mut per_set: HashMap<&str, usize> = HashMap::new();
    for a in &assignments {
        *per_set.entry(a.permission_set.as_str()).or_default() += 1;
    }

    let mut cmps = CmpDeclarations::default();
    let mut written_sets: Vec<&PermissionSet> = Vec::new();
    for ps in sets.values() {
        if let Some(why) = foreign_reason(ps) {
            if !opts.include_foreign {
                summary.left_out.push(LeftOut {
                    name: shown(&ps.name),
                    why: format!("{why} (--include-foreign writes it)"),
                    assignments: per_set.get(ps.name.as_str()).copied().unwrap_or(0),
                });
                continue;
            }
            summary.foreign_included.push(shown(&ps.name));
        }
        if let Err(why) = cmps.admit(ps) {
            summary.left_out.push(LeftOut {
                name: shown(&ps.name),
                why: shown(&why),
                assignments: per_set.get(ps.name.as_str()).copied().unwrap_or(0),
            });
            continue;
        }
        written_sets.push(ps);
    }
    let fn_names = names::assign(written_sets.iter().map(|p| p.name.as_str()), "fn");
    let fn_ident = |name: &str| fn_names.get(name).cloned().unwrap_or_default();

    // Principals.
    let mut known: BTreeMap<(PrincipalType, &str), Option<&str>> = BTreeMap::new();
    for p in &model.principals {
        let slot = known.entry((p.kind, p.id.as_str())).or_insert(None);
        if slot.is_none() {
            *slot = p.name.as_deref();
        }
    }

    // Assignments by (set, principal): accounts.
    let written_names: BTreeSet<&str> = written_sets.iter().map(|p| p.name.as_str()).collect();
    let mut left_unknown_account: BTreeMap<&str, usize> = BTreeMap::new();
    let mut no_set = 0usize;
    let mut by_pair: BTreeMap<(&str, PrincipalType, &str), BTreeSet<usize>> = BTreeMap::new();
    for a in &assignments {
        if !written_names.contains(a.permission_set.as_str()) {
            if !sets.contains_key(a.permission_set.as_str()) {
                no_set += 1;
            }
            continue;
        }
        let Some(&acct) = org.by_id.get(a.account_id.as_str()) else {
            *left_unknown_account
                .entry(a.account_id.as_str())
                .or_default() += 1;
            continue;
        };
        by_pair
            .entry((
                a.permission_set.as_str(),
                a.principal_type,
                a.principal_id.as_str(),
            ))
            .or_default()
            .insert(acct);
        known
            .entry((a.principal_type, a.principal_id.as_str()))
            .or_insert(None);
    }
    if no_set > 0 {
        summary.assignments_left_out.push(AssignmentsLeftOut {
            why: "they name a permission set that was not read".into(),
            assignments: no_set,
        });
    }
    for (id, n) in left_unknown_account {
        summary.assignments_left_out.push(AssignmentsLeftOut {
            why: format!("account {} is not in the organization", shown(id)),
            assignments: n,
        });
    }

    // The quotas the setup read needs beyond the defaults.
    let mut per_account: HashMap<usize, BTreeSet<&str>> = HashMap::new();
    for (&(set, _, _), accts) in &by_pair {
        for &a in accts {
            if org.accounts[a].assignable {
                per_account.entry(a).or_default().insert(set);
            }
        }
    }
    let quotas = Quotas {
        managed_policies: written_sets
            .iter()
            .map(|p| p.managed_policies.len() + p.customer_managed_policies.len())
            .max()
            .unwrap_or(0),
        permission_sets: written_sets.len(),
        provisioned_per_account: per_account.values().map(BTreeSet::len).max().unwrap_or(0),
    };

    // Principal identifiers, for the principals that keep an assignment.
    let used: BTreeSet<(PrincipalType, &str)> = by_pair.keys().map(|&(_, k, id)| (k, id)).collect();
    let principal_names = principal_identifiers(&known, &used);
    let p_ident = |k: PrincipalType, id: &str| {
        principal_names
            .get(&(k, id.to_string()))
            .cloned()
            .unwrap_or_default()
    };

    // Grant lines.
    let tree = org.tree();
    let mut lines: Vec<GrantLine> = Vec::new();
    // (function, kind, principal, accounts) per pair: the assignable
    // accounts, and apart from them those AWS no longer assigns in.
    let mut active: Vec<Pair> = Vec::new();
    let mut inactive: Vec<Pair> = Vec::new();
    let mut inactive_count: BTreeMap<usize, usize> = BTreeMap::new();
    for (&(set, kind, pid), accts) in &by_pair {
        let f = fn_ident(set);
        let p = p_ident(kind, pid);
        let (on, off): (Vec<usize>, Vec<usize>) =
            accts.iter().partition(|&&a| org.accounts[a].assignable);
        for &a in &off {
            *inactive_count.entry(a).or_default() += 1;
        }
        summary.assignments_written += accts.len();
        if !on.is_empty() {
            active.push((f.clone(), kind, p.clone(), on));
        }
        if !off.is_empty() {
            inactive.push((f, kind, p, off));
        }
    }
    for (a, n) in inactive_count {
        let acct = &org.accounts[a];
        summary.inactive_accounts.push(InactiveAccount {
            account_id: acct.id.clone(),
            status: acct.status.clone(),
            assignments: n,
        });
    }
    for (pairs, is_active) in [(active, true), (inactive, false)] {
        for (functions, kind, principals, accts) in share(pairs) {
            // A made-up organization holds only the accounts named, so
            // `root` would read as "every account" once a real snapshot
            // replaces it: name each account instead.
            let cover = if is_active && !synthesized {
                tree.cover(&accts)
            } else {
                Cover {
                    targets: accts.iter().map(|&a| Target::Account(a)).collect(),
                    except: Vec::new(),
                }
            };
            lines.push(GrantLine {
                functions,
                kind,
                principals,
                cover,
                inactive: !is_active,
            });
        }
    }
    for l in &lines {
        if l.kind == PrincipalType::User {
            let mut missing = Vec::new();
            if opts.user_grant_owner.is_none() {
                missing.push("owner".to_string());
            }
            if opts.user_grant_until.is_none() {
                missing.push("until".to_string());
            }
            if !missing.is_empty() {
                summary.user_grants_incomplete.push(IncompleteUserGrant {
                    functions: l.functions.clone(),
                    users: l.principals.clone(),
                    missing,
                });
            }
        }
    }
    let mut rendered: Vec<(String, String)> = lines
        .iter()
        .map(|l| (l.sort_key(&org), l.render(&org, opts)))
        .collect();
    rendered.sort();
    summary.grant_lines = rendered.len();
    summary.grant_targets = lines.iter().map(|l| l.cover.cost()).sum();

    // Files.
    let mut files: Vec<(String, String)> = Vec::new();
    let org_json = snapshot
        .to_json()
        .map_err(|e| WriteError::InvalidOrg(vec![e.to_string()]))?;
    files.push(("org.json".into(), org_json));
    files.push((
        "org.access".into(),
        formatted("org.access", &org_access(model, &quotas, &mut summary))?,
    ));

    // identity.access
    let mut identity = String::from("// Groups and users, pinned by their identity-store ids.\n\n");
    let mut declared: Vec<(PrincipalType, String, Option<&str>, &str)> = used
        .iter()
        .map(|&(k, id)| {
            (
                k,
                p_ident(k, id),
                known.get(&(k, id)).copied().flatten(),
                id,
            )
        })
        .collect();
    declared.sort();
    for (k, ident, name, id) in &declared {
        let kw = match k {
            PrincipalType::Group => {
                summary.groups += 1;
                "group"
            }
            PrincipalType::User => {
                summary.users += 1;
                "user"
            }
        };
        // The display name (user name) is written when it is not the
        // identifier itself.
        match name {
            Some(n) if n != ident => {
                identity.push_str(&format!("{kw} {ident} {} id {}\n", quote(n), quote(id)))
            }
            _ => identity.push_str(&format!("{kw} {ident} id {}\n", quote(id))),
        }
    }
    files.push((
        "identity.access".into(),
        formatted("identity.access", &identity)?,
    ));

    // functions.access (and policies/)
    let mut functions = String::new();
    let mut policy_files = Vec::new();
    let declarations = cmps.render();
    if !declarations.is_empty() {
        functions.push_str(
            "// Customer managed policies the permission sets reference: they exist in the accounts\n// already, so they are declared `external` (never deployed from here).\n\n",
        );
        functions.push_str(&declarations);
    }
    let mut by_ident: Vec<(String, &PermissionSet)> = written_sets
        .iter()
        .map(|p| (fn_ident(&p.name), *p))
        .collect();
    by_ident.sort_by(|a, b| a.0.cmp(&b.0));
    for (ident, ps) in &by_ident {
        summary.functions += 1;
        functions.push_str(&function_text(
            ident,
            ps,
            &cmps,
            &mut summary,
            &mut policy_files,
        ));
    }
    files.push((
        "functions.access".into(),
        formatted("functions.access", &functions)?,
    ));
    policy_files.sort();
    files.extend(policy_files);

    // grants.access
    let mut grants = String::from(
        "// Who holds which function where: the assignments read, in as few grant lines as cover them\n// exactly.\n\n",
    );
    for (_, text) in &rendered {
        grants.push_str(text);
    }
    files.push(("grants.access".into(), formatted("grants.access", &grants)?));

    summary.left_out.sort_by(|a, b| a.name.cmp(&b.name));
    summary
        .inactive_accounts
        .sort_by(|a, b| a.account_id.cmp(&b.account_id));
    summary.foreign_included.sort();
    summary
        .inline_as_json
        .sort_by(|a, b| a.function.cmp(&b.function));
    Ok(Written { files, summary })
}

/// One (function, principal kind, principal, accounts) of the assignments read.
type Pair = (String, PrincipalType, String, Vec<usize>);

/// One grant line before its targets: functions, kind, principals, accounts.
type Shared = (Vec<String>, PrincipalType, Vec<String>, Vec<usize>);

/// Pairs with the same accounts shared into lines: principals with the same
/// accounts for a function share a line, then functions with the same
/// principals and accounts; or functions first, then principals. Whichever
/// order gives fewer lines is taken (principals first on a tie).
fn share(pairs: Vec<Pair>) -> Vec<Shared> {
    let principals_first = share_in_order(&pairs, true);
    let functions_first = share_in_order(&pairs, false);
    if functions_first.len() < principals_first.len() {
        functions_first
    } else {
        principals_first
    }
}

fn share_in_order(pairs: &[Pair], principals_first: bool) -> Vec<Shared> {
    // First step: (the other name, kind, accounts) → the names grouped.
    let mut first: BTreeMap<(&str, PrincipalType, &[usize]), BTreeSet<&str>> = BTreeMap::new();
    for (f, kind, p, accts) in pairs {
        let (key, member) = if principals_first { (f, p) } else { (p, f) };
        first
            .entry((key.as_str(), *kind, accts.as_slice()))
            .or_default()
            .insert(member.as_str());
    }
    // Second step: (kind, the group, accounts) → the other names.
    type Grouped<'p> = (PrincipalType, Vec<&'p str>, &'p [usize]);
    let mut second: BTreeMap<Grouped<'_>, Vec<&str>> = BTreeMap::new();
    for ((key, kind, accts), group) in first {
        second
            .entry((kind, group.into_iter().collect(), accts))
            .or_default()
            .push(key);
    }
    second
        .into_iter()
        .map(|((kind, group, accts), keys)| {
            let own = |v: Vec<&str>| -> Vec<String> {
                let mut v: Vec<String> = v.into_iter().map(str::to_string).collect();
                v.sort();
                v
            };
            let (functions, principals) = if principals_first {
                (own(keys), own(group))
            } else {
                (own(group), own(keys))
            };
            (functions, kind, principals, accts.to_vec())
        })
        .collect()
}

/// `text` in the formatter's layout.
fn formatted(file: &str, text: &str) -> Result<String, WriteError> {
    let (module, diags) = parse_file(FileId(0), text);
    if let Some(d) = diags.iter().find(|d| d.code.is_syntax()) {
        return Err(WriteError::Unreadable {
            file: file.into(),
            message: d.message.clone(),
        });
    }
    Ok(format_module(&module, text))
}

/// The snapshot to write, sorted, and whether it was made up.
fn organization(model: &ImportModel) -> Result<(OrgSnapshot, bool), WriteError> {
    let (mut snap, synthesized) = match &model.org {
        Some(o) => (o.clone(), false),
        None => {
            let ids: BTreeSet<&str> = model
                .assignments
                .iter()
                .map(|a| a.account_id.as_str())
                .collect();
            let snap = OrgSnapshot {
                format: org_snapshot::FORMAT.into(),
                root: None,
                management_account: None,
                accounts: ids
                    .into_iter()
                    .filter(|id| accessc_core::aws_ids::is_account_id(id))
                    .map(|id| org_snapshot::Account {
                        name: format!("account-{id}"),
                        id: id.to_string(),
                        status: None,
                    })
                    .collect(),
                ous: Vec::new(),
                identity_store: None,
            };
            (snap, true)
        }
    };
    sort_snapshot(&mut snap);
    let errors = snap.validate();
    if !errors.is_empty() {
        return Err(WriteError::InvalidOrg(
            errors
                .into_iter()
                .map(|e| format!("{}: {}", e.path, e.message))
                .collect(),
        ));
    }
    Ok((snap, synthesized))
}

fn sort_snapshot(s: &mut OrgSnapshot) {
    fn ous(list: &mut [org_snapshot::Ou]) {
        list.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        for o in list.iter_mut() {
            o.accounts
                .sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
            ous(&mut o.ous);
        }
    }
    s.accounts
        .sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    ous(&mut s.ous);
    if let Some(store) = &mut s.identity_store {
        store.groups.sort_keys();
        store.users.sort_keys();
    }
}

/// One account of the organization as grants name it.
struct OrgAccount {
    id: String,
    /// `account NAME`, or the quoted id when the name is not unique.
    target: String,
    assignable: bool,
    status: String,
}

/// The organization's tree with the names grants use.
struct OrgIndex {
    accounts: Vec<OrgAccount>,
    by_id: HashMap<String, usize>,
    /// Node 0 is the root; the others are OUs by path.
    node_paths: Vec<String>,
    /// Whether a grant can name the node (every segment of its path an
    /// identifier the grammar reads).
    node_nameable: Vec<bool>,
    node_children: Vec<Vec<usize>>,
    node_accounts: Vec<Vec<usize>>,
}

impl OrgIndex {
    /// `by_id`: name accounts by their quoted ids (a made-up organization's
    /// names say nothing).
    fn new(s: &OrgSnapshot, by_id: bool) -> OrgIndex {
        let mut name_count: HashMap<&str, usize> = HashMap::new();
        for a in s.all_accounts() {
            *name_count.entry(a.name.as_str()).or_default() += 1;
        }
        let mut idx = OrgIndex {
            accounts: Vec::new(),
            by_id: HashMap::new(),
            node_paths: vec!["root".into()],
            node_nameable: vec![true],
            node_children: vec![Vec::new()],
            node_accounts: vec![Vec::new()],
        };
        let add_accounts = |idx: &mut OrgIndex, node: usize, list: &[org_snapshot::Account]| {
            for a in list {
                if idx.by_id.contains_key(&a.id) {
                    continue;
                }
                let unique =
                    !by_id && name_count.get(a.name.as_str()) == Some(&1) && is_ident(&a.name);
                let i = idx.accounts.len();
                idx.accounts.push(OrgAccount {
                    id: a.id.clone(),
                    target: if unique {
                        format!("account {}", a.name)
                    } else {
                        quote(&a.id)
                    },
                    assignable: a.state().is_assignable(),
                    status: a.state().as_str().to_string(),
                });
                idx.by_id.insert(a.id.clone(), i);
                idx.node_accounts[node].push(i);
            }
        };
        add_accounts(&mut idx, 0, &s.accounts);
        // Breadth-first, bounded by the snapshot's validated depth.
        let mut queue: Vec<(usize, &org_snapshot::Ou, String)> =
            s.ous.iter().map(|o| (0, o, o.name.clone())).collect();
        let mut next = 0;
        while next < queue.len() {
            let (parent, ou, path) = queue[next].clone();
            next += 1;
            let node = idx.node_paths.len();
            let nameable = idx.node_nameable[parent] && is_ident(&ou.name);
            idx.node_nameable.push(nameable);
            idx.node_paths.push(path.clone());
            idx.node_children.push(Vec::new());
            idx.node_accounts.push(Vec::new());
            idx.node_children[parent].push(node);
            add_accounts(&mut idx, node, &ou.accounts);
            for c in &ou.ous {
                queue.push((node, c, format!("{path}/{}", c.name)));
            }
        }
        idx
    }

    fn tree(&self) -> Tree {
        Tree {
            nodes: self
                .node_children
                .iter()
                .zip(&self.node_accounts)
                .zip(&self.node_nameable)
                .map(|((c, a), &nameable)| compress::Node {
                    children: c.clone(),
                    accounts: a.clone(),
                    unnamed: !nameable,
                })
                .collect(),
            accounts: self
                .accounts
                .iter()
                .map(|a| TreeAccount {
                    assignable: a.assignable,
                })
                .collect(),
        }
    }

    fn target(&self, t: &Target) -> String {
        match *t {
            Target::Node(n) => self.node_paths[n].clone(),
            Target::Account(a) => self.accounts[a].target.clone(),
        }
    }
}

struct GrantLine {
    functions: Vec<String>,
    kind: PrincipalType,
    principals: Vec<String>,
    cover: Cover,
    inactive: bool,
}

impl GrantLine {
    fn sort_key(&self, org: &OrgIndex) -> String {
        format!(
            "{}\u{0}{}\u{0}{}\u{0}{}",
            self.functions.join(","),
            self.kind.as_str(),
            self.principals.join(","),
            self.cover
                .targets
                .iter()
                .map(|t| org.target(t))
                .collect::<Vec<_>>()
                .join(",")
        )
    }

    fn render(&self, org: &OrgIndex, opts: &WriteOptions) -> String {
        let mut s = String::new();
        if self.inactive {
            let states: BTreeSet<String> = self
                .cover
                .targets
                .iter()
                .filter_map(|t| match t {
                    Target::Account(a) => Some(org.accounts[*a].status.to_lowercase()),
                    Target::Node(_) => None,
                })
                .collect();
            s.push_str(&format!(
                "// {} account(s): AWS keeps these assignments, but makes none there (A510).\n",
                states.into_iter().collect::<Vec<_>>().join(" or ")
            ));
        }
        let principals: Vec<String> = self
            .principals
            .iter()
            .map(|p| match self.kind {
                PrincipalType::Group => p.clone(),
                PrincipalType::User => format!("user {p}"),
            })
            .collect();
        s.push_str(&format!(
            "grant {} to {} on {}",
            self.functions.join(", "),
            principals.join(", "),
            self.cover
                .targets
                .iter()
                .map(|t| org.target(t))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        if !self.cover.except.is_empty() {
            s.push_str(" except ");
            s.push_str(
                &self
                    .cover
                    .except
                    .iter()
                    .map(|t| org.target(t))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
        }
        if self.kind == PrincipalType::User {
            if let Some(o) = &opts.user_grant_owner {
                s.push_str(&format!(" owner {}", quote(o)));
            }
            if let Some(u) = &opts.user_grant_until {
                s.push_str(&format!(" until {u}"));
            }
        }
        s.push('\n');
        s
    }
}

/// Identifiers of the principals in `used`, per kind: from the name, or
/// from the id when the source has no name.
fn principal_identifiers(
    known: &BTreeMap<(PrincipalType, &str), Option<&str>>,
    used: &BTreeSet<(PrincipalType, &str)>,
) -> HashMap<(PrincipalType, String), String> {
    let mut out = HashMap::new();
    for kind in [PrincipalType::Group, PrincipalType::User] {
        let prefix = match kind {
            PrincipalType::Group => "group",
            PrincipalType::User => "user",
        };
        // The text each identifier is made from: the name, unless another
        // principal of the kind has the same one (then name and id).
        let mut by_name: HashMap<&str, usize> = HashMap::new();
        for &(k, id) in used {
            if k == kind {
                if let Some(Some(n)) = known.get(&(k, id)) {
                    *by_name.entry(n).or_default() += 1;
                }
            }
        }
        let mut source: Vec<(String, &str)> = Vec::new();
        for &(k, id) in used {
            if k != kind {
                continue;
            }
            let text = match known.get(&(k, id)).copied().flatten() {
                Some(n) if by_name.get(n) == Some(&1) => n.to_string(),
                Some(n) => format!("{n} {id}"),
                None => format!("{prefix}-{id}"),
            };
            source.push((text, id));
        }
        let idents = names::assign(source.iter().map(|(t, _)| t.as_str()), prefix);
        for (text, id) in source {
            if let Some(i) = idents.get(&text) {
                out.insert((kind, id.to_string()), i.clone());
            }
        }
    }
    out
}

/// What the program needs of the instance's quotas: the most managed
/// policies one set references, the sets written, the most sets one account
/// holds.
struct Quotas {
    managed_policies: usize,
    permission_sets: usize,
    provisioned_per_account: usize,
}

impl Quotas {
    /// The `quotas` block when the defaults (10, 3,500, 500) do not hold them.
    fn block(&self) -> String {
        let mut lines = Vec::new();
        if self.managed_policies > 10 {
            lines.push(format!("  managed_policies {}\n", self.managed_policies));
        }
        if self.permission_sets > 3500 {
            lines.push(format!("  permission_sets {}\n", self.permission_sets));
        }
        if self.provisioned_per_account > 500 {
            lines.push(format!(
                "  provisioned_per_account {}\n",
                self.provisioned_per_account
            ));
        }
        if lines.is_empty() {
            return String::new();
        }
        format!(
            "// The setup read is past the default quotas: these are what it uses, and what AWS must\n// allow wherever this program is deployed.\nquotas {{\n{}}}\n\n",
            lines.concat()
        )
    }
}

fn org_access(model: &ImportModel, quotas: &Quotas, summary: &mut Summary) -> String {
    let mut s = String::new();
    let i = &model.instance;
    if i.arn.is_some() || i.identity_store_id.is_some() || i.region.is_some() {
        s.push_str("instance {\n");
        if let Some(a) = &i.arn {
            s.push_str(&format!("  arn {}\n", quote(a)));
        }
        if let Some(d) = &i.identity_store_id {
            s.push_str(&format!("  identity_store {}\n", quote(d)));
        }
        if let Some(r) = &i.region {
            s.push_str(&format!("  region {}\n", quote(r)));
        }
        s.push_str("}\n\n");
    }
    let mut attrs = Vec::new();
    let mut seen = BTreeSet::new();
    for a in &model.attributes {
        if !is_ident(&a.key) {
            summary.attributes_left_out.push(shown(&a.key));
            continue;
        }
        if seen.insert(a.key.as_str()) {
            attrs.push(format!("  {} = {}\n", a.key, quote(&a.source)));
        }
    }
    if !attrs.is_empty() {
        s.push_str("attributes {\n");
        for a in attrs {
            s.push_str(&a);
        }
        s.push_str("}\n\n");
    }
    s.push_str(&quotas.block());
    s.push_str("org from \"org.json\"\n");
    s
}

/// The customer managed policies the written sets reference (as policies or
/// boundaries): one `external` declaration per name, so one path per name.
#[derive(Default)]
struct CmpDeclarations {
    /// name → path
    paths: BTreeMap<String, String>,
}

impl CmpDeclarations {
    /// Take `ps`'s references, or say why they cannot be declared.
    fn admit(&mut self, ps: &PermissionSet) -> Result<(), String> {
        let mut refs: Vec<(&str, &str)> = ps
            .customer_managed_policies
            .iter()
            .map(|r| (r.name.as_str(), r.path.as_str()))
            .collect();
        if let Some(Boundary::CustomerManagedPolicy(r)) = &ps.permissions_boundary {
            refs.push((&r.name, &r.path));
        }
        for &(name, path) in &refs {
            if !is_ident(name) {
                return Err(format!(
                    "its customer managed policy `{name}` has a name the language cannot declare (`managed_policy` names are identifiers)"
                ));
            }
            if let Some(p) = self.paths.get(name) {
                if p != path {
                    return Err(format!(
                        "it references customer managed policy `{name}` at path `{path}`, another set at `{p}`; a program declares one path per name"
                    ));
                }
            }
        }
        for (name, path) in refs {
            self.paths.insert(name.to_string(), path.to_string());
        }
        Ok(())
    }

    fn render(&self) -> String {
        let mut s = String::new();
        for (name, path) in &self.paths {
            s.push_str(&format!("managed_policy {name} {{\n"));
            if path != "/" {
                s.push_str(&format!("  path {}\n", quote(path)));
            }
            s.push_str("  external\n}\n\n");
        }
        s
    }
}

/// `session 4h`: the duration in the language's shortest spelling.
fn session_text(d: SessionDuration) -> String {
    let m = d.minutes();
    match (m / 60, m % 60) {
        (h, 0) => format!("{h}h"),
        (0, m) => format!("{m}m"),
        (h, m) => format!("{h}h{m}m"),
    }
}

/// The seconds of an ISO 8601 time duration that
/// [`SessionDuration::parse_iso8601`] reads (0 when it does not).
fn seconds(text: &str) -> u64 {
    let mut total = 0u64;
    let mut num = 0u64;
    for c in text.trim_start_matches("PT").chars() {
        match c {
            '0'..='9' => {
                num = num
                    .saturating_mul(10)
                    .saturating_add(u64::from(c as u8 - b'0'))
            }
            'H' | 'M' | 'S' => {
                let unit = match c {
                    'H' => 3600,
                    'M' => 60,
                    _ => 1,
                };
                total = total.saturating_add(num.saturating_mul(unit));
                num = 0;
            }
            _ => return 0,
        }
    }
    total
}

/// An AWS-managed policy as a function names it: its catalog name when the
/// catalog gives that name exactly this ARN (and no declared customer
/// managed policy has the name), else the quoted ARN.
fn aws_policy(arn: &str, cmps: &CmpDeclarations) -> String {
    let cat = accessc_core::catalog::managed_policies();
    match cat.by_arn(arn) {
        Some(name)
            if cat.arn(name) == Some(arn) && is_ident(name) && !cmps.paths.contains_key(name) =>
        {
            name.to_string()
        }
        _ => quote(arn),
    }
}

fn tag_key(k: &str) -> String {
    if is_ident(k) {
        k.to_string()
    } else {
        quote(k)
    }
}

fn function_text(
    ident: &str,
    ps: &PermissionSet,
    cmps: &CmpDeclarations,
    summary: &mut Summary,
    policy_files: &mut Vec<(String, String)>,
) -> String {
    let mut body: Vec<String> = Vec::new();
    let mut before = String::new();
    if ident != ps.name {
        body.push(format!("name {}", quote(&ps.name)));
    }
    if let Some(d) = &ps.description {
        body.push(format!("description {}", quote(d)));
    }
    if let Some(text) = ps.session_duration.as_deref() {
        match SessionDuration::parse_iso8601(text) {
            Some(s) => {
                if s != SessionDuration::DEFAULT {
                    body.push(format!("session {}", session_text(s)));
                }
                if text.contains('S') && s.minutes() * 60 != seconds(text) {
                    summary.changed.push(format!(
                        "permission set `{}`: session duration `{}` has seconds; written in whole minutes ({})",
                        shown(&ps.name),
                        shown(text),
                        session_text(s)
                    ));
                }
            }
            None => summary.changed.push(format!(
                "permission set `{}`: session duration `{}` is not an ISO 8601 duration of hours, minutes and seconds; written as the default (1h)",
                shown(&ps.name),
                shown(text)
            )),
        }
    }
    if let Some(r) = &ps.relay_state {
        body.push(format!("relay {}", quote(r)));
    }
    if !ps.managed_policies.is_empty() {
        body.push(format!(
            "managed {}",
            ps.managed_policies
                .iter()
                .map(|a| aws_policy(a, cmps))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !ps.customer_managed_policies.is_empty() {
        body.push(format!(
            "customer {}",
            ps.customer_managed_policies
                .iter()
                .map(|r| r.name.clone())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    match &ps.permissions_boundary {
        Some(Boundary::CustomerManagedPolicy(r)) => body.push(format!("boundary {}", r.name)),
        Some(Boundary::ManagedPolicyArn(arn)) => {
            body.push(format!("boundary {}", aws_policy(arn, cmps)))
        }
        None => {}
    }
    let mut statements = Vec::new();
    if let Some(text) = &ps.inline_policy {
        match decompile(text) {
            Decompiled::Statements(lines) => {
                summary.inline_as_statements += 1;
                statements = lines;
            }
            Decompiled::Json(why) => {
                let why = shown(&why);
                let policy = format!("{ident}-inline");
                // Unique even on a file system that ignores case.
                let mut file = format!("policies/{ident}.json");
                let mut n = 1;
                while policy_files
                    .iter()
                    .any(|(f, _)| f.eq_ignore_ascii_case(&file))
                {
                    n += 1;
                    file = format!("policies/{ident}-{n}.json");
                }
                let content = match serde_json::from_str::<serde_json::Value>(text)
                    .ok()
                    .and_then(|v| serde_json::to_string_pretty(&v).ok())
                {
                    Some(pretty) => pretty + "\n",
                    None => text.clone(),
                };
                before.push_str(&format!(
                    "// The inline policy of {ident}, kept as JSON: {why}.\npolicy {policy} from json {}\n\n",
                    quote(&file)
                ));
                body.push(format!("inline {policy}"));
                summary.inline_as_json.push(KeptAsJson {
                    function: ident.to_string(),
                    file: file.clone(),
                    why,
                });
                policy_files.push((file, content));
            }
        }
    }
    // Sorted by key, as AWS (and the IR) keeps them: their order means nothing.
    let mut tags: Vec<&(String, String)> = ps
        .tags
        .iter()
        .filter(|(k, _)| k != OWNERSHIP_TAG.0)
        .collect();
    tags.sort();
    let tags: Vec<String> = tags
        .into_iter()
        .map(|(k, v)| format!("{} = {}", tag_key(k), quote(v)))
        .collect();
    if !tags.is_empty() {
        body.push(format!("tags {}", tags.join(", ")));
    }
    let mut s = before;
    s.push_str(&format!("function {ident} {{\n"));
    for b in body.iter().chain(&statements) {
        s.push_str("  ");
        s.push_str(b);
        s.push('\n');
    }
    s.push_str("}\n\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Instance;

    fn set(name: &str) -> PermissionSet {
        PermissionSet {
            arn: None,
            name: name.into(),
            description: None,
            session_duration: None,
            relay_state: None,
            tags: Vec::new(),
            managed_policies: Vec::new(),
            customer_managed_policies: Vec::new(),
            permissions_boundary: None,
            inline_policy: None,
        }
    }

    #[test]
    fn what_cannot_be_written_says_what_to_do() {
        let model = ImportModel {
            permission_sets: vec![set("Ops"), set("Ops")],
            ..ImportModel::default()
        };
        let e = write_program(&model, &WriteOptions::default()).expect_err("duplicate");
        assert!(
            e.to_string()
                .contains("two permission sets are named `Ops`\nhelp: "),
            "{e}"
        );

        let mut org = OrgSnapshot {
            format: org_snapshot::FORMAT.into(),
            root: Some("not-a-root".into()),
            management_account: None,
            accounts: Vec::new(),
            ous: Vec::new(),
            identity_store: None,
        };
        let model = ImportModel {
            instance: Instance::default(),
            org: Some(org.clone()),
            ..ImportModel::default()
        };
        let e = write_program(&model, &WriteOptions::default()).expect_err("bad org");
        assert!(matches!(e, WriteError::InvalidOrg(_)));
        assert!(
            e.to_string().contains("help: write a fresh snapshot"),
            "{e}"
        );
        org.root = None;
        let model = ImportModel {
            org: Some(org),
            ..ImportModel::default()
        };
        assert!(write_program(&model, &WriteOptions::default()).is_ok());
    }

    #[test]
    fn foreign_sets_are_control_towers_and_other_tools() {
        assert!(foreign_reason(&set("AWSAdministratorAccess")).is_some());
        assert!(foreign_reason(&set("AWSServiceCatalogEndUserAccess")).is_some());
        assert!(foreign_reason(&set("AwsLikeButOurs")).is_none());
        let mut ours = set("Ops");
        ours.tags = vec![("ManagedBy".into(), "accessc".into())];
        assert!(foreign_reason(&ours).is_none());
        let mut theirs = set("Ops");
        theirs.tags = vec![("ManagedBy".into(), "terraform".into())];
        assert!(foreign_reason(&theirs).is_some());
    }

    #[test]
    fn shown_escapes_what_a_terminal_or_a_comment_would_misread() {
        assert_eq!(shown("a\nb\u{202e}c"), "a\\u{a}b\\u{202e}c");
        assert_eq!(shown("Département"), "Département");
    }
}
