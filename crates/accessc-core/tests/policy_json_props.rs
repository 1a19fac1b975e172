//! Properties of IAM-JSON normalization: a policy and every re-spelling IAM
//! reads the same normalize equal; a policy changed in a way IAM reads
//! differently does not.

use accessc_core::policy_json::{normalize, normalize_value, same_policy};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

#[derive(Debug, Clone)]
struct Stmt {
    sid: Option<String>,
    allow: bool,
    not_action: bool,
    actions: Vec<String>,
    resources: Vec<String>,
    conditions: Vec<(String, String, Vec<String>)>,
}

#[derive(Debug, Clone)]
struct Policy {
    version: Option<&'static str>,
    statements: Vec<Stmt>,
}

fn action() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["s3", "ec2", "iam", "sso"]),
        prop::sample::select(vec!["Get", "List", "Put", "Describe", "Delete"]),
        prop::sample::select(vec!["Object", "Bucket", "Role", "Instances", "*"]),
    )
        .prop_map(|(s, v, o)| format!("{s}:{v}{o}"))
}

fn resource() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "*",
        "arn:aws:s3:::bucket/*",
        "arn:aws:s3:::Bucket/*",
        "arn:aws:iam::111122223333:role/app",
        "arn:aws:ec2:*:*:instance/*",
        "arn:aws:s3:::home/${aws:username}/*",
    ])
    .prop_map(str::to_string)
}

fn cond() -> impl Strategy<Value = (String, String, Vec<String>)> {
    (
        prop::sample::select(vec!["StringEquals", "StringLike", "Bool", "ArnLike"]),
        prop::sample::select(vec![
            "aws:PrincipalTag/Team",
            "aws:SourceVpc",
            "aws:SecureTransport",
            "s3:prefix",
        ]),
        prop::collection::vec(
            prop::sample::select(vec!["a", "B", "true", "vpc-1", "x/*"]).prop_map(str::to_string),
            1..3,
        ),
    )
        .prop_map(|(o, k, v)| (o.to_string(), k.to_string(), v))
}

fn stmt() -> impl Strategy<Value = Stmt> {
    (
        prop::option::of(prop::sample::select(vec!["A", "B", "C"]).prop_map(str::to_string)),
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(action(), 1..4),
        prop::collection::vec(resource(), 1..3),
        prop::collection::vec(cond(), 0..2),
    )
        .prop_map(
            |(sid, allow, not_action, actions, resources, mut conditions)| {
                // One key per operator, as IAM requires of a well-formed block.
                conditions.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
                conditions.dedup_by(|a, b| a.0 == b.0);
                Stmt {
                    sid,
                    allow,
                    not_action,
                    actions,
                    resources,
                    conditions,
                }
            },
        )
}

fn policy() -> impl Strategy<Value = Policy> {
    (
        prop::sample::select(vec![None, Some("2012-10-17"), Some("2008-10-17")]),
        prop::collection::vec(stmt(), 1..4),
    )
        .prop_map(|(version, statements)| Policy {
            version,
            statements,
        })
}

/// How to spell a policy; every choice is one IAM reads the same.
#[derive(Debug, Clone)]
struct Spelling {
    reverse_keys: bool,
    single_as_string: bool,
    one_statement_as_object: bool,
    reverse_lists: bool,
    repeat_first: bool,
    upper_actions: bool,
    upper_keys: bool,
    pretty: bool,
    explicit_default_version: bool,
}

fn spelling() -> impl Strategy<Value = Spelling> {
    let b = any::<bool>;
    (b(), b(), b(), b(), b(), b(), b(), b(), b()).prop_map(|(a, b, c, d, e, f, g, h, i)| Spelling {
        reverse_keys: a,
        single_as_string: b,
        one_statement_as_object: c,
        reverse_lists: d,
        repeat_first: e,
        upper_actions: f,
        upper_keys: g,
        pretty: h,
        explicit_default_version: i,
    })
}

fn list(items: &[String], sp: &Spelling) -> Value {
    let mut items: Vec<Value> = items.iter().map(|s| json!(s)).collect();
    if sp.reverse_lists {
        items.reverse();
    }
    if sp.repeat_first {
        if let Some(f) = items.first().cloned() {
            items.push(f);
        }
    }
    if sp.single_as_string && items.len() == 1 {
        items.remove(0)
    } else {
        Value::Array(items)
    }
}

fn object(mut entries: Vec<(String, Value)>, sp: &Spelling) -> Value {
    if sp.reverse_keys {
        entries.reverse();
    }
    Value::Object(entries.into_iter().collect::<Map<_, _>>())
}

fn spell(p: &Policy, sp: &Spelling) -> String {
    let mut statements: Vec<Value> = p
        .statements
        .iter()
        .map(|s| {
            let mut e = Vec::new();
            if let Some(sid) = &s.sid {
                e.push(("Sid".to_string(), json!(sid)));
            }
            e.push((
                "Effect".into(),
                json!(if s.allow { "Allow" } else { "Deny" }),
            ));
            let actions: Vec<String> = s
                .actions
                .iter()
                .map(|a| {
                    if sp.upper_actions {
                        a.to_uppercase()
                    } else {
                        a.clone()
                    }
                })
                .collect();
            e.push((
                if s.not_action { "NotAction" } else { "Action" }.into(),
                list(&actions, sp),
            ));
            e.push(("Resource".into(), list(&s.resources, sp)));
            if !s.conditions.is_empty() {
                let ops = s
                    .conditions
                    .iter()
                    .map(|(op, key, vals)| {
                        let key = if sp.upper_keys {
                            key.to_uppercase()
                        } else {
                            key.clone()
                        };
                        (op.clone(), object(vec![(key, list(vals, sp))], sp))
                    })
                    .collect();
                e.push(("Condition".into(), object(ops, sp)));
            }
            object(e, sp)
        })
        .collect();
    if sp.reverse_lists {
        statements.reverse();
    }
    let statement = if sp.one_statement_as_object && statements.len() == 1 {
        statements.remove(0)
    } else {
        Value::Array(statements)
    };
    let mut top = vec![("Statement".to_string(), statement)];
    match (p.version, sp.explicit_default_version) {
        (Some(v), _) => top.push(("Version".into(), json!(v))),
        (None, true) => top.push(("Version".into(), json!("2008-10-17"))),
        (None, false) => {}
    }
    let doc = object(top, sp);
    if sp.pretty {
        serde_json::to_string_pretty(&doc).expect("json")
    } else {
        doc.to_string()
    }
}

fn plain() -> Spelling {
    Spelling {
        reverse_keys: false,
        single_as_string: false,
        one_statement_as_object: false,
        reverse_lists: false,
        repeat_first: false,
        upper_actions: false,
        upper_keys: false,
        pretty: false,
        explicit_default_version: false,
    }
}

/// A change IAM reads differently.
fn mutate(p: &Policy, which: usize) -> Option<Policy> {
    let mut q = p.clone();
    let s = q.statements.first_mut()?;
    match which % 7 {
        0 => s.allow = !s.allow,
        1 => s.not_action = !s.not_action,
        2 => {
            let extra = "kms:Decrypt".to_string();
            if s.actions.iter().any(|a| a.eq_ignore_ascii_case(&extra)) {
                return None;
            }
            s.actions.push(extra);
        }
        3 => {
            let r = s.resources.first()?.to_uppercase();
            if s.resources.contains(&r) {
                return None;
            }
            *s.resources.first_mut()? = r;
        }
        4 => {
            // The version matters only where a policy variable appears.
            let variable = q
                .statements
                .iter()
                .any(|s| s.resources.iter().any(|r| r.contains("${")));
            if !variable {
                return None;
            }
            q.version = match q.version {
                Some("2012-10-17") => None,
                _ => Some("2012-10-17"),
            }
        }
        5 => {
            let (_, _, vals) = s.conditions.first_mut()?;
            let v = format!("{}-other", vals.first()?);
            vals.push(v);
        }
        _ => {
            let (op, _, _) = s.conditions.first_mut()?;
            *op = op.to_lowercase();
        }
    }
    Some(q)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn respellings_normalize_equal(p in policy(), sp in spelling()) {
        let a = spell(&p, &plain());
        let b = spell(&p, &sp);
        prop_assert!(same_policy(&a, &b), "{a}\n{b}");
        let na = normalize(&a).expect("policy");
        let nb = normalize(&b).expect("policy");
        prop_assert_eq!(na.to_string(), nb.to_string());
    }

    #[test]
    fn changed_policies_do_not(p in policy(), sp in spelling(), which in 0usize..7) {
        let Some(q) = mutate(&p, which) else { return Ok(()); };
        let a = spell(&p, &plain());
        let b = spell(&q, &sp);
        prop_assert!(!same_policy(&a, &b), "{a}\n{b}");
    }

    #[test]
    fn normalizing_twice_changes_nothing(p in policy(), sp in spelling()) {
        let n = normalize(&spell(&p, &sp)).expect("policy");
        prop_assert_eq!(normalize_value(&n).expect("policy"), n);
    }
}
