//! A local AWS endpoint for the direct-API tests: moto server with the
//! sso-admin behaviour of `moto_ext.py` (started on a free loopback port, one
//! per test), the throttling proxy, and helpers to seed it, run `accessc`
//! against it and read the live state back through the SDK.
//!
//! Include beside `peers.rs`:
//! `#[path = "support/peers.rs"] mod peers;` and
//! `#[path = "support/aws.rs"] mod aws_support;`.

#![allow(dead_code)]

use crate::peers;
use accessc_aws::client::{Aws, ConnectOptions};
use accessc_aws::live::{self, Live, ReadOptions};
use accessc_core::ir::{Ir, PrincipalType, SessionDuration};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const REGION: &str = "us-east-1";

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn support(name: &str) -> PathBuf {
    peers::root().join("tests/support").join(name)
}

/// A child process serving HTTP on a loopback port; killed on drop.
pub struct Server {
    pub port: u16,
    child: Child,
}

impl Server {
    fn spawn(script: &str, args: &[String], ready_path: &str) -> Server {
        let port = free_port();
        let mut cmd = Command::new(peers::venv_bin("python"));
        cmd.arg(support(script))
            .arg("--port")
            .arg(port.to_string())
            .args(args);
        cmd.stdin(Stdio::null()).stdout(Stdio::null());
        match std::env::var_os("ACCESSC_TEST_SERVER_LOG") {
            Some(dir) => {
                let f =
                    std::fs::File::create(PathBuf::from(dir).join(format!("{script}-{port}.log")))
                        .expect("server log");
                cmd.stderr(f);
            }
            None => {
                cmd.stderr(Stdio::null());
            }
        }
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {script}: {e}"));
        let mut s = Server { port, child };
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = s.child.try_wait() {
                panic!("{script} exited at start ({status}); set ACCESSC_TEST_SERVER_LOG=DIR to see its log");
            }
            if try_http(port, "GET", ready_path, None).is_ok() {
                return s;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "{script} did not answer on port {port} within 60 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Send a signal to this server's process (e.g. `STOP`, `CONT`).
    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(ok, "kill -{sig} {}", self.child.id());
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-CONT")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn try_http(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(120)))?;
    let data = body.map(|b| b.to_string()).unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{data}",
        data.len()
    )?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    let text = String::from_utf8_lossy(&buf).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

/// A JSON request to a test server; panics unless it answers 200.
pub fn http(port: u16, method: &str, path: &str, body: Option<&Value>) -> Value {
    let (status, text) =
        try_http(port, method, path, body).unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    assert_eq!(status, 200, "{method} {path}: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{method} {path}: {e}: {text}"))
}

/// moto server with the sso-admin extensions, one per test.
pub struct Moto {
    pub server: Server,
    pub account: String,
}

impl Moto {
    pub fn start(account: &str) -> Moto {
        Moto::start_with(account, &[])
    }

    /// `extra`: more arguments for moto_ext.py (`--op-delay 0.05`).
    pub fn start_with(account: &str, extra: &[&str]) -> Moto {
        let mut args = vec!["--account-id".to_string(), account.to_string()];
        args.extend(extra.iter().map(|s| s.to_string()));
        Moto {
            server: Server::spawn("moto_ext.py", &args, "/_accessc/stats"),
            account: account.to_string(),
        }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    pub fn post(&self, path: &str, body: &Value) -> Value {
        http(self.server.port, "POST", path, Some(body))
    }

    pub fn stats(&self) -> Value {
        http(self.server.port, "GET", "/_accessc/stats", None)
    }

    pub fn reset_stats(&self) {
        self.post("/_accessc/stats/reset", &json!({}));
    }

    pub fn faults(&self, v: Value) {
        self.post("/_accessc/faults", &v);
    }

    /// An organization and identity store as the IR describes them (exact
    /// ids), plus `extra_groups`.
    pub fn seed_from_ir(&self, ir: &Ir, extra_groups: &[&str]) -> Value {
        let mut groups = Map::new();
        let mut users = Map::new();
        for p in &ir.principals {
            let id = p.id.clone().map(Value::String).unwrap_or(Value::Null);
            match p.kind {
                PrincipalType::Group => groups.insert(p.display_name.clone(), id),
                PrincipalType::User => users.insert(p.display_name.clone(), id),
            };
        }
        for g in extra_groups {
            groups.insert(g.to_string(), Value::Null);
        }
        self.post(
            "/_accessc/seed",
            &json!({"org": org_json_of(ir), "groups": groups, "users": users}),
        )
    }
}

/// The throttling proxy in front of a server.
pub struct Proxy {
    pub server: Server,
}

impl Proxy {
    pub fn start(upstream: u16, share: f64, seed: u64) -> Proxy {
        let args = vec![
            "--upstream-port".to_string(),
            upstream.to_string(),
            "--share".to_string(),
            share.to_string(),
            "--seed".to_string(),
            seed.to_string(),
        ];
        Proxy {
            server: Server::spawn("throttle_proxy.py", &args, "/_proxy/stats"),
        }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    pub fn stats(&self) -> Value {
        http(self.server.port, "GET", "/_proxy/stats", None)
    }
}

/// `accessc ARGS --endpoint-url ENDPOINT` with test credentials and nothing
/// from this machine's AWS setup.
pub fn accessc(endpoint: &str, args: &[&str]) -> Command {
    let mut c = peers::accessc();
    isolate(&mut c);
    c.env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", REGION)
        .args(args)
        .args(["--endpoint-url", endpoint]);
    c
}

/// No profile, config file, metadata service or ambient keys.
pub fn isolate(c: &mut Command) {
    for v in [
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_ENDPOINT_URL",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "CI",
    ] {
        c.env_remove(v);
    }
    c.env("AWS_CONFIG_FILE", "/nonexistent/accessc-test-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/accessc-test-credentials",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true");
}

/// Run and capture.
pub fn run(cmd: &mut Command) -> Output {
    peers::run(cmd, None)
}

pub fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).to_string(),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

/// Run; panic with the output unless the exit status is `want`.
pub fn expect(cmd: &mut Command, want: i32) -> (String, String) {
    let o = run(cmd);
    let (out, err) = text(&o);
    assert_eq!(
        o.status.code(),
        Some(want),
        "{cmd:?}\n--- stdout\n{out}\n--- stderr\n{err}"
    );
    (out, err)
}

pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read example").flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).expect("copy");
        }
    }
}

/// Load, check (no errors allowed) and lower a program.
pub fn ir_of(dir: &Path, today: &str) -> Ir {
    let program = accessc_core::load(&accessc_core::RealFs, dir).expect("load program");
    let checked = accessc_core::check(
        &program,
        &accessc_core::CheckOptions {
            today: accessc_core::Today::parse(today).expect("date"),
        },
    );
    let errors: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.severity == accessc_core::diagnostic::Severity::Error)
        .map(|d| format!("{} {}", d.code, d.message))
        .collect();
    assert!(errors.is_empty(), "{}: {errors:?}", dir.display());
    accessc_core::model_to_ir::lower(checked.checked_model().expect("no errors"))
}

/// The `accessc-org/1` snapshot of the IR's organization.
pub fn org_json_of(ir: &Ir) -> Value {
    fn node(ir: &Ir, path: &str) -> Vec<Value> {
        ir.org
            .accounts
            .iter()
            .filter(|a| a.ou_path == path)
            .map(|a| json!({"name": a.name, "id": a.id}))
            .collect()
    }
    fn ous(ir: &Ir, parent: &str) -> Vec<Value> {
        ir.org
            .ous
            .iter()
            .filter(|o| match o.path.rsplit_once('/') {
                Some((p, _)) => p == parent,
                None => parent.is_empty(),
            })
            .map(|o| {
                let name = o.path.rsplit('/').next().unwrap_or(&o.path);
                let mut m = Map::new();
                m.insert("name".into(), json!(name));
                if let Some(id) = &o.id {
                    m.insert("id".into(), json!(id));
                }
                m.insert("accounts".into(), Value::Array(node(ir, &o.path)));
                m.insert("ous".into(), Value::Array(ous(ir, &o.path)));
                Value::Object(m)
            })
            .collect()
    }
    let mut m = Map::new();
    m.insert("format".into(), json!("accessc-org/1"));
    if let Some(r) = &ir.org.root_id {
        m.insert("root".into(), json!(r));
    }
    if let Some(a) = &ir.org.management_account_id {
        m.insert("management_account".into(), json!(a));
    }
    m.insert("accounts".into(), Value::Array(node(ir, "")));
    m.insert("ous".into(), Value::Array(ous(ir, "")));
    Value::Object(m)
}

/// (OU path → id, account id → (name, OU path)) of a snapshot.
pub fn flatten_snapshot(
    v: &Value,
) -> (BTreeMap<String, String>, BTreeMap<String, (String, String)>) {
    fn walk(
        v: &Value,
        path: &str,
        ous: &mut BTreeMap<String, String>,
        accts: &mut BTreeMap<String, (String, String)>,
    ) {
        for a in v["accounts"].as_array().into_iter().flatten() {
            accts.insert(
                a["id"].as_str().unwrap_or_default().to_string(),
                (
                    a["name"].as_str().unwrap_or_default().to_string(),
                    path.to_string(),
                ),
            );
        }
        for o in v["ous"].as_array().into_iter().flatten() {
            let name = o["name"].as_str().unwrap_or_default();
            let p = if path.is_empty() {
                name.to_string()
            } else {
                format!("{path}/{name}")
            };
            ous.insert(p.clone(), o["id"].as_str().unwrap_or_default().to_string());
            walk(o, &p, ous, accts);
        }
    }
    let mut ous = BTreeMap::new();
    let mut accts = BTreeMap::new();
    walk(v, "", &mut ous, &mut accts);
    (ous, accts)
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().expect("tokio runtime")
}

/// SDK clients for the endpoint, with the test keys.
pub async fn sdk(url: &str) -> Aws {
    Aws::connect(ConnectOptions {
        endpoint_url: Some(url.to_string()),
        region: Some(REGION.to_string()),
        static_credentials: Some(("testing".into(), "testing".into())),
        api_timeout: Duration::from_secs(30),
        ..ConnectOptions::default()
    })
    .await
    .expect("connect")
}

/// The live state, read through the SDK.
pub fn read_live(url: &str, ir: &Ir) -> Live {
    let rt = runtime();
    rt.block_on(async {
        let aws = sdk(url).await;
        live::read(&aws, ir, &ReadOptions::default())
            .await
            .unwrap_or_else(|e| panic!("read live state: {e}"))
    })
}

/// (set, principal type, principal id, account) of the IR, through the ids the live read resolved.
pub fn ir_keys(ir: &Ir, live: &Live) -> BTreeSet<(String, PrincipalType, String, String)> {
    ir.assignments
        .iter()
        .map(|a| {
            let by_name = || {
                let p = ir.principal(a.principal_type, &a.principal)?;
                live.principals
                    .iter()
                    .find(|l| l.kind == p.kind && l.name == p.display_name)
                    .map(|l| l.id.as_str())
            };
            let pid = accessc_aws::plan::principal_id(live, a)
                .or_else(by_name)
                .unwrap_or_else(|| panic!("principal `{}` did not resolve", a.principal))
                .to_string();
            (
                a.permission_set.to_string(),
                a.principal_type,
                pid,
                a.account_id.to_string(),
            )
        })
        .collect()
}

pub fn live_keys(live: &Live) -> BTreeSet<(String, PrincipalType, String, String)> {
    live.assignments
        .iter()
        .map(|a| {
            (
                a.permission_set.clone(),
                a.principal_type,
                a.principal_id.clone(),
                a.account_id.clone(),
            )
        })
        .collect()
}

fn json_eq(a: &Option<String>, b: &Option<String>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => {
            serde_json::from_str::<Value>(a).ok() == serde_json::from_str::<Value>(b).ok()
        }
        (None, None) => true,
        _ => false,
    }
}

/// Every permission set, field by field, every assignment and the ABAC
/// configuration of the live state equal the IR; no role lags its set.
pub fn assert_live_matches(ir: &Ir, live: &Live) {
    for want in &ir.permission_sets {
        let have = live
            .set(&want.name)
            .unwrap_or_else(|| panic!("permission set `{}` is not live", want.name));
        let n = &want.name;
        assert!(have.owned, "`{n}` is not tagged ManagedBy=accessc");
        assert_eq!(have.description, want.description, "`{n}` description");
        assert_eq!(
            SessionDuration::parse_iso8601(&have.session_duration),
            Some(want.session_duration),
            "`{n}` session"
        );
        assert_eq!(have.relay_state, want.relay_state, "`{n}` relay state");
        let sorted = |v: &[String]| v.iter().cloned().collect::<BTreeSet<_>>();
        assert_eq!(
            sorted(&have.managed_policies),
            sorted(&want.managed_policies),
            "`{n}` managed"
        );
        let cmps = |v: &[accessc_core::ir::PolicyReference]| {
            v.iter()
                .map(|c| (c.name.clone(), c.path.clone()))
                .collect::<BTreeSet<_>>()
        };
        assert_eq!(
            cmps(&have.customer_managed_policies),
            cmps(&want.customer_managed_policies),
            "`{n}` customer managed"
        );
        assert_eq!(
            have.permissions_boundary, want.permissions_boundary,
            "`{n}` boundary"
        );
        assert!(
            json_eq(&have.inline_policy, &want.inline_policy),
            "`{n}` inline policy"
        );
        assert_eq!(have.tags, want.tags, "`{n}` tags");
        assert!(
            have.outdated_accounts.is_empty(),
            "`{n}` lags in {:?}",
            have.outdated_accounts
        );
    }
    let owned: BTreeSet<&str> = live
        .sets
        .iter()
        .filter(|s| s.owned)
        .map(|s| s.name.as_str())
        .collect();
    let wanted: BTreeSet<&str> = ir.permission_sets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(owned, wanted, "owned sets");
    assert_eq!(live_keys(live), ir_keys(ir, live), "assignments");
    if !ir.attributes.is_empty() {
        let norm = |v: &[accessc_core::ir::Attribute]| {
            v.iter()
                .map(|a| (a.key.clone(), a.value.clone()))
                .collect::<BTreeMap<_, _>>()
        };
        assert_eq!(
            live.attributes.as_deref().map(norm),
            Some(norm(&ir.attributes)),
            "ABAC attributes"
        );
    }
}

/// Remove the first `grant` (with its continuation lines) that leaves the
/// program free of errors; returns the removed text.
pub fn remove_a_grant(dir: &Path, today: &str) -> String {
    let mut files = peers::files_with_ext(dir, "access");
    files.sort();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read");
        let lines: Vec<&str> = text.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            if !l.starts_with("grant ") {
                continue;
            }
            let mut end = i + 1;
            while end < lines.len()
                && lines[end].starts_with(char::is_whitespace)
                && !lines[end].trim().is_empty()
            {
                end += 1;
            }
            let removed = lines[i..end].join("\n");
            let mut kept: Vec<&str> = lines[..i].to_vec();
            kept.extend_from_slice(&lines[end..]);
            std::fs::write(&f, kept.join("\n") + "\n").expect("write");
            let ok = std::panic::catch_unwind(|| ir_of(dir, today)).is_ok();
            if ok {
                return removed;
            }
            std::fs::write(&f, &text).expect("restore");
        }
    }
    panic!("no grant of {} can be removed cleanly", dir.display());
}

/// A TCP port that accepts connections and never answers.
pub struct Silent {
    pub port: u16,
    _thread: std::thread::JoinHandle<()>,
}

impl Silent {
    pub fn start() -> Silent {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let thread = std::thread::spawn(move || {
            let mut held = Vec::new();
            let started = Instant::now();
            listener.set_nonblocking(true).ok();
            // Bounded: hold connections open for at most two minutes.
            while started.elapsed() < Duration::from_secs(120) {
                match listener.accept() {
                    Ok((s, _)) => held.push(s),
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Silent {
            port,
            _thread: thread,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}
