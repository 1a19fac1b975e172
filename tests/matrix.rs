//! `accessc matrix`: the page's data is snapshotted on every example; the
//! page, opened in headless Chromium (Debian's, driven by playwright-core),
//! shows exactly the IR's assignments under every filter tried, moves with
//! the keyboard, shows policies in place and makes no network request; hostile
//! names stay text; `-o` is written like the output directories.

#[path = "support/peers.rs"]
mod peers;

use accessc_core::ir::{Ir, PrincipalType};
use peers::{accessc, root, run};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const TODAY: &str = "2026-12-01";

fn s(p: &Path) -> &str {
    p.to_str().expect("utf8 path")
}

/// Builds the IR and the page of `program` into `dir`.
fn build(program: &Path, dir: &Path, today: &str) -> (Ir, String) {
    let out = run(
        accessc().args([
            "build",
            s(program),
            "--target",
            "ir",
            "-o",
            s(&dir.join("ir")),
            "--today",
            today,
        ]),
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ir: Ir =
        serde_json::from_slice(&std::fs::read(dir.join("ir/accessc.ir.json")).expect("ir"))
            .expect("ir json");
    let page = dir.join("access.html");
    let out = run(
        accessc().args(["matrix", s(program), "-o", s(&page), "--today", today]),
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (ir, std::fs::read_to_string(&page).expect("page"))
}

/// The JSON data of a page.
fn page_data(page: &str) -> Value {
    let start = page
        .find("<script type=\"application/json\" id=\"matrix-data\">")
        .expect("data element");
    let rest = &page[start..];
    let open = rest.find('>').expect(">") + 1;
    let close = rest.find("</script>").expect("</script>");
    serde_json::from_str(&rest[open..close]).expect("data is JSON")
}

#[test]
fn matrix_data_is_snapshotted_for_every_example() {
    insta::with_settings!({snapshot_path => "snapshots/matrix", prepend_module_to_snapshot => false, omit_expression => true}, {
        insta::glob!("../examples", "?*", |ex| {
            if !ex.is_dir() {
                return;
            }
            let tmp = tempfile::tempdir().expect("tmp");
            let (_, page) = build(ex, tmp.path(), TODAY);
            let data = serde_json::to_string_pretty(&page_data(&page)).expect("json");
            insta::assert_snapshot!("matrix", data);
        });
    });
}

#[test]
fn the_page_is_self_contained() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (_, page) = build(&root().join("examples/org-matrix"), tmp.path(), TODAY);
    assert!(page.starts_with("<!DOCTYPE html>"));
    let csp = page
        .split("http-equiv=\"Content-Security-Policy\" content=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a Content-Security-Policy");
    assert!(csp.starts_with("default-src 'none'"), "{csp}");
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("http"),
        "{csp}"
    );
    // No element loads anything: no src, no href, no URL in the style.
    for bad in [" src=", " href=", "url(", "@import", "http://", "https://"] {
        assert!(!page.contains(bad), "the page contains `{bad}`");
    }
}

/// What the page must show under one filter, computed from the IR with the
/// page's rules: principal and account text match names (and the display
/// name, the account id) case-insensitively; an OU includes its sub-OUs;
/// "marked" keeps expiring user grants and break-glass sets.
#[derive(Default)]
struct Expected {
    cells: BTreeMap<(String, String), BTreeSet<String>>,
    assignments: usize,
}

fn expected(ir: &Ir, step: &Value, today: accessc_core::Date) -> Expected {
    let text = |k: &str| step.get(k).and_then(Value::as_str).map(str::to_lowercase);
    let (pt, at) = (text("principal"), text("account"));
    let function = step.get("function").and_then(Value::as_str);
    let ou = step.get("ou").and_then(Value::as_str);
    let marked = step.get("marked").and_then(Value::as_bool).unwrap_or(false);
    let mut e = Expected::default();
    let mut seen = BTreeSet::new();
    for a in &ir.assignments {
        let acct = ir
            .org
            .accounts
            .iter()
            .find(|x| x.id == a.account_id)
            .expect("account");
        let principal = ir
            .principal(a.principal_type, &a.principal)
            .expect("principal");
        let set = ir.permission_set(&a.permission_set).expect("set");
        let kind = match a.principal_type {
            PrincipalType::Group => "group",
            PrincipalType::User => "user",
        };
        if let Some(t) = &pt {
            if !a.principal.to_lowercase().contains(t.as_str())
                && !principal.display_name.to_lowercase().contains(t.as_str())
            {
                continue;
            }
        }
        if let Some(t) = &at {
            if !acct.name.to_lowercase().contains(t.as_str()) && !acct.id.contains(t.as_str()) {
                continue;
            }
        }
        if function.is_some_and(|f| f != set.name) {
            continue;
        }
        if let Some(ou) = ou {
            if acct.ou_path != ou && !acct.ou_path.starts_with(&format!("{ou}/")) {
                continue;
            }
        }
        let expiring = a
            .until
            .is_some_and(|d| (0..=14).contains(&today.days_until(d)));
        if marked && !expiring && set.break_glass.is_none() {
            continue;
        }
        if seen.insert((
            kind,
            &a.principal,
            &a.account_id,
            &a.permission_set,
            a.until,
            &a.owner,
        )) {
            e.assignments += 1;
        }
        e.cells
            .entry((format!("{kind}:{}", a.principal), a.account_id.to_string()))
            .or_default()
            .insert(set.name.clone());
    }
    e
}

/// Runs the driver on `page` with `steps`; its JSON report.
fn drive(page: &Path, out: &Path, steps: &[Value]) -> Value {
    let steps_file = out.join("steps.json");
    std::fs::write(&steps_file, serde_json::to_string(steps).expect("json")).expect("steps");
    let output = run(
        std::process::Command::new("node")
            .arg(root().join("tests/matrix/drive.js"))
            .arg(peers::playwright_core())
            .arg(peers::chromium())
            .arg(page)
            .arg(out)
            .arg(&steps_file)
            .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1"),
        None,
    );
    assert!(
        output.status.success(),
        "the driver failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("driver JSON")
}

/// Filters worth trying on `ir`: none, each function, each OU, a principal,
/// an account, the marked ones, and two at once.
fn steps_for(ir: &Ir) -> Vec<Value> {
    let mut steps = vec![serde_json::json!({})];
    for p in &ir.permission_sets {
        steps.push(serde_json::json!({"function": p.name}));
    }
    for ou in &ir.org.ous {
        steps.push(serde_json::json!({"ou": ou.path}));
    }
    if let Some(a) = ir.assignments.first() {
        steps.push(serde_json::json!({"principal": a.principal}));
        steps.push(serde_json::json!({"account": a.account_id}));
        steps.push(serde_json::json!({"principal": a.principal, "function": a.permission_set}));
    }
    if let Some(acct) = ir.org.accounts.first() {
        steps.push(serde_json::json!({"account": acct.name.to_uppercase()}));
    }
    steps.push(serde_json::json!({"marked": true}));
    steps.push(serde_json::json!({"principal": "no-such-principal-anywhere"}));
    steps
}

fn check_report(name: &str, ir: &Ir, report: &Value, today: accessc_core::Date) {
    assert_eq!(
        report["requests"],
        serde_json::json!([]),
        "{name}: network requests"
    );
    assert_eq!(
        report["errors"],
        serde_json::json!([]),
        "{name}: page errors"
    );
    assert_eq!(report["dialogs"], serde_json::json!([]), "{name}: dialogs");
    for r in report["results"].as_array().expect("results") {
        let step = &r["step"];
        let want = expected(ir, step, today);
        let rows: BTreeSet<&String> = want.cells.keys().map(|k| &k.0).collect();
        let cols: BTreeSet<&String> = want.cells.keys().map(|k| &k.1).collect();
        assert_eq!(
            r["rows"].as_u64(),
            Some(rows.len() as u64),
            "{name} {step}: rows"
        );
        assert_eq!(
            r["cols"].as_u64(),
            Some(cols.len() as u64),
            "{name} {step}: columns"
        );
        assert_eq!(
            r["assignments"].as_u64(),
            Some(want.assignments as u64),
            "{name} {step}: assignments"
        );
        let cells = r["cells"].as_array().expect("cells");
        // The examples are small: every row and column is in view.
        assert_eq!(
            cells.len(),
            rows.len() * cols.len(),
            "{name} {step}: cells drawn"
        );
        for c in cells {
            let key = (
                c["principal"].as_str().expect("principal").to_string(),
                c["account"].as_str().expect("account").to_string(),
            );
            let shown: BTreeSet<String> = c["functions"]
                .as_array()
                .expect("functions")
                .iter()
                .map(|f| f.as_str().expect("name").to_string())
                .collect();
            let want_cell = want.cells.get(&key).cloned().unwrap_or_default();
            assert_eq!(shown, want_cell, "{name} {step}: cell {key:?}");
            let bg = want_cell.iter().any(|f| {
                ir.permission_set(f)
                    .is_some_and(|p| p.break_glass.is_some())
            });
            assert_eq!(
                c["break_glass"].as_bool(),
                Some(bg),
                "{name} {step}: {key:?} break-glass"
            );
        }
    }
    let kb = &report["keyboard"];
    assert_eq!(
        kb["tab"],
        serde_json::json!([0, 0]),
        "{name}: Tab reaches the grid's first cell"
    );
    let moves = kb["moves"].as_array().expect("moves");
    let rows = report["results"][0]["rows"].as_u64().expect("rows");
    let cols = report["results"][0]["cols"].as_u64().expect("cols");
    let at = |i: usize| moves[i]["cell"].clone();
    let right = if cols > 1 { 1 } else { 0 };
    let down = if rows > 1 { 1 } else { 0 };
    assert_eq!(at(0), serde_json::json!([0, right]), "{name}: ArrowRight");
    assert_eq!(at(1), serde_json::json!([down, right]), "{name}: ArrowDown");
    assert_eq!(at(2), serde_json::json!([down, 0]), "{name}: ArrowLeft");
    assert_eq!(at(3), serde_json::json!([0, 0]), "{name}: ArrowUp");
    assert_eq!(at(5), serde_json::json!([down, cols - 1]), "{name}: End");
    assert_eq!(at(6), serde_json::json!([down, 0]), "{name}: Home");
    for m in moves {
        assert_eq!(m["focusable"], 1, "{name}: one cell in the tab order: {m}");
        assert!(
            m["outline"]
                .as_str()
                .is_some_and(|o| o.starts_with("solid")),
            "{name}: focus is visible: {m}"
        );
    }
    let detail = kb["detail"].as_str().expect("detail");
    let focused = moves[6]["principal"].as_str().expect("principal");
    let focused_name = focused.split_once(':').expect(":").1;
    assert!(
        detail.contains(focused_name),
        "{name}: Enter shows the cell: {detail}"
    );
    if let Some(policy) = kb["policy"].as_str() {
        assert!(policy.starts_with("Policy of "), "{name}: {policy}");
    }
    assert_eq!(kb["aria"]["grid"], "grid");
    assert_eq!(kb["aria"]["labelled"], true);
    let shot = report["screenshot"].as_str().expect("screenshot");
    assert!(Path::new(shot).is_file(), "{name}: screenshot {shot}");
}

/// Where screenshots are kept: `$CARGO_TARGET_TMPDIR/matrix/NAME/`.
fn artifacts(name: &str) -> std::path::PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("matrix")
        .join(name);
    std::fs::create_dir_all(&d).expect("artifact dir");
    d
}

#[test]
fn every_example_in_chromium_shows_the_ir() {
    let today = accessc_core::Date::parse(TODAY).expect("date");
    let mut examples: Vec<_> = std::fs::read_dir(root().join("examples"))
        .expect("examples")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    examples.sort();
    assert!(examples.len() >= 6);
    for ex in examples {
        let name = ex.file_name().expect("name").to_string_lossy().to_string();
        let out = artifacts(&name);
        let (ir, _) = build(&ex, &out, TODAY);
        let steps = steps_for(&ir);
        let report = drive(&out.join("access.html"), &out, &steps);
        check_report(&name, &ir, &report, today);
        println!(
            "{name}: screenshot {} (ready in {} ms, first filter in {} ms)",
            report["screenshot"].as_str().unwrap_or_default(),
            report["readyMs"],
            report["firstFilterMs"]
        );
    }
}

#[test]
fn an_expiring_user_grant_is_highlighted() {
    let today = "2027-03-25";
    let out = artifacts("expiring");
    let ex = root().join("examples/external-auditor");
    let (ir, _) = build(&ex, &out, today);
    let report = drive(
        &out.join("access.html"),
        &out,
        &[serde_json::json!({"marked": true})],
    );
    check_report(
        "expiring",
        &ir,
        &report,
        accessc_core::Date::parse(today).expect("date"),
    );
    let cells = report["results"][0]["cells"].as_array().expect("cells");
    assert!(!cells.is_empty());
    for c in cells
        .iter()
        .filter(|c| !c["functions"].as_array().expect("f").is_empty())
    {
        assert_eq!(c["expiring"], true, "{c}");
        assert!(c["label"]
            .as_str()
            .is_some_and(|l| l.contains("expires soon")));
    }
    // A week earlier it is not expiring: nothing is marked.
    let (_, page) = build(&ex, &out, "2027-03-01");
    assert!(page_data(&page)["untils"][0][1] == 0);
}

#[test]
fn hostile_names_and_policies_stay_text() {
    let tmp = tempfile::tempdir().expect("tmp");
    let prog = tmp.path().join("p.access");
    // The checker refuses U+2028 and U+2029 in names and values; their
    // escaping is a unit test of `accessc_views::matrix`.
    let evil = r#"</script><script>alert(1)</script><!-- <img src=x onerror=alert(2)>"#;
    std::fs::write(
        &prog,
        format!(
            r#"org {{
  root "r-ab12"
  management "999999999999"
  ou Workloads "ou-ab12-11111111" {{ account app "111111111111" }}
  account management "999999999999"
}}

group evil "{evil}"

/// {evil}
function Reader {{
  session 1h
  managed ReadOnlyAccess
  allow s3:GetObject on "arn:aws:s3:::bucket/*" when StringEquals "s3:prefix" "{evil}"
}}

grant Reader to evil on Workloads
"#
        ),
    )
    .expect("write");
    let out = artifacts("hostile");
    let (ir, page) = build(&prog, &out, TODAY);
    assert_eq!(
        page.matches("</script>").count(),
        2,
        "only the page's own two script ends"
    );
    assert!(!page.contains("<!-- <img"));
    assert!(!page.contains("<img"));
    let data = page_data(&page);
    assert_eq!(data["principals"][0][2].as_str(), Some(evil));
    let report = drive(&out.join("access.html"), &out, &[serde_json::json!({})]);
    check_report(
        "hostile",
        &ir,
        &report,
        accessc_core::Date::parse(TODAY).expect("date"),
    );
    // The policy shown in place holds the hostile text as text.
    let policy = report["keyboard"]["policy"].as_str().expect("policy shown");
    assert!(
        policy.contains("</script><script>alert(1)</script>"),
        "{policy}"
    );
}

#[test]
fn the_output_path_is_written_like_the_output_directories() {
    let tmp = tempfile::tempdir().expect("tmp");
    let ex = root().join("examples/break-glass");
    let matrix = |out: &Path| {
        run(
            accessc().args(["matrix", s(&ex), "-o", s(out), "--today", TODAY]),
            None,
        )
    };
    // A new file, in a folder created for it; a second run replaces it.
    let page = tmp.path().join("site/access.html");
    assert_eq!(matrix(&page).status.code(), Some(0));
    assert_eq!(matrix(&page).status.code(), Some(0));
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path().join("site"))
        .expect("dir")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "no temporary is left: {leftovers:?}");
    // A file accessc did not write is not overwritten.
    let foreign = tmp.path().join("notes.html");
    std::fs::write(&foreign, "<p>mine</p>").expect("write");
    let out = matrix(&foreign);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not written by accessc"));
    assert_eq!(
        std::fs::read_to_string(&foreign).expect("read"),
        "<p>mine</p>"
    );
    // A link is refused, whether it points at a page or elsewhere.
    #[cfg(unix)]
    {
        let target = tmp.path().join("target.txt");
        std::fs::write(&target, "keep").expect("write");
        let link = tmp.path().join("link.html");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        let out = matrix(&link);
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("symbolic link"));
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "keep");
        let link2 = tmp.path().join("link2.html");
        std::os::unix::fs::symlink(&page, &link2).expect("symlink");
        assert_eq!(matrix(&link2).status.code(), Some(2));
    }
    // A directory is refused.
    assert_eq!(matrix(tmp.path()).status.code(), Some(2));
    // A program with errors writes nothing.
    let bad = tmp.path().join("bad.access");
    std::fs::write(&bad, "grant Nope to nobody on root\n").expect("write");
    let fresh = tmp.path().join("fresh.html");
    let out = run(
        accessc().args(["matrix", s(&bad), "-o", s(&fresh), "--today", TODAY]),
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(!fresh.exists());
}

/// The large synthetic organization's page: under 5 MB, and interactive in
/// Chromium within 2 s. The timing bound is for release builds
/// (`docs/performance.md`); a debug build checks the size and that the page works.
#[test]
fn the_large_organization_fits_in_five_megabytes() {
    let tmp = tempfile::tempdir().expect("tmp");
    let prog = tmp.path().join("org");
    let mut argv = vec![
        std::ffi::OsString::from("accessc-gen-org"),
        "-o".into(),
        prog.clone().into(),
    ];
    argv.extend(["--seed", "1"].map(std::ffi::OsString::from));
    accessc_bench::generate_from(argv).expect("gen-org");
    let out = artifacts("large");
    let page = out.join("access.html");
    let o = run(
        accessc().args(["matrix", s(&prog), "-o", s(&page), "--today", TODAY]),
        None,
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let size = std::fs::metadata(&page).expect("page").len();
    let data = page_data(&std::fs::read_to_string(&page).expect("read"));
    let report = drive(
        &page,
        &out,
        &[serde_json::json!({"function": data["functions"][0]["n"]})],
    );
    assert_eq!(report["requests"], serde_json::json!([]));
    assert_eq!(report["errors"], serde_json::json!([]));
    println!(
        "large organization: page {size} bytes, ready in {} ms, first filter in {} ms, screenshot {}",
        report["readyMs"], report["firstFilterMs"], report["screenshot"].as_str().unwrap_or_default()
    );
    assert!(size < 5_000_000, "the page is {size} bytes");
}
