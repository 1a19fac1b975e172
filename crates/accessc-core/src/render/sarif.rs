//! Diagnostics as SARIF 2.1.0, one run, with the codes as rules.

use crate::diagnostic::{Diagnostic, Severity};
use crate::explain;
use crate::span::{SourceMap, Span};
use serde_json::{json, Value};

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn location(span: Span, sources: &SourceMap) -> Value {
    let f = sources.get(span.file);
    let (sl, sc) = f.line_col(span.start);
    let (el, ec) = f.line_col(span.end);
    json!({
        "physicalLocation": {
            "artifactLocation": { "uri": uri(&f.name) },
            "region": { "startLine": sl, "startColumn": sc, "endLine": el, "endColumn": ec }
        }
    })
}

/// A relative URI reference for a file name (`<std>/x` stays readable).
fn uri(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim_start_matches("./").chars() {
        match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '-' | '.' | '_' | '~' | '/' => out.push(c),
            '\\' => out.push('/'),
            c => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
        }
    }
    out
}

pub fn render_sarif(diags: &[Diagnostic], sources: &SourceMap) -> String {
    sarif_document(sarif_results(diags, sources))
}

/// The SARIF `results` of some diagnostics, to gather several programs' into
/// one [`sarif_document`].
pub fn sarif_results(diags: &[Diagnostic], sources: &SourceMap) -> Vec<Value> {
    let infos: Vec<&explain::CodeInfo> = explain::all().collect();
    diags
        .iter()
        .map(|d| {
            let mut message = d.message.clone();
            if let Some(h) = &d.help {
                message.push_str("\nhelp: ");
                message.push_str(h);
            }
            let mut r = json!({
                "ruleId": d.code.as_str(),
                "level": level(d.severity),
                "message": { "text": message },
                "locations": [location(d.span, sources)],
            });
            let Some(fields) = r.as_object_mut() else {
                return r;
            };
            if let Some(i) = infos.iter().position(|i| i.code == d.code.as_str()) {
                fields.insert("ruleIndex".into(), json!(i));
            }
            if !d.labels.is_empty() {
                fields.insert(
                    "relatedLocations".into(),
                    Value::Array(
                        d.labels
                            .iter()
                            .enumerate()
                            .map(|(n, l)| {
                                let mut loc = location(l.span, sources);
                                if let Some(o) = loc.as_object_mut() {
                                    o.insert("id".into(), json!(n));
                                    o.insert("message".into(), json!({ "text": l.message }));
                                }
                                loc
                            })
                            .collect(),
                    ),
                );
            }
            r
        })
        .collect()
}

/// One SARIF 2.1.0 document (one run, every code as a rule) holding `results`.
pub fn sarif_document(results: Vec<Value>) -> String {
    let infos: Vec<&explain::CodeInfo> = explain::all().collect();
    let rules: Vec<Value> = infos
        .iter()
        .map(|i| {
            json!({
                "id": i.code,
                "shortDescription": { "text": i.title },
                "help": { "text": i.page, "markdown": i.page },
                "defaultConfiguration": { "level": level(i.severity) }
            })
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "accessc",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules
            }},
            "columnKind": "unicodeCodePoints",
            "results": results
        }]
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
