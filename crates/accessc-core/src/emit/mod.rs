//! Backends: each turns the IR (and nothing else) into files.

pub mod aws_config;
pub mod cfn;
pub mod common;
pub mod terraform;

use crate::ir::Ir;

/// One generated file: a path relative to the output directory, and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutFile {
    pub path: String,
    pub contents: String,
}

impl OutFile {
    pub fn new(path: impl Into<String>, contents: impl Into<String>) -> OutFile {
        OutFile {
            path: path.into(),
            contents: contents.into(),
        }
    }
}

/// The one file of `--target ir`.
pub const IR_FILE: &str = "accessc.ir.json";

/// `--target ir`: the IR as JSON.
pub fn emit_ir(ir: &Ir) -> Vec<OutFile> {
    vec![OutFile::new(IR_FILE, ir.to_json())]
}
