//! The org snapshot format `accessc-org/1` (`docs/org-snapshot.md`): the one
//! set of types that `accessc org snapshot` and the benchmark generator write
//! and `org from` reads. [`OrgSnapshot::from_json`] reads the shape through
//! serde (the first error, at its JSON path); [`OrgSnapshot::validate`] then
//! checks every value and reports every error, each at its JSON path.

use crate::aws_ids::{is_account_id, is_identity_store_id, is_ou_id, is_principal_id, is_root_id};
use crate::check::text;
use indexmap::IndexMap;
use serde::de::value::MapAccessDeserializer;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_path_to_error::Segment;
use std::marker::PhantomData;

/// The `format` of every snapshot this version reads and writes.
pub const FORMAT: &str = "accessc-org/1";

/// AWS Organizations allows five levels of OUs below the root.
pub const MAX_OU_DEPTH: usize = 5;

/// A whole snapshot. Fields are written in this order, optional ones only
/// when present.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgSnapshot {
    pub format: String,
    /// The organization root id (`r-…`).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub root: Option<String>,
    /// The 12-digit id of the management account, one of the accounts.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub management_account: Option<String>,
    /// Accounts directly under the root.
    #[serde(default, deserialize_with = "objects")]
    pub accounts: Vec<Account>,
    /// OUs directly under the root.
    #[serde(default, deserialize_with = "objects")]
    pub ous: Vec<Ou>,
    #[serde(
        default,
        deserialize_with = "object",
        skip_serializing_if = "Option::is_none"
    )]
    pub identity_store: Option<IdentityStore>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// An identifier of the language: what `account NAME` targets.
    pub name: String,
    pub id: String,
    /// AWS Organizations' account state (`SUSPENDED`, `CLOSED`, …); absent
    /// means `ACTIVE`, and `accessc org snapshot` writes it only otherwise.
    /// [`OrgSnapshot::validate`] refuses a value that is not an
    /// [`AccountStatus`].
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub status: Option<String>,
}

impl Account {
    /// The account's state; `ACTIVE` when absent. An unknown value reads as
    /// `ACTIVE` here: [`OrgSnapshot::validate`] reports it.
    pub fn state(&self) -> AccountStatus {
        self.status
            .as_deref()
            .and_then(AccountStatus::parse)
            .unwrap_or(AccountStatus::Active)
    }
}

/// An account's state in AWS Organizations (`Account.State`, or the older
/// `Account.Status`, which has the first three values only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AccountStatus {
    #[default]
    Active,
    Suspended,
    PendingClosure,
    Closed,
    PendingActivation,
}

impl AccountStatus {
    /// Every state, in the order AWS documents them.
    pub const ALL: [AccountStatus; 5] = [
        AccountStatus::Active,
        AccountStatus::Suspended,
        AccountStatus::PendingClosure,
        AccountStatus::Closed,
        AccountStatus::PendingActivation,
    ];

    /// The value AWS (and the snapshot) spells, e.g. `PENDING_CLOSURE`.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Active => "ACTIVE",
            AccountStatus::Suspended => "SUSPENDED",
            AccountStatus::PendingClosure => "PENDING_CLOSURE",
            AccountStatus::Closed => "CLOSED",
            AccountStatus::PendingActivation => "PENDING_ACTIVATION",
        }
    }

    /// The state AWS spells `s`, exactly (AWS's values are upper case).
    pub fn parse(s: &str) -> Option<AccountStatus> {
        AccountStatus::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// Whether IAM Identity Center can assign access in an account of this
    /// state. A suspended, closing or closed account cannot be signed in to,
    /// and an assignment to it fails or never completes; an account still
    /// being activated is kept (it becomes `ACTIVE` by itself).
    pub fn is_assignable(self) -> bool {
        !matches!(
            self,
            AccountStatus::Suspended | AccountStatus::PendingClosure | AccountStatus::Closed
        )
    }
}

impl std::fmt::Display for AccountStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ou {
    /// An identifier of the language: one segment of an OU path.
    pub name: String,
    /// `ou-…`; absent or `null` when not known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "objects")]
    pub accounts: Vec<Account>,
    #[serde(default, deserialize_with = "objects")]
    pub ous: Vec<Ou>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityStore {
    /// `d-…`
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<String>,
    /// Group DisplayName → GroupId.
    #[serde(default)]
    pub groups: IndexMap<String, String>,
    /// UserName → UserId.
    #[serde(default)]
    pub users: IndexMap<String, String>,
}

/// An optional field that, when present, holds a value (`null` is refused).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// A struct read from a JSON object only (serde reads one from an array of
/// its fields too).
struct Object<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ObjectVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
            type Value = Object<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Object<T>, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(Object)
            }
        }
        d.deserialize_map(ObjectVisitor(PhantomData))
    }
}

/// An optional field that, when present, holds an object.
fn object<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    Object::<T>::deserialize(d).map(|o| Some(o.0))
}

/// An array of objects.
fn objects<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Vec::<Object<T>>::deserialize(d).map(|v| v.into_iter().map(|o| o.0).collect())
}

/// One thing wrong with a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotError {
    /// The JSON path of the wrong value (`ous[1].accounts[0].id`); empty for
    /// the whole document.
    pub path: String,
    /// What is wrong, naming the path.
    pub message: String,
}

impl std::fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Why a text is not a snapshot's shape.
#[derive(Debug)]
pub enum ReadError {
    /// Not JSON at all.
    Syntax(serde_json::Error),
    /// JSON, but a value of the wrong type or a required field missing (the
    /// first one found).
    Shape(SnapshotError),
}

impl OrgSnapshot {
    /// Read a snapshot's shape from JSON text; [`Self::validate`] checks its
    /// values.
    pub fn from_json(text: &str) -> Result<Self, ReadError> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(ReadError::Syntax)?;
        serde_path_to_error::deserialize(value)
            .map(|o: Object<Self>| o.0)
            .map_err(|e| ReadError::Shape(shape_error(&e)))
    }

    /// The snapshot as its file's text: two-space indentation, a final
    /// newline.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        Ok(text)
    }

    /// Every value that is not what the format allows, in document order.
    pub fn validate(&self) -> Vec<SnapshotError> {
        let mut v = Validator::default();
        if self.format != FORMAT {
            v.error(
                "format",
                format!(
                    "`format` is `{}`, expected `{FORMAT}`",
                    text::escaped(&self.format)
                ),
            );
        }
        if let Some(r) = &self.root {
            if !is_root_id(r) {
                v.error(
                    "root",
                    format!(
                        "`root` `{}` is not an organization root id (r-xxxx)",
                        text::escaped(r)
                    ),
                );
            }
        }
        v.accounts(&self.accounts, "accounts");
        v.ous(&self.ous, "ous", 1);
        if let Some(m) = &self.management_account {
            if !self.all_accounts().any(|a| &a.id == m) {
                v.error(
                    "management_account",
                    format!(
                        "`management_account` `{}` is not one of the accounts",
                        text::escaped(m)
                    ),
                );
            }
        }
        if let Some(store) = &self.identity_store {
            v.store(store);
        }
        v.errors
    }

    /// Every account, the root's first, then each OU's before the OUs below
    /// it.
    pub fn all_accounts(&self) -> impl Iterator<Item = &Account> {
        fn under<'s>(ous: &'s [Ou], out: &mut Vec<&'s Account>) {
            for o in ous {
                out.extend(&o.accounts);
                under(&o.ous, out);
            }
        }
        let mut out: Vec<&Account> = self.accounts.iter().collect();
        under(&self.ous, &mut out);
        out.into_iter()
    }
}

#[derive(Default)]
struct Validator {
    errors: Vec<SnapshotError>,
}

impl Validator {
    fn error(&mut self, path: &str, message: String) {
        self.errors.push(SnapshotError {
            path: path.to_string(),
            message,
        });
    }

    fn accounts(&mut self, accounts: &[Account], at: &str) {
        for (i, a) in accounts.iter().enumerate() {
            let here = format!("{at}[{i}]");
            if !is_ident(&a.name) {
                self.error(
                    &format!("{here}.name"),
                    format!(
                        "`{here}.name` `{}` is not an identifier ([A-Za-z_][A-Za-z0-9_-]*)",
                        text::escaped(&a.name)
                    ),
                );
            }
            if !is_account_id(&a.id) {
                self.error(
                    &format!("{here}.id"),
                    format!(
                        "`{here}.id` `{}` is not a 12-digit account id",
                        text::escaped(&a.id)
                    ),
                );
            }
            if let Some(status) = &a.status {
                if AccountStatus::parse(status).is_none() {
                    let known: Vec<&str> = AccountStatus::ALL.iter().map(|s| s.as_str()).collect();
                    self.error(
                        &format!("{here}.status"),
                        format!(
                            "`{here}.status` `{}` is not an account state ({})",
                            text::escaped(status),
                            known.join(", ")
                        ),
                    );
                }
            }
        }
    }

    fn ous(&mut self, ous: &[Ou], at: &str, depth: usize) {
        if ous.is_empty() {
            return;
        }
        if depth > MAX_OU_DEPTH {
            self.error(
                at,
                format!("`{at}` is nested deeper than the five OU levels AWS allows"),
            );
            return;
        }
        for (i, o) in ous.iter().enumerate() {
            let here = format!("{at}[{i}]");
            if !is_ident(&o.name) {
                self.error(
                    &format!("{here}.name"),
                    format!(
                        "`{here}.name` `{}` is not an identifier ([A-Za-z_][A-Za-z0-9_-]*)",
                        text::escaped(&o.name)
                    ),
                );
            }
            if let Some(id) = &o.id {
                if !is_ou_id(id) {
                    self.error(
                        &format!("{here}.id"),
                        format!(
                            "`{here}.id` `{}` is not an OU id (ou-xxxx-xxxxxxxx)",
                            text::escaped(id)
                        ),
                    );
                }
            }
            self.accounts(&o.accounts, &format!("{here}.accounts"));
            self.ous(&o.ous, &format!("{here}.ous"), depth + 1);
        }
    }

    fn store(&mut self, store: &IdentityStore) {
        if let Some(id) = &store.id {
            if !is_identity_store_id(id) {
                self.error(
                    "identity_store.id",
                    format!(
                        "`identity_store.id` `{}` is not an identity store id (d-xxxxxxxxxx)",
                        text::escaped(id)
                    ),
                );
            }
        }
        for (field, map) in [("groups", &store.groups), ("users", &store.users)] {
            let (what, max, ok): (&str, usize, fn(char) -> bool) = if field == "groups" {
                ("display name", 1024, text::display_name_char)
            } else {
                ("user name", 128, text::user_name_char)
            };
            for (k, id) in map {
                let shown = text::escaped(k);
                let at = format!("identity_store.{field}.{shown}");
                let count = k.chars().count();
                if count == 0 || count > max {
                    self.error(
                        &at,
                        format!(
                            "`identity_store.{field}` key `{shown}`: a {what} is 1 to {max} characters"
                        ),
                    );
                } else if let Some(msg) = text::bad_char(what, k, ok) {
                    self.error(
                        &at,
                        format!("`identity_store.{field}` key `{shown}`: {msg}"),
                    );
                }
                if !is_principal_id(id) {
                    self.error(
                        &at,
                        format!("`{at}` `{}` is not an identity-store id", text::escaped(id)),
                    );
                }
            }
        }
    }
}

/// A serde error as the message for its place in the format.
fn shape_error(e: &serde_path_to_error::Error<serde_json::Error>) -> SnapshotError {
    let segments: Vec<&Segment> = e.path().iter().collect();
    let mut path = String::new();
    for s in &segments {
        match s {
            Segment::Seq { index } => path.push_str(&format!("[{index}]")),
            Segment::Map { key } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&text::escaped(key));
            }
            Segment::Enum { variant } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(variant);
            }
            Segment::Unknown => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push('?');
            }
        }
    }
    let inner = e.inner().to_string();
    let key = |i: usize| match segments.get(i) {
        Some(Segment::Map { key }) => Some(key.as_str()),
        _ => None,
    };
    let is_seq = |i: usize| matches!(segments.get(i), Some(Segment::Seq { .. }));
    let n = segments.len();
    // The path without its last segment.
    let parent = || match path.rfind(['.', '[']) {
        Some(i) => path.get(..i).unwrap_or_default().to_string(),
        None => String::new(),
    };
    let message = match (n, key(n.wrapping_sub(1))) {
        (0, _) if inner.starts_with("missing field `format`") => {
            format!("`format` is missing (expected `{FORMAT}`)")
        }
        (0, _) => "the top level must be an object".to_string(),
        (1, Some("format")) => format!("`format` is missing (expected `{FORMAT}`)"),
        (1, Some(f @ ("root" | "management_account"))) => format!("`{f}` must be a string"),
        (1, Some("identity_store")) => "`identity_store` must be an object".to_string(),
        (2, Some("id")) if key(0) == Some("identity_store") => {
            "`identity_store.id` must be a string".to_string()
        }
        (2, Some(f @ ("groups" | "users"))) if key(0) == Some("identity_store") => {
            format!("`identity_store.{f}` must be an object of name → id")
        }
        (3, Some(_)) if key(0) == Some("identity_store") => {
            format!("`{path}` must be a string id")
        }
        (_, Some("accounts" | "ous")) => format!("`{path}` must be an array"),
        // An account, or one of its fields.
        (_, None) if is_seq(n - 1) && key(n.wrapping_sub(2)) == Some("accounts") => {
            format!("`{path}` needs string fields `name` and `id`")
        }
        (_, Some("name" | "id")) if n >= 3 && is_seq(n - 2) && key(n - 3) == Some("accounts") => {
            format!("`{}` needs string fields `name` and `id`", parent())
        }
        (_, Some("status")) if n >= 3 && is_seq(n - 2) && key(n - 3) == Some("accounts") => {
            format!("`{path}` must be a string (an account state such as `SUSPENDED`)")
        }
        // An OU, or one of its fields.
        (_, None) if is_seq(n - 1) && key(n.wrapping_sub(2)) == Some("ous") => {
            format!("`{path}` needs a string field `name`")
        }
        (_, Some("name")) if n >= 3 && is_seq(n - 2) && key(n - 3) == Some("ous") => {
            format!("`{}` needs a string field `name`", parent())
        }
        (_, Some("id")) if n >= 3 && is_seq(n - 2) && key(n - 3) == Some("ous") => {
            format!("`{path}` must be a string")
        }
        _ => format!("`{path}`: {inner}"),
    };
    SnapshotError { path, message }
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{
  "format": "accessc-org/1",
  "root": "r-ab12",
  "management_account": "999999999999",
  "accounts": [
    {
      "name": "management",
      "id": "999999999999"
    }
  ],
  "ous": [
    {
      "name": "Workloads",
      "id": "ou-ab12-11111111",
      "accounts": [],
      "ous": [
        {
          "name": "NonProd",
          "id": "ou-ab12-22222222",
          "accounts": [
            {
              "name": "app-a-dev",
              "id": "111111111111"
            }
          ],
          "ous": []
        }
      ]
    }
  ],
  "identity_store": {
    "id": "d-1234567890",
    "groups": {
      "aws-team-a-engineers": "9067a2c4-1111-2222-3333-444455556666"
    },
    "users": {}
  }
}
"#;

    fn read(text: &str) -> OrgSnapshot {
        match OrgSnapshot::from_json(text) {
            Ok(s) => s,
            Err(e) => panic!("{e:?}"),
        }
    }

    fn shape(text: &str) -> String {
        match OrgSnapshot::from_json(text) {
            Err(ReadError::Shape(e)) => e.message,
            other => panic!("not a shape error: {other:?}"),
        }
    }

    #[test]
    fn a_snapshot_is_written_back_byte_for_byte() {
        let s = read(GOOD);
        assert_eq!(s.validate(), []);
        assert_eq!(s.to_json().expect("json"), GOOD);
        assert_eq!(
            s.all_accounts()
                .map(|a| a.name.as_str())
                .collect::<Vec<_>>(),
            ["management", "app-a-dev"]
        );
    }

    #[test]
    fn absent_fields_are_not_written() {
        let s = read(r#"{"format": "accessc-org/1", "ous": [{"name": "A", "id": null}]}"#);
        assert_eq!(
            s.to_json().expect("json"),
            "{\n  \"format\": \"accessc-org/1\",\n  \"accounts\": [],\n  \"ous\": [\n    {\n      \"name\": \"A\",\n      \"accounts\": [],\n      \"ous\": []\n    }\n  ]\n}\n"
        );
    }

    #[test]
    fn every_wrong_value_is_an_error_at_its_path() {
        let text = GOOD
            .replace("\"r-ab12\"", "\"R-1\"")
            .replace("\"app-a-dev\"", "\"app a dev\"")
            .replace("\"111111111111\"", "\"1111\"")
            .replace("\"ou-ab12-22222222\"", "\"ou-x\"")
            .replace("\"d-1234567890\"", "\"d-1\"")
            .replace("\"aws-team-a-engineers\"", "\"\"");
        let paths: Vec<String> = read(&text).validate().into_iter().map(|e| e.path).collect();
        assert_eq!(
            paths,
            [
                "root",
                "ous[0].ous[0].id",
                "ous[0].ous[0].accounts[0].name",
                "ous[0].ous[0].accounts[0].id",
                "identity_store.id",
                "identity_store.groups.",
            ]
        );
        let wrong = read(&GOOD.replace("accessc-org/1", "accessc-org/2")).validate();
        assert_eq!(
            wrong[0].message,
            "`format` is `accessc-org/2`, expected `accessc-org/1`"
        );
    }

    #[test]
    fn five_levels_of_ous_are_allowed_and_a_sixth_is_not() {
        let nest = |levels: usize| {
            let mut ou = Ou {
                name: "L".into(),
                id: None,
                accounts: Vec::new(),
                ous: Vec::new(),
            };
            for _ in 1..levels {
                ou = Ou {
                    name: "L".into(),
                    id: None,
                    accounts: Vec::new(),
                    ous: vec![ou],
                };
            }
            OrgSnapshot {
                format: FORMAT.into(),
                root: None,
                management_account: None,
                accounts: Vec::new(),
                ous: vec![ou],
                identity_store: None,
            }
        };
        // As `accessc org snapshot` writes it: `"ous": []` under the fifth level.
        let five = nest(5);
        assert_eq!(read(&five.to_json().expect("json")).validate(), []);
        let six = nest(6).validate();
        assert_eq!(six.len(), 1);
        assert_eq!(six[0].path, "ous[0].ous[0].ous[0].ous[0].ous[0].ous");
    }

    #[test]
    fn a_value_of_the_wrong_shape_is_named_by_its_path() {
        let cases: &[(&str, &str)] = &[
            (r#"[]"#, "the top level must be an object"),
            (r#"{}"#, "`format` is missing (expected `accessc-org/1`)"),
            (
                r#"{"format": 1}"#,
                "`format` is missing (expected `accessc-org/1`)",
            ),
            (
                r#"{"format": "accessc-org/1", "root": null}"#,
                "`root` must be a string",
            ),
            (
                r#"{"format": "accessc-org/1", "management_account": 9}"#,
                "`management_account` must be a string",
            ),
            (
                r#"{"format": "accessc-org/1", "accounts": {}}"#,
                "`accounts` must be an array",
            ),
            (
                r#"{"format": "accessc-org/1", "accounts": [{"name": "a"}]}"#,
                "`accounts[0]` needs string fields `name` and `id`",
            ),
            (
                r#"{"format": "accessc-org/1", "accounts": [{"name": "a", "id": 1}]}"#,
                "`accounts[0]` needs string fields `name` and `id`",
            ),
            (
                r#"{"format": "accessc-org/1", "accounts": [{"name": "a", "id": "111111111111", "status": null}]}"#,
                "`accounts[0].status` must be a string (an account state such as `SUSPENDED`)",
            ),
            (
                r#"{"format": "accessc-org/1", "ous": [{"name": "A", "accounts": ["x"]}]}"#,
                "`ous[0].accounts[0]` needs string fields `name` and `id`",
            ),
            (
                r#"{"format": "accessc-org/1", "ous": [{"name": "A", "ous": [{}]}]}"#,
                "`ous[0].ous[0]` needs a string field `name`",
            ),
            (
                r#"{"format": "accessc-org/1", "ous": [{"name": 5}]}"#,
                "`ous[0]` needs a string field `name`",
            ),
            (
                r#"{"format": "accessc-org/1", "ous": [{"name": "A", "id": 5}]}"#,
                "`ous[0].id` must be a string",
            ),
            (
                r#"{"format": "accessc-org/1", "ous": [{"name": "A", "ous": 5}]}"#,
                "`ous[0].ous` must be an array",
            ),
            (
                r#"{"format": "accessc-org/1", "identity_store": []}"#,
                "`identity_store` must be an object",
            ),
            (
                r#"{"format": "accessc-org/1", "identity_store": {"id": null}}"#,
                "`identity_store.id` must be a string",
            ),
            (
                r#"{"format": "accessc-org/1", "identity_store": {"users": []}}"#,
                "`identity_store.users` must be an object of name → id",
            ),
            (
                r#"{"format": "accessc-org/1", "identity_store": {"groups": {"a\nb": 1}}}"#,
                "`identity_store.groups.a\\u{a}b` must be a string id",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(shape(text), *want, "{text}");
        }
        assert!(matches!(
            OrgSnapshot::from_json("{"),
            Err(ReadError::Syntax(_))
        ));
    }

    #[test]
    fn an_account_state_is_read_written_and_checked() {
        let text = GOOD.replace(
            "\"id\": \"111111111111\"\n",
            "\"id\": \"111111111111\",\n              \"status\": \"SUSPENDED\"\n",
        );
        assert_ne!(text, GOOD);
        let s = read(&text);
        assert_eq!(s.validate(), []);
        assert_eq!(s.to_json().expect("json"), text);
        let states: Vec<AccountStatus> = s.all_accounts().map(|a| a.state()).collect();
        assert_eq!(states, [AccountStatus::Active, AccountStatus::Suspended]);
        for state in AccountStatus::ALL {
            assert_eq!(AccountStatus::parse(state.as_str()), Some(state));
        }
        assert!(!AccountStatus::Closed.is_assignable());
        assert!(!AccountStatus::PendingClosure.is_assignable());
        assert!(AccountStatus::PendingActivation.is_assignable());

        let wrong = read(&text.replace("SUSPENDED", "suspended")).validate();
        assert_eq!(wrong.len(), 1);
        assert_eq!(wrong[0].path, "ous[0].ous[0].accounts[0].status");
        assert_eq!(
            wrong[0].message,
            "`ous[0].ous[0].accounts[0].status` `suspended` is not an account state \
             (ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED, PENDING_ACTIVATION)"
        );
    }
}
