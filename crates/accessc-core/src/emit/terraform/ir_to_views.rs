//! IR to template views: every resource named, every literal quoted, every
//! id resolved to a literal, a lookup or a variable. The templates only place
//! these strings; this file decides what they say.

use super::hcl::{self, string};
use super::names::{ident, path_ident, stable_stack_set_name, Namespace};
use crate::emit::common::{
    break_glass_metric_name, break_glass_name, policy_template_description, stack_set_description,
    NamePrefix, BREAK_GLASS_METRIC_NAMESPACE, BREAK_GLASS_TAG,
};
use crate::ir::{Boundary, CmpDeployment, Ir, OrgUnitRef, PermissionSet, PrincipalType};
use rustc_hash::FxHashMap;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::ops::Range;
use std::sync::Arc;

/// Everything the templates render, for one IR.
pub struct Views {
    pub home_region: Option<String>,
    /// True when a `data "aws_ssoadmin_instances"` lookup is needed.
    pub lookup_instance: bool,
    /// The expression of `local.instance_arn`.
    pub instance_arn: String,
    /// The expression of `local.identity_store_id`, when something uses it.
    pub identity_store_id: Option<String>,
    pub variables: Vec<Variable>,
    pub sets: Vec<SetView>,
    pub groups: Vec<Lookup>,
    pub users: Vec<Lookup>,
    pub assignments: Vec<AssignmentView>,
    pub deployments: Vec<DeploymentView>,
    pub attributes: Vec<AttributeView>,
    pub alarms: Vec<AlarmView>,
    /// (key, resource name) of every permission set, for `outputs.tf`.
    pub outputs: Vec<(String, String)>,
    /// Names two items would share: the build is refused.
    pub errors: Vec<String>,
}

pub struct Variable {
    pub name: String,
    pub description: String,
    pub type_: String,
    /// The quoted default, if any.
    pub default: Option<String>,
    pub validation: Option<Validation>,
}

pub struct Validation {
    pub condition: String,
    pub message: String,
}

pub struct PolicyRef {
    pub name: String,
    pub path: String,
}

pub struct SetView {
    pub ident: String,
    pub name: String,
    pub description: Option<String>,
    pub session_duration: String,
    pub relay_state: Option<String>,
    pub tags: Vec<(String, String)>,
    /// Quoted AWS-managed policy ARNs.
    pub managed: Vec<String>,
    /// (quoted name, quoted path) of customer managed policy references.
    pub customer: Vec<(String, String)>,
    pub customer_depends_on: Option<String>,
    pub has_boundary: bool,
    pub boundary_arn: Option<String>,
    pub boundary_cmp: Option<PolicyRef>,
    pub boundary_depends_on: Option<String>,
    /// `jsonencode({...})` of the inline policy.
    pub inline_policy: Option<String>,
}

/// A `data "aws_identitystore_group|user"` lookup.
pub struct Lookup {
    pub ident: String,
    pub display_name: String,
}

pub struct AssignmentView {
    pub ident: String,
    /// Shared by the resources of one permission set.
    pub set_ident: Arc<str>,
    pub principal_type: &'static str,
    pub principal_id: String,
    /// Its accounts: these assignments of the IR (one per account, in
    /// account id order), quoted and commented as the file is written
    /// ([`AccountLines`]).
    pub accounts: Range<usize>,
    /// Shared by the resources of one permission set.
    pub depends_on: Option<Arc<str>>,
}

pub struct DeploymentView {
    pub ident: String,
    pub accounts_ident: String,
    pub name: String,
    pub description: String,
    pub template_body: String,
    /// (key, OU id expression): whole OUs.
    pub ous: Vec<(String, String)>,
    /// (quoted account id, OU id expression, comment): single accounts of an OU.
    pub accounts: Vec<(String, String, String)>,
}

pub struct AttributeView {
    pub key: String,
    pub value: String,
}

pub struct AlarmView {
    pub ident: String,
    pub filter_name: String,
    pub alarm_name: String,
    pub metric_name: String,
    pub namespace: String,
    pub pattern: String,
    pub description: String,
    pub notify: Option<String>,
}

const ROOT_VAR: &str = "organization_root_id";
const OU_VAR: &str = "organizational_unit_ids";
const LOG_GROUP_VAR: &str = "cloudtrail_log_group_name";
const PREFIX_VAR: &str = "name_prefix";

/// A quoted HCL string of the name prefix variable followed by `rest`.
fn prefixed(rest: &str) -> String {
    let quoted = string(rest);
    format!("\"${{var.{PREFIX_VAR}}}{}", &quoted[1..])
}

/// How an OU id of a deployment target is written.
struct OuRef {
    /// The readable for_each key: the OU path, or `root`.
    key: String,
    expr: String,
}

pub fn views(ir: &Ir, prefix: NamePrefix) -> Views {
    let mut placeholders: BTreeSet<String> = BTreeSet::new();
    let mut root_placeholder = false;

    // Permission set names first: everything else refers to them.
    let mut set_names = Namespace::new("`aws_ssoadmin_permission_set` name");
    let set_ident: HashMap<&str, String> = ir
        .permission_sets
        .iter()
        .map(|p| {
            let owner = format!("permission set `{}`", p.name);
            (p.name.as_str(), set_names.claim(ident(&p.name), &owner))
        })
        .collect();

    // Customer managed policy deployments, and what each policy name's
    // stack instances are called (for `depends_on`).
    let ou_paths: HashMap<&str, &str> = ir
        .org
        .ous
        .iter()
        .filter_map(|o| o.id.as_deref().map(|id| (id, o.path.as_str())))
        .collect();
    let mut resolve_ou = |r: &OrgUnitRef| -> OuRef {
        let id = match r {
            OrgUnitRef::UnknownRoot => {
                root_placeholder = true;
                return OuRef {
                    key: "root".into(),
                    expr: format!("var.{ROOT_VAR}"),
                };
            }
            OrgUnitRef::UnknownOu(path) => {
                placeholders.insert(path.to_string());
                return OuRef {
                    key: path.to_string(),
                    expr: format!("var.{OU_VAR}[{}]", string(path)),
                };
            }
            OrgUnitRef::Id(id) => id.as_str(),
        };
        let key = if ir.org.root_id.as_deref() == Some(id) {
            "root".to_string()
        } else {
            ou_paths
                .get(id)
                .map_or_else(|| id.to_string(), |p| p.to_string())
        };
        OuRef {
            key,
            expr: string(id),
        }
    };
    // One namespace for the StackSets and their instances, which share names.
    let mut stack_names = Namespace::new("`aws_cloudformation_stack_set` name");
    let mut stack_set_names = Namespace::new("StackSet name");
    let mut cmp_instances: HashMap<&str, Vec<String>> = HashMap::new();
    let mut deployments = Vec::new();
    // The IR's order (policy name, then body), with each policy's default
    // body first.
    let mut ordered: Vec<&CmpDeployment> = ir.customer_managed_policies.iter().collect();
    ordered.sort_by_key(|d| (d.name.as_str(), !d.body.is_default()));
    for d in ordered {
        let view = deployment(
            ir,
            d,
            &mut stack_names,
            &mut stack_set_names,
            &mut resolve_ou,
        );
        let refs = cmp_instances.entry(d.name.as_str()).or_default();
        if !view.ous.is_empty() {
            refs.push(format!(
                "aws_cloudformation_stack_set_instance.{}",
                view.ident
            ));
        }
        if !view.accounts.is_empty() {
            refs.push(format!(
                "aws_cloudformation_stack_set_instance.{}",
                view.accounts_ident
            ));
        }
        deployments.push(view);
    }

    let sets: Vec<SetView> = ir
        .permission_sets
        .iter()
        .map(|p| set_view(p, &set_ident, &cmp_instances))
        .collect();

    // Principals: a literal id when the program knows it, else a lookup. The
    // IR lists every principal an assignment names; one it missed is looked
    // up by its program name.
    let mut principals: Vec<(PrincipalType, &str, &str, Option<&str>)> = ir
        .principals
        .iter()
        .map(|p| {
            (
                p.kind,
                p.name.as_str(),
                p.display_name.as_str(),
                p.id.as_deref(),
            )
        })
        .collect();
    let mut listed: HashSet<(PrincipalType, &str)> =
        principals.iter().map(|p| (p.0, p.1)).collect();
    for a in &ir.assignments {
        if listed.insert((a.principal_type, a.principal.as_str())) {
            let name = a.principal.as_str();
            principals.push((a.principal_type, name, name, a.principal_id.as_deref()));
        }
    }
    let mut group_names = Namespace::new("`aws_identitystore_group` name");
    let mut user_names = Namespace::new("`aws_identitystore_user` name");
    let (mut groups, mut users) = (Vec::new(), Vec::new());
    let mut principal_expr: HashMap<(PrincipalType, &str), String> = HashMap::new();
    for (kind, name, display_name, id) in principals {
        let expr = match (id, kind) {
            (Some(id), _) => string(id),
            (None, PrincipalType::Group) => {
                let ident = group_names.claim(ident(name), &format!("group `{name}`"));
                let expr = format!("data.aws_identitystore_group.{ident}.group_id");
                groups.push(Lookup {
                    ident,
                    display_name: string(display_name),
                });
                expr
            }
            (None, PrincipalType::User) => {
                let ident = user_names.claim(ident(name), &format!("user `{name}`"));
                let expr = format!("data.aws_identitystore_user.{ident}.user_id");
                users.push(Lookup {
                    ident,
                    display_name: string(display_name),
                });
                expr
            }
        };
        principal_expr.insert((kind, name), expr);
    }

    let mut assignment_names = Namespace::new("`aws_ssoadmin_account_assignment` name");
    let assignments = assignment_views(
        ir,
        &set_ident,
        &sets,
        &cmp_instances,
        &principal_expr,
        &mut assignment_names,
    );
    let mut errors = set_names.into_errors();
    errors.extend(stack_names.into_errors());
    errors.extend(stack_set_names.into_errors());
    errors.extend(group_names.into_errors());
    errors.extend(user_names.into_errors());
    errors.extend(assignment_names.into_errors());

    let alarms: Vec<AlarmView> = ir
        .permission_sets
        .iter()
        .filter_map(|p| {
            p.break_glass
                .as_ref()
                .map(|b| alarm(p, b.notify.as_deref(), &set_ident))
        })
        .collect();

    let mut variables = Vec::new();
    if root_placeholder {
        variables.push(Variable {
            name: ROOT_VAR.into(),
            description: string("The organization root id (r-...): the program does not give it, and customer managed policies deploy to the root."),
            type_: "string".into(),
            default: None,
            validation: None,
        });
    }
    if !placeholders.is_empty() {
        let paths: Vec<String> = placeholders.iter().cloned().collect();
        variables.push(Variable {
            name: OU_VAR.into(),
            description: string(&format!(
                "OU ids (ou-...) by OU path, for the OUs the program names without an id: {}.",
                paths.join(", ")
            )),
            type_: "map(string)".into(),
            default: None,
            validation: Some(Validation {
                condition: format!(
                    "alltrue([for path in {} : contains(keys(var.{OU_VAR}), path)])",
                    hcl::string_list(&paths)
                ),
                message: string("Give the id of every OU listed in the description."),
            }),
        });
    }
    if !alarms.is_empty() || !deployments.is_empty() {
        variables.push(Variable {
            name: PREFIX_VAR.into(),
            description: string("The prefix of the names accessc gives in AWS (break-glass alarms and metric filters, StackSets), its separator included."),
            type_: "string".into(),
            default: Some(string(&format!("{prefix}-"))),
            validation: Some(Validation {
                condition: format!("can(regex(\"^[A-Za-z][A-Za-z0-9-]{{0,31}}$\", var.{PREFIX_VAR}))"),
                message: string("The name prefix is a letter, then at most 31 letters, digits and hyphens."),
            }),
        });
    }
    if !alarms.is_empty() {
        variables.push(Variable {
            name: LOG_GROUP_VAR.into(),
            description: string("The CloudWatch Logs group that receives the organization CloudTrail trail (management events of every account), in this configuration's Region."),
            type_: "string".into(),
            default: None,
            validation: None,
        });
    }

    let lookups = !groups.is_empty() || !users.is_empty();
    let lookup_instance =
        ir.instance.arn.is_none() || (lookups && ir.instance.identity_store_id.is_none());
    let instance_arn = ir.instance.arn.as_deref().map_or_else(
        || "tolist(data.aws_ssoadmin_instances.this.arns)[0]".to_string(),
        string,
    );
    // The identity store id: the program's when it gives one, else looked up
    // when a principal lookup needs it.
    let identity_store_id = match &ir.instance.identity_store_id {
        Some(id) => Some(string(id)),
        None => lookups
            .then(|| "tolist(data.aws_ssoadmin_instances.this.identity_store_ids)[0]".to_string()),
    };

    Views {
        home_region: ir.instance.region.as_deref().map(hcl::comment),
        lookup_instance,
        instance_arn,
        identity_store_id,
        variables,
        outputs: ir
            .permission_sets
            .iter()
            .map(|p| {
                (
                    hcl::key(&p.name),
                    set_ident.get(p.name.as_str()).cloned().unwrap_or_default(),
                )
            })
            .collect(),
        sets,
        groups,
        users,
        assignments,
        deployments,
        attributes: ir
            .attributes
            .iter()
            .map(|a| AttributeView {
                key: string(&a.key),
                value: string(&a.value),
            })
            .collect(),
        alarms,
        errors,
    }
}

/// `depends_on = [...]`, one reference per line when there are several.
fn depends_on(refs: &[String]) -> Option<String> {
    match refs {
        [] => None,
        [one] => Some(format!("depends_on = [{one}]")),
        many => Some(format!("depends_on = [\n{},\n]", many.join(",\n"))),
    }
}

fn set_view(
    p: &PermissionSet,
    set_ident: &HashMap<&str, String>,
    cmp_instances: &HashMap<&str, Vec<String>>,
) -> SetView {
    let ident = set_ident.get(p.name.as_str()).cloned().unwrap_or_default();
    let instances_of = |name: &str| cmp_instances.get(name).cloned().unwrap_or_default();
    let customer_refs: Vec<String> = p
        .customer_managed_policies
        .iter()
        .flat_map(|c| instances_of(&c.name))
        .collect();
    let (boundary_arn, boundary_cmp, boundary_refs) = match &p.permissions_boundary {
        None => (None, None, Vec::new()),
        Some(Boundary::ManagedPolicyArn(arn)) => (Some(string(arn)), None, Vec::new()),
        Some(Boundary::CustomerManagedPolicy(r)) => (
            None,
            Some(PolicyRef {
                name: string(&r.name),
                path: string(&r.path),
            }),
            instances_of(&r.name),
        ),
    };
    let inline_policy =
        p.inline_policy
            .as_deref()
            .map(|doc| match serde_json::from_str::<Value>(doc) {
                Ok(v) => format!("jsonencode({})", hcl::json_value(&v, 1)),
                Err(_) => string(doc),
            });
    SetView {
        name: string(&p.name),
        description: p.description.as_deref().map(string),
        session_duration: string(&p.session_duration.to_iso8601()),
        relay_state: p.relay_state.as_deref().map(string),
        // The break-glass tag is the backend's: written on exactly the
        // `break_glass` sets, as CloudFormation does.
        tags: p
            .tags
            .iter()
            .filter(|t| t.key != BREAK_GLASS_TAG)
            .map(|t| (hcl::key(&t.key), string(&t.value)))
            .chain(
                p.break_glass
                    .is_some()
                    .then(|| (hcl::key(BREAK_GLASS_TAG), string("true"))),
            )
            .collect(),
        managed: p.managed_policies.iter().map(|a| string(a)).collect(),
        customer: p
            .customer_managed_policies
            .iter()
            .map(|c| (string(&c.name), string(&c.path)))
            .collect(),
        customer_depends_on: depends_on(&customer_refs),
        has_boundary: p.permissions_boundary.is_some(),
        boundary_arn,
        boundary_cmp,
        boundary_depends_on: depends_on(&boundary_refs),
        inline_policy,
        ident,
    }
}

/// One view per (permission set, principal): the IR's assignments are sorted
/// by exactly that, then by account.
fn assignment_views(
    ir: &Ir,
    set_ident: &HashMap<&str, String>,
    sets: &[SetView],
    cmp_instances: &HashMap<&str, Vec<String>>,
    principal_expr: &HashMap<(PrincipalType, &str), String>,
    names: &mut Namespace,
) -> Vec<AssignmentView> {
    let mut out: Vec<AssignmentView> = Vec::new();
    let mut current: Option<(&str, PrincipalType, &str)> = None;
    // What the resources of one permission set share: its resource name
    // and their `depends_on`.
    #[allow(clippy::type_complexity)]
    let mut per_set: FxHashMap<&str, (Arc<str>, Option<Arc<str>>)> = FxHashMap::default();
    for (i, a) in ir.assignments.iter().enumerate() {
        let group_key = (
            a.permission_set.as_str(),
            a.principal_type,
            a.principal.as_str(),
        );
        if current != Some(group_key) {
            current = Some(group_key);
            let (set_ident, depends_on) = per_set
                .entry(a.permission_set.as_str())
                .or_insert_with(|| {
                    let (ident, refs) =
                        set_refs(ir, &a.permission_set, set_ident, sets, cmp_instances);
                    (Arc::from(ident), depends_on(&refs).map(Arc::from))
                })
                .clone();
            let who = ident(&a.principal);
            let base = match a.principal_type {
                PrincipalType::Group => format!("{set_ident}_{who}"),
                PrincipalType::User => format!("{set_ident}_user_{who}"),
            };
            let owner = format!(
                "the grants of `{}` to {} `{}`",
                a.permission_set,
                a.principal_type.as_str().to_lowercase(),
                a.principal
            );
            let principal_id = match &a.principal_id {
                Some(id) => string(id),
                None => principal_expr
                    .get(&(a.principal_type, a.principal.as_str()))
                    .cloned()
                    .unwrap_or_default(),
            };
            out.push(AssignmentView {
                ident: names.claim(base, &owner),
                set_ident,
                principal_type: a.principal_type.as_str(),
                principal_id,
                accounts: i..i,
                depends_on,
            });
        }
        if let Some(view) = out.last_mut() {
            view.accounts.end = i + 1;
        }
    }
    out
}

/// The resource name of the permission set `name`, and what its
/// assignments depend on: its policy attachments and the StackSet instances
/// of its customer managed policies.
fn set_refs(
    ir: &Ir,
    name: &str,
    set_ident: &HashMap<&str, String>,
    sets: &[SetView],
    cmp_instances: &HashMap<&str, Vec<String>>,
) -> (String, Vec<String>) {
    let set_ident = set_ident.get(name).cloned().unwrap_or_else(|| ident(name));
    let mut refs = Vec::new();
    if let Some(s) = sets.iter().find(|s| s.ident == set_ident) {
        if !s.managed.is_empty() {
            refs.push(format!(
                "aws_ssoadmin_managed_policy_attachment.{set_ident}"
            ));
        }
        if !s.customer.is_empty() {
            refs.push(format!(
                "aws_ssoadmin_customer_managed_policy_attachment.{set_ident}"
            ));
        }
        if s.has_boundary {
            refs.push(format!(
                "aws_ssoadmin_permissions_boundary_attachment.{set_ident}"
            ));
        }
        if s.inline_policy.is_some() {
            refs.push(format!(
                "aws_ssoadmin_permission_set_inline_policy.{set_ident}"
            ));
        }
    }
    if let Some(p) = ir.permission_set(name) {
        let mut cmps: Vec<&str> = p
            .customer_managed_policies
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        if let Some(Boundary::CustomerManagedPolicy(r)) = &p.permissions_boundary {
            cmps.push(&r.name);
        }
        for c in cmps {
            for r in cmp_instances.get(c).into_iter().flatten() {
                if !refs.contains(r) {
                    refs.push(r.clone());
                }
            }
        }
    }
    (set_ident, refs)
}

/// The `for_each` lines of assignment resources: each account's quoted id
/// and the comment of its line (the account's name, and the grant's `until`
/// and owner), made once per account and per distinct comment.
#[derive(Default)]
pub struct AccountLines<'ir> {
    quoted_ids: FxHashMap<&'ir str, usize>,
    #[allow(clippy::type_complexity)]
    comments: FxHashMap<(&'ir str, Option<crate::ir::Date>, Option<&'ir str>), usize>,
    /// The texts the maps point into.
    texts: Vec<String>,
    /// (quoted id, comment) of the assignments at hand.
    picked: Vec<(usize, usize)>,
}

impl<'ir> AccountLines<'ir> {
    /// Makes the lines of `assignments` the ones [`AccountLines::lines`]
    /// gives.
    pub fn pick(&mut self, ir: &'ir Ir, assignments: &'ir [crate::ir::Assignment]) {
        let texts = &mut self.texts;
        let mut text_of = |text: String| {
            texts.push(text);
            texts.len() - 1
        };
        self.picked.clear();
        for a in assignments {
            let id = *self
                .quoted_ids
                .entry(a.account_id.as_str())
                .or_insert_with(|| text_of(string(&a.account_id)));
            let comment = *self
                .comments
                .entry((a.account_id.as_str(), a.until, a.owner.as_deref()))
                .or_insert_with(|| {
                    let mut note = ir.account_name(&a.account_id).unwrap_or("").to_string();
                    let mut extra = Vec::new();
                    if let Some(u) = &a.until {
                        extra.push(format!("until {u}"));
                    }
                    if let Some(o) = &a.owner {
                        extra.push(format!("owner {o}"));
                    }
                    if !extra.is_empty() {
                        note = format!("{note}; {}", extra.join(", "));
                    }
                    text_of(hcl::comment(note.trim_start_matches("; ")))
                });
            self.picked.push((id, comment));
        }
    }

    /// (quoted account id, comment) of each assignment picked last.
    pub fn lines(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        let text = |i: usize| self.texts.get(i).map_or("", String::as_str);
        self.picked.iter().map(move |&(id, c)| (text(id), text(c)))
    }
}

fn deployment(
    ir: &Ir,
    d: &CmpDeployment,
    stack_names: &mut Namespace,
    stack_set_names: &mut Namespace,
    resolve_ou: &mut impl FnMut(&OrgUnitRef) -> OuRef,
) -> DeploymentView {
    let ou_body = d.body.ou_path();
    let owner = match ou_body {
        None => format!("customer managed policy `{}`", d.name),
        Some(path) => format!("customer managed policy `{}` (body `{path}`)", d.name),
    };
    let base = match ou_body {
        None => ident(&d.name),
        Some(path) => format!("{}_{}", ident(&d.name), path_ident(path)),
    };
    let ident = stack_names.claim(base, &owner);
    let accounts_ident = stack_names.claim(format!("{ident}_accounts"), &owner);
    // StackSet names are unique per account and Region: a shared one is refused.
    let set_name = stack_set_names.claim(stable_stack_set_name(&d.name, ou_body), &owner);
    let description = stack_set_description(d);

    let document: Value =
        serde_json::from_str(&d.document).unwrap_or(Value::String(d.document.clone()));
    let mut properties = serde_json::Map::new();
    properties.insert("ManagedPolicyName".into(), json!(d.name));
    properties.insert("Path".into(), json!(d.path));
    if let Some(desc) = &d.description {
        properties.insert("Description".into(), json!(desc));
    }
    properties.insert("PolicyDocument".into(), document);
    let template = json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": policy_template_description(d),
        "Resources": {
            "Policy": {
                "Type": "AWS::IAM::ManagedPolicy",
                "Properties": Value::Object(properties),
            }
        }
    });

    let mut ous: Vec<(String, String)> = Vec::new();
    let mut accounts: Vec<(String, String, String)> = Vec::new();
    for t in &d.targets {
        let refs: Vec<OuRef> = t.ou_ids.iter().map(&mut *resolve_ou).collect();
        if t.account_ids.is_empty() {
            for r in refs {
                let key = string(&r.key);
                if !ous.iter().any(|(k, _)| *k == key) {
                    ous.push((key, r.expr));
                }
            }
            continue;
        }
        for acct in &t.account_ids {
            // The target's OU that holds the account (there is one in practice).
            let ou_path = ir.org.accounts.iter().find(|a| a.id == *acct).map(|a| {
                if a.ou_path.is_empty() {
                    "root"
                } else {
                    a.ou_path.as_str()
                }
            });
            let r = refs
                .iter()
                .find(|r| Some(r.key.as_str()) == ou_path)
                .or_else(|| refs.first());
            let Some(r) = r else { continue };
            let key = string(acct);
            if accounts.iter().any(|(k, _, _)| *k == key) {
                continue;
            }
            let name = ir.account_name(acct).unwrap_or("");
            accounts.push((
                key,
                r.expr.clone(),
                hcl::comment(&format!("{name} in {}", r.key)),
            ));
        }
    }

    accounts.sort();
    DeploymentView {
        ident,
        accounts_ident,
        name: prefixed(&set_name),
        description: string(&description),
        template_body: format!("jsonencode({})", hcl::json_value(&template, 1)),
        ous,
        accounts,
    }
}

fn alarm(p: &PermissionSet, notify: Option<&str>, set_ident: &HashMap<&str, String>) -> AlarmView {
    let name = &p.name;
    let role = format!("AWSReservedSSO_{name}_*");
    let pattern = format!(
        "{{ ($.eventSource = \"sts.amazonaws.com\") && ($.eventName = \"AssumeRoleWithSAML\") && \
         (($.requestParameters.roleArn = \"*:role/aws-reserved/sso.amazonaws.com/{role}\") || \
         ($.requestParameters.roleArn = \"*:role/aws-reserved/sso.amazonaws.com/*/{role}\")) }}"
    );
    AlarmView {
        ident: set_ident
            .get(name.as_str())
            .cloned()
            .unwrap_or_else(|| ident(name)),
        filter_name: prefixed(&break_glass_name(name)),
        alarm_name: prefixed(&break_glass_name(name)),
        metric_name: string(&break_glass_metric_name(name)),
        namespace: string(BREAK_GLASS_METRIC_NAMESPACE),
        pattern: string(&pattern),
        description: string(&format!(
            "A sign-in to the break-glass permission set {name} (AssumeRoleWithSAML of an AWSReservedSSO_{name}_ role, in any account)."
        )),
        notify: notify.map(string),
    }
}
