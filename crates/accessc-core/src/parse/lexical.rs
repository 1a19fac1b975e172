//! The lexical pre-pass: finds comments and splits a file into item chunks at
//! item keywords, so the grammar can parse (and fail) one item at a time.

use super::keywords::is_item_keyword;
use crate::ast::Comment;
use crate::span::{FileId, Span};

/// Blocks may nest this deep; deeper input is rejected before parsing, so no
/// input can exhaust the stack.
pub const MAX_NESTING: usize = 48;

/// Words after which `group`/`user` at the start of a line continue a list.
const CONTINUES: &[&str] = &["to", "with", "on", "except", "forbid"];

/// One item's text range, with the deepest brace nesting inside it.
#[derive(Debug, Clone, Copy)]
pub struct Chunk {
    pub start: usize,
    pub end: usize,
    pub max_depth: usize,
    /// Where the item leaves a block open: the offset of the `{` that is
    /// never closed and how many blocks are still open at the chunk's end.
    pub unclosed: Option<(usize, usize)>,
}

/// The braces of the chunk being read: each open `{` with the indentation of
/// its line, and the first `{` whose `}` came back at a shallower
/// indentation (the block most likely missing its `}`).
#[derive(Default)]
struct Braces {
    open: Vec<(usize, usize)>,
    suspect: Option<usize>,
}

impl Braces {
    fn unclosed(&self) -> Option<(usize, usize)> {
        let innermost = self.open.last()?.0;
        Some((self.suspect.unwrap_or(innermost), self.open.len()))
    }
}

#[derive(Debug, Clone, Default)]
pub struct Lexed {
    pub chunks: Vec<Chunk>,
    pub comments: Vec<Comment>,
    /// Start offsets of block comments that never close.
    pub unclosed_comments: Vec<usize>,
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Scan `text`, tracking strings, comments and braces.
pub fn lex(file: FileId, text: &str) -> Lexed {
    lex_from(file, text, 0, |_| false).0
}

/// [`lex`] from offset `from` of `text` on, which must be the start of the
/// text or of a chunk of an earlier lexing of the same text before `from`
/// (the lexer's state is the same at every chunk's start). After each chunk
/// start `q` but the first, `stop(q)` may end the scan: the chunks before `q`
/// are returned, and `Some(q)`. The incremental parser stops where the rest
/// of the file is known from its last lexing.
pub fn lex_from(
    file: FileId,
    text: &str,
    from: usize,
    mut stop: impl FnMut(usize) -> bool,
) -> (Lexed, Option<usize>) {
    let bytes = text.as_bytes();
    let mut out = Lexed::default();
    let mut depth = 0usize;
    let mut max_depth = 0usize;
    let mut chunk_start: Option<usize> = None;
    let mut braces = Braces::default();
    // Start of the current line's first token, if nothing but blanks came before.
    let mut line_start = true;
    // Offset of the current line's first byte, and the indentation of its
    // first token.
    let mut line_begin = 0usize;
    let mut indent = 0usize;
    // The last significant token (a word or a punctuation byte).
    let mut last_token: &str = "";
    let mut i = from;
    let close = |out: &mut Lexed,
                 start: Option<usize>,
                 end: usize,
                 max_depth: usize,
                 unclosed: Option<(usize, usize)>| {
        if let Some(start) = start {
            let mut e = end;
            while e > start && bytes.get(e - 1).is_some_and(u8::is_ascii_whitespace) {
                e -= 1;
            }
            out.chunks.push(Chunk {
                start,
                end: e,
                max_depth,
                unclosed,
            });
        }
    };
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\n' => {
                line_start = true;
                i += 1;
                line_begin = i;
            }
            b' ' | b'\t' | b'\r' => i += 1,
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let end = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
                out.comments.push(Comment {
                    span: Span::new(file, i, end),
                    text: text[i..end].trim_end().to_string(),
                });
                i = end;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let end = match text[i + 2..].find("*/") {
                    Some(n) => i + 2 + n + 2,
                    None => {
                        out.unclosed_comments.push(i);
                        bytes.len()
                    }
                };
                out.comments.push(Comment {
                    span: Span::new(file, i, end),
                    text: text[i..end].to_string(),
                });
                i = end;
            }
            b'"' => {
                if line_start {
                    indent = i - line_begin;
                }
                if chunk_start.is_none() {
                    chunk_start = Some(i);
                    // Indentation counts from the chunk's start, so that a
                    // chunk lexes the same wherever it lies on its line.
                    indent = 0;
                }
                i += 1;
                while let Some(&c) = bytes.get(i) {
                    if c == b'"' || c == b'\n' {
                        break;
                    }
                    if c == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i = (i + 1).min(bytes.len());
                last_token = "\"";
                line_start = false;
            }
            _ if is_ident_byte(b) => {
                let s = i;
                if line_start {
                    indent = i - line_begin;
                }
                while bytes.get(i).copied().is_some_and(is_ident_byte) {
                    i += 1;
                }
                let word = &text[s..i];
                let continues = CONTINUES.contains(&last_token) || last_token == ",";
                let starts_item = depth == 0
                    && line_start
                    && is_item_keyword(word)
                    && !((word == "group" || word == "user") && continues);
                // An item keyword at the very start of a line inside a block
                // begins the next item: the block before it lacks its `}`.
                let resumes = depth > 0
                    && line_start
                    && s == line_begin
                    && is_item_keyword(word)
                    && !continues
                    && !text[i..].trim_start_matches([' ', '\t']).starts_with('=');
                let starts_item = starts_item || resumes || (chunk_start.is_none() && depth == 0);
                if starts_item {
                    if chunk_start.is_some() && stop(s) {
                        close(&mut out, chunk_start, s, max_depth, braces.unclosed());
                        return (out, Some(s));
                    }
                    close(&mut out, chunk_start, s, max_depth, braces.unclosed());
                    chunk_start = Some(s);
                    max_depth = 0;
                    depth = 0;
                    braces = Braces::default();
                    indent = 0;
                }
                last_token = word;
                line_start = false;
            }
            _ => {
                if line_start {
                    indent = i - line_begin;
                }
                if chunk_start.is_none() {
                    chunk_start = Some(i);
                    indent = 0;
                }
                if b == b'{' {
                    depth += 1;
                    max_depth = max_depth.max(depth);
                    if braces.open.len() < MAX_NESTING + 2 {
                        braces.open.push((i, indent));
                    }
                } else if b == b'}' {
                    depth = depth.saturating_sub(1);
                    if let Some((at, opened_at)) = braces.open.pop() {
                        if line_start && indent < opened_at && braces.suspect.is_none() {
                            braces.suspect = Some(at);
                        }
                    }
                }
                last_token = match b {
                    b',' => ",",
                    _ => "",
                };
                line_start = false;
                // Skip a whole UTF-8 character.
                i += 1;
                while i < bytes.len() && !text.is_char_boundary(i) {
                    i += 1;
                }
            }
        }
    }
    close(
        &mut out,
        chunk_start,
        bytes.len(),
        max_depth,
        braces.unclosed(),
    );
    (out, None)
}

/// The `///` doc comment directly above `offset`: consecutive `///` lines with
/// nothing but blanks between them and the item.
pub fn doc_comment_before(
    text: &str,
    comments: &[Comment],
    offset: usize,
) -> Option<(Span, String)> {
    let idx = comments.partition_point(|c| (c.span.end as usize) <= offset);
    let mut lines = Vec::new();
    let mut first_span = None;
    let mut next_start = offset;
    for c in comments.iter().take(idx).rev() {
        if !c.text.starts_with("///") || c.text.starts_with("////") {
            break;
        }
        let between = &text[c.span.end as usize..next_start];
        if !between.chars().all(char::is_whitespace) || between.matches('\n').count() > 1 {
            break;
        }
        // The comment must begin its own line.
        let line_begin = text[..c.span.start as usize]
            .rfind('\n')
            .map_or(0, |n| n + 1);
        if !text[line_begin..c.span.start as usize].trim().is_empty() {
            break;
        }
        lines.push(
            c.text[3..]
                .strip_prefix(' ')
                .unwrap_or(&c.text[3..])
                .to_string(),
        );
        first_span = Some(match first_span {
            None => c.span,
            Some(s) => c.span.to(s),
        });
        next_start = c.span.start as usize;
    }
    let span = first_span?;
    lines.reverse();
    Some((span, lines.join("\n")))
}
