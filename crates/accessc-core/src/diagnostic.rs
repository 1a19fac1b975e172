//! Diagnostics as data: a code, a severity, a primary span, a message, related
//! labels and a fix. Renderers (human, JSON, SARIF, LSP) read this one type.

pub use crate::code::Code;
use crate::span::Span;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A secondary location with its own short message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// A suggested edit: replace `span` with `replacement` (the did-you-mean fix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub span: Span,
    pub replacement: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    /// The code's severity ([`Code::severity`]); only `--deny warnings`
    /// raises it afterwards.
    pub severity: Severity,
    pub span: Span,
    pub message: String,
    /// What to write under the primary underline, if anything.
    pub label: Option<String>,
    pub labels: Vec<Label>,
    pub help: Option<String>,
    pub suggestion: Option<Suggestion>,
}

impl Diagnostic {
    /// A diagnostic of `code`, with the code's severity.
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: code.severity(),
            span,
            message: message.into(),
            label: None,
            labels: Vec::new(),
            help: None,
            suggestion: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }

    pub fn with_related(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    /// A did-you-mean: sets the help line and the machine-applicable edit.
    pub fn with_suggestion(mut self, span: Span, replacement: impl Into<String>) -> Diagnostic {
        let replacement = replacement.into();
        self.help = Some(format!("did you mean `{replacement}`?"));
        self.suggestion = Some(Suggestion { span, replacement });
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Sort diagnostics by file, position and public code, and drop exact
/// repeats (same public code, span and message).
pub fn sort_and_dedup(diags: &mut Vec<Diagnostic>) {
    diags.sort_by(|a, b| {
        let key = |d: &'_ Diagnostic| (d.span.file, d.span.start, d.span.end, d.code.as_str());
        (key(a), &a.message).cmp(&(key(b), &b.message))
    });
    diags.dedup_by(|a, b| {
        a.code.as_str() == b.code.as_str() && a.span == b.span && a.message == b.message
    });
}

pub use crate::suggest::{
    did_you_mean, reset_suggestion_budget, MAX_FUZZY_CHARS, SUGGESTION_BUDGET,
};
