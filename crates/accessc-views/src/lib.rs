//! Views of a checked program, all computed from its IR (`accessc_core::ir::Ir`)
//! and, where a view needs it, the checked model: pure functions that take
//! values and return values. Files and the terminal belong to the binary.

#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used)]

pub mod diff;
pub mod matrix;
pub mod roles;
mod sha256;
pub mod who_can;
