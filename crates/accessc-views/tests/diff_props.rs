//! Properties of the access diff over generated programs: a program and the
//! same program refactored (policies and groups renamed, grants split,
//! statements and items reordered, items spread over other files) differ in
//! nothing; two unrelated programs differ in exactly the set difference of
//! their assignments.

use accessc_core::ir::Ir;
use accessc_core::load::{load_with_options, LoadOptions};
use accessc_core::{check, CheckOptions, Date, RealFs};
use accessc_views::diff::diff;
use proptest::prelude::*;
use std::collections::BTreeSet;

const ORG: &str = r#"org {
  root "r-ab12"
  management "999999999999"
  ou A "ou-ab12-11111111" {
    ou B "ou-ab12-22222222" {
      account b1 "111111111111"
      account b2 "111111111112"
    }
    account a1 "111111111113"
  }
  ou C "ou-ab12-33333333" {
    account c1 "333333333331"
    account c2 "333333333332"
  }
  account management "999999999999"
}
"#;

const ACTIONS: &[&str] = &[
    "s3:Get*",
    "s3:PutObject",
    "dynamodb:Query",
    "iam:CreateUser",
    "ec2:Describe*",
];
const RESOURCES: &[&str] = &["*", "\"arn:aws:s3:::app-*\""];
const MANAGED: &[&str] = &["ReadOnlyAccess", "ViewOnlyAccess", "SecurityAudit"];
const TARGETS: &[&str] = &["A", "A/B", "C", "account c1", "account management"];
const GROUPS: usize = 4;
const FUNCTIONS: usize = 3;

#[derive(Debug, Clone)]
struct Stmt {
    allow: bool,
    actions: Vec<usize>,
    resource: usize,
}

#[derive(Debug, Clone)]
struct Function {
    session: u8,
    managed: Vec<usize>,
    statements: Vec<Stmt>,
}

#[derive(Debug, Clone)]
struct Grant {
    function: usize,
    group: usize,
    targets: Vec<usize>,
}

#[derive(Debug, Clone)]
struct Model {
    functions: Vec<Function>,
    grants: Vec<Grant>,
}

fn subset(len: usize) -> impl Strategy<Value = Vec<usize>> {
    proptest::sample::subsequence((0..len).collect::<Vec<_>>(), 1..=len)
}

fn model() -> impl Strategy<Value = Model> {
    let stmt = (any::<bool>(), subset(ACTIONS.len()), 0..RESOURCES.len()).prop_map(
        |(allow, actions, resource)| Stmt {
            allow,
            actions,
            resource,
        },
    );
    let function = (
        1u8..=4,
        proptest::sample::subsequence((0..MANAGED.len()).collect::<Vec<_>>(), 0..=2),
        proptest::collection::vec(stmt, 1..4),
    )
        .prop_map(|(session, managed, statements)| Function {
            session,
            managed,
            statements,
        });
    let grant =
        (0..FUNCTIONS, 0..GROUPS, subset(TARGETS.len())).prop_map(|(function, group, targets)| {
            Grant {
                function,
                group,
                targets,
            }
        });
    (
        proptest::collection::vec(function, FUNCTIONS),
        proptest::collection::vec(grant, 0..6),
    )
        .prop_map(|(functions, grants)| Model { functions, grants })
}

/// How the program text is written; none of it changes what AWS holds.
#[derive(Debug, Clone)]
struct Refactor {
    /// Policy and group identifiers get another prefix.
    rename: bool,
    /// Every grant with several targets becomes one grant per target.
    split: bool,
    /// Statements in reverse order.
    reverse_statements: bool,
    /// Which of three files each item goes to, and the order of the items.
    files: Vec<u8>,
    order_seed: u64,
}

fn refactor() -> impl Strategy<Value = Refactor> {
    (
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        proptest::collection::vec(0u8..3, 64),
        any::<u64>(),
    )
        .prop_map(
            |(rename, split, reverse_statements, files, order_seed)| Refactor {
                rename,
                split,
                reverse_statements,
                files,
                order_seed,
            },
        )
}

const PLAIN: Refactor = Refactor {
    rename: false,
    split: false,
    reverse_statements: false,
    files: Vec::new(),
    order_seed: 0,
};

/// The program's files (name → text).
fn program(m: &Model, r: &Refactor) -> Vec<(String, String)> {
    let (policy, group) = if r.rename { ("Q", "h") } else { ("P", "g") };
    let mut items = vec![ORG.to_string()];
    for i in 0..GROUPS {
        items.push(format!("group {group}{i} \"Group {i}\"\n"));
    }
    for (i, f) in m.functions.iter().enumerate() {
        let mut statements: Vec<String> = f
            .statements
            .iter()
            .enumerate()
            .map(|(j, s)| {
                let actions: Vec<&str> = s.actions.iter().map(|&a| ACTIONS[a]).collect();
                format!(
                    "  S{j}: {} {} on {}\n",
                    if s.allow { "allow" } else { "deny" },
                    actions.join(", "),
                    RESOURCES[s.resource]
                )
            })
            .collect();
        if r.reverse_statements {
            statements.reverse();
        }
        items.push(format!(
            "policy {policy}{i} {{\n{}}}\n",
            statements.concat()
        ));
        let managed = if f.managed.is_empty() {
            String::new()
        } else {
            let names: Vec<&str> = f.managed.iter().map(|&k| MANAGED[k]).collect();
            format!("  managed {}\n", names.join(", "))
        };
        items.push(format!(
            "function F{i} {{\n  session {}h\n{managed}  boundary PowerUserAccess\n  inline {policy}{i}\n}}\n",
            f.session
        ));
    }
    for g in &m.grants {
        let targets: Vec<&str> = g.targets.iter().map(|&t| TARGETS[t]).collect();
        if r.split {
            for t in targets {
                items.push(format!(
                    "grant F{} to {group}{} on {t}\n",
                    g.function, g.group
                ));
            }
        } else {
            items.push(format!(
                "grant F{} to {group}{} on {}\n",
                g.function,
                g.group,
                targets.join(", ")
            ));
        }
    }
    // A fixed permutation from the seed (a small linear congruential shuffle).
    let mut state = r.order_seed | 1;
    for i in (1..items.len()).rev() {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        items.swap(i, (state >> 33) as usize % (i + 1));
    }
    let mut files = vec![String::new(), String::new(), String::new()];
    for (k, item) in items.into_iter().enumerate() {
        let f = usize::from(r.files.get(k).copied().unwrap_or(0));
        files[f].push_str(&item);
        files[f].push('\n');
    }
    files
        .into_iter()
        .enumerate()
        .filter(|(_, t)| !t.is_empty())
        .map(|(i, t)| (format!("part{i}.access"), t))
        .collect()
}

fn ir(files: &[(String, String)]) -> Ir {
    let dir = tempfile::tempdir().expect("tmp");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    let program = load_with_options(&RealFs, dir.path(), &LoadOptions::default()).expect("load");
    let today = Date::parse("2026-12-01").expect("date");
    let checked = check(&program, &CheckOptions { today });
    let Some(model) = checked.checked_model() else {
        panic!(
            "generated program has errors: {:?}\n{files:?}",
            checked.diagnostics
        );
    };
    accessc_core::model_to_ir::lower(model)
}

fn keys(ir: &Ir) -> BTreeSet<(String, String, String)> {
    ir.assignments
        .iter()
        .map(|a| {
            let display = ir
                .principal(a.principal_type, &a.principal)
                .map(|p| p.display_name.clone())
                .unwrap_or_default();
            (
                a.permission_set.to_string(),
                display,
                a.account_id.to_string(),
            )
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn a_refactored_program_has_no_diff(m in model(), r in refactor()) {
        let a = ir(&program(&m, &PLAIN));
        let b = ir(&program(&m, &r));
        let d = diff(&a, &b);
        prop_assert!(d.is_empty(), "{:#?}", d);
        prop_assert!(!d.widened);
    }

    #[test]
    fn added_and_removed_are_the_set_difference_of_assignments(a in model(), b in model()) {
        let (ia, ib) = (ir(&program(&a, &PLAIN)), ir(&program(&b, &PLAIN)));
        let d = diff(&ia, &ib);
        let (ka, kb) = (keys(&ia), keys(&ib));
        let row = |r: &accessc_views::diff::AssignmentRow, side: &Ir| {
            let display = side
                .principal(r.principal_type, &r.principal)
                .map(|p| p.display_name.clone())
                .unwrap_or_default();
            (r.function.clone(), display, r.account_id.clone())
        };
        let added: BTreeSet<_> = d.added.iter().map(|r| row(r, &ib)).collect();
        let removed: BTreeSet<_> = d.removed.iter().map(|r| row(r, &ia)).collect();
        prop_assert_eq!(added.len(), d.added.len());
        prop_assert_eq!(&added, &kb.difference(&ka).cloned().collect());
        prop_assert_eq!(&removed, &ka.difference(&kb).cloned().collect());
        // Any added assignment widens.
        if !added.is_empty() {
            prop_assert!(d.widened);
        }
    }
}
