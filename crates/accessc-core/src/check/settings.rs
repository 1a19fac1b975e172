//! The settings of a program: `use` of the standard library, `instance`,
//! `attributes` (the ABAC map) and `quotas`.

use super::{duplicate_item, functions, text, Inputs, Settings, Sink};
use crate::ast::*;
use crate::aws_ids::{is_identity_store_id, is_instance_arn, is_region, is_start_url};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::*;
use crate::span::Span;
use indexmap::IndexMap;
use std::collections::HashMap;

/// A102 for `use std::NAME` of a module the standard library does not have.
pub(super) fn check_uses(inputs: &Inputs<'_>, sink: &mut Sink) {
    let names: Vec<&str> = crate::load::STD_MODULES.iter().map(|(n, _)| *n).collect();
    for item in inputs.items() {
        if let ItemKind::Use(Use::Std { module, span }) = &item.kind {
            if !names.contains(&module.name.as_str()) {
                let mut d = Diagnostic::new(
                    Code::UnknownStdModule,
                    module.span,
                    format!("unknown standard library module `std::{}`", module.name),
                );
                d = match crate::diagnostic::did_you_mean(&module.name, names.iter().copied()) {
                    Some(s) => d.with_suggestion(*span, format!("std::{s}")),
                    None => d.with_help(format!(
                        "the standard library has {}",
                        names
                            .iter()
                            .map(|n| format!("`std::{n}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                };
                sink.push(d);
            }
        }
    }
}

/// The `instance`, `attributes` and `quotas` blocks (the first of each).
pub(super) fn lower_settings(inputs: &Inputs<'_>, sink: &mut Sink) -> Settings {
    let mut settings = Settings {
        instance: InstanceSettings::default(),
        attributes: IndexMap::new(),
        quotas: Quotas::default(),
    };
    let mut first_instance: Option<Span> = None;
    let mut first_attrs: Option<Span> = None;
    let mut first_quotas: Option<Span> = None;
    for item in inputs.items() {
        match &item.kind {
            ItemKind::Instance(inst) => {
                if let Some(prev) = first_instance {
                    duplicate_item(sink, "instance", item.span, prev);
                    continue;
                }
                first_instance = Some(item.span);
                settings.instance = lower_instance(inst, item.span, sink);
            }
            ItemKind::Attributes(attrs) => {
                if let Some(prev) = first_attrs {
                    duplicate_item(sink, "attributes", item.span, prev);
                }
                first_attrs.get_or_insert(item.span);
                for a in attrs {
                    if let Some(prev) = settings.attributes.get(&a.key.name) {
                        let prev = prev.span;
                        sink.push(
                            Diagnostic::new(
                                Code::DuplicateName,
                                a.key.span,
                                format!("attribute `{}` is mapped twice", a.key.name),
                            )
                            .with_related(prev, "first mapped here")
                            .with_help("a session tag takes its value from one attribute"),
                        );
                        continue;
                    }
                    check_attribute(a, sink);
                    settings.attributes.insert(
                        a.key.name.clone(),
                        AttributeDef {
                            key: a.key.name.clone(),
                            value: a.value.value.clone(),
                            span: a.key.span,
                        },
                    );
                }
            }
            ItemKind::Quotas(qs) => {
                if let Some(prev) = first_quotas {
                    duplicate_item(sink, "quotas", item.span, prev);
                    continue;
                }
                first_quotas = Some(item.span);
                let mut seen: HashMap<&str, Span> = HashMap::new();
                for q in qs {
                    if let Some(prev) = seen.get(q.key.name.as_str()) {
                        sink.push(
                            Diagnostic::new(
                                Code::RepeatedSetting,
                                q.span,
                                format!("quota `{}` is given twice", q.key.name),
                            )
                            .with_related(*prev, "first given here")
                            .with_help(format!("keep one `{}`", q.key.name)),
                        );
                        continue;
                    }
                    seen.insert(&q.key.name, q.span);
                    lower_quota(q, &mut settings.quotas, sink);
                }
            }
            _ => {}
        }
    }
    settings
}

fn lower_instance(inst: &Instance, span: Span, sink: &mut Sink) -> InstanceSettings {
    if let Some(arn) = &inst.arn {
        if !is_instance_arn(&arn.value) {
            sink.push(
                Diagnostic::new(
                    Code::InvalidInstanceArn,
                    arn.span,
                    format!("`{}` is not an Identity Center instance ARN", arn.value),
                )
                .with_help("it looks like `arn:aws:sso:::instance/ssoins-1234567890abcdef` (`aws sso-admin list-instances`)"),
            );
        }
    }
    if let Some(store) = &inst.identity_store {
        if !is_identity_store_id(&store.value) {
            sink.push(
                Diagnostic::new(
                    Code::InvalidIdentityStoreId,
                    store.span,
                    format!("`{}` is not an identity store id", store.value),
                )
                .with_help("it looks like `d-1234567890`"),
            );
        }
    }
    for r in inst.region.iter().chain(inst.replicas.iter()) {
        if !is_region(&r.value) {
            sink.push(
                Diagnostic::new(
                    Code::InvalidRegion,
                    r.span,
                    format!("`{}` is not an AWS Region", r.value),
                )
                .with_help("write a Region code such as `ap-northeast-1`"),
            );
        }
    }
    if let Some(url) = &inst.start_url {
        if !is_start_url(&url.value) {
            sink.push(
                Diagnostic::new(
                    Code::InvalidStartUrl,
                    url.span,
                    format!("`{}` is not an AWS access portal URL", url.value.escape_debug()),
                )
                .with_help("it looks like `https://my-company.awsapps.com/start` (IAM Identity Center → Settings → AWS access portal URL)"),
            );
        }
    }
    InstanceSettings {
        arn: inst.arn.as_ref().map(|s| s.value.clone()),
        identity_store: inst.identity_store.as_ref().map(|s| s.value.clone()),
        region: inst.region.as_ref().map(|s| s.value.clone()),
        replicas: inst.replicas.iter().map(|s| s.value.clone()).collect(),
        start_url: inst.start_url.as_ref().map(|s| s.value.clone()),
        span: Some(span),
    }
}

fn check_attribute(a: &Attribute, sink: &mut Sink) {
    if let Some(msg) = functions::tag_key_problem(&a.key.name) {
        sink.push(
            Diagnostic::new(
                Code::InvalidSessionTagKey,
                a.key.span,
                format!("`{}` cannot be a session tag key: {msg}", a.key.name),
            )
            .with_help("session tag keys are 1–128 letters, digits, spaces and `_ . : / = + - @`"),
        );
    }
    let v = &a.value.value;
    if let Some(msg) = text::bad_char("attribute path", v, text::plain_text_char) {
        sink.push(Diagnostic::new(
            Code::InvalidAttributePath,
            a.value.span,
            msg,
        ));
        return;
    }
    let ok = v.starts_with("${path:") && v.ends_with('}') && v.len() > 8
        || !v.is_empty() && !v.contains("${");
    if !ok {
        sink.push(
            Diagnostic::new(
                Code::InvalidAttributePath,
                a.value.span,
                format!("`{v}` is not an attribute path"),
            )
            .with_help("map an identity-source attribute, e.g. `\"${path:enterprise.department}\"`, or a SAML attribute name"),
        );
    }
}

fn lower_quota(q: &Quota, quotas: &mut Quotas, sink: &mut Sink) {
    let (value, hard) = match q.key.name.as_str() {
        "managed_policies" => (&mut quotas.managed_policies, Some(20)),
        "permission_sets" => (&mut quotas.permission_sets, None),
        "provisioned_per_account" => (&mut quotas.provisioned_per_account, None),
        other => {
            let known = [
                "managed_policies",
                "permission_sets",
                "provisioned_per_account",
            ];
            let mut d = Diagnostic::new(
                Code::UnknownQuota,
                q.key.span,
                format!("unknown quota `{other}`"),
            );
            d = match crate::diagnostic::did_you_mean(other, known) {
                Some(s) => d.with_suggestion(q.key.span, s),
                None => d.with_help("the quotas are `managed_policies`, `permission_sets` and `provisioned_per_account`"),
            };
            sink.push(d);
            return;
        }
    };
    let Some(n) = q.value else {
        sink.push(
            Diagnostic::new(
                Code::QuotaTooLarge,
                q.span,
                format!(
                    "quota `{}` is a {}-digit number, larger than any quota",
                    q.key.name,
                    q.text.len()
                ),
            )
            .with_help(format!(
                "write the quota AWS granted you, e.g. `{} 5000`; no quota exceeds {}",
                q.key.name,
                u64::MAX
            )),
        );
        return;
    };
    *value = n;
    if let Some(hard) = hard {
        if n > hard {
            sink.push(
                Diagnostic::new(
                    Code::ManagedPolicyQuotaOverLimit,
                    q.span,
                    format!("`managed_policies {}` is above AWS's hard limit of {hard} managed policies per role", q.text),
                )
                .with_help("20 is the most IAM allows, even after a quota increase; consolidate policies into a customer managed policy"),
            );
            quotas.managed_policies = hard;
        }
    }
    if n == 0 {
        sink.push(
            Diagnostic::new(
                Code::QuotaZero,
                q.span,
                format!("quota `{}` cannot be 0", q.key.name),
            )
            .with_help("remove the line to keep AWS's default"),
        );
    }
}
