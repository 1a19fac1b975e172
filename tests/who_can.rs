//! `accessc who-can` and `accessc roles`: snapshots of every example in every
//! format, rows against the IR's assignments for random filters, `--action`
//! judged through managed documents, denies, boundaries, conditions and
//! `NotAction`, and bad input.

use accessc_core::ir::{Ir, PrincipalType};
use accessc_core::load::{load_with_options, LoadOptions};
use accessc_core::{check, CheckOptions, RealFs, Today};
use accessc_views::who_can::{who_can, Query, Row};
use proptest::prelude::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const TODAY: &str = "2026-11-28";

fn accessc_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_accessc"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run accessc")
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn stdout(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("utf8")
}

/// Every example, every format of both commands, run from the repository
/// root so the `file:line` of each row is the path as a user types it.
#[test]
fn every_example_in_every_format_is_snapshotted() {
    insta::with_settings!({snapshot_path => "snapshots/views", prepend_module_to_snapshot => false, omit_expression => true}, {
        insta::glob!("../examples", "?*", |ex| {
            if !ex.is_dir() {
                return;
            }
            let name = ex.file_name().and_then(|n| n.to_str()).expect("name");
            let rel = format!("examples/{name}");
            for format in ["table", "json", "csv"] {
                let out = accessc_in(&root(), &["who-can", &rel, "--format", format, "--today", TODAY]);
                let text = stdout(&out);
                if format == "json" {
                    let rows: serde_json::Value = serde_json::from_str(&text).expect("json");
                    assert!(rows.is_array());
                }
                insta::assert_snapshot!(format!("who-can-{format}"), text);
            }
            for format in ["text", "json"] {
                let out = accessc_in(&root(), &["roles", &rel, "--format", format, "--today", TODAY]);
                insta::assert_snapshot!(format!("roles-{format}"), stdout(&out));
            }
        });
    });
}

/// The checked model (with its sources) and the IR of a program.
fn model_and_ir(
    path: &Path,
    f: impl FnOnce(&accessc_core::Program, &accessc_core::model::Model, &Ir),
) {
    let program = load_with_options(&RealFs, path, &LoadOptions::default()).expect("load");
    let today = Today::parse_arg(TODAY).expect("date");
    let checked = check(&program, &CheckOptions { today });
    let model = checked.checked_model().unwrap_or_else(|| {
        panic!(
            "{}: {:?}",
            path.display(),
            checked
                .diagnostics
                .iter()
                .filter(|d| d.is_error())
                .map(|d| &d.message)
                .collect::<Vec<_>>()
        )
    });
    let ir = accessc_core::model_to_ir::lower(model);
    f(&program, model.model(), &ir);
}

/// What a row and an IR assignment have in common.
type Key = (
    PrincipalType,
    String,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<String>,
);

fn row_key(r: &Row) -> Key {
    (
        r.principal_type,
        r.principal.clone(),
        r.principal_id.clone(),
        r.permission_set.clone(),
        r.account_id.clone(),
        r.owner.clone(),
        r.until.map(|d| d.to_string()),
    )
}

/// The IR's assignments that `q` selects, by the IR alone: accounts by name
/// or id and OU paths by prefix, functions through their permission sets.
fn expected(ir: &Ir, q: &Query) -> BTreeSet<Key> {
    let account_of = |id: &str| ir.org.accounts.iter().find(|a| a.id == id);
    ir.assignments
        .iter()
        .filter(|a| {
            let acct = account_of(&a.account_id).expect("account");
            let by_account = q
                .account
                .as_ref()
                .is_none_or(|n| acct.name == *n || acct.id == *n);
            let by_ou = q
                .ou
                .as_ref()
                .is_none_or(|p| acct.ou_path == *p || acct.ou_path.starts_with(&format!("{p}/")));
            let named: Vec<(PrincipalType, &String)> = [
                q.group.as_ref().map(|g| (PrincipalType::Group, g)),
                q.user.as_ref().map(|u| (PrincipalType::User, u)),
            ]
            .into_iter()
            .flatten()
            .collect();
            let by_principal = named.is_empty()
                || named
                    .iter()
                    .any(|(t, n)| a.principal_type == *t && a.principal == **n);
            let by_function = q.function.as_ref().is_none_or(|f| {
                ir.permission_sets
                    .iter()
                    .any(|ps| ps.function == *f && ps.name == a.permission_set)
            });
            by_account && by_ou && by_principal && by_function
        })
        .map(|a| {
            (
                a.principal_type,
                a.principal.to_string(),
                a.principal_id.as_deref().map(str::to_string),
                a.permission_set.to_string(),
                a.account_id.to_string(),
                a.owner.as_deref().map(str::to_string),
                a.until.map(|d| d.to_string()),
            )
        })
        .collect()
}

/// The names a filter may draw from: those the program uses, plus the
/// account ids.
struct Names {
    accounts: Vec<String>,
    ous: Vec<String>,
    groups: Vec<String>,
    users: Vec<String>,
    functions: Vec<String>,
}

fn names(ir: &Ir) -> Names {
    let mut accounts: Vec<String> = ir.org.accounts.iter().map(|a| a.name.clone()).collect();
    accounts.extend(ir.org.accounts.iter().map(|a| a.id.clone()));
    let of = |t: PrincipalType| {
        ir.principals
            .iter()
            .filter(|p| p.kind == t)
            .map(|p| p.name.clone())
            .collect()
    };
    Names {
        accounts,
        ous: ir.org.ous.iter().map(|o| o.path.clone()).collect(),
        groups: of(PrincipalType::Group),
        users: of(PrincipalType::User),
        functions: ir
            .permission_sets
            .iter()
            .map(|p| p.function.clone())
            .collect(),
    }
}

fn pick(list: &[String], choice: Option<usize>) -> Option<String> {
    match (choice, list.len()) {
        (Some(i), n) if n > 0 => list.get(i % n).cloned(),
        _ => None,
    }
}

fn check_filters(dir: &Path, cases: u32) {
    model_and_ir(dir, |program, model, ir| {
        let n = names(ir);
        let everything = who_can(model, &program.sources, &Query::default()).expect("rows");
        assert_eq!(
            everything.iter().map(row_key).collect::<BTreeSet<_>>(),
            expected(ir, &Query::default()),
            "{}: no filter",
            dir.display()
        );
        assert_eq!(
            everything.len(),
            ir.assignments.len(),
            "one row per assignment"
        );
        let choice = || proptest::option::weighted(0.4, 0usize..10_000);
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
            cases,
            failure_persistence: None,
            ..ProptestConfig::default()
        });
        runner
            .run(
                &(choice(), choice(), choice(), choice(), choice()),
                |(a, o, g, u, f)| {
                    let q = Query {
                        account: pick(&n.accounts, a),
                        ou: pick(&n.ous, o),
                        group: pick(&n.groups, g),
                        user: pick(&n.users, u),
                        function: pick(&n.functions, f),
                        action: None,
                    };
                    let rows = who_can(model, &program.sources, &q).expect("known names");
                    let got: BTreeSet<Key> = rows.iter().map(row_key).collect();
                    prop_assert_eq!(got.len(), rows.len(), "a row repeated");
                    prop_assert_eq!(got, expected(ir, &q), "{:?}", q);
                    Ok(())
                },
            )
            .expect("rows equal the IR's assignments");
    });
}

#[test]
fn rows_equal_the_ir_assignments_for_random_filters_on_every_example() {
    for ex in std::fs::read_dir(root().join("examples")).expect("examples") {
        let ex = ex.expect("entry").path();
        if ex.is_dir() {
            check_filters(&ex, 64);
        }
    }
}

#[test]
fn rows_equal_the_ir_assignments_on_a_generated_organization() {
    let dir = tempfile::tempdir().expect("tmp");
    accessc_bench::generate_from([
        "accessc-gen-org",
        "-o",
        dir.path().to_str().expect("utf8"),
        "--accounts",
        "120",
        "--ous",
        "20",
        "--functions",
        "12",
        "--groups",
        "30",
        "--grants",
        "150",
        "--users",
        "6",
    ])
    .expect("generate");
    check_filters(dir.path(), 256);
}

/// Every row names the `grant` keyword that gives it.
#[test]
fn via_points_at_the_grant_keyword() {
    let dir = root().join("examples/org-matrix");
    model_and_ir(&dir, |program, model, _| {
        let rows = who_can(model, &program.sources, &Query::default()).expect("rows");
        assert!(!rows.is_empty());
        for r in rows {
            let (id, file) = program
                .sources
                .files()
                .find(|(_, f)| f.name == r.via.file)
                .expect("file");
            let _ = id;
            let line = file.text.lines().nth(r.via.line - 1).expect("line");
            assert!(line.trim_start().starts_with("grant "), "{line}");
        }
    });
}

// ---------------------------------------------------------------------------
// --action

const ACTION_ORG: &str = r#"attributes { Team = "${path:enterprise.department}" }
org {
  management "999999999999"
  ou Workloads "ou-ab12-11111111" {
    account dev "111111111111"
    account prod "222222222222"
  }
  account management "999999999999"
}
group readers
group writers
group admins
group taggers
group power
group mixed
"#;

fn action_program(extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("a.access"), format!("{ACTION_ORG}{extra}")).expect("write");
    dir
}

/// `who-can --action` as JSON rows: (group, function, account, condition).
fn action_rows(dir: &Path, action: &str) -> Vec<(String, String, String, Option<String>)> {
    let out = accessc_in(
        dir,
        &[
            "who-can", ".", "--action", action, "--format", "json", "--today", TODAY,
        ],
    );
    let rows: Vec<serde_json::Value> = serde_json::from_str(&stdout(&out)).expect("json");
    rows.iter()
        .map(|r| {
            (
                r["principal"].as_str().expect("p").to_string(),
                r["function"].as_str().expect("f").to_string(),
                r["account"].as_str().expect("a").to_string(),
                r["condition"].as_str().map(str::to_string),
            )
        })
        .collect()
}

const ACTION_FUNCTIONS: &str = r#"
/// Reads through the AWS-managed ReadOnlyAccess: judged by its document.
function Reader {
  managed ReadOnlyAccess
}

/// Writes S3, but a deny on every resource takes deletion back.
function Writer {
  allow s3:* on *
  deny s3:DeleteObject on *
  deny s3:PutBucketPolicy on "arn:aws:s3:::audit-logs"
}

/// Administrator, inside a boundary that denies IAM.
managed_policy NoIam {
  allow * on *
  deny iam:* on *
}
function Admin {
  managed AdministratorAccess
  boundary NoIam
}

/// Starts instances only of its own team.
function Tagger {
  allow ec2:StartInstances on * when resource.tag.Team == principal.tag.Team
}

/// PowerUserAccess: everything but IAM, by NotAction.
function Power {
  managed PowerUserAccess
}

/// Everything but S3, by a NotAction of its own.
function Mixed {
  allow not s3:* on *
}

grant Reader to readers on Workloads
grant Writer to writers on account dev
grant Admin to admins on account prod
grant Tagger to taggers on account dev
grant Power to power on account dev
grant Mixed to mixed on account dev
"#;

fn row(g: &str, f: &str, a: &str, c: Option<&str>) -> (String, String, String, Option<String>) {
    (g.into(), f.into(), a.into(), c.map(str::to_string))
}

#[test]
fn action_reads_aws_managed_documents() {
    let dir = action_program(ACTION_FUNCTIONS);
    let rows = action_rows(dir.path(), "s3:GetObject");
    assert!(
        rows.contains(&row("readers", "Reader", "dev", None)),
        "{rows:?}"
    );
    assert!(
        rows.contains(&row("readers", "Reader", "prod", None)),
        "{rows:?}"
    );
    assert!(
        rows.contains(&row("power", "Power", "dev", None)),
        "{rows:?}"
    );
    assert!(!rows.iter().any(|r| r.1 == "Mixed"), "{rows:?}");
    // ReadOnlyAccess does not write.
    let rows = action_rows(dir.path(), "s3:PutObject");
    assert!(!rows.iter().any(|r| r.1 == "Reader"), "{rows:?}");
    assert!(
        rows.contains(&row("writers", "Writer", "dev", None)),
        "{rows:?}"
    );
}

#[test]
fn action_a_deny_on_every_resource_removes_it_a_narrower_one_does_not() {
    let dir = action_program(ACTION_FUNCTIONS);
    let rows = action_rows(dir.path(), "s3:DeleteObject");
    assert!(!rows.iter().any(|r| r.1 == "Writer"), "{rows:?}");
    let rows = action_rows(dir.path(), "s3:PutBucketPolicy");
    assert!(
        rows.contains(&row("writers", "Writer", "dev", None)),
        "{rows:?}"
    );
}

#[test]
fn action_the_boundary_removes_it() {
    let dir = action_program(ACTION_FUNCTIONS);
    let rows = action_rows(dir.path(), "iam:CreateUser");
    assert!(!rows.iter().any(|r| r.1 == "Admin"), "{rows:?}");
    let rows = action_rows(dir.path(), "ec2:TerminateInstances");
    assert!(
        rows.contains(&row("admins", "Admin", "prod", None)),
        "{rows:?}"
    );
}

#[test]
fn action_a_conditional_allow_counts_with_its_condition() {
    let dir = action_program(ACTION_FUNCTIONS);
    let rows = action_rows(dir.path(), "ec2:StartInstances");
    let cond = r#"{"StringEquals":{"aws:ResourceTag/Team":"${aws:PrincipalTag/Team}"}}"#;
    assert!(
        rows.contains(&row("taggers", "Tagger", "dev", Some(cond))),
        "{rows:?}"
    );
    // The table shows it too.
    let out = accessc_in(
        dir.path(),
        &[
            "who-can",
            ".",
            "--action",
            "ec2:StartInstances",
            "--group",
            "taggers",
            "--today",
            TODAY,
        ],
    );
    assert!(stdout(&out).contains(cond));
    let rows = action_rows(dir.path(), "ec2:StopInstances");
    assert!(!rows.iter().any(|r| r.1 == "Tagger"), "{rows:?}");
}

#[test]
fn action_not_action_allows_everything_else() {
    let dir = action_program(ACTION_FUNCTIONS);
    let rows = action_rows(dir.path(), "dynamodb:PutItem");
    assert!(
        rows.contains(&row("mixed", "Mixed", "dev", None)),
        "{rows:?}"
    );
    assert!(
        rows.contains(&row("power", "Power", "dev", None)),
        "{rows:?}"
    );
    let rows = action_rows(dir.path(), "s3:PutObject");
    assert!(!rows.iter().any(|r| r.1 == "Mixed"), "{rows:?}");
    // PowerUserAccess leaves IAM out (but for a few of its own allows).
    let rows = action_rows(dir.path(), "iam:CreateUser");
    assert!(!rows.iter().any(|r| r.1 == "Power"), "{rows:?}");
}

// ---------------------------------------------------------------------------
// Bad input

fn fails(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = accessc_in(dir, args);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn unknown_names_in_filters_get_a_did_you_mean_and_exit_2() {
    let dir = action_program(ACTION_FUNCTIONS);
    let cases: [(&[&str], &str); 8] = [
        (&["--account", "prd"], "did you mean `prod`?"),
        (&["--ou", "Workload"], "did you mean `Workloads`?"),
        // An OU close to none: the help shows an OU of this org.
        (
            &["--ou", "Sandbox"],
            "OU paths start at the root, e.g. `Workloads`",
        ),
        (&["--group", "raeders"], "did you mean `readers`?"),
        (
            &["--user", "readers"],
            "`readers` is a group: use `--group readers`",
        ),
        (&["--function", "Wrtier"], "did you mean `Writer`?"),
        (
            &["--action", "s3:GetObjekt"],
            "did you mean `s3:GetObject`?",
        ),
        (
            &["--account", "Workloads"],
            "`Workloads` is an OU: use `--ou Workloads`",
        ),
    ];
    for (filter, help) in cases {
        let mut args = vec!["who-can", ".", "--today", TODAY];
        args.extend_from_slice(filter);
        let (code, out, err) = fails(dir.path(), &args);
        assert_eq!(code, 2, "{filter:?}: {err}");
        assert!(out.is_empty(), "{filter:?}: {out}");
        assert!(err.contains("error: unknown"), "{filter:?}: {err}");
        assert!(err.contains(help), "{filter:?}: {err}");
    }
}

#[test]
fn a_program_with_errors_reports_them_and_shows_no_rows() {
    let dir =
        action_program("function F { managed ReadOnlyAcess }\ngrant F to readers on account dev\n");
    for cmd in ["who-can", "roles"] {
        let (code, out, err) = fails(dir.path(), &[cmd, ".", "--today", TODAY]);
        assert_eq!(code, 1, "{cmd}: {err}");
        assert!(out.is_empty(), "{cmd}: {out}");
        assert!(err.contains("ReadOnlyAccess"), "{cmd}: {err}");
    }
    // An error outranks an unknown filter name: the program is reported.
    let (code, _, err) = fails(
        dir.path(),
        &["who-can", ".", "--group", "nobody", "--today", TODAY],
    );
    assert_eq!(code, 1, "{err}");
}

#[test]
fn csv_is_rfc_4180_and_formula_safe() {
    let dir = action_program(
        "user ext \"ext@example.com\"\nfunction F { allow s3:GetObject on * }\ngrant F to user ext on account dev\n  owner \"+1, \\\"boss\\\"\" until 2027-01-31\n",
    );
    let out = accessc_in(
        dir.path(),
        &["who-can", ".", "--format", "csv", "--today", TODAY],
    );
    let text = stdout(&out);
    assert!(text.ends_with("\r\n"), "{text:?}");
    assert!(text.contains(",\"'+1, \"\"boss\"\"\","), "{text:?}");
    assert!(text.contains(",2027-01-31\r\n"), "{text:?}");
    assert!(!text.contains(",=") && !text.contains(",+"), "{text:?}");
}
