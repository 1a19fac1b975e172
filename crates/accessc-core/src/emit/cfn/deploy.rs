//! The written deploy order: `DEPLOY.md` for people, `deploy-order.json` for
//! pipelines. Both list the stacks by stage (customer managed policies, then
//! permission sets, then assignments) with the parameters each needs.

use super::ir_to_units::Units;
use super::{parallel_assignment_stacks, CfnFormat, Stack, Stage, MAX_OUTSTANDING_ASSIGNMENTS};
use crate::emit::common::NamePrefix;
use crate::ir::{Ir, PrincipalType};
use serde_json::{json, Map, Value};

const STAGES: [(Stage, &str, &str); 3] = [
    (
        Stage::Policies,
        "policies",
        "Customer managed policies: one service-managed StackSet per policy body. A StackSet resource completes when its stack instances do, so when this stage is done every policy exists in every account that a permission set referencing it is assigned in.",
    ),
    (
        Stage::PermissionSets,
        "permission-sets",
        "Permission sets, the ABAC attribute configuration and the break-glass alarms. Each stack exports the ARN of each of its permission sets.",
    ),
    (
        Stage::Assignments,
        "assignments",
        "Account assignments, one or more stacks per permission set; they import the permission set ARNs. Stacks of this stage are independent of each other, but IAM Identity Center keeps at most 15 assignment operations outstanding per instance: deploy them no more at a time than `max_parallel_stacks`.",
    ),
];

/// How many stacks of `stage` may be deployed at once (`None`: no bound).
fn max_parallel_stacks(stage: Stage, chains: usize) -> Option<usize> {
    (stage == Stage::Assignments).then(|| parallel_assignment_stacks(chains))
}

/// What `DEPLOY.md` says of the concurrency of the assignment stacks.
fn assignment_concurrency(chains: usize) -> String {
    let stacks = parallel_assignment_stacks(chains);
    let how = if stacks == 1 {
        "Deploy the stacks of this stage **one after another**".to_string()
    } else {
        format!("Deploy **at most {stacks}** stacks of this stage at a time")
    };
    format!(
        "Each assignment stack creates at most {chains} assignment(s) at once: its assignments form {chains} \
         `DependsOn` chain(s) (`accessc build --max-concurrent-assignments`). IAM Identity Center keeps at most \
         {MAX_OUTSTANDING_ASSIGNMENTS} assignment operations outstanding per instance, and CloudFormation \
         reports failures when more are in flight. {how}: then at most {} assignments are created at once.",
        stacks * chains
    )
}

/// The stack of `stem`: `PREFIX-STEM`, as the `NamePrefix` default.
fn stack_name(prefix: NamePrefix, stem: &str) -> String {
    format!("{prefix}-{stem}")
}

fn capabilities(stage: Stage) -> Vec<&'static str> {
    match stage {
        Stage::Policies => vec!["CAPABILITY_NAMED_IAM"],
        _ => vec![],
    }
}

/// A parameter's description, from its definition.
fn describe(units: &Units, name: &str) -> String {
    units
        .params
        .get(name)
        .and_then(|p| p.definition.get("Description"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

/// A parameter's meaning for the table of `DEPLOY.md`: its definition's
/// description for the fixed parameters (accessc's own text), and for the
/// parameters named after the program (principals, OUs) the same sentence
/// built from the program's values, each escaped.
fn meaning(units: &Units, name: &str) -> String {
    if let Some((_, kind, who, display)) = units.principal_params.iter().find(|(p, ..)| p == name) {
        return match kind {
            PrincipalType::Group => format!(
                "Identity-store GroupId of the group {} (DisplayName \"{}\")",
                cell_code(who),
                text(display)
            ),
            PrincipalType::User => format!(
                "Identity-store UserId of the user {} (UserName \"{}\")",
                cell_code(who),
                text(display)
            ),
        };
    }
    if let Some((_, path)) = units.org_params.iter().find(|(p, _)| p == name) {
        if path != "root" {
            return format!(
                "Id of the organizational unit {} (aws organizations list-organizational-units-for-parent)",
                text(path)
            );
        }
    }
    one_line(&describe(units, name)).replace('|', "\\|")
}

pub fn deploy_order_json(
    stacks: &[Stack],
    units: &Units,
    format: CfnFormat,
    chains: usize,
    prefix: NamePrefix,
) -> String {
    let mut stages = Vec::new();
    for (stage, name, note) in STAGES {
        let list: Vec<Value> = stacks
            .iter()
            .filter(|s| s.stage == stage)
            .map(|s| {
                json!({
                    "stack_name": stack_name(prefix, &s.stem),
                    "template": s.path(),
                    "capabilities": capabilities(stage),
                    "parameters": s.params,
                })
            })
            .collect();
        if list.is_empty() {
            continue;
        }
        stages.push(json!({
            "stage": stage as u8,
            "name": name,
            "note": note,
            "max_parallel_stacks": max_parallel_stacks(stage, chains),
            "stacks": list,
        }));
    }
    let mut params = Map::new();
    let mut used: Vec<&str> = stacks
        .iter()
        .flat_map(|s| s.params.iter().map(String::as_str))
        .collect();
    used.sort();
    used.dedup();
    for p in used {
        params.insert(p.to_string(), json!(describe(units, p)));
    }
    let v = json!({
        "format": "accessc-cfn-deploy/1",
        "template_format": format.extension(),
        "max_concurrent_assignments": chains,
        "name_prefix": prefix.as_str(),
        "stages": stages,
        "parameters": Value::Object(params),
    });
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

/// `s` with every character that could end a line or hide text (control,
/// format and separator characters but the space) written as its escape,
/// `\u{a}`. The checker refuses them in every value; this keeps the
/// Markdown to one line per row even if one got through.
fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == ' ' || !(c.is_control() || is_invisible(c)) {
            out.push(c);
        } else {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
    }
    out
}

/// Format characters, separators and the like that `char::is_control` misses.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{85}' | '\u{ad}' | '\u{180e}' | '\u{2000}'..='\u{200f}' | '\u{2028}'..='\u{202f}'
        | '\u{205f}'..='\u{206f}' | '\u{3000}' | '\u{feff}' | '\u{fff9}'..='\u{fffb}')
}

/// An inline code span holding exactly `s`: a backtick fence longer than
/// any run of backticks in `s`, padded with a space when `s` starts or ends
/// with a backtick or a space (CommonMark strips one each side).
pub(crate) fn code(s: &str) -> String {
    let s = one_line(s);
    if s.is_empty() {
        return "(empty)".to_string();
    }
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    let pad = s.starts_with(['`', ' ']) || s.ends_with(['`', ' ']);
    let sp = if pad { " " } else { "" };
    format!("{fence}{sp}{s}{sp}{fence}")
}

/// [`code`] for a table cell: a `|` is escaped even inside the span, since
/// a table row is split at pipes before its cells are read.
fn cell_code(s: &str) -> String {
    code(s).replace('|', "\\|")
}

/// Plain text that renders as itself: every ASCII punctuation character
/// that Markdown or its common extensions give a meaning mid-line is
/// backslash-escaped (a line never starts with a value, so `#`, `-`, `+`
/// and `>` at a line start cannot occur).
pub(crate) fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in one_line(s).chars() {
        if "\\`*_[]<>#!|~&$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A word for a POSIX shell: as is when it holds only characters no shell
/// reads specially, else single-quoted (a `'` inside written `'\''`).
pub(crate) fn sh_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c))
    {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// A fenced code block of `lang` holding `body`, with a fence longer than
/// any backtick run in it.
fn fenced(lang: &str, body: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in body.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat((longest + 1).max(3));
    format!("{fence}{lang}\n{body}{fence}\n")
}

pub fn deploy_md(
    ir: &Ir,
    stacks: &[Stack],
    units: &Units,
    chains: usize,
    prefix: NamePrefix,
) -> String {
    let mut o = String::new();
    o.push_str("# Deploying the accessc CloudFormation output\n\n");
    o.push_str("Generated by `accessc build --target cfn`; edit the `.access` source, not these files.\n\n");
    let region = ir
        .instance
        .region
        .as_deref()
        .map_or("the IAM Identity Center home Region".to_string(), |r| {
            format!("{}, the IAM Identity Center home Region", code(r))
        });
    o.push_str(&format!(
        "Deploy every stack in the management account (StackSets with `PermissionModel: SERVICE_MANAGED` are created there; \
         a delegated administrator would need `CallAs: DELEGATED_ADMIN`), in {region}. \
         Stage by stage: every stack of a stage must be complete before the next stage starts; \
         the stacks of stages 1 and 2 may be deployed in parallel, those of stage 3 as that stage says. \
         Templates over 51,200 bytes need `--s3-bucket` with `aws cloudformation deploy`.\n\n"
    ));

    let mut before = Vec::new();
    if stacks.iter().any(|s| s.stage == Stage::Policies) {
        before.push(
            "Trusted access between CloudFormation StackSets and AWS Organizations is on \
             (`aws cloudformation activate-organizations-access`): the policy StackSets are service-managed. \
             They never reach the management account itself."
                .to_string(),
        );
    }
    let break_glass: Vec<_> = ir
        .permission_sets
        .iter()
        .filter(|p| p.break_glass.is_some())
        .collect();
    if !break_glass.is_empty() {
        before.push(
            "The organization CloudTrail trail delivers to a CloudWatch Logs log group in this Region \
             (parameter `CloudTrailLogGroupName`): the break-glass metric filters read it."
                .to_string(),
        );
    }
    for p in &break_glass {
        match p.break_glass.as_ref().and_then(|b| b.notify.as_deref()) {
            Some(topic) => before.push(format!(
                "The SNS topic {} exists, in this Region, and its access policy lets CloudWatch publish: \
                 the alarm of break-glass set {} notifies it.",
                code(topic),
                code(&p.name)
            )),
            None => before.push(format!(
                "Break-glass set {} has no `notify` topic: its alarm changes state but notifies no one. \
                 Add `break_glass notify \"arn:aws:sns:…\"` to the function.",
                code(&p.name)
            )),
        }
    }
    if !before.is_empty() {
        o.push_str("## Before the first deploy\n\n");
        for b in &before {
            o.push_str(&format!("- {b}\n"));
        }
        o.push('\n');
    }

    for (stage, name, note) in STAGES {
        let list: Vec<&Stack> = stacks.iter().filter(|s| s.stage == stage).collect();
        if list.is_empty() {
            continue;
        }
        let note = if stage == Stage::Assignments {
            format!(
                "Account assignments, one or more stacks per permission set; they import the permission set ARNs.\n\n{}",
                assignment_concurrency(chains)
            )
        } else {
            note.to_string()
        };
        o.push_str(&format!(
            "## Stage {}: {name}\n\n{note}\n\n| stack | template | parameters |\n|---|---|---|\n",
            stage as u8
        ));
        for s in &list {
            o.push_str(&format!(
                "| {} | {} | {} |\n",
                cell_code(&stack_name(prefix, &s.stem)),
                cell_code(&s.path()),
                if s.params.is_empty() {
                    "—".to_string()
                } else {
                    s.params
                        .iter()
                        .map(|p| cell_code(p))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ));
        }
        o.push('\n');
        if let Some(first) = list.first() {
            let caps = capabilities(stage);
            o.push_str(&fenced(
                "sh",
                &format!(
                    "aws cloudformation deploy --stack-name {} --template-file {}{}{}\n",
                    sh_word(&stack_name(prefix, &first.stem)),
                    sh_word(&first.path()),
                    if caps.is_empty() {
                        String::new()
                    } else {
                        format!(" --capabilities {}", caps.join(" "))
                    },
                    if first.params.iter().any(|p| p != "NamePrefix") {
                        " --parameter-overrides NAME=VALUE ..."
                    } else {
                        ""
                    }
                ),
            ));
            o.push('\n');
        }
    }

    o.push_str(&format!(
        "## Parameters\n\nGive a parameter the same value in every stack that has it. \
         `NamePrefix` (default {}, `accessc build --name-prefix`) names the exports that the assignment stacks import: \
         change it in all stacks or none.\n\n| parameter | meaning |\n|---|---|\n",
        code(prefix.as_str())
    ));
    let mut used: Vec<&str> = stacks
        .iter()
        .flat_map(|s| s.params.iter().map(String::as_str))
        .collect();
    used.sort();
    used.dedup();
    for p in &used {
        o.push_str(&format!("| {} | {} |\n", cell_code(p), meaning(units, p)));
    }
    o.push('\n');
    if !units.principal_params.is_empty() {
        let store = ir
            .instance
            .identity_store_id
            .as_deref()
            .unwrap_or("IDENTITY_STORE_ID");
        o.push_str(
            "The program gives no identity-store id for these principals; look each up once:\n\n",
        );
        let mut block = String::new();
        for (param, kind, _, display) in &units.principal_params {
            let (cmd, path) = match kind {
                PrincipalType::Group => ("get-group-id", "displayName"),
                PrincipalType::User => ("get-user-id", "userName"),
            };
            let attr =
                json!({"UniqueAttribute": {"AttributePath": path, "AttributeValue": display}})
                    .to_string();
            block.push_str(&format!(
                "# {}\naws identitystore {cmd} --identity-store-id {} --alternate-identifier {}\n",
                one_line(param),
                sh_word(store),
                sh_word(&attr)
            ));
        }
        o.push_str(&fenced("sh", &block));
        o.push('\n');
    }

    if !units.org_params.is_empty() {
        o.push_str("The program gives no id for these organization nodes (`aws organizations list-roots`, \
                    `aws organizations list-organizational-units-for-parent --parent-id ID`):\n\n\
                    | parameter | OU path |\n|---|---|\n");
        for (param, path) in &units.org_params {
            o.push_str(&format!("| {} | {} |\n", cell_code(param), cell_code(path)));
        }
        o.push('\n');
    }

    o.push_str(
        "## Changes between builds\n\n\
         - A stack that an earlier build had and this one does not (its template is gone) must be deleted: \
         assignment stacks first, then the stage-2 stack whose export they imported.\n\
         - Within stage 3, delete vanished stacks, then update existing stacks, then create new ones. \
         A stack splits when it would pass a limit: bucket `N` keeps its stack and hands about half of its \
         assignments to a new stack; updating first removes them before the new stack creates them again \
         (those principals lose that access for the minutes in between).\n\
         - After stage 2 changes a permission set, make sure every account has the new version (the guide, section 9.1): \
         `aws sso-admin list-accounts-for-provisioned-permission-set --provisioning-status LATEST_PERMISSION_SET_NOT_PROVISIONED`, \
         and for a set that is listed `aws sso-admin provision-permission-set --target-type ALL_PROVISIONED_ACCOUNTS`.\n",
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_outrun_every_backtick_run() {
        assert_eq!(code("accessc-x"), "`accessc-x`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("``x"), "``` ``x ```");
        assert_eq!(code("a\nb"), "`a\\u{a}b`");
        assert_eq!(cell_code("a|b"), "`a\\|b`");
    }

    #[test]
    fn text_escapes_what_markdown_reads() {
        assert_eq!(text("AWS Platform Admins"), "AWS Platform Admins");
        assert_eq!(text("auditor@partner.example"), "auditor@partner.example");
        assert_eq!(
            text("<b>*x*</b> | `y`"),
            "\\<b\\>\\*x\\*\\</b\\> \\| \\`y\\`"
        );
        assert_eq!(text("a\r\n# b"), "a\\\\u{d}\\\\u{a}\\# b");
    }

    #[test]
    fn shell_words_are_quoted_unless_plain() {
        assert_eq!(sh_word("d-1234567890"), "d-1234567890");
        assert_eq!(sh_word("a b"), "'a b'");
        assert_eq!(sh_word("it's $(x)"), "'it'\\''s $(x)'");
        assert_eq!(sh_word(""), "''");
    }
}
