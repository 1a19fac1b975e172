//! The synthetic organizations of the benchmarks (`accessc-gen-org`):
//! checked and lowered, their IR read back as an import would read the live
//! instance, written, checked and lowered again: the same sets and
//! assignments, in far fewer grant lines than assignments.

mod common;

use accessc_core::ir::{Ir, PrincipalType};
use accessc_core::org_snapshot::OrgSnapshot;
use accessc_core::{check, load, CheckOptions, RealFs};
use accessc_import::model::*;
use common::*;
use std::collections::BTreeSet;
use std::time::Instant;

/// Generate, check and lower one synthetic organization; with the grant
/// lines and targets the generator wrote.
fn generated(flags: &[&str]) -> (Ir, OrgSnapshot, (usize, usize)) {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().to_string_lossy().to_string();
    let mut args = vec!["accessc-gen-org", "-o", out.as_str()];
    args.extend_from_slice(flags);
    accessc_bench::gen_org::generate_from(args).expect("generate");
    let program = load(&RealFs, dir.path()).expect("load");
    let mut source = (0, 0);
    for m in &program.modules {
        for item in &m.items {
            if let accessc_core::ast::ItemKind::Grant(g) = &item.kind {
                source.0 += 1;
                source.1 += g.targets.len() + g.except.len();
            }
        }
    }
    let checked = check(&program, &CheckOptions { today: today() });
    let cm = checked
        .checked_model()
        .expect("the generated program checks");
    let ir = accessc_core::model_to_ir::lower(cm);
    let org = std::fs::read_to_string(dir.path().join("org.json")).expect("org.json");
    (ir, OrgSnapshot::from_json(&org).expect("snapshot"), source)
}

/// The IR as an import reads the instance it was deployed to.
fn as_import(ir: &Ir, org: OrgSnapshot) -> ImportModel {
    ImportModel {
        instance: Instance {
            arn: ir.instance.arn.clone(),
            identity_store_id: ir.instance.identity_store_id.clone(),
            region: ir.instance.region.clone(),
        },
        org: Some(org),
        attributes: ir
            .attributes
            .iter()
            .map(|a| Attribute {
                key: a.key.clone(),
                source: a.value.clone(),
            })
            .collect(),
        permission_sets: ir
            .permission_sets
            .iter()
            .map(|p| PermissionSet {
                arn: None,
                name: p.name.clone(),
                description: p.description.clone(),
                session_duration: Some(p.session_duration.to_iso8601()),
                relay_state: p.relay_state.clone(),
                tags: p
                    .tags
                    .iter()
                    .map(|t| (t.key.clone(), t.value.clone()))
                    .collect(),
                managed_policies: p.managed_policies.clone(),
                customer_managed_policies: p.customer_managed_policies.clone(),
                permissions_boundary: p.permissions_boundary.clone(),
                inline_policy: p.inline_policy.clone(),
            })
            .collect(),
        principals: ir
            .principals
            .iter()
            .map(|p| Principal {
                kind: p.kind,
                id: p.id.clone().expect("principal id"),
                name: Some(p.display_name.clone()),
            })
            .collect(),
        assignments: ir
            .assignments
            .iter()
            .map(|a| Assignment {
                permission_set: a.permission_set.to_string(),
                principal_type: a.principal_type,
                principal_id: a.principal_id.as_deref().expect("principal id").to_string(),
                account_id: a.account_id.to_string(),
            })
            .collect(),
    }
}

fn measure(flags: &[&str]) -> (ImportModel, accessc_import::Written) {
    let (ir, org, (lines, targets)) = generated(flags);
    let model = as_import(&ir, org);
    let started = Instant::now();
    let w = accessc_import::write_program(&model, &opts()).expect("write");
    let took = started.elapsed();
    let (_, back) = round_trip(&model, &opts());
    let all: BTreeSet<String> = model
        .permission_sets
        .iter()
        .map(|p| p.name.clone())
        .collect();
    assert_same(&model, &back, &all);
    let users = model
        .assignments
        .iter()
        .filter(|a| a.principal_type == PrincipalType::User)
        .count();
    eprintln!(
        "{flags:?}: generated as {lines} grant lines naming {targets} targets; {} assignments ({users} to users) → {} grant lines naming {} targets, {} functions ({} inline as statements, {} as JSON); written in {took:?}",
        w.summary.assignments_read,
        w.summary.grant_lines,
        w.summary.grant_targets,
        w.summary.functions,
        w.summary.inline_as_statements,
        w.summary.inline_as_json.len(),
    );
    (model, w)
}

#[test]
fn the_small_synthetic_organization_round_trips_compressed() {
    let (model, w) = measure(&[
        "--accounts",
        "60",
        "--ous",
        "20",
        "--functions",
        "20",
        "--groups",
        "40",
        "--grants",
        "150",
        "--users",
        "5",
        "--seed",
        "1",
    ]);
    assert!(!model.assignments.is_empty());
    // The generator wrote 150 grant lines, each a product of functions and
    // principals; the writer, grouping what it read, needs no more.
    assert!(w.summary.grant_lines <= 150, "{}", w.summary);
    assert!(
        w.summary.grant_lines * 5 < w.summary.assignments_read,
        "{}",
        w.summary
    );
}

/// `docs/performance.md`, *Import*: run with
/// `cargo test --release -p accessc-import --test synthetic_org -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement: the large organization takes seconds"]
fn the_large_synthetic_organization() {
    measure(&[
        "--accounts",
        "2000",
        "--ous",
        "300",
        "--functions",
        "200",
        "--groups",
        "1000",
        "--grants",
        "5000",
        "--users",
        "50",
        "--seed",
        "1",
    ]);
}
