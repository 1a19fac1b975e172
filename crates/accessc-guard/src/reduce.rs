//! What of a template the rules can read, proved from the rule text, and the
//! template reduced to it.
//!
//! [`Projection::of`] reads the rule text as a token stream and accepts it
//! only when every query has one of these shapes (else `None`, and every
//! template is checked whole):
//!
//! - `let V = Resources.*[ Type == 'T' ]`: `V` holds the resources of type
//!   `T` (a *resource variable*);
//! - `let W = %V[ clauses ]…`: a filter of a resource variable is one too;
//!   any other `let W = %V…` holds values below a resource;
//! - a clause is `[some] QUERY [OP [VALUE]] [or]`, where `QUERY` is `%V…`
//!   (or, inside a filter, a path from the filtered element), `OP` a unary
//!   (`exists`, `empty`, `is_string`, …, and their `!` forms) or binary
//!   (`==`, `!=`, `<`, `<=`, `>`, `>=`, `IN`, `!IN`) operator, and `VALUE` a
//!   literal, a list of literals, or `%V…`;
//! - `rule NAME [when CLAUSES] { … }` and `when CLAUSES { … }` blocks of
//!   such clauses, with `<<messages>>` and `#` comments.
//!
//! A resource is read only through its keys, and what is read is recorded
//! by resource type as a tree ([`Read`]): a query `%V.K1.K2…` ending in a
//! key reads that value whole, or only its presence under `exists` and
//! `!exists`; `K[*]` reads `K` whole; a filter `K[ clauses ]` of a value
//! reads, of each element of a list, what its clauses read; and a resource
//! itself (`%V`, `%V[ filter ]`), or a filter's selection, is only counted
//! (`empty`, `exists` and their negations) or filtered, or (a selection)
//! read whole. Anything else (a resource compared as a value, `%V[*]`,
//! `%V.*`, a path from the template's root, a function, a rule reference,
//! `this`) is refused.
//!
//! A resource is reduced to its `Type` and what the tree reads. A list read
//! only through filters loses the elements no filter can select: a map
//! lacking a key that some clause of each filter needs on its own (a filter
//! without `or`; `==`, `!=`, `IN`, `!IN`, `exists` and `!empty` give no
//! selection on a missing key, as cfn-guard 3 gates a filter's clauses),
//! and the filter's selection from the shorter list is the same. cfn-guard
//! looks a key that a map lacks up again under seven case conventions; each
//! keeps the key's first letter or digit, so where a key read is missing,
//! the keys that start like it are kept whole, and an element that has
//! such a key is not left out. So every query gives the reduced template
//! the values it gives the whole one, and every rule the same result; a
//! resource of another type is selected by no query, and no query reads
//! the template's other sections. [`Projection::reduce`] builds that
//! template (JSON, which the rules read as they read the YAML or JSON it
//! came from). The reduction leaves out what would make cfn-guard search:
//! a statement with `NotAction` no longer sends the `Action` filter through
//! the case conventions, whose first use compiles some hundred regular
//! expressions.

use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// What of a selected resource the rules can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Projection {
    /// The resource types the rules select.
    pub(crate) types: BTreeSet<String>,
    /// Resource type → top-level key of such a resource → what is read of
    /// its value.
    pub(crate) keys: BTreeMap<String, BTreeMap<String, Read>>,
}

/// What the rules read of a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Read {
    /// Only whether it is there (`exists`, `!exists`): kept as it is.
    Present,
    /// All of it.
    Whole,
    /// Only compared for equality (`==`, `!=`, `IN`, `!IN`, directly or
    /// element by element) with these strings: a string among them is
    /// kept, any other becomes one that is not; a list keeps its elements
    /// among them and, for all the others, one such string. Anything else
    /// is kept whole.
    Compared(BTreeSet<String>),
    /// These keys of a map, each as read; a value that is not a map is kept
    /// whole.
    Keys(BTreeMap<String, Read>),
    /// A list read only through filters (`K[ clauses ]`): each element as
    /// `each` reads it. `required`: keys that some clause of every filter
    /// of the list needs on its own (no `or` in the filter; an operator
    /// that gives no selection when its key is missing): an element (a
    /// map) without one of them is selected by no filter, and is left out.
    /// `None`: no filter's keys recorded yet.
    /// A value that is not a list is kept whole.
    Filtered {
        each: Box<Read>,
        required: Option<BTreeSet<String>>,
    },
}

impl Read {
    /// What is read of a value read both as `self` and as `other`.
    fn merge(self, other: Read) -> Read {
        match (self, other) {
            (Read::Whole, _) | (_, Read::Whole) => Read::Whole,
            (Read::Present, x) | (x, Read::Present) => x,
            (Read::Compared(mut a), Read::Compared(b)) => {
                a.extend(b);
                Read::Compared(a)
            }
            (Read::Keys(mut a), Read::Keys(b)) => {
                for (k, r) in b {
                    let merged = match a.remove(&k) {
                        Some(e) => e.merge(r),
                        None => r,
                    };
                    a.insert(k, merged);
                }
                Read::Keys(a)
            }
            (
                Read::Filtered {
                    each: e1,
                    required: r1,
                },
                Read::Filtered {
                    each: e2,
                    required: r2,
                },
            ) => Read::Filtered {
                each: Box::new(e1.merge(*e2)),
                required: match (r1, r2) {
                    (Some(a), Some(b)) => Some(a.intersection(&b).cloned().collect()),
                    (a, None) | (None, a) => a,
                },
            },
            // A value read both as a map and as a list.
            _ => Read::Whole,
        }
    }

    /// `leaf` at `path` below a value.
    fn at(path: &[Step], leaf: Read) -> Read {
        match path.split_first() {
            None => leaf,
            Some((Step::Key(k), rest)) => {
                Read::Keys(BTreeMap::from([(k.clone(), Read::at(rest, leaf))]))
            }
            Some((Step::Each, rest)) => Read::Filtered {
                each: Box::new(Read::at(rest, leaf)),
                required: None,
            },
            // Not recorded (see `Parser::record`).
            Some((Step::All, _)) => Read::Whole,
        }
    }
}

/// A step of a path from a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    /// The elements of a list, through a filter.
    Each,
    /// `[*]` ending a query: its operator reads the value before it.
    All,
}

/// Where a query's values are: the type of the resources they are in and
/// the steps from them; `None` when they are not followed (values already
/// read whole).
type Path = Option<(String, Vec<Step>)>;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// A name: a key, a keyword, an operator word (`!empty` included).
    Word(String),
    Var(String),
    Dot,
    Star,
    Open,
    Close,
    LBrace,
    RBrace,
    Comma,
    Assign,
    Op(&'static str),
    /// A string (its text).
    Literal(String),
    /// A regular expression or a number.
    Pattern,
}

fn tokens(text: &str) -> Option<Vec<Tok>> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let word = |i: usize| {
        let mut j = i;
        while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
            j += 1;
        }
        j
    };
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'<' if b.get(i + 1) == Some(&b'<') => {
                let end = text[i + 2..].find(">>")?;
                i += 2 + end + 2;
            }
            b'\'' | b'"' => {
                let end = text[i + 1..].find(c as char)?;
                out.push(Tok::Literal(text[i + 1..i + 1 + end].to_string()));
                i += 1 + end + 1;
            }
            b'/' => {
                // A regular expression, to the next unescaped `/`.
                let mut j = i + 1;
                while j < b.len() && b[j] != b'/' {
                    if b[j] == b'\\' {
                        j += 1;
                    }
                    if b.get(j) == Some(&b'\n') {
                        return None;
                    }
                    j += 1;
                }
                if j >= b.len() {
                    return None;
                }
                i = j + 1;
                out.push(Tok::Pattern);
            }
            b'0'..=b'9' => {
                let mut j = i;
                while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'.') {
                    j += 1;
                }
                i = j;
                out.push(Tok::Pattern);
            }
            b'%' => {
                let j = word(i + 1);
                if j == i + 1 {
                    return None;
                }
                out.push(Tok::Var(text[i + 1..j].to_string()));
                i = j;
            }
            b'!' if b.get(i + 1) == Some(&b'=') => {
                out.push(Tok::Op("!="));
                i += 2;
            }
            b'!' => {
                let j = word(i + 1);
                if j == i + 1 {
                    return None;
                }
                out.push(Tok::Word(text[i..j].to_string()));
                i = j;
            }
            b'=' if b.get(i + 1) == Some(&b'=') => {
                out.push(Tok::Op("=="));
                i += 2;
            }
            b'=' => {
                out.push(Tok::Assign);
                i += 1;
            }
            b'<' | b'>' => {
                let eq = b.get(i + 1) == Some(&b'=');
                out.push(Tok::Op(match (c, eq) {
                    (b'<', true) => "<=",
                    (b'<', false) => "<",
                    (_, true) => ">=",
                    _ => ">",
                }));
                i += if eq { 2 } else { 1 };
            }
            b'.' | b'*' | b'[' | b']' | b'{' | b'}' | b',' => {
                out.push(match c {
                    b'.' => Tok::Dot,
                    b'*' => Tok::Star,
                    b'[' => Tok::Open,
                    b']' => Tok::Close,
                    b'{' => Tok::LBrace,
                    b'}' => Tok::RBrace,
                    _ => Tok::Comma,
                });
                i += 1;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let j = word(i);
                out.push(Tok::Word(text[i..j].to_string()));
                i = j;
            }
            _ => return None,
        }
    }
    Some(out)
}

const UNARY: &[&str] = &[
    "exists",
    "empty",
    "is_string",
    "is_list",
    "is_struct",
    "is_bool",
    "is_int",
    "is_float",
    "is_null",
];

fn is_unary(w: &str) -> bool {
    UNARY.contains(&w.strip_prefix('!').unwrap_or(w))
}

/// What a query's value is, as far as the projection cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Held {
    /// Resources (a resource variable, or a filter of one).
    Resources,
    /// Values below a resource, or not from the template at all.
    Other,
}

struct Parser {
    toks: Vec<Tok>,
    at: usize,
    vars: BTreeMap<String, (Held, Path)>,
    types: BTreeSet<String>,
    keys: BTreeMap<String, BTreeMap<String, Read>>,
}

/// `None` from a parse step: the rule text is not of the accepted shape.
type Parsed<T> = Option<T>;

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn eat(&mut self, t: &Tok) -> bool {
        if self.peek() == Some(t) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn eat_word(&mut self, w: &str) -> bool {
        self.eat(&Tok::Word(w.to_string()))
    }

    fn expect(&mut self, t: &Tok) -> Parsed<()> {
        self.eat(t).then_some(())
    }

    fn word(&mut self) -> Parsed<String> {
        match self.next()? {
            Tok::Word(w) if !w.starts_with('!') => Some(w),
            _ => None,
        }
    }

    /// Records `leaf` read at `path` from a resource (nothing for the
    /// resource itself, which is only counted or filtered).
    fn record(&mut self, (ty, path): &(String, Vec<Step>), leaf: Read) {
        let path = path.strip_suffix(&[Step::All]).unwrap_or(path);
        let Some((Step::Key(k), rest)) = path.split_first() else {
            return;
        };
        let read = Read::at(rest, leaf);
        let keys = self.keys.entry(ty.clone()).or_default();
        let merged = match keys.remove(k) {
            Some(e) => e.merge(read),
            None => read,
        };
        keys.insert(k.clone(), merged);
    }

    /// Records what a clause's operator reads of the values of a query
    /// that ends at `path`: a key's presence for `exists`, the count of a
    /// resource or of a filter's selection for `exists` and `empty` (their
    /// filters record what they read), all of it otherwise; `None` when a
    /// resource itself would be read as a value.
    fn record_use(&mut self, path: &Path, op: &str) -> Parsed<()> {
        let Some(path) = path else {
            return Some(());
        };
        let counted = matches!(op, "exists" | "!exists" | "empty" | "!empty");
        match path.1.last() {
            // `K[*] exists`: whether K has elements.
            Some(Step::All) => self.record(path, Read::Whole),
            None if counted => {}
            None => return None,
            Some(Step::Each) if counted => {}
            Some(Step::Key(_)) if matches!(op, "exists" | "!exists") => {
                self.record(path, Read::Present)
            }
            Some(_) => self.record(path, Read::Whole),
        }
        Some(())
    }

    fn file(&mut self) -> Parsed<()> {
        while self.peek().is_some() {
            if self.eat_word("let") {
                self.let_binding()?;
            } else if self.eat_word("rule") {
                self.word()?;
                if self.eat_word("when") {
                    self.clauses_until_brace()?;
                }
                self.expect(&Tok::LBrace)?;
                self.block()?;
            } else {
                return None;
            }
        }
        Some(())
    }

    fn let_binding(&mut self) -> Parsed<()> {
        let name = self.word()?;
        self.expect(&Tok::Assign)?;
        if self.vars.contains_key(&name) {
            return None;
        }
        let held = match self.peek()? {
            Tok::Word(w) if w == "Resources" => {
                self.at += 1;
                let t = self.typed_selection()?;
                self.types.insert(t.clone());
                (Held::Resources, Some((t, Vec::new())))
            }
            // What its uses read is recorded at each use.
            Tok::Var(_) => self.query(None)?,
            _ => return None,
        };
        self.vars.insert(name, held);
        Some(())
    }

    /// `.*[ Type == 'T' ]` after `Resources`: the type.
    fn typed_selection(&mut self) -> Parsed<String> {
        self.expect(&Tok::Dot)?;
        self.expect(&Tok::Star)?;
        self.expect(&Tok::Open)?;
        if self.word()? != "Type" {
            return None;
        }
        self.expect(&Tok::Op("=="))?;
        let Tok::Literal(t) = self.next()? else {
            return None;
        };
        self.expect(&Tok::Close)?;
        (!t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric() || c == ':')).then_some(t)
    }

    /// `{ … }` after its opening brace.
    fn block(&mut self) -> Parsed<()> {
        loop {
            match self.peek()? {
                Tok::RBrace => {
                    self.at += 1;
                    return Some(());
                }
                Tok::Word(w) if w == "when" => {
                    self.at += 1;
                    self.clauses_until_brace()?;
                    self.expect(&Tok::LBrace)?;
                    self.block()?;
                }
                Tok::Word(w) if w == "let" => {
                    self.at += 1;
                    self.let_binding()?;
                }
                _ => {
                    self.clause(None)?;
                }
            }
        }
    }

    fn clauses_until_brace(&mut self) -> Parsed<()> {
        while self.peek()? != &Tok::LBrace {
            self.clause(None)?;
        }
        Some(())
    }

    /// One clause; `element` is `Some` inside a filter (what the filtered
    /// values are, and where), where a clause may start with a path from
    /// the element. Returns the key of the element this clause needs on its
    /// own (see [`Read::Filtered`]), and whether an `or` follows it.
    fn clause(&mut self, element: Option<&(Held, Path)>) -> Parsed<(Option<String>, bool)> {
        self.eat_word("some");
        let mut first = None;
        let (held, path) = match (self.peek()?, element) {
            (Tok::Var(_), _) => self.query(None)?,
            (Tok::Word(w), Some(e)) if !is_keyword(w) => {
                first = Some(w.clone());
                self.query(Some(e.clone()))?
            }
            _ => return None,
        };
        let op = match self.next()? {
            Tok::Word(w) if is_unary(&w) => {
                if held == Held::Resources
                    && !matches!(w.trim_start_matches('!'), "exists" | "empty")
                {
                    return None;
                }
                self.record_use(&path, &w)?;
                w
            }
            Tok::Word(w) if w == "IN" || w == "!IN" => {
                self.value(&w, held, &path)?;
                w
            }
            Tok::Op(o) => {
                self.value(o, held, &path)?;
                o.to_string()
            }
            _ => return None,
        };
        let or = self.eat_word("or") || self.eat_word("OR");
        // In a filter, a clause whose key is missing from an element gives
        // no selection with these operators (cfn-guard 3 evaluates a
        // filter's clauses as gates); `!exists`, `empty` and the ordering
        // operators are left out.
        let needs = first.filter(|_| {
            matches!(
                op.as_str(),
                "==" | "!=" | "IN" | "!IN" | "exists" | "!empty"
            )
        });
        Some((needs, or))
    }

    /// The right-hand side of operator `op` whose left side holds `lhs` at
    /// `lhs_path`. The right side is read whole; the left side is only
    /// compared with strings when that is all the right side is and `op`
    /// compares for equality, else it is read whole.
    fn value(&mut self, op: &str, lhs: Held, lhs_path: &Path) -> Parsed<()> {
        if lhs == Held::Resources {
            // Whole resources compared as values.
            return None;
        }
        let mut strings = matches!(op, "==" | "!=" | "IN" | "!IN").then(BTreeSet::new);
        let literal = |t: Tok, strings: &mut Option<BTreeSet<String>>| -> Parsed<()> {
            match t {
                Tok::Literal(text) => {
                    if let Some(set) = strings.as_mut() {
                        set.insert(text);
                    }
                }
                Tok::Pattern => *strings = None,
                Tok::Word(w) if w == "true" || w == "false" => *strings = None,
                _ => return None,
            }
            Some(())
        };
        match self.peek()? {
            Tok::Open => {
                self.at += 1;
                loop {
                    literal(self.next()?, &mut strings)?;
                    if self.eat(&Tok::Close) {
                        break;
                    }
                    self.expect(&Tok::Comma)?;
                }
            }
            Tok::Var(_) => {
                let (held, path) = self.query(None)?;
                if held == Held::Resources {
                    return None;
                }
                self.record_use(&path, "==")?;
                strings = None;
            }
            _ => literal(self.next()?, &mut strings)?,
        }
        match (strings, lhs_path) {
            (Some(set), Some(path)) if !path.1.is_empty() => {
                self.record(path, Read::Compared(set));
                Some(())
            }
            _ => self.record_use(lhs_path, "=="),
        }
    }

    /// A query: `%V` and its steps, or (`from` given: inside a filter of
    /// such values) a path from the filtered element. Records what its
    /// filters and `[*]` read; returns what it holds, and where (its
    /// operator's reading is recorded by the caller).
    fn query(&mut self, from: Option<(Held, Path)>) -> Parsed<(Held, Path)> {
        let mut first = from.is_some();
        let (mut held, mut path) = match from {
            Some(e) => e,
            None => match self.next()? {
                Tok::Var(v) => self.vars.get(&v)?.clone(),
                _ => return None,
            },
        };
        loop {
            let key = if first {
                first = false;
                Some(self.word()?)
            } else if self.eat(&Tok::Dot) {
                match self.next()? {
                    Tok::Word(w) if !w.starts_with('!') && !is_keyword(&w) => Some(w),
                    _ => return None,
                }
            } else {
                None
            };
            if let Some(k) = key {
                if let Some(p) = path.as_mut() {
                    p.1.push(Step::Key(k));
                }
                held = Held::Other;
                continue;
            }
            if self.eat(&Tok::Open) {
                if self.eat(&Tok::Star)
                    || matches!(self.peek(), Some(Tok::Literal(_) | Tok::Pattern)) && {
                        self.at += 1;
                        true
                    }
                {
                    let all = self.toks.get(self.at - 1) == Some(&Tok::Star);
                    self.expect(&Tok::Close)?;
                    let ends = !matches!(self.peek(), Some(Tok::Dot | Tok::Open));
                    match path.take() {
                        // `%V[*]`, `%V[0]`: refused.
                        Some(p) if p.1.is_empty() => return None,
                        // `%V.K[*]` ending the query: what its operator
                        // reads of K (element by element).
                        Some(mut p) if all && ends => {
                            p.1.push(Step::All);
                            path = Some(p);
                        }
                        // Else K is read whole.
                        Some(p) => self.record(&p, Read::Whole),
                        None => {}
                    }
                    held = Held::Other;
                    continue;
                }
                // A filter: its clauses read the filtered values.
                match path.clone() {
                    // Of resources: each resource.
                    Some(p) if p.1.is_empty() => {
                        let element = (Held::Resources, Some(p));
                        while !self.eat(&Tok::Close) {
                            self.clause(Some(&element))?;
                        }
                    }
                    // Of a value below a resource: each element of a list.
                    Some(mut p) => {
                        let list = p.clone();
                        p.1.push(Step::Each);
                        let element = (Held::Other, Some(p.clone()));
                        let (mut needs, mut or) = (BTreeSet::new(), false);
                        while !self.eat(&Tok::Close) {
                            let (key, then_or) = self.clause(Some(&element))?;
                            needs.extend(key);
                            or |= then_or;
                        }
                        if or {
                            needs.clear();
                        }
                        self.record(
                            &list,
                            Read::Filtered {
                                each: Box::new(Read::Keys(BTreeMap::new())),
                                required: Some(needs),
                            },
                        );
                        path = Some(p);
                    }
                    None => {
                        let element = (Held::Other, None);
                        while !self.eat(&Tok::Close) {
                            self.clause(Some(&element))?;
                        }
                    }
                }
                continue;
            }
            break;
        }
        Some((held, path))
    }
}

fn is_keyword(w: &str) -> bool {
    matches!(
        w,
        "let" | "rule" | "when" | "some" | "or" | "OR" | "IN" | "not" | "NOT" | "this" | "keys"
    ) || is_unary(w)
}

impl Projection {
    /// The projection of `rules`, or `None` when the rule text is not of
    /// the shape described in the module's documentation.
    pub(crate) fn of(rules: &str) -> Option<Projection> {
        let mut p = Parser {
            toks: tokens(rules)?,
            at: 0,
            vars: BTreeMap::new(),
            types: BTreeSet::new(),
            keys: BTreeMap::new(),
        };
        p.file()?;
        (!p.types.is_empty()).then_some(Projection {
            types: p.types,
            keys: p.keys,
        })
    }

    /// `template` (YAML or JSON, read as `cfn-guard` reads it: JSON first)
    /// reduced to its resources of the selected types, each to its `Type`
    /// and what the rules read of it, as JSON; `None` when the template has
    /// no selected resource, or when what is kept holds what JSON text does
    /// not carry exactly as the template does (a YAML tag, a key that is not
    /// a string, a number that is not an integer): then the whole template
    /// is checked.
    pub(crate) fn reduce(&self, template: &str) -> Option<String> {
        let mut kept = Map::new();
        let mut selected = 0usize;
        let mut keep = |id: String, r: Option<Value>| {
            if let Some(r) = r {
                selected += usize::from(
                    r.get("Type")
                        .and_then(Value::as_str)
                        .is_some_and(|t| self.types.contains(t)),
                );
                kept.insert(id, r);
            }
        };
        match serde_json::from_str::<Value>(template) {
            Ok(doc) => {
                for (id, r) in doc.get("Resources")?.as_object()? {
                    keep(
                        id.clone(),
                        self.resource(r, |v| exact(v).then(|| v.clone()))?,
                    );
                }
            }
            Err(_) => {
                let doc = serde_yaml::from_str::<serde_yaml::Value>(template).ok()?;
                for (id, r) in doc.get("Resources")?.as_mapping()? {
                    let serde_yaml::Value::String(id) = id else {
                        return None;
                    };
                    keep(id.clone(), self.resource(r, json_of)?);
                }
            }
        }
        if selected == 0 {
            return None;
        }
        let mut root = Map::new();
        root.insert("Resources".into(), Value::Object(kept));
        serde_json::to_string(&Value::Object(root)).ok()
    }

    /// What is kept of resource `r` (`Some(None)`: nothing, a resource of a
    /// type no query selects), its values converted by `json`; `None` when
    /// a kept value cannot be converted exactly.
    fn resource<V: Node>(
        &self,
        r: &V,
        json: impl Fn(&V) -> Option<Value>,
    ) -> Option<Option<Value>> {
        let (Some(fields), Some(ty)) = (r.entries(), r.get_str("Type")) else {
            // Not a resource the queries can tell apart by type: kept whole.
            return json(r).map(Some);
        };
        if !self.types.contains(ty) {
            return Some(None);
        }
        let mut out = Map::new();
        for (k, v) in &fields {
            let k = (*k)?;
            if k == "Type" {
                out.insert(k.to_string(), json(v)?);
            }
        }
        let none = BTreeMap::new();
        for (k, read, v) in kept(self.keys.get(ty).unwrap_or(&none), &fields)? {
            out.insert(k.to_string(), apply(read, v, &json)?);
        }
        Some(Some(Value::Object(out)))
    }
}

/// The first letter or digit of a key, lowercased. cfn-guard looks a key
/// that a map lacks up again in seven case conventions (camelCase, class,
/// kebab, Pascal, snake, title and train case; class case also makes the
/// last word singular): each keeps the key's first letter or digit up to
/// its case, so a map none of whose keys starts with it cannot give the
/// key a value.
fn initial(key: &str) -> Option<char> {
    key.chars()
        .find(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
}

/// Whether cfn-guard may read key `e` of a map for a missing key `k`.
fn stands_in(e: &str, k: &str) -> bool {
    initial(e).is_some() && initial(e) == initial(k)
}

/// Whether a map with these keys may give key `k` a value.
fn may_have<V>(entries: &[(Option<&str>, &V)], k: &str) -> bool {
    entries.iter().any(|(e, _)| match e {
        Some(e) => *e == k || stands_in(e, k),
        None => true,
    })
}

/// The entries of a map the rules may read, each with its reading: a key
/// the rules read as they read it, and, when such a key is missing, a key
/// cfn-guard may read in its place (see [`initial`]) whole; `None` when a
/// key is not a string.
#[allow(clippy::type_complexity)]
fn kept<'a, 'r, V>(
    reads: &'r BTreeMap<String, Read>,
    entries: &[(Option<&'a str>, &'a V)],
) -> Option<Vec<(&'a str, &'r Read, &'a V)>> {
    const WHOLE: &Read = &Read::Whole;
    let mut out = Vec::new();
    for (e, v) in entries {
        let e = (*e)?;
        if let Some(r) = reads.get(e) {
            out.push((e, r, *v));
        } else if reads
            .keys()
            .any(|k| stands_in(e, k) && !entries.iter().any(|(x, _)| *x == Some(k.as_str())))
        {
            out.push((e, WHOLE, *v));
        }
    }
    Some(out)
}

/// What is kept of value `v` read as `read`, converted by `json`.
fn apply<V: Node>(read: &Read, v: &V, json: &impl Fn(&V) -> Option<Value>) -> Option<Value> {
    match read {
        Read::Present | Read::Whole => json(v),
        Read::Compared(strings) => {
            // A string that equals none of them.
            let other = || {
                (0..=strings.len())
                    .map(|n| "_".repeat(n))
                    .find(|s| !strings.contains(s))
                    .map(Value::String)
            };
            if let Some(s) = v.as_str() {
                return if strings.contains(s) {
                    Some(Value::String(s.to_string()))
                } else {
                    other()
                };
            }
            match v.items() {
                Some(items) => {
                    let mut out = Vec::new();
                    let mut others = false;
                    for x in items {
                        match x.as_str() {
                            Some(s) if strings.contains(s) => {
                                out.push(Value::String(s.to_string()))
                            }
                            Some(_) if others => {}
                            Some(_) => {
                                others = true;
                                out.push(other()?);
                            }
                            None => out.push(json(x)?),
                        }
                    }
                    Some(Value::Array(out))
                }
                None => json(v),
            }
        }
        Read::Keys(keys) => match v.entries() {
            Some(entries) => {
                let mut m = Map::new();
                for (k, r, x) in kept(keys, &entries)? {
                    m.insert(k.to_string(), apply(r, x, json)?);
                }
                Some(Value::Object(m))
            }
            None => json(v),
        },
        Read::Filtered { each, required } => match v.items() {
            Some(items) => {
                // An element that is a map lacking a key some filter needs
                // on its own is selected by none.
                let selectable = |x: &V| match (required, x.entries()) {
                    (Some(needs), Some(entries)) => needs.iter().all(|k| may_have(&entries, k)),
                    _ => true,
                };
                // With none left, the list is empty: a filter selects
                // nothing from it either. An element that reduces to one
                // already kept is left out too: a selection is only counted
                // or compared (every or some of its values), which a value
                // twice does not change.
                let mut out: Vec<Value> = Vec::new();
                for x in items.into_iter().filter(|x| selectable(x)) {
                    let x = apply(each, x, json)?;
                    if !out.contains(&x) {
                        out.push(x);
                    }
                }
                Some(Value::Array(out))
            }
            None => json(v),
        },
    }
}

/// A parsed YAML or JSON value, as [`Projection::resource`] walks it.
trait Node {
    /// A map's entries, `None` as the key of an entry whose key is not a
    /// string; `None` for anything but a map.
    #[allow(clippy::type_complexity)]
    fn entries(&self) -> Option<Vec<(Option<&str>, &Self)>>;
    /// A list's elements; `None` for anything but a list.
    fn items(&self) -> Option<Vec<&Self>>;
    /// A string's text; `None` for anything but a string.
    fn as_str(&self) -> Option<&str>;
    fn get_str(&self, key: &str) -> Option<&str>;
}

impl Node for Value {
    fn entries(&self) -> Option<Vec<(Option<&str>, &Self)>> {
        self.as_object()
            .map(|m| m.iter().map(|(k, v)| (Some(k.as_str()), v)).collect())
    }
    fn items(&self) -> Option<Vec<&Self>> {
        self.as_array().map(|a| a.iter().collect())
    }
    fn as_str(&self) -> Option<&str> {
        Value::as_str(self)
    }
    fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_str)
    }
}

impl Node for serde_yaml::Value {
    fn entries(&self) -> Option<Vec<(Option<&str>, &Self)>> {
        self.as_mapping()
            .map(|m| m.iter().map(|(k, v)| (k.as_str(), v)).collect())
    }
    fn items(&self) -> Option<Vec<&Self>> {
        self.as_sequence().map(|a| a.iter().collect())
    }
    fn as_str(&self) -> Option<&str> {
        serde_yaml::Value::as_str(self)
    }
    fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(serde_yaml::Value::as_str)
    }
}

/// Whether `v` reads back from its JSON text as the same value: no number
/// but integers (a float's text may read back one unit in the last place
/// off).
fn exact(v: &Value) -> bool {
    match v {
        Value::Number(n) => n.is_i64() || n.is_u64(),
        Value::Array(a) => a.iter().all(exact),
        Value::Object(m) => m.values().all(exact),
        _ => true,
    }
}

/// A YAML value as the JSON value `cfn-guard` reads the same way: strings,
/// booleans, null, integers, sequences and maps with string keys; `None`
/// for anything else.
fn json_of(v: &serde_yaml::Value) -> Option<Value> {
    Some(match v {
        serde_yaml::Value::Null => Value::Null,
        serde_yaml::Value::Bool(b) => Value::Bool(*b),
        serde_yaml::Value::String(s) => Value::String(s.clone()),
        serde_yaml::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else {
                Value::from(n.as_u64()?)
            }
        }
        serde_yaml::Value::Sequence(s) => {
            Value::Array(s.iter().map(json_of).collect::<Option<_>>()?)
        }
        serde_yaml::Value::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let serde_yaml::Value::String(k) = k else {
                    return None;
                };
                out.insert(k.clone(), json_of(v)?);
            }
            Value::Object(out)
        }
        serde_yaml::Value::Tagged(_) => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keys(reads: &[(&str, Read)]) -> Read {
        Read::Keys(
            reads
                .iter()
                .map(|(k, r)| (k.to_string(), r.clone()))
                .collect(),
        )
    }

    fn compared(strings: &[&str]) -> Read {
        Read::Compared(strings.iter().map(|s| s.to_string()).collect())
    }

    fn filtered(each: &[(&str, Read)], needs: &[&str]) -> Read {
        Read::Filtered {
            each: Box::new(keys(each)),
            required: Some(needs.iter().map(|k| k.to_string()).collect()),
        }
    }

    #[test]
    fn the_rules_read_these_keys_of_these_types() {
        let p = Projection::of(crate::all_rules()).expect("the rules are of the accepted shape");
        let types: Vec<&str> = p.types.iter().map(String::as_str).collect();
        assert_eq!(
            types,
            [
                "AWS::CloudWatch::Alarm",
                "AWS::Logs::MetricFilter",
                "AWS::SSO::Assignment",
                "AWS::SSO::PermissionSet"
            ]
        );
        use Read::Whole;
        let statement = filtered(
            &[
                ("Action", compared(&["*", "*:*"])),
                ("Effect", compared(&["Allow"])),
                ("Resource", compared(&["*"])),
            ],
            &["Action", "Effect", "Resource"],
        );
        let metadata = (
            "Metadata",
            keys(&[("accessc", keys(&[("BreakGlassPermissionSet", Whole)]))]),
        );
        let of_type = |reads: &[(&str, Read)]| match keys(reads) {
            Read::Keys(m) => m,
            _ => unreachable!(),
        };
        let want = BTreeMap::from([
            (
                "AWS::CloudWatch::Alarm".to_string(),
                of_type(&[
                    metadata.clone(),
                    (
                        "Properties",
                        keys(&[
                            ("Period", Whole),
                            ("Threshold", Whole),
                            ("TreatMissingData", compared(&["notBreaching"])),
                        ]),
                    ),
                ]),
            ),
            (
                "AWS::Logs::MetricFilter".to_string(),
                of_type(&[metadata, ("Properties", keys(&[("FilterPattern", Whole)]))]),
            ),
            (
                "AWS::SSO::Assignment".to_string(),
                of_type(&[(
                    "Properties",
                    keys(&[
                        ("PrincipalType", compared(&["GROUP", "USER"])),
                        ("TargetType", compared(&["AWS_ACCOUNT"])),
                    ]),
                )]),
            ),
            (
                "AWS::SSO::PermissionSet".to_string(),
                of_type(&[(
                    "Properties",
                    keys(&[
                        ("InlinePolicy", keys(&[("Statement", statement)])),
                        ("Name", Whole),
                        ("SessionDuration", Whole),
                        (
                            "Tags",
                            filtered(
                                &[
                                    ("Key", compared(&["ManagedBy", "accessc:BreakGlass"])),
                                    ("Value", compared(&["accessc", "true"])),
                                ],
                                &["Key", "Value"],
                            ),
                        ),
                    ]),
                )]),
            ),
        ]);
        assert_eq!(p.keys, want);
    }

    /// A list none of whose elements a filter can select, and the same
    /// list emptied: every use of the filter's selection gives the same
    /// result.
    #[test]
    fn a_filter_selects_from_an_emptied_list_what_it_selects_from_the_list() {
        let template = json!({"Resources": {"S": {"Type": "AWS::SSO::PermissionSet",
            "Properties": {"P": {"S": [{"B": 1}, {"C": "x"}]}, "Q": [{"A": 1, "B": 2}]}}}});
        let selection = "let v = Resources.*[ Type == 'AWS::SSO::PermissionSet' ]\nlet s = %v.Properties.P.S[ A == 1 B exists ]\n";
        for rule in [
            "%s empty",
            "%s !empty",
            "%s exists",
            "%s !exists",
            "%s.B == 1",
            "%s.B != 1",
            "%v.Properties.Q[ A == 1 ].B == %s.B",
            "some %s.B IN [1, 2]",
        ] {
            let rules = format!("{selection}rule r {{\n    {rule}\n}}\n");
            let p = Projection::of(&rules).expect(rule);
            let reduced = p.reduce(&template.to_string()).expect(rule);
            let emptied: Value = serde_json::from_str(&reduced).expect("json");
            assert_eq!(
                emptied["Resources"]["S"]["Properties"]["P"]["S"],
                json!([]),
                "{rule}"
            );
            assert_eq!(
                crate::check_one("t", &reduced, &rules).is_empty(),
                crate::check_one("t", &template.to_string(), &rules).is_empty(),
                "{rule}"
            );
        }
    }

    #[test]
    fn a_value_only_compared_with_strings_keeps_them_and_one_other() {
        let p = of("rule r {\n    %v.Properties.A IN ['', '_']\n    some %v.Properties.B[*] == 'b'\n    %v.Properties.C == /c/\n}\n")
            .expect("accepted");
        let t = json!({"Resources": {"S": {"Type": "AWS::SSO::PermissionSet",
            "Properties": {"A": "q", "B": ["x", "b", "y", 1, "b"], "C": "long"}}}});
        let reduced: Value =
            serde_json::from_str(&p.reduce(&t.to_string()).expect("reduced")).expect("json");
        assert_eq!(
            reduced["Resources"]["S"]["Properties"],
            json!({"A": "__", "B": ["", "b", 1, "b"], "C": "long"})
        );
    }

    const PS: &str = "AWS::SSO::PermissionSet";
    const TYPED: &str = "let v = Resources.*[ Type == 'AWS::SSO::PermissionSet' ]\n";

    fn of(rest: &str) -> Option<Projection> {
        Projection::of(&format!("{TYPED}{rest}"))
    }

    #[test]
    fn a_key_tested_for_presence_is_kept_and_filters_read_their_paths() {
        let p =
            of("rule r {\n    %v.Metadata exists\n    %v[ Properties.Name == 'x' ] !empty\n}\n")
                .expect("accepted");
        assert_eq!(p.keys[PS].get("Metadata"), Some(&Read::Present));
        assert_eq!(
            p.keys[PS].get("Properties"),
            Some(&keys(&[("Name", compared(&["x"]))]))
        );
        let p = of("let w = %v[\n    Properties.Tags exists\n]\nlet d = %w.Properties.InlinePolicy.Statement[ Effect == 'Allow' ]\nrule r when %w !empty {\n    %d empty\n    %v.Properties[*] exists <<a message with %v.Other in it>>\n}\n")
            .expect("accepted");
        // `Properties[*]` reads all of Properties.
        assert_eq!(p.keys[PS].get("Properties"), Some(&Read::Whole));
        assert!(!p.keys[PS].contains_key("Other"));
        // A filter with an `or`, or whose clauses pass on a missing key,
        // needs no key; a filter's selection compared as a value is read
        // whole; a key compared is read whole.
        let p = of("let s = %v.Properties.P.S[ A exists or B == 1 ]\nlet t = %v.Properties.P.T[ A !exists C empty D < 2 ]\nlet u = %v.Properties.P.U[ A == 1 ]\nrule r {\n    %s empty\n    %t !empty\n    %u == 'x'\n    %v.Properties.P.V empty\n}\n")
            .expect("accepted");
        let none: &[&str] = &[];
        assert_eq!(
            p.keys[PS].get("Properties"),
            Some(&keys(&[(
                "P",
                keys(&[
                    (
                        "S",
                        filtered(&[("A", Read::Present), ("B", Read::Whole)], none)
                    ),
                    (
                        "T",
                        filtered(
                            &[("A", Read::Present), ("C", Read::Whole), ("D", Read::Whole)],
                            none
                        )
                    ),
                    (
                        "U",
                        Read::Filtered {
                            each: Box::new(Read::Whole),
                            required: Some(BTreeSet::from(["A".to_string()])),
                        }
                    ),
                    ("V", Read::Whole),
                ])
            )]))
        );
    }

    #[test]
    fn an_element_no_filter_can_select_is_left_out_and_a_stand_in_key_is_kept() {
        let p = Projection::of(crate::all_rules()).expect("accepted");
        let set = |statements: Value, tags: Value| {
            json!({"Resources": {"S": {"Type": "AWS::SSO::PermissionSet",
                "Properties": {"Name": "S", "InlinePolicy": {"Statement": statements}, "Tags": tags}}}})
        };
        let reduced = |t: Value| -> Value {
            serde_json::from_str(&p.reduce(&t.to_string()).expect("reduced")).expect("json")
        };
        let tag = json!({"Key": "ManagedBy", "Value": "accessc"});
        // A statement without Action is selected by no filter; Sid and
        // Condition are not read.
        let t = set(
            json!([
                {"Sid": "A", "Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
                {"Sid": "B", "Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {}}
            ]),
            json!([tag, {"Key": "NoValue"}]),
        );
        assert_eq!(
            reduced(t),
            set(
                json!([{"Effect": "Allow", "Action": "", "Resource": "*"}]),
                json!([tag])
            )
        );
        // Statements that reduce alike are kept once.
        let t = set(
            json!([
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
                {"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*", "Sid": "S"},
                {"Effect": "Allow", "Action": "*", "Resource": "*"}
            ]),
            json!([tag]),
        );
        assert_eq!(
            reduced(t),
            set(
                json!([
                    {"Effect": "Allow", "Action": "", "Resource": "*"},
                    {"Effect": "Allow", "Action": "*", "Resource": "*"}
                ]),
                json!([tag])
            )
        );
        // None may be left.
        let t = set(
            json!([{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]),
            json!([tag]),
        );
        assert_eq!(reduced(t), set(json!([]), json!([tag])));
        // cfn-guard reads `action` for a missing `Action`: kept whole, and
        // the statement is not left out.
        let t = set(
            json!([{"Effect": "Allow", "action": ["*"], "Resource": "*", "Sid": "x"}]),
            json!([tag]),
        );
        assert_eq!(
            reduced(t),
            set(
                json!([{"Effect": "Allow", "action": ["*"], "Resource": "*"}]),
                json!([tag])
            )
        );
    }

    #[test]
    fn anything_else_is_refused() {
        assert!(of("rule r {\n    %v.Properties.Name == 'x'\n}\n").is_some());
        for other in [
            // A resource compared as a value.
            "rule r {\n    %v == 'x'\n}\n",
            "rule r {\n    %v.Properties.Name IN %v\n}\n",
            "rule r {\n    %v[ Properties.Name == 'x' ] == 'y'\n}\n",
            // Every value of a resource, or a resource by position.
            "rule r {\n    %v[*].Properties exists\n}\n",
            "rule r {\n    %v.* exists\n}\n",
            "rule r {\n    %v[0] exists\n}\n",
            // A path from the template's root, on either side.
            "rule r {\n    Parameters exists\n}\n",
            "rule r {\n    %v.Properties.Name == Parameters.X\n}\n",
            "rule r {\n    %v[ Properties.Name == Parameters.X ] empty\n}\n",
            // Functions, `this`, rule references, unknown variables.
            "let c = count(%v)\n",
            "rule r {\n    %v[ this exists ] empty\n}\n",
            "rule r when other {\n    %v empty\n}\n",
            "rule r {\n    %nothing empty\n}\n",
            // Another selection, or a variable defined twice.
            "let all = Resources.*\n",
            "let v = Resources.*[ Type == 'AWS::SSO::Assignment' ]\n",
            "let p = Resources.*[ Type == 'AWS::SSO::PermissionSet' ].Properties\n",
            // A clause with no operator, an unclosed filter or block.
            "rule r {\n    %v.Properties\n}\n",
            "let x = %v[\n",
            "rule r {\n    %v empty\n",
        ] {
            assert!(of(other).is_none(), "{other}");
        }
    }

    fn template() -> Value {
        json!({
            "AWSTemplateFormatVersion": "2010-09-09",
            "Parameters": {"P": {"Type": "String"}},
            "Resources": {
                "Attributes": {"Type": "AWS::SSO::InstanceAccessControlAttributeConfiguration",
                    "Properties": {"InstanceArn": "arn"}},
                "PermissionSetA": {"Type": "AWS::SSO::PermissionSet", "DependsOn": "Attributes",
                    "Properties": {"Name": "A", "InstanceArn": "arn", "Description": "PT13H",
                        "SessionDuration": "PT4H",
                        "ManagedPolicies": ["arn:aws:iam::aws:policy/AdministratorAccess"],
                        "InlinePolicy": {"Version": "2012-10-17", "Statement": [
                            {"Sid": "S", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}]},
                        "Tags": [{"Key": "ManagedBy", "Value": "accessc"}]}},
                "Alarm": {"Type": "AWS::CloudWatch::Alarm",
                    "Metadata": {"accessc": {"BreakGlassPermissionSet": "A"}, "Other": 1},
                    "Properties": {"Threshold": 1, "Period": 60, "TreatMissingData": "notBreaching",
                        "AlarmName": "x", "EvaluationPeriods": 2.5}}
            }
        })
    }

    #[test]
    fn a_template_keeps_its_selected_resources_and_what_the_rules_read_of_them() {
        let p = Projection::of(crate::all_rules()).expect("accepted");
        let want = json!({"Resources": {
            "PermissionSetA": {"Type": "AWS::SSO::PermissionSet",
                "Properties": {"Name": "A", "SessionDuration": "PT4H",
                    "InlinePolicy": {"Statement": [
                        {"Effect": "Allow", "Action": [""], "Resource": "*"}]},
                    "Tags": [{"Key": "ManagedBy", "Value": "accessc"}]}},
            "Alarm": {"Type": "AWS::CloudWatch::Alarm",
                "Metadata": {"accessc": {"BreakGlassPermissionSet": "A"}},
                "Properties": {"Threshold": 1, "Period": 60, "TreatMissingData": "notBreaching"}}
        }});
        let json_text = serde_json::to_string_pretty(&template()).expect("json");
        let yaml_text = serde_yaml::to_string(&template()).expect("yaml");
        for text in [json_text, yaml_text] {
            let reduced: Value =
                serde_json::from_str(&p.reduce(&text).expect("reduced")).expect("json");
            assert_eq!(reduced, want);
        }
        // A float, a tag or a key that is not a string where it is kept:
        // not reduced. Where it is not kept, it does not matter.
        let mut t = template();
        t["Resources"]["Alarm"]["Properties"]["Threshold"] = json!(1.5);
        assert!(p.reduce(&t.to_string()).is_none());
        let yaml = serde_yaml::to_string(&template()).expect("yaml");
        for (from, to) in [("Name: A", "Name: !Ref P"), ("Name: A", "Name: {1: A}")] {
            assert!(p.reduce(&yaml.replace(from, to)).is_none(), "{to}");
        }
        assert!(p
            .reduce(&yaml.replace("InstanceArn: arn", "InstanceArn: !Ref P"))
            .is_some());
        // No selected resource: nothing to reduce.
        let mut t = template();
        let r = t["Resources"].as_object_mut().expect("map");
        r.remove("PermissionSetA");
        r.remove("Alarm");
        assert!(p.reduce(&t.to_string()).is_none());
    }
}
