//! accessc: a compiler and toolchain for workforce access on AWS IAM Identity Center.
//!
//! The pipeline, one public function per stage (see `docs/ARCHITECTURE.md`):
//!
//! | stage | function | produces |
//! |---|---|---|
//! | load | [`load::load`] | [`load::Program`]: sources, parsed modules, JSON inputs |
//! | parse | [`parse::parse_file`] | [`ast::Module`] and A100 diagnostics |
//! | check | [`check::check`] | [`model::Model`] and every other diagnostic |
//! | lower | [`model_to_ir::lower`] | [`ir::Ir`] from a [`check::CheckedModel`] (no errors): what every backend reads |
//! | format | [`fmt::format_module`] | canonical source text |
//! | render | [`render`] | human, JSON and SARIF diagnostics |

#![deny(clippy::unwrap_used)]

pub mod ast;
pub mod aws_ids;
pub mod catalog;
pub mod check;
pub mod code;
pub mod date;
pub mod diagnostic;
pub mod emit;
pub mod explain;
pub mod fmt;
pub mod idx;
pub mod ir;
pub mod jail;
pub mod load;
pub mod model;
pub mod model_to_ir;
pub mod org_snapshot;
pub mod output;
pub mod parse;
pub mod policy_json;
pub mod policy_vars;
pub mod render;
pub mod session_duration;
pub mod shared_str;
pub mod span;
pub mod suggest;

pub use check::{check, CheckOptions, Checked, CheckedModel, Today};
pub use date::Date;
pub use load::{load, Program, RealFs};
pub use session_duration::SessionDuration;
