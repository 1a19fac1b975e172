//! `accessc plan`: what `apply` would change in the live instance.

use accessc_aws::plan::{self, PlanOptions};
use accessc_core::load::LoadOptions;
use accessc_core::Today;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

use super::aws::{connect_and_read, load_ir, read_note, runtime, AwsArgs, OutputFormat, ReadArgs};
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

/// `accessc plan`.
pub fn run(args: PlanArgs) -> ExitCode {
    let ir = match load_ir(
        &args.path,
        LoadOptions {
            allow_outside_root: args.allow_outside_root,
        },
        args.today.unwrap_or_else(Today::now),
        false,
    ) {
        Ok(ir) => ir,
        Err(code) => return code,
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    rt.block_on(async {
        let (aws, live, started) = match connect_and_read(&ir, &args.aws, &args.read).await {
            Ok(read) => read,
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
        ExitCode::SUCCESS
    })
}
