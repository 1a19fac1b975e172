//! The language server, driven over the protocol: a scripted client
//! (`tests/lsp_client/`) starts `accessc lsp`, sends requests and edits, and
//! the responses are snapshotted (`tests/snapshots/lsp/`, `cargo insta
//! review`). Paths are written `file:///WS/…` (the test's workspace) and
//! `file:///CACHE/…` (where the server writes the standard library).
//!
//! The diagnostics of every example and every corpus program are compared,
//! field by field, with `accessc check --format json`.

mod lsp_client;

use lsp_client::{pos, uri, Client, Ws, TODAY};
use serde_json::{json, Value};
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

fn options() -> Value {
    json!({ "today": TODAY })
}

const MAIN: &str = r#"use std::functions

attributes {
  Department = "${path:enterprise.department}"
}

org {
  root "r-ab12"
  management "999999999999"
  ou Workloads "ou-ab12-11111111" {
    ou NonProd "ou-ab12-22222222" {
      account app-a-dev "111111111111"
      account app-b-dev "222222222222"
    }
    ou Prod "ou-ab12-33333333" { account app-a-prod "333333333333" }
  }
  ou Security "ou-ab12-44444444" { account audit "444444444444" }
  account management "999999999999"
}

group aws-team-a-engineers
group platform "AWS Platform Admins"
/// The partner's auditor, for the yearly audit.
user ext-auditor "auditor@partner.example"

/// Lets developers run their own serverless services.
policy AppPlane {
  AllowAppPlane: allow lambda:*, s3:GetObject, dynamodb:Get* on *
  DenySensitive: deny iam:CreateUser on *
}

policy TeamScopedS3 {
  allow s3:GetObject, s3:PutObject on *
    when resource.tag.Department == principal.tag.Department
}

managed_policy BoundaryForDev {
  path "/boundaries/"
  allow * on *
  deny iam:*, organizations:* on *
}
"#;

const FUNCTIONS: &str = r#"/// Application developers in non-prod accounts
function AppDeveloper {
  session 4h
  managed ReadOnlyAccess
  boundary BoundaryForDev
  inline AppPlane, TeamScopedS3
}
"#;

const GRANTS: &str = r#"grant AppDeveloper to aws-team-a-engineers on Workloads/NonProd
grant BillingViewer to platform on Workloads, Security
grant AppDeveloper to platform on account audit, "333333333333"
grant BillingViewer to user ext-auditor on Security owner "secops@example.com" until 2027-06-30
"#;

/// The three-file program, opened; returns the URIs (main, functions, grants).
fn open_program(ws: &Ws, c: &mut Client) -> [String; 3] {
    let (_, main) = ws.write("main.access", MAIN);
    let (_, functions) = ws.write("functions.access", FUNCTIONS);
    let (_, grants) = ws.write("grants.access", GRANTS);
    c.open(&main, MAIN);
    c.open(&functions, FUNCTIONS);
    c.open(&grants, GRANTS);
    for u in [&main, &functions, &grants] {
        c.diagnostics(u);
    }
    [main, functions, grants]
}

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({
        snapshot_path => "snapshots/lsp",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, text);
    });
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

// ---------------------------------------------------------------------------
// The handshake

#[test]
fn initialize_announces_the_capabilities() {
    let ws = Ws::new();
    snapshot("initialize", &pretty(&capabilities(&ws)));
    // A second `initialize` is refused.
    let mut c = ws.client();
    let r = c.request(
        "initialize",
        json!({"processId": null, "rootUri": null, "capabilities": {}}),
    );
    assert!(r.get("error").is_some(), "{r}");
    assert!(c.shutdown().success());
}

fn capabilities(ws: &Ws) -> Value {
    use lsp_server::{Message, Request, RequestId};
    use std::io::BufReader;
    use std::process::Stdio;
    let mut child = Command::new(lsp_client::binary())
        .arg("lsp")
        .env("XDG_CACHE_HOME", ws.cache.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start");
    let mut stdin = child.stdin.take().expect("stdin");
    Message::Request(Request::new(
        RequestId::from(1),
        "initialize".into(),
        json!({"processId": null, "rootUri": null, "capabilities": {}}),
    ))
    .write(&mut stdin)
    .expect("write");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let resp = match Message::read(&mut out).expect("read") {
        Some(Message::Response(r)) => r.response_result.expect("ok"),
        other => panic!("{other:?}"),
    };
    drop(stdin);
    let _ = child.wait();
    resp
}

// ---------------------------------------------------------------------------
// Diagnostics: the same as `accessc check --format json`

/// One diagnostic as `accessc check --format json` reports it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Flat {
    file: String,
    line: u64,
    column: u64,
    end_line: u64,
    end_column: u64,
    code: String,
    severity: String,
    message: String,
}

fn check_json(path: &Path) -> Vec<Flat> {
    let out = Command::new(lsp_client::binary())
        .args(["check", "--format", "json", "--today", TODAY])
        .arg(path)
        .output()
        .expect("accessc check");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    let mut flat: Vec<Flat> = v
        .as_array()
        .expect("array")
        .iter()
        .map(|d| Flat {
            file: d["file"].as_str().unwrap_or("").to_string(),
            line: d["line"].as_u64().unwrap_or(0),
            column: d["column"].as_u64().unwrap_or(0),
            end_line: d["end_line"].as_u64().unwrap_or(0),
            end_column: d["end_column"].as_u64().unwrap_or(0),
            code: d["code"].as_str().unwrap_or("").to_string(),
            severity: d["severity"].as_str().unwrap_or("").to_string(),
            message: match d["help"].as_str() {
                Some(h) => format!("{}\nhelp: {h}", d["message"].as_str().unwrap_or("")),
                None => d["message"].as_str().unwrap_or("").to_string(),
            },
        })
        .collect();
    flat.sort();
    flat
}

/// A UTF-16 column of a line as a 1-based character column.
fn char_column(text: &str, line: u64, utf16: u64) -> u64 {
    let l = text.split('\n').nth(line as usize).unwrap_or("");
    let mut units = 0;
    let mut chars = 0;
    for ch in l.chars() {
        if units >= utf16 {
            break;
        }
        units += ch.len_utf16() as u64;
        chars += 1;
    }
    // Past the end of the line (a span ending at a newline).
    chars + 1 + utf16.saturating_sub(units)
}

fn flatten(file: &Path, text: &str, diags: &[Value]) -> Vec<Flat> {
    diags
        .iter()
        .map(|d| {
            let r = &d["range"];
            let (l0, c0) = (
                r["start"]["line"].as_u64().unwrap_or(0),
                r["start"]["character"].as_u64().unwrap_or(0),
            );
            let (l1, c1) = (
                r["end"]["line"].as_u64().unwrap_or(0),
                r["end"]["character"].as_u64().unwrap_or(0),
            );
            Flat {
                file: file.display().to_string(),
                line: l0 + 1,
                column: char_column(text, l0, c0),
                end_line: l1 + 1,
                end_column: char_column(text, l1, c1),
                code: d["code"].as_str().unwrap_or("").to_string(),
                severity: match d["severity"].as_u64() {
                    Some(1) => "error".into(),
                    _ => "warning".into(),
                },
                message: d["message"].as_str().unwrap_or("").to_string(),
            }
        })
        .collect()
}

/// Open every file of `program` (a directory or a file) and compare what is
/// published with `accessc check`.
fn compare_program(c: &mut Client, program: &Path) {
    let files: Vec<PathBuf> = if program.is_dir() {
        let mut v: Vec<PathBuf> = std::fs::read_dir(program)
            .expect("dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "access"))
            .collect();
        v.sort();
        v
    } else {
        vec![program.to_path_buf()]
    };
    let mut got = Vec::new();
    let mut texts = Vec::new();
    for f in &files {
        let bytes = std::fs::read(f).expect("read");
        let text = String::from_utf8_lossy(&bytes).into_owned();
        c.open(&uri(f), &text);
        texts.push(text);
    }
    for (f, text) in files.iter().zip(&texts) {
        let diags = c.diagnostics(&uri(f));
        got.extend(flatten(f, text, &diags));
    }
    got.sort();
    let want = check_json(program);
    // Diagnostics in files that are not opened (a `use`d file) are published too.
    let want: Vec<Flat> = want
        .into_iter()
        .filter(|d| files.iter().any(|f| f.display().to_string() == d.file))
        .collect();
    assert_eq!(got, want, "{}", program.display());
    for f in &files {
        c.close(&uri(f));
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn diagnostics_equal_accessc_check_for_every_example() {
    let ws = Ws::new();
    let mut c = ws.client();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join("examples"))
        .expect("examples")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 5);
    for d in dirs {
        compare_program(&mut c, &d);
    }
    assert!(c.shutdown().success());
}

#[test]
fn diagnostics_equal_accessc_check_for_every_corpus_program() {
    let ws = Ws::new();
    let mut programs: Vec<PathBuf> =
        std::fs::read_dir(root().join("crates/accessc-core/tests/corpus"))
            .expect("corpus")
            .map(|e| e.expect("entry").path())
            .collect();
    programs.sort();
    // The corpus is a folder of unrelated one-file programs: `program: file`.
    let mut files = Client::start(ws.cache.path(), json!({"today": TODAY, "program": "file"}));
    let mut dirs = ws.client();
    let mut n = 0;
    for p in programs {
        if p.is_dir() {
            compare_program(&mut dirs, &p);
            n += 1;
        } else if p.extension().is_some_and(|e| e == "access") {
            compare_program(&mut files, &p);
            n += 1;
        }
    }
    assert!(n > 100, "only {n} corpus programs");
    assert!(files.shutdown().success());
    assert!(dirs.shutdown().success());
}

fn render_diags(ws: &Ws, uri: &str, diags: &[Value]) -> String {
    let mut s = format!("{}:\n", ws.redact(uri));
    if diags.is_empty() {
        s.push_str("  (none)\n");
    }
    for d in diags {
        let r = &d["range"];
        let _ = writeln!(
            s,
            "  {}:{}-{}:{} {} {}",
            r["start"]["line"],
            r["start"]["character"],
            r["end"]["line"],
            r["end"]["character"],
            d["code"].as_str().unwrap_or(""),
            d["message"].as_str().unwrap_or("").replace('\n', "\n    ")
        );
        if let Some(rel) = d["relatedInformation"].as_array() {
            for x in rel {
                let _ = writeln!(
                    s,
                    "    related {} {}:{}: {}",
                    ws.redact(x["location"]["uri"].as_str().unwrap_or("")),
                    x["location"]["range"]["start"]["line"],
                    x["location"]["range"]["start"]["character"],
                    x["message"].as_str().unwrap_or("")
                );
            }
        }
    }
    s
}

#[test]
fn a_change_in_one_file_updates_the_diagnostics_of_the_others() {
    let ws = Ws::new();
    let mut c = ws.client();
    let (_, a) = ws.write("a.access", "group devs\nfunction Dev { session 2h }\n");
    let (_, b) = ws.write(
        "b.access",
        "grant Dev to devs on root\norg { account x \"111111111111\" }\n",
    );
    c.open(&a, "group devs\nfunction Dev { session 2h }\n");
    let mut t = String::new();
    t.push_str("# open a.access (b.access is read from disk)\n");
    let da = c.diagnostics(&a);
    let db = c.diagnostics(&b);
    t.push_str(&render_diags(&ws, &a, &da));
    t.push_str(&render_diags(&ws, &b, &db));
    t.push_str("\n# rename the function in a.access: b.access's grant breaks\n");
    c.replace(&a, "group devs\nfunction Developer { session 2h }\n");
    let da = c.diagnostics(&a);
    let db = c.diagnostics(&b);
    t.push_str(&render_diags(&ws, &a, &da));
    t.push_str(&render_diags(&ws, &b, &db));
    t.push_str("\n# rename it back\n");
    c.replace(&a, "group devs\nfunction Dev { session 2h }\n");
    let da = c.diagnostics(&a);
    let db = c.diagnostics(&b);
    t.push_str(&render_diags(&ws, &a, &da));
    t.push_str(&render_diags(&ws, &b, &db));
    t.push_str("\n# close a.access: the program is forgotten, its diagnostics cleared\n");
    c.close(&a);
    let da = c.diagnostics(&a);
    let db = c.diagnostics(&b);
    t.push_str(&render_diags(&ws, &a, &da));
    t.push_str(&render_diags(&ws, &b, &db));
    snapshot("directory_program", &t);
    assert!(c.shutdown().success());
}

// ---------------------------------------------------------------------------
// Hover, definition, references

fn hover_at(c: &mut Client, uri: &str, p: Value) -> String {
    let r = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": p}),
    );
    match r["result"]["contents"]["value"].as_str() {
        Some(v) => v.to_string(),
        None => format!("{}", r),
    }
}

#[test]
fn hover_tells_what_the_model_knows() {
    let ws = Ws::new();
    let mut c = ws.client();
    let [main, functions, grants] = open_program(&ws, &mut c);
    let cases: Vec<(&str, &String, &str, &str, usize)> = vec![
        (
            "a function, where it is used",
            &grants,
            GRANTS,
            "AppDeveloper",
            2,
        ),
        (
            "a function, at its definition",
            &functions,
            FUNCTIONS,
            "AppDeveloper",
            0,
        ),
        (
            "a standard-library function",
            &grants,
            GRANTS,
            "BillingViewer",
            1,
        ),
        ("an action", &main, MAIN, "s3:GetObject", 4),
        ("a wildcard action", &main, MAIN, "dynamodb:Get*", 3),
        ("a service wildcard", &main, MAIN, "lambda:*", 1),
        ("a group", &grants, GRANTS, "aws-team-a-engineers", 3),
        ("a user", &grants, GRANTS, "ext-auditor", 3),
        (
            "an OU path, last segment",
            &grants,
            GRANTS,
            "Workloads/NonProd",
            12,
        ),
        (
            "an OU path, first segment",
            &grants,
            GRANTS,
            "Workloads/NonProd",
            2,
        ),
        ("an account", &grants, GRANTS, "account audit", 10),
        ("an account id", &grants, GRANTS, "\"333333333333\"", 3),
        ("a policy", &functions, FUNCTIONS, "AppPlane", 2),
        (
            "a managed policy",
            &functions,
            FUNCTIONS,
            "BoundaryForDev",
            2,
        ),
        (
            "an AWS-managed policy",
            &functions,
            FUNCTIONS,
            "ReadOnlyAccess",
            2,
        ),
        ("an attribute", &main, MAIN, "principal.tag.Department", 16),
        ("a std module", &main, MAIN, "std::functions", 6),
        ("a keyword (nothing)", &main, MAIN, "policy", 1),
    ];
    let mut t = String::new();
    for (what, u, text, needle, delta) in cases {
        let h = hover_at(&mut c, u, pos(text, needle, delta));
        let _ = writeln!(t, "## {what} (`{needle}`)\n{}\n", ws.redact(&h));
    }
    snapshot("hover", &t);
    assert!(c.shutdown().success());
}

fn locations(ws: &Ws, v: &Value) -> String {
    let mut s = String::new();
    let arr = match v {
        Value::Array(a) => a.clone(),
        Value::Null => vec![],
        other => vec![other.clone()],
    };
    if arr.is_empty() {
        s.push_str("  (none)\n");
    }
    for l in arr {
        let _ = writeln!(
            s,
            "  {} {}:{}-{}:{}",
            ws.redact(l["uri"].as_str().unwrap_or("")),
            l["range"]["start"]["line"],
            l["range"]["start"]["character"],
            l["range"]["end"]["line"],
            l["range"]["end"]["character"]
        );
    }
    s
}

#[test]
fn definition_and_references_cross_files_and_reach_the_standard_library() {
    let ws = Ws::new();
    let mut c = ws.client();
    let [main, functions, grants] = open_program(&ws, &mut c);
    let mut t = String::new();
    let defs: Vec<(&str, &String, &str, &str, usize)> = vec![
        ("function", &grants, GRANTS, "AppDeveloper", 1),
        ("std function", &grants, GRANTS, "BillingViewer", 1),
        ("std module", &main, MAIN, "std::functions", 5),
        ("group", &grants, GRANTS, "platform", 1),
        ("OU segment", &grants, GRANTS, "Workloads/NonProd", 1),
        ("OU path", &grants, GRANTS, "Workloads/NonProd", 11),
        ("account", &grants, GRANTS, "account audit", 9),
        ("account id", &grants, GRANTS, "\"333333333333\"", 1),
        ("policy", &functions, FUNCTIONS, "TeamScopedS3", 1),
        ("managed policy", &functions, FUNCTIONS, "BoundaryForDev", 1),
        ("attribute", &main, MAIN, "principal.tag.Department", 15),
        ("action (none)", &main, MAIN, "s3:GetObject", 1),
    ];
    for (what, u, text, needle, delta) in defs {
        let r = c.request(
            "textDocument/definition",
            json!({"textDocument": {"uri": u}, "position": pos(text, needle, delta)}),
        );
        let _ = writeln!(
            t,
            "definition of {what} `{needle}`:\n{}",
            locations(&ws, &r["result"])
        );
    }
    let refs: Vec<(&str, &String, &str, &str, usize)> = vec![
        ("function", &functions, FUNCTIONS, "AppDeveloper", 1),
        ("group", &main, MAIN, "platform", 1),
        ("policy", &main, MAIN, "AppPlane", 1),
        ("OU", &main, MAIN, "ou Workloads", 4),
        ("account", &main, MAIN, "app-a-prod", 1),
        ("attribute", &main, MAIN, "Department =", 1),
    ];
    for (what, u, text, needle, delta) in refs {
        let r = c.request(
            "textDocument/references",
            json!({"textDocument": {"uri": u}, "position": pos(text, needle, delta),
                   "context": {"includeDeclaration": true}}),
        );
        let _ = writeln!(
            t,
            "references of {what} `{needle}`:\n{}",
            locations(&ws, &r["result"])
        );
    }
    // The std file the definition points at exists, and navigation works inside it.
    let r = c.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": grants}, "position": pos(GRANTS, "BillingViewer", 1)}),
    );
    let std_uri = r["result"][0]["uri"].as_str().expect("std uri").to_string();
    let std_path = url::Url::parse(&std_uri)
        .expect("url")
        .to_file_path()
        .expect("path");
    let std_text = std::fs::read_to_string(&std_path).expect("std file on disk");
    assert!(std_text.contains("function BillingViewer"));
    c.open(&std_uri, &std_text);
    let h = hover_at(
        &mut c,
        &std_uri,
        pos(&std_text, "function BillingViewer", 10),
    );
    let _ = writeln!(t, "hover inside the std file:\n{}", ws.redact(&h));
    snapshot("navigation", &t);
    assert!(c.shutdown().success());
}

#[test]
fn an_org_snapshot_is_navigable() {
    // examples/org-matrix: the org comes from org.json.
    let ws = Ws::new();
    let dir = ws.dir.path().join("org-matrix");
    std::fs::create_dir_all(&dir).expect("mkdir");
    for e in std::fs::read_dir(root().join("examples/org-matrix")).expect("dir") {
        let p = e.expect("entry").path();
        std::fs::copy(&p, dir.join(p.file_name().expect("name"))).expect("copy");
    }
    let grants_path = dir.join("grants.access");
    let org_path = dir.join("org.access");
    let grants_text = std::fs::read_to_string(&grants_path).expect("read");
    let org_text = std::fs::read_to_string(&org_path).expect("read");
    let (grants, org) = (uri(&grants_path), uri(&org_path));
    let mut c = ws.client();
    c.open(&grants, &grants_text);
    c.diagnostics(&grants);
    let mut t = String::new();
    for (what, u, text, needle, delta) in [
        (
            "an OU of the snapshot",
            &grants,
            &grants_text,
            "on Workloads/NonProd",
            14,
        ),
        (
            "an account of the snapshot",
            &grants,
            &grants_text,
            "except account management",
            16,
        ),
        ("the snapshot itself", &org, &org_text, "\"org.json\"", 2),
    ] {
        let r = c.request(
            "textDocument/definition",
            json!({"textDocument": {"uri": u}, "position": pos(text, needle, delta)}),
        );
        let _ = writeln!(
            t,
            "definition of {what} (`{needle}`):\n{}",
            locations(&ws, &r["result"])
        );
        let h = hover_at(&mut c, u, pos(text, needle, delta));
        let _ = writeln!(t, "hover:\n{}\n", ws.redact(&h));
    }
    snapshot("org_snapshot", &t);
    assert!(c.shutdown().success());
}

// ---------------------------------------------------------------------------
// Completion

fn complete(c: &mut Client, uri: &str, p: Value) -> Value {
    let r = c.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri}, "position": p}),
    );
    r["result"].clone()
}

fn render_completion(v: &Value, max: usize) -> String {
    let items = v["items"].as_array().cloned().unwrap_or_default();
    let mut s = format!(
        "  {} items{}\n",
        items.len(),
        if v["isIncomplete"] == true {
            ", incomplete"
        } else {
            ""
        }
    );
    for it in items.iter().take(max) {
        let edit = &it["textEdit"];
        let _ = writeln!(
            s,
            "  {} [{}] -> {:?} at {}:{}-{}:{}{}",
            it["label"].as_str().unwrap_or(""),
            it["kind"],
            edit["newText"].as_str().unwrap_or(""),
            edit["range"]["start"]["line"],
            edit["range"]["start"]["character"],
            edit["range"]["end"]["line"],
            edit["range"]["end"]["character"],
            it["detail"]
                .as_str()
                .map(|d| format!("  ({d})"))
                .unwrap_or_default(),
        );
    }
    if items.len() > max {
        let _ = writeln!(s, "  …");
    }
    s
}

#[test]
fn completion_offers_what_fits_the_context() {
    let ws = Ws::new();
    let mut c = ws.client();
    let [_, _, grants] = open_program(&ws, &mut c);
    // Each case: the text appended to grants.access (cursor at its end).
    let cases: &[(&str, &str, usize)] = &[
        ("an item keyword", "gr", 20),
        ("functions after `grant`", "grant App", 20),
        ("`to` after the functions", "grant AppDeveloper ", 20),
        ("principals after `to`", "grant AppDeveloper to ", 20),
        ("users after `user`", "grant AppDeveloper to user ", 20),
        (
            "targets after `on`",
            "grant AppDeveloper to platform on ",
            20,
        ),
        (
            "OU paths as the path is typed",
            "grant AppDeveloper to platform on Workloads/",
            20,
        ),
        (
            "accounts after `account`",
            "grant AppDeveloper to platform on account app",
            20,
        ),
        ("keywords in a function", "function F {\n  b", 20),
        ("policies after `inline`", "function F {\n  inline App", 20),
        (
            "managed policies after `boundary`",
            "function F {\n  boundary Bound",
            20,
        ),
        (
            "AWS-managed policies after `managed`",
            "function F {\n  managed ReadOnlyA",
            20,
        ),
        (
            "service prefixes in a statement",
            "policy P {\n  allow s3",
            20,
        ),
        (
            "IAM actions after `service:`",
            "policy P {\n  allow s3:GetObjectV",
            20,
        ),
        ("actions of a service, all", "policy P {\n  allow sso:", 8),
        (
            "condition starts after `when`",
            "policy P {\n  allow s3:GetObject on * when ",
            20,
        ),
        (
            "attribute keys after `principal.tag.`",
            "policy P {\n  allow s3:GetObject on * when resource.tag.Department == principal.tag.",
            20,
        ),
        (
            "OU paths after `in`",
            "managed_policy M {\n  path \"/\"\n  in Work",
            20,
        ),
        ("std modules after `use`", "use ", 20),
        ("nothing in a comment", "// grant ", 20),
    ];
    let mut t = String::new();
    let mut text = GRANTS.to_string();
    for (what, typed, max) in cases {
        text = format!("{GRANTS}\n{typed}");
        c.replace(&grants, &text);
        let lines: Vec<&str> = text.split('\n').collect();
        let line = lines.len() - 1;
        let col: usize = lines[line].chars().map(char::len_utf16).sum();
        let r = complete(&mut c, &grants, json!({"line": line, "character": col}));
        let _ = writeln!(
            t,
            "## {what}: `{}`\n{}",
            typed.replace('\n', "⏎"),
            render_completion(&r, *max)
        );
    }
    let _ = text;
    snapshot("completion", &t);
    assert!(c.shutdown().success());
}

// ---------------------------------------------------------------------------
// Symbols, formatting, code actions

#[test]
fn document_symbols_outline_the_file() {
    let ws = Ws::new();
    let mut c = ws.client();
    let [main, _, grants] = open_program(&ws, &mut c);
    let mut t = String::new();
    for u in [&main, &grants] {
        let r = c.request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": u}}),
        );
        let _ = writeln!(t, "{}:", ws.redact(u));
        outline(&r["result"], 1, &mut t);
    }
    snapshot("document_symbols", &t);
    assert!(c.shutdown().success());
}

fn outline(v: &Value, depth: usize, out: &mut String) {
    for s in v.as_array().cloned().unwrap_or_default() {
        let _ = writeln!(
            out,
            "{}{} [{}] {}:{}-{}:{} sel {}:{}{}",
            "  ".repeat(depth),
            s["name"].as_str().unwrap_or(""),
            s["kind"],
            s["range"]["start"]["line"],
            s["range"]["start"]["character"],
            s["range"]["end"]["line"],
            s["range"]["end"]["character"],
            s["selectionRange"]["start"]["line"],
            s["selectionRange"]["start"]["character"],
            s["detail"]
                .as_str()
                .map(|d| format!("  — {d}"))
                .unwrap_or_default()
        );
        outline(&s["children"], depth + 1, out);
    }
}

#[test]
fn formatting_is_accessc_fmt() {
    let ws = Ws::new();
    let mut c = ws.client();
    let messy = "group   devs\nfunction Dev {session 2h\n  managed   ReadOnlyAccess // why\n}\ngrant Dev to devs on root\n";
    let (path, u) = ws.write("messy.access", messy);
    c.open(&u, messy);
    c.diagnostics(&u);
    let r = c.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": u}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    let edits = r["result"].as_array().expect("edits");
    assert_eq!(edits.len(), 1, "{r}");
    let formatted = edits[0]["newText"].as_str().expect("text").to_string();
    // What `accessc fmt` writes to the file.
    let out = Command::new(lsp_client::binary())
        .arg("fmt")
        .arg(&path)
        .output()
        .expect("fmt");
    assert!(out.status.success());
    assert_eq!(formatted, std::fs::read_to_string(&path).expect("read"));
    // The edit covers the whole document.
    assert_eq!(
        edits[0]["range"],
        json!({"start": {"line": 0, "character": 0}, "end": {"line": 5, "character": 0}})
    );
    // Formatted text: no edits.
    c.replace(&u, &formatted);
    let r = c.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": u}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    assert_eq!(r["result"], json!([]));
    // Syntax errors: refused, as `accessc fmt` refuses.
    c.replace(&u, "function Dev {\n");
    let r = c.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": u}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    assert_eq!(r["error"]["code"], -32803, "{r}");
    assert!(r["error"]["message"]
        .as_str()
        .unwrap_or("")
        .contains("syntax errors"));
    assert!(c.shutdown().success());
}

#[test]
fn code_actions_apply_the_did_you_mean() {
    let ws = Ws::new();
    let mut c = ws.client();
    let text = "org { account x \"111111111111\" }\ngroup devs\nfunction Developer { session 2h }\ngrant Develper to devs on root\n";
    let (_, u) = ws.write("typo.access", text);
    c.open(&u, text);
    let diags = c.diagnostics(&u);
    let mut t = render_diags(&ws, &u, &diags);
    let a102: Vec<Value> = diags
        .iter()
        .filter(|d| d["code"] == "A102")
        .cloned()
        .collect();
    assert_eq!(a102.len(), 1);
    let r = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": u}, "range": a102[0]["range"], "context": {"diagnostics": a102}}),
    );
    let actions = r["result"].as_array().cloned().unwrap_or_default();
    assert_eq!(actions.len(), 1, "{r}");
    let _ = writeln!(
        t,
        "\naction: {}",
        actions[0]["title"].as_str().unwrap_or("")
    );
    let _ = writeln!(
        t,
        "kind: {}, preferred: {}",
        actions[0]["kind"], actions[0]["isPreferred"]
    );
    let edit = actions[0]["edit"]["changes"][&u][0].clone();
    let _ = writeln!(t, "edit: {}", edit);
    // Without the diagnostics in the context (a client that does not send
    // them), the server finds the fix from its own analysis.
    let r = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": u}, "range": a102[0]["range"], "context": {"diagnostics": []}}),
    );
    assert_eq!(r["result"].as_array().map(Vec::len), Some(1), "{r}");
    // Apply it: the error is gone.
    let r0 = &edit["range"];
    c.edit(
        &u,
        [
            r0["start"]["line"].as_u64().unwrap_or(0) as u32,
            r0["start"]["character"].as_u64().unwrap_or(0) as u32,
            r0["end"]["line"].as_u64().unwrap_or(0) as u32,
            r0["end"]["character"].as_u64().unwrap_or(0) as u32,
        ],
        edit["newText"].as_str().unwrap_or(""),
    );
    let after = c.diagnostics(&u);
    t.push_str("\nafter applying it:\n");
    t.push_str(&render_diags(&ws, &u, &after));
    snapshot("code_action", &ws.redact(&t));
    assert!(c.shutdown().success());
}

// ---------------------------------------------------------------------------
// Incrementality

#[test]
fn an_edit_reparses_only_the_edited_item() {
    let ws = Ws::new();
    let mut c = Client::start_with(
        &lsp_client::binary(),
        ws.cache.path(),
        options(),
        &[("ACCESSC_LSP_LOG", "1")],
    );
    let [_, functions, _] = open_program(&ws, &mut c);
    // One item of functions.access changes; nothing else is parsed again.
    let line = FUNCTIONS
        .lines()
        .position(|l| l.contains("session 4h"))
        .unwrap_or(0) as u32;
    c.edit(&functions, [line, 10, line, 11], "2");
    let d = c.diagnostics(&functions);
    assert!(d.is_empty(), "{d:?}");
    let log = c.stderr_text();
    let last = log
        .lines()
        .rfind(|l| l.contains("items parsed again"))
        .unwrap_or("");
    assert!(last.contains("(1 of "), "{log}");
    assert!(c.shutdown().success());
}

// ---------------------------------------------------------------------------
// Bad input: the server answers or errors per the protocol, and keeps running

#[test]
fn a_half_typed_file_still_gets_diagnostics_hover_and_completion() {
    let ws = Ws::new();
    let mut c = ws.client();
    let [main, functions, grants] = open_program(&ws, &mut c);
    let half = format!("{GRANTS}grant AppDeveloper to platform on Work");
    c.replace(&grants, &half);
    let d = c.diagnostics(&grants);
    let mut t = render_diags(&ws, &grants, &d);
    // The rest of the file still resolves.
    let h = hover_at(&mut c, &grants, pos(GRANTS, "aws-team-a-engineers", 2));
    let _ = writeln!(t, "hover still works: {}", h.lines().next().unwrap_or(""));
    let lines: Vec<&str> = half.split('\n').collect();
    let r = complete(
        &mut c,
        &grants,
        json!({"line": lines.len() - 1, "character": lines[lines.len() - 1].len()}),
    );
    t.push_str(&render_completion(&r, 10));
    // An unclosed function: the items after it are still known.
    c.replace(
        &functions,
        "function AppDeveloper {\n  session 4h\n  inline AppPl",
    );
    let d = c.diagnostics(&functions);
    t.push_str(&render_diags(&ws, &functions, &d));
    let _ = main;
    snapshot("half_typed", &t);
    assert!(c.shutdown().success());
}

#[test]
fn a_file_that_is_not_utf8_is_a100_and_the_rest_is_checked() {
    let ws = Ws::new();
    let mut c = ws.client();
    let (_, good) = ws.write("good.access", "group devs\n");
    let bad_path = ws.dir.path().join("bad.access");
    std::fs::write(&bad_path, b"group caf\xe9\n").expect("write");
    c.open(&good, "group devs\n");
    let d = c.diagnostics(&good);
    let bad = c.diagnostics(&uri(&bad_path));
    let mut t = render_diags(&ws, &good, &d);
    t.push_str(&render_diags(&ws, &uri(&bad_path), &bad));
    assert_eq!(bad[0]["code"], "A100", "{bad:?}");
    snapshot("not_utf8", &t);
    // The same as `accessc check` (the bad file is read from disk, as the CLI reads it).
    let bad_text = String::from_utf8_lossy(&std::fs::read(&bad_path).expect("read")).into_owned();
    let mut got = flatten(&ws.dir.path().join("good.access"), "group devs\n", &d);
    got.extend(flatten(&bad_path, &bad_text, &bad));
    got.sort();
    assert_eq!(got, check_json(ws.dir.path()));
    assert!(c.shutdown().success());
}

#[test]
fn positions_beyond_the_end_are_answered() {
    let ws = Ws::new();
    let mut c = ws.client();
    let [main, _, grants] = open_program(&ws, &mut c);
    let far = json!({"line": 9999, "character": 9999});
    let wide = json!({"line": 0, "character": 9999});
    for p in [&far, &wide] {
        for method in ["textDocument/hover", "textDocument/definition"] {
            let r = c.request(
                method,
                json!({"textDocument": {"uri": grants}, "position": p}),
            );
            assert!(r.get("result").is_some(), "{method}: {r}");
        }
        let r = c.request(
            "textDocument/references",
            json!({"textDocument": {"uri": grants}, "position": p, "context": {"includeDeclaration": true}}),
        );
        assert!(r.get("result").is_some(), "{r}");
        let r = c.request(
            "textDocument/completion",
            json!({"textDocument": {"uri": grants}, "position": p}),
        );
        assert!(r["result"]["items"].is_array(), "{r}");
        let r = c.request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": main}, "range": {"start": p, "end": p}, "context": {"diagnostics": []}}),
        );
        assert!(r["result"].is_array(), "{r}");
    }
    // An edit whose range is past the end appends (the range is clamped).
    c.edit(&grants, [9999, 0, 9999, 5], "group late\n");
    let d = c.diagnostics(&grants);
    assert!(d.iter().any(|x| x["code"] == "A505"), "{d:?}");
    // Requests about documents that are not open.
    let nowhere = uri(&ws.dir.path().join("nowhere.access"));
    let r = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": nowhere}, "position": {"line": 0, "character": 0}}),
    );
    assert_eq!(r["result"], Value::Null, "{r}");
    let r = c.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": nowhere}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    assert_eq!(r["error"]["code"], -32602, "{r}");
    assert!(c.shutdown().success());
}

#[test]
fn changes_out_of_order_are_ignored_and_reported() {
    let ws = Ws::new();
    let mut c = ws.client();
    let (_, u) = ws.write("a.access", "group devs\n");
    c.open(&u, "group devs\n");
    c.diagnostics(&u);
    // Version 3 arrives before version 2.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": u, "version": 3}, "contentChanges": [{"text": "group devs\ngroup ops\n"}]}),
    );
    c.set_version(&u, 3);
    let d = c.diagnostics(&u);
    assert_eq!(d.len(), 2, "{d:?}");
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": u, "version": 2}, "contentChanges": [{"text": "garbage {"}]}),
    );
    let log = c.wait_notification("window/logMessage", |p| {
        p["message"]
            .as_str()
            .is_some_and(|m| m.contains("out of order"))
    });
    assert_eq!(log["type"], 2);
    // The stale change was not applied: the text is still version 3's.
    let r = c.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": u}}),
    );
    let names: Vec<&str> = r["result"]
        .as_array()
        .map(|a| a.iter().filter_map(|s| s["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["devs", "ops"]);
    // A change to a document that was never opened.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": "file:///nowhere.access", "version": 9}, "contentChanges": [{"text": "x"}]}),
    );
    c.wait_notification("window/logMessage", |p| {
        p["message"]
            .as_str()
            .is_some_and(|m| m.contains("not open"))
    });
    assert!(c.shutdown().success());
}

#[test]
fn protocol_errors_are_answered_and_the_server_keeps_running() {
    let ws = Ws::new();
    let mut c = ws.client();
    let (_, u) = ws.write("a.access", "group devs\n");
    c.open(&u, "group devs\n");
    c.diagnostics(&u);
    // An unknown request.
    let r = c.request("textDocument/rename", json!({}));
    assert_eq!(r["error"]["code"], -32601, "{r}");
    // Parameters of the wrong shape.
    let r = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": u}, "position": "here"}),
    );
    assert_eq!(r["error"]["code"], -32602, "{r}");
    let r = c.request("textDocument/completion", json!([1, 2]));
    assert_eq!(r["error"]["code"], -32602, "{r}");
    // A message that is not JSON, then one that is not a message.
    c.send_raw(b"Content-Length: 9\r\n\r\n{not json");
    c.send_raw(b"Content-Length: 2\r\n\r\n[]");
    // Unknown notifications are ignored.
    c.notify("workspace/somethingNew", json!({"x": 1}));
    // Still answering.
    let r = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": u}, "position": {"line": 0, "character": 7}}),
    );
    assert!(
        r["result"]["contents"]["value"]
            .as_str()
            .is_some_and(|v| v.contains("devs")),
        "{r}"
    );
    // A cancelled request that was waiting for an analysis.
    c.replace(&u, "group devs\ngroup ops\n");
    let id = c.send_request(
        "textDocument/hover",
        json!({"textDocument": {"uri": u}, "position": {"line": 0, "character": 7}}),
    );
    c.notify("$/cancelRequest", json!({"id": id}));
    let r = c.response(id);
    // Either answered before the cancel arrived, or cancelled.
    assert!(
        r.get("result").is_some() || r["error"]["code"] == -32800,
        "{r}"
    );
    // After shutdown, requests are refused; exit then ends the process with 0.
    let r = c.request("shutdown", Value::Null);
    assert_eq!(r["result"], Value::Null);
    let r = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": u}, "position": {"line": 0, "character": 0}}),
    );
    assert_eq!(r["error"]["code"], -32600, "{r}");
    assert!(c.exit().success());
    assert!(ws.cache.path().join("lsp-stderr.txt").exists());
}

#[test]
fn exit_without_shutdown_is_status_1() {
    let ws = Ws::new();
    let c = ws.client();
    assert_eq!(c.exit().code(), Some(1));
}

#[test]
fn a_request_before_initialize_is_refused() {
    use lsp_server::{Message, Request, RequestId};
    use std::io::BufReader;
    use std::process::Stdio;
    let ws = Ws::new();
    let mut child = Command::new(lsp_client::binary())
        .arg("lsp")
        .env("XDG_CACHE_HOME", ws.cache.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start");
    let mut stdin = child.stdin.take().expect("stdin");
    Message::Request(Request::new(
        RequestId::from(7),
        "textDocument/hover".into(),
        json!({}),
    ))
    .write(&mut stdin)
    .expect("write");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    match Message::read(&mut out).expect("read") {
        Some(Message::Response(r)) => {
            assert_eq!(r.response_result.err().map(|e| e.code), Some(-32002))
        }
        other => panic!("{other:?}"),
    }
    drop(stdin);
    let _ = child.wait();
}

/// Checks that the debounce-free pipeline settles: many quick edits end in
/// the diagnostics of the last one.
#[test]
fn rapid_edits_end_in_the_diagnostics_of_the_last() {
    let ws = Ws::new();
    let mut c = ws.client();
    let (_, u) = ws.write("a.access", "group devs\n");
    c.open(&u, "group devs\n");
    c.diagnostics(&u);
    let mut text = String::from("group devs\n");
    for i in 0..30 {
        text.push_str(&format!("group g{i}\n"));
        c.replace(&u, &text);
    }
    // The last publication carries 31 A505 warnings.
    let mut last = Vec::new();
    for _ in 0..31 {
        last = c.diagnostics(&u);
        if last.len() == 31 {
            break;
        }
    }
    assert_eq!(last.len(), 31);
    c.drain(Duration::from_millis(100));
    assert!(c.shutdown().success());
}
