//! One module per command. Each has its clap arguments and a `run` that
//! returns the exit status.

pub mod apply;
pub mod aws;
pub mod build;
pub mod check;
pub mod diff;
pub mod drift;
pub mod explain;
pub mod fmt;
pub mod import;
pub mod import_offline;
pub mod lsp;
pub mod matrix;
pub mod org;
pub mod plan;
pub mod roles;
pub mod who_can;
