//! `--target cfn`: the CloudFormation backend, proved against its peers.
//!
//! - every example and every clean corpus program compiles, and every template
//!   (and every StackSet's embedded template, extracted) passes cfn-lint;
//! - every generated policy document passes parliament without unknown
//!   actions, prefixes, condition keys or operators;
//! - the examples' output is snapshotted; two builds are byte-identical; one
//!   more grant adds only that grant's resources;
//! - the guide's CloudFormation sample (section 5.1) comes out with the same
//!   property values;
//! - a large synthetic organization splits into stacks inside the limits;
//! - guard-rule violations are reported.

#[path = "support/peers.rs"]
mod peers;

use accessc_core::emit::cfn::{emit_cfn, CfnFormat, CfnOptions, DEFAULT_CONCURRENT_ASSIGNMENTS};
use accessc_core::emit::OutFile;
use accessc_core::ir::{Ir, SessionDuration};
use accessc_core::{check, load, CheckOptions, RealFs, Today};
use accessc_guard::GuardRules;
use peers::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const TODAY: &str = "2026-11-28";

fn opts(format: CfnFormat) -> CfnOptions {
    CfnOptions {
        format,
        ..Default::default()
    }
}

/// The IR of a program that must check without errors.
fn ir_of(path: &Path) -> Ir {
    let prog = load(&RealFs, path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let checked = check(
        &prog,
        &CheckOptions {
            today: Today::parse(TODAY).expect("date"),
        },
    );
    assert!(
        !checked.has_errors(),
        "{}: {:?}",
        path.display(),
        checked
            .diagnostics
            .iter()
            .map(|d| (d.code, &d.message))
            .collect::<Vec<_>>()
    );
    accessc_core::model_to_ir::lower(checked.checked_model().expect("no errors"))
}

fn emit(ir: &Ir, format: CfnFormat) -> Vec<OutFile> {
    emit_cfn(ir, &opts(format), &GuardRules)
        .unwrap_or_else(|e| panic!("emit_cfn failed:\n{}", e.join("\n")))
}

fn examples() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("examples"))
        .expect("examples")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

/// Corpus programs that check clean: `// expect: none`, or only warnings.
fn clean_corpus() -> Vec<PathBuf> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(root().join("crates/accessc-core/tests/corpus"))
        .expect("corpus")
        .flatten()
    {
        let p = e.path();
        let head = if p.is_dir() {
            p.join("main.access")
        } else {
            p.clone()
        };
        if !(p.is_dir() || p.extension().is_some_and(|x| x == "access")) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&head) else {
            continue;
        };
        let Some(spec) = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("// expect:"))
        else {
            continue;
        };
        let spec = spec.trim();
        let clean = spec == "none"
            || spec
                .split(',')
                .map(str::trim)
                .all(|c| c.starts_with("A5") || c == "A404");
        if clean {
            v.push(p);
        }
    }
    v.sort();
    v
}

fn templates(files: &[OutFile]) -> Vec<&OutFile> {
    files
        .iter()
        .filter(|f| f.path.contains(".template."))
        .collect()
}

/// Parses a template (YAML through PyYAML from the peers' venv, so a YAML 1.1
/// reader is the judge) or JSON.
fn parse_json(text: &str) -> Value {
    serde_json::from_str(text).expect("template JSON")
}

/// Writes `files` into `dir`, plus each StackSet's TemplateBody as its own
/// file next to it (`NAME.stackset-ID.yaml`); returns every template path.
fn write_with_stackset_bodies(dir: &Path, files: &[OutFile], format: CfnFormat) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).expect("dir");
    let mut paths = Vec::new();
    for f in templates(files) {
        let p = dir.join(&f.path);
        std::fs::write(&p, &f.contents).expect("write");
        paths.push(p);
    }
    for (file, id, body) in stackset_bodies(files, format) {
        let p = dir.join(format!("{file}.stackset-{id}.{}", format_ext(format)));
        std::fs::write(&p, body).expect("write");
        paths.push(p);
    }
    paths
}

fn format_ext(f: CfnFormat) -> &'static str {
    match f {
        CfnFormat::Yaml => "yaml",
        CfnFormat::Json => "json",
    }
}

/// Every StackSet TemplateBody: (template file, logical id, body). Read from
/// the JSON rendering of the same IR, which has the same structure.
fn stackset_bodies(files: &[OutFile], format: CfnFormat) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for f in templates(files) {
        let v = match format {
            CfnFormat::Json => parse_json(&f.contents),
            CfnFormat::Yaml => yaml_to_json(&f.contents),
        };
        for (id, r) in v["Resources"].as_object().expect("resources") {
            if r["Type"] == "AWS::CloudFormation::StackSet" {
                let body = r["Properties"]["TemplateBody"]
                    .as_str()
                    .expect("body")
                    .to_string();
                out.push((f.path.clone(), id.clone(), body));
            }
        }
    }
    out
}

/// YAML → JSON through PyYAML (a YAML 1.1 reader, as cfn-lint's).
fn yaml_to_json(text: &str) -> Value {
    yaml_to_json_many(&[text]).pop().expect("one")
}

/// Many YAML documents → JSON in one PyYAML process.
fn yaml_to_json_many(texts: &[&str]) -> Vec<Value> {
    let py = venv_bin("python");
    let input = serde_json::to_vec(texts).expect("json");
    let out = run(
        Command::new(py).args([
            "-c",
            "import sys, json, yaml; print(json.dumps([yaml.safe_load(t) for t in json.load(sys.stdin)]))",
        ]),
        Some(&input),
    );
    assert!(
        out.status.success(),
        "PyYAML: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("PyYAML JSON")
}

/// A template with each StackSet TemplateBody replaced by the template it
/// holds, so the YAML and JSON renderings compare equal.
fn with_bodies_parsed(mut v: Value, parse: &mut dyn FnMut(&str) -> Value) -> Value {
    if let Some(res) = v.get_mut("Resources").and_then(Value::as_object_mut) {
        for r in res.values_mut() {
            if r["Type"] == "AWS::CloudFormation::StackSet" {
                let body = r["Properties"]["TemplateBody"]
                    .as_str()
                    .expect("body")
                    .to_string();
                r["Properties"]["TemplateBody"] = parse(&body);
            }
        }
    }
    v
}

/// cfn-lint on `paths`; returns its parseable findings (errors and warnings).
fn cfn_lint(paths: &[PathBuf]) -> (i32, Vec<String>) {
    let mut cmd = Command::new(venv_bin("cfn-lint"));
    cmd.args(["-f", "parseable", "--"]).args(paths);
    let out = run(&mut cmd, None);
    let code = out.status.code().unwrap_or(-1);
    let findings: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    (code, findings)
}

/// Writes a synthetic organization with `accessc-gen-org`.
fn gen_org(dir: &Path, args: &[&str]) {
    let mut argv = vec![
        std::ffi::OsString::from("accessc-gen-org"),
        "-o".into(),
        dir.into(),
    ];
    argv.extend(args.iter().map(std::ffi::OsString::from));
    if let Err(e) = accessc_bench::generate_from(argv) {
        panic!("gen-org: {e}");
    }
}

#[test]
fn large_org_splits_into_stacks_inside_the_limits() {
    let tmp = tempfile::tempdir().expect("tmp");
    let prog = tmp.path().join("org");
    gen_org(
        &prog,
        &[
            "--accounts",
            "300",
            "--ous",
            "40",
            "--functions",
            "40",
            "--groups",
            "100",
            "--grants",
            "600",
            "--users",
            "10",
        ],
    );
    let t = Instant::now();
    let ir = ir_of(&prog);
    eprintln!(
        "check + lower: {:?}, {} assignments",
        t.elapsed(),
        ir.assignments.len()
    );
    let t = Instant::now();
    let files = emit(&ir, CfnFormat::Yaml);
    eprintln!(
        "emit_cfn (with guard): {:?}, {} files",
        t.elapsed(),
        files.len()
    );
    let parsed = yaml_to_json_many(
        &templates(&files)
            .iter()
            .map(|f| f.contents.as_str())
            .collect::<Vec<_>>(),
    );
    let mut assignment_stacks: BTreeMap<String, usize> = BTreeMap::new();
    let mut total_assignments = 0;
    let mut home: BTreeMap<String, String> = BTreeMap::new();
    for (y, v) in templates(&files).into_iter().zip(&parsed) {
        let resources = v["Resources"].as_object().expect("resources").len();
        let outputs = v
            .get("Outputs")
            .and_then(Value::as_object)
            .map_or(0, |o| o.len());
        let params = v
            .get("Parameters")
            .and_then(Value::as_object)
            .map_or(0, |o| o.len());
        assert!(resources <= 450, "{}: {resources} resources", y.path);
        assert!(
            outputs <= 180 && params <= 180,
            "{}: {outputs} outputs, {params} parameters",
            y.path
        );
        // The JSON rendering has the same structure, pretty-printed with two spaces.
        let json_len = serde_json::to_string_pretty(v).expect("json").len() + 1;
        assert!(
            y.contents.len() <= 900 * 1024 && json_len <= 900 * 1024,
            "{} is too large",
            y.path
        );
        if let Some(rest) = y.path.strip_prefix("assignments-") {
            let ps = rest.split(['-', '.']).next().expect("ps").to_string();
            *assignment_stacks.entry(ps).or_default() += 1;
            total_assignments += resources;
            let width = assert_chains(&y.path, v, DEFAULT_CONCURRENT_ASSIGNMENTS);
            // Chains are chosen by hash: a stack of a hundred assignments
            // or more fills all of them (an empty one has odds below 1e-3).
            assert!(
                resources < 100 || width == DEFAULT_CONCURRENT_ASSIGNMENTS,
                "{}: {resources} assignments in only {width} chains",
                y.path
            );
        }
        for id in v["Resources"].as_object().expect("r").keys() {
            home.insert(id.clone(), y.path.clone());
        }
    }
    assert_eq!(
        total_assignments,
        ir.assignments.len(),
        "every assignment is in exactly one stack"
    );
    let split: Vec<_> = assignment_stacks.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        !split.is_empty(),
        "some permission set needs several assignment stacks"
    );
    eprintln!(
        "{} templates; permission sets split over several stacks: {:?}",
        templates(&files).len(),
        split
    );
    assert_deploy_order_bound(&files, DEFAULT_CONCURRENT_ASSIGNMENTS);

    // cfn-lint on a sample: the largest template, the permission-set stacks
    // and the policy StackSets with their bodies (linting all ~80 templates
    // of 300 resources each takes minutes).
    let lint_dir = tmp.path().join("lint");
    std::fs::create_dir_all(&lint_dir).expect("dir");
    let largest = templates(&files)
        .into_iter()
        .max_by_key(|f| f.contents.len())
        .expect("largest");
    let sample: Vec<OutFile> = files
        .iter()
        .filter(|f| {
            f.path == largest.path
                || f.path.starts_with("permission-sets")
                || f.path.starts_with("policies")
        })
        .cloned()
        .collect();
    let paths = write_with_stackset_bodies(&lint_dir, &sample, CfnFormat::Yaml);
    let t = Instant::now();
    let (code, findings) = cfn_lint(&paths);
    eprintln!(
        "cfn-lint on {} sampled templates (largest: {}, {} bytes): {:?}",
        paths.len(),
        largest.path,
        largest.contents.len(),
        t.elapsed()
    );
    assert_eq!(code, 0, "{}", findings.join("\n"));
    assert!(findings.is_empty(), "{}", findings.join("\n"));

    // Growth: one more assignment moves resources out of at most the one
    // bucket it falls into (when that bucket splits), never between others.
    let (ps, _) = split.first().expect("a split permission set");
    let mut grown = ir.clone();
    let template = grown
        .assignments
        .iter()
        .find(|a| accessc_core::emit::cfn::names::pascal(&a.permission_set) == **ps)
        .expect("an assignment")
        .clone();
    let taken: BTreeSet<&str> = ir
        .assignments
        .iter()
        .filter(|a| {
            a.permission_set == template.permission_set && a.principal == template.principal
        })
        .map(|a| a.account_id.as_str())
        .collect();
    let account = ir
        .org
        .accounts
        .iter()
        .find(|a| {
            !taken.contains(a.id.as_str()) && Some(&a.id) != ir.org.management_account_id.as_ref()
        })
        .expect("a free account")
        .id
        .clone();
    grown.assignments.push(accessc_core::ir::Assignment {
        account_id: account.into(),
        ..template
    });
    grown.assignments.sort();
    let t = Instant::now();
    let grown_files = emit(&grown, CfnFormat::Yaml);
    eprintln!("emit_cfn after one more assignment: {:?}", t.elapsed());
    let mut moved: BTreeMap<(String, String), usize> = BTreeMap::new();
    let grown_parsed = yaml_to_json_many(
        &templates(&grown_files)
            .iter()
            .map(|f| f.contents.as_str())
            .collect::<Vec<_>>(),
    );
    let mut grown_home: BTreeMap<String, String> = BTreeMap::new();
    for (f, v) in templates(&grown_files).into_iter().zip(&grown_parsed) {
        for id in v["Resources"].as_object().expect("r").keys() {
            grown_home.insert(id.clone(), f.path.clone());
        }
    }
    for (id, file) in &home {
        let now = &grown_home[id];
        if now != file {
            *moved.entry((file.clone(), now.clone())).or_default() += 1;
        }
    }
    assert_eq!(grown_home.len(), home.len() + 1);
    assert!(
        moved.len() <= 1,
        "resources moved between several pairs of stacks: {moved:?}"
    );
    let moved_total: usize = moved.values().sum();
    assert!(moved_total <= 450, "{moved_total} resources moved");
    eprintln!("one more assignment moved {moved_total} resources: {moved:?}");
}

/// Checks the `DependsOn` chains of assignment template `v` (named `path`)
/// and returns their number, the template's width: every `DependsOn` names
/// one assignment of the same template, no assignment is named by two, the
/// chains have no cycle, and at most `n` assignments depend on nothing (so
/// CloudFormation creates at most `n` at once).
fn assert_chains(path: &str, v: &Value, n: usize) -> usize {
    let resources = v["Resources"].as_object().expect("resources");
    let mut next: BTreeMap<&str, &str> = BTreeMap::new();
    let mut heads = Vec::new();
    for (id, r) in resources {
        assert_eq!(r["Type"], "AWS::SSO::Assignment", "{path}: {id}");
        match r.get("DependsOn") {
            None => heads.push(id.as_str()),
            Some(Value::String(dep)) => {
                let target = resources.get(dep).unwrap_or_else(|| {
                    panic!("{path}: {id} depends on {dep}, not in the template")
                });
                assert_eq!(target["Type"], "AWS::SSO::Assignment", "{path}: {dep}");
                assert!(dep != id, "{path}: {id} depends on itself");
                if let Some(other) = next.insert(dep.as_str(), id.as_str()) {
                    panic!("{path}: {dep} is the DependsOn of both {other} and {id}: not a chain");
                }
            }
            Some(other) => panic!("{path}: {id} has DependsOn {other}, not one name"),
        }
    }
    assert!(
        heads.len() <= n,
        "{path}: {} assignments depend on nothing (at most {n} may start at once)",
        heads.len()
    );
    // Every assignment is reached from a head by following the chain: no
    // cycle, and every chain is linear.
    let mut seen = 0;
    for h in &heads {
        let mut cur = *h;
        seen += 1;
        while let Some(succ) = next.get(cur) {
            cur = succ;
            seen += 1;
            assert!(seen <= resources.len(), "{path}: a chain loops");
        }
    }
    assert_eq!(
        seen,
        resources.len(),
        "{path}: some assignments sit on a cycle"
    );
    heads.len()
}

/// `deploy-order.json` deploys at most so many assignment stacks at once that
/// no more than 15 assignments are created at once, and says so.
fn assert_deploy_order_bound(files: &[OutFile], n: usize) {
    let order = parse_json(
        &files
            .iter()
            .find(|f| f.path == "deploy-order.json")
            .expect("deploy-order.json")
            .contents,
    );
    assert_eq!(order["max_concurrent_assignments"], n);
    let stage3 = order["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .find(|s| s["stage"] == 3)
        .expect("stage 3");
    let parallel = stage3["max_parallel_stacks"].as_u64().expect("a bound") as usize;
    assert!(
        parallel >= 1 && parallel * n <= 15,
        "{parallel} stacks of {n}"
    );
    let md = &files
        .iter()
        .find(|f| f.path == "DEPLOY.md")
        .expect("DEPLOY.md")
        .contents;
    if parallel == 1 {
        assert!(md.contains("one after another"), "{md}");
    } else {
        assert!(md.contains(&format!("at most {parallel}** stacks")), "{md}");
    }
    // Stages 1 and 2 come before the assignments.
    let stages: Vec<u64> = order["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .map(|s| s["stage"].as_u64().expect("n"))
        .collect();
    let mut sorted = stages.clone();
    sorted.sort();
    assert_eq!(stages, sorted);
}

#[test]
fn assignment_chains_follow_max_concurrent_assignments() {
    let tmp = tempfile::tempdir().expect("tmp");
    let prog = tmp.path().join("org");
    gen_org(
        &prog,
        &[
            "--accounts",
            "60",
            "--ous",
            "16",
            "--functions",
            "4",
            "--groups",
            "20",
            "--grants",
            "60",
            "--users",
            "4",
        ],
    );
    let ir = ir_of(&prog);
    for n in [1, 3, 15] {
        for format in [CfnFormat::Yaml, CfnFormat::Json] {
            let opts = CfnOptions {
                format,
                max_concurrent_assignments: n,
                ..CfnOptions::default()
            };
            let files = emit_cfn(&ir, &opts, &GuardRules).expect("emit");
            let mut stacks = 0;
            for f in templates(&files) {
                if !f.path.starts_with("assignments-") {
                    continue;
                }
                stacks += 1;
                let v = match format {
                    CfnFormat::Yaml => yaml_to_json(&f.contents),
                    CfnFormat::Json => parse_json(&f.contents),
                };
                let count = v["Resources"].as_object().expect("r").len();
                let width = assert_chains(&f.path, &v, n);
                assert!(width >= 1 && width <= n.min(count), "{}", f.path);
                if n == 1 {
                    // One chain: the whole stack one assignment at a time.
                    assert_eq!(width, 1);
                }
            }
            assert!(stacks > 0);
            assert_deploy_order_bound(&files, n);
        }
    }
}

#[test]
fn over_the_stack_quota_is_a_warning() {
    use accessc_core::emit::cfn::{quota_warning, STACK_QUOTA};
    assert_eq!(quota_warning(STACK_QUOTA, STACK_QUOTA), None);
    let w = quota_warning(STACK_QUOTA + 1, STACK_QUOTA).expect("a warning");
    assert!(
        w.contains("2001 stacks") && w.contains("accessc apply"),
        "{w}"
    );
}

/// The warning end to end: `accessc build --target cfn` of a program whose
/// output is one stack over the quota. The smallest such program gives every
/// function one assignment (each set's assignments are a stack of their own,
/// and 450 assignments would fit in one): 1,985 functions on five accounts
/// (at most 500 sets per account, A208) make 1,985 assignment stacks and 16
/// permission-set stacks, 2,001 in all; 1,984 functions make exactly 2,000.
#[test]
fn a_build_over_the_stack_quota_warns_naming_the_count_and_apply() {
    use accessc_core::emit::cfn::STACK_QUOTA;
    const FUNCTIONS: usize = 1985;
    const ACCOUNTS: usize = 5;
    let dir = tempfile::tempdir().expect("tmp");
    let mut program = String::from("org {\n  root \"r-ab12\"\n  management \"999999999999\"\n");
    for a in 0..ACCOUNTS {
        program.push_str(&format!(
            "  account a{a} \"{}\"\n",
            100_000_000_000u64 + a as u64
        ));
    }
    program.push_str("  account management \"999999999999\"\n}\ngroup g\n");
    for i in 0..FUNCTIONS {
        program.push_str(&format!(
            "function F{i} {{ managed ReadOnlyAccess boundary ReadOnlyAccess }}\ngrant F{i} to group g on account a{}\n",
            i % ACCOUNTS
        ));
    }
    let src = dir.path().join("program");
    std::fs::create_dir(&src).expect("mkdir");
    std::fs::write(src.join("main.access"), program).expect("write");
    let out_dir = dir.path().join("out");
    let out = accessc()
        .args(["build", "--target", "cfn", "--today", TODAY, "-o"])
        .arg(&out_dir)
        .arg(&src)
        .output()
        .expect("run accessc");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let stacks = std::fs::read_dir(out_dir.join("templates"))
        .expect("templates")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".template.yaml"))
        })
        .count();
    assert_eq!(
        stacks,
        STACK_QUOTA + 1,
        "the smallest output over the quota"
    );
    let warning = stderr
        .lines()
        .find(|l| l.starts_with("warning: the CloudFormation output has"))
        .unwrap_or_else(|| panic!("no quota warning:\n{stderr}"));
    assert!(
        warning.contains(&format!("{stacks} stacks"))
            && warning.contains(&format!("quota of {STACK_QUOTA} stacks"))
            && warning.contains("`accessc apply`"),
        "{warning}"
    );
}

/// What one backend says of the break-glass sets and the StackSets, with
/// the name prefix at its default: the sets tagged `accessc:BreakGlass` (and
/// the tag's value), each metric filter as (name, namespace, metric), each
/// alarm as (name, namespace, metric), and the StackSet descriptions.
#[derive(Debug, Default, PartialEq, Eq)]
struct Agreed {
    tagged: BTreeSet<(String, String)>,
    filters: BTreeSet<(String, String, String)>,
    alarms: BTreeSet<(String, String, String)>,
    stack_set_descriptions: BTreeSet<String>,
}

fn cfn_agreed(files: &[OutFile]) -> Agreed {
    let mut out = Agreed::default();
    let s = |v: &Value| {
        v.as_str()
            .unwrap_or_else(|| panic!("not a string: {v}"))
            .to_string()
    };
    for f in templates(files) {
        let v = parse_json(&f.contents);
        let prefix = v
            .pointer("/Parameters/NamePrefix/Default")
            .map(|d| format!("{}-", s(d)))
            .unwrap_or_default();
        let named = |v: &Value| s(&v["Fn::Sub"]).replace("${NamePrefix}-", &prefix);
        for r in v["Resources"].as_object().expect("resources").values() {
            let p = &r["Properties"];
            match r["Type"].as_str().expect("type") {
                "AWS::SSO::PermissionSet" => {
                    for t in p["Tags"].as_array().expect("tags") {
                        if t["Key"] == "accessc:BreakGlass" {
                            out.tagged.insert((s(&p["Name"]), s(&t["Value"])));
                        }
                    }
                }
                "AWS::Logs::MetricFilter" => {
                    let m = &p["MetricTransformations"][0];
                    out.filters.insert((
                        named(&p["FilterName"]),
                        s(&m["MetricNamespace"]),
                        s(&m["MetricName"]),
                    ));
                }
                "AWS::CloudWatch::Alarm" => {
                    out.alarms.insert((
                        named(&p["AlarmName"]),
                        s(&p["Namespace"]),
                        s(&p["MetricName"]),
                    ));
                }
                "AWS::CloudFormation::StackSet" => {
                    out.stack_set_descriptions.insert(s(&p["Description"]));
                }
                _ => {}
            }
        }
    }
    out
}

fn terraform_agreed(files: &[OutFile]) -> Agreed {
    let text: String = files.iter().map(|f| f.contents.as_str()).collect();
    let unquote = |v: &str| -> String {
        serde_json::from_str::<String>(v).unwrap_or_else(|_| panic!("not a string: {v}"))
    };
    // Top-level blocks, as (kind, type, [(key, value)] in order).
    type Block = (String, String, Vec<(String, String)>);
    let mut blocks: Vec<Block> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line
            .strip_prefix("resource ")
            .or_else(|| line.strip_prefix("variable "))
        {
            let kind = line.split(' ').next().unwrap_or_default().to_string();
            let ty = rest.split('"').nth(1).unwrap_or_default().to_string();
            blocks.push((kind, ty, Vec::new()));
        } else if let (Some(b), Some((k, v))) = (blocks.last_mut(), line.split_once('=')) {
            b.2.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let prefix = blocks
        .iter()
        .find(|(kind, ty, _)| kind == "variable" && ty == "name_prefix")
        .and_then(|(_, _, kv)| kv.iter().find(|(k, _)| k == "default"))
        .map(|(_, v)| unquote(v))
        .unwrap_or_default();
    let named = |v: &str| unquote(v).replace("${var.name_prefix}", &prefix);
    let get = |kv: &[(String, String)], key: &str, nth: usize| -> String {
        kv.iter()
            .filter(|(k, _)| k == key)
            .nth(nth)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no {key} in {kv:?}"))
    };
    let mut out = Agreed::default();
    for (kind, ty, kv) in &blocks {
        if kind != "resource" {
            continue;
        }
        match ty.as_str() {
            "aws_ssoadmin_permission_set" => {
                if let Some((_, v)) = kv.iter().find(|(k, _)| k == "\"accessc:BreakGlass\"") {
                    out.tagged
                        .insert((unquote(&get(kv, "name", 0)), unquote(v)));
                }
            }
            "aws_cloudwatch_log_metric_filter" => {
                let entry = (
                    named(&get(kv, "name", 0)),
                    unquote(&get(kv, "namespace", 0)),
                    unquote(&get(kv, "name", 1)),
                );
                out.filters.insert(entry);
            }
            "aws_cloudwatch_metric_alarm" => {
                // The alarm reads namespace and metric from its filter.
                let filter = out
                    .filters
                    .iter()
                    .find(|f| f.0 == named(&get(kv, "alarm_name", 0)))
                    .cloned()
                    .expect("the alarm's filter");
                assert!(get(kv, "metric_name", 0).starts_with("aws_cloudwatch_log_metric_filter."));
                out.alarms
                    .insert((named(&get(kv, "alarm_name", 0)), filter.1, filter.2));
            }
            "aws_cloudformation_stack_set" => {
                out.stack_set_descriptions
                    .insert(unquote(&get(kv, "description", 0)));
            }
            _ => {}
        }
    }
    out
}

/// Both backends give the break-glass sets the same tag, metric and names,
/// and the StackSets the same descriptions, with the default name prefix and
/// with one chosen at build time.
#[test]
fn cloudformation_and_terraform_agree() {
    use accessc_core::emit::common::NamePrefix;
    use accessc_core::emit::terraform::emit_terraform_with;
    let prefixes = [
        NamePrefix::default(),
        NamePrefix::new("prod-eu1").expect("prefix"),
    ];
    for (example, prefix) in examples()
        .into_iter()
        .flat_map(|e| prefixes.map(|p| (e.clone(), p)))
    {
        let ir = ir_of(&example);
        let opts = CfnOptions {
            format: CfnFormat::Json,
            name_prefix: prefix,
            ..CfnOptions::default()
        };
        let files = emit_cfn(&ir, &opts, &GuardRules).expect("cfn");
        let cfn = cfn_agreed(&files);
        let tf = terraform_agreed(&emit_terraform_with(&ir, prefix).expect("terraform"));
        assert_eq!(cfn, tf, "{} ({prefix})", example.display());
        let named = format!("{prefix}-");
        for (name, ..) in cfn.filters.iter().chain(&cfn.alarms) {
            assert!(name.starts_with(&named), "{name} ({prefix})");
        }
        // The deploy order names the stacks after the same prefix.
        let order = files
            .iter()
            .find(|f| f.path == "deploy-order.json")
            .expect("deploy-order.json");
        let order = parse_json(&order.contents);
        assert_eq!(order["name_prefix"], prefix.as_str());
        for stage in order["stages"].as_array().expect("stages") {
            for stack in stage["stacks"].as_array().expect("stacks") {
                let name = stack["stack_name"].as_str().expect("name");
                assert!(name.starts_with(&named), "{name} ({prefix})");
                assert!(name.len() <= 128 && !name.contains("--"), "{name}");
            }
        }
        let break_glass = ir
            .permission_sets
            .iter()
            .filter(|p| p.break_glass.is_some())
            .count();
        assert_eq!(cfn.tagged.len(), break_glass);
        assert_eq!(cfn.alarms.len(), break_glass);
        for d in &cfn.stack_set_descriptions {
            let marks = d.matches("(accessc)").count() + d.matches("; accessc)").count();
            assert!(marks <= 1, "{d}");
        }
        eprintln!("{}: {cfn:?}", example.display());
    }
}

/// The guard rules are stricter than the checker's warnings: a program whose
/// only findings are warnings may still be refused by the organisation's rules
/// (an inline `allow * on *` outside break-glass is warning A502 for the
/// checker and a violation for the guard). These are the rules such a
/// program may break, with the warning that announced it.
const GUARD_REFUSALS_ANNOUNCED_BY: &[(&str, &str)] =
    &[("accessc_no_star_on_star_outside_break_glass", "A502")];

/// Programs the checker passes but AWS would refuse, as (program, what
/// `emit_cfn` says): none. (A206 once counted 50 tags before lowering added
/// `ManagedBy`; it now counts the ownership tag, and
/// `A206-near-limits.access` builds.)
const KNOWN_CHECKER_GAPS: &[(&str, &str)] = &[];

#[test]
fn examples_and_clean_corpus_pass_cfn_lint() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut paths = Vec::new();
    let mut programs = 0;
    let mut refused = Vec::new();
    let mut pairs: Vec<(String, String, String)> = Vec::new();
    for (i, p) in examples().into_iter().chain(clean_corpus()).enumerate() {
        let ir = ir_of(&p);
        let name = p.file_name().expect("name").to_string_lossy().to_string();
        let yaml = match emit_cfn(&ir, &opts(CfnFormat::Yaml), &GuardRules) {
            Ok(f) => f,
            Err(violations) => {
                let header = std::fs::read_to_string(if p.is_dir() {
                    p.join("main.access")
                } else {
                    p.clone()
                })
                .expect("read");
                for v in &violations {
                    if KNOWN_CHECKER_GAPS
                        .iter()
                        .any(|(prog, msg)| name == *prog && v.contains(msg))
                    {
                        continue;
                    }
                    let announced = GUARD_REFUSALS_ANNOUNCED_BY.iter().any(|(rule, code)| {
                        v.contains(rule) && header.lines().next().unwrap_or("").contains(code)
                    });
                    assert!(announced, "{name}: unexpected guard violation: {v}");
                }
                refused.push(name);
                continue;
            }
        };
        programs += 1;
        let json = emit(&ir, CfnFormat::Json);
        let ys = templates(&yaml);
        let js = templates(&json);
        assert_eq!(ys.len(), js.len());
        for (y, j) in ys.iter().zip(&js) {
            assert_eq!(y.path.replace(".yaml", ""), j.path.replace(".json", ""));
            pairs.push((
                format!("{name}/{}", y.path),
                y.contents.clone(),
                j.contents.clone(),
            ));
        }
        let dir = tmp.path().join(format!("{i:03}-{name}"));
        paths.extend(write_with_stackset_bodies(
            &dir.join("yaml"),
            &yaml,
            CfnFormat::Yaml,
        ));
        if p.starts_with(root().join("examples")) {
            paths.extend(write_with_stackset_bodies(
                &dir.join("json"),
                &json,
                CfnFormat::Json,
            ));
        }
    }
    let t_pyyaml = Instant::now();
    // The YAML, read by a YAML 1.1 reader (PyYAML, as cfn-lint's), is the JSON.
    let parsed = yaml_to_json_many(&pairs.iter().map(|(_, y, _)| y.as_str()).collect::<Vec<_>>());
    let mut yaml_bodies = Vec::new();
    for v in &parsed {
        with_bodies_parsed(v.clone(), &mut |b: &str| {
            yaml_bodies.push(b.to_string());
            Value::Null
        });
    }
    let mut bodies =
        yaml_to_json_many(&yaml_bodies.iter().map(String::as_str).collect::<Vec<_>>()).into_iter();
    for ((name, _, j), yv) in pairs.iter().zip(parsed) {
        let yv = with_bodies_parsed(yv, &mut |_: &str| bodies.next().expect("body"));
        let jv = with_bodies_parsed(parse_json(j), &mut parse_json);
        assert_eq!(yv, jv, "{name}");
    }
    let checked_yaml_json = pairs.len();
    eprintln!("PyYAML comparison: {:?}", t_pyyaml.elapsed());
    let t = Instant::now();
    let (code, findings) = cfn_lint(&paths);
    eprintln!(
        "cfn-lint: {} templates (StackSet bodies included) of {programs} programs in {:?}; \
         {checked_yaml_json} YAML templates equal their JSON; refused by guard rules: {refused:?}",
        paths.len(),
        t.elapsed()
    );
    assert!(programs > 40, "only {programs} programs compiled");
    assert_eq!(code, 0, "cfn-lint exit {code}:\n{}", findings.join("\n"));
    assert!(findings.is_empty(), "{}", findings.join("\n"));
}

/// The parliament findings that mean a policy names something IAM does not
/// know (or is not a policy at all). Other findings (RESOURCE_STAR, …) are
/// about taste and some examples have them on purpose.
const PARLIAMENT_UNKNOWN: &[&str] = &[
    "UNKNOWN_ACTION",
    "UNKNOWN_PREFIX",
    "UNKNOWN_CONDITION_FOR_ACTION",
    "UNKNOWN_OPERATOR",
    "MALFORMED",
    "MALFORMED_JSON",
    "EXCEPTION",
];

/// Condition keys AWS documents for these actions (the Service Authorization
/// Reference, as the catalog has it, and AWS's own managed policies use them)
/// that parliament 1.6.4's bundled `iam_definition.json` does not tie to the
/// action: it lists `glacier:ResourceTag/` and `sagemaker:ResourceTag/` for no
/// action, `ssm:resourceTag/…` only as the literal `tag-key` of the
/// `parameter` resource, and `ec2:Add/userId` for the service but not for
/// `ModifyImageAttribute`. Only these exact (key, action) findings are set
/// aside; any other key parliament cannot place fails the test.
const PARLIAMENT_DATA_GAPS: &[(&str, &str)] = &[
    ("ssm:resourceTag/Team", "ssm:GetParameter"),
    ("glacier:ResourceTag/Team", "glacier:DescribeVault"),
    (
        "sagemaker:ResourceTag/Team",
        "sagemaker:DescribeNotebookInstance",
    ),
    ("ec2:Add/userId", "ec2:ModifyImageAttribute"),
];

/// Whether a parliament finding is one of [`PARLIAMENT_DATA_GAPS`].
fn parliament_data_gap(finding: &Value) -> bool {
    finding["issue"] == "UNKNOWN_CONDITION_FOR_ACTION"
        && PARLIAMENT_DATA_GAPS.iter().any(|(key, action)| {
            finding["detail"].as_str()
                == Some(&format!("Unknown condition {key} for action {action}"))
        })
}

/// Every policy document in the output: inline policies of permission sets and
/// the PolicyDocument of every StackSet's managed policy.
fn policy_documents(files: &[OutFile]) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for f in templates(files) {
        let v = parse_json(&f.contents);
        for (id, r) in v["Resources"].as_object().expect("resources") {
            if let Some(doc) = r["Properties"].get("InlinePolicy") {
                out.push((format!("{}#{id}", f.path), doc.clone()));
            }
            if r["Type"] == "AWS::CloudFormation::StackSet" {
                let body = parse_json(r["Properties"]["TemplateBody"].as_str().expect("body"));
                let doc =
                    body["Resources"]["ManagedPolicy"]["Properties"]["PolicyDocument"].clone();
                out.push((format!("{}#{id}", f.path), doc));
            }
        }
    }
    out
}

#[test]
fn parliament_knows_every_action_condition_and_operator() {
    let mut docs: BTreeMap<String, String> = BTreeMap::new();
    for p in examples().into_iter().chain(clean_corpus()) {
        let ir = ir_of(&p);
        let Ok(files) = emit_cfn(&ir, &opts(CfnFormat::Json), &GuardRules) else {
            continue;
        };
        let name = p.file_name().expect("name").to_string_lossy().to_string();
        for (at, doc) in policy_documents(&files) {
            docs.entry(serde_json::to_string_pretty(&doc).expect("json"))
                .or_insert(format!("{name}/{at}"));
        }
    }
    assert!(
        docs.len() > 30,
        "only {} distinct policy documents",
        docs.len()
    );
    let bin = venv_bin("parliament");
    // The filter is live: parliament does report an unknown action.
    let control = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObjectz","Resource":"*"}]}"#;
    let out = run(Command::new(&bin).arg("--json"), Some(control.as_bytes()));
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"UNKNOWN_ACTION\""));
    let t = Instant::now();
    let docs: Vec<(String, String)> = docs.into_iter().collect();
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = docs
            .chunks(docs.len().div_ceil(4))
            .map(|part| {
                let bin = &bin;
                s.spawn(move || {
                    let mut bad = Vec::new();
                    for (doc, at) in part {
                        let out = run(Command::new(bin).arg("--json"), Some(doc.as_bytes()));
                        for line in String::from_utf8_lossy(&out.stdout)
                            .lines()
                            .filter(|l| !l.trim().is_empty())
                        {
                            let finding: Value = serde_json::from_str(line)
                                .unwrap_or_else(|e| panic!("{at}: {e}: {line}"));
                            let issue = finding["issue"].as_str().unwrap_or("");
                            if PARLIAMENT_UNKNOWN.contains(&issue) && !parliament_data_gap(&finding)
                            {
                                bad.push(format!("{at}: {line}"));
                            }
                        }
                        assert!(
                            out.status.code().is_some_and(|c| c <= 1),
                            "{at}: parliament failed: {}",
                            String::from_utf8_lossy(&out.stderr)
                        );
                    }
                    bad
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("thread"))
            .collect()
    });
    eprintln!(
        "parliament: {} distinct policy documents in {:?}",
        docs.len(),
        t.elapsed()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn examples_snapshots() {
    for e in examples() {
        let name = e.file_name().expect("name").to_string_lossy().to_string();
        let ir = ir_of(&e);
        let files = emit(&ir, CfnFormat::Yaml);
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path("snapshots/cfn");
        settings.set_prepend_module_to_snapshot(false);
        settings.bind(|| {
            for f in &files {
                insta::assert_snapshot!(format!("{name}__{}", f.path), f.contents);
            }
        });
    }
    // One example in JSON too.
    let ir = ir_of(&root().join("examples/break-glass"));
    for f in emit(&ir, CfnFormat::Json) {
        if f.path.ends_with(".json") && f.path.contains(".template.") {
            insta::with_settings!({snapshot_path => "snapshots/cfn", prepend_module_to_snapshot => false}, {
                insta::assert_snapshot!(format!("break-glass__{}", f.path), f.contents);
            });
        }
    }
}

#[test]
fn two_builds_are_byte_identical() {
    for e in examples() {
        for format in [CfnFormat::Yaml, CfnFormat::Json] {
            let a = emit(&ir_of(&e), format);
            let b = emit(&ir_of(&e), format);
            assert_eq!(a, b, "{}", e.display());
        }
    }
}

#[test]
fn logical_ids_are_readable() {
    let files = emit(
        &ir_of(&root().join("examples/app-developer")),
        CfnFormat::Json,
    );
    let ids: BTreeSet<String> = templates(&files)
        .iter()
        .flat_map(|f| {
            parse_json(&f.contents)["Resources"]
                .as_object()
                .expect("r")
                .keys()
                .cloned()
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(ids.contains("PermissionSetAppDeveloper"), "{ids:?}");
    assert!(
        ids.contains("AssignmentAppDeveloperAwsTeamAEngineers111111111111"),
        "{ids:?}"
    );
    assert!(
        ids.contains("PolicyStackSetBoundaryForDevDefault"),
        "{ids:?}"
    );
    for id in &ids {
        assert!(
            id.len() <= 255 && id.chars().all(|c| c.is_ascii_alphanumeric()),
            "{id}"
        );
    }
}

/// The guide's CloudFormation sample (section 5.1), as a program.
const GUIDE_SAMPLE: &str = r#"
org {
  root "r-ab12"
  management "999999999999"
  ou Workloads "ou-ab12-11111111" {
    ou NonProd "ou-ab12-22222222" { account app-a-dev "111111111111" }
  }
  account management "999999999999"
}

group AppDevelopers

policy AppDeveloperInline {
  allow lambda:*, logs:*, states:* on *
}

/// Application developers in non-prod accounts
function AppDeveloper {
  session 4h
  managed ReadOnlyAccess
  inline AppDeveloperInline
}

grant AppDeveloper to AppDevelopers on account app-a-dev
"#;

#[test]
fn guide_sample_compiles_to_the_same_properties() {
    let tmp = tempfile::tempdir().expect("tmp");
    let p = tmp.path().join("guide.access");
    std::fs::write(&p, GUIDE_SAMPLE).expect("write");
    let files = emit(&ir_of(&p), CfnFormat::Json);
    let resources: BTreeMap<String, Value> = templates(&files)
        .iter()
        .flat_map(|f| {
            parse_json(&f.contents)["Resources"]
                .as_object()
                .expect("r")
                .clone()
                .into_iter()
                .collect::<Vec<_>>()
        })
        .collect();
    let ps = &resources["PermissionSetAppDeveloper"];
    assert_eq!(ps["Type"], "AWS::SSO::PermissionSet");
    let props = &ps["Properties"];
    assert_eq!(props["Name"], "AppDeveloper");
    assert_eq!(
        props["Description"],
        "Application developers in non-prod accounts"
    );
    assert_eq!(props["SessionDuration"], "PT4H");
    assert_eq!(
        props["ManagedPolicies"],
        serde_json::json!(["arn:aws:iam::aws:policy/ReadOnlyAccess"])
    );
    assert_eq!(
        props["InstanceArn"],
        serde_json::json!({"Ref": "InstanceArn"})
    );
    // The guide's inline policy, statement for statement.
    let guide: Value = serde_json::from_str(
        r#"{
            "Version": "2012-10-17",
            "Statement": [
                { "Effect": "Allow",
                  "Action": ["lambda:*", "logs:*", "states:*"],
                  "Resource": "*" }
            ]
        }"#,
    )
    .expect("guide policy");
    assert_eq!(props["InlinePolicy"], guide);
    // The guide tags ManagedBy = cloudformation; accessc owns its sets.
    assert!(props["Tags"]
        .as_array()
        .expect("tags")
        .contains(&serde_json::json!({"Key": "ManagedBy", "Value": "accessc"})));

    let a = &resources["AssignmentAppDeveloperAppDevelopers111111111111"];
    assert_eq!(a["Type"], "AWS::SSO::Assignment");
    let props = &a["Properties"];
    assert_eq!(props["PrincipalType"], "GROUP");
    assert_eq!(props["TargetType"], "AWS_ACCOUNT");
    assert_eq!(props["TargetId"], "111111111111");
    assert_eq!(
        props["InstanceArn"],
        serde_json::json!({"Ref": "InstanceArn"})
    );
    // The guide's `!Ref GroupId`: a parameter named after the group.
    assert_eq!(
        props["PrincipalId"],
        serde_json::json!({"Ref": "GroupIdAppDevelopers"})
    );
    // The guide's `!GetAtt AppDeveloperPS.PermissionSetArn`, across stacks.
    assert_eq!(
        props["PermissionSetArn"],
        serde_json::json!({"Fn::ImportValue": {"Fn::Sub": "${NamePrefix}:PermissionSetArn:AppDeveloper"}})
    );
    let ps_template = files
        .iter()
        .find(|f| f.path.starts_with("permission-sets."))
        .expect("ps template");
    let out = &parse_json(&ps_template.contents)["Outputs"]["PermissionSetAppDeveloperArn"];
    assert_eq!(
        out["Value"],
        serde_json::json!({"Fn::GetAtt": ["PermissionSetAppDeveloper", "PermissionSetArn"]})
    );
    assert_eq!(
        out["Export"]["Name"],
        props["PermissionSetArn"]["Fn::ImportValue"]
    );
}

/// True when `old`'s lines appear in `new` in order, so `new` only adds
/// lines, but for at most one `DependsOn` line (the next assignment of the
/// new one's chain now depends on it).
fn only_adds_lines(old: &str, new: &str) -> bool {
    let is_depends_on = |l: &str| {
        let t = l.trim_start();
        t.starts_with("DependsOn:") || t.starts_with("\"DependsOn\":")
    };
    let mut it = new.lines();
    let mut replaced = 0;
    old.lines().all(|l| {
        if is_depends_on(l) {
            // Either kept, or replaced by the line of the same position.
            let mut probe = it.clone();
            if probe.any(|n| n == l) {
                it = probe;
                return true;
            }
            replaced += 1;
            return replaced <= 1 && it.any(is_depends_on);
        }
        it.any(|n| n == l)
    })
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("dir");
    for e in std::fs::read_dir(from).expect("read").flatten() {
        let p = e.path();
        if p.is_file() {
            std::fs::copy(&p, to.join(e.file_name())).expect("copy");
        }
    }
}

#[test]
fn one_more_grant_adds_only_its_resources() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("org-matrix");
    copy_dir(&root().join("examples/org-matrix"), &dir);
    let before_ir = ir_of(&dir);
    let mut grants = std::fs::read_to_string(dir.join("grants.access")).expect("read");
    grants.push_str("\ngrant AppDeveloper to aws-team-a-leads on account app-a-dev\n");
    std::fs::write(dir.join("grants.access"), grants).expect("write");
    let after_ir = ir_of(&dir);
    assert_eq!(after_ir.assignments.len(), before_ir.assignments.len() + 1);
    let app_a_dev = after_ir
        .org
        .accounts
        .iter()
        .find(|a| a.name == "app-a-dev")
        .expect("account")
        .id
        .clone();
    let new_id = format!("AssignmentAppDeveloperAwsTeamALeads{app_a_dev}");

    for format in [CfnFormat::Yaml, CfnFormat::Json] {
        let before = emit(&before_ir, format);
        let after = emit(&after_ir, format);
        let paths = |files: &[OutFile]| files.iter().map(|f| f.path.clone()).collect::<Vec<_>>();
        assert_eq!(
            paths(&before),
            paths(&after),
            "no stack appears or disappears"
        );
        let mut changed = Vec::new();
        for (b, a) in before.iter().zip(&after) {
            if b.contents == a.contents {
                continue;
            }
            changed.push(a.path.clone());
            assert!(
                only_adds_lines(&b.contents, &a.contents),
                "{} does more than add lines",
                a.path
            );
        }
        assert_eq!(
            changed,
            vec![format!(
                "assignments-AppDeveloper.template.{}",
                format_ext(format)
            )]
        );
        if format == CfnFormat::Json {
            let b = parse_json(
                &before
                    .iter()
                    .find(|f| f.path == changed[0])
                    .expect("b")
                    .contents,
            );
            let a = parse_json(
                &after
                    .iter()
                    .find(|f| f.path == changed[0])
                    .expect("a")
                    .contents,
            );
            let (br, ar) = (
                b["Resources"].as_object().expect("r"),
                a["Resources"].as_object().expect("r"),
            );
            let added: Vec<&String> = ar.keys().filter(|k| !br.contains_key(*k)).collect();
            assert_eq!(added, vec![&new_id]);
            let mut relinked = Vec::new();
            for (k, v) in br {
                if &ar[k] != v {
                    // Only the next assignment of the new one's chain, and
                    // only its DependsOn, which now names the new one.
                    assert_eq!(ar[k]["DependsOn"], new_id.as_str(), "{k} changed");
                    assert_eq!(ar[&new_id]["DependsOn"], v["DependsOn"], "{k}");
                    let (mut a, mut b) = (ar[k].clone(), v.clone());
                    a.as_object_mut().expect("o").remove("DependsOn");
                    b.as_object_mut().expect("o").remove("DependsOn");
                    assert_eq!(a, b, "{k} changed more than its DependsOn");
                    relinked.push(k);
                }
            }
            assert!(relinked.len() <= 1, "{relinked:?}");
        }
    }
}

fn expect_violation(ir: &Ir, rule: &str, resource: &str) {
    let err = emit_cfn(ir, &opts(CfnFormat::Yaml), &GuardRules)
        .expect_err("the guard rules must refuse this");
    assert!(
        err.iter().any(|v| v.contains(&format!("`{rule}`"))
            && v.contains(&format!("resource `{resource}`"))
            && v.contains("permission-sets.template.yaml")
            && v.contains(".guard")),
        "expected `{rule}` on `{resource}`, got:\n{}",
        err.join("\n")
    );
}

#[test]
fn guard_rules_refuse_what_the_organisation_forbids() {
    let base = ir_of(&root().join("examples/app-developer"));
    assert!(emit_cfn(&base, &opts(CfnFormat::Yaml), &GuardRules).is_ok());

    // Through the IR, which holds minutes: outside 1h..12h is refused.
    for minutes in [780, 30, 750, 721] {
        let mut ir = base.clone();
        ir.permission_sets[0].session_duration = SessionDuration::from_minutes(minutes);
        expect_violation(
            &ir,
            "accessc_session_duration_1h_to_12h",
            "PermissionSetAppDeveloper",
        );
    }
    for minutes in [60, 720, 90, 719] {
        let mut ir = base.clone();
        ir.permission_sets[0].session_duration = SessionDuration::from_minutes(minutes);
        assert!(
            emit_cfn(&ir, &opts(CfnFormat::Yaml), &GuardRules).is_ok(),
            "{minutes}"
        );
    }
    // The rule reads the template's text: every spelling a template may carry.
    let sets = emit_cfn(&base, &opts(CfnFormat::Json), &GuardRules)
        .expect("the base program emits")
        .into_iter()
        .find(|f| f.path == "permission-sets.template.json")
        .expect("the permission-set template");
    let written = r#""SessionDuration": "PT4H""#;
    assert!(sets.contents.contains(written), "{}", sets.contents);
    let with = |spelling: &str| {
        let text = sets
            .contents
            .replace(written, &format!(r#""SessionDuration": "{spelling}""#));
        accessc_guard::check(&[(sets.path.clone(), text)])
    };
    for bad in ["PT13H", "PT30M", "PT12H30M", "PT721M", "PT3600S", "P1D"] {
        let v = with(bad);
        assert!(
            v.iter()
                .any(|m| m.contains("`accessc_session_duration_1h_to_12h`")
                    && m.contains("resource `PermissionSetAppDeveloper`")),
            "{bad}: {v:?}"
        );
    }
    for good in ["PT1H", "PT12H", "PT90M", "PT11H59M", "PT720M"] {
        assert_eq!(with(good), Vec::<String>::new(), "{good}");
    }

    let star =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    let mut ir = base.clone();
    ir.permission_sets[0].inline_policy = Some(star.into());
    expect_violation(
        &ir,
        "accessc_no_star_on_star_outside_break_glass",
        "PermissionSetAppDeveloper",
    );
    let mut ir2 = base.clone();
    ir2.permission_sets[0].inline_policy =
        Some(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","*:*"],"Resource":["*"]}]}"#.into());
    expect_violation(
        &ir2,
        "accessc_no_star_on_star_outside_break_glass",
        "PermissionSetAppDeveloper",
    );
    // A deny of * on *, or * on one resource, is not "* on *".
    let mut ok = base.clone();
    ok.permission_sets[0].inline_policy = Some(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"},{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b"}]}"#.into(),
    );
    assert!(emit_cfn(&ok, &opts(CfnFormat::Yaml), &GuardRules).is_ok());
    // The same statement in a break-glass set is allowed (and alarmed).
    ir.permission_sets[0].break_glass = Some(accessc_core::ir::BreakGlass { notify: None });
    assert!(emit_cfn(&ir, &opts(CfnFormat::Yaml), &GuardRules).is_ok());

    let mut ir = base.clone();
    ir.permission_sets[0].name = "AWSAppDeveloper".into();
    for a in &mut ir.assignments {
        a.permission_set = "AWSAppDeveloper".into();
    }
    expect_violation(
        &ir,
        "accessc_permission_set_not_named_aws",
        "PermissionSetAWSAppDeveloper",
    );
}

#[test]
fn guard_rules_check_what_accessc_always_writes() {
    use accessc_guard::check as check_guard_rules;
    let ps = |tags: &str| {
        format!(
            r#"{{"Resources": {{"PermissionSetX": {{"Type": "AWS::SSO::PermissionSet", "Properties":
            {{"Name": "X", "InstanceArn": "arn", "SessionDuration": "PT1H", "Tags": {tags}}}}}}}}}"#
        )
    };
    let v = check_guard_rules(&[("t.json".into(), ps(r#"[{"Key": "Owner", "Value": "me"}]"#))]);
    assert!(
        v.iter()
            .any(|m| m.contains("`accessc_permission_set_managed_by_tag`")
                && m.contains("resource `PermissionSetX`")),
        "{v:?}"
    );
    let v = check_guard_rules(&[(
        "t.json".into(),
        ps(
            r#"[{"Key": "ManagedBy", "Value": "accessc"}, {"Key": "accessc:BreakGlass", "Value": "true"}]"#,
        ),
    )]);
    for what in ["metric filter", "alarm"] {
        assert!(
            v.iter().any(|m| m.contains("`accessc_break_glass_alarmed`")
                && m.contains("resource `PermissionSetX`")
                && m.contains(what)),
            "{v:?}"
        );
    }
    let assignment = r#"{"Resources": {"AssignmentX": {"Type": "AWS::SSO::Assignment", "Properties":
        {"PrincipalType": "ROLE", "TargetType": "AWS_ACCOUNT"}}}}"#;
    let v = check_guard_rules(&[("t.yaml".into(), assignment.into())]);
    assert!(
        v.iter()
            .any(|m| m.contains("`accessc_assignment_principal_type`")
                && m.contains("assignment_principals.guard")
                && m.contains("resource `AssignmentX`")),
        "{v:?}"
    );
    // accessc's own break-glass output passes every rule.
    let files = emit(
        &ir_of(&root().join("examples/break-glass")),
        CfnFormat::Yaml,
    );
    let ts: Vec<(String, String)> = templates(&files)
        .iter()
        .map(|f| (f.path.clone(), f.contents.clone()))
        .collect();
    assert_eq!(check_guard_rules(&ts), Vec::<String>::new());
}

/// CloudWatch Logs' `*` wildcard: any run of characters.
fn glob_match(pattern: &str, s: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !s.starts_with(first)
        || !s[first.len()..].ends_with(last)
        || s.len() < first.len() + last.len()
    {
        return false;
    }
    let mut rest = &s[first.len()..s.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

#[test]
fn break_glass_filter_matches_both_role_arn_shapes() {
    use accessc_core::emit::cfn::{break_glass_filter_pattern, break_glass_role_glob};
    let glob = break_glass_role_glob("BreakGlassAdmin");
    let without_region =
        "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_BreakGlassAdmin_0123456789abcdef";
    let with_region = "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/ap-northeast-1/AWSReservedSSO_BreakGlassAdmin_0123456789abcdef";
    let gov = "arn:aws-us-gov:iam::111111111111:role/aws-reserved/sso.amazonaws.com/us-gov-west-1/AWSReservedSSO_BreakGlassAdmin_0123456789abcdef";
    for arn in [without_region, with_region, gov] {
        assert!(glob_match(&glob, arn), "{arn}");
    }
    for other in [
        "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_BreakGlassAdminLite_0123456789abcdef",
        "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AppDeveloper_0123456789abcdef",
        "arn:aws:iam::111111111111:role/XAWSReservedSSO_BreakGlassAdmin_0123456789abcdef",
    ] {
        assert!(!glob_match(&glob, other), "{other}");
    }
    let pattern = break_glass_filter_pattern("BreakGlassAdmin");
    assert!(pattern.contains("$.eventName = \"AssumeRoleWithSAML\""));
    assert!(pattern.contains(&format!("$.requestParameters.roleArn = \"{glob}\"")));
}

#[test]
fn an_empty_program_gives_only_the_deploy_files() {
    let files = emit(&Ir::default(), CfnFormat::Yaml);
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["DEPLOY.md", "deploy-order.json"]);
}

/// The program of [`resource_arns_the_checker_refuses_are_those_cfn_lint_rejects`]:
/// valid condition keys and policy variables, and one resource to replace.
const VARIABLES_PROGRAM: &str = r#"
attributes {
  Department = "${path:enterprise.department}"
}

org {
  root "r-ab12"
  management "999999999999"
  ou Workloads "ou-ab12-11111111" { account app-a-dev "111111111111" }
  account management "999999999999"
}

policy Home {
  Probe: allow iam:GetUser, s3:GetObject on "RESOURCE"
  Roles: allow iam:GetRole
    on "arn:aws:iam::*:role/app/${aws:PrincipalTag/Department}-*"
    when StringEquals "aws:requestedregion" ["eu-west-1"]
  Listing: allow s3:ListBucket on "arn:aws:s3:::home"
    when StringLike "s3:prefix" ["${aws:username}/*", "${aws:PrincipalTag/Department, 'none'}/*"]
    and NumericLessThanIfExists "aws:MultiFactorAuthAge" "3600"
}

function Developer {
  session 4h
  boundary PowerUserAccess
  inline Home
}

group aws-team-a-engineers

grant Developer to aws-team-a-engineers on Workloads
"#;

/// Resources with policy variables and odd fields: the checker refuses
/// (A302) exactly those that cfn-lint's rule E3510 rejects in the built
/// template, and the ones it accepts build to templates cfn-lint passes. A
/// variable's own `:` once split such an ARN into fields
/// (`arn:aws:iam::${aws:PrincipalAccount}:user/x` passed the checker and
/// failed E3510).
#[test]
fn resource_arns_the_checker_refuses_are_those_cfn_lint_rejects() {
    const PLACEHOLDER: &str = "arn:aws:s3:::placeholder/*";
    const RESOURCES: &[&str] = &[
        "arn:aws:iam::*:role/app/${aws:PrincipalTag/Department}-*",
        "arn:aws:s3:::home/${aws:username}/*",
        "arn:aws:s3:::teams/${aws:PrincipalTag/Department, 'none'}/*",
        "arn:aws:s3:::literal/${*}${?}${$}/*",
        "arn:aws-us-gov:iam::111111111111:user/${aws:username}",
        "arn:*:iam::aws:policy/${aws:username}",
        "arn:aws:iam::${aws:PrincipalAccount}:user/x",
        "arn:aws:s3:${aws:RequestedRegion}::bucket/*",
        "arn:${aws:PrincipalTag/Department}:iam::111111111111:user/x",
        "arn:aws:iam::11111111111*:user/x",
        "arn:aws:iam::1111:user/${aws:username}",
        "arn:a*:iam::111111111111:user/x",
    ];
    let tmp = tempfile::tempdir().expect("tmp");
    let program = |name: &str, resource: &str| {
        let dir = tmp.path().join(name);
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(
            dir.join("main.access"),
            VARIABLES_PROGRAM.replace("RESOURCE", resource),
        )
        .expect("write");
        dir
    };
    let mut refused = BTreeSet::new();
    for (i, r) in RESOURCES.iter().enumerate() {
        let prog = load(&RealFs, &program(&format!("p{i:02}"), r)).expect("load");
        let checked = check(
            &prog,
            &CheckOptions {
                today: Today::parse(TODAY).expect("date"),
            },
        );
        let codes: BTreeSet<&str> = checked
            .diagnostics
            .iter()
            .map(|d| d.code.as_str())
            .collect();
        assert!(
            codes.is_empty() || codes == BTreeSet::from(["A302"]),
            "{r}: {codes:?}"
        );
        if !codes.is_empty() {
            refused.insert(r.to_string());
        }
    }
    assert!(refused.len() >= 5, "{refused:?}");

    // One template with the placeholder, then one copy per resource.
    let ir = ir_of(&program("placeholder", PLACEHOLDER));
    let json = emit(&ir, CfnFormat::Json);
    let template = templates(&json)
        .into_iter()
        .find(|f| f.contents.contains(PLACEHOLDER))
        .expect("the template with the inline policy");
    let mut paths = Vec::new();
    for (i, r) in RESOURCES.iter().enumerate() {
        let text = template.contents.replace(PLACEHOLDER, r);
        assert!(parse_json(&text).is_object());
        let path = tmp.path().join(format!("r{i:02}.json"));
        std::fs::write(&path, text).expect("write");
        paths.push(path);
    }
    let (_, findings) = cfn_lint(&paths);
    let mut rejected = BTreeSet::new();
    for (i, r) in RESOURCES.iter().enumerate() {
        let name = format!("r{i:02}.json");
        let mine: Vec<&String> = findings.iter().filter(|f| f.contains(&name)).collect();
        if mine.iter().any(|f| f.contains(":E3510:")) {
            rejected.insert(r.to_string());
        }
        assert!(
            mine.iter().all(|f| f.contains(":E3510:")),
            "{r}: other findings {mine:?}"
        );
    }
    assert_eq!(refused, rejected, "checker refuses ≠ cfn-lint rejects");
}
