//! Grant compression, as properties: for random organizations and random
//! assignments, the grants written expand (through the checker itself) to
//! exactly the assignments read, and a whole OU is one target.

mod common;

use accessc_core::ir::PrincipalType;
use accessc_core::org_snapshot::{self, OrgSnapshot};
use accessc_import::compress::{Node, Target, Tree, TreeAccount};
use accessc_import::model::{Assignment, ImportModel, PermissionSet, Principal};
use common::*;
use proptest::prelude::*;
use std::collections::BTreeSet;

/// A random OU tree: per node, its accounts (true = assignable) and children.
#[derive(Debug, Clone)]
struct Shape {
    accounts: Vec<bool>,
    children: Vec<Shape>,
}

fn shape(depth: u32) -> BoxedStrategy<Shape> {
    let accounts = prop::collection::vec(prop::bool::weighted(0.85), 0..4);
    if depth == 0 {
        return accounts
            .prop_map(|accounts| Shape {
                accounts,
                children: Vec::new(),
            })
            .boxed();
    }
    (accounts, prop::collection::vec(shape(depth - 1), 0..4))
        .prop_map(|(accounts, children)| Shape { accounts, children })
        .boxed()
}

/// The snapshot of a shape (the root's own accounts and OUs), with unique
/// names and ids; every account id in document order.
fn snapshot(root: &Shape) -> (OrgSnapshot, Vec<String>) {
    fn accounts(s: &Shape, next: &mut u64, ids: &mut Vec<String>) -> Vec<org_snapshot::Account> {
        s.accounts
            .iter()
            .map(|&assignable| {
                *next += 1;
                let id = format!("{:012}", 100_000_000_000 + *next);
                ids.push(id.clone());
                org_snapshot::Account {
                    name: format!("acct{next}"),
                    id,
                    status: (!assignable).then(|| "SUSPENDED".to_string()),
                }
            })
            .collect()
    }
    fn ous(list: &[Shape], next: &mut u64, ids: &mut Vec<String>) -> Vec<org_snapshot::Ou> {
        list.iter()
            .map(|s| {
                *next += 1;
                let name = format!("ou{next}");
                org_snapshot::Ou {
                    id: Some(format!("ou-ab12-{:08}", *next)),
                    name,
                    accounts: accounts(s, next, ids),
                    ous: ous(&s.children, next, ids),
                }
            })
            .collect()
    }
    let (mut next, mut ids) = (0, Vec::new());
    let snap = OrgSnapshot {
        format: org_snapshot::FORMAT.into(),
        root: Some("r-ab12".into()),
        management_account: None,
        accounts: accounts(root, &mut next, &mut ids),
        ous: ous(&root.children, &mut next, &mut ids),
        identity_store: None,
    };
    (snap, ids)
}

fn set(name: &str) -> PermissionSet {
    PermissionSet {
        arn: None,
        name: name.into(),
        description: None,
        session_duration: None,
        relay_state: None,
        tags: Vec::new(),
        managed_policies: vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()],
        customer_managed_policies: Vec::new(),
        permissions_boundary: None,
        inline_policy: None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Through the checker: the IR's assignments are the model's, exactly.
    #[test]
    fn compressed_grants_expand_to_exactly_the_assignments(
        root in shape(3),
        picks in prop::collection::vec(prop::collection::vec(any::<bool>(), 64), 6),
    ) {
        let (snap, ids) = snapshot(&root);
        let sets = ["Reader", "Writer"];
        let groups = [G_ENG, G_PLATFORM, G_SECOPS];
        let mut assignments = Vec::new();
        for (i, pick) in picks.iter().enumerate() {
            let (s, g) = (sets[i % 2], groups[i / 2]);
            for (id, &take) in ids.iter().zip(pick) {
                if take {
                    assignments.push(Assignment {
                        permission_set: s.into(),
                        principal_type: PrincipalType::Group,
                        principal_id: g.into(),
                        account_id: id.clone(),
                    });
                }
            }
        }
        let model = ImportModel {
            org: Some(snap),
            permission_sets: sets.iter().map(|s| set(s)).collect(),
            principals: groups
                .iter()
                .map(|g| Principal { kind: PrincipalType::Group, id: g.to_string(), name: Some(format!("team {}", &g[9..13])) })
                .collect(),
            assignments,
            ..ImportModel::default()
        };
        let (_, ir) = round_trip(&model, &opts());
        assert_same(&model, &ir, &names(&sets));
    }

    /// On the tree alone: exact expansion, never worse than naming each
    /// account, and an OU whose every assignable account is in the set (and
    /// nothing else) is one target.
    #[test]
    fn covers_are_exact_and_whole_ous_are_one_target(
        root in shape(4),
        pick in prop::collection::vec(any::<bool>(), 128),
        ou_pick in any::<prop::sample::Index>(),
        unnamed in prop::collection::vec(prop::bool::weighted(0.2), 64),
    ) {
        let mut tree = tree_of(&root);
        // Some OUs a grant cannot name (never the root).
        for (n, node) in tree.nodes.iter_mut().enumerate().skip(1) {
            node.unnamed = unnamed[n % unnamed.len()];
        }
        let set: Vec<usize> = (0..tree.accounts.len()).filter(|&a| pick[a % pick.len()]).collect();
        let cover = tree.cover(&set);
        let want: Vec<usize> = set.iter().copied().filter(|&a| tree.accounts[a].assignable).collect();
        prop_assert_eq!(tree.expand(&cover), want.clone());
        prop_assert!(cover.cost() <= want.len());
        let targets: BTreeSet<Target> = cover.targets.iter().copied().collect();
        prop_assert_eq!(targets.len(), cover.targets.len());

        let targets_named = cover.targets.iter().chain(&cover.except).all(|t| match t {
            Target::Node(n) => !tree.nodes[*n].unnamed,
            Target::Account(_) => true,
        });
        prop_assert!(targets_named);

        let n = ou_pick.index(tree.nodes.len());
        let under = tree.expand(&accessc_import::compress::Cover { targets: vec![Target::Node(n)], except: Vec::new() });
        if !under.is_empty() && !tree.nodes[n].unnamed {
            let cover = tree.cover(&under);
            prop_assert_eq!(cover.cost(), 1);
            prop_assert_eq!(tree.expand(&cover), under);
        }
    }
}

fn tree_of(root: &Shape) -> Tree {
    let mut tree = Tree {
        nodes: Vec::new(),
        accounts: Vec::new(),
    };
    let mut stack = vec![(root, None::<usize>)];
    while let Some((s, parent)) = stack.pop() {
        let n = tree.nodes.len();
        let mut node = Node::default();
        for &assignable in &s.accounts {
            node.accounts.push(tree.accounts.len());
            tree.accounts.push(TreeAccount { assignable });
        }
        tree.nodes.push(node);
        if let Some(p) = parent {
            tree.nodes[p].children.push(n);
        }
        for c in &s.children {
            stack.push((c, Some(n)));
        }
    }
    tree
}

#[test]
fn a_large_org_compresses_to_few_lines() {
    // Every NonProd account, and all but one account of the organization.
    let model = realistic();
    let w = accessc_import::write_program(&model, &opts()).expect("write");
    let grants = &w
        .files
        .iter()
        .find(|(n, _)| n == "grants.access")
        .expect("grants")
        .1;
    assert!(grants.contains("on Workloads/NonProd\n"), "{grants}");
    assert!(grants.contains("on root except"), "{grants}");
}

#[test]
fn an_ou_whose_name_is_a_reserved_word_is_named_by_its_accounts() {
    let mut model = realistic();
    if let Some(org) = &mut model.org {
        let sandbox = org
            .ous
            .iter_mut()
            .find(|o| o.name == "Sandbox")
            .expect("ou");
        sandbox.name = "to".into();
    }
    model.assignments.push(Assignment {
        permission_set: "BillingViewer".into(),
        principal_type: PrincipalType::Group,
        principal_id: G_ENG.into(),
        account_id: "888888888888".into(),
    });
    let (w, ir) = round_trip(&model, &opts());
    let grants = &w
        .files
        .iter()
        .find(|(n, _)| n == "grants.access")
        .expect("grants")
        .1;
    assert!(
        grants.contains("grant BillingViewer to aws-team-a-engineers on account sandbox-a\n"),
        "{grants}"
    );
    assert_same(
        &model,
        &ir,
        &names(&[
            "AppDeveloper",
            "SecOpsResponder",
            "Legacy.Ops+",
            "BillingViewer",
        ]),
    );
}

/// The least cost by trying every assignment of target / except / nothing
/// to every OU and account: exponential, for tiny trees only.
fn brute_force(tree: &Tree, want: &[usize]) -> usize {
    let items: Vec<Target> = (0..tree.nodes.len())
        .filter(|&n| !tree.nodes[n].unnamed)
        .map(Target::Node)
        .chain((0..tree.accounts.len()).map(Target::Account))
        .collect();
    let mut best = usize::MAX;
    let combos = 3usize.pow(items.len() as u32);
    for mut c in 0..combos {
        let mut cover = accessc_import::compress::Cover::default();
        for item in &items {
            match c % 3 {
                1 => cover.targets.push(*item),
                2 => cover.except.push(*item),
                _ => {}
            }
            c /= 3;
        }
        if cover.cost() < best && tree.expand(&cover) == want {
            best = cover.cost();
        }
    }
    best
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// The cover is the fewest targets and excepts any grant could name.
    #[test]
    fn covers_are_the_fewest_possible(
        root in shape(2),
        pick in prop::collection::vec(any::<bool>(), 16),
        unnamed in prop::collection::vec(prop::bool::weighted(0.2), 16),
    ) {
        let mut tree = tree_of(&root);
        for (n, node) in tree.nodes.iter_mut().enumerate().skip(1) {
            node.unnamed = unnamed[n % unnamed.len()];
        }
        let named = tree.nodes.iter().filter(|n| !n.unnamed).count();
        prop_assume!(named + tree.accounts.len() <= 9);
        let set: Vec<usize> = (0..tree.accounts.len()).filter(|&a| pick[a % pick.len()]).collect();
        let want: Vec<usize> = set.iter().copied().filter(|&a| tree.accounts[a].assignable).collect();
        let cover = tree.cover(&set);
        prop_assert_eq!(tree.expand(&cover), want.clone());
        prop_assert_eq!(cover.cost(), brute_force(&tree, &want));
    }
}
