//! `accessc diff` on pairs of programs under `tests/data/diff/`: every kind
//! of change a reviewer looks for, the pure refactors that must report
//! nothing, the three formats, `--fail-on-widen` and programs with errors.

use pulldown_cmark::{Event, Tag};
use std::path::PathBuf;
use std::process::{Command, Output};

const TODAY: &str = "2026-12-01";

fn accessc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_accessc"))
        .args(args)
        .env("NO_COLOR", "1")
        .current_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/diff"))
        .output()
        .expect("run accessc")
}

/// `accessc diff OLD NEW --format FORMAT`: exit status and standard output.
fn diff(old: &str, new: &str, format: &str, extra: &[&str]) -> (Option<i32>, String) {
    let mut args = vec!["diff", old, new, "--format", format, "--today", TODAY];
    args.extend_from_slice(extra);
    let out = accessc(&args);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// The cases that change access, each against `base`, with whether access widens.
const CHANGES: &[(&str, bool)] = &[
    ("widen-grant", true),
    ("narrow-grant", false),
    ("session", true),
    ("policy-wider", true),
    ("managed-added", true),
    ("deny-removed", true),
    ("boundary-removed", true),
    ("boundary-policy", true),
    ("settings", false),
    ("renamed-function", false),
    ("hostile-text", false),
];

/// Refactors that change nothing AWS holds.
const REFACTORS: &[&str] = &[
    "refactor-rename-policy",
    "refactor-reorder-files",
    "refactor-split-grant",
    "refactor-rename-group",
];

#[test]
fn every_change_is_reported_in_all_three_formats() {
    for &(case, widens) in CHANGES {
        for format in ["text", "markdown", "json"] {
            let (code, out) = diff("base", case, format, &[]);
            assert_eq!(code, Some(0), "{case} {format}: {out}");
            insta::assert_snapshot!(format!("diff_{case}_{format}"), out);
        }
        let (_, json) = diff("base", case, "json", &[]);
        let v: serde_json::Value = serde_json::from_str(&json).expect("json");
        assert_eq!(v["widened"], widens, "{case}: {json}");
        for key in ["added", "removed", "functions"] {
            assert!(v[key].is_array(), "{case}: `{key}` in {json}");
        }
    }
}

#[test]
fn the_reverse_of_a_widening_does_not_widen() {
    for &(case, widens) in CHANGES {
        let (_, json) = diff(case, "base", "json", &[]);
        let v: serde_json::Value = serde_json::from_str(&json).expect("json");
        if widens && case != "boundary-policy" {
            assert_eq!(v["widened"], false, "{case} reversed: {json}");
        }
    }
}

#[test]
fn pure_refactors_report_no_change() {
    for &case in REFACTORS {
        for (old, new) in [("base", case), (case, "base")] {
            let (code, out) = diff(old, new, "text", &["--fail-on-widen"]);
            assert_eq!(code, Some(0), "{old} → {new}: {out}");
            assert_eq!(out, "No change in access.\n", "{old} → {new}");
            let (_, json) = diff(old, new, "json", &[]);
            let v: serde_json::Value = serde_json::from_str(&json).expect("json");
            assert_eq!(v["widened"], false);
            assert_eq!(v["added"], serde_json::json!([]));
            assert_eq!(v["removed"], serde_json::json!([]));
            assert_eq!(v["functions"], serde_json::json!([]));
        }
    }
}

#[test]
fn fail_on_widen_exits_one_only_when_access_widens() {
    for &(case, widens) in CHANGES {
        let (code, _) = diff("base", case, "text", &["--fail-on-widen"]);
        assert_eq!(code, Some(if widens { 1 } else { 0 }), "{case}");
    }
}

#[test]
fn programs_with_errors_are_reported_not_diffed_and_the_side_is_named() {
    for (old, new, side) in [("base", "errors", "NEW"), ("errors", "base", "OLD")] {
        let out = accessc(&["diff", old, new, "--today", TODAY]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(out.stdout.is_empty(), "a partial diff was printed");
        assert!(
            stderr.contains("unknown function `AppDevelopr`"),
            "{stderr}"
        );
        assert!(
            stderr.contains(&format!(
                "the {side} program `{}` was not compared",
                "errors"
            )),
            "{stderr}"
        );
    }
    let out = accessc(&["diff", "errors", "errors", "--today", TODAY]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("the OLD program") && stderr.contains("the NEW program"));
}

#[test]
fn a_missing_program_exits_two() {
    let out = accessc(&["diff", "base", "no-such-dir", "--today", TODAY]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn markdown_carries_no_markup_from_the_program() {
    let (_, md) = diff("base", "hostile-text", "markdown", &[]);
    for bad in ["<img", "</code><", "[link](", "**bold**", "@org"] {
        assert!(!md.contains(bad), "{bad} in {md}");
    }
    // The description is there, as text.
    assert!(md.contains("&lt;img src\\=x onerror"), "{md}");
    // And adds no HTML, link or image of its own.
    let opts = pulldown_cmark::Options::ENABLE_TABLES;
    for event in pulldown_cmark::Parser::new_ext(&md, opts) {
        match event {
            Event::Html(h) | Event::InlineHtml(h) => assert!(
                ["<code>", "</code>"].contains(&h.trim()) || h.contains("details>"),
                "HTML {h:?} in {md}"
            ),
            Event::Start(Tag::Link { .. } | Tag::Image { .. }) => panic!("a link in {md}"),
            _ => {}
        }
    }
}
