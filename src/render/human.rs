//! Diagnostics for people: miette's graphical reports with source snippets.
//!
//! miette is handed a [`snippet::Snippet`] per report, never a whole file: the
//! lines around the labels, long lines clipped around them, so one report
//! costs the same whatever the size of the file and the length of its lines.
//! After [`PER_CODE`] reports of one code the rest are counted in one line.

mod snippet;

use crate::diagnostic::{Diagnostic, Severity};
use crate::span::SourceMap;
use crate::span::Span;
use indexmap::IndexMap;
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan};
use std::collections::HashMap;
use std::fmt;

#[derive(Debug, Clone, Copy)]
pub struct HumanOptions {
    pub color: bool,
    pub width: usize,
}

impl Default for HumanOptions {
    fn default() -> HumanOptions {
        HumanOptions {
            color: false,
            width: 100,
        }
    }
}

/// An owned miette report built from one [`Diagnostic`].
#[derive(Debug)]
struct Report {
    message: String,
    code: String,
    severity: Severity,
    help: Option<String>,
    src: snippet::Snippet,
    labels: Vec<LabeledSpan>,
    related: Vec<Report>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        if self.code.is_empty() {
            None
        } else {
            Some(Box::new(&self.code))
        }
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.src)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(
                self.related.iter().map(|r| r as &dyn miette::Diagnostic),
            ))
        }
    }
}

fn build(d: &Diagnostic, sources: &SourceMap) -> Report {
    let shown = &d.labels[..d.labels.len().min(snippet::MAX_LABELS - 1)];
    let same_file: Vec<&crate::diagnostic::Label> = shown
        .iter()
        .filter(|l| l.span.file == d.span.file)
        .collect();
    let spans: Vec<Span> = std::iter::once(d.span)
        .chain(same_file.iter().map(|l| l.span))
        .collect();
    let (src, mapped) = snippet::Snippet::new(sources.get(d.span.file), &spans);
    let mut labels = vec![LabeledSpan::new_primary_with_span(
        d.label.clone(),
        mapped[0],
    )];
    for (l, &at) in same_file.iter().zip(&mapped[1..]) {
        labels.push(LabeledSpan::new_with_span(Some(l.message.clone()), at));
    }
    let mut related = Vec::new();
    for l in shown.iter().filter(|l| l.span.file != d.span.file) {
        let (src, mapped) = snippet::Snippet::new(sources.get(l.span.file), &[l.span]);
        related.push(Report {
            message: l.message.clone(),
            code: String::new(),
            severity: Severity::Warning,
            help: None,
            src,
            labels: vec![LabeledSpan::new_primary_with_span(None, mapped[0])],
            related: Vec::new(),
        });
    }
    Report {
        message: d.message.clone(),
        code: d.code.to_string(),
        severity: d.severity,
        help: d.help.clone(),
        src,
        labels,
        related,
    }
}

/// Reports of one code rendered in full; the rest are counted in one line.
pub const PER_CODE: usize = 20;

/// Render diagnostics as miette reports, one after another, at most
/// [`PER_CODE`] of each code.
pub fn render_human(diags: &[Diagnostic], sources: &SourceMap, opts: HumanOptions) -> String {
    let theme = if opts.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(opts.width)
        .with_links(false);
    let mut out = String::new();
    let mut shown: HashMap<&str, usize> = HashMap::new();
    // Code → (severity of the first one left out, how many were left out).
    let mut left_out: IndexMap<&str, (Severity, usize)> = IndexMap::new();
    for d in diags {
        let n = shown.entry(d.code).or_default();
        if *n >= PER_CODE {
            left_out.entry(d.code).or_insert((d.severity, 0)).1 += 1;
            continue;
        }
        *n += 1;
        let report = build(d, sources);
        if handler.render_report(&mut out, &report).is_err() {
            out.push_str(&format!("{}[{}]: {}\n", sev(d.severity), d.code, d.message));
        }
        out.push('\n');
    }
    if !left_out.is_empty() {
        for (code, (severity, n)) in left_out {
            let plural = if n == 1 { "" } else { "s" };
            out.push_str(&format!(
                "… and {n} more {code} {}{plural} (use `--format json` for all)\n",
                sev(severity)
            ));
        }
        out.push('\n');
    }
    out
}

fn sev(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}
