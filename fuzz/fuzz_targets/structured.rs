//! Grammar-aware programs (`accessc_fuzz::gen`) through the same pipeline as
//! the `check` target: most references resolve, so a good share of the
//! programs check clean and reach lowering, every backend and the
//! "fmt keeps the IR" property.
#![no_main]

use accessc_fuzz::gen::Program;
use accessc_fuzz::pipeline::{fixture_files, run};
use accessc_fuzz::record;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|program: Program| {
    let rendered = program.render();
    let mut files = fixture_files();
    files.extend(rendered.files);
    record(run(&rendered.text, &files), &rendered.text);
});
