//! `--target cfn`: the IR as CloudFormation templates for the management
//! account (or a delegated administrator), split into stacks that stay inside
//! CloudFormation's limits, plus the deploy order. Every template passes the
//! organisation's guard rules before it is returned. See
//! `docs/cloudformation.md` for the layout and its reasons.
//!
//! | file | builds |
//! |---|---|
//! | `ir_to_units.rs` | resources and parameters from the IR, grouped into units |
//! | `split.rs` | units into stacks (extendible hashing under the limits) |
//! | `template.rs` | a stack's template as a JSON value and text |
//! | `yaml.rs` | deterministic YAML for a JSON value |
//! | `names.rs` | logical IDs, parameter names, the stable hash |
//! | `guard.rs` | the guard rules run on each template |
//! | `deploy.rs` | `DEPLOY.md` and `deploy-order.json` |

mod deploy;
mod guard;
mod ir_to_units;
pub mod names;
mod split;
mod template;
mod yaml;

use crate::emit::OutFile;
use crate::ir::Ir;
pub use guard::RULE_FILES as GUARD_RULE_FILES;
pub use ir_to_units::{
    break_glass_filter_pattern, break_glass_role_glob, BREAK_GLASS_TAG, DEFAULT_PREFIX,
};
pub use split::{MAX_BYTES, MAX_OUTPUTS, MAX_PARAMETERS, MAX_RESOURCES};
use template::Template;

/// The text format of the templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CfnFormat {
    #[default]
    Yaml,
    Json,
}

impl CfnFormat {
    pub fn extension(self) -> &'static str {
        match self {
            CfnFormat::Yaml => "yaml",
            CfnFormat::Json => "json",
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct CfnOptions {
    pub format: CfnFormat,
}

/// The deployment stage of a stack: policies, then permission sets, then assignments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Stage {
    Policies = 1,
    PermissionSets = 2,
    Assignments = 3,
}

/// One stack of the output.
pub(crate) struct Stack {
    pub stage: Stage,
    /// `permission-sets`, `assignments-AppDeveloper-3`: the file name without
    /// `.template.yaml`, and the stack name after the prefix.
    pub stem: String,
    pub file: String,
    pub params: Vec<String>,
}

/// Runs the organisation's guard rules on `(file name, template text)` pairs
/// (YAML or JSON); returns the violations, each naming the rule, its file, the
/// template and the resource. `emit_cfn` runs this on every template it emits.
pub fn check_guard_rules(templates: &[(String, String)]) -> Vec<String> {
    guard::check(templates)
}

/// Every file of the CloudFormation output, or the guard-rule violations that forbid it.
pub fn emit_cfn(ir: &Ir, opts: &CfnOptions) -> Result<Vec<OutFile>, Vec<String>> {
    let format = opts.format;
    let mut units = ir_to_units::build(ir, format);
    let mut errors = units.errors.clone();
    let region = ir.instance.region.clone();

    let mut plan: Vec<(Stage, String, Template)> = Vec::new();
    let mut add = |stage: Stage, base: &str, t: Template| {
        for (bucket, part) in split::split(t, &units.params) {
            let stem = if bucket == 0 {
                base.to_string()
            } else {
                format!("{base}-{bucket}")
            };
            plan.push((stage, stem, part));
        }
    };
    add(
        Stage::Policies,
        "policies",
        Template {
            description: "accessc: customer managed policies, one service-managed StackSet per policy body (stage 1 of the deploy order)".into(),
            home_region: None,
            units: std::mem::take(&mut units.policies),
        },
    );
    add(
        Stage::PermissionSets,
        "permission-sets",
        Template {
            description: "accessc: IAM Identity Center permission sets, ABAC attributes and break-glass alarms (stage 2 of the deploy order)".into(),
            home_region: region.clone(),
            units: std::mem::take(&mut units.permission_sets),
        },
    );
    for (ps, name, list) in std::mem::take(&mut units.assignments) {
        add(
            Stage::Assignments,
            &format!("assignments-{ps}"),
            Template {
                description: format!("accessc: account assignments of permission set {name} (stage 3 of the deploy order)"),
                home_region: region.clone(),
                units: list,
            },
        );
    }

    let mut files = Vec::new();
    let mut stacks = Vec::new();
    let mut rendered = Vec::new();
    let mut embedded = Vec::new();
    // Assignment resources differ only in ids; the guard rules read their
    // principal and target types. One resource of each distinct shape, from
    // every assignment template, is checked in one run (with hundreds of
    // thousands of assignments, one guard run per template would dominate
    // the build).
    let mut assignment_shapes: std::collections::BTreeMap<
        (String, String),
        (String, serde_json::Value),
    > = std::collections::BTreeMap::new();
    let mut guarded = Vec::new();
    // Render every template (in parallel: this is the bulk of the work),
    // consuming the units as it goes so their values are freed early.
    let params = &units.params;
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 8);
    let mut indexed: Vec<(usize, (Stage, String, Template))> =
        plan.into_iter().enumerate().collect();
    let mut parts: Vec<Vec<(usize, (Stage, String, Template))>> =
        (0..workers).map(|_| Vec::new()).collect();
    for (n, item) in indexed.drain(..).enumerate() {
        parts[n % workers].push(item);
    }
    let mut done: Vec<(usize, RenderedStack)> = std::thread::scope(|sc| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|part| {
                sc.spawn(move || {
                    part.into_iter()
                        .map(|(i, (stage, stem, t))| {
                            (i, render_stack(stage, stem, t, params, format))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    done.sort_by_key(|(i, _)| *i);
    for (_, r) in done {
        errors.extend(r.error);
        embedded.extend(r.embedded);
        if r.stage == Stage::Assignments {
            for (key, v) in r.shapes {
                assignment_shapes.entry(key).or_insert(v);
            }
        } else {
            guarded.push((r.file.clone(), r.text.clone()));
        }
        stacks.push(Stack {
            stage: r.stage,
            stem: r.stem,
            file: r.file.clone(),
            params: r.params,
        });
        rendered.push((r.file, r.text));
    }
    // The guard rules also see each StackSet's embedded template.
    let mut checked = guarded;
    checked.extend(embedded);
    if !assignment_shapes.is_empty() {
        let resources: serde_json::Map<String, serde_json::Value> = assignment_shapes
            .into_values()
            .map(|(id, r)| (names::pascal(&id), r))
            .collect();
        let doc =
            serde_json::json!({"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources});
        checked.push((
            "assignments-*.template (one resource of each distinct shape)".to_string(),
            serde_json::to_string_pretty(&doc).unwrap_or_default(),
        ));
    }
    errors.extend(guard::check(&checked));
    if !errors.is_empty() {
        return Err(errors);
    }
    files.push(OutFile::new(
        "DEPLOY.md",
        deploy::deploy_md(ir, &stacks, &units),
    ));
    files.push(OutFile::new(
        "deploy-order.json",
        deploy::deploy_order_json(&stacks, &units, format),
    ));
    files.extend(rendered.into_iter().map(|(f, t)| OutFile::new(f, t)));
    Ok(files)
}

/// One rendered stack and what the guard rules need from it.
struct RenderedStack {
    stage: Stage,
    stem: String,
    file: String,
    text: String,
    params: Vec<String>,
    embedded: Vec<(String, String)>,
    shapes: Vec<((String, String), (String, serde_json::Value))>,
    error: Option<String>,
}

fn render_stack(
    stage: Stage,
    stem: String,
    t: Template,
    params: &std::collections::BTreeMap<String, template::Param>,
    format: CfnFormat,
) -> RenderedStack {
    let file = format!("{stem}.template.{}", format.extension());
    let error = if t.units.len() == 1 {
        split::over_limit(&t, params)
            .map(|why| format!("`{file}` cannot be split further and has {why}"))
    } else {
        None
    };
    let stack_params: Vec<String> = t.param_names().into_iter().map(str::to_string).collect();
    let value = t.into_value(params);
    let text = template::render(&value, format);
    let mut embedded = Vec::new();
    let mut shapes = Vec::new();
    for (id, r) in value["Resources"].as_object().into_iter().flatten() {
        if let Some(body) = r
            .pointer("/Properties/TemplateBody")
            .and_then(|b| b.as_str())
        {
            embedded.push((format!("{file}#{id}"), body.to_string()));
        }
        if stage == Stage::Assignments {
            let shape = |k: &str| {
                r.pointer(&format!("/Properties/{k}"))
                    .map(|v| v.to_string())
                    .unwrap_or_default()
            };
            let key = (shape("PrincipalType"), shape("TargetType"));
            if !shapes.iter().any(|(k, _)| *k == key) {
                shapes.push((key, (format!("{stem}{id}"), r.clone())));
            }
        }
    }
    RenderedStack {
        stage,
        stem,
        file,
        text,
        params: stack_params,
        embedded,
        shapes,
        error,
    }
}
