//! `accessc import` from the live instance: the organization, the groups
//! and users that hold assignments, every permission set with every field,
//! the access-control attributes and every assignment, read into the
//! [`ImportModel`] the program writer turns into a program.
//!
//! The reads scale with permission sets and principals, never with
//! assignments or (set, account) pairs: the store's groups and users are
//! listed (100 a page), then `ListAccountAssignmentsForPrincipal` for each
//! (100 assignments a page); each set costs a fixed handful of calls. Every
//! call goes through the client (retries, back-off, counting, pagination
//! bounds); at most `concurrency` run at once in each of the two branches
//! read side by side (the organization; the instance). The answers are
//! untrusted: every count and every text is bounded, and an inline policy
//! must be a JSON document.

use super::client::Aws;
use super::live::{
    bounded, for_principal, list_store, read_attributes, read_sets, resolve_instance, LiveSet,
    SetDepth,
};
use super::snapshot;
use super::{AwsError, ErrorKind};
use accessc_core::ir::PrincipalType;
use accessc_core::org_snapshot::IdentityStore;
use accessc_import::model::{
    Assignment, Attribute, ImportModel, Instance, PermissionSet, Principal,
};
use std::collections::{BTreeSet, HashMap};

/// How to read the instance.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// `--instance-arn`; else the only instance of the region.
    pub instance_arn: Option<String>,
    /// Concurrent read calls in each branch.
    pub concurrency: usize,
}

/// The most assignments an instance may list before the answer is refused
/// as implausible (AWS's quota is 500,000 per instance).
pub const MAX_ASSIGNMENTS: usize = 5_000_000;
/// The most groups and users an identity store may list.
pub const MAX_PRINCIPALS: usize = 5_000_000;

/// The longest text AWS stores in each field of a permission set (the API
/// Reference's limits); a longer answer is not AWS's.
const LIMITS: &[(&str, usize)] = &[
    ("name", 32),
    ("description", 700),
    ("relay state", 240),
    ("session duration", 100),
    ("inline policy", 32_768),
];
const MAX_TAGS: usize = 50;
const MAX_POLICIES: usize = 100;

fn implausible(what: impl Into<String>) -> AwsError {
    AwsError::new(
        ErrorKind::Server,
        "reading the instance",
        format!("{}: the endpoint is not answering like AWS", what.into()),
    )
}

fn limit(field: &str) -> usize {
    LIMITS
        .iter()
        .find(|(f, _)| *f == field)
        .map_or(usize::MAX, |(_, n)| *n)
}

/// A set as read, checked against AWS's limits; its inline policy must be
/// a JSON document.
fn checked_set(s: LiveSet) -> Result<PermissionSet, AwsError> {
    let shown: String = s.name.chars().take(64).collect();
    let texts = [
        ("name", Some(&s.name)),
        ("description", s.description.as_ref()),
        ("relay state", s.relay_state.as_ref()),
        ("session duration", Some(&s.session_duration)),
        ("inline policy", s.inline_policy.as_ref()),
    ];
    for (field, text) in texts {
        if let Some(t) = text {
            if t.chars().count() > limit(field) {
                return Err(implausible(format!(
                    "permission set `{shown}`: its {field} is longer than {} characters",
                    limit(field)
                )));
            }
        }
    }
    if s.tags.len() > MAX_TAGS {
        return Err(implausible(format!(
            "permission set `{shown}` has more than {MAX_TAGS} tags"
        )));
    }
    if s.managed_policies.len() + s.customer_managed_policies.len() > MAX_POLICIES {
        return Err(implausible(format!(
            "permission set `{shown}` has more than {MAX_POLICIES} attached policies"
        )));
    }
    if let Some(doc) = &s.inline_policy {
        match serde_json::from_str::<serde_json::Value>(doc) {
            Ok(v) if v.is_object() => {}
            Ok(_) => {
                return Err(AwsError::new(
                    ErrorKind::Invalid,
                    "GetInlinePolicyForPermissionSet",
                    format!("the inline policy of permission set `{shown}` is not a JSON object"),
                ))
            }
            Err(e) => {
                return Err(AwsError::new(
                    ErrorKind::Invalid,
                    "GetInlinePolicyForPermissionSet",
                    format!(
                        "the inline policy of permission set `{shown}` is not valid JSON ({e})"
                    ),
                ))
            }
        }
    }
    Ok(PermissionSet {
        arn: Some(s.arn),
        name: s.name,
        description: s.description,
        session_duration: Some(s.session_duration),
        relay_state: s.relay_state,
        tags: s.tags.into_iter().map(|t| (t.key, t.value)).collect(),
        managed_policies: s.managed_policies,
        customer_managed_policies: s.customer_managed_policies,
        permissions_boundary: s.permissions_boundary,
        inline_policy: s.inline_policy,
    })
}

/// Read the whole instance. Nothing is left out here (foreign sets
/// included): the writer decides what the program holds.
pub async fn read_instance(aws: &Aws, opts: &ImportOptions) -> Result<ImportModel, AwsError> {
    let concurrency = opts.concurrency.max(1);
    let (instance, store) = resolve_instance(aws, opts.instance_arn.as_deref()).await?;
    let (org, (sets, principals, rows, attributes)) = tokio::try_join!(
        snapshot::organization(aws, concurrency),
        read_identity_center(aws, &instance, &store, concurrency)
    )?;

    // The permission sets, by ARN.
    let mut by_arn: HashMap<String, String> = HashMap::new();
    let mut permission_sets = Vec::with_capacity(sets.len());
    for s in sets {
        by_arn.insert(s.arn.clone(), s.name.clone());
        permission_sets.push(checked_set(s)?);
    }

    let mut assignments = Vec::with_capacity(rows.len());
    for (set_arn, kind, pid, account) in rows {
        let Some(name) = by_arn.get(&set_arn) else {
            return Err(AwsError::new(
                ErrorKind::Other,
                "ListAccountAssignmentsForPrincipal",
                format!(
                    "an assignment names permission set {} that ListPermissionSets did not list: the instance changed while it was read; run the import again",
                    set_arn.chars().take(200).collect::<String>()
                ),
            ));
        };
        assignments.push(Assignment {
            permission_set: name.clone(),
            principal_type: kind,
            principal_id: pid,
            account_id: account,
        });
    }
    assignments.sort();
    assignments.dedup();

    // The groups and users that hold an assignment.
    let holders: BTreeSet<(PrincipalType, &str)> = assignments
        .iter()
        .map(|a| (a.principal_type, a.principal_id.as_str()))
        .collect();
    let mut held: Vec<Principal> = principals
        .into_iter()
        .filter(|p| holders.contains(&(p.kind, p.id.as_str())))
        .map(|p| Principal {
            kind: p.kind,
            id: p.id,
            name: Some(p.name),
        })
        .collect();
    held.sort_by(|a, b| (a.kind, &a.id).cmp(&(b.kind, &b.id)));
    held.dedup_by(|a, b| a.kind == b.kind && a.id == b.id);
    let mut groups = indexmap::IndexMap::new();
    let mut users = indexmap::IndexMap::new();
    let mut by_name: Vec<&Principal> = held.iter().collect();
    by_name.sort_by(|a, b| (a.kind, &a.name, &a.id).cmp(&(b.kind, &b.name, &b.id)));
    for p in by_name {
        let (Some(name), map) = (
            p.name.clone(),
            match p.kind {
                PrincipalType::Group => &mut groups,
                PrincipalType::User => &mut users,
            },
        ) else {
            continue;
        };
        // Two principals of one name: the first (by id) is named in the
        // snapshot; the writer pins every principal by id.
        map.entry(name).or_insert_with(|| p.id.clone());
    }
    let mut org = org;
    org.identity_store = Some(IdentityStore {
        id: Some(store.clone()),
        groups,
        users,
    });

    Ok(ImportModel {
        instance: Instance {
            arn: Some(instance),
            identity_store_id: Some(store),
            region: Some(aws.region.clone()),
        },
        org: Some(org),
        attributes: attributes
            .unwrap_or_default()
            .into_iter()
            .map(|a| Attribute {
                key: a.key,
                source: a.value,
            })
            .collect(),
        permission_sets,
        principals: held,
        assignments,
    })
}

type Row = (String, PrincipalType, String, String);
type Read = (
    Vec<LiveSet>,
    Vec<super::live::LivePrincipal>,
    Vec<Row>,
    Option<Vec<accessc_core::ir::Attribute>>,
);

/// The instance's side: sets, the store's principals, their assignments and
/// the attributes.
async fn read_identity_center(
    aws: &Aws,
    instance: &str,
    store: &str,
    concurrency: usize,
) -> Result<Read, AwsError> {
    let (sets, principals) = tokio::try_join!(
        read_sets(aws, instance, concurrency, &SetDepth::All),
        list_store(aws, store)
    )?;
    if principals.len() > MAX_PRINCIPALS {
        return Err(implausible(format!(
            "the identity store lists more than {MAX_PRINCIPALS} groups and users"
        )));
    }
    let keys: Vec<(PrincipalType, String)> = principals
        .iter()
        .map(|p| (p.kind, p.id.clone()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let futs = keys
        .into_iter()
        .map(|(kind, id)| {
            let aws = aws.clone();
            let instance = instance.to_string();
            async move { for_principal(&aws, &instance, kind, &id).await }
        })
        .collect();
    let mut rows = Vec::new();
    for mut r in bounded(concurrency, futs).await? {
        rows.append(&mut r);
        if rows.len() > MAX_ASSIGNMENTS {
            return Err(implausible(format!(
                "the instance lists more than {MAX_ASSIGNMENTS} assignments"
            )));
        }
    }
    let attributes = read_attributes(aws, instance).await?;
    Ok((sets, principals, rows, attributes))
}
