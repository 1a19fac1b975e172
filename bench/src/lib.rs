//! Benchmark support for `accessc`: the synthetic-organization generator
//! behind `accessc-gen-org`, also called in-process by the large-organization
//! tests.

pub mod gen_org;

pub use gen_org::{generate_from, run, Args};
