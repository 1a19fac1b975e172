//! `--from-cfn`: CloudFormation templates holding `AWS::SSO::PermissionSet`
//! and `AWS::SSO::Assignment` (and `AWS::SSO::InstanceAccessControlAttributeConfiguration`)
//! read into an [`ImportModel`]. Pure: takes the templates' texts.
//!
//! What it reads: aws-sso-util's templates (`aws-sso-util admin cfn`
//! without `--macro`, child stacks included), hand-written stacks, and what
//! `accessc build --target cfn` writes. Every given template that no other
//! template names as a nested stack (`AWS::CloudFormation::Stack` with a
//! local `TemplateURL`) is a root stack: its parameters come from
//! `--parameter K=V`, then from their `Default`. A nested stack's come from
//! its parent's `Parameters`, then from their `Default`.
//!
//! Intrinsics resolved: `Ref` (parameters, pseudo parameters given with
//! `--parameter`, `AWS::Partition` as `aws` by default, `AWS::NoValue`, and
//! permission sets), `Fn::GetAtt` (a permission set's `PermissionSetArn`),
//! `Fn::Sub`, `Fn::Join`, `Fn::Select`, `Fn::Split`, `Fn::If` with the
//! template's `Conditions` (`Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or`,
//! `Condition`), and `Fn::ImportValue` of an export another given template
//! makes. Anything else that must be known (the instance, a principal, an
//! account, a set's fields) and is not is an error naming the template, the
//! resource and the reference.
//!
//! Bounds: [`MAX_FILES`] templates, [`crate::offline::MAX_FILE_BYTES`] each,
//! stacks nested at most [`MAX_STACK_DEPTH`] deep, [`MAX_STACKS`] stacks in
//! all, and no template that (directly or not) nests itself.

use crate::cfn_yaml;
use crate::model::{Assignment, Attribute, ImportModel, PermissionSet};
use crate::offline::{check_bounds, check_policy_json, check_size, ReadError, SourceFile};
use accessc_core::aws_ids::{
    is_account_id, is_instance_arn, is_permission_set_arn, is_principal_id,
};
use accessc_core::ir::{Boundary, PolicyReference, PrincipalType};
use serde_json::{Map, Value};
use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};

/// The most templates one import reads.
pub const MAX_FILES: usize = 10_000;
/// How deep stacks may nest (a root stack is depth 0).
pub const MAX_STACK_DEPTH: usize = 8;
/// The most stacks (root and nested) one import instantiates.
pub const MAX_STACKS: usize = 10_000;
/// The longest string an intrinsic may build.
const MAX_STRING: usize = 1024 * 1024;
/// The most bytes the intrinsics of one resource (or output) may produce: a
/// large parameter referenced many times stops here.
pub const MAX_RESOURCE_EVAL_BYTES: usize = 16 * 1024 * 1024;
/// The most bytes the intrinsics of one import may produce in all.
pub const MAX_EVAL_BYTES: usize = 2 * 1024 * 1024 * 1024;
/// The most resources all stack instances may hold together (a template
/// nested many times counts each time).
pub const MAX_RESOURCES: usize = 4_000_000;

/// The templates and the parameters given on the command line.
#[derive(Debug, Clone, Default)]
pub struct CfnInput {
    /// Every template, by path as given (`dir/child.yaml`); a nested stack's
    /// `TemplateURL` is resolved against its parent's directory.
    pub files: Vec<SourceFile>,
    /// `--parameter K=V`, for root stacks (pseudo parameters such as
    /// `AWS::Region` too).
    pub parameters: BTreeMap<String, String>,
}

/// The marker a permission set's ARN resolves to: not an ARN, so it can
/// never be confused with one.
fn marker(stack: &str, logical: &str) -> String {
    format!("\u{1}permission-set:{stack}#{logical}")
}

fn is_marker(s: &str) -> bool {
    s.starts_with('\u{1}')
}

/// Normalize a `/`-separated path: `.` and `a/..` removed.
fn normalize_path(p: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|l| *l != "..") {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            x => out.push(x),
        }
    }
    let joined = out.join("/");
    if p.starts_with('/') {
        format!("/{joined}")
    } else {
        joined
    }
}

fn dir_of(p: &str) -> &str {
    p.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
}

/// A nested stack's template path, or why it cannot be one.
fn child_path(parent: &str, url: &str) -> Result<String, String> {
    if url.contains("://") || url.starts_with("s3:") {
        return Err(format!(
            "TemplateURL `{url}` is not a local file: give the child template's file among the inputs and write its TemplateURL as a path relative to the parent"
        ));
    }
    let joined = if url.starts_with('/') {
        url.to_string()
    } else {
        let d = dir_of(parent);
        if d.is_empty() {
            url.to_string()
        } else {
            format!("{d}/{url}")
        }
    };
    Ok(normalize_path(&joined))
}

struct Template {
    name: String,
    doc: Value,
}

impl Template {
    fn section(&self, key: &str) -> Option<&Map<String, Value>> {
        self.doc.get(key).and_then(Value::as_object)
    }

    fn resources(&self) -> impl Iterator<Item = (&String, &Map<String, Value>)> {
        self.section("Resources")
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| v.as_object().map(|o| (k, o)))
    }
}

fn rtype(r: &Map<String, Value>) -> &str {
    r.get("Type").and_then(Value::as_str).unwrap_or("")
}

/// Why an expression did not evaluate.
enum EvalError {
    /// An export not (yet) known: in the first pass, the stack is skipped.
    Import(String),
    Other(String),
}

/// One stack instance's scope.
struct Scope<'a> {
    t: &'a Template,
    /// The stack's path (root file, then nested logical ids).
    path: String,
    params: HashMap<String, Value>,
    exports: &'a HashMap<String, Value>,
    /// Bytes the intrinsics produced so far, for [`MAX_EVAL_BYTES`].
    spent: &'a Cell<usize>,
    /// Bytes produced for the resource at hand, for [`MAX_RESOURCE_EVAL_BYTES`].
    local: Cell<usize>,
}

/// The size a value counts for against [`MAX_EVAL_BYTES`].
fn weight(v: &Value) -> usize {
    match v {
        Value::String(s) => s.len() + 8,
        Value::Array(a) => 8 + a.iter().map(weight).sum::<usize>(),
        Value::Object(m) => 8 + m.iter().map(|(k, v)| k.len() + weight(v)).sum::<usize>(),
        _ => 8,
    }
}

impl Scope<'_> {
    fn charge(&self, v: Value) -> Result<Value, EvalError> {
        let w = weight(&v);
        let local = self.local.get().saturating_add(w);
        self.local.set(local);
        if local > MAX_RESOURCE_EVAL_BYTES {
            return Err(EvalError::Other(format!(
                "its intrinsics build more than {} MiB",
                MAX_RESOURCE_EVAL_BYTES / (1024 * 1024)
            )));
        }
        let total = self.spent.get().saturating_add(w);
        self.spent.set(total);
        if total > MAX_EVAL_BYTES {
            return Err(EvalError::Other(format!(
                "the templates' intrinsics build more than {} MiB in all",
                MAX_EVAL_BYTES / (1024 * 1024)
            )));
        }
        Ok(v)
    }

    /// A new resource: its own budget.
    fn begin(&self) {
        self.local.set(0);
    }

    fn eval(&self, v: &Value, depth: usize) -> Result<Option<Value>, EvalError> {
        if depth > 64 {
            return Err(EvalError::Other("intrinsics nested too deep".into()));
        }
        match v {
            Value::Object(m) if m.len() == 1 => {
                let (k, arg) = m
                    .iter()
                    .next()
                    .map(|(k, v)| (k.as_str(), v))
                    .unwrap_or(("", v));
                match k {
                    "Ref" => self.reference(arg).map(Some),
                    "Fn::GetAtt" => self.get_att(arg).map(Some),
                    "Fn::Sub" => self
                        .sub(arg, depth)
                        .and_then(|s| self.charge(Value::String(s)))
                        .map(Some),
                    "Fn::Join" => self
                        .join(arg, depth)
                        .and_then(|s| self.charge(Value::String(s)))
                        .map(Some),
                    "Fn::Select" => self.select(arg, depth),
                    "Fn::Split" => self.split(arg, depth).map(Some),
                    "Fn::If" => self.if_(arg, depth),
                    "Fn::ImportValue" => {
                        let name = self.string(arg, depth)?;
                        let v = self.exports.get(&name).cloned();
                        v.ok_or(EvalError::Import(name))
                            .and_then(|v| self.charge(v))
                            .map(Some)
                    }
                    k if k.starts_with("Fn::") => Err(EvalError::Other(format!(
                        "`{k}` is not a function this import evaluates"
                    ))),
                    _ => self.eval_map(m, depth),
                }
            }
            Value::Object(m) => self.eval_map(m, depth),
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    if let Some(x) = self.eval(i, depth + 1)? {
                        out.push(x);
                    }
                }
                Ok(Some(Value::Array(out)))
            }
            other => Ok(Some(other.clone())),
        }
    }

    fn eval_map(&self, m: &Map<String, Value>, depth: usize) -> Result<Option<Value>, EvalError> {
        let mut out = Map::new();
        for (k, v) in m {
            if let Some(x) = self.eval(v, depth + 1)? {
                out.insert(k.clone(), x);
            }
        }
        Ok(Some(Value::Object(out)))
    }

    fn string(&self, v: &Value, depth: usize) -> Result<String, EvalError> {
        match self.eval(v, depth + 1)? {
            Some(Value::String(s)) => Ok(s),
            Some(Value::Bool(b)) => Ok(b.to_string()),
            Some(Value::Number(n)) => Ok(n.to_string()),
            _ => Err(EvalError::Other(format!("`{v}` is not a string"))),
        }
    }

    fn reference(&self, arg: &Value) -> Result<Value, EvalError> {
        let Some(name) = arg.as_str() else {
            return Err(EvalError::Other(format!("`Ref` of `{arg}`")));
        };
        if name == "AWS::NoValue" {
            return Ok(Value::Null);
        }
        if let Some(v) = self.params.get(name) {
            return self.charge(v.clone());
        }
        if let Some(r) = self.t.section("Resources").and_then(|r| r.get(name)) {
            if r.get("Type").and_then(Value::as_str) == Some("AWS::SSO::PermissionSet") {
                return Ok(Value::String(marker(&self.path, name)));
            }
            return Err(EvalError::Other(format!(
                "`Ref: {name}`: the resource's physical id is known only once deployed"
            )));
        }
        if name == "AWS::Partition" {
            return Ok(Value::String("aws".into()));
        }
        let declared = self
            .t
            .section("Parameters")
            .is_some_and(|p| p.contains_key(name));
        Err(EvalError::Other(if declared {
            format!("`Ref: {name}`: the parameter has no value (give `--parameter {name}=VALUE`)")
        } else if name.starts_with("AWS::") {
            format!(
                "`Ref: {name}`: give the pseudo parameter's value with `--parameter {name}=VALUE`"
            )
        } else {
            format!("`Ref: {name}` names neither a parameter nor a resource of the template")
        }))
    }

    fn get_att(&self, arg: &Value) -> Result<Value, EvalError> {
        let (res, att) = match arg {
            Value::Array(a) if a.len() == 2 => (a[0].as_str(), a[1].as_str()),
            Value::String(s) => match s.split_once('.') {
                Some((r, a)) => (Some(r), Some(a)),
                None => (None, None),
            },
            _ => (None, None),
        };
        let (Some(res), Some(att)) = (res, att) else {
            return Err(EvalError::Other(format!("`Fn::GetAtt` of `{arg}`")));
        };
        let is_set = self
            .t
            .section("Resources")
            .and_then(|r| r.get(res))
            .and_then(|r| r.get("Type"))
            .and_then(Value::as_str)
            == Some("AWS::SSO::PermissionSet");
        if is_set && att == "PermissionSetArn" {
            return Ok(Value::String(marker(&self.path, res)));
        }
        Err(EvalError::Other(format!(
            "`Fn::GetAtt: {res}.{att}` is known only once deployed (only a permission set's PermissionSetArn is resolved)"
        )))
    }

    fn sub(&self, arg: &Value, depth: usize) -> Result<String, EvalError> {
        let (text, vars) = match arg {
            Value::String(s) => (s.as_str(), None),
            Value::Array(a) if a.len() == 2 => (
                a[0].as_str()
                    .ok_or_else(|| EvalError::Other("`Fn::Sub` without a string".into()))?,
                a[1].as_object(),
            ),
            _ => return Err(EvalError::Other(format!("`Fn::Sub` of `{arg}`"))),
        };
        let mut out = String::new();
        let mut rest = text;
        while let Some(i) = rest.find("${") {
            out.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            if let Some(lit) = after.strip_prefix('!') {
                out.push_str("${");
                rest = lit;
                continue;
            }
            let Some(end) = after.find('}') else {
                return Err(EvalError::Other(format!(
                    "`Fn::Sub` `{text}`: unclosed `${{`"
                )));
            };
            let name = after[..end].trim();
            let v = match vars.and_then(|m| m.get(name)) {
                Some(v) => self.string(v, depth)?,
                None => match name.split_once('.') {
                    Some((r, a)) if !name.starts_with("AWS::") => {
                        str_of(self.get_att(&Value::String(format!("{r}.{a}")))?)?
                    }
                    _ => str_of(self.reference(&Value::String(name.into()))?)?,
                },
            };
            out.push_str(&v);
            if out.len() > MAX_STRING {
                return Err(EvalError::Other(
                    "`Fn::Sub` builds too long a string".into(),
                ));
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn join(&self, arg: &Value, depth: usize) -> Result<String, EvalError> {
        let Value::Array(a) = arg else {
            return Err(EvalError::Other(format!("`Fn::Join` of `{arg}`")));
        };
        let (Some(Value::String(sep)), Some(list)) = (a.first(), a.get(1)) else {
            return Err(EvalError::Other(format!("`Fn::Join` of `{arg}`")));
        };
        let Some(Value::Array(items)) = self.eval(list, depth + 1)? else {
            return Err(EvalError::Other(format!("`Fn::Join` of `{arg}`")));
        };
        let parts: Vec<String> = items.into_iter().map(str_of).collect::<Result<_, _>>()?;
        let s = parts.join(sep);
        if s.len() > MAX_STRING {
            return Err(EvalError::Other(
                "`Fn::Join` builds too long a string".into(),
            ));
        }
        Ok(s)
    }

    fn select(&self, arg: &Value, depth: usize) -> Result<Option<Value>, EvalError> {
        let Value::Array(a) = arg else {
            return Err(EvalError::Other(format!("`Fn::Select` of `{arg}`")));
        };
        let (Some(i), Some(list)) = (a.first(), a.get(1)) else {
            return Err(EvalError::Other(format!("`Fn::Select` of `{arg}`")));
        };
        let i: usize = self
            .string(i, depth)?
            .parse()
            .map_err(|_| EvalError::Other(format!("`Fn::Select` index `{i}`")))?;
        match self.eval(list, depth + 1)? {
            Some(Value::Array(items)) => items
                .into_iter()
                .nth(i)
                .map(Some)
                .ok_or_else(|| EvalError::Other(format!("`Fn::Select` index {i} out of range"))),
            _ => Err(EvalError::Other(format!("`Fn::Select` of `{arg}`"))),
        }
    }

    fn split(&self, arg: &Value, depth: usize) -> Result<Value, EvalError> {
        let Value::Array(a) = arg else {
            return Err(EvalError::Other(format!("`Fn::Split` of `{arg}`")));
        };
        let (Some(Value::String(sep)), Some(s)) = (a.first(), a.get(1)) else {
            return Err(EvalError::Other(format!("`Fn::Split` of `{arg}`")));
        };
        if sep.is_empty() {
            return Err(EvalError::Other("`Fn::Split` on an empty delimiter".into()));
        }
        let s = self.string(s, depth)?;
        Ok(Value::Array(
            s.split(sep.as_str())
                .map(|p| Value::String(p.into()))
                .collect(),
        ))
    }

    fn if_(&self, arg: &Value, depth: usize) -> Result<Option<Value>, EvalError> {
        let Value::Array(a) = arg else {
            return Err(EvalError::Other(format!("`Fn::If` of `{arg}`")));
        };
        let (Some(Value::String(c)), Some(yes), Some(no)) = (a.first(), a.get(1), a.get(2)) else {
            return Err(EvalError::Other(format!("`Fn::If` of `{arg}`")));
        };
        let branch = if self.condition(c, 0)? { yes } else { no };
        self.eval(branch, depth + 1)
    }

    fn condition(&self, name: &str, depth: usize) -> Result<bool, EvalError> {
        let Some(c) = self.t.section("Conditions").and_then(|c| c.get(name)) else {
            return Err(EvalError::Other(format!(
                "the condition `{name}` is not in the template's Conditions"
            )));
        };
        self.truth(c, depth + 1)
    }

    fn truth(&self, v: &Value, depth: usize) -> Result<bool, EvalError> {
        if depth > 32 {
            return Err(EvalError::Other("conditions nested too deep".into()));
        }
        let Some((k, arg)) = v
            .as_object()
            .filter(|m| m.len() == 1)
            .and_then(|m| m.iter().next())
        else {
            return match v {
                Value::Bool(b) => Ok(*b),
                Value::String(s) if s == "true" || s == "false" => Ok(s == "true"),
                _ => Err(EvalError::Other(format!("`{v}` is not a condition"))),
            };
        };
        let list = || -> Result<&Vec<Value>, EvalError> {
            arg.as_array()
                .ok_or_else(|| EvalError::Other(format!("`{k}` of `{arg}`")))
        };
        match k.as_str() {
            "Condition" => self.condition(arg.as_str().unwrap_or(""), depth + 1),
            "Fn::Equals" => {
                let l = list()?;
                if l.len() != 2 {
                    return Err(EvalError::Other("`Fn::Equals` takes two values".into()));
                }
                Ok(self.eval(&l[0], depth + 1)? == self.eval(&l[1], depth + 1)?)
            }
            "Fn::Not" => Ok(!self.truth(list()?.first().unwrap_or(&Value::Null), depth + 1)?),
            "Fn::And" => {
                for c in list()? {
                    if !self.truth(c, depth + 1)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            "Fn::Or" => {
                for c in list()? {
                    if self.truth(c, depth + 1)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            _ => Err(EvalError::Other(format!(
                "`{k}` is not a condition function"
            ))),
        }
    }

    /// Whether a resource is created (its `Condition`, if any, holds).
    fn created(&self, r: &Map<String, Value>) -> Result<bool, EvalError> {
        match r.get("Condition").and_then(Value::as_str) {
            Some(c) => self.condition(c, 0),
            None => Ok(true),
        }
    }
}

fn str_of(v: Value) -> Result<String, EvalError> {
    match v {
        Value::String(s) => Ok(s),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(EvalError::Other(format!("`{other}` is not a string"))),
    }
}

/// What both passes gather.
#[derive(Default)]
struct Gathered {
    exports: HashMap<String, Value>,
    sets: Vec<(String, PermissionSet, String)>,
    assignments: Vec<(Assignment, String, String)>,
    attributes: Vec<Attribute>,
    instance: Option<(String, String, String)>,
    stacks: usize,
    resources: usize,
}

struct Reader<'a> {
    templates: &'a BTreeMap<String, Template>,
    spent: &'a Cell<usize>,
    final_pass: bool,
    exports: HashMap<String, Value>,
    out: Gathered,
}

impl Reader<'_> {
    fn err(&self, file: &str, at: &str, e: EvalError) -> ReadError {
        let msg = match e {
            EvalError::Import(name) => {
                format!("`Fn::ImportValue: {name}`: no given template exports `{name}`")
            }
            EvalError::Other(m) => m,
        };
        ReadError::new(
            file,
            msg,
            "give every template of the setup (nested stacks and the stacks whose exports it imports), and the stacks' parameters with `--parameter NAME=VALUE`",
        )
        .at(at)
    }

    /// Instantiate one stack and those nested in it.
    fn stack(
        &mut self,
        name: &str,
        path: String,
        params: HashMap<String, Value>,
        chain: &mut Vec<String>,
    ) -> Result<(), ReadError> {
        self.out.stacks += 1;
        if self.out.stacks > MAX_STACKS {
            return Err(ReadError::new(
                name,
                format!("more than {MAX_STACKS} stacks"),
                "import the templates of one setup",
            ));
        }
        let Some(t) = self.templates.get(name) else {
            return Err(ReadError::new(
                name,
                "no such template",
                "give the template",
            ));
        };
        self.out.resources += t.resources().count();
        if self.out.resources > MAX_RESOURCES {
            return Err(ReadError::new(
                name,
                format!("the stacks hold more than {MAX_RESOURCES} resources in all"),
                "import the templates of one setup",
            ));
        }
        let mut all = params;
        for (k, p) in t.section("Parameters").into_iter().flatten() {
            if !all.contains_key(k) {
                if let Some(d) = p.get("Default") {
                    all.insert(k.clone(), d.clone());
                }
            }
        }
        let exports = std::mem::take(&mut self.exports);
        let scope = Scope {
            t,
            path: path.clone(),
            params: all,
            exports: &exports,
            spent: self.spent,
            local: Cell::new(0),
        };
        let result = self.stack_in(&scope, chain);
        self.exports = exports;
        result
    }

    fn stack_in(&mut self, scope: &Scope, chain: &mut Vec<String>) -> Result<(), ReadError> {
        let t = scope.t;
        let name = t.name.as_str();
        // A failure in the first pass (an import not known yet) only skips.
        macro_rules! eval {
            ($v:expr, $at:expr) => {
                match scope.eval($v, 0) {
                    Ok(v) => v,
                    Err(EvalError::Import(_)) if !self.final_pass => return Ok(()),
                    Err(e) => return Err(self.err(name, $at, e)),
                }
            };
        }
        for (logical, r) in t.resources() {
            scope.begin();
            let at = format!("resource `{logical}`");
            let created = match scope.created(r) {
                Ok(c) => c,
                Err(EvalError::Import(_)) if !self.final_pass => return Ok(()),
                Err(e) => return Err(self.err(name, &at, e)),
            };
            if !created {
                continue;
            }
            let props = r
                .get("Properties")
                .cloned()
                .unwrap_or(Value::Object(Map::new()));
            match rtype(r) {
                "AWS::CloudFormation::Stack" => {
                    let url = match props.get("TemplateURL") {
                        Some(u) => eval!(u, &at),
                        None => None,
                    };
                    let Some(url) = url.and_then(|u| u.as_str().map(str::to_string)) else {
                        return Err(self.err(
                            name,
                            &at,
                            EvalError::Other("a nested stack without a TemplateURL".into()),
                        ));
                    };
                    let child = child_path(name, &url)
                        .map_err(|m| self.err(name, &at, EvalError::Other(m)))?;
                    if !self.templates.contains_key(&child) {
                        return Err(self.err(
                            name,
                            &at,
                            EvalError::Other(format!(
                                "the nested stack's template `{child}` (TemplateURL `{url}`) is not among the given files"
                            )),
                        ));
                    }
                    if chain.contains(&child) {
                        return Err(self.err(
                            name,
                            &at,
                            EvalError::Other(format!(
                                "the nested stack `{child}` nests itself: {} -> {child}",
                                chain.join(" -> ")
                            )),
                        ));
                    }
                    if chain.len() > MAX_STACK_DEPTH {
                        return Err(self.err(
                            name,
                            &at,
                            EvalError::Other(format!(
                                "stacks nested deeper than {MAX_STACK_DEPTH}"
                            )),
                        ));
                    }
                    let mut params = HashMap::new();
                    if let Some(Value::Object(ps)) = props.get("Parameters") {
                        for (k, v) in ps {
                            let at = format!("{at}, parameter `{k}`");
                            if let Some(v) = eval!(v, &at) {
                                params.insert(k.clone(), v);
                            }
                        }
                    }
                    chain.push(child.clone());
                    let r = self.stack(&child, format!("{}/{logical}", scope.path), params, chain);
                    chain.pop();
                    r?;
                }
                "AWS::SSO::PermissionSet" if self.final_pass => {
                    let props = eval!(&props, &at).unwrap_or(Value::Null);
                    let set = self.permission_set(name, &at, &props)?;
                    let instance = self.field(name, &at, &props, "InstanceArn")?;
                    self.note_instance(name, &at, &instance)?;
                    self.out.sets.push((
                        marker(&scope.path, logical),
                        set,
                        format!("{name}: {at}"),
                    ));
                }
                "AWS::SSO::Assignment" if self.final_pass => {
                    let props = eval!(&props, &at).unwrap_or(Value::Null);
                    let a = self.assignment(name, &at, &props)?;
                    let instance = self.field(name, &at, &props, "InstanceArn")?;
                    self.note_instance(name, &at, &instance)?;
                    self.out.assignments.push(a);
                }
                "AWS::SSO::InstanceAccessControlAttributeConfiguration" if self.final_pass => {
                    let props = eval!(&props, &at).unwrap_or(Value::Null);
                    let list = props
                        .get("AccessControlAttributes")
                        .or_else(|| {
                            props
                                .get("InstanceAccessControlAttributeConfiguration")
                                .and_then(|c| c.get("AccessControlAttributes"))
                        })
                        .and_then(Value::as_array);
                    for a in list.into_iter().flatten() {
                        let key = a.get("Key").and_then(Value::as_str);
                        let source = a
                            .get("Value")
                            .and_then(|v| v.get("Source"))
                            .and_then(|s| s.get(0).or(Some(s)))
                            .and_then(Value::as_str);
                        if let (Some(key), Some(source)) = (key, source) {
                            self.out.attributes.push(Attribute {
                                key: key.into(),
                                source: source.into(),
                            });
                        }
                    }
                }
                _ => {}
            }
        }
        for (_, o) in t.section("Outputs").into_iter().flatten() {
            scope.begin();
            let Some(export) = o.get("Export").and_then(|e| e.get("Name")) else {
                continue;
            };
            // An output that does not evaluate (an alarm's ARN, an import
            // not known yet) exports nothing: an ImportValue of it is the
            // error, naming what imports it.
            let (Ok(Some(Value::String(n))), Some(Ok(Some(v)))) = (
                scope.eval(export, 0),
                o.get("Value").map(|v| scope.eval(v, 0)),
            ) else {
                continue;
            };
            self.out.exports.insert(n, v);
        }
        Ok(())
    }

    fn note_instance(&mut self, file: &str, at: &str, arn: &str) -> Result<(), ReadError> {
        if !is_instance_arn(arn) {
            return Err(ReadError::new(
                file,
                format!("InstanceArn `{arn}` is not an Identity Center instance ARN"),
                "give the instance ARN (`aws sso-admin list-instances`), with `--parameter` when the template takes it as a parameter",
            )
            .at(at));
        }
        match &self.out.instance {
            None => self.out.instance = Some((arn.into(), file.into(), at.into())),
            Some((first, f, a)) if first != arn => {
                return Err(ReadError::new(
                    file,
                    format!("instance `{arn}`, but {a} of {f} is in `{first}`"),
                    "import the templates of one Identity Center instance at a time",
                )
                .at(at))
            }
            Some(_) => {}
        }
        Ok(())
    }

    fn field(&self, file: &str, at: &str, props: &Value, key: &str) -> Result<String, ReadError> {
        match props.get(key) {
            Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            _ => Err(ReadError::new(
                file,
                format!("the property `{key}` is missing or not a string"),
                "fix the template (`cfn-lint` points at the place)",
            )
            .at(at)),
        }
    }

    fn permission_set(&self, file: &str, at: &str, p: &Value) -> Result<PermissionSet, ReadError> {
        let name = self.field(file, at, p, "Name")?;
        let opt = |k: &str| p.get(k).and_then(Value::as_str).map(str::to_string);
        let strings = |k: &str| -> Vec<String> {
            p.get(k)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        };
        let reference = |v: &Value| -> Option<PolicyReference> {
            Some(PolicyReference {
                name: v.get("Name")?.as_str()?.to_string(),
                path: v
                    .get("Path")
                    .and_then(Value::as_str)
                    .unwrap_or("/")
                    .to_string(),
            })
        };
        let inline_policy = match p.get("InlinePolicy") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => {
                check_policy_json(file, at, &name, s)?;
                Some(s.clone())
            }
            Some(v @ Value::Object(_)) => Some(v.to_string()),
            Some(other) => {
                return Err(ReadError::new(
                    file,
                    format!("the inline policy of permission set `{name}` is `{other}`, neither a JSON document nor its text"),
                    "fix the policy document in the template, then import again",
                )
                .at(at))
            }
        };
        let boundary = p.get("PermissionsBoundary").and_then(|b| {
            match b.get("ManagedPolicyArn").and_then(Value::as_str) {
                Some(arn) => Some(Boundary::ManagedPolicyArn(arn.into())),
                None => b
                    .get("CustomerManagedPolicyReference")
                    .and_then(reference)
                    .map(Boundary::CustomerManagedPolicy),
            }
        });
        let mut tags: Vec<(String, String)> = p
            .get("Tags")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|t| {
                Some((
                    t.get("Key")?.as_str()?.to_string(),
                    t.get("Value")?.as_str()?.to_string(),
                ))
            })
            .collect();
        tags.sort();
        Ok(PermissionSet {
            arn: None,
            name,
            description: opt("Description"),
            session_duration: opt("SessionDuration"),
            relay_state: opt("RelayStateType"),
            tags,
            managed_policies: strings("ManagedPolicies"),
            customer_managed_policies: p
                .get("CustomerManagedPolicyReferences")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(reference)
                .collect(),
            permissions_boundary: boundary,
            inline_policy,
        })
    }

    fn assignment(
        &self,
        file: &str,
        at: &str,
        p: &Value,
    ) -> Result<(Assignment, String, String), ReadError> {
        let arn = self.field(file, at, p, "PermissionSetArn")?;
        if !is_marker(&arn) {
            let what = if is_permission_set_arn(&arn) {
                format!("PermissionSetArn `{arn}` names a permission set no given template defines")
            } else {
                format!("PermissionSetArn `{arn}` is not a permission set ARN")
            };
            return Err(ReadError::new(
                file,
                what,
                "give the template that defines the permission set too, or import the live instance with `accessc import`",
            )
            .at(at));
        }
        let principal_type = match self.field(file, at, p, "PrincipalType")?.as_str() {
            "GROUP" => PrincipalType::Group,
            "USER" => PrincipalType::User,
            other => {
                return Err(ReadError::new(
                    file,
                    format!("PrincipalType `{other}` is neither GROUP nor USER"),
                    "fix the template",
                )
                .at(at))
            }
        };
        let principal_id = self.field(file, at, p, "PrincipalId")?;
        if !is_principal_id(&principal_id) {
            return Err(ReadError::new(
                file,
                format!("PrincipalId `{principal_id}` is not an identity-store id"),
                "give the group's or user's id (`aws identitystore list-groups`), with `--parameter` when the template takes it as a parameter",
            )
            .at(at));
        }
        let target_type = p
            .get("TargetType")
            .and_then(Value::as_str)
            .unwrap_or("AWS_ACCOUNT");
        if target_type != "AWS_ACCOUNT" {
            return Err(ReadError::new(
                file,
                format!("TargetType `{target_type}` is not AWS_ACCOUNT"),
                "fix the template",
            )
            .at(at));
        }
        let account_id = self.field(file, at, p, "TargetId")?;
        if !is_account_id(&account_id) {
            return Err(ReadError::new(
                file,
                format!("TargetId `{account_id}` is not a 12-digit account id"),
                "fix the template (quote the account id in YAML)",
            )
            .at(at));
        }
        Ok((
            Assignment {
                permission_set: String::new(),
                principal_type,
                principal_id,
                account_id,
            },
            arn,
            format!("{file}: {at}"),
        ))
    }
}

/// Read the templates.
pub fn read(input: &CfnInput) -> Result<ImportModel, ReadError> {
    if input.files.len() > MAX_FILES {
        return Err(ReadError::new(
            "--from-cfn",
            format!("{} templates, more than {MAX_FILES}", input.files.len()),
            "import the templates of one setup",
        ));
    }
    let mut templates = BTreeMap::new();
    for f in &input.files {
        check_size(f)?;
        let doc = cfn_yaml::parse(&f.name, &f.text)?;
        if !doc.get("Resources").is_some_and(Value::is_object) {
            return Err(ReadError::new(
                &f.name,
                "not a CloudFormation template: no `Resources` mapping",
                "give only templates with `--from-cfn`",
            ));
        }
        if let Some(t) = doc.get("Transform") {
            return Err(ReadError::new(
                &f.name,
                format!("the template uses the transform {t}, which only CloudFormation expands"),
                "give the expanded templates (aws-sso-util: `admin cfn` without `--macro`)",
            ));
        }
        let name = normalize_path(&f.name);
        templates.insert(
            name.clone(),
            Template {
                name: name.clone(),
                doc,
            },
        );
    }
    // Children: every template named by a nested stack.
    let mut children = std::collections::BTreeSet::new();
    for t in templates.values() {
        for (_, r) in t.resources() {
            if rtype(r) != "AWS::CloudFormation::Stack" {
                continue;
            }
            let url = r
                .get("Properties")
                .and_then(|p| p.get("TemplateURL"))
                .and_then(Value::as_str);
            if let Some(Ok(c)) = url.map(|u| child_path(&t.name, u)) {
                children.insert(c);
            }
        }
    }
    let roots: Vec<String> = templates
        .keys()
        .filter(|k| !children.contains(*k))
        .cloned()
        .collect();
    if roots.is_empty() && !templates.is_empty() {
        return Err(ReadError::new(
            "--from-cfn",
            "every template is nested in another: the stacks nest in a cycle",
            "give the root template too",
        ));
    }
    let root_params: HashMap<String, Value> = input
        .parameters
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();

    // First pass: the exports; second: everything, imports resolved.
    let mut exports = HashMap::new();
    let mut gathered = Gathered::default();
    let spent = Cell::new(0);
    for final_pass in [false, true] {
        let mut r = Reader {
            templates: &templates,
            spent: &spent,
            final_pass,
            exports: exports.clone(),
            out: Gathered::default(),
        };
        for root in &roots {
            let mut chain = vec![root.clone()];
            r.stack(root, root.clone(), root_params.clone(), &mut chain)?;
        }
        exports = r.out.exports.clone();
        gathered = r.out;
    }

    let mut model = ImportModel::default();
    let mut names: HashMap<String, String> = HashMap::new();
    let mut by_marker: HashMap<String, String> = HashMap::new();
    for (m, set, at) in gathered.sets {
        if let Some(prev) = names.get(&set.name) {
            let (file, res) = at.split_once(": ").unwrap_or(("--from-cfn", &at));
            return Err(ReadError::new(
                file,
                format!(
                    "a second permission set named `{}` (the first: {prev})",
                    set.name
                ),
                "give the templates of one instance; a name is unique in an instance",
            )
            .at(res));
        }
        names.insert(set.name.clone(), at);
        by_marker.insert(m, set.name.clone());
        model.permission_sets.push(set);
    }
    for (mut a, m, at) in gathered.assignments {
        let Some(name) = by_marker.get(&m) else {
            let (file, at) = at.split_once(": ").unwrap_or(("--from-cfn", &at));
            return Err(ReadError::new(
                file,
                "its PermissionSetArn names a permission set the templates do not create (its Condition is false)",
                "check the templates' Conditions and the `--parameter` values",
            )
            .at(at));
        };
        a.permission_set = name.clone();
        model.assignments.push(a);
    }
    check_bounds("--from-cfn", &model.permission_sets, &model.assignments)?;
    model.attributes = gathered.attributes;
    model.instance.arn = gathered.instance.map(|(arn, _, _)| arn);
    Ok(model)
}

#[cfg(test)]
mod tests;
