//! `accessc check --format sarif` against the SARIF 2.1.0 JSON schema
//! (tests/data/sarif-schema-2.1.0.json; tests/data/README.md says where it
//! comes from), plus the cross-references the schema cannot express.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

const TODAY: &str = "2026-11-28";

/// Several errors and warnings: a duplicate group (A101, with a related
/// location), an unused group (A505), a 13-hour session (A202), a function
/// without a boundary (A501), a grant repeating another (A404, with a related
/// location), an unknown function (A102) and a user grant without owner or
/// expiry (A400).
const BAD: &str = r#"org {
  management "999999999999"
  ou W "ou-ab12-11111111" {
    ou N "ou-ab12-22222222" { account a "111111111111" }
  }
  account management "999999999999"
}
group g
group g
group lonely
function F {
  session 13h
  boundary PowerUserAccess
}
function Open {
  session 2h
  managed ReadOnlyAccess
}
user bob "bob@example.com"
grant F to g on W
grant F to g on W/N
grant Open to g on W/N
grant Nope to g on W
grant F to user bob on W
"#;

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

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        let path = root().join("tests/data/sarif-schema-2.1.0.json");
        let text = std::fs::read_to_string(&path).expect("read the SARIF schema");
        let mut schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
        assert_eq!(
            schema["$schema"], "http://json-schema.org/draft-07/schema#",
            "the vendored schema is the draft-07 one"
        );
        // The draft-07 schema's two `language` patterns carry a stray `]`,
        // which ECMA-262 accepts only under Annex B (as a literal `]`); the
        // validator checks the schema itself against the draft-07
        // meta-schema, where `pattern` must be a strict ECMA-262 regex, and
        // refuses it. Escape it: the same regex, now strictly valid. (OASIS
        // errata 01 rewrote it as `^[a-zA-Z]{2}(-[a-zA-Z]{2})?$`.) accessc
        // writes no `language`, so no output depends on this.
        let fixed = escape_stray_bracket(&mut schema);
        assert_eq!(fixed, 2, "expected the two known `language` patterns");
        jsonschema::draft7::options()
            .should_validate_formats(true)
            .build(&schema)
            .expect("the SARIF schema compiles")
    })
}

fn escape_stray_bracket(v: &mut Value) -> usize {
    const STRAY: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";
    const ESCAPED: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$";
    match v {
        Value::Object(map) => {
            let mut n = 0;
            for (k, child) in map.iter_mut() {
                if k == "pattern" && child == STRAY {
                    *child = Value::from(ESCAPED);
                    n += 1;
                } else {
                    n += escape_stray_bracket(child);
                }
            }
            n
        }
        Value::Array(items) => items.iter_mut().map(escape_stray_bracket).sum(),
        _ => 0,
    }
}

/// Runs `accessc check <paths> --format sarif --today TODAY` and parses stdout.
fn sarif(paths: &[&Path]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_accessc"))
        .arg("check")
        .args(paths)
        .args(["--format", "sarif", "--today", TODAY])
        .env("NO_COLOR", "1")
        .output()
        .expect("run accessc");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "accessc check {paths:?} exited {:?}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "accessc check {paths:?}: stdout is not JSON ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// Schema validation, reporting every error with its instance path.
fn assert_valid(what: &str, doc: &Value) {
    let errors: Vec<String> = validator()
        .iter_errors(doc)
        .map(|e| {
            let at = e.instance_path().as_str();
            format!(
                "  at {} (schema {}): {e}",
                if at.is_empty() { "/ (the root)" } else { at },
                e.schema_path().as_str()
            )
        })
        .collect();
    assert!(
        errors.is_empty(),
        "{what}: SARIF output does not validate against SARIF 2.1.0 ({} errors):\n{}",
        errors.len(),
        errors.join("\n")
    );
}

fn check_region(what: &str, loc: &Value) {
    let region = &loc["physicalLocation"]["region"];
    let n = |k: &str| -> u64 {
        region[k]
            .as_u64()
            .unwrap_or_else(|| panic!("{what}: region.{k} missing in {loc}"))
    };
    let (sl, sc, el, ec) = (
        n("startLine"),
        n("startColumn"),
        n("endLine"),
        n("endColumn"),
    );
    assert!(
        sl >= 1 && sc >= 1 && el >= 1 && ec >= 1,
        "{what}: region not 1-based: {region}"
    );
    assert!(
        (el, ec) >= (sl, sc),
        "{what}: region ends before it starts: {region}"
    );
    let uri = loc["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap_or_else(|| panic!("{what}: no artifactLocation.uri in {loc}"));
    assert!(!uri.is_empty(), "{what}: empty uri");
}

/// What the schema cannot say: results point at rules that exist, rule
/// indexes agree with rule ids, regions are 1-based and ordered, related
/// location ids are unique within a result. Returns the results.
fn assert_consistent(what: &str, doc: &Value) -> Vec<Value> {
    assert_eq!(doc["version"], "2.1.0", "{what}");
    let runs = doc["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1, "{what}: one run");
    let run = &runs[0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "accessc", "{what}");
    let rules = driver["rules"].as_array().expect("driver.rules");
    assert!(!rules.is_empty(), "{what}: no rules");
    let ids: Vec<&str> = rules
        .iter()
        .map(|r| r["id"].as_str().expect("rule id"))
        .collect();
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "{what}: duplicate rule ids");
    for r in rules {
        let level = &r["defaultConfiguration"]["level"];
        assert!(
            level == "error" || level == "warning",
            "{what}: rule {} default level {level}",
            r["id"]
        );
    }
    let results = run["results"]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: run.results must be present (an actual scan)"));
    for (n, res) in results.iter().enumerate() {
        let what = format!("{what}: result {n}");
        let rule_id = res["ruleId"].as_str().expect("ruleId");
        assert!(
            unique.contains(rule_id),
            "{what}: ruleId {rule_id} is not among the driver rules"
        );
        let idx = res["ruleIndex"]
            .as_u64()
            .unwrap_or_else(|| panic!("{what}: no ruleIndex for {rule_id}"));
        let idx = usize::try_from(idx).expect("index");
        assert!(idx < rules.len(), "{what}: ruleIndex {idx} out of range");
        assert_eq!(
            rules[idx]["id"], rule_id,
            "{what}: ruleIndex {idx} names a different rule"
        );
        let level = &res["level"];
        assert!(
            level == "error" || level == "warning",
            "{what}: level {level}"
        );
        assert!(
            res["message"]["text"]
                .as_str()
                .is_some_and(|t| !t.is_empty()),
            "{what}: empty message"
        );
        let locs = res["locations"].as_array().expect("locations");
        assert_eq!(locs.len(), 1, "{what}: one primary location");
        check_region(&what, &locs[0]);
        if let Some(related) = res.get("relatedLocations") {
            let related = related.as_array().expect("relatedLocations array");
            let mut seen = HashSet::new();
            for loc in related {
                check_region(&what, loc);
                let id = loc["id"].as_u64().expect("related location id");
                assert!(seen.insert(id), "{what}: related location id {id} twice");
                assert!(
                    loc["message"]["text"].as_str().is_some(),
                    "{what}: related location without a message"
                );
            }
        }
    }
    results.clone()
}

#[test]
fn the_schema_rejects_broken_variants_of_real_output() {
    // A guard against a validator that accepts everything: the real output
    // for the bad program validates, and each small breakage of it does not.
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("bad.access");
    std::fs::write(&path, BAD).expect("write");
    let doc = sarif(&[&path]);
    assert_valid("bad program", &doc);
    let v = validator();
    type Break = fn(&mut Value);
    let breaks: [(&str, Break); 9] = [
        ("no version", |d| {
            d.as_object_mut().expect("object").remove("version");
        }),
        ("version 2.0.0", |d| d["version"] = "2.0.0".into()),
        ("unknown top-level property", |d| d["extra"] = true.into()),
        ("run without tool", |d| {
            d["runs"][0].as_object_mut().expect("run").remove("tool");
        }),
        ("level fatal", |d| {
            d["runs"][0]["results"][0]["level"] = "fatal".into()
        }),
        ("0-based line", |d| {
            d["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
                0.into();
        }),
        ("0-based column of a related location", |d| {
            d["runs"][0]["results"][0]["relatedLocations"][0]["physicalLocation"]["region"]
                ["startColumn"] = 0.into();
        }),
        ("message without text", |d| {
            d["runs"][0]["results"][0]["message"] = serde_json::json!({});
        }),
        ("uri that is no URI reference", |d| {
            d["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
                ["uri"] = "a file.access".into();
        }),
    ];
    for (what, f) in breaks {
        let mut broken = doc.clone();
        f(&mut broken);
        assert!(!v.is_valid(&broken), "schema accepted output with {what}");
    }
}

#[test]
fn errors_and_warnings_with_related_locations_validate() {
    let dir = tempfile::tempdir().expect("tmp");
    // A name that needs percent-encoding in the artifact URI.
    let path = dir.path().join("ünï code.access");
    std::fs::write(&path, BAD).expect("write");
    let doc = sarif(&[&path]);
    assert_valid("bad program", &doc);
    let results = assert_consistent("bad program", &doc);

    let codes: HashSet<&str> = results
        .iter()
        .map(|r| r["ruleId"].as_str().expect("ruleId"))
        .collect();
    for code in ["A101", "A102", "A202", "A400", "A404", "A501", "A505"] {
        assert!(codes.contains(code), "expected {code} among {codes:?}");
    }
    assert!(results.iter().any(|r| r["level"] == "error"));
    assert!(results.iter().any(|r| r["level"] == "warning"));
    let dup = results
        .iter()
        .find(|r| r["ruleId"] == "A101")
        .expect("A101");
    let related = dup["relatedLocations"].as_array().expect("A101 related");
    assert!(!related.is_empty());
    // `group g` twice: the duplicate at line 9, the first definition at line 8.
    assert_eq!(
        dup["locations"][0]["physicalLocation"]["region"]["startLine"],
        9
    );
    assert_eq!(related[0]["physicalLocation"]["region"]["startLine"], 8);
    let uri = dup["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .expect("uri");
    assert!(
        uri.ends_with("%C3%BCn%C3%AF%20code.access"),
        "artifact uri not percent-encoded: {uri}"
    );
}

#[test]
fn every_example_validates() {
    let examples = root().join("examples");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&examples)
        .expect("examples/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 5, "examples: {dirs:?}");
    for dir in &dirs {
        let what = dir.display().to_string();
        let doc = sarif(&[dir]);
        assert_valid(&what, &doc);
        assert_consistent(&what, &doc);
    }
    // All of them in one invocation: the results of several programs merged
    // into one run must still validate and still point at the right rules.
    let all: Vec<&Path> = dirs.iter().map(PathBuf::as_path).collect();
    let doc = sarif(&all);
    assert_valid("all examples", &doc);
    assert_consistent("all examples", &doc);
}

#[test]
fn a_clean_program_has_an_empty_results_array() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("good.access");
    std::fs::write(&path, GOOD).expect("write");
    let doc = sarif(&[&path]);
    assert_valid("clean program", &doc);
    let results = assert_consistent("clean program", &doc);
    assert!(results.is_empty(), "{results:?}");
}
