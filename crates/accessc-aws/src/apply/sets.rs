//! The synchronous half of an apply: creating, editing and deleting
//! permission sets (fields, policies, boundary, tags), and the instance's
//! ABAC attributes.

use crate::client::Aws;
use crate::plan::{Change, Op, Plan, SetAction};
use crate::{AwsError, ErrorKind};
use accessc_core::ir::{Boundary, PermissionSet};
use aws_sdk_ssoadmin::types::{
    AccessControlAttribute, AccessControlAttributeValue, CustomerManagedPolicyReference,
    InstanceAccessControlAttributeConfiguration, PermissionsBoundary, Tag,
};

pub(super) fn tolerate(r: Result<(), AwsError>, ok: ErrorKind) -> Result<(), AwsError> {
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

/// The part of a [`SetAction`] that edits the set itself, before any
/// assignment: create it whole, or change the live one field by field.
#[derive(Debug, Clone)]
pub(super) enum Edit {
    Create(Box<PermissionSet>),
    Update { arn: String },
}

impl Edit {
    /// The edit a set's action asks for, if any.
    pub(super) fn of(action: &SetAction) -> Option<Edit> {
        match action {
            SetAction::Create(want) => Some(Edit::Create(want.clone())),
            SetAction::Update { arn } => Some(Edit::Update { arn: arn.clone() }),
            SetAction::Keep { .. }
            | SetAction::Adopt { .. }
            | SetAction::Delete { .. }
            | SetAction::PendingDelete { .. } => None,
        }
    }

    pub(super) fn creates(&self) -> bool {
        matches!(self, Edit::Create(_))
    }
}

/// What editing one permission set did: its ARN once it exists (also when a
/// later change failed, so the report can say the set was created).
pub(super) struct Edited {
    pub arn: Option<String>,
    pub result: Result<(), AwsError>,
}

/// Create or update the permission set `name`: fields, policies, boundary,
/// tags; `changes` are the plan's field changes.
pub(super) async fn edit_set(
    aws: Aws,
    instance: String,
    name: String,
    edit: Edit,
    changes: Vec<Change>,
) -> Edited {
    let mut arn = None;
    let result = edit_set_inner(&aws, &instance, &edit, &changes, &mut arn).await;
    let result = result.map_err(|e| {
        if edit.creates() && arn.is_some() {
            e.about(&format!(
                "permission set `{name}` was created, but not all of it"
            ))
        } else {
            e.about(&format!("permission set `{name}`"))
        }
    });
    Edited { arn, result }
}

async fn edit_set_inner(
    aws: &Aws,
    instance: &str,
    edit: &Edit,
    changes: &[Change],
    created: &mut Option<String>,
) -> Result<(), AwsError> {
    let arn = match edit {
        Edit::Create(want) => {
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
        Edit::Update { arn } => arn.clone(),
    };
    *created = Some(arn.clone());
    let creating = edit.creates();
    let arn = arn.as_str();

    if !creating {
        let mut description = None;
        let mut session = None;
        let mut relay = None;
        for c in changes {
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
    for c in changes {
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

pub(super) async fn set_attributes(aws: &Aws, instance: &str, plan: &Plan) -> Result<(), AwsError> {
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

/// Delete an owned permission set the source no longer has (its assignments
/// are gone by then); one already gone counts as deleted.
pub(super) async fn delete_set(aws: &Aws, instance: &str, arn: &str) -> Result<(), AwsError> {
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
    tolerate(r.map(|_| ()), ErrorKind::NotFound)
}

/// Adopt one untagged set: the ownership tag, and nothing else.
pub(super) async fn tag_owned(aws: &Aws, instance: &str, arn: &str) -> Result<(), AwsError> {
    let tags = sdk_tags(&[(
        accessc_core::ir::OWNERSHIP_TAG.0.to_string(),
        accessc_core::ir::OWNERSHIP_TAG.1.to_string(),
    )])?;
    aws.call("TagResource", || {
        aws.sso
            .tag_resource()
            .instance_arn(instance)
            .resource_arn(arn)
            .set_tags(Some(tags.clone()))
            .send()
    })
    .await
    .map(|_| ())
}
