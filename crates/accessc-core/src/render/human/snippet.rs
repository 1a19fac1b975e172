//! The part of a source file one report shows, as miette's [`SourceCode`].
//!
//! A [`Snippet`] holds copies of the lines around a report's labels only, so
//! rendering a report never scans or copies the whole file. A line longer than
//! [`LONG_LINE`] bytes is clipped to windows around the label ends on it, with
//! `…` where text was left out; with at most [`MAX_LABELS`] labels, miette
//! never sees a column beyond a few thousand (its drawing panics past 65,535),
//! and a report never repeats a whole long line. Line numbers and the `file:line:column` header stay those of the
//! real file: columns count bytes from the line start, as miette counts them.

use crate::span::{SourceFile, Span};
use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

/// Lines longer than this (in bytes) are clipped around the labels.
pub const LONG_LINE: usize = 1024;
/// Bytes kept on each side of a label end on a clipped line.
const MARGIN: usize = 60;
/// A label on a clipped line longer than this is shown by its two ends.
const LONG_LABEL: usize = 120;
/// A label over more lines than this is shown on its first line only.
const MAX_LABEL_LINES: usize = 64;
/// Labels shown per report (the primary one first); JSON and SARIF keep all.
pub const MAX_LABELS: usize = 16;
/// Lines around a label (miette shows one; the rest is slack).
const AROUND: usize = 2;
/// Labels this many lines apart or closer are shown in one excerpt: miette
/// merges nearby excerpts; the lines between them are kept.
const MERGE_GAP: usize = 12;
/// What stands for text left out of a clipped line.
const ELLIPSIS: &str = "…";

/// One kept line of the real file.
#[derive(Debug)]
struct Line {
    /// Offset of the line in [`Snippet::text`].
    at: usize,
    /// 0-based line number in the real file.
    number: usize,
    /// Byte offset of the real line's start.
    real_start: usize,
    /// The kept parts, in order.
    pieces: Vec<Piece>,
}

/// A run of bytes copied unchanged from the real line.
#[derive(Debug, Clone, Copy)]
struct Piece {
    /// Offset in [`Snippet::text`].
    at: usize,
    /// Offset in the real file.
    real: usize,
    len: usize,
}

#[derive(Debug)]
pub struct Snippet {
    name: String,
    text: String,
    lines: Vec<Line>,
}

impl Snippet {
    /// The snippet showing `spans` of `file`, and each span moved into it as
    /// miette's `(offset, length)`.
    pub fn new(file: &SourceFile, spans: &[Span]) -> (Snippet, Vec<(usize, usize)>) {
        let text = &*file.text;
        // Each span clamped to the text and to whole characters, cut to its
        // first line when it covers too many.
        let spans: Vec<(usize, usize)> = spans
            .iter()
            .map(|s| {
                let start = floor(text, s.start as usize);
                let mut end = ceil(text, (s.end as usize).max(start));
                let first = file.line_index(start);
                if file.line_index(end) > first + MAX_LABEL_LINES {
                    end = file.line_range(first).1.max(start);
                }
                (start, end)
            })
            .collect();
        // The line ranges to keep, sorted and merged.
        let last_line = file.line_count().saturating_sub(1);
        let mut ranges: Vec<(usize, usize)> = spans
            .iter()
            .map(|&(s, e)| {
                (
                    file.line_index(s).saturating_sub(AROUND),
                    (file.line_index(e) + AROUND).min(last_line),
                )
            })
            .collect();
        ranges.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::new();
        for (a, b) in ranges {
            match merged.last_mut() {
                Some(last) if a <= last.1 + MERGE_GAP + 1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        let mut snippet = Snippet {
            name: file.name.clone(),
            text: String::new(),
            lines: Vec::new(),
        };
        for (a, b) in merged {
            for number in a..=b {
                snippet.push_line(file, number, &spans);
            }
        }
        let moved = spans
            .iter()
            .map(|&(s, e)| {
                let start = snippet.to_snippet(file, s);
                let end = snippet.to_snippet(file, e).max(start);
                (start, end - start)
            })
            .collect();
        (snippet, moved)
    }

    fn push_line(&mut self, file: &SourceFile, number: usize, spans: &[(usize, usize)]) {
        let text = &*file.text;
        let (start, end) = file.line_range(number);
        let at = self.text.len();
        let mut pieces = Vec::new();
        if end - start <= LONG_LINE {
            pieces.push((start, end));
        } else {
            let mut keep: Vec<(usize, usize)> = Vec::new();
            let around = |p: usize| (p.saturating_sub(MARGIN), p + MARGIN);
            for &(s, e) in spans {
                let on_line = |p: usize| p >= start && p <= end;
                if on_line(s) && on_line(e) && e - s <= LONG_LABEL {
                    keep.push((s.saturating_sub(MARGIN), e + MARGIN));
                } else {
                    for p in [s, e] {
                        if on_line(p) {
                            keep.push(around(p));
                        }
                    }
                }
            }
            if keep.is_empty() {
                keep.push((start, start + 2 * MARGIN));
            }
            keep.sort_unstable();
            for (a, b) in keep {
                let a = floor(text, a.clamp(start, end));
                let b = ceil(text, b.clamp(start, end));
                match pieces.last_mut() {
                    Some(last) if a <= last.1 => last.1 = last.1.max(b),
                    _ => pieces.push((a, b)),
                }
            }
        }
        let mut line = Line {
            at,
            number,
            real_start: start,
            pieces: Vec::with_capacity(pieces.len()),
        };
        let mut pos = start;
        for (a, b) in pieces {
            if a > pos {
                self.text.push_str(ELLIPSIS);
            }
            line.pieces.push(Piece {
                at: self.text.len(),
                real: a,
                len: b - a,
            });
            // A lone carriage return would start a line of its own for miette.
            self.text.push_str(&text[a..b].replace('\r', " "));
            pos = b;
        }
        if pos < end {
            self.text.push_str(ELLIPSIS);
        }
        if number + 1 < file.line_count() {
            self.text.push('\n');
        }
        self.lines.push(line);
    }

    /// A real byte offset (on a kept line) as an offset in the snippet.
    fn to_snippet(&self, file: &SourceFile, real: usize) -> usize {
        let number = file.line_index(real);
        let i = self.lines.partition_point(|l| l.number < number);
        let Some(line) = self.lines.get(i).filter(|l| l.number == number) else {
            return self.text.len();
        };
        for p in &line.pieces {
            if real <= p.real + p.len {
                return p.at + real.saturating_sub(p.real);
            }
        }
        line.pieces.last().map_or(line.at, |p| p.at + p.len)
    }

    /// The kept line holding snippet offset `at`.
    fn line_at(&self, at: usize) -> Option<&Line> {
        let i = self.lines.partition_point(|l| l.at <= at);
        self.lines.get(i.checked_sub(1)?)
    }

    /// The real byte column of snippet offset `at`.
    fn real_column(&self, at: usize) -> usize {
        let Some(line) = self.line_at(at) else {
            return 0;
        };
        for p in &line.pieces {
            if at <= p.at + p.len {
                return p.real + at.saturating_sub(p.at) - line.real_start;
            }
        }
        line.pieces
            .last()
            .map_or(0, |p| p.real + p.len - line.real_start)
    }
}

impl SourceCode for Snippet {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self
            .text
            .read_span(span, context_lines_before, context_lines_after)?;
        let data = inner.data();
        let start = inner.span().offset();
        let line = self.line_at(start).map_or(0, |l| l.number);
        let column = if context_lines_before == 0 {
            self.real_column(span.offset())
        } else {
            0
        };
        // miette counts every line break from the start of the file up to the
        // end of the excerpt, and merges the next excerpt into this one when it
        // starts before `line + line_count`: the same count, but never more
        // than [`MERGE_GAP`] lines past this excerpt, the lines kept between
        // labels.
        let end_line = match data.last() {
            None => line,
            Some(&last) => {
                let l = self
                    .line_at(start + data.len() - 1)
                    .map_or(line, |l| l.number);
                l + usize::from(last == b'\n')
            }
        };
        let line_count = end_line.min(end_line - line + MERGE_GAP);
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            data,
            *inner.span(),
            line,
            column,
            line_count,
        )))
    }
}

fn floor(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::FileId;

    fn span(start: usize, end: usize) -> Span {
        Span::new(FileId(0), start, end)
    }

    #[test]
    fn a_label_far_into_a_long_line_keeps_its_real_column() {
        let text = format!("group {} x\nnext\n", "a".repeat(100_000));
        let file = SourceFile::new("t.access", text.as_str());
        let at = 100_007;
        let (snippet, moved) = Snippet::new(&file, &[span(at, at + 1)]);
        assert!(snippet.text.len() < 400, "{}", snippet.text.len());
        let (offset, len) = moved[0];
        assert_eq!(len, 1);
        assert_eq!(&snippet.text[offset..offset + 1], "x");
        let read = snippet
            .read_span(&(offset, len).into(), 0, 0)
            .expect("read");
        assert_eq!((read.line(), read.column()), (0, at));
        let around = snippet
            .read_span(&(offset, len).into(), 1, 1)
            .expect("read");
        assert_eq!(around.line(), 0);
    }

    #[test]
    fn distant_labels_keep_their_own_line_numbers() {
        let text: String = (0..5_000).map(|i| format!("group g{i}\n")).collect();
        let file = SourceFile::new("t.access", text.as_str());
        let first = text.find("g10\n").expect("g10");
        let second = text.find("g4000\n").expect("g4000");
        let (snippet, moved) =
            Snippet::new(&file, &[span(first, first + 3), span(second, second + 5)]);
        assert!(snippet.text.lines().count() <= 12, "{}", snippet.text);
        for ((offset, len), (line, word)) in moved.into_iter().zip([(10, "g10"), (4000, "g4000")]) {
            assert_eq!(&snippet.text[offset..offset + len], word);
            let read = snippet
                .read_span(&(offset, len).into(), 1, 1)
                .expect("read");
            assert_eq!(read.line(), line - 1);
            if line == 10 {
                assert!(
                    read.line() + read.line_count() < 4000 - 1,
                    "the excerpts would merge"
                );
            }
        }
    }
}
