//! Edits the server proposes: formatting (exactly `accessc fmt`) and the
//! code actions that apply a diagnostic's did-you-mean.

use super::analysis::Analysis;
use super::convert;
use accessc_core::parse::parse_file;
use accessc_core::span::{FileId, SourceFile};
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, Diagnostic, Position, Range, TextEdit, Uri,
    WorkspaceEdit,
};
use std::collections::HashMap;

/// The edit that formats `text` as `accessc fmt` would, `Ok(None)` when it is
/// formatted already; `Err` with the reason when it has syntax errors (which
/// `accessc fmt` refuses too).
pub fn format(text: &str) -> Result<Option<TextEdit>, String> {
    let (module, diags) = parse_file(FileId(0), text);
    if let Some(d) = diags.iter().find(|d| d.code.is_syntax()) {
        let file = SourceFile::new("", text);
        let (line, col) = file.line_col(d.span.start);
        return Err(format!(
            "the file has syntax errors; not formatted ({line}:{col}: {})",
            d.message
        ));
    }
    let formatted = accessc_core::fmt::format_module(&module, text);
    if formatted == text {
        return Ok(None);
    }
    let file = SourceFile::new("", text);
    let end = file.line_utf16(text.len() as u32);
    Ok(Some(TextEdit {
        range: Range::new(Position::new(0, 0), Position::new(end.0, end.1)),
        new_text: formatted,
    }))
}

/// One quick fix per did-you-mean in `range`: from the diagnostics the client
/// sent (their `data` carries the edit), and from the analysis for those it
/// did not send.
pub fn code_actions(
    uri: &Uri,
    range: Range,
    sent: &[Diagnostic],
    analysis: Option<&Analysis>,
    text: &str,
) -> Vec<CodeActionOrCommand> {
    let mut out = Vec::new();
    let mut seen: Vec<(Range, String)> = Vec::new();
    let mut add = |diag: Diagnostic, target: Uri, at: Range, new_text: String| {
        if seen.iter().any(|(r, t)| *r == at && *t == new_text) {
            return;
        }
        seen.push((at, new_text.clone()));
        let old = if target == *uri {
            text_in(text, at)
        } else {
            String::new()
        };
        let title = if old.is_empty() {
            format!("Write `{new_text}`")
        } else {
            format!("Replace `{old}` with `{new_text}`")
        };
        let mut changes = HashMap::new();
        changes.insert(
            target,
            vec![TextEdit {
                range: at,
                new_text,
            }],
        );
        out.push(CodeActionOrCommand::CodeAction(CodeAction {
            title,
            kind: Some(CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![diag]),
            edit: Some(WorkspaceEdit {
                changes: Some(changes),
                ..WorkspaceEdit::default()
            }),
            is_preferred: Some(true),
            ..CodeAction::default()
        }));
    };
    for d in sent {
        if let Some((target, at, new_text)) = suggestion_of(d) {
            if overlaps(d.range, range) {
                add(d.clone(), target, at, new_text);
            }
        }
    }
    if let Some(a) = analysis {
        if let Some(file) = a.file_of(uri) {
            for d in a.checked.diagnostics.iter().filter(|d| d.span.file == file) {
                let lsp = convert::diagnostic(a, d);
                if !overlaps(lsp.range, range) {
                    continue;
                }
                if let Some((target, at, new_text)) = suggestion_of(&lsp) {
                    add(lsp, target, at, new_text);
                }
            }
        }
    }
    out
}

fn suggestion_of(d: &Diagnostic) -> Option<(Uri, Range, String)> {
    let s = d.data.as_ref()?.get("suggestion")?;
    let uri: Uri = s.get("uri")?.as_str()?.parse().ok()?;
    let range: Range = serde_json::from_value(s.get("range")?.clone()).ok()?;
    let new_text = s.get("newText")?.as_str()?.to_string();
    Some((uri, range, new_text))
}

fn before(a: Position, b: Position) -> bool {
    (a.line, a.character) < (b.line, b.character)
}

/// Whether two ranges share a position (touching counts).
fn overlaps(a: Range, b: Range) -> bool {
    !before(a.end, b.start) && !before(b.end, a.start)
}

fn text_in(text: &str, r: Range) -> String {
    let file = SourceFile::new("", text);
    let s = convert::offset(&file, r.start) as usize;
    let e = convert::offset(&file, r.end) as usize;
    text.get(s.min(e)..e.max(s)).unwrap_or("").to_string()
}
