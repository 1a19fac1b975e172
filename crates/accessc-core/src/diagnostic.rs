//! Diagnostics as data: a code, a severity, a primary span, a message, related
//! labels and a fix. Renderers (human, JSON, SARIF, LSP) read this one type.

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
    pub code: &'static str,
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
    pub fn error(code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(code, Severity::Error, span, message)
    }

    pub fn warning(code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(code, Severity::Warning, span, message)
    }

    fn new(
        code: &'static str,
        severity: Severity,
        span: Span,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            code,
            severity,
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

/// Sort diagnostics by file, position and code, and drop exact repeats.
pub fn sort_and_dedup(diags: &mut Vec<Diagnostic>) {
    diags.sort_by(|a, b| {
        (a.span.file, a.span.start, a.span.end, a.code, &a.message).cmp(&(
            b.span.file,
            b.span.start,
            b.span.end,
            b.code,
            &b.message,
        ))
    });
    diags.dedup_by(|a, b| a.code == b.code && a.span == b.span && a.message == b.message);
}

/// Names longer than this (in characters) get no did-you-mean: no name AWS
/// accepts that a program looks up is longer than 128 characters, and fuzzy
/// matching costs the product of the two lengths.
pub const MAX_FUZZY_CHARS: usize = 256;

/// Character comparisons all did-you-means of one check may spend together
/// (each candidate costs the product of the two lengths); once spent, later
/// unknown names get no suggestion. Reset by [`reset_suggestion_budget`].
pub const SUGGESTION_BUDGET: u64 = 20_000_000;

thread_local! {
    static SUGGESTION_SPENT: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Start a fresh did-you-mean budget (at the start of every check).
pub fn reset_suggestion_budget() {
    SUGGESTION_SPENT.with(|s| s.set(0));
}

/// Spend `cost` comparisons of the budget; false (and nothing spent) when it
/// does not cover them.
pub(crate) fn spend_suggestion_budget(cost: u64) -> bool {
    SUGGESTION_SPENT.with(|s| {
        let spent = s.get().saturating_add(cost);
        if spent > SUGGESTION_BUDGET {
            return false;
        }
        s.set(spent);
        true
    })
}

/// The closest candidate to `name`, if close enough to suggest.
///
/// Bounded: a name over [`MAX_FUZZY_CHARS`] gets none; a candidate whose
/// length is under a fifth of the other's is skipped unscored (its
/// Jaro-Winkler similarity cannot reach the 0.84 threshold); every score is
/// paid from the check's [`SUGGESTION_BUDGET`] (none once it is spent).
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let len = name.chars().count();
    if len > MAX_FUZZY_CHARS {
        return None;
    }
    let lower = name.to_ascii_lowercase();
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        if c == name {
            continue;
        }
        // Bytes bound characters from above: most candidates are skipped
        // without counting.
        if c.len() > 5 * len.max(1) * 4 {
            continue;
        }
        let c_len = c.chars().count();
        if c_len > MAX_FUZZY_CHARS || 5 * c_len.min(len) < c_len.max(len) {
            continue;
        }
        if !spend_suggestion_budget((c_len.max(1) * len.max(1)) as u64) {
            return None;
        }
        let score = if c.to_ascii_lowercase() == lower {
            1.0
        } else {
            strsim::jaro_winkler(&lower, &c.to_ascii_lowercase())
        };
        if score >= 0.84 && best.is_none_or(|(s, b)| score > s || (score == s && c < b)) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_you_mean_finds_near_names_and_refuses_huge_ones() {
        let names = ["ReadOnlyAccess", "PowerUserAccess", "x"];
        assert_eq!(
            did_you_mean("readonlyacess", names).as_deref(),
            Some("ReadOnlyAccess")
        );
        assert_eq!(did_you_mean(&"R".repeat(MAX_FUZZY_CHARS + 1), names), None);
        let long = format!("ReadOnlyAccess{}", "s".repeat(200));
        assert_eq!(did_you_mean(&long, names), None);
    }

    #[test]
    fn the_suggestion_budget_runs_out_then_refills_per_check() {
        reset_suggestion_budget();
        let names: Vec<String> = (0..1000).map(|i| format!("group{i:04}")).collect();
        let mut found = 0;
        for _ in 0..5_000 {
            if did_you_mean("groupp0001", names.iter().map(String::as_str)).is_some() {
                found += 1;
            }
        }
        assert!(found > 0 && found < 5_000, "{found}");
        reset_suggestion_budget();
        assert!(did_you_mean("groupp0001", names.iter().map(String::as_str)).is_some());
    }
}
