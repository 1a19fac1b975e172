//! Reparsing a file after an edit: only the item chunks the edit touched are
//! lexed and parsed again. The language server keeps a [`ParsedFile`] per
//! file; the result is always exactly what [`parse_file`](super::parse_file)
//! returns for the new text (a property test holds the two together).
//!
//! The lexer's state is the same at the start of every chunk, so lexing
//! starts again at a chunk boundary shortly before the edit and stops at the
//! first chunk boundary after it that the last lexing also had (moved by the
//! edit's change in length): the chunks and comments before and after are
//! taken from the last lexing. An item parses from its chunk's text alone
//! (see [`ChunkOutcome`]), so a chunk whose text lies wholly in the part of
//! the file before the edit is reused as it is (the same shared item), and
//! one wholly in the part after it is reused with every span moved by the
//! edit's change in length (a copy, unless the length did not change). A doc
//! comment lies before its item's chunk: it is looked up again for the
//! items next to the lexed region.

use super::lexical::{self, Chunk, Lexed};
use super::{assemble, doc_of, parse_chunk, ChunkOutcome};
use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::span::{common_prefix, common_suffix, FileId, Span};
use std::sync::Arc;

/// One file's text, its lexing and the outcome of each of its chunks, kept
/// for the next reparse of the same file.
#[derive(Debug, Clone)]
pub struct ParsedFile {
    file: FileId,
    text: Arc<str>,
    lexed: Lexed,
    /// What each chunk of `lexed` parsed to.
    outcomes: Vec<ChunkOutcome>,
}

/// How much of a reparse was reused: for the language server's timing log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reuse {
    pub chunks: usize,
    pub reparsed: usize,
    /// Bytes lexed again.
    pub lexed: usize,
}

impl ParsedFile {
    /// The text this parse is of.
    pub fn text(&self) -> &Arc<str> {
        &self.text
    }

    /// The file this parse is of.
    pub fn file(&self) -> FileId {
        self.file
    }
}

/// Parse `text` as file `file`, reusing what `previous` (a parse of an earlier
/// text of the same file) can give. Returns what [`super::parse_file`] returns,
/// and the state for the next call.
pub fn reparse_file(
    file: FileId,
    text: &Arc<str>,
    previous: Option<&ParsedFile>,
) -> (Module, Vec<Diagnostic>, ParsedFile, Reuse) {
    let (lexed, outcomes, reuse) = match previous {
        Some(prev) => reuse_previous(file, text, prev),
        None => {
            let lexed = lexical::lex(file, text);
            let outcomes: Vec<ChunkOutcome> = lexed
                .chunks
                .iter()
                .map(|chunk| parse_chunk(file, text, &lexed.comments, chunk))
                .collect();
            let reuse = Reuse {
                chunks: outcomes.len(),
                reparsed: outcomes.len(),
                lexed: text.len(),
            };
            (lexed, outcomes, reuse)
        }
    };
    let (module, diags) = assemble(
        file,
        lexed.comments.clone(),
        &lexed.unclosed_comments,
        &outcomes,
    );
    let state = ParsedFile {
        file,
        text: text.clone(),
        lexed,
        outcomes,
    };
    (module, diags, state, reuse)
}

/// The lexing and chunk outcomes of `text`, from those of `prev`.
fn reuse_previous(
    file: FileId,
    text: &Arc<str>,
    prev: &ParsedFile,
) -> (Lexed, Vec<ChunkOutcome>, Reuse) {
    let old: &str = &prev.text;
    let new_len = text.len();
    let prefix = common_prefix(old.as_bytes(), text.as_bytes());
    let max_suffix = old.len().min(new_len) - prefix;
    let suffix = common_suffix(old.as_bytes(), text.as_bytes(), max_suffix);
    // The new text's unchanged suffix starts here; the old one's at
    // `suffix_start - delta`.
    let suffix_start = new_len - suffix;
    let delta = new_len as i64 - old.len() as i64;
    let old_chunks = &prev.lexed.chunks;
    let mover = Mover {
        delta,
        file,
        from: prev.file,
    };
    let same_file = file == prev.file;

    // Lex again from the start of the chunk two before the first chunk the
    // edit reaches (its start was decided by text before the edit, the
    // keyword's look-ahead included), or from the start of the file.
    let before = old_chunks.partition_point(|c| c.end < prefix);
    let restart = before.saturating_sub(2);
    let from = match restart {
        0 => 0,
        i => old_chunks.get(i).map_or(0, |c| c.start),
    };
    // Stop at the first chunk start in the unchanged suffix that the old
    // lexing also had: from there on, the text and the lexer's state are
    // the same.
    let mut synced = None;
    let (relexed, stop) = lexical::lex_from(file, text, from, |q| {
        if q < suffix_start {
            return false;
        }
        let old_q = (q as i64 - delta) as usize;
        let i = old_chunks.partition_point(|c| c.start < old_q);
        let found = old_chunks.get(i).is_some_and(|c| c.start == old_q);
        if found {
            synced = Some(i);
        }
        found
    });
    let old_tail = match (stop, synced) {
        (Some(q), Some(i)) => Some(((q as i64 - delta) as usize, i)),
        _ => None,
    };

    // Chunks and comments: the old ones before `from`, the lexed ones, and
    // the old ones after the point of resynchronization, moved.
    let mut chunks: Vec<Chunk> = Vec::with_capacity(old_chunks.len() + relexed.chunks.len());
    chunks.extend_from_slice(old_chunks.get(..restart).unwrap_or_default());
    let kept = chunks.len();
    chunks.extend_from_slice(&relexed.chunks);
    let lexed_end = chunks.len();
    let old_comments = &prev.lexed.comments;
    let comments_before = old_comments.partition_point(|c| (c.span.end as usize) <= from);
    let mut comments: Vec<Comment> = Vec::with_capacity(old_comments.len());
    comments.extend(old_comments.iter().take(comments_before).map(|c| {
        let mut c = c.clone();
        if !same_file {
            mover.span_in_place(&mut c.span, 0);
        }
        c
    }));
    comments.extend(relexed.comments);
    let mut unclosed_comments = relexed.unclosed_comments;
    if let Some((old_q, i)) = old_tail {
        let shift = |at: usize| (at as i64 + delta) as usize;
        chunks.extend(old_chunks.iter().skip(i).map(|c| Chunk {
            start: shift(c.start),
            end: shift(c.end),
            max_depth: c.max_depth,
            unclosed: c.unclosed.map(|(at, open)| (shift(at), open)),
        }));
        let first = old_comments.partition_point(|c| (c.span.start as usize) < old_q);
        comments.extend(old_comments.iter().skip(first).map(|c| {
            let mut c = c.clone();
            mover.span_in_place(&mut c.span, delta);
            c
        }));
        unclosed_comments.extend(
            prev.lexed
                .unclosed_comments
                .iter()
                .filter(|&&at| at >= old_q)
                .map(|&at| shift(at)),
        );
    }

    let mut reuse = Reuse {
        chunks: chunks.len(),
        reparsed: 0,
        lexed: stop.unwrap_or(new_len) - from,
    };
    // The reused outcome of an old chunk: as it is, or moved.
    let moved = |o: &ChunkOutcome, delta: i64| {
        if delta == 0 && same_file {
            o.clone()
        } else {
            mover.outcome(o, delta)
        }
    };
    let mut outcomes = Vec::with_capacity(chunks.len());
    for (k, chunk) in chunks.iter().enumerate() {
        let outcome = if k < kept {
            prev.outcomes.get(k).map(|o| moved(o, 0))
        } else if k >= lexed_end {
            let j = old_tail.map_or(0, |(_, i)| i) + (k - lexed_end);
            prev.outcomes.get(j).map(|o| moved(o, delta))
        } else {
            // A chunk lexed again: reused if its text did not change.
            let at = |start: usize, end: usize| {
                let j = old_chunks.partition_point(|c| c.start < start);
                old_chunks
                    .get(j)
                    .filter(|c| c.start == start && c.end == end)
                    .and_then(|_| prev.outcomes.get(j))
            };
            if chunk.end <= prefix {
                at(chunk.start, chunk.end).map(|o| moved(o, 0))
            } else if chunk.start >= suffix_start {
                let shift = |x: usize| (x as i64 - delta) as usize;
                at(shift(chunk.start), shift(chunk.end)).map(|o| moved(o, delta))
            } else {
                None
            }
        };
        let outcome = match outcome {
            // Its doc comment lies before it, in text that may have changed.
            Some(ChunkOutcome::Item(item)) if k >= kept && k <= lexed_end => {
                let doc = doc_of(text, &comments, chunk.start);
                if doc == item.doc {
                    ChunkOutcome::Item(item)
                } else {
                    let mut item = (*item).clone();
                    item.doc = doc;
                    ChunkOutcome::Item(Arc::new(item))
                }
            }
            Some(o) => o,
            None => {
                reuse.reparsed += 1;
                parse_chunk(file, text, &comments, chunk)
            }
        };
        outcomes.push(outcome);
    }
    let lexed = Lexed {
        chunks,
        comments,
        unclosed_comments,
    };
    (lexed, outcomes, reuse)
}

/// Moves every span of a reused chunk by `delta` bytes into file `file`.
/// The patterns name every field, so a span added to the syntax tree does
/// not compile until it is moved here too.
#[derive(Clone, Copy)]
struct Mover {
    delta: i64,
    file: FileId,
    from: FileId,
}

impl Mover {
    /// `s` moved by `delta` (not the mover's own) into the mover's file.
    fn span_in_place(&self, s: &mut Span, delta: i64) {
        Mover { delta, ..*self }.span(s);
    }

    /// A copy of `o` with its spans moved by `delta` into the mover's file.
    fn outcome(&self, o: &ChunkOutcome, delta: i64) -> ChunkOutcome {
        let mover = Mover { delta, ..*self };
        let mut o = match o {
            ChunkOutcome::Item(item) => ChunkOutcome::Item(Arc::new((**item).clone())),
            o => o.clone(),
        };
        mover.outcome_in_place(&mut o);
        o
    }

    fn span(&self, s: &mut Span) {
        debug_assert_eq!(s.file, self.from);
        s.file = self.file;
        s.start = (s.start as i64 + self.delta) as u32;
        s.end = (s.end as i64 + self.delta) as u32;
    }

    fn outcome_in_place(&self, o: &mut ChunkOutcome) {
        match o {
            ChunkOutcome::Item(item) => {
                if let Some(item) = Arc::get_mut(item) {
                    self.item(item)
                }
            }
            ChunkOutcome::Failed { diagnostic, broken } => {
                self.diagnostic(diagnostic);
                if let Some((_, ident)) = broken {
                    self.ident(ident);
                }
            }
            ChunkOutcome::TooDeep(d) => self.diagnostic(d),
            ChunkOutcome::Empty => {}
        }
    }

    fn diagnostic(&self, d: &mut Diagnostic) {
        let Diagnostic {
            code: _,
            severity: _,
            span,
            message: _,
            label: _,
            labels,
            help: _,
            suggestion,
        } = d;
        self.span(span);
        for l in labels {
            self.span(&mut l.span);
        }
        if let Some(s) = suggestion {
            self.span(&mut s.span);
        }
    }

    fn ident(&self, i: &mut Ident) {
        let Ident { name: _, span } = i;
        self.span(span);
    }

    fn string(&self, s: &mut Str) {
        let Str { value: _, span } = s;
        self.span(span);
    }

    fn opt_string(&self, s: &mut Option<Str>) {
        if let Some(s) = s {
            self.string(s);
        }
    }

    fn idents(&self, v: &mut [Ident]) {
        for i in v {
            self.ident(i);
        }
    }

    fn item(&self, item: &mut Item) {
        let Item { kind, span, doc } = item;
        self.span(span);
        self.opt_string(doc);
        match kind {
            ItemKind::Use(Use::Std { module, span }) => {
                self.ident(module);
                self.span(span);
            }
            ItemKind::Use(Use::File(s)) => self.string(s),
            ItemKind::Instance(Instance {
                arn,
                identity_store,
                region,
                replicas,
                start_url,
                repeated,
            }) => {
                self.opt_string(arn);
                self.opt_string(identity_store);
                self.opt_string(region);
                self.opt_string(start_url);
                for r in replicas {
                    self.string(r);
                }
                self.repeated(repeated);
            }
            ItemKind::Attributes(attrs) => {
                for Attribute { key, value } in attrs {
                    self.ident(key);
                    self.string(value);
                }
            }
            ItemKind::Org(OrgDecl::From(s)) => self.string(s),
            ItemKind::Org(OrgDecl::Inline(OrgTree {
                root,
                management,
                ous,
                accounts,
                repeated,
            })) => {
                self.opt_string(root);
                self.opt_string(management);
                for ou in ous {
                    self.ou(ou);
                }
                for a in accounts {
                    self.account(a);
                }
                self.repeated(repeated);
            }
            ItemKind::Group(Group {
                name,
                display_name,
                id,
            }) => {
                self.ident(name);
                self.opt_string(display_name);
                self.opt_string(id);
            }
            ItemKind::User(User {
                name,
                user_name,
                id,
            }) => {
                self.ident(name);
                self.opt_string(user_name);
                self.opt_string(id);
            }
            ItemKind::Policy(Policy { name, body }) => {
                self.ident(name);
                match body {
                    PolicyBody::Statements(sts) => self.statements(sts),
                    PolicyBody::FromJson(s) => self.string(s),
                }
            }
            ItemKind::ManagedPolicy(ManagedPolicy {
                name,
                path,
                description,
                external,
                statements,
                blocks,
                except,
                repeated,
            }) => {
                self.ident(name);
                self.opt_string(path);
                self.opt_string(description);
                if let Some(s) = external {
                    self.span(s);
                }
                self.statements(statements);
                for b in blocks {
                    self.in_block(b);
                }
                for McpExcept { ous, span } in except {
                    for o in ous {
                        self.ou_path(o);
                    }
                    self.span(span);
                }
                self.repeated(repeated);
            }
            ItemKind::Function(Function {
                name,
                props,
                statements,
            }) => {
                self.ident(name);
                for p in props {
                    self.prop(p);
                }
                self.statements(statements);
            }
            ItemKind::Grant(Grant {
                functions,
                principals,
                targets,
                except,
                owner,
                until,
                repeated,
            }) => {
                self.idents(functions);
                for PrincipalRef {
                    kind: _,
                    explicit_kind: _,
                    name,
                } in principals
                {
                    self.ident(name);
                }
                self.targets(targets);
                self.targets(except);
                self.opt_string(owner);
                if let Some(d) = until {
                    self.date(d);
                }
                self.repeated(repeated);
            }
            ItemKind::Forbid(Forbid::Combination {
                left,
                right,
                targets,
            }) => {
                self.idents(left);
                self.idents(right);
                self.targets(targets);
            }
            ItemKind::Forbid(Forbid::User { functions, targets })
            | ItemKind::Forbid(Forbid::Functions { functions, targets })
            | ItemKind::Limit(Limit { functions, targets }) => {
                self.idents(functions);
                self.targets(targets);
            }
            ItemKind::Quotas(quotas) => {
                for Quota {
                    key,
                    value: _,
                    text: _,
                    span,
                } in quotas
                {
                    self.ident(key);
                    self.span(span);
                }
            }
        }
    }

    fn date(&self, d: &mut DateLit) {
        let DateLit { value: _, span } = d;
        self.span(span);
    }

    fn repeated(&self, v: &mut [Repeated]) {
        for Repeated {
            keyword: _,
            value,
            span,
            first,
        } in v
        {
            match value {
                PropValue::Flag => {}
                PropValue::Str(s) => self.string(s),
                PropValue::List(l) => {
                    for s in l {
                        self.string(s);
                    }
                }
                PropValue::Date(d) => self.date(d),
            }
            self.span(span);
            self.span(first);
        }
    }

    fn ou(&self, ou: &mut Ou) {
        let Ou {
            name,
            id,
            ous,
            accounts,
            span,
        } = ou;
        self.ident(name);
        self.opt_string(id);
        for o in ous {
            self.ou(o);
        }
        for a in accounts {
            self.account(a);
        }
        self.span(span);
    }

    fn account(&self, a: &mut Account) {
        let Account {
            name,
            id,
            state,
            span,
        } = a;
        self.ident(name);
        self.string(id);
        if let Some(AccountState { value: _, span }) = state {
            self.span(span);
        }
        self.span(span);
    }

    fn ou_path(&self, p: &mut OuPath) {
        let OuPath { segments, span } = p;
        self.idents(segments);
        self.span(span);
    }

    fn in_block(&self, b: &mut InBlock) {
        let InBlock {
            ou,
            statements,
            blocks,
            span,
        } = b;
        self.ou_path(ou);
        self.statements(statements);
        for b in blocks {
            self.in_block(b);
        }
        self.span(span);
    }

    fn targets(&self, targets: &mut [Target]) {
        for t in targets {
            match t {
                Target::Root(s) => self.span(s),
                Target::Ou(p) => self.ou_path(p),
                Target::Account(i) => self.ident(i),
                Target::AccountId(s) => self.string(s),
            }
        }
    }

    fn prop(&self, p: &mut FunctionProp) {
        match p {
            FunctionProp::Description(s) | FunctionProp::Relay(s) | FunctionProp::Name(s) => {
                self.string(s)
            }
            FunctionProp::Session(Duration {
                value: _,
                text: _,
                span,
            }) => self.span(span),
            FunctionProp::Managed(refs) => {
                for r in refs {
                    self.policy_ref(r);
                }
            }
            FunctionProp::Customer(v) | FunctionProp::Inline(v) => self.idents(v),
            FunctionProp::Boundary(r) => self.policy_ref(r),
            FunctionProp::Tags(tags) => {
                for Tag { key, value, span } in tags {
                    self.ident(key);
                    self.string(value);
                    self.span(span);
                }
            }
            FunctionProp::BreakGlass { notify, span } => {
                self.opt_string(notify);
                self.span(span);
            }
        }
    }

    fn policy_ref(&self, r: &mut PolicyRef) {
        match r {
            PolicyRef::Name(i) => self.ident(i),
            PolicyRef::Arn(s) => self.string(s),
        }
    }

    fn statements(&self, sts: &mut [Statement]) {
        for st in sts {
            let Statement {
                sid,
                effect: _,
                not_action: _,
                actions,
                not_resource: _,
                resources,
                conditions,
                span,
            } = st;
            if let Some(s) = sid {
                self.ident(s);
            }
            for Action { text: _, span } in actions {
                self.span(span);
            }
            for Resource {
                text: _,
                quoted: _,
                span,
            } in resources
            {
                self.span(span);
            }
            for c in conditions {
                self.condition(c);
            }
            self.span(span);
        }
    }

    fn tag_ref(&self, t: &mut TagRef) {
        let TagRef {
            scope: _,
            key,
            span,
        } = t;
        self.ident(key);
        self.span(span);
    }

    fn condition(&self, c: &mut Condition) {
        match c {
            Condition::Tag {
                lhs,
                negated: _,
                rhs,
                span,
            } => {
                self.tag_ref(lhs);
                match rhs {
                    TagValue::Tag(t) => self.tag_ref(t),
                    TagValue::Literal(s) => self.string(s),
                }
                self.span(span);
            }
            Condition::General {
                operator,
                key,
                values,
                list: _,
                span,
            } => {
                self.ident(operator);
                self.string(key);
                for v in values {
                    self.string(v);
                }
                self.span(span);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_file;

    fn same(a: &(Module, Vec<Diagnostic>), b: &(Module, Vec<Diagnostic>)) -> bool {
        format!("{:?}", a.0) == format!("{:?}", b.0) && a.1 == b.1
    }

    #[test]
    fn an_edit_reparses_only_its_item() {
        let old: Arc<str> =
            "group a\n\n/// doc\nfunction F { session 2h }\n\ngrant F to a on root\n".into();
        let (_, _, state, _) = reparse_file(FileId(0), &old, None);
        let new: Arc<str> = old.replace("session 2h", "session 12h").into();
        let (m, d, _, reuse) = reparse_file(FileId(0), &new, Some(&state));
        assert_eq!(
            reuse,
            Reuse {
                chunks: 3,
                reparsed: 1,
                // From the start of the file to the grant's chunk.
                lexed: new.find("grant").expect("grant"),
            }
        );
        assert!(same(&(m, d), &parse_file(FileId(0), &new)));
    }

    /// A large file of many small items.
    fn many_items(n: usize) -> String {
        let mut text = String::from("/// The first group.\ngroup g0\n\n");
        for i in 1..n {
            text.push_str(&format!("/// Group {i}.\ngroup g{i}\n\n"));
            text.push_str(&format!("grant F to g{i} on Workloads/Prod\n\n"));
        }
        text
    }

    #[test]
    fn an_edit_lexes_only_near_itself_and_shares_the_other_items() {
        let old: Arc<str> = many_items(2000).into();
        let (_, _, state, _) = reparse_file(FileId(0), &old, None);
        let (before, _) = parse_file(FileId(0), &old);
        let at = old.find("g1000 on Workloads/Prod").expect("grant") + 14;
        // The same length: every other item is the same shared one.
        let new: Arc<str> = format!("{}z{}", &old[..at], &old[at + 1..]).into();
        let (m, d, state2, reuse) = reparse_file(FileId(0), &new, Some(&state));
        assert!(same(&(m.clone(), d), &parse_file(FileId(0), &new)));
        assert_eq!(reuse.reparsed, 1);
        assert!(reuse.lexed < 200, "{reuse:?}");
        let shared = m
            .items
            .iter()
            .zip(&state.outcomes)
            .filter(|(a, b)| matches!(b, ChunkOutcome::Item(b) if Arc::ptr_eq(a, b)))
            .count();
        assert_eq!(shared, m.items.len() - 1);
        assert_eq!(m.items.len(), before.items.len());
        // Longer: the items after it are moved, the ones before shared.
        let new2: Arc<str> = format!("{}Zz{}", &new[..at], &new[at + 1..]).into();
        let (m2, d2, _, reuse) = reparse_file(FileId(0), &new2, Some(&state2));
        assert!(same(&(m2.clone(), d2), &parse_file(FileId(0), &new2)));
        assert!(reuse.lexed < 200, "{reuse:?}");
        assert!(Arc::ptr_eq(&m2.items[0], &m.items[0]));
        assert!(!Arc::ptr_eq(&m2.items[3000], &m.items[3000]));
    }

    /// Edits at and across chunk boundaries, that merge two items into one,
    /// split one into two, or change the doc comment of the item after.
    #[test]
    fn edits_at_chunk_boundaries_equal_a_fresh_parse() {
        let base = many_items(6);
        let grant = base.find("grant F to g2").expect("grant");
        let group = base.find("group g3").expect("group");
        let doc = base.find("/// Group 3.").expect("doc");
        let edits: Vec<(usize, usize, &str)> = vec![
            // Merge: the line break before an item keyword goes.
            (grant - 2, 2, " "),
            // The keyword itself changes: no longer an item start.
            (grant, 1, "x"),
            (grant, 0, "x"),
            // Split: a new item in the middle of one.
            (grant + 8, 0, "\ngroup new\n"),
            (grant + 8, 0, "\n/// doc\nuser u\n"),
            // Right at a chunk's start and end.
            (group, 0, "  "),
            (group - 1, 1, ""),
            (group + 8, 0, " {"),
            // The doc comment of the next item.
            (doc + 4, 5, "Grp"),
            (doc, 3, "//"),
            (doc - 1, 1, "\n\n"),
            // Comments that swallow or free the items after them.
            (grant, 0, "/* "),
            (grant, 0, "// "),
            (group, 0, "\"\n"),
            (0, 0, "grant "),
            (base.len(), 0, "\ngrant F to g5 on root"),
            (base.len() - 1, 1, ""),
        ];
        for (file_from, file_to) in [(0, 0), (0, 1)] {
            let old: Arc<str> = base.as_str().into();
            let (_, _, state, _) = reparse_file(FileId(file_from), &old, None);
            for &(at, len, insert) in &edits {
                let new: Arc<str> = format!("{}{insert}{}", &base[..at], &base[at + len..]).into();
                let (m, d, state2, _) = reparse_file(FileId(file_to), &new, Some(&state));
                assert!(
                    same(&(m, d), &parse_file(FileId(file_to), &new)),
                    "{at} {len} {insert:?}:\n{new}"
                );
                // And back.
                let (m, d, _, _) = reparse_file(FileId(file_to), &old, Some(&state2));
                assert!(
                    same(&(m, d), &parse_file(FileId(file_to), &old)),
                    "{at} back"
                );
            }
        }
    }

    #[test]
    fn a_reused_item_moves_its_repeated_settings() {
        let old: Arc<str> = "group a\n\ninstance { region \"us-east-1\" region \"eu-west-1\" }\n\
                             grant F to a on root owner \"x\" owner \"y\" until 2026-01-01 until 2027-01-01\n"
            .into();
        let (_, _, state, _) = reparse_file(FileId(0), &old, None);
        let new: Arc<str> = old.replace("group a", "group abc").into();
        let (m, d, _, reuse) = reparse_file(FileId(0), &new, Some(&state));
        assert_eq!(reuse.reparsed, 1);
        assert!(same(&(m, d), &parse_file(FileId(0), &new)));
    }
}
