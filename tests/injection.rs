//! No injection into any output: values that AWS accepts but that mean
//! something to Markdown or a shell (`# Heading`, backticks, `$(…)`, `|`,
//! `<script>`) come out of `DEPLOY.md` as text, and values with control
//! characters (line feed, NUL, escape, a right-to-left override) are
//! refused by the checker before anything is written.

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};
use std::path::Path;
use std::process::{Command, Output};

fn accessc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_accessc"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run accessc")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf8 path")
}

/// A program with one group, one user and one function, whose display
/// name, user name, description, relay state and tag value are given (as
/// `.access` string contents, escapes allowed).
fn program(display: &str, user_name: &str, description: &str, relay: &str, tag: &str) -> String {
    format!(
        r#"org {{
  root "r-ab12"
  management "999999999999"
  ou Workloads "ou-ab12-11111111" {{ account app "111111111111" }}
  account management "999999999999"
}}

group evil "{display}"
user evil-user "{user_name}"

function Ops {{
  description "{description}"
  relay "{relay}"
  managed ReadOnlyAccess
  boundary ReadOnlyAccess
  tags Team = "{tag}"
  break_glass notify "arn:aws:sns:eu-west-1:111111111111:pager"
}}

grant Ops to evil on Workloads
grant Ops to user evil-user on Workloads owner "secops@example.com" until 2027-06-01
"#
    )
}

/// Builds `text` for `--target cfn`; returns the exit status, stderr and
/// the output directory.
fn build(text: &str, target: &str) -> (Option<i32>, String, tempfile::TempDir) {
    let src = tempfile::tempdir().expect("tmp");
    std::fs::write(src.path().join("main.access"), text).expect("write");
    let out = tempfile::tempdir().expect("tmp");
    let o = accessc(&[
        "build",
        s(src.path()),
        "--target",
        target,
        "-o",
        s(out.path()),
        "--today",
        "2026-11-28",
    ]);
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
        out,
    )
}

/// The headings (level, text), the code blocks (info, text) and the raw
/// HTML of a Markdown document, as GitHub-flavoured Markdown reads it.
#[allow(clippy::type_complexity)]
fn structure(md: &str) -> (Vec<(u8, String)>, Vec<(String, String)>, Vec<String>) {
    let opts =
        pulldown_cmark::Options::ENABLE_TABLES | pulldown_cmark::Options::ENABLE_STRIKETHROUGH;
    let mut headings = Vec::new();
    let mut blocks = Vec::new();
    let mut html = Vec::new();
    let mut heading: Option<(u8, String)> = None;
    let mut block: Option<(String, String)> = None;
    for ev in Parser::new_ext(md, opts) {
        match ev {
            Event::Start(Tag::Heading { level, .. }) => {
                heading = Some((level as u8, String::new()))
            }
            Event::End(TagEnd::Heading(_)) => headings.extend(heading.take()),
            Event::Start(Tag::CodeBlock(kind)) => {
                let info = match kind {
                    CodeBlockKind::Fenced(i) => i.to_string(),
                    CodeBlockKind::Indented => "(indented)".to_string(),
                };
                block = Some((info, String::new()));
            }
            Event::End(TagEnd::CodeBlock) => blocks.extend(block.take()),
            Event::Html(h) | Event::InlineHtml(h) => html.push(h.to_string()),
            Event::Text(t) | Event::Code(t) => {
                if let Some((_, h)) = heading.as_mut() {
                    h.push_str(&t);
                }
                if let Some((_, b)) = block.as_mut() {
                    b.push_str(&t);
                }
            }
            _ => {}
        }
    }
    (headings, blocks, html)
}

/// Every piece of text of the document (text and inline code), joined.
fn all_text(md: &str) -> String {
    let opts =
        pulldown_cmark::Options::ENABLE_TABLES | pulldown_cmark::Options::ENABLE_STRIKETHROUGH;
    let mut out = String::new();
    for ev in Parser::new_ext(md, opts) {
        if let Event::Text(t) | Event::Code(t) = ev {
            out.push_str(&t);
        }
    }
    out
}

const DISPLAY: &str = r#"x | # Heading `code` ``` ```` $(rm -rf /) <script>alert(1)</script> [l](http://e) *em* _u_ ~~s~~ &amp; \\ 'q' \"dq\""#;
const DISPLAY_VALUE: &str = r#"x | # Heading `code` ``` ```` $(rm -rf /) <script>alert(1)</script> [l](http://e) *em* _u_ ~~s~~ &amp; \ 'q' "dq""#;
const USER: &str = r#"u`b|c$(id)'x'<i>#h"#;

#[test]
fn markdown_and_shell_payloads_stay_text_in_deploy_md() {
    let hostile = program(
        DISPLAY,
        USER,
        r"# Heading\n```sh\nrm -rf /\n```\n<script>x</script>",
        "https://e.example/#|$(rm -rf /)*_x_[y](z)",
        "a = b @ c",
    );
    let clean = program(
        "Evil Group",
        "evil-user",
        "plain",
        "https://e.example/",
        "a",
    );
    let (code, err, out) = build(&hostile, "cfn");
    assert_eq!(code, Some(0), "{err}");
    let (ccode, cerr, cout) = build(&clean, "cfn");
    assert_eq!(ccode, Some(0), "{cerr}");
    let md = std::fs::read_to_string(out.path().join("DEPLOY.md")).expect("DEPLOY.md");
    let clean_md = std::fs::read_to_string(cout.path().join("DEPLOY.md")).expect("DEPLOY.md");

    let (headings, blocks, html) = structure(&md);
    let (clean_headings, clean_blocks, _) = structure(&clean_md);
    assert_eq!(headings, clean_headings, "the headings are accessc's own");
    assert_eq!(
        blocks.iter().map(|(i, _)| i).collect::<Vec<_>>(),
        clean_blocks.iter().map(|(i, _)| i).collect::<Vec<_>>(),
        "no extra code blocks"
    );
    assert!(html.is_empty(), "no raw HTML: {html:?}");
    // The values are still there, as text.
    let text = all_text(&md);
    assert!(
        text.contains(DISPLAY_VALUE),
        "the display name reads as written:\n{text}"
    );
    assert!(text.contains(USER), "the user name reads as written");

    // The shell block passes each display name to the command as one word.
    let (_, sh) = blocks
        .iter()
        .find(|(_, b)| b.contains("aws identitystore get-group-id"))
        .expect("the lookup block");
    for line in sh.lines().filter(|l| l.starts_with("aws identitystore")) {
        let script = format!(
            "set -- {}; printf '%s\\n' \"$#\" \"$6\"",
            &line["aws ".len()..]
        );
        let o = Command::new("sh")
            .arg("-c")
            .arg(&script)
            .output()
            .expect("sh");
        let printed = String::from_utf8_lossy(&o.stdout);
        let mut lines = printed.lines();
        assert_eq!(lines.next(), Some("6"), "{line}: one word per argument");
        let json: serde_json::Value = serde_json::from_str(lines.next().unwrap_or(""))
            .expect("the last argument is the JSON");
        let value = json["UniqueAttribute"]["AttributeValue"]
            .as_str()
            .unwrap_or("");
        assert!(value == DISPLAY_VALUE || value == USER, "{value}");
    }
}

/// One field of a program, a value with a control character, and the code
/// that refuses it.
fn control_cases() -> Vec<(&'static str, String, &'static str)> {
    let payloads = [
        ("line feed", "a\\nb"),
        ("NUL", "a\u{0}b"),
        ("escape", "a\u{1b}[31mb"),
        ("right-to-left override", "a\u{202e}b"),
    ];
    let base =
        |d: &str, u: &str, desc: &str, relay: &str, tag: &str| program(d, u, desc, relay, tag);
    let mut cases = Vec::new();
    for (what, p) in payloads {
        cases.push((what, base(p, "u", "d", "https://e.example/", "t"), "A302"));
        cases.push((what, base("g", p, "d", "https://e.example/", "t"), "A302"));
        cases.push((
            what,
            base("g", "u", "d", &format!("https://e.example/{p}"), "t"),
            "A205",
        ));
        cases.push((what, base("g", "u", "d", "https://e.example/", p), "A206"));
        if what != "line feed" {
            // AWS takes multi-line descriptions; every other control is refused.
            cases.push((what, base("g", "u", p, "https://e.example/", "t"), "A201"));
        }
        let ok = base("g", "u", "d", "https://e.example/", "t");
        cases.push((
            what,
            ok.replace(
                "sns:eu-west-1:111111111111:pager",
                &format!("sns:eu-west-1:111111111111:pa{p}ger"),
            ),
            "A302",
        ));
        cases.push((
            what,
            ok.replace(
                "owner \"secops@example.com\"",
                &format!("owner \"secops{p}@example.com\""),
            ),
            "A302",
        ));
        cases.push((
            what,
            ok.replace(
                "  managed ReadOnlyAccess\n",
                &format!("  managed ReadOnlyAccess\n  name \"Ops{p}\"\n"),
            ),
            "A200",
        ));
        cases.push((
            what,
            ok.replace(
                "  managed ReadOnlyAccess\n",
                &format!(
                    "  managed ReadOnlyAccess\n  allow s3:GetObject on \"arn:aws:s3:::b/{p}\"\n"
                ),
            ),
            "A302",
        ));
        cases.push((
            what,
            ok.replace(
                "  managed ReadOnlyAccess\n",
                &format!("  managed ReadOnlyAccess\n  allow s3:GetObject on * when StringEquals \"s3:pre{p}fix\" \"x\"\n"),
            ),
            "A302",
        ));
        cases.push((
            what,
            ok.replace(
                "  managed ReadOnlyAccess\n",
                &format!("  managed ReadOnlyAccess\n  allow s3:GetObject on * when StringEquals \"s3:prefix\" \"x{p}\"\n"),
            ),
            "A302",
        ));
    }
    cases
}

/// The error codes `check --format json` reports for `text`; every message
/// must be free of control characters (they are shown escaped).
fn codes(text: &str) -> Vec<String> {
    let src = tempfile::tempdir().expect("tmp");
    std::fs::write(src.path().join("main.access"), text).expect("write");
    let o = accessc(&[
        "check",
        s(src.path()),
        "--format",
        "json",
        "--today",
        "2026-11-28",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json diagnostics");
    let errors: Vec<&serde_json::Value> = v
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["severity"] == "error")
        .collect();
    for d in &errors {
        let m = d["message"].as_str().unwrap_or("");
        assert!(
            !m.chars().any(|c| c.is_control() || c == '\u{202e}'),
            "the message shows the character escaped: {m:?}"
        );
    }
    errors
        .iter()
        .filter_map(|d| d["code"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn control_characters_are_refused_in_every_field_and_nothing_is_written() {
    let clean = program("g", "u", "d", "https://e.example/", "t");
    assert!(codes(&clean).is_empty(), "the base program is clean");
    for (what, text, code) in control_cases() {
        let got = codes(&text);
        assert!(
            got.iter().any(|c| c == code),
            "{what}: expected {code}, got {got:?}\n{text}"
        );
        for target in ["cfn", "terraform"] {
            let (status, err, out) = build(&text, target);
            assert_eq!(status, Some(1), "{what} ({target}): {err}");
            let written: Vec<_> = std::fs::read_dir(out.path()).expect("out").collect();
            assert!(written.is_empty(), "{what} ({target}): nothing is written");
        }
    }
}

#[test]
fn condition_keys_with_quotes_or_template_sequences_are_refused() {
    let ok = program("g", "u", "d", "https://e.example/", "t");
    for key in [
        r#"s3:pre\"fix"#,
        "s3:pre%{x}fix",
        "aws:ResourceTag/${x}",
        r"s3:pre\nfix",
    ] {
        let text = ok.replace(
            "  managed ReadOnlyAccess\n",
            &format!("  managed ReadOnlyAccess\n  allow s3:GetObject on * when StringEquals \"{key}\" \"x\"\n"),
        );
        assert_eq!(codes(&text), ["A302"], "{key}");
    }
    // A tag key after `aws:ResourceTag/` may hold what a tag key holds.
    let text = ok.replace(
        "  managed ReadOnlyAccess\n",
        "  managed ReadOnlyAccess\n  allow s3:GetObject on * when StringEquals \"aws:ResourceTag/Cost Centre_é.:/=+-@\" \"x\"\n",
    );
    assert!(codes(&text).is_empty());
}

#[test]
fn org_snapshot_values_are_checked_before_they_reach_deploy_md() {
    let src = tempfile::tempdir().expect("tmp");
    let org = |store: &str, group: &str| {
        serde_json::json!({
            "format": "accessc-org/1",
            "root": "r-ab12",
            "accounts": [{"name": "management", "id": "999999999999"}],
            "ous": [{"name": "Workloads", "id": "ou-ab12-11111111", "accounts": [{"name": "app", "id": "111111111111"}]}],
            "management_account": "999999999999",
            "identity_store": {"id": store, "groups": {group: "9067a2c4-1111-2222-3333-444455556666"}}
        })
        .to_string()
    };
    let main = "org from \"org.json\"\ngroup evil \"Evil\"\nfunction Ops { managed ReadOnlyAccess boundary ReadOnlyAccess }\ngrant Ops to evil on Workloads\n";
    std::fs::write(src.path().join("main.access"), main).expect("write");
    for (store, group) in [
        ("d-1234567890; rm -rf /", "Evil"),
        ("d-1234567890", "Evil\n# Heading"),
        ("d-1234567890", "Evil\u{202e}"),
    ] {
        std::fs::write(src.path().join("org.json"), org(store, group)).expect("write");
        let o = accessc(&["check", s(src.path()), "--format", "json"]);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
        let got: Vec<&str> = v
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| d["code"].as_str())
            .collect();
        assert!(got.contains(&"A104"), "{store} {group:?}: {got:?}");
        assert_eq!(o.status.code(), Some(1));
    }
}
