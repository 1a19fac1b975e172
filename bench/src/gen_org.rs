//! `accessc-gen-org`: writes a large synthetic organization and access model
//! (an `accessc-org/1` snapshot plus `.access` files) for benchmarks.
//!
//! The output is a function of the arguments alone: same arguments and seed,
//! same bytes. Each part (org, principals, functions, grants) draws from its own
//! stream of a tiny splitmix64 PRNG, so changing `--grants` leaves `org.json`
//! alone. The program is meant to check clean: every declared name is used, only
//! the break-glass function reaches the management account, no grant targets an
//! empty OU, and no (principal, function, account) is granted twice.
//!
//! It reads nothing of the compiler: only `accessc-core`'s output module, to
//! write its files the way `accessc` writes its own, and its org snapshot
//! types, to write `org.json` as `accessc org snapshot` does.

use std::collections::{HashSet, VecDeque};
use std::fmt::{self, Write as _};
use std::fs;
use std::path::PathBuf;

use accessc_core::org_snapshot::{self, IdentityStore, OrgSnapshot};
use clap::Parser;

/// Generate a deterministic synthetic organization and access model for benchmarks.
#[derive(Parser, Debug)]
#[command(name = "accessc-gen-org", version)]
pub struct Args {
    /// Directory to write org.json, main.access, functions.access,
    /// principals.access and grants.access into (created if missing)
    #[arg(short = 'o', long = "out", value_name = "DIR")]
    pub out: PathBuf,
    /// Accounts, the management account included
    #[arg(long, default_value_t = 2000)]
    pub accounts: usize,
    /// Organizational units (at least 16)
    #[arg(long, default_value_t = 300)]
    pub ous: usize,
    /// Functions (permission sets), the one break-glass function included
    #[arg(long, default_value_t = 200)]
    pub functions: usize,
    /// Identity-store groups
    #[arg(long, default_value_t = 1000)]
    pub groups: usize,
    /// `grant` lines
    #[arg(long, default_value_t = 5000)]
    pub grants: usize,
    /// Identity-store users (each gets at least one owned, expiring grant)
    #[arg(long, default_value_t = 50)]
    pub users: usize,
    /// PRNG seed
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Write the whole program into one file, main.access (with org.json
    /// beside it), instead of four; the other three are removed if present
    #[arg(long)]
    pub single_file: bool,
}

/// Writes the organization `args` describe; returns the one-line summary.
pub fn generate_from<I, T>(args: I) -> Result<String, String>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let args = Args::try_parse_from(args).map_err(|e| e.to_string())?;
    run(&args)
}

/// Writes the organization `args` describe; returns the one-line summary.
pub fn run(args: &Args) -> Result<String, String> {
    validate(args)?;
    let org = build_org(args);
    let people = build_people(args);
    let functions = build_functions(args);
    let plan = build_grants(args, &org, &people, &functions);
    for w in &plan.warnings {
        eprintln!("accessc-gen-org: warning: {w}");
    }

    let fmt_err = |e: fmt::Error| format!("formatting output: {e}");
    let mut files = vec![
        ("org.json", render_snapshot(&org, &people)?),
        (
            "main.access",
            render_main(args, &org, &people).map_err(fmt_err)?,
        ),
        (
            "functions.access",
            render_functions(args, &functions).map_err(fmt_err)?,
        ),
        (
            "principals.access",
            render_principals(args, &people).map_err(fmt_err)?,
        ),
        (
            "grants.access",
            render_grants(args, &org, &people, &functions, &plan).map_err(fmt_err)?,
        ),
    ];
    fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create `{}`: {e}", args.out.display()))?;
    if args.single_file {
        // One program file: the three others appended to main.access (each
        // keeps its header comment), and removed if an earlier run left them.
        let rest: Vec<(&str, String)> = files.drain(2..).collect();
        for (name, text) in rest {
            files[1].1.push('\n');
            files[1].1.push_str(&text);
            let path = args.out.join(name);
            match fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(format!("cannot remove `{}`: {e}", path.display()));
                }
                _ => {}
            }
        }
    }
    for (name, text) in &files {
        let path = args.out.join(name);
        accessc_core::output::replace_file(&path, text.as_bytes())
            .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
    }

    let depth = org.ous.iter().map(|o| o.depth).max().unwrap_or(0);
    Ok(format!(
        "wrote {}: {} accounts, {} OUs (depth {}), {} functions, {} groups, {} users, \
         {} grants expanding to {} assignments",
        args.out.display(),
        org.accounts.len(),
        org.ous.len(),
        depth,
        functions.len(),
        people.groups.len(),
        people.users.len(),
        plan.grants.len(),
        plan.assignments,
    ))
}

/// The smallest org that has every fixed part of the shape plus one workload.
const MIN_OUS: usize = FIXED_OUS + 3;
/// Security (+2), Infrastructure (+2 services × 3), Workloads, Sandbox, Suspended.
const FIXED_OUS: usize = 13;

fn validate(args: &Args) -> Result<(), String> {
    if args.ous < MIN_OUS {
        return Err(format!(
            "--ous must be at least {MIN_OUS} (the fixed OU skeleton plus one workload)"
        ));
    }
    if args.accounts < 2 {
        return Err("--accounts must be at least 2 (the management account and one member)".into());
    }
    if args.functions < 2 {
        return Err(
            "--functions must be at least 2 (the break-glass function and one more)".into(),
        );
    }
    if args.groups < 1 || args.grants < 1 {
        return Err("--groups and --grants must be at least 1 (the break-glass grant)".into());
    }
    if args.functions > 500 {
        eprintln!(
            "accessc-gen-org: warning: over 500 functions may exceed the provisioned-per-account quota (A208)"
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// PRNG

/// splitmix64: tiny, fast, and good enough for synthetic data.
struct Rng(u64);

impl Rng {
    /// A generator for one part of the output, so that parts are independent.
    fn new(seed: u64, stream: u64) -> Self {
        let mut r = Rng(seed ^ stream.wrapping_mul(0xA076_1D64_78BD_642F));
        r.next_u64();
        r
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`; 0 when `n` is 0.
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    /// An index drawn by weight; 0 when every weight is 0.
    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        if total == 0 {
            return 0;
        }
        let mut x = self.next_u64() % total;
        for (i, &w) in weights.iter().enumerate() {
            if x < u64::from(w) {
                return i;
            }
            x -= u64::from(w);
        }
        weights.len() - 1
    }

    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs.get(self.below(xs.len())).copied().unwrap_or("")
    }

    fn shuffle<T>(&mut self, xs: &mut [T]) {
        for i in (1..xs.len()).rev() {
            let j = self.below(i + 1);
            xs.swap(i, j);
        }
    }

    fn alnum(&mut self, len: usize) -> String {
        const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        (0..len)
            .map(|_| char::from(CHARS[self.below(CHARS.len())]))
            .collect()
    }

    fn hex(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(b"0123456789abcdef"[self.below(16)]))
            .collect()
    }

    /// A version-4-shaped UUID.
    fn uuid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            ((b >> 48) & 0x3fff) | 0x8000,
            b & 0xffff_ffff_ffff
        )
    }
}

const STREAM_ORG: u64 = 1;
const STREAM_PEOPLE: u64 = 2;
const STREAM_FUNCTIONS: u64 = 3;
const STREAM_GRANTS: u64 = 4;
const STREAM_INSTANCE: u64 = 5;

// ---------------------------------------------------------------------------
// The organization

const ROOT_ID: &str = "r-ab12";
const MANAGEMENT_ID: &str = "999999999999";

struct Ou {
    name: String,
    id: String,
    parent: Option<usize>,
    /// 1 for a top-level OU.
    depth: usize,
    /// `Workloads/Payments/NonProd`
    path: String,
    children: Vec<usize>,
    /// Accounts directly in this OU.
    accounts: Vec<usize>,
    /// Prefix of the names of accounts placed here.
    stem: String,
    /// Relative chance that a new account lands here.
    weight: u32,
    /// False for Suspended: no grant targets it.
    targetable: bool,
}

struct Account {
    name: String,
    id: String,
    /// `None` for an account directly under the root.
    ou: Option<usize>,
}

struct Org {
    ous: Vec<Ou>,
    accounts: Vec<Account>,
    /// Every account beneath each OU, at any depth.
    under: Vec<Vec<usize>>,
    /// The top-level OUs, in creation order.
    top: Vec<usize>,
    /// The first workload (used for a more specific `in` block).
    first_workload: usize,
    suspended: usize,
}

impl Org {
    /// True when `a` is `b` or one of its ancestors.
    fn contains_ou(&self, a: usize, b: usize) -> bool {
        let mut cur = Some(b);
        while let Some(c) = cur {
            if c == a {
                return true;
            }
            cur = self.ous[c].parent;
        }
        false
    }
}

/// Business units under Workloads, reused with a round number (`Payments2`) when exhausted.
const WORKLOAD_NAMES: &str = "\
    Payments Checkout Catalog Search Orders Inventory Shipping Analytics Marketing Identity \
    Messaging Media Pricing Ledger Risk Fraud Claims Quotes Loyalty Reviews Recommendations \
    CustomerCare Telemetry Mobile Web Partners Reporting DataLake MachineLearning \
    Notifications Scheduling Documents Onboarding Subscriptions Invoicing Warehouse \
    Fulfilment Returns Ads Streaming Gaming Maps Bookings Travel Insurance Lending Trading \
    Treasury";

fn build_org(args: &Args) -> Org {
    let mut rng = Rng::new(args.seed, STREAM_ORG);
    let mut b = OrgBuilder {
        ous: Vec::new(),
        ou_ids: HashSet::new(),
    };

    let security = b.add(&mut rng, "Security", None, "security", 1, true);
    b.add(&mut rng, "Prod", Some(security), "security-prod", 2, true);
    b.add(
        &mut rng,
        "NonProd",
        Some(security),
        "security-nonprod",
        1,
        true,
    );
    let infra = b.add(&mut rng, "Infrastructure", None, "infra", 0, true);
    for (name, stem) in [("Network", "network"), ("SharedServices", "shared")] {
        let svc = b.add(&mut rng, name, Some(infra), stem, 0, true);
        b.add(
            &mut rng,
            "Prod",
            Some(svc),
            &format!("{stem}-prod"),
            2,
            true,
        );
        b.add(
            &mut rng,
            "NonProd",
            Some(svc),
            &format!("{stem}-nonprod"),
            1,
            true,
        );
    }
    let workloads = b.add(&mut rng, "Workloads", None, "workloads", 0, true);
    let sandbox = b.add(&mut rng, "Sandbox", None, "sandbox", 0, true);
    let suspended = b.add(&mut rng, "Suspended", None, "suspended", 1, false);
    debug_assert_eq!(b.ous.len(), FIXED_OUS);

    // The rest: ~85% workloads (3 or 5 OUs each), the remainder sandbox teams.
    let remaining = args.ous - FIXED_OUS;
    let mut sandbox_teams = remaining * 15 / 100;
    let mut budget = remaining - sandbox_teams;
    let mut first_workload = None;
    let workload_names: Vec<&str> = WORKLOAD_NAMES.split_whitespace().collect();
    let mut n = 0;
    while budget >= 3 {
        let with_stages = budget >= 5 && rng.chance(55);
        let base = workload_names[n % workload_names.len()];
        let round = n / workload_names.len();
        let name = if round == 0 {
            base.to_string()
        } else {
            format!("{base}{}", round + 1)
        };
        let stem = name.to_lowercase();
        let unit = b.add(&mut rng, &name, Some(workloads), &stem, 1, true);
        first_workload.get_or_insert(unit);
        let np_weight = if with_stages { 1 } else { 6 };
        let nonprod = b.add(
            &mut rng,
            "NonProd",
            Some(unit),
            &format!("{stem}-nonprod"),
            np_weight,
            true,
        );
        b.add(
            &mut rng,
            "Prod",
            Some(unit),
            &format!("{stem}-prod"),
            8,
            true,
        );
        if with_stages {
            b.add(
                &mut rng,
                "Dev",
                Some(nonprod),
                &format!("{stem}-dev"),
                6,
                true,
            );
            b.add(
                &mut rng,
                "Test",
                Some(nonprod),
                &format!("{stem}-test"),
                4,
                true,
            );
            budget -= 5;
        } else {
            budget -= 3;
        }
        n += 1;
    }
    sandbox_teams += budget;
    for i in 1..=sandbox_teams {
        b.add(
            &mut rng,
            &format!("Team{i:03}"),
            Some(sandbox),
            &format!("sandbox-team{i:03}"),
            2,
            true,
        );
    }

    let mut ous = b.ous;
    let mut accounts = vec![Account {
        name: "management".into(),
        id: MANAGEMENT_ID.into(),
        ou: None,
    }];
    let mut ids: HashSet<String> = HashSet::from([MANAGEMENT_ID.to_string()]);
    let mut next_id = |rng: &mut Rng| loop {
        let id = format!(
            "{}{:011}",
            rng.range(1, 9),
            rng.next_u64() % 100_000_000_000
        );
        if ids.insert(id.clone()) {
            return id;
        }
    };

    // Named landing-zone accounts first, then one per leaf, then by weight.
    let sec_prod = ous[security].children[0];
    let net_prod = ous[ous[infra].children[0]].children[0];
    let shared_prod = ous[ous[infra].children[1]].children[0];
    let mut place =
        |accounts: &mut Vec<Account>, ous: &mut Vec<Ou>, name: String, ou: usize, rng: &mut Rng| {
            let idx = accounts.len();
            accounts.push(Account {
                name,
                id: next_id(rng),
                ou: Some(ou),
            });
            ous[ou].accounts.push(idx);
        };
    for (name, ou) in [
        ("log-archive", sec_prod),
        ("audit", sec_prod),
        ("network-hub", net_prod),
        ("shared-services", shared_prod),
    ] {
        if accounts.len() < args.accounts {
            place(&mut accounts, &mut ous, name.to_string(), ou, &mut rng);
        }
    }
    let mut counter = 0usize;
    let leaves: Vec<usize> = (0..ous.len())
        .filter(|&i| ous[i].children.is_empty())
        .collect();
    for &leaf in &leaves {
        if accounts.len() >= args.accounts {
            break;
        }
        if ous[leaf].accounts.is_empty() {
            counter += 1;
            let name = format!("{}-{counter:04}", ous[leaf].stem);
            place(&mut accounts, &mut ous, name, leaf, &mut rng);
        }
    }
    let weights: Vec<u32> = ous.iter().map(|o| o.weight).collect();
    while accounts.len() < args.accounts {
        let ou = rng.weighted(&weights);
        counter += 1;
        let name = format!("{}-{counter:04}", ous[ou].stem);
        place(&mut accounts, &mut ous, name, ou, &mut rng);
    }

    let mut under = vec![Vec::new(); ous.len()];
    for (idx, acct) in accounts.iter().enumerate() {
        let mut cur = acct.ou;
        while let Some(c) = cur {
            under[c].push(idx);
            cur = ous[c].parent;
        }
    }

    Org {
        top: (0..ous.len())
            .filter(|&i| ous[i].parent.is_none())
            .collect(),
        first_workload: first_workload.unwrap_or(workloads),
        ous,
        accounts,
        under,
        suspended,
    }
}

struct OrgBuilder {
    ous: Vec<Ou>,
    ou_ids: HashSet<String>,
}

impl OrgBuilder {
    fn add(
        &mut self,
        rng: &mut Rng,
        name: &str,
        parent: Option<usize>,
        stem: &str,
        weight: u32,
        targetable: bool,
    ) -> usize {
        let id = loop {
            let id = format!("ou-ab12-{}", rng.alnum(8));
            if self.ou_ids.insert(id.clone()) {
                break id;
            }
        };
        let (depth, path) = match parent {
            Some(p) => (
                self.ous[p].depth + 1,
                format!("{}/{name}", self.ous[p].path),
            ),
            None => (1, name.to_string()),
        };
        let idx = self.ous.len();
        self.ous.push(Ou {
            name: name.to_string(),
            id,
            parent,
            depth,
            path,
            children: Vec::new(),
            accounts: Vec::new(),
            stem: stem.to_string(),
            weight,
            targetable,
        });
        if let Some(p) = parent {
            self.ous[p].children.push(idx);
        }
        idx
    }
}

// ---------------------------------------------------------------------------
// Principals

struct People {
    store_id: String,
    /// (name = DisplayName, GroupId)
    groups: Vec<(String, String)>,
    /// (identifier, UserName, UserId)
    users: Vec<(String, String, String)>,
}

const GROUP_ROLES: &[&str] = &[
    "platform-admins",
    "engineers",
    "operators",
    "analysts",
    "auditors",
    "developers",
    "finops",
    "data-scientists",
    "sre",
    "security",
    "support",
    "testers",
];

fn build_people(args: &Args) -> People {
    let mut rng = Rng::new(args.seed, STREAM_PEOPLE);
    let store_id = format!("d-{}", rng.hex(10));
    let mut seen = HashSet::new();
    let mut fresh_uuid = |rng: &mut Rng| loop {
        let u = rng.uuid();
        if seen.insert(u.clone()) {
            return u;
        }
    };
    let groups = (1..=args.groups)
        .map(|i| {
            let role = GROUP_ROLES[(i - 1) % GROUP_ROLES.len()];
            (format!("g-{i:04}-{role}"), fresh_uuid(&mut rng))
        })
        .collect();
    let users = (1..=args.users)
        .map(|i| {
            (
                format!("u-{i:04}"),
                format!("u{i:04}@example.com"),
                fresh_uuid(&mut rng),
            )
        })
        .collect();
    People {
        store_id,
        groups,
        users,
    }
}

// ---------------------------------------------------------------------------
// Functions

const BREAK_GLASS: &str = "EmergencyAdmin";
const BOUNDARY: &str = "BenchBoundary";
const CMP_OPS: &str = "BenchOpsActions";
const CMP_DATA: &str = "BenchDataAccess";
const POLICIES: &[&str] = &[
    "BenchAppPlane",
    "BenchTeamScopedS3",
    "BenchCostScopedEc2",
    "BenchRegionGuard",
    "BenchLogsReader",
    "BenchPlatformSecrets",
];
const AWS_MANAGED: &[&str] = &[
    "ReadOnlyAccess",
    "ViewOnlyAccess",
    "SecurityAudit",
    "PowerUserAccess",
    "Billing",
    "AmazonS3ReadOnlyAccess",
    "AWSLambda_ReadOnlyAccess",
    "CloudWatchReadOnlyAccess",
];
const ROLES: &[&str] = &[
    "Reader",
    "Deployer",
    "Operator",
    "Analyst",
    "Auditor",
    "Developer",
    "DataEngineer",
    "Support",
    "NetworkOps",
    "CostViewer",
    "Responder",
    "Tester",
];
const SESSIONS: &[&str] = &[
    "1h", "2h", "4h", "8h", "90m", "3h", "PT2H", "PT1H30M", "PT8H",
];
const TIERS: &[&str] = &["gold", "silver", "bronze"];

struct Function {
    name: String,
    doc: Option<String>,
    description: Option<String>,
    session: &'static str,
    relay: bool,
    managed: Vec<&'static str>,
    customer: Vec<&'static str>,
    inline: Vec<&'static str>,
    tier: Option<&'static str>,
    statements: Vec<String>,
}

/// A direct statement for function number `n`; `kind` picks the template.
fn statement(kind: usize, n: usize) -> String {
    match kind {
        0 => format!(
            "allow s3:GetObject, s3:ListBucket on \"arn:aws:s3:::bench-data-{n:04}\", \"arn:aws:s3:::bench-data-{n:04}/*\""
        ),
        1 => format!(
            "allow lambda:InvokeFunction, lambda:GetFunction on \"arn:aws:lambda:us-east-1:*:function:bench-{n:04}-*\""
        ),
        2 => "allow logs:GetLogEvents, logs:FilterLogEvents, logs:DescribeLogStreams on \"arn:aws:logs:*:*:log-group:/aws/lambda/bench-*\"".to_string(),
        3 => format!(
            "allow dynamodb:Query, dynamodb:GetItem on \"arn:aws:dynamodb:*:*:table/bench-{n:04}\" when resource.tag.Department == principal.tag.Department"
        ),
        4 => "allow ec2:StartInstances, ec2:StopInstances on * when resource.tag.Department == principal.tag.Department and resource.tag.CostCenter == principal.tag.CostCenter".to_string(),
        5 => "allow sqs:SendMessage, sqs:ReceiveMessage on * when StringEquals \"aws:RequestedRegion\" [\"us-east-1\", \"eu-west-1\"]".to_string(),
        6 => "deny s3:DeleteBucket, s3:PutBucketPolicy on *".to_string(),
        _ => "allow ssm:GetParameter, ssm:GetParameters on \"arn:aws:ssm:us-east-1:*:parameter/bench/*\" when principal.tag.Department == \"platform\"".to_string(),
    }
}
const STATEMENT_KINDS: usize = 8;

/// Index 0 is the break-glass function; the others are `FnNNNNRole`.
fn build_functions(args: &Args) -> Vec<Function> {
    let mut rng = Rng::new(args.seed, STREAM_FUNCTIONS);
    let regular = args.functions - 1;
    let mut fns = vec![Function {
        name: BREAK_GLASS.into(),
        doc: Some("Emergency administrator: every use pages the security on-call.".into()),
        description: None,
        session: "1h",
        relay: false,
        managed: vec!["AdministratorAccess"],
        customer: Vec::new(),
        inline: Vec::new(),
        tier: None,
        statements: Vec::new(),
    }];
    for i in 1..=regular {
        let role = rng.pick(ROLES);
        let name = format!("Fn{i:04}{role}");
        let text = format!("Synthetic {role} function {i} for benchmarks.");
        let (doc, description) = match i % 3 {
            0 => (Some(text), None),
            1 => (None, Some(text)),
            _ => (None, None),
        };
        let mut managed = Vec::new();
        for _ in 0..rng.range(0, 2) {
            let m = rng.pick(AWS_MANAGED);
            if !managed.contains(&m) {
                managed.push(m);
            }
        }
        // Each declared policy and managed policy is forced onto some function.
        let mut customer = Vec::new();
        if i == 1 || rng.chance(20) {
            customer.push(CMP_OPS);
        }
        if i == 1 % regular + 1 || rng.chance(10) {
            customer.push(CMP_DATA);
        }
        let mut inline: Vec<&'static str> = POLICIES
            .iter()
            .enumerate()
            .filter(|(p, _)| p % regular + 1 == i)
            .map(|(_, &p)| p)
            .collect();
        for _ in 0..rng.range(0, 2) {
            let p = rng.pick(POLICIES);
            if !inline.contains(&p) {
                inline.push(p);
            }
        }
        let mut statements = Vec::new();
        let mut kinds = Vec::new();
        for _ in 0..rng.weighted(&[40, 40, 20]) {
            let k = rng.below(STATEMENT_KINDS);
            if !kinds.contains(&k) {
                kinds.push(k);
                let sid = if rng.chance(50) {
                    format!("Fn{i:04}Direct{}: ", kinds.len())
                } else {
                    String::new()
                };
                statements.push(format!("{sid}{}", statement(k, i)));
            }
        }
        fns.push(Function {
            name,
            doc,
            description,
            session: rng.pick(SESSIONS),
            relay: rng.chance(10),
            managed,
            customer,
            inline,
            tier: if rng.chance(30) {
                Some(rng.pick(TIERS))
            } else {
                None
            },
            statements,
        });
    }
    fns
}

// ---------------------------------------------------------------------------
// Grants

#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    Root,
    Ou(usize),
    Account(usize),
    /// An account written as its quoted 12-digit id.
    AccountId(usize),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Principal {
    Group(usize),
    User(usize),
}

struct Grant {
    functions: Vec<usize>,
    principals: Vec<Principal>,
    /// Write the `group` keyword before a single group.
    explicit_group: bool,
    targets: Vec<Target>,
    except: Vec<Target>,
    owner: Option<&'static str>,
}

struct GrantPlan {
    grants: Vec<Grant>,
    /// Expanded (principal, function, account) triples, all distinct.
    assignments: u64,
    warnings: Vec<String>,
}

const OWNERS: &[&str] = &[
    "secops@example.com",
    "platform-team@example.com",
    "audit@example.com",
];
const USER_UNTIL: &str = "2030-12-31";

/// Where grants may point, by kind, with the weights they are drawn with.
struct TargetPool {
    by_depth: [Vec<usize>; 4],
    accounts: Vec<usize>,
}

impl TargetPool {
    fn new(org: &Org) -> Self {
        let mut by_depth: [Vec<usize>; 4] = Default::default();
        for (i, ou) in org.ous.iter().enumerate() {
            if ou.targetable && !org.under[i].is_empty() && (1..=4).contains(&ou.depth) {
                by_depth[ou.depth - 1].push(i);
            }
        }
        let accounts = org
            .accounts
            .iter()
            .enumerate()
            .filter(|(_, a)| a.ou.is_some_and(|o| org.ous[o].targetable))
            .map(|(i, _)| i)
            .collect();
        TargetPool { by_depth, accounts }
    }

    fn draw(&self, rng: &mut Rng) -> Option<Target> {
        let w = |v: &Vec<usize>, w: u32| if v.is_empty() { 0 } else { w };
        let weights = [
            w(&self.by_depth[0], 2),
            w(&self.by_depth[1], 18),
            w(&self.by_depth[2], 45),
            w(&self.by_depth[3], 25),
            w(&self.accounts, 10),
        ];
        if weights.iter().all(|&x| x == 0) {
            return None;
        }
        let k = rng.weighted(&weights);
        if k < 4 {
            let v = &self.by_depth[k];
            Some(Target::Ou(v[rng.below(v.len())]))
        } else {
            let a = self.accounts[rng.below(self.accounts.len())];
            Some(if rng.chance(5) {
                Target::AccountId(a)
            } else {
                Target::Account(a)
            })
        }
    }
}

fn account_of(t: Target) -> Option<usize> {
    match t {
        Target::Account(a) | Target::AccountId(a) => Some(a),
        _ => None,
    }
}

/// True when two targets reach a common account.
fn overlaps(org: &Org, a: Target, b: Target) -> bool {
    match (a, b) {
        (Target::Root, _) | (_, Target::Root) => true,
        (Target::Ou(x), Target::Ou(y)) => org.contains_ou(x, y) || org.contains_ou(y, x),
        (Target::Ou(x), t) | (t, Target::Ou(x)) => account_of(t)
            .and_then(|acc| org.accounts[acc].ou)
            .is_some_and(|o| org.contains_ou(x, o)),
        (s, t) => account_of(s) == account_of(t),
    }
}

fn size(org: &Org, t: Target) -> usize {
    match t {
        Target::Root => org.accounts.len(),
        Target::Ou(o) => org.under[o].len(),
        Target::Account(_) | Target::AccountId(_) => 1,
    }
}

/// 1–`max` disjoint targets, plus (sometimes) one `except` inside one of them.
fn draw_targets(
    rng: &mut Rng,
    org: &Org,
    pool: &TargetPool,
    max: usize,
    except_pct: u64,
) -> (Vec<Target>, Vec<Target>) {
    let want = 1 + rng.weighted(&[60, 30, 10][..max.min(3)]);
    let mut targets: Vec<Target> = Vec::new();
    for _ in 0..want * 10 {
        if targets.len() == want {
            break;
        }
        if let Some(t) = pool.draw(rng) {
            if targets.iter().all(|&u| !overlaps(org, t, u)) {
                targets.push(t);
            }
        }
    }
    let mut except = Vec::new();
    if rng.chance(except_pct) {
        let wide: Vec<usize> = targets
            .iter()
            .filter_map(|&t| match t {
                Target::Ou(o) if org.under[o].len() >= 2 => Some(o),
                _ => None,
            })
            .collect();
        if !wide.is_empty() {
            let o = wide[rng.below(wide.len())];
            let children: Vec<usize> = org.ous[o]
                .children
                .iter()
                .copied()
                .filter(|&c| !org.under[c].is_empty() && org.under[c].len() < org.under[o].len())
                .collect();
            if !children.is_empty() && rng.chance(50) {
                except.push(Target::Ou(children[rng.below(children.len())]));
            } else {
                let accs = &org.under[o];
                except.push(Target::Account(accs[rng.below(accs.len())]));
            }
        }
    }
    (targets, except)
}

fn build_grants(args: &Args, org: &Org, people: &People, functions: &[Function]) -> GrantPlan {
    let mut rng = Rng::new(args.seed, STREAM_GRANTS);
    let pool = TargetPool::new(org);
    let n_groups = people.groups.len();
    let n_fns = functions.len();
    let mut warnings = Vec::new();

    // Coverage: every group and function is drawn from a shuffled queue of
    // unused ones first, enough per grant to exhaust the queue in time.
    let mut group_queue: VecDeque<usize> = {
        let mut v: Vec<usize> = (1..n_groups).collect();
        rng.shuffle(&mut v);
        v.into()
    };
    let mut fn_queue: VecDeque<usize> = {
        let mut v: Vec<usize> = (1..n_fns).collect();
        rng.shuffle(&mut v);
        v.into()
    };
    let mut group_used = vec![false; n_groups];
    let mut fn_used = vec![false; n_fns];
    let mut groups_left = n_groups;
    let mut fns_left = n_fns - 1;
    let mut pairs: HashSet<(usize, usize)> = HashSet::new();
    let principal_key = |p: Principal| match p {
        Principal::Group(g) => g,
        Principal::User(u) => n_groups + u,
    };

    // The break-glass grant: the whole organization except Suspended.
    let suspended = !org.under[org.suspended].is_empty();
    let mut grants = vec![Grant {
        functions: vec![0],
        principals: vec![Principal::Group(0)],
        explicit_group: false,
        targets: vec![Target::Root],
        except: if suspended {
            vec![Target::Ou(org.suspended)]
        } else {
            Vec::new()
        },
        owner: None,
    }];
    group_used[0] = true;
    groups_left -= 1;
    fn_used[0] = true;
    let mut assignments = (org.accounts.len() - org.under[org.suspended].len()) as u64;

    let rest = args.grants - 1;
    let user_grants = if people.users.is_empty() {
        0
    } else {
        rest.min(people.users.len().max(args.grants / 50))
    };
    if user_grants < people.users.len() {
        warnings.push(format!(
            "only {user_grants} user grants for {} users: some users are unused (A505)",
            people.users.len()
        ));
    }
    let mut group_grants_left = rest - user_grants;
    let mut user_queue: VecDeque<usize> = (0..people.users.len()).collect();

    for k in 0..rest {
        let all_left = rest - k;
        // Spread user grants evenly through the file.
        let is_user = (k * user_grants) / rest.max(1) != ((k + 1) * user_grants) / rest.max(1);

        let principals: Vec<Principal> = if is_user {
            let u = user_queue
                .pop_front()
                .unwrap_or_else(|| rng.below(people.users.len()));
            vec![Principal::User(u)]
        } else {
            let forced = groups_left.div_ceil(group_grants_left.max(1));
            let n = (1 + rng.weighted(&[70, 30])).max(forced).min(n_groups);
            group_grants_left = group_grants_left.saturating_sub(1);
            let mut ps: Vec<usize> = Vec::new();
            while ps.len() < n {
                let g = match pop_unused(&mut group_queue, &group_used) {
                    Some(g) => g,
                    None => {
                        let g = rng.below(n_groups);
                        if ps.contains(&g) {
                            continue;
                        }
                        g
                    }
                };
                if !group_used[g] {
                    group_used[g] = true;
                    groups_left -= 1;
                }
                ps.push(g);
            }
            ps.into_iter().map(Principal::Group).collect()
        };

        let forced = fns_left.div_ceil(all_left);
        let n = (1 + rng.weighted(if is_user { &[70, 30, 0] } else { &[55, 30, 15] }))
            .max(forced)
            .min(n_fns - 1);
        let mut fs: Vec<usize> = Vec::new();
        let mut tries = 0;
        while fs.len() < n {
            let f = match pop_unused(&mut fn_queue, &fn_used) {
                Some(f) => f,
                None => {
                    // Random, avoiding (principal, function) pairs already granted.
                    tries += 1;
                    if tries > 200 {
                        break;
                    }
                    let f = rng.range(1, n_fns - 1);
                    let clash = principals
                        .iter()
                        .any(|&p| pairs.contains(&(principal_key(p), f)));
                    if fs.contains(&f) || (clash && tries < 100) {
                        continue;
                    }
                    f
                }
            };
            if !fn_used[f] {
                fn_used[f] = true;
                fns_left -= 1;
            }
            fs.push(f);
        }
        for &p in &principals {
            for &f in &fs {
                pairs.insert((principal_key(p), f));
            }
        }

        let (targets, except) = if is_user {
            draw_targets(&mut rng, org, &pool, 1, 0)
        } else {
            draw_targets(&mut rng, org, &pool, 3, 15)
        };
        let reach: usize = targets.iter().map(|&t| size(org, t)).sum::<usize>()
            - except.iter().map(|&t| size(org, t)).sum::<usize>();
        assignments += (reach * fs.len() * principals.len()) as u64;

        grants.push(Grant {
            explicit_group: !is_user && principals.len() == 1 && rng.chance(10),
            owner: if is_user {
                Some(rng.pick(OWNERS))
            } else {
                None
            },
            functions: fs,
            principals,
            targets,
            except,
        });
    }
    if groups_left > 0 {
        warnings.push(format!(
            "{groups_left} groups are never granted (A505): raise --grants"
        ));
    }
    if fns_left > 0 {
        warnings.push(format!(
            "{fns_left} functions are never granted: raise --grants"
        ));
    }
    GrantPlan {
        grants,
        assignments,
        warnings,
    }
}

fn pop_unused(queue: &mut VecDeque<usize>, used: &[bool]) -> Option<usize> {
    while let Some(x) = queue.pop_front() {
        if !used[x] {
            return Some(x);
        }
    }
    None
}

// ---------------------------------------------------------------------------
// Rendering

/// Accounts sorted by name, as `accessc org snapshot` writes them.
fn json_accounts(org: &Org, idxs: &[usize]) -> Vec<org_snapshot::Account> {
    let mut v: Vec<org_snapshot::Account> = idxs
        .iter()
        .map(|&i| org_snapshot::Account {
            name: org.accounts[i].name.clone(),
            id: org.accounts[i].id.clone(),
            status: None,
        })
        .collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    v
}

fn json_ous(org: &Org, idxs: &[usize]) -> Vec<org_snapshot::Ou> {
    let mut v: Vec<org_snapshot::Ou> = idxs
        .iter()
        .map(|&i| {
            let ou = &org.ous[i];
            org_snapshot::Ou {
                name: ou.name.clone(),
                id: Some(ou.id.clone()),
                accounts: json_accounts(org, &ou.accounts),
                ous: json_ous(org, &ou.children),
            }
        })
        .collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    v
}

fn render_snapshot(org: &Org, people: &People) -> Result<String, String> {
    let root_accounts: Vec<usize> = (0..org.accounts.len())
        .filter(|&i| org.accounts[i].ou.is_none())
        .collect();
    let snapshot = OrgSnapshot {
        format: org_snapshot::FORMAT.to_string(),
        root: Some(ROOT_ID.to_string()),
        management_account: Some(MANAGEMENT_ID.to_string()),
        accounts: json_accounts(org, &root_accounts),
        ous: json_ous(org, &org.top),
        identity_store: Some(IdentityStore {
            id: Some(people.store_id.clone()),
            groups: people
                .groups
                .iter()
                .map(|(n, id)| (n.clone(), id.clone()))
                .collect(),
            users: people
                .users
                .iter()
                .map(|(_, n, id)| (n.clone(), id.clone()))
                .collect(),
        }),
    };
    snapshot
        .to_json()
        .map_err(|e| format!("serializing org.json: {e}"))
}

fn header(out: &mut String, args: &Args, what: &str) -> fmt::Result {
    writeln!(out, "// {what}")?;
    writeln!(
        out,
        "// Generated by `accessc-gen-org --accounts {} --ous {} --functions {} --groups {} --grants {} --users {} --seed {}{}`: do not edit.",
        args.accounts,
        args.ous,
        args.functions,
        args.groups,
        args.grants,
        args.users,
        args.seed,
        if args.single_file { " --single-file" } else { "" },
    )?;
    writeln!(out)
}

fn render_main(args: &Args, org: &Org, people: &People) -> Result<String, fmt::Error> {
    let mut rng = Rng::new(args.seed, STREAM_INSTANCE);
    let mut o = String::new();
    header(
        &mut o,
        args,
        "A synthetic organization for benchmarks: instance, ABAC attributes, shared policies.",
    )?;
    writeln!(o, "org from \"org.json\"\n")?;
    writeln!(o, "instance {{")?;
    writeln!(o, "  arn \"arn:aws:sso:::instance/ssoins-{}\"", rng.hex(16))?;
    writeln!(o, "  identity_store \"{}\"", people.store_id)?;
    writeln!(o, "  region \"us-east-1\"")?;
    writeln!(o, "}}\n")?;
    o.push_str(concat!(
        "attributes {\n",
        "  Department = \"${path:enterprise.department}\"\n",
        "  CostCenter = \"${path:enterprise.costCenter}\"\n",
        "}\n\n",
    ));

    o.push_str(concat!(
        "// Serverless application plane, with the controls developers must not touch.\n",
        "policy BenchAppPlane {\n",
        "  AppPlaneInvoke: allow lambda:InvokeFunction, lambda:GetFunction, states:StartExecution,\n",
        "                        states:DescribeExecution on *\n",
        "  AppPlaneTables: allow dynamodb:Query, dynamodb:GetItem, dynamodb:PutItem on \"arn:aws:dynamodb:*:*:table/bench-*\"\n",
        "  AppPlaneDenyControls: deny iam:CreateUser, iam:CreateAccessKey, iam:Put*Policy,\n",
        "                        kms:ScheduleKeyDeletion, kms:Disable* on *\n",
        "}\n\n",
        "policy BenchTeamScopedS3 {\n",
        "  TeamScopedS3: allow s3:GetObject, s3:PutObject, s3:ListBucket on *\n",
        "    when resource.tag.Department == principal.tag.Department\n",
        "}\n\n",
        "policy BenchCostScopedEc2 {\n",
        "  CostScopedEc2: allow ec2:StartInstances, ec2:StopInstances, ec2:RebootInstances on *\n",
        "    when resource.tag.CostCenter == principal.tag.CostCenter\n",
        "}\n\n",
        "policy BenchRegionGuard {\n",
        "  RegionGuard: deny not iam:*, organizations:*, sts:*, support:*, cloudfront:*, route53:* on *\n",
        "    when StringNotEquals \"aws:RequestedRegion\" [\"us-east-1\", \"eu-west-1\"]\n",
        "}\n\n",
        "policy BenchLogsReader {\n",
        "  LogsRead: allow logs:GetLogEvents, logs:FilterLogEvents, logs:DescribeLogGroups,\n",
        "                  logs:DescribeLogStreams, cloudwatch:GetMetricData on *\n",
        "}\n\n",
        "policy BenchPlatformSecrets {\n",
        "  PlatformSecrets: allow secretsmanager:GetSecretValue, kms:Decrypt on *\n",
        "    when principal.tag.Department == \"platform\"\n",
        "}\n\n",
    ));

    // A boundary that lists what the functions may do, rather than `allow * on *`,
    // so that the generated model has no A500 warning.
    o.push_str(concat!(
        "// The permissions boundary of every function except the break-glass one.\n",
        "managed_policy BenchBoundary {\n",
        "  path \"/boundaries/\"\n",
        "  BoundaryAllow: allow s3:Get*, s3:List*, s3:PutObject, lambda:Get*, lambda:List*,\n",
        "                   lambda:InvokeFunction, logs:Get*, logs:Describe*, logs:FilterLogEvents,\n",
        "                   dynamodb:Query, dynamodb:GetItem, dynamodb:PutItem, dynamodb:Describe*,\n",
        "                   ec2:Describe*, ec2:StartInstances, ec2:StopInstances, ec2:RebootInstances,\n",
        "                   sqs:SendMessage, sqs:ReceiveMessage, ssm:GetParameter*, states:StartExecution,\n",
        "                   states:Describe*, cloudwatch:Get*, cloudwatch:List*, cloudwatch:Describe*,\n",
        "                   guardduty:Get*, guardduty:List*, detective:Get*, secretsmanager:GetSecretValue,\n",
        "                   kms:Decrypt, athena:StartQueryExecution, athena:GetQueryResults,\n",
        "                   glue:GetTable, glue:GetDatabase on *\n",
        "  BoundaryDenyIdentity: deny iam:*, organizations:*, account:* on *\n",
        "  in Sandbox {\n",
        "    SandboxBoundaryAllow: allow s3:Get*, s3:List*, s3:PutObject, lambda:Get*, lambda:List*,\n",
        "                          lambda:InvokeFunction, logs:Get*, logs:Describe*, ec2:Describe*,\n",
        "                          ec2:StartInstances, ec2:StopInstances, dynamodb:Query, dynamodb:GetItem on *\n",
        "    SandboxBoundaryDeny: deny iam:*, organizations:*, account:*, ec2:PurchaseReservedInstancesOffering on *\n",
        "  }\n",
        "}\n\n",
    ));

    writeln!(o, "// Operations actions that differ per top-level OU.")?;
    writeln!(o, "managed_policy {CMP_OPS} {{")?;
    writeln!(o, "  path \"/bench/\"")?;
    for &t in &org.top {
        let name = &org.ous[t].name;
        let actions = match name.as_str() {
            "Security" => "guardduty:GetFindings, guardduty:ListFindings, detective:Get*",
            "Infrastructure" => "ec2:DescribeVpcs, ec2:DescribeSubnets, ec2:DescribeRouteTables",
            "Workloads" => "ec2:DescribeInstances, ec2:RebootInstances, ssm:GetParameter",
            "Sandbox" => "ec2:DescribeInstances, ec2:StartInstances, ec2:StopInstances",
            _ => "ec2:DescribeInstances",
        };
        writeln!(o, "  in {name} {{")?;
        writeln!(o, "    Ops{name}: allow {actions} on *")?;
        writeln!(o, "  }}")?;
    }
    let fw = &org.ous[org.first_workload].path;
    writeln!(o, "  in {fw}/Prod {{")?;
    writeln!(
        o,
        "    OpsFirstWorkloadProd: allow ec2:DescribeInstances on *"
    )?;
    writeln!(o, "  }}")?;
    writeln!(o, "}}\n")?;

    o.push_str(concat!(
        "// Data access: one body everywhere, a read-only one in Sandbox.\n",
        "managed_policy BenchDataAccess {\n",
        "  path \"/bench/\"\n",
        "  DataQuery: allow athena:StartQueryExecution, athena:GetQueryResults, glue:GetTable,\n",
        "                   glue:GetDatabase on *\n",
        "  in Sandbox {\n",
        "    SandboxDataQuery: allow athena:GetQueryResults, glue:GetTable on *\n",
        "  }\n",
        "}\n",
    ));
    Ok(o)
}

fn render_functions(args: &Args, functions: &[Function]) -> Result<String, fmt::Error> {
    let mut o = String::new();
    header(&mut o, args, "Functions (permission sets).")?;
    for (i, f) in functions.iter().enumerate() {
        if let Some(doc) = &f.doc {
            writeln!(o, "/// {doc}")?;
        }
        writeln!(o, "function {} {{", f.name)?;
        if let Some(d) = &f.description {
            writeln!(o, "  description \"{d}\"")?;
        }
        writeln!(o, "  session {}", f.session)?;
        if f.relay {
            writeln!(
                o,
                "  relay \"https://console.aws.amazon.com/cloudwatch/home?region=us-east-1\""
            )?;
        }
        if !f.managed.is_empty() {
            writeln!(o, "  managed {}", f.managed.join(", "))?;
        }
        if !f.customer.is_empty() {
            writeln!(o, "  customer {}", f.customer.join(", "))?;
        }
        if i == 0 {
            writeln!(o, "  tags ManagedBy = \"accessc\"")?;
            writeln!(
                o,
                "  break_glass notify \"arn:aws:sns:us-east-1:{MANAGEMENT_ID}:pager\""
            )?;
        } else {
            writeln!(o, "  boundary {BOUNDARY}")?;
            if !f.inline.is_empty() {
                writeln!(o, "  inline {}", f.inline.join(", "))?;
            }
            match f.tier {
                Some(t) => writeln!(o, "  tags ManagedBy = \"accessc\", Tier = \"{t}\"")?,
                None => writeln!(o, "  tags ManagedBy = \"accessc\"")?,
            }
        }
        for s in &f.statements {
            writeln!(o, "  {s}")?;
        }
        writeln!(o, "}}\n")?;
    }
    Ok(o)
}

fn render_principals(args: &Args, people: &People) -> Result<String, fmt::Error> {
    let mut o = String::new();
    header(
        &mut o,
        args,
        "Groups and users of the identity store (their ids are in org.json).",
    )?;
    for (name, _) in &people.groups {
        writeln!(o, "group {name}")?;
    }
    writeln!(o)?;
    for (name, user_name, _) in &people.users {
        writeln!(o, "user {name} \"{user_name}\"")?;
    }
    Ok(o)
}

fn render_target(org: &Org, t: Target) -> String {
    match t {
        Target::Root => "root".into(),
        Target::Ou(o) => org.ous[o].path.clone(),
        Target::Account(a) => format!("account {}", org.accounts[a].name),
        Target::AccountId(a) => format!("\"{}\"", org.accounts[a].id),
    }
}

fn render_grants(
    args: &Args,
    org: &Org,
    people: &People,
    functions: &[Function],
    plan: &GrantPlan,
) -> Result<String, fmt::Error> {
    let mut o = String::new();
    header(&mut o, args, "The grant matrix.")?;
    for g in &plan.grants {
        let fns: Vec<&str> = g
            .functions
            .iter()
            .map(|&f| functions[f].name.as_str())
            .collect();
        let ps: Vec<String> = g
            .principals
            .iter()
            .map(|&p| match p {
                Principal::Group(i) if g.explicit_group => format!("group {}", people.groups[i].0),
                Principal::Group(i) => people.groups[i].0.clone(),
                Principal::User(i) => format!("user {}", people.users[i].0),
            })
            .collect();
        let ts: Vec<String> = g.targets.iter().map(|&t| render_target(org, t)).collect();
        write!(
            o,
            "grant {} to {} on {}",
            fns.join(", "),
            ps.join(", "),
            ts.join(", ")
        )?;
        if !g.except.is_empty() {
            let es: Vec<String> = g.except.iter().map(|&t| render_target(org, t)).collect();
            write!(o, " except {}", es.join(", "))?;
        }
        if let Some(owner) = g.owner {
            write!(o, " owner \"{owner}\" until {USER_UNTIL}")?;
        }
        writeln!(o)?;
    }
    Ok(o)
}
