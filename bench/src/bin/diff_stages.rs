//! `accessc-diff-stages OLD NEW`: the stages of `accessc diff` on two
//! programs, timed one by one in this process (load, check and lower both
//! programs on two threads; diff; render the JSON and the Markdown), for
//! `docs/performance.md`. Exit 2 when a program cannot be read or has errors.

use accessc_core::load::{load_with_options, LoadOptions};
use accessc_core::{check, CheckOptions, Date, RealFs};
use accessc_views::diff::{diff, render};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

fn ir(path: &Path, today: Date) -> Result<accessc_core::ir::Ir, String> {
    let program = load_with_options(&RealFs, path, &LoadOptions::default())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let checked = check(&program, &CheckOptions { today });
    let model = checked
        .checked_model()
        .ok_or_else(|| format!("{}: the program has errors", path.display()))?;
    Ok(accessc_core::model_to_ir::lower(model))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [old, new, ..] = args.as_slice() else {
        eprintln!("usage: accessc-diff-stages OLD NEW [TODAY]");
        return ExitCode::from(2);
    };
    let today = args
        .get(2)
        .and_then(|t| Date::parse(t))
        .unwrap_or_else(Date::now);
    let (old, new) = (PathBuf::from(old), PathBuf::from(new));
    let start = Instant::now();
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| ir(&old, today));
        let b = s.spawn(|| ir(&new, today));
        (
            a.join().unwrap_or_else(|_| Err("panicked".into())),
            b.join().unwrap_or_else(|_| Err("panicked".into())),
        )
    });
    let (a, b) = match (a, b) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("accessc-diff-stages: {e}");
            return ExitCode::from(2);
        }
    };
    let lowered = start.elapsed();
    let d = diff(&a, &b);
    let diffed = start.elapsed();
    let json = serde_json::to_string_pretty(&d).unwrap_or_default();
    let rendered_json = start.elapsed();
    let markdown = render::render_markdown(&d);
    let rendered_md = start.elapsed();
    println!(
        "load, check, lower both: {:.0} ms; diff: {:.0} ms; JSON ({} bytes): {:.0} ms; Markdown ({} bytes): {:.0} ms; total {:.0} ms",
        lowered.as_secs_f64() * 1e3,
        (diffed - lowered).as_secs_f64() * 1e3,
        json.len(),
        (rendered_json - diffed).as_secs_f64() * 1e3,
        markdown.len(),
        (rendered_md - rendered_json).as_secs_f64() * 1e3,
        rendered_md.as_secs_f64() * 1e3,
    );
    println!(
        "added {}, removed {}, functions {}, widened {}",
        d.added.len(),
        d.removed.len(),
        d.functions.len(),
        d.widened
    );
    ExitCode::SUCCESS
}
