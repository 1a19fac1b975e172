//! `accessc fmt`: rewrite `.access` files in the canonical layout, comments
//! kept; `--check` writes nothing and lists the files that would change.

use accessc_core::render::{render_human, HumanOptions};
use accessc_core::{load, RealFs};
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::term::{self, out};

#[derive(Args)]
pub struct FmtArgs {
    /// A .access file or a directory.
    path: PathBuf,
    /// Write nothing; exit 1 if any file is not formatted.
    #[arg(long)]
    check: bool,
}

pub fn run(args: FmtArgs) -> ExitCode {
    let path = args.path.as_path();
    let program = match load(&RealFs, path) {
        Ok(p) => p,
        Err(e) => return term::cannot_read(path, e),
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
            .filter(|d| d.span.file == file && d.code.is_syntax())
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
        let formatted = accessc_core::fmt::format_module(module, &src.text);
        if formatted == *src.text {
            continue;
        }
        if args.check {
            out(&format!("{}\n", src.name));
            status = ExitCode::from(1);
        } else {
            // The path itself, not its display name (which may have lost
            // bytes that are not UTF-8).
            let written = match program.root_paths.get(&file) {
                Some(p) => accessc_core::output::rewrite_in_root(root, p, formatted.as_bytes()),
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
