//! What the offline readers (CloudFormation templates, Terraform state)
//! share: their error, their bounds, and the last step that names
//! principals from an organization snapshot.

use crate::model::{Assignment, ImportModel, PermissionSet, Principal};
use accessc_core::ir::PrincipalType;
use accessc_core::org_snapshot::OrgSnapshot;
use std::collections::BTreeSet;
use std::fmt;

/// The most bytes one template or state file may hold.
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;
/// The most permission sets one import may read.
pub const MAX_PERMISSION_SETS: usize = 10_000;
/// The most assignments one import may read.
pub const MAX_ASSIGNMENTS: usize = 2_000_000;

/// Why an offline source could not be read: the file, what is wrong in it,
/// and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    /// The file (as the user named it).
    pub file: String,
    /// Where in the file, when known: a resource's logical id or address.
    pub at: Option<String>,
    pub message: String,
    pub help: String,
}

impl ReadError {
    pub fn new(file: &str, message: impl Into<String>, help: impl Into<String>) -> Self {
        ReadError {
            file: file.to_string(),
            at: None,
            message: message.into(),
            help: help.into(),
        }
    }

    pub fn at(mut self, at: impl Into<String>) -> Self {
        self.at = Some(at.into());
        self
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.at {
            Some(at) => write!(f, "{}: {at}: {}", self.file, self.message)?,
            None => write!(f, "{}: {}", self.file, self.message)?,
        }
        write!(f, "\n  help: {}", self.help)
    }
}

impl std::error::Error for ReadError {}

/// One input file: the name to report and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
}

/// Fill `model.principals` from its assignments (each principal once, in
/// the order first named) and, given an organization snapshot, name them
/// from its identity store and attach the snapshot.
pub fn finish(mut model: ImportModel, org: Option<OrgSnapshot>) -> ImportModel {
    model.assignments.sort();
    model.assignments.dedup();
    let mut seen = BTreeSet::new();
    let mut principals = Vec::new();
    for a in &model.assignments {
        if seen.insert((a.principal_type, a.principal_id.clone())) {
            principals.push(Principal {
                kind: a.principal_type,
                id: a.principal_id.clone(),
                name: None,
            });
        }
    }
    if let Some(store) = org.as_ref().and_then(|o| o.identity_store.as_ref()) {
        for p in &mut principals {
            let names = match p.kind {
                PrincipalType::Group => &store.groups,
                PrincipalType::User => &store.users,
            };
            p.name = names
                .iter()
                .find(|(_, id)| **id == p.id)
                .map(|(name, _)| name.clone());
        }
        if model.instance.identity_store_id.is_none() {
            model.instance.identity_store_id = store.id.clone();
        }
    }
    model.principals = principals;
    model.org = org;
    model
}

/// Check the bounds of what was read.
pub fn check_bounds(
    file: &str,
    sets: &[PermissionSet],
    assignments: &[Assignment],
) -> Result<(), ReadError> {
    if sets.len() > MAX_PERMISSION_SETS {
        return Err(ReadError::new(
            file,
            format!(
                "more than {MAX_PERMISSION_SETS} permission sets (an instance holds at most 2,000)"
            ),
            "import the sources of one instance",
        ));
    }
    if assignments.len() > MAX_ASSIGNMENTS {
        return Err(ReadError::new(
            file,
            format!("more than {MAX_ASSIGNMENTS} assignments"),
            "import the sources of one instance",
        ));
    }
    Ok(())
}

/// The size check every reader makes first.
pub fn check_size(f: &SourceFile) -> Result<(), ReadError> {
    if f.text.len() > MAX_FILE_BYTES {
        return Err(ReadError::new(
            &f.name,
            format!(
                "{} bytes, more than the {} MiB a source may hold",
                f.text.len(),
                MAX_FILE_BYTES / (1024 * 1024)
            ),
            "check that this is the right file",
        ));
    }
    Ok(())
}

/// The inline policy's text checked as JSON.
pub fn check_policy_json(file: &str, at: &str, set: &str, doc: &str) -> Result<(), ReadError> {
    serde_json::from_str::<serde_json::Value>(doc)
        .map(|_| ())
        .map_err(|e| {
            ReadError::new(
                file,
                format!("the inline policy of permission set `{set}` is not valid JSON: {e}"),
                "fix the policy document in the source (IAM accepts only JSON), then import again",
            )
            .at(at)
        })
}
