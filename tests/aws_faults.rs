//! `accessc apply` under faults, against the local AWS endpoint: killed at
//! random points and re-run, it converges to the same live state and never
//! deletes what the source keeps; behind a proxy that throttles a share of
//! requests it still converges; an operation that fails for good, or never
//! finishes, ends in a clear error naming the resource; the 15-operation cap
//! and one-operation-per-account hold.

#[path = "support/peers.rs"]
mod peers;

#[path = "support/aws.rs"]
mod aws_support;

use aws_support::*;
use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

const TODAY: &str = "2026-06-01";

/// 24 accounts, three sets, six groups: 192 assignments in the full program.
/// `partial` grants the first two sets to three teams and the third to
/// `old-team`, with Reader's session at 2h; the full program moves Reader to
/// 4h and the third set to two other teams.
fn write_program(dir: &Path, partial: bool) {
    let accounts: String = (1..=24)
        .map(|i| format!("    account w{i:02} \"1000000000{i:02}\"\n"))
        .collect();
    let (session, auditors) = if partial {
        ("2h", "old-team")
    } else {
        ("4h", "team-4, team-5")
    };
    let text = format!(
        r#"org {{
  root "r-ab12"
  management "999999999999"
  ou Workloads "ou-ab12-11111111" {{
{accounts}  }}
  account management "999999999999"
}}

group team-1
group team-2
group team-3
group team-4
group team-5
group old-team

/// Reads everything.
function Reader {{
  session {session}
  managed ReadOnlyAccess
}}

/// Views the console.
function Viewer {{
  session 1h
  managed ViewOnlyAccess
}}

/// Audits security settings.
function Auditor {{
  session 1h
  managed SecurityAudit
}}

grant Reader, Viewer to team-1, team-2, team-3 on Workloads
grant Auditor to {auditors} on Workloads
"#
    );
    std::fs::create_dir_all(dir).expect("mkdir");
    std::fs::write(dir.join("main.access"), text).expect("write program");
}

/// A small pseudo-random sequence (xorshift), seeded from the clock and
/// printed, so a failing run can be repeated with ACCESSC_TEST_SEED.
struct Rng(u64);

impl Rng {
    fn new() -> Rng {
        let seed = std::env::var("ACCESSC_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos() as u64)
                    .unwrap_or(7)
            })
            | 1;
        eprintln!("ACCESSC_TEST_SEED={seed}");
        Rng(seed)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[test]
fn apply_killed_at_random_points_converges_and_deletes_nothing_the_source_keeps() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("prog");
    write_program(&dir, true);
    let d = s(&dir);
    let partial = ir_of(&dir, TODAY);
    let moto = Moto::start_with("999999999999", &["--op-delay", "0.4"]);
    let url = moto.url();
    moto.seed_from_ir(&partial, &["team-4", "team-5"]);
    expect(
        &mut accessc(
            &url,
            &["apply", d, "--today", TODAY, "--poll-interval-ms", "50"],
        ),
        0,
    );

    write_program(&dir, false);
    let full = ir_of(&dir, TODAY);
    let before = read_live(&url, &full);
    let kept: BTreeSet<_> = live_keys(&before)
        .intersection(&ir_keys(&full, &before))
        .cloned()
        .collect();
    assert_eq!(kept.len(), 144);

    let mut rng = Rng::new();
    let mut kills = 0;
    for round in 0..5 {
        let mut child = accessc(
            &url,
            &[
                "apply",
                d,
                "--today",
                TODAY,
                "--allow-delete",
                "--poll-interval-ms",
                "50",
                "--progress",
                "none",
            ],
        )
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start apply");
        let after = Duration::from_millis(100 + rng.below(900));
        let started = Instant::now();
        let mut finished = false;
        while started.elapsed() < after {
            if child.try_wait().expect("wait").is_some() {
                finished = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        if !finished {
            child.kill().expect("kill apply");
            kills += 1;
        }
        let _ = child.wait();
        let live = read_live(&url, &full);
        let now = live_keys(&live);
        let missing: Vec<_> = kept.difference(&now).collect();
        assert!(
            missing.is_empty(),
            "round {round}: deleted what the source keeps: {missing:?}"
        );
        assert!(
            live.sets.iter().all(|s| s.owned),
            "round {round}: a set without the ownership tag"
        );
        if finished {
            break;
        }
    }
    assert!(kills > 0, "apply always finished before it could be killed");

    let (out, _) = expect(
        &mut accessc(
            &url,
            &[
                "apply",
                d,
                "--today",
                TODAY,
                "--allow-delete",
                "--poll-interval-ms",
                "50",
            ],
        ),
        0,
    );
    assert!(
        out.contains("Applied:") || out.contains("Nothing to apply."),
        "{out}"
    );
    let live = read_live(&url, &full);
    assert_live_matches(&full, &live);
    let (out, _) = expect(
        &mut accessc(&url, &["plan", d, "--today", TODAY, "--allow-delete"]),
        0,
    );
    assert!(out.contains("No changes"), "{out}");
    assert_eq!(moto.stats()["account_overlaps"], 0);
}

#[test]
fn the_outstanding_cap_and_one_operation_per_account_hold() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("prog");
    write_program(&dir, false);
    let d = s(&dir);
    let ir = ir_of(&dir, TODAY);
    let moto = Moto::start_with("999999999999", &["--op-delay", "0.3"]);
    let url = moto.url();
    moto.seed_from_ir(&ir, &["old-team"]);
    expect(
        &mut accessc(
            &url,
            &["apply", d, "--today", TODAY, "--poll-interval-ms", "20"],
        ),
        0,
    );
    let stats = moto.stats();
    let peak = stats["max_outstanding"].as_u64().expect("peak");
    assert!(peak <= 15, "{stats}");
    assert!(peak >= 4, "operations did not overlap: {stats}");
    assert_eq!(stats["account_overlaps"], 0, "{stats}");
    assert_eq!(stats["throttled_outstanding"], 0, "{stats}");
    assert_live_matches(&ir, &read_live(&url, &ir));

    // --max-in-flight lowers the cap.
    let moto = Moto::start_with("999999999999", &["--op-delay", "0.1"]);
    let url = moto.url();
    moto.seed_from_ir(&ir, &["old-team"]);
    expect(
        &mut accessc(
            &url,
            &[
                "apply",
                d,
                "--today",
                TODAY,
                "--poll-interval-ms",
                "20",
                "--max-in-flight",
                "4",
            ],
        ),
        0,
    );
    let stats = moto.stats();
    assert!(stats["max_outstanding"].as_u64() <= Some(4), "{stats}");
    assert_live_matches(&ir, &read_live(&url, &ir));
}

#[test]
fn a_throttling_proxy_still_converges() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("org-matrix");
    copy_dir(&peers::root().join("examples/org-matrix"), &dir);
    let d = s(&dir);
    let ir = ir_of(&dir, TODAY);
    let moto = Moto::start("999999999999");
    moto.seed_from_ir(&ir, &[]);
    let proxy = Proxy::start(moto.server.port, 0.3, 11);
    let via = proxy.url();
    let fast = ["--backoff-ms", "20", "--poll-interval-ms", "20"];
    let mut args = vec!["org", "snapshot", d, "-o"];
    let org = dir.join("org.json");
    args.push(s(&org));
    args.extend(["--backoff-ms", "20"]);
    expect(&mut accessc(&via, &args), 0);
    let ir = ir_of(&dir, TODAY);
    let mut args = vec!["apply", d, "--today", TODAY];
    args.extend(fast);
    let (out, _) = expect(&mut accessc(&via, &args), 0);
    assert!(out.contains("Applied:"), "{out}");
    assert_live_matches(&ir, &read_live(&moto.url(), &ir));
    let args = vec!["plan", d, "--today", TODAY, "--backoff-ms", "20"];
    let (out, _) = expect(&mut accessc(&via, &args), 0);
    assert!(out.contains("No changes"), "{out}");
    let stats = proxy.stats();
    assert!(stats["throttled"].as_u64() > Some(10), "{stats}");
}

#[test]
fn a_permanently_failing_operation_names_the_resource_and_does_not_hang() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("app-developer");
    copy_dir(&peers::root().join("examples/app-developer"), &dir);
    let d = s(&dir);
    let ir = ir_of(&dir, TODAY);
    let moto = Moto::start("999999999999");
    let url = moto.url();
    moto.seed_from_ir(&ir, &[]);
    let reason = "Received a 403 status error: iam:CreateRole denied by a service control policy";
    moto.faults(serde_json::json!({"fail": [
        {"permission_set": "AppDeveloper", "account": "222222222222", "reason": reason}
    ]}));
    let started = Instant::now();
    let (out, err) = expect(
        &mut accessc(
            &url,
            &["apply", d, "--today", TODAY, "--poll-interval-ms", "20"],
        ),
        2,
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
    let failure = out
        .lines()
        .find(|l| l.contains("FAILED"))
        .unwrap_or_else(|| panic!("no line names the account:\n{out}"));
    assert!(
        failure.contains("AppDeveloper") && failure.contains(reason),
        "{out}"
    );
    assert!(out.contains("1 assignment(s) created"), "{out}");
    assert_eq!(
        err.lines().filter(|l| l.starts_with("error:")).count(),
        1,
        "{err}"
    );

    // The fault gone, the next run does only what is left.
    moto.faults(serde_json::json!({"fail": []}));
    let (out, _) = expect(
        &mut accessc(
            &url,
            &["apply", d, "--today", TODAY, "--poll-interval-ms", "20"],
        ),
        0,
    );
    assert!(out.contains("1 assignment(s) created"), "{out}");
    assert_live_matches(&ir, &read_live(&url, &ir));
}

#[test]
fn an_operation_that_never_finishes_times_out_with_a_clear_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("app-developer");
    copy_dir(&peers::root().join("examples/app-developer"), &dir);
    let d = s(&dir);
    let ir = ir_of(&dir, TODAY);
    let moto = Moto::start_with("999999999999", &["--op-delay", "100000"]);
    let url = moto.url();
    moto.seed_from_ir(&ir, &[]);
    let started = Instant::now();
    let (out, err) = expect(
        &mut accessc(
            &url,
            &[
                "apply",
                d,
                "--today",
                TODAY,
                "--poll-interval-ms",
                "50",
                "--op-timeout",
                "2",
            ],
        ),
        2,
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
    assert!(out.contains("still IN_PROGRESS after 2 s"), "{out}");
    assert!(
        out.contains("111111111111") && out.contains("AppDeveloper"),
        "{out}"
    );
    assert!(err.contains("error:"), "{err}");
}
