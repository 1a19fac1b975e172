//! Load → check → render → exit: the one sequence every command that reads a
//! program runs.

use accessc_core::ast::{ItemKind, OrgDecl};
use accessc_core::diagnostic::Severity;
use accessc_core::ir::Ir;
use accessc_core::load::{load_with_options, External, LoadOptions};
use accessc_core::org_snapshot::OrgSnapshot;
use accessc_core::render::{render_human, summary, HumanOptions};
use accessc_core::span::{SourceFile, Span};
use accessc_core::{check, CheckOptions, Checked, CheckedModel, Program, RealFs, Today};
use std::path::Path;
use std::process::ExitCode;

use crate::term::{self, StageTimer};

/// Loads the program at `path` (a `.access` file or a directory). Exit 2
/// when it cannot be read or holds no `.access` file.
pub fn load(path: &Path, opts: &LoadOptions) -> Result<Program, ExitCode> {
    let program = load_with_options(&RealFs, path, opts).map_err(|e| term::cannot_read(path, e))?;
    if program.roots.is_empty() {
        eprintln!("error: no .access files in `{}`", path.display());
        return Err(ExitCode::from(2));
    }
    Ok(program)
}

/// How a command that needs the checked program runs the checker.
pub struct Checking<'a> {
    pub load: LoadOptions,
    pub today: Today,
    /// Grants past their `until` (A401) do not stop the command: `drift`
    /// reports them as stale instead.
    pub expired_grants_ok: bool,
    /// What the user is told when errors stop the command: `nothing was written`.
    pub consequence: &'a str,
    /// The program's warnings are shown on standard error when it has no
    /// errors (commands whose output is deployed: a warning does not stop
    /// them, and must not go unseen).
    pub show_warnings: bool,
}

impl<'a> Checking<'a> {
    /// How a command that writes or shows something checks its program: a
    /// program with any error, an expired grant included, stops it.
    pub fn strict(allow_outside_root: bool, today: Today, consequence: &'a str) -> Self {
        Checking {
            load: LoadOptions { allow_outside_root },
            today,
            expired_grants_ok: false,
            consequence,
            show_warnings: false,
        }
    }

    /// The same, with the program's warnings shown when it has no errors.
    pub fn showing_warnings(self) -> Self {
        Checking {
            show_warnings: true,
            ..self
        }
    }
}

/// Loads, checks and lowers the program to the IR; the rest is freed. When
/// the program has errors (other than the tolerated ones) they are rendered
/// on standard error and the command exits 1.
pub fn checked_ir(path: &Path, how: &Checking, timer: &StageTimer) -> Result<Ir, ExitCode> {
    let program = load(path, &how.load)?;
    timer.lap("load and parse");
    checked_ir_of(program, how, timer)
}

/// [`checked_ir`] of a program already loaded.
pub fn checked_ir_of(program: Program, how: &Checking, timer: &StageTimer) -> Result<Ir, ExitCode> {
    let mut checked = check(&program, &CheckOptions { today: how.today });
    timer.lap("check");
    // Lowering reads the model alone, and not all of it: the rest of what
    // the check and the program hold is freed (and given back to the
    // system) before the IR is made, rather than held with it at the peak.
    // The errors need only the diagnostics and the sources.
    drop(std::mem::take(&mut checked.index));
    accessc_core::model_to_ir::shed_for_lowering(&mut checked.model);
    let Some(model) = usable_model(&checked, how) else {
        return Err(stop_on_errors(&program, &checked, how));
    };
    if how.show_warnings {
        show_warnings(&program, &checked);
    }
    drop(program);
    crate::term::release_free_memory();
    let ir = accessc_core::model_to_ir::lower(model);
    drop(checked);
    timer.lap("lower to IR");
    Ok(ir)
}

/// Loads and checks the program, then runs `view` on the checked model and
/// the program's sources (for views that point at source lines). When the
/// program has errors they are rendered on standard error and the command
/// exits 1 without running `view`.
pub fn with_checked_model<T>(
    path: &Path,
    how: &Checking,
    timer: &StageTimer,
    view: impl FnOnce(&Program, CheckedModel<'_>) -> T,
) -> Result<T, ExitCode> {
    let program = load(path, &how.load)?;
    timer.lap("load and parse");
    let out = on_model(&program, how, timer, view)?;
    timer.lap("view");
    Ok(out)
}

/// Checks a loaded program and runs `then` on its checked model; when the
/// program has errors (other than the tolerated ones) they are rendered on
/// standard error and the command exits 1 without running `then`.
fn on_model<T>(
    program: &Program,
    how: &Checking,
    timer: &StageTimer,
    then: impl FnOnce(&Program, CheckedModel<'_>) -> T,
) -> Result<T, ExitCode> {
    let checked = check(program, &CheckOptions { today: how.today });
    timer.lap("check");
    let Some(model) = usable_model(&checked, how) else {
        return Err(stop_on_errors(program, &checked, how));
    };
    if how.show_warnings {
        show_warnings(program, &checked);
    }
    Ok(then(program, model))
}

/// Renders the program's warnings (the tolerated errors, such as expired
/// grants for `drift`, are the command's own to report) on standard error.
fn show_warnings(program: &Program, checked: &Checked) {
    let warnings: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .cloned()
        .collect();
    if warnings.is_empty() {
        return;
    }
    let mut s = render_human(
        &warnings,
        &program.sources,
        HumanOptions {
            color: term::stderr_color(),
            width: 100,
        },
    );
    s.push_str(&summary(&warnings));
    eprintln!("{s}");
}

/// The checked model, unless the program has errors that stop the command.
fn usable_model<'c>(checked: &'c Checked, how: &Checking) -> Option<CheckedModel<'c>> {
    if how.expired_grants_ok {
        checked.checked_model_with_expired_grants()
    } else {
        checked.checked_model()
    }
}

/// Renders the diagnostics on standard error, says what was not done, exit 1.
fn stop_on_errors(program: &Program, checked: &Checked, how: &Checking) -> ExitCode {
    eprintln!("{}", errors_text(program, checked, how));
    ExitCode::from(1)
}

/// Why [`checked_ir_or_errors`] gave no IR.
pub enum NoIr {
    /// The program cannot be read (already reported): this exit status.
    Unreadable(ExitCode),
    /// The program has errors: the text [`checked_ir`] would print.
    Errors(String),
}

/// [`checked_ir`], but the errors of a program are returned as text rather
/// than printed (so that two programs checked at once do not interleave).
pub fn checked_ir_or_errors(path: &Path, how: &Checking) -> Result<Ir, NoIr> {
    let program = load(path, &how.load).map_err(NoIr::Unreadable)?;
    let checked = check(&program, &CheckOptions { today: how.today });
    let Some(model) = checked.checked_model() else {
        return Err(NoIr::Errors(errors_text(&program, &checked, how)));
    };
    Ok(accessc_core::model_to_ir::lower(model))
}

/// The diagnostics and what was not done.
fn errors_text(program: &Program, checked: &Checked, how: &Checking) -> String {
    let mut s = render_human(
        &checked.diagnostics,
        &program.sources,
        HumanOptions {
            color: term::stderr_color(),
            width: 100,
        },
    );
    s.push_str(&summary(&checked.diagnostics));
    s.push_str(&format!(
        "\nerror: the program has errors; {}",
        how.consequence
    ));
    s
}

/// Where the program's organization comes from: its first `org` item.
pub enum OrgSource {
    /// No `org` item.
    Undeclared,
    /// `org { … }`.
    Inline,
    /// `org from "FILE"`: the span of the string, the file as written, and
    /// the snapshot when it could be read (the checker reports it otherwise).
    Snapshot {
        span: Span,
        file: String,
        snapshot: Option<Box<OrgSnapshot>>,
    },
}

/// The program's [`OrgSource`].
pub fn org_source(program: &Program) -> OrgSource {
    let first = program
        .modules
        .iter()
        .flat_map(|m| m.items.iter())
        .find_map(|item| match &item.kind {
            ItemKind::Org(decl) => Some(decl),
            _ => None,
        });
    match first {
        None => OrgSource::Undeclared,
        Some(OrgDecl::Inline(_)) => OrgSource::Inline,
        Some(OrgDecl::From(path)) => {
            let snapshot = match program.externals.get(&path.span) {
                Some(External::Loaded(id)) => {
                    OrgSnapshot::from_json(&program.sources.get(*id).text)
                        .ok()
                        .map(Box::new)
                }
                _ => None,
            };
            OrgSource::Snapshot {
                span: path.span,
                file: path.value.clone(),
                snapshot,
            }
        }
    }
}

/// The program's `instance region`, if it names one.
pub fn instance_region(program: &Program) -> Option<String> {
    program
        .modules
        .iter()
        .flat_map(|m| m.items.iter())
        .find_map(|item| match &item.kind {
            ItemKind::Instance(i) => i.region.as_ref().map(|r| r.value.clone()),
            _ => None,
        })
}

/// Make `org from` at `span` read `text` (named `name`) instead of its file:
/// the checker then validates and uses it exactly as it would the file.
pub fn replace_org_snapshot(program: &mut Program, span: Span, name: &str, text: String) {
    let id = program.sources.add(SourceFile::new(name, text));
    program.externals.insert(span, External::Loaded(id));
}
