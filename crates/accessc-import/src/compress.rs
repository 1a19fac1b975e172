//! Grant compression: the fewest targets (`root`, OUs, accounts) and
//! `except` targets whose expansion is exactly a given set of accounts.
//!
//! The expansion is the checker's (`docs/language.md`): the accounts of every
//! target, less those of every `except` target, less the accounts AWS cannot
//! assign in (suspended, closing, closed). So a set is a set of *assignable*
//! accounts, and an account that cannot be assigned in is "don't care": an
//! OU whose every assignable account is in the set is covered by the OU, and
//! its suspended accounts need no `except`.
//!
//! Cost model: every target and every `except` target costs 1; the cover of
//! least cost is found exactly by one pass over the tree (below). A tie
//! between naming an OU and naming what is in it goes to the OU (one target
//! that says what the access follows, and that a new account in the OU
//! receives), a tie between excepting an OU and excepting its accounts goes
//! to the OU likewise.
//!
//! For a node `n` (the root or an OU), with `S(n)` the set's accounts below
//! it and `R(n)` the other assignable accounts below it:
//!
//! - `out(n)`, the cost when no target above `n` reaches it: 0 when `S(n)`
//!   is empty; otherwise the least of `1 + in(n)` (target `n`) and
//!   `Σ out(child) + |direct accounts in the set|` (target inside it);
//! - `in(n)`, the cost when a target above reaches it: 0 when `R(n)` is
//!   empty; 1 (except `n`) when `S(n)` is empty; otherwise
//!   `Σ in(child) + |direct assignable accounts not in the set|` (each an
//!   `except account`). An `except` removes whatever a target adds, so
//!   nothing inside an excepted OU could be added back: excepting is only
//!   ever chosen for a node holding nothing of the set.
//!
//! An OU a grant cannot name (see [`Node::unnamed`]) is never targeted or
//! excepted: only the second option of each case is open to it.
//!
//! Targets chosen this way never overlap (one target reaches each account at
//! most once) and every `except` is inside a target.

/// An organization as compression sees it.
#[derive(Debug, Clone)]
pub struct Tree {
    /// Node 0 is the root.
    pub nodes: Vec<Node>,
    pub accounts: Vec<TreeAccount>,
}

#[derive(Debug, Clone, Default)]
pub struct Node {
    pub children: Vec<usize>,
    /// Indices into [`Tree::accounts`] directly in this node.
    pub accounts: Vec<usize>,
    /// A grant cannot name this OU (its path holds a word the language
    /// reserves, such as an OU named `to`): it is never a target or an
    /// `except`, its accounts and sub-OUs are named instead.
    pub unnamed: bool,
}

#[derive(Debug, Clone)]
pub struct TreeAccount {
    pub assignable: bool,
}

/// One target of a grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// A node: the root (0) or an OU.
    Node(usize),
    Account(usize),
}

/// What a grant line names: targets, and what it excepts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cover {
    pub targets: Vec<Target>,
    pub except: Vec<Target>,
}

impl Cover {
    pub fn cost(&self) -> usize {
        self.targets.len() + self.except.len()
    }
}

#[derive(Clone, Copy, Default)]
struct Costs {
    /// Accounts of the set below.
    inside: usize,
    /// Other assignable accounts below.
    rest: usize,
    out: usize,
    /// `out` by targeting this node.
    out_select: bool,
    inn: usize,
    /// `inn` by excepting this node.
    in_except: bool,
}

impl Tree {
    /// The least-cost cover of `set` (indices of assignable accounts; any
    /// other index is ignored).
    pub fn cover(&self, set: &[usize]) -> Cover {
        let mut member = vec![false; self.accounts.len()];
        for &a in set {
            if let Some(m) = member.get_mut(a) {
                *m = self.accounts[a].assignable;
            }
        }
        let order = self.post_order();
        let mut costs = vec![Costs::default(); self.nodes.len()];
        for &n in &order {
            let node = &self.nodes[n];
            let direct_in = node.accounts.iter().filter(|&&a| member[a]).count();
            let direct_rest = node
                .accounts
                .iter()
                .filter(|&&a| !member[a] && self.accounts[a].assignable)
                .count();
            let mut c = Costs {
                inside: direct_in,
                rest: direct_rest,
                ..Costs::default()
            };
            let (mut sum_out, mut sum_in) = (direct_in, direct_rest);
            for &ch in &node.children {
                let k = costs[ch];
                c.inside += k.inside;
                c.rest += k.rest;
                sum_out += k.out;
                sum_in += k.inn;
            }
            if c.rest == 0 {
                c.inn = 0;
            } else if c.inside == 0 && !node.unnamed {
                c.inn = 1;
                c.in_except = true;
            } else {
                c.inn = sum_in;
            }
            if c.inside == 0 {
                c.out = 0;
            } else if c.inn < sum_out && !node.unnamed {
                c.out = 1 + c.inn;
                c.out_select = true;
            } else {
                c.out = sum_out;
            }
            costs[n] = c;
        }
        let mut cover = Cover::default();
        if !self.nodes.is_empty() {
            self.take_out(0, &costs, &member, &mut cover);
        }
        cover
    }

    fn take_out(&self, n: usize, costs: &[Costs], member: &[bool], cover: &mut Cover) {
        let c = costs[n];
        if c.inside == 0 {
            return;
        }
        if c.out_select {
            cover.targets.push(Target::Node(n));
            self.take_in(n, costs, member, cover);
            return;
        }
        let node = &self.nodes[n];
        for &a in &node.accounts {
            if member[a] {
                cover.targets.push(Target::Account(a));
            }
        }
        for &ch in &node.children {
            self.take_out(ch, costs, member, cover);
        }
    }

    fn take_in(&self, n: usize, costs: &[Costs], member: &[bool], cover: &mut Cover) {
        let c = costs[n];
        if c.rest == 0 {
            return;
        }
        if c.in_except {
            cover.except.push(Target::Node(n));
            return;
        }
        let node = &self.nodes[n];
        for &a in &node.accounts {
            if !member[a] && self.accounts[a].assignable {
                cover.except.push(Target::Account(a));
            }
        }
        for &ch in &node.children {
            self.take_in(ch, costs, member, cover);
        }
    }

    /// Every node, children before their parent (iterative: no recursion
    /// depth to bound).
    fn post_order(&self) -> Vec<usize> {
        let mut out = Vec::with_capacity(self.nodes.len());
        if self.nodes.is_empty() {
            return out;
        }
        let mut seen = vec![false; self.nodes.len()];
        let mut stack = vec![(0usize, false)];
        while let Some((n, expanded)) = stack.pop() {
            if expanded {
                out.push(n);
                continue;
            }
            if std::mem::replace(&mut seen[n], true) {
                continue;
            }
            stack.push((n, true));
            for &c in self.nodes[n].children.iter().rev() {
                if c < self.nodes.len() && !seen[c] {
                    stack.push((c, false));
                }
            }
        }
        out
    }

    /// The assignable accounts a cover reaches, as the checker expands it:
    /// sorted.
    pub fn expand(&self, cover: &Cover) -> Vec<usize> {
        let reach = |targets: &[Target]| {
            let mut v = Vec::new();
            for t in targets {
                match *t {
                    Target::Account(a) => v.push(a),
                    Target::Node(n) => self.accounts_under(n, &mut v),
                }
            }
            v
        };
        let except: std::collections::HashSet<usize> = reach(&cover.except).into_iter().collect();
        let mut v: Vec<usize> = reach(&cover.targets)
            .into_iter()
            .filter(|a| !except.contains(a) && self.accounts[*a].assignable)
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    fn accounts_under(&self, n: usize, out: &mut Vec<usize>) {
        let mut stack = vec![n];
        let mut seen = vec![false; self.nodes.len()];
        while let Some(n) = stack.pop() {
            if std::mem::replace(&mut seen[n], true) {
                continue;
            }
            out.extend(&self.nodes[n].accounts);
            stack.extend(&self.nodes[n].children);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// root: a0; OU1 { a1, a2, OU2 { a3, a4 } }; OU3 { a5 (suspended), a6 }
    fn tree() -> Tree {
        let acct = |assignable| TreeAccount { assignable };
        Tree {
            nodes: vec![
                Node {
                    children: vec![1, 3],
                    accounts: vec![0],
                    unnamed: false,
                },
                Node {
                    children: vec![2],
                    accounts: vec![1, 2],
                    unnamed: false,
                },
                Node {
                    children: vec![],
                    accounts: vec![3, 4],
                    unnamed: false,
                },
                Node {
                    children: vec![],
                    accounts: vec![5, 6],
                    unnamed: false,
                },
            ],
            accounts: vec![
                acct(true),
                acct(true),
                acct(true),
                acct(true),
                acct(true),
                acct(false),
                acct(true),
            ],
        }
    }

    #[test]
    fn a_whole_ou_is_one_target_and_suspended_accounts_need_no_except() {
        let t = tree();
        let c = t.cover(&[6]);
        assert_eq!(c.targets, vec![Target::Node(3)]);
        assert!(c.except.is_empty());
        let c = t.cover(&[1, 2, 3, 4]);
        assert_eq!(c.targets, vec![Target::Node(1)]);
        let all = t.cover(&[0, 1, 2, 3, 4, 6]);
        assert_eq!(all.targets, vec![Target::Node(0)]);
        assert!(all.except.is_empty());
    }

    #[test]
    fn almost_all_is_the_ou_with_except() {
        let t = tree();
        let c = t.cover(&[1, 2, 3]);
        assert_eq!(c.targets, vec![Target::Node(1)]);
        assert_eq!(c.except, vec![Target::Account(4)]);
        assert_eq!(t.expand(&c), vec![1, 2, 3]);
        let c = t.cover(&[0, 1, 2, 6]);
        assert_eq!(c.targets, vec![Target::Node(0)]);
        assert_eq!(c.except, vec![Target::Node(2)]);
    }

    #[test]
    fn an_ou_that_cannot_be_named_is_covered_by_what_it_holds() {
        let mut t = tree();
        t.nodes[2].unnamed = true;
        let c = t.cover(&[3, 4]);
        assert_eq!(c.targets, vec![Target::Account(3), Target::Account(4)]);
        // OU1 less OU2 would be 1 target and 1 except, but OU2 cannot be
        // excepted: its two accounts would be, so naming a1 and a2 is cheaper.
        let c = t.cover(&[1, 2]);
        assert_eq!(c.targets, vec![Target::Account(1), Target::Account(2)]);
        assert!(c.except.is_empty());
        let c = t.cover(&[1, 2, 3]);
        assert_eq!(c.targets, vec![Target::Node(1)]);
        assert_eq!(c.except, vec![Target::Account(4)]);
    }

    #[test]
    fn the_empty_set_has_no_targets() {
        assert_eq!(tree().cover(&[]), Cover::default());
        assert_eq!(tree().cover(&[5]), Cover::default());
    }
}
