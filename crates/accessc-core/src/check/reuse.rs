//! The expansion of grants, kept between checks of one program (the
//! language server checks after every edit).
//!
//! The expansion phase (lowering grants, their product, A404, A402, A503,
//! A508 and the per-account A208) reads the grants and a *context*: the
//! org, the principals, the functions' names and what coverage reads of
//! them, the managed policies' deployment, the quotas, the names of the
//! program, the date. [`CheckCache`] keeps each grant's result keyed by a
//! hash of its syntax (spans relative to the grant, so that a grant an
//! edit only moved keeps its results, moved with it) and the whole under a
//! hash of the context (and apart from it, where the context's definitions
//! are: when only that changed, the grants whose results hold a diagnostic,
//! which may point at a definition, are lowered again):
//!
//! - the context changed, or the org is not declared: everything is
//!   computed again;
//! - no grant changed (an edit of a function's policy, `session`, a
//!   description…): the previous results are used as they are;
//! - some grants changed in place (the same number of grants): only those
//!   are lowered again; the duplicate table is kept, their old triples
//!   removed from it and the new ones added, and A404, the owned
//!   assignments and coverage are recomputed for the grants that hold a
//!   triple the change touched. The per-account quota count is kept too,
//!   and the quota pass runs only when an account is over its quota.
//!
//! `forbid` and `limit` (A403) run over the assignments every time. The
//! result is always what [`super::check`] computes from scratch: the
//! differential tests of the language server compare the two after every
//! edit.

use super::grants_to_assignments::{
    self as gta, check_account_quota, check_instance_quota, grant_head, repeats_earlier, Coverage,
    Lowered, Reported,
};
use super::names::Kind;
use super::{Inputs, Scope, Sink};
use crate::ast::{DateLit, Grant, Ident, Item, ItemKind, Target};
use crate::diagnostic::Diagnostic;
use crate::model::*;
use crate::span::Span;
use crate::suggest::{set_suggestion_budget_state, suggestion_budget_state};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hash, Hasher};

type Triple = (PrincipalIdx, FnIdx, AccountIdx);

/// The largest (account × function) table of counts the per-account quota
/// is kept in between checks (16 MiB); past it, the quota pass runs over
/// every assignment each time.
const MAX_PAIR_COUNTS: usize = 1 << 22;

/// What a check keeps for the next check of the same program: see the
/// module's documentation. A fresh one (`Default`) makes the next check
/// compute everything.
#[derive(Default)]
pub struct CheckCache {
    keys: RandomState,
    expansion: Option<Box<Expansion>>,
}

impl std::fmt::Debug for CheckCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckCache")
            .field("grants", &self.expansion.as_ref().map(|e| e.entries.len()))
            .finish()
    }
}

impl CheckCache {
    /// How the last check used the cache.
    pub fn last_use(&self) -> Reuse {
        self.expansion.as_ref().map_or(Reuse::None, |e| e.reuse)
    }
}

/// How a check used what the previous one kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reuse {
    /// Nothing: the expansion was computed from scratch.
    #[default]
    None,
    /// Every grant's result was reused.
    All,
    /// This many grants were lowered again; the others were reused.
    Grants(usize),
}

/// One grant's results.
struct Entry {
    key: u64,
    lowered: Lowered,
    /// The assignments this grant gives first, in product order.
    owned: Vec<Assignment>,
    /// A404: the earlier grants this grant repeats.
    dups: Vec<Diagnostic>,
    /// A402 and A508 of its owned assignments.
    cover: Vec<Diagnostic>,
}

struct Expansion {
    context: u64,
    /// Where the context's definitions are.
    places: u64,
    entries: IdxVec<GrantIdx, Entry>,
    /// Each triple's first grant.
    owner: HashMap<Triple, GrantIdx>,
    /// Every grant of a triple that more than one grant gives, in order.
    extra: HashMap<Triple, Vec<GrantIdx>>,
    pairs: Option<PairCounts>,
    /// Each name the grants use, with how many grants use it.
    uses: HashMap<(Kind, String), usize>,
    reuse: Reuse,
}

/// Per (account, function), how many assignments there are; per account,
/// how many functions: the per-account quota, kept up to date.
struct PairCounts {
    functions: usize,
    count: Vec<u32>,
    distinct: Vec<u64>,
    limit: u64,
    /// Accounts over `limit`.
    over: usize,
}

impl PairCounts {
    fn new(model: &Model) -> Option<PairCounts> {
        let functions = model.functions.len();
        let accounts = model.org.accounts.len();
        let size = accounts.checked_mul(functions)?;
        (size <= MAX_PAIR_COUNTS).then(|| PairCounts {
            functions,
            count: vec![0; size],
            distinct: vec![0; accounts],
            limit: model.quotas.provisioned_per_account,
            over: 0,
        })
    }

    fn add(&mut self, a: &Assignment, up: bool) {
        let acct = a.account.index();
        let Some(c) = self
            .count
            .get_mut(acct * self.functions + a.function.index())
        else {
            return;
        };
        let Some(d) = self.distinct.get_mut(acct) else {
            return;
        };
        let was_over = *d > self.limit;
        if up {
            *c += 1;
            if *c == 1 {
                *d += 1;
            }
        } else {
            *c -= 1;
            if *c == 0 {
                *d -= 1;
            }
        }
        match (was_over, *d > self.limit) {
            (false, true) => self.over += 1,
            (true, false) => self.over -= 1,
            _ => {}
        }
    }
}

/// The expansion phase with `cache`: the same diagnostics, model, uses and
/// references as `lower_grants` and the passes over the assignments.
pub(super) fn expand<'a>(
    inputs: &Inputs<'a>,
    scope: &mut Scope<'a>,
    model: &mut Model,
    org_known: bool,
    sink: &mut Sink,
    cache: &mut CheckCache,
) {
    let budget = suggestion_budget_state();
    // Take the previous results out: a panic below leaves the cache empty.
    let previous = cache.expansion.take();
    if !model.org.declared || budget.1 > 0 {
        drop(previous);
        from_scratch(inputs, scope, model, org_known, sink);
        return;
    }
    let grants: IdxVec<GrantIdx, (&Item, &Grant)> = inputs
        .items()
        .filter_map(|item| match &item.kind {
            ItemKind::Grant(g) => Some((item, g)),
            _ => None,
        })
        .collect();
    let (context, places) = context_key(&cache.keys, inputs, scope, model, org_known);
    let keys: IdxVec<GrantIdx, u64> = grants
        .iter()
        .map(|(item, g)| grant_key(&cache.keys, item, g))
        .collect();
    let mut expansion = match previous {
        Some(e) if e.context == context && e.entries.len() == keys.len() => {
            // Definitions moved: a grant with a diagnostic may point at one.
            let moved = e.places != places;
            let changed: Vec<GrantIdx> = keys
                .iter_enumerated()
                .filter(|&(i, k)| {
                    let x = &e.entries[i];
                    x.key != *k
                        || moved && !(x.lowered.diagnostics.is_empty() && x.cover.is_empty())
                })
                .map(|(i, _)| i)
                .collect();
            if changed.len().saturating_mul(4) > keys.len().max(1) {
                None
            } else {
                update(
                    inputs, scope, model, org_known, e, &grants, &keys, changed, budget,
                )
            }
        }
        _ => None,
    };
    if expansion.is_none() {
        set_suggestion_budget_state(budget);
        expansion = build(inputs, scope, model, org_known, &grants, keys, context);
    }
    let Some(mut e) = expansion else {
        // A did-you-mean was refused its budget: nothing is kept, and the
        // phase runs as without a cache.
        set_suggestion_budget_state(budget);
        from_scratch(inputs, scope, model, org_known, sink);
        return;
    };
    e.context = context;
    e.places = places;
    emit(inputs, scope, model, org_known, sink, &e, budget.0);
    cache.expansion = Some(e);
}

/// The phase as [`super::check`] runs it without a cache.
fn from_scratch<'a>(
    inputs: &Inputs<'a>,
    scope: &mut Scope<'a>,
    model: &mut Model,
    org_known: bool,
    sink: &mut Sink,
) {
    let granted = gta::lower_grants(inputs, scope, model, org_known, sink);
    model.grants = granted.grants;
    model.assignments = granted.assignments;
    gta::check_assignments(model, sink);
    gta::check_rules(inputs, scope, model, org_known, sink);
    gta::check_quotas(model, sink);
}

/// Every grant lowered and its product taken; `None` when a did-you-mean
/// was refused its budget.
fn build<'a>(
    inputs: &Inputs<'a>,
    scope: &mut Scope<'a>,
    model: &mut Model,
    org_known: bool,
    grants: &IdxVec<GrantIdx, (&Item, &Grant)>,
    keys: IdxVec<GrantIdx, u64>,
    context: u64,
) -> Option<Box<Expansion>> {
    let lowered = gta::lower_each(inputs, scope, model, org_known, grants.iter().copied());
    if suggestion_budget_state().1 > 0 {
        return None;
    }
    let mut e = Box::new(Expansion {
        context,
        places: 0,
        entries: IdxVec::new(),
        owner: HashMap::default(),
        extra: HashMap::default(),
        pairs: PairCounts::new(model),
        uses: HashMap::default(),
        reuse: Reuse::None,
    });
    let total: usize = lowered
        .iter()
        .map(|l| product_len(&l.def))
        .fold(0, usize::saturating_add)
        .min(1 << 21);
    e.owner.reserve(total);
    for (l, &key) in lowered.into_iter().zip(keys.iter()) {
        let gi = e.entries.next_index();
        for t in product(&l.def) {
            add_holder(&mut e.owner, &mut e.extra, t, gi);
        }
        for u in &l.uses {
            *e.uses.entry(u.clone()).or_default() += 1;
        }
        e.entries.push(Entry {
            key,
            lowered: l,
            owned: Vec::new(),
            dups: Vec::new(),
            cover: Vec::new(),
        });
    }
    model.grants = e.entries.iter().map(|x| x.lowered.def.clone()).collect();
    let all: Vec<GrantIdx> = e.entries.indices().collect();
    settle(model, &mut e, &all);
    Some(e)
}

/// The previous expansion with the grants at `changed` lowered again;
/// `None` when a did-you-mean was refused its budget.
#[allow(clippy::too_many_arguments)]
fn update<'a>(
    inputs: &Inputs<'a>,
    scope: &mut Scope<'a>,
    model: &mut Model,
    org_known: bool,
    mut e: Box<Expansion>,
    grants: &IdxVec<GrantIdx, (&Item, &Grant)>,
    keys: &IdxVec<GrantIdx, u64>,
    changed: Vec<GrantIdx>,
    budget: (u64, u64),
) -> Option<Box<Expansion>> {
    let cost = e
        .entries
        .iter()
        .map(|x| x.lowered.cost)
        .fold(0, u64::saturating_add);
    if budget.0.saturating_add(cost) > crate::suggest::SUGGESTION_BUDGET {
        // From scratch, a did-you-mean of a grant could now be refused.
        return None;
    }
    // Grants that did not change but moved (an edit before them in their
    // file changed its length): their results move with them.
    let mut moves = Moves::default();
    for (gi, entry) in e.entries.iter_enumerated() {
        let now = grants[gi].0.span;
        let was = entry.lowered.def.span;
        if now != was && changed.binary_search(&gi).is_err() {
            moves
                .0
                .push((was, i64::from(now.start) - i64::from(was.start)));
        }
    }
    if !moves.0.is_empty() {
        moves.0.sort_unstable_by_key(|(s, _)| (s.file, s.start));
        for entry in e.entries.iter_mut() {
            moves.entry(entry);
        }
    }
    if changed.is_empty() {
        e.reuse = Reuse::All;
        model.grants = e.entries.iter().map(|x| x.lowered.def.clone()).collect();
        return Some(e);
    }
    // The did-you-means of the grants kept have been paid for; those of
    // the changed ones are paid now. Either way every one was answered
    // (nothing kept was refused), so the order they are paid in does not
    // change an answer.
    let kept: u64 = e
        .entries
        .iter_enumerated()
        .filter(|(i, _)| changed.binary_search(i).is_err())
        .map(|(_, x)| x.lowered.cost)
        .sum();
    set_suggestion_budget_state((budget.0.saturating_add(kept), budget.1));
    let lowered = gta::lower_each(
        inputs,
        scope,
        model,
        org_known,
        changed.iter().map(|&i| grants[i]),
    );
    if suggestion_budget_state().1 > 0 {
        return None;
    }
    let mut touched: Vec<Triple> = Vec::new();
    for (&gi, l) in changed.iter().zip(lowered) {
        let Expansion {
            entries,
            owner,
            extra,
            uses,
            ..
        } = &mut *e;
        let entry = &mut entries[gi];
        for t in product(&entry.lowered.def) {
            remove_holder(owner, extra, t, gi);
            touched.push(t);
        }
        for u in &entry.lowered.uses {
            if let Some(n) = uses.get_mut(u) {
                *n -= 1;
                if *n == 0 {
                    uses.remove(u);
                }
            }
        }
        for t in product(&l.def) {
            add_holder(owner, extra, t, gi);
            touched.push(t);
        }
        for u in &l.uses {
            *uses.entry(u.clone()).or_default() += 1;
        }
        entry.lowered = l;
        entry.key = keys[gi];
    }
    // The grants whose owned assignments or A404 may have changed: the
    // changed ones and every grant that gives a triple they gave or give.
    let lowered_again = changed.len();
    let mut affected: Vec<GrantIdx> = changed;
    for t in &touched {
        match e.extra.get(t) {
            Some(all) => affected.extend(all.iter().copied()),
            None => affected.extend(e.owner.get(t).copied()),
        }
    }
    affected.sort_unstable();
    affected.dedup();
    model.grants = e.entries.iter().map(|x| x.lowered.def.clone()).collect();
    settle(model, &mut e, &affected);
    e.reuse = Reuse::Grants(lowered_again);
    Some(e)
}

/// Recompute the owned assignments, A404 and coverage of the grants in
/// `which` (sorted), from the duplicate table; `model.grants` is up to date.
fn settle(model: &Model, e: &mut Expansion, which: &[GrantIdx]) {
    let mut coverage = Coverage::new(model);
    let Expansion {
        entries,
        owner,
        pairs,
        ..
    } = e;
    for &gi in which {
        if let Some(pairs) = pairs.as_mut() {
            for a in &entries[gi].owned {
                pairs.add(a, false);
            }
        }
        let def = &entries[gi].lowered.def;
        let head = grant_head(def.span);
        // A name listed twice gives a triple twice: keep the first.
        let repeats = has_repeats(&def.principals) || has_repeats(&def.functions);
        let mut mine: HashSet<Triple> = HashSet::default();
        let mut owned = Vec::new();
        let mut dup_with: Vec<(GrantIdx, Triple)> = Vec::new();
        for t in product(def) {
            let Some(&first) = owner.get(&t) else {
                continue;
            };
            if first == gi {
                if !repeats || mine.insert(t) {
                    owned.push(Assignment {
                        principal: t.0,
                        function: t.1,
                        account: t.2,
                        grant: gi,
                    });
                }
            } else if !dup_with.iter().any(|(x, _)| *x == first) {
                dup_with.push((first, t));
            }
        }
        let dups = dup_with
            .into_iter()
            .map(|(earlier, t)| repeats_earlier(model, entries[earlier].lowered.def.span, t, head))
            .collect();
        let mut reported: HashSet<Reported> = HashSet::default();
        let mut cover = Vec::new();
        for a in &owned {
            coverage.assignment(a, &mut reported, &mut cover);
        }
        if let Some(pairs) = pairs.as_mut() {
            for a in &owned {
                pairs.add(a, true);
            }
        }
        let entry = &mut entries[gi];
        entry.owned = owned;
        entry.dups = dups;
        entry.cover = cover;
    }
}

/// Write the expansion's results where the phase without a cache writes
/// them, in the same order; then the passes that are not kept.
fn emit<'a>(
    inputs: &Inputs<'a>,
    scope: &mut Scope<'a>,
    model: &mut Model,
    org_known: bool,
    sink: &mut Sink,
    e: &Expansion,
    spent: u64,
) {
    let cost: u64 = e.entries.iter().map(|x| x.lowered.cost).sum();
    set_suggestion_budget_state((spent.saturating_add(cost), 0));
    let total: usize = e.entries.iter().map(|x| x.owned.len()).sum();
    let mut assignments = Vec::with_capacity(total);
    for x in &e.entries {
        assignments.extend_from_slice(&x.owned);
        sink.extend(x.lowered.diagnostics.iter().cloned());
        scope
            .index
            .references
            .extend(x.lowered.references.iter().cloned());
    }
    model.assignments = assignments;
    scope.used.extend(e.uses.keys().cloned());
    for x in &e.entries {
        sink.extend(x.dups.iter().cloned());
    }
    let coverage = Coverage::new(model);
    if model
        .functions
        .iter_enumerated()
        .any(|(f, _)| coverage.may_notify(f))
    {
        let mut reported = HashSet::default();
        for a in &model.assignments {
            coverage.notify(a, &mut reported, sink);
        }
    }
    for x in &e.entries {
        sink.extend(x.cover.iter().cloned());
    }
    gta::check_rules(inputs, scope, model, org_known, sink);
    check_instance_quota(model, sink);
    if e.pairs.as_ref().is_none_or(|p| p.over > 0) {
        check_account_quota(model, sink);
    }
}

/// The grants that moved: each one's span before, and by how much it moved.
#[derive(Default)]
struct Moves(Vec<(Span, i64)>);

impl Moves {
    /// `span` where it is now: moved with the grant it lies in, if that one moved.
    fn span(&self, span: Span) -> Span {
        let at = self
            .0
            .partition_point(|(s, _)| (s.file, s.start) <= (span.file, span.start));
        match at.checked_sub(1).and_then(|i| self.0.get(i)) {
            Some(&(s, by)) if s.file == span.file && span.end <= s.end => shifted(span, by),
            _ => span,
        }
    }

    fn diagnostic(&self, d: &mut Diagnostic) {
        d.span = self.span(d.span);
        for l in &mut d.labels {
            l.span = self.span(l.span);
        }
        if let Some(s) = &mut d.suggestion {
            s.span = self.span(s.span);
        }
    }

    /// Move what a grant's entry holds: all of it when the grant moved (it
    /// lies in the grant), and its A404s, which name an earlier grant.
    fn entry(&self, entry: &mut Entry) {
        let span = entry.lowered.def.span;
        let by = self.span(span).start as i64 - span.start as i64;
        if by != 0 {
            let def = &mut entry.lowered.def;
            def.span = shifted(def.span, by);
            for (_, s) in &mut def.reached_by {
                *s = shifted(*s, by);
            }
            if let Some(s) = &mut def.only_target {
                *s = shifted(*s, by);
            }
            for (_, _, s) in &mut entry.lowered.references {
                *s = shifted(*s, by);
            }
            for d in entry.lowered.diagnostics.iter_mut().chain(&mut entry.cover) {
                self.diagnostic(d);
            }
        }
        for d in &mut entry.dups {
            self.diagnostic(d);
        }
    }
}

fn shifted(s: Span, by: i64) -> Span {
    let at = |x: u32| u32::try_from(i64::from(x) + by).unwrap_or(x);
    Span {
        file: s.file,
        start: at(s.start),
        end: at(s.end),
    }
}

fn product_len(def: &GrantDef) -> usize {
    def.principals
        .len()
        .saturating_mul(def.functions.len())
        .saturating_mul(def.accounts.len())
}

/// A grant's (principal, function, account) triples, in the order the
/// product is taken.
fn product(def: &GrantDef) -> impl Iterator<Item = Triple> + '_ {
    def.principals.iter().flat_map(move |&p| {
        def.functions
            .iter()
            .flat_map(move |&f| def.accounts.iter().map(move |&a| (p, f, a)))
    })
}

fn has_repeats<T: PartialEq>(v: &[T]) -> bool {
    v.iter()
        .enumerate()
        .any(|(i, x)| v.iter().take(i).any(|y| y == x))
}

fn add_holder(
    owner: &mut HashMap<Triple, GrantIdx>,
    extra: &mut HashMap<Triple, Vec<GrantIdx>>,
    t: Triple,
    g: GrantIdx,
) {
    let first = *owner.entry(t).or_insert(g);
    if first == g {
        return;
    }
    let all = extra.entry(t).or_insert_with(|| vec![first]);
    if let Err(at) = all.binary_search(&g) {
        all.insert(at, g);
    }
    if let Some(&first) = all.first() {
        owner.insert(t, first);
    }
}

fn remove_holder(
    owner: &mut HashMap<Triple, GrantIdx>,
    extra: &mut HashMap<Triple, Vec<GrantIdx>>,
    t: Triple,
    g: GrantIdx,
) {
    if let Some(all) = extra.get_mut(&t) {
        if let Ok(at) = all.binary_search(&g) {
            all.remove(at);
        }
        let first = all.first().copied();
        if all.len() <= 1 {
            extra.remove(&t);
        }
        match first {
            Some(first) => owner.insert(t, first),
            None => owner.remove(&t),
        };
    } else if owner.get(&t) == Some(&g) {
        owner.remove(&t);
    }
}

/// A hash of everything the expansion reads besides the grants, and apart
/// from it a hash of where each of those things is defined: a definition's
/// span reaches a grant's results only through a diagnostic's related span,
/// so when only the places changed (an edit moved definitions), the grants
/// whose results hold a diagnostic are lowered again and the others kept.
fn context_key(
    keys: &RandomState,
    inputs: &Inputs<'_>,
    scope: &Scope<'_>,
    model: &Model,
    org_known: bool,
) -> (u64, u64) {
    let mut h = keys.build_hasher();
    let mut at = keys.build_hasher();
    org_known.hash(&mut h);
    inputs.opts.today.hash(&mut h);
    let org = &model.org;
    (&org.root_id, org.management, org.declared).hash(&mut h);
    org.span.hash(&mut at);
    org.ous.len().hash(&mut h);
    for o in &org.ous {
        (&o.name, &o.path, &o.id, o.parent, &o.children, &o.accounts).hash(&mut h);
        o.span.hash(&mut at);
    }
    org.accounts.len().hash(&mut h);
    for a in &org.accounts {
        (&a.name, &a.id, a.ou, a.status).hash(&mut h);
        a.span.hash(&mut at);
    }
    model.principals.len().hash(&mut h);
    for p in &model.principals {
        (p.kind, &p.name, &p.display_name, &p.id).hash(&mut h);
        p.span.hash(&mut at);
    }
    model.functions.len().hash(&mut h);
    for f in model.functions.values() {
        (
            &f.name,
            f.from_std,
            f.break_glass.as_ref().map(|b| b.notify.is_some()),
            f.cmp_dependencies(),
        )
            .hash(&mut h);
    }
    model.managed_policies.len().hash(&mut h);
    for m in model.managed_policies.values() {
        (&m.name, m.external, m.default_body.is_some(), &m.excluded).hash(&mut h);
        m.span.hash(&mut at);
        for b in &m.ou_bodies {
            b.ou.hash(&mut h);
        }
    }
    let q = model.quotas;
    (
        q.managed_policies,
        q.permission_sets,
        q.provisioned_per_account,
    )
        .hash(&mut h);
    scope.names.defs.len().hash(&mut h);
    for ((kind, name), def) in &scope.names.defs {
        (kind, name).hash(&mut h);
        def.span.hash(&mut at);
    }
    let mut broken: Vec<&(Kind, String)> = scope.names.broken.iter().collect();
    broken.sort_unstable();
    broken.hash(&mut h);
    (h.finish(), at.finish())
}

/// A hash of one grant's syntax, with its spans relative to the grant's
/// start (a grant that only moved keeps its key).
fn grant_key(keys: &RandomState, item: &Item, g: &Grant) -> u64 {
    let mut h = keys.build_hasher();
    let base = item.span.start;
    let rel = move |s: Span| (s.file, s.start.wrapping_sub(base), s.end.wrapping_sub(base));
    rel(item.span).hash(&mut h);
    let ident = |i: &Ident, h: &mut dyn Hasher| {
        h.write(i.name.as_bytes());
        h.write_u8(0xff);
        rel(i.span).hash(&mut WrapHasher(h));
    };
    h.write_usize(g.functions.len());
    for f in &g.functions {
        ident(f, &mut h);
    }
    h.write_usize(g.principals.len());
    for p in &g.principals {
        (p.kind, p.explicit_kind).hash(&mut h);
        ident(&p.name, &mut h);
    }
    for targets in [&g.targets, &g.except] {
        h.write_usize(targets.len());
        for t in targets {
            match t {
                Target::Root(s) => (0u8, rel(*s)).hash(&mut h),
                Target::Ou(p) => {
                    (1u8, rel(p.span), p.segments.len()).hash(&mut h);
                    for s in &p.segments {
                        ident(s, &mut h);
                    }
                }
                Target::Account(n) => {
                    2u8.hash(&mut h);
                    ident(n, &mut h);
                }
                Target::AccountId(s) => (3u8, &s.value, rel(s.span)).hash(&mut h),
            }
        }
    }
    g.owner
        .as_ref()
        .map(|o| (&o.value, rel(o.span)))
        .hash(&mut h);
    match &g.until {
        None => 0u8.hash(&mut h),
        Some(DateLit { value, span }) => {
            rel(*span).hash(&mut h);
            match value {
                Ok(d) => (1u8, d).hash(&mut h),
                Err(e) => (2u8, e.to_string()).hash(&mut h),
            }
        }
    }
    h.finish()
}

/// A `&mut dyn Hasher` as a sized hasher, for `Hash::hash`.
struct WrapHasher<'h>(&'h mut dyn Hasher);

impl Hasher for WrapHasher<'_> {
    fn finish(&self) -> u64 {
        self.0.finish()
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.write(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_duplicate_table_keeps_the_first_grant_of_each_triple() {
        let (mut owner, mut extra) = (HashMap::default(), HashMap::default());
        let t = (PrincipalIdx::new(0), FnIdx::new(0), AccountIdx::new(0));
        let g = GrantIdx::new;
        add_holder(&mut owner, &mut extra, t, g(3));
        add_holder(&mut owner, &mut extra, t, g(1));
        add_holder(&mut owner, &mut extra, t, g(2));
        add_holder(&mut owner, &mut extra, t, g(1));
        assert_eq!(owner[&t], g(1));
        assert_eq!(extra[&t], vec![g(1), g(2), g(3)]);
        remove_holder(&mut owner, &mut extra, t, g(1));
        assert_eq!(owner[&t], g(2));
        remove_holder(&mut owner, &mut extra, t, g(3));
        assert_eq!(owner[&t], g(2));
        assert!(extra.is_empty());
        remove_holder(&mut owner, &mut extra, t, g(2));
        assert!(owner.is_empty());
    }
}
