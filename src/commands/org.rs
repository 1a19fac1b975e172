//! `accessc org snapshot`: the live organization and the identity-store ids
//! of the program's groups and users, as the JSON `org from` reads.

use accessc_aws::client::Aws;
use accessc_aws::snapshot::{self, SnapshotOptions};
use accessc_core::ast::ItemKind;
use accessc_core::ir::PrincipalType;
use accessc_core::load::LoadOptions;
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use super::aws::{connect_options, fail, runtime, set_verbose, AwsArgs};
use crate::program;

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

/// What `org snapshot` needs of a program: its groups and users (by
/// DisplayName / UserName), and its instance ARN and region.
type ProgramNames = (Vec<(PrincipalType, String)>, Option<String>, Option<String>);

/// The groups, users and instance a program names, read without checking it
/// (its `org from` file may be the one being written).
fn program_principals(path: &Path, load_opts: &LoadOptions) -> Result<ProgramNames, ExitCode> {
    let program = program::load(path, load_opts)?;
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
pub fn run(cmd: OrgCommand) -> ExitCode {
    match cmd {
        OrgCommand::Snapshot(args) => org_snapshot(args),
    }
}

fn org_snapshot(args: SnapshotArgs) -> ExitCode {
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
    set_verbose(args.aws.verbose);
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
        if let Err(e) = accessc_core::output::replace_file(&args.out, snap.json.as_bytes()) {
            eprintln!("error: cannot write `{}`: {e}", args.out.display());
            return ExitCode::from(2);
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
        ExitCode::SUCCESS
    })
}
