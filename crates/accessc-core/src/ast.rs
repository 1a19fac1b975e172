//! The syntax tree of `.access` programs, as the parser builds it: names are
//! still text, nothing is resolved. Every node that a diagnostic may point at
//! carries a [`Span`].

use crate::date::{Date, DateError};
use crate::session_duration::SessionDuration;
use crate::span::{FileId, Span};

/// A name as written, with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A string literal, unescaped, with the span of the whole literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Str {
    pub value: String,
    pub span: Span,
}

/// One parsed file.
#[derive(Debug, Clone, Default)]
pub struct Module {
    pub file: FileId,
    /// Shared: the language server's next parse of the file after an edit
    /// reuses every item the edit did not touch.
    pub items: Vec<std::sync::Arc<Item>>,
    /// Every comment in the file, in order (for `fmt`).
    pub comments: Vec<Comment>,
    /// Items that did not parse, by keyword and name where those could be
    /// read: their names are known, so a syntax error does not cascade into
    /// unknown-name errors wherever they are used.
    pub broken: Vec<(String, Ident)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub span: Span,
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct Item {
    pub kind: ItemKind,
    pub span: Span,
    /// `///` lines directly above the item, joined with newlines.
    pub doc: Option<Str>,
}

#[derive(Debug, Clone)]
pub enum ItemKind {
    Use(Use),
    Instance(Instance),
    Attributes(Vec<Attribute>),
    Org(OrgDecl),
    Group(Group),
    User(User),
    Policy(Policy),
    ManagedPolicy(ManagedPolicy),
    Function(Function),
    Grant(Grant),
    Forbid(Forbid),
    Limit(Limit),
    Quotas(Vec<Quota>),
}

impl ItemKind {
    /// The keyword that starts the item.
    pub fn keyword(&self) -> &'static str {
        match self {
            ItemKind::Use(_) => "use",
            ItemKind::Instance(_) => "instance",
            ItemKind::Attributes(_) => "attributes",
            ItemKind::Org(_) => "org",
            ItemKind::Group(_) => "group",
            ItemKind::User(_) => "user",
            ItemKind::Policy(_) => "policy",
            ItemKind::ManagedPolicy(_) => "managed_policy",
            ItemKind::Function(_) => "function",
            ItemKind::Grant(_) => "grant",
            ItemKind::Forbid(_) => "forbid",
            ItemKind::Limit(_) => "limit",
            ItemKind::Quotas(_) => "quotas",
        }
    }
}

#[derive(Debug, Clone)]
pub enum Use {
    /// `use std::guards`
    Std { module: Ident, span: Span },
    /// `use "shared/common.access"`
    File(Str),
}

#[derive(Debug, Clone, Default)]
pub struct Instance {
    pub arn: Option<Str>,
    pub identity_store: Option<Str>,
    pub region: Option<Str>,
    pub replicas: Vec<Str>,
    /// The AWS access portal URL (`start_url "https://…/start"`).
    pub start_url: Option<Str>,
    pub repeated: Vec<Repeated>,
}

#[derive(Debug, Clone)]
pub struct Attribute {
    pub key: Ident,
    pub value: Str,
}

#[derive(Debug, Clone)]
pub enum OrgDecl {
    Inline(OrgTree),
    From(Str),
}

#[derive(Debug, Clone, Default)]
pub struct OrgTree {
    pub root: Option<Str>,
    pub management: Option<Str>,
    pub ous: Vec<Ou>,
    pub accounts: Vec<Account>,
    pub repeated: Vec<Repeated>,
}

#[derive(Debug, Clone)]
pub struct Ou {
    pub name: Ident,
    pub id: Option<Str>,
    pub ous: Vec<Ou>,
    pub accounts: Vec<Account>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Account {
    pub name: Ident,
    pub id: Str,
    /// `suspended`, `pending_closure` or `closed` after the id; absent: active.
    pub state: Option<AccountState>,
    pub span: Span,
}

/// The state word of an inline account.
#[derive(Debug, Clone, Copy)]
pub struct AccountState {
    pub value: crate::org_snapshot::AccountStatus,
    pub span: Span,
}

impl AccountState {
    /// The word as written: `suspended`, `pending_closure` or `closed`.
    pub fn keyword(&self) -> &'static str {
        use crate::org_snapshot::AccountStatus as S;
        match self.value {
            S::Suspended => "suspended",
            S::PendingClosure => "pending_closure",
            S::Closed => "closed",
            S::Active | S::PendingActivation => "",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Group {
    pub name: Ident,
    pub display_name: Option<Str>,
    pub id: Option<Str>,
}

#[derive(Debug, Clone)]
pub struct User {
    pub name: Ident,
    pub user_name: Option<Str>,
    pub id: Option<Str>,
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub name: Ident,
    pub body: PolicyBody,
}

#[derive(Debug, Clone)]
pub enum PolicyBody {
    Statements(Vec<Statement>),
    FromJson(Str),
}

#[derive(Debug, Clone)]
pub struct ManagedPolicy {
    pub name: Ident,
    pub path: Option<Str>,
    pub description: Option<Str>,
    pub external: Option<Span>,
    pub statements: Vec<Statement>,
    pub blocks: Vec<InBlock>,
    /// `except OU, …` lines: OUs (and their sub-OUs) that get no body.
    pub except: Vec<McpExcept>,
    pub repeated: Vec<Repeated>,
}

/// One `except OU, …` line of a managed policy.
#[derive(Debug, Clone)]
pub struct McpExcept {
    pub ous: Vec<OuPath>,
    /// The line, keyword included.
    pub span: Span,
}

/// `in OU { … }` inside a managed policy; blocks may nest.
#[derive(Debug, Clone)]
pub struct InBlock {
    pub ou: OuPath,
    pub statements: Vec<Statement>,
    pub blocks: Vec<InBlock>,
    pub span: Span,
}

/// `Workloads/NonProd`
#[derive(Debug, Clone)]
pub struct OuPath {
    pub segments: Vec<Ident>,
    pub span: Span,
}

impl OuPath {
    pub fn text(&self) -> String {
        self.segments
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join("/")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

#[derive(Debug, Clone)]
pub struct Statement {
    pub sid: Option<Ident>,
    pub effect: Effect,
    pub not_action: bool,
    pub actions: Vec<Action>,
    pub not_resource: bool,
    pub resources: Vec<Resource>,
    pub conditions: Vec<Condition>,
    pub span: Span,
}

/// `*` or `service:Pattern`, as written.
#[derive(Debug, Clone)]
pub struct Action {
    pub text: String,
    pub span: Span,
}

/// `*` or a quoted ARN.
#[derive(Debug, Clone)]
pub struct Resource {
    pub text: String,
    /// True when written as a string literal.
    pub quoted: bool,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagScope {
    Resource,
    Request,
    Principal,
}

impl TagScope {
    pub fn keyword(self) -> &'static str {
        match self {
            TagScope::Resource => "resource",
            TagScope::Request => "request",
            TagScope::Principal => "principal",
        }
    }

    /// The global condition key prefix, `aws:ResourceTag` and so on.
    pub fn condition_key(self) -> &'static str {
        match self {
            TagScope::Resource => "aws:ResourceTag",
            TagScope::Request => "aws:RequestTag",
            TagScope::Principal => "aws:PrincipalTag",
        }
    }
}

/// `resource.tag.Department`
#[derive(Debug, Clone)]
pub struct TagRef {
    pub scope: TagScope,
    pub key: Ident,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum TagValue {
    Tag(TagRef),
    Literal(Str),
}

#[derive(Debug, Clone)]
pub enum Condition {
    /// `resource.tag.K == principal.tag.K`, `principal.tag.K != "v"`, …
    Tag {
        lhs: TagRef,
        negated: bool,
        rhs: TagValue,
        span: Span,
    },
    /// `StringEquals "aws:RequestedRegion" ["ap-northeast-1"]`
    General {
        operator: Ident,
        key: Str,
        values: Vec<Str>,
        /// Written as a bracketed list.
        list: bool,
        span: Span,
    },
}

impl Condition {
    pub fn span(&self) -> Span {
        match self {
            Condition::Tag { span, .. } | Condition::General { span, .. } => *span,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Function {
    pub name: Ident,
    pub props: Vec<FunctionProp>,
    pub statements: Vec<Statement>,
}

#[derive(Debug, Clone)]
pub enum FunctionProp {
    Description(Str),
    Session(Duration),
    Relay(Str),
    Managed(Vec<PolicyRef>),
    Customer(Vec<Ident>),
    Boundary(PolicyRef),
    Inline(Vec<Ident>),
    Tags(Vec<Tag>),
    BreakGlass { notify: Option<Str>, span: Span },
    Name(Str),
}

impl FunctionProp {
    pub fn keyword(&self) -> &'static str {
        match self {
            FunctionProp::Description(_) => "description",
            FunctionProp::Session(_) => "session",
            FunctionProp::Relay(_) => "relay",
            FunctionProp::Managed(_) => "managed",
            FunctionProp::Customer(_) => "customer",
            FunctionProp::Boundary(_) => "boundary",
            FunctionProp::Inline(_) => "inline",
            FunctionProp::Tags(_) => "tags",
            FunctionProp::BreakGlass { .. } => "break_glass",
            FunctionProp::Name(_) => "name",
        }
    }
}

/// A managed-policy reference: a name (declared or AWS-managed) or a quoted ARN.
#[derive(Debug, Clone)]
pub enum PolicyRef {
    Name(Ident),
    Arn(Str),
}

impl PolicyRef {
    pub fn span(&self) -> Span {
        match self {
            PolicyRef::Name(i) => i.span,
            PolicyRef::Arn(s) => s.span,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Tag {
    pub key: Ident,
    pub value: Str,
    pub span: Span,
}

/// A session duration, and the text it was written as (`4h`).
#[derive(Debug, Clone)]
pub struct Duration {
    pub value: SessionDuration,
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PrincipalKind {
    Group,
    User,
}

impl PrincipalKind {
    pub fn keyword(self) -> &'static str {
        match self {
            PrincipalKind::Group => "group",
            PrincipalKind::User => "user",
        }
    }
}

#[derive(Debug, Clone)]
pub struct PrincipalRef {
    pub kind: PrincipalKind,
    /// True when the kind keyword was written before this name.
    pub explicit_kind: bool,
    pub name: Ident,
}

#[derive(Debug, Clone)]
pub enum Target {
    Root(Span),
    Ou(OuPath),
    Account(Ident),
    AccountId(Str),
}

impl Target {
    pub fn span(&self) -> Span {
        match self {
            Target::Root(s) => *s,
            Target::Ou(p) => p.span,
            Target::Account(i) => i.span,
            Target::AccountId(s) => s.span,
        }
    }
}

/// A date as written (`until 2026-12-31`): the calendar date, or why the
/// digits name none (the checker reports it).
#[derive(Debug, Clone)]
pub struct DateLit {
    pub value: Result<Date, DateError>,
    pub span: Span,
}

impl DateLit {
    /// The date as written, `YYYY-MM-DD`.
    pub fn text(&self) -> String {
        match &self.value {
            Ok(d) => d.to_string(),
            Err(e) => e.written(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Grant {
    pub functions: Vec<Ident>,
    pub principals: Vec<PrincipalRef>,
    pub targets: Vec<Target>,
    pub except: Vec<Target>,
    pub owner: Option<Str>,
    pub until: Option<DateLit>,
    pub repeated: Vec<Repeated>,
}

#[derive(Debug, Clone)]
pub enum Forbid {
    /// `forbid A, B with C on T`: no principal holds one of the left and one of
    /// the right in the same account.
    Combination {
        left: Vec<Ident>,
        right: Vec<Ident>,
        targets: Vec<Target>,
    },
    /// `forbid user [F, …] [on T]`: no user grants (of those functions) there.
    User {
        functions: Vec<Ident>,
        targets: Vec<Target>,
    },
    /// `forbid F, … on T`: those functions are never granted there.
    Functions {
        functions: Vec<Ident>,
        targets: Vec<Target>,
    },
}

#[derive(Debug, Clone)]
pub struct Limit {
    pub functions: Vec<Ident>,
    pub targets: Vec<Target>,
}

#[derive(Debug, Clone)]
pub struct Quota {
    pub key: Ident,
    /// `None` when the number is too large for any quota (beyond `u64`).
    pub value: Option<u64>,
    /// The digits as written (leading zeros and all), for `fmt`.
    pub text: String,
    pub span: Span,
}

/// A single-value property written again in the same block (`region` twice in
/// `instance`, `owner` twice in a grant). The block's own field holds the first
/// occurrence, the one in effect; the checker reports each repetition (A101)
/// and `fmt` keeps it where it was written.
#[derive(Debug, Clone)]
pub struct Repeated {
    pub keyword: &'static str,
    pub value: PropValue,
    /// The repetition, keyword included.
    pub span: Span,
    /// The first occurrence, keyword included.
    pub first: Span,
}

/// The value of a [`Repeated`] property.
#[derive(Debug, Clone)]
pub enum PropValue {
    /// A property without a value (`external`).
    Flag,
    Str(Str),
    /// `replicas "a", "b"`
    List(Vec<Str>),
    Date(DateLit),
}
