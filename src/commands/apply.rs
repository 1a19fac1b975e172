//! `accessc apply`: make the live instance match the program; a run cut short
//! is finished by the next one.

use accessc_aws::apply::{self, ApplyOptions};
use accessc_aws::live;
use accessc_aws::plan::{self, PlanOptions};
use accessc_aws::progress::{Progress, ProgressMode};
use accessc_core::load::LoadOptions;
use accessc_core::Today;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use super::aws::{
    checking, fail, prepare, read_note, read_options, runtime, set_verbose, AwsArgs, Prepared,
    ProgressArg, ReadArgs,
};
use super::plan::{blocked_error, not_applicable};
use crate::term::out;

#[derive(Debug, Clone, Args)]
pub struct ApplyArgs {
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
    /// Delete assignments and owned permission sets the source no longer has.
    #[arg(long)]
    pub allow_delete: bool,
    /// Asynchronous operations outstanding at once (AWS allows 15 per instance).
    #[arg(long, value_name = "N", default_value_t = 15, value_parser = clap::value_parser!(u16).range(1..=15))]
    pub max_in_flight: u16,
    /// Print the plan and change nothing (the same as `accessc plan`).
    #[arg(long)]
    pub dry_run: bool,
    /// Adopt the permission sets the plan shows as "to adopt" (live, without the ownership
    /// tag, every field as the source has it): add the tag `ManagedBy=accessc` to them and
    /// change nothing else. A set that differs from the source is refused, with the difference.
    #[arg(long)]
    pub adopt: bool,
    /// How to show progress.
    #[arg(long, value_enum, default_value_t = ProgressArg::Auto)]
    pub progress: ProgressArg,
    /// Milliseconds before the first status poll of an operation (it grows to 5 s).
    #[arg(long, value_name = "MS", default_value_t = 500)]
    pub poll_interval_ms: u64,
    /// Seconds an operation may stay IN_PROGRESS before it counts as failed.
    #[arg(long, value_name = "SECONDS", default_value_t = 900)]
    pub op_timeout: u64,
    /// The date user-grant expiry is judged against (YYYY-MM-DD); default: today (UTC).
    #[arg(long, value_parser = Today::parse_arg)]
    pub today: Option<Today>,
}

/// `accessc apply`.
pub fn run(args: ApplyArgs) -> ExitCode {
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
    let mode = match args.progress {
        ProgressArg::Auto => ProgressMode::detect(),
        ProgressArg::Bar => ProgressMode::Bar,
        ProgressArg::Plain => ProgressMode::Lines,
        ProgressArg::None => ProgressMode::Quiet,
    };
    rt.block_on(async {
        let Prepared {
            ir,
            aws,
            mut live,
            started,
            ..
        } = match prepare(&args.path, &how, &args.aws, &args.read, false).await {
            Ok(p) => p,
            Err(code) => return code,
        };
        let opts = ApplyOptions {
            max_in_flight: usize::from(args.max_in_flight),
            poll_interval: Duration::from_millis(args.poll_interval_ms.max(1)),
            op_timeout: Duration::from_secs(args.op_timeout.max(1)),
            ..ApplyOptions::default()
        };
        let mut progress = Progress::new(mode);
        if live.in_flight.total() > 0 && !args.dry_run {
            // An earlier run was cut short: let its operations land, then
            // plan from what they left.
            if let Err(e) =
                apply::wait_in_flight(&aws, &live.instance_arn, opts.op_timeout, &mut progress)
                    .await
            {
                return fail(&e);
            }
            live = match live::read(&aws, &ir, &read_options(&args.aws, &args.read)).await {
                Ok(l) => l,
                Err(e) => return fail(&e),
            };
        }
        read_note(&aws, started);
        let p = plan::plan(
            &ir,
            &live,
            PlanOptions {
                allow_delete: args.allow_delete,
            },
        );
        out(&plan::render_human(&p));
        if args.adopt {
            return adopt(&aws, &p, &args, &mut progress, started).await;
        }
        if !p.can_apply {
            return not_applicable(&p, "nothing was changed");
        }
        if args.dry_run {
            return ExitCode::SUCCESS;
        }
        if !p.has_applicable_changes() {
            out("Nothing to apply.\n");
            return ExitCode::SUCCESS;
        }
        let outcome = apply::apply(&aws, &p, &opts, &mut progress).await;
        progress.finish();
        out(&outcome.render(aws.calls(), started.elapsed()));
        if outcome.ok() {
            ExitCode::SUCCESS
        } else {
            eprintln!(
                "error: {} change(s) failed and {} were not attempted (listed above)",
                outcome.failures.len(),
                outcome.skipped.len()
            );
            ExitCode::from(2)
        }
    })
}

/// `apply --adopt`: only the ownership tag on the sets to adopt.
async fn adopt(
    aws: &accessc_aws::client::Aws,
    p: &plan::Plan,
    args: &ApplyArgs,
    progress: &mut Progress,
    started: std::time::Instant,
) -> ExitCode {
    let n = p.summary.sets_to_adopt;
    if args.dry_run || n == 0 {
        if n == 0 {
            out("Nothing to adopt.\n");
        }
        if !p.blocked.is_empty() {
            return blocked_error(p.blocked.len(), "nothing was changed");
        }
        return ExitCode::SUCCESS;
    }
    let done = apply::adopt(aws, p, args.aws.read_concurrency.clamp(1, 8), progress).await;
    progress.finish();
    out(&format!(
        "Adopted: {} set(s) tagged `ManagedBy=accessc`: {} ({} API calls, {:.1} s).\n",
        done.adopted.len(),
        if done.adopted.is_empty() {
            "none".to_string()
        } else {
            done.adopted.join(", ")
        },
        aws.calls(),
        started.elapsed().as_secs_f64()
    ));
    if p.has_applicable_changes() {
        out("The plan has other changes: `accessc apply --adopt` made none of them; run `accessc apply` to make them.\n");
    }
    if !done.failures.is_empty() {
        for f in &done.failures {
            eprintln!("error: {f}");
        }
        eprintln!(
            "error: {} set(s) could not be adopted (listed above); run `accessc apply --adopt` again",
            done.failures.len()
        );
        return ExitCode::from(2);
    }
    if !p.blocked.is_empty() {
        return blocked_error(
            p.blocked.len(),
            "they were not adopted (the sets to adopt were)",
        );
    }
    ExitCode::SUCCESS
}
