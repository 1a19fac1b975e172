//! Syntax tree to checked [`Model`]: name resolution, every rule of
//! LANGUAGE.md section 4, and the expansion of grants into assignments.
//!
//! The checker never stops at the first problem: each phase builds as much
//! of the model as the input allows and writes its diagnostics to one sink.
//! Each phase is a function whose parameters are what it reads (the
//! `Inputs`, the parts of the model earlier phases produced) and, where it
//! resolves names, the `Scope`; it returns what it produces. [`check`]
//! calls them in order (the table in docs/ARCHITECTURE.md lists them).

mod functions;
mod grants_to_assignments;
pub use grants_to_assignments::EXPIRY_WARNING_DAYS;
mod names;
mod org;
mod repeated;
mod reuse;
pub use reuse::{CheckCache, Reuse};
mod settings;
mod statements;
pub(crate) mod text;
mod unused;

use crate::ast::*;
use crate::diagnostic::{sort_and_dedup, Code, Diagnostic, Severity};
use crate::load::Program;
use crate::model::*;
use crate::span::{FileId, Span};
pub use functions::thousands;
use indexmap::IndexMap;
pub use names::Kind;
use names::Names;
pub use statements::non_whitespace_chars;
use std::collections::HashSet;

/// The date the checker judges `until` against (`--today`).
pub type Today = crate::date::Date;

#[derive(Debug, Clone, Copy)]
pub struct CheckOptions {
    pub today: Today,
}

/// The result of checking: the model (as complete as the input allows) and
/// every diagnostic, sorted.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    pub model: Model,
    pub diagnostics: Vec<Diagnostic>,
    /// Where each name of each kind is defined, and where it is used.
    pub index: SymbolIndex,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    /// The model, when the checker reported no error: what lowering takes.
    pub fn checked_model(&self) -> Option<CheckedModel<'_>> {
        (!self.has_errors()).then_some(CheckedModel { model: &self.model })
    }

    /// The model, when its only errors are grants past their `until`
    /// (A401). Such a grant is whole in the model: `drift` lowers it and
    /// reports the live assignment as stale instead of stopping.
    pub fn checked_model_with_expired_grants(&self) -> Option<CheckedModel<'_>> {
        let blocking = self
            .diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error && !is_expired_grant(d));
        (!blocking).then_some(CheckedModel { model: &self.model })
    }
}

fn is_expired_grant(d: &Diagnostic) -> bool {
    d.code == Code::GrantExpired
}

/// A model the checker found no errors in (or only those that
/// [`Checked::checked_model_with_expired_grants`] accepts): the input of
/// [`crate::model_to_ir::lower`]. Only the checker makes one.
#[derive(Debug, Clone, Copy)]
pub struct CheckedModel<'a> {
    model: &'a Model,
}

impl<'a> CheckedModel<'a> {
    pub fn model(self) -> &'a Model {
        self.model
    }
}

/// Definitions and references of every name, for hover and navigation.
#[derive(Debug, Clone, Default)]
pub struct SymbolIndex {
    pub definitions: Vec<(Kind, String, Span)>,
    pub references: Vec<(Kind, String, Span)>,
}

/// Check a loaded program: each phase in turn, every one given what the
/// earlier ones produced and writing its diagnostics to one sink.
pub fn check(program: &Program, opts: &CheckOptions) -> Checked {
    check_phases(program, opts, None)
}

/// [`check`], reusing what the previous check with `cache` computed where
/// its inputs did not change (see [`CheckCache`]): the result is the same
/// as [`check`]'s. For a program checked again after each edit.
pub fn check_reusing(program: &Program, opts: &CheckOptions, cache: &mut CheckCache) -> Checked {
    check_phases(program, opts, Some(cache))
}

fn check_phases(program: &Program, opts: &CheckOptions, cache: Option<&mut CheckCache>) -> Checked {
    crate::diagnostic::reset_suggestion_budget();
    let inputs = Inputs::new(program, opts);
    let mut sink: Sink = program.diagnostics.clone();

    let mut scope = names::collect(&inputs, &mut sink);
    settings::check_uses(&inputs, &mut sink);
    let Settings {
        instance,
        attributes,
        quotas,
    } = settings::lower_settings(&inputs, &mut sink);
    repeated::check_repeated_properties(&inputs, &mut sink);
    let (org, org_known) = match org::lower_org(&inputs, &mut scope.index, &mut sink) {
        Ok(org) => (org, true),
        Err(failed) => (failed.declared_org(), false),
    };
    let org_view = OrgView {
        org: &org,
        known: org_known,
    };
    let principals = org::lower_principals(&inputs, &scope.names, &org, &mut sink);
    let policies = statements::lower_policies(&inputs, &mut scope, &attributes, &mut sink);
    let managed =
        statements::lower_managed_policies(&inputs, &mut scope, &attributes, org_view, &mut sink);
    let functions = functions::lower_functions(
        &inputs,
        &mut scope,
        &attributes,
        &policies,
        &quotas,
        &mut sink,
    );
    report_broad_managed(&functions, managed.broad, &mut sink);

    let mut model = Model {
        instance,
        attributes,
        org,
        principals,
        policies: policies.defs,
        managed_policies: managed.defs,
        functions,
        grants: IdxVec::new(),
        assignments: Vec::new(),
        quotas,
    };
    if let Some(cache) = cache {
        reuse::expand(&inputs, &mut scope, &mut model, org_known, &mut sink, cache);
    } else {
        let granted =
            grants_to_assignments::lower_grants(&inputs, &mut scope, &model, org_known, &mut sink);
        model.grants = granted.grants;
        model.assignments = granted.assignments;
        grants_to_assignments::check_assignments(&model, &mut sink);
        grants_to_assignments::check_rules(&inputs, &mut scope, &model, org_known, &mut sink);
        grants_to_assignments::check_quotas(&model, &mut sink);
    }
    unused::check_unused(&inputs, &scope, &model.attributes, &mut sink);

    let Scope { index, .. } = scope;
    let mut diags = sink;
    // The standard library is not the user's to fix: keep only its errors.
    diags.retain(|d| d.severity == Severity::Error || !inputs.is_std(d.span));
    sort_and_dedup(&mut diags);
    Checked {
        model,
        diagnostics: diags,
        index,
    }
}

/// Where every phase writes its diagnostics.
pub(crate) type Sink = Vec<Diagnostic>;

/// What every phase reads and none changes: the program, the options and
/// which files are the standard library's.
pub(crate) struct Inputs<'a> {
    pub program: &'a Program,
    pub opts: &'a CheckOptions,
    std_files: HashSet<FileId>,
}

impl<'a> Inputs<'a> {
    fn new(program: &'a Program, opts: &'a CheckOptions) -> Inputs<'a> {
        Inputs {
            program,
            opts,
            std_files: program.std_name.keys().copied().collect(),
        }
    }

    pub fn is_std(&self, span: Span) -> bool {
        self.std_files.contains(&span.file)
    }

    /// The name of a `kw` item (`org`, `attributes`) that did not parse
    /// (A100 is reported), if there is one.
    pub fn broken_item(&self, kw: &str) -> Option<&'a Ident> {
        self.program
            .modules
            .iter()
            .flat_map(|m| &m.broken)
            .find(|(k, _)| k == kw)
            .map(|(_, ident)| ident)
    }

    /// Every item of every module, in load order.
    pub fn items(&self) -> impl Iterator<Item = &'a Item> + 'a {
        self.program
            .modules
            .iter()
            .flat_map(|m| m.items.iter().map(|item| &**item))
    }
}

/// The names of the program and what the phases learn about them as they
/// resolve references: which are used, and where each is defined and used.
pub(crate) struct Scope<'a> {
    pub names: Names<'a>,
    /// (kind, name) pairs referenced anywhere (for A505).
    pub used: HashSet<(Kind, String)>,
    pub index: SymbolIndex,
}

/// `instance`, `attributes` and `quotas`, lowered.
pub(crate) struct Settings {
    pub instance: InstanceSettings,
    pub attributes: IndexMap<String, AttributeDef>,
    pub quotas: Quotas,
}

/// The org as the phases after it see it: `known` is false when an org
/// snapshot could not be read (A104), and names of OUs and accounts are then
/// not reported as unknown.
#[derive(Clone, Copy)]
pub(crate) struct OrgView<'c> {
    pub org: &'c Org,
    pub known: bool,
}

/// A500 for managed policies attached as `customer` somewhere: `broad` holds
/// each managed policy's warnings (a boundary allows broadly by design).
fn report_broad_managed(
    functions: &IdxMap<FnIdx, FunctionDef>,
    broad: Vec<(String, Diagnostic)>,
    sink: &mut Sink,
) {
    let attached: HashSet<&str> = functions
        .values()
        .flat_map(|f| f.customer.iter().map(String::as_str))
        .collect();
    for (mp, d) in broad {
        if attached.contains(mp.as_str()) {
            sink.push(d);
        }
    }
}

/// A101 for a second `instance`, `attributes`, `quotas` or `org` block.
fn duplicate_item(sink: &mut Sink, what: &str, span: Span, prev: Span) {
    let head = Span::new(
        span.file,
        span.start as usize,
        span.start as usize + what.len(),
    );
    sink.push(
        Diagnostic::new(
            Code::DuplicateBlock,
            head,
            format!("a second `{what}` block"),
        )
        .with_related(prev, "the first one is here")
        .with_help(format!("a program has one `{what}` block: merge them")),
    );
}
