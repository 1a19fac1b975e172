//! `accessc diff OLD NEW`: what changes in AWS between two versions of a
//! program (the base branch and a pull request), for people, for a
//! pull-request comment or as JSON.

use accessc_core::load::LoadOptions;
use accessc_core::Today;
use accessc_views::diff::{diff, render};
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::program::{self, Checking, NoIr};
use crate::term::{out, StageTimer};

#[derive(Args)]
pub struct DiffArgs {
    /// The program before the change: a .access file or a directory.
    old: PathBuf,
    /// The program after the change: a .access file or a directory.
    new: PathBuf,
    /// Output format: `markdown` for a pull-request comment.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Exit 1 when access widens (an added assignment, an added or broadened
    /// allow, a removed deny or boundary, a longer session, …).
    #[arg(long)]
    fail_on_widen: bool,
    /// The date user-grant expiry is judged against (YYYY-MM-DD); default: today (UTC).
    #[arg(long, value_parser = Today::parse_arg)]
    today: Option<Today>,
    /// Let `use`, `org from` and `from json` read files outside the programs'
    /// directories (absolute paths, `..`); only regular files are read all the same.
    #[arg(long)]
    allow_outside_root: bool,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    Text,
    Markdown,
    Json,
}

/// Exit 0 with the diff (1 with `--fail-on-widen` when access widens); 1 when
/// either program has errors (both are reported, each named); 2 when one
/// cannot be read.
pub fn run(args: DiffArgs) -> ExitCode {
    let timer = StageTimer::new();
    let today = args.today.unwrap_or_else(Today::now);
    let checking = |side: &str, path: &PathBuf| -> (PathBuf, String) {
        (
            path.clone(),
            format!(
                "the {side} program `{}` was not compared; no diff was made",
                path.display()
            ),
        )
    };
    let sides = [checking("OLD", &args.old), checking("NEW", &args.new)];
    let load = LoadOptions {
        allow_outside_root: args.allow_outside_root,
    };
    // The two programs are checked at once; each one's errors are printed
    // whole, the old one's first.
    let [old, new] = std::thread::scope(|scope| {
        sides
            .map(|(path, consequence)| {
                scope.spawn(move || {
                    let how = Checking {
                        load,
                        today,
                        expired_grants_ok: false,
                        consequence: &consequence,
                        show_warnings: false,
                    };
                    program::checked_ir_or_errors(&path, &how)
                })
            })
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(NoIr::Unreadable(ExitCode::from(2))))
            })
    });
    timer.lap("load, check and lower both programs");
    let (old, new) = match (old, new) {
        (Ok(old), Ok(new)) => (old, new),
        (old, new) => {
            let mut code = ExitCode::from(1);
            for side in [old, new] {
                match side {
                    Err(NoIr::Errors(text)) => eprintln!("{text}"),
                    Err(NoIr::Unreadable(c)) => code = c,
                    Ok(_) => {}
                }
            }
            return code;
        }
    };
    let d = diff(&old, &new);
    timer.lap("diff");
    match args.format {
        Format::Text => out(&render::render_text(&d)),
        Format::Markdown => out(&render::render_markdown(&d)),
        Format::Json => out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&d).unwrap_or_default()
        )),
    }
    if args.fail_on_widen && d.widened {
        eprintln!("error: access widens (--fail-on-widen)");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
