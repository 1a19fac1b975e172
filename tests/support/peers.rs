//! The external peers the tests drive (installed by `scripts/install-peers.sh`
//! into `.peers/`; `scripts/test` runs it first). A missing peer fails the test
//! with the command that installs it: these checks are never skipped.

#![allow(dead_code)]

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn peers() -> PathBuf {
    std::env::var_os("ACCESSC_PEERS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".peers"))
}

/// A program from the peers' virtualenv (`cfn-lint`, `parliament`, `checkov`, `terraform`, `moto_server`, `aws-sso-util`).
pub fn venv_bin(name: &str) -> PathBuf {
    let p = peers().join("venv/bin").join(name);
    assert!(
        p.exists(),
        "`{}` is missing: run scripts/install-peers.sh (scripts/test does)",
        p.display()
    );
    p
}

pub fn node_modules() -> PathBuf {
    let p = peers().join("node_modules");
    assert!(
        p.join("@cdktf/hcl2json").exists(),
        "@cdktf/hcl2json is missing: run scripts/install-peers.sh (scripts/test does)"
    );
    p
}

/// Run a command with stdin, capturing everything.
pub fn run(cmd: &mut Command, stdin: Option<&[u8]>) -> Output {
    use std::io::Write;
    let mut child = cmd
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    if let Some(data) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(data)
            .expect("write stdin");
    }
    child.wait_with_output().expect("wait")
}

/// `accessc` itself.
pub fn accessc() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_accessc"));
    c.env("NO_COLOR", "1");
    c
}

/// Every file under `dir` with the given extension, sorted.
pub fn files_with_ext(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == ext) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Debian's Chromium, the browser `tests/matrix.rs` drives
/// (`scripts/install-peers.sh` installs it with apt-get when missing).
pub fn chromium() -> PathBuf {
    let p = PathBuf::from("/usr/bin/chromium");
    assert!(
        p.exists(),
        "`{}` is missing: run scripts/install-peers.sh (scripts/test does), which runs `apt-get install -y chromium`",
        p.display()
    );
    p
}

/// npm `playwright-core`, which drives [`chromium`]; it never downloads a browser.
pub fn playwright_core() -> PathBuf {
    let p = peers().join("node_modules/playwright-core");
    assert!(
        p.join("package.json").exists(),
        "playwright-core is missing: run scripts/install-peers.sh (scripts/test does)"
    );
    p
}

/// Parse every file with HashiCorp's HCL parser; the JSON of each, by path.
pub fn hcl_parse(paths: &[PathBuf]) -> BTreeMap<PathBuf, Value> {
    let script = r#"
const hcl = require('@cdktf/hcl2json');
const fs = require('fs');
const files = JSON.parse(fs.readFileSync(0, 'utf8'));
(async () => {
  const out = [];
  for (const f of files) {
    try { out.push({ file: f, json: await hcl.parse(f, fs.readFileSync(f, 'utf8')) }); }
    catch (e) { out.push({ file: f, error: String(e) }); }
  }
  process.stdout.write(JSON.stringify(out));
})();
"#;
    let list = serde_json::to_string(
        &paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>(),
    )
    .expect("json");
    let out = run(
        Command::new("node")
            .arg("-e")
            .arg(script)
            .env("NODE_PATH", node_modules()),
        Some(list.as_bytes()),
    );
    assert!(
        out.status.success(),
        "node failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<Value> = serde_json::from_slice(&out.stdout).expect("hcl2json output");
    let mut errors = Vec::new();
    let mut parsed = BTreeMap::new();
    for r in results {
        let f = PathBuf::from(r["file"].as_str().unwrap_or_default());
        match r.get("error") {
            Some(e) => errors.push(format!("{}: {e}", f.display())),
            None => {
                parsed.insert(f, r["json"].clone());
            }
        }
    }
    assert!(
        errors.is_empty(),
        "HCL parse errors:\n{}",
        errors.join("\n")
    );
    parsed
}
