//! Shared code of the fuzz targets: the pipeline every input runs through
//! and the structured program generator.

pub mod gen;
pub mod pipeline;

use pipeline::Outcome;
use std::io::Write;
use std::sync::{Mutex, OnceLock};

/// With `ACCESSC_FUZZ_STATS=FILE` in the environment, appends one line per
/// run to FILE: `parsed clean cfn_refused` as 0/1, then the error codes
/// (`bench/fuzz.sh` runs the corpus once this way to report the share of
/// clean programs). With `ACCESSC_FUZZ_PRINT=1`, prints each program on
/// standard error too.
pub fn record(outcome: Outcome, text: &str) {
    if std::env::var_os("ACCESSC_FUZZ_PRINT").is_some() {
        eprintln!("----- {:?}\n{text}", outcome.errors);
    }
    static FILE: OnceLock<Option<Mutex<std::fs::File>>> = OnceLock::new();
    let file = FILE.get_or_init(|| {
        let path = std::env::var_os("ACCESSC_FUZZ_STATS")?;
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .ok()
            .map(Mutex::new)
    });
    if let Some(f) = file {
        if let Ok(mut f) = f.lock() {
            let _ = writeln!(
                f,
                "{} {} {} {}",
                u8::from(outcome.parsed),
                u8::from(outcome.clean),
                u8::from(outcome.cfn_refused),
                outcome.errors.join(",")
            );
        }
    }
}
