//! The server's cost of an edit, measured in process: runs the language
//! server on an in-memory connection, opens `FILE` of the directory program
//! `DIR`, makes one-character edits and prints the server's CPU time per
//! edit (from its own log) and the wall time until the diagnostics arrive.
//!
//! ```sh
//! cargo run --release -p accessc-lsp --example edit_cost -- DIR FILE [RUNS] [grant|function] 2>log.txt
//! ```
//!
//! `grant` (the default) turns the first `Workloads` of a grant line into
//! `Workloadz` and back (an A102 comes and goes); `function` turns the first
//! `session 2h` into `3h` and back. RUNS pairs of edits (default 20).
//! Standard error must be a file: the server logs each analysis there and
//! the CPU time is read back from it. `bench/lsp.sh` measures the same
//! through the `accessc lsp` binary; this needs no build of the AWS SDK.

use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::{json, Value};
use std::time::Instant;

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(dir), Some(name)) = (args.get(1), args.get(2)) else {
        return Err("usage: edit_cost DIR FILE [RUNS] [grant|function]".into());
    };
    let runs: usize = match args.get(3) {
        Some(r) => r.parse().map_err(|e| format!("RUNS: {e}"))?,
        None => 20,
    };
    let runs = runs.max(1);
    let grant = args.get(4).is_none_or(|m| m == "grant");
    let path = std::fs::canonicalize(std::path::Path::new(dir).join(name))
        .map_err(|e| format!("{dir}/{name}: {e}"))?;
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let uri = format!("file://{}", path.display());

    // The edited place: the character after `Workloads` (or the `2` of `2h`).
    let (line, col, broken, fixed) = if grant {
        let line = text
            .lines()
            .position(|l| l.starts_with("grant ") && l.contains(" on Workloads/"))
            .ok_or("no `grant … on Workloads/…` line")?;
        let col = text
            .lines()
            .nth(line)
            .and_then(|l| l.find(" on Workloads/"))
            .unwrap_or(0)
            + 12;
        (line, col, "z", "s")
    } else {
        let line = text
            .lines()
            .position(|l| l.trim_start().starts_with("session 2h"))
            .ok_or("no `session 2h` line")?;
        let col = text
            .lines()
            .nth(line)
            .and_then(|l| l.find("2h"))
            .unwrap_or(0);
        (line, col, "3", "2")
    };

    let (server, client) = Connection::memory();
    let _server = std::thread::spawn(move || accessc_lsp::serve(server));
    let send = |m: Message| client.sender.send(m).map_err(|e| e.to_string());
    let notify =
        |method: &str, params: Value| send(Notification::new(method.into(), params).into());
    send(
        Request::new(
            RequestId::from(1),
            "initialize".into(),
            json!({"capabilities": {}, "initializationOptions": {"today": "2026-11-28", "log": true}}),
        )
        .into(),
    )?;
    loop {
        match client.receiver.recv() {
            Ok(Message::Response(_)) => break,
            Ok(_) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    notify("initialized", json!({}))?;
    let diagnostics = |version: i64| -> Result<Vec<Value>, String> {
        loop {
            if let Message::Notification(n) = client.receiver.recv().map_err(|e| e.to_string())? {
                if n.method == "textDocument/publishDiagnostics"
                    && n.params["uri"] == uri.as_str()
                    && n.params["version"] == version
                {
                    return Ok(n.params["diagnostics"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default());
                }
            }
        }
    };
    // The CPU time of the last analysis the server logged.
    let last_cpu = || -> Result<f64, String> {
        let log = std::fs::read_to_string("/proc/self/fd/2").unwrap_or_default();
        log.lines()
            .rev()
            .find_map(|l| {
                let rest = &l[l.find(", cpu ")? + 6..];
                rest[..rest.find(' ')?].parse().ok()
            })
            .ok_or_else(|| "no analysis in the log: is standard error a file?".to_string())
    };

    let t = Instant::now();
    notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "access", "version": 1, "text": text}}),
    )?;
    let d = diagnostics(1)?;
    println!(
        "open: {:.1} ms wall, {:.1} ms server CPU, {} diagnostics",
        t.elapsed().as_secs_f64() * 1e3,
        last_cpu()?,
        d.len()
    );
    let (mut walls, mut cpus) = (Vec::new(), Vec::new());
    for i in 0..runs * 2 {
        let version = i as i64 + 2;
        let t = Instant::now();
        notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{
                "range": {"start": {"line": line, "character": col}, "end": {"line": line, "character": col + 1}},
                "text": if i % 2 == 0 { broken } else { fixed },
            }]}),
        )?;
        let d = diagnostics(version)?;
        walls.push(t.elapsed().as_secs_f64() * 1e3);
        cpus.push(last_cpu()?);
        let code = if grant { "A102" } else { "A202" };
        if grant && d.iter().any(|x| x["code"] == code) != (i % 2 == 0) {
            return Err(format!("edit {i}: unexpected diagnostics {d:?}"));
        }
    }
    for (what, mut v) in [("server CPU", cpus), ("client wall", walls)] {
        v.sort_by(f64::total_cmp);
        let n = v.len();
        println!(
            "{} edits, {what}: median {:.1} ms, p90 {:.1} ms, worst {:.1} ms",
            if grant { "grant" } else { "function" },
            v[n / 2],
            v[(n * 9 / 10).min(n - 1)],
            v[n - 1]
        );
    }
    notify("exit", json!(null))?;
    Ok(())
}
