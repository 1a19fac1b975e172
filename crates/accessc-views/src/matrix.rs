//! The access matrix: one self-contained HTML page (`accessc matrix`) with
//! the principal × account grid of the checked program, the functions in
//! each cell, filters, highlights and each function's policy.
//!
//! The page is a fixed shell (`matrix/page.css`, `matrix/page.js`) and the
//! program's data as JSON in a `<script type="application/json">` element.
//! The data is compact so the page of a large organization stays small:
//! names are listed once and referred to by index, and each grant's
//! accounts are runs of the account list, which is ordered so that every OU
//! subtree is one run. The script builds the grid from it and draws only
//! the rows and columns in view.
//!
//! Every value from the program is untrusted. The script only ever sets
//! text (`textContent`, never `innerHTML`), and the JSON is written with
//! `<`, `>`, `&`, U+2028 and U+2029 escaped, so no value can end the
//! `<script>` element, open a comment or break the JavaScript parser. The
//! page's Content-Security-Policy allows nothing but its own style and
//! script, by hash: no network, no other script.

use crate::sha256::{base64, sha256};
use accessc_core::ir::{Boundary, Ir, PrincipalType};
use accessc_core::Date;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// The page's style sheet.
const CSS: &str = include_str!("matrix/page.css");
/// The page's script.
const JS: &str = include_str!("matrix/page.js");

/// The `<meta>` element that marks a page `accessc matrix` wrote: a later
/// run replaces such a file, and refuses any other.
pub const GENERATOR_META: &str = "<meta name=\"generator\" content=\"accessc matrix\">";

/// Days before `until` when a user grant is highlighted: the same rule as
/// A506's warning.
pub const EXPIRY_WARNING_DAYS: i64 = accessc_core::check::EXPIRY_WARNING_DAYS;

/// The data the page's script reads. Field names are short on purpose: the
/// page of a large organization carries hundreds of thousands of them.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct MatrixData {
    /// Format of this object.
    pub v: u32,
    /// The date expiry is judged against, `YYYY-MM-DD`.
    pub today: String,
    /// Days of the expiry warning.
    pub warn: i64,
    /// OU paths, sorted by their segments (a parent before its children).
    pub ous: Vec<String>,
    /// `[name, id, ou index + 1 (0: directly under the root)]`, ordered by
    /// OU (as `ous`) and name: every OU subtree is one run.
    pub accounts: Vec<(String, String, usize)>,
    /// `[0 group | 1 user, name, display name]`, groups first, by name.
    pub principals: Vec<(u8, String, String)>,
    /// The permission sets, by name.
    pub functions: Vec<Function>,
    /// Distinct owners.
    pub owners: Vec<String>,
    /// Distinct `until` dates with whether A506 would warn on them
    /// (`[date, 0|1]`).
    pub untils: Vec<(String, u8)>,
    /// One entry per (principal, function, until, owner):
    /// `[principal, function, until index + 1, owner index + 1, start, len, start, len, …]`,
    /// where each `start` counts from the end of the run before it.
    pub grants: Vec<Vec<usize>>,
}

/// One permission set and what it allows, for the policy view.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Function {
    /// The permission set's name in AWS.
    pub n: String,
    /// The `function` it comes from.
    pub f: String,
    /// 1 when it is a break-glass set.
    pub bg: u8,
    /// The break-glass alarm's SNS topic.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub d: Option<String>,
    /// Session duration, ISO 8601.
    pub s: String,
    /// AWS-managed policy ARNs.
    pub m: Vec<String>,
    /// Customer managed policies, `path + name`.
    pub c: Vec<String>,
    /// The permissions boundary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub b: Option<String>,
    /// The inline policy, minified JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub i: Option<String>,
}

fn segments(path: &str) -> Vec<&str> {
    if path.is_empty() {
        Vec::new()
    } else {
        path.split('/').collect()
    }
}

/// The page's data for `ir`, expiry judged on `today`.
pub fn matrix_data(ir: &Ir, today: Date) -> MatrixData {
    // OUs: every path the org lists or an account sits in, parents first.
    let mut ous: Vec<&str> = ir.org.ous.iter().map(|o| o.path.as_str()).collect();
    ous.extend(
        ir.org
            .accounts
            .iter()
            .map(|a| a.ou_path.as_str())
            .filter(|p| !p.is_empty()),
    );
    ous.sort_by(|a, b| segments(a).cmp(&segments(b)));
    ous.dedup();
    let ou_index: HashMap<&str, usize> = ous.iter().enumerate().map(|(i, p)| (*p, i + 1)).collect();

    let mut accounts: Vec<(&str, &str, usize)> = ir
        .org
        .accounts
        .iter()
        .map(|a| {
            let ou = ou_index.get(a.ou_path.as_str()).copied().unwrap_or(0);
            (a.name.as_str(), a.id.as_str(), ou)
        })
        .collect();
    // Accounts an assignment reaches that the org does not list (an IR
    // edited by hand) still get a column.
    let listed: std::collections::HashSet<&str> = accounts.iter().map(|a| a.1).collect();
    let mut extra: Vec<&str> = ir
        .assignments
        .iter()
        .map(|a| a.account_id.as_str())
        .filter(|id| !listed.contains(id))
        .collect();
    extra.sort_unstable();
    extra.dedup();
    accounts.extend(extra.into_iter().map(|id| (id, id, 0)));
    accounts.sort_by(|a, b| (a.2, a.0, a.1).cmp(&(b.2, b.0, b.1)));
    let account_index: HashMap<&str, usize> =
        accounts.iter().enumerate().map(|(i, a)| (a.1, i)).collect();

    let kind = |k: PrincipalType| match k {
        PrincipalType::Group => 0u8,
        PrincipalType::User => 1u8,
    };
    let mut principals: Vec<(u8, &str, &str)> = ir
        .principals
        .iter()
        .map(|p| (kind(p.kind), p.name.as_str(), p.display_name.as_str()))
        .collect();
    let known: std::collections::HashSet<(u8, &str)> =
        principals.iter().map(|p| (p.0, p.1)).collect();
    let mut extra: Vec<(u8, &str, &str)> = ir
        .assignments
        .iter()
        .map(|a| {
            (
                kind(a.principal_type),
                a.principal.as_str(),
                a.principal.as_str(),
            )
        })
        .filter(|p| !known.contains(&(p.0, p.1)))
        .collect();
    extra.sort_unstable();
    extra.dedup();
    principals.extend(extra);
    principals.sort_unstable();
    principals.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    let principal_index: HashMap<(u8, &str), usize> = principals
        .iter()
        .enumerate()
        .map(|(i, p)| ((p.0, p.1), i))
        .collect();

    let mut sets: Vec<&accessc_core::ir::PermissionSet> = ir.permission_sets.iter().collect();
    sets.sort_by(|a, b| a.name.cmp(&b.name));
    let mut functions: Vec<Function> = sets
        .iter()
        .map(|p| Function {
            n: p.name.clone(),
            f: p.function.clone(),
            bg: u8::from(p.break_glass.is_some()),
            notify: p.break_glass.as_ref().and_then(|b| b.notify.clone()),
            d: p.description.clone(),
            s: p.session_duration.to_iso8601(),
            m: p.managed_policies.clone(),
            c: p.customer_managed_policies
                .iter()
                .map(|c| format!("{}{}", c.path, c.name))
                .collect(),
            b: p.permissions_boundary.as_ref().map(|b| match b {
                Boundary::ManagedPolicyArn(arn) => arn.clone(),
                Boundary::CustomerManagedPolicy(c) => format!("{}{}", c.path, c.name),
            }),
            i: p.inline_policy.clone(),
        })
        .collect();
    let mut function_index: HashMap<String, usize> = functions
        .iter()
        .enumerate()
        .map(|(i, f)| (f.n.clone(), i))
        .collect();

    let mut owners: Vec<&str> = ir
        .assignments
        .iter()
        .filter_map(|a| a.owner.as_deref())
        .collect();
    owners.sort_unstable();
    owners.dedup();
    let owner_index: HashMap<&str, usize> = owners
        .iter()
        .enumerate()
        .map(|(i, o)| (*o, i + 1))
        .collect();
    let mut untils: Vec<Date> = ir.assignments.iter().filter_map(|a| a.until).collect();
    untils.sort_unstable();
    untils.dedup();
    let until_index: HashMap<Date, usize> = untils
        .iter()
        .enumerate()
        .map(|(i, d)| (*d, i + 1))
        .collect();

    // (principal, function, until, owner) → account indices.
    let mut runs: BTreeMap<(usize, usize, usize, usize), Vec<usize>> = BTreeMap::new();
    for a in &ir.assignments {
        let p = principal_index
            .get(&(kind(a.principal_type), a.principal.as_str()))
            .copied()
            .unwrap_or(0);
        let f = match function_index.get(a.permission_set.as_str()) {
            Some(f) => *f,
            None => {
                // A set the IR does not define: listed by name, nothing to show.
                let i = functions.len();
                functions.push(Function {
                    n: a.permission_set.to_string(),
                    f: a.permission_set.to_string(),
                    bg: 0,
                    notify: None,
                    d: None,
                    s: String::new(),
                    m: Vec::new(),
                    c: Vec::new(),
                    b: None,
                    i: None,
                });
                function_index.insert(a.permission_set.to_string(), i);
                i
            }
        };
        let u = a
            .until
            .and_then(|d| until_index.get(&d).copied())
            .unwrap_or(0);
        let o = a
            .owner
            .as_deref()
            .and_then(|o| owner_index.get(o).copied())
            .unwrap_or(0);
        if let Some(acct) = account_index.get(a.account_id.as_str()) {
            runs.entry((p, f, u, o)).or_default().push(*acct);
        }
    }
    let grants = runs
        .into_iter()
        .map(|((p, f, u, o), mut accts)| {
            accts.sort_unstable();
            accts.dedup();
            let mut g = vec![p, f, u, o];
            let mut end = 0;
            let mut i = 0;
            while i < accts.len() {
                let start = accts[i];
                let mut len = 1;
                while i + len < accts.len() && accts[i + len] == start + len {
                    len += 1;
                }
                g.push(start - end);
                g.push(len);
                end = start + len;
                i += len;
            }
            g
        })
        .collect();

    MatrixData {
        v: 1,
        today: today.to_string(),
        warn: EXPIRY_WARNING_DAYS,
        ous: ous.iter().map(|s| s.to_string()).collect(),
        accounts: accounts
            .iter()
            .map(|(n, id, ou)| (n.to_string(), id.to_string(), *ou))
            .collect(),
        principals: principals
            .iter()
            .map(|(k, n, d)| (*k, n.to_string(), d.to_string()))
            .collect(),
        functions,
        owners: owners.iter().map(|s| s.to_string()).collect(),
        untils: untils
            .iter()
            .map(|d| {
                let days = today.days_until(*d);
                (
                    d.to_string(),
                    u8::from((0..=EXPIRY_WARNING_DAYS).contains(&days)),
                )
            })
            .collect(),
        grants,
    }
}

/// `json` made safe inside a `<script>` element: `<`, `>` and `&` (so no
/// `</script>` or `<!--`), and U+2028/U+2029 as `\u` escapes. They can only
/// occur inside JSON strings, where the escapes mean the same characters.
pub fn script_safe_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// The Content-Security-Policy of the page: its one style sheet and its one
/// script, by hash; nothing else, and no network.
pub fn content_security_policy() -> String {
    format!(
        "default-src 'none'; script-src 'sha256-{}'; style-src 'sha256-{}'; img-src 'none'; connect-src 'none'; font-src 'none'; base-uri 'none'; form-action 'none'",
        base64(&sha256(JS.as_bytes())),
        base64(&sha256(CSS.as_bytes()))
    )
}

/// The whole page for `ir`, expiry judged on `today`.
pub fn matrix_html(ir: &Ir, today: Date) -> String {
    let data = matrix_data(ir, today);
    let json = serde_json::to_string(&data).unwrap_or_else(|_| "{}".to_string());
    let json = script_safe_json(&json);
    let mut page = String::with_capacity(json.len() + CSS.len() + JS.len() + 4096);
    page.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    page.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"");
    page.push_str(&content_security_policy());
    page.push_str(
        "\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
    );
    page.push_str(GENERATOR_META);
    page.push_str("\n<title>Access matrix</title>\n<style>");
    page.push_str(CSS);
    page.push_str("</style>\n</head>\n<body>\n");
    page.push_str(BODY);
    page.push_str("<script type=\"application/json\" id=\"matrix-data\">");
    page.push_str(&json);
    page.push_str("</script>\n<script>");
    page.push_str(JS);
    page.push_str("</script>\n</body>\n</html>\n");
    page
}

/// The page's fixed markup: the script fills it.
const BODY: &str = r#"<header>
<h1>Access matrix</h1>
<p id="summary" aria-live="polite"></p>
</header>
<form id="filters" role="search" aria-label="Filters">
<label>Principal <input id="f-principal" type="search" list="l-principal" autocomplete="off" aria-label="Filter by principal (group or user name)"></label>
<datalist id="l-principal"></datalist>
<label>Function <select id="f-function" aria-label="Filter by function"><option value="">all functions</option></select></label>
<button type="button" id="show-policy" aria-label="Show the policy of the selected function">Policy</button>
<label>OU <select id="f-ou" aria-label="Filter by OU (with its sub-OUs)"><option value="">all OUs</option></select></label>
<label>Account <input id="f-account" type="search" list="l-account" autocomplete="off" aria-label="Filter by account name or id"></label>
<datalist id="l-account"></datalist>
<label><input id="f-marked" type="checkbox"> only expiring or break-glass</label>
<button type="button" id="clear">Clear filters</button>
</form>
<p class="legend"><span class="key exp">expires within <span id="warn-days"></span> days</span> <span class="key bg">break-glass</span> Arrow keys move between cells; Enter shows a cell's grants and policies.</p>
<main>
<div id="grid" role="grid" aria-label="Principals by account: the functions each principal reaches in each account" aria-readonly="true"><div id="canvas"></div></div>
<aside id="detail" aria-live="polite" aria-label="Details"><p>Select a cell to see its grants and each function's policy.</p></aside>
</main>
<noscript><p>The access matrix needs JavaScript (its own inline script; nothing is loaded from the network).</p></noscript>
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_in_script_cannot_end_the_element() {
        let s = script_safe_json("\"</script><!--\u{2028}\u{2029}&\"");
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'));
        assert!(!s.contains('\u{2028}') && !s.contains('\u{2029}'));
        let back: String = serde_json::from_str(&s).expect("still JSON");
        assert_eq!(back, "</script><!--\u{2028}\u{2029}&");
    }

    #[test]
    fn the_shell_has_no_external_reference() {
        for text in [CSS, JS, BODY] {
            for bad in [
                "http:",
                "https:",
                "//",
                "url(",
                "@import",
                "innerHTML",
                "eval(",
                "new Function",
            ] {
                if bad == "//" {
                    // Comments are `//` in the script: only a protocol-relative URL matters.
                    assert!(!text.contains("\"//") && !text.contains("'//"), "{bad}");
                    continue;
                }
                assert!(!text.contains(bad), "{bad}");
            }
        }
    }
}
