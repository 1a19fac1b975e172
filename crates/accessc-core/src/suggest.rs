//! Did-you-mean: the closest known name to an unknown one.
//!
//! One search with two measures of closeness: [`did_you_mean`] for the
//! program's own names (Jaro–Winkler similarity, which forgives a dropped or
//! swapped letter in a long identifier), and [`closest_by_edits`] for the IAM
//! catalog (few edits, as the catalog's names are many and alike). Both share
//! the same bounds: no suggestion for a name over [`MAX_FUZZY_CHARS`], a
//! candidate whose length rules it out is skipped unscored, and every score is
//! paid from one budget per check.

/// Names longer than this (in characters) get no did-you-mean: no name AWS
/// accepts that a program looks up is longer than 128 characters, and fuzzy
/// matching costs the product of the two lengths.
pub const MAX_FUZZY_CHARS: usize = 256;

/// Character comparisons all did-you-means of one check may spend together
/// (each candidate costs the product of the two lengths); once spent, later
/// unknown names get no suggestion. Reset by [`reset_suggestion_budget`].
pub const SUGGESTION_BUDGET: u64 = 20_000_000;

thread_local! {
    static SUGGESTION_SPENT: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    /// How many times the budget refused a score since the last reset.
    static SUGGESTION_REFUSED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Start a fresh did-you-mean budget (at the start of every check).
pub fn reset_suggestion_budget() {
    SUGGESTION_SPENT.with(|s| s.set(0));
    SUGGESTION_REFUSED.with(|s| s.set(0));
}

/// What the did-you-means of this check have spent so far, and how many
/// scores the budget refused: a checker that reuses an earlier result
/// replays what that result spent, and reuses it only when no score was
/// refused (so every did-you-mean in it got the answer it would get now).
pub(crate) fn suggestion_budget_state() -> (u64, u64) {
    (
        SUGGESTION_SPENT.with(std::cell::Cell::get),
        SUGGESTION_REFUSED.with(std::cell::Cell::get),
    )
}

/// Set what this check's did-you-means have spent and how many scores were
/// refused (see [`suggestion_budget_state`]).
pub(crate) fn set_suggestion_budget_state((spent, refused): (u64, u64)) {
    SUGGESTION_SPENT.with(|s| s.set(spent));
    SUGGESTION_REFUSED.with(|s| s.set(refused));
}

/// Spend `cost` comparisons of the budget; false (and nothing spent) when it
/// does not cover them.
fn spend_suggestion_budget(cost: u64) -> bool {
    SUGGESTION_SPENT.with(|s| {
        let spent = s.get().saturating_add(cost);
        if spent > SUGGESTION_BUDGET {
            SUGGESTION_REFUSED.with(|r| r.set(r.get() + 1));
            return false;
        }
        s.set(spent);
        true
    })
}

/// How closeness is judged.
#[derive(Clone, Copy)]
enum Measure {
    /// Jaro–Winkler similarity of at least 0.84 (case-insensitive); the
    /// query itself is never suggested; ties go to the smaller name.
    Similar,
    /// Optimal-string-alignment distance of at most a third of the query's
    /// length, at least 1 (case-insensitive); ties go to the higher
    /// Jaro–Winkler similarity, then to the first candidate.
    FewEdits,
}

/// A candidate's score: lower `distance`, then higher `similarity`, wins.
#[derive(Clone, Copy)]
struct Score {
    distance: usize,
    similarity: f64,
}

/// The one search both did-you-means run.
fn closest<'a>(
    query: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    measure: Measure,
) -> Option<&'a str> {
    let query_len = query.chars().count();
    if query_len > MAX_FUZZY_CHARS {
        return None;
    }
    let lower = query.to_ascii_lowercase();
    let limit = (query_len / 3).max(1);
    let mut best: Option<(Score, &'a str)> = None;
    for candidate in candidates {
        if matches!(measure, Measure::Similar) && candidate == query {
            continue;
        }
        // Bytes bound characters from above: most candidates are skipped
        // without counting.
        let max_bytes = match measure {
            Measure::Similar => 5 * query_len.max(1) * 4,
            Measure::FewEdits => 4 * (query_len + limit),
        };
        if candidate.len() > max_bytes {
            continue;
        }
        let candidate_len = candidate.chars().count();
        let ruled_out = match measure {
            // Under a fifth of the other's length, the similarity cannot
            // reach the threshold.
            Measure::Similar => {
                candidate_len > MAX_FUZZY_CHARS
                    || 5 * candidate_len.min(query_len) < candidate_len.max(query_len)
            }
            // The distance is at least the difference of the lengths.
            Measure::FewEdits => candidate_len.abs_diff(query_len) > limit,
        };
        if ruled_out {
            continue;
        }
        if !spend_suggestion_budget((candidate_len.max(1) * query_len.max(1)) as u64) {
            return None;
        }
        let candidate_lower = candidate.to_ascii_lowercase();
        let score = match measure {
            Measure::Similar => {
                let similarity = if candidate_lower == lower {
                    1.0
                } else {
                    strsim::jaro_winkler(&lower, &candidate_lower)
                };
                if similarity < 0.84 {
                    continue;
                }
                Score {
                    distance: 0,
                    similarity,
                }
            }
            Measure::FewEdits => {
                let distance = strsim::osa_distance(&lower, &candidate_lower);
                if distance > limit {
                    continue;
                }
                Score {
                    distance,
                    similarity: strsim::jaro_winkler(&lower, &candidate_lower),
                }
            }
        };
        let better = match best {
            None => true,
            Some((b, name)) => {
                score.distance < b.distance
                    || (score.distance == b.distance
                        && (score.similarity > b.similarity
                            || (matches!(measure, Measure::Similar)
                                && score.similarity == b.similarity
                                && candidate < name)))
            }
        };
        if better {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// The program name closest to `name` (Jaro–Winkler similarity at least
/// 0.84, case-insensitive), if close enough to suggest.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    closest(name, candidates, Measure::Similar).map(str::to_string)
}

/// The catalog name closest to `query` (surrounding blanks ignored): at most
/// a third of its length in edits, case-insensitive.
pub fn closest_by_edits<'a>(
    query: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let query = query.trim();
    if query.is_empty() {
        return None;
    }
    closest(query, candidates, Measure::FewEdits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_you_mean_finds_near_names_and_refuses_huge_ones() {
        let names = ["ReadOnlyAccess", "PowerUserAccess", "x"];
        assert_eq!(
            did_you_mean("readonlyacess", names).as_deref(),
            Some("ReadOnlyAccess")
        );
        assert_eq!(did_you_mean(&"R".repeat(MAX_FUZZY_CHARS + 1), names), None);
        let long = format!("ReadOnlyAccess{}", "s".repeat(200));
        assert_eq!(did_you_mean(&long, names), None);
    }

    #[test]
    fn the_suggestion_budget_runs_out_then_refills_per_check() {
        reset_suggestion_budget();
        let names: Vec<String> = (0..1000).map(|i| format!("group{i:04}")).collect();
        let mut found = 0;
        for _ in 0..5_000 {
            if did_you_mean("groupp0001", names.iter().map(String::as_str)).is_some() {
                found += 1;
            }
        }
        assert!(found > 0 && found < 5_000, "{found}");
        reset_suggestion_budget();
        assert!(did_you_mean("groupp0001", names.iter().map(String::as_str)).is_some());
    }
}
