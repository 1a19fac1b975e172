//! Splitting units into stacks that stay inside CloudFormation's limits, so
//! that growth moves as few resources between stacks as possible.
//!
//! The scheme is extendible hashing. All units start in bucket 0 at depth 0.
//! A bucket that would pass a limit is split in two by the next bit of each
//! unit's stable hash: bucket `b` at depth `d` becomes `b` (bit `d` clear) and
//! `b + 2^d` (bit `d` set) at depth `d + 1`. A bucket is named by its number
//! alone; the numbers of the buckets of any partition are distinct, and bucket
//! `b` keeps its name (and so its stack) when it splits. Whether a bucket splits
//! depends only on its own content, so adding a unit can change only the
//! bucket it falls into: other stacks keep every resource.

use super::template::{Param, Template};
use super::CfnFormat;
use std::collections::BTreeMap;

/// CloudFormation allows 500 resources, 200 outputs, 200 parameters and a
/// 1 MB template body; accessc keeps a margin below each.
pub const MAX_RESOURCES: usize = 450;
pub const MAX_OUTPUTS: usize = 180;
pub const MAX_PARAMETERS: usize = 180;
pub const MAX_BYTES: usize = 900 * 1024;

/// The size of a template as the larger of its YAML and JSON renderings, so
/// the stack layout does not depend on `--format`.
pub fn template_bytes(t: &Template, params: &BTreeMap<String, Param>) -> usize {
    let yaml = t.render(params, CfnFormat::Yaml).len();
    let json = t.render(params, CfnFormat::Json).len();
    yaml.max(json)
}

/// Why a template passes a limit, if it does.
pub fn over_limit(t: &Template, params: &BTreeMap<String, Param>) -> Option<String> {
    let resources = t.resource_count();
    if resources > MAX_RESOURCES {
        return Some(format!(
            "{resources} resources (accessc keeps at most {MAX_RESOURCES} of CloudFormation's 500)"
        ));
    }
    let outputs = t.output_count();
    if outputs > MAX_OUTPUTS {
        return Some(format!(
            "{outputs} outputs (accessc keeps at most {MAX_OUTPUTS} of CloudFormation's 200)"
        ));
    }
    // Parameters are shared `Arc`s: counting distinct pointers is cheap and
    // never undercounts; count names only when that is not already enough.
    let mut distinct: rustc_hash::FxHashSet<*const u8> = rustc_hash::FxHashSet::default();
    for list in t.param_lists() {
        distinct.extend(list.iter().map(|p| p.as_ptr()));
    }
    if distinct.len() > MAX_PARAMETERS {
        let parameters = t.param_names().len();
        if parameters > MAX_PARAMETERS {
            return Some(format!(
                "{parameters} parameters (accessc keeps at most {MAX_PARAMETERS} of CloudFormation's 200)"
            ));
        }
    }
    // Rendering is costly: first a cheap bound from the header and each
    // unit's size bound; render only when it does not already prove a fit.
    if t.len_bound(params) <= MAX_BYTES {
        return None;
    }
    let bytes = template_bytes(t, params);
    if bytes > MAX_BYTES {
        return Some(format!(
            "{bytes} bytes (accessc keeps at most {MAX_BYTES} of CloudFormation's 1 MB)"
        ));
    }
    None
}

/// Splits `t` into buckets that each fit, as `(bucket number, template)`, in
/// bucket order. Empty buckets are dropped. A bucket of one unit is kept even
/// if it does not fit; the caller reports it.
pub fn split(t: Template, params: &BTreeMap<String, Param>) -> Vec<(u64, Template)> {
    let mut out = Vec::new();
    split_into(0, 0, t, params, &mut out);
    out.sort_by_key(|(b, _)| *b);
    out
}

fn split_into(
    bucket: u64,
    depth: u32,
    t: Template,
    params: &BTreeMap<String, Param>,
    out: &mut Vec<(u64, Template)>,
) {
    if t.unit_count() == 0 {
        return;
    }
    if depth >= 64 || t.unit_count() == 1 || over_limit(&t, params).is_none() {
        out.push((bucket, t));
        return;
    }
    let Template {
        description,
        home_region,
        units,
        assignments,
        chains,
    } = t;
    let (units_clear, units_set) = halves(units, |u| u.hash, depth);
    let (clear, set) = halves(assignments, |a| a.hash, depth);
    let half = |units, assignments| Template {
        description: description.clone(),
        home_region: home_region.clone(),
        units,
        assignments,
        chains,
    };
    split_into(bucket, depth + 1, half(units_clear, clear), params, out);
    split_into(
        bucket | (1u64 << depth),
        depth + 1,
        half(units_set, set),
        params,
        out,
    );
}

/// `items` parted by bit `depth` of their hash (clear, set), each list
/// allocated at its final length: a million assignments are parted many
/// times over.
fn halves<T>(items: Vec<T>, hash: impl Fn(&T) -> u64, depth: u32) -> (Vec<T>, Vec<T>) {
    let is_set = |t: &T| (hash(t) >> depth) & 1 == 1;
    let n_set = items.iter().filter(|t| is_set(t)).count();
    let mut clear = Vec::with_capacity(items.len() - n_set);
    let mut set = Vec::with_capacity(n_set);
    for t in items {
        if is_set(&t) {
            set.push(t);
        } else {
            clear.push(t);
        }
    }
    (clear, set)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::cfn::template::Unit;
    use serde_json::json;
    use std::collections::BTreeSet;

    fn unit(i: u64) -> Unit {
        Unit::new(
            crate::emit::cfn::names::stable_hash(&[&i.to_string()]),
            vec![(format!("R{i}"), json!({"Type": "AWS::SNS::Topic"}))],
            vec![],
            BTreeSet::new(),
        )
    }

    fn template(n: u64) -> Template {
        Template {
            description: "t".into(),
            home_region: None,
            units: (0..n).map(unit).collect(),
            assignments: Vec::new(),
            chains: 0,
        }
    }

    fn layout(n: u64) -> BTreeMap<String, u64> {
        let params = BTreeMap::new();
        let mut m = BTreeMap::new();
        for (b, t) in split(template(n), &params) {
            assert!(t.resource_count() <= MAX_RESOURCES);
            for u in &t.units {
                m.insert(u.resources[0].0.clone(), b);
            }
        }
        m
    }

    #[test]
    fn small_sets_stay_in_one_bucket() {
        assert!(layout(450).values().all(|&b| b == 0));
    }

    #[test]
    fn growth_moves_only_the_split_bucket() {
        let before = layout(2000);
        let after = layout(2001);
        let moved = before.iter().filter(|(k, b)| after[*k] != **b).count();
        // Only the bucket the new unit fell into may split, moving about half of it.
        assert!(moved <= MAX_RESOURCES / 2 + 60, "{moved} resources moved");
        let buckets_before: BTreeSet<u64> = before.values().copied().collect();
        for (k, b) in &before {
            if after[k] != *b {
                // A moved unit goes to the new sibling of its old bucket.
                assert!(!buckets_before.contains(&after[k]));
            }
        }
    }
}
