//! Inline policies, as a property: whatever random policy a set holds, the
//! program written gives it back (as IAM reads it), whether as statements or
//! kept as JSON; and the statements are chosen wherever the language spells
//! the policy.

mod common;

use accessc_core::ir::PrincipalType;
use accessc_import::model::{Assignment, Attribute, ImportModel, PermissionSet, Principal};
use common::*;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

fn one_or_many(v: Vec<&str>, list: bool) -> Value {
    if v.len() == 1 && !list {
        json!(v[0])
    } else {
        json!(v)
    }
}

fn statement() -> impl Strategy<Value = Value> {
    let sid = prop::sample::select(vec![
        None,
        Some("ReadOwn"),
        Some("S1"),
        Some("1"),
        Some("to"),
    ]);
    let effect = prop::sample::select(vec!["Allow", "Deny"]);
    let actions = prop::sample::subsequence(
        vec!["s3:GetObject", "s3:List*", "ec2:Describe*", "iam:*", "*"],
        1..4,
    );
    let resources = prop::sample::subsequence(
        vec![
            "*",
            "arn:aws:s3:::team-${aws:PrincipalTag/Team}/*",
            "arn:aws:s3:::logs-${aws:username}",
            "arn:aws:ec2:*:*:instance/*",
        ],
        1..3,
    );
    let condition = prop::sample::select(vec![
        None,
        Some(json!({"StringEquals": {"aws:ResourceTag/Team": "${aws:PrincipalTag/Team}"}})),
        Some(json!({"StringNotEquals": {"aws:PrincipalTag/Team": "ops"}})),
        Some(json!({"StringLike": {"aws:RequestedRegion": ["eu-*", "us-east-1"]}})),
        Some(json!({"StringEquals": {"aws:RequestedRegion": ["eu-west-1"]}})),
        Some(
            json!({"Bool": {"aws:SecureTransport": "true"}, "StringEquals": {"aws:RequestTag/Team": "${aws:PrincipalTag/Team}"}}),
        ),
        Some(json!({"Bool": {"aws:SecureTransport": true}})),
        Some(json!({"NumericLessThan": {"aws:MultiFactorAuthAge": 3600}})),
        Some(json!({"Null": {"aws:TokenIssueTime": "false"}})),
    ]);
    (
        sid,
        effect,
        any::<bool>(),
        actions,
        any::<bool>(),
        resources,
        any::<bool>(),
        condition,
    )
        .prop_map(
            |(sid, effect, not_action, actions, not_resource, resources, list, condition)| {
                let mut st = Map::new();
                if let Some(sid) = sid {
                    st.insert("Sid".into(), json!(sid));
                }
                st.insert("Effect".into(), json!(effect));
                st.insert(
                    if not_action { "NotAction" } else { "Action" }.into(),
                    one_or_many(actions, list),
                );
                st.insert(
                    if not_resource {
                        "NotResource"
                    } else {
                        "Resource"
                    }
                    .into(),
                    one_or_many(resources, !list),
                );
                if let Some(c) = condition {
                    st.insert("Condition".into(), c);
                }
                Value::Object(st)
            },
        )
}

fn policy() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(statement(), 1..4),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(mut statements, version, pretty)| {
            // IAM refuses a Sid twice in one policy.
            let mut seen = Vec::new();
            for st in &mut statements {
                if let Some(o) = st.as_object_mut() {
                    if let Some(sid) = o.get("Sid").cloned() {
                        if seen.contains(&sid) {
                            o.remove("Sid");
                        } else {
                            seen.push(sid);
                        }
                    }
                }
            }
            let mut doc = Map::new();
            if version {
                doc.insert("Version".into(), json!("2012-10-17"));
            }
            let statements = if statements.len() == 1 && pretty {
                statements.into_iter().next().unwrap_or(Value::Null)
            } else {
                Value::Array(statements)
            };
            doc.insert("Statement".into(), statements);
            let doc = Value::Object(doc);
            if pretty {
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            } else {
                doc.to_string()
            }
        })
}

fn model(inline: String) -> ImportModel {
    ImportModel {
        org: Some(org()),
        attributes: vec![Attribute {
            key: "Team".into(),
            source: "${path:enterprise.department}".into(),
        }],
        permission_sets: vec![PermissionSet {
            arn: None,
            name: "Worker".into(),
            description: None,
            session_duration: None,
            relay_state: None,
            tags: Vec::new(),
            managed_policies: Vec::new(),
            customer_managed_policies: Vec::new(),
            permissions_boundary: None,
            inline_policy: Some(inline),
        }],
        principals: vec![Principal {
            kind: PrincipalType::Group,
            id: G_ENG.into(),
            name: Some("engineers".into()),
        }],
        assignments: vec![Assignment {
            permission_set: "Worker".into(),
            principal_type: PrincipalType::Group,
            principal_id: G_ENG.into(),
            account_id: "111111111111".into(),
        }],
        ..Default::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn every_inline_policy_comes_back(inline in policy()) {
        let m = model(inline.clone());
        let (w, ir) = round_trip(&m, &opts());
        // A document without `Version` that holds a policy variable is read
        // by IAM under 2008-10-17, where the variable is literal text; every
        // policy of a program is 2012-10-17. What comes back is the same
        // document with that Version, and it stays JSON.
        let versionless_variable = !inline.contains("\"Version\"") && inline.contains("${");
        let expected = if versionless_variable {
            let mut doc: Value = serde_json::from_str(&inline).expect("json");
            if let Some(o) = doc.as_object_mut() {
                o.insert("Version".into(), json!("2012-10-17"));
            }
            model(doc.to_string())
        } else {
            m.clone()
        };
        assert_same(&expected, &ir, &names(&["Worker"]));
        // The language spells every statement here but numbers and
        // booleans as condition values and Sids that are no identifier.
        let inexpressible = inline.contains("\"1\"")
            || inline.contains("\"to\"")
            || inline.contains(": true")
            || inline.contains(":true")
            || inline.contains("3600")
            || versionless_variable;
        prop_assert_eq!(w.summary.inline_as_json.len(), usize::from(inexpressible), "{}", inline);
    }
}
