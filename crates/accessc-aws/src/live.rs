//! Read the live instance: every permission set (fields, policies and tags of
//! the sets accessc owns), the principals, the assignments of owned sets, the
//! ABAC configuration and the asynchronous operations still in flight.
//!
//! Assignments are listed per principal (`ListAccountAssignmentsForPrincipal`,
//! 100 a page), which costs one call per principal plus one per 100
//! assignments: a no-change plan of 200 sets, 2,000 accounts and 100,000
//! assignments stays in the low thousands of calls. Listing per (set,
//! account) (`ListAccountsForProvisionedPermissionSet` then
//! `ListAccountAssignments`) costs one call per pair, tens of thousands at
//! that size; it is kept as `--deep`, the one read that also sees
//! assignments of principals no longer in the identity store.

use super::client::Aws;
use super::{AwsError, ErrorKind};
use accessc_core::ir::{self, PrincipalType};
use aws_sdk_ssoadmin::types::{
    OperationStatusFilter, PrincipalType as SdkPrincipalType, ProvisioningStatus, StatusValues,
};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Which principals' assignments are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalScope {
    /// Every group and user of the identity store (the default): sees
    /// assignments of principals the program no longer names.
    Store,
    /// Only the program's principals, resolved by `GetGroupId` / `GetUserId`.
    Program,
}

#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// `--instance-arn`; else the program's `instance`, else the only instance.
    pub instance_arn: Option<String>,
    pub scope: PrincipalScope,
    /// List assignments per (set, account) instead of per principal.
    pub deep: bool,
    /// Concurrent read calls.
    pub concurrency: usize,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            instance_arn: None,
            scope: PrincipalScope::Store,
            deep: false,
            concurrency: 8,
        }
    }
}

/// One live permission set. Only the name, ARN and tags of a set accessc
/// does not own are read, unless the program names it (a set it may adopt)
/// or the whole instance is read (`accessc import`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct LiveSet {
    pub arn: String,
    pub name: String,
    /// Carries `ManagedBy = accessc` and is not one of Control Tower's `AWS…` sets.
    pub owned: bool,
    pub description: Option<String>,
    pub session_duration: String,
    pub relay_state: Option<String>,
    pub managed_policies: Vec<String>,
    pub customer_managed_policies: Vec<ir::PolicyReference>,
    pub permissions_boundary: Option<ir::Boundary>,
    pub inline_policy: Option<String>,
    pub tags: Vec<ir::Tag>,
    /// Accounts whose role lags the set (`LATEST_PERMISSION_SET_NOT_PROVISIONED`).
    pub outdated_accounts: Vec<String>,
}

/// One live assignment of an owned set.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct LiveAssignment {
    pub permission_set: String,
    pub principal_type: PrincipalType,
    pub principal_id: String,
    pub account_id: String,
}

/// A principal of the identity store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LivePrincipal {
    pub kind: PrincipalType,
    /// DisplayName (groups) or UserName (users).
    pub name: String,
    pub id: String,
}

/// Asynchronous operations still IN_PROGRESS (counted on the first page).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct InFlight {
    pub creations: usize,
    pub deletions: usize,
    pub provisioning: usize,
}

impl InFlight {
    pub fn total(&self) -> usize {
        self.creations + self.deletions + self.provisioning
    }
}

/// The live state that plans and drift reports are computed from.
#[derive(Debug, Clone, Default)]
pub struct Live {
    pub instance_arn: String,
    pub identity_store_id: String,
    /// Every permission set, sorted by name.
    pub sets: Vec<LiveSet>,
    /// Assignments of owned sets, sorted.
    pub assignments: Vec<LiveAssignment>,
    /// Principals known by id (the whole store, or the program's).
    pub principals: Vec<LivePrincipal>,
    /// The program's principals: (type, name in the program) → id.
    pub resolved: HashMap<(PrincipalType, String), String>,
    /// The ABAC configuration; `None` when the instance has none.
    pub attributes: Option<Vec<ir::Attribute>>,
    pub in_flight: InFlight,
    pub scope: Option<PrincipalScope>,
    pub deep: bool,
}

impl Live {
    pub fn set(&self, name: &str) -> Option<&LiveSet> {
        self.sets.iter().find(|s| s.name == name)
    }

    /// DisplayName / UserName of a principal id, when known.
    pub fn principal_name(&self, kind: PrincipalType, id: &str) -> Option<&str> {
        self.principals
            .iter()
            .find(|p| p.kind == kind && p.id == id)
            .map(|p| p.name.as_str())
    }
}

/// True for the sets AWS Control Tower manages (`AWSAdministratorAccess` …).
pub fn is_control_tower(name: &str) -> bool {
    name.starts_with("AWS")
}

pub(crate) fn sdk_ptype(k: PrincipalType) -> SdkPrincipalType {
    match k {
        PrincipalType::Group => SdkPrincipalType::Group,
        PrincipalType::User => SdkPrincipalType::User,
    }
}

fn ir_ptype(k: Option<&SdkPrincipalType>) -> Option<PrincipalType> {
    match k {
        Some(SdkPrincipalType::Group) => Some(PrincipalType::Group),
        Some(SdkPrincipalType::User) => Some(PrincipalType::User),
        _ => None,
    }
}

/// Run futures with at most `limit` at once; results in input order; the
/// first error wins.
pub(crate) async fn bounded<T, Fut>(limit: usize, futs: Vec<Fut>) -> Result<Vec<T>, AwsError>
where
    T: Send + 'static,
    Fut: Future<Output = Result<T, AwsError>> + Send + 'static,
{
    let n = futs.len();
    let sem = Arc::new(Semaphore::new(limit.max(1)));
    let mut set = tokio::task::JoinSet::new();
    for (i, f) in futs.into_iter().enumerate() {
        let sem = sem.clone();
        set.spawn(async move {
            let _permit = sem.acquire_owned().await;
            (i, f.await)
        });
    }
    let mut out: Vec<Option<T>> = (0..n).map(|_| None).collect();
    let mut first_err = None;
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok((i, Ok(v))) => out[i] = Some(v),
            Ok((_, Err(e))) => {
                if first_err.is_none() {
                    first_err = Some(e);
                    set.abort_all();
                }
            }
            Err(e) if e.is_cancelled() => {}
            Err(e) => {
                first_err.get_or_insert(AwsError::new(ErrorKind::Other, "reading", e.to_string()));
            }
        }
    }
    if let Some(e) = first_err {
        return Err(e);
    }
    Ok(out.into_iter().flatten().collect())
}

/// The instance to work on and its identity store.
pub async fn resolve_instance(
    aws: &Aws,
    wanted: Option<&str>,
) -> Result<(String, String), AwsError> {
    let mut all = Vec::new();
    aws.pages(
        "ListInstances",
        |next| aws.sso.list_instances().set_next_token(next).send(),
        |r| r.next_token(),
        |r| {
            for i in r.instances() {
                if let Some(arn) = i.instance_arn() {
                    all.push((
                        arn.to_string(),
                        i.identity_store_id().unwrap_or_default().to_string(),
                    ));
                }
            }
        },
    )
    .await?;
    let listed = || {
        all.iter()
            .map(|(a, _)| format!("`{a}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match wanted {
        Some(arn) => all.iter().find(|(a, _)| a == arn).cloned().ok_or_else(|| {
            AwsError::new(
                ErrorKind::NotFound,
                "ListInstances",
                format!(
                    "instance `{arn}` does not exist in region {} (this account sees: {})",
                    aws.region,
                    if all.is_empty() { "none".to_string() } else { listed() }
                ),
            )
        }),
        None => match all.len() {
            1 => Ok(all.remove(0)),
            0 => Err(AwsError::new(
                ErrorKind::NotFound,
                "ListInstances",
                format!("no IAM Identity Center instance in region {}", aws.region),
            )),
            _ => Err(AwsError::new(
                ErrorKind::Invalid,
                "ListInstances",
                format!(
                    "several instances exist ({}): name one with --instance-arn or the program's `instance arn`",
                    listed()
                ),
            )),
        },
    }
}

/// Every group and user of the identity store.
pub async fn list_store(aws: &Aws, store: &str) -> Result<Vec<LivePrincipal>, AwsError> {
    let mut out = Vec::new();
    aws.pages(
        "ListGroups",
        |next| {
            aws.ids
                .list_groups()
                .identity_store_id(store)
                .max_results(100)
                .set_next_token(next)
                .send()
        },
        |r| r.next_token(),
        |r| {
            for g in r.groups() {
                out.push(LivePrincipal {
                    kind: PrincipalType::Group,
                    name: g.display_name().unwrap_or_default().to_string(),
                    id: g.group_id().to_string(),
                });
            }
        },
    )
    .await?;
    aws.pages(
        "ListUsers",
        |next| {
            aws.ids
                .list_users()
                .identity_store_id(store)
                .max_results(100)
                .set_next_token(next)
                .send()
        },
        |r| r.next_token(),
        |r| {
            for u in r.users() {
                out.push(LivePrincipal {
                    kind: PrincipalType::User,
                    name: u.user_name().unwrap_or_default().to_string(),
                    id: u.user_id().to_string(),
                });
            }
        },
    )
    .await?;
    Ok(out)
}

/// Look one principal up by DisplayName (groups) or UserName (users).
pub async fn lookup_principal(
    aws: &Aws,
    store: &str,
    kind: PrincipalType,
    name: &str,
) -> Result<Option<String>, AwsError> {
    use aws_sdk_identitystore::types::{AlternateIdentifier, UniqueAttribute};
    let path = match kind {
        PrincipalType::Group => "displayName",
        PrincipalType::User => "userName",
    };
    let attr = UniqueAttribute::builder()
        .attribute_path(path)
        .attribute_value(aws_smithy_types::Document::String(name.to_string()))
        .build()
        .map_err(|e| AwsError::new(ErrorKind::Invalid, "GetGroupId", e.to_string()))?;
    let alt = AlternateIdentifier::UniqueAttribute(attr);
    let r = match kind {
        PrincipalType::Group => aws
            .call("GetGroupId", || {
                aws.ids
                    .get_group_id()
                    .identity_store_id(store)
                    .alternate_identifier(alt.clone())
                    .send()
            })
            .await
            .map(|o| o.group_id().to_string()),
        PrincipalType::User => aws
            .call("GetUserId", || {
                aws.ids
                    .get_user_id()
                    .identity_store_id(store)
                    .alternate_identifier(alt.clone())
                    .send()
            })
            .await
            .map(|o| o.user_id().to_string()),
    };
    match r {
        Ok(id) => Ok(Some(id)),
        Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

fn kind_word(k: PrincipalType) -> &'static str {
    match k {
        PrincipalType::Group => "group",
        PrincipalType::User => "user",
    }
}

/// Read everything a plan or a drift report needs.
pub async fn read(aws: &Aws, ir: &ir::Ir, opts: &ReadOptions) -> Result<Live, AwsError> {
    let wanted = opts.instance_arn.as_deref().or(ir.instance.arn.as_deref());
    let (instance, store) = resolve_instance(aws, wanted).await?;
    if let Some(s) = &ir.instance.identity_store_id {
        if *s != store {
            return Err(AwsError::new(
                ErrorKind::Invalid,
                "ListInstances",
                format!("the program names identity store `{s}`, but instance `{instance}` uses `{store}`"),
            ));
        }
    }
    let mut live = Live {
        instance_arn: instance.clone(),
        identity_store_id: store.clone(),
        scope: Some(opts.scope),
        deep: opts.deep,
        ..Live::default()
    };

    // Principals first: an unresolvable name stops everything before any
    // other read.
    resolve_principals(aws, ir, opts, &mut live).await?;

    let named: HashSet<&str> = ir.permission_sets.iter().map(|p| p.name.as_str()).collect();
    live.sets = read_sets(
        aws,
        &instance,
        opts.concurrency,
        &SetDepth::OwnedAnd(&named),
    )
    .await?;
    // The assignments of the sets accessc owns, and of the untagged sets the
    // program names (the ones `plan` offers to adopt).
    let owned: HashMap<String, String> = live
        .sets
        .iter()
        .filter(|s| s.owned || adoptable(s, &named))
        .map(|s| (s.arn.clone(), s.name.clone()))
        .collect();

    let rows: Vec<(String, PrincipalType, String, String)> = if opts.deep {
        read_assignments_deep(aws, &instance, &owned, opts.concurrency).await?
    } else {
        let principals: Vec<(PrincipalType, String)> = live
            .principals
            .iter()
            .map(|p| (p.kind, p.id.clone()))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let futs = principals
            .into_iter()
            .map(|(kind, id)| {
                let aws = aws.clone();
                let instance = instance.clone();
                async move { for_principal(&aws, &instance, kind, &id).await }
            })
            .collect();
        bounded(opts.concurrency, futs)
            .await?
            .into_iter()
            .flatten()
            .collect()
    };
    let mut assignments: Vec<LiveAssignment> = rows
        .into_iter()
        .filter_map(|(set_arn, kind, pid, account)| {
            owned.get(&set_arn).map(|name| LiveAssignment {
                permission_set: name.clone(),
                principal_type: kind,
                principal_id: pid,
                account_id: account,
            })
        })
        .collect();
    assignments.sort();
    assignments.dedup();
    live.assignments = assignments;

    live.attributes = read_attributes(aws, &instance).await?;
    live.in_flight = read_in_flight(aws, &instance).await?;
    Ok(live)
}

async fn resolve_principals(
    aws: &Aws,
    ir: &ir::Ir,
    opts: &ReadOptions,
    live: &mut Live,
) -> Result<(), AwsError> {
    let store = live.identity_store_id.clone();
    let mut problems = Vec::new();
    match opts.scope {
        PrincipalScope::Store => {
            live.principals = list_store(aws, &store).await?;
            let by_name: HashMap<(PrincipalType, &str), &str> = live
                .principals
                .iter()
                .map(|p| ((p.kind, p.name.as_str()), p.id.as_str()))
                .collect();
            let ids: BTreeSet<(PrincipalType, &str)> = live
                .principals
                .iter()
                .map(|p| (p.kind, p.id.as_str()))
                .collect();
            for p in &ir.principals {
                match &p.id {
                    Some(id) if ids.contains(&(p.kind, id.as_str())) => {
                        live.resolved.insert((p.kind, p.name.clone()), id.clone());
                    }
                    Some(id) => problems.push(format!(
                        "{} `{}` has id `{id}`, which is not in identity store {store}",
                        kind_word(p.kind),
                        p.name
                    )),
                    None => match by_name.get(&(p.kind, p.display_name.as_str())) {
                        Some(id) => {
                            live.resolved
                                .insert((p.kind, p.name.clone()), id.to_string());
                        }
                        None => problems.push(unresolved(p, &store)),
                    },
                }
            }
        }
        PrincipalScope::Program => {
            let futs = ir
                .principals
                .iter()
                .map(|p| {
                    let aws = aws.clone();
                    let store = store.clone();
                    let p = p.clone();
                    async move {
                        let id = match &p.id {
                            Some(id) => Some(id.clone()),
                            None => lookup_principal(&aws, &store, p.kind, &p.display_name).await?,
                        };
                        Ok((p, id))
                    }
                })
                .collect();
            for (p, id) in bounded(opts.concurrency, futs).await? {
                match id {
                    Some(id) => {
                        live.principals.push(LivePrincipal {
                            kind: p.kind,
                            name: p.display_name.clone(),
                            id: id.clone(),
                        });
                        live.resolved.insert((p.kind, p.name.clone()), id);
                    }
                    None => problems.push(unresolved(&p, &store)),
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(AwsError::new(
            ErrorKind::NotFound,
            "resolving principals",
            problems.join("; "),
        ))
    }
}

fn unresolved(p: &ir::Principal, store: &str) -> String {
    let what = match p.kind {
        PrincipalType::Group => "DisplayName",
        PrincipalType::User => "UserName",
    };
    format!(
        "{} `{}` does not resolve: no {what} `{}` in identity store {store}",
        kind_word(p.kind),
        p.name,
        p.display_name
    )
}

/// An untagged set the program names, which is not Control Tower's: its
/// content is read so that `plan` can tell whether it may be adopted.
fn adoptable(s: &LiveSet, named: &HashSet<&str>) -> bool {
    !s.owned && !is_control_tower(&s.name) && named.contains(s.name.as_str())
}

/// Which sets are read whole (fields, policies, boundary); the others give
/// their name, ARN and tags only.
pub(crate) enum SetDepth<'a> {
    /// Owned sets, and the untagged ones of these names (not Control
    /// Tower's); with the accounts whose role lags the set.
    OwnedAnd(&'a HashSet<&'a str>),
    /// Every set, without provisioning status (`accessc import`).
    All,
}

/// The most permission sets an instance may list before the answer is
/// refused as implausible (AWS's quota is 2,000 per instance, raisable).
pub const MAX_PERMISSION_SETS: usize = 20_000;

pub(crate) async fn read_sets(
    aws: &Aws,
    instance: &str,
    concurrency: usize,
    depth: &SetDepth<'_>,
) -> Result<Vec<LiveSet>, AwsError> {
    let mut arns = Vec::new();
    aws.pages(
        "ListPermissionSets",
        |next| {
            aws.sso
                .list_permission_sets()
                .instance_arn(instance)
                .max_results(100)
                .set_next_token(next)
                .send()
        },
        |r| r.next_token(),
        |r| {
            arns.extend(r.permission_sets().iter().cloned());
        },
    )
    .await?;
    if arns.len() > MAX_PERMISSION_SETS {
        return Err(AwsError::new(
            ErrorKind::Server,
            "ListPermissionSets",
            format!("the instance lists more than {MAX_PERMISSION_SETS} permission sets: the endpoint is not answering like AWS"),
        ));
    }
    let (whole, provisioning): (Option<HashSet<String>>, bool) = match depth {
        SetDepth::OwnedAnd(named) => (Some(named.iter().map(|n| n.to_string()).collect()), true),
        SetDepth::All => (None, false),
    };
    let whole = Arc::new(whole);
    let futs =
        arns.into_iter()
            .map(|arn| {
                let aws = aws.clone();
                let instance = instance.to_string();
                let whole = whole.clone();
                async move {
                    read_set(&aws, &instance, arn, whole.as_ref().as_ref(), provisioning).await
                }
            })
            .collect();
    let mut sets = bounded(concurrency, futs).await?;
    sets.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(sets)
}

/// One set: its name, ARN and tags; the rest when it is owned, or named in
/// `whole` (untagged, not Control Tower's), or `whole` is `None` (every
/// set); the accounts whose role lags it when `provisioning`.
async fn read_set(
    aws: &Aws,
    instance: &str,
    arn: String,
    whole: Option<&HashSet<String>>,
    provisioning: bool,
) -> Result<LiveSet, AwsError> {
    let d = aws
        .call("DescribePermissionSet", || {
            aws.sso
                .describe_permission_set()
                .instance_arn(instance)
                .permission_set_arn(&arn)
                .send()
        })
        .await?;
    let ps = d.permission_set();
    let name = ps.and_then(|p| p.name()).unwrap_or_default().to_string();
    let mut set = LiveSet {
        arn: arn.clone(),
        name: name.clone(),
        description: ps.and_then(|p| p.description()).map(str::to_string),
        session_duration: ps
            .and_then(|p| p.session_duration())
            .unwrap_or("PT1H")
            .to_string(),
        relay_state: ps.and_then(|p| p.relay_state()).map(str::to_string),
        ..LiveSet::default()
    };
    aws.pages(
        "ListTagsForResource",
        |next| {
            aws.sso
                .list_tags_for_resource()
                .instance_arn(instance)
                .resource_arn(&arn)
                .set_next_token(next)
                .send()
        },
        |r| r.next_token(),
        |r| {
            set.tags.extend(r.tags().iter().map(|t| ir::Tag {
                key: t.key().to_string(),
                value: t.value().to_string(),
            }));
        },
    )
    .await?;
    set.tags.sort_by(|a, b| a.key.cmp(&b.key));
    set.owned = !is_control_tower(&name)
        && set
            .tags
            .iter()
            .any(|t| t.key == ir::OWNERSHIP_TAG.0 && t.value == ir::OWNERSHIP_TAG.1);
    let read_whole = match whole {
        None => true,
        Some(named) => set.owned || (!is_control_tower(&name) && named.contains(&name)),
    };
    if !read_whole {
        return Ok(set);
    }

    aws.pages(
        "ListManagedPoliciesInPermissionSet",
        |next| {
            aws.sso
                .list_managed_policies_in_permission_set()
                .instance_arn(instance)
                .permission_set_arn(&arn)
                .max_results(100)
                .set_next_token(next)
                .send()
        },
        |r| r.next_token(),
        |r| {
            set.managed_policies.extend(
                r.attached_managed_policies()
                    .iter()
                    .filter_map(|m| m.arn().map(str::to_string)),
            );
        },
    )
    .await?;
    aws.pages(
        "ListCustomerManagedPolicyReferencesInPermissionSet",
        |next| {
            aws.sso
                .list_customer_managed_policy_references_in_permission_set()
                .instance_arn(instance)
                .permission_set_arn(&arn)
                .max_results(100)
                .set_next_token(next)
                .send()
        },
        |r| r.next_token(),
        |r| {
            set.customer_managed_policies.extend(
                r.customer_managed_policy_references()
                    .iter()
                    .map(|c| ir::PolicyReference {
                        name: c.name().to_string(),
                        path: c.path().unwrap_or("/").to_string(),
                    }),
            );
        },
    )
    .await?;
    let inline = aws
        .call("GetInlinePolicyForPermissionSet", || {
            aws.sso
                .get_inline_policy_for_permission_set()
                .instance_arn(instance)
                .permission_set_arn(&arn)
                .send()
        })
        .await?;
    set.inline_policy = inline
        .inline_policy()
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let boundary = aws
        .call("GetPermissionsBoundaryForPermissionSet", || {
            aws.sso
                .get_permissions_boundary_for_permission_set()
                .instance_arn(instance)
                .permission_set_arn(&arn)
                .send()
        })
        .await;
    set.permissions_boundary = match boundary {
        Ok(b) => b.permissions_boundary().and_then(|b| {
            if let Some(arn) = b.managed_policy_arn() {
                Some(ir::Boundary::ManagedPolicyArn(arn.to_string()))
            } else {
                b.customer_managed_policy_reference().map(|c| {
                    ir::Boundary::CustomerManagedPolicy(ir::PolicyReference {
                        name: c.name().to_string(),
                        path: c.path().unwrap_or("/").to_string(),
                    })
                })
            }
        }),
        Err(e) if e.kind == ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    if !provisioning {
        return Ok(set);
    }
    let outdated = aws
        .call("ListAccountsForProvisionedPermissionSet", || {
            aws.sso
                .list_accounts_for_provisioned_permission_set()
                .instance_arn(instance)
                .permission_set_arn(&arn)
                .provisioning_status(ProvisioningStatus::LatestPermissionSetNotProvisioned)
                .max_results(100)
                .send()
        })
        .await?;
    set.outdated_accounts = outdated.account_ids().to_vec();
    set.outdated_accounts.sort();
    Ok(set)
}

pub(crate) async fn for_principal(
    aws: &Aws,
    instance: &str,
    kind: PrincipalType,
    id: &str,
) -> Result<Vec<(String, PrincipalType, String, String)>, AwsError> {
    let mut out = Vec::new();
    aws.pages(
        "ListAccountAssignmentsForPrincipal",
        |next| {
            aws.sso
                .list_account_assignments_for_principal()
                .instance_arn(instance)
                .principal_type(sdk_ptype(kind))
                .principal_id(id)
                .max_results(100)
                .set_next_token(next)
                .send()
        },
        |r| r.next_token(),
        |r| {
            for a in r.account_assignments() {
                if let (Some(set), Some(account)) = (a.permission_set_arn(), a.account_id()) {
                    out.push((set.to_string(), kind, id.to_string(), account.to_string()));
                }
            }
        },
    )
    .await?;
    Ok(out)
}

async fn read_assignments_deep(
    aws: &Aws,
    instance: &str,
    owned: &HashMap<String, String>,
    concurrency: usize,
) -> Result<Vec<(String, PrincipalType, String, String)>, AwsError> {
    let futs = owned
        .keys()
        .map(|arn| {
            let aws = aws.clone();
            let instance = instance.to_string();
            let arn = arn.clone();
            async move {
                let mut accounts = Vec::new();
                aws.pages(
                    "ListAccountsForProvisionedPermissionSet",
                    |next| {
                        aws.sso
                            .list_accounts_for_provisioned_permission_set()
                            .instance_arn(&instance)
                            .permission_set_arn(&arn)
                            .max_results(100)
                            .set_next_token(next)
                            .send()
                    },
                    |r| r.next_token(),
                    |r| {
                        accounts.extend(r.account_ids().iter().map(|a| (arn.clone(), a.clone())));
                    },
                )
                .await?;
                Ok(accounts)
            }
        })
        .collect();
    let pairs: Vec<(String, String)> = bounded(concurrency, futs)
        .await?
        .into_iter()
        .flatten()
        .collect();
    let futs = pairs
        .into_iter()
        .map(|(arn, account)| {
            let aws = aws.clone();
            let instance = instance.to_string();
            async move {
                let mut out = Vec::new();
                aws.pages(
                    "ListAccountAssignments",
                    |next| {
                        aws.sso
                            .list_account_assignments()
                            .instance_arn(&instance)
                            .permission_set_arn(&arn)
                            .account_id(&account)
                            .max_results(100)
                            .set_next_token(next)
                            .send()
                    },
                    |r| r.next_token(),
                    |r| {
                        for a in r.account_assignments() {
                            if let (Some(kind), Some(pid)) =
                                (ir_ptype(a.principal_type()), a.principal_id())
                            {
                                out.push((arn.clone(), kind, pid.to_string(), account.clone()));
                            }
                        }
                    },
                )
                .await?;
                Ok(out)
            }
        })
        .collect();
    Ok(bounded(concurrency, futs)
        .await?
        .into_iter()
        .flatten()
        .collect())
}

pub(crate) async fn read_attributes(
    aws: &Aws,
    instance: &str,
) -> Result<Option<Vec<ir::Attribute>>, AwsError> {
    let r = aws
        .call(
            "DescribeInstanceAccessControlAttributeConfiguration",
            || {
                aws.sso
                    .describe_instance_access_control_attribute_configuration()
                    .instance_arn(instance)
                    .send()
            },
        )
        .await;
    match r {
        Ok(o) => Ok(o
            .instance_access_control_attribute_configuration()
            .map(|c| {
                c.access_control_attributes()
                    .iter()
                    .map(|a| ir::Attribute {
                        key: a.key().to_string(),
                        value: a
                            .value()
                            .and_then(|v| v.source().first())
                            .cloned()
                            .unwrap_or_default(),
                    })
                    .collect()
            })),
        Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

pub(crate) async fn read_in_flight(aws: &Aws, instance: &str) -> Result<InFlight, AwsError> {
    let filter = OperationStatusFilter::builder()
        .status(StatusValues::InProgress)
        .build();
    let c = aws
        .call("ListAccountAssignmentCreationStatus", || {
            aws.sso
                .list_account_assignment_creation_status()
                .instance_arn(instance)
                .filter(filter.clone())
                .max_results(100)
                .send()
        })
        .await?;
    let d = aws
        .call("ListAccountAssignmentDeletionStatus", || {
            aws.sso
                .list_account_assignment_deletion_status()
                .instance_arn(instance)
                .filter(filter.clone())
                .max_results(100)
                .send()
        })
        .await?;
    let p = aws
        .call("ListPermissionSetProvisioningStatus", || {
            aws.sso
                .list_permission_set_provisioning_status()
                .instance_arn(instance)
                .filter(filter.clone())
                .max_results(100)
                .send()
        })
        .await?;
    Ok(InFlight {
        creations: c.account_assignments_creation_status().len(),
        deletions: d.account_assignments_deletion_status().len(),
        provisioning: p.permission_sets_provisioning_status().len(),
    })
}

/// The program's principals, for `org snapshot`: display name → id of each
/// that resolves (by `GetGroupId` / `GetUserId`), and the names that do not.
pub async fn resolve_names(
    aws: &Aws,
    store: &str,
    wanted: &[(PrincipalType, String)],
    concurrency: usize,
) -> Result<
    (
        BTreeMap<String, String>,
        BTreeMap<String, String>,
        Vec<String>,
    ),
    AwsError,
> {
    let futs = wanted
        .iter()
        .cloned()
        .map(|(kind, name)| {
            let aws = aws.clone();
            let store = store.to_string();
            async move {
                let id = lookup_principal(&aws, &store, kind, &name).await?;
                Ok((kind, name, id))
            }
        })
        .collect();
    let mut groups = BTreeMap::new();
    let mut users = BTreeMap::new();
    let mut missing = Vec::new();
    for (kind, name, id) in bounded(concurrency, futs).await? {
        match (kind, id) {
            (PrincipalType::Group, Some(id)) => {
                groups.insert(name, id);
            }
            (PrincipalType::User, Some(id)) => {
                users.insert(name, id);
            }
            (k, None) => missing.push(format!("{} `{name}`", kind_word(k))),
        }
    }
    Ok((groups, users, missing))
}
