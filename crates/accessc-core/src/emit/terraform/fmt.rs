//! Layout of generated HCL as `terraform fmt` writes it: re-indents every line
//! by its bracket nesting and aligns the `=` of consecutive one-line attributes
//! and the `#` of consecutive trailing comments, following hclwrite's
//! `formatIndent` and `formatCells`. Applied to the templates' output, so the
//! templates only need the right tokens and spaces within a line.
//!
//! The input is HCL that `accessc` generates: no heredocs and no multi-line
//! strings (strings escape their newlines), so every line is a unit.

use unicode_segmentation::UnicodeSegmentation;

/// One line cut into hclwrite's cells.
struct Line {
    /// The code before the assignment `=`, or all the code when the line is
    /// not a one-line attribute.
    lead: String,
    /// `= value` when the line is a one-line attribute (hclwrite: an `=` after
    /// the first token, with the brackets after it balanced).
    assign: Option<String>,
    /// A comment that follows code on the line.
    comment: Option<String>,
    /// Net bracket depth change over the line's code.
    net: i32,
}

/// Lay out `text` as `terraform fmt` would. Also drops what fmt keeps but a
/// template may leave behind: blank lines at the start and the end, runs of
/// blank lines, and blank lines just inside a bracket.
///
/// Lines are laid out a stretch at a time: a line with neither an `=` cell
/// nor a trailing comment ends every alignment run, so the stretch up to it
/// is final. Only that stretch is held as cells, never the whole file.
pub fn format(text: &str) -> String {
    let mut f = Formatter::with_capacity(text.len() + text.len() / 4);
    f.push_str(text);
    f.finish();
    f.take_output()
}

/// [`format`] of a text given a piece at a time: the layout of the
/// concatenation of every piece given to [`Formatter::push_str`], once
/// [`Formatter::finish`]ed. The laid-out text is taken as it becomes final
/// ([`Formatter::take_output`]), so a file need never be held whole, neither
/// as the template renders it nor as laid out.
pub struct Formatter {
    out: String,
    /// The start of a line not yet ended by a newline.
    partial: String,
    /// The lines of the stretch not yet final.
    pending: Vec<Line>,
    stack: Vec<i32>,
    /// Whether no line was kept yet, or the last one kept was blank or
    /// opened a bracket (a blank line after it is dropped).
    after_open: bool,
    /// A blank line, kept unless the next line with text closes a bracket
    /// (or there is none).
    blank: bool,
}

impl Default for Formatter {
    fn default() -> Formatter {
        Formatter::with_capacity(0)
    }
}

impl Formatter {
    /// A formatter whose output starts with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Formatter {
        Formatter {
            out: String::with_capacity(capacity),
            partial: String::new(),
            pending: Vec::new(),
            stack: Vec::new(),
            after_open: true,
            blank: false,
        }
    }

    /// Lays out the whole lines of `text` (with what an earlier piece left
    /// unended); the rest waits for the next piece or [`Formatter::finish`].
    pub fn push_str(&mut self, text: &str) {
        let mut rest = text;
        if !self.partial.is_empty() {
            let Some(nl) = rest.find('\n') else {
                self.partial.push_str(rest);
                return;
            };
            let mut line = std::mem::take(&mut self.partial);
            line.push_str(&rest[..nl]);
            self.line(&line);
            rest = &rest[nl + 1..];
        }
        while let Some(nl) = rest.find('\n') {
            self.line(&rest[..nl]);
            rest = &rest[nl + 1..];
        }
        self.partial.push_str(rest);
    }

    /// Ends the text: its last line, even without a newline, is laid out,
    /// and a trailing blank line dropped.
    pub fn finish(&mut self) {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.line(&line);
        }
        self.blank = false;
        flush(&mut self.pending, &mut self.out);
    }

    /// The text laid out so far and final, taken.
    pub fn take_output(&mut self) -> String {
        std::mem::take(&mut self.out)
    }

    /// The text laid out so far and final.
    pub fn output(&self) -> &str {
        &self.out
    }

    /// Forgets the text laid out so far (once it was written elsewhere).
    pub fn clear_output(&mut self) {
        self.out.clear();
    }

    fn line(&mut self, raw: &str) {
        let l = raw.trim();
        if l.is_empty() {
            if !self.after_open {
                self.blank = true;
            }
            return;
        }
        if std::mem::take(&mut self.blank) && !l.starts_with(['}', ']', ')']) {
            // A blank line has no cells: it ends every alignment run.
            flush(&mut self.pending, &mut self.out);
            self.out.push('\n');
        }
        let mut line = split(l);
        self.after_open = line.lead.is_empty() || line.net > 0;
        indent_line(&mut line, &mut self.stack);
        let ends_runs = line.assign.is_none() && line.comment.is_none();
        self.pending.push(line);
        if ends_runs {
            flush(&mut self.pending, &mut self.out);
        }
    }
}

/// Aligns a stretch of lines that no alignment run leaves, and writes it.
fn flush(lines: &mut Vec<Line>, out: &mut String) {
    align(lines, |l| l.assign.is_some(), |l| columns(&l.lead));
    let code_width = |l: &Line| columns(&l.lead) + l.assign.as_deref().map_or(0, columns);
    align_comments(lines, code_width);
    for l in lines.drain(..) {
        out.push_str(&l.lead);
        if let Some(a) = &l.assign {
            out.push_str(a);
        }
        if let Some(c) = &l.comment {
            out.push_str(c);
        }
        out.push('\n');
    }
}

/// Columns as hclwrite counts them: grapheme clusters.
fn columns(s: &str) -> usize {
    if s.is_ascii() && !s.contains('\r') {
        // Every ASCII character is a cluster of its own, but CR LF.
        s.len()
    } else {
        s.graphemes(true).count()
    }
}

/// Cut a trimmed line into its cells.
fn split(line: &str) -> Line {
    let bytes = line.as_bytes();
    let mut net = 0i32;
    let mut eq: Option<usize> = None;
    let mut comment_at: Option<usize> = None;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => {
                i = skip_string(bytes, i);
                continue;
            }
            b'#' => {
                comment_at = Some(i);
                break;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                comment_at = Some(i);
                break;
            }
            b'{' | b'[' | b'(' => net += 1,
            b'}' | b']' | b')' => net -= 1,
            b'=' if eq.is_none() && i > 0 => {
                let prev = bytes.get(i - 1).copied().unwrap_or(b' ');
                let next = bytes.get(i + 1).copied().unwrap_or(b' ');
                if !matches!(prev, b'=' | b'!' | b'<' | b'>') && !matches!(next, b'=' | b'>') {
                    eq = Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    let code = line[..comment_at.unwrap_or(line.len())].trim_end();
    if code.is_empty() {
        // A blank line or a comment on its own line: no cells to align.
        return Line {
            lead: line.to_string(),
            assign: None,
            comment: None,
            net: 0,
        };
    }
    let comment = comment_at.map(|c| line[c..].to_string());
    match eq {
        Some(eq) if bracket_change(&code[eq..]) == 0 => Line {
            lead: code[..eq].trim_end().to_string(),
            assign: Some(format!("= {}", code[eq + 1..].trim_start())),
            comment,
            net,
        },
        _ => Line {
            lead: code.to_string(),
            assign: None,
            comment,
            net,
        },
    }
}

/// The index just after the string literal that starts at `start`.
fn skip_string(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// Net bracket change over some code, strings skipped.
fn bracket_change(code: &str) -> i32 {
    let bytes = code.as_bytes();
    let mut net = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => {
                i = skip_string(bytes, i);
                continue;
            }
            b'{' | b'[' | b'(' => net += 1,
            b'}' | b']' | b')' => net -= 1,
            _ => {}
        }
        i += 1;
    }
    net
}

/// hclwrite's `formatIndent`: two spaces per level; a line that opens several
/// brackets at once (`jsonencode({`) opens one level, closed again when all
/// of them are closed.
fn indent_line(l: &mut Line, stack: &mut Vec<i32>) {
    if l.lead.is_empty() {
        return;
    }
    let level = if l.net > 0 {
        stack.push(l.net);
        stack.len() - 1
    } else {
        let mut closed = -l.net;
        while closed > 0 {
            let Some(top) = stack.last_mut() else { break };
            if closed >= *top {
                closed -= *top;
                stack.pop();
            } else {
                *top -= closed;
                closed = 0;
            }
        }
        stack.len()
    };
    l.lead.insert_str(0, &"  ".repeat(level));
}

/// Pad the lead of every line in each run of consecutive lines that have the
/// cell, so that the cell starts one column after the widest lead of the run.
fn align(lines: &mut [Line], has_cell: impl Fn(&Line) -> bool, width: impl Fn(&Line) -> usize) {
    for run in lines.chunk_by_mut(|a, b| has_cell(a) && has_cell(b)) {
        if !run.first().is_some_and(&has_cell) {
            continue;
        }
        let widest = run.iter().map(&width).max().unwrap_or(0);
        for l in run {
            let pad = widest - width(l) + 1;
            l.lead.push_str(&" ".repeat(pad));
        }
    }
}

/// Comments align after the whole code (lead and assignment); the padding
/// goes after the assignment when there is one.
fn align_comments(lines: &mut [Line], width: impl Fn(&Line) -> usize) {
    for run in lines.chunk_by_mut(|a, b| a.comment.is_some() && b.comment.is_some()) {
        if run.first().is_none_or(|l| l.comment.is_none()) {
            continue;
        }
        let widest = run.iter().map(&width).max().unwrap_or(0);
        for l in run {
            let pad = " ".repeat(widest - width(l) + 1);
            match &mut l.assign {
                Some(a) => a.push_str(&pad),
                None => l.lead.push_str(&pad),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{format, Formatter};

    #[test]
    fn aligns_runs_and_indents() {
        let input = "resource \"a\" \"b\" {\n\nname = \"x\"\ninstance_arn = local.i\ntags = {\nK = \"v\"\nLonger = \"w\"\n}\n\n}\n";
        let want = "resource \"a\" \"b\" {\n  name         = \"x\"\n  instance_arn = local.i\n  tags = {\n    K      = \"v\"\n    Longer = \"w\"\n  }\n}\n";
        assert_eq!(format(input), want);
    }

    #[test]
    fn strings_and_operators_do_not_split() {
        let input = "a = \"x = {\"\nbb = x == y\n";
        assert_eq!(format(input), "a  = \"x = {\"\nbb = x == y\n");
    }

    #[test]
    fn comments_align_after_code() {
        let input = "x = [\n\"1\", # one\n\"22\", # two\n]\n";
        assert_eq!(
            format(input),
            "x = [\n  \"1\",  # one\n  \"22\", # two\n]\n"
        );
    }

    #[test]
    fn multi_bracket_openers_open_one_level() {
        let input = "p = jsonencode({\nA = 1\n})\n";
        assert_eq!(format(input), "p = jsonencode({\n  A = 1\n})\n");
    }

    #[test]
    fn a_text_given_in_pieces_is_laid_out_as_a_whole() {
        let text = "\n\n# c\na = 1\nbb = \"x\" # one\n\n\nb {\n\nc = 2\nlong_name = [\n\"1\", # x\n\"22\", # y\n]\n\n}\n\n\nd = 3\r\n\n";
        let whole = format(text);
        for size in 1..text.len() {
            let mut f = Formatter::default();
            let mut out = String::new();
            let mut rest = text;
            while !rest.is_empty() {
                let mut at = size.min(rest.len());
                while !rest.is_char_boundary(at) {
                    at += 1;
                }
                f.push_str(&rest[..at]);
                rest = &rest[at..];
                out.push_str(f.output());
                f.clear_output();
            }
            f.finish();
            out.push_str(&f.take_output());
            assert_eq!(out, whole, "pieces of {size}");
        }
    }

    #[test]
    fn blank_lines_are_tidied() {
        let input = "\n\na = 1\n\n\nb {\n\nc = 2\n\n}\n\n";
        assert_eq!(format(input), "a = 1\n\nb {\n  c = 2\n}\n");
    }
}
