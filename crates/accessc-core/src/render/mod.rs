//! Diagnostics to text: for people (miette), for pipelines (JSON) and for
//! code-scanning UIs (SARIF 2.1.0).

mod human;
mod sarif;

pub use human::{render_human, HumanOptions};
pub use sarif::{render_sarif, sarif_document, sarif_results};

use crate::diagnostic::{Diagnostic, Severity};
use crate::span::SourceMap;
use serde::Serialize;

/// One diagnostic in the documented JSON shape (1-based positions).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct JsonDiagnostic {
    pub code: String,
    pub severity: Severity,
    pub message: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Related locations (the first definition of a duplicate, the rule a
    /// grant breaks, …); absent when there is none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<JsonRelated>,
}

/// A related location of a [`JsonDiagnostic`] (1-based positions).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct JsonRelated {
    pub message: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

pub fn to_json_diagnostic(d: &Diagnostic, sources: &SourceMap) -> JsonDiagnostic {
    let file = sources.get(d.span.file);
    let (line, column) = file.line_col(d.span.start);
    let (end_line, end_column) = file.line_col(d.span.end);
    JsonDiagnostic {
        code: d.code.to_string(),
        severity: d.severity,
        message: d.message.clone(),
        file: file.name.clone(),
        line,
        column,
        end_line,
        end_column,
        help: d.help.clone(),
        related: d
            .labels
            .iter()
            .map(|l| {
                let file = sources.get(l.span.file);
                let (line, column) = file.line_col(l.span.start);
                let (end_line, end_column) = file.line_col(l.span.end);
                JsonRelated {
                    message: l.message.clone(),
                    file: file.name.clone(),
                    line,
                    column,
                    end_line,
                    end_column,
                }
            })
            .collect(),
    }
}

/// `--format json`: one array, pretty-printed, with a final newline.
pub fn render_json(diags: &[Diagnostic], sources: &SourceMap) -> String {
    let v: Vec<JsonDiagnostic> = diags
        .iter()
        .map(|d| to_json_diagnostic(d, sources))
        .collect();
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_else(|_| "[]".into());
    s.push('\n');
    s
}

/// `N errors, M warnings` (with correct plurals).
pub fn summary(diags: &[Diagnostic]) -> String {
    let e = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let w = diags.len() - e;
    let plural = |n: usize, s: &str| format!("{n} {s}{}", if n == 1 { "" } else { "s" });
    format!("{}, {}", plural(e, "error"), plural(w, "warning"))
}
