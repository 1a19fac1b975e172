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
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    let mut lines = text.lines();
    let mut pending: Vec<Line> = Vec::new();
    let mut stack: Vec<i32> = Vec::new();
    // Whether a line was kept yet, and whether the last one kept was blank
    // or opened a bracket.
    let mut after_open = true;
    // For a run of blank lines: whether the next line with text closes a
    // bracket (or there is none), found once per run.
    let mut next_closes: Option<bool> = None;
    while let Some(raw) = lines.next() {
        let l = raw.trim();
        if l.is_empty() {
            let before_close = *next_closes.get_or_insert_with(|| {
                lines
                    .clone()
                    .map(str::trim)
                    .find(|n| !n.is_empty())
                    .is_none_or(|n| n.starts_with(['}', ']', ')']))
            });
            if after_open || before_close {
                continue;
            }
        } else {
            next_closes = None;
        }
        let mut line = split(l);
        after_open = line.lead.is_empty() || line.net > 0;
        indent_line(&mut line, &mut stack);
        let ends_runs = line.assign.is_none() && line.comment.is_none();
        pending.push(line);
        if ends_runs {
            flush(&mut pending, &mut out);
        }
    }
    flush(&mut pending, &mut out);
    out
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
    use super::format;

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
    fn blank_lines_are_tidied() {
        let input = "\n\na = 1\n\n\nb {\n\nc = 2\n\n}\n\n";
        assert_eq!(format(input), "a = 1\n\nb {\n  c = 2\n}\n");
    }
}
