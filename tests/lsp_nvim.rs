//! A real client: Debian's neovim 0.7 (headless, `tests/nvim/diagnostics.lua`)
//! opens every example with `accessc lsp` attached. The diagnostics it
//! collects (`vim.diagnostic.get`, positions converted by neovim itself from
//! the protocol's UTF-16) must equal `accessc check --format json` for the
//! same files; an edit that introduces an error makes it appear, and undo
//! clears it. neovim is installed by `scripts/install-peers.sh`.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const TODAY: &str = "2026-11-28";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn nvim() -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("nvim"))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!("neovim (`nvim`) is missing: run scripts/install-peers.sh (scripts/test does)")
    })
}

/// One diagnostic as `accessc check --format json` prints it.
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

fn check_json(program: &Path) -> Vec<Flat> {
    let out = Command::new(env!("CARGO_BIN_EXE_accessc"))
        .args(["check", "--format", "json", "--today", TODAY])
        .arg(program)
        .output()
        .expect("accessc check");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    let mut flat: Vec<Flat> = v
        .as_array()
        .expect("array")
        .iter()
        .map(|d| {
            let message = d["message"].as_str().unwrap_or("");
            Flat {
                file: d["file"].as_str().unwrap_or("").to_string(),
                line: d["line"].as_u64().unwrap_or(0),
                column: d["column"].as_u64().unwrap_or(0),
                end_line: d["end_line"].as_u64().unwrap_or(0),
                end_column: d["end_column"].as_u64().unwrap_or(0),
                code: d["code"].as_str().unwrap_or("").to_string(),
                severity: d["severity"].as_str().unwrap_or("").to_string(),
                // The server puts the help line under the message.
                message: match d["help"].as_str() {
                    Some(h) => format!("{message}\nhelp: {h}"),
                    None => message.to_string(),
                },
            }
        })
        .collect();
    flat.sort();
    flat
}

/// A 0-based byte column of a line as a 1-based character column.
fn char_column(text: &str, line: u64, byte: u64) -> u64 {
    let l = text.split('\n').nth(line as usize).unwrap_or("");
    let byte = (byte as usize).min(l.len());
    let mut b = byte;
    while !l.is_char_boundary(b) {
        b -= 1;
    }
    l[..b].chars().count() as u64 + 1
}

/// Run neovim on one program's files; returns its result JSON.
fn run_nvim(files: &[PathBuf], mode: &str, edit: Option<&str>) -> Value {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("result.json");
    let list: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let mut child = Command::new(nvim())
        .args(["--headless", "--clean", "-n", "-i", "NONE"])
        .arg("-c")
        .arg(format!(
            "luafile {}",
            root().join("tests/nvim/diagnostics.lua").display()
        ))
        .env("ACCESSC", env!("CARGO_BIN_EXE_accessc"))
        .env("ACCESSC_FILES", list.join("\n"))
        .env("ACCESSC_TODAY", TODAY)
        .env("ACCESSC_MODE", mode)
        .env("ACCESSC_EDIT", edit.unwrap_or(""))
        .env("ACCESSC_OUT", &out)
        .env("XDG_CACHE_HOME", dir.path())
        .env("XDG_STATE_HOME", dir.path())
        .env("XDG_DATA_HOME", dir.path())
        .env("HOME", dir.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start nvim");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("neovim did not finish in time on {list:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let text = std::fs::read_to_string(&out)
        .unwrap_or_else(|e| panic!("neovim wrote no result for {list:?}: {e}"));
    let v: Value = serde_json::from_str(&text).expect("result json");
    assert_eq!(v["errors"], Value::Array(vec![]), "{list:?}: {v}");
    v
}

/// The diagnostics of one phase, flattened like `accessc check`'s.
fn phase(v: &Value, name: &str, files: &[PathBuf], texts: &[String]) -> Vec<Flat> {
    let mut out = Vec::new();
    for (f, text) in files.iter().zip(texts) {
        let key = f.display().to_string();
        for d in v["phases"][name][&key]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            let n = |k: &str| d[k].as_u64().unwrap_or(0);
            out.push(Flat {
                file: key.clone(),
                line: n("lnum") + 1,
                column: char_column(text, n("lnum"), n("col")),
                end_line: n("end_lnum") + 1,
                end_column: char_column(text, n("end_lnum"), n("end_col")),
                code: d["code"].as_str().unwrap_or("").to_string(),
                severity: match n("severity") {
                    1 => "error".to_string(),
                    _ => "warning".to_string(),
                },
                message: d["message"].as_str().unwrap_or("").to_string(),
            });
        }
    }
    out.sort();
    out
}

fn access_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "access"))
        .collect();
    v.sort();
    v
}

#[test]
fn neovim_sees_what_accessc_check_reports_for_every_example() {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join("examples"))
        .expect("examples")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 5);
    for dir in dirs {
        let files = access_files(&dir);
        let texts: Vec<String> = files
            .iter()
            .map(|f| std::fs::read_to_string(f).expect("read"))
            .collect();
        let v = run_nvim(&files, "directory", None);
        let got = phase(&v, "open", &files, &texts);
        assert_eq!(got, check_json(&dir), "{}", dir.display());
    }
}

#[test]
fn an_edit_in_neovim_makes_an_error_appear_and_undo_clears_it() {
    // A copy of a multi-file example, so that the edit is checked as the
    // CLI would check the edited files.
    let tmp = tempfile::tempdir().expect("tmp");
    let src = root().join("examples/org-matrix");
    for entry in std::fs::read_dir(&src).expect("dir") {
        let p = entry.expect("entry").path();
        if p.is_file() {
            std::fs::copy(&p, tmp.path().join(p.file_name().expect("name"))).expect("copy");
        }
    }
    let files = access_files(tmp.path());
    let texts: Vec<String> = files
        .iter()
        .map(|f| std::fs::read_to_string(f).expect("read"))
        .collect();
    let edit = "grant AppDeveloper to aws-team-a-engineers on Workloads/Prd";
    let v = run_nvim(&files, "directory", Some(edit));
    let before = check_json(tmp.path());
    assert_eq!(phase(&v, "open", &files, &texts), before);
    // The edit, as the CLI sees it.
    let mut edited = texts.clone();
    edited[0] = format!("{}{edit}\n", texts[0]);
    std::fs::write(&files[0], &edited[0]).expect("write");
    let with_error = check_json(tmp.path());
    std::fs::write(&files[0], &texts[0]).expect("restore");
    assert!(
        with_error
            .iter()
            .any(|d| d.code == "A102" && d.message.contains("Workloads/Prd")),
        "{with_error:?}"
    );
    assert_eq!(phase(&v, "edit", &files, &edited), with_error);
    // Undo: back to the diagnostics of the original text.
    assert_eq!(phase(&v, "undo", &files, &texts), before);
}

#[test]
fn neovim_sees_what_accessc_check_reports_for_the_corpus() {
    // The corpus's one-file programs, all open in one neovim, each checked
    // on its own (`program: file`): every diagnostic code, non-ASCII text,
    // syntax errors.
    let files: Vec<PathBuf> = access_files(&root().join("crates/accessc-core/tests/corpus"));
    assert!(files.len() > 100);
    let texts: Vec<String> = files
        .iter()
        .map(|f| String::from_utf8_lossy(&std::fs::read(f).expect("read")).into_owned())
        .collect();
    let v = run_nvim(&files, "file", None);
    let got = phase(&v, "open", &files, &texts);
    let mut want: Vec<Flat> = files.iter().flat_map(|f| check_json(f)).collect();
    want.sort();
    assert!(want.len() > 100, "{}", want.len());
    assert_eq!(got, want);
}
