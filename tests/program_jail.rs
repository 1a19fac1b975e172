//! The program is a jail: `use`, `org from` and `policy … from json` read only
//! regular files inside the program's directory, bounded; no byte of any
//! other file reaches the output. Each test performs one attack with a file
//! planted outside the program that carries a unique marker, and asserts an
//! A104 (exit 1) and that the marker appears nowhere in stdout or stderr, in
//! every output format. A FIFO or a device must never block or grow the
//! process: every run has a deadline.

mod lsp_client;

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The marker planted in every file outside the jail.
const SECRET: &str = "jailsecret-5d1c0b9e";

/// How long one run may take: far more than a refusal needs, far less than
/// reading a device to exhaustion.
const DEADLINE: Duration = Duration::from_secs(20);

const ORG: &str = r#"
org {
  management "999999999999"
  ou Workloads "ou-ab12-11111111" { account app-dev "111111111111" }
  account management "999999999999"
}
"#;

const PROGRAM_TAIL: &str = r#"
group devs
function Dev {
  session 2h
  managed ReadOnlyAccess
  boundary PowerUserAccess
}
grant Dev to devs on Workloads
"#;

/// A temporary directory holding `prog/` (the program) and `outside/` (files
/// planted beside it, each carrying [`SECRET`]).
struct Lab {
    tmp: tempfile::TempDir,
}

/// What one run printed.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    took: Duration,
}

impl Run {
    fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl Lab {
    fn new() -> Lab {
        let tmp = tempfile::tempdir().expect("tmp");
        std::fs::create_dir_all(tmp.path().join("prog")).expect("mkdir");
        std::fs::create_dir_all(tmp.path().join("outside")).expect("mkdir");
        let lab = Lab { tmp };
        // If any of these were read, the marker would be printed: as a group
        // name (A505 and its snippet), as a JSON value in a message.
        lab.plant("secret.access", &format!("group {SECRET}\n"));
        lab.plant(
            "org.json",
            &format!(r#"{{"format": "{SECRET}", "root": "{SECRET}"}}"#),
        );
        lab.plant(
            "policy.json",
            &format!(r#"{{"Version": "{SECRET}", "Statement": "{SECRET}"}}"#),
        );
        lab
    }

    fn prog(&self) -> PathBuf {
        self.tmp.path().join("prog")
    }

    fn outside(&self) -> PathBuf {
        self.tmp.path().join("outside")
    }

    fn plant(&self, name: &str, text: &str) -> PathBuf {
        let p = self.outside().join(name);
        std::fs::write(&p, text).expect("write");
        p
    }

    /// Write `prog/main.access`: `head` (the attack) before a program that is
    /// otherwise clean.
    fn program(&self, head: &str) {
        self.program_without_org(&format!("{head}\n{ORG}"));
    }

    /// The same, for a `head` that declares the org itself (`org from`).
    fn program_without_org(&self, head: &str) {
        std::fs::write(
            self.prog().join("main.access"),
            format!("{head}\n{PROGRAM_TAIL}"),
        )
        .expect("write");
    }

    /// A file of the program (`name` may be in a folder, created).
    fn path(&self, name: &str) -> PathBuf {
        let p = self.prog().join(name);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        p
    }

    fn symlink(&self, target: &Path, name: &str) {
        std::os::unix::fs::symlink(target, self.path(name)).expect("symlink");
    }

    fn fifo(&self, name: &str) -> PathBuf {
        let p = self.path(name);
        let made = Command::new("mkfifo").arg(&p).status().expect("mkfifo");
        assert!(made.success());
        p
    }

    /// Run accessc with `args` (stdin closed unless `stdin` is given), within
    /// [`DEADLINE`]: a run that outlives it is killed and fails the test.
    fn run_with(&self, args: &[&str], envs: &[(&str, &str)], stdin: Stdio) -> Run {
        let out = self.tmp.path().join(format!("out-{}", unique()));
        let err = self.tmp.path().join(format!("err-{}", unique()));
        let started = Instant::now();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_accessc"));
        cmd.args(args)
            .current_dir(self.tmp.path())
            .env("NO_COLOR", "1")
            .stdin(stdin)
            .stdout(std::fs::File::create(&out).expect("out"))
            .stderr(std::fs::File::create(&err).expect("err"));
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("run accessc");
        let status = loop {
            if let Some(s) = child.try_wait().expect("wait") {
                break s;
            }
            if started.elapsed() > DEADLINE {
                let _ = child.kill();
                let _ = child.wait();
                panic!("`accessc {}` still ran after {DEADLINE:?}", args.join(" "));
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        Run {
            code: status.code(),
            stdout: std::fs::read_to_string(&out).expect("stdout"),
            stderr: std::fs::read_to_string(&err).expect("stderr"),
            took: started.elapsed(),
        }
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, &[], Stdio::null())
    }

    /// `check prog` in every format (with `extra` arguments): exit 1, one A104
    /// per `fragments` entry, the marker nowhere.
    fn assert_refused(&self, extra: &[&str], fragments: &[&str]) {
        self.assert_refused_env(extra, &[], fragments)
    }

    fn assert_refused_env(&self, extra: &[&str], envs: &[(&str, &str)], fragments: &[&str]) {
        for format in ["human", "json", "sarif"] {
            let mut args = vec!["check", "prog", "--today", "2026-11-28", "--format", format];
            args.extend_from_slice(extra);
            let r = self.run_with(&args, envs, Stdio::null());
            assert_eq!(r.code, Some(1), "{format}:\n{}", r.all());
            assert!(
                !r.all().contains(SECRET),
                "{format}: the marker leaked:\n{}",
                r.all()
            );
            // (Human text is wrapped: the messages are compared in JSON.)
            let a104 = match format {
                "human" => r.stdout.lines().filter(|l| *l == "A104").count(),
                "sarif" => r.stdout.matches("\"ruleId\": \"A104\"").count(),
                _ => fragments.len(),
            };
            assert_eq!(a104, fragments.len(), "{format}: {}", r.all());
            if format == "json" {
                for f in fragments {
                    assert!(r.stdout.contains(f), "no `{f}` in:\n{}", r.stdout);
                }
                let diags: Vec<Value> = serde_json::from_str(&r.stdout).expect("json");
                let a104 = diags.iter().filter(|d| d["code"] == "A104").count();
                assert_eq!(a104, fragments.len(), "{}", r.stdout);
                assert!(
                    diags.iter().all(|d| d["file"] == "prog/main.access"),
                    "every diagnostic is on the reference: {}",
                    r.stdout
                );
            }
        }
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// The largest resident size of any child waited for so far, in bytes.
#[allow(unsafe_code, reason = "getrusage has no safe binding in std or rustix")]
fn children_max_rss() -> u64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    assert_eq!(rc, 0);
    usage.ru_maxrss as u64 * 1024
}

#[test]
fn control_the_marker_is_seen_when_the_file_is_read() {
    // The detection the other tests rely on: with the directory rule lifted,
    // the planted file is read and its marker is printed.
    let lab = Lab::new();
    lab.program(r#"use "../outside/secret.access""#);
    let r = lab.run(&["check", "prog", "--allow-outside-root"]);
    assert!(r.all().contains(SECRET), "{}", r.all());
}

#[test]
fn an_absolute_path_is_refused() {
    let lab = Lab::new();
    let secret = lab.outside().join("secret.access");
    let org = lab.outside().join("org.json");
    let policy = lab.outside().join("policy.json");
    lab.program_without_org(&format!(
        "use \"{}\"\norg from \"{}\"\npolicy P from json \"{}\"",
        secret.display(),
        org.display(),
        policy.display()
    ));
    lab.assert_refused(&[], &["an absolute path"; 3]);
}

#[test]
fn dot_dot_out_of_the_root_is_refused() {
    let lab = Lab::new();
    std::fs::create_dir_all(lab.prog().join("sub")).expect("mkdir");
    let depth = lab.outside().components().count();
    lab.program_without_org(&format!(
        "use \"../outside/secret.access\"\n\
         org from \"sub/../../outside/org.json\"\n\
         policy P from json \"{}{}/policy.json\"",
        "../".repeat(depth + 3),
        lab.outside().display()
    ));
    lab.assert_refused(&[], &["leads out of the program's directory"; 3]);
}

#[test]
fn a_symlink_inside_the_root_pointing_out_is_refused() {
    let lab = Lab::new();
    lab.symlink(&lab.outside().join("secret.access"), "lib/shared.access");
    // A symlinked folder: the path is inside the root until it is resolved.
    lab.symlink(&lab.outside(), "vendor");
    lab.program("use \"lib/shared.access\"\nuse \"vendor/secret.access\"");
    lab.assert_refused(&[], &["a symbolic link leads out"; 2]);
}

#[test]
fn a_program_file_that_is_a_symlink_out_is_not_read() {
    // Not a reference but an entry of the program's directory itself.
    let lab = Lab::new();
    lab.program("");
    lab.symlink(&lab.outside().join("secret.access"), "evil.access");
    for format in ["human", "json", "sarif"] {
        let r = lab.run(&["check", "prog", "--format", format]);
        assert_eq!(r.code, Some(1), "{}", r.all());
        assert!(r.all().contains("A104"), "{}", r.all());
        assert!(r.all().contains("evil.access"), "{}", r.all());
        assert!(!r.all().contains(SECRET), "{}", r.all());
    }
    // Nor rewritten through by `fmt`.
    let before = std::fs::read(lab.outside().join("secret.access")).expect("read");
    let r = lab.run(&["fmt", "prog"]);
    assert_eq!(r.code, Some(1), "{}", r.all());
    assert!(
        r.stderr.contains("evil.access` is not read"),
        "{}",
        r.stderr
    );
    assert!(!r.all().contains(SECRET), "{}", r.all());
    let after = std::fs::read(lab.outside().join("secret.access")).expect("read");
    assert_eq!(before, after);
}

#[test]
fn org_from_a_symlink_to_an_outside_json_is_refused() {
    let lab = Lab::new();
    lab.symlink(&lab.outside().join("org.json"), "org.json");
    lab.symlink(&lab.outside().join("policy.json"), "legacy.json");
    lab.program_without_org("org from \"org.json\"\npolicy P from json \"legacy.json\"");
    lab.assert_refused(&[], &["a symbolic link leads out"; 2]);
}

#[test]
fn policy_from_json_of_proc_self_environ_is_refused() {
    // The marker is in accessc's own environment: reading
    // /proc/self/environ would print it.
    let lab = Lab::new();
    lab.program(
        "policy P from json \"/proc/self/environ\"\n\
         policy Q from json \"../../../../../../../../../../proc/self/environ\"",
    );
    let env = [("ACCESSC_TEST_SECRET", SECRET)];
    lab.assert_refused_env(&[], &env, &["an absolute path", "leads out"]);
    // A symlink to it inside the root, and the rule lifted: still refused.
    lab.symlink(Path::new("/proc/self/environ"), "environ.json");
    lab.program("policy P from json \"environ.json\"\npolicy Q from json \"/proc/self/environ\"");
    lab.assert_refused_env(
        &["--allow-outside-root"],
        &env,
        &["a view of the running system"; 2],
    );
}

#[test]
fn dev_zero_is_refused_fast_with_bounded_memory() {
    let lab = Lab::new();
    lab.symlink(Path::new("/dev/zero"), "zero.json");
    lab.symlink(Path::new("/dev/zero"), "lib/zero.access");
    lab.program_without_org(
        "use \"lib/zero.access\"\norg from \"zero.json\"\npolicy P from json \"/dev/zero\"",
    );
    lab.assert_refused(
        &[],
        &[
            "a symbolic link leads out",
            "a symbolic link leads out",
            "an absolute path",
        ],
    );
    // The directory rule lifted: the device is refused from its type.
    lab.assert_refused(&["--allow-outside-root"], &["a character device"; 3]);
    let r = lab.run(&["check", "prog", "--allow-outside-root"]);
    assert!(r.took < Duration::from_secs(5), "took {:?}", r.took);
    let rss = children_max_rss();
    assert!(rss < 200 << 20, "a child grew to {} MiB", rss >> 20);
}

#[test]
fn a_fifo_is_refused_without_blocking() {
    // Nobody writes into these FIFOs: opening one for reading the usual way
    // blocks for ever, and the deadline fails the test.
    let lab = Lab::new();
    lab.fifo("org.json");
    lab.fifo("p.json");
    lab.fifo("lib/f.access");
    lab.program_without_org(
        "use \"lib/f.access\"\norg from \"org.json\"\npolicy P from json \"p.json\"",
    );
    lab.assert_refused(&[], &["a FIFO"; 3]);
    lab.assert_refused(&["--allow-outside-root"], &["a FIFO"; 3]);
    // A FIFO named like a program file, directly in the program's directory:
    // reported on its own name.
    lab.fifo("g.access");
    let r = lab.run(&["check", "prog", "--format", "json"]);
    assert_eq!(r.code, Some(1), "{}", r.all());
    assert_eq!(r.stdout.matches("a FIFO").count(), 4, "{}", r.stdout);
    assert!(r.stdout.contains("prog/g.access"), "{}", r.stdout);
}

#[test]
fn a_directory_is_refused() {
    let lab = Lab::new();
    std::fs::create_dir_all(lab.prog().join("dir.access")).expect("mkdir");
    std::fs::create_dir_all(lab.prog().join("policies")).expect("mkdir");
    lab.program_without_org("use \"dir.access\"\norg from \".\"\npolicy P from json \"policies\"");
    lab.assert_refused(&[], &["a directory"; 3]);
}

#[test]
fn a_unix_socket_is_refused() {
    let lab = Lab::new();
    let _listener =
        std::os::unix::net::UnixListener::bind(lab.prog().join("org.json")).expect("bind");
    lab.program_without_org("org from \"org.json\"\npolicy P from json \"org.json\"");
    lab.assert_refused(&[], &["a socket"; 2]);
    // A socket named like a program file: reported on its own name.
    let _other = std::os::unix::net::UnixListener::bind(lab.prog().join("s.access")).expect("bind");
    let r = lab.run(&["check", "prog", "--format", "json"]);
    assert_eq!(r.stdout.matches("a socket").count(), 3, "{}", r.stdout);
    assert!(r.stdout.contains("prog/s.access"), "{}", r.stdout);
}

#[test]
fn a_file_over_64_mib_is_refused_unread() {
    let lab = Lab::new();
    // Marked at the start, and sparse: the size is real, the disk use is not.
    for name in ["lib/big.json", "lib/big.access"] {
        let p = lab.path(name);
        std::fs::write(&p, format!("group {SECRET}\n")).expect("write");
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(&p)
            .expect("open");
        f.set_len(64 * 1024 * 1024 + 1).expect("grow");
    }
    lab.program("policy P from json \"lib/big.json\"\nuse \"lib/big.access\"");
    lab.assert_refused(&[], &["larger than 64 MiB"; 2]);
    // The same file named on the command line: exit 2, one line.
    let r = lab.run(&["check", "prog/lib/big.access"]);
    assert_eq!(r.code, Some(2), "{}", r.all());
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("larger than 64 MiB"), "{}", r.stderr);
}

#[test]
fn many_names_for_one_big_file_read_it_once() {
    // One 16 MiB file inside the root, named through 200 symlinks: read 200
    // times it would hold 3.2 GB.
    let lab = Lab::new();
    let big = lab.path("lib/pad.json");
    let mut text = String::from("x");
    text.push_str(&" ".repeat(16 * 1024 * 1024));
    std::fs::write(&big, text).expect("write");
    let mut head = String::new();
    for i in 0..200 {
        lab.symlink(&big, &format!("lib/l{i}.json"));
        head.push_str(&format!("policy P{i} from json \"lib/l{i}.json\"\n"));
    }
    lab.program(&head);
    let r = lab.run(&["check", "prog", "--format", "json"]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert_eq!(r.stdout.matches("is not valid JSON").count(), 200);
    let rss = children_max_rss();
    assert!(rss < 500 << 20, "a child grew to {} MiB", rss >> 20);
}

#[test]
fn devices_and_fifos_on_the_command_line_exit_2_at_once() {
    let lab = Lab::new();
    let fifo = lab.fifo("cli.access");
    let fifo = fifo.to_str().expect("utf8");
    for args in [
        vec!["check", "/dev/zero"],
        vec!["check", "/dev/stdin"],
        vec!["check", fifo],
        vec!["check", "/proc/self/environ"],
        vec!["build", "/dev/zero", "--target", "ir", "-o", "out"],
        vec!["fmt", "/dev/zero"],
        vec!["fmt", "--check", fifo],
    ] {
        let r = lab.run(&args);
        assert_eq!(r.code, Some(2), "{args:?}: {}", r.all());
        assert_eq!(r.stderr.lines().count(), 1, "{args:?}: {}", r.stderr);
        assert!(r.stderr.starts_with("error: cannot read"), "{}", r.stderr);
        assert!(
            r.took < Duration::from_secs(5),
            "{args:?} took {:?}",
            r.took
        );
    }
    // Standard input a pipe that stays open and silent: no hang either.
    let mut writer = Command::new("sleep")
        .arg("30")
        .stdout(Stdio::piped())
        .spawn()
        .expect("sleep");
    let pipe = writer.stdout.take().expect("pipe");
    let r = lab.run_with(&["check", "/dev/stdin"], &[], Stdio::from(pipe));
    let _ = writer.kill();
    let _ = writer.wait();
    assert_eq!(r.code, Some(2), "{}", r.all());
    assert!(r.stderr.contains("a FIFO"), "{}", r.stderr);
    assert!(!lab.tmp.path().join("out").exists());
}

#[test]
fn allow_outside_root_reads_outside_regular_files_only() {
    let lab = Lab::new();
    let shared = lab.outside().join("shared.access");
    std::fs::write(&shared, "group outsiders\n").expect("write");
    lab.fifo("pipe.json");
    lab.program(&format!(
        "use \"../outside/shared.access\"\nuse \"{}\"\ngrant Dev to outsiders on Workloads",
        shared.display()
    ));
    // Without the flag: both refused, and `outsiders` is unknown.
    let r = lab.run(&["check", "prog", "--format", "json"]);
    assert_eq!(r.code, Some(1));
    assert_eq!(r.stdout.matches("\"A104\"").count(), 2, "{}", r.stdout);
    // With it: read (once), and the program is clean.
    let r = lab.run(&[
        "check",
        "prog",
        "--allow-outside-root",
        "--today",
        "2026-11-28",
    ]);
    assert_eq!(r.code, Some(0), "{}", r.all());
    assert!(r.stdout.contains("0 errors, 0 warnings"), "{}", r.all());
    // Still never a device, a FIFO or the kernel's pseudo-files.
    lab.program_without_org(
        "use \"../outside/shared.access\"\ngrant Dev to outsiders on Workloads\n\
         org from \"/dev/zero\"\npolicy P from json \"pipe.json\"\n\
         policy Q from json \"/proc/self/environ\"",
    );
    lab.assert_refused(
        &["--allow-outside-root"],
        &[
            "a character device",
            "a FIFO",
            "a view of the running system",
        ],
    );
    // `build` takes the flag too.
    lab.program(&format!(
        "use \"{}\"\ngrant Dev to outsiders on Workloads",
        shared.display()
    ));
    let out = lab.tmp.path().join("build-out");
    let out = out.to_str().expect("utf8");
    let r = lab.run(&["build", "prog", "--target", "ir", "-o", out]);
    assert_eq!(r.code, Some(1), "{}", r.all());
    let r = lab.run(&[
        "build",
        "prog",
        "--target",
        "ir",
        "-o",
        out,
        "--allow-outside-root",
        "--today",
        "2026-11-28",
    ]);
    assert_eq!(r.code, Some(0), "{}", r.all());
}

#[test]
fn plan_apply_and_drift_refuse_before_reaching_aws() {
    // The program is loaded (and refused) before any AWS call: nothing
    // points at a real endpoint here.
    let lab = Lab::new();
    lab.symlink(&lab.outside().join("org.json"), "org.json");
    lab.program_without_org("use \"../outside/secret.access\"\norg from \"org.json\"");
    for cmd in ["plan", "apply", "drift"] {
        let r = lab.run_with(
            &[
                cmd,
                "prog",
                "--endpoint-url",
                "http://127.0.0.1:9",
                "--region",
                "us-east-1",
            ],
            &[("AWS_ACCESS_KEY_ID", "x"), ("AWS_SECRET_ACCESS_KEY", "x")],
            Stdio::null(),
        );
        assert_eq!(r.code, Some(1), "{cmd}: {}", r.all());
        assert_eq!(
            r.stderr.lines().filter(|l| *l == "A104").count(),
            2,
            "{}",
            r.stderr
        );
        assert!(!r.all().contains(SECRET), "{cmd}: {}", r.all());
    }
}

#[test]
fn a_file_that_is_not_access_is_never_quoted() {
    let lab = Lab::new();
    // A program file given under another name: its syntax error is reported
    // by position, and the line above it (which a snippet would show) is not.
    let p = lab.prog().join("notes.txt");
    std::fs::write(&p, format!("// {SECRET}\ngrup devs\n")).expect("write");
    let r = lab.run(&["check", "prog/notes.txt"]);
    assert_eq!(r.code, Some(1), "{}", r.all());
    assert!(r.stdout.contains("prog/notes.txt:2:1"), "{}", r.stdout);
    assert!(!r.all().contains(SECRET), "{}", r.all());
    // `use` loads `.access` files only.
    lab.program("use \"notes.txt\"");
    lab.assert_refused(&[], &["`use` loads `.access` files"]);
}

#[test]
fn the_examples_and_relative_references_keep_working() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for dir in [
        "crates/accessc-core/tests/corpus/ok-use-file",
        "crates/accessc-core/tests/corpus/A104-near-relative-paths",
    ] {
        let r = Lab::new().run(&[
            "check",
            root.join(dir).to_str().expect("utf8"),
            "--today",
            "2026-11-28",
        ]);
        assert_eq!(r.code, Some(0), "{dir}: {}", r.all());
    }
}

#[test]
fn the_language_server_refuses_devices_and_keeps_answering() {
    let lab = Lab::new();
    let cache = lab.tmp.path().join("cache");
    std::fs::create_dir_all(&cache).expect("mkdir");
    lab.fifo("fifo.json");
    lab.symlink(Path::new("/dev/zero"), "lib/zero.access");
    lab.symlink(&lab.outside().join("org.json"), "org.json");
    let main = lab.prog().join("main.access");
    let text = "use \"/dev/stdin\"\nuse \"/dev/zero\"\nuse \"lib/zero.access\"\n\
                policy P from json \"/dev/stdin\"\npolicy Q from json \"fifo.json\"\n\
                org from \"org.json\"\n";
    std::fs::write(&main, text).expect("write");
    let mut c = lsp_client::Client::start(&cache, json!({ "today": lsp_client::TODAY }));
    let u = lsp_client::uri(&main);
    let started = Instant::now();
    c.open(&u, text);
    let diags = c.diagnostics(&u);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "diagnostics took {:?}",
        started.elapsed()
    );
    let mut a104: Vec<u64> = diags
        .iter()
        .filter(|d| d["code"] == "A104")
        .map(|d| d["range"]["start"]["line"].as_u64().unwrap_or(99))
        .collect();
    a104.sort();
    assert_eq!(a104, vec![0, 1, 2, 3, 4, 5], "{diags:?}");
    assert!(!format!("{diags:?}").contains(SECRET));
    // Go to definition never sends the editor to a device or out of the
    // program's directory (opening /dev/zero would hang the editor).
    for (line, col) in [(1, 8), (2, 8), (0, 8)] {
        let def = c.request(
            "textDocument/definition",
            json!({"textDocument": {"uri": u}, "position": {"line": line, "character": col}}),
        );
        let none = def["result"].is_null() || def["result"] == json!([]);
        assert!(none, "line {line}: {def}");
    }
    // The server still answers, and a fresh edit is checked.
    let symbols = c.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": u}}),
    );
    assert!(symbols.get("result").is_some(), "{symbols}");
    c.replace(&u, "group g\n");
    let diags = c.diagnostics(&u);
    assert!(diags.iter().all(|d| d["code"] != "A104"), "{diags:?}");
    assert!(c.shutdown().success());
}
