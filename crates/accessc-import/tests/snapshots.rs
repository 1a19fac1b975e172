//! The program written for a realistic model, file by file, and the summary
//! the command prints.

mod common;

use common::*;

fn program(w: &accessc_import::Written) -> String {
    let mut out = String::new();
    for (name, text) in &w.files {
        out.push_str(&format!("==> {name} <==\n{text}\n"));
    }
    out
}

#[test]
fn realistic_program() {
    let w = accessc_import::write_program(&realistic(), &opts()).expect("write");
    insta::assert_snapshot!("realistic_program", program(&w));
    insta::assert_snapshot!("realistic_summary", w.summary.to_string());
    insta::assert_snapshot!(
        "realistic_summary_json",
        serde_json::to_string_pretty(&w.summary).expect("json")
    );
}

#[test]
fn offline_program_without_org_or_user_grant_options() {
    let mut model = realistic();
    model.org = None;
    for p in &mut model.principals {
        p.name = None;
    }
    let w = accessc_import::write_program(&model, &accessc_import::WriteOptions::default())
        .expect("write");
    insta::assert_snapshot!("offline_program", program(&w));
    insta::assert_snapshot!("offline_summary", w.summary.to_string());
}
