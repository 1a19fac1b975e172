//! Execute a plan. The order is fixed: permission sets and their policies
//! (synchronous calls), then re-provisioning, then assignment creations, then
//! deletions. Asynchronous operations run at most `--max-in-flight` (≤ 15, the
//! instance's hard cap) at once, never two in one account at once; each is
//! polled until SUCCEEDED or FAILED, and a failure is reported with AWS's
//! reason and the resource it concerned. The window of operations halves on
//! throttling and grows back as calls succeed (see `client::Backoff`).
//!
//! Nothing is remembered: a run that is killed leaves at most its in-flight
//! operations, and the next run re-plans from the live state.
//!
//! | file | does |
//! |---|---|
//! | `mod.rs` | [`apply`]: the phases, in order, and what a failure stops |
//! | `sets.rs` | permission sets and ABAC attributes (synchronous calls) |
//! | `jobs.rs` | asynchronous operations: start, poll, at most the window at once |
//! | `outcome.rs` | [`Outcome`]: what was done, failed or not attempted |

mod jobs;
mod outcome;
mod sets;

use super::client::Aws;
use super::live::bounded;
use super::plan::{assignment_text, AssignmentChange, Plan, SetAction};
use super::progress::Progress;
use super::ErrorKind;
use jobs::{run_jobs, Job, Work};
use sets::{delete_set, edit_set, set_attributes, tag_owned, Edit, Edited};
use std::collections::HashSet;
use std::time::Duration;

pub use jobs::wait_in_flight;
pub use outcome::Outcome;

#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Asynchronous operations outstanding at once (1–15).
    pub max_in_flight: usize,
    /// The first wait before polling an operation's status; it grows to 5 s.
    pub poll_interval: Duration,
    /// How long one operation may stay IN_PROGRESS before it counts as failed.
    pub op_timeout: Duration,
    /// Permission sets edited at once.
    pub set_concurrency: usize,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            max_in_flight: 15,
            poll_interval: Duration::from_millis(500),
            op_timeout: Duration::from_secs(900),
            set_concurrency: 4,
        }
    }
}

fn assign_label(set: &str, a: &AssignmentChange) -> String {
    format!("assignment {} in `{set}`", assignment_text(a))
}

/// What `apply --adopt` did: the sets tagged, and the ones that could not be.
#[derive(Debug, Clone, Default)]
pub struct Adopted {
    pub adopted: Vec<String>,
    /// `set: reason`, one per failed tag write.
    pub failures: Vec<String>,
}

/// `apply --adopt`: tag the plan's sets to adopt (`SetAction::Adopt`: live,
/// untagged, every field as the source has it) with the ownership tag, and
/// make no other write. A set that differs is blocked in the plan and is not
/// touched.
pub async fn adopt(aws: &Aws, plan: &Plan, concurrency: usize, progress: &mut Progress) -> Adopted {
    let sets: Vec<(String, String)> = plan
        .permission_sets
        .iter()
        .filter_map(|s| match &s.action {
            SetAction::Adopt { arn } => Some((s.name.clone(), arn.clone())),
            _ => None,
        })
        .collect();
    let mut out = Adopted::default();
    if sets.is_empty() {
        return out;
    }
    progress.phase("adopting permission sets", sets.len());
    let futs = sets
        .into_iter()
        .map(|(name, arn)| {
            let aws = aws.clone();
            let instance = plan.instance_arn.clone();
            async move {
                let r = tag_owned(&aws, &instance, &arn).await;
                Ok((name, r))
            }
        })
        .collect();
    match bounded(concurrency, futs).await {
        Ok(results) => {
            for (name, r) in results {
                match r {
                    Ok(()) => {
                        progress.step(&format!("adopted permission set `{name}`"));
                        out.adopted.push(name);
                    }
                    Err(e) => {
                        let e = e.about(&format!("permission set `{name}`"));
                        progress.fail(&e.to_string());
                        out.failures.push(e.to_string());
                    }
                }
            }
        }
        Err(e) => out.failures.push(format!("adopting permission sets: {e}")),
    }
    progress.finish();
    out
}

/// Execute the plan.
pub async fn apply(
    aws: &Aws,
    plan: &Plan,
    opts: &ApplyOptions,
    progress: &mut Progress,
) -> Outcome {
    aws.backoff.set_max_window(opts.max_in_flight.clamp(1, 15));
    let instance = plan.instance_arn.as_str();
    let mut out = Outcome::default();
    let sets = &plan.permission_sets;

    // 1. Permission sets and their policies.
    let edits: Vec<(usize, Edit)> = sets
        .iter()
        .enumerate()
        .filter_map(|(i, s)| Edit::of(&s.action).map(|e| (i, e)))
        .collect();
    let mut arns: Vec<Option<String>> = sets
        .iter()
        .map(|s| s.action.arn().map(str::to_string))
        .collect();
    let mut broken: HashSet<usize> = HashSet::new();
    let mut fatal = false;
    if !edits.is_empty() {
        progress.phase("permission sets", edits.len());
        let futs = edits
            .into_iter()
            .map(|(i, edit)| {
                let aws = aws.clone();
                let instance = instance.to_string();
                let (name, changes) = (sets[i].name.clone(), sets[i].changes.clone());
                async move { Ok((i, edit_set(aws, instance, name, edit, changes).await)) }
            })
            .collect();
        let results: Vec<(usize, Edited)> = match bounded(opts.set_concurrency, futs).await {
            Ok(r) => r,
            Err(e) => {
                // Only a task that panicked gets here: say so, and touch nothing more.
                out.failures.push(format!("editing permission sets: {e}"));
                out.skipped
                    .push("every other change: the run stopped".into());
                return out;
            }
        };
        for (i, edited) in results {
            let s = &sets[i];
            let creating = matches!(s.action, SetAction::Create(_));
            if edited.arn.is_some() && creating {
                out.sets_created += 1;
            }
            arns[i] = edited.arn.or(arns[i].take());
            match edited.result {
                Ok(()) => {
                    if creating {
                        progress.step(&format!("created permission set `{}`", s.name));
                    } else {
                        out.sets_updated += 1;
                        progress.step(&format!("updated permission set `{}`", s.name));
                    }
                }
                Err(e) => {
                    fatal |= matches!(e.kind, ErrorKind::Unreachable | ErrorKind::Credentials);
                    progress.fail(&e.to_string());
                    out.failures.push(e.to_string());
                    broken.insert(i);
                }
            }
        }
    }
    if plan.attributes.is_some() && !fatal {
        match set_attributes(aws, instance, plan).await {
            Ok(()) => out.attributes = true,
            Err(e) => {
                fatal |= matches!(e.kind, ErrorKind::Unreachable | ErrorKind::Credentials);
                out.failures.push(e.about("ABAC attributes").to_string());
            }
        }
    }

    let skip_rest = |out: &mut Outcome, why: &str| {
        for (i, s) in sets.iter().enumerate() {
            let n = usize::from(s.reprovision.is_some() && !broken.contains(&i))
                + s.create_assignments.len()
                + s.delete_assignments.len()
                + usize::from(matches!(s.action, SetAction::Delete { .. }));
            if n > 0 {
                out.skipped
                    .push(format!("`{}`: {n} change(s): {why}", s.name));
            }
        }
    };
    if fatal {
        skip_rest(&mut out, "the service could not be reached");
        return out;
    }

    // 2. Re-provisioning, 3. creations, 4. deletions.
    let mut phase_jobs: [Vec<Job>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    for (i, s) in sets.iter().enumerate() {
        if broken.contains(&i) {
            let n = usize::from(s.reprovision.is_some()) + s.create_assignments.len();
            if n > 0 {
                out.skipped.push(format!(
                    "`{}`: {n} provisioning and assignment change(s): the set could not be edited",
                    s.name
                ));
            }
            continue;
        }
        let Some(arn) = arns[i].clone() else { continue };
        if let Some(r) = &s.reprovision {
            phase_jobs[0].push(Job {
                label: format!("`{}` on all provisioned accounts", s.name),
                work: Work::Provision {
                    set_arn: arn.clone(),
                },
                accounts: if r.accounts.is_empty() {
                    vec![format!("(set {})", s.name)]
                } else {
                    r.accounts.clone()
                },
                owner: i,
            });
        }
        for a in &s.create_assignments {
            phase_jobs[1].push(Job {
                label: assign_label(&s.name, a),
                work: Work::Create {
                    set_arn: arn.clone(),
                    kind: a.principal_type,
                    pid: a.principal_id.clone(),
                    account: a.account_id.clone(),
                },
                accounts: vec![a.account_id.clone()],
                owner: i,
            });
        }
        for a in &s.delete_assignments {
            phase_jobs[2].push(Job {
                label: assign_label(&s.name, a),
                work: Work::Delete {
                    set_arn: arn.clone(),
                    kind: a.principal_type,
                    pid: a.principal_id.clone(),
                    account: a.account_id.clone(),
                },
                accounts: vec![a.account_id.clone()],
                owner: i,
            });
        }
    }
    let names = [
        "re-provisioning",
        "creating assignments",
        "deleting assignments",
    ];
    let mut failed_owner: HashSet<usize> = HashSet::new();
    for (p, jobs) in phase_jobs.iter().enumerate() {
        if jobs.is_empty() {
            continue;
        }
        progress.phase(names[p], jobs.len());
        let results = run_jobs(aws, instance, jobs, opts, progress).await;
        let mut stopped = false;
        for (j, r) in jobs.iter().zip(results) {
            match r {
                Some(Ok(())) => match p {
                    0 => out.sets_reprovisioned += 1,
                    1 => out.assignments_created += 1,
                    _ => out.assignments_deleted += 1,
                },
                Some(Err(m)) => {
                    failed_owner.insert(j.owner);
                    out.failures
                        .push(format!("{} {}: {m}", j.work.doing(), j.label));
                }
                None => {
                    stopped = true;
                    failed_owner.insert(j.owner);
                    out.skipped.push(format!(
                        "{} {}: not started, the service could not be used",
                        j.work.doing(),
                        j.label
                    ));
                }
            }
        }
        if stopped {
            for later in phase_jobs.iter().skip(p + 1) {
                for j in later {
                    out.skipped.push(format!(
                        "{} {}: not started, the service could not be used",
                        j.work.doing(),
                        j.label
                    ));
                }
            }
            return out;
        }
    }

    // 4b. Owned sets the source no longer has, once their assignments are gone.
    let doomed: Vec<(&str, &str)> = sets
        .iter()
        .enumerate()
        .filter(|(i, _)| !failed_owner.contains(i))
        .filter_map(|(_, s)| match &s.action {
            SetAction::Delete { arn } => Some((s.name.as_str(), arn.as_str())),
            _ => None,
        })
        .collect();
    if !doomed.is_empty() {
        progress.phase("deleting permission sets", doomed.len());
    }
    for (name, arn) in doomed {
        match delete_set(aws, instance, arn).await {
            Ok(()) => {
                out.sets_deleted += 1;
                progress.step(&format!("deleted permission set `{name}`"));
            }
            Err(e) => {
                let e = e.about(&format!("permission set `{name}`"));
                progress.fail(&e.to_string());
                out.failures.push(e.to_string());
            }
        }
    }
    for (i, s) in sets.iter().enumerate() {
        if matches!(s.action, SetAction::Delete { .. }) && failed_owner.contains(&i) {
            out.skipped.push(format!(
                "deleting permission set `{}`: some of its assignments could not be deleted",
                s.name
            ));
        }
    }
    progress.finish();
    out
}
