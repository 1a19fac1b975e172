//! Templates as data: the unit a stack is built from (a group of resources that
//! always travel together), the parameters they use, and the rendering of a
//! template to YAML or JSON text.

use super::yaml::to_yaml;
use super::CfnFormat;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Resources that always go into the same template, with what they need.
#[derive(Debug, Clone)]
pub struct Unit {
    /// Chooses the bucket: a stable hash of the unit's identity.
    pub hash: u64,
    pub resources: Vec<(String, Value)>,
    pub outputs: Vec<(String, Value)>,
    /// Names of the parameters the resources use.
    pub params: BTreeSet<String>,
}

/// A parameter definition, and where it sorts among a template's parameters.
#[derive(Debug, Clone)]
pub struct Param {
    /// 0: instance and naming, 1: deployment settings, 2: organization ids, 3: principal ids.
    pub class: u8,
    pub definition: Value,
}

/// One template's content before rendering.
#[derive(Debug, Clone)]
pub struct Template {
    pub description: String,
    /// The instance's home Region, asserted by a `Rules` entry when known.
    pub home_region: Option<String>,
    pub units: Vec<Unit>,
}

impl Template {
    pub fn resource_count(&self) -> usize {
        self.units.iter().map(|u| u.resources.len()).sum()
    }

    pub fn output_count(&self) -> usize {
        self.units.iter().map(|u| u.outputs.len()).sum()
    }

    pub fn param_names(&self) -> BTreeSet<&str> {
        self.units
            .iter()
            .flat_map(|u| u.params.iter().map(String::as_str))
            .collect()
    }

    /// Like [`Template::to_value`], consuming the units instead of copying them.
    pub fn into_value(self, params: &BTreeMap<String, Param>) -> Value {
        let names: Vec<String> = self.param_names().into_iter().map(str::to_string).collect();
        let mut t = header(
            &self.description,
            self.home_region.as_deref(),
            &names,
            params,
        );
        let mut r = Map::new();
        let mut o = Map::new();
        for u in self.units {
            for (id, v) in u.resources {
                r.insert(id, v);
            }
            for (id, v) in u.outputs {
                o.insert(id, v);
            }
        }
        t.insert("Resources".into(), Value::Object(r));
        if !o.is_empty() {
            t.insert("Outputs".into(), Value::Object(o));
        }
        Value::Object(t)
    }

    /// The template as a JSON value, keys in CloudFormation's usual order.
    pub fn to_value(&self, params: &BTreeMap<String, Param>) -> Value {
        let names: Vec<String> = self.param_names().into_iter().map(str::to_string).collect();
        let mut t = header(
            &self.description,
            self.home_region.as_deref(),
            &names,
            params,
        );
        let mut r = Map::new();
        let mut o = Map::new();
        for u in &self.units {
            for (id, v) in &u.resources {
                r.insert(id.clone(), v.clone());
            }
            for (id, v) in &u.outputs {
                o.insert(id.clone(), v.clone());
            }
        }
        t.insert("Resources".into(), Value::Object(r));
        if !o.is_empty() {
            t.insert("Outputs".into(), Value::Object(o));
        }
        Value::Object(t)
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
