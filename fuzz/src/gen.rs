//! A grammar-aware program generator for the `structured` fuzz target.
//!
//! [`Program`] is built by `arbitrary` from the fuzzer's bytes: every item of
//! the language with its properties, statements and conditions. Names come
//! from small pools and every reference ([`Ref`]) picks one of the names the
//! program actually defines (now and then a name it does not, or one of
//! another kind), so that most references resolve and a good share of
//! programs check clean, which is what it takes to reach the backends.
//! [`Program::render`] prints it as `.access` text with random whitespace and
//! comments between tokens, in a random item order, and returns the other
//! files it names (a generated org snapshot).
//!
//! One in four programs is printed as generated (repeated names, repeated
//! properties, user grants without owner); the rest are tidied first, so
//! that errors come mainly from the values and references.

use arbitrary::Arbitrary;
use std::collections::BTreeSet;

/// A reference to a defined name: `defined[n % len]` for most values of `n`,
/// a name that is not defined, or one of another kind, for the rest.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub struct Ref(u8);

#[derive(Arbitrary, Debug)]
pub struct Program {
    /// Separators between tokens, one byte each, used in turn.
    layout: Vec<u8>,
    /// Swaps of the item order.
    order: Vec<(u8, u8)>,
    /// Tidy unless `raw % 4 == 0`.
    raw: u8,
    uses: Vec<UseGen>,
    instance: Option<InstanceGen>,
    attributes: Vec<(u8, u8)>,
    org: Option<OrgGen>,
    groups: Vec<GroupGen>,
    users: Vec<UserGen>,
    policies: Vec<PolicyGen>,
    managed: Vec<MpGen>,
    functions: Vec<FunctionGen>,
    grants: Vec<GrantGen>,
    rules: Vec<RuleGen>,
    quotas: Vec<(u8, u8)>,
}

#[derive(Arbitrary, Debug)]
enum UseGen {
    Std(u8),
    File(u8),
}

#[derive(Arbitrary, Debug)]
struct InstanceGen {
    arn: Option<u8>,
    identity_store: Option<u8>,
    region: Option<u8>,
    replicas: Vec<u8>,
}

#[derive(Arbitrary, Debug)]
struct OrgGen {
    /// Printed as `org from "generated-org.json"`, the same tree as JSON.
    from_json: bool,
    root: Option<u8>,
    management: Option<Ref>,
    ous: Vec<OuGen>,
    accounts: Vec<AccountGen>,
    with_identity_store: bool,
}

#[derive(Arbitrary, Debug)]
struct OuGen {
    /// An earlier OU, or the root when out of range.
    parent: u8,
    name: u8,
    id: Option<u8>,
}

#[derive(Arbitrary, Debug)]
struct AccountGen {
    parent: u8,
    name: u8,
    id: Option<u8>,
}

#[derive(Arbitrary, Debug)]
struct GroupGen {
    name: u8,
    display: Option<u8>,
    id: Option<u8>,
}

#[derive(Arbitrary, Debug)]
struct UserGen {
    name: u8,
    user_name: Option<u8>,
    id: Option<u8>,
}

#[derive(Arbitrary, Debug)]
struct PolicyGen {
    name: u8,
    doc: Option<u8>,
    from_json: Option<u8>,
    statements: Vec<StatementGen>,
}

#[derive(Arbitrary, Debug)]
struct MpGen {
    name: u8,
    path: Option<u8>,
    description: Option<u8>,
    external: bool,
    statements: Vec<StatementGen>,
    blocks: Vec<InBlockGen>,
}

#[derive(Arbitrary, Debug)]
struct InBlockGen {
    ou: Ref,
    statements: Vec<StatementGen>,
    inner: Vec<(Ref, Vec<StatementGen>)>,
}

#[derive(Arbitrary, Debug)]
struct StatementGen {
    sid: Option<u8>,
    deny: bool,
    not_action: bool,
    actions: Vec<u8>,
    not_resource: bool,
    resources: Vec<u8>,
    conditions: Vec<ConditionGen>,
}

#[derive(Arbitrary, Debug)]
enum ConditionGen {
    Tag {
        scope: u8,
        key: u8,
        negated: bool,
        rhs: TagRhs,
    },
    /// One of the coherent (operator, key, values) triples.
    General(u8),
    /// Operator, key and values picked independently.
    Mixed {
        operator: u8,
        key: u8,
        values: Vec<u8>,
        list: bool,
    },
}

#[derive(Arbitrary, Debug)]
enum TagRhs {
    Tag(u8, u8),
    Literal(u8),
}

#[derive(Arbitrary, Debug)]
struct FunctionGen {
    name: u8,
    doc: Option<u8>,
    props: Vec<PropGen>,
    statements: Vec<StatementGen>,
}

#[derive(Arbitrary, Debug)]
enum PropGen {
    Description(u8),
    Session(u8),
    Relay(u8),
    Managed(Vec<u8>),
    Customer(Vec<Ref>),
    Boundary(BoundaryGen),
    Inline(Vec<Ref>),
    Tags(Vec<(u8, u8)>),
    BreakGlass(Option<u8>),
    Name(u8),
}

#[derive(Arbitrary, Debug)]
enum BoundaryGen {
    Declared(Ref),
    AwsManaged(u8),
}

#[derive(Arbitrary, Debug)]
struct GrantGen {
    functions: Vec<Ref>,
    principals: Vec<PrincipalGen>,
    targets: Vec<TargetGen>,
    except: Vec<TargetGen>,
    owner: Option<u8>,
    until: Option<u8>,
}

#[derive(Arbitrary, Debug)]
struct PrincipalGen {
    user: bool,
    explicit: bool,
    name: Ref,
}

#[derive(Arbitrary, Debug)]
enum TargetGen {
    Root,
    Ou(Ref),
    Account(Ref),
    AccountId(Ref),
}

#[derive(Arbitrary, Debug)]
enum RuleGen {
    Combination {
        left: Vec<Ref>,
        right: Vec<Ref>,
        targets: Vec<TargetGen>,
    },
    User {
        functions: Vec<Ref>,
        targets: Vec<TargetGen>,
    },
    Functions {
        functions: Vec<Ref>,
        targets: Vec<TargetGen>,
    },
    Limit {
        functions: Vec<Ref>,
        targets: Vec<TargetGen>,
    },
}

// ---------------------------------------------------------------- pools

const FUNCTION_NAMES: &[&str] = &[
    "AppDeveloper",
    "SecOps",
    "Reader",
    "Ops-Admin",
    "Ops_Admin",
    "DataSci",
    "Billing-TeamA",
    "Billing-TeamB",
];
const POLICY_NAMES: &[&str] = &["AppPlane", "TeamS3", "DenyRisky", "LogsRead", "NetRead"];
const MP_NAMES: &[&str] = &["Boundary", "SecOpsActions", "Legacy", "SharedRead"];
const GROUP_NAMES: &[&str] = &["eng", "platform", "finops", "aws-team-a", "ops"];
const USER_NAMES: &[&str] = &["ext", "alice", "bob"];
const OU_NAMES: &[&str] = &[
    "Workloads",
    "NonProd",
    "Prod",
    "Security",
    "Sandbox",
    "Infra",
];
const ACCOUNT_NAMES: &[&str] = &[
    "dev",
    "prod",
    "audit",
    "logs",
    "management",
    "shared",
    "sbx",
];
/// Names defined nowhere, and near misses (for did-you-mean).
const STRAY_NAMES: &[&str] = &["Nope", "AppDevelopr", "Workload", "ReadOnlyAccess", "x_1"];
const TAG_KEYS: &[&str] = &["Team", "Dept", "CostCenter", "Project"];
const ATTRIBUTE_VALUES: Pool = Pool {
    good: &[
        "\"${path:enterprise.department}\"",
        "\"${path:enterprise.costCenter}\"",
        "\"${path:name.givenName}\"",
        "\"SAMLTeam\"",
    ],
    bad: &["\"${oops\""],
};
const ACTIONS: Pool = Pool {
    good: &[
        "s3:GetObject",
        "s3:Get*",
        "s3:ListBucket",
        "lambda:InvokeFunction",
        "logs:*",
        "ec2:Describe*",
        "dynamodb:Query",
        "kms:Decrypt",
        "iam:PassRole",
        "sts:AssumeRole",
        "ec2:*Vpc*",
        "s3:?etObject",
        "\"s3:PutObject\"",
        "cloudwatch:GetMetricData",
        "*",
    ],
    bad: &["s4:Nope", "s3:NoSuchAction"],
};
const RESOURCES: Pool = Pool {
    good: &[
        "*",
        "\"arn:aws:s3:::bucket/*\"",
        "\"arn:aws:s3:::bucket\"",
        "\"arn:aws:dynamodb:us-east-1:111111111111:table/orders\"",
        "\"arn:aws:logs:*:*:log-group:/app/*\"",
    ],
    bad: &[
        "\"not-an-arn\"",
        "\"arn:aws:s3:::${aws:PrincipalTag/Team}/*\"",
    ],
};
const GENERAL_CONDITIONS: Pool = Pool {
    good: &[
        "StringEquals \"aws:RequestedRegion\" [\"ap-northeast-1\", \"us-east-1\"]",
        "Bool \"aws:MultiFactorAuthPresent\" \"true\"",
        "IpAddress \"aws:SourceIp\" [\"10.0.0.0/8\"]",
        "StringLike \"s3:prefix\" [\"home/*\"]",
        "ForAnyValue:StringEquals \"aws:TagKeys\" [\"Team\", \"Dept\"]",
        "Null \"aws:ResourceTag/Team\" \"false\"",
        "DateLessThan \"aws:CurrentTime\" \"2030-01-01T00:00:00Z\"",
        "NumericLessThan \"s3:max-keys\" \"10\"",
        "ArnLike \"aws:SourceArn\" [\"arn:aws:sns:*:111111111111:*\",]",
    ],
    bad: &[
        "Bool \"aws:SecureTransport\" \"maybe\"",
        "Bogus \"aws:RequestedRegion\" \"x\"",
        "StringEqualsIfExists \"aws:RequestTag/Team\" \"${aws:PrincipalTag/Team}\"",
    ],
};
const OPERATORS: Pool = Pool {
    good: &[
        "StringEquals",
        "StringNotLike",
        "Bool",
        "ForAllValues:StringLike",
        "NumericGreaterThanIfExists",
        "ArnEquals",
    ],
    bad: &["Nope"],
};
const CONDITION_KEYS: Pool = Pool {
    good: &[
        "\"aws:RequestedRegion\"",
        "\"aws:PrincipalTag/Team\"",
        "\"aws:PrincipalTag/Unmapped\"",
        "\"s3:prefix\"",
        "\"aws:userid\"",
    ],
    bad: &["\"ec2:ResourceTag/Dept\"", "\"\""],
};
const CONDITION_VALUES: Pool = Pool {
    good: &[
        "\"true\"",
        "\"eu-west-1\"",
        "\"${aws:username}\"",
        "\"12\"",
        "\"\"",
        "\"a\\\"b\"",
        "\"caf\u{e9}\"",
    ],
    bad: &[],
};
const TAG_LITERALS: Pool = Pool {
    good: &["\"platform\"", "\"\"", "\"x y\"", "\"${aws:username}\""],
    bad: &[],
};
const DOCS: Pool = Pool {
    good: &["Lets developers run their own services.", ""],
    bad: &["Read-only, for auditors \u{2014} see the runbook."],
};
const DESCRIPTIONS: Pool = Pool {
    good: &[
        "\"Application developers\"",
        "\"\"",
        "\"quotes \\\" and backslashes \\\\ and tabs\\t\"",
    ],
    bad: &["\"\u{65e5}\u{672c}\u{8a9e}\""],
};
const SESSIONS: Pool = Pool {
    good: &["1h", "4h", "90m", "12h", "PT2H", "PT1H30M", "2h30m"],
    bad: &["13h", "30m"],
};
const RELAYS: Pool = Pool {
    good: &[
        "\"https://console.aws.amazon.com/\"",
        "\"https://example.com/start?x=1\"",
    ],
    bad: &["\"http://insecure.example\""],
};
const AWS_MANAGED: Pool = Pool {
    good: &[
        "ReadOnlyAccess",
        "SecurityAudit",
        "ViewOnlyAccess",
        "job-function/Billing",
        "PowerUserAccess",
        "AdministratorAccess",
        "\"arn:aws:iam::aws:policy/ReadOnlyAccess\"",
    ],
    bad: &["NoSuchPolicy"],
};
const TAG_NAMES: Pool = Pool {
    good: &["Owner", "CostCenter", "\"Cost Center\"", "aws-reserved"],
    bad: &[],
};
const TAG_VALUES: Pool = Pool {
    good: &["\"platform\"", "\"1234\"", "\"\"", "\"a=b+c@d.e\""],
    bad: &[],
};
const NOTIFY: Pool = Pool {
    good: &[
        "\"arn:aws:sns:ap-northeast-1:444444444444:security-pager\"",
        "\"arn:aws:sns:us-east-1:999999999999:pager\"",
    ],
    bad: &[],
};
const PS_NAMES: Pool = Pool {
    good: &["\"ops-admin\"", "\"AppDev+Read\"", "\"Team.A@x\""],
    bad: &[],
};
const MP_PATHS: Pool = Pool {
    good: &["\"/boundaries/\"", "\"/security/\"", "\"/\""],
    bad: &["\"no-slashes\""],
};
const GROUP_DISPLAY: Pool = Pool {
    good: &[
        "\"AWS Platform Admins\"",
        "\"FinOps\"",
        "\"\u{dc}n\u{ef}c\u{f6}d\u{e9}\"",
    ],
    bad: &[],
};
const PRINCIPAL_IDS: Pool = Pool {
    good: &[
        "\"9067a2c4-1111-2222-3333-444455556666\"",
        "\"1234567890-9067a2c4-1111-2222-3333-444455556666\"",
    ],
    bad: &["\"not-a-uuid\""],
};
const USER_NAMES_AWS: Pool = Pool {
    good: &["\"ext@example.com\"", "\"alice@example.com\"", "\"bob\""],
    bad: &[],
};
const OWNERS: Pool = Pool {
    good: &["\"secops@example.com\"", "\"platform@example.com\""],
    bad: &[],
};
const DATES: Pool = Pool {
    good: &["2027-06-30", "2026-12-01", "2030-01-01"],
    bad: &["2025-01-01"],
};
const QUOTA_KEYS: Pool = Pool {
    good: &[
        "managed_policies",
        "permission_sets",
        "provisioned_per_account",
    ],
    bad: &["managed_policys"],
};
const STD_MODULES: Pool = Pool {
    good: &["guards", "functions"],
    bad: &["nope"],
};
const USE_FILES: Pool = Pool {
    good: &["\"shared.access\""],
    bad: &["\"missing.access\"", "\"../outside.access\""],
};
const POLICY_JSON: Pool = Pool {
    good: &["\"policy.json\""],
    bad: &[
        "\"broken.json\"",
        "\"wrong-shape.json\"",
        "\"missing.json\"",
    ],
};
const INSTANCE_ARNS: Pool = Pool {
    good: &["\"arn:aws:sso:::instance/ssoins-1234567890abcdef\""],
    bad: &["\"arn:aws:sso:::instance/ssoins-12\""],
};
const IDENTITY_STORES: Pool = Pool {
    good: &["\"d-1234567890\""],
    bad: &["\"d-12\""],
};
const REGIONS: Pool = Pool {
    good: &["\"ap-northeast-1\"", "\"us-east-1\"", "\"eu-west-2\""],
    bad: &["\"mars\""],
};
const ROOT_IDS: Pool = Pool {
    good: &["\"r-ab12\""],
    bad: &["\"r-\""],
};
const SIDS: Pool = Pool {
    good: &["AllowRead", "DenyWrite", "S1"],
    bad: &[],
};

fn pick<'a>(pool: &[&'a str], i: u8) -> &'a str {
    pool[i as usize % pool.len()]
}

/// Values of one kind: valid ones, and a few that the checker must refuse.
struct Pool {
    good: &'static [&'static str],
    bad: &'static [&'static str],
}

/// A valid value for most bytes, an invalid one for about one in twenty.
fn val(pool: &Pool, i: u8) -> &'static str {
    if pool.bad.is_empty() || i < 244 {
        pool.good[i as usize % pool.good.len()]
    } else {
        pool.bad[i as usize % pool.bad.len()]
    }
}

// ---------------------------------------------------------------- printing

/// Text with separators from the layout bytes between tokens.
struct Printer<'a> {
    out: String,
    layout: &'a [u8],
    next: usize,
    depth: usize,
    /// True right after an item's first token was written (no separator
    /// before the first token of an item).
    fresh: bool,
}

impl Printer<'_> {
    fn separator(&mut self) -> &'static str {
        let b = if self.layout.is_empty() {
            0
        } else {
            let b = self.layout[self.next % self.layout.len()];
            self.next += 1;
            b
        };
        match b {
            0..=159 => " ",
            160..=189 => {
                if self.depth > 0 {
                    "\n    "
                } else {
                    "\n  "
                }
            }
            190..=199 => "  ",
            200..=209 => "\t",
            210..=219 => " /* note */ ",
            220..=229 => " // note\n",
            230..=235 => "\n\n",
            236..=240 => "\r\n",
            241..=245 => " /* a\nb */\n",
            246..=250 => "\n// a line of its own\n",
            _ => " /**/ ",
        }
    }

    fn tok(&mut self, t: &str) {
        if self.fresh {
            self.fresh = false;
        } else {
            let sep = self.separator();
            self.out.push_str(sep);
        }
        self.out.push_str(t);
        match t {
            "{" => self.depth += 1,
            "}" => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
    }

    /// `a, b, c`.
    fn list(&mut self, items: &[String]) {
        for (i, s) in items.iter().enumerate() {
            if i > 0 {
                self.tok(",");
            }
            self.tok(s);
        }
    }

    fn begin_item(&mut self) {
        self.out.clear();
        self.depth = 0;
        self.fresh = true;
    }
}

/// The names a program defines, per kind, for [`Ref`]s to pick from.
#[derive(Default)]
struct Defined {
    functions: Vec<String>,
    policies: Vec<String>,
    managed: Vec<String>,
    groups: Vec<String>,
    users: Vec<String>,
    ou_paths: Vec<String>,
    accounts: Vec<(String, String)>,
    /// Session tag keys with an `attributes` mapping.
    attributes: Vec<String>,
    tidy: bool,
}

impl Defined {
    /// What `r` names among `names` (of one kind); `other` is a name of
    /// another kind, for the few references that go astray.
    fn resolve(names: &[String], r: Ref, other: Option<&String>) -> String {
        match r.0 {
            0..=249 if !names.is_empty() => names[r.0 as usize % names.len()].clone(),
            250..=251 if other.is_some() => other.cloned().unwrap_or_default(),
            n => pick(STRAY_NAMES, n).to_string(),
        }
    }

    fn function(&self, r: Ref) -> String {
        Defined::resolve(&self.functions, r, self.policies.first())
    }

    fn policy(&self, r: Ref) -> String {
        Defined::resolve(&self.policies, r, self.managed.first())
    }

    fn managed_policy(&self, r: Ref) -> String {
        Defined::resolve(&self.managed, r, self.policies.first())
    }

    fn principal(&self, p: &PrincipalGen) -> (bool, String) {
        if p.user {
            (
                true,
                Defined::resolve(&self.users, p.name, self.groups.first()),
            )
        } else {
            (
                false,
                Defined::resolve(&self.groups, p.name, self.users.first()),
            )
        }
    }

    fn target(&self, t: &TargetGen) -> Vec<String> {
        match t {
            TargetGen::Root => vec!["root".into()],
            // An org without OUs (or accounts) is targeted at its root.
            TargetGen::Ou(_) | TargetGen::Account(_) | TargetGen::AccountId(_)
                if self.tidy && self.ou_paths.is_empty() && self.accounts.is_empty() =>
            {
                vec!["root".into()]
            }
            TargetGen::Ou(r) if !(self.tidy && self.ou_paths.is_empty()) => {
                vec![Defined::resolve(&self.ou_paths, *r, None)]
            }
            TargetGen::Account(r) | TargetGen::AccountId(r)
                if self.tidy && self.accounts.is_empty() =>
            {
                vec![Defined::resolve(&self.ou_paths, *r, None)]
            }
            TargetGen::Ou(r) | TargetGen::Account(r) => {
                let names: Vec<String> = self.accounts.iter().map(|a| a.0.clone()).collect();
                vec!["account".into(), Defined::resolve(&names, *r, None)]
            }
            TargetGen::AccountId(r) => {
                let ids: Vec<String> = self.accounts.iter().map(|a| a.1.clone()).collect();
                let id = match r.0 {
                    0..=249 if !ids.is_empty() => ids[r.0 as usize % ids.len()].clone(),
                    0..=249 | 250..=252 => "123456789012".into(),
                    _ => "12345".into(),
                };
                vec![format!("\"{id}\"")]
            }
        }
    }
}

fn account_id(name: u8, salt: Option<u8>) -> String {
    match salt {
        Some(s) if s >= 250 => "12345678901x".into(),
        _ => {
            let n = name as usize % ACCOUNT_NAMES.len();
            if ACCOUNT_NAMES[n] == "management" {
                "999999999999".into()
            } else {
                format!("{}", 111_111_111_111u64 * (n as u64 + 1))
            }
        }
    }
}

fn ou_id(index: usize, salt: u8) -> String {
    if salt >= 250 {
        "\"ou-bad\"".into()
    } else {
        format!("\"ou-ab12-{:08}\"", 11_111_111 + index)
    }
}

/// A generated org node, for printing both as `.access` and as JSON.
struct OrgNode {
    name: String,
    id: Option<String>,
    ous: Vec<OrgNode>,
    accounts: Vec<(String, String)>,
}

impl OrgNode {
    fn json(&self) -> serde_json::Value {
        let mut o = serde_json::json!({
            "name": self.name,
            "accounts": self.accounts.iter().map(|(n, id)| serde_json::json!({"name": n, "id": id})).collect::<Vec<_>>(),
            "ous": self.ous.iter().map(OrgNode::json).collect::<Vec<_>>(),
        });
        if let Some(id) = &self.id {
            o["id"] = serde_json::Value::String(id.trim_matches('"').to_string());
        }
        o
    }

    fn print(&self, p: &mut Printer) {
        p.tok("ou");
        p.tok(&self.name);
        if let Some(id) = &self.id {
            p.tok(id);
        }
        p.tok("{");
        for (name, id) in &self.accounts {
            p.tok("account");
            p.tok(name);
            p.tok(&format!("\"{id}\""));
        }
        for ou in &self.ous {
            ou.print(p);
        }
        p.tok("}");
    }
}

/// The rendered program.
pub struct Rendered {
    /// The `.access` text.
    pub text: String,
    /// Files it names beyond the fixtures (the generated org snapshot).
    pub files: Vec<(String, Vec<u8>)>,
}

impl Program {
    /// The program as `.access` text, and the files it names.
    pub fn render(&self) -> Rendered {
        let tidy = self.raw % 4 != 0;
        let mut p = Printer {
            out: String::new(),
            layout: &self.layout,
            next: 0,
            depth: 0,
            fresh: true,
        };
        let mut items: Vec<String> = Vec::new();
        let mut files = Vec::new();
        let mut d = Defined {
            tidy,
            ..Defined::default()
        };

        let mut seen: BTreeSet<(&str, String)> = BTreeSet::new();
        // In a tidy program every name is defined once per kind.
        let mut first = |kind: &'static str, name: &str| -> bool {
            seen.insert((kind, name.to_string())) || !tidy
        };

        // Names first, so that every reference can pick from them.
        for u in &self.uses {
            if let UseGen::Std(m) = u {
                match val(&STD_MODULES, *m) {
                    "functions" => d.functions.extend(
                        ["ReadOnlyAuditor", "BillingViewer", "BreakGlassAdmin"].map(String::from),
                    ),
                    "guards" => {
                        d.policies.extend(
                            ["DenySensitiveControls", "DenyLeavingOrganization"].map(String::from),
                        );
                        d.managed.push("DeveloperBoundary".into());
                    }
                    _ => {}
                }
            } else if let UseGen::File(f) = u {
                if val(&USE_FILES, *f) == "\"shared.access\"" {
                    d.groups.push("shared-readers".into());
                    d.policies.push("SharedLogs".into());
                }
            }
        }
        let groups: Vec<&GroupGen> = self
            .groups
            .iter()
            .filter(|g| first("group", pick(GROUP_NAMES, g.name)))
            .collect();
        d.groups
            .extend(groups.iter().map(|g| pick(GROUP_NAMES, g.name).to_string()));
        let users: Vec<&UserGen> = self
            .users
            .iter()
            .filter(|u| first("user", pick(USER_NAMES, u.name)))
            .collect();
        d.users
            .extend(users.iter().map(|u| pick(USER_NAMES, u.name).to_string()));
        let policies: Vec<&PolicyGen> = self
            .policies
            .iter()
            .filter(|x| first("policy", pick(POLICY_NAMES, x.name)))
            .collect();
        d.policies.extend(
            policies
                .iter()
                .map(|x| pick(POLICY_NAMES, x.name).to_string()),
        );
        let managed: Vec<&MpGen> = self
            .managed
            .iter()
            .filter(|x| first("managed", pick(MP_NAMES, x.name)))
            .collect();
        d.managed
            .extend(managed.iter().map(|x| pick(MP_NAMES, x.name).to_string()));
        let functions: Vec<&FunctionGen> = self
            .functions
            .iter()
            .filter(|x| first("function", pick(FUNCTION_NAMES, x.name)))
            .collect();
        d.functions.extend(
            functions
                .iter()
                .map(|x| pick(FUNCTION_NAMES, x.name).to_string()),
        );

        // The org tree.
        let mut org_tree: Option<(&OrgGen, Vec<OrgNode>, Vec<(String, String)>)> = None;
        if let Some(org) = &self.org {
            let tree = self.build_org(org, tidy, &mut d);
            org_tree = Some((org, tree.0, tree.1));
        }

        for (k, _) in &self.attributes {
            d.attributes.push(pick(TAG_KEYS, *k).to_string());
        }
        // A tidy program defines at least one name of each kind that
        // references pick from, so that few references go unresolved.
        if tidy {
            let defaults: [(&mut Vec<String>, &str, &str); 5] = [
                (&mut d.groups, "eng", "group eng"),
                (&mut d.users, "ext", "user ext \"ext@example.com\""),
                (
                    &mut d.functions,
                    "Reader",
                    "function Reader {\n  managed ReadOnlyAccess\n  boundary ReadOnlyAccess\n}",
                ),
                (
                    &mut d.policies,
                    "LogsRead",
                    "policy LogsRead {\n  allow logs:Get* on *\n}",
                ),
                (
                    &mut d.managed,
                    "SharedRead",
                    "managed_policy SharedRead {\n  allow s3:Get* on *\n}",
                ),
            ];
            for (names, name, item) in defaults {
                if names.is_empty() {
                    names.push(name.to_string());
                    items.push(item.to_string());
                }
            }
            if self.org.is_none() {
                items.push(
                    "org {\n  ou Workloads \"ou-ab12-11111111\" {\n    ou NonProd { account dev \"111111111111\" }\n  }\n  ou Security { account audit \"444444444444\" }\n}".to_string(),
                );
                d.ou_paths = ["Workloads", "Workloads/NonProd", "Security"]
                    .map(String::from)
                    .to_vec();
                d.accounts = vec![
                    ("dev".into(), "111111111111".into()),
                    ("audit".into(), "444444444444".into()),
                ];
            }
        }

        // Items.
        for u in &self.uses {
            p.begin_item();
            p.tok("use");
            match u {
                UseGen::Std(m) => p.tok(&format!("std::{}", val(&STD_MODULES, *m))),
                UseGen::File(f) => p.tok(val(&USE_FILES, *f)),
            }
            items.push(p.out.clone());
        }
        if let Some(inst) = &self.instance {
            p.begin_item();
            p.tok("instance");
            p.tok("{");
            if let Some(a) = inst.arn {
                p.tok("arn");
                p.tok(val(&INSTANCE_ARNS, a));
            }
            if let Some(s) = inst.identity_store {
                p.tok("identity_store");
                p.tok(val(&IDENTITY_STORES, s));
            }
            if let Some(r) = inst.region {
                p.tok("region");
                p.tok(val(&REGIONS, r));
            }
            if !inst.replicas.is_empty() {
                p.tok("replicas");
                let mut rs: Vec<String> = inst
                    .replicas
                    .iter()
                    .map(|r| val(&REGIONS, *r).to_string())
                    .collect();
                if tidy {
                    rs.sort();
                    rs.dedup();
                }
                p.list(&rs);
            }
            p.tok("}");
            items.push(p.out.clone());
        }
        if !self.attributes.is_empty() {
            p.begin_item();
            p.tok("attributes");
            p.tok("{");
            let mut keys = BTreeSet::new();
            for (k, v) in &self.attributes {
                let key = pick(TAG_KEYS, *k);
                if tidy && !keys.insert(key) {
                    continue;
                }
                p.tok(key);
                p.tok("=");
                p.tok(val(&ATTRIBUTE_VALUES, *v));
            }
            p.tok("}");
            items.push(p.out.clone());
        }
        if let Some((org, ous, accounts)) = &org_tree {
            p.begin_item();
            let management = org.management.map(|r| match r.0 {
                0..=249 => "999999999999".to_string(),
                _ => "123456789012".to_string(),
            });
            let root = org.root.map(|r| val(&ROOT_IDS, r).to_string());
            if org.from_json {
                let mut json = serde_json::json!({
                    "format": "accessc-org/1",
                    "accounts": accounts.iter().map(|(n, id)| serde_json::json!({"name": n, "id": id})).collect::<Vec<_>>(),
                    "ous": ous.iter().map(OrgNode::json).collect::<Vec<_>>(),
                });
                if let Some(r) = &root {
                    json["root"] = r.trim_matches('"').into();
                }
                if let Some(m) = &management {
                    json["management_account"] = m.clone().into();
                }
                if org.with_identity_store {
                    json["identity_store"] = serde_json::json!({
                        "id": "d-1234567890",
                        "groups": { "AWS Platform Admins": "9067a2c4-1111-2222-3333-444455556666" },
                        "users": { "ext@example.com": "90677c42-aaaa-bbbb-cccc-ddddeeeeffff" },
                    });
                }
                files.push((
                    "generated-org.json".to_string(),
                    serde_json::to_vec_pretty(&json).unwrap_or_default(),
                ));
                p.tok("org");
                p.tok("from");
                p.tok("\"generated-org.json\"");
            } else {
                p.tok("org");
                p.tok("{");
                if let Some(r) = &root {
                    p.tok("root");
                    p.tok(r);
                }
                if let Some(m) = &management {
                    p.tok("management");
                    p.tok(&format!("\"{m}\""));
                }
                for (name, id) in accounts {
                    p.tok("account");
                    p.tok(name);
                    p.tok(&format!("\"{id}\""));
                }
                for ou in ous {
                    ou.print(&mut p);
                }
                p.tok("}");
            }
            items.push(p.out.clone());
        }
        for g in &groups {
            p.begin_item();
            p.tok("group");
            p.tok(pick(GROUP_NAMES, g.name));
            if let Some(x) = g.display {
                p.tok(val(&GROUP_DISPLAY, x));
            }
            if let Some(x) = g.id {
                p.tok("id");
                p.tok(val(&PRINCIPAL_IDS, x));
            }
            items.push(p.out.clone());
        }
        for u in &users {
            p.begin_item();
            p.tok("user");
            p.tok(pick(USER_NAMES, u.name));
            if let Some(x) = u.user_name {
                p.tok(val(&USER_NAMES_AWS, x));
            }
            if let Some(x) = u.id {
                p.tok("id");
                p.tok(val(&PRINCIPAL_IDS, x));
            }
            items.push(p.out.clone());
        }
        for x in &policies {
            p.begin_item();
            if let Some(doc) = x.doc {
                p.out.push_str(&format!("/// {}\n", val(&DOCS, doc)));
            }
            p.tok("policy");
            p.tok(pick(POLICY_NAMES, x.name));
            match x.from_json {
                Some(j) => {
                    p.tok("from");
                    p.tok("json");
                    p.tok(val(&POLICY_JSON, j));
                }
                None => {
                    p.tok("{");
                    for s in &x.statements {
                        self.statement(&mut p, s, &d, tidy);
                    }
                    if tidy && x.statements.is_empty() {
                        for t in ["allow", "logs:Get*", "on", "*"] {
                            p.tok(t);
                        }
                    }
                    p.tok("}");
                }
            }
            items.push(p.out.clone());
        }
        for x in &managed {
            p.begin_item();
            p.tok("managed_policy");
            p.tok(pick(MP_NAMES, x.name));
            p.tok("{");
            if let Some(v) = x.path {
                p.tok("path");
                p.tok(val(&MP_PATHS, v));
            }
            if let Some(v) = x.description {
                p.tok("description");
                p.tok(val(&DESCRIPTIONS, v));
            }
            if x.external {
                p.tok("external");
            }
            if !(tidy && x.external) {
                for s in &x.statements {
                    self.statement(&mut p, s, &d, tidy);
                }
                if tidy && x.statements.is_empty() && x.blocks.is_empty() {
                    for t in ["allow", "s3:Get*", "on", "*"] {
                        p.tok(t);
                    }
                }
                let mut ous = BTreeSet::new();
                for b in &x.blocks {
                    let ou = Defined::resolve(&d.ou_paths, b.ou, None);
                    if tidy && !ous.insert(ou.clone()) {
                        continue;
                    }
                    p.tok("in");
                    p.tok(&ou);
                    p.tok("{");
                    for s in &b.statements {
                        self.statement(&mut p, s, &d, tidy);
                    }
                    for (r, sts) in &b.inner {
                        let inner = Defined::resolve(&d.ou_paths, *r, None);
                        if tidy
                            && (!inner.starts_with(&format!("{ou}/")) || !ous.insert(inner.clone()))
                        {
                            continue;
                        }
                        p.tok("in");
                        p.tok(&inner);
                        p.tok("{");
                        for s in sts {
                            self.statement(&mut p, s, &d, tidy);
                        }
                        p.tok("}");
                    }
                    p.tok("}");
                }
            }
            p.tok("}");
            items.push(p.out.clone());
        }
        for x in &functions {
            p.begin_item();
            if let Some(doc) = x.doc {
                p.out.push_str(&format!("/// {}\n", val(&DOCS, doc)));
            }
            p.tok("function");
            p.tok(pick(FUNCTION_NAMES, x.name));
            p.tok("{");
            let mut kinds = BTreeSet::new();
            for prop in &x.props {
                let kind = std::mem::discriminant(prop);
                if tidy && !kinds.insert(format!("{kind:?}")) {
                    continue;
                }
                self.prop(&mut p, prop, &d, tidy);
            }
            for s in &x.statements {
                self.statement(&mut p, s, &d, tidy);
            }
            p.tok("}");
            items.push(p.out.clone());
        }
        for g in &self.grants {
            // A tidy grant names at least one function, principal and target.
            let one_ref = [Ref(0)];
            let one_principal = [PrincipalGen {
                user: false,
                explicit: false,
                name: Ref(0),
            }];
            let one_target = [TargetGen::Root];
            let functions: &[Ref] = if tidy && g.functions.is_empty() {
                &one_ref
            } else {
                &g.functions
            };
            let principals: &[PrincipalGen] = if tidy && g.principals.is_empty() {
                &one_principal
            } else {
                &g.principals
            };
            let targets: &[TargetGen] = if tidy && g.targets.is_empty() {
                &one_target
            } else {
                &g.targets
            };
            p.begin_item();
            p.tok("grant");
            let fs: Vec<String> = functions.iter().map(|r| d.function(*r)).collect();
            p.list(&fs);
            p.tok("to");
            let mut any_user = false;
            for (i, pr) in principals.iter().enumerate() {
                if i > 0 {
                    p.tok(",");
                }
                let (user, name) = d.principal(pr);
                any_user |= user;
                if user {
                    p.tok("user");
                } else if pr.explicit {
                    p.tok("group");
                }
                p.tok(&name);
            }
            p.tok("on");
            self.targets(&mut p, targets, &d);
            if !g.except.is_empty() {
                p.tok("except");
                self.targets(&mut p, &g.except, &d);
            }
            let (mut owner, mut until) = (g.owner, g.until);
            if tidy && any_user {
                owner = owner.or(Some(0));
                until = until.or(Some(0));
            }
            if let Some(o) = owner {
                p.tok("owner");
                p.tok(val(&OWNERS, o));
            }
            if let Some(u) = until {
                p.tok("until");
                p.tok(val(&DATES, u));
            }
            items.push(p.out.clone());
        }
        // Rules are broken by most random grants: a tidy program has them
        // one time in two.
        let rules: &[RuleGen] = if tidy && self.raw & 0x10 == 0 {
            &[]
        } else {
            &self.rules
        };
        for r in rules {
            p.begin_item();
            let fs =
                |refs: &[Ref]| -> Vec<String> { refs.iter().map(|r| d.function(*r)).collect() };
            match r {
                RuleGen::Combination {
                    left,
                    right,
                    targets,
                } => {
                    if tidy && (left.is_empty() || right.is_empty()) {
                        continue;
                    }
                    p.tok("forbid");
                    p.list(&fs(left));
                    p.tok("with");
                    p.list(&fs(right));
                    if !targets.is_empty() {
                        p.tok("on");
                        self.targets(&mut p, targets, &d);
                    }
                }
                RuleGen::User { functions, targets } => {
                    p.tok("forbid");
                    p.tok("user");
                    p.list(&fs(functions));
                    if !targets.is_empty() {
                        p.tok("on");
                        self.targets(&mut p, targets, &d);
                    }
                }
                RuleGen::Functions { functions, targets } => {
                    if tidy && (functions.is_empty() || targets.is_empty()) {
                        continue;
                    }
                    p.tok("forbid");
                    p.list(&fs(functions));
                    p.tok("on");
                    self.targets(&mut p, targets, &d);
                }
                RuleGen::Limit { functions, targets } => {
                    if tidy && (functions.is_empty() || targets.is_empty()) {
                        continue;
                    }
                    p.tok("limit");
                    p.list(&fs(functions));
                    p.tok("to");
                    self.targets(&mut p, targets, &d);
                }
            }
            items.push(p.out.clone());
        }
        if !self.quotas.is_empty() {
            p.begin_item();
            p.tok("quotas");
            p.tok("{");
            let mut keys = BTreeSet::new();
            for (k, v) in &self.quotas {
                let key = val(&QUOTA_KEYS, *k);
                if tidy && !keys.insert(key) {
                    continue;
                }
                p.tok(key);
                let value = match (key, v) {
                    (_, 255) => "0".to_string(),
                    (_, 254) => "18446744073709551616".to_string(),
                    ("managed_policies", v) => format!("{}", 10 + *v as u32 % 12),
                    (_, v) => format!("{}", 100 + *v as u32 * 17),
                };
                p.tok(&value);
            }
            p.tok("}");
            items.push(p.out.clone());
        }

        // A random order.
        let n = items.len();
        if n > 1 {
            for (a, b) in &self.order {
                items.swap(*a as usize % n, *b as usize % n);
            }
        }
        let mut text = String::new();
        for (i, item) in items.iter().enumerate() {
            // Items start on a line of their own; a separator byte decides
            // whether a blank line or a comment comes between.
            let sep = self.layout.get(i).copied().unwrap_or(0);
            if i > 0 {
                text.push_str(match sep % 5 {
                    0 => "\n\n",
                    1 => "\n// next\n",
                    2 => "\n /* between */\n",
                    _ => "\n",
                });
            }
            text.push_str(item);
        }
        if self.layout.first().is_some_and(|b| b % 3 != 0) {
            text.push('\n');
        }
        Rendered { text, files }
    }

    /// The OU tree and the root's accounts; fills `d` with the OU paths and
    /// accounts.
    fn build_org(
        &self,
        org: &OrgGen,
        tidy: bool,
        d: &mut Defined,
    ) -> (Vec<OrgNode>, Vec<(String, String)>) {
        // Flat: index → (parent index or None, name, id, depth, path).
        struct Flat {
            parent: Option<usize>,
            name: String,
            id: Option<String>,
            path: String,
        }
        let mut flat: Vec<Flat> = Vec::new();
        for (i, o) in org.ous.iter().enumerate() {
            let parent = (o.parent as usize) < flat.len() && o.parent % 3 != 0;
            let parent = parent.then_some(o.parent as usize);
            let name = pick(OU_NAMES, o.name).to_string();
            let path = match parent {
                Some(p) => format!("{}/{}", flat[p].path, name),
                None => name.clone(),
            };
            let depth = path.matches('/').count() + 1;
            if tidy && (depth > 5 || flat.iter().any(|f| f.path == path)) {
                continue;
            }
            flat.push(Flat {
                parent,
                name,
                id: o.id.map(|s| ou_id(i, s)),
                path,
            });
        }
        // Accounts: unique names (and so ids) in a tidy program.
        let mut names = BTreeSet::new();
        let mut placed: Vec<(Option<usize>, String, String)> = Vec::new();
        for a in &org.accounts {
            let name = pick(ACCOUNT_NAMES, a.name).to_string();
            if tidy && !names.insert(name.clone()) {
                continue;
            }
            let parent = ((a.parent as usize) < flat.len() && a.parent % 4 != 0)
                .then_some(a.parent as usize);
            placed.push((parent, name, account_id(a.name, a.id)));
        }
        if tidy && org.management.is_some() && !names.contains("management") {
            placed.push((None, "management".into(), "999999999999".into()));
        }
        d.ou_paths = flat.iter().map(|f| f.path.clone()).collect();
        d.accounts = placed
            .iter()
            .map(|(_, n, id)| (n.clone(), id.clone()))
            .collect();

        fn node(flat: &[Flat], placed: &[(Option<usize>, String, String)], i: usize) -> OrgNode {
            OrgNode {
                name: flat[i].name.clone(),
                id: flat[i].id.clone(),
                ous: (0..flat.len())
                    .filter(|&j| flat[j].parent == Some(i))
                    .map(|j| node(flat, placed, j))
                    .collect(),
                accounts: placed
                    .iter()
                    .filter(|(p, _, _)| *p == Some(i))
                    .map(|(_, n, id)| (n.clone(), id.clone()))
                    .collect(),
            }
        }
        let roots = (0..flat.len())
            .filter(|&j| flat[j].parent.is_none())
            .map(|j| node(&flat, &placed, j))
            .collect();
        let root_accounts = placed
            .iter()
            .filter(|(p, _, _)| p.is_none())
            .map(|(_, n, id)| (n.clone(), id.clone()))
            .collect();
        (roots, root_accounts)
    }

    fn targets(&self, p: &mut Printer, targets: &[TargetGen], d: &Defined) {
        for (i, t) in targets.iter().enumerate() {
            if i > 0 {
                p.tok(",");
            }
            for tok in d.target(t) {
                p.tok(&tok);
            }
        }
    }

    fn statement(&self, p: &mut Printer, s: &StatementGen, d: &Defined, tidy: bool) {
        if let Some(sid) = s.sid {
            p.tok(val(&SIDS, sid));
            p.tok(":");
        }
        p.tok(if s.deny { "deny" } else { "allow" });
        if s.not_action {
            p.tok("not");
        }
        let mut actions: Vec<String> = s
            .actions
            .iter()
            .map(|a| val(&ACTIONS, *a).to_string())
            .collect();
        if tidy {
            actions.dedup();
            if actions.is_empty() {
                actions.push("s3:GetObject".into());
            }
        }
        p.list(&actions);
        p.tok("on");
        if s.not_resource {
            p.tok("not");
        }
        let mut resources: Vec<String> = s
            .resources
            .iter()
            .map(|r| val(&RESOURCES, *r).to_string())
            .collect();
        if tidy {
            resources.dedup();
            if resources.is_empty() {
                resources.push("*".into());
            }
        }
        p.list(&resources);
        let mut general = BTreeSet::new();
        let mut first = true;
        for c in &s.conditions {
            let mut toks: Vec<String> = Vec::new();
            match c {
                ConditionGen::Tag {
                    scope,
                    key,
                    negated,
                    rhs,
                } => {
                    // A `principal.tag.K` needs an `attributes` mapping
                    // for K: a tidy program uses a mapped key.
                    let tag = |scope: &str, key: u8| -> Option<String> {
                        let mut k = pick(TAG_KEYS, key).to_string();
                        if tidy && scope == "principal" && !d.attributes.contains(&k) {
                            k = d
                                .attributes
                                .get(key as usize % d.attributes.len().max(1))?
                                .clone();
                        }
                        Some(format!("{scope}.tag.{k}"))
                    };
                    let Some(lhs) = tag(
                        ["resource", "request", "principal"][*scope as usize % 3],
                        *key,
                    ) else {
                        continue;
                    };
                    toks.push(lhs);
                    toks.push(if *negated { "!=" } else { "==" }.into());
                    match rhs {
                        TagRhs::Tag(s, k) => {
                            // Only a principal tag can be a condition value.
                            let scope = if tidy { 0 } else { *s as usize % 3 };
                            let Some(rhs) = tag(["principal", "resource", "request"][scope], *k)
                            else {
                                continue;
                            };
                            toks.push(rhs);
                        }
                        TagRhs::Literal(l) => toks.push(val(&TAG_LITERALS, *l).into()),
                    }
                }
                ConditionGen::General(i) => {
                    let text = val(&GENERAL_CONDITIONS, *i);
                    if tidy && !general.insert(text) {
                        continue;
                    }
                    // Split into tokens, keeping strings whole.
                    toks.extend(split_tokens(text));
                }
                ConditionGen::Mixed {
                    operator,
                    key,
                    values,
                    list,
                } => {
                    // Independent picks rarely agree: a tidy program takes
                    // a coherent condition most of the time.
                    if tidy && *operator >= 32 {
                        let text = val(&GENERAL_CONDITIONS, *key);
                        if !general.insert(text) {
                            continue;
                        }
                        toks.extend(split_tokens(text));
                        p.tok(if first { "when" } else { "and" });
                        first = false;
                        for t in toks {
                            p.tok(&t);
                        }
                        continue;
                    }
                    let (op, k) = (val(&OPERATORS, *operator), val(&CONDITION_KEYS, *key));
                    if tidy && !general.insert(op) {
                        continue;
                    }
                    toks.push(op.into());
                    toks.push(k.into());
                    let values: &[u8] = if values.is_empty() && tidy {
                        &[0]
                    } else {
                        values
                    };
                    if *list || values.len() != 1 {
                        toks.push("[".into());
                        for (i, v) in values.iter().enumerate() {
                            if i > 0 {
                                toks.push(",".into());
                            }
                            toks.push(val(&CONDITION_VALUES, *v).into());
                        }
                        toks.push("]".into());
                    } else {
                        toks.push(val(&CONDITION_VALUES, values[0]).into());
                    }
                }
            }
            p.tok(if first { "when" } else { "and" });
            first = false;
            for t in toks {
                p.tok(&t);
            }
        }
    }

    fn prop(&self, p: &mut Printer, prop: &PropGen, d: &Defined, tidy: bool) {
        match prop {
            PropGen::Description(v) => {
                p.tok("description");
                p.tok(val(&DESCRIPTIONS, *v));
            }
            PropGen::Session(v) => {
                p.tok("session");
                p.tok(val(&SESSIONS, *v));
            }
            PropGen::Relay(v) => {
                p.tok("relay");
                p.tok(val(&RELAYS, *v));
            }
            PropGen::Managed(vs) => {
                if vs.is_empty() {
                    if tidy {
                        return;
                    }
                    p.tok("managed");
                    p.tok("ReadOnlyAccess");
                    return;
                }
                let mut names: Vec<String> = vs
                    .iter()
                    .map(|v| val(&AWS_MANAGED, *v).to_string())
                    .collect();
                if tidy {
                    names.sort();
                    names.dedup();
                }
                p.tok("managed");
                p.list(&names);
            }
            PropGen::Customer(rs) | PropGen::Inline(rs) => {
                let customer = matches!(prop, PropGen::Customer(_));
                let mut names: Vec<String> = rs
                    .iter()
                    .map(|r| {
                        if customer {
                            d.managed_policy(*r)
                        } else {
                            d.policy(*r)
                        }
                    })
                    .collect();
                if tidy {
                    names.sort();
                    names.dedup();
                }
                if names.is_empty() {
                    if tidy {
                        return;
                    }
                    names.push("Nope".into());
                }
                p.tok(if customer { "customer" } else { "inline" });
                p.list(&names);
            }
            PropGen::Boundary(b) => {
                p.tok("boundary");
                match b {
                    BoundaryGen::Declared(r) => p.tok(&d.managed_policy(*r)),
                    BoundaryGen::AwsManaged(v) => p.tok(val(&AWS_MANAGED, *v)),
                }
            }
            PropGen::Tags(ts) => {
                let mut seen = BTreeSet::new();
                let mut toks = Vec::new();
                for (k, v) in ts {
                    let key = val(&TAG_NAMES, *k);
                    if tidy && !seen.insert(key) {
                        continue;
                    }
                    if !toks.is_empty() {
                        toks.push(",".to_string());
                    }
                    toks.extend([key.to_string(), "=".into(), val(&TAG_VALUES, *v).into()]);
                }
                if toks.is_empty() {
                    if tidy {
                        return;
                    }
                    toks.extend(["Owner".into(), "=".into(), "\"x\"".into()]);
                }
                p.tok("tags");
                for t in toks {
                    p.tok(&t);
                }
            }
            PropGen::BreakGlass(n) => {
                p.tok("break_glass");
                if let Some(n) = n {
                    p.tok("notify");
                    p.tok(val(&NOTIFY, *n));
                }
            }
            PropGen::Name(v) => {
                p.tok("name");
                p.tok(val(&PS_NAMES, *v));
            }
        }
    }
}

/// Splits a condition's text into tokens at spaces, keeping strings whole
/// and `[`, `]`, `,` apart.
fn split_tokens(text: &str) -> Vec<String> {
    let mut toks = Vec::new();
    let mut cur = String::new();
    let mut in_str = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_str {
            cur.push(c);
            if c == '\\' {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            } else if c == '"' {
                in_str = false;
                toks.push(std::mem::take(&mut cur));
            }
            continue;
        }
        match c {
            '"' => {
                if !cur.is_empty() {
                    toks.push(std::mem::take(&mut cur));
                }
                in_str = true;
                cur.push(c);
            }
            ' ' => {
                if !cur.is_empty() {
                    toks.push(std::mem::take(&mut cur));
                }
            }
            '[' | ']' | ',' => {
                if !cur.is_empty() {
                    toks.push(std::mem::take(&mut cur));
                }
                toks.push(c.to_string());
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        toks.push(cur);
    }
    toks
}
