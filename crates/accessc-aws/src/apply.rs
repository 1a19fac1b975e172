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

use super::client::Aws;
use super::live::{bounded, read_in_flight, sdk_ptype};
use super::plan::{assignment_text, AssignmentChange, Change, Op, Plan, SetAction, SetPlan};
use super::progress::Progress;
use super::{AwsError, ErrorKind};
use accessc_core::ir::{Boundary, PrincipalType};
use aws_sdk_ssoadmin::types::{
    AccessControlAttribute, AccessControlAttributeValue, CustomerManagedPolicyReference,
    InstanceAccessControlAttributeConfiguration, PermissionsBoundary, ProvisionTargetType,
    StatusValues, Tag, TargetType,
};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

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

fn tolerate(r: Result<(), AwsError>, ok: ErrorKind) -> Result<(), AwsError> {
    match r {
        Err(e) if e.kind == ok => Ok(()),
        other => other,
    }
}

fn sdk_tags(tags: &[(String, String)]) -> Result<Vec<Tag>, AwsError> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| AwsError::new(ErrorKind::Invalid, "TagResource", e.to_string()))
        })
        .collect()
}

fn cmp_ref(name: &str, path: &str) -> Result<CustomerManagedPolicyReference, AwsError> {
    CustomerManagedPolicyReference::builder()
        .name(name)
        .path(path)
        .build()
        .map_err(|e| {
            AwsError::new(
                ErrorKind::Invalid,
                "CustomerManagedPolicyReference",
                e.to_string(),
            )
        })
}

/// What editing one permission set did: its ARN once it exists (also when a
/// later change failed, so the report can say the set was created).
struct Edited {
    arn: Option<String>,
    result: Result<(), AwsError>,
}

/// Create or update one permission set: fields, policies, boundary, tags.
async fn edit_set(aws: Aws, instance: String, sp: SetPlan) -> Edited {
    let mut arn = None;
    let result = edit_set_inner(&aws, &instance, &sp, &mut arn).await;
    let result = result.map_err(|e| match (&arn, sp.action) {
        (Some(_), SetAction::Create) => e.about(&format!(
            "permission set `{}` was created, but not all of it",
            sp.name
        )),
        _ => e.about(&format!("permission set `{}`", sp.name)),
    });
    Edited { arn, result }
}

async fn edit_set_inner(
    aws: &Aws,
    instance: &str,
    sp: &SetPlan,
    created: &mut Option<String>,
) -> Result<(), AwsError> {
    let Some(want) = &sp.desired else {
        return Err(AwsError::new(ErrorKind::Other, "edit", "no desired state"));
    };
    let arn = match (&sp.arn, sp.action) {
        (None, _) | (_, SetAction::Create) => {
            let tags = sdk_tags(
                &want
                    .tags
                    .iter()
                    .map(|t| (t.key.clone(), t.value.clone()))
                    .collect::<Vec<_>>(),
            )?;
            // The ownership tag goes on at creation, so a set never exists
            // untagged, even when the run is killed right after.
            let out = aws
                .call("CreatePermissionSet", || {
                    aws.sso
                        .create_permission_set()
                        .instance_arn(instance)
                        .name(&want.name)
                        .set_description(want.description.clone())
                        .session_duration(want.session_duration.to_iso8601())
                        .set_relay_state(want.relay_state.clone())
                        .set_tags(Some(tags.clone()))
                        .send()
                })
                .await?;
            out.permission_set()
                .and_then(|p| p.permission_set_arn())
                .map(str::to_string)
                .ok_or_else(|| {
                    AwsError::new(
                        ErrorKind::Server,
                        "CreatePermissionSet",
                        "no ARN in the answer",
                    )
                })?
        }
        (Some(arn), _) => arn.clone(),
    };
    *created = Some(arn.clone());
    let creating = sp.action == SetAction::Create;
    let arn = arn.as_str();

    if !creating {
        let mut description = None;
        let mut session = None;
        let mut relay = None;
        for c in &sp.changes {
            match c {
                Change::Description { to, .. } => description = to.clone(),
                Change::SessionDuration { to, .. } => session = Some(to.to_iso8601()),
                Change::RelayState { to, .. } => relay = to.clone(),
                _ => {}
            }
        }
        if description.is_some() || session.is_some() || relay.is_some() {
            aws.call("UpdatePermissionSet", || {
                aws.sso
                    .update_permission_set()
                    .instance_arn(instance)
                    .permission_set_arn(arn)
                    .set_description(description.clone())
                    .set_session_duration(session.clone())
                    .set_relay_state(relay.clone())
                    .send()
            })
            .await?;
        }
    }
    let mut add_tags = Vec::new();
    let mut remove_tags = Vec::new();
    for c in &sp.changes {
        match c {
            Change::ManagedPolicy {
                op: Op::Add,
                arn: p,
            } => tolerate(
                aws.call_with("AttachManagedPolicyToPermissionSet", false, || {
                    aws.sso
                        .attach_managed_policy_to_permission_set()
                        .instance_arn(instance)
                        .permission_set_arn(arn)
                        .managed_policy_arn(p)
                        .send()
                })
                .await
                .map(|_| ()),
                ErrorKind::Conflict,
            )?,
            Change::ManagedPolicy { arn: p, .. } => tolerate(
                aws.call("DetachManagedPolicyFromPermissionSet", || {
                    aws.sso
                        .detach_managed_policy_from_permission_set()
                        .instance_arn(instance)
                        .permission_set_arn(arn)
                        .managed_policy_arn(p)
                        .send()
                })
                .await
                .map(|_| ()),
                ErrorKind::NotFound,
            )?,
            Change::CustomerManagedPolicy { op, name, path } => {
                let r = cmp_ref(name, path)?;
                if *op == Op::Add {
                    tolerate(
                        aws.call_with(
                            "AttachCustomerManagedPolicyReferenceToPermissionSet",
                            false,
                            || {
                                aws.sso
                                    .attach_customer_managed_policy_reference_to_permission_set()
                                    .instance_arn(instance)
                                    .permission_set_arn(arn)
                                    .customer_managed_policy_reference(r.clone())
                                    .send()
                            },
                        )
                        .await
                        .map(|_| ()),
                        ErrorKind::Conflict,
                    )?
                } else {
                    tolerate(
                        aws.call(
                            "DetachCustomerManagedPolicyReferenceFromPermissionSet",
                            || {
                                aws.sso
                                    .detach_customer_managed_policy_reference_from_permission_set()
                                    .instance_arn(instance)
                                    .permission_set_arn(arn)
                                    .customer_managed_policy_reference(r.clone())
                                    .send()
                            },
                        )
                        .await
                        .map(|_| ()),
                        ErrorKind::NotFound,
                    )?
                }
            }
            Change::PermissionsBoundary { to: Some(b), .. } => {
                let boundary = match b {
                    Boundary::ManagedPolicyArn(a) => {
                        PermissionsBoundary::builder().managed_policy_arn(a).build()
                    }
                    Boundary::CustomerManagedPolicy(r) => PermissionsBoundary::builder()
                        .customer_managed_policy_reference(cmp_ref(&r.name, &r.path)?)
                        .build(),
                };
                aws.call("PutPermissionsBoundaryToPermissionSet", || {
                    aws.sso
                        .put_permissions_boundary_to_permission_set()
                        .instance_arn(instance)
                        .permission_set_arn(arn)
                        .permissions_boundary(boundary.clone())
                        .send()
                })
                .await?;
            }
            Change::PermissionsBoundary { to: None, .. } => tolerate(
                aws.call("DeletePermissionsBoundaryFromPermissionSet", || {
                    aws.sso
                        .delete_permissions_boundary_from_permission_set()
                        .instance_arn(instance)
                        .permission_set_arn(arn)
                        .send()
                })
                .await
                .map(|_| ()),
                ErrorKind::NotFound,
            )?,
            Change::InlinePolicy { to: Some(doc), .. } => {
                aws.call("PutInlinePolicyToPermissionSet", || {
                    aws.sso
                        .put_inline_policy_to_permission_set()
                        .instance_arn(instance)
                        .permission_set_arn(arn)
                        .inline_policy(doc)
                        .send()
                })
                .await?;
            }
            Change::InlinePolicy { to: None, .. } => tolerate(
                aws.call("DeleteInlinePolicyFromPermissionSet", || {
                    aws.sso
                        .delete_inline_policy_from_permission_set()
                        .instance_arn(instance)
                        .permission_set_arn(arn)
                        .send()
                })
                .await
                .map(|_| ()),
                ErrorKind::NotFound,
            )?,
            Change::Tag {
                op: Op::Remove,
                key,
                ..
            } => remove_tags.push(key.clone()),
            Change::Tag { key, to, .. } => {
                add_tags.push((key.clone(), to.clone().unwrap_or_default()))
            }
            Change::Description { .. }
            | Change::SessionDuration { .. }
            | Change::RelayState { .. } => {}
        }
    }
    if !creating && !add_tags.is_empty() {
        let tags = sdk_tags(&add_tags)?;
        aws.call("TagResource", || {
            aws.sso
                .tag_resource()
                .instance_arn(instance)
                .resource_arn(arn)
                .set_tags(Some(tags.clone()))
                .send()
        })
        .await?;
    }
    if !remove_tags.is_empty() {
        aws.call("UntagResource", || {
            aws.sso
                .untag_resource()
                .instance_arn(instance)
                .resource_arn(arn)
                .set_tag_keys(Some(remove_tags.clone()))
                .send()
        })
        .await?;
    }
    Ok(())
}

async fn set_attributes(aws: &Aws, instance: &str, plan: &Plan) -> Result<(), AwsError> {
    let Some(a) = &plan.attributes else {
        return Ok(());
    };
    let attrs =
        a.to.iter()
            .map(|at| {
                let value = AccessControlAttributeValue::builder()
                    .source(at.value.clone())
                    .build()
                    .map_err(|e| {
                        AwsError::new(ErrorKind::Invalid, "AccessControlAttribute", e.to_string())
                    })?;
                AccessControlAttribute::builder()
                    .key(&at.key)
                    .value(value)
                    .build()
                    .map_err(|e| {
                        AwsError::new(ErrorKind::Invalid, "AccessControlAttribute", e.to_string())
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
    let config = InstanceAccessControlAttributeConfiguration::builder()
        .set_access_control_attributes(Some(attrs))
        .build()
        .map_err(|e| AwsError::new(ErrorKind::Invalid, "AccessControlAttribute", e.to_string()))?;
    if a.from.is_some() {
        aws.call("UpdateInstanceAccessControlAttributeConfiguration", || {
            aws.sso
                .update_instance_access_control_attribute_configuration()
                .instance_arn(instance)
                .instance_access_control_attribute_configuration(config.clone())
                .send()
        })
        .await?;
    } else {
        aws.call("CreateInstanceAccessControlAttributeConfiguration", || {
            aws.sso
                .create_instance_access_control_attribute_configuration()
                .instance_arn(instance)
                .instance_access_control_attribute_configuration(config.clone())
                .send()
        })
        .await?;
    }
    Ok(())
}

/// One asynchronous operation.
#[derive(Debug, Clone)]
enum Work {
    Provision {
        set_arn: String,
    },
    Create {
        set_arn: String,
        kind: PrincipalType,
        pid: String,
        account: String,
    },
    Delete {
        set_arn: String,
        kind: PrincipalType,
        pid: String,
        account: String,
    },
}

impl Work {
    /// What the finished operation did, for progress lines.
    fn done(&self) -> &'static str {
        match self {
            Work::Provision { .. } => "re-provisioned",
            Work::Create { .. } => "created",
            Work::Delete { .. } => "deleted",
        }
    }

    /// What was being done, for failures.
    fn doing(&self) -> &'static str {
        match self {
            Work::Provision { .. } => "re-provisioning",
            Work::Create { .. } => "creating",
            Work::Delete { .. } => "deleting",
        }
    }
}

#[derive(Debug, Clone)]
struct Job {
    label: String,
    work: Work,
    /// The accounts whose roles it updates; no two jobs share one at a time.
    accounts: Vec<String>,
    /// Index of the set plan it belongs to.
    owner: usize,
}

enum JobError {
    /// The operation failed (AWS's reason); other operations go on.
    Failed(String),
    /// The service cannot be used (no answer, credentials): stop starting more.
    Fatal(String),
}

fn job_error(e: AwsError) -> JobError {
    match e.kind {
        ErrorKind::Unreachable | ErrorKind::Credentials | ErrorKind::AccessDenied => {
            JobError::Fatal(e.to_string())
        }
        _ => JobError::Failed(e.to_string()),
    }
}

fn status_of(s: Option<&StatusValues>) -> &'static str {
    match s {
        Some(StatusValues::Succeeded) => "SUCCEEDED",
        Some(StatusValues::Failed) => "FAILED",
        _ => "IN_PROGRESS",
    }
}

/// Start one operation and poll it to the end.
async fn run_job(
    aws: Aws,
    instance: String,
    work: Work,
    poll: Duration,
    timeout: Duration,
) -> Result<(), JobError> {
    let started = Instant::now();
    let (request_id, mut status, mut reason) = match &work {
        Work::Provision { set_arn } => {
            let out = aws
                .call("ProvisionPermissionSet", || {
                    aws.sso
                        .provision_permission_set()
                        .instance_arn(&instance)
                        .permission_set_arn(set_arn)
                        .target_type(ProvisionTargetType::AllProvisionedAccounts)
                        .send()
                })
                .await
                .map_err(job_error)?;
            let s = out.permission_set_provisioning_status();
            (
                s.and_then(|s| s.request_id())
                    .unwrap_or_default()
                    .to_string(),
                status_of(s.and_then(|s| s.status())),
                s.and_then(|s| s.failure_reason()).map(str::to_string),
            )
        }
        Work::Create {
            set_arn,
            kind,
            pid,
            account,
        } => {
            let out = aws
                .call("CreateAccountAssignment", || {
                    aws.sso
                        .create_account_assignment()
                        .instance_arn(&instance)
                        .permission_set_arn(set_arn)
                        .principal_type(sdk_ptype(*kind))
                        .principal_id(pid)
                        .target_type(TargetType::AwsAccount)
                        .target_id(account)
                        .send()
                })
                .await
                .map_err(job_error)?;
            let s = out.account_assignment_creation_status();
            (
                s.and_then(|s| s.request_id())
                    .unwrap_or_default()
                    .to_string(),
                status_of(s.and_then(|s| s.status())),
                s.and_then(|s| s.failure_reason()).map(str::to_string),
            )
        }
        Work::Delete {
            set_arn,
            kind,
            pid,
            account,
        } => {
            let out = aws
                .call("DeleteAccountAssignment", || {
                    aws.sso
                        .delete_account_assignment()
                        .instance_arn(&instance)
                        .permission_set_arn(set_arn)
                        .principal_type(sdk_ptype(*kind))
                        .principal_id(pid)
                        .target_type(TargetType::AwsAccount)
                        .target_id(account)
                        .send()
                })
                .await;
            let out = match out {
                // Already gone (an earlier run deleted it): done.
                Err(e) if e.kind == ErrorKind::NotFound => return Ok(()),
                other => other.map_err(job_error)?,
            };
            let s = out.account_assignment_deletion_status();
            (
                s.and_then(|s| s.request_id())
                    .unwrap_or_default()
                    .to_string(),
                status_of(s.and_then(|s| s.status())),
                s.and_then(|s| s.failure_reason()).map(str::to_string),
            )
        }
    };
    let mut wait = poll;
    while status == "IN_PROGRESS" {
        if started.elapsed() > timeout {
            return Err(JobError::Failed(format!(
                "still IN_PROGRESS after {} s (request {request_id}); it may yet finish: the next run will see",
                timeout.as_secs()
            )));
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 3 / 2).min(Duration::from_secs(5));
        let (s, r) = match &work {
            Work::Provision { .. } => {
                let out = aws
                    .call("DescribePermissionSetProvisioningStatus", || {
                        aws.sso
                            .describe_permission_set_provisioning_status()
                            .instance_arn(&instance)
                            .provision_permission_set_request_id(&request_id)
                            .send()
                    })
                    .await
                    .map_err(job_error)?;
                let s = out.permission_set_provisioning_status();
                (
                    status_of(s.and_then(|s| s.status())),
                    s.and_then(|s| s.failure_reason()).map(str::to_string),
                )
            }
            Work::Create { .. } => {
                let out = aws
                    .call("DescribeAccountAssignmentCreationStatus", || {
                        aws.sso
                            .describe_account_assignment_creation_status()
                            .instance_arn(&instance)
                            .account_assignment_creation_request_id(&request_id)
                            .send()
                    })
                    .await
                    .map_err(job_error)?;
                let s = out.account_assignment_creation_status();
                (
                    status_of(s.and_then(|s| s.status())),
                    s.and_then(|s| s.failure_reason()).map(str::to_string),
                )
            }
            Work::Delete { .. } => {
                let out = aws
                    .call("DescribeAccountAssignmentDeletionStatus", || {
                        aws.sso
                            .describe_account_assignment_deletion_status()
                            .instance_arn(&instance)
                            .account_assignment_deletion_request_id(&request_id)
                            .send()
                    })
                    .await
                    .map_err(job_error)?;
                let s = out.account_assignment_deletion_status();
                (
                    status_of(s.and_then(|s| s.status())),
                    s.and_then(|s| s.failure_reason()).map(str::to_string),
                )
            }
        };
        status = s;
        reason = r;
    }
    if status == "FAILED" {
        return Err(JobError::Failed(format!(
            "FAILED: {}",
            reason.unwrap_or_else(|| "AWS gave no reason".into())
        )));
    }
    Ok(())
}

/// Run jobs: at most the back-off window (≤ `max_in_flight`) at once, one per
/// account at a time. Returns each job's result (`None`: not attempted).
async fn run_jobs(
    aws: &Aws,
    instance: &str,
    jobs: &[Job],
    opts: &ApplyOptions,
    progress: &mut Progress,
) -> Vec<Option<Result<(), String>>> {
    let mut results: Vec<Option<Result<(), String>>> = vec![None; jobs.len()];
    let mut by_account: BTreeMap<&str, VecDeque<usize>> = BTreeMap::new();
    let mut turn: VecDeque<&str> = VecDeque::new();
    let mut multi: VecDeque<usize> = VecDeque::new();
    for (i, j) in jobs.iter().enumerate() {
        if let [one] = j.accounts.as_slice() {
            let q = by_account.entry(one.as_str()).or_default();
            if q.is_empty() {
                turn.push_back(one.as_str());
            }
            q.push_back(i);
        } else {
            multi.push_back(i);
        }
    }
    let mut busy: HashSet<&str> = HashSet::new();
    let mut running = tokio::task::JoinSet::new();
    let mut ids: HashMap<tokio::task::Id, usize> = HashMap::new();
    let mut stop: Option<String> = None;
    let mut peak = 0usize;
    loop {
        if stop.is_none() {
            let window = aws.backoff.window().clamp(1, opts.max_in_flight.max(1));
            let mut start = |i: usize, running: &mut tokio::task::JoinSet<Result<(), JobError>>| {
                let aws = aws.clone();
                let instance = instance.to_string();
                let work = jobs[i].work.clone();
                let (poll, timeout) = (opts.poll_interval, opts.op_timeout);
                let h =
                    running.spawn(async move { run_job(aws, instance, work, poll, timeout).await });
                ids.insert(h.id(), i);
            };
            let mut k = 0;
            while running.len() < window && k < multi.len() {
                let i = multi[k];
                if jobs[i].accounts.iter().all(|a| !busy.contains(a.as_str())) {
                    multi.remove(k);
                    busy.extend(jobs[i].accounts.iter().map(String::as_str));
                    start(i, &mut running);
                } else {
                    k += 1;
                }
            }
            let mut tries = turn.len();
            while running.len() < window && tries > 0 {
                tries -= 1;
                let Some(acct) = turn.pop_front() else { break };
                if busy.contains(acct) {
                    turn.push_back(acct);
                    continue;
                }
                let Some(q) = by_account.get_mut(acct) else {
                    continue;
                };
                if let Some(i) = q.pop_front() {
                    busy.insert(acct);
                    start(i, &mut running);
                }
                if q.is_empty() {
                    by_account.remove(acct);
                } else {
                    turn.push_back(acct);
                }
            }
        }
        peak = peak.max(running.len());
        let Some(joined) = running.join_next_with_id().await else {
            break;
        };
        let (id, r) = match joined {
            Ok((id, r)) => (id, r),
            Err(e) => (
                e.id(),
                Err(JobError::Failed(format!("internal error: {e}"))),
            ),
        };
        let Some(i) = ids.remove(&id) else { continue };
        for a in &jobs[i].accounts {
            busy.remove(a.as_str());
        }
        match r {
            Ok(()) => {
                progress.step(&format!("{} {}", jobs[i].work.done(), jobs[i].label));
                results[i] = Some(Ok(()));
            }
            Err(JobError::Failed(m)) => {
                let line = format!("{} {}: {m}", jobs[i].work.doing(), jobs[i].label);
                progress.fail(&line);
                results[i] = Some(Err(m));
            }
            Err(JobError::Fatal(m)) => {
                let line = format!("{} {}: {m}", jobs[i].work.doing(), jobs[i].label);
                progress.fail(&line);
                if stop.is_none() {
                    progress.note("the service cannot be used: no further operations are started");
                }
                stop.get_or_insert(m.clone());
                results[i] = Some(Err(m));
            }
        }
    }
    let _ = peak;
    results
}

/// Wait until no asynchronous operation of an earlier run is in progress.
pub async fn wait_in_flight(
    aws: &Aws,
    instance: &str,
    timeout: Duration,
    progress: &mut Progress,
) -> Result<(), AwsError> {
    let started = Instant::now();
    let mut wait = Duration::from_millis(200);
    loop {
        let f = read_in_flight(aws, instance).await?;
        if f.total() == 0 {
            return Ok(());
        }
        if started.elapsed() > timeout {
            return Err(AwsError::new(
                ErrorKind::Other,
                "waiting for earlier operations",
                format!(
                    "{} operation(s) of an earlier run are still IN_PROGRESS after {} s",
                    f.total(),
                    timeout.as_secs()
                ),
            ));
        }
        progress.note(&format!(
            "waiting for {} operation(s) of an earlier run to finish",
            f.total()
        ));
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(5));
    }
}

fn assign_label(set: &str, a: &AssignmentChange) -> String {
    format!("assignment {} in `{set}`", assignment_text(a))
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
    let edits: Vec<usize> = sets
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(s.action, SetAction::Create | SetAction::Update))
        .map(|(i, _)| i)
        .collect();
    let mut arns: Vec<Option<String>> = sets.iter().map(|s| s.arn.clone()).collect();
    let mut broken: HashSet<usize> = HashSet::new();
    let mut fatal = false;
    if !edits.is_empty() {
        progress.phase("permission sets", edits.len());
        let futs = edits
            .iter()
            .map(|&i| {
                let aws = aws.clone();
                let instance = instance.to_string();
                let sp = sets[i].clone();
                async move { Ok((i, edit_set(aws, instance, sp).await)) }
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
            if edited.arn.is_some() && s.action == SetAction::Create {
                out.sets_created += 1;
            }
            arns[i] = edited.arn.or(arns[i].take());
            match edited.result {
                Ok(()) => {
                    if s.action == SetAction::Create {
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
                + usize::from(s.action == SetAction::Delete);
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
    let doomed: Vec<usize> = sets
        .iter()
        .enumerate()
        .filter(|(i, s)| s.action == SetAction::Delete && !failed_owner.contains(i))
        .map(|(i, _)| i)
        .collect();
    if !doomed.is_empty() {
        progress.phase("deleting permission sets", doomed.len());
    }
    for i in doomed {
        let s = &sets[i];
        let Some(arn) = &s.arn else { continue };
        // A conflict here means the set is still provisioned somewhere (an
        // assignment this run did not see): retrying does not help.
        let r = aws
            .call_with("DeletePermissionSet", false, || {
                aws.sso
                    .delete_permission_set()
                    .instance_arn(instance)
                    .permission_set_arn(arn)
                    .send()
            })
            .await;
        match tolerate(r.map(|_| ()), ErrorKind::NotFound) {
            Ok(()) => {
                out.sets_deleted += 1;
                progress.step(&format!("deleted permission set `{}`", s.name));
            }
            Err(e) => {
                let e = e.about(&format!("permission set `{}`", s.name));
                progress.fail(&e.to_string());
                out.failures.push(e.to_string());
            }
        }
    }
    for (i, s) in sets.iter().enumerate() {
        if s.action == SetAction::Delete && failed_owner.contains(&i) {
            out.skipped.push(format!(
                "deleting permission set `{}`: some of its assignments could not be deleted",
                s.name
            ));
        }
    }
    progress.finish();
    out
}
