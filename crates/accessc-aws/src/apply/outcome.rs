//! What an apply did, and the closing report for people.

use std::time::Duration;

/// What an apply did.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub sets_created: usize,
    pub sets_updated: usize,
    pub sets_deleted: usize,
    pub sets_reprovisioned: usize,
    pub assignments_created: usize,
    pub assignments_deleted: usize,
    pub attributes: bool,
    /// `resource: reason`, one per failed change.
    pub failures: Vec<String>,
    /// Changes not attempted, with why.
    pub skipped: Vec<String>,
}

impl Outcome {
    pub fn ok(&self) -> bool {
        self.failures.is_empty() && self.skipped.is_empty()
    }

    fn done_text(&self) -> String {
        format!(
            "{} set(s) created, {} updated, {} re-provisioned, {} deleted; {} assignment(s) created, {} deleted{}",
            self.sets_created,
            self.sets_updated,
            self.sets_reprovisioned,
            self.sets_deleted,
            self.assignments_created,
            self.assignments_deleted,
            if self.attributes { "; ABAC attributes set" } else { "" }
        )
    }

    /// The closing report.
    pub fn render(&self, calls: u64, elapsed: Duration) -> String {
        let mut out = String::new();
        if self.ok() {
            out.push_str(&format!(
                "Applied: {} ({calls} API calls, {:.1} s).\n",
                self.done_text(),
                elapsed.as_secs_f64()
            ));
            return out;
        }
        out.push_str(&format!(
            "Partly applied: {} ({calls} API calls, {:.1} s).\n",
            self.done_text(),
            elapsed.as_secs_f64()
        ));
        if !self.failures.is_empty() {
            out.push_str(&format!("{} change(s) failed:\n", self.failures.len()));
            for f in &self.failures {
                out.push_str(&format!("  - {f}\n"));
            }
        }
        if !self.skipped.is_empty() {
            out.push_str(&format!(
                "{} change(s) not attempted:\n",
                self.skipped.len()
            ));
            for s in &self.skipped {
                out.push_str(&format!("  - {s}\n"));
            }
        }
        out.push_str(
            "Everything else listed above was applied. Fix the cause and run `accessc apply` again: it re-reads the live state and does only what is left.\n",
        );
        out
    }
}
