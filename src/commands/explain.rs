//! `accessc explain CODE`: what a diagnostic code means, an example, and the fix.

use accessc_core::diagnostic::Severity;
use clap::Args;
use std::process::ExitCode;

use crate::term::out;

#[derive(Args)]
pub struct ExplainArgs {
    /// A code such as A402; `all` lists every code.
    code: String,
}

pub fn run(args: ExplainArgs) -> ExitCode {
    let code = args.code;
    if code.eq_ignore_ascii_case("all") {
        for info in accessc_core::explain::all() {
            let sev = match info.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            out(&format!("{}  {:<7}  {}\n", info.code, sev, info.title));
        }
        return ExitCode::SUCCESS;
    }
    match accessc_core::explain::lookup(&code) {
        Some(info) => {
            out(&info.explanation());
            ExitCode::SUCCESS
        }
        None => {
            eprintln!("error: unknown code `{code}`; `accessc explain all` lists them");
            ExitCode::from(2)
        }
    }
}
