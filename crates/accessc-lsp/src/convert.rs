//! The one converter from the checker's data to the protocol's: spans to
//! UTF-16 ranges, [`Diagnostic`]s to LSP diagnostics.
//!
//! An LSP diagnostic carries the checker's `code` and `message` unchanged;
//! the `help` line follows the message after a newline (`\nhelp: …`), as the
//! human renderer prints it, so every editor shows the fix. Related labels
//! become `relatedInformation`; a did-you-mean's edit travels in `data` for
//! the code action.

use super::analysis::Analysis;
use accessc_core::diagnostic::{Diagnostic, Severity};
use accessc_core::span::{SourceFile, Span};
use lsp_types::{
    DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Position, Range,
};
use serde_json::json;

/// The range of a byte span in a source file.
pub fn range(file: &SourceFile, start: u32, end: u32) -> Range {
    let (l0, c0) = file.line_utf16(start);
    let (l1, c1) = file.line_utf16(end);
    Range::new(Position::new(l0, c0), Position::new(l1, c1))
}

/// The range of a span of the analysis.
pub fn span_range(a: &Analysis, span: Span) -> Range {
    range(a.program.sources.get(span.file), span.start, span.end)
}

/// The location of a span, if its file has a URI.
pub fn location(a: &Analysis, span: Span) -> Option<Location> {
    Some(Location::new(
        a.uri_of(span.file)?.clone(),
        span_range(a, span),
    ))
}

/// The byte offset of a position in a source file (clamped to the text).
pub fn offset(file: &SourceFile, pos: Position) -> u32 {
    file.offset_utf16(pos.line, pos.character)
}

/// The message an editor shows: the checker's, then its help.
pub fn message(d: &Diagnostic) -> String {
    match &d.help {
        Some(help) => format!("{}\nhelp: {help}", d.message),
        None => d.message.clone(),
    }
}

pub fn diagnostic(a: &Analysis, d: &Diagnostic) -> lsp_types::Diagnostic {
    let related: Vec<DiagnosticRelatedInformation> = d
        .labels
        .iter()
        .filter_map(|l| {
            Some(DiagnosticRelatedInformation {
                location: location(a, l.span)?,
                message: l.message.clone(),
            })
        })
        .collect();
    let data = d.suggestion.as_ref().and_then(|s| {
        let uri = a.uri_of(s.span.file)?;
        Some(json!({
            "suggestion": {
                "uri": uri.as_str(),
                "range": span_range(a, s.span),
                "newText": s.replacement,
            }
        }))
    });
    lsp_types::Diagnostic {
        range: span_range(a, d.span),
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(d.code.to_string())),
        code_description: None,
        source: Some("accessc".into()),
        message: message(d),
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data,
    }
}
