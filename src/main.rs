//! The `accessc` command line.

use accessc::diagnostic::Severity;
use accessc::load::{load_with_options, LoadOptions};
use accessc::render::{
    render_human, sarif_document, sarif_results, summary, to_json_diagnostic, HumanOptions,
    JsonDiagnostic,
};
use accessc::{check, load, CheckOptions, RealFs, Today};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

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
    Check {
        /// A .access file, or a directory: every *.access file directly in it is one program.
        /// Several paths are several programs.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// The date user-grant expiry is judged against (YYYY-MM-DD); default: today (UTC).
        #[arg(long, value_parser = Today::parse_arg)]
        today: Option<Today>,
        /// Treat warnings as errors: `--deny warnings`.
        #[arg(long, value_enum)]
        deny: Option<Deny>,
        /// Let `use`, `org from` and `from json` read files outside the program's
        /// directory (absolute paths, `..`); only regular files are read all the same.
        #[arg(long)]
        allow_outside_root: bool,
    },
    /// Check a program and generate what AWS runs: the IR, CloudFormation or Terraform.
    Build {
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
        /// The date user-grant expiry is judged against (YYYY-MM-DD); default: today (UTC).
        #[arg(long, value_parser = Today::parse_arg)]
        today: Option<Today>,
        /// Let `use`, `org from` and `from json` read files outside the program's
        /// directory (absolute paths, `..`); only regular files are read all the same.
        #[arg(long)]
        allow_outside_root: bool,
    },
    /// Rewrite .access files in the canonical layout (comments kept).
    Fmt {
        /// A .access file or a directory.
        path: PathBuf,
        /// Write nothing; exit 1 if any file is not formatted.
        #[arg(long)]
        check: bool,
    },
    /// Explain a diagnostic code: what it means, an example, and the fix.
    Explain {
        /// A code such as A402; `all` lists every code.
        code: String,
    },
    /// Read the live AWS organization: `accessc org snapshot -o org.json`.
    Org {
        #[command(subcommand)]
        command: accessc::aws::cli::OrgCommand,
    },
    /// Diff a program with the live IAM Identity Center instance (through the AWS API).
    Plan(accessc::aws::cli::PlanArgs),
    /// Make the live IAM Identity Center instance match a program (through the AWS API).
    Apply(accessc::aws::cli::ApplyArgs),
    /// Report what exists live but not in the source; exit 3 when there is drift.
    Drift(accessc::aws::cli::DriftArgs),
    /// Run the language server on stdin/stdout (for editors: docs/editors.md).
    Lsp {
        /// Accepted for clients that pass it; stdio is the only transport.
        #[arg(long)]
        stdio: bool,
    },
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    Human,
    Json,
    Sarif,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
enum Target {
    Ir,
    Cfn,
    Terraform,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum TemplateFormat {
    Yaml,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum Deny {
    Warnings,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check {
            paths,
            format,
            today,
            deny,
            allow_outside_root,
        } => cmd_check(
            &paths,
            format,
            today.unwrap_or_else(Today::now),
            deny.is_some(),
            &LoadOptions { allow_outside_root },
        ),
        Command::Build {
            path,
            target,
            out,
            format,
            today,
            allow_outside_root,
        } => cmd_build(
            &path,
            &target,
            &out,
            format,
            today.unwrap_or_else(Today::now),
            &LoadOptions { allow_outside_root },
        ),
        Command::Fmt { path, check } => cmd_fmt(&path, check),
        Command::Explain { code } => cmd_explain(&code),
        Command::Org { command } => ExitCode::from(accessc::aws::cli::org(command)),
        Command::Plan(args) => ExitCode::from(accessc::aws::cli::plan(args)),
        Command::Apply(args) => ExitCode::from(accessc::aws::cli::apply(args)),
        Command::Drift(args) => ExitCode::from(accessc::aws::cli::drift(args)),
        Command::Lsp { stdio: _ } => cmd_lsp(),
    }
}

/// `ACCESSC_TIMINGS=1` prints how long each stage took, on standard error.
struct StageTimer {
    on: bool,
    last: std::cell::Cell<std::time::Instant>,
}

impl StageTimer {
    fn new() -> StageTimer {
        StageTimer {
            on: std::env::var_os("ACCESSC_TIMINGS").is_some(),
            last: std::cell::Cell::new(std::time::Instant::now()),
        }
    }

    fn lap(&self, stage: &str) {
        if self.on {
            let now = std::time::Instant::now();
            eprintln!(
                "timing: {stage:<16} {:>8.1} ms{}",
                (now - self.last.get()).as_secs_f64() * 1000.0,
                memory_note()
            );
            self.last.set(now);
        }
    }
}

/// `  (resident 120 MiB, peak 300 MiB)` from `/proc/self/status`, where the
/// system has one; empty elsewhere.
fn memory_note() -> String {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return String::new();
    };
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    };
    match (field("VmRSS:"), field("VmHWM:")) {
        (Some(rss), Some(hwm)) => {
            format!("  (resident {} MiB, peak {} MiB)", rss / 1024, hwm / 1024)
        }
        _ => String::new(),
    }
}

/// Write to standard output; a closed pipe (`| head`) is not an error.
fn out(s: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(s.as_bytes()).and_then(|_| stdout.flush());
}

fn io_error(path: &Path, e: std::io::Error) -> ExitCode {
    eprintln!("error: cannot read `{}`: {e}", path.display());
    ExitCode::from(2)
}

fn cmd_check(
    paths: &[PathBuf],
    format: Format,
    today: Today,
    deny_warnings: bool,
    load_opts: &LoadOptions,
) -> ExitCode {
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut human = String::new();
    let mut json: Vec<JsonDiagnostic> = Vec::new();
    let mut sarif: Vec<serde_json::Value> = Vec::new();
    let mut all = Vec::new();
    for path in paths {
        let program = match load_with_options(&RealFs, path, load_opts) {
            Ok(p) => p,
            Err(e) => return io_error(path, e),
        };
        if program.roots.is_empty() {
            eprintln!("error: no .access files in `{}`", path.display());
            return ExitCode::from(2);
        }
        let checked = check(&program, &CheckOptions { today });
        let mut diags = checked.diagnostics;
        if deny_warnings {
            for d in &mut diags {
                d.severity = Severity::Error;
            }
        }
        match format {
            Format::Human => {
                let width = if color { 120 } else { 100 };
                human.push_str(&render_human(
                    &diags,
                    &program.sources,
                    HumanOptions { color, width },
                ));
            }
            Format::Json => {
                json.extend(
                    diags
                        .iter()
                        .map(|d| to_json_diagnostic(d, &program.sources)),
                );
            }
            Format::Sarif => sarif.extend(sarif_results(&diags, &program.sources)),
        }
        all.extend(diags);
    }
    match format {
        Format::Human => {
            human.push_str(&summary(&all));
            out(&format!("{human}\n"));
        }
        Format::Json => out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&json).unwrap_or_else(|_| "[]".into())
        )),
        Format::Sarif => out(&sarif_document(sarif)),
    }
    if all.iter().any(|d| d.severity == Severity::Error) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn cmd_build(
    path: &Path,
    targets: &[Target],
    out_dir: &Path,
    format: TemplateFormat,
    today: Today,
    load_opts: &LoadOptions,
) -> ExitCode {
    let timer = StageTimer::new();
    let program = match load_with_options(&RealFs, path, load_opts) {
        Ok(p) => p,
        Err(e) => return io_error(path, e),
    };
    if program.roots.is_empty() {
        eprintln!("error: no .access files in `{}`", path.display());
        return ExitCode::from(2);
    }
    timer.lap("load and parse");
    let checked = check(&program, &CheckOptions { today });
    timer.lap("check");
    if checked.has_errors() {
        let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        let mut s = render_human(
            &checked.diagnostics,
            &program.sources,
            HumanOptions { color, width: 100 },
        );
        s.push_str(&summary(&checked.diagnostics));
        eprintln!("{s}");
        eprintln!("error: the program has errors; nothing was written");
        return ExitCode::from(1);
    }
    let ir = accessc::model_to_ir::lower(&checked.model);
    // The IR is all the backends read: free the rest first.
    drop(checked);
    drop(program);
    timer.lap("lower to IR");
    let mut targets: Vec<Target> = targets.to_vec();
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
            })
        }
    };
    // Terraform's file list depends on the program: make it first (its working memory is
    // free again before CloudFormation needs its own).
    let mut terraform = None;
    if targets.contains(&Target::Terraform) {
        match accessc::emit::terraform::emit_terraform(&ir) {
            Ok(files) => terraform = Some(files),
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
    // CloudFormation is the one backend that can refuse (guard rules,
    // limits): prepare it before anything is written.
    let mut cfn = None;
    if targets.contains(&Target::Cfn) {
        let opts = accessc::emit::cfn::CfnOptions {
            format: match format {
                TemplateFormat::Yaml => accessc::emit::cfn::CfnFormat::Yaml,
                TemplateFormat::Json => accessc::emit::cfn::CfnFormat::Json,
            },
        };
        match accessc::emit::cfn::prepare_cfn(&ir, &opts) {
            Ok(output) => cfn = Some(output),
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
        match accessc::output::lock_dir(out_dir, &mut on_wait) {
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
        let paths = match t {
            Target::Cfn => cfn.as_ref().map(|c| c.paths()).unwrap_or_default(),
            Target::Ir => vec![accessc::emit::IR_FILE.to_string()],
            Target::Terraform => terraform.iter().flatten().map(|f| f.path.clone()).collect(),
        };
        let dir = dir_of(t);
        let kinds = match t {
            Target::Ir => accessc::output::Kinds::IR,
            Target::Cfn => accessc::output::Kinds::CFN,
            Target::Terraform => accessc::output::Kinds::TERRAFORM,
        };
        match accessc::output::OutputWriter::begin_with(&dir, kinds, paths, &mut on_wait) {
            Ok(mut w) => {
                for warning in w.take_warnings() {
                    eprintln!("warning: {warning}");
                }
                writers.push((t, dir, w))
            }
            Err(e) => {
                eprintln!("error: cannot write to `{}`: {e}", dir.display());
                return ExitCode::from(2);
            }
        }
    }
    // CloudFormation first: writing it frees its units before the IR's JSON
    // text is made.
    writers.sort_by_key(|(t, _, _)| match t {
        Target::Cfn => 0,
        Target::Terraform => 1,
        Target::Ir => 2,
    });
    let mut status = ExitCode::SUCCESS;
    for (t, dir, mut writer) in writers {
        let written = match t {
            Target::Ir => {
                let files = accessc::emit::emit_ir(&ir);
                timer.lap("ir: emit");
                write_all(writer, &files)
            }
            Target::Terraform => write_all(writer, &terraform.take().unwrap_or_default()),
            // Assignment templates are rendered in parallel and written as
            // they come, so the output is never held whole in memory.
            Target::Cfn => match cfn.take() {
                Some(output) => output
                    .for_each_file(|f| writer.write(&f.path, &f.contents))
                    .and_then(|()| writer.finish()),
                None => Err(std::io::Error::other(
                    "the CloudFormation output was not prepared",
                )),
            },
        };
        timer.lap(match t {
            Target::Ir => "ir: write",
            Target::Terraform => "terraform: write",
            Target::Cfn => "cfn: render and write",
        });
        match written {
            Ok(report) => {
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
            Err(e) => {
                eprintln!("error: cannot write to `{}`: {e}", dir.display());
                status = ExitCode::from(2);
                break;
            }
        }
    }
    status
}

/// Writes `files` with `w` and finishes.
fn write_all(
    mut w: accessc::output::OutputWriter,
    files: &[accessc::emit::OutFile],
) -> std::io::Result<accessc::output::WriteReport> {
    for f in files {
        w.write(&f.path, &f.contents)?;
    }
    w.finish()
}

fn cmd_fmt(path: &Path, check_only: bool) -> ExitCode {
    let program = match load(&RealFs, path) {
        Ok(p) => p,
        Err(e) => return io_error(path, e),
    };
    // The program's root: files are rewritten only inside it.
    let root = if path.is_dir() {
        path
    } else {
        path.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    };
    let mut status = ExitCode::SUCCESS;
    let mut cannot_write = false;
    for &file in &program.refused {
        let refused: Vec<_> = program
            .diagnostics
            .iter()
            .filter(|d| d.span.file == file)
            .cloned()
            .collect();
        out(&render_human(
            &refused,
            &program.sources,
            HumanOptions::default(),
        ));
        eprintln!(
            "error: `{}` is not read; not formatted",
            program.sources.get(file).name
        );
        status = ExitCode::from(1);
    }
    for &file in &program.roots {
        let src = program.sources.get(file);
        let syntax: Vec<_> = program
            .diagnostics
            .iter()
            .filter(|d| d.span.file == file && d.code == "A100")
            .cloned()
            .collect();
        if !syntax.is_empty() {
            out(&render_human(
                &syntax,
                &program.sources,
                HumanOptions::default(),
            ));
            eprintln!("error: `{}` has syntax errors; not formatted", src.name);
            status = ExitCode::from(1);
            continue;
        }
        let Some(module) = program.modules.iter().find(|m| m.file == file) else {
            continue;
        };
        let formatted = accessc::fmt::format_module(module, &src.text);
        if formatted == *src.text {
            continue;
        }
        if check_only {
            out(&format!("{}\n", src.name));
            status = ExitCode::from(1);
        } else {
            // The path itself, not its display name (which may have lost
            // bytes that are not UTF-8).
            let written = match program.root_paths.get(&file) {
                Some(p) => accessc::output::rewrite_in_root(root, p, formatted.as_bytes()),
                None => Err(std::io::Error::other("not read from a file")),
            };
            if let Err(e) = written {
                eprintln!("error: cannot write `{}`: {e}", src.name);
                cannot_write = true;
            }
        }
    }
    if cannot_write {
        ExitCode::from(2)
    } else {
        status
    }
}

fn cmd_explain(code: &str) -> ExitCode {
    if code.eq_ignore_ascii_case("all") {
        for info in accessc::explain::all() {
            let sev = match info.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            out(&format!("{}  {:<7}  {}\n", info.code, sev, info.title));
        }
        return ExitCode::SUCCESS;
    }
    match accessc::explain::lookup(code) {
        Some(info) => {
            out(info.page);
            if !info.page.ends_with('\n') {
                out("\n");
            }
            ExitCode::SUCCESS
        }
        None => {
            eprintln!("error: unknown code `{code}`; `accessc explain all` lists them");
            ExitCode::from(2)
        }
    }
}

fn cmd_lsp() -> ExitCode {
    match accessc::lsp::run_stdio() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
