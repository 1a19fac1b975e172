//! Import: an existing IAM Identity Center setup, read from the live
//! instance (by `accessc_aws`), from CloudFormation templates or from a
//! Terraform state, becomes an [`model::ImportModel`]; the writer turns that
//! into an `.access` program directory. Pure: readers take texts, the writer
//! returns files; the binary does every read and write.

#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used)]

pub mod model;
