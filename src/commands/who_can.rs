//! `accessc who-can`: who reaches which account with which function, and
//! through which grant, from the checked program.

use accessc_core::Today;
use accessc_views::who_can::{self, Query, UnknownName};
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::program::{self, Checking};
use crate::term::{out, StageTimer};

#[derive(Args)]
pub struct WhoCanArgs {
    /// A .access file or a directory.
    path: PathBuf,
    /// Only this account (its name or 12-digit id).
    #[arg(long, value_name = "NAME|ID")]
    account: Option<String>,
    /// Only the accounts under this OU, at any depth (`Workloads/NonProd`).
    #[arg(long, value_name = "PATH")]
    ou: Option<String>,
    /// Only this group (with `--user`: the rows of either).
    #[arg(long, value_name = "NAME")]
    group: Option<String>,
    /// Only this user (with `--group`: the rows of either).
    #[arg(long, value_name = "NAME")]
    user: Option<String>,
    /// Only this function.
    #[arg(long, value_name = "NAME")]
    function: Option<String>,
    /// Only functions whose policies allow this IAM action (`s3:GetObject`).
    #[arg(long, value_name = "SERVICE:ACTION")]
    action: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
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
    Table,
    Json,
    Csv,
}

pub fn run(args: WhoCanArgs) -> ExitCode {
    let timer = StageTimer::new();
    let how = Checking::strict(
        args.allow_outside_root,
        args.today.unwrap_or_else(Today::now),
        "no access is shown",
    );
    let query = Query {
        account: args.account,
        ou: args.ou,
        group: args.group,
        user: args.user,
        function: args.function,
        action: args.action,
    };
    let result = program::with_checked_model(&args.path, &how, &timer, |program, model| {
        who_can::who_can(model.model(), &program.sources, &query)
    });
    let rows = match result {
        Err(code) => return code,
        Ok(Err(unknown)) => return unknown_name(&unknown),
        Ok(Ok(rows)) => rows,
    };
    let with_condition = query.action.is_some();
    out(&match args.format {
        Format::Table => who_can::table(&rows, with_condition),
        Format::Json => who_can::json(&rows),
        Format::Csv => who_can::csv(&rows, with_condition),
    });
    ExitCode::SUCCESS
}

/// `error: unknown group `x``, the did-you-mean and the help; exit 2.
pub fn unknown_name(u: &UnknownName) -> ExitCode {
    let mut msg = format!("error: {u}");
    if let Some(s) = &u.suggestion {
        msg.push_str(&format!("\n  help: did you mean `{s}`?"));
    }
    if let Some(h) = &u.help {
        msg.push_str(&format!("\n  help: {h}"));
    }
    eprintln!("{msg}");
    ExitCode::from(2)
}
