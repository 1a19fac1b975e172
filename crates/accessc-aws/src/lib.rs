//! The direct-API backend: `accessc plan | apply | drift` and `accessc org
//! snapshot`, through the AWS SDK for Rust (`docs/aws.md`).
//!
//! | file | turns | into |
//! |---|---|---|
//! | `client.rs` | `--profile`, `--region`, `--endpoint-url` | SDK clients; every call retried with adaptive back-off and counted |
//! | `live.rs` | the live instance | [`live::Live`]: owned permission sets, their assignments, principals, ABAC, operations in flight |
//! | `plan/` | IR × live state (pure) | [`plan::Plan`]: what to create, update, re-provision and delete; its rendering for people |
//! | `apply/` | a plan | AWS calls: sets first, then provisioning, creations, deletions; ≤ 15 async operations, each polled to its end |
//! | `drift.rs` | IR × live state (pure) | [`drift::Drift`]: what exists live but not in the source |
//! | `snapshot.rs` | the live organization and identity store | the `accessc-org/1` JSON `org from` reads |
//!
//! Nothing is remembered between runs: every command re-reads the live state,
//! so an apply that was killed is finished by the next one.

#![deny(clippy::unwrap_used)]

pub mod apply;
pub mod client;
pub mod drift;
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
}

impl AwsError {
    pub fn new(kind: ErrorKind, operation: impl Into<String>, message: impl Into<String>) -> Self {
        AwsError {
            kind,
            operation: operation.into(),
            code: None,
            message: message.into(),
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
