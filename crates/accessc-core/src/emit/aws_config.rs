//! `--target aws-config`: for each group and each user with access, the
//! `~/.aws/config` its members need: one `[sso-session …]` section for the
//! instance and one `[profile …]` per (account, permission set) the principal
//! is assigned, with every field `aws configure sso` writes. The files go
//! into `groups/NAME.config` and `users/NAME.config`. The portal URL is the
//! instance's `start_url`, else the identity store's default
//! (`https://d-….awsapps.com/start`); the session is named after the
//! identity store (else after the portal's host name).
//!
//! Every value written comes from the IR and is checked again here before it
//! is written: a value with a character that could end a line or open a
//! section (`\n`, `\r`, `[`, `]`, `=`, `;`, `#`, control characters) is
//! refused rather than escaped, because the INI dialect of the AWS CLI has no
//! escapes. Profile names are reduced to `[A-Za-z0-9_.-]`, and two profiles of
//! one file that come out with the same name are refused.

use crate::aws_ids::{is_account_id, is_identity_store_id, is_region, is_start_url};
use crate::emit::OutFile;
use crate::ir::{Ir, PrincipalType};
use std::collections::BTreeMap;

/// The folder of the groups' files.
pub const GROUPS_DIR: &str = "groups";
/// The folder of the users' files.
pub const USERS_DIR: &str = "users";
/// Every file's suffix.
pub const SUFFIX: &str = ".config";
/// The default profile name.
pub const DEFAULT_PROFILE_TEMPLATE: &str = "{account}-{function}";
/// The scope `aws configure sso` registers.
pub const REGISTRATION_SCOPES: &str = "sso:account:access";
/// The longest profile name a template may make.
const MAX_PROFILE_NAME: usize = 128;

const PLACEHOLDERS: [&str; 4] = ["account", "account_id", "function", "permission_set"];

/// `--profile-name-template`: literal `[A-Za-z0-9_.-]` text and the
/// placeholders `{account}` (account name), `{account_id}`, `{function}`
/// (the function's name in the program) and `{permission_set}` (its AWS
/// name). It must name an account and a function, or two profiles of one
/// file would share a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileNameTemplate {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Account,
    AccountId,
    Function,
    PermissionSet,
}

impl Default for ProfileNameTemplate {
    fn default() -> Self {
        ProfileNameTemplate::new(DEFAULT_PROFILE_TEMPLATE).unwrap_or(ProfileNameTemplate {
            parts: vec![Part::Account, Part::Text("-".into()), Part::Function],
        })
    }
}

impl ProfileNameTemplate {
    /// `s` as a template, or why it cannot be one (one sentence).
    pub fn new(s: &str) -> Result<ProfileNameTemplate, String> {
        let shown: String = s.chars().take(80).flat_map(char::escape_debug).collect();
        if s.is_empty() || s.len() > MAX_PROFILE_NAME {
            return Err(format!(
                "`{shown}`: a profile name template is 1 to {MAX_PROFILE_NAME} characters"
            ));
        }
        let mut parts = Vec::new();
        let mut rest = s;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('{') {
                let Some(end) = after.find('}') else {
                    return Err(format!("`{shown}`: a `{{` without its `}}`"));
                };
                let part = match &after[..end] {
                    "account" => Part::Account,
                    "account_id" => Part::AccountId,
                    "function" => Part::Function,
                    "permission_set" => Part::PermissionSet,
                    other => {
                        let other: String = other.chars().flat_map(char::escape_debug).collect();
                        return Err(format!(
                            "`{shown}`: unknown placeholder `{{{other}}}` (the placeholders are {})",
                            PLACEHOLDERS.map(|p| format!("`{{{p}}}`")).join(", ")
                        ));
                    }
                };
                parts.push(part);
                rest = &after[end + 1..];
            } else {
                let end = rest.find('{').unwrap_or(rest.len());
                let text = &rest[..end];
                if let Some(bad) = text.chars().find(|c| !profile_char(*c)) {
                    return Err(format!(
                        "`{shown}`: `{}` cannot be in a profile name (letters, digits, `_`, `.` and `-` can)",
                        bad.escape_debug()
                    ));
                }
                parts.push(Part::Text(text.to_string()));
                rest = &rest[end..];
            }
        }
        let has = |p: &[Part]| parts.iter().any(|x| p.contains(x));
        if !has(&[Part::Account, Part::AccountId]) || !has(&[Part::Function, Part::PermissionSet]) {
            return Err(format!(
                "`{shown}`: the template must name the account (`{{account}}` or `{{account_id}}`) and the function (`{{function}}` or `{{permission_set}}`), or profiles would share a name"
            ));
        }
        Ok(ProfileNameTemplate { parts })
    }

    fn render(&self, account: &str, account_id: &str, function: &str, set: &str) -> String {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Text(t) => out.push_str(t),
                Part::Account => push_safe(&mut out, account),
                Part::AccountId => push_safe(&mut out, account_id),
                Part::Function => push_safe(&mut out, function),
                Part::PermissionSet => push_safe(&mut out, set),
            }
        }
        out
    }
}

fn profile_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// Appends `s` with every character a profile name cannot hold as `-`.
fn push_safe(out: &mut String, s: &str) {
    out.extend(s.chars().map(|c| if profile_char(c) { c } else { '-' }));
}

/// Whether `s` can be written as an INI value: printable, one line, and
/// nothing the AWS CLI's parser reads as the start of a section, a comment
/// or another key.
fn plain_value(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 1024
        && !s.chars().any(|c| {
            c.is_control() || matches!(c, '[' | ']' | '=' | ';' | '#' | '\u{2028}' | '\u{2029}')
        })
}

/// The two folders' files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsConfigFiles {
    /// `NAME.config` of each group with access, sorted.
    pub groups: Vec<OutFile>,
    /// `NAME.config` of each user with direct access, sorted.
    pub users: Vec<OutFile>,
}

/// The portal URL of an identity store: `https://d-….awsapps.com/start`.
pub fn default_start_url(identity_store_id: &str) -> String {
    format!("https://{identity_store_id}.awsapps.com/start")
}

/// The files of `--target aws-config`, or every reason they cannot be made
/// (one sentence each, the fix included).
pub fn emit_aws_config(
    ir: &Ir,
    template: &ProfileNameTemplate,
) -> Result<AwsConfigFiles, Vec<String>> {
    let mut errors = Vec::new();
    let store = ir.instance.identity_store_id.as_deref();
    let start_url = match (ir.instance.start_url.as_deref(), store) {
        (Some(url), _) if is_start_url(url) => Some(url.to_string()),
        (Some(_), _) => {
            errors.push(
                "the instance's `start_url` is not an `https://` access portal URL".to_string(),
            );
            None
        }
        (None, Some(id)) if is_identity_store_id(id) => Some(default_start_url(id)),
        (None, Some(_)) => {
            errors.push("the identity store id is not of the form `d-` and 10 characters; the portal URL cannot be made from it".to_string());
            None
        }
        (None, None) => {
            errors.push("the portal URL is unknown: give `start_url \"https://…/start\"` or `identity_store \"d-…\"` in `instance { }` (an org snapshot records the identity store too); without `start_url` the URL is `https://d-….awsapps.com/start`".to_string());
            None
        }
    };
    // The session is named after the identity store, else after the portal's host.
    let session_name = store
        .filter(|id| is_identity_store_id(id))
        .map(str::to_string)
        .or_else(|| {
            start_url.as_deref().map(|u| {
                u.trim_start_matches("https://")
                    .split(['/', '.'])
                    .next()
                    .unwrap_or("accessc")
                    .to_string()
            })
        });
    let region = match ir.instance.region.as_deref() {
        Some(r) if is_region(r) => Some(r),
        Some(_) => {
            errors.push("the instance's `region` is not an AWS Region".to_string());
            None
        }
        None => {
            errors.push("the instance's Region is unknown: give `region \"…\"` in `instance { }` (the home Region, where the portal signs in); it is each profile's `sso_region`".to_string());
            None
        }
    };
    let (Some(start_url), Some(region), Some(session)) = (start_url, region, session_name) else {
        return Err(errors);
    };

    // (principal type, name) → (profile name → section)
    let mut per_principal: BTreeMap<(PrincipalType, &str), BTreeMap<String, String>> =
        BTreeMap::new();
    for a in &ir.assignments {
        let Some(set) = ir.permission_set(&a.permission_set) else {
            errors.push(format!(
                "assignment of `{}` names no permission set of the program",
                a.permission_set
            ));
            continue;
        };
        let account = ir.account_name(&a.account_id).unwrap_or(&a.account_id);
        let profile = template.render(account, &a.account_id, &set.function, &set.name);
        if profile.len() > MAX_PROFILE_NAME {
            errors.push(format!(
                "profile name `{profile}` is over {MAX_PROFILE_NAME} characters: use a shorter `--profile-name-template`"
            ));
            continue;
        }
        if !is_account_id(&a.account_id) || !plain_value(&set.name) {
            errors.push(format!(
                "assignment of `{}` in `{}`: the account id or permission set name cannot be written in an AWS config file",
                set.name.escape_debug(),
                a.account_id.escape_debug()
            ));
            continue;
        }
        let section = format!(
            "[profile {profile}]\nsso_session = {session}\nsso_account_id = {}\nsso_role_name = {}\nregion = {region}\noutput = json\n",
            a.account_id, set.name
        );
        let profiles = per_principal
            .entry((a.principal_type, a.principal.as_str()))
            .or_default();
        match profiles.get(&profile) {
            Some(existing) if *existing != section => errors.push(format!(
                "{} `{}`: two profiles are both named `{profile}` (account and function names that differ only in characters a profile name cannot hold): use a `--profile-name-template` with `{{account_id}}` or `{{permission_set}}`",
                kind_word(a.principal_type),
                a.principal
            )),
            Some(_) => {}
            None => {
                profiles.insert(profile, section);
            }
        }
    }
    let mut files = AwsConfigFiles::default();
    for ((kind, name), profiles) in per_principal {
        let file = format!("{name}{SUFFIX}");
        let plain = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
            && name.len() <= 200;
        if !plain {
            errors.push(format!(
                "{} `{}`: not an identifier, so not a file name",
                kind_word(kind),
                name.escape_debug()
            ));
            continue;
        }
        let mut text = format!(
            "# AWS CLI profiles for the {} `{name}`, generated by accessc.\n\
             # Add them to ~/.aws/config, sign in with `aws sso login --sso-session {session}`,\n\
             # then use one with `--profile NAME` or AWS_PROFILE=NAME.\n\n\
             [sso-session {session}]\n\
             sso_start_url = {start_url}\n\
             sso_region = {region}\n\
             sso_registration_scopes = {REGISTRATION_SCOPES}\n",
            kind_word(kind)
        );
        for section in profiles.values() {
            text.push('\n');
            text.push_str(section);
        }
        let out = OutFile::new(file, text);
        match kind {
            PrincipalType::Group => files.groups.push(out),
            PrincipalType::User => files.users.push(out),
        }
    }
    if errors.is_empty() {
        Ok(files)
    } else {
        Err(errors)
    }
}

fn kind_word(kind: PrincipalType) -> &'static str {
    match kind {
        PrincipalType::Group => "group",
        PrincipalType::User => "user",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Account, Assignment, Instance, PermissionSet, SessionDuration};

    fn ir() -> Ir {
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
        let assign = |set: &str, kind, who: &str, acct: &str| Assignment {
            permission_set: set.into(),
            principal_type: kind,
            principal: who.into(),
            principal_id: None,
            account_id: acct.into(),
            until: None,
            owner: None,
        };
        let mut ir = Ir {
            instance: Instance {
                identity_store_id: Some("d-1234567890".into()),
                region: Some("eu-west-1".into()),
                ..Instance::default()
            },
            permission_sets: vec![set("Dev"), set("Ops")],
            assignments: vec![
                assign("Dev", PrincipalType::Group, "devs", "111111111111"),
                assign("Ops", PrincipalType::Group, "devs", "111111111111"),
                assign("Ops", PrincipalType::User, "alice", "222222222222"),
            ],
            ..Ir::default()
        };
        ir.org.accounts = vec![
            Account {
                id: "111111111111".into(),
                name: "app-dev".into(),
                ou_path: String::new(),
                status: None,
            },
            Account {
                id: "222222222222".into(),
                name: "app prod".into(),
                ou_path: String::new(),
                status: None,
            },
        ];
        ir
    }

    #[test]
    fn one_file_per_principal_with_a_session_and_a_profile_per_assignment() {
        let files = emit_aws_config(&ir(), &ProfileNameTemplate::default()).expect("files");
        assert_eq!(files.groups.len(), 1);
        assert_eq!(files.users.len(), 1);
        let devs = &files.groups[0];
        assert_eq!(devs.path, "devs.config");
        assert!(devs.contents.contains("[sso-session d-1234567890]\nsso_start_url = https://d-1234567890.awsapps.com/start\nsso_region = eu-west-1\nsso_registration_scopes = sso:account:access\n"));
        assert!(devs.contents.contains("[profile app-dev-Dev]\nsso_session = d-1234567890\nsso_account_id = 111111111111\nsso_role_name = Dev\n"));
        assert!(devs.contents.contains("[profile app-dev-Ops]"));
        // A space in an account name becomes `-` in the profile name.
        assert!(files.users[0].contents.contains("[profile app-prod-Ops]"));
    }

    #[test]
    fn templates_are_checked() {
        for bad in [
            "",
            "{account}",
            "{function}",
            "{acct}-{function}",
            "{account} {function}",
            "{account}-{function",
            "{account}]\n[x",
        ] {
            assert!(ProfileNameTemplate::new(bad).is_err(), "{bad:?}");
        }
        let t = ProfileNameTemplate::new("{account_id}_{permission_set}").expect("template");
        let files = emit_aws_config(&ir(), &t).expect("files");
        assert!(files.groups[0]
            .contents
            .contains("[profile 111111111111_Dev]"));
    }

    #[test]
    fn a_value_that_could_open_a_section_is_refused() {
        let mut ir = ir();
        ir.permission_sets[0].name = "Dev]\n[profile x".into();
        ir.assignments[0].permission_set = "Dev]\n[profile x".into();
        assert!(emit_aws_config(&ir, &ProfileNameTemplate::default()).is_err());
        let mut ir2 = self::ir();
        ir2.instance.identity_store_id = Some("d-12\n[x]".into());
        assert!(emit_aws_config(&ir2, &ProfileNameTemplate::default()).is_err());
    }

    #[test]
    fn names_that_collide_after_reduction_are_refused() {
        let mut ir = ir();
        ir.org.accounts[1].name = "app-dev".into();
        ir.assignments[2].principal_type = PrincipalType::Group;
        ir.assignments[2].principal = "devs".into();
        ir.assignments[2].permission_set = "Dev".into();
        let errors = emit_aws_config(&ir, &ProfileNameTemplate::default()).expect_err("clash");
        assert!(errors[0].contains("two profiles"), "{errors:?}");
    }

    #[test]
    fn a_start_url_is_used_over_the_default() {
        let mut ir = ir();
        ir.instance.start_url = Some("https://my-company.awsapps.com/start".into());
        let files = emit_aws_config(&ir, &ProfileNameTemplate::default()).expect("files");
        assert!(files.groups[0].contents.contains(
            "[sso-session d-1234567890]\nsso_start_url = https://my-company.awsapps.com/start\n"
        ));
        ir.instance.identity_store_id = None;
        let files = emit_aws_config(&ir, &ProfileNameTemplate::default()).expect("files");
        assert!(files.groups[0]
            .contents
            .contains("[sso-session my-company]\n"));
        ir.instance.start_url = Some("https://x.example/start\n[profile y]".into());
        assert!(emit_aws_config(&ir, &ProfileNameTemplate::default()).is_err());
    }

    #[test]
    fn a_missing_store_or_region_says_what_to_add() {
        let mut ir = ir();
        ir.instance = Instance::default();
        let errors = emit_aws_config(&ir, &ProfileNameTemplate::default()).expect_err("no store");
        assert_eq!(errors.len(), 2);
        assert!(errors[0].contains("identity_store"));
        assert!(errors[1].contains("region"));
    }
}
