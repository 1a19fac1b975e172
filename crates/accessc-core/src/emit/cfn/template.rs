//! Templates as data: the unit a stack is built from (a group of resources that
//! always travel together), the parameters they use, and the rendering of a
//! template to YAML or JSON text.
//!
//! Assignments stay compact records until their template is rendered, and
//! are written straight to text: a large organization has hundreds of
//! thousands of them. Their JSON comes from one `Serialize` impl (which also
//! gives their JSON value); their YAML writer is held equal to the generic
//! YAML of that value by the tests below.

use super::names::{stable_id, MAX_ID_LEN};
use super::yaml::{self, to_yaml, write_entry, write_map_key};
use super::CfnFormat;
use crate::ir::PrincipalType;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Resources that always go into the same template, with what they need.
#[derive(Debug, Clone)]
pub struct Unit {
    /// Chooses the bucket: a stable hash of the unit's identity.
    pub hash: u64,
    pub resources: Vec<(String, Value)>,
    pub outputs: Vec<(String, Value)>,
    /// Names of the parameters the resources use, sorted, without repeats.
    pub params: Arc<[Arc<str>]>,
    /// At least the number of bytes the resources and outputs add to a
    /// template, in YAML and in JSON: the cheap bound the splitter sums.
    pub size: usize,
}

impl Unit {
    /// A unit of ready-made resources.
    pub fn new(
        hash: u64,
        resources: Vec<(String, Value)>,
        outputs: Vec<(String, Value)>,
        params: BTreeSet<String>,
    ) -> Unit {
        let size = resources
            .iter()
            .chain(outputs.iter())
            .map(|(id, v)| member_len_bound(id, v))
            .sum();
        Unit {
            hash,
            resources,
            outputs,
            params: params.into_iter().map(Arc::from).collect(),
            size,
        }
    }
}

/// One account assignment: a unit of its own, held as a compact record
/// until its template is rendered (a large organization has a million of
/// them). It has no outputs, and its logical ID is made again from its
/// records whenever it is needed ([`AssignmentResource::write_logical_id`]):
/// only the ID's length is kept, for the size bounds.
#[derive(Debug, Clone)]
pub struct AssignmentUnit {
    pub resource: AssignmentResource,
    /// Chooses the bucket: the stable hash of principal and account.
    pub hash: u64,
    /// [`AssignmentResource::len_bound`] under its logical ID.
    size: u32,
    /// The escaped length bound of its logical ID.
    id_len: u32,
}

impl AssignmentUnit {
    /// The unit of `resource`, whose logical ID is `id`
    /// ([`AssignmentResource::write_logical_id`]).
    pub fn new(resource: AssignmentResource, hash: u64, id: &str) -> AssignmentUnit {
        let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        AssignmentUnit {
            size: clamp(resource.len_bound(id)),
            id_len: clamp(escaped_len_bound(id)),
            resource,
            hash,
        }
    }

    /// The names of the parameters the assignment uses, sorted.
    pub fn params(&self) -> &[Arc<str>] {
        &self.resource.principal.params
    }

    pub fn size(&self) -> usize {
        self.size as usize
    }
}

/// The bytes a `DependsOn` entry adds to a resource, in YAML or JSON,
/// besides the escaped logical ID it names (indentation, key, quotes,
/// separator and line break).
const DEPENDS_ON_OVERHEAD: usize = 32;

/// The chain (`0..chains`) of the assignment with logical ID `id`: a stable
/// hash of the ID alone, so adding or removing an assignment never moves
/// another one to another chain.
pub fn chain_of(id: &str, chains: usize) -> usize {
    let n = chains.max(1) as u64;
    (super::names::stable_hash(&["chain", id]) % n) as usize
}

/// The `DependsOn` of each assignment with logical IDs `ids`, in template
/// order: with `chains > 0`, each depends on the previous assignment of its
/// chain (the first of each chain on none), so CloudFormation creates at
/// most `chains` assignments of the template at once.
fn chain_links(ids: &[String], chains: usize) -> Vec<Option<&str>> {
    let mut last: Vec<Option<&str>> = vec![None; chains];
    ids.iter()
        .map(|id| {
            if chains == 0 {
                return None;
            }
            let c = chain_of(id, chains);
            last.get_mut(c).and_then(|slot| slot.replace(id.as_str()))
        })
        .collect()
}

/// Where an assignment's `PrincipalId` comes from.
#[derive(Debug, Clone)]
pub enum PrincipalRef {
    /// The identity-store id, known at build time.
    Id(Arc<str>),
    /// A template parameter.
    Param(Arc<str>),
    /// Neither (the IR is inconsistent; the build reports it elsewhere).
    Missing,
}

/// An `AWS::SSO::Assignment` in compact form. What many assignments share
/// (their principal, their permission set, their account, their grant's
/// owner and date) is one reference-counted record each, so an assignment
/// holds four pointers.
#[derive(Debug, Clone)]
pub struct AssignmentResource {
    pub principal: Arc<AssignedPrincipal>,
    pub set: Arc<AssignedSet>,
    pub account: Arc<AssignedAccount>,
    /// `None`: neither owner nor date.
    pub grant: Option<Arc<AssignedGrant>>,
}

/// The principal of an assignment.
#[derive(Debug)]
pub struct AssignedPrincipal {
    pub principal_type: PrincipalType,
    pub name: Arc<str>,
    pub id: PrincipalRef,
    /// Its part of the logical ID: `AwsTeamAEngineers`, `UserJane`.
    pub part: Arc<str>,
    /// The parameters an assignment of it uses, sorted.
    pub params: Arc<[Arc<str>]>,
}

/// The permission set of an assignment, as its template reaches it.
#[derive(Debug)]
pub struct AssignedSet {
    /// Its name (AWS).
    pub name: Arc<str>,
    /// Its part of the logical ID.
    pub part: Arc<str>,
    /// `None`: `{"Ref": "InstanceArn"}`.
    pub instance_arn: Option<Arc<str>>,
    /// The `Fn::Sub` string of the permission set's export.
    pub export: Arc<str>,
}

/// The account of an assignment.
#[derive(Debug)]
pub struct AssignedAccount {
    pub id: Arc<str>,
    pub name: Option<Arc<str>>,
}

/// The owner and the end date of the grant of an assignment.
#[derive(Debug)]
pub struct AssignedGrant {
    pub owner: Option<Arc<str>>,
    pub until: Option<Arc<str>>,
}

impl AssignmentResource {
    /// An assignment with records of its own (not shared with any other),
    /// with the logical ID `Assignment{principal_part}{account_id}`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        principal_type: PrincipalType,
        principal: Arc<str>,
        principal_id: PrincipalRef,
        principal_part: Arc<str>,
        instance_arn: Option<Arc<str>>,
        export: Arc<str>,
        account_id: Arc<str>,
        account_name: Option<Arc<str>>,
        owner: Option<Arc<str>>,
        until: Option<Arc<str>>,
    ) -> AssignmentResource {
        let empty: Arc<str> = Arc::from("");
        AssignmentResource {
            principal: Arc::new(AssignedPrincipal {
                principal_type,
                name: principal,
                id: principal_id,
                part: principal_part,
                params: Arc::from([Arc::from("NamePrefix")]),
            }),
            set: Arc::new(AssignedSet {
                name: empty.clone(),
                part: empty,
                instance_arn,
                export,
            }),
            account: Arc::new(AssignedAccount {
                id: account_id,
                name: account_name,
            }),
            grant: (owner.is_some() || until.is_some())
                .then(|| Arc::new(AssignedGrant { owner, until })),
        }
    }

    pub fn owner(&self) -> Option<&str> {
        self.grant.as_ref().and_then(|g| g.owner.as_deref())
    }

    pub fn until(&self) -> Option<&str> {
        self.grant.as_ref().and_then(|g| g.until.as_deref())
    }

    /// Writes the logical ID into `out` (cleared first):
    /// `AssignmentAppDeveloperAwsTeamAEngineers111111111111` (users get
    /// `User` before their name); cut with a hash of the assignment's key
    /// past CloudFormation's 255 characters.
    pub fn write_logical_id(&self, out: &mut String) {
        out.clear();
        out.push_str("Assignment");
        out.push_str(&self.set.part);
        out.push_str(&self.principal.part);
        out.push_str(&self.account.id);
        if out.len() > MAX_ID_LEN {
            let key = format!(
                "{}\u{1f}{}\u{1f}{}\u{1f}{}",
                self.set.name,
                self.principal.principal_type.as_str(),
                self.principal.name,
                self.account.id
            );
            *out = stable_id(out, false, &key, MAX_ID_LEN);
        }
    }

    /// The logical ID ([`AssignmentResource::write_logical_id`]).
    pub fn logical_id(&self) -> String {
        let mut id = String::new();
        self.write_logical_id(&mut id);
        id
    }

    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Writes `id:` and the resource at `indent`: the same text as the
    /// generic YAML writer gives for [`AssignmentResource::to_value`].
    fn write_yaml(&self, out: &mut String, id: &str, depends_on: Option<&str>, indent: usize) {
        let i = indent;
        write_map_key(out, id, i);
        yaml::write_known_entry(out, "Type", "AWS::SSO::Assignment", i + 2);
        if let Some(d) = depends_on {
            yaml::write_known_entry(out, "DependsOn", d, i + 2);
        }
        yaml::write_known_key(out, "Metadata", i + 2);
        yaml::write_known_key(out, "accessc", i + 4);
        yaml::write_known_entry(out, "Principal", &self.principal.name, i + 6);
        if let Some(name) = &self.account.name {
            yaml::write_known_entry(out, "Account", name, i + 6);
        }
        if let Some(o) = self.owner() {
            yaml::write_known_entry(out, "Owner", o, i + 6);
        }
        if let Some(u) = self.until() {
            yaml::write_known_entry(out, "Until", u, i + 6);
        }
        yaml::write_known_key(out, "Properties", i + 2);
        match &self.set.instance_arn {
            Some(arn) => yaml::write_known_entry(out, "InstanceArn", arn, i + 4),
            None => {
                yaml::write_known_key(out, "InstanceArn", i + 4);
                yaml::write_known_entry(out, "Ref", "InstanceArn", i + 6);
            }
        }
        yaml::write_known_key(out, "PermissionSetArn", i + 4);
        yaml::write_known_key(out, "Fn::ImportValue", i + 6);
        yaml::write_known_entry(out, "Fn::Sub", &self.set.export, i + 8);
        yaml::write_known_entry(
            out,
            "PrincipalType",
            self.principal.principal_type.as_str(),
            i + 4,
        );
        match &self.principal.id {
            PrincipalRef::Id(id) => yaml::write_known_entry(out, "PrincipalId", id, i + 4),
            PrincipalRef::Param(p) => {
                yaml::write_known_key(out, "PrincipalId", i + 4);
                yaml::write_known_entry(out, "Ref", p, i + 6);
            }
            PrincipalRef::Missing => yaml::write_known_entry(out, "PrincipalId", "", i + 4),
        }
        yaml::write_known_entry(out, "TargetType", "AWS_ACCOUNT", i + 4);
        yaml::write_known_entry(out, "TargetId", &self.account.id, i + 4);
    }

    /// An upper bound of the bytes this resource adds to a template under
    /// logical ID `id`, in YAML or JSON: the longest skeleton (every
    /// optional key present, each reference in its longer form, every string
    /// empty) plus each string at its longest rendering.
    pub fn len_bound(&self, id: &str) -> usize {
        static SKELETON: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
        let skeleton = *SKELETON.get_or_init(|| {
            let empty: Arc<str> = Arc::from("");
            let mut widest = 0;
            for (instance_arn, principal_id) in [
                (None, PrincipalRef::Param(empty.clone())),
                (Some(empty.clone()), PrincipalRef::Id(empty.clone())),
                (None, PrincipalRef::Missing),
            ] {
                let a = AssignmentResource::new(
                    PrincipalType::Group,
                    empty.clone(),
                    principal_id,
                    empty.clone(),
                    instance_arn,
                    empty.clone(),
                    empty.clone(),
                    Some(empty.clone()),
                    Some(empty.clone()),
                    Some(empty.clone()),
                );
                widest = widest.max(member_len_bound("", &a.to_value()));
            }
            widest
        });
        let id_len = match &self.principal.id {
            PrincipalRef::Id(s) | PrincipalRef::Param(s) => escaped_len_bound(s),
            PrincipalRef::Missing => 0,
        };
        skeleton
            + escaped_len_bound(id)
            + escaped_len_bound(&self.principal.name)
            + id_len
            + self
                .set
                .instance_arn
                .as_deref()
                .map_or(0, escaped_len_bound)
            + escaped_len_bound(&self.set.export)
            + escaped_len_bound(&self.account.id)
            + self.account.name.as_deref().map_or(0, escaped_len_bound)
            + self.owner().map_or(0, escaped_len_bound)
            + self.until().map_or(0, escaped_len_bound)
    }
}

/// `{"k": v}`.
struct Single<'a, V>(&'a str, V);

impl<V: Serialize> Serialize for Single<'_, V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry(self.0, &self.1)?;
        m.end()
    }
}

/// A string, or `{"Ref": parameter}`.
enum StrOrRef<'a> {
    Str(&'a str),
    Ref(&'a str),
}

impl Serialize for StrOrRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            StrOrRef::Str(v) => s.serialize_str(v),
            StrOrRef::Ref(p) => Single("Ref", p).serialize(s),
        }
    }
}

impl Serialize for AssignmentResource {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        AssignmentDoc {
            a: self,
            depends_on: None,
        }
        .serialize(s)
    }
}

/// An assignment resource with its `DependsOn`, if any.
struct AssignmentDoc<'a> {
    a: &'a AssignmentResource,
    depends_on: Option<&'a str>,
}

impl Serialize for AssignmentDoc<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Meta<'a>(&'a AssignmentResource);
        impl Serialize for Meta<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let a = self.0;
                let mut m = s.serialize_map(None)?;
                m.serialize_entry("Principal", &*a.principal.name)?;
                if let Some(name) = &a.account.name {
                    m.serialize_entry("Account", &**name)?;
                }
                if let Some(o) = a.owner() {
                    m.serialize_entry("Owner", o)?;
                }
                if let Some(u) = a.until() {
                    m.serialize_entry("Until", u)?;
                }
                m.end()
            }
        }
        struct Props<'a>(&'a AssignmentResource);
        impl Serialize for Props<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let a = self.0;
                let mut m = s.serialize_map(Some(6))?;
                let instance = match &a.set.instance_arn {
                    Some(arn) => StrOrRef::Str(arn),
                    None => StrOrRef::Ref("InstanceArn"),
                };
                m.serialize_entry("InstanceArn", &instance)?;
                m.serialize_entry(
                    "PermissionSetArn",
                    &Single("Fn::ImportValue", Single("Fn::Sub", &*a.set.export)),
                )?;
                m.serialize_entry("PrincipalType", a.principal.principal_type.as_str())?;
                let principal = match &a.principal.id {
                    PrincipalRef::Id(id) => StrOrRef::Str(id),
                    PrincipalRef::Param(p) => StrOrRef::Ref(p),
                    PrincipalRef::Missing => StrOrRef::Str(""),
                };
                m.serialize_entry("PrincipalId", &principal)?;
                m.serialize_entry("TargetType", "AWS_ACCOUNT")?;
                m.serialize_entry("TargetId", &*a.account.id)?;
                m.end()
            }
        }
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("Type", "AWS::SSO::Assignment")?;
        if let Some(d) = self.depends_on {
            m.serialize_entry("DependsOn", d)?;
        }
        m.serialize_entry("Metadata", &Single("accessc", Meta(self.a)))?;
        m.serialize_entry("Properties", &Props(self.a))?;
        m.end()
    }
}

/// At least the bytes one member `id: v` of `Resources` (or `Outputs`) adds
/// to a template, in YAML or in JSON: its rendering as the only member of
/// `Resources` in a document of its own. The member sits at the same depth
/// there, and the document's framing outweighs the separator it needs in a
/// template.
fn member_len_bound(id: &str, v: &Value) -> usize {
    let mut m = Map::new();
    m.insert(id.to_string(), v.clone());
    let doc = json!({ "Resources": Value::Object(m) });
    render(&doc, CfnFormat::Yaml)
        .len()
        .max(render(&doc, CfnFormat::Json).len())
}

/// At least the length of `s` as a YAML or JSON scalar, less the two quotes
/// an empty string takes: a line break may start a literal block line
/// (indentation included), another control byte, a quote, a backslash or a
/// non-ASCII byte may take six bytes of escape, any other byte one.
fn escaped_len_bound(s: &str) -> usize {
    s.bytes()
        .map(|b| match b {
            b'\n' => 32,
            b if !(0x20..0x80).contains(&b) || b == b'"' || b == b'\\' => 6,
            _ => 1,
        })
        .sum()
}

/// A parameter definition, and where it sorts among a template's parameters.
#[derive(Debug, Clone)]
pub struct Param {
    /// 0: instance and naming, 1: deployment settings, 2: organization ids, 3: principal ids.
    pub class: u8,
    pub definition: Value,
}

/// One template's content before rendering: its resources are those of its
/// units, then its assignments (a template of the output has one kind or
/// the other).
#[derive(Debug, Clone)]
pub struct Template {
    pub description: String,
    /// The instance's home Region, asserted by a `Rules` entry when known.
    pub home_region: Option<String>,
    pub units: Vec<Unit>,
    pub assignments: Vec<AssignmentUnit>,
    /// The number of `DependsOn` chains the assignments are laid in (at
    /// most this many are created at once); 0: no chains.
    pub chains: usize,
}

impl Template {
    /// The number of units, assignments included.
    pub fn unit_count(&self) -> usize {
        self.units.len() + self.assignments.len()
    }

    pub fn resource_count(&self) -> usize {
        self.units.iter().map(|u| u.resources.len()).sum::<usize>() + self.assignments.len()
    }

    pub fn output_count(&self) -> usize {
        self.units.iter().map(|u| u.outputs.len()).sum()
    }

    /// Every parameter list of the units and assignments (lists shared by
    /// many assignments come once per assignment).
    pub fn param_lists(&self) -> impl Iterator<Item = &[Arc<str>]> {
        self.units
            .iter()
            .map(|u| &*u.params)
            .chain(self.assignments.iter().map(AssignmentUnit::params))
    }

    pub fn param_names(&self) -> BTreeSet<&str> {
        self.param_lists()
            .flat_map(|l| l.iter().map(|p| &**p))
            .collect()
    }

    /// The sum of the units' size bounds.
    pub fn size_bound(&self) -> usize {
        self.units.iter().map(|u| u.size).sum::<usize>()
            + self
                .assignments
                .iter()
                .map(AssignmentUnit::size)
                .sum::<usize>()
    }

    /// The parameter definitions part of the header needs.
    fn header(&self, params: &BTreeMap<String, Param>) -> Map<String, Value> {
        let names: Vec<String> = self.param_names().into_iter().map(str::to_string).collect();
        header(
            &self.description,
            self.home_region.as_deref(),
            &names,
            params,
        )
    }

    /// At least the bytes the `DependsOn` chains add: each logical ID is
    /// named by at most one `DependsOn` (its chain's next assignment).
    fn chain_bound(&self) -> usize {
        if self.chains == 0 {
            return 0;
        }
        self.assignments
            .iter()
            .map(|a| DEPENDS_ON_OVERHEAD + a.id_len as usize)
            .sum()
    }

    /// At least the bytes of the template's text in YAML and in JSON.
    pub fn len_bound(&self, params: &BTreeMap<String, Param>) -> usize {
        let doc = Value::Object(self.header(params));
        // The header as a document of its own, plus the keys, braces and
        // separators of `Resources` and `Outputs`.
        render(&doc, CfnFormat::Yaml)
            .len()
            .max(render(&doc, CfnFormat::Json).len())
            + 64
            + self.size_bound()
            + self.chain_bound()
    }

    /// The logical IDs of the assignments, in order.
    fn assignment_ids(&self) -> Vec<String> {
        self.assignments
            .iter()
            .map(|a| a.resource.logical_id())
            .collect()
    }

    /// The template as a JSON value, keys in CloudFormation's usual order.
    #[cfg(test)]
    pub fn to_value(&self, params: &BTreeMap<String, Param>) -> Value {
        let ids = self.assignment_ids();
        serde_json::to_value(TemplateDoc {
            header: self.header(params),
            units: &self.units,
            assignments: &self.assignments,
            ids: &ids,
            links: chain_links(&ids, self.chains),
        })
        .unwrap_or(Value::Null)
    }

    /// The template's text in `format`, ending in a newline: the same text
    /// as [`render`] of [`Template::to_value`], written without the value.
    pub fn render(&self, params: &BTreeMap<String, Param>, format: CfnFormat) -> String {
        let ids = self.assignment_ids();
        let doc = TemplateDoc {
            header: self.header(params),
            units: &self.units,
            assignments: &self.assignments,
            ids: &ids,
            links: chain_links(&ids, self.chains),
        };
        match format {
            CfnFormat::Json => {
                let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
                s.push('\n');
                s
            }
            CfnFormat::Yaml => {
                let mut out = String::with_capacity(self.size_bound() + self.chain_bound() + 4096);
                for (k, v) in &doc.header {
                    write_entry(&mut out, k, v, 0);
                }
                if self.resource_count() == 0 {
                    write_entry(&mut out, "Resources", &Value::Object(Map::new()), 0);
                } else {
                    write_map_key(&mut out, "Resources", 0);
                    for (id, v) in self.units.iter().flat_map(|u| u.resources.iter()) {
                        write_entry(&mut out, id, v, 2);
                    }
                    let placed = self.assignments.iter().zip(ids.iter()).zip(&doc.links);
                    for ((a, id), dep) in placed {
                        a.resource.write_yaml(&mut out, id, *dep, 2);
                    }
                }
                if self.output_count() > 0 {
                    write_map_key(&mut out, "Outputs", 0);
                    for (id, v) in self.units.iter().flat_map(|u| u.outputs.iter()) {
                        write_entry(&mut out, id, v, 2);
                    }
                }
                if out.is_empty() {
                    out.push_str(&yaml::to_yaml(&Value::Object(Map::new())));
                }
                out
            }
        }
    }
}

/// A template for serializing: its header, then `Resources` and `Outputs`
/// streamed from its units and assignments.
struct TemplateDoc<'a> {
    header: Map<String, Value>,
    units: &'a [Unit],
    assignments: &'a [AssignmentUnit],
    /// The logical ID of each assignment.
    ids: &'a [String],
    /// The `DependsOn` of each assignment ([`chain_links`]).
    links: Vec<Option<&'a str>>,
}

impl Serialize for TemplateDoc<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Resources<'a, 'b>(&'b TemplateDoc<'a>);
        impl Serialize for Resources<'_, '_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let d = self.0;
                let mut m = s.serialize_map(None)?;
                for (id, v) in d.units.iter().flat_map(|u| u.resources.iter()) {
                    m.serialize_entry(id, v)?;
                }
                let placed = d.assignments.iter().zip(d.ids.iter()).zip(&d.links);
                for ((a, id), dep) in placed {
                    let doc = AssignmentDoc {
                        a: &a.resource,
                        depends_on: *dep,
                    };
                    m.serialize_entry(id, &doc)?;
                }
                m.end()
            }
        }
        struct Outputs<'a>(&'a [Unit]);
        impl Serialize for Outputs<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(None)?;
                for (id, v) in self.0.iter().flat_map(|u| u.outputs.iter()) {
                    m.serialize_entry(id, v)?;
                }
                m.end()
            }
        }
        let mut m = s.serialize_map(None)?;
        for (k, v) in &self.header {
            m.serialize_entry(k, v)?;
        }
        m.serialize_entry("Resources", &Resources(self))?;
        if self.units.iter().any(|u| !u.outputs.is_empty()) {
            m.serialize_entry("Outputs", &Outputs(self.units))?;
        }
        m.end()
    }
}

/// Everything before `Resources`: version, description, parameters, rules.
fn header(
    description: &str,
    home_region: Option<&str>,
    names: &[String],
    params: &BTreeMap<String, Param>,
) -> Map<String, Value> {
    let mut t = Map::new();
    t.insert("AWSTemplateFormatVersion".into(), json!("2010-09-09"));
    t.insert("Description".into(), json!(description));
    let mut names: Vec<&str> = names.iter().map(String::as_str).collect();
    names.sort_by_key(|n| (params.get(*n).map_or(u8::MAX, |p| p.class), *n));
    if !names.is_empty() {
        let mut p = Map::new();
        for n in names {
            if let Some(def) = params.get(n) {
                p.insert(n.to_string(), def.definition.clone());
            }
        }
        t.insert("Parameters".into(), Value::Object(p));
    }
    if let Some(region) = home_region {
        t.insert(
            "Rules".into(),
            json!({
                "HomeRegion": {
                    "Assertions": [{
                        "Assert": {"Fn::Equals": [{"Ref": "AWS::Region"}, region]},
                        "AssertDescription": format!(
                            "IAM Identity Center resources are created in the instance's home Region, {region}"
                        )
                    }]
                }
            }),
        );
    }
    t
}

/// `v` as template text in `format`, ending in a newline.
pub fn render(v: &Value, format: CfnFormat) -> String {
    match format {
        CfnFormat::Yaml => to_yaml(v),
        CfnFormat::Json => {
            let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
            s.push('\n');
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Strings made of pieces YAML and JSON treat specially.
    fn text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just(""),
            Just("a"),
            Just("team-a"),
            Just("105628917107"),
            Just("yes"),
            Just("null"),
            Just(": "),
            Just(" #"),
            Just("\""),
            Just("\\"),
            Just("\n"),
            Just("\t"),
            Just("\u{1}"),
            Just("é"),
            Just("\u{85}"),
            Just("\u{2028}"),
            Just("😀"),
            Just(" "),
            Just("-"),
            Just("${NamePrefix}:x"),
        ];
        prop::collection::vec(piece, 0..6).prop_map(|v| v.concat())
    }

    fn assignment() -> impl Strategy<Value = AssignmentResource> {
        (
            (any::<bool>(), text(), 0..3u8, text(), text()),
            (prop::option::of(text()), text(), text()),
            (
                prop::option::of(text()),
                prop::option::of(text()),
                prop::option::of(text()),
            ),
        )
            .prop_map(
                |(
                    (user, principal, kind, id, part),
                    (arn, export, account),
                    (name, owner, until),
                )| {
                    AssignmentResource::new(
                        if user {
                            PrincipalType::User
                        } else {
                            PrincipalType::Group
                        },
                        Arc::from(principal),
                        match kind {
                            0 => PrincipalRef::Id(Arc::from(id)),
                            1 => PrincipalRef::Param(Arc::from(id)),
                            _ => PrincipalRef::Missing,
                        },
                        Arc::from(part),
                        arn.map(Arc::from),
                        Arc::from(export),
                        Arc::from(account),
                        name.map(Arc::from),
                        owner.map(Arc::from),
                        until.map(Arc::from),
                    )
                },
            )
    }

    /// `a` with its position `n` in its principal's part of the logical ID,
    /// between two bytes no text holds: logical IDs are unique in a
    /// template (the names module sees to it).
    fn numbered(a: AssignmentResource, n: usize) -> AssignmentResource {
        let p = &a.principal;
        let principal = Arc::new(AssignedPrincipal {
            principal_type: p.principal_type,
            name: p.name.clone(),
            id: p.id.clone(),
            part: Arc::from(format!("{}\u{3}{n}\u{3}", p.part)),
            params: p.params.clone(),
        });
        AssignmentResource { principal, ..a }
    }

    fn template(
        assignments: Vec<AssignmentResource>,
        with_values: bool,
        chains: usize,
    ) -> Template {
        let assignments: Vec<AssignmentUnit> = assignments
            .into_iter()
            .enumerate()
            .map(|(i, a)| {
                let a = numbered(a, i);
                let id = a.logical_id();
                AssignmentUnit::new(a, 1, &id)
            })
            .collect();
        let mut units = Vec::new();
        if with_values {
            units.push(Unit::new(
                2,
                vec![(
                    "Topic".into(),
                    json!({"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "a\nb", "Tags": []}}),
                )],
                vec![(
                    "TopicArn".into(),
                    json!({"Value": {"Ref": "Topic"}, "Description": "yes"}),
                )],
                BTreeSet::from(["Other".to_string()]),
            ));
        }
        Template {
            description: "accessc: test".into(),
            home_region: Some("eu-west-1".into()),
            units,
            assignments,
            chains,
        }
    }

    fn params() -> BTreeMap<String, Param> {
        let mut p = BTreeMap::new();
        p.insert(
            "NamePrefix".to_string(),
            Param {
                class: 0,
                definition: json!({"Type": "String", "Default": "accessc"}),
            },
        );
        p
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// The streamed text equals the generic rendering of the template's
        /// value, in both formats, and never passes the size bound.
        #[test]
        fn streamed_text_equals_generic_rendering(
            list in prop::collection::vec(assignment(), 0..6),
            with_values in any::<bool>(),
            chains in 0..4usize,
        ) {
            let t = template(list, with_values, chains);
            let params = params();
            let v = t.to_value(&params);
            let bound = t.len_bound(&params);
            for format in [CfnFormat::Yaml, CfnFormat::Json] {
                let text = t.render(&params, format);
                prop_assert_eq!(&text, &render(&v, format));
                prop_assert!(text.len() <= bound, "{} > {}", text.len(), bound);
            }
        }
    }

    #[test]
    fn assignment_value_has_the_documented_shape() {
        let a = AssignmentResource::new(
            PrincipalType::Group,
            Arc::from("team-a"),
            PrincipalRef::Param(Arc::from("GroupIdTeamA")),
            Arc::from("TeamA"),
            None,
            Arc::from("${NamePrefix}:PermissionSetArn:Dev"),
            "111111111111".into(),
            Some(Arc::from("dev")),
            None,
            None,
        );
        assert_eq!(
            a.to_value(),
            json!({
                "Type": "AWS::SSO::Assignment",
                "Metadata": {"accessc": {"Principal": "team-a", "Account": "dev"}},
                "Properties": {
                    "InstanceArn": {"Ref": "InstanceArn"},
                    "PermissionSetArn": {"Fn::ImportValue": {"Fn::Sub": "${NamePrefix}:PermissionSetArn:Dev"}},
                    "PrincipalType": "GROUP",
                    "PrincipalId": {"Ref": "GroupIdTeamA"},
                    "TargetType": "AWS_ACCOUNT",
                    "TargetId": "111111111111",
                },
            })
        );
    }
}
