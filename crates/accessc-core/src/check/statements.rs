//! Policy statements to IAM JSON, validated against the IAM catalog:
//! actions (A300–A302), resources, values, condition keys and policy
//! variables (A302), operators (A303), principal tags (A304), duplicate
//! conditions (A305), broad grants (A500) and operators of the wrong type for
//! their key (A509).

use super::names::Kind;
use super::text;
use super::{Inputs, OrgView, Scope, Sink};
use crate::ast::*;
use crate::aws_ids::is_arn_pattern;
use crate::catalog::{self, ConditionKeyType, KeyType, Service};
use crate::diagnostic::{did_you_mean, Code, Diagnostic};
use crate::load::External;
use crate::model::*;
use crate::policy_vars::{self, VariableKind};
use crate::span::Span;
use indexmap::IndexMap;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// The condition operators of IAM, without `IfExists` and set prefixes.
pub const OPERATORS: &[&str] = &[
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Null",
];

/// The base operator of `ForAnyValue:StringEqualsIfExists`, if it is one.
pub fn base_operator(op: &str) -> Option<&'static str> {
    let op = op
        .strip_prefix("ForAnyValue:")
        .or_else(|| op.strip_prefix("ForAllValues:"))
        .unwrap_or(op);
    let (op, if_exists) = match op.strip_suffix("IfExists") {
        Some(o) => (o, true),
        None => (op, false),
    };
    let base = OPERATORS.iter().find(|o| **o == op)?;
    if if_exists && *base == "Null" {
        return None;
    }
    Some(base)
}

/// The services whose condition keys a statement's conditions and variables
/// may use: those of its actions, or every service for `*` or `NotAction`.
#[derive(Debug, Clone)]
pub(super) enum KeyScope {
    Any,
    Services(Vec<&'static Service>),
}

impl KeyScope {
    fn of<'s>(not_action: bool, actions: impl IntoIterator<Item = &'s str>) -> KeyScope {
        if not_action {
            return KeyScope::Any;
        }
        let mut services: Vec<&'static Service> = Vec::new();
        for a in actions {
            let Some((prefix, _)) = a.split_once(':') else {
                return KeyScope::Any;
            };
            if let Some(s) = catalog::iam().service(prefix) {
                if !services.iter().any(|x| x.prefix == s.prefix) {
                    services.push(s);
                }
            }
        }
        // Only unknown services (already errors): do not pile on.
        if services.is_empty() {
            return KeyScope::Any;
        }
        KeyScope::Services(services)
    }
}

/// Where a diagnostic about a key points: at the key's own quoted string (a
/// did-you-mean can replace it), at the string holding a `${…}` variable, or
/// elsewhere (the file name of a JSON policy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyAt {
    OwnString,
    Variable,
    Elsewhere,
}

/// Longer condition keys are unknown without a look-up.
const MAX_CONDITION_KEY_LEN: usize = 512;

/// What a condition key or variable is for a statement.
enum KeyLookup {
    /// A key IAM sets for the statement, with its type when known.
    Known(Option<ConditionKeyType>),
    /// A key of `owner`, a service none of the statement's actions belongs to.
    OtherService(&'static str),
    Unknown,
}

/// Look `key` up: a global key, a federation key of the session (`saml:sub`,
/// `cognito-identity.amazonaws.com:sub`: documented under `sts`), or a key of
/// the statement's services.
fn lookup_key(key: &str, scope: &KeyScope) -> KeyLookup {
    // No IAM key is this long (a tag key is at most 128 characters); a longer
    // one is not matched against every templated key of the catalog.
    if key.len() > MAX_CONDITION_KEY_LEN {
        return KeyLookup::Unknown;
    }
    if let Some((_, ty)) = catalog::global_condition_key(key) {
        return KeyLookup::Known(ty);
    }
    let prefix = key.split_once(':').map_or("", |(p, _)| p);
    let sts = catalog::iam().service("sts");
    if !prefix.eq_ignore_ascii_case("aws") && !prefix.eq_ignore_ascii_case("sts") {
        if let Some((_, ty)) = sts.and_then(|s| s.condition_key(key)) {
            return KeyLookup::Known(ty);
        }
    }
    match scope {
        KeyScope::Services(services) => {
            if let Some(ty) = services.iter().find_map(|s| s.condition_key(key)) {
                return KeyLookup::Known(ty.1);
            }
            let owner = catalog::iam()
                .service(prefix)
                .filter(|s| s.has_condition_key(key))
                .or_else(|| catalog::iam().services().find(|s| s.has_condition_key(key)));
            match owner {
                Some(s) => KeyLookup::OtherService(s.prefix),
                None => KeyLookup::Unknown,
            }
        }
        KeyScope::Any => {
            let found = catalog::iam()
                .service(prefix)
                .and_then(|s| s.condition_key(key))
                .or_else(|| catalog::iam().services().find_map(|s| s.condition_key(key)));
            match found {
                Some((_, ty)) => KeyLookup::Known(ty),
                None => KeyLookup::Unknown,
            }
        }
    }
}

/// The key type an operator family compares (`StringLike` → String), or
/// `None` for `Null`, which fits every key.
fn operator_type(base: &str) -> Option<KeyType> {
    Some(match base {
        "Null" => return None,
        "Bool" => KeyType::Bool,
        "BinaryEquals" => KeyType::Binary,
        "IpAddress" | "NotIpAddress" => KeyType::IpAddress,
        b if b.starts_with("String") => KeyType::String,
        b if b.starts_with("Numeric") => KeyType::Numeric,
        b if b.starts_with("Date") => KeyType::Date,
        b if b.starts_with("Arn") => KeyType::Arn,
        _ => return None,
    })
}

/// Whether an operator of type `op` can compare a key of type `key`. String
/// and ARN operators are interchangeable between String and ARN keys (IAM
/// compares ARNs as strings, and the reference types several ARN-valued
/// keys as String); `aws:EpochTime` is a Date and a Numeric key.
fn operator_fits(op: KeyType, key: KeyType, key_name: &str) -> bool {
    let stringish = |t| matches!(t, KeyType::String | KeyType::Arn);
    op == key
        || (stringish(op) && stringish(key))
        || (key_name.eq_ignore_ascii_case("aws:EpochTime") && op == KeyType::Numeric)
}

/// The operators of a key type, for A509's help.
fn operators_of(t: KeyType) -> &'static str {
    match t {
        KeyType::String => "`StringEquals`, `StringLike`, `StringNotEquals`, … (String operators)",
        KeyType::Arn => "`ArnEquals`, `ArnLike`, … (ARN operators) or String operators",
        KeyType::Bool => "`Bool`",
        KeyType::Numeric => "`NumericEquals`, `NumericLessThan`, … (Numeric operators)",
        KeyType::IpAddress => "`IpAddress` or `NotIpAddress`",
        KeyType::Date => "`DateEquals`, `DateLessThan`, `DateGreaterThan`, … (Date operators)",
        KeyType::Binary => "`BinaryEquals`",
    }
}

/// What a statement contributed, for the checks that need the function.
#[derive(Debug, Default, Clone)]
pub struct StatementFacts {
    /// The statement allows `*` on `*` (for A502).
    pub allow_all: Option<Span>,
    /// A500: the statement allows a service's every action on every resource.
    /// Whoever lowers the statement decides whether to report it.
    pub broad: Option<Diagnostic>,
}

/// The `policy` items, lowered.
pub(super) struct Policies {
    pub defs: IndexMap<String, PolicyDef>,
    /// The first statement of each policy that allows `*` on `*` (for A502).
    pub allow_all: HashMap<String, Span>,
}

/// The `managed_policy` items, lowered.
pub(super) struct ManagedPolicies {
    pub defs: IdxMap<ManagedPolicyIdx, ManagedPolicyDef>,
    /// A500 warnings of each managed policy, reported only for those some
    /// function attaches as `customer` (a boundary allows broadly by design).
    pub broad: Vec<(String, Diagnostic)>,
}

/// Lower every `policy`: its statements (or JSON file) to IAM JSON.
pub(super) fn lower_policies<'a>(
    inputs: &Inputs<'a>,
    scope: &mut Scope<'a>,
    attributes: &IndexMap<String, AttributeDef>,
    sink: &mut Sink,
) -> Policies {
    StatementCx {
        inputs,
        scope,
        attributes,
        sink,
    }
    .policies()
}

/// Lower every `managed_policy`: its default body and `in OU` bodies, with
/// IAM's name, path, description and size rules.
pub(super) fn lower_managed_policies<'a>(
    inputs: &Inputs<'a>,
    scope: &mut Scope<'a>,
    attributes: &IndexMap<String, AttributeDef>,
    org: OrgView<'_>,
    sink: &mut Sink,
) -> ManagedPolicies {
    StatementCx {
        inputs,
        scope,
        attributes,
        sink,
    }
    .managed_policies(org)
}

/// What lowering statements reads (the inputs, the ABAC map) and writes (the
/// names' uses and references, the sink).
pub(super) struct StatementCx<'c, 'a> {
    pub inputs: &'c Inputs<'a>,
    pub scope: &'c mut Scope<'a>,
    pub attributes: &'c IndexMap<String, AttributeDef>,
    pub sink: &'c mut Sink,
}

impl<'c, 'a> StatementCx<'c, 'a> {
    fn err(&mut self, d: Diagnostic) {
        self.sink.push(d);
    }

    fn policies(&mut self) -> Policies {
        let mut out = Policies {
            defs: IndexMap::new(),
            allow_all: HashMap::new(),
        };
        for item in self.inputs.items() {
            let ItemKind::Policy(p) = &item.kind else {
                continue;
            };
            if self
                .scope
                .names
                .get(Kind::Policy, &p.name.name)
                .is_none_or(|d| d.span != p.name.span)
            {
                continue;
            }
            let from_std = self.inputs.is_std(item.span);
            let mut allow_all = None;
            let statements = match &p.body {
                PolicyBody::Statements(sts) => {
                    let mut out = Vec::new();
                    for st in sts {
                        let (v, facts) = self.lower_statement(st);
                        if let Some(span) = facts.allow_all {
                            allow_all.get_or_insert(span);
                        }
                        self.sink.extend(facts.broad);
                        out.push(v);
                    }
                    if sts.is_empty() {
                        self.err(
                            Diagnostic::new(
                                Code::EmptyPolicy,
                                p.name.span,
                                format!("policy `{}` has no statements", p.name.name),
                            )
                            .with_help(
                                "add a statement (`allow s3:GetObject on *`) or remove the policy",
                            ),
                        );
                    }
                    out
                }
                PolicyBody::FromJson(path) => {
                    let (statements, first) = self.lower_json_policy(path);
                    allow_all = first;
                    statements
                }
            };
            if let Some(span) = allow_all {
                out.allow_all.insert(p.name.name.clone(), span);
            }
            out.defs.insert(
                p.name.name.clone(),
                PolicyDef {
                    name: p.name.name.clone(),
                    statements,
                    span: p.name.span,
                    from_std,
                },
            );
        }
        out
    }

    fn managed_policies(&mut self, org: OrgView<'_>) -> ManagedPolicies {
        let mut out = ManagedPolicies {
            defs: IdxMap::new(),
            broad: Vec::new(),
        };
        for item in self.inputs.items() {
            let ItemKind::ManagedPolicy(mp) = &item.kind else {
                continue;
            };
            if self
                .scope
                .names
                .get(Kind::ManagedPolicy, &mp.name.name)
                .is_none_or(|d| d.span != mp.name.span)
            {
                continue;
            }
            let name = &mp.name;
            if !is_iam_name(&name.name, 128) {
                self.err(
                    Diagnostic::new(
                        Code::InvalidPolicyName,
                        name.span,
                        format!("`{}` is not a valid IAM policy name", name.name),
                    )
                    .with_help(
                        "IAM policy names are 1–128 characters of letters, digits and `_+=,.@-`",
                    ),
                );
            }
            let path = mp
                .path
                .as_ref()
                .map_or("/".to_string(), |p| p.value.clone());
            if let Some(p) = &mp.path {
                if !is_iam_path(&p.value) {
                    self.err(
                        Diagnostic::new(
                            Code::InvalidPolicyPath,
                            p.span,
                            format!("`{}` is not a valid IAM path", p.value),
                        )
                        .with_help("a path starts and ends with `/`, e.g. \"/boundaries/\""),
                    );
                }
            }
            if let Some(d) = &mp.description {
                let n = d.value.chars().count();
                if n > 1000 {
                    self.err(
                        Diagnostic::new(Code::DescriptionTooLong, d.span, format!("description is {n} characters; IAM allows 1,000 on a managed policy"))
                            .with_help("shorten it: a managed policy's description cannot change after creation without replacing the policy"),
                    );
                } else if let Some(msg) =
                    text::bad_char("description", &d.value, text::description_char)
                {
                    self.err(
                        Diagnostic::new(Code::DescriptionCharacter, d.span, msg)
                            .with_help("IAM accepts Latin-1 text in policy descriptions (tabs and line breaks allowed, no other control characters)"),
                    );
                }
            }
            let external = mp.external.is_some();
            if external && (!mp.statements.is_empty() || !mp.blocks.is_empty()) {
                self.err(
                    Diagnostic::new(
                        Code::ExternalWithStatements,
                        name.span,
                        format!("managed policy `{}` is `external` but has statements", name.name),
                    )
                    .with_help("an external policy already exists in every account and is never deployed: remove its statements or `external`"),
                );
            }
            if !external && mp.statements.is_empty() && mp.blocks.is_empty() {
                self.err(
                    Diagnostic::new(Code::EmptyPolicy, name.span, format!("managed policy `{}` has no statements", name.name))
                        .with_help("give it statements, `in OU { … }` blocks, or mark it `external` if it already exists in every account"),
                );
            }
            let mut default_body = None;
            if !mp.statements.is_empty() {
                let body =
                    self.lower_managed_statements(&mp.statements, &name.name, &mut out.broad);
                self.check_managed_size(&body, name.span, &name.name);
                default_body = Some(body);
            }
            let mut excluded = Vec::new();
            for x in &mp.except {
                for path in &x.ous {
                    if let Some(o) = org.resolve_ou(path, None, &mut self.scope.index, self.sink) {
                        excluded.push(o);
                    }
                }
            }
            let mut ou_bodies = IdxVec::new();
            for b in &mp.blocks {
                self.lower_in_block(b, None, &name.name, org, &mut ou_bodies, &mut out.broad);
            }
            out.defs.insert(
                name.name.clone(),
                ManagedPolicyDef {
                    name: name.name.clone(),
                    path,
                    description: mp.description.as_ref().map(|d| d.value.clone()),
                    external,
                    default_body,
                    ou_bodies,
                    excluded,
                    span: name.span,
                    from_std: self.inputs.is_std(item.span),
                },
            );
        }
        out
    }

    /// The statements of managed policy `mp`, its A500 warnings set aside in `broad`.
    fn lower_managed_statements(
        &mut self,
        statements: &[Statement],
        mp: &str,
        broad: &mut Vec<(String, Diagnostic)>,
    ) -> Vec<Value> {
        statements
            .iter()
            .map(|s| {
                let (v, facts) = self.lower_statement(s);
                broad.extend(facts.broad.map(|d| (mp.to_string(), d)));
                v
            })
            .collect()
    }

    fn lower_in_block(
        &mut self,
        b: &InBlock,
        parent: Option<OuIdx>,
        mp: &str,
        org: OrgView<'_>,
        out: &mut IdxVec<BodyIdx, OuBody>,
        broad: &mut Vec<(String, Diagnostic)>,
    ) {
        let ou = org.resolve_ou(&b.ou, parent, &mut self.scope.index, self.sink);
        if b.statements.is_empty() && b.blocks.is_empty() {
            // `except` takes paths from the root: name the OU by its full path.
            let full = ou.map_or_else(|| b.ou.text(), |o| org.org.ous[o].path.clone());
            self.err(
                Diagnostic::new(
                    Code::EmptyOuBlock,
                    b.span,
                    format!("`in {}` of managed policy `{mp}` is empty and changes nothing", b.ou.text()),
                )
                .with_help(format!(
                    "to keep the policy out of `{full}` (and the OUs below it), write `except {full}` in the managed policy; otherwise remove the block"
                )),
            );
        }
        let statements = self.lower_managed_statements(&b.statements, mp, broad);
        if let Some(ou) = ou {
            if !statements.is_empty() {
                self.check_managed_size(&statements, b.ou.span, mp);
                out.push(OuBody {
                    ou,
                    statements,
                    span: b.ou.span,
                });
            }
            for inner in &b.blocks {
                self.lower_in_block(inner, Some(ou), mp, org, out, broad);
            }
        }
    }

    fn check_managed_size(&mut self, body: &[Value], span: Span, name: &str) {
        let doc = policy_document(body.to_vec());
        let chars = non_whitespace_chars(&doc);
        if chars > 6144 {
            self.err(
                Diagnostic::new(
                    Code::ManagedPolicyTooLarge,
                    span,
                    format!("managed policy `{name}` is {chars} non-whitespace characters; IAM allows 6,144"),
                )
                .with_help("split it into two managed policies"),
            );
        }
    }

    /// Lower one statement, reporting what is wrong with it.
    pub(super) fn lower_statement(&mut self, st: &Statement) -> (Value, StatementFacts) {
        let mut obj = Map::new();
        if let Some(sid) = &st.sid {
            if !sid.name.bytes().all(|b| b.is_ascii_alphanumeric()) {
                let fixed: String = sid
                    .name
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric())
                    .collect();
                self.err(
                    Diagnostic::new(
                        Code::InvalidStatementId,
                        sid.span,
                        format!("statement id `{}` has characters IAM rejects", sid.name),
                    )
                    .with_suggestion(sid.span, fixed),
                );
            }
            obj.insert("Sid".into(), Value::String(sid.name.clone()));
        }
        obj.insert(
            "Effect".into(),
            Value::String(
                if st.effect == Effect::Allow {
                    "Allow"
                } else {
                    "Deny"
                }
                .into(),
            ),
        );
        for a in &st.actions {
            self.check_action(&a.text, a.span);
        }
        let actions: Vec<Value> = st
            .actions
            .iter()
            .map(|a| Value::String(a.text.clone()))
            .collect();
        obj.insert(
            if st.not_action { "NotAction" } else { "Action" }.into(),
            one_or_many(actions),
        );
        let keys = KeyScope::of(st.not_action, st.actions.iter().map(|a| a.text.as_str()));
        for r in &st.resources {
            self.check_resource(&r.text, r.span, &keys);
        }
        let resources: Vec<Value> = st
            .resources
            .iter()
            .map(|r| Value::String(r.text.clone()))
            .collect();
        obj.insert(
            if st.not_resource {
                "NotResource"
            } else {
                "Resource"
            }
            .into(),
            one_or_many(resources),
        );
        let mut cond: IndexMap<String, IndexMap<String, (Value, Span)>> = IndexMap::new();
        for c in &st.conditions {
            let Some((op, key, value)) = self.lower_condition(c, &keys) else {
                continue;
            };
            let slot = cond.entry(op.clone()).or_default();
            if let Some((_, prev)) = slot.get(&key) {
                let prev = *prev;
                self.err(
                    Diagnostic::new(Code::RepeatedCondition, c.span(), format!("`{op}` on `{key}` appears twice in one statement"))
                        .with_related(prev, "first here")
                        .with_help("IAM keeps only one of them; list every value in one condition: `StringEquals \"key\" [\"a\", \"b\"]`, or split the statement"),
                );
                continue;
            }
            slot.insert(key, (value, c.span()));
        }
        if !cond.is_empty() {
            let mut m = Map::new();
            for (op, keys) in cond {
                let mut km = Map::new();
                for (k, (v, _)) in keys {
                    km.insert(k, v);
                }
                m.insert(op, Value::Object(km));
            }
            obj.insert("Condition".into(), Value::Object(m));
        }
        let broad_action = st
            .actions
            .iter()
            .find(|a| a.text == "*" || a.text.ends_with(":*"));
        let any_resource = !st.not_resource && st.resources.iter().any(|r| r.text == "*");
        let mut facts = StatementFacts::default();
        if st.effect == Effect::Allow && !st.not_action && any_resource && st.conditions.is_empty()
        {
            if let Some(a) = broad_action {
                if !self.inputs.is_std(a.span) {
                    let d = Diagnostic::new(
                        Code::OverPermissiveAllow,
                        a.span,
                        format!("allows `{}` on every resource", a.text),
                    )
                    .with_label("over-permissioned")
                    .with_help("name the actions the job needs and scope `on` to resource ARNs, or add a `when` condition (ABAC)");
                    facts.broad = Some(d);
                }
                if st.actions.iter().any(|a| a.text == "*") {
                    facts.allow_all = Some(st.span);
                }
            }
        }
        (Value::Object(obj), facts)
    }

    /// Validate one action pattern.
    pub(super) fn check_action(&mut self, text: &str, span: Span) {
        if text == "*" {
            return;
        }
        let Some((prefix, name)) = text.split_once(':') else {
            self.err(
                Diagnostic::new(
                    Code::MalformedAction,
                    span,
                    format!("`{text}` is not an action"),
                )
                .with_help("an action is `service:Action`, e.g. `s3:GetObject`, or `*`"),
            );
            return;
        };
        let prefix_ok = !prefix.is_empty()
            && prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        let name_ok = !name.is_empty()
            && name.bytes().all(|b| {
                b.is_ascii_alphanumeric() || b == b'*' || b == b'?' || b == b'_' || b == b'-'
            });
        if !prefix_ok || !name_ok {
            self.err(
                Diagnostic::new(Code::MalformedAction, span, format!("`{text}` is not a well-formed action"))
                    .with_help("an action is `service:Action` with letters, digits and the wildcards `*` and `?`"),
            );
            return;
        }
        let Some(service) = catalog::iam().service(prefix) else {
            let prefix_span = Span::new(
                span.file,
                span.start as usize,
                span.start as usize + prefix.len(),
            );
            let mut d = Diagnostic::new(
                Code::UnknownService,
                prefix_span,
                format!("unknown service prefix `{prefix}`"),
            );
            // Names people reach for that are not IAM's prefixes.
            let alias = match prefix.to_ascii_lowercase().as_str() {
                "cloudwatchlogs" | "cloudwatch-logs" | "log" => Some("logs"),
                "cloudwatchevents" | "eventbridge" => Some("events"),
                "stepfunctions" | "sfn" => Some("states"),
                "elb" | "alb" | "nlb" => Some("elasticloadbalancing"),
                "identitycenter" | "identity-center" => Some("sso"),
                "systemsmanager" => Some("ssm"),
                "apigatewayv2" => Some("apigateway"),
                _ => None,
            };
            d = match alias.or_else(|| catalog::iam().suggest_prefix(prefix)) {
                Some(s) => d.with_suggestion(prefix_span, s),
                None => d.with_help(
                    "service prefixes are listed in the IAM Service Authorization Reference",
                ),
            };
            self.err(d);
            return;
        };
        let name_span = Span::new(span.file, span.end as usize - name.len(), span.end as usize);
        if name.contains('*') || name.contains('?') {
            if service.matching(name).next().is_none() {
                self.err(
                    Diagnostic::new(
                        Code::NoMatchingAction,
                        name_span,
                        format!("`{text}` matches no action of `{}`", service.prefix),
                    )
                    .with_help(format!(
                        "`{}:*` lists every action of the service",
                        service.prefix
                    )),
                );
            }
        } else if service.action(name).is_none() {
            let mut d = Diagnostic::new(
                Code::UnknownAction,
                name_span,
                format!("unknown action `{name}` of service `{}`", service.prefix),
            );
            d = match service.suggest_action(name) {
                Some(s) => d.with_suggestion(name_span, s),
                None => d.with_help(format!(
                    "see the actions of `{}` in the IAM Service Authorization Reference",
                    service.prefix
                )),
            };
            self.err(d);
        }
    }

    fn check_resource(&mut self, value: &str, span: Span, keys: &KeyScope) {
        if let Some(msg) = text::bad_char("the resource", value, text::plain_text_char) {
            self.err(Diagnostic::new(Code::InvalidResource, span, msg));
            return;
        }
        if !self.check_variables(value, span, keys, Code::InvalidResource) {
            return;
        }
        if let Some(problem) = policy_vars::resource_arn_problem(value) {
            let help = if value.contains("${") {
                "a policy variable may stand only in the resource part of an ARN, after its fifth `:` (\"arn:aws:s3:::home/${aws:username}/*\"); write the partition, region and account out, or `*`"
            } else {
                "write `*` or an ARN such as \"arn:aws:s3:::my-bucket/*\""
            };
            self.err(Diagnostic::new(Code::InvalidResource, span, problem).with_help(help));
        }
    }

    /// The policy variables of a resource or condition value: each well
    /// formed (else a `malformed` error and false), each key one IAM sets for
    /// the statement (A302), each `aws:PrincipalTag/K` fed by an attribute
    /// (A304).
    fn check_variables(
        &mut self,
        text: &str,
        span: Span,
        keys: &KeyScope,
        malformed: Code,
    ) -> bool {
        let vars = match policy_vars::variables(text) {
            Ok(v) => v,
            Err(e) => {
                self.err(
                    Diagnostic::new(malformed, span, e.message)
                        .with_help("a policy variable is `${service:key}` (`${aws:username}`, `${aws:PrincipalTag/Team}`), optionally with a default `${aws:PrincipalTag/Team, 'none'}`; `${*}`, `${?}` and `${$}` are a literal `*`, `?` and `$`"),
                );
                return false;
            }
        };
        for v in vars {
            let VariableKind::Key { key, .. } = v.kind else {
                continue;
            };
            if self.empty_tag(key, span, KeyAt::Variable) {
                continue;
            }
            if let Some(tag) = strip_prefix_ignore_case(key, "aws:PrincipalTag/") {
                self.use_principal_tag(tag, span);
            }
            self.known_key(key, span, keys, KeyAt::Variable);
        }
        true
    }

    /// `(operator, key, value)` of a condition, after checking it.
    fn lower_condition(
        &mut self,
        c: &Condition,
        keys: &KeyScope,
    ) -> Option<(String, String, Value)> {
        match c {
            Condition::Tag {
                lhs,
                negated,
                rhs,
                span,
            } => {
                let op = if *negated {
                    "StringNotEquals"
                } else {
                    "StringEquals"
                };
                let key = format!("{}/{}", lhs.scope.condition_key(), lhs.key.name);
                if lhs.scope == TagScope::Principal {
                    self.use_principal_tag(&lhs.key.name, lhs.key.span);
                }
                let value = match rhs {
                    TagValue::Tag(t) => {
                        if t.scope != TagScope::Principal {
                            self.err(
                                Diagnostic::new(
                                    Code::NonPrincipalTagValue,
                                    t.span,
                                    format!("`{}.tag.{}` cannot be a condition value", t.scope.keyword(), t.key.name),
                                )
                                .with_help("IAM substitutes only principal tags into values: compare with `principal.tag.KEY` or a string"),
                            );
                            return None;
                        }
                        self.use_principal_tag(&t.key.name, t.key.span);
                        format!("${{aws:PrincipalTag/{}}}", t.key.name)
                    }
                    TagValue::Literal(s) => {
                        self.check_variables(&s.value, s.span, keys, Code::InvalidConditionValue);
                        s.value.clone()
                    }
                };
                let _ = span;
                Some((op.to_string(), key, Value::String(value)))
            }
            Condition::General {
                operator,
                key,
                values,
                list,
                ..
            } => {
                let Some(base) = base_operator(&operator.name) else {
                    let candidates: Vec<String> = OPERATORS
                        .iter()
                        .flat_map(|o| [o.to_string(), format!("{o}IfExists")])
                        .collect();
                    let mut d = Diagnostic::new(
                        Code::UnknownConditionOperator,
                        operator.span,
                        format!("unknown condition operator `{}`", operator.name),
                    );
                    d = match did_you_mean(&operator.name, candidates.iter().map(String::as_str)) {
                        Some(s) => d.with_suggestion(operator.span, s),
                        None => d.with_help("IAM's operators are StringEquals, StringLike, ArnLike, Bool, NumericLessThan, DateGreaterThan, IpAddress, Null, … (with `IfExists` and `ForAnyValue:`/`ForAllValues:`)"),
                    };
                    self.err(d);
                    return None;
                };
                if let Some(Some(ty)) =
                    self.check_condition_key(&key.value, key.span, keys, KeyAt::OwnString)
                {
                    self.check_operator_type(&operator.name, base, &key.value, ty, operator.span);
                }
                for v in values {
                    self.check_condition_value(base, &v.value, v.span, keys);
                }
                if values.is_empty() {
                    self.err(Diagnostic::new(
                        Code::ConditionWithoutValue,
                        key.span,
                        "a condition needs at least one value",
                    ));
                }
                let vals: Vec<Value> = values
                    .iter()
                    .map(|v| Value::String(v.value.clone()))
                    .collect();
                let value = if *list || vals.len() != 1 {
                    Value::Array(vals)
                } else {
                    vals.into_iter().next().unwrap_or(Value::Null)
                };
                Some((operator.name.clone(), key.value.clone(), value))
            }
        }
    }

    /// Check a condition key's form and that IAM sets it for the statement;
    /// its type (`Some(None)` when the catalog does not know it), or `None`
    /// when the key is not one.
    fn check_condition_key(
        &mut self,
        key: &str,
        span: Span,
        keys: &KeyScope,
        at: KeyAt,
    ) -> Option<Option<ConditionKeyType>> {
        let well_formed = key.split_once(':').is_some_and(|(p, k)| {
            !p.is_empty()
                && !k.is_empty()
                && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
        if !well_formed {
            self.err(
                Diagnostic::new(
                    Code::InvalidConditionKey,
                    span,
                    format!("`{}` is not a condition key", text::escaped(key)),
                )
                .with_help("a condition key is `service:name`, e.g. \"aws:RequestedRegion\""),
            );
            return None;
        }
        // The name part: a tag key's characters at most. Never a quote, a
        // line break or a template sequence (`${`, `%{`), which no IAM key
        // has and which would end a string or start an interpolation in
        // the generated files' readers.
        let (service, name) = key.split_once(':').unwrap_or(("", key));
        if let Some((pos, c)) = text::first_outside(name, text::condition_key_char) {
            self.err(
                Diagnostic::new(
                    Code::InvalidConditionKey,
                    span,
                    format!(
                        "condition key `{}` has {} at character {}, which no IAM condition key has",
                        text::escaped(key),
                        text::show_char(c),
                        service.chars().count() + 1 + pos
                    ),
                )
                .with_help("after `service:`, a condition key holds letters, digits, spaces and `_ . : / = + - @` (a tag key after `aws:ResourceTag/`)"),
            );
            return None;
        }
        if self.empty_tag(key, span, at) {
            return None;
        }
        if let Some(tag) = key.strip_prefix("aws:PrincipalTag/") {
            self.use_principal_tag(tag, span);
        }
        self.known_key(key, span, keys, at)
    }

    /// A302 for a tag key with nothing after its `/` (`aws:PrincipalTag/`,
    /// `s3:ExistingObjectTag/`): one error saying so, instead of an unknown
    /// key and a tag without a name. True when reported.
    fn empty_tag(&mut self, key: &str, span: Span, at: KeyAt) -> bool {
        if !key.ends_with('/')
            || !matches!(
                lookup_key(&format!("{key}Tag"), &KeyScope::Any),
                KeyLookup::Known(_)
            )
        {
            return false;
        }
        let what = if at == KeyAt::Variable {
            format!("policy variable `${{{key}}}`")
        } else {
            format!("condition key `{key}`")
        };
        self.err(
            Diagnostic::new(
                Code::InvalidConditionKey,
                span,
                format!("{what} names no tag: the tag key after `/` is empty"),
            )
            .with_help(format!(
                "write the tag's key after the `/`, e.g. `{key}Team`"
            )),
        );
        true
    }

    /// A302: `key` (of a condition, or of a `${…}` variable) must be one IAM
    /// sets for the statement. Its type when it is.
    fn known_key(
        &mut self,
        key: &str,
        span: Span,
        keys: &KeyScope,
        at: KeyAt,
    ) -> Option<Option<ConditionKeyType>> {
        let variable = at == KeyAt::Variable;
        let what = if variable {
            format!("policy variable `${{{key}}}`")
        } else {
            format!("condition key `{key}`")
        };
        let d = match lookup_key(key, keys) {
            KeyLookup::Known(ty) => return Some(ty),
            KeyLookup::OtherService(owner) => Diagnostic::new(
                Code::UnknownConditionKey,
                span,
                format!("{what} is not available to this statement's actions"),
            )
            .with_help(format!(
                "`{key}` is a key of the service `{owner}`, and no action of this statement belongs to it: IAM never sets the key here, so the condition never matches; move it to a statement of `{owner}:…` actions"
            )),
            KeyLookup::Unknown => {
                let services: Vec<&Service> = match keys {
                    KeyScope::Services(s) => s.clone(),
                    KeyScope::Any => key
                        .split_once(':')
                        .and_then(|(p, _)| catalog::iam().service(p))
                        .into_iter()
                        .collect(),
                };
                let d = Diagnostic::new(Code::UnknownConditionKey, span, format!("unknown {what}"));
                match catalog::suggest_condition_key(key, &services) {
                    Some(s) if at == KeyAt::OwnString => {
                        d.with_suggestion(span, format!("\"{s}\""))
                    }
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => d.with_help(
                        "IAM never sets an unknown key, so the condition never matches: use a global key (`aws:…`) or a key of the statement's services, as the IAM Service Authorization Reference lists them",
                    ),
                }
            }
        };
        self.err(d);
        None
    }

    /// A509: an operator of another type than its key's (`DateGreaterThan`
    /// on a String key) compares nothing IAM documents.
    fn check_operator_type(
        &mut self,
        operator: &str,
        base: &str,
        key: &str,
        ty: ConditionKeyType,
        span: Span,
    ) {
        let Some(op_type) = operator_type(base) else {
            return;
        };
        if operator_fits(op_type, ty.base, key) {
            return;
        }
        self.err(
            Diagnostic::new(
                Code::OperatorKeyTypeMismatch,
                span,
                format!(
                    "`{operator}` compares {} values, but `{key}` is of type {ty}",
                    op_type.as_str()
                ),
            )
            .with_help(format!(
                "`{key}` is of type {ty}: compare it with {}{}",
                operators_of(ty.base),
                if ty.multivalued {
                    ", prefixed with `ForAnyValue:` or `ForAllValues:`"
                } else {
                    ""
                }
            )),
        );
    }

    fn check_condition_value(&mut self, base: &str, v: &str, span: Span, keys: &KeyScope) {
        if let Some(msg) = text::bad_char("the condition value", v, text::plain_text_char) {
            self.err(Diagnostic::new(Code::InvalidConditionValue, span, msg));
            return;
        }
        if v.contains("${") {
            self.check_variables(v, span, keys, Code::InvalidConditionValue);
            return;
        }
        let problem = match base {
            "Bool" | "Null" => (v != "true" && v != "false").then_some("`true` or `false`"),
            b if b.starts_with("Numeric") => v.parse::<f64>().is_err().then_some("a number"),
            b if b.starts_with("Date") => (!is_iso_date(v) && v.parse::<i64>().is_err())
                .then_some("an ISO 8601 date (\"2026-12-31T00:00:00Z\") or epoch seconds"),
            "IpAddress" | "NotIpAddress" => {
                (!is_cidr(v)).then_some("an IP address or CIDR block (\"203.0.113.0/24\")")
            }
            b if b.starts_with("Arn") => (!is_arn_pattern(v) && v != "*").then_some("an ARN"),
            _ => None,
        };
        if let Some(expected) = problem {
            self.err(
                Diagnostic::new(
                    Code::InvalidConditionValue,
                    span,
                    format!("`{v}` is not a valid value for `{base}`"),
                )
                .with_help(format!("`{base}` compares against {expected}")),
            );
        }
    }

    /// A304: a principal tag must be fed by an `attributes` mapping.
    pub(super) fn use_principal_tag(&mut self, key: &str, span: Span) {
        if self.attributes.contains_key(key) {
            self.scope.used.insert((Kind::Attribute, key.to_string()));
            self.scope
                .index
                .references
                .push((Kind::Attribute, key.to_string(), span));
            return;
        }
        // The `attributes` block did not parse: its keys are unknown, not missing.
        if self.inputs.broken_item("attributes").is_some() {
            return;
        }
        let known: Vec<&str> = self.attributes.keys().map(String::as_str).collect();
        // A near-miss of a mapped key is a typo (an unknown name); anything
        // else is a tag no attribute feeds.
        let d = match did_you_mean(key, known.iter().copied()) {
            Some(s) => {
                let d = Diagnostic::new(Code::UnknownName, span, format!("unknown attribute `{key}`"));
                if span.len() == key.len() {
                    d.with_suggestion(span, s)
                } else {
                    d.with_help(format!("did you mean `{s}`?"))
                }
            }
            None => Diagnostic::new(
                Code::UnmappedPrincipalTag,
                span,
                format!("principal tag `{key}` has no `attributes` mapping"),
            )
            .with_help(format!(
                "no session carries this tag, so the condition never matches: map it in `attributes {{ {key} = \"${{path:…}}\" }}`"
            )),
        };
        self.err(d);
    }

    /// The statements of a policy's JSON file, and the first that allows `*` on `*`.
    fn lower_json_policy(&mut self, path: &Str) -> (Vec<Value>, Option<Span>) {
        let text = match self.inputs.program.externals.get(&path.span) {
            Some(External::Loaded(id)) => self.inputs.program.sources.get(*id).text.clone(),
            Some(External::Failed(why)) => {
                self.err(
                    Diagnostic::new(
                        Code::UnreadableFile,
                        path.span,
                        format!("cannot read policy `{}`: {why}", path.value),
                    )
                    .with_help("the path is relative to the directory of this file"),
                );
                return (Vec::new(), None);
            }
            None => return (Vec::new(), None),
        };
        let doc: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                self.err(Diagnostic::new(
                    Code::MalformedPolicyFile,
                    path.span,
                    format!("policy `{}` is not valid JSON: {e}", path.value),
                ));
                return (Vec::new(), None);
            }
        };
        let statements = match doc.get("Statement") {
            Some(Value::Array(a)) => a.clone(),
            Some(o @ Value::Object(_)) => vec![o.clone()],
            _ => {
                self.err(
                    Diagnostic::new(
                        Code::MalformedPolicyFile,
                        path.span,
                        format!("policy `{}` has no `Statement` list", path.value),
                    )
                    .with_help("an IAM policy document is `{\"Version\": \"2012-10-17\", \"Statement\": [ … ]}`"),
                );
                return (Vec::new(), None);
            }
        };
        if let Some(v) = doc.get("Version") {
            if v != "2012-10-17" {
                self.err(
                    Diagnostic::new(
                        Code::PolicyFileVersion,
                        path.span,
                        format!("policy `{}` has Version {v}", path.value),
                    )
                    .with_help(
                        "use \"2012-10-17\": older versions do not support policy variables",
                    ),
                );
            }
        }
        let mut out = Vec::new();
        let mut allow_all = None;
        for (i, st) in statements.iter().enumerate() {
            match self.check_json_statement(st, path.span) {
                Ok((facts, st)) => {
                    if let Some(span) = facts.allow_all {
                        allow_all.get_or_insert(span);
                    }
                    out.push(st);
                }
                Err(why) => self.err(Diagnostic::new(
                    Code::MalformedPolicyFile,
                    path.span,
                    format!(
                        "statement {} of `{}` is malformed: {why}",
                        i + 1,
                        path.value
                    ),
                )),
            }
        }
        (out, allow_all)
    }

    /// Validate a statement from a JSON document; spans all point at the file name.
    fn check_json_statement(
        &mut self,
        st: &Value,
        span: Span,
    ) -> Result<(StatementFacts, Value), String> {
        let obj = st.as_object().ok_or("a statement must be an object")?;
        for k in obj.keys() {
            if ![
                "Sid",
                "Effect",
                "Action",
                "NotAction",
                "Resource",
                "NotResource",
                "Condition",
            ]
            .contains(&k.as_str())
            {
                return Err(format!(
                    "unexpected field `{}` (permission set policies have no `Principal`)",
                    text::escaped(k)
                ));
            }
        }
        let effect = obj
            .get("Effect")
            .and_then(Value::as_str)
            .ok_or("`Effect` is missing")?;
        if effect != "Allow" && effect != "Deny" {
            return Err(format!(
                "`Effect` is `{}`, not `Allow` or `Deny`",
                text::escaped(effect)
            ));
        }
        let strings = |v: Option<&Value>| -> Option<Vec<String>> {
            match v? {
                Value::String(s) => Some(vec![s.clone()]),
                Value::Array(a) => a.iter().map(|x| x.as_str().map(str::to_string)).collect(),
                _ => None,
            }
        };
        let actions = strings(obj.get("Action"))
            .or_else(|| strings(obj.get("NotAction")))
            .ok_or("`Action` or `NotAction` must be a string or a list of strings")?;
        let resources = strings(obj.get("Resource"))
            .or_else(|| strings(obj.get("NotResource")))
            .ok_or("`Resource` or `NotResource` must be a string or a list of strings")?;
        for a in &actions {
            self.check_action(a, span);
        }
        let keys = KeyScope::of(
            obj.contains_key("NotAction") && !obj.contains_key("Action"),
            actions.iter().map(String::as_str),
        );
        for r in &resources {
            self.check_resource(r, span, &keys);
        }
        let scope = keys;
        if let Some(c) = obj.get("Condition") {
            let c = c.as_object().ok_or("`Condition` must be an object")?;
            for (op, keys) in c {
                let Some(base) = base_operator(op) else {
                    self.err(Diagnostic::new(
                        Code::UnknownConditionOperator,
                        span,
                        format!("unknown condition operator `{}`", text::escaped(op)),
                    ));
                    continue;
                };
                let keys = keys
                    .as_object()
                    .ok_or("each condition operator maps keys to values")?;
                for (k, v) in keys {
                    if let Some(Some(ty)) =
                        self.check_condition_key(k, span, &scope, KeyAt::Elsewhere)
                    {
                        self.check_operator_type(op, base, k, ty, span);
                    }
                    let vals = strings(Some(v))
                        .or_else(|| match v {
                            Value::Bool(b) => Some(vec![b.to_string()]),
                            Value::Number(n) => Some(vec![n.to_string()]),
                            _ => None,
                        })
                        .ok_or("a condition value must be a string or a list of strings")?;
                    for v in vals {
                        self.check_condition_value(base, &v, span, &scope);
                    }
                }
            }
        }
        let mut facts = StatementFacts::default();
        if effect == "Allow"
            && obj.contains_key("Action")
            && actions.iter().any(|a| a == "*")
            && obj.contains_key("Resource")
            && resources.iter().any(|r| r == "*")
            && !obj.contains_key("Condition")
        {
            facts.allow_all = Some(span);
        }
        Ok((facts, st.clone()))
    }
}

fn strip_prefix_ignore_case<'s>(s: &'s str, prefix: &str) -> Option<&'s str> {
    s.get(..prefix.len())
        .filter(|head| head.eq_ignore_ascii_case(prefix))
        .and_then(|_| s.get(prefix.len()..))
}

fn one_or_many(mut v: Vec<Value>) -> Value {
    if v.len() == 1 {
        v.pop().unwrap_or(Value::Null)
    } else {
        Value::Array(v)
    }
}

/// `{"Version": "2012-10-17", "Statement": [...]}`
pub fn policy_document(statements: Vec<Value>) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// Characters IAM counts against its size limits (whitespace outside strings is free).
pub fn non_whitespace_chars(doc: &Value) -> usize {
    serde_json::to_string(doc)
        .map(|s| s.chars().filter(|c| !c.is_whitespace()).count())
        .unwrap_or(0)
}

fn is_iso_date(s: &str) -> bool {
    let digits = |t: Option<&str>| t.is_some_and(|t| t.bytes().all(|b| b.is_ascii_digit()));
    digits(s.get(..4))
        && s.get(4..5) == Some("-")
        && digits(s.get(5..7))
        && s.get(7..8) == Some("-")
        && digits(s.get(8..10))
        && s.get(10..)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('T'))
}

fn is_cidr(s: &str) -> bool {
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    match addr.parse::<std::net::IpAddr>() {
        Ok(ip) => {
            let max = if ip.is_ipv4() { 32 } else { 128 };
            prefix.is_none_or(|p| p.parse::<u32>().is_ok_and(|n| n <= max))
        }
        Err(_) => false,
    }
}

pub fn is_iam_name(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.chars().count() <= max
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
}

fn is_iam_path(s: &str) -> bool {
    s == "/"
        || (s.len() <= 512
            && s.starts_with('/')
            && s.ends_with('/')
            && s.bytes().all(|b| (0x21..=0x7e).contains(&b)))
}
