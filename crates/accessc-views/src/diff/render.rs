//! The access diff for people: plain text for a terminal, Markdown for a
//! pull-request comment. Every value from a program is untrusted text: the
//! Markdown escapes it so that it can neither add markup nor HTML.

use super::{policy::PolicyChange, SummaryLine};
use super::{AccessDiff, AssignmentRow, Change, FunctionDiff, FunctionStatus, PolicyDiff, Side};
use accessc_core::ir::SessionDuration;
use std::fmt::Write;

/// Rows past this many go into a collapsed `<details>` block.
const OPEN_ROWS: usize = 20;
/// At most this many assignment rows in a comment (GitHub's limit is 65,536
/// characters); the JSON and text formats list them all.
const MARKDOWN_ROWS: usize = 300;
/// At most this many actions listed per kind of change in the text and the
/// Markdown (the JSON lists them all).
const SHOWN_ACTIONS: usize = 40;

/// How a value is shown: code (`x`) in text, escaped code in Markdown.
trait Style {
    fn code(&self, s: &str) -> String;
}

struct Plain;
impl Style for Plain {
    fn code(&self, s: &str) -> String {
        let clean: String = s
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        format!("`{clean}`")
    }
}

struct Markdown;
impl Style for Markdown {
    fn code(&self, s: &str) -> String {
        format!("<code>{}</code>", escape_markdown(s))
    }
}

/// `s` as literal text in Markdown (GitHub flavoured) and HTML: HTML's special
/// characters as entities, every other ASCII punctuation character
/// backslash-escaped, `@` (a mention) as an entity, line breaks and other
/// control characters as spaces.
pub fn escape_markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '@' => out.push_str("&#64;"),
            c if c.is_control() => out.push(' '),
            c if c.is_ascii_punctuation() => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

fn session(iso: &str) -> String {
    match SessionDuration::parse_iso8601(iso).map(|d| (d.minutes() / 60, d.minutes() % 60)) {
        Some((h, 0)) => format!("{h}h"),
        Some((0, m)) => format!("{m}m"),
        Some((h, m)) => format!("{h}h{m}m"),
        None => iso.to_string(),
    }
}

fn principal(kind: accessc_core::ir::PrincipalType) -> &'static str {
    match kind {
        accessc_core::ir::PrincipalType::Group => "group",
        accessc_core::ir::PrincipalType::User => "user",
    }
}

/// `a, b, c and 4 more`.
fn list(items: &[String], shown: usize) -> String {
    let mut s = items
        .iter()
        .take(shown)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > shown {
        let _ = write!(s, " and {} more", items.len() - shown);
    }
    s
}

fn summary_line(l: &SummaryLine, st: &dyn Style) -> String {
    let mut place = Vec::new();
    if !l.through.is_empty() {
        let ous: Vec<String> = l.through.iter().map(|o| st.code(o)).collect();
        let word = match l.change {
            Side::Added => "through",
            Side::Removed => "in",
        };
        place.push(format!("{word} {}", list(&ous, 5)));
    }
    if !l.in_accounts.is_empty() {
        let accounts: Vec<String> = l.in_accounts.iter().map(|a| st.code(a)).collect();
        place.push(format!("in {}", list(&accounts, 5)));
    }
    let accounts = if l.accounts == 1 {
        "1 account".to_string()
    } else {
        format!("{} accounts", l.accounts)
    };
    let who = format!("{} {}", principal(l.principal_type), st.code(&l.principal));
    match l.change {
        Side::Added => format!(
            "+ {} newly reaches {accounts} {} for {who}",
            st.code(&l.function),
            place.join(" and ")
        ),
        Side::Removed => format!(
            "- {who} loses {} {} ({accounts})",
            st.code(&l.function),
            place.join(" and ")
        ),
    }
}

fn actions(items: &[String], st: &dyn Style, shown: usize) -> String {
    let coded: Vec<String> = items.iter().map(|a| st.code(a)).collect();
    let mut s = list(&coded, shown);
    if items.len() > shown {
        s.push_str(" (`--format json` lists them all)");
    }
    s
}

fn opt(v: &Option<String>, st: &dyn Style) -> String {
    v.as_deref().map_or("(none)".to_string(), |s| st.code(s))
}

fn policy_lines(c: &PolicyChange, st: &dyn Style, shown: usize, what: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = |sign: char, text: &str, items: &[String]| {
        if !items.is_empty() {
            out.push(format!("{sign} {text} {}", actions(items, st, shown)));
        }
    };
    line('+', &format!("{what}now allows"), &c.added_actions);
    line('-', &format!("{what}no longer allows"), &c.removed_actions);
    line(
        '+',
        &format!("{what}allows on more resources or under fewer conditions:"),
        &c.broadened_actions,
    );
    line(
        '-',
        &format!("{what}allows on fewer resources or under more conditions:"),
        &c.narrowed_actions,
    );
    line('+', &format!("{what}no longer denies"), &c.removed_denies);
    line('-', &format!("{what}now denies"), &c.added_denies);
    line(
        '+',
        &format!("{what}denies on fewer resources or under more conditions:"),
        &c.weakened_denies,
    );
    line(
        '-',
        &format!("{what}denies on more resources or under fewer conditions:"),
        &c.strengthened_denies,
    );
    if c.unreadable {
        out.push(format!(
            "~ {what}policy document changed (not readable as IAM JSON)"
        ));
    }
    out
}

fn function_lines(f: &FunctionDiff, st: &dyn Style, shown: usize) -> Vec<String> {
    let mut out = Vec::new();
    match f.status {
        FunctionStatus::Added => out.push("~ new permission set".to_string()),
        FunctionStatus::Removed => out.push("~ permission set removed".to_string()),
        FunctionStatus::Renamed => out.push(format!(
            "~ renamed: same content as {} (in AWS: one set removed, one added)",
            opt(&f.renamed_from, st)
        )),
        FunctionStatus::Changed => {}
    }
    if let Some(Change { old, new }) = &f.session {
        let sign = if SessionDuration::parse_iso8601(new) > SessionDuration::parse_iso8601(old) {
            '+'
        } else {
            '-'
        };
        out.push(format!(
            "{sign} session {} → {}",
            session(old),
            session(new)
        ));
    }
    for m in &f.managed_policies_added {
        out.push(format!("+ adds AWS managed policy {}", st.code(m)));
    }
    for m in &f.managed_policies_removed {
        out.push(format!("- drops AWS managed policy {}", st.code(m)));
    }
    for m in &f.customer_managed_policies_added {
        out.push(format!("+ adds customer managed policy {}", st.code(m)));
    }
    for m in &f.customer_managed_policies_removed {
        out.push(format!("- drops customer managed policy {}", st.code(m)));
    }
    if let Some(Change { old, new }) = &f.boundary {
        let line = match (old, new) {
            (Some(o), None) => format!("+ permissions boundary removed (was {})", st.code(o)),
            (None, Some(n)) => format!("- permissions boundary added: {}", st.code(n)),
            _ => format!("+ permissions boundary {} → {}", opt(old, st), opt(new, st)),
        };
        out.push(line);
    }
    out.extend(policy_lines(&f.inline, st, shown, ""));
    if let Some(Change { old, new }) = &f.relay_state {
        out.push(format!("~ relay state {} → {}", opt(old, st), opt(new, st)));
    }
    if let Some(Change { old, new }) = &f.description {
        out.push(format!("~ description {} → {}", opt(old, st), opt(new, st)));
    }
    for t in &f.tags {
        out.push(format!(
            "~ tag {}: {} → {}",
            st.code(&t.key),
            opt(&t.old, st),
            opt(&t.new, st)
        ));
    }
    if let Some(Change { new, .. }) = &f.break_glass {
        out.push(if *new {
            "~ now break-glass".to_string()
        } else {
            "~ no longer break-glass".to_string()
        });
    }
    out
}

fn policy_header(p: &PolicyDiff, st: &dyn Style) -> String {
    let what = match p.status {
        FunctionStatus::Added => "new body",
        FunctionStatus::Removed => "body removed",
        _ => "changed",
    };
    let mut s = format!(
        "customer managed policy {} ({} body, {what})",
        st.code(&format!("{}{}", p.path, p.name)),
        st.code(&p.body)
    );
    if !p.used_by.is_empty() {
        let users: Vec<String> = p.used_by.iter().map(|u| st.code(u)).collect();
        let _ = write!(s, ", used by {}", list(&users, 10));
    }
    s
}

fn assignment_line(r: &AssignmentRow, st: &dyn Style) -> String {
    let mut s = format!(
        "{} {}  {}  {} ({})",
        principal(r.principal_type),
        st.code(&r.principal),
        st.code(&r.function),
        st.code(&r.account),
        r.account_id
    );
    if let Some(until) = r.until {
        let _ = write!(s, "  until {until}");
    }
    if let Some(owner) = &r.owner {
        let _ = write!(s, "  owner {}", st.code(owner));
    }
    s
}

fn verdict(d: &AccessDiff) -> &'static str {
    if d.is_empty() {
        "No change in access."
    } else if d.widened {
        "Access widens."
    } else {
        "Access does not widen."
    }
}

/// The diff as plain text, every assignment listed.
pub fn render_text(d: &AccessDiff) -> String {
    let st = Plain;
    let mut s = format!("{}\n", verdict(d));
    if d.is_empty() {
        return s;
    }
    if !d.summary.is_empty() {
        s.push_str("\nAssignments:\n");
        for l in &d.summary {
            let _ = writeln!(s, "  {}", summary_line(l, &st));
        }
    }
    if !d.functions.is_empty() {
        s.push_str("\nFunctions:\n");
        for f in &d.functions {
            let _ = writeln!(s, "  {}", st.code(&f.name));
            for line in function_lines(f, &st, SHOWN_ACTIONS) {
                let _ = writeln!(s, "    {line}");
            }
        }
    }
    if !d.policies.is_empty() {
        s.push_str("\nCustomer managed policies:\n");
        for p in &d.policies {
            let _ = writeln!(s, "  {}", policy_header(p, &st));
            for line in policy_lines(&p.change, &st, SHOWN_ACTIONS, "") {
                let _ = writeln!(s, "    {line}");
            }
        }
    }
    other_lines(d, &st, &mut s, false);
    for (title, rows, sign) in [("Added", &d.added, '+'), ("Removed", &d.removed, '-')] {
        if !rows.is_empty() {
            let _ = writeln!(s, "\n{title} assignments ({}):", rows.len());
            for r in rows.iter() {
                let _ = writeln!(s, "  {sign} {}", assignment_line(r, &st));
            }
        }
    }
    s
}

/// The expiry, owner, principal and attribute changes; `markdown` gives
/// headings and list items instead of indented lines.
fn other_lines(d: &AccessDiff, st: &dyn Style, s: &mut String, markdown: bool) {
    let heading = |s: &mut String, title: String| {
        if markdown {
            let _ = writeln!(s, "\n#### {title}\n");
        } else {
            let _ = writeln!(s, "\n{title}:");
        }
    };
    let indent = if markdown { "- " } else { "  " };
    if !d.changed.is_empty() {
        heading(s, format!("Changed assignments ({})", d.changed.len()));
        for c in &d.changed {
            let mut line = format!("{indent}~ {}", assignment_line(&c.assignment, st));
            if let Some(Change { old, new }) = &c.until_change {
                let shown = |d: &Option<accessc_core::ir::Date>| {
                    d.map_or("(no expiry)".to_string(), |d| d.to_string())
                };
                let _ = write!(line, "; expiry {} → {}", shown(old), shown(new));
            }
            if let Some(Change { old, new }) = &c.owner_change {
                let _ = write!(line, "; owner {} → {}", opt(old, st), opt(new, st));
            }
            let _ = writeln!(s, "{line}");
        }
    }
    if !d.principals.is_empty() {
        heading(s, "Principals".to_string());
        for p in &d.principals {
            let _ = writeln!(
                s,
                "{indent}~ {} {} is now identity-store {} (was {})",
                principal(p.principal_type),
                st.code(&p.principal),
                st.code(&p.identity.new),
                st.code(&p.identity.old)
            );
        }
    }
    if !d.attributes.is_empty() {
        heading(s, "ABAC attributes".to_string());
        for a in &d.attributes {
            let _ = writeln!(
                s,
                "{indent}+ {}: {} → {}",
                st.code(&a.key),
                opt(&a.old, st),
                opt(&a.new, st)
            );
        }
    }
}

/// The diff as a pull-request comment: the summary open, long lists folded,
/// every program value escaped.
pub fn render_markdown(d: &AccessDiff) -> String {
    let st = Markdown;
    let mut s = format!("### accessc diff: {}\n", verdict(d));
    if d.is_empty() {
        return s;
    }
    let bullet = |line: String| -> String {
        // The sign stays visible as text, not as a list marker.
        match line.split_at_checked(2) {
            Some((sign, rest)) => format!("- **{}** {rest}\n", sign.trim()),
            None => format!("- {line}\n"),
        }
    };
    if !d.summary.is_empty() {
        s.push_str("\n#### Assignments\n\n");
        fold(&mut s, d.summary.len(), "changes", |s| {
            for l in &d.summary {
                s.push_str(&bullet(summary_line(l, &st)));
            }
        });
    }
    if !d.functions.is_empty() {
        s.push_str("\n#### Functions\n\n");
        for f in &d.functions {
            let lines = function_lines(f, &st, SHOWN_ACTIONS);
            let _ = writeln!(s, "- {}", st.code(&f.name));
            for line in lines {
                let _ = write!(s, "  {}", bullet(line));
            }
        }
    }
    if !d.policies.is_empty() {
        s.push_str("\n#### Customer managed policies\n\n");
        for p in &d.policies {
            let _ = writeln!(s, "- {}", policy_header(p, &st));
            for line in policy_lines(&p.change, &st, SHOWN_ACTIONS, "") {
                let _ = write!(s, "  {}", bullet(line));
            }
        }
    }
    other_lines(d, &st, &mut s, true);
    for (title, rows, sign) in [("Added", &d.added, '+'), ("Removed", &d.removed, '-')] {
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(s, "\n#### {title} assignments ({})\n", rows.len());
        fold(&mut s, rows.len(), "assignments", |s| {
            s.push_str("| | Principal | Function | Account |\n|---|---|---|---|\n");
            for r in rows.iter().take(MARKDOWN_ROWS) {
                let _ = writeln!(
                    s,
                    "| {sign} | {} {} | {} | {} ({}) |",
                    principal(r.principal_type),
                    st.code(&r.principal),
                    st.code(&r.function),
                    st.code(&r.account),
                    escape_markdown(&r.account_id)
                );
            }
            if rows.len() > MARKDOWN_ROWS {
                let _ = writeln!(
                    s,
                    "\n… and {} more: run `accessc diff` for the full list.",
                    rows.len() - MARKDOWN_ROWS
                );
            }
        });
    }
    s
}

/// Writes `body` directly, or folded in `<details>` when it has more than
/// [`OPEN_ROWS`] rows.
fn fold(s: &mut String, rows: usize, what: &str, body: impl FnOnce(&mut String)) {
    if rows > OPEN_ROWS {
        let _ = writeln!(s, "<details><summary>{rows} {what}</summary>\n");
        body(s);
        s.push_str("\n</details>\n");
    } else {
        body(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escaping_leaves_no_markup_or_html() {
        let hostile = "</code><img src=x onerror=alert(1)> **b** [l](http://x) @org/team `c`\n# h";
        let e = escape_markdown(hostile);
        for bad in ["<", ">", "\n", "@", "](", "**"] {
            assert!(!e.contains(bad), "{bad:?} in {e}");
        }
        assert!(!e.contains("`") || e.contains("\\`"));
    }
}
