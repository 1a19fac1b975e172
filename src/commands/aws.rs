//! What the commands that reach AWS (`plan`, `apply`, `drift`, `org
//! snapshot`) share: the flags that say how to reach it and which
//! assignments to read, the async runtime, and how a failed call ends the
//! command. Exit status: 0 success, 1 the program has errors or cannot be
//! applied (a blocked set), 2 usage, I/O or service failure, 3 drift found
//! (`drift` only: the live instance differs from the source, or the org
//! snapshot from the live organization).

use accessc_aws::client::{Aws, ConnectOptions};
use accessc_aws::drift::{self, StaleSnapshot};
use accessc_aws::live::{self, Live, PrincipalScope, ReadOptions};
use accessc_aws::snapshot;
use accessc_aws::AwsError;
use accessc_core::ir::Ir;
use accessc_core::load::{LoadOptions, MAX_FILE_BYTES};
use accessc_core::org_snapshot::OrgSnapshot;
use accessc_core::Today;
use clap::{Args, ValueEnum};
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::program::{self, Checking, OrgSource};
use crate::term::StageTimer;

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
    /// Print the AWS SDK's full account of a failed call under the one-line error.
    #[arg(long)]
    pub verbose: bool,
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
    /// Where the OUs and accounts come from: the program's `org from` snapshot, or AWS
    /// Organizations, read now (the snapshot still gives the group and user ids).
    #[arg(long, value_enum, default_value_t = OrgArg::Snapshot)]
    pub org: OrgArg,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum OrgArg {
    Snapshot,
    Live,
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

static VERBOSE: AtomicBool = AtomicBool::new(false);

/// Whether [`fail`] prints the SDK's account of a failure (`--verbose`).
pub fn set_verbose(on: bool) {
    VERBOSE.store(on, Ordering::Relaxed);
}

/// Whether `--verbose` was given.
pub fn verbose() -> bool {
    VERBOSE.load(Ordering::Relaxed)
}

/// Reports a failed AWS call (its cause and fix on one line; the SDK's
/// account only with `--verbose`) and ends the command with exit 2.
pub fn fail(e: &AwsError) -> ExitCode {
    eprintln!("error: {}", e.headline());
    if VERBOSE.load(Ordering::Relaxed) {
        if let Some(d) = &e.detail {
            eprintln!("  detail: {d}");
        }
    }
    ExitCode::from(2)
}

/// What `plan`, `apply` and `drift` work from.
pub struct Prepared {
    pub ir: Ir,
    pub aws: Aws,
    pub live: Live,
    /// When the connection began, for [`read_note`].
    pub started: Instant,
    /// How the program's org snapshot differs from the live organization,
    /// when it was compared.
    pub stale: Option<StaleSnapshot>,
}

/// The name diagnostics give the organization read live.
const LIVE_ORG: &str = "the live organization (AWS Organizations)";

/// Load and check the program, connect, and read the live state it needs.
/// With `--org live` the OUs and accounts are read from AWS Organizations
/// first and the program is checked against them (the `org from` snapshot
/// still gives the identity store). Otherwise an `org from` snapshot is
/// compared with the live organization: `drift` (`compare_org`) reports every
/// difference, `plan` and `apply` warn of the accounts suspended or closed
/// since (their assignments would fail). Either way a note names the
/// accounts the checked organization already has suspended or closed.
pub async fn prepare(
    path: &Path,
    how: &Checking<'_>,
    aws_args: &AwsArgs,
    read: &ReadArgs,
    compare_org: bool,
) -> Result<Prepared, ExitCode> {
    let timer = StageTimer::new();
    let mut program = program::load(path, &how.load)?;
    timer.lap("load and parse");
    let source = program::org_source(&program);
    if read.org == OrgArg::Snapshot {
        let ir = program::checked_ir_of(program, how, &timer)?;
        let (aws, live, started) = connect_and_read(&ir, aws_args, read).await?;
        let stale = match source {
            OrgSource::Snapshot {
                file,
                snapshot: Some(doc),
                ..
            } => match compare_live_org(&aws, aws_args, &file, &doc, compare_org).await {
                Ok(stale) => Some(stale),
                Err(e) => {
                    eprintln!(
                        "warning: the org snapshot `{file}` was not compared with the live organization: {}",
                        e.headline()
                    );
                    None
                }
            },
            _ => None,
        };
        if !compare_org {
            for w in stale
                .iter()
                .flat_map(|s| drift::unassignable_warnings(s, &ir))
            {
                eprintln!("{w}");
            }
        }
        inactive_note(&ir);
        return Ok(Prepared {
            ir,
            aws,
            live,
            started,
            stale,
        });
    }
    let (span, snapshot) = match source {
        OrgSource::Snapshot {
            span,
            snapshot: Some(doc),
            ..
        } => (span, Some(doc)),
        // The checker reports the unreadable snapshot.
        OrgSource::Snapshot { span, .. } => (span, None),
        OrgSource::Inline => {
            eprintln!("error: --org live replaces the OUs and accounts of an `org from \"FILE\"` snapshot, but this program declares its org inline; write it with `accessc org snapshot -o org.json` and `org from \"org.json\"`, or drop --org live");
            return Err(ExitCode::from(2));
        }
        OrgSource::Undeclared => {
            eprintln!("error: --org live needs the program to read its org from a snapshot (`org from \"org.json\"`), which gives the group and user ids; write one with `accessc org snapshot -o org.json`");
            return Err(ExitCode::from(2));
        }
    };
    let started = Instant::now();
    let aws = Aws::connect(connect_options(
        aws_args,
        program::instance_region(&program),
    ))
    .await
    .map_err(|e| fail(&e))?;
    let live_org = snapshot::organization(&aws, aws_args.read_concurrency.max(1))
        .await
        .map_err(|e| fail(&e))?;
    if let Some(doc) = snapshot {
        let merged = OrgSnapshot {
            identity_store: doc.identity_store,
            ..live_org
        };
        let errors = merged.validate();
        if let Some(first) = errors.first() {
            eprintln!(
                "error: {LIVE_ORG} cannot be used: {first}{}; nothing was changed",
                if errors.len() > 1 {
                    format!(" (and {} more)", errors.len() - 1)
                } else {
                    String::new()
                }
            );
            return Err(ExitCode::from(2));
        }
        let json = merged.to_json().map_err(|e| {
            eprintln!("error: {LIVE_ORG} cannot be used: {e}");
            ExitCode::from(2)
        })?;
        // The bound of a snapshot file holds for the live one too.
        if json.len() > MAX_FILE_BYTES {
            eprintln!(
                "error: {LIVE_ORG} cannot be used: as a snapshot it is larger than {} MiB, the most a snapshot file may be; nothing was changed",
                MAX_FILE_BYTES / (1024 * 1024)
            );
            return Err(ExitCode::from(2));
        }
        program::replace_org_snapshot(&mut program, span, LIVE_ORG, json);
    }
    // The organization was read: errors stop the command before anything changes.
    let how = Checking {
        consequence: "nothing was changed",
        ..*how
    };
    let ir = program::checked_ir_of(program, &how, &timer)?;
    inactive_note(&ir);
    let live = live::read(&aws, &ir, &read_options(aws_args, read))
        .await
        .map_err(|e| fail(&e))?;
    Ok(Prepared {
        ir,
        aws,
        live,
        started,
        stale: None,
    })
}

/// The snapshot compared with the live organization: `drift` (`whole`)
/// reads the organization's tree and reports every difference; `plan` and
/// `apply` read only the accounts' states (`ListAccounts`), to warn of the
/// accounts suspended or closed since.
async fn compare_live_org(
    aws: &Aws,
    aws_args: &AwsArgs,
    file: &str,
    doc: &OrgSnapshot,
    whole: bool,
) -> Result<StaleSnapshot, AwsError> {
    if whole {
        let live_org = snapshot::organization(aws, aws_args.read_concurrency.max(1)).await?;
        Ok(drift::stale_snapshot(file, doc, &live_org))
    } else {
        let states = snapshot::account_states(aws).await?;
        Ok(drift::state_changes(file, doc, &states))
    }
}

/// The note on the accounts of the checked organization that no assignment
/// reaches (suspended or closed), as `build` prints it.
fn inactive_note(ir: &Ir) {
    if let Some(note) = super::build::inactive_accounts_note(ir) {
        eprintln!("{note}");
    }
}

/// How `plan`, `apply` and `drift` check the program.
pub fn checking(load: LoadOptions, today: Today, expired_ok: bool) -> Checking<'static> {
    Checking {
        load,
        today,
        expired_grants_ok: expired_ok,
        consequence: "nothing was read or changed",
        show_warnings: false,
    }
}

pub fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("error: cannot start the async runtime: {e}");
            ExitCode::from(2)
        })
}

/// Connects to AWS (the program's `instance region` as the fallback region)
/// and reads the live state the program needs; a failure ends the command.
/// Returns when the connection began, for [`read_note`].
async fn connect_and_read(
    ir: &Ir,
    aws_args: &AwsArgs,
    read: &ReadArgs,
) -> Result<(Aws, Live, Instant), ExitCode> {
    let started = Instant::now();
    let aws = Aws::connect(connect_options(aws_args, ir.instance.region.clone()))
        .await
        .map_err(|e| fail(&e))?;
    let live = live::read(&aws, ir, &read_options(aws_args, read))
        .await
        .map_err(|e| fail(&e))?;
    Ok((aws, live, started))
}

pub fn connect_options(a: &AwsArgs, fallback_region: Option<String>) -> ConnectOptions {
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

pub fn read_options(a: &AwsArgs, r: &ReadArgs) -> ReadOptions {
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

pub fn read_note(aws: &Aws, started: Instant) {
    eprintln!(
        "read the live state in {} API calls, {:.1} s",
        aws.calls(),
        started.elapsed().as_secs_f64()
    );
}
