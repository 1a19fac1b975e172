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
//! A resource is read only through its keys: a query `%V.K1.K2…` reads the
//! value at `K1.K2` (recorded: keep `K2` of `K1`, whole), a query that stops
//! at `K1` (`%V.Properties exists`, `%V.Metadata[ … ]`) reads `K1` whole,
//! and a resource itself (`%V`, `%V[ filter ]`) is only counted
//! (`empty`, `exists` and their negations) or filtered by clauses whose
//! paths are recorded the same way; anything else (a resource compared as a
//! value, `%V[*]`, `%V.*`, a path from the template's root, a function, a
//! rule reference, `this`) is refused. So a resource reduced to its `Type`
//! and the recorded values gives every query the values the whole resource
//! gives, and every rule the same result; a resource of another type is
//! selected by no query, and no query reads the template's other sections.
//! [`Projection::reduce`] builds that template (JSON, which the rules read
//! as they read the YAML or JSON it came from).

use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The keys of a selected resource the rules can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Projection {
    /// The resource types the rules select.
    pub(crate) types: BTreeSet<String>,
    /// Top-level key of a resource → its keys read (their values whole), or
    /// `None`: the whole value.
    pub(crate) keys: BTreeMap<String, Option<BTreeSet<String>>>,
}

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
    /// A string (its text), regular expression or number (empty).
    Literal(String),
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
                out.push(Tok::Literal(String::new()));
            }
            b'0'..=b'9' => {
                let mut j = i;
                while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'.') {
                    j += 1;
                }
                i = j;
                out.push(Tok::Literal(String::new()));
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
            b'.' => {
                out.push(Tok::Dot);
                i += 1;
            }
            b'*' => {
                out.push(Tok::Star);
                i += 1;
            }
            b'[' => {
                out.push(Tok::Open);
                i += 1;
            }
            b']' => {
                out.push(Tok::Close);
                i += 1;
            }
            b'{' => {
                out.push(Tok::LBrace);
                i += 1;
            }
            b'}' => {
                out.push(Tok::RBrace);
                i += 1;
            }
            b',' => {
                out.push(Tok::Comma);
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
    vars: BTreeMap<String, Held>,
    types: BTreeSet<String>,
    keys: BTreeMap<String, Option<BTreeSet<String>>>,
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

    /// Records a path read from a resource: its first key whole, or with
    /// a second, that key of it (whole).
    fn record(&mut self, path: &[String]) {
        let Some(k1) = path.first() else {
            return;
        };
        match path.get(1) {
            Some(k2) => {
                if let Some(set) = self
                    .keys
                    .entry(k1.clone())
                    .or_insert_with(|| Some(BTreeSet::new()))
                {
                    set.insert(k2.clone());
                }
            }
            None => {
                self.keys.insert(k1.clone(), None);
            }
        }
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
                self.types.insert(t);
                Held::Resources
            }
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
                _ => self.clause(None)?,
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
    /// values are), where a clause may start with a path from the element.
    fn clause(&mut self, element: Option<Held>) -> Parsed<()> {
        self.eat_word("some");
        let held = match self.peek()? {
            Tok::Var(_) => self.query(None)?,
            Tok::Word(w) if element.is_some() && !is_keyword(w) => self.query(element)?,
            _ => return None,
        };
        match self.next()? {
            Tok::Word(w) if is_unary(&w) => {
                if held == Held::Resources
                    && !matches!(w.trim_start_matches('!'), "exists" | "empty")
                {
                    return None;
                }
            }
            Tok::Word(w) if w == "IN" || w == "!IN" => self.value(held)?,
            Tok::Op(_) => self.value(held)?,
            _ => return None,
        }
        if self.eat_word("or") || self.eat_word("OR") {
            // The next clause follows.
        }
        Some(())
    }

    /// The right-hand side of a binary operator whose left side holds `lhs`.
    fn value(&mut self, lhs: Held) -> Parsed<()> {
        if lhs == Held::Resources {
            // Whole resources compared as values.
            return None;
        }
        match self.peek()? {
            Tok::Literal(_) => {
                self.at += 1;
            }
            Tok::Word(w) if w == "true" || w == "false" => {
                self.at += 1;
            }
            Tok::Open => {
                self.at += 1;
                loop {
                    match self.next()? {
                        Tok::Literal(_) => {}
                        Tok::Word(w) if w == "true" || w == "false" => {}
                        _ => return None,
                    }
                    if self.eat(&Tok::Close) {
                        break;
                    }
                    self.expect(&Tok::Comma)?;
                }
            }
            Tok::Var(_) => {
                if self.query(None)? == Held::Resources {
                    return None;
                }
            }
            _ => return None,
        }
        Some(())
    }

    /// A query: `%V` and its steps, or (`from` given: inside a filter of
    /// such values) a path from the filtered element. Records what it reads
    /// of a resource; returns what it holds.
    fn query(&mut self, from: Option<Held>) -> Parsed<Held> {
        let mut held = match from {
            Some(h) => h,
            None => match self.next()? {
                Tok::Var(v) => *self.vars.get(&v)?,
                _ => return None,
            },
        };
        // Keys read from a resource so far: `Some` while the query is at a
        // resource or one or two keys below it.
        let mut path: Option<Vec<String>> = (held == Held::Resources).then(Vec::new);
        let mut first = from.is_some();
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
                    p.push(k);
                    if p.len() == 2 {
                        let p = std::mem::take(p);
                        self.record(&p);
                        path = None;
                    }
                }
                held = Held::Other;
                continue;
            }
            if self.eat(&Tok::Open) {
                if self.eat(&Tok::Star)
                    || matches!(self.peek(), Some(Tok::Literal(_))) && {
                        self.at += 1;
                        true
                    }
                {
                    self.expect(&Tok::Close)?;
                    match path.as_ref() {
                        // `%V[*]`: refused; `%V.K1[*]`: K1 is read whole.
                        Some(p) if p.is_empty() => return None,
                        Some(p) => {
                            let p = p.clone();
                            self.record(&p);
                            path = None;
                        }
                        None => {}
                    }
                    held = Held::Other;
                    continue;
                }
                // A filter: its clauses read the filtered values.
                if let Some(p) = path.as_ref().filter(|p| !p.is_empty()) {
                    let p = p.clone();
                    self.record(&p);
                    path = None;
                }
                let element = if path.is_some() {
                    Held::Resources
                } else {
                    Held::Other
                };
                while !self.eat(&Tok::Close) {
                    self.clause(Some(element))?;
                }
                continue;
            }
            break;
        }
        if let Some(p) = path.filter(|p| !p.is_empty()) {
            self.record(&p);
        }
        Some(held)
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
        for (k, v) in fields {
            let k = k?;
            if k == "Type" {
                out.insert(k.to_string(), json(v)?);
                continue;
            }
            match (self.keys.get(k), v.entries()) {
                (None, _) => {}
                (Some(Some(inner)), Some(entries)) => {
                    let mut m = Map::new();
                    for (k2, v2) in entries {
                        let k2 = k2?;
                        if inner.contains(k2) {
                            m.insert(k2.to_string(), json(v2)?);
                        }
                    }
                    out.insert(k.to_string(), Value::Object(m));
                }
                // Read whole, or not a map: kept as it is.
                (Some(_), _) => {
                    out.insert(k.to_string(), json(v)?);
                }
            }
        }
        Some(Some(Value::Object(out)))
    }
}

/// A parsed YAML or JSON value, as [`Projection::resource`] walks it.
trait Node {
    /// A map's entries, `None` as the key of an entry whose key is not a
    /// string; `None` for anything but a map.
    #[allow(clippy::type_complexity)]
    fn entries(&self) -> Option<Vec<(Option<&str>, &Self)>>;
    fn get_str(&self, key: &str) -> Option<&str>;
}

impl Node for Value {
    fn entries(&self) -> Option<Vec<(Option<&str>, &Self)>> {
        self.as_object()
            .map(|m| m.iter().map(|(k, v)| (Some(k.as_str()), v)).collect())
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

    fn set(keys: &[&str]) -> Option<BTreeSet<String>> {
        Some(keys.iter().map(|k| k.to_string()).collect())
    }

    #[test]
    fn the_rules_read_these_keys_of_these_types() {
        let p = Projection::of(&crate::all_rules()).expect("the rules are of the accepted shape");
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
        let mut want = BTreeMap::new();
        want.insert(
            "Properties".to_string(),
            set(&[
                "FilterPattern",
                "InlinePolicy",
                "Name",
                "Period",
                "PrincipalType",
                "SessionDuration",
                "Tags",
                "TargetType",
                "Threshold",
                "TreatMissingData",
            ]),
        );
        want.insert("Metadata".to_string(), set(&["accessc"]));
        assert_eq!(p.keys, want);
    }

    const TYPED: &str = "let v = Resources.*[ Type == 'AWS::SSO::PermissionSet' ]\n";

    fn of(rest: &str) -> Option<Projection> {
        Projection::of(&format!("{TYPED}{rest}"))
    }

    #[test]
    fn one_key_is_read_whole_and_filters_read_their_paths() {
        let p =
            of("rule r {\n    %v.Metadata exists\n    %v[ Properties.Name == 'x' ] !empty\n}\n")
                .expect("accepted");
        assert_eq!(p.keys.get("Metadata"), Some(&None));
        assert_eq!(p.keys.get("Properties"), Some(&set(&["Name"])));
        let p = of("let w = %v[\n    Properties.Tags exists\n]\nlet d = %w.Properties.InlinePolicy.Statement[ Effect == 'Allow' ]\nrule r when %w !empty {\n    %d empty\n    %v.Properties[*] exists <<a message with %v.Other in it>>\n}\n")
            .expect("accepted");
        // `Properties[*]` reads all of Properties.
        assert_eq!(p.keys.get("Properties"), Some(&None));
        assert!(!p.keys.contains_key("Other"));
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
        let p = Projection::of(&crate::all_rules()).expect("accepted");
        let want = json!({"Resources": {
            "PermissionSetA": {"Type": "AWS::SSO::PermissionSet",
                "Properties": {"Name": "A", "SessionDuration": "PT4H",
                    "InlinePolicy": {"Version": "2012-10-17", "Statement": [
                        {"Sid": "S", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}]},
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
