//! The pipeline every fuzz target runs on one program, and the properties it
//! asserts. The normal test suite runs the same file on the checked-in
//! regression inputs (`tests/fuzz_regressions.rs` includes it), so it uses
//! nothing but `accessc` and `serde_json`.
//!
//! For every input: load (through an in-memory file system, so no input can
//! reach the real one) → check → render the diagnostics as text (with and
//! without colour), JSON and SARIF → if the file parses, format it and
//! require the result to parse and to format to itself. For an input that
//! checks clean (no errors): lower to the IR and emit every target in memory
//! (IR, CloudFormation in YAML or JSON with every template rendered,
//! Terraform), then require the formatted text to check clean too and to
//! lower to the same IR.

use accessc_core::load::{load_texts, FileSystem, Program};
use accessc_core::render::{render_human, render_json, render_sarif, summary, HumanOptions};
use accessc_core::{check, CheckOptions, Today};
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

/// The directory every program is loaded from (it exists only in memory).
pub const BASE: &str = "/fuzz-program";

/// The name of the program's one root file.
pub const MAIN: &str = "main.access";

/// The date every check is judged against.
pub const TODAY: &str = "2026-11-28";

/// A file system that holds only the files it was given: `use`, `org from`
/// and `from json` see these and nothing else.
#[derive(Default, Clone)]
pub struct MemFs {
    files: BTreeMap<PathBuf, Vec<u8>>,
}

impl MemFs {
    /// The files, by name relative to [`BASE`].
    pub fn new(files: &[(String, Vec<u8>)]) -> MemFs {
        MemFs {
            files: files
                .iter()
                .map(|(name, bytes)| (Path::new(BASE).join(name), bytes.clone()))
                .collect(),
        }
    }
}

impl FileSystem for MemFs {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file"))
    }

    fn is_dir(&self, path: &Path) -> bool {
        self.files.keys().any(|f| f.parent() == Some(path))
    }

    fn access_files(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        Ok(self
            .files
            .keys()
            .filter(|f| f.parent() == Some(dir) && f.extension().is_some_and(|e| e == "access"))
            .cloned()
            .collect())
    }

    /// Paths are resolved by their text alone (there are no links in memory):
    /// `.` and `..` folded, and only a held file or a folder of one exists.
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        let mut out = PathBuf::new();
        for c in path.components() {
            match c {
                std::path::Component::CurDir => {}
                std::path::Component::ParentDir => {
                    out.pop();
                }
                other => out.push(other.as_os_str()),
            }
        }
        if self.files.contains_key(&out) || self.is_dir(&out) {
            Ok(out)
        } else {
            Err(io::Error::new(io::ErrorKind::NotFound, "no such file"))
        }
    }
}

/// The files every program can name: a used module, an org snapshot and
/// policy documents, good and bad.
pub fn fixture_files() -> Vec<(String, Vec<u8>)> {
    let files: [(&str, &str); 5] = [
        (
            "shared.access",
            "group shared-readers \"Shared Readers\"\n\
             policy SharedLogs {\n  allow logs:Get*, logs:Describe* on *\n}\n",
        ),
        (
            "org.json",
            r#"{
  "format": "accessc-org/1",
  "root": "r-ab12",
  "management_account": "999999999999",
  "accounts": [{ "name": "management", "id": "999999999999" }],
  "ous": [
    { "name": "Workloads", "id": "ou-ab12-11111111", "accounts": [],
      "ous": [{ "name": "NonProd", "id": "ou-ab12-22222222",
                "accounts": [{ "name": "dev", "id": "111111111111" }], "ous": [] }] },
    { "name": "Security", "id": "ou-ab12-44444444",
      "accounts": [{ "name": "audit", "id": "444444444444" }], "ous": [] }
  ],
  "identity_store": {
    "id": "d-1234567890",
    "groups": { "eng": "9067a2c4-1111-2222-3333-444455556666" },
    "users": { "ext@example.com": "90677c42-aaaa-bbbb-cccc-ddddeeeeffff" }
  }
}
"#,
        ),
        (
            "policy.json",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"*"}]}"#,
        ),
        (
            "broken.json",
            "{\"Version\": \"2012-10-17\", \"Statement\": [",
        ),
        (
            "wrong-shape.json",
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Maybe","Action":7}}"#,
        ),
    ];
    files
        .iter()
        .map(|(n, t)| (n.to_string(), t.as_bytes().to_vec()))
        .collect()
}

/// What one run found (for statistics; every failed property panics).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The root file parsed (no A100 in it).
    pub parsed: bool,
    /// The program checked with no error.
    pub clean: bool,
    /// CloudFormation refused the IR (guard rules or limits): a build error,
    /// not a crash.
    pub cfn_refused: bool,
    /// The codes of the errors, in order.
    pub errors: Vec<&'static str>,
}

fn load(fs: &MemFs, text: &str) -> Program {
    load_texts(fs, Path::new(BASE), vec![(MAIN.into(), text.to_string())])
}

fn today() -> Today {
    // INVARIANT: a valid constant date.
    Today::parse(TODAY).expect("TODAY is a date")
}

/// A generated file's name is a plain name in the output directory.
fn assert_plain_name(target: &str, name: &str) {
    assert!(
        !name.is_empty()
            && name.len() <= 255
            && !name.starts_with('.')
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')),
        "{target} emitted a file name that is not a plain name: {name:?}"
    );
}

/// Runs the whole pipeline on `text` (the file `main.access` in [`BASE`],
/// beside `files`) and asserts every property; panics when one fails.
pub fn run(text: &str, files: &[(String, Vec<u8>)]) -> Outcome {
    let fs = MemFs::new(files);
    let prog = load(&fs, text);
    let checked = check(&prog, &CheckOptions { today: today() });
    let diags = &checked.diagnostics;

    // Diagnostics in every format.
    for opts in [
        HumanOptions::default(),
        HumanOptions {
            color: true,
            width: 120,
        },
        HumanOptions {
            color: false,
            width: 20,
        },
    ] {
        let _ = render_human(diags, &prog.sources, opts);
    }
    let _ = summary(diags);
    let json: serde_json::Value =
        serde_json::from_str(&render_json(diags, &prog.sources)).expect("JSON diagnostics parse");
    assert_eq!(
        json.as_array().map(Vec::len),
        Some(diags.len()),
        "the JSON diagnostics are not one entry per diagnostic"
    );
    let sarif: serde_json::Value =
        serde_json::from_str(&render_sarif(diags, &prog.sources)).expect("SARIF parses");
    assert_eq!(
        sarif["runs"][0]["results"].as_array().map(Vec::len),
        Some(diags.len()),
        "the SARIF results are not one per diagnostic"
    );

    let root = prog.roots[0];
    let parsed = !prog
        .diagnostics
        .iter()
        .any(|d| d.code.is_syntax() && d.span.file == root);
    let clean = !checked.has_errors();
    let mut outcome = Outcome {
        parsed,
        clean,
        cfn_refused: false,
        errors: diags
            .iter()
            .filter(|d| d.severity == accessc_core::diagnostic::Severity::Error)
            .map(|d| d.code.as_str())
            .collect(),
    };

    // Formatting: parses again, idempotent.
    let mut formatted = None;
    if parsed {
        let module = prog
            .modules
            .iter()
            .find(|m| m.file == root)
            .expect("the root file has a module");
        let once = accessc_core::fmt::format_module(module, text);
        let again = load(&fs, &once);
        let root2 = again.roots[0];
        let syntax: Vec<_> = again
            .diagnostics
            .iter()
            .filter(|d| d.code.is_syntax() && d.span.file == root2)
            .map(|d| d.message.clone())
            .collect();
        assert!(
            syntax.is_empty(),
            "the formatted text does not parse ({syntax:?}):\n{once}"
        );
        let module2 = again
            .modules
            .iter()
            .find(|m| m.file == root2)
            .expect("the root file has a module");
        let twice = accessc_core::fmt::format_module(module2, &once);
        assert!(
            once == twice,
            "fmt is not idempotent:\n--- once\n{once}\n--- twice\n{twice}"
        );
        formatted = Some((once, again));
    }

    if !clean {
        return outcome;
    }

    // Every backend, in memory.
    let ir = accessc_core::model_to_ir::lower(
        checked
            .checked_model()
            .expect("a clean program has no errors"),
    );
    let ir_files = accessc_core::emit::emit_ir(&ir);
    assert_eq!(ir_files.len(), 1);
    for f in &ir_files {
        assert_plain_name("ir", &f.path);
        let back: accessc_core::ir::Ir =
            serde_json::from_str(&f.contents).expect("the emitted IR is valid JSON of the IR");
        assert!(back == ir, "the emitted IR does not read back as itself");
    }
    // Two items whose addresses would coincide are a refusal, not a failure.
    let terraform = accessc_core::emit::terraform::emit_terraform(&ir).unwrap_or_default();
    for f in terraform {
        assert_plain_name("terraform", &f.path);
        assert!(
            !f.contents.contains("# accessc: cannot render"),
            "a Terraform template failed to render {}:\n{}",
            f.path,
            f.contents
        );
    }
    // One template format per input (the guard rules are most of the
    // time of a run): YAML for inputs of even length, JSON for odd.
    let format = if text.len() % 2 == 0 {
        accessc_core::emit::cfn::CfnFormat::Yaml
    } else {
        accessc_core::emit::cfn::CfnFormat::Json
    };
    {
        let opts = accessc_core::emit::cfn::CfnOptions {
            format,
            ..Default::default()
        };
        match accessc_core::emit::cfn::prepare_cfn(&ir, &opts, &accessc_guard::GuardRules) {
            Ok(output) => {
                let paths = output.paths();
                let files = output.into_files();
                let got: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
                assert_eq!(got, paths, "cfn rendered other files than it announced");
                for f in &files {
                    assert_plain_name("cfn", &f.path);
                    if f.path.ends_with(".json") {
                        serde_json::from_str::<serde_json::Value>(&f.contents).unwrap_or_else(
                            |e| panic!("cfn wrote invalid JSON in {}: {e}", f.path),
                        );
                    }
                }
            }
            Err(violations) => {
                assert!(!violations.is_empty(), "cfn refused with no reason");
                outcome.cfn_refused = true;
            }
        }
    }

    // The formatted program means the same.
    if let Some((once, again)) = formatted {
        let checked2 = check(&again, &CheckOptions { today: today() });
        let errors: Vec<_> = checked2
            .diagnostics
            .iter()
            .filter(|d| d.severity == accessc_core::diagnostic::Severity::Error)
            .map(|d| format!("{} {}", d.code, d.message))
            .collect();
        assert!(
            errors.is_empty(),
            "the formatted program has errors the original has not: {errors:?}\n{once}"
        );
        let ir2 = accessc_core::model_to_ir::lower(
            checked2.checked_model().expect("no errors, asserted above"),
        );
        assert!(
            ir2 == ir,
            "fmt changed the program's IR:\n--- original\n{text}\n--- formatted\n{once}\n--- IR before\n{}\n--- IR after\n{}",
            ir.to_json(),
            ir2.to_json()
        );
    }
    outcome
}
