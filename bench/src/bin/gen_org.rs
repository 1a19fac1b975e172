//! `accessc-gen-org`: writes a large synthetic organization and access model
//! for benchmarks (see `bench/README.md`).

use std::process::ExitCode;

use accessc_bench::{run, Args};
use clap::Parser;

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("accessc-gen-org: error: {e}");
            ExitCode::from(2)
        }
    }
}
