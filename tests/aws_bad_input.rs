//! Bad input for the direct-API commands: missing or expired credentials, an
//! unknown instance, a group that does not resolve, an endpoint that does not
//! answer or stops answering mid-apply. Each ends with one clear message and
//! exit 2, and leaves no change unreported. Each common failure of an AWS
//! call is one line, its cause and its fix (snapshots in
//! `tests/snapshots/aws_bad_input__*.snap`); the SDK's account of it only
//! with `--verbose`.

#[path = "support/peers.rs"]
mod peers;

#[path = "support/aws.rs"]
mod aws_support;

use aws_support::*;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const TODAY: &str = "2026-06-01";

fn example(tmp: &tempfile::TempDir, name: &str) -> PathBuf {
    let dir = tmp.path().join(name);
    copy_dir(&peers::root().join("examples").join(name), &dir);
    dir
}

/// The one `error:` line of standard error.
fn error_line(err: &str) -> String {
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{err}");
    errors[0].to_string()
}

/// Exactly one `error:` line, and it says `what`.
fn one_error(err: &str, what: &str) {
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{err}");
    assert!(errors[0].contains(what), "expected `{what}` in: {err}");
}

fn no_sets(moto: &Moto) {
    let calls = moto.stats()["calls"].clone();
    for op in [
        "CreatePermissionSet",
        "CreateAccountAssignment",
        "DeleteAccountAssignment",
    ] {
        assert!(
            calls.get(format!("sso-admin:{op}")).is_none(),
            "{op} was called: {calls}"
        );
    }
}

#[test]
fn missing_credentials() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = example(&tmp, "app-developer");
    let moto = Moto::start("999999999999");
    let mut cmd = peers::accessc();
    isolate(&mut cmd);
    cmd.env("AWS_REGION", REGION).args([
        "plan",
        s(&dir),
        "--today",
        TODAY,
        "--endpoint-url",
        &moto.url(),
    ]);
    let started = Instant::now();
    let (_, err) = expect(&mut cmd, 2);
    assert!(started.elapsed() < Duration::from_secs(30));
    one_error(&err, "no AWS credentials found");
    assert!(err.contains("--profile"), "{err}");
    // One line: the cause and the fix, not the SDK's chain of providers.
    assert_eq!(err.lines().count(), 1, "{err}");
    let line = error_line(&err);
    insta::assert_snapshot!("missing_credentials", line);
    assert_eq!(
        moto.stats()["total"],
        0,
        "a request was sent without credentials"
    );
    // --verbose adds the SDK's account under it.
    let (_, err) = expect(cmd.arg("--verbose"), 2);
    assert_eq!(error_line(&err), line);
    let detail: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("  detail: "))
        .collect();
    assert_eq!(detail.len(), 1, "{err}");
    assert!(detail[0].contains("credentials"), "{err}");
}

#[test]
fn a_profile_that_does_not_exist() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = example(&tmp, "app-developer");
    let mut cmd = peers::accessc();
    isolate(&mut cmd);
    cmd.env("AWS_REGION", REGION).args([
        "apply",
        s(&dir),
        "--today",
        TODAY,
        "--profile",
        "nope",
        "--endpoint-url",
        "http://127.0.0.1:9",
    ]);
    let (_, err) = expect(&mut cmd, 2);
    one_error(&err, "credentials");
}

#[test]
fn expired_credentials() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = example(&tmp, "app-developer");
    let ir = ir_of(&dir, TODAY);
    let moto = Moto::start("999999999999");
    moto.seed_from_ir(&ir, &[]);
    let mut cmd = accessc(&moto.url(), &["apply", s(&dir), "--today", TODAY]);
    cmd.env("AWS_ACCESS_KEY_ID", "EXPIREDKEY0000000000");
    let (_, err) = expect(&mut cmd, 2);
    one_error(&err, "ExpiredTokenException");
    insta::assert_snapshot!("expired_credentials", error_line(&err));
    no_sets(&moto);
}

#[test]
fn access_denied_names_the_action_to_allow() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = example(&tmp, "app-developer");
    let ir = ir_of(&dir, TODAY);
    let moto = Moto::start("999999999999");
    moto.seed_from_ir(&ir, &[]);
    let mut cmd = accessc(&moto.url(), &["plan", s(&dir), "--today", TODAY]);
    cmd.env("AWS_ACCESS_KEY_ID", "DENIEDKEY00000000000");
    let (_, err) = expect(&mut cmd, 2);
    insta::assert_snapshot!("access_denied", error_line(&err));
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn throttling_that_never_ends_says_to_slow_down() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = example(&tmp, "app-developer");
    let ir = ir_of(&dir, TODAY);
    let moto = Moto::start("999999999999");
    moto.seed_from_ir(&ir, &[]);
    let proxy = Proxy::start(moto.server.port, 1.0, 7);
    let (_, err) = expect(
        &mut accessc(
            &proxy.url(),
            &["plan", s(&dir), "--today", TODAY, "--backoff-ms", "1"],
        ),
        2,
    );
    insta::assert_snapshot!("throttled", error_line(&err));
}

#[test]
fn an_endpoint_that_refuses_connections() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = example(&tmp, "app-developer");
    // Nothing listens on the discard port of the loopback.
    let (_, err) = expect(
        &mut accessc("http://127.0.0.1:9", &["plan", s(&dir), "--today", TODAY]),
        2,
    );
    insta::assert_snapshot!("connection_refused", error_line(&err));
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// An instance that is not where the command looks: the line names the
/// region and what is there, and says to pass --region or --instance-arn.
#[test]
fn an_instance_not_in_the_region_says_where_to_look() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = example(&tmp, "app-developer");
    let ir = ir_of(&dir, TODAY);
    let moto = Moto::start("999999999999");
    let seeded = moto.seed_from_ir(&ir, &[]);
    let there = seeded["instance_arn"].as_str().expect("instance");
    let (_, err) = expect(
        &mut accessc(
            &moto.url(),
            &[
                "plan",
                s(&dir),
                "--today",
                TODAY,
                "--instance-arn",
                "arn:aws:sso:::instance/ssoins-0000000000000000",
            ],
        ),
        2,
    );
    insta::assert_snapshot!(
        "instance_not_in_region",
        error_line(&err).replace(there, "<the seeded instance>")
    );
}

#[test]
fn an_unknown_instance() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = example(&tmp, "app-developer");
    let ir = ir_of(&dir, TODAY);
    let moto = Moto::start("999999999999");
    moto.seed_from_ir(&ir, &[]);
    let arn = "arn:aws:sso:::instance/ssoins-0000000000000000";
    let (_, err) = expect(
        &mut accessc(
            &moto.url(),
            &["apply", s(&dir), "--today", TODAY, "--instance-arn", arn],
        ),
        2,
    );
    one_error(&err, &format!("instance `{arn}` does not exist"));
    no_sets(&moto);
}

/// An endpoint whose listings never end (the same page token again and
/// again) stops the read with one clear error instead of looping for ever.
#[test]
fn a_listing_that_never_ends_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = example(&tmp, "app-developer");
    let ir = ir_of(&dir, TODAY);
    let moto = Moto::start("999999999999");
    moto.seed_from_ir(&ir, &[]);
    moto.faults(serde_json::json!({ "stuck_token": true }));
    let mut cmd = accessc(&moto.url(), &["plan", s(&dir), "--today", TODAY]);
    let mut child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn accessc");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("plan still running after 60 s against a listing that never ends");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut err)
        .expect("read stderr");
    assert_eq!(status.code(), Some(2), "{err}");
    one_error(&err, "a page token it had returned before");
    no_sets(&moto);
}

#[test]
fn a_group_that_does_not_resolve() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = example(&tmp, "app-developer");
    let mut ir = ir_of(&dir, TODAY);
    let moto = Moto::start("999999999999");
    ir.principals.clear();
    moto.seed_from_ir(&ir, &["aws-team-b-engineers"]);
    for scope in ["store", "program"] {
        let (_, err) = expect(
            &mut accessc(
                &moto.url(),
                &["apply", s(&dir), "--today", TODAY, "--principals", scope],
            ),
            2,
        );
        one_error(&err, "group `aws-team-a-engineers` does not resolve");
    }
    no_sets(&moto);
}

#[test]
fn an_endpoint_that_does_not_answer() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = example(&tmp, "app-developer");
    let silent = Silent::start();
    let started = Instant::now();
    let (_, err) = expect(
        &mut accessc(
            &silent.url(),
            &["plan", s(&dir), "--today", TODAY, "--api-timeout", "1"],
        ),
        2,
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    one_error(&err, "did not answer");
}

#[test]
fn an_endpoint_that_stops_answering_mid_apply_leaves_nothing_unreported() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = example(&tmp, "org-matrix");
    let ir = ir_of(&dir, TODAY);
    let moto = Moto::start_with("999999999999", &["--op-delay", "0.3"]);
    let url = moto.url();
    moto.seed_from_ir(&ir, &[]);
    expect(
        &mut accessc(
            &url,
            &["org", "snapshot", s(&dir), "-o", s(&dir.join("org.json"))],
        ),
        0,
    );
    let ir = ir_of(&dir, TODAY);
    let child = accessc(
        &url,
        &[
            "apply",
            s(&dir),
            "--today",
            TODAY,
            "--api-timeout",
            "1",
            "--poll-interval-ms",
            "50",
            "--progress",
            "plain",
        ],
    )
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .expect("start apply");
    // Stop the endpoint once some assignments exist.
    let started = Instant::now();
    loop {
        let n = moto.stats()["calls"]["sso-admin:CreateAccountAssignment"]
            .as_u64()
            .unwrap_or(0);
        if n >= 3 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "apply never created assignments"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    moto.server.signal("STOP");
    let o = child.wait_with_output().expect("apply");
    moto.server.signal("CONT");
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}\n{err}");
    assert!(
        started.elapsed() < Duration::from_secs(90),
        "took {:?}",
        started.elapsed()
    );
    assert!(out.contains("Partly applied"), "{out}");
    assert!(
        out.contains("did not answer") || out.contains("cannot reach"),
        "{out}"
    );
    assert!(
        out.contains("not attempted") || out.contains("failed"),
        "{out}"
    );
    one_error(&err, "failed");

    // Back up: the next run finishes the job.
    let (out, _) = expect(
        &mut accessc(
            &url,
            &[
                "apply",
                s(&dir),
                "--today",
                TODAY,
                "--poll-interval-ms",
                "20",
            ],
        ),
        0,
    );
    assert!(out.contains("Applied:"), "{out}");
    assert_live_matches(&ir, &read_live(&url, &ir));
}

#[test]
fn program_errors_exit_1_before_any_request() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("bad");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("main.access"), "grant Nope to nobody on root\n").expect("write");
    let silent = Silent::start();
    let (_, err) = expect(&mut accessc(&silent.url(), &["plan", s(&dir)]), 1);
    assert!(err.contains("nothing was read or changed"), "{err}");
}
