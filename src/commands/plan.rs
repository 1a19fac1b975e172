//! `accessc plan`: what `apply` would change in the live instance.

use accessc_aws::plan::{self, PlanOptions};
use accessc_core::load::LoadOptions;
use accessc_core::Today;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

use super::aws::{
    checking, prepare, read_note, runtime, set_verbose, AwsArgs, OutputFormat, Prepared, ReadArgs,
};
use crate::term::out;

#[derive(Debug, Clone, Args)]
pub struct PlanArgs {
    /// A .access file or a directory.
    pub path: PathBuf,
    /// Let `use`, `org from` and `from json` read files outside the program's
    /// directory (absolute paths, `..`); only regular files are read all the same.
    #[arg(long)]
    pub allow_outside_root: bool,
    #[command(flatten)]
    pub aws: AwsArgs,
    #[command(flatten)]
    pub read: ReadArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
    /// Plan the deletions too (otherwise they are listed as pending).
    #[arg(long)]
    pub allow_delete: bool,
    /// The date user-grant expiry is judged against (YYYY-MM-DD); default: today (UTC).
    #[arg(long, value_parser = Today::parse_arg)]
    pub today: Option<Today>,
}

/// `accessc plan`: exit 0 with the plan, 1 when it cannot be applied (a
/// blocked set) or the program has errors.
pub fn run(args: PlanArgs) -> ExitCode {
    set_verbose(args.aws.verbose);
    let how = checking(
        LoadOptions {
            allow_outside_root: args.allow_outside_root,
        },
        args.today.unwrap_or_else(Today::now),
        false,
    );
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    rt.block_on(async {
        let Prepared {
            ir,
            aws,
            live,
            started,
            ..
        } = match prepare(&args.path, &how, &args.aws, &args.read, false).await {
            Ok(p) => p,
            Err(code) => return code,
        };
        read_note(&aws, started);
        let p = plan::plan(
            &ir,
            &live,
            PlanOptions {
                allow_delete: args.allow_delete,
            },
        );
        match args.format {
            OutputFormat::Human => out(&plan::render_human(&p)),
            OutputFormat::Json => out(&p.to_json()),
        }
        if p.can_apply {
            ExitCode::SUCCESS
        } else {
            not_applicable(&p, "apply would change nothing")
        }
    })
}

/// Why a plan cannot be applied as it is (blocked sets, sets to adopt),
/// with what to do: exit 1, like a program that cannot be applied.
pub fn not_applicable(p: &plan::Plan, consequence: &str) -> ExitCode {
    if p.blocked.is_empty() {
        eprintln!(
            "error: {} permission set(s) of the source exist live without the ownership tag `ManagedBy=accessc` (see `&` above); adopt them with `accessc apply --adopt` (it adds the tag and changes nothing else), then run `accessc apply`; {consequence}",
            p.summary.sets_to_adopt
        );
        return ExitCode::from(1);
    }
    blocked_error(p.blocked.len(), consequence)
}

/// The error for a plan with blocked sets: exit 1, like a program that cannot be applied.
pub fn blocked_error(blocked: usize, consequence: &str) -> ExitCode {
    eprintln!(
        "error: {blocked} permission set(s) of the source cannot be managed (see `!` above): rename the function, or remove or tag the live set; {consequence}"
    );
    ExitCode::from(1)
}
