//! The language server reparses only the items an edit touched
//! (`parse::incremental`). Whatever the edit, the result must be exactly what a
//! fresh `parse_file` of the new text gives: the same items with the same
//! spans, the same comments and the same diagnostics.

use accessc_core::parse::incremental::{reparse_file, ParsedFile};
use accessc_core::parse::parse_file;
use accessc_core::span::FileId;
use proptest::prelude::*;
use std::path::Path;
use std::sync::Arc;

/// Every `.access` file of the corpus, the examples and the standard library.
fn sources() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in ["tests/corpus", "../../examples", "../../stdlib"] {
        collect(&root.join(dir), &mut out);
    }
    out.sort();
    out.into_iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect()
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|e| e == "access") {
            out.push(p);
        }
    }
}

/// Fragments that move item boundaries, open or close blocks, comments and
/// strings, or are ordinary text.
const FRAGMENTS: &[&str] = &[
    "",
    "}",
    "{",
    "/*",
    "*/",
    "\"",
    "\n",
    "\n\n",
    " ",
    "grant ",
    "\ngroup x\n",
    "// c\n",
    "/// doc\n",
    "function X {",
    "\nfunction Y { session 2h }\n",
    "to ",
    ",",
    "\nuser u\n",
    "allow s3:GetObject on *",
    "é",
    "ou A \"ou-ab12-11111111\" {",
    "\ton Workloads/",
    "ß\u{1F600}",
];

fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(text: &str, at: usize, delete: usize, insert: &str) -> String {
    let start = floor_boundary(text, at);
    let end = floor_boundary(text, start + delete);
    format!("{}{}{}", &text[..start], insert, &text[end..])
}

fn assert_same(state: Option<&ParsedFile>, file: FileId, text: &str) -> ParsedFile {
    let text: Arc<str> = text.into();
    let (module, diags, next, _) = reparse_file(file, &text, state);
    let (want_module, want_diags) = parse_file(file, &text);
    assert_eq!(
        format!("{module:#?}"),
        format!("{want_module:#?}"),
        "module differs for:\n{text}"
    );
    assert_eq!(diags, want_diags, "diagnostics differ for:\n{text}");
    next
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn incremental_equals_fresh(
        file in 0usize..10_000,
        edits in prop::collection::vec((0usize..100_000, 0usize..40, 0usize..FRAGMENTS.len()), 1..4),
        file_id in 0u32..3,
    ) {
        let sources = sources();
        let mut text = sources[file % sources.len()].clone();
        // The first parse is of another file id: reused items move files too.
        let mut state = assert_same(None, FileId(0), &text);
        for (at, delete, frag) in edits {
            let at = if text.is_empty() { 0 } else { at % (text.len() + 1) };
            text = apply(&text, at, delete, FRAGMENTS[frag]);
            state = assert_same(Some(&state), FileId(file_id), &text);
        }
    }
}

#[test]
fn every_source_reparses_to_itself_after_a_one_line_edit() {
    for src in sources() {
        let state = assert_same(None, FileId(0), &src);
        let mid = floor_boundary(&src, src.len() / 2);
        let line_start = src[..mid].rfind('\n').map_or(0, |i| i + 1);
        let edited = apply(&src, line_start, 0, "// edited\n");
        assert_same(Some(&state), FileId(0), &edited);
    }
}
