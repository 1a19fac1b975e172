//! The live organization and identity store → the `accessc-org/1` snapshot
//! that `org from "org.json"` reads (`docs/org-snapshot.md`). OUs at every
//! depth and their accounts come from AWS Organizations, level by level; the
//! identity store ids of the program's groups and users from `GetGroupId` /
//! `GetUserId` (every group and user when no program is given). The output is
//! deterministic: the same organization gives the same bytes.

use super::client::Aws;
use super::live::{bounded, list_store, resolve_instance, resolve_names};
use super::{AwsError, ErrorKind};
use accessc_core::ir::PrincipalType;
use accessc_core::org_snapshot::{self, IdentityStore, OrgSnapshot};
use std::collections::{BTreeMap, HashMap, HashSet};

#[derive(Debug, Clone, Default)]
pub struct SnapshotOptions {
    pub instance_arn: Option<String>,
    /// The program's principals (type, DisplayName or UserName); `None`: all.
    pub principals: Option<Vec<(PrincipalType, String)>>,
    pub concurrency: usize,
}

#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The file's text, with a final newline.
    pub json: String,
    pub accounts: usize,
    pub ous: usize,
    pub groups: usize,
    pub users: usize,
    /// Principals of the program that are not in the identity store.
    pub missing: Vec<String>,
}

/// An AWS name made an identifier of the language: every run of characters
/// outside `[A-Za-z0-9_-]` becomes one `-`, trailing dashes go, and a name
/// that does not start with a letter or `_` gets a leading `_`.
pub fn identifier(name: &str) -> String {
    let mut out = String::new();
    let mut gap = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
            if gap && !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
            gap = false;
            out.push(c);
        } else {
            gap = true;
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        return "unnamed".into();
    }
    if !out.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        out.insert(0, '_');
    }
    out
}

/// `name`, or `name-2`, `name-3` … whichever is not taken yet.
fn unique(name: String, taken: &mut HashSet<String>) -> String {
    if taken.insert(name.clone()) {
        return name;
    }
    let mut n = 2;
    loop {
        let candidate = format!("{name}-{n}");
        if taken.insert(candidate.clone()) {
            return candidate;
        }
        n += 1;
    }
}

#[derive(Default, Clone)]
struct Children {
    ous: Vec<(String, String)>,
    /// (id, name, state when not `ACTIVE`)
    accounts: Vec<(String, String, Option<String>)>,
}

/// An account's state as the snapshot records it: AWS Organizations'
/// `State` when the answer has it, else the older `Status`; `None` for
/// `ACTIVE` (the default), so snapshots of healthy organizations do not
/// change. A value this version does not know is kept as AWS spells it, and
/// `org from` then reports it.
fn account_state(a: &aws_sdk_organizations::types::Account) -> Option<String> {
    let state = a
        .state()
        .map(|s| s.as_str())
        .or_else(|| a.status().map(|s| s.as_str()))?;
    (state != "ACTIVE").then(|| state.chars().take(64).collect())
}

/// Every account of the organization with its state as a snapshot records
/// it (`None`: `ACTIVE`), from `ListAccounts`: one call per page of accounts,
/// where reading the tree takes calls per OU. What `plan` and `apply`
/// compare a snapshot's account states with.
pub async fn account_states(aws: &Aws) -> Result<BTreeMap<String, Option<String>>, AwsError> {
    let mut states = BTreeMap::new();
    aws.pages(
        "ListAccounts",
        |next| aws.org.list_accounts().set_next_token(next).send(),
        |r| r.next_token(),
        |r| {
            for a in r.accounts() {
                if let Some(id) = a.id() {
                    states.insert(id.to_string(), account_state(a));
                }
            }
        },
    )
    .await?;
    Ok(states)
}

async fn children(aws: Aws, parent: String) -> Result<(String, Children), AwsError> {
    let mut c = Children::default();
    aws.pages(
        "ListOrganizationalUnitsForParent",
        |next| {
            aws.org
                .list_organizational_units_for_parent()
                .parent_id(&parent)
                .set_next_token(next)
                .send()
        },
        |r| r.next_token(),
        |r| {
            for ou in r.organizational_units() {
                if let Some(id) = ou.id() {
                    c.ous
                        .push((id.to_string(), ou.name().unwrap_or(id).to_string()));
                }
            }
        },
    )
    .await?;
    aws.pages(
        "ListAccountsForParent",
        |next| {
            aws.org
                .list_accounts_for_parent()
                .parent_id(&parent)
                .set_next_token(next)
                .send()
        },
        |r| r.next_token(),
        |r| {
            for a in r.accounts() {
                if let Some(id) = a.id() {
                    c.accounts.push((
                        id.to_string(),
                        a.name().unwrap_or(id).to_string(),
                        account_state(a),
                    ));
                }
            }
        },
    )
    .await?;
    Ok((parent, c))
}

struct Builder<'a> {
    tree: &'a HashMap<String, Children>,
    account_names: HashSet<String>,
    accounts: usize,
    ous: usize,
}

impl Builder<'_> {
    fn accounts_of(&mut self, parent: &str) -> Vec<org_snapshot::Account> {
        let Some(c) = self.tree.get(parent) else {
            return Vec::new();
        };
        let mut list: Vec<(String, String, Option<String>)> = c
            .accounts
            .iter()
            .map(|(id, name, status)| (identifier(name), id.clone(), status.clone()))
            .collect();
        list.sort();
        list.into_iter()
            .map(|(name, id, status)| {
                self.accounts += 1;
                let name = unique(name, &mut self.account_names);
                org_snapshot::Account { name, id, status }
            })
            .collect()
    }

    fn ous_of(&mut self, parent: &str) -> Vec<org_snapshot::Ou> {
        let Some(c) = self.tree.get(parent) else {
            return Vec::new();
        };
        let mut list: Vec<(String, String)> = c
            .ous
            .iter()
            .map(|(id, name)| (identifier(name), id.clone()))
            .collect();
        list.sort();
        let mut taken = HashSet::new();
        list.into_iter()
            .map(|(name, id)| {
                self.ous += 1;
                let name = unique(name, &mut taken);
                let accounts = self.accounts_of(&id);
                let ous = self.ous_of(&id);
                org_snapshot::Ou {
                    name,
                    id: Some(id),
                    accounts,
                    ous,
                }
            })
            .collect()
    }
}

/// The snapshot of an organization read level by level (`tree`: each
/// parent's OUs and accounts), with how many accounts and OUs it holds.
fn document(
    tree: &HashMap<String, Children>,
    root: &str,
    management: Option<String>,
    store: String,
    groups: &BTreeMap<String, String>,
    users: &BTreeMap<String, String>,
) -> (OrgSnapshot, usize, usize) {
    let mut b = Builder {
        tree,
        account_names: HashSet::new(),
        accounts: 0,
        ous: 0,
    };
    let doc = OrgSnapshot {
        format: org_snapshot::FORMAT.to_string(),
        root: Some(root.to_string()),
        management_account: management,
        accounts: b.accounts_of(root),
        ous: b.ous_of(root),
        identity_store: Some(IdentityStore {
            id: Some(store),
            groups: groups.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            users: users.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        }),
    };
    (doc, b.accounts, b.ous)
}

/// The most OUs and accounts a live organization may hold before it is
/// refused as implausible (AWS allows five OU levels; its account quota can be
/// raised, but not this far).
pub const MAX_OUS: usize = 10_000;
pub const MAX_ACCOUNTS: usize = 100_000;

/// The organization's tree, read level by level: each parent's OUs and
/// accounts, the root id and the management account. The answers are
/// untrusted: more than five OU levels, an OU listed twice (a cycle) or more
/// than [`MAX_OUS`] OUs or [`MAX_ACCOUNTS`] accounts end the read.
async fn read_tree(
    aws: &Aws,
    concurrency: usize,
) -> Result<(HashMap<String, Children>, String, Option<String>), AwsError> {
    let org = aws
        .call("DescribeOrganization", || {
            aws.org.describe_organization().send()
        })
        .await
        .map_err(|e| match e.code.as_deref() {
            Some("AWSOrganizationsNotInUseException") => AwsError::new(
                ErrorKind::NotFound,
                "DescribeOrganization",
                "this account is not a member of an AWS organization",
            ),
            _ => e,
        })?;
    let management = org
        .organization()
        .and_then(|o| o.master_account_id())
        .map(str::to_string);
    let roots = aws
        .call("ListRoots", || aws.org.list_roots().send())
        .await?;
    let root = roots
        .roots()
        .first()
        .and_then(|r| r.id())
        .map(str::to_string)
        .ok_or_else(|| {
            AwsError::new(
                ErrorKind::NotFound,
                "ListRoots",
                "the organization has no root",
            )
        })?;

    let implausible =
        |what: String| AwsError::new(ErrorKind::Server, "reading the organization", what);
    let mut tree: HashMap<String, Children> = HashMap::new();
    let mut level = vec![root.clone()];
    let (mut ous, mut accounts) = (0usize, 0usize);
    let mut seen: HashSet<String> = HashSet::from([root.clone()]);
    // The root, then at most five levels of OUs.
    for depth in 0..=org_snapshot::MAX_OU_DEPTH {
        if level.is_empty() {
            break;
        }
        let futs = level
            .iter()
            .map(|p| children(aws.clone(), p.clone()))
            .collect();
        let found = bounded(concurrency.max(1), futs).await?;
        level = Vec::new();
        for (parent, c) in found {
            ous += c.ous.len();
            accounts += c.accounts.len();
            if ous > MAX_OUS || accounts > MAX_ACCOUNTS {
                return Err(implausible(format!(
                    "the organization lists more than {MAX_OUS} OUs or {MAX_ACCOUNTS} accounts"
                )));
            }
            for (id, _) in &c.ous {
                if !seen.insert(id.clone()) {
                    return Err(implausible(format!("OU {id} is listed twice")));
                }
                level.push(id.clone());
            }
            tree.insert(parent, c);
        }
        if depth == org_snapshot::MAX_OU_DEPTH && !level.is_empty() {
            return Err(implausible(format!(
                "OUs are nested more than {} levels deep",
                org_snapshot::MAX_OU_DEPTH
            )));
        }
    }
    Ok((tree, root, management))
}

/// The live organization (OUs and accounts, no identity store), named as
/// [`snapshot`] names it, so that it can stand in for a snapshot's tree.
pub async fn organization(aws: &Aws, concurrency: usize) -> Result<OrgSnapshot, AwsError> {
    let (tree, root, management) = read_tree(aws, concurrency).await?;
    let (mut doc, _, _) = document(
        &tree,
        &root,
        management,
        String::new(),
        &BTreeMap::new(),
        &BTreeMap::new(),
    );
    doc.identity_store = None;
    Ok(doc)
}

/// Read the organization and the identity store.
pub async fn snapshot(aws: &Aws, opts: &SnapshotOptions) -> Result<Snapshot, AwsError> {
    let (tree, root, management) = read_tree(aws, opts.concurrency).await?;

    let (_, store) = resolve_instance(aws, opts.instance_arn.as_deref()).await?;
    let (groups, users, missing) = match &opts.principals {
        Some(wanted) => resolve_names(aws, &store, wanted, opts.concurrency.max(1)).await?,
        None => {
            let mut g = BTreeMap::new();
            let mut u = BTreeMap::new();
            for p in list_store(aws, &store).await? {
                match p.kind {
                    PrincipalType::Group => g.insert(p.name, p.id),
                    PrincipalType::User => u.insert(p.name, p.id),
                };
            }
            (g, u, Vec::new())
        }
    };

    let (doc, accounts, ous) = document(&tree, &root, management, store, &groups, &users);
    let json = doc
        .to_json()
        .map_err(|e| AwsError::new(ErrorKind::Other, "writing the snapshot", e.to_string()))?;
    Ok(Snapshot {
        json,
        accounts,
        ous,
        groups: groups.len(),
        users: users.len(),
        missing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_identifiers() {
        assert_eq!(identifier("App A (dev)"), "App-A-dev");
        assert_eq!(identifier("app-a-dev"), "app-a-dev");
        assert_eq!(identifier("123 prod"), "_123-prod");
        assert_eq!(identifier("  Log   Archive!! "), "Log-Archive");
        assert_eq!(identifier("()"), "unnamed");
        assert_eq!(identifier("Ünïcode Team"), "n-code-Team");
    }

    /// The file is the documented shape, key for key: what a JSON object
    /// built in the documented key order prints as.
    #[test]
    fn the_snapshot_is_the_documented_json() {
        type Acct<'a> = (&'a str, &'a str, Option<&'a str>);
        let kids = |ous: &[(&str, &str)], accounts: &[Acct]| Children {
            ous: ous
                .iter()
                .map(|(i, n)| (i.to_string(), n.to_string()))
                .collect(),
            accounts: accounts
                .iter()
                .map(|(i, n, s)| (i.to_string(), n.to_string(), s.map(String::from)))
                .collect(),
        };
        let tree: HashMap<String, Children> = [
            (
                "r-ab12".to_string(),
                kids(
                    &[
                        ("ou-ab12-22222222", "Work loads"),
                        ("ou-ab12-11111111", "Security"),
                    ],
                    &[("999999999999", "Management", None)],
                ),
            ),
            (
                "ou-ab12-22222222".to_string(),
                kids(
                    &[("ou-ab12-33333333", "Prod")],
                    &[("111111111111", "app (dev)", None)],
                ),
            ),
            (
                "ou-ab12-33333333".to_string(),
                kids(
                    &[],
                    &[
                        ("222222222222", "app dev", Some("SUSPENDED")),
                        ("333333333333", "Management", None),
                    ],
                ),
            ),
        ]
        .into_iter()
        .collect();
        let groups: BTreeMap<String, String> = [(
            "team".to_string(),
            "9067a2c4-1111-2222-3333-444455556666".to_string(),
        )]
        .into();
        let (doc, accounts, ous) = document(
            &tree,
            "r-ab12",
            Some("999999999999".into()),
            "d-1234567890".into(),
            &groups,
            &BTreeMap::new(),
        );
        assert_eq!((accounts, ous), (4, 3));
        let want = serde_json::json!({
            "format": "accessc-org/1",
            "root": "r-ab12",
            "management_account": "999999999999",
            "accounts": [{"name": "Management", "id": "999999999999"}],
            "ous": [
                {"name": "Security", "id": "ou-ab12-11111111", "accounts": [], "ous": []},
                {
                    "name": "Work-loads",
                    "id": "ou-ab12-22222222",
                    "accounts": [{"name": "app-dev", "id": "111111111111"}],
                    "ous": [{
                        "name": "Prod",
                        "id": "ou-ab12-33333333",
                        "accounts": [
                            {"name": "Management-2", "id": "333333333333"},
                            {"name": "app-dev-2", "id": "222222222222", "status": "SUSPENDED"}
                        ],
                        "ous": []
                    }]
                }
            ],
            "identity_store": {
                "id": "d-1234567890",
                "groups": {"team": "9067a2c4-1111-2222-3333-444455556666"},
                "users": {}
            }
        });
        let mut text = serde_json::to_string_pretty(&want).expect("json");
        text.push('\n');
        assert_eq!(doc.to_json().expect("json"), text);
        assert_eq!(doc.validate(), []);
    }

    #[test]
    fn an_account_state_comes_from_state_else_status_and_active_is_not_written() {
        use aws_sdk_organizations::types::{Account, AccountState, AccountStatus};
        let with = |state: Option<AccountState>, status: Option<AccountStatus>| {
            account_state(
                &Account::builder()
                    .set_state(state)
                    .set_status(status)
                    .build(),
            )
        };
        assert_eq!(with(None, None), None);
        assert_eq!(with(Some(AccountState::Active), None), None);
        assert_eq!(with(None, Some(AccountStatus::Active)), None);
        assert_eq!(
            with(Some(AccountState::Closed), Some(AccountStatus::Suspended)).as_deref(),
            Some("CLOSED")
        );
        assert_eq!(
            with(None, Some(AccountStatus::PendingClosure)).as_deref(),
            Some("PENDING_CLOSURE")
        );
        assert_eq!(
            with(Some(AccountState::Active), Some(AccountStatus::Suspended)),
            None
        );
    }

    #[test]
    fn names_are_made_unique() {
        let mut taken = HashSet::new();
        assert_eq!(unique("a".into(), &mut taken), "a");
        assert_eq!(unique("a".into(), &mut taken), "a-2");
        assert_eq!(unique("a".into(), &mut taken), "a-3");
    }
}
