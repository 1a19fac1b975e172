//! Functions to permission sets: AWS's format rules and quotas (A200–A207),
//! managed-policy names (A306), and the function-level lints (A501–A504, A507).

use super::names::Kind;
use super::statements::{non_whitespace_chars, policy_document};
use super::statements::{Policies, StatementCx};
use super::text;
use super::{Inputs, Scope, Sink};
use crate::ast::*;
use crate::aws_ids::is_sns_arn;
use crate::catalog;
use crate::diagnostic::{Code, Diagnostic};
use crate::model::*;
use crate::session_duration::SessionDuration;
use crate::span::Span;
use indexmap::IndexMap;
use serde_json::Value;
use std::collections::HashMap;

/// AWS's limits on an inline policy: bytes as sent, and non-whitespace characters.
pub const INLINE_MAX_BYTES: usize = 32_768;
pub const INLINE_MAX_CHARS: usize = 10_240;

/// Why a tag key is rejected by AWS, if it is.
pub fn tag_key_problem(k: &str) -> Option<String> {
    if k.is_empty() || k.chars().count() > 128 {
        return Some("keys are 1 to 128 characters".into());
    }
    if k.to_ascii_lowercase().starts_with("aws:") {
        return Some("the `aws:` prefix is reserved for AWS".into());
    }
    if let Some((pos, c)) = text::first_outside(k, text::tag_char) {
        return Some(format!(
            "it has {} at character {pos}; keys may hold letters, digits, spaces and `_ . : / = + - @`",
            text::show_char(c)
        ));
    }
    None
}

/// Lower every function to a `FunctionDef` (its names resolved, its inline
/// policy merged), check each against AWS's format rules and quotas, and
/// lint it; then the checks across functions (A207 for a permission set name
/// used twice, A504 for per-team copies).
pub(super) fn lower_functions<'a>(
    inputs: &Inputs<'a>,
    scope: &mut Scope<'a>,
    attributes: &IndexMap<String, AttributeDef>,
    policies: &Policies,
    quotas: &Quotas,
    sink: &mut Sink,
) -> IdxMap<FnIdx, FunctionDef> {
    let mut cx = FunctionCx {
        inputs,
        scope,
        attributes,
        policies,
        sink,
    };
    let mut functions = IdxMap::new();
    for item in inputs.items() {
        let ItemKind::Function(f) = &item.kind else {
            continue;
        };
        if cx
            .scope
            .names
            .get(Kind::Function, &f.name.name)
            .is_none_or(|d| d.span != f.name.span)
        {
            continue;
        }
        let written = cx.lower_function(f, item);
        check_limits(&written, quotas, policies, cx.sink);
        lint_function(&written, cx.sink);
        functions.insert(written.def.name.clone(), written.def);
    }
    lint_team_suffixes(&functions, sink);
    check_aws_names(&functions, sink);
    functions
}

/// Two functions may not become permission sets of the same name.
fn check_aws_names(functions: &IdxMap<FnIdx, FunctionDef>, sink: &mut Sink) {
    let mut seen: HashMap<String, (String, Span)> = HashMap::new();
    for f in functions.values() {
        if let Some((first, span)) = seen.get(&f.aws_name) {
            sink.push(
                Diagnostic::new(
                    Code::DuplicatePermissionSetName,
                    f.span,
                    format!("`{}` and `{first}` are both permission set `{}`", f.name, f.aws_name),
                )
                .with_related(*span, format!("`{first}` is defined here"))
                .with_help("permission set names are unique in an instance: give one of them another `name`"),
            );
        } else {
            seen.insert(f.aws_name.clone(), (f.name.clone(), f.span));
        }
    }
}

/// A lowered function and where each of its values was written: what the
/// limit checks and the lints read.
struct Written<'f> {
    def: FunctionDef,
    /// The function's name as declared.
    ident: &'f Ident,
    /// Where the AWS name was written: the `name` string, or the function's name.
    name_span: Span,
    /// Where the description was written: `description`, or the `///` comment.
    desc_span: Option<Span>,
    session: Option<&'f Duration>,
    relay: Option<&'f Str>,
    /// The `tags` line and its tags.
    tags: Option<(Span, &'f [Tag])>,
    /// The `notify` topic of a break-glass function.
    notify: Option<&'f Str>,
    /// The `break_glass` keyword, when the function has no `notify`.
    break_glass_without_notify: Option<Span>,
    /// The last `managed` or `customer` line (A204 points at it).
    managed_span: Option<Span>,
    has_boundary: bool,
    /// A reference to `AdministratorAccess`.
    admin: Option<Span>,
    /// The first statement, of the function or an inline policy, that allows `*` on `*`.
    allow_all: Option<Span>,
}

/// What lowering a function reads (the inputs, the ABAC map, the lowered
/// policies) and writes (the names' uses and references, the sink).
struct FunctionCx<'c, 'a> {
    inputs: &'c Inputs<'a>,
    scope: &'c mut Scope<'a>,
    attributes: &'c IndexMap<String, AttributeDef>,
    policies: &'c Policies,
    sink: &'c mut Sink,
}

impl<'a> FunctionCx<'_, 'a> {
    fn err(&mut self, d: Diagnostic) {
        self.sink.push(d);
    }

    fn statements(&mut self) -> StatementCx<'_, 'a> {
        StatementCx {
            inputs: self.inputs,
            scope: self.scope,
            attributes: self.attributes,
            sink: self.sink,
        }
    }

    /// AST to `FunctionDef`: each setting once (A101), references resolved,
    /// the inline policy merged from `inline` policies and the function's statements.
    fn lower_function<'f>(&mut self, f: &'f Function, item: &'f Item) -> Written<'f> {
        let mut seen: HashMap<&'static str, Span> = HashMap::new();
        let mut w = Written {
            def: FunctionDef {
                name: f.name.name.clone(),
                aws_name: f.name.name.clone(),
                description: item.doc.as_ref().map(|d| d.value.clone()),
                session: SessionDuration::DEFAULT,
                relay: None,
                managed: Vec::new(),
                customer: Vec::new(),
                boundary: None,
                inline: None,
                inline_sources: Vec::new(),
                tags: IndexMap::new(),
                break_glass: None,
                span: f.name.span,
                from_std: self.inputs.is_std(item.span),
            },
            ident: &f.name,
            name_span: f.name.span,
            desc_span: item.doc.as_ref().map(|d| d.span),
            session: None,
            relay: None,
            tags: None,
            notify: None,
            break_glass_without_notify: None,
            managed_span: None,
            has_boundary: false,
            admin: None,
            allow_all: None,
        };
        let def = &mut w.def;
        let mut statements = Vec::new();
        for prop in &f.props {
            let kw = prop.keyword();
            let prop_span = prop_span(prop);
            if let Some(prev) = seen.get(kw) {
                let prev = *prev;
                self.err(
                    Diagnostic::new(
                        Code::RepeatedSetting,
                        prop_span,
                        format!("`{kw}` is given twice in function `{}`", f.name.name),
                    )
                    .with_related(prev, "first given here")
                    .with_help(match kw {
                        "managed" | "customer" | "inline" | "tags" => {
                            format!("list every value in one `{kw}` line, separated by commas")
                        }
                        _ => format!("keep one `{kw}`"),
                    }),
                );
                continue;
            }
            seen.insert(kw, prop_span);
            match prop {
                FunctionProp::Description(s) => {
                    def.description = Some(s.value.clone());
                    w.desc_span = Some(s.span);
                }
                FunctionProp::Name(s) => {
                    def.aws_name = s.value.clone();
                    w.name_span = s.span;
                }
                FunctionProp::Session(d) => {
                    def.session = d.value;
                    w.session = Some(d);
                }
                FunctionProp::Relay(s) => {
                    def.relay = Some(s.value.clone());
                    w.relay = Some(s);
                }
                FunctionProp::Managed(refs) => {
                    w.managed_span = Some(prop_span);
                    for r in refs {
                        if let Some(m) = self.resolve_aws_managed(r) {
                            if m.name == "AdministratorAccess" {
                                w.admin = Some(r.span());
                            }
                            if def.managed.iter().any(|x| x.arn == m.arn) {
                                self.err(Diagnostic::new(
                                    Code::PolicyListedTwice,
                                    r.span(),
                                    format!("`{}` is listed twice", m.name),
                                ));
                                continue;
                            }
                            def.managed.push(m);
                        }
                    }
                }
                FunctionProp::Customer(names) => {
                    w.managed_span = Some(prop_span);
                    for n in names {
                        if self
                            .scope
                            .resolve(Kind::ManagedPolicy, n, self.sink)
                            .is_some()
                        {
                            if def.customer.contains(&n.name) {
                                self.err(Diagnostic::new(
                                    Code::PolicyListedTwice,
                                    n.span,
                                    format!("`{}` is listed twice", n.name),
                                ));
                                continue;
                            }
                            def.customer.push(n.name.clone());
                        }
                    }
                }
                FunctionProp::Boundary(r) => {
                    w.has_boundary = true;
                    def.boundary = self.resolve_boundary(r);
                }
                FunctionProp::Inline(names) => {
                    for n in names {
                        if self.scope.resolve(Kind::Policy, n, self.sink).is_some() {
                            if let Some(p) = self.policies.defs.get(&n.name) {
                                statements.extend(p.statements.iter().cloned());
                            }
                            if let Some(s) = self.policies.allow_all.get(&n.name) {
                                w.allow_all.get_or_insert(*s);
                            }
                            def.inline_sources.push(n.name.clone());
                        }
                    }
                }
                FunctionProp::Tags(tags) => {
                    w.tags = Some((prop_span, tags));
                    for t in tags {
                        if def
                            .tags
                            .insert(t.key.name.clone(), t.value.value.clone())
                            .is_some()
                        {
                            self.err(Diagnostic::new(
                                Code::DuplicateTag,
                                t.key.span,
                                format!("tag `{}` is given twice", t.key.name),
                            ));
                        }
                    }
                }
                FunctionProp::BreakGlass { notify, span } => {
                    def.break_glass = Some(BreakGlass {
                        notify: notify.as_ref().map(|n| n.value.clone()),
                    });
                    w.notify = notify.as_ref();
                    if notify.is_none() {
                        w.break_glass_without_notify = Some(*span);
                    }
                }
            }
        }
        for st in &f.statements {
            let (v, facts) = self.statements().lower_statement(st);
            if let Some(s) = facts.allow_all {
                w.allow_all.get_or_insert(s);
            }
            self.sink.extend(facts.broad);
            statements.push(v);
        }
        if !statements.is_empty() {
            w.def.inline = Some(policy_document(statements));
        }
        w
    }

    /// An AWS-managed policy by name or quoted ARN.
    fn resolve_aws_managed(&mut self, r: &PolicyRef) -> Option<ManagedRef> {
        let cat = catalog::managed_policies();
        match r {
            PolicyRef::Name(n) => {
                if let Some(arn) = cat.arn(&n.name) {
                    return Some(ManagedRef {
                        name: n.name.clone(),
                        arn: arn.to_string(),
                        span: n.span,
                    });
                }
                if self.scope.names.get(Kind::ManagedPolicy, &n.name).is_some() {
                    self.scope
                        .used
                        .insert((Kind::ManagedPolicy, n.name.clone()));
                    self.err(
                        Diagnostic::new(
                            Code::WrongKind,
                            n.span,
                            format!(
                                "`{}` is a customer managed policy, not an AWS-managed one",
                                n.name
                            ),
                        )
                        .with_help(format!("reference it with `customer {}`", n.name)),
                    );
                    return None;
                }
                let mut d = Diagnostic::new(
                    Code::UnknownManagedPolicy,
                    n.span,
                    format!("unknown AWS-managed policy `{}`", n.name),
                );
                d = match cat.suggest(&n.name) {
                    Some(s) => d.with_suggestion(n.span, s),
                    None => d.with_help("AWS-managed policy names are listed in the AWS Managed Policy Reference; a policy of your own is a `managed_policy`"),
                };
                self.err(d);
                None
            }
            PolicyRef::Arn(s) => {
                if let Some(name) = cat.by_arn(&s.value) {
                    return Some(ManagedRef {
                        name: name.to_string(),
                        arn: s.value.clone(),
                        span: s.span,
                    });
                }
                let parts: Vec<&str> = s.value.splitn(6, ':').collect();
                let owner_and_resource = match parts.as_slice() {
                    ["arn", "aws" | "aws-cn" | "aws-us-gov", "iam", "", owner, resource]
                        if resource.len() > "policy/".len() && resource.starts_with("policy/") =>
                    {
                        Some((*owner, *resource))
                    }
                    _ => None,
                };
                let Some((owner, resource)) = owner_and_resource else {
                    self.err(
                        Diagnostic::new(Code::InvalidManagedPolicyArn, s.span, format!("`{}` is not a managed policy ARN", s.value))
                            .with_help("an AWS-managed policy ARN looks like \"arn:aws:iam::aws:policy/job-function/ViewOnlyAccess\"; or write its name"),
                    );
                    return None;
                };
                if owner == "aws" {
                    // An AWS-managed policy newer than the catalog: the quoted
                    // ARN is the documented way to reference it.
                    let name = resource.rsplit('/').next().unwrap_or_default().to_string();
                    return Some(ManagedRef {
                        name,
                        arn: s.value.clone(),
                        span: s.span,
                    });
                }
                self.err(
                    Diagnostic::new(Code::CustomerPolicyByArn, s.span, "a customer managed policy cannot be attached by ARN")
                        .with_help("permission sets reference customer managed policies by name and path: declare it `managed_policy NAME { path \"/…/\" external }` and write `customer NAME`"),
                );
                None
            }
        }
    }

    fn resolve_boundary(&mut self, r: &PolicyRef) -> Option<BoundaryRef> {
        if let PolicyRef::Name(n) = r {
            if let Some(d) = self.scope.names.get(Kind::ManagedPolicy, &n.name).copied() {
                self.scope
                    .used
                    .insert((Kind::ManagedPolicy, n.name.clone()));
                self.scope
                    .index
                    .references
                    .push((Kind::ManagedPolicy, n.name.clone(), n.span));
                let path = match &d.item.kind {
                    ItemKind::ManagedPolicy(mp) => {
                        mp.path.as_ref().map_or("/".into(), |p| p.value.clone())
                    }
                    _ => "/".into(),
                };
                return Some(BoundaryRef::Customer {
                    name: n.name.clone(),
                    path,
                });
            }
            if let Some(def) = self.scope.names.get(Kind::Policy, &n.name).map(|d| d.span) {
                self.scope.used.insert((Kind::Policy, n.name.clone()));
                self.err(
                    Diagnostic::new(Code::WrongKind, n.span, format!("`{}` is a policy, not a managed policy", n.name))
                        .with_related(def, format!("`{}` is defined here", n.name))
                        .with_help("a boundary is a managed policy: declare it with `managed_policy`, or name an AWS-managed policy"),
                );
                return None;
            }
            if catalog::managed_policies().arn(&n.name).is_none() {
                let declared: Vec<String> = self
                    .scope
                    .names
                    .names_of(Kind::ManagedPolicy)
                    .map(str::to_string)
                    .collect();
                // A typo of a declared policy is an unknown name; anything else
                // is taken for an AWS-managed name.
                if let Some(s) =
                    crate::diagnostic::did_you_mean(&n.name, declared.iter().map(String::as_str))
                {
                    self.err(
                        Diagnostic::new(
                            Code::UnknownName,
                            n.span,
                            format!("unknown managed policy `{}`", n.name),
                        )
                        .with_suggestion(n.span, s),
                    );
                    return None;
                }
                let mut d = Diagnostic::new(
                    Code::UnknownManagedPolicy,
                    n.span,
                    format!("unknown AWS-managed policy `{}`", n.name),
                );
                d = match catalog::managed_policies().suggest(&n.name) {
                    Some(s) => d.with_suggestion(n.span, s),
                    None => d.with_help(
                        "a boundary is a declared `managed_policy` or an AWS-managed policy name",
                    ),
                };
                self.err(d);
                return None;
            }
        }
        self.resolve_aws_managed(r).map(|m| BoundaryRef::Aws {
            name: m.name,
            arn: m.arn,
        })
    }
}

/// AWS's format rules and quotas on a lowered function (A200–A207, A302 for
/// the topic): each value as AWS would receive it, at the place it was written.
fn check_limits(w: &Written<'_>, quotas: &Quotas, policies: &Policies, sink: &mut Sink) {
    let def = &w.def;
    let f = w.ident;
    if let Some(d) = w.session {
        let minutes = d.value.minutes();
        if !(60..=720).contains(&minutes) {
            sink.push(
                Diagnostic::new(
                    Code::SessionOutOfRange,
                    d.span,
                    format!(
                        "session `{}` is {}; AWS allows 1h to 12h",
                        d.text,
                        if minutes > 100_000 {
                            "far too long".to_string()
                        } else {
                            human_minutes(minutes)
                        }
                    ),
                )
                .with_help(if minutes > 720 {
                    "use at most `12h` (PT12H); shorter sessions are safer"
                } else {
                    "use at least `1h` (PT1H)"
                }),
            );
        }
    }
    if let Some(s) = w.relay {
        let len = s.value.chars().count();
        if len > 240 {
            sink.push(
                Diagnostic::new(
                    Code::RelayStateTooLong,
                    s.span,
                    format!("relay state is {len} characters; AWS allows 240"),
                )
                .with_help("link to a shorter console URL"),
            );
        } else if let Some(msg) = text::bad_char("relay state", &s.value, text::relay_char) {
            sink.push(
                Diagnostic::new(Code::RelayStateCharacter, s.span, msg)
                    .with_help("a relay state is a URL of letters, digits and `&$@#\\/%?=~-_'\"|!:,.;*+[]() {}`: percent-encode anything else"),
            );
        } else if !s.value.starts_with("https://") || s.value.len() <= 8 {
            sink.push(
                Diagnostic::new(Code::RelayStateNotHttps, s.span, "relay state must be an `https://` URL")
                    .with_help("point it at a console page, e.g. \"https://console.aws.amazon.com/lambda/home\""),
            );
        }
    }
    if let Some((_, tags)) = w.tags {
        for t in tags {
            if let Some(why) = tag_key_problem(&t.key.name) {
                sink.push(
                    Diagnostic::new(
                        Code::InvalidTagKey,
                        t.key.span,
                        format!("tag key `{}` is rejected by AWS: {why}", text::escaped(&t.key.name)),
                    )
                    .with_help("tag keys are 1–128 letters, digits, spaces and `_ . : / = + - @`, not starting with `aws:`"),
                );
            }
            let vlen = t.value.value.chars().count();
            if vlen > 256 {
                sink.push(
                    Diagnostic::new(
                        Code::TagValueTooLong,
                        t.value.span,
                        format!(
                            "the value of tag `{}` is {vlen} characters; AWS allows 256",
                            t.key.name
                        ),
                    )
                    .with_help("shorten the value"),
                );
            } else if let Some(msg) = text::bad_char(
                &format!("the value of tag `{}`", t.key.name),
                &t.value.value,
                text::tag_char,
            ) {
                sink.push(
                    Diagnostic::new(Code::TagValueCharacter, t.value.span, msg).with_help(
                        "tag values may hold letters, digits, spaces and `_ . : / = + - @`",
                    ),
                );
            }
        }
    }
    if let Some(n) = w.notify {
        if !is_sns_arn(&n.value) {
            sink.push(
                Diagnostic::new(
                    Code::InvalidTopicArn,
                    n.span,
                    format!("`{}` is not an SNS topic ARN", text::escaped(&n.value)),
                )
                .with_help("an SNS topic ARN is `arn:aws:sns:REGION:ACCOUNT:TOPIC`"),
            );
        }
    }
    // A206: accessc adds its ownership tag (and a break-glass marker) to the user's.
    if let Some((span, _)) = w.tags {
        let added = usize::from(!def.tags.contains_key(crate::ir::OWNERSHIP_TAG.0))
            + usize::from(def.break_glass.is_some());
        let total = def.tags.len() + added;
        if total > 50 {
            sink.push(
                Diagnostic::new(
                    Code::TooManyTags,
                    span,
                    format!("{} tags, {total} with the {added} accessc adds; AWS allows 50 on a permission set", def.tags.len()),
                )
                .with_help("drop tags that no policy or report reads (accessc adds `ManagedBy`, and `accessc:BreakGlass` on break-glass functions)"),
            );
        }
    }
    // A200, A207: the AWS name.
    let n = &def.aws_name;
    if n.is_empty()
        || n.chars().count() > 32
        || !n
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
    {
        sink.push(
            Diagnostic::new(
                Code::InvalidPermissionSetName,
                w.name_span,
                format!(
                    "permission set name `{}` is not accepted by AWS",
                    text::escaped(n)
                ),
            )
            .with_help(if n.chars().count() > 32 {
                format!(
                    "it is {} characters; AWS allows 32: shorten it or give `name \"…\"`",
                    n.chars().count()
                )
            } else {
                "use 1–32 letters, digits and `_+=,.@-`".to_string()
            }),
        );
    }
    if n.starts_with("AWS") {
        sink.push(
            Diagnostic::new(Code::ControlTowerName, w.name_span, format!("`{n}` is a Control Tower name"))
                .with_help("permission sets named `AWS…` belong to AWS Control Tower: choose another name, or `name \"…\"`"),
        );
    }
    // A201
    if let (Some(d), Some(span)) = (&def.description, w.desc_span) {
        let count = d.chars().count();
        if count > 700 {
            sink.push(
                Diagnostic::new(
                    Code::DescriptionTooLong,
                    span,
                    format!("description is {count} characters; AWS allows 700"),
                )
                .with_help(
                    "shorten it: give a short `description \"…\"` (it wins over the `///` comment) and keep the long text in `//` comments",
                ),
            );
        } else if let Some(msg) = text::bad_char("description", d, text::description_char) {
            sink.push(
                Diagnostic::new(Code::DescriptionCharacter, span, msg)
                    .with_help("AWS accepts Latin-1 text in permission set descriptions (tabs and line breaks allowed, no other control characters)"),
            );
        }
    }
    // A204
    let count = def.managed.len() + def.customer.len();
    let quota = quotas.managed_policies as usize;
    if count > quota {
        let span = w.managed_span.unwrap_or(f.span);
        sink.push(
            Diagnostic::new(
                Code::TooManyManagedPolicies,
                span,
                format!("{count} managed policies on `{}`; the quota is {quota}", f.name),
            )
            .with_help(if quota < 20 {
                "consolidate into a customer managed policy, or raise the IAM quota in every member account and write `quotas { managed_policies 20 }`"
            } else {
                "20 is AWS's hard limit: consolidate into a customer managed policy"
            }),
        );
    }
    let Some(doc) = &def.inline else {
        return;
    };
    // IAM rejects an inline policy whose statement ids repeat.
    let statements = doc
        .get("Statement")
        .and_then(|s| s.as_array())
        .map_or(&[][..], Vec::as_slice);
    let mut sids: Vec<&str> = Vec::new();
    let mut dups: Vec<String> = Vec::new();
    for st in statements {
        if let Some(sid) = st.get("Sid").and_then(|v| v.as_str()) {
            if sids.contains(&sid) {
                if !dups.iter().any(|d| d == sid) {
                    dups.push(sid.to_string());
                }
            } else {
                sids.push(sid);
            }
        }
    }
    for sid in dups {
        sink.push(
            Diagnostic::new(
                Code::DuplicateStatementId,
                f.span,
                format!(
                    "statement id `{sid}` appears twice in the inline policy of `{}`",
                    f.name
                ),
            )
            .with_help(
                "IAM rejects repeated statement ids in one policy: rename one of the statements",
            ),
        );
    }
    // A203
    let (bytes, chars) = inline_size(doc);
    if bytes > INLINE_MAX_BYTES || chars > INLINE_MAX_CHARS {
        let what = if chars > INLINE_MAX_CHARS {
            format!(
                "{} non-whitespace characters; IAM allows {}",
                thousands(chars),
                thousands(INLINE_MAX_CHARS)
            )
        } else {
            format!(
                "{} bytes; AWS allows {}",
                thousands(bytes),
                thousands(INLINE_MAX_BYTES)
            )
        };
        let mut d = Diagnostic::new(
            Code::InlinePolicyTooLarge,
            f.span,
            format!("the inline policy of `{}` is {what}", f.name),
        );
        // The policies merged into it, largest first: where it grew.
        let mut sources: Vec<(usize, &str, Span)> = def
            .inline_sources
            .iter()
            .filter_map(|n| policies.defs.get(n))
            .map(|p| {
                let size = p.statements.iter().map(non_whitespace_chars).sum::<usize>();
                (size, p.name.as_str(), p.span)
            })
            .collect();
        sources.sort_by_key(|s| std::cmp::Reverse(s.0));
        sources.dedup_by(|a, b| a.1 == b.1);
        for (size, name, span) in sources.into_iter().take(3) {
            d = d.with_related(
                span,
                format!(
                    "`{name}` adds {} non-whitespace characters",
                    thousands(size)
                ),
            );
        }
        sink.push(d.with_help(
            "move statements into a customer managed policy (`managed_policy` + `customer`)",
        ));
    }
}

/// An inline policy's size as AWS counts it: bytes as sent, and non-whitespace characters.
fn inline_size(doc: &Value) -> (usize, usize) {
    let text = serde_json::to_string(doc).unwrap_or_default();
    (text.len(), non_whitespace_chars(doc))
}

/// The lints of one function (A501, A502, A503, A507); none for the
/// standard library's functions.
fn lint_function(w: &Written<'_>, sink: &mut Sink) {
    let def = &w.def;
    let f = w.ident;
    if def.from_std {
        return;
    }
    // A503
    if let Some(span) = w.break_glass_without_notify {
        sink.push(
            Diagnostic::new(
                Code::BreakGlassWithoutNotify,
                span,
                "break-glass function without `notify`",
            )
            .with_help(
                "add `notify \"arn:aws:sns:REGION:ACCOUNT:TOPIC\"` so every use pages security",
            ),
        );
    }
    // A507: large, though under the limit (A203).
    if let Some(doc) = &def.inline {
        let (bytes, chars) = inline_size(doc);
        let too_large = bytes > INLINE_MAX_BYTES || chars > INLINE_MAX_CHARS;
        if !too_large && chars > INLINE_MAX_CHARS / 2 {
            sink.push(
                Diagnostic::new(
                    Code::LargeInlinePolicy,
                    f.span,
                    format!("the inline policy of `{}` is {} non-whitespace characters, over half of IAM's {}", f.name, thousands(chars), thousands(INLINE_MAX_CHARS)),
                )
                .with_help("move it to a customer managed policy: reviewable in IAM, and room to grow"),
            );
        }
    }
    // A501, A502
    if def.break_glass.is_none() {
        if !w.has_boundary {
            sink.push(
                Diagnostic::new(Code::NoPermissionsBoundary, f.span, format!("function `{}` has no permissions boundary", f.name))
                    .with_help("add `boundary NAME` (a managed_policy or an AWS-managed policy) to cap what the role can ever do"),
            );
        }
        if let Some(span) = w.admin.or(w.allow_all) {
            let what = if w.admin.is_some() {
                "`AdministratorAccess`"
            } else {
                "`allow * on *`"
            };
            sink.push(
                Diagnostic::new(Code::AdminOutsideBreakGlass, span, format!("{what} in `{}`, which is not a break-glass function", f.name))
                    .with_help("grant the job's actions instead; keep full admin in one `break_glass` function"),
            );
        }
    }
}

/// A504: `X-TeamA`, `X-TeamB` with the same shape: one function plus ABAC.
fn lint_team_suffixes(functions: &IdxMap<FnIdx, FunctionDef>, sink: &mut Sink) {
    let mut groups: IndexMap<(String, String), Vec<&FunctionDef>> = IndexMap::new();
    for f in functions.values() {
        if f.from_std {
            continue;
        }
        let Some(i) = f.name.rfind(['-', '_']) else {
            continue;
        };
        let (base, suffix) = (&f.name[..i], &f.name[i + 1..]);
        if base.is_empty() || suffix.is_empty() {
            continue;
        }
        let shape = format!(
            "{}|{:?}|{:?}|{:?}|{}",
            f.session.minutes(),
            f.managed.iter().map(|m| &m.arn).collect::<Vec<_>>(),
            f.customer,
            f.boundary.as_ref().map(|b| format!("{b:?}")),
            f.break_glass.is_some()
        );
        groups.entry((base.to_string(), shape)).or_default().push(f);
    }
    let mut out = Vec::new();
    for ((base, _), fs) in groups {
        let [first, rest @ ..] = fs.as_slice() else {
            continue;
        };
        if rest.is_empty() {
            continue;
        }
        let names: Vec<String> = fs.iter().map(|f| format!("`{}`", f.name)).collect();
        for f in rest {
            out.push(
                Diagnostic::new(
                    Code::PerTeamCopies,
                    f.span,
                    format!("{} differ only by a team suffix", names.join(", ")),
                )
                .with_related(first.span, "a sibling is defined here")
                .with_help(format!(
                    "keep one `{base}` and scope it with ABAC: `when resource.tag.Team == principal.tag.Team`"
                )),
            );
        }
    }
    sink.extend(out);
}

fn prop_span(p: &FunctionProp) -> Span {
    match p {
        FunctionProp::Description(s) | FunctionProp::Relay(s) | FunctionProp::Name(s) => s.span,
        FunctionProp::Session(d) => d.span,
        FunctionProp::Managed(r) => r
            .iter()
            .map(PolicyRef::span)
            .reduce(Span::to)
            .unwrap_or_default(),
        FunctionProp::Customer(v) | FunctionProp::Inline(v) => v
            .iter()
            .map(|i| i.span)
            .reduce(Span::to)
            .unwrap_or_default(),
        FunctionProp::Boundary(r) => r.span(),
        FunctionProp::Tags(t) => t
            .iter()
            .map(|t| t.span)
            .reduce(Span::to)
            .unwrap_or_default(),
        FunctionProp::BreakGlass { span, .. } => *span,
    }
}

/// `10240` → `10,240`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn human_minutes(m: u64) -> String {
    match (m / 60, m % 60) {
        (0, m) => format!("{m} minutes"),
        (h, 0) => format!("{h} hours"),
        (h, m) => format!("{h}h{m:02}m"),
    }
}
