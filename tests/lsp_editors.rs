//! The editor files in `editors/` stay in step with the language: the
//! TextMate grammar and the Vim syntax name every keyword of
//! `grammar/access.pest`, and the VS Code extension points at the grammar.

use serde_json::Value;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Every keyword of the grammar (`kw_x = @{ "x" ~ !ident_char }`).
fn keywords() -> Vec<String> {
    read("grammar/access.pest")
        .lines()
        .filter(|l| l.starts_with("kw_"))
        .filter_map(|l| l.split('"').nth(1).map(str::to_string))
        .collect()
}

#[test]
fn the_textmate_grammar_is_valid_and_names_every_keyword() {
    let text = read("editors/textmate/access.tmLanguage.json");
    let g: Value = serde_json::from_str(&text).expect("the grammar is JSON");
    assert_eq!(g["scopeName"], "source.access");
    assert_eq!(g["fileTypes"][0], "access");
    // Every rule has a non-empty pattern.
    fn walk(v: &Value, n: &mut usize) {
        match v {
            Value::Object(m) => {
                for k in ["match", "begin", "end"] {
                    if let Some(p) = m.get(k) {
                        assert!(p.as_str().is_some_and(|s| !s.is_empty()), "{k}: {p}");
                        *n += 1;
                    }
                }
                m.values().for_each(|x| walk(x, n));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, n)),
            _ => {}
        }
    }
    let mut n = 0;
    walk(&g, &mut n);
    assert!(n > 15);
    let kws = keywords();
    assert!(kws.len() > 40, "{kws:?}");
    for kw in kws {
        assert!(
            text.contains(&format!("|{kw}|"))
                || text.contains(&format!("({kw}|"))
                || text.contains(&format!("|{kw})"))
                || text.contains(&format!("\\\\b{kw}\\\\b")),
            "keyword `{kw}` is missing from editors/textmate/access.tmLanguage.json"
        );
    }
}

#[test]
fn the_vim_syntax_names_every_keyword() {
    let text = read("editors/vim/syntax/access.vim");
    let words: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("syn keyword"))
        .flat_map(|l| l.split_whitespace().skip(3))
        .collect();
    for kw in keywords() {
        assert!(
            words.contains(&kw.as_str()),
            "keyword `{kw}` is missing from editors/vim/syntax/access.vim"
        );
    }
}

#[test]
fn the_vscode_extension_uses_the_grammar_and_the_server() {
    let pkg: Value = serde_json::from_str(&read("editors/vscode/package.json")).expect("json");
    assert_eq!(
        pkg["contributes"]["languages"][0]["extensions"][0],
        ".access"
    );
    assert_eq!(
        pkg["contributes"]["grammars"][0]["scopeName"],
        "source.access"
    );
    assert!(pkg["scripts"]["prepare"]
        .as_str()
        .is_some_and(|s| s.contains("../textmate/access.tmLanguage.json")));
    let js = read("editors/vscode/extension.js");
    assert!(js.contains("args: [\"lsp\"]"));
    let _: Value =
        serde_json::from_str(&read("editors/vscode/language-configuration.json")).expect("json");
    let helix = read("editors/helix/languages.toml");
    assert!(helix.contains("args = [\"lsp\"]"));
}
