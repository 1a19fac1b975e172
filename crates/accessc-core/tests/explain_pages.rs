//! Every `accessc explain` page is honest: its example program reports the
//! page's code, and its fix program does not.

use accessc_core::load::{load_texts, RealFs};
use accessc_core::{check, CheckOptions, Today};
use std::path::Path;

fn codes(text: &str) -> Vec<String> {
    let prog = load_texts(
        &RealFs,
        Path::new("."),
        vec![("example.access".into(), text.to_string())],
    );
    let today = Today::parse("2026-11-28").expect("date");
    check(&prog, &CheckOptions { today })
        .diagnostics
        .iter()
        .map(|d| d.code.to_string())
        .collect()
}

#[test]
fn examples_trigger_and_fixes_clear_their_code() {
    let mut problems = Vec::new();
    let mut n = 0;
    for info in accessc_core::explain::all() {
        n += 1;
        match info.example() {
            None => problems.push(format!("{}: no ```access example", info.code)),
            Some(ex) => {
                let got = codes(ex);
                if !got.iter().any(|c| c == info.code) {
                    problems.push(format!("{}: example reports {got:?}", info.code));
                }
            }
        }
        if let Some(fix) = info.fix() {
            let got = codes(fix);
            if got.iter().any(|c| c == info.code) {
                problems.push(format!("{}: fix still reports it", info.code));
            }
            if got.iter().any(|c| c.starts_with("A1")) {
                problems.push(format!(
                    "{}: fix does not parse or resolve: {got:?}",
                    info.code
                ));
            }
        }
    }
    assert_eq!(
        n, 39,
        "every code of the contract, and A509, A510, A511 and A512, has a page"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn titles_are_lowercase_sentences() {
    for info in accessc_core::explain::all() {
        assert!(
            !info.title.is_empty() && !info.title.ends_with('.'),
            "{}: {}",
            info.code,
            info.title
        );
    }
}
