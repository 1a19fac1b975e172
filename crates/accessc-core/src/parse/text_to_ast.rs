//! Pest parse trees to [`crate::ast`] nodes, one item at a time.

use crate::ast::*;
use crate::org_snapshot::AccountStatus;
use crate::session_duration::SessionDuration;
use crate::span::{FileId, Span};
use pest::iterators::Pair;
use pest_derive::Parser;

#[derive(Parser)]
#[grammar = "../../../grammar/access.pest"]
pub struct AccessParser;

/// Converts pairs of one chunk; `base` is the chunk's offset in the file.
pub struct Builder<'s> {
    pub file: FileId,
    pub base: usize,
    /// The whole file's text and comments: spans never end in trailing
    /// whitespace or comments (pest's implicit skipping can leave them there).
    pub text: &'s str,
    pub comments: &'s [Comment],
}

type P<'a> = Pair<'a, Rule>;

impl Builder<'_> {
    fn span(&self, p: &P) -> Span {
        let s = p.as_span();
        let start = self.base + s.start();
        let mut end = self.base + s.end();
        let bytes = self.text.as_bytes();
        while end > start {
            if bytes.get(end - 1).is_some_and(u8::is_ascii_whitespace) {
                end -= 1;
                continue;
            }
            let i = self
                .comments
                .partition_point(|c| (c.span.end as usize) < end);
            match self.comments.get(i) {
                Some(c) if c.span.end as usize == end && c.span.start as usize >= start => {
                    end = c.span.start as usize
                }
                _ => break,
            }
        }
        Span::new(self.file, start, end)
    }

    fn ident(&self, p: P) -> Ident {
        Ident {
            name: p.as_str().to_string(),
            span: self.span(&p),
        }
    }

    fn string(&self, p: P) -> Str {
        let span = self.span(&p);
        let inner = p.into_inner().next().map(|i| i.as_str()).unwrap_or("");
        Str {
            value: unescape(inner),
            span,
        }
    }

    pub fn item(&self, p: P) -> Item {
        let span = self.span(&p);
        let rule = p.as_rule();
        let mut inner = p.into_inner();
        // Every item rule starts with its keyword.
        inner.next();
        let kind = match rule {
            Rule::use_item => {
                let q = first(&mut inner);
                match q.as_rule() {
                    Rule::std_path => {
                        let qspan = self.span(&q);
                        let module = self.ident(first(&mut q.into_inner()));
                        ItemKind::Use(Use::Std {
                            module,
                            span: qspan,
                        })
                    }
                    _ => ItemKind::Use(Use::File(self.string(q))),
                }
            }
            Rule::instance => {
                let mut inst = Instance::default();
                let mut seen = Seen::default();
                for q in inner {
                    let rule = q.as_rule();
                    let span = self.span(&q);
                    let mut strings: Vec<Str> = q
                        .into_inner()
                        .filter(|s| s.as_rule() == Rule::string)
                        .map(|s| self.string(s))
                        .collect();
                    let keyword = match rule {
                        Rule::instance_arn => "arn",
                        Rule::instance_store => "identity_store",
                        Rule::instance_region => "region",
                        Rule::instance_start_url => "start_url",
                        _ => "replicas",
                    };
                    if let Some(first) = seen.repeats(keyword, span) {
                        let value = if rule == Rule::instance_replicas {
                            PropValue::List(strings)
                        } else {
                            match strings.pop() {
                                Some(s) => PropValue::Str(s),
                                None => continue,
                            }
                        };
                        inst.repeated.push(Repeated {
                            keyword,
                            value,
                            span,
                            first,
                        });
                        continue;
                    }
                    match rule {
                        Rule::instance_arn => inst.arn = strings.pop(),
                        Rule::instance_store => inst.identity_store = strings.pop(),
                        Rule::instance_region => inst.region = strings.pop(),
                        Rule::instance_start_url => inst.start_url = strings.pop(),
                        _ => inst.replicas = strings,
                    }
                }
                ItemKind::Instance(inst)
            }
            Rule::attributes => ItemKind::Attributes(
                inner
                    .map(|a| {
                        let mut a = a.into_inner();
                        let key = self.ident(first(&mut a));
                        let value = self.string(first(&mut a));
                        Attribute { key, value }
                    })
                    .collect(),
            ),
            Rule::org => {
                let q = first(&mut inner);
                match q.as_rule() {
                    Rule::org_from => {
                        let mut r = q.into_inner();
                        r.next();
                        ItemKind::Org(OrgDecl::From(self.string(first(&mut r))))
                    }
                    _ => {
                        let mut tree = OrgTree::default();
                        let mut seen = Seen::default();
                        for m in q.into_inner() {
                            let rule = m.as_rule();
                            match rule {
                                Rule::org_root | Rule::org_management => {
                                    let keyword = if rule == Rule::org_root {
                                        "root"
                                    } else {
                                        "management"
                                    };
                                    let span = self.span(&m);
                                    let value = self.string(last(m.into_inner()));
                                    let slot = if rule == Rule::org_root {
                                        &mut tree.root
                                    } else {
                                        &mut tree.management
                                    };
                                    seen.record(keyword, span, slot, value, &mut tree.repeated);
                                }
                                Rule::ou => tree.ous.push(self.ou(m)),
                                _ => tree.accounts.push(self.account(m)),
                            }
                        }
                        ItemKind::Org(OrgDecl::Inline(tree))
                    }
                }
            }
            Rule::group | Rule::user => {
                let name = self.ident(first(&mut inner));
                let mut display = None;
                let mut id = None;
                for q in inner {
                    match q.as_rule() {
                        Rule::string => display = Some(self.string(q)),
                        _ => id = q.into_inner().nth(1).map(|s| self.string(s)),
                    }
                }
                if rule == Rule::group {
                    ItemKind::Group(Group {
                        name,
                        display_name: display,
                        id,
                    })
                } else {
                    ItemKind::User(User {
                        name,
                        user_name: display,
                        id,
                    })
                }
            }
            Rule::policy => {
                let name = self.ident(first(&mut inner));
                let body = first(&mut inner);
                let body = match body.as_rule() {
                    Rule::policy_from => PolicyBody::FromJson(self.string(last(body.into_inner()))),
                    _ => PolicyBody::Statements(
                        body.into_inner().map(|s| self.statement(s)).collect(),
                    ),
                };
                ItemKind::Policy(Policy { name, body })
            }
            Rule::managed_policy => {
                let name = self.ident(first(&mut inner));
                let mut mp = ManagedPolicy {
                    name,
                    path: None,
                    description: None,
                    external: None,
                    statements: Vec::new(),
                    blocks: Vec::new(),
                    except: Vec::new(),
                    repeated: Vec::new(),
                };
                let mut seen = Seen::default();
                for q in inner {
                    match q.as_rule() {
                        Rule::mp_path => {
                            let span = self.span(&q);
                            let value = self.string(last(q.into_inner()));
                            seen.record("path", span, &mut mp.path, value, &mut mp.repeated);
                        }
                        Rule::mp_description => {
                            let span = self.span(&q);
                            let value = self.string(last(q.into_inner()));
                            seen.record(
                                "description",
                                span,
                                &mut mp.description,
                                value,
                                &mut mp.repeated,
                            );
                        }
                        Rule::mp_external => {
                            let span = self.span(&q);
                            match seen.repeats("external", span) {
                                Some(first) => mp.repeated.push(Repeated {
                                    keyword: "external",
                                    value: PropValue::Flag,
                                    span,
                                    first,
                                }),
                                None => mp.external = Some(span),
                            }
                        }
                        Rule::in_block => mp.blocks.push(self.in_block(q)),
                        Rule::mp_except => {
                            let span = self.span(&q);
                            let ous = q
                                .into_inner()
                                .filter(|p| p.as_rule() == Rule::ou_path)
                                .map(|p| self.ou_path(p))
                                .collect();
                            mp.except.push(McpExcept { ous, span });
                        }
                        _ => mp.statements.push(self.statement(q)),
                    }
                }
                ItemKind::ManagedPolicy(mp)
            }
            Rule::function => {
                let name = self.ident(first(&mut inner));
                let mut f = Function {
                    name,
                    props: Vec::new(),
                    statements: Vec::new(),
                };
                for q in inner {
                    if q.as_rule() == Rule::statement {
                        f.statements.push(self.statement(q));
                    } else {
                        f.props.push(self.function_prop(q));
                    }
                }
                ItemKind::Function(f)
            }
            Rule::grant => {
                let functions = self.ident_list(first(&mut inner));
                inner.next(); // to
                let principals = self.principals(first(&mut inner));
                inner.next(); // on
                let targets = self.targets(first(&mut inner));
                let mut g = Grant {
                    functions,
                    principals,
                    targets,
                    except: Vec::new(),
                    owner: None,
                    until: None,
                    repeated: Vec::new(),
                };
                let mut seen = Seen::default();
                while let Some(q) = inner.next() {
                    match q.as_rule() {
                        Rule::kw_except => g.except = self.targets(first(&mut inner)),
                        Rule::grant_owner => {
                            let span = self.span(&q);
                            let value = self.string(last(q.into_inner()));
                            seen.record("owner", span, &mut g.owner, value, &mut g.repeated);
                        }
                        Rule::grant_until => {
                            let span = self.span(&q);
                            let date = self.date(last(q.into_inner()));
                            match seen.repeats("until", span) {
                                Some(first) => g.repeated.push(Repeated {
                                    keyword: "until",
                                    value: PropValue::Date(date),
                                    span,
                                    first,
                                }),
                                None => g.until = Some(date),
                            }
                        }
                        _ => {}
                    }
                }
                ItemKind::Grant(g)
            }
            Rule::forbid => {
                let q = first(&mut inner);
                let rule = q.as_rule();
                let mut lists: Vec<Vec<Ident>> = Vec::new();
                let mut targets = Vec::new();
                for r in q.into_inner() {
                    match r.as_rule() {
                        Rule::ident_list => lists.push(self.ident_list(r)),
                        Rule::target_list => targets = self.targets(r),
                        _ => {}
                    }
                }
                let mut lists = lists.into_iter();
                ItemKind::Forbid(match rule {
                    Rule::forbid_user => Forbid::User {
                        functions: lists.next().unwrap_or_default(),
                        targets,
                    },
                    Rule::forbid_combination => Forbid::Combination {
                        left: lists.next().unwrap_or_default(),
                        right: lists.next().unwrap_or_default(),
                        targets,
                    },
                    _ => Forbid::Functions {
                        functions: lists.next().unwrap_or_default(),
                        targets,
                    },
                })
            }
            Rule::limit => {
                let functions = self.ident_list(first(&mut inner));
                inner.next();
                let targets = self.targets(first(&mut inner));
                ItemKind::Limit(Limit { functions, targets })
            }
            _ => ItemKind::Quotas(
                inner
                    .map(|q| {
                        let span = self.span(&q);
                        let mut r = q.into_inner();
                        let key = self.ident(first(&mut r));
                        let text = first(&mut r).as_str().to_string();
                        Quota {
                            key,
                            value: text.parse().ok(),
                            text,
                            span,
                        }
                    })
                    .collect(),
            ),
        };
        Item {
            kind,
            span,
            doc: None,
        }
    }

    fn ou(&self, p: P) -> Ou {
        let span = self.span(&p);
        let mut inner = p.into_inner();
        inner.next();
        let name = self.ident(first(&mut inner));
        let mut ou = Ou {
            name,
            id: None,
            ous: Vec::new(),
            accounts: Vec::new(),
            span,
        };
        for q in inner {
            match q.as_rule() {
                Rule::string => ou.id = Some(self.string(q)),
                Rule::ou => ou.ous.push(self.ou(q)),
                _ => ou.accounts.push(self.account(q)),
            }
        }
        ou
    }

    fn account(&self, p: P) -> Account {
        let span = self.span(&p);
        let mut inner = p.into_inner();
        inner.next();
        let name = self.ident(first(&mut inner));
        let id = self.string(first(&mut inner));
        let state = inner.next().map(|q| AccountState {
            span: self.span(&q),
            value: match q.as_str() {
                "suspended" => AccountStatus::Suspended,
                "pending_closure" => AccountStatus::PendingClosure,
                _ => AccountStatus::Closed,
            },
        });
        Account {
            name,
            id,
            state,
            span,
        }
    }

    fn in_block(&self, p: P) -> InBlock {
        let span = self.span(&p);
        let mut inner = p.into_inner();
        inner.next();
        let ou = self.ou_path(first(&mut inner));
        let mut block = InBlock {
            ou,
            statements: Vec::new(),
            blocks: Vec::new(),
            span,
        };
        for q in inner {
            match q.as_rule() {
                Rule::in_block => block.blocks.push(self.in_block(q)),
                _ => block.statements.push(self.statement(q)),
            }
        }
        block
    }

    fn ou_path(&self, p: P) -> OuPath {
        let span = self.span(&p);
        OuPath {
            segments: p.into_inner().map(|i| self.ident(i)).collect(),
            span,
        }
    }

    fn statement(&self, p: P) -> Statement {
        let span = self.span(&p);
        let mut st = Statement {
            sid: None,
            effect: Effect::Allow,
            not_action: false,
            actions: Vec::new(),
            not_resource: false,
            resources: Vec::new(),
            conditions: Vec::new(),
            span,
        };
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::sid => st.sid = q.into_inner().next().map(|i| self.ident(i)),
                Rule::effect if q.as_str() == "deny" => st.effect = Effect::Deny,
                Rule::not_action => st.not_action = true,
                Rule::not_resource => st.not_resource = true,
                Rule::action_list => {
                    for a in q.into_inner() {
                        let a = first(&mut a.into_inner());
                        let (text, span) = match a.as_rule() {
                            Rule::string => {
                                let s = self.string(a);
                                (s.value, s.span)
                            }
                            _ => (a.as_str().to_string(), self.span(&a)),
                        };
                        st.actions.push(Action { text, span });
                    }
                }
                Rule::resource_list => {
                    for r in q.into_inner() {
                        let r = first(&mut r.into_inner());
                        st.resources.push(match r.as_rule() {
                            Rule::string => {
                                let s = self.string(r);
                                Resource {
                                    text: s.value,
                                    quoted: true,
                                    span: s.span,
                                }
                            }
                            _ => Resource {
                                text: "*".into(),
                                quoted: false,
                                span: self.span(&r),
                            },
                        });
                    }
                }
                Rule::condition => st.conditions.push(self.condition(q)),
                _ => {}
            }
        }
        st
    }

    fn condition(&self, p: P) -> Condition {
        let span = self.span(&p);
        let q = first(&mut p.into_inner());
        match q.as_rule() {
            Rule::tag_condition => {
                let mut r = q.into_inner();
                let lhs = self.tag_ref(first(&mut r));
                let negated = first(&mut r).as_str() == "!=";
                let v = first(&mut r);
                let rhs = match v.as_rule() {
                    Rule::tag_ref => TagValue::Tag(self.tag_ref(v)),
                    _ => TagValue::Literal(self.string(v)),
                };
                Condition::Tag {
                    lhs,
                    negated,
                    rhs,
                    span,
                }
            }
            _ => {
                let mut r = q.into_inner();
                let operator = self.ident(first(&mut r));
                let key = self.string(first(&mut r));
                let v = first(&mut r);
                let (values, list) = match v.as_rule() {
                    Rule::value_list => (v.into_inner().map(|s| self.string(s)).collect(), true),
                    _ => (vec![self.string(v)], false),
                };
                Condition::General {
                    operator,
                    key,
                    values,
                    list,
                    span,
                }
            }
        }
    }

    fn tag_ref(&self, p: P) -> TagRef {
        let span = self.span(&p);
        let mut r = p.into_inner();
        let scope = match first(&mut r).as_str() {
            "resource" => TagScope::Resource,
            "request" => TagScope::Request,
            _ => TagScope::Principal,
        };
        let key = self.ident(first(&mut r));
        TagRef { scope, key, span }
    }

    fn function_prop(&self, p: P) -> FunctionProp {
        let span = self.span(&p);
        let rule = p.as_rule();
        let mut inner = p.into_inner();
        inner.next(); // the property keyword
        match rule {
            Rule::fp_description => FunctionProp::Description(self.string(first(&mut inner))),
            Rule::fp_session => {
                let d = first(&mut inner);
                FunctionProp::Session(Duration {
                    value: SessionDuration::from_minutes(parse_duration(d.as_str())),
                    text: d.as_str().to_string(),
                    span: self.span(&d),
                })
            }
            Rule::fp_relay => FunctionProp::Relay(self.string(first(&mut inner))),
            Rule::fp_managed => FunctionProp::Managed(inner.map(|r| self.policy_ref(r)).collect()),
            Rule::fp_customer => FunctionProp::Customer(self.ident_list(first(&mut inner))),
            Rule::fp_boundary => FunctionProp::Boundary(self.policy_ref(first(&mut inner))),
            Rule::fp_inline => FunctionProp::Inline(self.ident_list(first(&mut inner))),
            Rule::fp_tags => FunctionProp::Tags(
                inner
                    .map(|t| {
                        let tspan = self.span(&t);
                        let mut r = t.into_inner();
                        let k = first(&mut first(&mut r).into_inner());
                        let key = match k.as_rule() {
                            Rule::string => {
                                let s = self.string(k);
                                Ident {
                                    name: s.value,
                                    span: s.span,
                                }
                            }
                            _ => self.ident(k),
                        };
                        let value = self.string(first(&mut r));
                        Tag {
                            key,
                            value,
                            span: tspan,
                        }
                    })
                    .collect(),
            ),
            Rule::fp_break_glass => FunctionProp::BreakGlass {
                notify: inner.nth(1).map(|s| self.string(s)),
                span,
            },
            _ => FunctionProp::Name(self.string(first(&mut inner))),
        }
    }

    fn policy_ref(&self, p: P) -> PolicyRef {
        let q = first(&mut p.into_inner());
        match q.as_rule() {
            Rule::string => PolicyRef::Arn(self.string(q)),
            _ => PolicyRef::Name(self.ident(q)),
        }
    }

    fn ident_list(&self, p: P) -> Vec<Ident> {
        p.into_inner().map(|i| self.ident(i)).collect()
    }

    fn principals(&self, p: P) -> Vec<PrincipalRef> {
        let mut kind = PrincipalKind::Group;
        let mut out = Vec::new();
        for q in p.into_inner() {
            let mut explicit = false;
            let mut name = None;
            for r in q.into_inner() {
                match r.as_rule() {
                    Rule::principal_kind => {
                        explicit = true;
                        kind = if r.as_str() == "user" {
                            PrincipalKind::User
                        } else {
                            PrincipalKind::Group
                        };
                    }
                    _ => name = Some(self.ident(r)),
                }
            }
            if let Some(name) = name {
                out.push(PrincipalRef {
                    kind,
                    explicit_kind: explicit,
                    name,
                });
            }
        }
        out
    }

    fn targets(&self, p: P) -> Vec<Target> {
        p.into_inner()
            .map(|t| {
                let q = first(&mut t.into_inner());
                match q.as_rule() {
                    Rule::target_root => Target::Root(self.span(&q)),
                    Rule::target_account => Target::Account(self.ident(last(q.into_inner()))),
                    Rule::target_id => Target::AccountId(self.string(first(&mut q.into_inner()))),
                    _ => Target::Ou(self.ou_path(q)),
                }
            })
            .collect()
    }

    fn date(&self, p: P) -> DateLit {
        let span = self.span(&p);
        let s = p.as_str();
        let num = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse().ok()).unwrap_or(0);
        DateLit {
            value: crate::date::Date::new(num(0..4) as i32, num(5..7), num(8..10)),
            span,
        }
    }
}

/// The single-value properties of one block seen so far, by keyword, with
/// the span of their first occurrence.
#[derive(Default)]
struct Seen(Vec<(&'static str, Span)>);

impl Seen {
    /// The first occurrence of `keyword` when it was seen before; otherwise
    /// `None`, and `span` is remembered as its first occurrence.
    fn repeats(&mut self, keyword: &'static str, span: Span) -> Option<Span> {
        match self.0.iter().find(|(k, _)| *k == keyword) {
            Some((_, first)) => Some(*first),
            None => {
                self.0.push((keyword, span));
                None
            }
        }
    }

    /// A string property: into `slot` the first time, into `repeated` after.
    fn record(
        &mut self,
        keyword: &'static str,
        span: Span,
        slot: &mut Option<Str>,
        value: Str,
        repeated: &mut Vec<Repeated>,
    ) {
        match self.repeats(keyword, span) {
            Some(first) => repeated.push(Repeated {
                keyword,
                value: PropValue::Str(value),
                span,
                first,
            }),
            None => *slot = Some(value),
        }
    }
}

/// The next pair of a sequence the grammar guarantees.
fn first<'a>(it: &mut pest::iterators::Pairs<'a, Rule>) -> P<'a> {
    // INVARIANT: callers only ask for children the grammar rule requires;
    // a missing one is a grammar/builder mismatch caught by the test corpus.
    it.next().expect("grammar guarantees this child")
}

fn last<'a>(it: pest::iterators::Pairs<'a, Rule>) -> P<'a> {
    // INVARIANT: as for `first`.
    it.last().expect("grammar guarantees this child")
}

/// Undo string escapes (`\"`, `\\`, `\n`, `\t`, `\/`).
pub fn unescape(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(o) => out.push(o),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Minutes of `90m`, `4h`, `1h30m`, `PT4H`, `PT1H30M` (seconds round up).
pub fn parse_duration(s: &str) -> u64 {
    let body = s.strip_prefix("PT").unwrap_or(s);
    let mut total: u64 = 0;
    let mut n: u64 = 0;
    for c in body.chars() {
        if let Some(d) = c.to_digit(10) {
            n = n.saturating_mul(10).saturating_add(d as u64);
        } else {
            let add = match c {
                'h' | 'H' => n.saturating_mul(60),
                'm' | 'M' => n,
                _ => n.div_ceil(60),
            };
            total = total.saturating_add(add);
            n = 0;
        }
    }
    total
}
