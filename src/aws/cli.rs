//! The `plan`, `apply`, `drift` and `org snapshot` commands: their arguments
//! (clap `Args`, flattened into `main.rs`) and entry functions, which return
//! the exit status: 0 success, 1 the program has errors, 2 usage, I/O or
//! service failure, 3 drift found.

use super::apply::{self, ApplyOptions};
use super::client::{Aws, ConnectOptions};
use super::drift;
use super::live::{self, PrincipalScope, ReadOptions};
use super::plan::{self, PlanOptions};
use super::progress::{Progress, ProgressMode};
use super::snapshot::{self, SnapshotOptions};
use super::AwsError;
use crate::ast::ItemKind;
use crate::ir::{Ir, PrincipalType};
use crate::load::{load_with_options, LoadOptions};
use crate::render::{render_human, summary, HumanOptions};
use crate::{check, CheckOptions, RealFs, Today};
use clap::{Args, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How to reach AWS (the standard credential chain otherwise).
#[derive(Debug, Clone, Args)]
pub struct AwsArgs {
    /// A named profile of ~/.aws/config.
    #[arg(long)]
    pub profile: Option<String>,
    /// The AWS region (default: the environment or profile, else the program's `instance region`).
    #[arg(long)]
    pub region: Option<String>,
    /// Send every request to this URL instead of AWS (a local endpoint or a proxy).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// The IAM Identity Center instance (default: the program's `instance arn`, else the only one).
    #[arg(long, value_name = "ARN")]
    pub instance_arn: Option<String>,
    /// Seconds one attempt of one API call may take before it counts as unanswered.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub api_timeout: u64,
    /// API calls made at once while reading.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub read_concurrency: usize,
    /// Milliseconds of the first wait after throttling; it doubles while throttling lasts (to 20 s).
    #[arg(long, value_name = "MS", default_value_t = 200)]
    pub backoff_ms: u64,
}

/// Which assignments are read.
#[derive(Debug, Clone, Args)]
pub struct ReadArgs {
    /// Whose assignments to read: every group and user of the identity store, or only the program's.
    #[arg(long, value_enum, default_value_t = Principals::Store)]
    pub principals: Principals,
    /// Read every assignment of every owned set, per (set, account): slower, and also sees
    /// assignments of principals deleted from the identity store.
    #[arg(long)]
    pub deep: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Principals {
    Store,
    Program,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum OutputFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ProgressArg {
    /// A bar on a terminal, plain lines elsewhere (and when `CI` is set).
    Auto,
    Bar,
    Plain,
    None,
}

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

#[derive(Debug, Clone, Subcommand)]
pub enum OrgCommand {
    /// Write the live organization (OUs, accounts) and the identity store ids of the
    /// program's groups and users as the snapshot `org from "org.json"` reads.
    Snapshot(SnapshotArgs),
}

#[derive(Debug, Clone, Args)]
pub struct SnapshotArgs {
    /// The program whose groups and users to look up (default: every group and user).
    pub path: Option<PathBuf>,
    /// Let `use`, `org from` and `from json` read files outside the program's
    /// directory (absolute paths, `..`); only regular files are read all the same.
    #[arg(long)]
    pub allow_outside_root: bool,
    /// Where to write the snapshot.
    #[arg(short = 'o', long = "out")]
    pub out: PathBuf,
    #[command(flatten)]
    pub aws: AwsArgs,
}

fn out(s: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(s.as_bytes()).and_then(|_| stdout.flush());
}

fn fail(e: &AwsError) -> u8 {
    eprintln!("error: {e}");
    2
}

/// Load, check and lower the program. With `expired_ok`, A401 (a grant past
/// its `until`) is not an error: `drift` reports those grants as stale.
fn load_ir(path: &Path, load_opts: &LoadOptions, today: Today, expired_ok: bool) -> Result<Ir, u8> {
    let program = match load_with_options(&RealFs, path, load_opts) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: cannot read `{}`: {e}", path.display());
            return Err(2);
        }
    };
    if program.roots.is_empty() {
        eprintln!("error: no .access files in `{}`", path.display());
        return Err(2);
    }
    let checked = check(&program, &CheckOptions { today });
    let blocking = checked.diagnostics.iter().any(|d| {
        d.severity == crate::diagnostic::Severity::Error && !(expired_ok && d.code == "A401")
    });
    if blocking {
        let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        let mut s = render_human(
            &checked.diagnostics,
            &program.sources,
            HumanOptions { color, width: 100 },
        );
        s.push_str(&summary(&checked.diagnostics));
        eprintln!("{s}");
        eprintln!("error: the program has errors; nothing was read or changed");
        return Err(1);
    }
    Ok(crate::model_to_ir::lower(&checked.model))
}

fn runtime() -> Result<tokio::runtime::Runtime, u8> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("error: cannot start the async runtime: {e}");
            2
        })
}

fn connect_options(a: &AwsArgs, fallback_region: Option<String>) -> ConnectOptions {
    ConnectOptions {
        profile: a.profile.clone(),
        region: a.region.clone(),
        fallback_region,
        endpoint_url: a.endpoint_url.clone(),
        api_timeout: Duration::from_secs(a.api_timeout.max(1)),
        base_backoff: Duration::from_millis(a.backoff_ms.max(1)),
        ..ConnectOptions::default()
    }
}

fn read_options(a: &AwsArgs, r: &ReadArgs) -> ReadOptions {
    ReadOptions {
        instance_arn: a.instance_arn.clone(),
        scope: match r.principals {
            Principals::Store => PrincipalScope::Store,
            Principals::Program => PrincipalScope::Program,
        },
        deep: r.deep,
        concurrency: a.read_concurrency.max(1),
    }
}

fn read_note(aws: &Aws, started: Instant) {
    eprintln!(
        "read the live state in {} API calls, {:.1} s",
        aws.calls(),
        started.elapsed().as_secs_f64()
    );
}

/// `accessc plan`.
pub fn plan(args: PlanArgs) -> u8 {
    let ir = match load_ir(
        &args.path,
        &LoadOptions {
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
        let started = Instant::now();
        let aws = match Aws::connect(connect_options(&args.aws, ir.instance.region.clone())).await {
            Ok(a) => a,
            Err(e) => return fail(&e),
        };
        let live = match live::read(&aws, &ir, &read_options(&args.aws, &args.read)).await {
            Ok(l) => l,
            Err(e) => return fail(&e),
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
        0
    })
}

/// `accessc apply`.
pub fn apply(args: ApplyArgs) -> u8 {
    let ir = match load_ir(
        &args.path,
        &LoadOptions {
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
    let mode = match args.progress {
        ProgressArg::Auto => ProgressMode::detect(),
        ProgressArg::Bar => ProgressMode::Bar,
        ProgressArg::Plain => ProgressMode::Lines,
        ProgressArg::None => ProgressMode::Quiet,
    };
    rt.block_on(async {
        let started = Instant::now();
        let aws = match Aws::connect(connect_options(&args.aws, ir.instance.region.clone())).await {
            Ok(a) => a,
            Err(e) => return fail(&e),
        };
        let ropts = read_options(&args.aws, &args.read);
        let mut live = match live::read(&aws, &ir, &ropts).await {
            Ok(l) => l,
            Err(e) => return fail(&e),
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
            if let Err(e) = apply::wait_in_flight(&aws, &live.instance_arn, opts.op_timeout, &mut progress).await {
                return fail(&e);
            }
            live = match live::read(&aws, &ir, &ropts).await {
                Ok(l) => l,
                Err(e) => return fail(&e),
            };
        }
        read_note(&aws, started);
        let p = plan::plan(&ir, &live, PlanOptions { allow_delete: args.allow_delete });
        out(&plan::render_human(&p));
        if args.dry_run {
            return 0;
        }
        if !p.blocked.is_empty() {
            eprintln!(
                "error: {} permission set(s) of the source cannot be managed (see `!` above); nothing was changed",
                p.blocked.len()
            );
            return 2;
        }
        if !p.has_changes() {
            out("Nothing to apply.\n");
            return 0;
        }
        let outcome = apply::apply(&aws, &p, &opts, &mut progress).await;
        progress.finish();
        out(&outcome.render(aws.calls(), started.elapsed()));
        if outcome.ok() {
            0
        } else {
            eprintln!(
                "error: {} change(s) failed and {} were not attempted (listed above)",
                outcome.failures.len(),
                outcome.skipped.len()
            );
            2
        }
    })
}

/// `accessc drift`: exit 3 when the live instance differs from the source.
pub fn drift(args: DriftArgs) -> u8 {
    let today = args.today.unwrap_or_else(Today::now);
    let ir = match load_ir(
        &args.path,
        &LoadOptions {
            allow_outside_root: args.allow_outside_root,
        },
        today,
        true,
    ) {
        Ok(ir) => ir,
        Err(code) => return code,
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    rt.block_on(async {
        let started = Instant::now();
        let aws = match Aws::connect(connect_options(&args.aws, ir.instance.region.clone())).await {
            Ok(a) => a,
            Err(e) => return fail(&e),
        };
        let live = match live::read(&aws, &ir, &read_options(&args.aws, &args.read)).await {
            Ok(l) => l,
            Err(e) => return fail(&e),
        };
        read_note(&aws, started);
        let d = drift::drift(&ir, &live, &today.to_string());
        match args.format {
            OutputFormat::Human => out(&drift::render_human(&d)),
            OutputFormat::Json => out(&d.to_json()),
        }
        if d.is_clean() {
            0
        } else {
            3
        }
    })
}

/// What `org snapshot` needs of a program: its groups and users (by
/// DisplayName / UserName), and its instance ARN and region.
type ProgramNames = (Vec<(PrincipalType, String)>, Option<String>, Option<String>);

/// The groups, users and instance a program names, read without checking it
/// (its `org from` file may be the one being written).
fn program_principals(path: &Path, load_opts: &LoadOptions) -> Result<ProgramNames, u8> {
    let program = match load_with_options(&RealFs, path, load_opts) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: cannot read `{}`: {e}", path.display());
            return Err(2);
        }
    };
    if program.roots.is_empty() {
        eprintln!("error: no .access files in `{}`", path.display());
        return Err(2);
    }
    let mut wanted = Vec::new();
    let (mut arn, mut region) = (None, None);
    for m in &program.modules {
        if program.std_name.contains_key(&m.file) {
            continue;
        }
        for item in &m.items {
            match &item.kind {
                ItemKind::Group(g) => wanted.push((
                    PrincipalType::Group,
                    g.display_name
                        .as_ref()
                        .map_or(g.name.name.clone(), |s| s.value.clone()),
                )),
                ItemKind::User(u) => wanted.push((
                    PrincipalType::User,
                    u.user_name
                        .as_ref()
                        .map_or(u.name.name.clone(), |s| s.value.clone()),
                )),
                ItemKind::Instance(i) => {
                    arn = i.arn.as_ref().map(|s| s.value.clone()).or(arn);
                    region = i.region.as_ref().map(|s| s.value.clone()).or(region);
                }
                _ => {}
            }
        }
    }
    wanted.sort();
    wanted.dedup();
    Ok((wanted, arn, region))
}

/// `accessc org …`.
pub fn org(cmd: OrgCommand) -> u8 {
    match cmd {
        OrgCommand::Snapshot(args) => org_snapshot(args),
    }
}

fn org_snapshot(args: SnapshotArgs) -> u8 {
    let (principals, arn, region) = match &args.path {
        Some(p) => match program_principals(
            p,
            &LoadOptions {
                allow_outside_root: args.allow_outside_root,
            },
        ) {
            Ok((w, a, r)) => (Some(w), a, r),
            Err(code) => return code,
        },
        None => (None, None, None),
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    rt.block_on(async {
        let started = Instant::now();
        let aws = match Aws::connect(connect_options(&args.aws, region)).await {
            Ok(a) => a,
            Err(e) => return fail(&e),
        };
        let opts = SnapshotOptions {
            instance_arn: args.aws.instance_arn.clone().or(arn),
            principals,
            concurrency: args.aws.read_concurrency.max(1),
        };
        let snap = match snapshot::snapshot(&aws, &opts).await {
            Ok(s) => s,
            Err(e) => return fail(&e),
        };
        // A new file renamed into place: never written through a link.
        if let Err(e) = crate::output::replace_file(&args.out, snap.json.as_bytes()) {
            eprintln!("error: cannot write `{}`: {e}", args.out.display());
            return 2;
        }
        for m in &snap.missing {
            eprintln!(
                "warning: {m} is not in the identity store; it stays unresolved in the snapshot"
            );
        }
        eprintln!(
            "wrote {}: {} account(s), {} OU(s), {} group(s), {} user(s) ({} API calls, {:.1} s)",
            args.out.display(),
            snap.accounts,
            snap.ous,
            snap.groups,
            snap.users,
            aws.calls(),
            started.elapsed().as_secs_f64()
        );
        0
    })
}
