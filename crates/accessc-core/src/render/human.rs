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
    src: Option<snippet::Snippet>,
    labels: Vec<LabeledSpan>,
    /// Related locations in other files, rendered as notes after the report.
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
}

/// A related location in another file, rendered under its report as a
/// `note:` with its own excerpt (miette would render it as a report of its
/// own, with a severity, as if it were a second problem).
fn render_note(handler: &GraphicalReportHandler, note: &Report, out: &mut String) {
    let mut rendered = String::new();
    let mut lines = note.message.lines();
    out.push_str(&format!("  note: {}\n", lines.next().unwrap_or("")));
    for l in lines {
        out.push_str(&format!("  {}\n", l.trim_start()));
    }
    if note.src.is_none() || handler.render_report(&mut rendered, note).is_err() {
        return;
    }
    // The excerpt alone: from its `╭─[file:line:col]` header on.
    let excerpt: Vec<&str> = rendered
        .lines()
        .skip_while(|l| !without_ansi(l).contains("╭─["))
        .collect();
    for l in excerpt {
        out.push_str(l.trim_end());
        out.push('\n');
    }
}

/// A rendered line without its colour codes (`ESC [ … m`).
fn without_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether a file's text may be shown in a snippet: only `.access` sources
/// are. Any other file (an org snapshot, a JSON policy, a file given on the
/// command line under another name) is reported by position alone.
fn quotable(name: &str) -> bool {
    name.ends_with(".access")
}

/// The snippet of `spans` in `file` with the spans mapped into it, or `None`
/// (and `message` gains the position) when the file is not [`quotable`].
fn source(
    sources: &SourceMap,
    file: crate::span::FileId,
    spans: &[Span],
    message: &mut String,
) -> Option<(snippet::Snippet, Vec<(usize, usize)>)> {
    let f = sources.get(file);
    if quotable(&f.name) {
        return Some(snippet::Snippet::new(f, spans));
    }
    let at = spans.first().map_or(0, |s| s.start);
    let (line, col) = f.line_col(at);
    message.push_str(&format!("\n  at {}:{line}:{col}", f.name));
    None
}

fn build(d: &Diagnostic, sources: &SourceMap) -> Report {
    let shown: Vec<&crate::diagnostic::Label> =
        d.labels.iter().take(snippet::MAX_LABELS - 1).collect();
    let same_file: Vec<&crate::diagnostic::Label> = shown
        .iter()
        .filter(|l| l.span.file == d.span.file)
        .copied()
        .collect();
    let spans: Vec<Span> = std::iter::once(d.span)
        .chain(same_file.iter().map(|l| l.span))
        .collect();
    let mut message = d.message.clone();
    let mut labels = Vec::new();
    let src = match source(sources, d.span.file, &spans, &mut message) {
        Some((src, mapped)) => {
            if let Some((&primary, others)) = mapped.split_first() {
                labels.push(LabeledSpan::new_primary_with_span(d.label.clone(), primary));
                for (l, &at) in same_file.iter().zip(others) {
                    labels.push(LabeledSpan::new_with_span(Some(l.message.clone()), at));
                }
            }
            Some(src)
        }
        None => None,
    };
    let mut related = Vec::new();
    for l in shown.iter().filter(|l| l.span.file != d.span.file) {
        let mut message = l.message.clone();
        let (src, labels) = match source(sources, l.span.file, &[l.span], &mut message) {
            Some((src, mapped)) => (
                Some(src),
                mapped
                    .first()
                    .map(|&at| vec![LabeledSpan::new_primary_with_span(None, at)])
                    .unwrap_or_default(),
            ),
            None => (None, Vec::new()),
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
        let n = shown.entry(d.code.as_str()).or_default();
        if *n >= PER_CODE {
            left_out.entry(d.code.as_str()).or_insert((d.severity, 0)).1 += 1;
            continue;
        }
        *n += 1;
        let report = build(d, sources);
        if handler.render_report(&mut out, &report).is_err() {
            out.push_str(&format!("{}[{}]: {}\n", sev(d.severity), d.code, d.message));
        }
        for note in &report.related {
            render_note(&handler, note, &mut out);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Code;
    use crate::span::SourceFile;

    /// A related location in another file is a note of the same report,
    /// with its excerpt, coloured or not; never a report of its own.
    #[test]
    fn a_related_location_in_another_file_is_a_note() {
        let mut sources = SourceMap::new();
        let a = sources.add(SourceFile::new("a.access", "group devs\n"));
        let b = sources.add(SourceFile::new("b.access", "\ngroup devs\n"));
        let d = Diagnostic::new(Code::DuplicateName, Span::new(b, 7, 11), "defined twice")
            .with_related(Span::new(a, 6, 10), "first defined here");
        for color in [false, true] {
            let out = render_human(
                std::slice::from_ref(&d),
                &sources,
                HumanOptions { color, width: 100 },
            );
            let plain = out.lines().map(without_ansi).collect::<Vec<_>>().join("\n");
            assert!(plain.contains("  note: first defined here\n"), "{plain}");
            assert!(plain.contains("╭─[a.access:1:7]"), "{plain}");
            assert!(!plain.contains("Warning"), "{plain}");
        }
    }
}
