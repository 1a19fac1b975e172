//! The documents the editor has open: their text and version, and the edits
//! of `textDocument/didChange` applied to them (positions in UTF-16).

use crate::span::SourceFile;
use lsp_types::{TextDocumentContentChangeEvent, Uri};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// One open document.
#[derive(Debug, Clone)]
pub struct Document {
    pub uri: Uri,
    /// The file behind it (`None` for `untitled:` buffers).
    pub path: Option<PathBuf>,
    pub version: i32,
    pub text: Arc<str>,
}

/// Why a change was not applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeError {
    /// The document is not open.
    NotOpen,
    /// The change's version is not newer than the document's: it arrived out
    /// of order (or twice), and applying it would corrupt the text.
    Stale { have: i32, got: i32 },
}

#[derive(Debug, Default)]
pub struct Documents {
    docs: HashMap<Uri, Document>,
}

impl Documents {
    pub fn open(&mut self, doc: Document) {
        self.docs.insert(doc.uri.clone(), doc);
    }

    pub fn close(&mut self, uri: &Uri) -> Option<Document> {
        self.docs.remove(uri)
    }

    pub fn get(&self, uri: &Uri) -> Option<&Document> {
        self.docs.get(uri)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Document> {
        self.docs.values()
    }

    /// Apply the changes of one `didChange`, in order.
    pub fn change(
        &mut self,
        uri: &Uri,
        version: i32,
        changes: Vec<TextDocumentContentChangeEvent>,
    ) -> Result<&Document, ChangeError> {
        let doc = self.docs.get_mut(uri).ok_or(ChangeError::NotOpen)?;
        if version <= doc.version {
            return Err(ChangeError::Stale {
                have: doc.version,
                got: version,
            });
        }
        let mut text: String = doc.text.to_string();
        for change in changes {
            text = apply_change(text, change);
        }
        doc.text = text.into();
        doc.version = version;
        Ok(doc)
    }
}

/// One content change: a whole new text, or a range replaced. Positions past
/// the end of a line or of the text are clamped to it, as the protocol says.
pub fn apply_change(text: String, change: TextDocumentContentChangeEvent) -> String {
    let Some(range) = change.range else {
        return change.text;
    };
    let file = SourceFile::new("", text);
    let a = file.offset_utf16(range.start.line, range.start.character) as usize;
    let b = file.offset_utf16(range.end.line, range.end.character) as usize;
    let (start, end) = (a.min(b), a.max(b));
    let old: &str = &file.text;
    let mut out = String::with_capacity(old.len() + change.text.len());
    out.push_str(&old[..start]);
    out.push_str(&change.text);
    out.push_str(&old[end..]);
    out
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

    #[test]
    fn ranges_count_utf16_and_clamp() {
        // `😀` is two UTF-16 units and four bytes.
        let t = apply_change("a😀b\ncd".into(), change(0, 3, 0, 4, "X"));
        assert_eq!(t, "a😀X\ncd");
        let t = apply_change("ab\ncd".into(), change(0, 99, 9, 0, "!"));
        assert_eq!(t, "ab!");
        let t = apply_change("ab\ncd".into(), change(1, 1, 0, 1, ""));
        assert_eq!(t, "ad");
    }
}
