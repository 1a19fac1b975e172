//! Any bytes as a program: load → parse → check → render (human, JSON,
//! SARIF) → fmt; for programs that check clean also lower and emit every
//! target. `accessc_fuzz::pipeline` lists what is asserted.
#![no_main]

use accessc_fuzz::pipeline::{fixture_files, run};
use accessc_fuzz::record;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    record(run(&text, &fixture_files()), &text);
});
