//! The asynchronous half of an apply: provisioning, assignment creations and
//! deletions. Each is started, then its status is polled with back-off until
//! it leaves IN_PROGRESS or times out; at most the back-off window of them
//! run at once, never two in one account.

use super::ApplyOptions;
use crate::client::Aws;
use crate::live::{read_in_flight, sdk_ptype};
use crate::progress::Progress;
use crate::{AwsError, ErrorKind};
use accessc_core::ir::PrincipalType;
use aws_sdk_ssoadmin::types::{
    AccountAssignmentOperationStatus, PermissionSetProvisioningStatus, ProvisionTargetType,
    StatusValues, TargetType,
};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

/// One asynchronous operation.
#[derive(Debug, Clone)]
pub(super) enum Work {
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
    pub(super) fn done(&self) -> &'static str {
        match self {
            Work::Provision { .. } => "re-provisioned",
            Work::Create { .. } => "created",
            Work::Delete { .. } => "deleted",
        }
    }

    /// What was being done, for failures.
    pub(super) fn doing(&self) -> &'static str {
        match self {
            Work::Provision { .. } => "re-provisioning",
            Work::Create { .. } => "creating",
            Work::Delete { .. } => "deleting",
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct Job {
    pub label: String,
    pub work: Work,
    /// The accounts whose roles it updates; no two jobs share one at a time.
    pub accounts: Vec<String>,
    /// Index of the set plan it belongs to.
    pub owner: usize,
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

/// How an asynchronous operation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    InProgress,
    Succeeded,
    Failed,
}

/// What the start call or one status read says of an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
struct OpState {
    request_id: String,
    status: Status,
    /// AWS's reason, for a failed operation.
    reason: Option<String>,
}

/// The status shapes the SDK returns (provisioning; assignment creation and
/// deletion), read alike.
trait OperationStatus {
    fn request_id(&self) -> Option<&str>;
    fn status(&self) -> Option<&StatusValues>;
    fn failure_reason(&self) -> Option<&str>;
}

impl OperationStatus for PermissionSetProvisioningStatus {
    fn request_id(&self) -> Option<&str> {
        self.request_id()
    }
    fn status(&self) -> Option<&StatusValues> {
        self.status()
    }
    fn failure_reason(&self) -> Option<&str> {
        self.failure_reason()
    }
}

impl OperationStatus for AccountAssignmentOperationStatus {
    fn request_id(&self) -> Option<&str> {
        self.request_id()
    }
    fn status(&self) -> Option<&StatusValues> {
        self.status()
    }
    fn failure_reason(&self) -> Option<&str> {
        self.failure_reason()
    }
}

fn state_of<S: OperationStatus>(s: Option<&S>) -> OpState {
    OpState {
        request_id: s
            .and_then(|s| s.request_id())
            .unwrap_or_default()
            .to_string(),
        status: match s.and_then(|s| s.status()) {
            Some(StatusValues::Succeeded) => Status::Succeeded,
            Some(StatusValues::Failed) => Status::Failed,
            _ => Status::InProgress,
        },
        reason: s.and_then(|s| s.failure_reason()).map(str::to_string),
    }
}

impl Work {
    /// Start the operation. `None`: nothing to wait for (the assignment to
    /// delete is already gone, as after an earlier run).
    async fn start(&self, aws: &Aws, instance: &str) -> Result<Option<OpState>, JobError> {
        match self {
            Work::Provision { set_arn } => aws
                .call("ProvisionPermissionSet", || {
                    aws.sso
                        .provision_permission_set()
                        .instance_arn(instance)
                        .permission_set_arn(set_arn)
                        .target_type(ProvisionTargetType::AllProvisionedAccounts)
                        .send()
                })
                .await
                .map(|out| Some(state_of(out.permission_set_provisioning_status())))
                .map_err(job_error),
            Work::Create {
                set_arn,
                kind,
                pid,
                account,
            } => aws
                .call("CreateAccountAssignment", || {
                    aws.sso
                        .create_account_assignment()
                        .instance_arn(instance)
                        .permission_set_arn(set_arn)
                        .principal_type(sdk_ptype(*kind))
                        .principal_id(pid)
                        .target_type(TargetType::AwsAccount)
                        .target_id(account)
                        .send()
                })
                .await
                .map(|out| Some(state_of(out.account_assignment_creation_status())))
                .map_err(job_error),
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
                            .instance_arn(instance)
                            .permission_set_arn(set_arn)
                            .principal_type(sdk_ptype(*kind))
                            .principal_id(pid)
                            .target_type(TargetType::AwsAccount)
                            .target_id(account)
                            .send()
                    })
                    .await;
                match out {
                    // Already gone (an earlier run deleted it): done.
                    Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
                    other => other
                        .map(|out| Some(state_of(out.account_assignment_deletion_status())))
                        .map_err(job_error),
                }
            }
        }
    }

    /// Read the status of the operation `request_id` once.
    async fn describe(
        &self,
        aws: &Aws,
        instance: &str,
        request_id: &str,
    ) -> Result<OpState, JobError> {
        match self {
            Work::Provision { .. } => aws
                .call("DescribePermissionSetProvisioningStatus", || {
                    aws.sso
                        .describe_permission_set_provisioning_status()
                        .instance_arn(instance)
                        .provision_permission_set_request_id(request_id)
                        .send()
                })
                .await
                .map(|out| state_of(out.permission_set_provisioning_status())),
            Work::Create { .. } => aws
                .call("DescribeAccountAssignmentCreationStatus", || {
                    aws.sso
                        .describe_account_assignment_creation_status()
                        .instance_arn(instance)
                        .account_assignment_creation_request_id(request_id)
                        .send()
                })
                .await
                .map(|out| state_of(out.account_assignment_creation_status())),
            Work::Delete { .. } => aws
                .call("DescribeAccountAssignmentDeletionStatus", || {
                    aws.sso
                        .describe_account_assignment_deletion_status()
                        .instance_arn(instance)
                        .account_assignment_deletion_request_id(request_id)
                        .send()
                })
                .await
                .map(|out| state_of(out.account_assignment_deletion_status())),
        }
        .map_err(job_error)
    }
}

/// Poll an operation until it leaves IN_PROGRESS, with `describe` reading
/// its status. The wait between reads starts at `poll` and grows by half to
/// 5 s; an operation still IN_PROGRESS `timeout` after `started` counts as
/// failed. SUCCEEDED is `Ok`; FAILED carries AWS's reason.
async fn poll_to_end<F, Fut>(
    first: OpState,
    started: Instant,
    poll: Duration,
    timeout: Duration,
    mut describe: F,
) -> Result<(), JobError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<OpState, JobError>>,
{
    let request_id = first.request_id;
    let (mut status, mut reason) = (first.status, first.reason);
    let mut wait = poll;
    while status == Status::InProgress {
        if started.elapsed() > timeout {
            return Err(JobError::Failed(format!(
                "still IN_PROGRESS after {} s (request {request_id}); it may yet finish: the next run will see",
                timeout.as_secs()
            )));
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 3 / 2).min(Duration::from_secs(5));
        let now = describe().await?;
        status = now.status;
        reason = now.reason;
    }
    if status == Status::Failed {
        return Err(JobError::Failed(format!(
            "FAILED: {}",
            reason.unwrap_or_else(|| "AWS gave no reason".into())
        )));
    }
    Ok(())
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
    let Some(first) = work.start(&aws, &instance).await? else {
        return Ok(());
    };
    let request_id = first.request_id.clone();
    poll_to_end(first, started, poll, timeout, || {
        work.describe(&aws, &instance, &request_id)
    })
    .await
}

/// Run jobs: at most the back-off window (≤ `max_in_flight`) at once, one per
/// account at a time. Returns each job's result (`None`: not attempted).
pub(super) async fn run_jobs(
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn state(status: Status, reason: Option<&str>) -> OpState {
        OpState {
            request_id: "req-1".into(),
            status,
            reason: reason.map(str::to_string),
        }
    }

    /// Polls from `first` with `reads` as the successive status reads; the
    /// result as text, and how many reads were made.
    fn poll(
        first: OpState,
        reads: Vec<Result<OpState, JobError>>,
        timeout: Duration,
    ) -> (String, usize) {
        let reads = std::cell::RefCell::new(reads.into_iter());
        let count = Cell::new(0);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime");
        let r = rt.block_on(poll_to_end(
            first,
            Instant::now(),
            Duration::from_millis(1),
            timeout,
            || {
                count.set(count.get() + 1);
                let next = reads.borrow_mut().next();
                async move { next.unwrap_or_else(|| Ok(state(Status::InProgress, None))) }
            },
        ));
        let text = match r {
            Ok(()) => "ok".to_string(),
            Err(JobError::Failed(m)) => format!("failed: {m}"),
            Err(JobError::Fatal(m)) => format!("fatal: {m}"),
        };
        (text, count.get())
    }

    const LONG: Duration = Duration::from_secs(60);

    #[test]
    fn an_operation_is_read_until_it_succeeds() {
        let reads = vec![
            Ok(state(Status::InProgress, None)),
            Ok(state(Status::Succeeded, None)),
        ];
        assert_eq!(
            poll(state(Status::InProgress, None), reads, LONG),
            ("ok".into(), 2)
        );
        // Done at once: no read.
        assert_eq!(
            poll(state(Status::Succeeded, None), vec![], LONG),
            ("ok".into(), 0)
        );
    }

    #[test]
    fn a_failed_operation_gives_aws_reason() {
        let reads = vec![Ok(state(Status::Failed, Some("no such principal")))];
        assert_eq!(
            poll(state(Status::InProgress, None), reads, LONG),
            ("failed: FAILED: no such principal".into(), 1)
        );
        assert_eq!(
            poll(state(Status::Failed, None), vec![], LONG),
            ("failed: FAILED: AWS gave no reason".into(), 0)
        );
    }

    #[test]
    fn a_read_that_cannot_be_made_ends_the_poll() {
        let reads = vec![Err(JobError::Fatal("no answer".into()))];
        assert_eq!(
            poll(state(Status::InProgress, None), reads, LONG),
            ("fatal: no answer".into(), 1)
        );
    }

    #[test]
    fn an_operation_in_progress_past_the_timeout_counts_as_failed() {
        let (text, reads) = poll(
            state(Status::InProgress, None),
            vec![],
            Duration::from_millis(30),
        );
        assert!(
            text.starts_with("failed: still IN_PROGRESS after 0 s (request req-1)"),
            "{text}"
        );
        assert!(reads >= 1, "{reads}");
    }
}
