//! A scripted LSP client for the tests and the benchmark: starts
//! `accessc lsp`, sends requests and notifications, and collects what the
//! server sends back. Messages are `lsp_server`'s; replies it cannot hold
//! (an error with `"id": null`) arrive apart, in `raw_reply`.

#![allow(dead_code)]

use lsp_server::{Message, Notification, Request, RequestId, Response};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

pub const TODAY: &str = "2026-11-28";

/// How long any one wait may take before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(60);

pub struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    incoming: Receiver<Message>,
    /// Frames that are not `lsp_server` messages (error answers with a null id).
    raw: Receiver<Value>,
    /// Notifications (and server requests) received while waiting for something else.
    pub backlog: VecDeque<Message>,
    next_id: i32,
    /// Document versions, by URI.
    versions: std::collections::HashMap<String, i32>,
    pub stderr: PathBuf,
}

pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_accessc"))
}

impl Client {
    /// Start `accessc lsp` (with `XDG_CACHE_HOME` in `cache`, where it writes
    /// the standard library) and initialize it with `options`.
    pub fn start(cache: &Path, options: Value) -> Client {
        Client::start_with(&binary(), cache, options, &[])
    }

    pub fn start_with(bin: &Path, cache: &Path, options: Value, env: &[(&str, &str)]) -> Client {
        let stderr = cache.join("lsp-stderr.txt");
        let mut cmd = Command::new(bin);
        cmd.arg("lsp")
            .env("XDG_CACHE_HOME", cache)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(
                std::fs::File::create(&stderr).expect("stderr file"),
            ));
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start accessc lsp");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, incoming) = std::sync::mpsc::channel();
        let (raw_tx, raw) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            while let Some(v) = read_frame(&mut r) {
                // An error answer to a message without a usable id has
                // `"id": null`, which is no `lsp_server::Message`.
                let sent = match serde_json::from_value::<Message>(v.clone()) {
                    Ok(msg) => tx.send(msg).is_ok(),
                    Err(_) => raw_tx.send(v).is_ok(),
                };
                if !sent {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        let mut c = Client {
            child,
            stdin,
            incoming,
            raw,
            backlog: VecDeque::new(),
            next_id: 0,
            versions: Default::default(),
            stderr,
        };
        let init = c.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": null,
                "capabilities": {},
                "initializationOptions": options,
            }),
        );
        assert!(init.get("result").is_some(), "initialize failed: {init}");
        c.notify("initialized", json!({}));
        c
    }

    pub fn send(&mut self, msg: Message) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        msg.write(stdin).expect("write to server");
    }

    /// Bytes exactly as given (for malformed input).
    pub fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(bytes).expect("write");
        stdin.flush().expect("flush");
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(Message::Notification(Notification::new(
            method.to_string(),
            params,
        )));
    }

    /// Send a request; returns its id.
    pub fn send_request(&mut self, method: &str, params: Value) -> i32 {
        self.next_id += 1;
        let id = self.next_id;
        self.send(Message::Request(Request::new(
            RequestId::from(id),
            method.to_string(),
            params,
        )));
        id
    }

    /// Send a request and wait for its response (`{"result": …}` or `{"error": …}`).
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.send_request(method, params);
        self.response(id)
    }

    pub fn response(&mut self, id: i32) -> Value {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            match self.next(deadline) {
                Message::Response(r) if r.id == RequestId::from(id) => return response_json(r),
                other => self.backlog.push_back(other),
            }
        }
    }

    fn next(&mut self, deadline: Instant) -> Message {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.incoming.recv_timeout(left) {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout) => panic!(
                "no message from the server in time; stderr:\n{}",
                std::fs::read_to_string(&self.stderr).unwrap_or_default()
            ),
            Err(RecvTimeoutError::Disconnected) => panic!(
                "the server closed its output; stderr:\n{}",
                std::fs::read_to_string(&self.stderr).unwrap_or_default()
            ),
        }
    }

    /// The next frame that is not an `lsp_server` message (an error answer
    /// with `"id": null`).
    pub fn raw_reply(&mut self) -> Value {
        match self.raw.recv_timeout(TIMEOUT) {
            Ok(v) => v,
            Err(e) => panic!(
                "no reply without an id from the server ({e}); stderr:\n{}",
                std::fs::read_to_string(&self.stderr).unwrap_or_default()
            ),
        }
    }

    /// Close the server's input without `exit`.
    pub fn close_input(&mut self) {
        drop(self.stdin.take());
    }

    /// Whether the server process is still running.
    pub fn running(&mut self) -> bool {
        self.child.try_wait().ok().flatten().is_none()
    }

    /// The process id of the server.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The next notification of `method` whose params satisfy `pred`
    /// (looking at the backlog first).
    pub fn wait_notification(&mut self, method: &str, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.backlog.iter().position(
            |m| matches!(m, Message::Notification(n) if n.method == method && pred(&n.params)),
        ) {
            if let Some(Message::Notification(n)) = self.backlog.remove(i) {
                return n.params;
            }
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            match self.next(deadline) {
                Message::Notification(n) if n.method == method && pred(&n.params) => {
                    return n.params
                }
                other => self.backlog.push_back(other),
            }
        }
    }

    /// The next diagnostics published for `uri` (for an open document, of
    /// its current version: older publications are skipped).
    pub fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        let version = self.versions.get(uri).copied();
        let p = self.wait_notification("textDocument/publishDiagnostics", |p| {
            p["uri"] == uri && version.is_none_or(|v| p["version"] == v)
        });
        p["diagnostics"].as_array().cloned().unwrap_or_default()
    }

    /// Drop what has been received so far (after waiting `settle`).
    pub fn drain(&mut self, settle: Duration) {
        std::thread::sleep(settle);
        while let Ok(m) = self.incoming.try_recv() {
            self.backlog.push_back(m);
        }
        self.backlog.clear();
    }

    pub fn open(&mut self, uri: &str, text: &str) {
        self.versions.insert(uri.to_string(), 1);
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "access", "version": 1, "text": text}}),
        );
    }

    /// Replace the whole text.
    pub fn replace(&mut self, uri: &str, text: &str) {
        let v = self.bump(uri);
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": v}, "contentChanges": [{"text": text}]}),
        );
    }

    /// Replace a range (0-based line/UTF-16 character).
    pub fn edit(&mut self, uri: &str, range: [u32; 4], text: &str) {
        let v = self.bump(uri);
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": v}, "contentChanges": [{
                "range": {"start": {"line": range[0], "character": range[1]},
                          "end": {"line": range[2], "character": range[3]}},
                "text": text,
            }]}),
        );
    }

    /// Record a version sent by hand.
    pub fn set_version(&mut self, uri: &str, version: i32) {
        self.versions.insert(uri.to_string(), version);
    }

    fn bump(&mut self, uri: &str) -> i32 {
        let v = self.versions.entry(uri.to_string()).or_insert(1);
        *v += 1;
        *v
    }

    pub fn close(&mut self, uri: &str) {
        self.versions.remove(uri);
        self.notify(
            "textDocument/didClose",
            json!({"textDocument": {"uri": uri}}),
        );
    }

    /// `shutdown`, `exit`, and the exit status.
    pub fn shutdown(mut self) -> ExitStatus {
        let r = self.request("shutdown", Value::Null);
        assert_eq!(r["result"], Value::Null, "{r}");
        self.exit()
    }

    pub fn exit(mut self) -> ExitStatus {
        self.notify("exit", Value::Null);
        drop(self.stdin.take());
        self.wait()
    }

    pub fn wait(&mut self) -> ExitStatus {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(s) = self.child.try_wait().expect("wait") {
                return s;
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn stderr_text(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// One frame's JSON, as the server writes it; `None` at the end.
pub fn read_frame(r: &mut impl std::io::BufRead) -> Option<Value> {
    let mut len = None;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length: ") {
            len = v.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; len?];
    std::io::Read::read_exact(r, &mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

fn response_json(r: Response) -> Value {
    match r.response_result {
        Ok(result) => json!({ "result": result }),
        Err(e) => json!({"error": {"code": e.code, "message": e.message}}),
    }
}

/// The `file:` URI of a path.
pub fn uri(path: &Path) -> String {
    url::Url::from_file_path(path)
        .expect("absolute path")
        .to_string()
}

/// The 0-based line and UTF-16 character of the first `needle` in `text`,
/// plus `delta` characters.
pub fn pos(text: &str, needle: &str, delta: usize) -> Value {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in the text"));
    let before = &text[..at];
    let line = before.matches('\n').count();
    let col: usize = before
        .rsplit('\n')
        .next()
        .unwrap_or("")
        .chars()
        .map(char::len_utf16)
        .sum();
    json!({"line": line, "character": col + delta})
}

/// A workspace directory and a cache directory, both temporary.
pub struct Ws {
    pub dir: tempfile::TempDir,
    pub cache: tempfile::TempDir,
}

impl Ws {
    pub fn new() -> Ws {
        Ws {
            dir: tempfile::tempdir().expect("tmp"),
            cache: tempfile::tempdir().expect("tmp"),
        }
    }

    pub fn write(&self, name: &str, text: &str) -> (PathBuf, String) {
        let p = self.dir.path().join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, text).expect("write");
        let u = uri(&p);
        (p, u)
    }

    pub fn client(&self) -> Client {
        Client::start(self.cache.path(), json!({ "today": TODAY }))
    }

    /// Paths made stable for snapshots.
    pub fn redact(&self, s: &str) -> String {
        let ws = uri(self.dir.path());
        let cache = uri(self.cache.path());
        let s = s
            .replace(&ws, "file:///WS")
            .replace(&cache, "file:///CACHE")
            .replace(&self.dir.path().display().to_string(), "/WS")
            .replace(&self.cache.path().display().to_string(), "/CACHE");
        // The std directory's name carries the version and a content hash.
        let mut out = String::new();
        let mut rest = s.as_str();
        while let Some(i) = rest.find("/accessc/std-") {
            out.push_str(&rest[..i]);
            out.push_str("/accessc/std-X");
            rest = &rest[i + "/accessc/std-".len()..];
            let end = rest.find('/').unwrap_or(rest.len());
            rest = &rest[end..];
        }
        out.push_str(rest);
        out
    }
}
