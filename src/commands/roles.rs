//! `accessc roles`: the IAM role names and ARNs IAM Identity Center gives
//! each function's permission set in the accounts it is assigned in.

use accessc_core::Today;
use accessc_views::roles;
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::program::{self, Checking};
use crate::term::{out, StageTimer};

#[derive(Args)]
pub struct RolesArgs {
    /// A .access file or a directory.
    path: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// The date user-grant expiry is judged against (YYYY-MM-DD); default: today (UTC).
    #[arg(long, value_parser = Today::parse_arg)]
    today: Option<Today>,
    /// Let `use`, `org from` and `from json` read files outside the program's
    /// directory (absolute paths, `..`); only regular files are read all the same.
    #[arg(long)]
    allow_outside_root: bool,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    Text,
    Json,
}

pub fn run(args: RolesArgs) -> ExitCode {
    let timer = StageTimer::new();
    let how = Checking::strict(
        args.allow_outside_root,
        args.today.unwrap_or_else(Today::now),
        "no role is shown",
    );
    let ir = match program::checked_ir(&args.path, &how, &timer) {
        Ok(ir) => ir,
        Err(code) => return code,
    };
    let view = roles::roles(&ir);
    out(&match args.format {
        Format::Text => roles::text(&view),
        Format::Json => roles::json(&view),
    });
    ExitCode::SUCCESS
}
