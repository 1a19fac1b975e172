//! What the commands that reach AWS (`plan`, `apply`, `drift`, `org
//! snapshot`) share: the flags that say how to reach it and which
//! assignments to read, the async runtime, and how a failed call ends the
//! command. Exit status: 0 success, 1 the program has errors, 2 usage, I/O or
//! service failure, 3 drift found.

use accessc_aws::client::{Aws, ConnectOptions};
use accessc_aws::live::{self, Live, PrincipalScope, ReadOptions};
use accessc_aws::AwsError;
use accessc_core::ir::Ir;
use accessc_core::load::LoadOptions;
use accessc_core::Today;
use clap::{Args, ValueEnum};
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::program::{self, Checking};
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

pub fn fail(e: &AwsError) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::from(2)
}

/// Load, check and lower the program. With `expired_ok`, A401 (a grant past
/// its `until`) is not an error: `drift` reports those grants as stale.
pub fn load_ir(
    path: &Path,
    load: LoadOptions,
    today: Today,
    expired_ok: bool,
) -> Result<Ir, ExitCode> {
    let how = Checking {
        load,
        today,
        expired_grants_ok: expired_ok,
        consequence: "nothing was read or changed",
    };
    program::checked_ir(path, &how, &StageTimer::new())
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
pub async fn connect_and_read(
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
