//! Names the CloudFormation backend derives from the IR: logical IDs, parameter
//! names and file stems, all `[A-Za-z0-9]`, readable (built from names, never
//! from positions) and unique; plus the stable hash that assigns resources to
//! stacks.

use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// CloudFormation's limit on a logical ID or parameter name.
pub const MAX_ID_LEN: usize = 255;

/// `aws-team-a-engineers` → `AwsTeamAEngineers`: the alphanumeric runs of `s`,
/// each with its first letter upper-cased, joined. Other characters vanish.
pub fn pascal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            if start {
                out.push(c.to_ascii_uppercase());
            } else {
                out.push(c);
            }
            start = false;
        } else {
            start = true;
        }
    }
    out
}

/// A 64-bit hash of `parts` that never changes between runs, platforms or Rust
/// versions: FNV-1a over the parts (each followed by a 0x1f separator), then
/// the splitmix64 finalizer so the low bits, which choose the bucket, are well
/// mixed.
pub fn stable_hash(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0x1f)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// Eight hex digits of the stable hash of `raw`.
fn short_hash(raw: &str) -> String {
    format!("{:08x}", stable_hash(&[raw]) >> 32)
}

/// Gives every item (a raw key that identifies it, and the readable candidate
/// name derived from it) a unique name of at most `max_len` characters.
///
/// Deterministic and local: a name depends only on the item's own key, unless
/// two candidates collide. Then the member with the smallest raw key keeps the
/// plain candidate and every other gets `X` and eight hex digits of the hash
/// of its raw key appended. A candidate longer than `max_len` is cut and given
/// the same hash suffix. Candidates that are empty become `X` + hash.
pub fn unique_names(items: &[(String, String)], max_len: usize) -> HashMap<String, String> {
    let cands = items.iter().map(|(_, c)| c.clone()).collect();
    let names = unique_names_indexed(cands, |i| items[i].0.clone(), max_len);
    items
        .iter()
        .zip(names)
        .map(|((raw, _), name)| (raw.clone(), name))
        .collect()
}

/// [`unique_names`] for items given by position: `cands[i]` is the candidate
/// of item `i` and `raw(i)` its raw key, asked for only when candidates
/// collide or must be cut (with hundreds of thousands of assignments, most
/// never are). Returns the names in item order; items with equal raw keys get
/// equal names.
pub fn unique_names_indexed(
    cands: Vec<String>,
    raw: impl Fn(usize) -> String,
    max_len: usize,
) -> Vec<String> {
    let cut = |raw: &str, cand: &str, salt: u32| -> String {
        let salted = if salt == 0 {
            raw.to_string()
        } else {
            format!("{raw}\u{1f}{salt}")
        };
        let suffix = format!("X{}", short_hash(&salted));
        let keep = max_len.saturating_sub(suffix.len());
        format!("{}{}", &cand[..floor_char_boundary(cand, keep)], suffix)
    };
    let mut names: Vec<String> = cands
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            if !c.is_empty() && c.len() <= max_len {
                c
            } else {
                cut(&raw(i), &c, 0)
            }
        })
        .collect();
    let mut renamed: Vec<(usize, String)> = Vec::new();
    {
        // Every plain name is taken; find the names more than one item wants.
        let mut first: FxHashMap<&str, usize> = FxHashMap::default();
        first.reserve(names.len());
        let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, n) in names.iter().enumerate() {
            match first.entry(n.as_str()) {
                std::collections::hash_map::Entry::Occupied(e) => {
                    groups
                        .entry(n.as_str())
                        .or_insert_with(|| vec![*e.get()])
                        .push(i);
                }
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(i);
                }
            }
        }
        let mut extra: BTreeSet<String> = BTreeSet::new();
        for (cand, members) in groups {
            let mut keyed: Vec<(String, usize)> =
                members.into_iter().map(|i| (raw(i), i)).collect();
            keyed.sort();
            let mut prev: Option<(&str, Option<String>)> = None;
            for (r, i) in &keyed {
                match &prev {
                    None => {
                        prev = Some((r, None));
                        continue;
                    }
                    Some((p, name)) if *p == r.as_str() => {
                        if let Some(n) = name {
                            renamed.push((*i, n.clone()));
                        }
                        continue;
                    }
                    _ => {}
                }
                let mut salt = 0u32;
                let name = loop {
                    let name = cut(r, cand, salt);
                    if !first.contains_key(name.as_str()) && extra.insert(name.clone()) {
                        break name;
                    }
                    salt += 1;
                };
                renamed.push((*i, name.clone()));
                prev = Some((r, Some(name)));
            }
        }
    }
    for (i, n) in renamed {
        names[i] = n;
    }
    names
}

/// The largest char boundary of `s` at or below `i`.
fn floor_char_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pascal_cases_names() {
        assert_eq!(pascal("aws-team-a-engineers"), "AwsTeamAEngineers");
        assert_eq!(pascal("AppDeveloper"), "AppDeveloper");
        assert_eq!(pascal("Workloads/NonProd"), "WorkloadsNonProd");
        assert_eq!(pascal("a.b@c+d"), "ABCD");
        assert_eq!(pascal("--"), "");
    }

    #[test]
    fn collisions_are_resolved_by_raw_key() {
        let items = vec![
            ("team_a".to_string(), "TeamA".to_string()),
            ("team-a".to_string(), "TeamA".to_string()),
            ("other".to_string(), "Other".to_string()),
        ];
        let n = unique_names(&items, 255);
        assert_eq!(n["team-a"], "TeamA");
        assert!(n["team_a"].starts_with("TeamAX"));
        assert_eq!(n["other"], "Other");
        // Same input, same names.
        assert_eq!(n, unique_names(&items, 255));
    }

    /// The plain definition of [`unique_names`], kept to hold the indexed
    /// version to the same answers.
    fn reference(items: &[(String, String)], max_len: usize) -> HashMap<String, String> {
        let fit = |raw: &str, cand: &str| -> String {
            if !cand.is_empty() && cand.len() <= max_len {
                return cand.to_string();
            }
            let suffix = format!("X{}", short_hash(raw));
            let keep = max_len.saturating_sub(suffix.len());
            format!("{}{}", &cand[..cand.len().min(keep)], suffix)
        };
        let mut by_candidate: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
        for (raw, cand) in items {
            by_candidate
                .entry(fit(raw, cand))
                .or_default()
                .insert(raw.as_str());
        }
        let mut taken: BTreeSet<String> = by_candidate.keys().cloned().collect();
        let mut out = HashMap::new();
        for (cand, raws) in &by_candidate {
            let mut it = raws.iter();
            if let Some(first) = it.next() {
                out.insert((*first).to_string(), cand.clone());
            }
            for raw in it {
                let mut salt = 0u32;
                loop {
                    let salted = if salt == 0 {
                        (*raw).to_string()
                    } else {
                        format!("{raw}\u{1f}{salt}")
                    };
                    let suffix = format!("X{}", short_hash(&salted));
                    let keep = max_len.saturating_sub(suffix.len());
                    let name = format!("{}{}", &cand[..cand.len().min(keep)], suffix);
                    if taken.insert(name.clone()) {
                        out.insert((*raw).to_string(), name);
                        break;
                    }
                    salt += 1;
                }
            }
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn indexed_names_equal_the_plain_definition(
            items in proptest::collection::vec(("[a-c]{0,3}", "[AB]{0,12}"), 0..40),
            max_len in 0usize..14,
        ) {
            // The same raw key always comes with the same candidate.
            let mut seen: HashMap<String, String> = HashMap::new();
            let items: Vec<(String, String)> = items
                .into_iter()
                .map(|(raw, cand)| {
                    let cand = seen.entry(raw.clone()).or_insert(cand).clone();
                    (raw, cand)
                })
                .collect();
            let names = unique_names_indexed(
                items.iter().map(|(_, c)| c.clone()).collect(),
                |i| items[i].0.clone(),
                max_len,
            );
            let expected = reference(&items, max_len);
            for ((raw, _), name) in items.iter().zip(&names) {
                proptest::prop_assert_eq!(name, &expected[raw]);
            }
        }
    }

    #[test]
    fn long_names_are_cut_with_a_hash() {
        let long = "A".repeat(300);
        let n = unique_names(&[(long.clone(), long.clone())], 255);
        assert_eq!(n[&long].len(), 255);
    }

    #[test]
    fn hash_is_stable() {
        // Pinned: changing the hash would move resources between stacks.
        assert_eq!(
            stable_hash(&["GROUP", "team", "111111111111"]),
            0xfee2_0546_3c0e_e879
        );
        assert_ne!(stable_hash(&["ab", "c"]), stable_hash(&["a", "bc"]));
    }
}
