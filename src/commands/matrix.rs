//! `accessc matrix PATH -o access.html`: check a program and write the access
//! matrix, one self-contained HTML page (`docs/matrix.md`).

use accessc_core::Today;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::program::{self, Checking};
use crate::term::StageTimer;

#[derive(Args)]
pub struct MatrixArgs {
    /// A .access file or a directory.
    path: PathBuf,
    /// The page to write (a file; a link there, or a file accessc did not
    /// write, is refused).
    #[arg(short = 'o', long = "out")]
    out: PathBuf,
    /// The date user-grant expiry is judged against (YYYY-MM-DD), as in
    /// `check`; default: today (UTC).
    #[arg(long, value_parser = Today::parse_arg)]
    today: Option<Today>,
    /// Let `use`, `org from` and `from json` read files outside the program's
    /// directory (absolute paths, `..`); only regular files are read all the same.
    #[arg(long)]
    allow_outside_root: bool,
}

/// Whether the first bytes of a file are a page `accessc matrix` wrote.
fn is_matrix_page(head: &[u8]) -> bool {
    let head = String::from_utf8_lossy(head);
    head.starts_with("<!DOCTYPE html>") && head.contains(accessc_views::matrix::GENERATOR_META)
}

pub fn run(args: MatrixArgs) -> ExitCode {
    let timer = StageTimer::new();
    let today = args.today.unwrap_or_else(Today::now);
    let how = Checking::strict(args.allow_outside_root, today, "nothing was written");
    let ir = match program::checked_ir(&args.path, &how, &timer) {
        Ok(ir) => ir,
        Err(code) => return code,
    };
    let page = accessc_views::matrix::matrix_html(&ir, today);
    timer.lap("matrix: render");
    if let Err(e) =
        accessc_core::output::write_own_file(&args.out, page.as_bytes(), &is_matrix_page)
    {
        eprintln!("error: cannot write `{}`: {e}", args.out.display());
        return ExitCode::from(2);
    }
    timer.lap("matrix: write");
    let principals: std::collections::HashSet<_> = ir
        .assignments
        .iter()
        .map(|a| (a.principal_type, a.principal.as_str()))
        .collect();
    let accounts: std::collections::HashSet<_> = ir
        .assignments
        .iter()
        .map(|a| a.account_id.as_str())
        .collect();
    eprintln!(
        "wrote {} ({} bytes): {} assignment(s) of {} principal(s) in {} account(s)",
        args.out.display(),
        page.len(),
        ir.assignments.len(),
        principals.len(),
        accounts.len()
    );
    ExitCode::SUCCESS
}
