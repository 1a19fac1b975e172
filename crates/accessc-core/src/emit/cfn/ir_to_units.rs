//! IR to CloudFormation resources, grouped into units: one per permission set
//! (with its break-glass metric filter and alarm and its export), one for the
//! ABAC configuration, one per assignment, one StackSet per customer managed
//! policy body. Also the parameters they use.

use super::names::{name_part, pascal, plain, stable_hash, stable_id, Claims, MAX_ID_LEN};
use super::template::{
    render, AssignedAccount, AssignedGrant, AssignedPrincipal, AssignedSet, AssignmentResource,
    AssignmentUnit, Param, PrincipalRef, Unit,
};
use super::CfnFormat;
use crate::ir::{
    Assignment, Boundary, CmpDeployment, Date, Ir, OrgUnitRef, PermissionSet, PolicyBody,
    Principal, PrincipalType, SharedStr, OWNERSHIP_TAG,
};
use rustc_hash::FxHashMap;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

pub use crate::emit::common::BREAK_GLASS_TAG;
/// The default of the `NamePrefix` parameter.
pub use crate::emit::common::DEFAULT_NAME_PREFIX as DEFAULT_PREFIX;
use crate::emit::common::{
    break_glass_metric_name, break_glass_name, policy_template_description, stack_set_description,
    BREAK_GLASS_METRIC_NAMESPACE as METRIC_NAMESPACE,
};

const INSTANCE_ARN_PATTERN: &str =
    "^arn:aws(-[a-z]{1,5}){0,3}:sso:::instance/(sso)?ins-[a-zA-Z0-9-.]{16}$";
const PRINCIPAL_ID_PATTERN: &str =
    "^([0-9a-f]{10}-|)[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}$";

/// What the IR becomes: units per stack family, and every parameter.
pub struct Units {
    pub permission_sets: Vec<Unit>,
    pub policies: Vec<Unit>,
    pub params: BTreeMap<String, Param>,
    /// Logical-ID part per permission set name.
    ps_ids: HashMap<String, String>,
    /// The parameter of each principal whose id is not known.
    principal_param_names: HashMap<(PrincipalType, String), String>,
    /// A readable note per principal parameter: (parameter, kind, program
    /// name, display name).
    pub principal_params: Vec<(String, PrincipalType, String, String)>,
    /// OU parameters: (parameter, OU path or `root`).
    pub org_params: Vec<(String, String)>,
    pub errors: Vec<String>,
}

struct Ctx<'a> {
    ir: &'a Ir,
    principals: FxHashMap<(PrincipalType, &'a str), &'a Principal>,
    format: CfnFormat,
    ps_ids: HashMap<String, String>,
    params: BTreeMap<String, Param>,
    principal_params: HashMap<(PrincipalType, String), String>,
    /// OUs and the root without an id → (parameter name, OU path or `root`).
    org_params: HashMap<OrgUnitRef, (String, String)>,
    errors: Vec<String>,
}

fn fixed_params() -> BTreeMap<String, Param> {
    let mut p = BTreeMap::new();
    p.insert(
        "InstanceArn".to_string(),
        Param {
            class: 0,
            definition: json!({
                "Type": "String",
                "Description": "ARN of the IAM Identity Center organization instance (aws sso-admin list-instances)",
                "AllowedPattern": INSTANCE_ARN_PATTERN,
            }),
        },
    );
    p.insert(
        "NamePrefix".to_string(),
        Param {
            class: 0,
            definition: json!({
                "Type": "String",
                "Default": DEFAULT_PREFIX,
                "Description": "Prefix of the export, alarm and StackSet names: give every accessc stack the same value",
                "AllowedPattern": "^[A-Za-z][A-Za-z0-9-]{0,31}$",
            }),
        },
    );
    p.insert(
        "CloudTrailLogGroupName".to_string(),
        Param {
            class: 1,
            definition: json!({
                "Type": "String",
                "Description": "CloudWatch Logs log group of the organization CloudTrail trail, in this Region: the break-glass metric filters read it",
                "AllowedPattern": "^[.\\-_/#A-Za-z0-9]{1,512}$",
            }),
        },
    );
    p.insert(
        "HomeRegion".to_string(),
        Param {
            class: 1,
            definition: json!({
                "Type": "String",
                "Description": "The IAM Identity Center home Region: the one Region where each customer managed policy's stack instances are created",
                "AllowedPattern": "^[a-z]{2}(-[a-z]+)+-[0-9]$",
            }),
        },
    );
    p
}

/// Builds every unit of the IR but the assignments, which
/// [`build_assignments`] builds from what this returns (the caller may run
/// the guard rules on the rest meanwhile).
pub fn build(ir: &Ir, format: CfnFormat) -> Units {
    let mut ps_claims = Claims::new("permission set id");
    let ps_ids: HashMap<String, String> = ir
        .permission_sets
        .iter()
        .map(|p| {
            let id = stable_id(&pascal(&p.name), plain(&p.name), &p.name, 64);
            ps_claims.claim(&id, || format!("permission set `{}`", p.name));
            (p.name.clone(), id)
        })
        .collect();
    let mut cx = Ctx::new(ir, format, ps_ids, HashMap::new());
    cx.errors.append(&mut ps_claims.errors);
    cx.params = fixed_params();
    cx.name_principal_params();
    cx.name_org_params();

    let mut permission_sets: Vec<Unit> = ir
        .permission_sets
        .iter()
        .map(|p| cx.permission_set_unit(p))
        .collect();
    if let Some(u) = cx.abac_unit() {
        permission_sets.insert(0, u);
    }

    let mut cmp_claims = Claims::new("StackSet id");
    let cmp_ids: HashMap<String, String> = ir
        .customer_managed_policies
        .iter()
        .map(|c| {
            let cand = format!("{}{}", pascal(&c.name), body_id(&c.body));
            let kept = plain(&c.name)
                && c.body
                    .ou_path()
                    .is_none_or(|path| path.split('/').all(plain));
            let id = stable_id(&cand, kept, &cmp_key(c), 80);
            cmp_claims.claim(&id, || {
                format!(
                    "customer managed policy `{}{}` (body `{}`)",
                    c.path, c.name, c.body
                )
            });
            (cmp_key(c), id)
        })
        .collect();
    cx.errors.append(&mut cmp_claims.errors);
    let policies: Vec<Unit> = ir
        .customer_managed_policies
        .iter()
        .filter(|c| !c.targets.is_empty())
        .map(|c| {
            let id = cmp_ids.get(&cmp_key(c)).cloned().unwrap_or_default();
            cx.stackset_unit(c, &id)
        })
        .collect();

    let mut principal_params: Vec<(String, PrincipalType, String, String)> = ir
        .principals
        .iter()
        .filter_map(|p| {
            cx.principal_params
                .get(&(p.kind, p.name.clone()))
                .map(|n| (n.clone(), p.kind, p.name.clone(), p.display_name.clone()))
        })
        .collect();
    principal_params.sort();
    let mut org_params: Vec<(String, String)> = cx.org_params.values().cloned().collect();
    org_params.sort();
    Units {
        permission_sets,
        policies,
        ps_ids: cx.ps_ids,
        principal_param_names: cx.principal_params,
        params: cx.params,
        principal_params,
        org_params,
        errors: cx.errors,
    }
}

/// The assignment units, per permission set in IR order (its readable id,
/// its name, its units), and the errors found: among them, two assignments
/// that would share one logical ID.
#[allow(clippy::type_complexity)]
pub fn build_assignments(
    ir: &Ir,
    units: &Units,
    format: CfnFormat,
) -> (Vec<(String, String, Vec<AssignmentUnit>)>, Vec<String>) {
    build_assignments_with(ir, units, format, fx_hash)
}

/// The hash a logical ID is known by in the clash check.
fn fx_hash(id: &str) -> u64 {
    std::hash::BuildHasher::hash_one(
        &std::hash::BuildHasherDefault::<rustc_hash::FxHasher>::default(),
        id,
    )
}

/// [`build_assignments`], the logical IDs known by `hash` in the clash check.
#[allow(clippy::type_complexity)]
fn build_assignments_with(
    ir: &Ir,
    units: &Units,
    format: CfnFormat,
    hash: fn(&str) -> u64,
) -> (Vec<(String, String, Vec<AssignmentUnit>)>, Vec<String>) {
    let mut cx = Ctx::new(
        ir,
        format,
        units.ps_ids.clone(),
        units.principal_param_names.clone(),
    );
    // Each permission set's list is made at its final size: grown by
    // doubling, hundreds of thousands of units would leave up to half of
    // their room unused.
    let mut by_ps: BTreeMap<&str, Vec<AssignmentUnit>> = BTreeMap::new();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for a in &ir.assignments {
        *counts.entry(a.permission_set.as_str()).or_default() += 1;
    }
    for (ps, n) in counts {
        by_ps.insert(ps, Vec::with_capacity(n));
    }
    let mut shared = Shared::new(ir);
    let mut ids = IdClaims::new(ir.assignments.len(), hash);
    let mut id = String::new();
    for (i, a) in ir.assignments.iter().enumerate() {
        let resource = cx.assignment_resource(a, &mut shared);
        resource.write_logical_id(&mut id);
        ids.claim(i, &id, &cx, &mut shared);
        let hash = stable_hash(&[a.principal_type.as_str(), &a.principal, &a.account_id]);
        by_ps
            .entry(a.permission_set.as_str())
            .or_default()
            .push(AssignmentUnit::new(resource, hash, &id));
    }
    cx.errors.append(&mut ids.errors);
    drop(ids);
    let mut assignments = Vec::new();
    for p in &ir.permission_sets {
        if let Some(units) = by_ps.remove(p.name.as_str()) {
            assignments.push((cx.ps_id(&p.name), p.name.clone(), units));
        }
    }
    for (name, _) in by_ps {
        cx.errors.push(format!(
            "the IR assigns permission set `{name}`, which it does not define"
        ));
    }
    (assignments, cx.errors)
}

fn assignment_key(a: &Assignment) -> String {
    format!(
        "{}\u{1f}{}\u{1f}{}\u{1f}{}",
        a.permission_set,
        a.principal_type.as_str(),
        a.principal,
        a.account_id
    )
}

fn cmp_key(c: &CmpDeployment) -> String {
    format!("{}\u{1f}{}\u{1f}{}", c.path, c.name, c.body)
}

/// `default` → `Default`; an OU path → its PascalCase.
fn body_id(body: &PolicyBody) -> String {
    pascal(body.as_str())
}

/// Who holds each assignment logical ID, and every ID two assignments would
/// share. With a million assignments the IDs are not kept: only a hash of
/// each, with the index of its first holder; an ID is made again from its
/// holder's records when another one's hash is the same.
struct IdClaims {
    /// Hash of an ID → index in `ir.assignments` of its first holder.
    taken: FxHashMap<u64, usize>,
    /// IDs whose hash another ID took first → index of their first holder.
    spilled: FxHashMap<String, usize>,
    /// The ID of an earlier holder, made again.
    other: String,
    hash: fn(&str) -> u64,
    errors: Vec<String>,
}

impl IdClaims {
    fn new(n: usize, hash: fn(&str) -> u64) -> IdClaims {
        let mut taken = FxHashMap::default();
        taken.reserve(n);
        IdClaims {
            taken,
            spilled: FxHashMap::default(),
            other: String::new(),
            hash,
            errors: Vec::new(),
        }
    }

    /// Records that assignment `i` has logical ID `id`; an error when an
    /// earlier assignment of another key has it too.
    fn claim<'a>(&mut self, i: usize, id: &str, cx: &Ctx<'a>, shared: &mut Shared<'a>) {
        let hash = (self.hash)(id);
        let holder = match self.taken.get(&hash) {
            None => {
                self.taken.insert(hash, i);
                return;
            }
            Some(&j) => {
                self.other.clear();
                if let Some(b) = cx.ir.assignments.get(j) {
                    cx.assignment_resource(b, shared)
                        .write_logical_id(&mut self.other);
                }
                if self.other == id {
                    j
                } else if let Some(&k) = self.spilled.get(id) {
                    k
                } else {
                    self.spilled.insert(id.to_string(), i);
                    return;
                }
            }
        };
        let (Some(a), Some(b)) = (cx.ir.assignments.get(holder), cx.ir.assignments.get(i)) else {
            return;
        };
        if assignment_key(a) != assignment_key(b) {
            let who = |a: &Assignment| {
                format!(
                    "the assignment of `{}` to {} `{}` in `{}`",
                    a.permission_set,
                    a.principal_type.as_str().to_lowercase(),
                    a.principal,
                    a.account_id
                )
            };
            self.errors.push(format!(
                "{} and {} would both have the logical ID `{id}`: rename one of them (docs/cloudformation.md, \"Stable names\")",
                who(b),
                who(a)
            ));
        }
    }
}

/// Values many assignments share, made once.
struct Shared<'a> {
    name_prefix: Arc<str>,
    instance_param: Arc<str>,
    instance_arn: Option<Arc<str>>,
    principals: FxHashMap<(PrincipalType, &'a str), (Arc<str>, PrincipalRef)>,
    /// By principal and the assignment's own principal id.
    assigned: FxHashMap<(PrincipalType, &'a str, Option<&'a str>), Arc<AssignedPrincipal>>,
    sets: FxHashMap<&'a str, Arc<AssignedSet>>,
    accounts: FxHashMap<&'a str, Arc<AssignedAccount>>,
    dates: FxHashMap<Date, Arc<str>>,
    /// By owner and date; an assignment with neither has none.
    grants: FxHashMap<(Option<&'a str>, Option<Date>), Arc<AssignedGrant>>,
    /// The parameter list of an assignment, by its principal's parameter.
    params: FxHashMap<Option<Arc<str>>, Arc<[Arc<str>]>>,
}

impl<'a> Shared<'a> {
    fn new(ir: &Ir) -> Shared<'a> {
        Shared {
            name_prefix: Arc::from("NamePrefix"),
            instance_param: Arc::from("InstanceArn"),
            instance_arn: ir.instance.arn.as_deref().map(Arc::from),
            principals: FxHashMap::default(),
            assigned: FxHashMap::default(),
            sets: FxHashMap::default(),
            accounts: FxHashMap::default(),
            dates: FxHashMap::default(),
            grants: FxHashMap::default(),
            params: FxHashMap::default(),
        }
    }

    /// The parameters an assignment uses, sorted: `NamePrefix`, the
    /// instance's when its ARN is not known, the principal's id when it is a
    /// parameter. One list per distinct set, shared by its assignments.
    fn params(&mut self, principal_id: &PrincipalRef) -> Arc<[Arc<str>]> {
        let principal = match principal_id {
            PrincipalRef::Param(p) => Some(p.clone()),
            _ => None,
        };
        if let Some(p) = self.params.get(&principal) {
            return p.clone();
        }
        let mut params = vec![self.name_prefix.clone()];
        if self.instance_arn.is_none() {
            params.push(self.instance_param.clone());
        }
        params.extend(principal.iter().cloned());
        params.sort();
        params.dedup();
        let params: Arc<[Arc<str>]> = Arc::from(params);
        self.params.insert(principal, params.clone());
        params
    }

    /// `YYYY-MM-DD`, one string per distinct date.
    fn until(&mut self, d: Date) -> Arc<str> {
        self.dates
            .entry(d)
            .or_insert_with(|| Arc::from(d.to_string()))
            .clone()
    }

    /// The principal's name and where its id comes from: the assignment's
    /// own id, the principal's, or its parameter.
    fn principal(&mut self, cx: &Ctx, a: &'a Assignment) -> (Arc<str>, PrincipalRef) {
        let key = (a.principal_type, a.principal.as_str());
        let (name, known) = self
            .principals
            .entry(key)
            .or_insert_with(|| {
                let name = a.principal.as_arc().clone();
                let r = match cx
                    .principal(a.principal_type, &a.principal)
                    .and_then(|p| p.id.as_deref())
                {
                    Some(id) => PrincipalRef::Id(Arc::from(id)),
                    None => match cx
                        .principal_params
                        .get(&(a.principal_type, a.principal.to_string()))
                    {
                        Some(p) => PrincipalRef::Param(Arc::from(p.as_str())),
                        None => PrincipalRef::Missing,
                    },
                };
                (name, r)
            })
            .clone();
        match &a.principal_id {
            Some(id) => match &known {
                PrincipalRef::Id(k) if **k == **id => (name, known),
                _ => (name, PrincipalRef::Id(id.as_arc().clone())),
            },
            None => (name, known),
        }
    }

    /// The assignment's principal record, one per principal (and id).
    fn assigned_principal(&mut self, cx: &Ctx, a: &'a Assignment) -> Arc<AssignedPrincipal> {
        let key = (
            a.principal_type,
            a.principal.as_str(),
            a.principal_id.as_deref(),
        );
        if let Some(p) = self.assigned.get(&key) {
            return p.clone();
        }
        let (name, id) = self.principal(cx, a);
        let kind = match a.principal_type {
            PrincipalType::Group => "",
            PrincipalType::User => "User",
        };
        let p = Arc::new(AssignedPrincipal {
            principal_type: a.principal_type,
            name,
            part: Arc::from(format!("{kind}{}", name_part(&a.principal))),
            params: self.params(&id),
            id,
        });
        self.assigned.insert(key, p.clone());
        p
    }

    /// The permission set's record: the instance and the set's export.
    fn set(&mut self, cx: &Ctx, permission_set: &'a str) -> Arc<AssignedSet> {
        if let Some(e) = self.sets.get(permission_set) {
            return e.clone();
        }
        let part = cx.ps_id(permission_set);
        let e = Arc::new(AssignedSet {
            name: Arc::from(permission_set),
            instance_arn: self.instance_arn.clone(),
            export: Arc::from(export_name(&part)),
            part: Arc::from(part),
        });
        self.sets.insert(permission_set, e.clone());
        e
    }

    /// The grant's owner and date, one record per distinct pair.
    fn grant(&mut self, a: &'a Assignment) -> Option<Arc<AssignedGrant>> {
        if a.owner.is_none() && a.until.is_none() {
            return None;
        }
        let key = (a.owner.as_deref(), a.until);
        if let Some(g) = self.grants.get(&key) {
            return Some(g.clone());
        }
        let g = Arc::new(AssignedGrant {
            owner: a.owner.as_ref().map(|o| o.as_arc().clone()),
            until: a.until.map(|d| self.until(d)),
        });
        self.grants.insert(key, g.clone());
        Some(g)
    }

    /// The account's record: its id and name.
    fn account(&mut self, ir: &Ir, account: &'a SharedStr) -> Arc<AssignedAccount> {
        if let Some(n) = self.accounts.get(account.as_str()) {
            return n.clone();
        }
        let n = Arc::new(AssignedAccount {
            id: account.as_arc().clone(),
            name: ir.account_name(account).map(Arc::from),
        });
        self.accounts.insert(account.as_str(), n.clone());
        n
    }
}

impl<'ir> Ctx<'ir> {
    /// A context with no parameters, org parameters or errors yet.
    fn new(
        ir: &'ir Ir,
        format: CfnFormat,
        ps_ids: HashMap<String, String>,
        principal_params: HashMap<(PrincipalType, String), String>,
    ) -> Ctx<'ir> {
        Ctx {
            ir,
            principals: ir
                .principals
                .iter()
                .map(|p| ((p.kind, p.name.as_str()), p))
                .collect(),
            format,
            ps_ids,
            params: BTreeMap::new(),
            principal_params,
            org_params: HashMap::new(),
            errors: Vec::new(),
        }
    }

    fn principal(&self, kind: PrincipalType, name: &str) -> Option<&Principal> {
        self.principals.get(&(kind, name)).copied()
    }

    fn ps_id(&self, name: &str) -> String {
        self.ps_ids
            .get(name)
            .cloned()
            .unwrap_or_else(|| name_part(name))
    }

    fn instance_arn(&self, params: &mut BTreeSet<String>) -> Value {
        match &self.ir.instance.arn {
            Some(arn) => json!(arn),
            None => {
                params.insert("InstanceArn".into());
                json!({"Ref": "InstanceArn"})
            }
        }
    }

    fn name_principal_params(&mut self) {
        let mut needed: BTreeSet<(PrincipalType, String)> = BTreeSet::new();
        for a in &self.ir.assignments {
            let known = a.principal_id.is_some()
                || self
                    .principal(a.principal_type, &a.principal)
                    .is_some_and(|p| p.id.is_some());
            if !known {
                needed.insert((a.principal_type, a.principal.to_string()));
            }
        }
        let mut claims = Claims::new("parameter name");
        for (k, n) in needed {
            let prefix = match k {
                PrincipalType::Group => "GroupId",
                PrincipalType::User => "UserId",
            };
            let param = &stable_id(
                &format!("{prefix}{}", name_part(&n)),
                true,
                &format!("{}\u{1f}{n}", k.as_str()),
                MAX_ID_LEN,
            );
            claims.claim(param, || format!("{} `{n}`", k.as_str().to_lowercase()));
            let display = self
                .principal(k, &n)
                .map_or_else(|| n.clone(), |p| p.display_name.clone());
            let what = match k {
                PrincipalType::Group => {
                    format!("Identity-store GroupId of the group `{n}` (DisplayName \"{display}\")")
                }
                PrincipalType::User => {
                    format!("Identity-store UserId of the user `{n}` (UserName \"{display}\")")
                }
            };
            self.params.insert(
                param.clone(),
                Param {
                    class: 3,
                    definition: json!({
                        "Type": "String",
                        "Description": what,
                        "AllowedPattern": PRINCIPAL_ID_PATTERN,
                    }),
                },
            );
            self.principal_params.insert((k, n), param.clone());
        }
        self.errors.append(&mut claims.errors);
    }

    /// Each OU and the root whose id the program does not give becomes a
    /// parameter.
    fn name_org_params(&mut self) {
        // In the order of their IR text, `{path}`.
        let mut unknown: BTreeMap<String, &OrgUnitRef> = BTreeMap::new();
        for c in &self.ir.customer_managed_policies {
            for t in &c.targets {
                for r in &t.ou_ids {
                    if r.id().is_none() {
                        unknown.insert(r.to_text(), r);
                    }
                }
            }
        }
        let mut claims = Claims::new("parameter name");
        for r in unknown.into_values() {
            let (root, path) = match r {
                OrgUnitRef::UnknownOu(path) => (false, path.as_str()),
                _ => (true, "root"),
            };
            let param = &if root {
                "RootId".to_string()
            } else {
                stable_id(
                    &format!("OuId{}", pascal(path)),
                    path.split('/').all(plain),
                    path,
                    MAX_ID_LEN,
                )
            };
            claims.claim(param, || format!("OU `{path}`"));
            let definition = if root {
                json!({
                    "Type": "String",
                    "Description": "Id of the organization root (aws organizations list-roots)",
                    "AllowedPattern": "^r-[a-z0-9]{4,32}$",
                })
            } else {
                json!({
                    "Type": "String",
                    "Description": format!("Id of the organizational unit {path} (aws organizations list-organizational-units-for-parent)"),
                    "AllowedPattern": "^ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}$",
                })
            };
            self.params.insert(
                param.clone(),
                Param {
                    class: 2,
                    definition,
                },
            );
            self.org_params
                .insert(r.clone(), (param.clone(), path.to_string()));
        }
        self.errors.append(&mut claims.errors);
    }

    fn permission_set_unit(&mut self, p: &PermissionSet) -> Unit {
        let id = self.ps_id(&p.name);
        let logical = format!("PermissionSet{id}");
        let mut params = BTreeSet::new();
        let mut props = Map::new();
        props.insert("Name".into(), json!(p.name));
        props.insert("InstanceArn".into(), self.instance_arn(&mut params));
        if let Some(d) = &p.description {
            props.insert("Description".into(), json!(d));
        }
        props.insert("SessionDuration".into(), json!(p.session_duration));
        if let Some(r) = &p.relay_state {
            props.insert("RelayStateType".into(), json!(r));
        }
        if !p.managed_policies.is_empty() {
            props.insert("ManagedPolicies".into(), json!(p.managed_policies));
        }
        if !p.customer_managed_policies.is_empty() {
            let refs: Vec<Value> = p
                .customer_managed_policies
                .iter()
                .map(|c| json!({"Name": c.name, "Path": c.path}))
                .collect();
            props.insert("CustomerManagedPolicyReferences".into(), Value::Array(refs));
        }
        match &p.permissions_boundary {
            Some(Boundary::ManagedPolicyArn(arn)) => {
                props.insert(
                    "PermissionsBoundary".into(),
                    json!({"ManagedPolicyArn": arn}),
                );
            }
            Some(Boundary::CustomerManagedPolicy(c)) => {
                props.insert(
                    "PermissionsBoundary".into(),
                    json!({"CustomerManagedPolicyReference": {"Name": c.name, "Path": c.path}}),
                );
            }
            None => {}
        }
        if let Some(doc) = &p.inline_policy {
            // An object, not a string: reviewable line by line, and cfn-lint
            // checks its actions. CloudFormation serializes it for the API.
            let v = serde_json::from_str::<Value>(doc).unwrap_or_else(|_| json!(doc));
            props.insert("InlinePolicy".into(), v);
        }
        let mut tags: Vec<(String, String)> = p
            .tags
            .iter()
            .filter(|t| t.key != BREAK_GLASS_TAG)
            .map(|t| (t.key.clone(), t.value.clone()))
            .collect();
        if !tags.iter().any(|(k, _)| k == OWNERSHIP_TAG.0) {
            tags.push((OWNERSHIP_TAG.0.into(), OWNERSHIP_TAG.1.into()));
        }
        if p.break_glass.is_some() {
            tags.push((BREAK_GLASS_TAG.into(), "true".into()));
        }
        tags.sort();
        if tags.len() > 50 {
            self.errors.push(format!(
                "permission set `{}` would carry {} tags (with `{}`{}); AWS allows 50",
                p.name,
                tags.len(),
                OWNERSHIP_TAG.0,
                if p.break_glass.is_some() {
                    format!(" and `{BREAK_GLASS_TAG}`")
                } else {
                    String::new()
                }
            ));
        }
        let tags: Vec<Value> = tags
            .iter()
            .map(|(k, v)| json!({"Key": k, "Value": v}))
            .collect();
        props.insert("Tags".into(), Value::Array(tags));

        let mut resources = vec![(
            logical.clone(),
            json!({"Type": "AWS::SSO::PermissionSet", "Properties": Value::Object(props)}),
        )];
        if let Some(bg) = &p.break_glass {
            resources.extend(self.break_glass(p, &id, bg.notify.as_deref(), &mut params));
        }
        params.insert("NamePrefix".into());
        let output = json!({
            "Description": format!("ARN of permission set {}", p.name),
            "Value": {"Fn::GetAtt": [logical, "PermissionSetArn"]},
            "Export": {"Name": {"Fn::Sub": export_name(&id)}},
        });
        Unit::new(
            stable_hash(&[&p.name]),
            resources,
            vec![(format!("PermissionSet{id}Arn"), output)],
            params,
        )
    }

    /// The metric filter and alarm that page on every sign-in to a break-glass set.
    fn break_glass(
        &self,
        p: &PermissionSet,
        id: &str,
        notify: Option<&str>,
        params: &mut BTreeSet<String>,
    ) -> Vec<(String, Value)> {
        params.insert("CloudTrailLogGroupName".into());
        let metadata = json!({"accessc": {"BreakGlassPermissionSet": p.name}});
        let filter = json!({
            "Type": "AWS::Logs::MetricFilter",
            "Metadata": metadata,
            "Properties": {
                "FilterName": {"Fn::Sub": format!("${{NamePrefix}}-{}", break_glass_name(&p.name))},
                "LogGroupName": {"Ref": "CloudTrailLogGroupName"},
                "FilterPattern": break_glass_filter_pattern(&p.name),
                "MetricTransformations": [{
                    "MetricNamespace": METRIC_NAMESPACE,
                    "MetricName": break_glass_metric_name(&p.name),
                    "MetricValue": "1",
                }],
            },
        });
        let mut alarm = Map::new();
        alarm.insert(
            "AlarmName".into(),
            json!({"Fn::Sub": format!("${{NamePrefix}}-{}", break_glass_name(&p.name))}),
        );
        alarm.insert(
            "AlarmDescription".into(),
            json!(format!(
                "Break-glass permission set {} was used: AssumeRoleWithSAML of an AWSReservedSSO_{}_ role in some account",
                p.name, p.name
            )),
        );
        alarm.insert("Namespace".into(), json!(METRIC_NAMESPACE));
        alarm.insert("MetricName".into(), json!(break_glass_metric_name(&p.name)));
        alarm.insert("Statistic".into(), json!("Sum"));
        alarm.insert("Period".into(), json!(60));
        alarm.insert("EvaluationPeriods".into(), json!(1));
        alarm.insert("Threshold".into(), json!(1));
        alarm.insert(
            "ComparisonOperator".into(),
            json!("GreaterThanOrEqualToThreshold"),
        );
        alarm.insert("TreatMissingData".into(), json!("notBreaching"));
        if let Some(topic) = notify {
            alarm.insert("AlarmActions".into(), json!([topic]));
        }
        vec![
            (format!("BreakGlassMetricFilter{id}"), filter),
            (
                format!("BreakGlassAlarm{id}"),
                json!({"Type": "AWS::CloudWatch::Alarm", "Metadata": metadata, "Properties": Value::Object(alarm)}),
            ),
        ]
    }

    fn abac_unit(&self) -> Option<Unit> {
        if self.ir.attributes.is_empty() {
            return None;
        }
        let mut params = BTreeSet::new();
        let attrs: Vec<Value> = self
            .ir
            .attributes
            .iter()
            .map(|a| json!({"Key": a.key, "Value": {"Source": [a.value]}}))
            .collect();
        let resource = json!({
            "Type": "AWS::SSO::InstanceAccessControlAttributeConfiguration",
            "Properties": {
                "InstanceArn": self.instance_arn(&mut params),
                "AccessControlAttributes": attrs,
            },
        });
        // Hash 0: bucket 0 at every depth, so it never moves.
        Some(Unit::new(
            0,
            vec![("InstanceAccessControlAttributes".into(), resource)],
            vec![],
            params,
        ))
    }

    /// The assignment's compact resource, from records shared with the
    /// assignments of the same principal, set, account and grant.
    fn assignment_resource(
        &self,
        a: &'ir Assignment,
        shared: &mut Shared<'ir>,
    ) -> AssignmentResource {
        AssignmentResource {
            principal: shared.assigned_principal(self, a),
            set: shared.set(self, &a.permission_set),
            account: shared.account(self.ir, &a.account_id),
            grant: shared.grant(a),
        }
    }

    fn stackset_unit(&mut self, c: &CmpDeployment, id: &str) -> Unit {
        let mut params = BTreeSet::new();
        params.insert("NamePrefix".to_string());
        let region = match &self.ir.instance.region {
            Some(r) => json!(r),
            None => {
                params.insert("HomeRegion".into());
                json!({"Ref": "HomeRegion"})
            }
        };
        let groups: Vec<Value> = c
            .targets
            .iter()
            .map(|t| {
                let ous: Vec<Value> = t
                    .ou_ids
                    .iter()
                    .map(|o| match (o, self.org_params.get(o)) {
                        (OrgUnitRef::Id(id), _) => json!(id),
                        (_, Some((p, _))) => {
                            params.insert(p.clone());
                            json!({"Ref": p})
                        }
                        (unknown, None) => json!(unknown.to_text()),
                    })
                    .collect();
                let mut targets = Map::new();
                targets.insert("OrganizationalUnitIds".into(), Value::Array(ous));
                if !t.account_ids.is_empty() {
                    targets.insert("Accounts".into(), json!(t.account_ids));
                    targets.insert("AccountFilterType".into(), json!("INTERSECTION"));
                }
                json!({"DeploymentTargets": Value::Object(targets), "Regions": [region]})
            })
            .collect();
        if let Some(d) = c
            .description
            .as_deref()
            .filter(|d| d.chars().count() > 1000)
        {
            self.errors.push(format!(
                "customer managed policy `{}`: its description is {} characters; IAM allows 1,000",
                c.name,
                d.chars().count()
            ));
        }
        let body = self.policy_template(c);
        if body.len() > 51_200 {
            self.errors.push(format!(
                "customer managed policy `{}` (body `{}`): the StackSet template is {} bytes; CloudFormation allows 51,200",
                c.name,
                c.body,
                body.len()
            ));
        }
        let description = stack_set_description(c);
        let resource = json!({
            "Type": "AWS::CloudFormation::StackSet",
            "Properties": {
                "StackSetName": {"Fn::Sub": format!("${{NamePrefix}}-policy-{id}")},
                "Description": description,
                "PermissionModel": "SERVICE_MANAGED",
                "AutoDeployment": {"Enabled": true, "RetainStacksOnAccountRemoval": false},
                "Capabilities": ["CAPABILITY_NAMED_IAM"],
                "ManagedExecution": {"Active": true},
                // Every account at once, stopping at the first failure.
                "OperationPreferences": {
                    "ConcurrencyMode": "SOFT_FAILURE_TOLERANCE",
                    "FailureToleranceCount": 0,
                    "MaxConcurrentPercentage": 100,
                },
                "StackInstancesGroup": groups,
                "Tags": [{"Key": OWNERSHIP_TAG.0, "Value": OWNERSHIP_TAG.1}],
                "TemplateBody": body,
            },
        });
        Unit::new(
            stable_hash(&[&c.path, &c.name, c.body.as_str()]),
            vec![(format!("PolicyStackSet{id}"), resource)],
            vec![],
            params,
        )
    }

    /// The template each stack instance deploys: one `AWS::IAM::ManagedPolicy`.
    fn policy_template(&self, c: &CmpDeployment) -> String {
        let doc = serde_json::from_str::<Value>(&c.document).unwrap_or_else(|_| json!(c.document));
        let mut props = Map::new();
        props.insert("ManagedPolicyName".into(), json!(c.name));
        props.insert("Path".into(), json!(c.path));
        if let Some(d) = &c.description {
            props.insert("Description".into(), json!(d));
        }
        props.insert("PolicyDocument".into(), doc);
        let t = json!({
            "AWSTemplateFormatVersion": "2010-09-09",
            "Description": policy_template_description(c),
            "Resources": {
                "ManagedPolicy": {"Type": "AWS::IAM::ManagedPolicy", "Properties": Value::Object(props)},
            },
        });
        render(&t, self.format)
    }
}

/// The `Fn::Sub` string of a permission set's export name.
fn export_name(ps_id: &str) -> String {
    format!("${{NamePrefix}}:PermissionSetArn:{ps_id}")
}

/// The CloudWatch Logs filter pattern that matches every `AssumeRoleWithSAML`
/// of the role Identity Center provisions for permission set `name`, in any
/// account, with or without the Region path segment.
pub fn break_glass_filter_pattern(name: &str) -> String {
    format!(
        "{{ ($.eventSource = \"sts.amazonaws.com\") && ($.eventName = \"AssumeRoleWithSAML\") && ($.requestParameters.roleArn = \"{}\") }}",
        break_glass_role_glob(name)
    )
}

/// The role-ARN glob of the filter pattern: `*/AWSReservedSSO_<name>_*`.
pub fn break_glass_role_glob(name: &str) -> String {
    format!("*/AWSReservedSSO_{name}_*")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Instance, SessionDuration};

    fn ir(assignments: &[(&str, PrincipalType, &str, &str)]) -> Ir {
        let mut sets: Vec<&str> = assignments.iter().map(|a| a.0).collect();
        sets.sort();
        sets.dedup();
        let set = |name: &str| PermissionSet {
            name: name.into(),
            function: name.into(),
            description: None,
            session_duration: SessionDuration::from_minutes(60),
            relay_state: None,
            managed_policies: vec![],
            customer_managed_policies: vec![],
            permissions_boundary: None,
            inline_policy: None,
            tags: vec![],
            break_glass: None,
        };
        Ir {
            instance: Instance {
                region: Some("eu-west-1".into()),
                ..Instance::default()
            },
            permission_sets: sets.into_iter().map(set).collect(),
            assignments: assignments
                .iter()
                .map(|&(set, kind, who, account)| Assignment {
                    permission_set: set.into(),
                    principal_type: kind,
                    principal: who.into(),
                    principal_id: None,
                    account_id: account.into(),
                    until: None,
                    owner: None,
                })
                .collect(),
            ..Ir::default()
        }
    }

    /// The logical IDs of the assignment units, and the errors, with IDs
    /// known by `hash` in the clash check.
    fn ids_and_errors(ir: &Ir, hash: fn(&str) -> u64) -> (Vec<String>, Vec<String>) {
        let units = build(ir, CfnFormat::Yaml);
        let (by_set, errors) = build_assignments_with(ir, &units, CfnFormat::Yaml, hash);
        let ids = by_set
            .iter()
            .flat_map(|(_, _, list)| list.iter().map(|a| a.resource.logical_id()))
            .collect();
        (ids, errors)
    }

    #[test]
    fn logical_ids_are_made_from_the_records() {
        let long = "a".repeat(300);
        let ir = ir(&[
            ("Dev", PrincipalType::Group, "team-a", "111111111111"),
            ("Dev", PrincipalType::User, "jane", "111111111111"),
            ("Dev", PrincipalType::Group, "Ops_Admin", "111111111111"),
            ("Dev", PrincipalType::Group, &long, "111111111111"),
        ]);
        let (ids, errors) = ids_and_errors(&ir, fx_hash);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(ids[0], "AssignmentDevTeamA111111111111");
        assert_eq!(ids[1], "AssignmentDevUserJane111111111111");
        assert_eq!(
            ids[2],
            format!("AssignmentDev{}111111111111", name_part("Ops_Admin"))
        );
        let cand = format!("AssignmentDevA{}111111111111", &long[1..]);
        let key = format!("Dev\u{1f}GROUP\u{1f}{long}\u{1f}111111111111");
        assert_eq!(ids[3], stable_id(&cand, false, &key, MAX_ID_LEN));
        assert_eq!(ids[3].len(), MAX_ID_LEN);
    }

    #[test]
    fn two_assignments_of_one_logical_id_are_an_error_whatever_the_hash() {
        // `App` + `dev-ops` and `AppDev` + `ops` read the same; the third
        // assignment repeats the first (one resource, no clash).
        let ir = ir(&[
            ("App", PrincipalType::Group, "dev-ops", "111111111111"),
            ("App", PrincipalType::Group, "devs", "111111111111"),
            ("AppDev", PrincipalType::Group, "ops", "111111111111"),
            ("App", PrincipalType::Group, "dev-ops", "111111111111"),
            ("AppDev", PrincipalType::Group, "ops", "222222222222"),
            ("AppDevOps", PrincipalType::User, "x", "111111111111"),
            ("AppDevOps", PrincipalType::Group, "user-x", "111111111111"),
        ]);
        let expected = vec![
            "the assignment of `AppDev` to group `ops` in `111111111111` and the assignment of \
             `App` to group `dev-ops` in `111111111111` would both have the logical ID \
             `AssignmentAppDevOps111111111111`: rename one of them (docs/cloudformation.md, \"Stable names\")"
                .to_string(),
            "the assignment of `AppDevOps` to group `user-x` in `111111111111` and the assignment of \
             `AppDevOps` to user `x` in `111111111111` would both have the logical ID \
             `AssignmentAppDevOpsUserX111111111111`: rename one of them (docs/cloudformation.md, \"Stable names\")"
                .to_string(),
        ];
        let (ids, errors) = ids_and_errors(&ir, fx_hash);
        assert_eq!(errors, expected);
        // Every ID known by one hash: clashes are told apart by the IDs
        // themselves, made again from their holders' records.
        let (same_ids, same_errors) = ids_and_errors(&ir, |_| 0);
        assert_eq!(same_errors, expected);
        assert_eq!(same_ids, ids);
    }
}
