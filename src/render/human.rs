//! Diagnostics for people: miette's graphical reports with source snippets.

use crate::diagnostic::{Diagnostic, Severity};
use crate::span::SourceMap;
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};
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
    src: NamedSource<String>,
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

fn source(sources: &SourceMap, file: crate::span::FileId) -> NamedSource<String> {
    let f = sources.get(file);
    NamedSource::new(f.name.clone(), f.text.to_string())
}

fn build(d: &Diagnostic, sources: &SourceMap) -> Report {
    let mut labels = vec![LabeledSpan::new_primary_with_span(
        d.label.clone(),
        (d.span.start as usize, d.span.len()),
    )];
    let mut related = Vec::new();
    for l in &d.labels {
        if l.span.file == d.span.file {
            labels.push(LabeledSpan::new_with_span(
                Some(l.message.clone()),
                (l.span.start as usize, l.span.len()),
            ));
        } else {
            related.push(Report {
                message: l.message.clone(),
                code: String::new(),
                severity: Severity::Warning,
                help: None,
                src: source(sources, l.span.file),
                labels: vec![LabeledSpan::new_primary_with_span(
                    None,
                    (l.span.start as usize, l.span.len()),
                )],
                related: Vec::new(),
            });
        }
    }
    Report {
        message: d.message.clone(),
        code: d.code.to_string(),
        severity: d.severity,
        help: d.help.clone(),
        src: source(sources, d.span.file),
        labels,
        related,
    }
}

/// Render diagnostics as miette reports, one after another.
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
    for d in diags {
        let report = build(d, sources);
        if handler.render_report(&mut out, &report).is_err() {
            out.push_str(&format!("{}[{}]: {}\n", sev(d.severity), d.code, d.message));
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
