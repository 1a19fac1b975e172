//! Reparsing a file after an edit: only the item chunks the edit touched are
//! parsed again. The language server keeps a [`ParsedFile`] per file; the
//! result is always exactly what [`parse_file`](super::parse_file) returns for
//! the new text (a property test holds the two together).
//!
//! An item parses from its chunk's text alone (see [`ChunkOutcome`]), so a
//! chunk whose text lies wholly in the part of the file before the edit is
//! reused as it is, and one wholly in the part after it is reused with every
//! span moved by the edit's change in length. Doc comments lie before their
//! chunk and are looked up again for every item.

use super::{assemble, lexical, parse_chunk, ChunkOutcome};
use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::span::{FileId, Span};
use std::collections::HashMap;
use std::sync::Arc;

/// One file's text and the outcome of each of its chunks, kept for the next
/// reparse of the same file.
#[derive(Debug, Clone)]
pub struct ParsedFile {
    file: FileId,
    text: Arc<str>,
    /// `(start, end)` of each chunk and what it parsed to.
    chunks: Vec<(usize, usize, ChunkOutcome)>,
}

/// How much of a reparse was reused: for the language server's timing log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reuse {
    pub chunks: usize,
    pub reparsed: usize,
}

impl ParsedFile {
    /// The text this parse is of.
    pub fn text(&self) -> &Arc<str> {
        &self.text
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
    let lexed = lexical::lex(file, text);
    let new_len = text.len();
    // The old chunks by position, and the unchanged prefix and suffix.
    let (old_chunks, prefix, suffix_start, delta) = match previous {
        Some(prev) => {
            let old: &str = &prev.text;
            let prefix = common_prefix(old.as_bytes(), text.as_bytes());
            let max_suffix = old.len().min(new_len) - prefix;
            let suffix = common_suffix(old.as_bytes(), text.as_bytes(), max_suffix);
            let by_pos: HashMap<(usize, usize), &ChunkOutcome> =
                prev.chunks.iter().map(|(s, e, o)| ((*s, *e), o)).collect();
            (
                Some((by_pos, prev.file)),
                prefix,
                new_len - suffix,
                new_len as i64 - old.len() as i64,
            )
        }
        None => (None, 0, usize::MAX, 0),
    };
    let mut reuse = Reuse {
        chunks: lexed.chunks.len(),
        reparsed: 0,
    };
    let mut chunks = Vec::with_capacity(lexed.chunks.len());
    for chunk in &lexed.chunks {
        let reused = old_chunks.as_ref().and_then(|(by_pos, old_file)| {
            let moved = |o: &ChunkOutcome, delta: i64| {
                let mut o = o.clone();
                if delta == 0 && file == *old_file {
                    // Nothing to move: the walk would leave every span as it is.
                    return o;
                }
                Mover {
                    delta,
                    file,
                    from: *old_file,
                }
                .outcome(&mut o);
                o
            };
            if chunk.end <= prefix {
                by_pos.get(&(chunk.start, chunk.end)).map(|o| moved(o, 0))
            } else if chunk.start >= suffix_start {
                let old_start = (chunk.start as i64 - delta) as usize;
                let old_end = (chunk.end as i64 - delta) as usize;
                by_pos.get(&(old_start, old_end)).map(|o| moved(o, delta))
            } else {
                None
            }
        });
        let outcome = match reused {
            Some(o) => o,
            None => {
                reuse.reparsed += 1;
                parse_chunk(file, text, &lexed.comments, chunk)
            }
        };
        chunks.push((chunk.start, chunk.end, outcome));
    }
    let outcomes: Vec<ChunkOutcome> = chunks.iter().map(|(_, _, o)| o.clone()).collect();
    let (module, diags) = assemble(file, text, lexed, outcomes);
    (
        module,
        diags,
        ParsedFile {
            file,
            text: text.clone(),
            chunks,
        },
        reuse,
    )
}

fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    // Compare in blocks first: this runs on every keystroke over large files.
    let blocks = a
        .chunks_exact(64)
        .zip(b.chunks_exact(64))
        .take_while(|(x, y)| x == y)
        .count()
        * 64;
    blocks
        + a.iter()
            .skip(blocks)
            .zip(b.iter().skip(blocks))
            .take_while(|(x, y)| x == y)
            .count()
}

fn common_suffix(a: &[u8], b: &[u8], max: usize) -> usize {
    let blocks = a
        .rchunks_exact(64)
        .zip(b.rchunks_exact(64))
        .take(max / 64)
        .take_while(|(x, y)| x == y)
        .count()
        * 64;
    blocks
        + a.iter()
            .rev()
            .skip(blocks)
            .zip(b.iter().rev().skip(blocks))
            .take(max - blocks)
            .take_while(|(x, y)| x == y)
            .count()
}

/// Moves every span of a reused chunk by `delta` bytes into file `file`.
/// The patterns name every field, so a span added to the syntax tree does
/// not compile until it is moved here too.
struct Mover {
    delta: i64,
    file: FileId,
    from: FileId,
}

impl Mover {
    fn span(&self, s: &mut Span) {
        debug_assert_eq!(s.file, self.from);
        s.file = self.file;
        s.start = (s.start as i64 + self.delta) as u32;
        s.end = (s.end as i64 + self.delta) as u32;
    }

    fn outcome(&self, o: &mut ChunkOutcome) {
        match o {
            ChunkOutcome::Item(item) => self.item(item),
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
                reparsed: 1
            }
        );
        assert!(same(&(m, d), &parse_file(FileId(0), &new)));
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
