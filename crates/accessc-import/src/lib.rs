//! Import: an existing IAM Identity Center setup, read from the live
//! instance (by `accessc_aws`), from CloudFormation templates or from a
//! Terraform state, becomes an [`model::ImportModel`]; the writer
//! ([`write::write_program`]) turns that into an `.access` program directory.
//! Pure: readers take texts, the writer returns files; the binary does every
//! read and write.

#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used)]

pub mod cfn;
mod cfn_yaml;
pub mod compress;
pub mod decompile;
pub mod model;
pub mod names;
pub mod offline;
pub mod terraform;
pub mod write;

pub use write::{write_program, Summary, WriteError, WriteOptions, Written};
