//! Source files and the one span type every stage carries back to them.

use std::sync::Arc;

/// Index of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A byte range in one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: start as u32,
            end: end.max(start) as u32,
        }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        if self.file != other.file {
            return self;
        }
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

/// One source text with its name and line index.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Display name: a path as the user gave it, or `<std>/guards.access`.
    pub name: String,
    pub text: Arc<str>,
    line_starts: Vec<u32>,
    /// Characters and UTF-16 units before every [`MARK_EVERY`]-th byte, so a
    /// column costs one short scan however long its line is.
    marks: Vec<(u32, u32)>,
}

/// Bytes between two entries of [`SourceFile`]'s column marks.
const MARK_EVERY: usize = 1024;

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<Arc<str>>) -> SourceFile {
        let text: Arc<str> = text.into();
        let mut line_starts = vec![0u32];
        push_line_starts(&mut line_starts, text.as_bytes(), 0);
        let mut marks = Vec::with_capacity(text.len() / MARK_EVERY + 1);
        push_marks(&mut marks, text.as_bytes(), 0, (0, 0));
        SourceFile {
            name: name.into(),
            text,
            line_starts,
            marks,
        }
    }

    /// [`SourceFile::new`] of `text`, an edit of this file's text: the line
    /// index is made again only from the first changed byte on (and the
    /// lines after the last changed byte are this file's, moved).
    pub fn edited(&self, text: Arc<str>) -> SourceFile {
        let (old, new) = (self.text.as_bytes(), text.as_bytes());
        let prefix = common_prefix(old, new);
        let suffix = common_suffix(old, new, old.len().min(new.len()) - prefix);
        let (old_end, new_end) = (old.len() - suffix, new.len() - suffix);
        let delta = new.len() as i64 - old.len() as i64;
        // A line starts after each `\n`: before the edit, in it, after it.
        let kept = self.line_starts.partition_point(|&s| s as usize <= prefix);
        let mut line_starts = Vec::with_capacity(self.line_starts.len() + 16);
        line_starts.extend_from_slice(self.line_starts.get(..kept).unwrap_or_default());
        push_line_starts(
            &mut line_starts,
            new.get(prefix..new_end).unwrap_or_default(),
            prefix,
        );
        let after = self
            .line_starts
            .partition_point(|&s| (s as usize) <= old_end);
        line_starts.extend(
            self.line_starts
                .get(after..)
                .unwrap_or_default()
                .iter()
                .map(|&s| (s as i64 + delta) as u32),
        );
        // Marks up to the edit stay; the rest are counted again.
        let kept = (prefix / MARK_EVERY + 1).min(self.marks.len());
        let mut marks = Vec::with_capacity(new.len() / MARK_EVERY + 1);
        marks.extend_from_slice(self.marks.get(..kept).unwrap_or_default());
        if let Some(&last) = marks.last() {
            let from = (marks.len() - 1) * MARK_EVERY;
            marks.pop();
            push_marks(&mut marks, new.get(from..).unwrap_or_default(), from, last);
        } else {
            push_marks(&mut marks, new, 0, (0, 0));
        }
        SourceFile {
            name: self.name.clone(),
            text,
            line_starts,
            marks,
        }
    }

    /// Characters and UTF-16 units before byte `offset` (a char boundary).
    fn units_before(&self, offset: usize) -> (usize, usize) {
        let mark = (offset / MARK_EVERY).min(self.marks.len().saturating_sub(1));
        let Some(&(chars, units)) = self.marks.get(mark) else {
            return (0, 0);
        };
        let (mut chars, mut units) = (chars as usize, units as usize);
        let from = mark * MARK_EVERY;
        for &b in self.text.as_bytes().get(from..offset).unwrap_or_default() {
            if !is_continuation(b) {
                chars += 1;
                units += 1;
            }
            if b >= 0xF0 {
                units += 1;
            }
        }
        (chars, units)
    }

    /// 1-based line and column (columns count characters) of a byte offset.
    pub fn line_col(&self, offset: u32) -> (usize, usize) {
        let offset = offset.min(self.text.len() as u32);
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts.get(line).copied().unwrap_or(0) as usize;
        let mut end = offset as usize;
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let col = self.units_before(end).0 - self.units_before(start).0;
        (line + 1, col + 1)
    }

    /// 0-based line and UTF-16 column, as the Language Server Protocol counts.
    pub fn line_utf16(&self, offset: u32) -> (u32, u32) {
        let offset = offset.min(self.text.len() as u32);
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts.get(line).copied().unwrap_or(0) as usize;
        let mut end = offset as usize;
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let col = self.units_before(end).1 - self.units_before(start).1;
        (line as u32, col as u32)
    }

    /// Byte offset of a 0-based line and UTF-16 column; clamped to the text.
    pub fn offset_utf16(&self, line: u32, col: u32) -> u32 {
        let Some(&start) = self.line_starts.get(line as usize) else {
            return self.text.len() as u32;
        };
        let mut units = 0u32;
        for (i, c) in self.text[start as usize..].char_indices() {
            if units >= col || c == '\n' {
                return start + i as u32;
            }
            units += c.len_utf16() as u32;
        }
        self.text.len() as u32
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// 0-based index of the line holding a byte offset (clamped to the text).
    pub fn line_index(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len()) as u32;
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    /// Byte range of a 0-based line, without its `\n` (or `\r\n`); an empty
    /// range at the end of the text past the last line.
    pub fn line_range(&self, line: usize) -> (usize, usize) {
        let len = self.text.len();
        let Some(&start) = self.line_starts.get(line) else {
            return (len, len);
        };
        let start = start as usize;
        let mut end = self
            .line_starts
            .get(line + 1)
            .map_or(len, |&next| next as usize - 1);
        if end > start && self.text.as_bytes().get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        (start, end)
    }
}

fn is_continuation(b: u8) -> bool {
    b & 0xC0 == 0x80
}

/// The start of every line after a `\n` in `bytes`, which begin at `base`.
fn push_line_starts(out: &mut Vec<u32>, bytes: &[u8], base: usize) {
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' {
            out.push((base + i) as u32 + 1);
        }
    }
}

/// A [`MARK_EVERY`] mark for each block of `bytes` (which begin at `base`,
/// a multiple of it, with `at` characters and units before).
fn push_marks(out: &mut Vec<(u32, u32)>, bytes: &[u8], base: usize, at: (u32, u32)) {
    debug_assert_eq!(base % MARK_EVERY, 0);
    let (mut chars, mut units) = at;
    for block in bytes.chunks(MARK_EVERY) {
        out.push((chars, units));
        let (starts, wide) = count_units(block);
        chars += starts;
        units += starts + wide;
    }
}

/// The characters of `bytes` (the bytes that are not UTF-8 continuation
/// bytes), and those of them that take two UTF-16 units (lead bytes of four
/// bytes, `0xF0` and above). Eight bytes at a time: this runs over every byte
/// of a file.
fn count_units(bytes: &[u8]) -> (u32, u32) {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let words = bytes.chunks_exact(8);
    let rest = words.remainder();
    let (mut continuation, mut wide) = (0u32, 0u32);
    for w in words {
        let mut word = [0u8; 8];
        word.copy_from_slice(w);
        let x = u64::from_le_bytes(word);
        // Bit 7 of each byte: `10xxxxxx`, and `1111xxxx`.
        continuation += (x & !(x << 1) & HIGH).count_ones();
        wide += (x & (x << 1) & (x << 2) & (x << 3) & HIGH).count_ones();
    }
    for &b in rest {
        continuation += u32::from(is_continuation(b));
        wide += u32::from(b >= 0xF0);
    }
    (bytes.len() as u32 - continuation, wide)
}

/// The length of the common prefix of two texts.
pub(crate) fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    // Compare in blocks first: this runs on every keystroke over large files.
    let blocks = a
        .chunks_exact(64)
        .zip(b.chunks_exact(64))
        .take_while(|(x, y)| x == y)
        .count()
        * 64;
    blocks
        + a.iter()
            .skip(blocks)
            .zip(b.iter().skip(blocks))
            .take_while(|(x, y)| x == y)
            .count()
}

/// The length of the common suffix of two texts, at most `max`.
pub(crate) fn common_suffix(a: &[u8], b: &[u8], max: usize) -> usize {
    let blocks = a
        .rchunks_exact(64)
        .zip(b.rchunks_exact(64))
        .take(max / 64)
        .take_while(|(x, y)| x == y)
        .count()
        * 64;
    blocks
        + a.iter()
            .rev()
            .skip(blocks)
            .zip(b.iter().rev().skip(blocks))
            .take(max - blocks)
            .take_while(|(x, y)| x == y)
            .count()
}

/// Every file of one compilation, user files and standard library alike.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    /// Shared: the language server keeps the files that did not change
    /// (their line indexes made once) from one load to the next.
    files: Vec<Arc<SourceFile>>,
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.add_shared(Arc::new(file))
    }

    /// [`SourceMap::add`] a file another map may hold too.
    pub fn add_shared(&mut self, file: Arc<SourceFile>) -> FileId {
        self.files.push(file);
        FileId(self.files.len() as u32 - 1)
    }

    #[allow(
        clippy::indexing_slicing,
        reason = "a FileId is made only by this map's `add`, and no file is ever removed"
    )]
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn find(&self, name: &str) -> Option<FileId> {
        self.files
            .iter()
            .position(|f| f.name == name)
            .map(|i| FileId(i as u32))
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), &**f))
    }

    /// The text a span covers.
    pub fn snippet(&self, span: Span) -> &str {
        let text = &self.get(span.file).text;
        text.get(span.start as usize..span.end as usize)
            .unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_counted_as_a_byte_at_a_time() {
        let text = "aé😀\u{7ff}\u{800}\u{ffff}\u{10000}\u{10ffff}b\n".repeat(7);
        for start in 0..text.len() {
            for end in start..text.len().min(start + 40) {
                let bytes = &text.as_bytes()[start..end];
                let chars = bytes.iter().filter(|&&b| !is_continuation(b)).count() as u32;
                let wide = bytes.iter().filter(|&&b| b >= 0xF0).count() as u32;
                assert_eq!(count_units(bytes), (chars, wide), "{start}..{end}");
            }
        }
    }

    /// An edited file's line index is the one made from scratch, wherever
    /// the edit and whatever it inserts or deletes.
    #[test]
    fn an_edited_file_indexes_as_a_new_one() {
        let mut text = String::new();
        for i in 0..4000 {
            text.push_str(["ab", "é", "😀", "\n", "c\n"][i % 5 * (i % 7 + 1) % 5]);
        }
        let old = SourceFile::new("t", text.as_str());
        let n = text.len();
        let inserts = ["", "x", "\n", "😀\n", "\n\n\né"];
        for (k, at) in [0, 1, 5, 1023, 1024, 1025, n / 2, n - 3, n]
            .into_iter()
            .enumerate()
        {
            let at = (at..=n).find(|&i| text.is_char_boundary(i)).unwrap_or(n);
            for delete in [0, 1, 2, 700, 2100] {
                let end = (at + delete..=n)
                    .find(|&i| text.is_char_boundary(i))
                    .unwrap_or(n);
                let edited = format!(
                    "{}{}{}",
                    &text[..at],
                    inserts[(k + delete) % 5],
                    &text[end..]
                );
                let want = SourceFile::new("t", edited.as_str());
                let got = old.edited(Arc::from(edited.as_str()));
                assert_eq!(got.line_starts, want.line_starts, "{at} {delete}");
                assert_eq!(got.marks, want.marks, "{at} {delete}");
            }
        }
    }

    #[test]
    fn columns_match_a_plain_count_on_long_mixed_lines() {
        let mut text = String::new();
        for i in 0..3000 {
            text.push_str(["a", "é", "😀", "\n", "bc"][i % 5 * (i % 7 + 1) % 5]);
        }
        let f = SourceFile::new("t", text.as_str());
        for offset in (0..=text.len()).chain([text.len() + 5]) {
            let o = offset.min(text.len());
            let mut end = o;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            let line_start = text[..end].rfind('\n').map_or(0, |i| i + 1);
            let line = text[..line_start].matches('\n').count();
            let chars = text[line_start..end].chars().count();
            let units: usize = text[line_start..end].chars().map(char::len_utf16).sum();
            assert_eq!(f.line_col(offset as u32), (line + 1, chars + 1), "{offset}");
            assert_eq!(
                f.line_utf16(offset as u32),
                (line as u32, units as u32),
                "{offset}"
            );
            assert_eq!(f.line_index(offset), line);
        }
    }

    #[test]
    fn line_ranges_drop_the_line_break() {
        let f = SourceFile::new("t", "ab\r\ncd\n\nlast");
        assert_eq!(f.line_range(0), (0, 2));
        assert_eq!(f.line_range(1), (4, 6));
        assert_eq!(f.line_range(2), (7, 7));
        assert_eq!(f.line_range(3), (8, 12));
        assert_eq!(f.line_range(4), (12, 12));
    }
}
