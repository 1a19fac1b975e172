//! `accessc build`: check a program and write what AWS runs (the IR,
//! CloudFormation, Terraform) or what its users need (AWS CLI profiles)
//! into the output directory, and only there.

use accessc_core::Today;
use clap::{Args, ValueEnum};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::program::{self, Checking};
use crate::term::StageTimer;

#[derive(Args)]
pub struct BuildArgs {
    /// A .access file or a directory.
    path: PathBuf,
    /// What to generate; several (`--target ir,cfn,terraform`) share one
    /// check and write into a folder each under the output directory.
    #[arg(long, value_enum, value_delimiter = ',', required = true)]
    target: Vec<Target>,
    /// The output directory (created if missing; only files accessc wrote are replaced).
    #[arg(short = 'o', long = "out")]
    out: PathBuf,
    /// CloudFormation template format.
    #[arg(long, value_enum, default_value_t = TemplateFormat::Yaml)]
    format: TemplateFormat,
    /// CloudFormation: how many assignments of one stack are created at once
    /// (1 to 15; the assignments form this many `DependsOn` chains).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u8).range(1..=15))]
    max_concurrent_assignments: u8,
    /// The prefix of the names accessc gives in AWS, for both CloudFormation
    /// (stack names, the `NamePrefix` default) and Terraform (the
    /// `name_prefix` default): a letter, then letters, digits and single
    /// hyphens, at most 31.
    #[arg(long, default_value = accessc_core::emit::common::DEFAULT_NAME_PREFIX, value_parser = accessc_core::emit::common::NamePrefix::new)]
    name_prefix: accessc_core::emit::common::NamePrefix,
    /// aws-config: the name of each profile, from `{account}`,
    /// `{account_id}`, `{function}`, `{permission_set}` and letters, digits,
    /// `_`, `.`, `-`.
    #[arg(long, default_value = accessc_core::emit::aws_config::DEFAULT_PROFILE_TEMPLATE, value_parser = accessc_core::emit::aws_config::ProfileNameTemplate::new)]
    profile_name_template: accessc_core::emit::aws_config::ProfileNameTemplate,
    /// The date user-grant expiry is judged against (YYYY-MM-DD); default: today (UTC).
    #[arg(long, value_parser = Today::parse_arg)]
    today: Option<Today>,
    /// Let `use`, `org from` and `from json` read files outside the program's
    /// directory (absolute paths, `..`); only regular files are read all the same.
    #[arg(long)]
    allow_outside_root: bool,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
enum Target {
    Ir,
    Cfn,
    Terraform,
    /// AWS CLI profiles (`~/.aws/config`) for each group and user.
    AwsConfig,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum TemplateFormat {
    Yaml,
    Json,
}

pub fn run(args: BuildArgs) -> ExitCode {
    let timer = StageTimer::new();
    let how = Checking::strict(
        args.allow_outside_root,
        args.today.unwrap_or_else(Today::now),
        "nothing was written",
    )
    .showing_warnings();
    let ir = match program::checked_ir(&args.path, &how, &timer) {
        Ok(ir) => ir,
        Err(code) => return code,
    };
    let out_dir = args.out.as_path();
    let format = args.format;
    let mut targets: Vec<Target> = args.target;
    let mut seen = Vec::new();
    targets.retain(|t| {
        let first = !seen.contains(t);
        seen.push(*t);
        first
    });
    // One target writes into the output directory, several into a folder
    // each under it.
    let several = targets.len() > 1;
    let dir_of = |t: Target| -> PathBuf {
        if !several {
            out_dir.to_path_buf()
        } else {
            out_dir.join(match t {
                Target::Ir => "ir",
                Target::Cfn => "cfn",
                Target::Terraform => "terraform",
                Target::AwsConfig => "aws-config",
            })
        }
    };
    // Terraform's file list depends on the program: make it first (its working memory is
    // free again before CloudFormation needs its own).
    let mut terraform = None;
    if targets.contains(&Target::Terraform) {
        match accessc_core::emit::terraform::prepare_terraform(&ir, args.name_prefix) {
            Ok(output) => terraform = Some(output),
            Err(clashes) => {
                for c in &clashes {
                    eprintln!("error: {c}");
                }
                eprintln!(
                    "error: {} Terraform name clash(es); nothing was written",
                    clashes.len()
                );
                return ExitCode::from(1);
            }
        }
        timer.lap("terraform: emit");
    }
    // The profiles need the portal URL and Region: refuse before writing.
    let mut aws_config = None;
    if targets.contains(&Target::AwsConfig) {
        match accessc_core::emit::aws_config::emit_aws_config(&ir, &args.profile_name_template) {
            Ok(files) => aws_config = Some(files),
            Err(problems) => {
                for p in &problems {
                    eprintln!("error: {p}");
                }
                eprintln!(
                    "error: the AWS CLI profiles cannot be made ({} problem(s)); nothing was written",
                    problems.len()
                );
                return ExitCode::from(1);
            }
        }
        timer.lap("aws-config: emit");
    }
    // CloudFormation is the one backend that can refuse (guard rules,
    // limits): prepare it before anything is written.
    let mut cfn = None;
    if targets.contains(&Target::Cfn) {
        let opts = accessc_core::emit::cfn::CfnOptions {
            format: match format {
                TemplateFormat::Yaml => accessc_core::emit::cfn::CfnFormat::Yaml,
                TemplateFormat::Json => accessc_core::emit::cfn::CfnFormat::Json,
            },
            max_concurrent_assignments: usize::from(args.max_concurrent_assignments),
            name_prefix: args.name_prefix,
        };
        match accessc_core::emit::cfn::prepare_cfn(&ir, &opts, &accessc_guard::GuardRules) {
            Ok(output) => {
                for warning in output.warnings() {
                    eprintln!("warning: {warning}");
                }
                cfn = Some(output)
            }
            Err(violations) => {
                for v in &violations {
                    eprintln!("error: {v}");
                }
                eprintln!(
                    "error: {} problem(s) in the generated templates (guard rules, limits, name clashes); nothing was written",
                    violations.len()
                );
                return ExitCode::from(1);
            }
        }
        timer.lap("cfn: emit and check");
    }
    // The output directory is locked for the whole build (another build into
    // it is awaited), then each target's folder, in a fixed order; every
    // folder is checked for foreign files before anything is written.
    let mut on_wait = |d: &Path| {
        eprintln!(
            "waiting for another accessc build into `{}` to finish",
            d.display()
        )
    };
    let _whole = if several {
        match accessc_core::output::lock_dir(out_dir, &mut on_wait) {
            Ok(lock) => Some(lock),
            Err(e) => {
                eprintln!("error: cannot write to `{}`: {e}", out_dir.display());
                return ExitCode::from(2);
            }
        }
    } else {
        None
    };
    targets.sort_by_key(|t| dir_of(*t));
    let mut writers = Vec::new();
    for &t in &targets {
        let mut paths = match t {
            Target::Cfn => cfn.as_ref().map(|c| c.paths()).unwrap_or_default(),
            Target::Ir => vec![accessc_core::emit::IR_FILE.to_string()],
            Target::Terraform => terraform.as_ref().map(|t| t.paths()).unwrap_or_default(),
            // The profiles are in `groups/` and `users/`: the folder itself
            // holds only its (empty) manifest, and is locked while they are written.
            Target::AwsConfig => Vec::new(),
        };
        let dir = dir_of(t);
        let kinds = match t {
            Target::Ir => accessc_core::output::Kinds::IR,
            Target::Cfn => accessc_core::output::Kinds::CFN,
            Target::Terraform => accessc_core::output::Kinds::TERRAFORM,
            Target::AwsConfig => accessc_core::output::Kinds::AWS_CONFIG,
        };
        // CloudFormation's templates go into a folder of their own, with its
        // own manifest, as each target's folder of a multi-target build:
        // the deploy order stays apart from them.
        let templates: Vec<String> = if t == Target::Cfn {
            let (templates, rest) = paths
                .into_iter()
                .partition(|p| accessc_core::emit::cfn::is_template(p));
            paths = rest;
            templates
        } else {
            Vec::new()
        };
        let writer = match begin(&dir, kinds, paths, &mut on_wait) {
            Ok(w) => w,
            Err(code) => return code,
        };
        let mut subs = Vec::new();
        let wanted: Vec<(&str, accessc_core::output::Kinds, Vec<String>)> = match t {
            Target::Cfn => vec![(
                accessc_core::emit::cfn::TEMPLATES_DIR,
                accessc_core::output::Kinds::CFN_TEMPLATES,
                templates,
            )],
            Target::AwsConfig => {
                let names = |files: &[accessc_core::emit::OutFile]| -> Vec<String> {
                    files.iter().map(|f| f.path.clone()).collect()
                };
                let files = aws_config.as_ref();
                vec![
                    (
                        accessc_core::emit::aws_config::GROUPS_DIR,
                        accessc_core::output::Kinds::AWS_CONFIG,
                        files.map(|f| names(&f.groups)).unwrap_or_default(),
                    ),
                    (
                        accessc_core::emit::aws_config::USERS_DIR,
                        accessc_core::output::Kinds::AWS_CONFIG,
                        files.map(|f| names(&f.users)).unwrap_or_default(),
                    ),
                ]
            }
            _ => Vec::new(),
        };
        for (name, kinds, paths) in wanted {
            let sub = dir.join(name);
            match begin(&sub, kinds, paths, &mut on_wait) {
                Ok(w) => subs.push((sub, w)),
                Err(code) => return code,
            }
        }
        writers.push((t, dir, writer, subs))
    }
    // CloudFormation first: writing it frees its units before the IR's JSON
    // text is made.
    writers.sort_by_key(|(t, ..)| match t {
        Target::Cfn => 0,
        Target::Terraform => 1,
        Target::AwsConfig => 2,
        Target::Ir => 3,
    });
    for (t, dir, mut writer, mut subs) in writers {
        let shown = dir.display().to_string();
        let written = match t {
            Target::Ir => {
                let files = accessc_core::emit::emit_ir(&ir);
                timer.lap("ir: emit");
                write_all(writer, &files).map(|r| vec![(dir, r)])
            }
            // `assignments.tf` is rendered as it is written, never held whole.
            Target::Terraform => match terraform.take() {
                Some(output) => output
                    .write(&mut writer)
                    .and_then(|()| Ok(vec![(dir, writer.finish()?)])),
                None => Err(std::io::Error::other(
                    "the Terraform output was not prepared",
                )),
            },
            // Assignment templates are rendered in parallel and written as
            // they come, so the output is never held whole in memory.
            Target::AwsConfig => match (aws_config.take(), subs.pop(), subs.pop()) {
                (Some(files), Some((users_dir, uw)), Some((groups_dir, gw))) => {
                    write_all(gw, &files.groups).and_then(|g| {
                        let u = write_all(uw, &files.users)?;
                        Ok(vec![
                            (groups_dir, g),
                            (users_dir, u),
                            (dir, writer.finish()?),
                        ])
                    })
                }
                _ => Err(std::io::Error::other(
                    "the AWS CLI profiles were not prepared",
                )),
            },
            Target::Cfn => match (cfn.take(), subs.pop()) {
                (Some(output), Some((sub, mut tw))) => output
                    .for_each_file(|f| {
                        if accessc_core::emit::cfn::is_template(&f.path) {
                            tw.write(&f.path, &f.contents)
                        } else {
                            writer.write(&f.path, &f.contents)
                        }
                    })
                    .and_then(|()| Ok(vec![(sub, tw.finish()?), (dir, writer.finish()?)])),
                _ => Err(std::io::Error::other(
                    "the CloudFormation output was not prepared",
                )),
            },
        };
        timer.lap(match t {
            Target::Ir => "ir: write",
            Target::Terraform => "terraform: write",
            Target::Cfn => "cfn: render and write",
            Target::AwsConfig => "aws-config: write",
        });
        match written {
            Ok(reports) => {
                for (dir, report) in reports {
                    for warning in &report.warnings {
                        eprintln!("warning: {warning}");
                    }
                    eprintln!(
                        "wrote {} file(s) to {} ({} unchanged, {} removed)",
                        report.written.len(),
                        dir.display(),
                        report.unchanged.len(),
                        report.removed.len()
                    )
                }
            }
            Err(e) => {
                eprintln!("error: cannot write to `{shown}`: {e}");
                return ExitCode::from(2);
            }
        }
    }
    if let Some(note) = inactive_accounts_note(&ir) {
        eprintln!("{note}");
    }
    ExitCode::SUCCESS
}

/// Opens one output folder for `paths` (see `OutputWriter::begin_with`),
/// printing what it found; the exit code of a refusal.
fn begin(
    dir: &Path,
    kinds: accessc_core::output::Kinds,
    paths: Vec<String>,
    on_wait: &mut dyn FnMut(&Path),
) -> Result<accessc_core::output::OutputWriter, ExitCode> {
    match accessc_core::output::OutputWriter::begin_with(dir, kinds, paths, on_wait) {
        Ok(mut w) => {
            for warning in w.take_warnings() {
                eprintln!("warning: {warning}");
            }
            Ok(w)
        }
        Err(e) => {
            eprintln!("error: cannot write to `{}`: {e}", dir.display());
            Err(ExitCode::from(2))
        }
    }
}

/// The summary's note on the accounts no assignment reaches because AWS
/// Organizations reports them suspended, closing or closed (the IR lists
/// their `status`); `None` when every account is assignable.
pub(crate) fn inactive_accounts_note(ir: &accessc_core::ir::Ir) -> Option<String> {
    const SHOWN: usize = 10;
    let inactive: Vec<String> = ir
        .org
        .accounts
        .iter()
        .filter(|a| !a.is_assignable())
        .map(|a| format!("{} ({})", a.name, a.status.as_deref().unwrap_or_default()))
        .collect();
    if inactive.is_empty() {
        return None;
    }
    let mut names = inactive
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if inactive.len() > SHOWN {
        names.push_str(&format!(" and {} more", inactive.len() - SHOWN));
    }
    Some(format!(
        "note: {} suspended or closed account(s) get no assignments: {names}",
        inactive.len()
    ))
}

/// Writes `files` with `w` and finishes.
fn write_all(
    mut w: accessc_core::output::OutputWriter,
    files: &[accessc_core::emit::OutFile],
) -> std::io::Result<accessc_core::output::WriteReport> {
    for f in files {
        w.write(&f.path, &f.contents)?;
    }
    w.finish()
}
