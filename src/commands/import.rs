//! `accessc import -o DIR`: an existing IAM Identity Center setup becomes an
//! `.access` program (`docs/import.md`). The source is read whole first (the
//! live instance through the AWS API); only when every read succeeded is the
//! program written, and only into a new or empty directory, through the
//! output jail (`accessc_core::output::write_new_dir`): nothing is written
//! when a read fails, nothing outside DIR ever, never through a link.
//!
//! Exit status: 0 written; 2 usage, a read that failed or a directory that
//! cannot take the program (nothing written).

use accessc_aws::client::Aws;
use accessc_aws::import::{read_instance, ImportOptions};
use accessc_aws::{AwsError, ErrorKind};
use accessc_core::date::Date;
use accessc_import::model::ImportModel;
use accessc_import::{write_program, WriteOptions, Written};
use clap::Args;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use super::aws::{connect_options, runtime, set_verbose, AwsArgs, OutputFormat};
use super::import_offline::{read_model, OfflineArgs};
use crate::term::out;

#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// The directory to write the program into: new, or empty.
    #[arg(short = 'o', long = "out", value_name = "DIR")]
    pub out: PathBuf,
    #[command(flatten)]
    pub aws: AwsArgs,
    #[command(flatten)]
    pub offline: OfflineArgs,
    /// Write foreign permission sets too (Control Tower's `AWS…` sets, sets another tool
    /// tags), with their assignments.
    #[arg(long)]
    pub include_foreign: bool,
    /// The `owner` of every grant to a user (the language requires one).
    #[arg(long, value_name = "EMAIL")]
    pub user_grant_owner: Option<String>,
    /// The `until` of every grant to a user (YYYY-MM-DD; the language requires one).
    #[arg(long, value_name = "DATE", value_parser = Date::parse_arg)]
    pub user_grant_until: Option<Date>,
    /// Output format of the summary.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
}

/// Where the setup is read from. Each source yields the same
/// [`ImportModel`]; the writer and everything after it are shared.
enum Source {
    /// The live instance, through the AWS API.
    Live,
    /// CloudFormation templates or a Terraform state (`--from-cfn`,
    /// `--from-terraform`), read without AWS.
    Offline,
}

impl Source {
    fn of(args: &ImportArgs) -> Source {
        if args.offline.is_offline() {
            Source::Offline
        } else {
            Source::Live
        }
    }
}

/// What was read, for the summary.
struct Read {
    model: ImportModel,
    /// One line for people: where from, and what it cost.
    note: String,
    /// API calls made (live source).
    api_calls: Option<u64>,
}

/// `accessc import`.
pub fn run(args: ImportArgs) -> ExitCode {
    set_verbose(args.aws.verbose);
    // Refused before anything is read: a directory that cannot take the program.
    if let Err(e) = accessc_core::output::check_new_dir(&args.out) {
        eprintln!(
            "error: cannot write the program into `{}`: {e}; nothing was read or written",
            args.out.display()
        );
        return ExitCode::from(2);
    }
    let read = match Source::of(&args) {
        Source::Live => read_live(&args),
        Source::Offline => read_offline(&args),
    };
    let read = match read {
        Ok(r) => r,
        Err(code) => return code,
    };
    let opts = WriteOptions {
        include_foreign: args.include_foreign,
        user_grant_owner: args.user_grant_owner.clone(),
        user_grant_until: args.user_grant_until,
    };
    let written = match write_program(&read.model, &opts) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("error: {e}");
            eprintln!("nothing was written to `{}`", args.out.display());
            return ExitCode::from(2);
        }
    };
    if let Err(e) = accessc_core::output::write_new_dir(&args.out, &written.files) {
        eprintln!(
            "error: cannot write the program into `{}`: {e}",
            args.out.display()
        );
        return ExitCode::from(2);
    }
    eprintln!("{}", read.note);
    report(&args.out, &read, &written, args.format);
    ExitCode::SUCCESS
}

#[derive(Serialize)]
struct JsonReport<'a> {
    dir: String,
    files: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    api_calls: Option<u64>,
    permission_sets_read: usize,
    summary: &'a accessc_import::Summary,
}

fn report(dir: &Path, read: &Read, written: &Written, format: OutputFormat) {
    match format {
        OutputFormat::Human => {
            let mut text = format!(
                "wrote {} file(s) into {}\n",
                written.files.len(),
                dir.display()
            );
            text.push_str(&written.summary.to_string());
            out(&text);
        }
        OutputFormat::Json => {
            let report = JsonReport {
                dir: dir.display().to_string(),
                files: written.files.iter().map(|(p, _)| p.as_str()).collect(),
                api_calls: read.api_calls,
                permission_sets_read: read.model.permission_sets.len(),
                summary: &written.summary,
            };
            let mut s = serde_json::to_string_pretty(&report).unwrap_or_default();
            s.push('\n');
            out(&s);
        }
    }
}

/// A read of the live instance that failed: what could not be read and
/// what to do, on one line, and that nothing was written.
fn read_failed(e: &AwsError, dir: &Path) -> ExitCode {
    let help = match (e.kind, e.operation.as_str()) {
        (ErrorKind::Invalid, "GetInlinePolicyForPermissionSet") => Some(
            "correct that permission set's inline policy in IAM Identity Center (it must be one JSON policy document), then import again",
        ),
        (ErrorKind::AccessDenied, _) => Some(
            "`accessc import` reads the organization, the identity store and every permission set; docs/import.md lists the actions its role needs",
        ),
        _ => None,
    };
    eprintln!("error: cannot read the instance: {}", e.headline());
    if let Some(h) = help {
        eprintln!("help: {h}");
    }
    if let Some(d) = e.detail.as_deref().filter(|_| super::aws::verbose()) {
        eprintln!("  detail: {d}");
    }
    eprintln!("nothing was written to `{}`", dir.display());
    ExitCode::from(2)
}

fn read_live(args: &ImportArgs) -> Result<Read, ExitCode> {
    let rt = runtime()?;
    rt.block_on(async {
        let started = Instant::now();
        let aws = Aws::connect(connect_options(&args.aws, None))
            .await
            .map_err(|e| read_failed(&e, &args.out))?;
        let opts = ImportOptions {
            instance_arn: args.aws.instance_arn.clone(),
            concurrency: args.aws.read_concurrency.max(1),
        };
        let model = read_instance(&aws, &opts)
            .await
            .map_err(|e| read_failed(&e, &args.out))?;
        let note = format!(
            "read the live instance in {} API calls, {:.1} s: {} permission set(s), {} principal(s) holding assignments, {} assignment(s)",
            aws.calls(),
            started.elapsed().as_secs_f64(),
            model.permission_sets.len(),
            model.principals.len(),
            model.assignments.len()
        );
        Ok(Read {
            model,
            note,
            api_calls: Some(aws.calls()),
        })
    })
}

fn read_offline(args: &ImportArgs) -> Result<Read, ExitCode> {
    let started = Instant::now();
    let model = read_model(&args.offline)?;
    let note = format!(
        "read {} in {:.1} s: {} permission set(s), {} principal(s) holding assignments, {} assignment(s)",
        if args.offline.from_terraform.is_some() {
            "the Terraform state"
        } else {
            "the CloudFormation templates"
        },
        started.elapsed().as_secs_f64(),
        model.permission_sets.len(),
        model.principals.len(),
        model.assignments.len()
    );
    Ok(Read {
        model,
        note,
        api_calls: None,
    })
}
