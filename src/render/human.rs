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
    src: Option<NamedSource<String>>,
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
        self.src.as_ref().map(|s| s as &dyn miette::SourceCode)
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

/// Whether a file's text may be shown in a snippet: only `.access` sources
/// are. Any other file (an org snapshot, a JSON policy, a file given on the
/// command line under another name) is reported by position alone.
fn quotable(name: &str) -> bool {
    name.ends_with(".access")
}

/// The snippet source of `file`, or `None` (and `message` gains the
/// position) when the file is not [`quotable`].
fn source(
    sources: &SourceMap,
    file: crate::span::FileId,
    at: u32,
    message: &mut String,
) -> Option<NamedSource<String>> {
    let f = sources.get(file);
    if quotable(&f.name) {
        return Some(NamedSource::new(f.name.clone(), f.text.to_string()));
    }
    let (line, col) = f.line_col(at);
    message.push_str(&format!("\n  at {}:{line}:{col}", f.name));
    None
}

fn build(d: &Diagnostic, sources: &SourceMap) -> Report {
    let mut message = d.message.clone();
    let src = source(sources, d.span.file, d.span.start, &mut message);
    let mut labels = Vec::new();
    if src.is_some() {
        labels.push(LabeledSpan::new_primary_with_span(
            d.label.clone(),
            (d.span.start as usize, d.span.len()),
        ));
    }
    let mut related = Vec::new();
    for l in &d.labels {
        if l.span.file == d.span.file && src.is_some() {
            labels.push(LabeledSpan::new_with_span(
                Some(l.message.clone()),
                (l.span.start as usize, l.span.len()),
            ));
        } else {
            let mut message = l.message.clone();
            let src = source(sources, l.span.file, l.span.start, &mut message);
            let labels = match src {
                Some(_) => vec![LabeledSpan::new_primary_with_span(
                    None,
                    (l.span.start as usize, l.span.len()),
                )],
                None => Vec::new(),
            };
            related.push(Report {
                message,
                code: String::new(),
                severity: Severity::Warning,
                help: None,
                src,
                labels,
                related: Vec::new(),
            });
        }
    }
    Report {
        message,
        code: d.code.to_string(),
        severity: d.severity,
        help: d.help.clone(),
        src,
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
