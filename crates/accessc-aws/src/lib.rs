//! The direct-API backend: `accessc plan | apply | drift` and `accessc org
//! snapshot`, through the AWS SDK for Rust (`docs/aws.md`).
//!
//! | file | turns | into |
//! |---|---|---|
//! | `client.rs` | `--profile`, `--region`, `--endpoint-url` | SDK clients; every call retried with adaptive back-off and counted |
//! | `live.rs` | the live instance | [`live::Live`]: owned permission sets, their assignments, principals, ABAC, operations in flight |
//! | `plan/` | IR × live state (pure) | [`plan::Plan`]: what to create, update, re-provision and delete; its rendering for people |
//! | `apply/` | a plan | AWS calls: sets first, then provisioning, creations, deletions; ≤ 15 async operations, each polled to its end |
//! | `drift.rs` | IR × live state (pure); snapshot × live organization | [`drift::Drift`]: what exists live but not in the source; [`drift::StaleSnapshot`]: what changed in the organization since the snapshot |
//! | `import.rs` | the whole live instance | the [`accessc_import::model::ImportModel`] `accessc import` writes a program from |
//! | `snapshot.rs` | the live organization and identity store | the `accessc-org/1` JSON `org from` reads; the organization alone ([`snapshot::organization`]) for `--org live` |
//!
//! Nothing is remembered between runs: every command re-reads the live state,
//! so an apply that was killed is finished by the next one.

#![deny(clippy::unwrap_used)]

pub mod apply;
pub mod client;
pub mod drift;
pub mod import;
pub mod live;
pub mod plan;
pub mod progress;
pub mod snapshot;

use std::fmt;

/// What kind of failure an AWS call ended in; it decides retries and the
/// message the user sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// ThrottlingException, TooManyRequestsException, the 15-operation cap.
    Throttled,
    /// ConflictException: a concurrent write; retried with back-off.
    Conflict,
    /// ResourceNotFoundException and its kin.
    NotFound,
    /// The request was refused as malformed (ValidationException …).
    Invalid,
    /// Missing, expired or rejected credentials.
    Credentials,
    /// AccessDeniedException.
    AccessDenied,
    /// No answer: connection refused, timeout.
    Unreachable,
    /// A 5xx or an answer that could not be read.
    Server,
    /// Anything else, including an asynchronous operation that FAILED.
    Other,
}

/// One failed AWS call or operation, with the resource it concerned.
#[derive(Debug, Clone)]
pub struct AwsError {
    pub kind: ErrorKind,
    /// The API operation (`CreateAccountAssignment`) or what was being done.
    pub operation: String,
    /// AWS's error code, when AWS answered.
    pub code: Option<String>,
    pub message: String,
    /// The SDK's own account of the failure (its error chain), shown only
    /// on request (`--verbose`): long, and rarely what the user needs.
    pub detail: Option<String>,
}

impl AwsError {
    pub fn new(kind: ErrorKind, operation: impl Into<String>, message: impl Into<String>) -> Self {
        AwsError {
            kind,
            operation: operation.into(),
            code: None,
            message: message.into(),
            detail: None,
        }
    }

    /// The same error, with the SDK's account of it.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// One line for people: the cause, then how to fix it.
    pub fn headline(&self) -> String {
        let op = &self.operation;
        let code = self.code.as_deref().unwrap_or("");
        match self.kind {
            ErrorKind::Credentials if code.starts_with("ExpiredToken") => format!(
                "the AWS credentials have expired ({op}: {code}); sign in again (`aws sso login`, or assume the role again) and re-run"
            ),
            ErrorKind::Credentials if !code.is_empty() => format!(
                "AWS rejected the credentials ({op}: {code}); check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the profile (--profile, AWS_PROFILE)"
            ),
            ErrorKind::Credentials => "no AWS credentials found; pass --profile or set AWS_PROFILE, set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run inside a role (instance profile, ECS task, OIDC web identity)".to_string(),
            ErrorKind::AccessDenied => match iam_action(op) {
                Some(action) => format!(
                    "access denied: the credentials may not call {action}; allow `{action}` in the role's policy (docs/aws.md lists what each command needs)"
                ),
                None => format!(
                    "access denied ({op}): {}; allow it in the role's policy (docs/aws.md lists what each command needs)",
                    self.message
                ),
            },
            ErrorKind::Throttled => format!(
                "AWS kept throttling {op} ({}); re-run later, or lower --read-concurrency or --max-in-flight",
                if code.is_empty() { "no answer but throttling" } else { code }
            ),
            ErrorKind::NotFound if op == "ListInstances" => format!(
                "{}; pass --region with the instance's region, or --instance-arn",
                self.message
            ),
            ErrorKind::Unreachable => format!(
                "cannot reach AWS ({op}: {}); check the network, --region and --endpoint-url",
                self.message
            ),
            ErrorKind::Server => format!(
                "AWS failed on its side ({op}{}): {}; re-run later",
                if code.is_empty() { String::new() } else { format!(", {code}") },
                self.message
            ),
            _ => self.to_string(),
        }
    }

    /// The same error, said about `resource`.
    pub fn about(mut self, resource: &str) -> Self {
        self.message = format!("{resource}: {}", self.message);
        self
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(code) => write!(f, "{} failed ({code}): {}", self.operation, self.message),
            None => write!(f, "{} failed: {}", self.operation, self.message),
        }
    }
}

impl std::error::Error for AwsError {}

/// The IAM action (`sso:ListInstances`) of an API operation this crate calls.
pub fn iam_action(operation: &str) -> Option<String> {
    const ORGANIZATIONS: &[&str] = &[
        "DescribeOrganization",
        "ListRoots",
        "ListOrganizationalUnitsForParent",
        "ListAccountsForParent",
        "ListAccounts",
    ];
    const IDENTITY_STORE: &[&str] = &[
        "GetGroupId",
        "GetUserId",
        "ListGroups",
        "ListUsers",
        "DescribeGroup",
        "DescribeUser",
    ];
    if operation.is_empty() || !operation.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let service = if ORGANIZATIONS.contains(&operation) {
        "organizations"
    } else if IDENTITY_STORE.contains(&operation) {
        "identitystore"
    } else if operation.starts_with(|c: char| c.is_ascii_uppercase()) {
        "sso"
    } else {
        return None;
    };
    Some(format!("{service}:{operation}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_common_failure_is_one_line_with_its_fix() {
        let with_code = |kind, op: &str, code: &str, message: &str| AwsError {
            code: Some(code.to_string()),
            ..AwsError::new(kind, op, message)
        };
        let cases = [
            (
                AwsError::new(ErrorKind::Credentials, "loading AWS credentials", "x")
                    .with_detail("a very long chain ".repeat(50)),
                "no AWS credentials found; pass --profile or set AWS_PROFILE, set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run inside a role (instance profile, ECS task, OIDC web identity)",
            ),
            (
                with_code(ErrorKind::Credentials, "ListInstances", "ExpiredTokenException", "The security token included in the request is expired"),
                "the AWS credentials have expired (ListInstances: ExpiredTokenException); sign in again (`aws sso login`, or assume the role again) and re-run",
            ),
            (
                with_code(ErrorKind::Credentials, "ListInstances", "UnrecognizedClientException", "bad"),
                "AWS rejected the credentials (ListInstances: UnrecognizedClientException); check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the profile (--profile, AWS_PROFILE)",
            ),
            (
                with_code(ErrorKind::AccessDenied, "ListAccountsForParent", "AccessDeniedException", "no"),
                "access denied: the credentials may not call organizations:ListAccountsForParent; allow `organizations:ListAccountsForParent` in the role's policy (docs/aws.md lists what each command needs)",
            ),
            (
                with_code(ErrorKind::AccessDenied, "CreateAccountAssignment", "AccessDeniedException", "no"),
                "access denied: the credentials may not call sso:CreateAccountAssignment; allow `sso:CreateAccountAssignment` in the role's policy (docs/aws.md lists what each command needs)",
            ),
            (
                with_code(ErrorKind::Throttled, "ListPermissionSets", "ThrottlingException", "Rate exceeded"),
                "AWS kept throttling ListPermissionSets (ThrottlingException); re-run later, or lower --read-concurrency or --max-in-flight",
            ),
            (
                AwsError::new(ErrorKind::NotFound, "ListInstances", "no IAM Identity Center instance in region eu-west-3"),
                "no IAM Identity Center instance in region eu-west-3; pass --region with the instance's region, or --instance-arn",
            ),
            (
                AwsError::new(ErrorKind::Unreachable, "ListInstances", "connection refused"),
                "cannot reach AWS (ListInstances: connection refused); check the network, --region and --endpoint-url",
            ),
        ];
        for (e, want) in cases {
            assert_eq!(e.headline(), want);
            assert!(!e.headline().contains('\n'));
        }
    }
}
