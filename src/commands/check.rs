//! `accessc check`: every problem of one or more programs, for people, for
//! pipelines (JSON) or for code-scanning UIs (SARIF).

use accessc_core::diagnostic::Severity;
use accessc_core::load::LoadOptions;
use accessc_core::render::{
    render_human, sarif_document, sarif_results, summary, to_json_diagnostic, HumanOptions,
    JsonDiagnostic,
};
use accessc_core::{check, CheckOptions, Today};
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::program;
use crate::term::{self, out};

#[derive(Args)]
pub struct CheckArgs {
    /// A .access file, or a directory: every *.access file directly in it is one program.
    /// Several paths are several programs.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// The date user-grant expiry is judged against (YYYY-MM-DD); default: today (UTC).
    #[arg(long, value_parser = Today::parse_arg)]
    today: Option<Today>,
    /// Treat warnings as errors: `--deny warnings`.
    #[arg(long, value_enum)]
    deny: Option<Deny>,
    /// Let `use`, `org from` and `from json` read files outside the program's
    /// directory (absolute paths, `..`); only regular files are read all the same.
    #[arg(long)]
    allow_outside_root: bool,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    Human,
    Json,
    Sarif,
}

#[derive(Clone, Copy, ValueEnum)]
enum Deny {
    Warnings,
}

/// The results of several programs, gathered as values and rendered once.
enum Report {
    Human(String),
    Json(Vec<JsonDiagnostic>),
    Sarif(Vec<serde_json::Value>),
}

pub fn run(args: CheckArgs) -> ExitCode {
    let today = args.today.unwrap_or_else(Today::now);
    let load_opts = LoadOptions {
        allow_outside_root: args.allow_outside_root,
    };
    let color = term::stdout_color();
    let mut report = match args.format {
        Format::Human => Report::Human(String::new()),
        Format::Json => Report::Json(Vec::new()),
        Format::Sarif => Report::Sarif(Vec::new()),
    };
    let mut all = Vec::new();
    for path in &args.paths {
        let program = match program::load(path, &load_opts) {
            Ok(p) => p,
            Err(code) => return code,
        };
        let checked = check(&program, &CheckOptions { today });
        let mut diags = checked.diagnostics;
        if args.deny.is_some() {
            for d in &mut diags {
                d.severity = Severity::Error;
            }
        }
        match &mut report {
            Report::Human(text) => {
                let width = if color { 120 } else { 100 };
                text.push_str(&render_human(
                    &diags,
                    &program.sources,
                    HumanOptions { color, width },
                ));
            }
            Report::Json(values) => {
                values.extend(
                    diags
                        .iter()
                        .map(|d| to_json_diagnostic(d, &program.sources)),
                );
            }
            Report::Sarif(results) => results.extend(sarif_results(&diags, &program.sources)),
        }
        all.extend(diags);
    }
    match report {
        Report::Human(mut text) => {
            text.push_str(&summary(&all));
            out(&format!("{text}\n"));
        }
        Report::Json(values) => out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&values).unwrap_or_else(|_| "[]".into())
        )),
        Report::Sarif(results) => out(&sarif_document(results)),
    }
    if all.iter().any(|d| d.severity == Severity::Error) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
