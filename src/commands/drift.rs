//! `accessc drift`: what exists live but not in the source; exit 3 when
//! there is any.

use accessc_aws::drift;
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
pub struct DriftArgs {
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
    /// The date user grants are judged stale against (YYYY-MM-DD); default: today (UTC).
    #[arg(long, value_parser = Today::parse_arg)]
    pub today: Option<Today>,
}

/// `accessc drift`: exit 3 when the live instance differs from the source
/// or the org snapshot from the live organization (with `--org snapshot`).
pub fn run(args: DriftArgs) -> ExitCode {
    set_verbose(args.aws.verbose);
    let today = args.today.unwrap_or_else(Today::now);
    let how = checking(
        LoadOptions {
            allow_outside_root: args.allow_outside_root,
        },
        today,
        true,
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
            stale,
        } = match prepare(&args.path, &how, &args.aws, &args.read, true).await {
            Ok(p) => p,
            Err(code) => return code,
        };
        read_note(&aws, started);
        let mut d = drift::drift(&ir, &live, today);
        d.stale_snapshot = stale;
        match args.format {
            OutputFormat::Human => out(&drift::render_human(&d)),
            OutputFormat::Json => out(&d.to_json()),
        }
        if d.is_clean() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(3)
        }
    })
}
