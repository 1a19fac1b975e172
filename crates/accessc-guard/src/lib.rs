//! The organisation's guard rules (`stdlib/guard/*.guard`, cfn-guard 3
//! syntax, compiled in) run on every template the CloudFormation backend
//! writes, through the `cfn-guard` library. A failure becomes one message per
//! offending resource, naming the rule, its file, the template and the
//! resource.
//!
//! A crate of its own because the `cfn-guard` library brings a command-line
//! parser with it: the core stays free of one, and receives the rules as an
//! [`accessc_core::emit::cfn::TemplateRules`].

#![deny(clippy::unwrap_used)]

mod reduce;

use accessc_core::emit::cfn::TemplateRules;

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The rule files, by name.
pub const RULE_FILES: &[(&str, &str)] = &[
    (
        "session_duration.guard",
        include_str!("../../../stdlib/guard/session_duration.guard"),
    ),
    (
        "no_star_on_star.guard",
        include_str!("../../../stdlib/guard/no_star_on_star.guard"),
    ),
    (
        "break_glass_alarmed.guard",
        include_str!("../../../stdlib/guard/break_glass_alarmed.guard"),
    ),
    (
        "managed_by_tag.guard",
        include_str!("../../../stdlib/guard/managed_by_tag.guard"),
    ),
    (
        "assignment_principals.guard",
        include_str!("../../../stdlib/guard/assignment_principals.guard"),
    ),
    (
        "no_aws_names.guard",
        include_str!("../../../stdlib/guard/no_aws_names.guard"),
    ),
];

/// Every rule file joined into one rule set (their variable names are
/// distinct), so each template costs one guard run. A top-level selection
/// `let V = Resources.*[ Type == 'T' ]` that an earlier file already makes
/// becomes `let V = %FIRST`: the same values, and cfn-guard resolves each
/// variable once, where each selection copies the whole template.
fn all_rules() -> &'static str {
    static RULES: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    RULES.get_or_init(join_rules)
}

fn join_rules() -> String {
    let mut first: BTreeMap<&str, &str> = BTreeMap::new();
    let mut out = String::new();
    for (_, text) in RULE_FILES {
        for line in text.lines() {
            let selection = line
                .strip_prefix("let ")
                .and_then(|l| l.split_once(" = Resources.*[ Type == '"))
                .and_then(|(name, rest)| Some((name, rest.strip_suffix("' ]")?)))
                .filter(|(name, t)| is_name(name) && !t.contains('\''));
            match selection {
                Some((name, t)) => match first.get(t) {
                    Some(earlier) => out.push_str(&format!("let {name} = %{earlier}")),
                    None => {
                        first.insert(t, name);
                        out.push_str(line);
                    }
                },
                None => out.push_str(line),
            }
            out.push('\n');
        }
        out.push('\n');
    }
    out
}

/// The file that defines rule `rule`.
fn file_of(rule: &str) -> &'static str {
    RULE_FILES
        .iter()
        .find(|(_, text)| {
            text.lines().any(|l| {
                l.trim_start()
                    .strip_prefix("rule ")
                    .is_some_and(|r| r.split_whitespace().next() == Some(rule))
            })
        })
        .map_or("stdlib/guard", |(name, _)| name)
}

/// The rules of `stdlib/guard/`, as the CloudFormation backend runs them.
#[derive(Debug, Clone, Copy, Default)]
pub struct GuardRules;

impl TemplateRules for GuardRules {
    fn check(&self, templates: &[(String, String)]) -> Vec<String> {
        check(templates)
    }
}

/// Runs the rules on each `(file name, template text)`, YAML or JSON; returns
/// the violations, sorted, each naming the rule, its file, the template and
/// the resource. Templates are checked in parallel.
pub fn check(templates: &[(String, String)]) -> Vec<String> {
    let rules = all_rules();
    // A template with no resource of a type the rules select passes exactly
    // as the probe does (see `selected_types`): it needs no guard run.
    let templates: Vec<&(String, String)> = match (selected_types(), probe_passes()) {
        (Some(types), true) => templates
            .iter()
            .filter(|(_, text)| types.iter().any(|t| text.contains(t.as_str())))
            .collect(),
        _ => templates.iter().collect(),
    };
    let mut out = match templates[..] {
        // One template: no thread of its own (nor a heap of its own).
        [(name, text)] => check_template(name, text, rules),
        _ => check_in_parallel(templates, rules),
    };
    out.sort();
    out.dedup();
    out
}

/// [`check_template`] of each template, on as many threads as there are
/// cores, largest template first.
fn check_in_parallel(templates: Vec<&(String, String)>, rules: &str) -> Vec<String> {
    let threads = std::thread::available_parallelism()
        .map_or(4, |n| n.get())
        .clamp(1, 16)
        .min(templates.len().max(1));
    // Largest first, each thread taking the next: a few large templates
    // (the permission sets) and many small ones balance across threads.
    let mut order: Vec<&(String, String)> = templates;
    order.sort_by_key(|(_, text)| std::cmp::Reverse(text.len()));
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (order, next) = (&order, &next);
                s.spawn(move || {
                    let mut found = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some((name, text)) = order.get(i) else {
                            break;
                        };
                        found.extend(check_template(name, text, rules));
                    }
                    found
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join()
                    .unwrap_or_else(|_| vec!["the guard rule check panicked".to_string()])
            })
            .collect()
    })
}

/// The resource types the rules can see, when every query of the rules
/// reaches the template only through `let NAME = Resources.*[ Type == 'T' ]`
/// (and every other line works on those variables, or inside a filter of
/// one); `None` when a line does not fit that shape, and then every
/// template is checked.
///
/// With such rules, a template with no resource of these types gives every
/// variable the same (empty) value as any other such template: its result
/// is the result of the probe (`probe_passes`), and its `Type` values, which
/// both writers put down literally, are not in its text.
fn selected_types() -> Option<&'static [String]> {
    static TYPES: std::sync::OnceLock<Option<Vec<String>>> = std::sync::OnceLock::new();
    TYPES
        .get_or_init(|| selected_types_of(all_rules()))
        .as_deref()
}

fn selected_types_of(rules: &str) -> Option<Vec<String>> {
    let mut types = Vec::new();
    let mut depth = 0usize;
    for line in rules.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(t) = line
            .strip_prefix("let ")
            .and_then(|l| l.split_once(" = Resources.*[ Type == '"))
            .filter(|(name, _)| is_name(name))
            .and_then(|(_, rest)| rest.strip_suffix("' ]"))
        {
            if t.is_empty() || !t.chars().all(|c| c.is_ascii_alphanumeric() || c == ':') {
                return None;
            }
            types.push(t.to_string());
            continue;
        }
        if line.contains("Resources") || line.contains("this") {
            return None;
        }
        if depth > 0 {
            // Inside a filter: queries are relative to the filtered value.
            if line == "]" {
                depth -= 1;
            } else if line.ends_with('[') {
                return None;
            }
            continue;
        }
        let on_variable = |l: &str| {
            l.strip_prefix("let ")
                .and_then(|l| l.split_once(" = %"))
                .is_some_and(|(name, _)| is_name(name))
        };
        if line.ends_with('[') && on_variable(line) {
            depth += 1;
        } else if !(line == "}"
            || (line.starts_with("<<") && line.ends_with(">>"))
            || line.starts_with('%')
            || (on_variable(line) && !line.contains('['))
            || (line.starts_with("when %") && line.ends_with('{'))
            || (line.starts_with("rule ")
                && line.ends_with('{')
                && (line.split_whitespace().nth(2) == Some("{")
                    || line.split_whitespace().nth(2) == Some("when")
                        && line
                            .split_whitespace()
                            .nth(3)
                            .is_some_and(|w| w.starts_with('%')))))
        {
            return None;
        }
    }
    (depth == 0 && !types.is_empty()).then_some(types)
}

fn is_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// What of a template the rules read (`reduce.rs`), when the rule text
/// shows it.
fn projection() -> Option<&'static reduce::Projection> {
    static PROJECTION: std::sync::OnceLock<Option<reduce::Projection>> = std::sync::OnceLock::new();
    PROJECTION
        .get_or_init(|| reduce::Projection::of(all_rules()))
        .as_ref()
}

/// The violations of one template: the rules run on the template reduced
/// to what they read (`reduce.rs`), which passes exactly when the whole
/// template passes; only when it fails do they run on the whole template,
/// whose report names every resource and value as written.
fn check_template(file: &str, text: &str, rules: &str) -> Vec<String> {
    if let Some(reduced) = projection().and_then(|p| p.reduce(text)) {
        let found = check_one(file, &reduced, rules);
        if found.is_empty() {
            return found;
        }
    }
    check_one(file, text, rules)
}

/// Whether the rules pass on a template none of whose resources they select
/// (the [`PROBE`]): a property of the rules compiled in, so known when they
/// are written down; `the_probe_result_is_the_rules_result` runs the probe
/// and fails when this no longer says what the rules give.
fn probe_passes() -> bool {
    PROBE_PASSES
}

const PROBE_PASSES: bool = true;

/// A template with one resource of a type no rule selects.
#[cfg(test)]
const PROBE: &str = r#"{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"Probe": {"Type": "AccessC::Guard::Probe", "Properties": {}}}}"#;

fn check_one(file: &str, text: &str, rules: &str) -> Vec<String> {
    let data = cfn_guard::ValidateInput {
        content: text,
        file_name: file,
    };
    let rules = cfn_guard::ValidateInput {
        content: rules,
        file_name: "stdlib/guard",
    };
    let report = match cfn_guard::run_checks(data, rules, false) {
        Ok(r) => r,
        Err(e) => return vec![format!("{file}: the guard rules could not run: {e}")],
    };
    let v: Value = match serde_json::from_str(&report) {
        Ok(v) => v,
        Err(e) => return vec![format!("{file}: unreadable guard report: {e}")],
    };
    if v.get("status").and_then(Value::as_str) != Some("FAIL") {
        return Vec::new();
    }
    let mut out = Vec::new();
    for item in v
        .get("not_compliant")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(rule) = item.get("Rule") else {
            continue;
        };
        let name = rule
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("unknown rule");
        let rule_file = file_of(name);
        let checks: Vec<&Value> = rule
            .get("checks")
            .and_then(Value::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default();
        if checks.is_empty() {
            out.push(format!(
                "guard rule `{name}` ({rule_file}) failed in `{file}`"
            ));
        }
        for c in checks {
            let mut messages = Vec::new();
            let mut resources = BTreeSet::new();
            collect(c, &mut messages, &mut resources);
            let custom = messages
                .iter()
                .find(|(k, _)| k == "custom_message")
                .map(|(_, m)| m.clone());
            let error = messages
                .iter()
                .find(|(k, _)| k == "error_message")
                .map(|(_, m)| m.clone());
            let why = match (custom, error) {
                (Some(c), Some(e)) => format!("{c} ({e})"),
                (Some(c), None) => c,
                (None, Some(e)) => e,
                (None, None) => "not compliant".to_string(),
            };
            if resources.is_empty() {
                out.push(format!(
                    "guard rule `{name}` ({rule_file}) failed in `{file}`: {why}"
                ));
            }
            for r in resources {
                out.push(format!(
                    "guard rule `{name}` ({rule_file}) failed in `{file}`, resource `{r}`: {why}"
                ));
            }
        }
    }
    out
}

/// Gathers the messages of a check and the resources its paths point into.
fn collect(v: &Value, messages: &mut Vec<(String, String)>, resources: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("custom_message" | "error_message", Value::String(s)) => {
                        let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
                        let s = s.trim_matches([';', ' ']).to_string();
                        if !s.is_empty() {
                            messages.push((k.clone(), s.clone()));
                        }
                        resources.extend(resources_in(&s));
                    }
                    ("path", Value::String(s)) => resources.extend(resources_in(s)),
                    _ => collect(x, messages, resources),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect(x, messages, resources)),
        _ => {}
    }
}

/// The logical IDs after each `/Resources/` in `s`.
fn resources_in(s: &str) -> Vec<String> {
    s.match_indices("/Resources/")
        .map(|(i, m)| {
            s[i + m.len()..]
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect::<String>()
        })
        .filter(|r| !r.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rules_select_resources_by_type_only() {
        let types = selected_types().expect("every rule reads typed resources");
        for t in [
            "AWS::SSO::PermissionSet",
            "AWS::SSO::Assignment",
            "AWS::Logs::MetricFilter",
            "AWS::CloudWatch::Alarm",
        ] {
            assert!(types.iter().any(|x| x == t), "{t}: {types:?}");
        }
        assert!(probe_passes());
    }

    #[test]
    fn the_probe_result_is_the_rules_result() {
        assert_eq!(
            check_one("probe", PROBE, all_rules()).is_empty(),
            PROBE_PASSES,
            "PROBE_PASSES must say what the rules give on the probe"
        );
        // And the probe is what the rules refuse when they select it.
        let selected = PROBE.replace("AccessC::Guard::Probe", "AWS::SSO::PermissionSet");
        assert!(!check_one("probe", &selected, all_rules()).is_empty());
    }

    #[test]
    fn rules_that_read_anything_else_are_run_on_every_template() {
        let typed = "let ps = Resources.*[ Type == 'AWS::SSO::PermissionSet' ]\n";
        assert!(selected_types_of(&format!("{typed}rule r {{\n    %ps empty\n}}\n")).is_some());
        for other in [
            "rule r {\n    Parameters exists\n}\n",
            "let all = Resources.*\n",
            "let p = Resources.*[ Type == 'AWS::SSO::PermissionSet' ].Properties\n",
            "rule r when Resources !empty {\n    %ps empty\n}\n",
            "let x = %ps[\n    this exists\n]\n",
            "rule r {\n    <<a message\n    on two lines>>\n}\n",
            "let x = %ps[\n",
        ] {
            assert!(
                selected_types_of(&format!("{typed}{other}")).is_none(),
                "{other}"
            );
        }
    }

    #[test]
    fn a_template_without_selected_resources_is_not_run_and_others_still_fail() {
        let policy = r#"{"Resources": {"Policy": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": {}}}}}"#;
        let bad_set = r#"{"Resources": {"PermissionSetX": {"Type": "AWS::SSO::PermissionSet", "Properties":
            {"Name": "X", "InstanceArn": "arn", "SessionDuration": "PT13H",
             "Tags": [{"Key": "ManagedBy", "Value": "accessc"}]}}}}"#;
        let v = check(&[
            ("policy.json".into(), policy.into()),
            ("sets.json".into(), bad_set.into()),
        ]);
        assert!(!v.is_empty());
        assert!(v.iter().all(|m| m.contains("`sets.json`")), "{v:?}");
        assert_eq!(
            check_one("policy.json", policy, all_rules()),
            Vec::<String>::new()
        );
    }

    /// A template of every selected type that passes every rule.
    fn passing_template() -> Value {
        serde_json::json!({
            "AWSTemplateFormatVersion": "2010-09-09",
            "Parameters": {"P": {"Type": "String"}},
            "Resources": {
                "Attributes": {"Type": "AWS::SSO::InstanceAccessControlAttributeConfiguration",
                    "Properties": {"InstanceArn": "arn"}},
                "PermissionSetA": {"Type": "AWS::SSO::PermissionSet",
                    "Properties": {"Name": "A", "InstanceArn": "arn", "Description": "reads",
                        "SessionDuration": "PT4H",
                        "InlinePolicy": {"Version": "2012-10-17", "Statement": [
                            {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"},
                            {"Effect": "Deny", "Action": "*", "Resource": "*"}]},
                        "Tags": [{"Key": "ManagedBy", "Value": "accessc"}]}},
                "PermissionSetB": {"Type": "AWS::SSO::PermissionSet",
                    "Properties": {"Name": "B", "InstanceArn": "arn", "SessionDuration": "PT1H",
                        "InlinePolicy": {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
                        "Tags": [{"Key": "ManagedBy", "Value": "accessc"},
                                 {"Key": "accessc:BreakGlass", "Value": "true"}]}},
                "FilterB": {"Type": "AWS::Logs::MetricFilter",
                    "Metadata": {"accessc": {"BreakGlassPermissionSet": "B"}},
                    "Properties": {"LogGroupName": "trail",
                        "FilterPattern": "{ ($.eventName = \"AssumeRoleWithSAML\") && ($.requestParameters.roleArn = \"*/AWSReservedSSO_B_*\") }"}},
                "AlarmB": {"Type": "AWS::CloudWatch::Alarm",
                    "Metadata": {"accessc": {"BreakGlassPermissionSet": "B"}},
                    "Properties": {"AlarmName": "b", "Threshold": 1, "Period": 60,
                        "TreatMissingData": "notBreaching"}},
                "AssignmentA": {"Type": "AWS::SSO::Assignment",
                    "Properties": {"PrincipalType": "GROUP", "TargetType": "AWS_ACCOUNT",
                        "PrincipalId": "g", "TargetId": "111111111111"}}
            }
        })
    }

    /// The rules' result on the whole template, as `check` gave it before
    /// templates were reduced.
    fn check_whole(file: &str, text: &str) -> Vec<String> {
        let mut v = check_one(file, text, all_rules());
        v.sort();
        v.dedup();
        v
    }

    #[test]
    fn a_reduced_template_passes_exactly_when_the_whole_one_does() {
        use serde_json::json;
        let p = projection().expect("the rules are of the accepted shape");
        let rules = all_rules();
        // (JSON pointer, new value or `None` to remove it, whether the
        // rules still pass)
        let changes: Vec<(&str, Option<Value>, bool)> = vec![
            (
                "/Resources/PermissionSetA/Properties/Description",
                Some(json!("PT13H")),
                true,
            ),
            (
                "/Resources/PermissionSetA/Properties/InstanceArn",
                Some(json!("AWS")),
                true,
            ),
            (
                "/Resources/AlarmB/Properties/AlarmName",
                Some(json!("AWSx")),
                true,
            ),
            (
                "/Resources/Attributes/Properties/SessionDuration",
                Some(json!("PT99H")),
                true,
            ),
            ("/Parameters/P/Default", Some(json!("*")), true),
            (
                "/Resources/PermissionSetA/Properties/SessionDuration",
                Some(json!("PT13H")),
                false,
            ),
            (
                "/Resources/PermissionSetA/Properties/SessionDuration",
                Some(json!("PT3600S")),
                false,
            ),
            (
                "/Resources/PermissionSetA/Properties/SessionDuration",
                None,
                false,
            ),
            (
                "/Resources/PermissionSetA/Properties/Name",
                Some(json!("AWSA")),
                false,
            ),
            (
                "/Resources/PermissionSetA/Properties/Tags",
                Some(json!([])),
                false,
            ),
            ("/Resources/PermissionSetA/Properties/Tags", None, false),
            (
                "/Resources/PermissionSetA/Properties/Tags/0/Value",
                Some(json!("other")),
                false,
            ),
            (
                "/Resources/PermissionSetA/Properties/InlinePolicy/Statement/1/Effect",
                Some(json!("Allow")),
                false,
            ),
            (
                "/Resources/PermissionSetA/Properties/InlinePolicy/Statement/0/Action",
                Some(json!(["s3:GetObject", "*:*"])),
                false,
            ),
            (
                "/Resources/PermissionSetB/Properties/Tags/1/Value",
                Some(json!("false")),
                false,
            ),
            (
                "/Resources/PermissionSetB/Properties/Name",
                Some(json!("C")),
                false,
            ),
            (
                "/Resources/FilterB/Properties/FilterPattern",
                Some(json!("AssumeRoleWithSAML")),
                false,
            ),
            (
                "/Resources/FilterB/Metadata/accessc/BreakGlassPermissionSet",
                Some(json!("A")),
                false,
            ),
            ("/Resources/FilterB", None, false),
            ("/Resources/AlarmB", None, false),
            (
                "/Resources/AlarmB/Properties/Threshold",
                Some(json!(2)),
                false,
            ),
            (
                "/Resources/AlarmB/Properties/Period",
                Some(json!(300)),
                false,
            ),
            (
                "/Resources/AlarmB/Properties/TreatMissingData",
                Some(json!("breaching")),
                false,
            ),
            // Statements and tags no filter can select are left out of the
            // reduced template; cfn-guard reads `action` and `effect` for a
            // missing `Action` and `Effect`, and the reduction keeps them.
            (
                "/Resources/PermissionSetA/Properties/InlinePolicy/Statement/1",
                Some(
                    json!({"Sid": "N", "Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"}),
                ),
                true,
            ),
            (
                "/Resources/PermissionSetA/Properties/InlinePolicy/Statement",
                Some(json!([{"Effect": "Allow", "NotAction": "*", "NotResource": "*"}])),
                true,
            ),
            (
                "/Resources/PermissionSetA/Properties/InlinePolicy/Statement/1",
                Some(json!({"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::b"})),
                true,
            ),
            (
                "/Resources/PermissionSetA/Properties/InlinePolicy/Statement/1",
                Some(json!({"Effect": "Allow", "action": ["*"], "Resource": "*"})),
                false,
            ),
            (
                "/Resources/PermissionSetA/Properties/InlinePolicy/Statement/1",
                Some(json!({"effect": "Allow", "Action": "*:*", "Resource": ["*"]})),
                false,
            ),
            (
                "/Resources/PermissionSetA/Properties/Tags/0",
                Some(json!({"Key": "ManagedBy"})),
                false,
            ),
            (
                "/Resources/PermissionSetB/Properties/Tags/1",
                Some(json!({"Key": "accessc:BreakGlass", "value": "true"})),
                true,
            ),
            // Values only compared with strings keep those strings and
            // one other for the rest.
            (
                "/Resources/PermissionSetA/Properties/InlinePolicy/Statement/0",
                Some(
                    json!({"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": ["arn:aws:s3:::b/*", "*"]}),
                ),
                true,
            ),
            (
                "/Resources/PermissionSetA/Properties/InlinePolicy/Statement/0",
                Some(
                    json!({"Effect": "Allow", "Action": ["s3:GetObject", "*"], "Resource": ["arn:aws:s3:::b/*", "*"]}),
                ),
                false,
            ),
            (
                "/Resources/PermissionSetA/Properties/InlinePolicy/Statement/0",
                Some(json!({"Effect": "allow", "Action": "*", "Resource": "*"})),
                true,
            ),
            (
                "/Resources/PermissionSetA/Properties/InlinePolicy/Statement",
                Some(json!([
                    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
                    {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"},
                    {"Effect": "Allow", "Action": ["s3:ListBucket", "*"], "Resource": "*"}
                ])),
                false,
            ),
            (
                "/Resources/PermissionSetA/Properties/Tags/0/Key",
                Some(json!("managedBy")),
                false,
            ),
            (
                "/Resources/AssignmentA/Properties/PrincipalType",
                Some(json!("GROUP ")),
                false,
            ),
            (
                "/Resources/AssignmentA/Properties/PrincipalType",
                Some(json!("ROLE")),
                false,
            ),
            (
                "/Resources/AssignmentA/Properties/TargetType",
                Some(json!("ORGANIZATIONAL_UNIT")),
                false,
            ),
        ];
        let base = passing_template();
        for (pointer, value, passes) in changes {
            let mut t = base.clone();
            let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
            let holder = t.pointer_mut(parent).expect(pointer);
            match (value, holder) {
                (Some(v), Value::Array(a)) => a[key.parse::<usize>().expect("an index")] = v,
                (Some(v), Value::Object(m)) => {
                    m.insert(key.to_string(), v);
                }
                (None, Value::Object(m)) => {
                    m.remove(key);
                }
                _ => unreachable!("{pointer}"),
            }
            for text in [
                serde_json::to_string_pretty(&t).expect("json"),
                serde_yaml::to_string(&t).expect("yaml"),
            ] {
                let whole = check_whole("t", &text);
                assert_eq!(whole.is_empty(), passes, "{pointer}: {whole:?}");
                let reduced = p.reduce(&text).expect(pointer);
                assert!(reduced.len() < text.len(), "{pointer}");
                assert_eq!(
                    check_one("t", &reduced, rules).is_empty(),
                    passes,
                    "{pointer}: {reduced}"
                );
                // What `check` reports is the whole template's report.
                assert_eq!(check(&[("t".to_string(), text)]), whole, "{pointer}");
            }
        }
    }
}
