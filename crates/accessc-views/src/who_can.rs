//! `accessc who-can`: the effective access of a checked program, one row per
//! (principal, function, account), with the grant that gives it, its owner
//! and its expiry, filtered by account, OU subtree, group, user, function or
//! IAM action.
//!
//! Rows come from the checked model's assignments: the distinct (principal,
//! function, account) triples the IR's assignments are lowered from. When
//! several grants give the same triple (which the checker reports as A404),
//! the row names the first of them in program order (files in load order,
//! grants in source order): the grant the model records, whose owner and
//! `until` the IR carries too.

mod action;

use accessc_core::ast::PrincipalKind;
use accessc_core::catalog;
use accessc_core::date::Date;
use accessc_core::ir::PrincipalType;
use accessc_core::model::{AccountIdx, FnIdx, Idx, Model, PrincipalIdx};
use accessc_core::span::{SourceMap, Span};
use accessc_core::suggest::{closest_by_edits, did_you_mean};
use serde::Serialize;
use std::collections::HashMap;

pub use action::{ActionCheck, Allowance};

/// What to show: every filter given must hold (no filter: everything), except
/// that `group` and `user` together select the rows of either principal.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// An account's name or 12-digit id.
    pub account: Option<String>,
    /// An OU path (`Workloads/NonProd`): every account at any depth under it.
    pub ou: Option<String>,
    pub group: Option<String>,
    pub user: Option<String>,
    /// A function's name (its permission set name is accepted too).
    pub function: Option<String>,
    /// `SERVICE:ACTION`: only functions whose policies allow it.
    pub action: Option<String>,
}

/// A filter that names nothing the program declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownName {
    /// `account`, `OU`, `group`, `user`, `function` or `action`.
    pub what: &'static str,
    pub name: String,
    /// The closest declared name, for a did-you-mean.
    pub suggestion: Option<String>,
    /// What else to try.
    pub help: Option<String>,
}

impl std::fmt::Display for UnknownName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unknown {} `{}`", self.what, self.name)
    }
}

/// Where a row's access comes from: the `grant` keyword of the grant.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Via {
    pub file: String,
    pub line: usize,
}

/// One (principal, function, account) of the effective access.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    pub principal_type: PrincipalType,
    pub principal: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    /// The function's name in the program.
    pub function: String,
    /// Its permission set's name in AWS.
    #[serde(skip)]
    pub permission_set: String,
    pub account: String,
    pub account_id: String,
    pub via: Via,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<Date>,
    /// With `--action`: the conditions the allow is under (absent when it
    /// is unconditional).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
}

/// The rows of the program's effective access that `query` selects, sorted
/// by (principal type, principal, function, account name, account id). An
/// unknown name in a filter is an error, with the closest name.
pub fn who_can(model: &Model, sources: &SourceMap, query: &Query) -> Result<Vec<Row>, UnknownName> {
    let filter = Filter::resolve(model, query)?;
    let mut allowed: HashMap<(FnIdx, AccountIdx), Option<Allowance>> = HashMap::new();
    let mut lines: HashMap<Span, Via> = HashMap::new();
    let mut rows = Vec::new();
    for a in &model.assignments {
        if !filter.keeps(a.principal, a.function, a.account) {
            continue;
        }
        let condition = match &filter.action {
            None => None,
            Some(check) => {
                let verdict = allowed
                    .entry((a.function, a.account))
                    .or_insert_with(|| check.judge(model, a.function, a.account));
                match verdict {
                    None => continue,
                    Some(allowance) => allowance.condition.clone(),
                }
            }
        };
        let p = &model.principals[a.principal];
        let f = &model.functions[a.function];
        let acct = &model.org.accounts[a.account];
        let g = &model.grants[a.grant];
        let via = lines
            .entry(g.span)
            .or_insert_with(|| {
                let file = sources.get(g.span.file);
                Via {
                    file: file.name.clone(),
                    line: file.line_col(g.span.start).0,
                }
            })
            .clone();
        rows.push(Row {
            principal_type: principal_type(p.kind),
            principal: p.name.clone(),
            principal_id: p.id.clone(),
            function: f.name.clone(),
            permission_set: f.aws_name.clone(),
            account: acct.name.clone(),
            account_id: acct.id.clone(),
            via,
            owner: g.owner.clone(),
            until: g.until,
            condition,
        });
    }
    rows.sort_by(|a, b| {
        (
            a.principal_type,
            &a.principal,
            &a.function,
            &a.account,
            &a.account_id,
        )
            .cmp(&(
                b.principal_type,
                &b.principal,
                &b.function,
                &b.account,
                &b.account_id,
            ))
    });
    Ok(rows)
}

fn principal_type(kind: PrincipalKind) -> PrincipalType {
    match kind {
        PrincipalKind::Group => PrincipalType::Group,
        PrincipalKind::User => PrincipalType::User,
    }
}

/// A [`Query`] with every name resolved to the model's indices.
struct Filter {
    /// The accounts an `--account` or `--ou` filter allows (both: both).
    accounts: Option<Vec<bool>>,
    principals: Vec<PrincipalIdx>,
    function: Option<FnIdx>,
    action: Option<ActionCheck>,
}

impl Filter {
    fn resolve(model: &Model, q: &Query) -> Result<Filter, UnknownName> {
        let org = &model.org;
        let mut accounts: Option<Vec<bool>> = None;
        let mut narrow = |keep: Vec<bool>| {
            accounts = Some(match accounts.take() {
                None => keep,
                Some(had) => had.iter().zip(&keep).map(|(a, b)| *a && *b).collect(),
            });
        };
        if let Some(name) = &q.account {
            let found = org
                .accounts
                .position(|a| a.name == *name)
                .or_else(|| org.accounts.position(|a| a.id == *name));
            let Some(i) = found else {
                return Err(UnknownName {
                    what: "account",
                    name: name.clone(),
                    suggestion: did_you_mean(name, org.accounts.iter().map(|a| a.name.as_str())),
                    help: Some(match org.ous.iter().find(|o| o.path == *name) {
                        Some(o) => format!("`{}` is an OU: use `--ou {}`", o.path, o.path),
                        None => "give an account's name or its 12-digit id".to_string(),
                    }),
                });
            };
            let mut keep = vec![false; org.accounts.len()];
            if let Some(k) = keep.get_mut(i.index()) {
                *k = true;
            }
            narrow(keep);
        }
        if let Some(path) = &q.ou {
            let path = path.trim_matches('/');
            let Some(ou) = org.ou_by_path(path) else {
                let suffix = format!("/{path}");
                let tails: Vec<&str> = org
                    .ous
                    .iter()
                    .filter(|o| o.path.ends_with(&suffix))
                    .map(|o| o.path.as_str())
                    .collect();
                let suggestion = match tails.as_slice() {
                    [only] => Some((*only).to_string()),
                    _ => did_you_mean(path, org.ous.iter().map(|o| o.path.as_str())),
                };
                return Err(UnknownName {
                    what: "OU",
                    name: path.to_string(),
                    suggestion,
                    help: Some(match org.accounts.iter().find(|a| a.name == path) {
                        Some(a) => {
                            format!("`{}` is an account: use `--account {}`", a.name, a.name)
                        }
                        None => match org.ous.iter().find(|o| !o.path.contains('/')) {
                            Some(top) => {
                                format!("OU paths start at the root, e.g. `{}`", top.path)
                            }
                            None => "the org has no OU: use `--account NAME`".to_string(),
                        },
                    }),
                });
            };
            let mut under = Vec::new();
            org.accounts_under(ou, &mut under);
            let mut keep = vec![false; org.accounts.len()];
            for a in under {
                if let Some(k) = keep.get_mut(a.index()) {
                    *k = true;
                }
            }
            narrow(keep);
        }
        let mut principals = Vec::new();
        for (name, kind, what, other, flag) in [
            (
                &q.group,
                PrincipalKind::Group,
                "group",
                PrincipalKind::User,
                "--user",
            ),
            (
                &q.user,
                PrincipalKind::User,
                "user",
                PrincipalKind::Group,
                "--group",
            ),
        ] {
            let Some(name) = name else { continue };
            match model
                .principals
                .position(|p| p.kind == kind && p.name == *name)
            {
                Some(i) => principals.push(i),
                None => {
                    let same_kind = model
                        .principals
                        .iter()
                        .filter(|p| p.kind == kind)
                        .map(|p| p.name.as_str());
                    let is_other = model
                        .principals
                        .iter()
                        .any(|p| p.kind == other && p.name == *name);
                    return Err(UnknownName {
                        what,
                        name: name.clone(),
                        suggestion: did_you_mean(name, same_kind),
                        help: is_other.then(|| {
                            let other = if kind == PrincipalKind::Group {
                                "user"
                            } else {
                                "group"
                            };
                            format!("`{name}` is a {other}: use `{flag} {name}`")
                        }),
                    });
                }
            }
        }
        let function = match &q.function {
            None => None,
            Some(name) => {
                let found = model.functions.index_of(name).or_else(|| {
                    model
                        .functions
                        .iter_enumerated()
                        .find(|(_, f)| f.aws_name == *name)
                        .map(|(i, _)| i)
                });
                match found {
                    Some(i) => Some(i),
                    None => {
                        return Err(UnknownName {
                            what: "function",
                            name: name.clone(),
                            suggestion: did_you_mean(
                                name,
                                model.functions.values().map(|f| f.name.as_str()),
                            ),
                            help: None,
                        })
                    }
                }
            }
        };
        let action = match &q.action {
            None => None,
            Some(text) => Some(resolve_action(text)?),
        };
        Ok(Filter {
            accounts,
            principals,
            function,
            action,
        })
    }

    fn keeps(&self, p: PrincipalIdx, f: FnIdx, a: AccountIdx) -> bool {
        self.accounts
            .as_ref()
            .is_none_or(|keep| keep.get(a.index()).copied().unwrap_or(false))
            && (self.principals.is_empty() || self.principals.contains(&p))
            && self.function.is_none_or(|want| want == f)
    }
}

/// `s3:GetObject` checked against the IAM catalog: a known service and one
/// of its actions (no wildcard), spelled as AWS spells it.
fn resolve_action(text: &str) -> Result<ActionCheck, UnknownName> {
    let unknown = |suggestion: Option<String>, help: &str| UnknownName {
        what: "action",
        name: text.to_string(),
        suggestion,
        help: Some(help.to_string()),
    };
    let Some((prefix, name)) = text.split_once(':') else {
        return Err(unknown(
            None,
            "write the action as `SERVICE:ACTION`: `s3:GetObject`",
        ));
    };
    if name.contains(['*', '?']) || prefix.contains(['*', '?']) {
        return Err(unknown(
            None,
            "give one action, without a wildcard: `s3:GetObject`",
        ));
    }
    let iam = catalog::iam();
    let Some(service) = iam.service(prefix) else {
        let suggestion = iam.suggest_prefix(prefix).map(|p| format!("{p}:{name}"));
        return Err(unknown(
            suggestion,
            "the service prefix is not in the IAM catalog",
        ));
    };
    let Some((spelled, _)) = service.action(name) else {
        let suggestion = service
            .suggest_action(name)
            .or_else(|| closest_by_edits(name, service.actions().map(|(n, _)| n)))
            .map(|a| format!("{}:{a}", service.prefix));
        return Err(unknown(
            suggestion,
            &format!("`{}` has no such action in the IAM catalog", service.prefix),
        ));
    };
    Ok(ActionCheck::new(format!("{}:{spelled}", service.prefix)))
}

// ---------------------------------------------------------------------------
// Output

/// The table for people: one line per row, columns aligned, then a count.
pub fn table(rows: &[Row], with_condition: bool) -> String {
    let mut head = vec!["PRINCIPAL", "FUNCTION", "ACCOUNT", "VIA", "OWNER", "UNTIL"];
    if with_condition {
        head.push("CONDITION");
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut c = vec![
                format!("{} {}", kind_word(r.principal_type), r.principal),
                r.function.clone(),
                format!("{} ({})", r.account, r.account_id),
                format!("{}:{}", r.via.file, r.via.line),
                r.owner.clone().unwrap_or_else(|| "-".into()),
                r.until.map_or_else(|| "-".into(), |d| d.to_string()),
            ];
            if with_condition {
                c.push(r.condition.clone().unwrap_or_else(|| "-".into()));
            }
            c.into_iter().map(|s| printable(&s)).collect()
        })
        .collect();
    let mut width: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
    for row in &cells {
        for (w, c) in width.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cols: &[&str]| {
        let mut l = String::new();
        for (i, (c, w)) in cols.iter().zip(&width).enumerate() {
            l.push_str(c);
            if i + 1 < cols.len() {
                l.push_str(&" ".repeat(w.saturating_sub(c.chars().count()) + 2));
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(&head);
    for row in &cells {
        line(&row.iter().map(String::as_str).collect::<Vec<_>>());
    }
    out.push_str(&match rows.len() {
        1 => "1 assignment\n".to_string(),
        n => format!("{n} assignments\n"),
    });
    out
}

fn kind_word(t: PrincipalType) -> &'static str {
    match t {
        PrincipalType::Group => "group",
        PrincipalType::User => "user",
    }
}

/// Control characters shown as `\u{…}`, so a name cannot move the cursor
/// or rewrite the terminal.
fn printable(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// The rows as a JSON array (`docs/views.md` gives the shape).
pub fn json(rows: &[Row]) -> String {
    let mut s = serde_json::to_string_pretty(rows).unwrap_or_else(|_| "[]".into());
    s.push('\n');
    s
}

/// The rows as CSV (RFC 4180: CRLF line ends, fields with a comma, quote or
/// line break quoted, quotes doubled), one assignment a line, for an access
/// review. A cell that a spreadsheet would read as a formula (starting with
/// `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`, as
/// OWASP's "CSV Injection" advice has it.
pub fn csv(rows: &[Row], with_condition: bool) -> String {
    let mut head = vec![
        "principal_type",
        "principal",
        "principal_id",
        "function",
        "permission_set",
        "account",
        "account_id",
        "file",
        "line",
        "owner",
        "until",
    ];
    if with_condition {
        head.push("condition");
    }
    let mut out = String::new();
    push_csv_line(&mut out, head.iter().map(|s| s.to_string()));
    for r in rows {
        let mut cells = vec![
            r.principal_type.as_str().to_string(),
            r.principal.clone(),
            r.principal_id.clone().unwrap_or_default(),
            r.function.clone(),
            r.permission_set.clone(),
            r.account.clone(),
            r.account_id.clone(),
            r.via.file.clone(),
            r.via.line.to_string(),
            r.owner.clone().unwrap_or_default(),
            r.until.map(|d| d.to_string()).unwrap_or_default(),
        ];
        if with_condition {
            cells.push(r.condition.clone().unwrap_or_default());
        }
        push_csv_line(&mut out, cells.into_iter());
    }
    out
}

fn push_csv_line(out: &mut String, cells: impl Iterator<Item = String>) {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&csv_cell(&cell));
    }
    out.push_str("\r\n");
}

/// One CSV field: neutralized against formula injection, then quoted when
/// RFC 4180 requires it.
pub fn csv_cell(value: &str) -> String {
    let safe = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if safe.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", safe.replace('"', "\"\""))
    } else {
        safe
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_defused() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-2"), "'-2");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("\tx"), "'\tx");
        assert_eq!(csv_cell("\rx"), "\"'\rx\"");
        assert_eq!(csv_cell("a=b"), "a=b");
        assert_eq!(csv_cell(""), "");
    }

    #[test]
    fn control_characters_are_escaped_in_the_table() {
        assert_eq!(printable("ok"), "ok");
        assert_eq!(printable("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
    }
}
