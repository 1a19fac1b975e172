//! Names the CloudFormation backend derives from the IR: logical IDs, parameter
//! names and file stems, all `[A-Za-z0-9]`, readable (built from names, never
//! from positions) and stable (each from its own item's name alone, see
//! [`stable_id`]); plus the stable hash that assigns resources to stacks.

use std::collections::HashMap;

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

/// Eight hex digits of the stable hash of `raw`: the suffix that tells apart
/// names whose readable form lost information.
pub fn short_hash(raw: &str) -> String {
    format!("{:08x}", stable_hash(&[raw]) >> 32)
}

/// Whether `pascal` keeps `s` whole: `s` is already PascalCase letters and
/// digits (`AppDeveloper`, `S3Reader`).
pub fn pascal_plain(s: &str) -> bool {
    !s.is_empty() && pascal(s) == s
}

/// Whether `pascal` keeps a `kebab-case` name whole, reading it back by
/// putting a `-` before each capital and lower-casing:
/// `aws-team-a-engineers` ↔ `AwsTeamAEngineers`.
pub fn kebab_plain(s: &str) -> bool {
    let p = pascal(s);
    if p.is_empty() {
        return false;
    }
    let mut back = String::with_capacity(s.len());
    for (i, c) in p.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            back.push('-');
        }
        back.push(c.to_ascii_lowercase());
    }
    back == s
}

/// Whether `id` ends the way a hashed name does (`X` and eight lowercase hex
/// digits). Such a candidate is never kept plain, so a plain name never
/// equals a hashed one.
fn looks_hashed(id: &str) -> bool {
    let b = id.as_bytes();
    match b.len().checked_sub(9).and_then(|at| b.get(at..)) {
        Some([b'X', hex @ ..]) => hex
            .iter()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c)),
        _ => false,
    }
}

/// The stable name of an item: its readable candidate `cand` when `plain`
/// (the candidate kept every character of the item's name), fits in
/// `max_len` and does not look hashed; else the candidate cut to fit, with
/// `X` and eight hex digits of the hash of `raw` (the item's exact name, or
/// its key) appended. A name depends on its item alone, never on what else
/// the program holds.
pub fn stable_id(cand: &str, plain: bool, raw: &str, max_len: usize) -> String {
    if plain && !cand.is_empty() && cand.len() <= max_len && !looks_hashed(cand) {
        return cand.to_string();
    }
    let suffix = format!("X{}", short_hash(raw));
    let keep = max_len.saturating_sub(suffix.len());
    format!("{}{}", &cand[..floor_char_boundary(cand, keep)], suffix)
}

/// Whether `pascal` keeps `name` whole: `name` is PascalCase, or lower
/// `kebab-case` that reads back from its PascalCase.
pub fn plain(name: &str) -> bool {
    pascal_plain(name) || kebab_plain(name)
}

/// The part of an id that stands for a name (a permission set, a principal,
/// a policy, an OU): its PascalCase, with `X` and the hash of the name
/// unless [`plain`].
pub fn name_part(name: &str) -> String {
    stable_id(&pascal(name), plain(name), name, usize::MAX)
}

/// Records who holds each name of one namespace (logical IDs, parameter
/// names, StackSet names) and every name two items would share.
pub struct Claims {
    what: &'static str,
    taken: HashMap<String, String>,
    pub errors: Vec<String>,
}

impl Claims {
    pub fn new(what: &'static str) -> Claims {
        Claims {
            what,
            taken: HashMap::new(),
            errors: Vec::new(),
        }
    }

    /// Records that `owner` (e.g. "permission set `Ops_Admin`") has `name`.
    pub fn claim(&mut self, name: &str, owner: impl FnOnce() -> String) {
        if let Some(other) = self.taken.get(name) {
            let owner = owner();
            if *other != owner {
                self.errors.push(format!(
                    "{owner} and {other} would both have the {} `{name}`: rename one of them (docs/cloudformation.md, \"Stable names\")",
                    self.what
                ));
            }
            return;
        }
        self.taken.insert(name.to_string(), owner());
    }
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
    fn plain_names_stay_plain_and_others_take_their_own_hash() {
        assert_eq!(name_part("AppDeveloper"), "AppDeveloper");
        assert_eq!(name_part("aws-team-a-engineers"), "AwsTeamAEngineers");
        let a = name_part("Ops_Admin");
        let b = name_part("Ops-Admin");
        assert!(a.starts_with("OpsAdminX") && b.starts_with("OpsAdminX") && a != b);
        assert_eq!(name_part("OpsAdmin"), "OpsAdmin");
        assert_eq!(name_part("platform"), "Platform");
        // Case is information: `opsAdmin` is neither PascalCase nor kebab-case.
        assert!(name_part("opsAdmin").starts_with("OpsAdminX"));
        assert!(name_part("team-1").starts_with("Team1X"));
        // A name that looks hashed is hashed, so no plain name equals a hashed one.
        assert!(name_part("FooXdeadbeef").starts_with("FooXdeadbeefX"));
    }

    #[test]
    fn a_shared_name_is_an_error() {
        let mut c = Claims::new("logical ID");
        c.claim("A", || "x".into());
        c.claim("A", || "x".into());
        assert!(c.errors.is_empty());
        c.claim("A", || "y".into());
        assert_eq!(c.errors.len(), 1);
    }

    #[test]
    fn long_names_are_cut_with_a_hash() {
        let long = "A".repeat(300);
        let n = stable_id(&long, true, &long, 255);
        assert_eq!(n.len(), 255);
        assert!(n.starts_with("AAAA") && n[246..].starts_with('X'));
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
