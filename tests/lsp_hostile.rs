//! The language server against a hostile client: frames of absurd or missing
//! length, header garbage, bodies that are not JSON-RPC, edits outside the
//! document. Each test performs the attack on the real binary over stdio and
//! asserts the safe outcome: the protocol's error answer, bounded memory, a
//! log line, an exit status that is neither a signal nor a panic (101), and
//! correct answers on a freshly opened document afterwards. Every wait has the
//! client's timeout, so a hang fails the test.

mod lsp_client;

use lsp_client::{uri, Client, Ws};
use serde_json::{json, Value};
use std::path::PathBuf;

const FRESH: &str = "group devs\ngroup ops\n";

/// Open a new program (`DIR/fresh.access`, its own directory) and check its
/// diagnostics and a hover: exactly what `accessc check` says of it.
fn fresh_document_is_answered_correctly(ws: &Ws, c: &mut Client, dir: &str) {
    let (_, u) = ws.write(&format!("{dir}/fresh.access"), FRESH);
    c.open(&u, FRESH);
    let d = c.diagnostics(&u);
    let got: Vec<(String, u64, u64, String)> = d
        .iter()
        .map(|x| {
            (
                x["code"].as_str().unwrap_or("").to_string(),
                x["range"]["start"]["line"].as_u64().unwrap_or(99),
                x["range"]["start"]["character"].as_u64().unwrap_or(99),
                x["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "A505".to_string(),
                0,
                6,
                "group `devs` is never used\nhelp: grant it something or remove it".to_string()
            ),
            (
                "A505".to_string(),
                1,
                6,
                "group `ops` is never used\nhelp: grant it something or remove it".to_string()
            ),
        ],
        "{d:?}"
    );
    let r = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": u}, "position": {"line": 1, "character": 7}}),
    );
    let hover = r["result"]["contents"]["value"].as_str().unwrap_or("");
    assert!(hover.contains("ops") && !hover.contains("devs"), "{r}");
    assert_eq!(
        r["result"]["range"]["start"],
        json!({"line": 1, "character": 6})
    );
}

/// The server's peak resident memory, in KiB (Linux).
fn peak_kib(c: &Client) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", c.pid())).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The server never held more than this (it idles at a few MiB; a 64 MiB
/// message held once would pass it).
const PEAK_KIB: u64 = 60 * 1024;

fn assert_memory_bounded(c: &Client) {
    if let Some(kib) = peak_kib(c) {
        assert!(kib < PEAK_KIB, "the server's peak memory is {kib} KiB");
    }
}

/// The error answer with `"id": null`, of `code`.
fn expect_null_id_error(c: &mut Client, code: i64) -> Value {
    let r = c.raw_reply();
    assert_eq!(r["id"], Value::Null, "{r}");
    assert_eq!(r["error"]["code"], code, "{r}");
    assert!(
        r["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{r}"
    );
    r
}

fn frame(body: &str) -> Vec<u8> {
    format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
}

/// A hover on the open `a.access` (`group devs`) answers about `devs`: the
/// server is still reading, in step with the stream.
fn still_answering(c: &mut Client, u: &str) {
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
}

fn open_a(ws: &Ws, c: &mut Client) -> String {
    let (_, u) = ws.write("a.access", "group devs\n");
    c.open(&u, "group devs\n");
    c.diagnostics(&u);
    u
}

#[test]
fn a_content_length_of_a_terabyte_is_refused_without_allocating() {
    let ws = Ws::new();
    let mut c = ws.client();
    let u = open_a(&ws, &mut c);
    // Announced, never sent: the allocation that used to abort the process.
    c.send_raw(b"Content-Length: 1000000000000\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":1}");
    let r = expect_null_id_error(&mut c, -32600);
    assert!(
        r["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("1000000000000 bytes") && m.contains("64 MiB")),
        "{r}"
    );
    // The server reads the announced bytes and drops them: what follows is
    // part of that message, so it is not answered; the server stays small.
    c.send_raw(&frame(
        &json!({"jsonrpc": "2.0", "id": 77, "method": "shutdown"}).to_string(),
    ));
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(c.running(), "the server is still up, reading");
    assert_memory_bounded(&c);
    // The client gives up: the server ends cleanly (no shutdown: status 1).
    c.close_input();
    let status = c.wait();
    assert_eq!(status.code(), Some(1), "{status:?}");
    let log = c.stderr_text();
    assert!(log.contains("over the limit"), "{log}");
    let _ = u;
}

#[test]
fn a_message_over_64_mib_is_skipped_and_the_server_keeps_working() {
    let ws = Ws::new();
    let mut c = ws.client();
    let u = open_a(&ws, &mut c);
    // A real message one byte over the limit: a didOpen whose text is 64 MiB.
    let text = "x".repeat(64 * 1024 * 1024);
    let body = json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
        "textDocument": {"uri": uri(&ws.dir.path().join("big/big.access")),
                         "languageId": "access", "version": 1, "text": text}}})
    .to_string();
    drop(text);
    assert!(body.len() > 64 * 1024 * 1024);
    c.send_raw(&frame(&body));
    drop(body);
    expect_null_id_error(&mut c, -32600);
    still_answering(&mut c, &u);
    assert_memory_bounded(&c);
    fresh_document_is_answered_correctly(&ws, &mut c, "fresh");
    assert!(c.shutdown().success());
}

#[test]
fn malformed_headers_are_answered_with_a_parse_error_and_reading_goes_on() {
    let ws = Ws::new();
    let mut c = ws.client();
    let u = open_a(&ws, &mut c);
    let ping = json!({"jsonrpc": "2.0", "method": "$/ping"}).to_string();
    let attacks: Vec<(&str, Vec<u8>)> = vec![
        // The body of a frame without a length, glued to the next frame: it
        // used to be read as header lines, which hung the server.
        (
            "missing Content-Length",
            format!("Content-Type: application/vscode-jsonrpc\r\n\r\n{ping}").into_bytes(),
        ),
        (
            "non-numeric length",
            format!("Content-Length: twelve\r\n\r\n{ping}").into_bytes(),
        ),
        (
            "negative length",
            format!("Content-Length: -1\r\n\r\n{ping}").into_bytes(),
        ),
        (
            "length past u64",
            format!("Content-Length: 99999999999999999999999999\r\n\r\n{ping}").into_bytes(),
        ),
        (
            "header line without a colon",
            format!("Content-Length 5\r\n\r\n{ping}").into_bytes(),
        ),
        (
            "header line without CR",
            format!("Content-Length: {}\n\n{ping}", ping.len()).into_bytes(),
        ),
        (
            "header line over 1 KiB",
            format!("X-Padding: {}\r\n\r\n", "a".repeat(100_000)).into_bytes(),
        ),
        (
            "more than 16 header lines",
            "X-A: b\r\n".repeat(10_000).into_bytes(),
        ),
        ("binary garbage", b"\x00\xff\xfe garbage\r\n\r\n".to_vec()),
    ];
    for (what, bytes) in attacks {
        c.send_raw(&bytes);
        let r = expect_null_id_error(&mut c, -32700);
        eprintln!("{what}: {r}");
        still_answering(&mut c, &u);
    }
    assert_memory_bounded(&c);
    let log = c.stderr_text();
    assert!(log.contains("answered a malformed message"), "{log}");
    fresh_document_is_answered_correctly(&ws, &mut c, "fresh");
    assert!(c.shutdown().success());
}

#[test]
fn bodies_that_are_not_json_rpc_messages_are_answered() {
    let ws = Ws::new();
    let mut c = ws.client();
    let u = open_a(&ws, &mut c);
    // Not JSON, not UTF-8: ParseError, id null.
    for body in [
        &b"{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\""[..],
        b"\xff\xfe{}",
    ] {
        let mut f = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        f.extend_from_slice(body);
        c.send_raw(&f);
        expect_null_id_error(&mut c, -32700);
        still_answering(&mut c, &u);
    }
    // JSON that is not a message: InvalidRequest, id null.
    for body in [
        "[]",
        "42",
        "\"hello\"",
        "null",
        r#"{"jsonrpc":"2.0"}"#,
        r#"{"jsonrpc":"2.0","id":[1],"method":"x"}"#,
    ] {
        c.send_raw(&frame(body));
        expect_null_id_error(&mut c, -32600);
        still_answering(&mut c, &u);
    }
    // ... with a usable id: InvalidRequest, that id.
    for body in [
        r#"{"jsonrpc":"2.0","id":9001}"#,
        r#"{"jsonrpc":"2.0","id":9002,"method":7}"#,
        r#"{"jsonrpc":"1.0","id":9003,"method":"textDocument/hover"}"#,
        r#"{"jsonrpc":"2.0","id":9004,"method":"textDocument/hover","params":"here"}"#,
    ] {
        c.send_raw(&frame(body));
        let id: i32 = serde_json::from_str::<Value>(body).expect("json")["id"]
            .as_i64()
            .and_then(|i| i32::try_from(i).ok())
            .expect("id");
        let r = c.response(id);
        assert_eq!(r["error"]["code"], -32600, "{body}: {r}");
        still_answering(&mut c, &u);
    }
    // An id that is not a 32-bit integer: answered with that id as sent.
    c.send_raw(&frame(r#"{"jsonrpc":"2.0","id":1.5,"method":"x"}"#));
    let r = c.raw_reply();
    assert_eq!(
        (r["id"].as_f64(), &r["error"]["code"]),
        (Some(1.5), &json!(-32600)),
        "{r}"
    );
    // Two million numbers in 4 MB: refused before they are parsed.
    let body = format!("[{}0]", "0,".repeat(2_000_000));
    c.send_raw(&frame(&body));
    expect_null_id_error(&mut c, -32600);
    // A malformed response from the client is not answered (a response
    // never is); the next request is.
    c.send_raw(&frame(r#"{"jsonrpc":"2.0","id":null,"result":{}}"#));
    still_answering(&mut c, &u);
    assert_memory_bounded(&c);
    fresh_document_is_answered_correctly(&ws, &mut c, "fresh");
    assert!(c.shutdown().success());
}

/// Wait for a `window/logMessage` whose text holds `needle`; returns it.
fn log_with(c: &mut Client, needle: &str) -> Value {
    c.wait_notification("window/logMessage", |p| {
        p["message"].as_str().is_some_and(|m| m.contains(needle))
    })
}

/// The names in the outline of `u`.
fn outline(c: &mut Client, u: &str) -> Vec<String> {
    let r = c.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": u}}),
    );
    r["result"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s["name"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn edits_outside_the_document_are_clamped_logged_and_resynchronized() {
    let ws = Ws::new();
    let mut c = ws.client();
    let (_, u) = ws.write("a.access", "group devs\n");
    c.open(&u, "group devs\n");
    c.diagnostics(&u);
    // A character past the end of line 0: clamped to the line's end (as the
    // protocol says), logged, and the user told the text may differ.
    c.edit(&u, [0, 500, 0, 900], "\ngroup ops");
    let log = log_with(&mut c, "past the end of line 0");
    assert_eq!(log["type"], 2, "{log}");
    let shown = c.wait_notification("window/showMessage", |p| {
        p["message"]
            .as_str()
            .is_some_and(|m| m.contains("may now differ"))
    });
    assert_eq!(shown["type"], 2, "{shown}");
    assert_eq!(outline(&mut c, &u), ["devs", "ops"]);
    // A line past the end: clamped to the end of the text.
    c.edit(&u, [4000, 3, 4001, 0], "\ngroup late");
    log_with(&mut c, "past the last line");
    assert_eq!(outline(&mut c, &u), ["devs", "ops", "late"]);
    // A range whose end is before its start.
    c.edit(&u, [1, 9, 1, 6], "qa");
    log_with(&mut c, "before it starts");
    assert_eq!(outline(&mut c, &u), ["devs", "qa", "late"]);
    // A character inside a surrogate pair.
    c.replace(&u, "// 😀\ngroup devs\n");
    log_with(&mut c, "in sync again");
    c.edit(&u, [0, 4, 0, 4], "x");
    log_with(&mut c, "inside a character");
    // A version going backwards: ignored, logged, out of sync again.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": u, "version": 1}, "contentChanges": [{"text": "garbage {"}]}),
    );
    log_with(&mut c, "out of order");
    // Parameters that are not a change at all.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": u, "version": 99}, "contentChanges": 5}),
    );
    log_with(&mut c, "invalid parameters");
    // The whole text resynchronizes; its diagnostics are right.
    c.replace(&u, "group devs\ngroup ops\n");
    log_with(&mut c, "in sync again");
    let d = c.diagnostics(&u);
    let lines: Vec<_> = d
        .iter()
        .map(|x| (x["code"].clone(), x["range"]["start"]["line"].clone()))
        .collect();
    assert_eq!(
        lines,
        [(json!("A505"), json!(0)), (json!("A505"), json!(1))],
        "{d:?}"
    );
    // Every adjustment went to the log, none silently.
    let log = c.stderr_text();
    assert!(!log.contains("panicked"), "{log}");
    fresh_document_is_answered_correctly(&ws, &mut c, "fresh");
    assert!(c.shutdown().success());
}

/// Everything above in one session, then a fresh document: diagnostics and
/// hover still right; then the terabyte frame, and a clean exit.
#[test]
fn after_every_attack_a_fresh_document_is_answered_correctly() {
    let ws = Ws::new();
    let mut c = ws.client();
    let u = open_a(&ws, &mut c);
    let ping = json!({"jsonrpc": "2.0", "method": "$/ping"}).to_string();
    for bytes in [
        format!("Content-Type: x\r\n\r\n{ping}"),
        format!("Content-Length: nine\r\n\r\n{ping}"),
        format!("X: {}\r\n\r\n", "y".repeat(5000)),
        "X: y\r\n".repeat(100),
    ] {
        // (Garbage is answered once per stretch: a valid frame in between
        // makes each one a stretch of its own.)
        c.send_raw(bytes.as_bytes());
        expect_null_id_error(&mut c, -32700);
        still_answering(&mut c, &u);
    }
    c.send_raw(&frame("{oops"));
    expect_null_id_error(&mut c, -32700);
    c.send_raw(&frame("[1, 2]"));
    expect_null_id_error(&mut c, -32600);
    let mut big = format!("Content-Length: {}\r\n\r\n", 64 * 1024 * 1024 + 1).into_bytes();
    big.resize(big.len() + 64 * 1024 * 1024 + 1, b' ');
    c.send_raw(&big);
    drop(big);
    expect_null_id_error(&mut c, -32600);
    c.edit(&u, [7, 7, 9, 9], "\ngroup ops\n");
    log_with(&mut c, "past the last line");
    c.edit(&u, [1, 0, 0, 10], "");
    log_with(&mut c, "before it starts");
    still_answering(&mut c, &u);
    fresh_document_is_answered_correctly(&ws, &mut c, "fresh");
    assert_memory_bounded(&c);
    // Last, the frame that cannot end: answered, then a clean exit when the
    // client closes its side.
    c.send_raw(b"Content-Length: 1000000000000\r\n\r\n");
    expect_null_id_error(&mut c, -32600);
    c.close_input();
    let status = c.wait();
    assert_eq!(status.code(), Some(1), "{status:?}");
}

/// Start `accessc lsp` without the scripted client: raw stdin, stdout and
/// stderr to a file.
fn spawn_raw(ws: &Ws) -> (std::process::Child, PathBuf) {
    use std::process::{Command, Stdio};
    let stderr = ws.cache.path().join("raw-stderr.txt");
    let child = Command::new(lsp_client::binary())
        .arg("lsp")
        .env("XDG_CACHE_HOME", ws.cache.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(std::fs::File::create(&stderr).expect("stderr")))
        .spawn()
        .expect("start accessc lsp");
    (child, stderr)
}

/// Wait for the process, at most the client's timeout.
fn wait_exit(child: &mut std::process::Child) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + lsp_client::TIMEOUT;
    loop {
        if let Some(s) = child.try_wait().expect("wait") {
            return s;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the server did not exit"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// Everything the server wrote, read on a thread until it closes its output.
fn read_all(child: &mut std::process::Child) -> std::sync::mpsc::Receiver<Vec<Value>> {
    let out = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut r = std::io::BufReader::new(out);
        let mut all = Vec::new();
        while let Some(v) = lsp_client::read_frame(&mut r) {
            all.push(v);
        }
        let _ = tx.send(all);
    });
    rx
}

#[test]
fn a_disorderly_handshake_is_served() {
    use std::io::Write;
    let ws = Ws::new();
    let (mut child, _) = spawn_raw(&ws);
    let replies = read_all(&mut child);
    let mut input = child.stdin.take().expect("stdin");
    let hover = json!({"textDocument": {"uri": "file:///nowhere.access"}, "position": {"line": 0, "character": 0}});
    for msg in [
        // Before `initialize`: a request (refused), a response and a
        // notification (dropped).
        json!({"jsonrpc": "2.0", "id": 7, "method": "textDocument/hover", "params": hover}),
        json!({"jsonrpc": "2.0", "id": "from-client", "result": null}),
        json!({"jsonrpc": "2.0", "method": "$/setTrace", "params": {"value": "off"}}),
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}),
        // No `initialized`: a request at once.
        json!({"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": hover}),
        json!({"jsonrpc": "2.0", "id": 3, "method": "shutdown"}),
        json!({"jsonrpc": "2.0", "method": "exit"}),
    ] {
        input.write_all(&frame(&msg.to_string())).expect("write");
    }
    drop(input);
    let status = wait_exit(&mut child);
    assert_eq!(status.code(), Some(0), "{status:?}");
    let all = replies.recv_timeout(lsp_client::TIMEOUT).expect("output");
    let by_id = |id: i64| {
        all.iter()
            .find(|m| m["id"] == id)
            .unwrap_or_else(|| panic!("no answer to {id}: {all:?}"))
            .clone()
    };
    assert_eq!(by_id(7)["error"]["code"], -32002);
    assert!(by_id(1)["result"]["capabilities"].is_object());
    assert_eq!(by_id(2)["result"], Value::Null);
    assert_eq!(by_id(3)["result"], Value::Null);
}

#[test]
fn exit_or_the_end_of_input_before_initialize_is_status_1() {
    use std::io::Write;
    for exit in [true, false] {
        let ws = Ws::new();
        let (mut child, _) = spawn_raw(&ws);
        let mut input = child.stdin.take().expect("stdin");
        if exit {
            input
                .write_all(&frame(r#"{"jsonrpc":"2.0","method":"exit"}"#))
                .expect("write");
        }
        drop(input);
        let status = wait_exit(&mut child);
        assert_eq!(status.code(), Some(1), "exit sent: {exit}: {status:?}");
    }
}

#[test]
fn a_client_that_stops_reading_does_not_crash_the_server() {
    use std::io::Write;
    let ws = Ws::new();
    let (mut child, stderr) = spawn_raw(&ws);
    drop(child.stdout.take());
    let mut input = child.stdin.take().expect("stdin");
    let (_, u) = ws.write("a.access", "group devs\n");
    let mut msgs = vec![
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}),
        json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": u, "languageId": "access", "version": 1, "text": "group devs\n"}}}),
    ];
    for i in 0..500 {
        msgs.push(
            json!({"jsonrpc": "2.0", "id": 10 + i, "method": "textDocument/hover", "params": {
            "textDocument": {"uri": u}, "position": {"line": 0, "character": 7}}}),
        );
    }
    msgs.push(json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}));
    msgs.push(json!({"jsonrpc": "2.0", "method": "exit"}));
    for m in msgs {
        input.write_all(&frame(&m.to_string())).expect("write");
    }
    drop(input);
    let status = wait_exit(&mut child);
    assert_eq!(status.code(), Some(0), "{status:?}");
    let log = std::fs::read_to_string(stderr).unwrap_or_default();
    assert!(log.contains("cannot write to the client"), "{log}");
    assert!(!log.contains("panicked"), "{log}");
}
