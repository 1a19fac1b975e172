//! The offline sources of `accessc import`: `--from-cfn` (CloudFormation
//! templates, files or directories), `--from-terraform` (a `terraform show
//! -json` state) and `--org` (an organization snapshot naming principals).
//! Every file is read as the command line's files are (regular files only,
//! bounded); the readers themselves are pure (`accessc_import::cfn`,
//! `accessc_import::terraform`). Whatever cannot be read is one message
//! naming the file and what to do, exit 2, and nothing is written.

use accessc_core::jail;
use accessc_core::org_snapshot::{self, OrgSnapshot};
use accessc_import::cfn::{self, CfnInput};
use accessc_import::model::ImportModel;
use accessc_import::offline::{finish, ReadError, SourceFile};
use accessc_import::terraform;
use clap::Args;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The extensions a directory given to `--from-cfn` is searched for.
const TEMPLATE_EXTENSIONS: [&str; 4] = ["yaml", "yml", "json", "template"];
/// How deep a directory given to `--from-cfn` is searched.
const MAX_DIR_DEPTH: usize = 8;

#[derive(Debug, Clone, Default, Args)]
pub struct OfflineArgs {
    /// Read CloudFormation templates instead of the live instance: files, or
    /// directories searched for `.yaml`, `.yml`, `.json` and `.template`
    /// files (aws-sso-util's output directory, `accessc build --target cfn`'s
    /// `templates/`). Nested stacks are followed to their local TemplateURL.
    #[arg(long = "from-cfn", value_name = "FILE|DIR", num_args = 1.., conflicts_with = "from_terraform")]
    pub from_cfn: Vec<PathBuf>,
    /// A root stack's parameter, for `--from-cfn` (repeatable):
    /// `--parameter InstanceArn=arn:aws:sso:::instance/ssoins-…`.
    #[arg(long = "parameter", value_name = "NAME=VALUE", requires = "from_cfn")]
    pub parameters: Vec<String>,
    /// Read a Terraform state instead of the live instance: the output of
    /// `terraform show -json` (format 1.x, provider hashicorp/aws).
    #[arg(long = "from-terraform", value_name = "STATE.json")]
    pub from_terraform: Option<PathBuf>,
    /// With `--from-cfn` or `--from-terraform`: an organization snapshot
    /// (`accessc org snapshot`) naming the groups and users from its identity
    /// store, and the OUs grants are written to. Without it, principals keep
    /// their ids and grants name accounts.
    #[arg(long = "org", value_name = "org.json")]
    pub org: Option<PathBuf>,
}

impl OfflineArgs {
    /// Whether an offline source is given (otherwise the import is live).
    pub fn is_offline(&self) -> bool {
        !self.from_cfn.is_empty() || self.from_terraform.is_some()
    }
}

fn refuse(e: &ReadError) -> ExitCode {
    eprintln!("error: {e}");
    eprintln!("error: nothing was written");
    ExitCode::from(2)
}

fn read_text(path: &Path) -> Result<String, ExitCode> {
    let bytes = jail::read_regular(path).map_err(|e| {
        eprintln!("error: cannot read `{}`: {e}", path.display());
        eprintln!("error: nothing was written");
        ExitCode::from(2)
    })?;
    String::from_utf8(bytes).map_err(|e| {
        eprintln!(
            "error: `{}` is not UTF-8 text (byte {})",
            path.display(),
            e.utf8_error().valid_up_to()
        );
        eprintln!("error: nothing was written");
        ExitCode::from(2)
    })
}

/// The template files under `dir`, sorted; symbolic links are not followed.
fn templates_in(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let mut stack = vec![(dir.to_path_buf(), 0usize)];
    while let Some((d, depth)) = stack.pop() {
        let rd =
            std::fs::read_dir(&d).map_err(|e| format!("cannot read `{}`: {e}", d.display()))?;
        for e in rd {
            let e = e.map_err(|e| format!("cannot read `{}`: {e}", d.display()))?;
            let t = e
                .file_type()
                .map_err(|err| format!("cannot read `{}`: {err}", e.path().display()))?;
            let p = e.path();
            if t.is_dir() {
                if depth + 1 > MAX_DIR_DEPTH {
                    return Err(format!(
                        "`{}` is nested deeper than {MAX_DIR_DEPTH} directories",
                        p.display()
                    ));
                }
                stack.push((p, depth + 1));
            } else if t.is_file()
                && p.extension()
                    .and_then(|x| x.to_str())
                    .is_some_and(|x| TEMPLATE_EXTENSIONS.contains(&x))
            {
                out.push(p);
                if out.len() > cfn::MAX_FILES {
                    return Err(format!(
                        "more than {} template files under `{}`",
                        cfn::MAX_FILES,
                        dir.display()
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Whether a file found in a directory is a template: `deploy-order.json`,
/// aws-sso-util's configuration files and the like are left aside.
fn looks_like_template(text: &str) -> bool {
    text.contains("Resources")
}

fn parse_parameters(given: &[String]) -> Result<BTreeMap<String, String>, ExitCode> {
    let mut out = BTreeMap::new();
    for p in given {
        let Some((k, v)) = p.split_once('=').filter(|(k, _)| !k.is_empty()) else {
            eprintln!("error: `--parameter {p}`: write it NAME=VALUE");
            return Err(ExitCode::from(2));
        };
        if out.insert(k.to_string(), v.to_string()).is_some() {
            eprintln!("error: `--parameter {k}=…` is given twice");
            return Err(ExitCode::from(2));
        }
    }
    Ok(out)
}

fn read_org(path: &Path) -> Result<OrgSnapshot, ExitCode> {
    let text = read_text(path)?;
    let fail = |msg: String| {
        eprintln!("error: {}: {msg}", path.display());
        eprintln!("  help: give a snapshot written by `accessc org snapshot`");
        eprintln!("error: nothing was written");
        ExitCode::from(2)
    };
    let org = OrgSnapshot::from_json(&text).map_err(|e| match e {
        org_snapshot::ReadError::Syntax(e) => fail(format!("not JSON: {e}")),
        org_snapshot::ReadError::Shape(e) => fail(e.message),
    })?;
    if let Some(e) = org.validate().into_iter().next() {
        return Err(fail(e.message));
    }
    Ok(org)
}

/// Read the offline source the arguments name into an import model.
pub fn read_model(a: &OfflineArgs) -> Result<ImportModel, ExitCode> {
    let org = a.org.as_deref().map(read_org).transpose()?;
    let model = if let Some(state) = &a.from_terraform {
        let file = SourceFile {
            name: state.display().to_string(),
            text: read_text(state)?,
        };
        terraform::read(&file).map_err(|e| refuse(&e))?
    } else {
        let mut files = Vec::new();
        for p in &a.from_cfn {
            let meta = std::fs::metadata(p).map_err(|e| {
                eprintln!("error: cannot read `{}`: {e}", p.display());
                ExitCode::from(2)
            })?;
            if meta.is_dir() {
                let mut found = Vec::new();
                templates_in(p, &mut found).map_err(|m| {
                    eprintln!("error: {m}");
                    eprintln!("error: nothing was written");
                    ExitCode::from(2)
                })?;
                found.sort();
                for f in found {
                    let text = read_text(&f)?;
                    if looks_like_template(&text) {
                        files.push(SourceFile {
                            name: f.display().to_string(),
                            text,
                        });
                    }
                }
            } else {
                files.push(SourceFile {
                    name: p.display().to_string(),
                    text: read_text(p)?,
                });
            }
            if files.len() > cfn::MAX_FILES {
                eprintln!("error: more than {} templates", cfn::MAX_FILES);
                return Err(ExitCode::from(2));
            }
        }
        let input = CfnInput {
            files,
            parameters: parse_parameters(&a.parameters)?,
        };
        cfn::read(&input).map_err(|e| refuse(&e))?
    };
    Ok(finish(model, org))
}
