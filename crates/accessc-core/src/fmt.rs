//! Syntax tree back to canonical text (`accessc fmt`). Comments are kept:
//! each one is written before the first construct that follows it, or at the
//! end of the line it ended in the source. Formatting twice changes nothing.

use crate::ast::*;

const INDENT: &str = "  ";
const WIDTH: usize = 100;

/// Format one parsed file. `text` is the file's source (for comments and blank lines).
pub fn format_module(module: &Module, text: &str) -> String {
    let mut f = Formatter {
        text,
        comments: &module.comments,
        next_comment: 0,
        out: String::new(),
        last_end: 0,
        line_comment_end: usize::MAX,
        pending_blank: false,
    };
    for item in &module.items {
        f.item(item);
    }
    f.flush_comments(text.len(), 0);
    let mut out = f.out.trim_end().to_string();
    out.push('\n');
    if out.trim().is_empty() {
        return String::new();
    }
    out
}

struct Formatter<'a> {
    text: &'a str,
    comments: &'a [Comment],
    next_comment: usize,
    out: String,
    /// Source offset where the previous unit ended.
    last_end: usize,
    /// `out.len()` just after a `//` comment ended a line: nothing may be
    /// appended to that line.
    line_comment_end: usize,
    /// The next unit or comment stands after a blank line (so that a `///`
    /// that was not a doc comment does not become one).
    pending_blank: bool,
}

impl<'a> Formatter<'a> {
    /// True when the source has a blank line between `from` and `to`.
    fn blank_between(&self, from: usize, to: usize) -> bool {
        let s = self.text.get(from..to).unwrap_or("");
        // The lines strictly between the two: neither the first nor the last segment.
        let segs: Vec<&str> = s.split('\n').collect();
        match segs.as_slice() {
            [_, inner @ .., _] => inner.iter().any(|l| l.trim().is_empty()),
            _ => false,
        }
    }

    fn push_line(&mut self, depth: usize, line: &str) {
        for _ in 0..depth {
            self.out.push_str(INDENT);
        }
        self.out.push_str(line);
        self.out.push('\n');
    }

    fn blank(&mut self) {
        if !self.out.is_empty() && !self.out.ends_with("\n\n") && !self.out.ends_with("{\n") {
            self.out.push('\n');
        }
    }

    /// True when only blanks precede source offset `at` on its line.
    fn begins_line(&self, at: usize) -> bool {
        let before = self.text.get(..at).unwrap_or("");
        before
            .rsplit('\n')
            .next()
            .is_none_or(|l| l.trim().is_empty())
    }

    /// Write the comments that start before `before`: each on its own line,
    /// except that one which followed code or another comment on its source
    /// line stays after what the output's last line holds (so `/*c*/ /// x`
    /// does not turn `/// x` into a doc comment).
    fn flush_comments(&mut self, before: usize, depth: usize) {
        while let Some(c) = self.comments.get(self.next_comment) {
            let start = c.span.start as usize;
            if start >= before {
                break;
            }
            let blank = self.blank_between(self.last_end, start);
            let follows = !self.begins_line(start);
            let append = follows
                && !blank
                && self.out.ends_with('\n')
                && !self.out.ends_with("\n\n")
                && self.out.len() != self.line_comment_end;
            if append {
                self.out.pop();
                self.out.push(' ');
            } else if blank || std::mem::take(&mut self.pending_blank) {
                self.blank();
            }
            for (i, line) in c.text.lines().enumerate() {
                if i == 0 && append {
                    self.out.push_str(line.trim_end());
                    self.out.push('\n');
                } else if i == 0 {
                    self.push_line(depth, line.trim_end());
                } else {
                    self.out.push_str(line.trim_end());
                    self.out.push('\n');
                }
            }
            if c.text.starts_with("//") {
                self.line_comment_end = self.out.len();
            }
            // A `///` line that was no doc comment must not stand directly
            // above an item, where it would become one.
            if follows && !append && depth == 0 && c.text.starts_with("///") {
                self.pending_blank = true;
            }
            self.last_end = c.span.end as usize;
            self.next_comment += 1;
        }
    }

    /// Start a unit at source offset `start`: comments before it, a blank line if the source had one.
    fn begin(&mut self, start: usize, depth: usize) {
        self.flush_comments(start, depth);
        if self.blank_between(self.last_end, start) || std::mem::take(&mut self.pending_blank) {
            self.blank();
        }
    }

    /// End a unit at source offset `end`: a comment on the same source line trails it.
    fn end(&mut self, end: usize) {
        self.last_end = end;
        if let Some(c) = self.comments.get(self.next_comment) {
            let cs = c.span.start as usize;
            let between = self.text.get(end..cs).unwrap_or("\n");
            if cs >= end
                && between.trim().is_empty()
                && !between.contains('\n')
                && !c.text.contains('\n')
            {
                if self.out.ends_with('\n') {
                    self.out.pop();
                }
                self.out.push(' ');
                self.out.push_str(c.text.trim_end());
                self.out.push('\n');
                if c.text.starts_with("//") {
                    self.line_comment_end = self.out.len();
                }
                self.last_end = c.span.end as usize;
                self.next_comment += 1;
            }
        }
    }

    fn line_unit(&mut self, start: usize, end: usize, depth: usize, line: &str) {
        self.begin(start, depth);
        self.push_line(depth, line);
        self.end(end);
    }

    fn open_block(&mut self, start: usize, depth: usize, head: &str) {
        self.begin(start, depth);
        self.push_line(depth, &format!("{head} {{"));
        self.last_end = start;
    }

    fn close_block(&mut self, end: usize, depth: usize) {
        // Comments inside the block, before its closing brace.
        self.flush_comments(end.saturating_sub(1), depth + 1);
        self.pending_blank = false;
        if self.out.ends_with("{\n") {
            self.out.pop();
            self.out.pop();
            self.out.push_str("{}\n");
        } else {
            self.push_line(depth, "}");
        }
        self.end(end);
    }

    fn item(&mut self, item: &Item) {
        let start = item.span.start as usize;
        let end = item.span.end as usize;
        // Items that are blocks stand apart from their neighbours.
        let block = matches!(
            item.kind,
            ItemKind::Instance(_)
                | ItemKind::Attributes(_)
                | ItemKind::Org(OrgDecl::Inline(_))
                | ItemKind::Policy(Policy {
                    body: PolicyBody::Statements(_),
                    ..
                })
                | ItemKind::ManagedPolicy(_)
                | ItemKind::Function(_)
                | ItemKind::Quotas(_)
        );
        let doc_start = item.doc.as_ref().map_or(start, |d| d.span.start as usize);
        if block {
            // A block stands apart, with the comments directly above it.
            self.blank();
            let _ = doc_start;
        }
        match &item.kind {
            ItemKind::Use(u) => {
                let line = match u {
                    Use::Std { module, .. } => format!("use std::{}", module.name),
                    Use::File(s) => format!("use {}", quote(&s.value)),
                };
                self.line_unit(start, end, 0, &line);
            }
            ItemKind::Instance(inst) => {
                self.open_block(start, 0, "instance");
                let mut props: Vec<(usize, usize, String)> = Vec::new();
                for (k, v) in [
                    ("arn", &inst.arn),
                    ("identity_store", &inst.identity_store),
                    ("region", &inst.region),
                    ("start_url", &inst.start_url),
                ] {
                    if let Some(s) = v {
                        props.push((
                            s.span.start as usize,
                            s.span.end as usize,
                            format!("{k} {}", quote(&s.value)),
                        ));
                    }
                }
                if let (Some(first), Some(last)) = (inst.replicas.first(), inst.replicas.last()) {
                    let list: Vec<String> = inst.replicas.iter().map(|s| quote(&s.value)).collect();
                    props.push((
                        first.span.start as usize,
                        last.span.end as usize,
                        format!("replicas {}", list.join(", ")),
                    ));
                }
                props.extend(
                    inst.repeated
                        .iter()
                        .map(|r| (r.span.start as usize, r.span.end as usize, repeated_line(r))),
                );
                props.sort();
                for (s, e, line) in props {
                    self.line_unit(s, e, 1, &line);
                }
                self.close_block(end, 0);
            }
            ItemKind::Attributes(attrs) => {
                self.open_block(start, 0, "attributes");
                for a in attrs {
                    self.line_unit(
                        a.key.span.start as usize,
                        a.value.span.end as usize,
                        1,
                        &format!("{} = {}", a.key.name, quote(&a.value.value)),
                    );
                }
                self.close_block(end, 0);
            }
            ItemKind::Org(OrgDecl::From(s)) => {
                self.line_unit(start, end, 0, &format!("org from {}", quote(&s.value)));
            }
            ItemKind::Org(OrgDecl::Inline(tree)) => {
                self.open_block(start, 0, "org");
                // Members in source order.
                enum M<'t> {
                    Root(&'t Str),
                    Mgmt(&'t Str),
                    Ou(&'t Ou),
                    Acct(&'t Account),
                    Rep(&'t Repeated),
                }
                let mut members: Vec<(u32, M)> = Vec::new();
                if let Some(r) = &tree.root {
                    members.push((r.span.start, M::Root(r)));
                }
                if let Some(m) = &tree.management {
                    members.push((m.span.start, M::Mgmt(m)));
                }
                members.extend(tree.ous.iter().map(|o| (o.span.start, M::Ou(o))));
                members.extend(tree.accounts.iter().map(|a| (a.span.start, M::Acct(a))));
                members.extend(tree.repeated.iter().map(|r| (r.span.start, M::Rep(r))));
                members.sort_by_key(|(s, _)| *s);
                for (_, m) in members {
                    match m {
                        M::Root(s) => self.line_unit(
                            s.span.start as usize,
                            s.span.end as usize,
                            1,
                            &format!("root {}", quote(&s.value)),
                        ),
                        M::Mgmt(s) => self.line_unit(
                            s.span.start as usize,
                            s.span.end as usize,
                            1,
                            &format!("management {}", quote(&s.value)),
                        ),
                        M::Ou(o) => self.ou(o, 1),
                        M::Acct(a) => self.account(a, 1),
                        M::Rep(r) => self.line_unit(
                            r.span.start as usize,
                            r.span.end as usize,
                            1,
                            &repeated_line(r),
                        ),
                    }
                }
                self.close_block(end, 0);
            }
            ItemKind::Group(g) => {
                let mut line = format!("group {}", g.name.name);
                if let Some(d) = &g.display_name {
                    line.push(' ');
                    line.push_str(&quote(&d.value));
                }
                if let Some(id) = &g.id {
                    line.push_str(&format!(" id {}", quote(&id.value)));
                }
                self.line_unit(start, end, 0, &line);
            }
            ItemKind::User(u) => {
                let mut line = format!("user {}", u.name.name);
                if let Some(d) = &u.user_name {
                    line.push(' ');
                    line.push_str(&quote(&d.value));
                }
                if let Some(id) = &u.id {
                    line.push_str(&format!(" id {}", quote(&id.value)));
                }
                self.line_unit(start, end, 0, &line);
            }
            ItemKind::Policy(p) => match &p.body {
                PolicyBody::FromJson(s) => {
                    self.line_unit(
                        start,
                        end,
                        0,
                        &format!("policy {} from json {}", p.name.name, quote(&s.value)),
                    );
                }
                PolicyBody::Statements(sts) => {
                    self.open_block(start, 0, &format!("policy {}", p.name.name));
                    for st in sts {
                        self.statement(st, 1);
                    }
                    self.close_block(end, 0);
                }
            },
            ItemKind::ManagedPolicy(mp) => {
                self.open_block(start, 0, &format!("managed_policy {}", mp.name.name));
                enum M<'t> {
                    Line(usize, usize, String),
                    St(&'t Statement),
                    In(&'t InBlock),
                }
                let mut members: Vec<(usize, M)> = Vec::new();
                if let Some(p) = &mp.path {
                    members.push((
                        p.span.start as usize,
                        M::Line(
                            p.span.start as usize,
                            p.span.end as usize,
                            format!("path {}", quote(&p.value)),
                        ),
                    ));
                }
                if let Some(d) = &mp.description {
                    members.push((
                        d.span.start as usize,
                        M::Line(
                            d.span.start as usize,
                            d.span.end as usize,
                            format!("description {}", quote(&d.value)),
                        ),
                    ));
                }
                if let Some(e) = mp.external {
                    members.push((
                        e.start as usize,
                        M::Line(e.start as usize, e.end as usize, "external".into()),
                    ));
                }
                members.extend(
                    mp.statements
                        .iter()
                        .map(|s| (s.span.start as usize, M::St(s))),
                );
                members.extend(mp.blocks.iter().map(|b| (b.span.start as usize, M::In(b))));
                members.extend(mp.except.iter().map(|x| {
                    let (s, e) = (x.span.start as usize, x.span.end as usize);
                    let ous = list(x.ous.iter().map(|o| o.text()));
                    (s, M::Line(s, e, format!("except {ous}")))
                }));
                members.extend(mp.repeated.iter().map(|r| {
                    let (s, e) = (r.span.start as usize, r.span.end as usize);
                    (s, M::Line(s, e, repeated_line(r)))
                }));
                members.sort_by_key(|(s, _)| *s);
                for (_, m) in members {
                    match m {
                        M::Line(s, e, l) => self.line_unit(s, e, 1, &l),
                        M::St(st) => self.statement(st, 1),
                        M::In(b) => self.in_block(b, 1),
                    }
                }
                self.close_block(end, 0);
            }
            ItemKind::Function(func) => {
                self.open_block(start, 0, &format!("function {}", func.name.name));
                enum M<'t> {
                    Prop(&'t FunctionProp),
                    St(&'t Statement),
                }
                let mut members: Vec<(usize, M)> = Vec::new();
                members.extend(func.props.iter().map(|p| (prop_start(p), M::Prop(p))));
                members.extend(
                    func.statements
                        .iter()
                        .map(|s| (s.span.start as usize, M::St(s))),
                );
                members.sort_by_key(|(s, _)| *s);
                for (_, m) in members {
                    match m {
                        M::Prop(p) => {
                            let (s, e) = (prop_start(p), prop_end(p));
                            let line = prop_line(p);
                            self.begin(s, 1);
                            self.fill_line(1, &line);
                            self.end(e);
                        }
                        M::St(st) => self.statement(st, 1),
                    }
                }
                self.close_block(end, 0);
            }
            ItemKind::Grant(g) => {
                self.begin(start, 0);
                let mut parts = vec![
                    "grant".to_string(),
                    list(g.functions.iter().map(|f| f.name.clone())),
                    "to".to_string(),
                    principals(&g.principals),
                    "on".to_string(),
                    targets(&g.targets),
                ];
                if !g.except.is_empty() {
                    parts.push("except".into());
                    parts.push(targets(&g.except));
                }
                self.fill_line(0, &parts.join(" "));
                let mut tail = Vec::new();
                if let Some(o) = &g.owner {
                    tail.push(format!("owner {}", quote(&o.value)));
                }
                if let Some(u) = &g.until {
                    tail.push(format!("until {}", date(u)));
                }
                tail.extend(g.repeated.iter().map(repeated_line));
                if !tail.is_empty() {
                    self.push_line(1, &tail.join(" "));
                }
                self.end(end);
            }
            ItemKind::Forbid(_) | ItemKind::Limit(_) => {
                let line = rule_line(&item.kind).unwrap_or_default();
                self.begin(start, 0);
                self.fill_line(0, &line);
                self.end(end);
            }
            ItemKind::Quotas(qs) => {
                self.open_block(start, 0, "quotas");
                for q in qs {
                    self.line_unit(
                        q.span.start as usize,
                        q.span.end as usize,
                        1,
                        &format!("{} {}", q.key.name, q.text),
                    );
                }
                self.close_block(end, 0);
            }
        }
        if block {
            self.blank();
        }
    }

    fn ou(&mut self, o: &Ou, depth: usize) {
        let mut head = format!("ou {}", o.name.name);
        if let Some(id) = &o.id {
            head.push(' ');
            head.push_str(&quote(&id.value));
        }
        let start = o.span.start as usize;
        let end = o.span.end as usize;
        // A leaf OU with at most one account stays on one line.
        if o.ous.is_empty() && o.accounts.len() <= 1 && !self.has_comment_in(start, end) {
            let body = o
                .accounts
                .first()
                .map(|a| format!(" {} ", account_text(a)))
                .unwrap_or_default();
            self.line_unit(start, end, depth, &format!("{head} {{{body}}}"));
            return;
        }
        self.open_block(start, depth, &head);
        let mut members: Vec<(u32, Result<&Ou, &Account>)> = Vec::new();
        members.extend(o.ous.iter().map(|c| (c.span.start, Ok(c))));
        members.extend(o.accounts.iter().map(|a| (a.span.start, Err(a))));
        members.sort_by_key(|(s, _)| *s);
        for (_, m) in members {
            match m {
                Ok(c) => self.ou(c, depth + 1),
                Err(a) => self.account(a, depth + 1),
            }
        }
        self.close_block(end, depth);
    }

    fn has_comment_in(&self, start: usize, end: usize) -> bool {
        self.comments
            .iter()
            .skip(self.next_comment)
            .take_while(|c| (c.span.start as usize) < end)
            .any(|c| c.span.start as usize >= start)
    }

    fn account(&mut self, a: &Account, depth: usize) {
        self.line_unit(
            a.span.start as usize,
            a.span.end as usize,
            depth,
            &account_text(a),
        );
    }

    fn in_block(&mut self, b: &InBlock, depth: usize) {
        let start = b.span.start as usize;
        let end = b.span.end as usize;
        let head = format!("in {}", b.ou.text());
        if let ([], [only]) = (b.blocks.as_slice(), b.statements.as_slice()) {
            let line = format!("{head} {{ {} }}", statement_text(only));
            if line.len() + depth * 2 <= WIDTH && !self.has_comment_in(start, end) {
                self.line_unit(start, end, depth, &line);
                return;
            }
        }
        self.open_block(start, depth, &head);
        let mut members: Vec<(u32, Result<&Statement, &InBlock>)> = Vec::new();
        members.extend(b.statements.iter().map(|s| (s.span.start, Ok(s))));
        members.extend(b.blocks.iter().map(|s| (s.span.start, Err(s))));
        members.sort_by_key(|(s, _)| *s);
        for (_, m) in members {
            match m {
                Ok(s) => self.statement(s, depth + 1),
                Err(inner) => self.in_block(inner, depth + 1),
            }
        }
        self.close_block(end, depth);
    }

    /// A statement on one line when it fits; otherwise the actions, then
    /// `on …` and each condition on lines of their own.
    fn statement(&mut self, st: &Statement, depth: usize) {
        self.begin(st.span.start as usize, depth);
        let one = statement_text(st);
        if depth * INDENT.len() + one.len() <= WIDTH {
            self.push_line(depth, &one);
        } else {
            let (head, on, conds) = statement_parts(st);
            self.fill_line(depth, &head);
            self.fill_line(depth + 1, &on);
            for (i, c) in conds.iter().enumerate() {
                let kw = if i == 0 { "when" } else { "and" };
                self.fill_line(depth + 1, &format!("{kw} {c}"));
            }
        }
        self.end(st.span.end as usize);
    }

    /// Write `line` at `depth`, breaking after commas (and before `when`/`and`)
    /// when it is wider than the page; continuation lines are indented twice.
    fn fill_line(&mut self, depth: usize, line: &str) {
        let indent = depth * INDENT.len();
        if indent + line.len() <= WIDTH {
            self.push_line(depth, line);
            return;
        }
        let cont = " ".repeat(indent + 2 * INDENT.len());
        let mut out = " ".repeat(indent);
        let mut col = indent;
        for (i, tok) in split_breakable(line).into_iter().enumerate() {
            let is_kw = tok.starts_with("when ") || tok.starts_with("and ");
            if i > 0 && (col + 1 + tok.len() > WIDTH || is_kw) && col > cont.len() {
                out.push('\n');
                out.push_str(&cont);
                col = cont.len();
            } else if i > 0 {
                out.push(' ');
                col += 1;
            }
            out.push_str(&tok);
            col += tok.len();
        }
        self.out.push_str(&out);
        self.out.push('\n');
    }
}

/// Split a line into pieces that may be separated by a line break: after each
/// top-level comma, and before ` when ` / ` and `, never inside strings or brackets.
fn split_breakable(line: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut cur = String::new();
    let mut in_str = false;
    let mut escaped = false;
    let mut bracket = 0usize;
    let words: Vec<&str> = line.split(' ').collect();
    for (wi, w) in words.iter().enumerate() {
        if !in_str && bracket == 0 && (*w == "when" || *w == "and") && !cur.is_empty() {
            pieces.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(w);
        for c in w.chars() {
            if escaped {
                escaped = false;
                continue;
            }
            match c {
                '\\' if in_str => escaped = true,
                '"' => in_str = !in_str,
                '[' if !in_str => bracket += 1,
                ']' if !in_str => bracket = bracket.saturating_sub(1),
                _ => {}
            }
        }
        let next_is_kw = words
            .get(wi + 1)
            .is_some_and(|n| *n == "when" || *n == "and");
        if !in_str && bracket == 0 && (w.ends_with(',') || next_is_kw) {
            pieces.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        pieces.push(cur);
    }
    pieces
}

/// The canonical one-line text of a `forbid` or `limit` rule.
pub fn rule_line(kind: &ItemKind) -> Option<String> {
    Some(match kind {
        ItemKind::Forbid(Forbid::Combination {
            left,
            right,
            targets: t,
        }) => {
            let mut l = format!(
                "forbid {} with {}",
                list(left.iter().map(|f| f.name.clone())),
                list(right.iter().map(|f| f.name.clone()))
            );
            if !t.is_empty() {
                l.push_str(&format!(" on {}", targets(t)));
            }
            l
        }
        ItemKind::Forbid(Forbid::User {
            functions,
            targets: t,
        }) => {
            let mut l = "forbid user".to_string();
            if !functions.is_empty() {
                l.push(' ');
                l.push_str(&list(functions.iter().map(|f| f.name.clone())));
            }
            if !t.is_empty() {
                l.push_str(&format!(" on {}", targets(t)));
            }
            l
        }
        ItemKind::Forbid(Forbid::Functions {
            functions,
            targets: t,
        }) => format!(
            "forbid {} on {}",
            list(functions.iter().map(|f| f.name.clone())),
            targets(t)
        ),
        ItemKind::Limit(l) => format!(
            "limit {} to {}",
            list(l.functions.iter().map(|f| f.name.clone())),
            targets(&l.targets)
        ),
        _ => return None,
    })
}

/// A string literal with escapes.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn list(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

fn principals(ps: &[PrincipalRef]) -> String {
    let mut kind = PrincipalKind::Group;
    let mut out = Vec::new();
    for p in ps {
        if p.kind != kind || (p.explicit_kind && out.is_empty() && p.kind == PrincipalKind::User) {
            out.push(format!("{} {}", p.kind.keyword(), p.name.name));
            kind = p.kind;
        } else {
            out.push(p.name.name.clone());
        }
    }
    out.join(", ")
}

fn target(t: &Target) -> String {
    match t {
        Target::Root(_) => "root".into(),
        Target::Ou(p) => p.text(),
        Target::Account(n) => format!("account {}", n.name),
        Target::AccountId(s) => quote(&s.value),
    }
}

/// `account NAME "ID"`, and its state word when it has one.
fn account_text(a: &Account) -> String {
    let mut s = format!("account {} {}", a.name.name, quote(&a.id.value));
    if let Some(state) = &a.state {
        s.push(' ');
        s.push_str(state.keyword());
    }
    s
}

fn targets(ts: &[Target]) -> String {
    list(ts.iter().map(target))
}

fn statement_text(st: &Statement) -> String {
    let (head, on, conds) = statement_parts(st);
    let mut s = format!("{head} {on}");
    for (i, c) in conds.iter().enumerate() {
        s.push_str(if i == 0 { " when " } else { " and " });
        s.push_str(c);
    }
    s
}

/// `(Sid: allow actions, on resources, conditions)`
fn statement_parts(st: &Statement) -> (String, String, Vec<String>) {
    let mut s = String::new();
    if let Some(sid) = &st.sid {
        s.push_str(&sid.name);
        s.push_str(": ");
    }
    s.push_str(if st.effect == Effect::Allow {
        "allow "
    } else {
        "deny "
    });
    if st.not_action {
        s.push_str("not ");
    }
    s.push_str(&list(st.actions.iter().map(|a| {
        if is_bare_action(&a.text) {
            a.text.clone()
        } else {
            quote(&a.text)
        }
    })));
    let mut on = "on ".to_string();
    if st.not_resource {
        on.push_str("not ");
    }
    on.push_str(&list(st.resources.iter().map(|r| {
        if r.quoted {
            quote(&r.text)
        } else {
            r.text.clone()
        }
    })));
    (s, on, st.conditions.iter().map(condition_text).collect())
}

fn is_bare_action(a: &str) -> bool {
    !a.is_empty()
        && a != "on"
        && a != "not"
        && a.chars()
            .all(|c| c.is_ascii_alphanumeric() || "*?:_-.".contains(c))
}

fn tag_ref(t: &TagRef) -> String {
    format!("{}.tag.{}", t.scope.keyword(), t.key.name)
}

fn condition_text(c: &Condition) -> String {
    match c {
        Condition::Tag {
            lhs, negated, rhs, ..
        } => {
            let rhs = match rhs {
                TagValue::Tag(t) => tag_ref(t),
                TagValue::Literal(s) => quote(&s.value),
            };
            format!(
                "{} {} {rhs}",
                tag_ref(lhs),
                if *negated { "!=" } else { "==" }
            )
        }
        Condition::General {
            operator,
            key,
            values,
            list: is_list,
            ..
        } => {
            let v = match values.as_slice() {
                [only] if !*is_list => quote(&only.value),
                _ => format!("[{}]", list(values.iter().map(|v| quote(&v.value)))),
            };
            format!("{} {} {v}", operator.name, quote(&key.value))
        }
    }
}

fn date(d: &DateLit) -> String {
    d.text()
}

/// A property written a second time, as written (the checker reports it).
fn repeated_line(r: &Repeated) -> String {
    let kw = r.keyword;
    match &r.value {
        PropValue::Flag => kw.to_string(),
        PropValue::Str(s) => format!("{kw} {}", quote(&s.value)),
        PropValue::List(v) => format!("{kw} {}", list(v.iter().map(|s| quote(&s.value)))),
        PropValue::Date(d) => format!("{kw} {}", date(d)),
    }
}

fn policy_ref(r: &PolicyRef) -> String {
    match r {
        PolicyRef::Name(n) => n.name.clone(),
        PolicyRef::Arn(s) => quote(&s.value),
    }
}

fn prop_line(p: &FunctionProp) -> String {
    match p {
        FunctionProp::Description(s) => format!("description {}", quote(&s.value)),
        FunctionProp::Session(d) => format!("session {}", d.text),
        FunctionProp::Relay(s) => format!("relay {}", quote(&s.value)),
        FunctionProp::Managed(r) => format!("managed {}", list(r.iter().map(policy_ref))),
        FunctionProp::Customer(v) => format!("customer {}", list(v.iter().map(|i| i.name.clone()))),
        FunctionProp::Boundary(r) => format!("boundary {}", policy_ref(r)),
        FunctionProp::Inline(v) => format!("inline {}", list(v.iter().map(|i| i.name.clone()))),
        FunctionProp::Tags(t) => format!(
            "tags {}",
            list(t.iter().map(|t| {
                let key = if t
                    .key
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                    && t.key
                        .name
                        .starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                {
                    t.key.name.clone()
                } else {
                    quote(&t.key.name)
                };
                format!("{key} = {}", quote(&t.value.value))
            }))
        ),
        FunctionProp::BreakGlass { notify, .. } => match notify {
            Some(n) => format!("break_glass notify {}", quote(&n.value)),
            None => "break_glass".into(),
        },
        FunctionProp::Name(s) => format!("name {}", quote(&s.value)),
    }
}

fn prop_start(p: &FunctionProp) -> usize {
    match p {
        FunctionProp::Description(s) | FunctionProp::Relay(s) | FunctionProp::Name(s) => {
            s.span.start as usize
        }
        FunctionProp::Session(d) => d.span.start as usize,
        FunctionProp::Managed(r) => r.first().map_or(0, |r| r.span().start as usize),
        FunctionProp::Customer(v) | FunctionProp::Inline(v) => {
            v.first().map_or(0, |i| i.span.start as usize)
        }
        FunctionProp::Boundary(r) => r.span().start as usize,
        FunctionProp::Tags(t) => t.first().map_or(0, |t| t.span.start as usize),
        FunctionProp::BreakGlass { span, .. } => span.start as usize,
    }
}

fn prop_end(p: &FunctionProp) -> usize {
    match p {
        FunctionProp::Description(s) | FunctionProp::Relay(s) | FunctionProp::Name(s) => {
            s.span.end as usize
        }
        FunctionProp::Session(d) => d.span.end as usize,
        FunctionProp::Managed(r) => r.last().map_or(0, |r| r.span().end as usize),
        FunctionProp::Customer(v) | FunctionProp::Inline(v) => {
            v.last().map_or(0, |i| i.span.end as usize)
        }
        FunctionProp::Boundary(r) => r.span().end as usize,
        FunctionProp::Tags(t) => t.last().map_or(0, |t| t.span.end as usize),
        FunctionProp::BreakGlass { span, .. } => span.end as usize,
    }
}
