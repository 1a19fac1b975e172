//! Grants to assignments: targets resolved and expanded to accounts, the
//! (principal × function × account) product, and everything decided on it:
//! user grants (A400, A401, A506), CMP coverage (A402), rules (A403),
//! duplicates (A404), quotas (A208) and the management account (A508).

use super::names::Kind;
use super::{Inputs, OrgView, Scope, Sink, SymbolIndex};
use crate::ast::*;
use crate::diagnostic::{did_you_mean, Code, Diagnostic};
use crate::model::*;
use crate::span::Span;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

/// The (function, grant) pairs one side of a `forbid … with …` rule holds.
type Held = Vec<(FnIdx, GrantIdx)>;

/// The most assignments the tables of the product are sized for up front.
const MAX_PRESIZED_ASSIGNMENTS: usize = 1 << 21;

/// The largest (account × function) bit table the quota check uses (32 MiB);
/// past it, each account's functions are a list.
const MAX_QUOTA_BITS_WORDS: usize = 1 << 22;

/// Days before `until` when a grant starts to warn (A506).
pub const EXPIRY_WARNING_DAYS: i64 = 14;

/// The grants, lowered: each `GrantDef` and the distinct assignments they
/// make, in grant order.
pub(super) struct Granted {
    pub grants: IdxVec<GrantIdx, GrantDef>,
    pub assignments: Vec<Assignment>,
}

/// Lower every grant: functions and principals resolved, targets expanded to
/// accounts, the product taken; user grants, dates and repeats checked.
/// `model` is complete but for its grants and assignments.
pub(super) fn lower_grants<'a>(
    inputs: &Inputs<'a>,
    scope: &mut Scope<'a>,
    model: &Model,
    org_known: bool,
    sink: &mut Sink,
) -> Granted {
    GrantCx {
        inputs,
        scope,
        model,
        org_known,
        sink,
        lookup: Lookup::new(model),
    }
    .grants()
}

/// One grant, lowered on its own by [`lower_each`]: what it wrote to the
/// sink and the scope, kept apart so that a later check can replay it.
pub(super) struct Lowered {
    pub def: GrantDef,
    pub diagnostics: Vec<Diagnostic>,
    pub references: Vec<(Kind, String, Span)>,
    pub uses: Vec<(Kind, String)>,
    /// What its did-you-means spent of the suggestion budget.
    pub cost: u64,
}

/// Lower each of `grants` as [`lower_grants`] does, but keep what each one
/// writes (diagnostics, references, uses) with it instead of in the sink
/// and the scope. The org must be declared (an undeclared one makes A405
/// depend on what earlier grants reported).
pub(super) fn lower_each<'a, 'g>(
    inputs: &Inputs<'a>,
    scope: &mut Scope<'a>,
    model: &Model,
    org_known: bool,
    grants: impl Iterator<Item = (&'g Item, &'g Grant)>,
) -> Vec<Lowered> {
    debug_assert!(model.org.declared);
    let used = std::mem::take(&mut scope.used);
    let references = std::mem::take(&mut scope.index.references);
    let mut sink = Sink::new();
    let mut cx = GrantCx {
        inputs,
        scope,
        model,
        org_known,
        sink: &mut sink,
        lookup: Lookup::new(model),
    };
    let mut out = Vec::new();
    for (item, g) in grants {
        let (spent, _) = crate::suggest::suggestion_budget_state();
        let def = cx.lower_grant(item, g);
        out.push(Lowered {
            def,
            diagnostics: std::mem::take(cx.sink),
            references: std::mem::take(&mut cx.scope.index.references),
            uses: cx.scope.used.drain().collect(),
            cost: crate::suggest::suggestion_budget_state().0 - spent,
        });
    }
    scope.used = used;
    scope.index.references = references;
    out
}

/// `forbid` and `limit` (A403), against the expanded assignments of `model`.
pub(super) fn check_rules<'a>(
    inputs: &Inputs<'a>,
    scope: &mut Scope<'a>,
    model: &Model,
    org_known: bool,
    sink: &mut Sink,
) {
    GrantCx {
        inputs,
        scope,
        model,
        org_known,
        sink,
        lookup: Lookup::new(model),
    }
    .rules()
}

/// The model's OUs, accounts and principals by name, built once per phase:
/// a grant's targets and principals are looked up in these instead of
/// searching the lists (each keeps the first of equal names, as a search
/// would find it).
struct Lookup<'m> {
    ou_by_path: HashMap<&'m str, OuIdx>,
    account_by_name: HashMap<&'m str, AccountIdx>,
    account_by_id: HashMap<&'m str, AccountIdx>,
    principals: HashMap<(PrincipalKind, &'m str), PrincipalIdx>,
}

impl<'m> Lookup<'m> {
    fn new(model: &'m Model) -> Lookup<'m> {
        let org = &model.org;
        let mut l = Lookup {
            ou_by_path: HashMap::default(),
            account_by_name: HashMap::default(),
            account_by_id: HashMap::default(),
            principals: HashMap::default(),
        };
        l.ou_by_path.reserve(org.ous.len());
        for (i, o) in org.ous.iter().enumerate() {
            l.ou_by_path.entry(o.path.as_str()).or_insert(OuIdx::new(i));
        }
        l.account_by_name.reserve(org.accounts.len());
        l.account_by_id.reserve(org.accounts.len());
        for (i, a) in org.accounts.iter().enumerate() {
            l.account_by_name
                .entry(a.name.as_str())
                .or_insert(AccountIdx::new(i));
            l.account_by_id
                .entry(a.id.as_str())
                .or_insert(AccountIdx::new(i));
        }
        l.principals.reserve(model.principals.len());
        for (i, p) in model.principals.iter().enumerate() {
            l.principals
                .entry((p.kind, p.name.as_str()))
                .or_insert(PrincipalIdx::new(i));
        }
        l
    }

    fn ou(&self, path: &str) -> Option<OuIdx> {
        self.ou_by_path.get(path).copied()
    }

    fn account_named(&self, name: &str) -> Option<AccountIdx> {
        self.account_by_name.get(name).copied()
    }

    fn account_with_id(&self, id: &str) -> Option<AccountIdx> {
        self.account_by_id.get(id).copied()
    }
}

impl OrgView<'_> {
    /// Resolve an OU path (absolute, or relative to `parent`).
    pub(super) fn resolve_ou(
        &self,
        path: &OuPath,
        parent: Option<OuIdx>,
        index: &mut SymbolIndex,
        sink: &mut Sink,
    ) -> Option<OuIdx> {
        let text = path.text();
        if let Some(p) = parent {
            let rel = format!("{}/{text}", self.org.ous[p].path);
            if let Some(i) = self.org.ou_by_path(&rel) {
                index.references.push((Kind::Ou, rel, path.span));
                return Some(i);
            }
        }
        if let Some(i) = self.org.ou_by_path(&text) {
            index.references.push((Kind::Ou, text, path.span));
            return Some(i);
        }
        if !self.org.declared {
            no_org(sink, path.span);
            return None;
        }
        if !self.known {
            return None;
        }
        if let Some(a) = self.org.accounts.iter().find(|a| a.name == text) {
            let span = a.span;
            sink.push(
                Diagnostic::new(
                    Code::WrongKind,
                    path.span,
                    format!("`{text}` is an account, not an OU"),
                )
                .with_related(span, format!("`{text}` is defined here"))
                .with_help(format!("write `account {text}` to target one account")),
            );
            return None;
        }
        let mut d = Diagnostic::new(Code::UnknownName, path.span, format!("unknown OU `{text}`"));
        // A path that names an OU from below the root (`NonProd` for `Workloads/NonProd`).
        let suffix = format!("/{text}");
        let tails: Vec<&str> = self
            .org
            .ous
            .iter()
            .filter(|o| o.path.ends_with(&suffix))
            .map(|o| o.path.as_str())
            .collect();
        d = if let &[only] = tails.as_slice() {
            d.with_suggestion(path.span, only)
        } else if let Some(s) = did_you_mean(&text, self.org.ous.iter().map(|o| o.path.as_str())) {
            d.with_suggestion(path.span, s)
        } else if let Some(a) = self.org.accounts.iter().find(|a| a.name == text) {
            d.with_help(format!(
                "`{}` is an account: write `account {}`",
                a.name, a.name
            ))
        } else if let Some(top) = self.org.ous.iter().find(|o| !o.path.contains('/')) {
            // An OU of this org, never a made-up one.
            d.with_help(format!(
                "OU paths start at the root, e.g. `{}`: name the OU with the OUs above it, or define it in the org",
                top.path
            ))
        } else {
            d.with_help(
                "the org has no OU: target `root` or `account NAME`, or define the OU in the org",
            )
        };
        sink.push(d);
        None
    }
}

/// The span A404, A403 and A208 point at: the grant's `grant` keyword.
pub(super) fn grant_head(span: Span) -> Span {
    Span::new(span.file, span.start as usize, span.start as usize + 5)
}

/// A404 at `head`: the grant repeats `triple`, which the grant at `prev`
/// gave first.
pub(super) fn repeats_earlier(
    model: &Model,
    prev: Span,
    (p, f, a): (PrincipalIdx, FnIdx, AccountIdx),
    head: Span,
) -> Diagnostic {
    let msg = format!(
        "`{}` already has `{}` in account `{}`",
        model.principals[p].name, model.functions[f].name, model.org.accounts[a].name
    );
    Diagnostic::new(
        Code::DuplicateGrant,
        head,
        format!("this grant repeats an earlier one: {msg}"),
    )
    .with_related(prev, "already granted here")
    .with_help("remove the overlap; each (principal, function, account) needs one grant")
}

/// A405 once: an OU or account is named and no org is declared.
fn no_org(sink: &mut Sink, span: Span) {
    if sink.iter().any(|d| d.code == Code::NoOrg) {
        return;
    }
    sink.push(
        Diagnostic::new(
            Code::NoOrg,
            span,
            "no org is declared, so no OU or account can be named",
        )
        .with_help("declare the organization: `org { … }` or `org from \"org.json\"`"),
    );
}

/// A grant that breaks a rule, the other grant of a forbidden combination
/// (when another grant holds the other half) and what is wrong.
type Breach = (GrantIdx, Option<GrantIdx>, String);

/// What lowering grants and checking rules read (the inputs, the model) and
/// write (the names' uses and references, the sink).
struct GrantCx<'c, 'a> {
    inputs: &'c Inputs<'a>,
    scope: &'c mut Scope<'a>,
    model: &'c Model,
    /// False when the org snapshot could not be read.
    org_known: bool,
    sink: &'c mut Sink,
    lookup: Lookup<'c>,
}

impl GrantCx<'_, '_> {
    fn err(&mut self, d: Diagnostic) {
        self.sink.push(d);
    }

    fn no_org(&mut self, span: Span) {
        no_org(self.sink, span);
    }

    fn resolve_ou(&mut self, path: &OuPath) -> Option<OuIdx> {
        // The common case, found by path; anything else (with its
        // diagnostics) as every phase resolves an OU.
        let text = path.text();
        if let Some(i) = self.lookup.ou(&text) {
            self.scope
                .index
                .references
                .push((Kind::Ou, text, path.span));
            return Some(i);
        }
        let org = OrgView {
            org: &self.model.org,
            known: self.org_known,
        };
        org.resolve_ou(path, None, &mut self.scope.index, self.sink)
    }

    /// The name of an account that two of `targets` both reach, if any
    /// (resolution errors are reported by `expand_targets`).
    fn overlapping_target(&self, targets: &[Target]) -> Option<String> {
        let org = &self.model.org;
        let mut seen: HashSet<AccountIdx> = HashSet::default();
        for t in targets {
            let mut accts = Vec::new();
            match t {
                Target::Root(_) => accts.extend(org.accounts.indices()),
                Target::Ou(p) => {
                    if let Some(o) = self.lookup.ou(&p.text()) {
                        org.accounts_under(o, &mut accts);
                    }
                }
                Target::Account(n) => accts.extend(self.lookup.account_named(&n.name)),
                Target::AccountId(s) => accts.extend(self.lookup.account_with_id(&s.value)),
            }
            accts.sort_unstable();
            accts.dedup();
            for a in accts {
                if !seen.insert(a) {
                    return Some(org.accounts[a].name.clone());
                }
            }
        }
        None
    }

    /// The accounts a list of targets covers, in org order, without repeats.
    pub(super) fn expand_targets(&mut self, targets: &[Target]) -> Vec<AccountIdx> {
        let mut out = Vec::new();
        for t in targets {
            match t {
                Target::Root(span) => {
                    if !self.model.org.declared {
                        self.no_org(*span);
                    }
                    out.extend(self.model.org.accounts.indices());
                }
                Target::Ou(p) => {
                    if let Some(o) = self.resolve_ou(p) {
                        self.model.org.accounts_under(o, &mut out);
                    }
                }
                Target::Account(n) => {
                    if let Some(i) = self.lookup.account_named(&n.name) {
                        self.scope
                            .index
                            .references
                            .push((Kind::Account, n.name.clone(), n.span));
                        out.push(i);
                    } else if !self.model.org.declared {
                        self.no_org(n.span);
                    } else if self.org_known {
                        let mut d = Diagnostic::new(
                            Code::UnknownName,
                            n.span,
                            format!("unknown account `{}`", n.name),
                        );
                        d = match did_you_mean(
                            &n.name,
                            self.model.org.accounts.iter().map(|a| a.name.as_str()),
                        ) {
                            Some(s) => d.with_suggestion(n.span, s),
                            None => {
                                d.with_help("accounts are named in the `org` block or snapshot")
                            }
                        };
                        self.err(d);
                    }
                }
                Target::AccountId(s) => {
                    if let Some(i) = self.lookup.account_with_id(&s.value) {
                        out.push(i);
                    } else if !crate::aws_ids::is_account_id(&s.value) {
                        self.err(
                            Diagnostic::new(
                                Code::InvalidAccountId,
                                s.span,
                                format!("`{}` is not an account id", s.value),
                            )
                            .with_help("an account id is 12 digits"),
                        );
                    } else if !self.model.org.declared {
                        self.no_org(s.span);
                    } else if !self.org_known {
                    } else {
                        self.err(
                            Diagnostic::new(Code::UnknownAccountId, s.span, format!("account `{}` is not in the org", s.value))
                                .with_help("add it to the `org` block, or refresh the snapshot with `accessc org snapshot`"),
                        );
                    }
                }
            }
        }
        let mut seen = HashSet::default();
        out.retain(|a| seen.insert(*a));
        out
    }

    /// A510 at each `account` or account-id target that names an account
    /// AWS will not assign in, unless `except` already removed it from
    /// `accounts`.
    fn inactive_targets(&mut self, targets: &[Target], accounts: &[AccountIdx]) {
        let org = &self.model.org;
        let mut found = Vec::new();
        for t in targets {
            let (span, hit) = match t {
                Target::Account(n) => (n.span, self.lookup.account_named(&n.name)),
                Target::AccountId(s) => (s.span, self.lookup.account_with_id(&s.value)),
                Target::Root(_) | Target::Ou(_) => continue,
            };
            if let Some(a) = hit.filter(|a| accounts.contains(a) && !org.is_assignable(*a)) {
                let acct = &org.accounts[a];
                found.push(
                    Diagnostic::new(
                        Code::InactiveAccountTarget,
                        span,
                        format!(
                            "account `{}` ({}) is {}: AWS will not assign access in it",
                            acct.name, acct.id, acct.status
                        ),
                    )
                    .with_help(format!(
                        "remove `{}` from the grant's targets; if the account was reopened, refresh the snapshot with `accessc org snapshot`",
                        acct.name
                    )),
                );
            }
        }
        for d in found {
            self.err(d);
        }
    }

    fn grants(&mut self) -> Granted {
        // Each lowered grant, and the span its A404s point at.
        let mut products: Vec<(GrantIdx, Span)> = Vec::new();
        let mut out = Granted {
            grants: IdxVec::new(),
            assignments: Vec::new(),
        };
        for item in self.inputs.items() {
            let ItemKind::Grant(g) = &item.kind else {
                continue;
            };
            let gi = out.grants.next_index();
            let def = self.lower_grant(item, g);
            products.push((gi, grant_head(def.span)));
            out.grants.push(def);
        }
        self.products(products, out)
    }

    /// Lower one grant: its functions and principals resolved, its targets
    /// expanded, its dates, owner, user principals and repeats checked.
    pub(super) fn lower_grant(&mut self, item: &Item, g: &Grant) -> GrantDef {
        let today = self.inputs.opts.today;
        {
            let mut functions = Vec::new();
            for f in &g.functions {
                if self.scope.resolve(Kind::Function, f, self.sink).is_some() {
                    if let Some(i) = self.model.functions.index_of(&f.name) {
                        functions.push(i);
                    }
                }
            }
            let mut principals = Vec::new();
            for p in &g.principals {
                let kind = if p.kind == PrincipalKind::User {
                    Kind::User
                } else {
                    Kind::Group
                };
                if self.scope.resolve(kind, &p.name, self.sink).is_some() {
                    if let Some(&i) = self.lookup.principals.get(&(p.kind, p.name.name.as_str())) {
                        principals.push(i);
                    }
                }
            }
            let mut accounts = self.expand_targets(&g.targets);
            let mut reached_by: Vec<(AccountIdx, Span)> = Vec::new();
            let only_target = match g.targets.as_slice() {
                [only] => Some(only.span()),
                _ => None,
            };
            if only_target.is_none() {
                let mut seen: HashSet<AccountIdx> = HashSet::default();
                for t in &g.targets {
                    for a in self.expand_targets(std::slice::from_ref(t)) {
                        if seen.insert(a) {
                            reached_by.push((a, t.span()));
                        }
                    }
                }
            }
            // An `except` that does not resolve (its error is reported once,
            // at the name) leaves the grant's reach unknown: expanded without
            // it, the grant would reach what the author excluded, and every
            // pass on assignments (rules, duplicates, coverage, quotas, the
            // management account) would report accounts it does not mean.
            let mut except_unresolved = false;
            if !g.except.is_empty() {
                let before = self.sink.len();
                let except: HashSet<AccountIdx> =
                    self.expand_targets(&g.except).into_iter().collect();
                except_unresolved = self.sink.iter().skip(before).any(Diagnostic::is_error);
                if !except_unresolved {
                    self.check_except_reach(&g.targets, &g.except, &accounts, &except);
                }
                accounts.retain(|a| !except.contains(a));
            }
            self.inactive_targets(&g.targets, &accounts);
            if except_unresolved {
                accounts.clear();
            }
            // AWS assigns nothing in a suspended, closing or closed account:
            // `root` and OU targets leave them out (build notes them), an
            // explicit `account` target is A510 above.
            accounts.retain(|&a| self.model.org.is_assignable(a));
            if let Some(DateLit {
                value: Err(e),
                span,
            }) = &g.until
            {
                self.err(
                    Diagnostic::new(Code::NotADate, *span, e.to_string())
                        .with_help("write a real date as `YYYY-MM-DD`, e.g. `2026-12-31`"),
                );
            }
            if let Some(o) = &g.owner {
                if let Some(msg) =
                    super::text::bad_char("the owner", &o.value, super::text::plain_text_char)
                {
                    self.err(
                        Diagnostic::new(Code::InvalidOwner, o.span, msg)
                            .with_help("an owner is one line of text, e.g. an email address"),
                    );
                }
            }
            // User grants: owner, until, expiry.
            for p in &g.principals {
                if p.kind != PrincipalKind::User {
                    continue;
                }
                let missing: Vec<&str> =
                    [("owner", g.owner.is_none()), ("until", g.until.is_none())]
                        .iter()
                        .filter(|(_, m)| *m)
                        .map(|(k, _)| *k)
                        .collect();
                if !missing.is_empty() {
                    self.err(
                        Diagnostic::new(
                            Code::UserGrantWithoutOwnerOrUntil,
                            p.name.span,
                            format!("grant to user `{}` without {}", p.name.name, missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(" and ")),
                        )
                        .with_help("user grants are exceptions: name who answers for it and when it ends, e.g. `owner \"secops@example.com\" until 2026-12-31`"),
                    );
                }
            }
            if let Some(DateLit { value: Ok(d), span }) = &g.until {
                let days = today.days_until(*d);
                if days < 0 {
                    self.err(
                        Diagnostic::new(
                            Code::GrantExpired,
                            *span,
                            format!("this grant expired on {d}"),
                        )
                        .with_help(format!(
                            "remove the grant (today is {today}), or extend `until` after review"
                        )),
                    );
                } else if days <= EXPIRY_WARNING_DAYS {
                    let when = match days {
                        0 => "today".to_string(),
                        1 => "tomorrow".to_string(),
                        n => format!("in {n} days"),
                    };
                    self.err(
                        Diagnostic::new(
                            Code::GrantExpiresSoon,
                            *span,
                            format!("this grant expires {when}"),
                        )
                        .with_help("renew it with its owner, or let it lapse and remove it"),
                    );
                }
            }
            let span = item.span;
            let head = grant_head(span);
            // Repeats inside this grant: a name listed twice, or targets that overlap.
            let mut repeated: Vec<String> = Vec::new();
            for (i, f) in g.functions.iter().enumerate() {
                if g.functions.iter().take(i).any(|x| x.name == f.name) {
                    repeated.push(format!("function `{}` is listed twice", f.name));
                }
            }
            for (i, p) in g.principals.iter().enumerate() {
                if g.principals
                    .iter()
                    .take(i)
                    .any(|x| x.name.name == p.name.name && x.kind == p.kind)
                {
                    repeated.push(format!(
                        "{} `{}` is listed twice",
                        p.kind.keyword(),
                        p.name.name
                    ));
                }
            }
            if let Some(acct) = self.overlapping_target(&g.targets) {
                repeated.push(format!("the targets reach account `{acct}` more than once"));
            }
            for why in repeated {
                self.err(
                    Diagnostic::new(Code::DuplicateGrant, head, format!("this grant repeats itself: {why}"))
                        .with_help("each (principal, function, account) needs one grant: drop the repeated name or the narrower target"),
                );
            }
            GrantDef {
                functions,
                principals,
                accounts,
                owner: g.owner.as_ref().map(|o| o.value.clone()),
                until: g
                    .until
                    .as_ref()
                    .and_then(|d| d.value.as_ref().ok().copied()),
                span,
                reached_by,
                only_target,
            }
        }
    }

    /// The grants' products, once every grant is lowered: the distinct
    /// assignments, and A404 where a grant repeats an earlier one.
    fn products(&mut self, products: Vec<(GrantIdx, Span)>, mut out: Granted) -> Granted {
        let mut seen: HashMap<(PrincipalIdx, FnIdx, AccountIdx), GrantIdx> = HashMap::default();
        // The products, once every grant is lowered, into tables sized for
        // them (bounded: a hostile program's product grows them as it goes).
        let total: usize = products
            .iter()
            .map(|&(gi, _)| {
                let g = &out.grants[gi];
                g.principals
                    .len()
                    .saturating_mul(g.functions.len())
                    .saturating_mul(g.accounts.len())
            })
            .fold(0, usize::saturating_add)
            .min(MAX_PRESIZED_ASSIGNMENTS);
        seen.reserve(total);
        out.assignments.reserve(total);
        let Granted {
            grants,
            assignments,
        } = &mut out;
        for (gi, head) in products {
            let GrantDef {
                principals,
                functions,
                accounts,
                ..
            } = &grants[gi];
            // The product; a triple an earlier grant already gave is A404,
            // once per earlier grant, naming the first such triple.
            let mut dup_with: Vec<(GrantIdx, (PrincipalIdx, FnIdx, AccountIdx))> = Vec::new();
            for &p in principals {
                for &f in functions {
                    for &a in accounts {
                        match seen.get(&(p, f, a)) {
                            Some(&earlier) if earlier != gi => {
                                if !dup_with.iter().any(|(e, _)| *e == earlier) {
                                    dup_with.push((earlier, (p, f, a)));
                                }
                            }
                            Some(_) => {}
                            None => {
                                seen.insert((p, f, a), gi);
                                assignments.push(Assignment {
                                    principal: p,
                                    function: f,
                                    account: a,
                                    grant: gi,
                                });
                            }
                        }
                    }
                }
            }
            for (earlier, triple) in dup_with {
                let d = repeats_earlier(self.model, grants[earlier].span, triple, head);
                self.err(d);
            }
        }
        out
    }

    /// A512 for each `except` OU or account that no target of the grant
    /// reaches: it excludes nothing, and was most likely meant for another
    /// grant or names the wrong OU. And A512 when the `except` removes every
    /// target: the grant grants nothing. `reach` is what the targets reach,
    /// `excluded` what the `except` removes. Nothing is said when a target
    /// does not resolve (that has its own error).
    fn check_except_reach(
        &mut self,
        targets: &[Target],
        except: &[Target],
        reach: &[AccountIdx],
        excluded: &HashSet<AccountIdx>,
    ) {
        let org = &self.model.org;
        if !self.org_known || !org.declared {
            return;
        }
        let within =
            |a: &str, b: &str| a == b || a.strip_prefix(b).is_some_and(|r| r.starts_with('/'));
        // Per target: the OUs it is or is under (`Some(None)` for `root`),
        // or `None` when it does not resolve.
        let mut reached: Vec<Option<Option<Vec<OuIdx>>>> = Vec::new();
        for t in targets {
            reached.push(match t {
                Target::Root(_) => Some(None),
                Target::Ou(p) => self.lookup.ou(&p.text()).map(|o| Some(vec![o])),
                Target::Account(n) => self
                    .lookup
                    .account_named(&n.name)
                    .map(|a| Some(org.ancestry(a))),
                Target::AccountId(s) => self
                    .lookup
                    .account_with_id(&s.value)
                    .map(|a| Some(org.ancestry(a))),
            });
        }
        if reached.iter().any(Option::is_none) {
            return;
        }
        let first = targets.first().map(Target::span);
        let last = targets.last().map(Target::span);
        let except_ous: Vec<&str> = except
            .iter()
            .filter_map(|e| match e {
                Target::Ou(p) => self.lookup.ou(&p.text()).map(|o| org.ous[o].path.as_str()),
                _ => None,
            })
            .collect();
        // Every target removed: an OU at or under an `except` OU, or whose
        // accounts are all excluded; an account excluded.
        let removed = |t: &Target| -> bool {
            let mut under = Vec::new();
            match t {
                Target::Root(_) => under.extend(org.accounts.indices()),
                Target::Ou(p) => {
                    let Some(o) = self.lookup.ou(&p.text()) else {
                        return false;
                    };
                    let path = org.ous[o].path.as_str();
                    if except_ous.iter().any(|e| within(path, e)) {
                        return true;
                    }
                    org.accounts_under(o, &mut under);
                }
                Target::Account(n) => under.extend(self.lookup.account_named(&n.name)),
                Target::AccountId(s) => under.extend(self.lookup.account_with_id(&s.value)),
            }
            !under.is_empty() && under.iter().all(|a| excluded.contains(a))
        };
        let mut found = Vec::new();
        if !targets.is_empty() && targets.iter().all(removed) {
            if let (Some(a), Some(b)) = (except.first(), except.last()) {
                let mut d = Diagnostic::new(
                    Code::ExceptOutsideTargets,
                    a.span().to(b.span()),
                    "`except` removes every account this grant targets: it grants nothing",
                )
                .with_label("excludes all of the targets");
                if let (Some(a), Some(b)) = (first, last) {
                    d = d.with_related(a.to(b), "the grant's targets");
                }
                found.push(d.with_help(
                    "`except` only narrows a grant: remove the grant if it should grant nothing, or name in `except` an OU or account under its targets",
                ));
            }
        }
        for e in except {
            let (span, what, kind) = match e {
                Target::Ou(p) => {
                    let Some(eo) = self.lookup.ou(&p.text()) else {
                        continue;
                    };
                    let epath = org.ous[eo].path.as_str();
                    let hit = targets.iter().zip(&reached).any(|(t, r)| match (t, r) {
                        (Target::Ou(_), Some(Some(ous))) => ous.iter().any(|&o| {
                            let tpath = org.ous[o].path.as_str();
                            within(epath, tpath) || within(tpath, epath)
                        }),
                        (_, Some(Some(chain))) => chain.contains(&eo),
                        _ => true,
                    });
                    if hit {
                        continue;
                    }
                    (p.span, format!("OU `{epath}`"), "an OU")
                }
                Target::Account(_) | Target::AccountId(_) => {
                    let (span, hit) = match e {
                        Target::Account(n) => (n.span, self.lookup.account_named(&n.name)),
                        Target::AccountId(s) => (s.span, self.lookup.account_with_id(&s.value)),
                        _ => continue,
                    };
                    let Some(a) = hit else {
                        continue;
                    };
                    if reach.contains(&a) {
                        continue;
                    }
                    let acct = &org.accounts[a];
                    let what = match e {
                        Target::AccountId(s) => format!("account `{}` ({})", acct.name, s.value),
                        _ => format!("account `{}`", acct.name),
                    };
                    (span, what, "an account")
                }
                Target::Root(_) => continue,
            };
            let mut d = Diagnostic::new(
                Code::ExceptOutsideTargets,
                span,
                format!("`except` names {what}, which this grant does not reach"),
            )
            .with_label("outside the grant's targets");
            if let (Some(a), Some(b)) = (first, last) {
                d = d.with_related(a.to(b), "the grant reaches only these");
            }
            let name = match e {
                Target::AccountId(s) => format!("\"{}\"", s.value),
                _ => what.split('`').nth(1).unwrap_or_default().to_string(),
            };
            found.push(d.with_help(format!(
                "`except` only narrows the grant's own targets: remove `{name}`, or name {kind} under them"
            )));
        }
        for d in found {
            self.err(d);
        }
    }

    fn rules(&mut self) {
        for item in self.inputs.items() {
            match &item.kind {
                ItemKind::Forbid(rule) => {
                    let text = crate::fmt::rule_line(&item.kind).unwrap_or_default();
                    self.check_forbid(rule, item.span, &text)
                }
                ItemKind::Limit(rule) => {
                    let text = crate::fmt::rule_line(&item.kind).unwrap_or_default();
                    self.check_limit(rule, item.span, &text)
                }
                _ => {}
            }
        }
    }

    fn function_set(&mut self, names: &[Ident]) -> HashSet<FnIdx> {
        let mut out = HashSet::default();
        for n in names {
            if self.scope.resolve(Kind::Function, n, self.sink).is_some() {
                if let Some(i) = self.model.functions.index_of(&n.name) {
                    out.insert(i);
                }
            }
        }
        out
    }

    fn scope_of(&mut self, targets: &[Target]) -> Option<HashSet<AccountIdx>> {
        if targets.is_empty() {
            return None;
        }
        Some(self.expand_targets(targets).into_iter().collect())
    }

    /// The accounts a rule's targets cover, or `None` when one of them does
    /// not resolve (its error is reported once, at the name): a rule judged
    /// on part of its targets would report grants it does not mean.
    fn rule_targets(&mut self, targets: &[Target]) -> Option<HashSet<AccountIdx>> {
        let before = self.sink.len();
        let accounts = self.expand_targets(targets);
        let failed = !self.org_known || self.sink.iter().skip(before).any(Diagnostic::is_error);
        (!failed).then(|| accounts.into_iter().collect())
    }

    fn check_forbid(&mut self, rule: &Forbid, rule_span: Span, rule_text: &str) {
        let (Forbid::Combination { targets, .. }
        | Forbid::User { targets, .. }
        | Forbid::Functions { targets, .. }) = rule;
        if !targets.is_empty() && self.rule_targets(targets).is_none() {
            return;
        }
        let mut broken: Vec<Breach> = Vec::new();
        match rule {
            Forbid::Combination {
                left,
                right,
                targets,
            } => {
                let l = self.function_set(left);
                let r = self.function_set(right);
                let scope = self.scope_of(targets);
                let mut held: HashMap<(PrincipalIdx, AccountIdx), (Held, Held)> =
                    HashMap::default();
                for a in &self.model.assignments {
                    if scope.as_ref().is_some_and(|s| !s.contains(&a.account)) {
                        continue;
                    }
                    let e = held.entry((a.principal, a.account)).or_default();
                    if l.contains(&a.function) {
                        e.0.push((a.function, a.grant));
                    }
                    if r.contains(&a.function) {
                        e.1.push((a.function, a.grant));
                    }
                }
                let mut keys: Vec<_> = held
                    .into_iter()
                    .filter(|(_, (x, y))| !x.is_empty() && !y.is_empty())
                    .collect();
                keys.sort_by_key(|(k, _)| *k);
                for ((p, acct), (x, y)) in keys {
                    for &(fx, gx) in &x {
                        for &(fy, gy) in &y {
                            if fx == fy {
                                continue;
                            }
                            let (g, other) = (gx.max(gy), gx.min(gy));
                            broken.push((
                                g,
                                (other != g).then_some(other),
                                format!(
                                    "`{}` holds both `{}` and `{}` in account `{}`",
                                    self.model.principals[p].name,
                                    self.model.functions[fx].name,
                                    self.model.functions[fy].name,
                                    self.model.org.accounts[acct].name
                                ),
                            ));
                        }
                    }
                }
            }
            Forbid::User { functions, targets } => {
                let fs = self.function_set(functions);
                let scope = self.scope_of(targets);
                for a in &self.model.assignments {
                    let p = &self.model.principals[a.principal];
                    if p.kind != PrincipalKind::User
                        || (!fs.is_empty() && !fs.contains(&a.function))
                        || scope.as_ref().is_some_and(|s| !s.contains(&a.account))
                    {
                        continue;
                    }
                    broken.push((
                        a.grant,
                        None,
                        format!(
                            "user `{}` is granted `{}` in account `{}`",
                            p.name,
                            self.model.functions[a.function].name,
                            self.model.org.accounts[a.account].name
                        ),
                    ));
                }
            }
            Forbid::Functions { functions, targets } => {
                let fs = self.function_set(functions);
                let scope = self.scope_of(targets).unwrap_or_default();
                for a in &self.model.assignments {
                    if fs.contains(&a.function) && scope.contains(&a.account) {
                        broken.push((
                            a.grant,
                            None,
                            format!(
                                "`{}` is granted in account `{}`",
                                self.model.functions[a.function].name,
                                self.model.org.accounts[a.account].name
                            ),
                        ));
                    }
                }
            }
        }
        self.report_broken(broken, rule_span, rule_text);
    }

    fn check_limit(&mut self, rule: &Limit, rule_span: Span, rule_text: &str) {
        let fs = self.function_set(&rule.functions);
        let Some(scope) = self.rule_targets(&rule.targets) else {
            return;
        };
        let mut broken = Vec::new();
        for a in &self.model.assignments {
            if fs.contains(&a.function) && !scope.contains(&a.account) {
                broken.push((
                    a.grant,
                    None,
                    format!(
                        "`{}` reaches account `{}`, outside its limit",
                        self.model.functions[a.function].name,
                        self.model.org.accounts[a.account].name
                    ),
                ));
            }
        }
        self.report_broken(broken, rule_span, rule_text);
    }

    /// One A403 per grant that breaks a rule, naming the first instance and a count.
    fn report_broken(&mut self, broken: Vec<Breach>, rule_span: Span, rule_text: &str) {
        let mut by_grant: Vec<(GrantIdx, Option<GrantIdx>, String, usize)> = Vec::new();
        for (g, other, msg) in broken {
            match by_grant.iter_mut().find(|(x, _, _, _)| *x == g) {
                Some(e) => e.3 += 1,
                None => by_grant.push((g, other, msg, 1)),
            }
        }
        by_grant.sort_by_key(|(g, _, _, _)| *g);
        for (g, other, msg, n) in by_grant {
            let more = if n > 1 {
                format!(" (and {} more)", n - 1)
            } else {
                String::new()
            };
            let span = self.model.grants[g].span;
            let head = Span::new(span.file, span.start as usize, span.start as usize + 5);
            let mut d = Diagnostic::new(
                Code::RuleBroken,
                head,
                format!("this grant breaks `{rule_text}`: {msg}{more}"),
            )
            .with_related(rule_span, "the rule");
            if let Some(other) = other {
                let o = self.model.grants[other].span;
                let o_head = Span::new(o.file, o.start as usize, o.start as usize + 5);
                d = d.with_related(o_head, "the other half is granted here");
            }
            self.err(
                d.with_help("narrow the grant with `except`, or change the rule if the separation is no longer wanted"),
            );
        }
    }
}

/// A402 (CMP coverage) and A508 (management account), once per grant and
/// function, and A503 for a standard break-glass function without `notify`.
pub(super) fn check_assignments(model: &Model, sink: &mut Sink) {
    let mut coverage = Coverage::new(model);
    let mut reported: HashSet<Reported> = HashSet::default();
    let mut out = Vec::new();
    for a in &model.assignments {
        coverage.notify(a, &mut reported, &mut out);
        coverage.assignment(a, &mut reported, &mut out);
    }
    sink.extend(out);
}

/// What A402, A503 and A508 have reported, so that each is reported once.
#[derive(PartialEq, Eq, Hash)]
pub(super) enum Reported {
    Notify(FnIdx),
    Management(GrantIdx, FnIdx),
    NotDeployed(GrantIdx, FnIdx, ManagedPolicyIdx),
}

/// What A402 and A508 read of the model, computed once per check: the
/// customer managed policies each function needs, and per policy which
/// accounts receive a body (as they are asked for).
pub(super) struct Coverage<'m> {
    model: &'m Model,
    deps: IdxVec<FnIdx, Vec<ManagedPolicyIdx>>,
    covered: HashMap<ManagedPolicyIdx, IdxVec<AccountIdx, bool>>,
}

impl<'m> Coverage<'m> {
    pub(super) fn new(model: &'m Model) -> Coverage<'m> {
        // The customer managed policies each function needs (deployed ones only).
        let deps = model
            .functions
            .values()
            .map(|f| {
                f.cmp_dependencies()
                    .into_iter()
                    .filter_map(|d| model.managed_policies.index_of(d))
                    .filter(|&i| !model.managed_policies[i].external)
                    .collect()
            })
            .collect();
        Coverage {
            model,
            deps,
            covered: HashMap::default(),
        }
    }

    /// Whether an assignment of `f` can be A503 (a standard break-glass
    /// function without `notify`).
    pub(super) fn may_notify(&self, f: FnIdx) -> bool {
        let f = &self.model.functions[f];
        f.from_std && f.break_glass.as_ref().is_some_and(|b| b.notify.is_none())
    }

    /// A503 at the first assignment of a standard break-glass function
    /// without `notify`.
    pub(super) fn notify(
        &self,
        a: &Assignment,
        reported: &mut HashSet<Reported>,
        out: &mut Vec<Diagnostic>,
    ) {
        if !self.may_notify(a.function) || !reported.insert(Reported::Notify(a.function)) {
            return;
        }
        let f = &self.model.functions[a.function];
        let g = &self.model.grants[a.grant];
        out.push(
            Diagnostic::new(
                Code::BreakGlassWithoutNotify,
                g.span,
                format!("`{}` from the standard library is a break-glass function without `notify`", f.name),
            )
            .with_help(format!(
                "define your own `function {} {{ … break_glass notify \"arn:aws:sns:…\" }}` (it shadows the standard one) so every use pages security",
                f.name
            )),
        );
    }

    /// A508 and A402 of one assignment (each once per grant and function:
    /// `reported` holds what was said).
    pub(super) fn assignment(
        &mut self,
        a: &Assignment,
        reported: &mut HashSet<Reported>,
        out: &mut Vec<Diagnostic>,
    ) {
        let model = self.model;
        let org = &model.org;
        let f = &model.functions[a.function];
        let g = &model.grants[a.grant];
        let acct = &org.accounts[a.account];
        let is_mgmt = org.management == Some(a.account);
        if is_mgmt
            && f.break_glass.is_none()
            && reported.insert(Reported::Management(a.grant, a.function))
        {
            out.push(
                Diagnostic::new(
                    Code::ManagementAccountReached,
                    g.target_span(a.account),
                    format!("`{}` reaches the management account `{}`", f.name, acct.name),
                )
                .with_help("keep the management account for break-glass only: add `except account NAME` (a delegated administrator cannot manage sets provisioned there)"),
            );
        }
        for &mi in &self.deps[a.function] {
            let mp = &model.managed_policies[mi];
            let dep = mp.name.as_str();
            let cover = self.covered.entry(mi).or_insert_with(|| {
                org.accounts
                    .indices()
                    .map(|acct| mp.body_for(org, acct).is_some())
                    .collect()
            });
            let deployed = !is_mgmt && cover[a.account];
            if deployed || !reported.insert(Reported::NotDeployed(a.grant, a.function, mi)) {
                continue;
            }
            // The `except` OU that keeps the policy out of the account, if any.
            let kept_out = org
                .ancestry(a.account)
                .into_iter()
                .find(|o| mp.excluded.contains(o))
                .map(|o| org.ous[o].path.as_str());
            let why = if is_mgmt {
                "service-managed StackSets never deploy to the management account".to_string()
            } else if let Some(ou) = kept_out {
                format!("its `except {ou}` keeps it out of that account")
            } else {
                "no `in` block of it covers that account".to_string()
            };
            out.push(
                Diagnostic::new(
                    Code::PolicyNotDeployed,
                    g.target_span(a.account),
                    format!(
                        "`{}` needs customer managed policy `{dep}` in account `{}`, where it is not deployed",
                        f.name, acct.name
                    ),
                )
                .with_related(mp.span, format!("`{dep}` is declared here; {why}"))
                .with_help(if is_mgmt {
                    format!("exclude the management account (`except account {}`), or mark `{dep}` `external` and create it there yourself", acct.name)
                } else if let Some(ou) = kept_out {
                    format!("leave that OU out of the grant (`except {ou}`), or remove `{ou}` from the `except` of `{dep}`")
                } else {
                    format!("add a body for that account's OU to `{dep}` (or a body outside `in` blocks), or narrow the grant")
                }),
            );
        }
    }
}

/// A208: permission sets per instance and per account.
pub(super) fn check_quotas(model: &Model, sink: &mut Sink) {
    check_instance_quota(model, sink);
    check_account_quota(model, sink);
}

/// A208: permission sets per instance.
pub(super) fn check_instance_quota(model: &Model, sink: &mut Sink) {
    let q = model.quotas;
    let total = model.functions.len() as u64;
    if total > q.permission_sets {
        if let Some(f) = model.functions.values().nth(q.permission_sets as usize) {
            let span = f.span;
            sink.push(
                Diagnostic::new(Code::TooManyPermissionSets, span, format!("{total} permission sets; the instance quota is {}", q.permission_sets))
                    .with_help("merge functions that differ by team into one with ABAC, or raise the quota and write `quotas { permission_sets N }`"),
            );
        }
    }
}

/// A208: permission sets per account.
pub(super) fn check_account_quota(model: &Model, sink: &mut Sink) {
    let q = model.quotas;
    // How many distinct functions each account gets: a bit per (account,
    // function) where that table is small enough, else a list per account.
    let accounts = model.org.accounts.len();
    let words = model.functions.len().div_ceil(64);
    let mut counts: Vec<u64> = vec![0; accounts];
    let mut over: Vec<(AccountIdx, GrantIdx)> = Vec::new();
    let mut note = |counts: &mut Vec<u64>, a: &Assignment| {
        if let Some(n) = counts.get_mut(a.account.index()) {
            *n += 1;
            if *n - 1 == q.provisioned_per_account {
                over.push((a.account, a.grant));
            }
        }
    };
    if accounts.saturating_mul(words) <= MAX_QUOTA_BITS_WORDS {
        let mut bits: Vec<u64> = vec![0; accounts * words];
        for a in &model.assignments {
            let (acct, f) = (a.account.index(), a.function.index());
            if acct >= accounts || f / 64 >= words {
                continue;
            }
            let Some(word) = bits.get_mut(acct * words + f / 64) else {
                continue;
            };
            if *word & (1 << (f % 64)) == 0 {
                *word |= 1 << (f % 64);
                note(&mut counts, a);
            }
        }
    } else {
        let mut per_account: Vec<Vec<FnIdx>> = vec![Vec::new(); accounts];
        for a in &model.assignments {
            let Some(v) = per_account.get_mut(a.account.index()) else {
                continue;
            };
            if !v.contains(&a.function) {
                v.push(a.function);
                note(&mut counts, a);
            }
        }
    }
    for (acct, g) in over {
        let n = counts.get(acct.index()).copied().unwrap_or(0);
        let span = model.grants[g].span;
        let head = Span::new(span.file, span.start as usize, span.start as usize + 5);
        let name = model.org.accounts[acct].name.clone();
        sink.push(
            Diagnostic::new(
                Code::TooManySetsInAccount,
                head,
                format!("account `{name}` gets {n} permission sets; the per-account quota is {}", q.provisioned_per_account),
            )
            .with_help("fewer functions per account (ABAC instead of per-team sets), or raise the quota and write `quotas { provisioned_per_account N }`"),
        );
    }
}
