//! `accessc fmt` is idempotent and preserves meaning: on every corpus program
//! and example, and on randomly generated programs with random layout
//! (whitespace, line breaks and comments between tokens).

#![allow(
    clippy::indexing_slicing,
    reason = "test helpers: an index out of bounds is a failing test"
)]

use accessc_core::ir::Ir;
use accessc_core::load::{load_texts, RealFs};
use accessc_core::{check, CheckOptions, Today};
use proptest::prelude::*;
use std::path::Path;

fn today() -> Today {
    Today::parse("2026-11-28").expect("date")
}

/// Everything a program means, without source positions: a summary of the
/// checked model, the diagnostics, and, for a program that checks without
/// errors, the lowered IR every backend reads.
type Meaning = (String, Vec<(String, String)>, Option<Ir>);

fn meaning(text: &str) -> Meaning {
    let prog = load_texts(
        &RealFs,
        Path::new("."),
        vec![("p.access".into(), text.to_string())],
    );
    let c = check(&prog, &CheckOptions { today: today() });
    let m = &c.model;
    let mut s = String::new();
    for f in m.functions.values() {
        s.push_str(&format!(
            "fn {} {} {:?} {} {:?} {:?} {:?} {:?} {} {:?} {:?}\n",
            f.name,
            f.aws_name,
            f.description,
            f.session.minutes(),
            f.relay,
            f.managed.iter().map(|x| &x.arn).collect::<Vec<_>>(),
            f.customer,
            f.boundary,
            f.inline.as_ref().map(|v| v.to_string()).unwrap_or_default(),
            f.tags,
            f.break_glass.as_ref().map(|b| b.notify.clone())
        ));
    }
    let i = &m.instance;
    s.push_str(&format!(
        "instance {:?} {:?} {:?} {:?} {:?}\n",
        i.arn, i.identity_store, i.region, i.replicas, i.start_url
    ));
    let q = &m.quotas;
    s.push_str(&format!(
        "quotas {} {} {}\n",
        q.managed_policies, q.permission_sets, q.provisioned_per_account
    ));
    s.push_str(&format!(
        "org {:?} {:?}\n",
        m.org.root_id,
        m.org.management.map(|a| &m.org.accounts[a].id)
    ));
    for mp in m.managed_policies.values() {
        s.push_str(&format!(
            "mp {} {} {:?} {} {:?} {:?}\n",
            mp.name,
            mp.path,
            mp.description,
            mp.external,
            mp.default_body,
            mp.ou_bodies
                .iter()
                .map(|b| (b.ou, &b.statements))
                .collect::<Vec<_>>()
        ));
    }
    for a in &m.assignments {
        s.push_str(&format!(
            "as {} {} {}\n",
            m.principals[a.principal].name,
            m.functions[a.function].name,
            m.org.accounts[a.account].id
        ));
    }
    for (k, v) in &m.attributes {
        s.push_str(&format!("attr {k} {}\n", v.value));
    }
    for o in &m.org.ous {
        s.push_str(&format!("ou {} {:?}\n", o.path, o.id));
    }
    for g in &m.grants {
        s.push_str(&format!("grant {:?} {:?}\n", g.owner, g.until));
    }
    let mut diags: Vec<(String, String)> = c
        .diagnostics
        .iter()
        .map(|d| (d.code.to_string(), d.message.clone()))
        .collect();
    diags.sort();
    let ir = c.checked_model().map(accessc_core::model_to_ir::lower);
    (s, diags, ir)
}

fn format_text(text: &str) -> Option<String> {
    let prog = load_texts(
        &RealFs,
        Path::new("."),
        vec![("p.access".into(), text.to_string())],
    );
    if prog.diagnostics.iter().any(|d| d.code.is_syntax()) {
        return None;
    }
    Some(accessc_core::fmt::format_module(&prog.modules[0], text))
}

fn assert_fmt_ok(name: &str, text: &str) {
    let Some(once) = format_text(text) else {
        return;
    };
    let twice = format_text(&once)
        .unwrap_or_else(|| panic!("{name}: formatted text does not parse:\n{once}"));
    assert_eq!(once, twice, "{name}: fmt is not idempotent");
    let (before, after) = (meaning(text), meaning(&once));
    assert!(
        before == after,
        "{name}: fmt changed the meaning:\n{once}\nbefore: {before:#?}\nafter: {after:#?}"
    );
    // Every comment survives, word for word.
    let comments = |t: &str| {
        let prog = load_texts(
            &RealFs,
            Path::new("."),
            vec![("p.access".into(), t.to_string())],
        );
        let mut v: Vec<String> = prog.modules[0]
            .comments
            .iter()
            .map(|c| {
                c.text
                    .lines()
                    .map(str::trim_end)
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        comments(text),
        comments(&once),
        "{name}: fmt lost or changed a comment:\n{once}"
    );
}

#[test]
fn fmt_on_corpus_and_examples() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut n = 0;
    for dir in ["tests/corpus", "../../examples", "../../stdlib"] {
        let mut stack = vec![root.join(dir)];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).expect("dir") {
                let p = e.expect("entry").path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|e| e == "access") {
                    let Ok(text) = std::fs::read_to_string(&p) else {
                        continue;
                    };
                    // Single-file meaning only makes sense for self-contained files.
                    if text.contains("org from")
                        || text.contains("from json")
                        || text.contains("use \"")
                    {
                        continue;
                    }
                    assert_fmt_ok(&p.display().to_string(), &text);
                    n += 1;
                }
            }
        }
    }
    assert!(n > 20, "only {n} files formatted");
}

// ---------------------------------------------------------------- generated programs

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("AppDeveloper".to_string()),
        Just("SecOps".to_string()),
        Just("Reader".to_string()),
        Just("team-a".to_string()),
        Just("Ops_2".to_string()),
    ]
}

fn action() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("s3:GetObject"),
        Just("s3:Get*"),
        Just("lambda:InvokeFunction"),
        Just("logs:*"),
        Just("*"),
        Just("ec2:*Vpc*"),
        Just("s4:Nope"),
    ]
}

fn condition() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        Just(vec![
            "resource.tag.Team".into(),
            "==".into(),
            "principal.tag.Team".into()
        ]),
        Just(vec![
            "principal.tag.Dept".into(),
            "!=".into(),
            "\"x\"".into()
        ]),
        Just(vec![
            "StringEquals".into(),
            "\"aws:RequestedRegion\"".into(),
            "[".into(),
            "\"eu-west-1\"".into(),
            ",".into(),
            "\"us-east-1\"".into(),
            "]".into()
        ]),
        Just(vec![
            "Bool".into(),
            "\"aws:MultiFactorAuthPresent\"".into(),
            "\"true\"".into()
        ]),
    ]
}

fn statement() -> impl Strategy<Value = Vec<String>> {
    (
        proptest::option::of(Just("Sid1")),
        prop::bool::ANY,
        prop::collection::vec(action(), 1..4),
        prop::bool::ANY,
        prop::collection::vec(condition(), 0..3),
    )
        .prop_map(|(sid, allow, actions, star, conds)| {
            let mut t: Vec<String> = Vec::new();
            if let Some(s) = sid {
                t.push(s.into());
                t.push(":".into());
            }
            t.push(if allow { "allow" } else { "deny" }.into());
            for (i, a) in actions.iter().enumerate() {
                if i > 0 {
                    t.push(",".into());
                }
                t.push(a.to_string());
            }
            t.push("on".into());
            t.push(if star {
                "*".into()
            } else {
                "\"arn:aws:s3:::bucket/*\"".into()
            });
            for (i, c) in conds.into_iter().enumerate() {
                t.push(if i == 0 { "when" } else { "and" }.into());
                t.extend(c);
            }
            t
        })
}

/// A session as written: in range, out of range, with leading zeros, or
/// beyond any number.
fn session() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (1u32..14).prop_map(|h| format!("{h}h")),
        1 => Just("PT007H".to_string()),
        1 => Just("0000000000000000000000000090m".to_string()),
        1 => Just("99999999999999999999h".to_string()),
        1 => Just("PT99999999999999999999999S".to_string()),
    ]
}

/// An `until` date: a real one, or one that is not a calendar date.
fn date() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        3 => Just("2030-01-01"),
        1 => Just("2026-13-45"),
        1 => Just("2028-02-29"),
        1 => Just("2027-02-29"),
        1 => Just("0000-00-00"),
    ]
}

/// A quota value: small, with leading zeros, at and beyond `u64`, 2^70.
fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (0u64..30).prop_map(|n| n.to_string()),
        1 => Just("007".to_string()),
        1 => Just("18446744073709551615".to_string()),
        1 => Just("18446744073709551616".to_string()),
        1 => Just("1180591620717411303424".to_string()),
        1 => Just("99999999999999999999999999999999999999999".to_string()),
    ]
}

fn words(line: &str) -> Vec<String> {
    line.split_whitespace().map(str::to_string).collect()
}

/// A function property that may repeat one the function already has.
fn function_prop() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        session().prop_map(|s| vec!["session".to_string(), s]),
        Just(words("description \"first\"")),
        Just(words("description \"second\"")),
        Just(words("name \"Renamed\"")),
        Just(words("relay \"https://console.aws.amazon.com/s3\"")),
        Just(words("boundary PowerUserAccess")),
        Just(words("break_glass")),
        Just(words("managed ViewOnlyAccess")),
    ]
}

/// A property of `instance`, often one given before.
fn instance_prop() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        Just(words("region \"us-east-1\"")),
        Just(words("region \"eu-west-1\"")),
        Just(words(
            "arn \"arn:aws:sso:::instance/ssoins-1234567890abcdef\""
        )),
        Just(words("identity_store \"d-1234567890\"")),
        Just(words("replicas \"eu-west-1\" , \"eu-west-2\"")),
        Just(words("replicas \"ap-northeast-1\"")),
        Just(words("start_url \"https://my-company.awsapps.com/start\"")),
    ]
}

fn managed_policy_prop() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        Just(words("path \"/a/\"")),
        Just(words("path \"/b/\"")),
        Just(words("description \"x\"")),
        Just(words("description \"y\"")),
        Just(words("external")),
    ]
}

fn grant_tail() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        Just(words("owner \"secops@example.com\"")),
        Just(words("owner \"other@example.com\"")),
        date().prop_map(|d| vec!["until".to_string(), d.to_string()]),
    ]
}

/// The org, with `root` and `management` sometimes given twice.
fn org() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        prop_oneof![
            Just(words("root \"r-ab12\"")),
            Just(words("root \"r-cd34\"")),
            Just(words("management \"444444444444\"")),
        ],
        0..3,
    )
    .prop_map(|extra| {
        let mut t = words("org {");
        t.extend(extra.into_iter().flatten());
        t.extend(words(
            "management \"999999999999\" \
             ou Workloads \"ou-ab12-11111111\" { ou NonProd \"ou-ab12-22222222\" { account dev \"111111111111\" } } \
             ou Security \"ou-ab12-44444444\" { account audit \"444444444444\" } \
             account management \"999999999999\" }",
        ));
        t
    })
}

fn item() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        name().prop_map(|n| vec!["group".into(), n]),
        (name(), prop::collection::vec(statement(), 1..3)).prop_map(|(n, sts)| {
            let mut t = vec!["policy".to_string(), format!("P{n}"), "{".into()];
            for s in sts {
                t.extend(s);
            }
            t.push("}".into());
            t
        }),
        (
            name(),
            session(),
            prop::collection::vec(statement(), 0..2),
            prop::bool::ANY,
            prop::collection::vec(function_prop(), 0..3),
        )
            .prop_map(|(n, h, sts, bg, extra)| {
                let mut t = vec!["function".to_string(), n, "{".into(), "session".into(), h];
                t.extend([
                    "managed".into(),
                    "ReadOnlyAccess".into(),
                    ",".into(),
                    "SecurityAudit".into(),
                ]);
                t.extend([
                    "tags".into(),
                    "Owner".into(),
                    "=".into(),
                    "\"platform\"".into(),
                ]);
                if bg {
                    t.extend([
                        "break_glass".into(),
                        "notify".into(),
                        "\"arn:aws:sns:us-east-1:999999999999:p\"".into(),
                    ]);
                } else {
                    t.extend(["boundary".into(), "PowerUserAccess".into()]);
                }
                t.extend(extra.into_iter().flatten());
                for s in sts {
                    t.extend(s);
                }
                t.push("}".into());
                t
            }),
        prop::collection::vec(instance_prop(), 0..5).prop_map(|props| {
            let mut t = words("instance {");
            t.extend(props.into_iter().flatten());
            t.push("}".into());
            t
        }),
        (
            name(),
            prop::collection::vec(managed_policy_prop(), 0..4),
            prop::collection::vec(statement(), 0..2),
            prop::collection::vec((prop::bool::ANY, statement()), 0..2),
        )
            .prop_map(|(n, props, sts, blocks)| {
                let mut t = vec!["managed_policy".to_string(), format!("M{n}"), "{".into()];
                t.extend(props.into_iter().flatten());
                t.extend(sts.into_iter().flatten());
                for (nested, st) in blocks {
                    t.extend(words("in Workloads {"));
                    if nested {
                        t.extend(words("in NonProd {"));
                    }
                    t.extend(st);
                    if nested {
                        t.push("}".into());
                    }
                    t.push("}".into());
                }
                t.push("}".into());
                t
            }),
        prop::collection::vec(
            (
                prop_oneof![
                    Just("managed_policies"),
                    Just("permission_sets"),
                    Just("provisioned_per_account")
                ],
                number()
            ),
            0..4
        )
        .prop_map(|qs| {
            let mut t = words("quotas {");
            for (k, v) in qs {
                t.push(k.to_string());
                t.push(v);
            }
            t.push("}".into());
            t
        }),
        (name(), name()).prop_map(|(f, g)| {
            vec![
                "grant".into(),
                f,
                "to".into(),
                g,
                "on".into(),
                "Workloads/NonProd".into(),
                ",".into(),
                "account".into(),
                "audit".into(),
            ]
        }),
        (name(), prop::collection::vec(grant_tail(), 1..4)).prop_map(|(f, tail)| {
            let mut t = vec![
                "grant".into(),
                f,
                "to".into(),
                "user".into(),
                "ext".into(),
                "on".into(),
                "Security".into(),
                "owner".into(),
                "\"secops@example.com\"".into(),
            ];
            t.extend(tail.into_iter().flatten());
            t
        }),
        (name(), name()).prop_map(|(a, b)| vec![
            "forbid".into(),
            a,
            "with".into(),
            b,
            "on".into(),
            "Workloads".into()
        ]),
        name().prop_map(|a| vec!["limit".into(), a, "to".into(), "Workloads".into()]),
    ]
}

const PRELUDE: &str =
    "attributes { Team = \"${path:enterprise.team}\" Dept = \"${path:enterprise.department}\" }\n\
user ext \"ext@example.com\"\n";

fn separator() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        6 => Just(" "),
        1 => Just("   "),
        2 => Just("\n  "),
        1 => Just("\n\n"),
        1 => Just(" /* note */ "),
        1 => Just(" // note\n"),
        // Comments against the token before them: `managed Base//c`,
        // `resource.tag.Team/*c*/`.
        1 => Just("//c\n"),
        1 => Just("/*c*/"),
    ]
}

fn program() -> impl Strategy<Value = String> {
    (org(), prop::collection::vec(item(), 1..8)).prop_flat_map(|(org, items)| {
        let tokens: Vec<String> = std::iter::once(org)
            .chain(items)
            .enumerate()
            .flat_map(|(i, mut t)| {
                if i > 0 {
                    t.insert(0, "\n".into());
                }
                t
            })
            .collect();
        let n = tokens.len();
        prop::collection::vec(separator(), n).prop_map(move |seps| {
            let mut out = PRELUDE.to_string();
            for (t, sep) in tokens.iter().zip(seps) {
                if t == "\n" {
                    out.push('\n');
                    continue;
                }
                out.push_str(t);
                out.push_str(sep);
            }
            out.push('\n');
            out
        })
    })
}

/// The self-contained corpus programs and examples, as texts.
fn corpus_texts() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in ["tests/corpus", "../../examples"] {
        for e in std::fs::read_dir(root.join(dir)).expect("dir") {
            let p = e.expect("entry").path();
            if p.extension().is_some_and(|e| e == "access") {
                let text = std::fs::read_to_string(&p).expect("read");
                if !(text.contains("org from")
                    || text.contains("from json")
                    || text.contains("use \""))
                {
                    out.push(text);
                }
            }
        }
    }
    out.sort();
    out
}

/// A corpus program with a comment put at any byte (between tokens, inside a
/// name, a number, a string), or with any line written twice.
fn edited_corpus_program() -> impl Strategy<Value = String> {
    (
        prop::sample::select(corpus_texts()),
        any::<prop::sample::Index>(),
        prop_oneof![
            Just(Some("//c\n")),
            Just(Some("/*c*/")),
            Just(Some("//c")),
            Just(Some("/*c*/\n")),
            Just(None),
        ],
    )
        .prop_map(|(text, at, insert)| match insert {
            Some(comment) => {
                let mut at = at.index(text.len() + 1);
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                format!("{}{comment}{}", &text[..at], &text[at..])
            }
            None => {
                let lines: Vec<&str> = text.lines().collect();
                let i = at.index(lines.len());
                let mut out: Vec<&str> = lines[..=i].to_vec();
                out.extend(&lines[i..]);
                out.join("\n") + "\n"
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    #[test]
    fn fmt_is_idempotent_and_keeps_meaning(text in program()) {
        assert_fmt_ok("generated", &text);
    }

    #[test]
    fn fmt_keeps_a_comment_anywhere_and_a_line_written_twice(text in edited_corpus_program()) {
        assert_fmt_ok("edited corpus program", &text);
    }
}
