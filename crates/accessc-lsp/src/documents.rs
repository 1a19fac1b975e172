//! The documents the editor has open: their text and version, and the edits
//! of `textDocument/didChange` applied to them (positions in UTF-16).

use lsp_types::{Position, TextDocumentContentChangeEvent, Uri};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// The largest text a document may have: 64 MiB, the bound of every file
/// `accessc` reads (and of one message).
pub const MAX_DOCUMENT: usize = 64 * 1024 * 1024;
/// The most text all open documents may hold together.
pub const MAX_OPEN_TEXT: usize = 256 * 1024 * 1024;

/// One open document.
#[derive(Debug, Clone)]
pub struct Document {
    pub uri: Uri,
    /// The file behind it (`None` for `untitled:` buffers).
    pub path: Option<PathBuf>,
    pub version: i32,
    pub text: Arc<str>,
    /// Why the text may differ from the editor's (an edit that could not be
    /// applied as sent), until a full-text change or a new open.
    pub out_of_sync: Option<String>,
}

/// Why a change was not applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeError {
    /// The document is not open.
    NotOpen,
    /// The change's version is not newer than the document's: it arrived out
    /// of order (or twice), and applying it would corrupt the text.
    Stale { have: i32, got: i32 },
    /// The text would be longer than [`MAX_DOCUMENT`] bytes.
    TooLarge { bytes: usize },
}

/// Why a document was not opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenError {
    /// Its text is longer than [`MAX_DOCUMENT`] bytes.
    TooLarge { bytes: usize },
    /// The open documents would hold more than [`MAX_OPEN_TEXT`] bytes.
    TooMuchOpen { bytes: usize },
}

/// What applying a `didChange` did besides changing the text.
#[derive(Debug, Default)]
pub struct Changed {
    /// Every position that was clamped or range that was reordered, as the
    /// protocol asks, each a sentence.
    pub adjusted: Vec<String>,
    /// The document has just become out of sync (it was in sync before).
    pub lost_sync: bool,
    /// A full-text change brought an out-of-sync document back in sync.
    pub resynced: bool,
}

#[derive(Debug, Default)]
pub struct Documents {
    docs: HashMap<Uri, Document>,
    /// The bytes of text of every open document.
    total: usize,
}

impl Documents {
    /// Open (or open again) a document; returns the old one's out-of-sync
    /// reason, if it was out of sync.
    pub fn open(&mut self, doc: Document) -> Result<Option<String>, OpenError> {
        let bytes = doc.text.len();
        if bytes > MAX_DOCUMENT {
            return Err(OpenError::TooLarge { bytes });
        }
        let old = self.docs.get(&doc.uri).map_or(0, |d| d.text.len());
        let total = self.total - old + bytes;
        if total > MAX_OPEN_TEXT {
            return Err(OpenError::TooMuchOpen { bytes: total });
        }
        self.total = total;
        Ok(self
            .docs
            .insert(doc.uri.clone(), doc)
            .and_then(|d| d.out_of_sync))
    }

    pub fn close(&mut self, uri: &Uri) -> Option<Document> {
        let doc = self.docs.remove(uri)?;
        self.total -= doc.text.len();
        Some(doc)
    }

    pub fn get(&self, uri: &Uri) -> Option<&Document> {
        self.docs.get(uri)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Document> {
        self.docs.values()
    }

    /// Record that the document's text may differ from the editor's; `true`
    /// if it was in sync until now.
    pub fn lose_sync(&mut self, uri: &Uri, why: String) -> bool {
        match self.docs.get_mut(uri) {
            Some(d) if d.out_of_sync.is_none() => {
                d.out_of_sync = Some(why);
                true
            }
            _ => false,
        }
    }

    /// Apply the changes of one `didChange`, in order. Positions outside the
    /// text are clamped, as the protocol says, and reported in
    /// [`Changed::adjusted`]; the document is then out of sync.
    pub fn change(
        &mut self,
        uri: &Uri,
        version: i32,
        changes: Vec<TextDocumentContentChangeEvent>,
    ) -> Result<Changed, ChangeError> {
        let doc = self.docs.get_mut(uri).ok_or(ChangeError::NotOpen)?;
        if version <= doc.version {
            return Err(ChangeError::Stale {
                have: doc.version,
                got: version,
            });
        }
        let was_out = doc.out_of_sync.is_some();
        let mut out = doc.out_of_sync.clone();
        let mut adjusted = Vec::new();
        let mut text: String = doc.text.to_string();
        for change in changes {
            let full = change.range.is_none();
            let (t, notes) = apply_change(text, change)?;
            text = t;
            if full {
                out = None;
            } else if let (None, Some(first)) = (&out, notes.first()) {
                out = Some(first.clone());
            }
            adjusted.extend(notes);
        }
        self.total = self.total - doc.text.len() + text.len();
        doc.text = text.into();
        doc.version = version;
        let changed = Changed {
            adjusted,
            lost_sync: !was_out && out.is_some(),
            resynced: was_out && out.is_none(),
        };
        doc.out_of_sync = out;
        Ok(changed)
    }
}

/// One content change: a whole new text, or a range replaced. Positions past
/// the end of a line or of the text are clamped to it, as the protocol says,
/// a range whose end is before its start is reordered, and each such
/// adjustment is described in the returned sentences.
pub fn apply_change(
    text: String,
    change: TextDocumentContentChangeEvent,
) -> Result<(String, Vec<String>), ChangeError> {
    let Some(range) = change.range else {
        if change.text.len() > MAX_DOCUMENT {
            return Err(ChangeError::TooLarge {
                bytes: change.text.len(),
            });
        }
        return Ok((change.text, Vec::new()));
    };
    let mut notes = Vec::new();
    let (a, why) = offset(&text, range.start);
    notes.extend(why.map(|w| format!("the start of a range, {w}")));
    let (b, why) = offset(&text, range.end);
    notes.extend(why.map(|w| format!("the end of a range, {w}")));
    if a > b {
        notes.push(format!(
            "a range ends ({}:{}) before it starts ({}:{}): read from the end to the start",
            range.end.line, range.end.character, range.start.line, range.start.character
        ));
    }
    let (start, end) = (a.min(b), a.max(b));
    let bytes = text.len() - (end - start) + change.text.len();
    if bytes > MAX_DOCUMENT {
        return Err(ChangeError::TooLarge { bytes });
    }
    let mut out = String::with_capacity(bytes);
    out.push_str(&text[..start]);
    out.push_str(&change.text);
    out.push_str(&text[end..]);
    Ok((out, notes))
}

/// The byte offset of a position (0-based line, UTF-16 character) in `text`,
/// and, when it is not in the text, why and where it was clamped: a line past
/// the last is the end of the text, a character past the end of its line is
/// the end of the line (before its `\r\n` or `\n`), a character inside a
/// surrogate pair is the start of that character. Lines end at `\n`.
fn offset(text: &str, pos: Position) -> (usize, Option<String>) {
    let at = format!("{}:{}", pos.line, pos.character);
    let mut start = 0;
    for n in 0..pos.line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => {
                return (
                    text.len(),
                    Some(format!(
                        "{at}, is past the last line ({n}): clamped to the end of the text"
                    )),
                )
            }
        }
    }
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let content_end = if line_end < text.len() && text[start..line_end].ends_with('\r') {
        line_end - 1
    } else {
        line_end
    };
    let mut units = 0u32;
    for (i, c) in text[start..content_end].char_indices() {
        if units == pos.character {
            return (start + i, None);
        }
        let next = units + c.len_utf16() as u32;
        if next > pos.character {
            return (
                start + i,
                Some(format!(
                    "{at}, is inside a character of two UTF-16 units: moved to its start"
                )),
            );
        }
        units = next;
    }
    if units == pos.character {
        (content_end, None)
    } else {
        (
            content_end,
            Some(format!(
                "{at}, is past the end of line {} ({units} characters): clamped to its end",
                pos.line
            )),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsp_types::{Position, Range};

    fn change(l0: u32, c0: u32, l1: u32, c1: u32, text: &str) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: Some(Range::new(Position::new(l0, c0), Position::new(l1, c1))),
            range_length: None,
            text: text.into(),
        }
    }

    fn apply(text: &str, c: TextDocumentContentChangeEvent) -> (String, Vec<String>) {
        apply_change(text.into(), c).expect("applied")
    }

    #[test]
    fn ranges_count_utf16_and_clamp() {
        // `😀` is two UTF-16 units and four bytes.
        let (t, notes) = apply("a😀b\ncd", change(0, 3, 0, 4, "X"));
        assert_eq!((t.as_str(), notes.len()), ("a😀X\ncd", 0));
        let (t, notes) = apply("ab\ncd", change(0, 99, 9, 0, "!"));
        assert_eq!(t, "ab!");
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0].contains("0:99, is past the end of line 0 (2 characters)"));
        assert!(notes[1].contains("9:0, is past the last line (1)"));
        let (t, notes) = apply("ab\ncd", change(1, 1, 0, 1, ""));
        assert_eq!(t, "ad");
        assert!(notes[0].contains("before it starts"), "{notes:?}");
        // Inside the surrogate pair: the start of the character.
        let (t, notes) = apply("a😀b", change(0, 2, 0, 2, "X"));
        assert_eq!(t, "aX😀b");
        assert!(notes[0].contains("inside a character"), "{notes:?}");
    }

    #[test]
    fn the_end_of_a_line_is_before_its_line_break() {
        // Exactly at the end: no adjustment; past it: before the `\r\n`.
        let (t, notes) = apply("ab\r\ncd", change(0, 2, 0, 2, "X"));
        assert_eq!((t.as_str(), notes.len()), ("abX\r\ncd", 0));
        let (t, notes) = apply("ab\r\ncd", change(0, 3, 0, 3, "X"));
        assert_eq!((t.as_str(), notes.len()), ("abX\r\ncd", 2));
        // The end of the text is a position on the last line.
        let (t, notes) = apply("ab\n", change(1, 0, 1, 0, "X"));
        assert_eq!((t.as_str(), notes.len()), ("ab\nX", 0));
        let (t, notes) = apply("ab", change(0, 2, 0, 2, "X"));
        assert_eq!((t.as_str(), notes.len()), ("abX", 0));
    }

    #[test]
    fn an_edit_past_the_end_puts_the_document_out_of_sync_until_a_full_text() {
        let uri: Uri = "file:///a.access".parse().expect("uri");
        let mut docs = Documents::default();
        let doc = |text: &str| Document {
            uri: uri.clone(),
            path: None,
            version: 1,
            text: text.into(),
            out_of_sync: None,
        };
        docs.open(doc("ab\n")).expect("open");
        let c = docs
            .change(&uri, 2, vec![change(0, 1, 0, 2, "B")])
            .expect("change");
        assert!(c.adjusted.is_empty() && !c.lost_sync);
        let c = docs
            .change(&uri, 3, vec![change(5, 0, 5, 0, "x")])
            .expect("change");
        assert!(c.lost_sync && c.adjusted.len() == 2, "{c:?}");
        assert_eq!(&*docs.get(&uri).expect("open").text, "aB\nx");
        let c = docs
            .change(&uri, 4, vec![change(0, 0, 0, 0, "y")])
            .expect("change");
        assert!(!c.lost_sync && !c.resynced);
        assert!(docs.get(&uri).expect("open").out_of_sync.is_some());
        let full = TextDocumentContentChangeEvent {
            range: None,
            range_length: None,
            text: "group g\n".into(),
        };
        let c = docs.change(&uri, 5, vec![full]).expect("change");
        assert!(c.resynced);
        assert!(docs.get(&uri).expect("open").out_of_sync.is_none());
        // A change to a stale version is refused.
        assert_eq!(
            docs.change(&uri, 5, vec![]).err(),
            Some(ChangeError::Stale { have: 5, got: 5 })
        );
        // Too large: refused, the text unchanged.
        let big = "x".repeat(MAX_DOCUMENT);
        let r = docs.change(&uri, 6, vec![change(0, 0, 0, 0, &big)]);
        assert!(matches!(r, Err(ChangeError::TooLarge { .. })), "{r:?}");
        assert_eq!(&*docs.get(&uri).expect("open").text, "group g\n");
        // Closing returns the bytes to the budget.
        docs.close(&uri);
        assert_eq!(docs.total, 0);
    }
}
