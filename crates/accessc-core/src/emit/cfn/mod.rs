//! `--target cfn`: the IR as CloudFormation templates for the management
//! account (or a delegated administrator), split into stacks that stay inside
//! CloudFormation's limits, plus the deploy order. Every template passes the
//! policy rules it is given ([`TemplateRules`]: the organisation's guard rules
//! of `accessc-guard`) before any is returned ([`prepare_cfn`] checks them
//! all, then [`CfnOutput`] renders the assignment templates as they are
//! written). See `docs/cloudformation.md` for the layout and its reasons.
//!
//! | file | builds |
//! |---|---|
//! | `ir_to_units.rs` | resources and parameters from the IR, grouped into units |
//! | `split.rs` | units into stacks (extendible hashing under the limits) |
//! | `template.rs` | units (assignments as compact records), a stack's template, its text and a bound of its size |
//! | `yaml.rs` | deterministic YAML for a JSON value |
//! | `names.rs` | logical IDs, parameter names, the stable hash |
//! | `deploy.rs` | `DEPLOY.md` and `deploy-order.json` |

mod deploy;
mod ir_to_units;
pub mod names;
mod split;
mod template;
mod yaml;

use crate::emit::common::NamePrefix;
use crate::emit::OutFile;
use crate::ir::Ir;
pub use ir_to_units::{
    break_glass_filter_pattern, break_glass_role_glob, BREAK_GLASS_TAG, DEFAULT_PREFIX,
};
pub use split::{MAX_BYTES, MAX_OUTPUTS, MAX_PARAMETERS, MAX_RESOURCES};
use std::collections::BTreeMap;
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

/// The folder of the CloudFormation output that holds the templates (and
/// nothing else), so that `templates/*.json` never picks up
/// `deploy-order.json`: [`CfnOutput`] names a template by its file name, a
/// writer puts it into this folder, and `DEPLOY.md` and `deploy-order.json`
/// give its path from the output folder, `templates/NAME.template.yaml`.
pub const TEMPLATES_DIR: &str = "templates";

/// Whether `name`, a file of [`CfnOutput`], is a template (it goes into
/// [`TEMPLATES_DIR`]); the deploy order stays in the output folder.
pub fn is_template(name: &str) -> bool {
    name.ends_with(".template.yaml") || name.ends_with(".template.json")
}

/// The most assignment operations IAM Identity Center keeps outstanding
/// per instance: the bound of `--max-concurrent-assignments`.
pub const MAX_OUTSTANDING_ASSIGNMENTS: usize = 15;

/// The default number of assignments one stack creates at once:
/// CloudFormation's tracking of `AWS::SSO::Assignment` reports failures past
/// about ten in parallel.
pub const DEFAULT_CONCURRENT_ASSIGNMENTS: usize = 10;

/// CloudFormation's default quota of stacks per account and Region.
pub const STACK_QUOTA: usize = 2000;

#[derive(Debug, Clone, Copy)]
pub struct CfnOptions {
    pub format: CfnFormat,
    /// How many assignments of one stack CloudFormation may create at once
    /// (`1..=15`; others are brought into that range): the assignments are
    /// laid in this many `DependsOn` chains.
    pub max_concurrent_assignments: usize,
    /// The default of the `NamePrefix` parameter, and the prefix of the
    /// stack names of `DEPLOY.md` and `deploy-order.json`.
    pub name_prefix: NamePrefix,
}

impl Default for CfnOptions {
    fn default() -> Self {
        CfnOptions {
            format: CfnFormat::default(),
            max_concurrent_assignments: DEFAULT_CONCURRENT_ASSIGNMENTS,
            name_prefix: NamePrefix::default(),
        }
    }
}

impl CfnOptions {
    /// The number of chains, in `1..=15`.
    fn chains(&self) -> usize {
        self.max_concurrent_assignments
            .clamp(1, MAX_OUTSTANDING_ASSIGNMENTS)
    }
}

/// How many assignment stacks may be deployed at once when each creates up
/// to `chains` assignments at once, keeping the whole deploy within the 15
/// outstanding assignment operations IAM Identity Center allows: at least one.
pub fn parallel_assignment_stacks(chains: usize) -> usize {
    (MAX_OUTSTANDING_ASSIGNMENTS / chains.max(1)).max(1)
}

/// The warning for an output of `stacks` stacks past CloudFormation's
/// default quota of `quota` stacks per Region, if it is.
pub fn quota_warning(stacks: usize, quota: usize) -> Option<String> {
    (stacks > quota).then(|| {
        format!(
            "the CloudFormation output has {stacks} stacks, more than the default quota of {quota} stacks per account and Region: \
             request a quota increase before deploying it, or deploy with `accessc apply`, which calls the IAM Identity Center API \
             directly and needs no stacks (docs/cloudformation.md, \"Quotas\")"
        )
    })
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

impl Stack {
    /// The template's path from the output folder: `templates/FILE`.
    pub fn path(&self) -> String {
        format!("{TEMPLATES_DIR}/{}", self.file)
    }
}

/// Policy rules run on the generated templates before any is returned (the
/// organisation's guard rules, `accessc-guard`): `(file name, template text)`
/// pairs in, one message per violation out, sorted.
pub trait TemplateRules: Sync {
    fn check(&self, templates: &[(String, String)]) -> Vec<String>;
}

/// Every file of the CloudFormation output, or the violations (guard rules,
/// limits, name clashes) that forbid it.
pub fn emit_cfn(
    ir: &Ir,
    opts: &CfnOptions,
    rules: &dyn TemplateRules,
) -> Result<Vec<OutFile>, Vec<String>> {
    prepare_cfn(ir, opts, rules).map(CfnOutput::into_files)
}

/// A CloudFormation build that passed every check: its deploy order, its
/// policy and permission-set templates ready, and its assignment templates
/// (nearly all of the output of a large organization) still to be rendered,
/// so that they can be written as they are rendered instead of held at once.
pub struct CfnOutput {
    /// The number of stacks (templates) of the output.
    stacks: usize,
    ready: Vec<OutFile>,
    pending: Vec<(String, Template)>,
    params: BTreeMap<String, template::Param>,
    format: CfnFormat,
}

impl CfnOutput {
    /// The warnings about the output as a whole: more stacks than
    /// CloudFormation's default quota.
    pub fn warnings(&self) -> Vec<String> {
        quota_warning(self.stacks, STACK_QUOTA)
            .into_iter()
            .collect()
    }

    /// Every file's path, in output order.
    pub fn paths(&self) -> Vec<String> {
        self.ready
            .iter()
            .map(|f| f.path.clone())
            .chain(self.pending.iter().map(|(f, _)| f.clone()))
            .collect()
    }

    /// Renders the templates still pending, in parallel, and hands every
    /// file to `sink` in output order; stops at the first error `sink`
    /// returns.
    pub fn for_each_file<E>(self, mut sink: impl FnMut(OutFile) -> Result<(), E>) -> Result<(), E> {
        let CfnOutput {
            stacks: _,
            ready,
            pending,
            params,
            format,
        } = self;
        for f in ready {
            sink(f)?;
        }
        let n = pending.len();
        let slots: Vec<std::sync::Mutex<Option<(String, Template)>>> = pending
            .into_iter()
            .map(|p| std::sync::Mutex::new(Some(p)))
            .collect();
        let next = std::sync::atomic::AtomicUsize::new(0);
        let workers = std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .clamp(1, 8);
        let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, OutFile)>(2 * workers);
        let (slots, next, params) = (&slots, &next, &params);
        std::thread::scope(|sc| {
            for _ in 0..workers {
                let tx = tx.clone();
                sc.spawn(move || loop {
                    // Workers take templates in order, so files arrive
                    // nearly in order and few wait to be handed on.
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    let Some((file, t)) = slots
                        .get(i)
                        .and_then(|slot| slot.lock().ok())
                        .and_then(|mut s| s.take())
                    else {
                        continue;
                    };
                    let text = t.render(params, format);
                    drop(t);
                    if tx.send((i, OutFile::new(file, text))).is_err() {
                        break;
                    }
                });
            }
            drop(tx);
            let mut waiting: BTreeMap<usize, OutFile> = BTreeMap::new();
            let mut want = 0;
            for (i, f) in rx {
                waiting.insert(i, f);
                while let Some(f) = waiting.remove(&want) {
                    sink(f)?;
                    want += 1;
                }
            }
            Ok(())
        })
    }

    /// Every file, rendered.
    pub fn into_files(self) -> Vec<OutFile> {
        let mut files = Vec::new();
        let _ = self.for_each_file(|f| {
            files.push(f);
            Ok::<(), ()>(())
        });
        files
    }
}

/// Builds, splits and checks the CloudFormation output of `ir`: every guard
/// rule and limit is checked here, before any assignment template is
/// rendered, so that nothing is written when the build fails.
pub fn prepare_cfn(
    ir: &Ir,
    opts: &CfnOptions,
    rules: &dyn TemplateRules,
) -> Result<CfnOutput, Vec<String>> {
    let format = opts.format;
    let chains = opts.chains();
    let mut units = ir_to_units::build(ir, format);
    if let Some(d) = units
        .params
        .get_mut("NamePrefix")
        .and_then(|p| p.definition.as_object_mut())
    {
        d.insert(
            "Default".into(),
            serde_json::json!(opts.name_prefix.as_str()),
        );
    }
    let mut errors = units.errors.clone();
    let region = ir.instance.region.clone();
    let params = units.params.clone();

    // Stages 1 and 2: split, render, and check with the guard rules on
    // another thread while the assignment units are built and split.
    let mut sets = Prepared::default();
    for (stage, base, description, home_region, list) in [
        (
            Stage::Policies,
            "policies",
            "accessc: customer managed policies, one service-managed StackSet per policy body (stage 1 of the deploy order)",
            None,
            std::mem::take(&mut units.policies),
        ),
        (
            Stage::PermissionSets,
            "permission-sets",
            "accessc: IAM Identity Center permission sets, ABAC attributes and break-glass alarms (stage 2 of the deploy order)",
            region.clone(),
            std::mem::take(&mut units.permission_sets),
        ),
    ] {
        let t = Template {
            description: description.into(),
            home_region,
            units: list,
            assignments: Vec::new(),
            chains: 0,
        };
        sets.add(stage, base, t, &params, format);
    }
    let mut sets_checked = std::mem::take(&mut sets.guarded);
    sets_checked.extend(std::mem::take(&mut sets.embedded));

    let (assignments, guard_errors) = std::thread::scope(|sc| {
        let guard_job = sc.spawn(|| rules.check(&sets_checked));
        let (by_set, assignment_errors) = ir_to_units::build_assignments(ir, &units, format);
        let mut assignments = Prepared::default();
        for (ps, name, list) in by_set {
            let t = Template {
                description: format!("accessc: account assignments of permission set {name} (stage 3 of the deploy order)"),
                home_region: region.clone(),
                units: Vec::new(),
                assignments: list,
                chains,
            };
            assignments.add(
                Stage::Assignments,
                &format!("assignments-{ps}"),
                t,
                &params,
                format,
            );
        }
        assignments.errors.splice(0..0, assignment_errors);
        let mut found = assignments.check_shapes(rules);
        found.extend(
            guard_job
                .join()
                .unwrap_or_else(|_| vec!["the guard rule check panicked".to_string()]),
        );
        found.sort();
        found.dedup();
        (assignments, found)
    });
    errors.append(&mut sets.errors);
    errors.extend(assignments.errors);
    errors.extend(guard_errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut stacks = sets.stacks;
    stacks.extend(assignments.stacks);
    let mut files = vec![
        OutFile::new(
            "DEPLOY.md",
            deploy::deploy_md(ir, &stacks, &units, chains, opts.name_prefix),
        ),
        OutFile::new(
            "deploy-order.json",
            deploy::deploy_order_json(&stacks, &units, format, chains, opts.name_prefix),
        ),
    ];
    files.extend(sets.ready);
    Ok(CfnOutput {
        stacks: stacks.len(),
        ready: files,
        pending: assignments.pending,
        params,
        format,
    })
}

/// Stacks split and prepared, with what the guard rules must see of them.
#[derive(Default)]
struct Prepared {
    stacks: Vec<Stack>,
    /// Rendered templates (stages 1 and 2).
    ready: Vec<OutFile>,
    /// Templates to render later (stage 3).
    pending: Vec<(String, Template)>,
    /// Rendered templates for the guard rules, and StackSet bodies.
    guarded: Vec<(String, String)>,
    embedded: Vec<(String, String)>,
    /// One assignment of each distinct shape (principal and target type).
    shapes: BTreeMap<(String, String), (String, serde_json::Value)>,
    errors: Vec<String>,
}

impl Prepared {
    /// Splits `t` into stacks named after `base`; renders those of stages 1
    /// and 2 now, keeps those of stage 3 for later.
    fn add(
        &mut self,
        stage: Stage,
        base: &str,
        t: Template,
        params: &BTreeMap<String, template::Param>,
        format: CfnFormat,
    ) {
        for (bucket, t) in split::split(t, params) {
            let stem = if bucket == 0 {
                base.to_string()
            } else {
                format!("{base}-{bucket}")
            };
            let file = format!("{stem}.template.{}", format.extension());
            if t.unit_count() == 1 {
                if let Some(why) = split::over_limit(&t, params) {
                    self.errors
                        .push(format!("`{file}` cannot be split further and has {why}"));
                }
            }
            let (bodies, shapes) = guard_inputs(stage, &stem, &file, &t);
            self.embedded.extend(bodies);
            for (key, v) in shapes {
                self.shapes.entry(key).or_insert(v);
            }
            self.stacks.push(Stack {
                stage,
                stem,
                file: file.clone(),
                params: t.param_names().into_iter().map(str::to_string).collect(),
            });
            if stage == Stage::Assignments {
                self.pending.push((file, t));
            } else {
                let text = t.render(params, format);
                self.guarded.push((file.clone(), text.clone()));
                self.ready.push(OutFile::new(file, text));
            }
        }
    }

    /// Runs the guard rules on one resource of each assignment shape.
    /// Assignment resources differ only in ids, and the rules read their
    /// principal and target types: with hundreds of thousands of
    /// assignments, one guard run per template would dominate the build.
    fn check_shapes(&mut self, rules: &dyn TemplateRules) -> Vec<String> {
        if self.shapes.is_empty() {
            return Vec::new();
        }
        let resources: serde_json::Map<String, serde_json::Value> =
            std::mem::take(&mut self.shapes)
                .into_values()
                .map(|(id, r)| (names::pascal(&id), r))
                .collect();
        let doc =
            serde_json::json!({"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources});
        rules.check(&[(
            "assignments-*.template (one resource of each distinct shape)".to_string(),
            serde_json::to_string_pretty(&doc).unwrap_or_default(),
        )])
    }
}

/// A stack's embedded StackSet templates, as (name, text), and for an
/// assignment stack the first resource of each shape (principal and
/// target type), as guard-rule input.
#[allow(clippy::type_complexity)]
fn guard_inputs(
    stage: Stage,
    stem: &str,
    file: &str,
    t: &Template,
) -> (
    Vec<(String, String)>,
    Vec<((String, String), (String, serde_json::Value))>,
) {
    let mut embedded = Vec::new();
    let mut shapes: Vec<((String, String), (String, serde_json::Value))> = Vec::new();
    let mut add_shape = |id: &str, v: serde_json::Value| {
        let shape = |k: &str| {
            v.pointer(&format!("/Properties/{k}"))
                .map(|v| v.to_string())
                .unwrap_or_default()
        };
        let key = (shape("PrincipalType"), shape("TargetType"));
        if !shapes.iter().any(|(k, _)| *k == key) {
            shapes.push((key, (format!("{stem}{id}"), v)));
        }
    };
    for (id, v) in t.units.iter().flat_map(|u| u.resources.iter()) {
        if let Some(body) = v
            .pointer("/Properties/TemplateBody")
            .and_then(|b| b.as_str())
        {
            embedded.push((format!("{file}#{id}"), body.to_string()));
        }
        if stage == Stage::Assignments {
            add_shape(id, v.clone());
        }
    }
    if stage == Stage::Assignments {
        let mut seen: Vec<crate::ir::PrincipalType> = Vec::new();
        for a in &t.assignments {
            // Only the first assignment of each shape is turned into a value.
            let kind = a.resource.principal.principal_type;
            if seen.contains(&kind) {
                continue;
            }
            seen.push(kind);
            add_shape(&a.resource.logical_id(), a.resource.to_value());
        }
    }
    (embedded, shapes)
}
