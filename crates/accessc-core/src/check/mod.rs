//! Syntax tree to checked [`Model`]: name resolution, every rule of
//! LANGUAGE.md section 4, and the expansion of grants into assignments.
//!
//! The checker never stops at the first problem: each phase records its
//! diagnostics and builds as much of the model as the input allows.

mod functions;
mod grants_to_assignments;
mod names;
mod org;
mod repeated;
mod statements;
pub(crate) mod text;
mod unused;

use crate::ast::*;
use crate::aws_ids::{is_identity_store_id, is_instance_arn, is_region};
use crate::diagnostic::{sort_and_dedup, Code, Diagnostic, Severity};
use crate::load::Program;
use crate::model::*;
use crate::span::{FileId, Span};
pub use functions::thousands;
pub use names::Kind;
use names::Names;
pub use statements::non_whitespace_chars;
use std::collections::{HashMap, HashSet};

/// A calendar date (`--today`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Today {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Today {
    /// Parse `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Option<Today> {
        let (Some(year), Some("-"), Some(month), Some("-"), Some(day), 10) = (
            s.get(0..4),
            s.get(4..5),
            s.get(5..7),
            s.get(7..8),
            s.get(8..10),
            s.len(),
        ) else {
            return None;
        };
        let year = year.parse().ok()?;
        let month = month.parse().ok()?;
        let day = day.parse().ok()?;
        valid_date(year, month, day).then_some(Today { year, month, day })
    }

    /// Parse a `--today` argument: [`Today::parse`] with a message for people.
    pub fn parse_arg(s: &str) -> Result<Today, String> {
        Today::parse(s).ok_or_else(|| format!("`{s}` is not a date: write YYYY-MM-DD"))
    }

    /// Days since 1970-01-01.
    pub fn days(self) -> i64 {
        days_from_civil(self.year, self.month, self.day)
    }

    /// Today's UTC date from the system clock.
    pub fn now() -> Today {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
        Today { year, month, day }
    }
}

impl std::fmt::Display for Today {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

pub fn valid_date(y: i32, m: u32, d: u32) -> bool {
    date_problem(y, m, d).is_none()
}

/// Why `y-m-d` is not a calendar date, if it is not.
pub fn date_problem(y: i32, m: u32, d: u32) -> Option<String> {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    if !(1..=9999).contains(&y) {
        return Some("there is no year 0000".into());
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let dim = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Some(format!("there is no month {m:02}")),
    };
    let Some(month) = MONTHS.get((m - 1) as usize) else {
        return Some(format!("there is no month {m:02}"));
    };
    (!(1..=dim).contains(&d)).then(|| format!("{month} {y:04} has no day {d:02}"))
}

/// Howard Hinnant's days-from-civil.
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y as i64 - 1 } else { y as i64 };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = (yoe + era * 400 + if m <= 2 { 1 } else { 0 }) as i32;
    (y, m, d)
}

#[derive(Debug, Clone, Copy)]
pub struct CheckOptions {
    pub today: Today,
}

/// The result of checking: the model (as complete as the input allows) and
/// every diagnostic, sorted.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    pub model: Model,
    pub diagnostics: Vec<Diagnostic>,
    /// Where each name of each kind is defined, and where it is used.
    pub index: SymbolIndex,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}

/// Definitions and references of every name, for hover and navigation.
#[derive(Debug, Clone, Default)]
pub struct SymbolIndex {
    pub definitions: Vec<(Kind, String, Span)>,
    pub references: Vec<(Kind, String, Span)>,
}

/// Check a loaded program.
pub fn check(program: &Program, opts: &CheckOptions) -> Checked {
    crate::diagnostic::reset_suggestion_budget();
    let mut c = Checker {
        program,
        opts,
        names: Names::default(),
        model: Model::default(),
        diags: program.diagnostics.clone(),
        std_files: program.std_name.keys().copied().collect(),
        used: HashSet::new(),
        principal_tags_used: HashMap::new(),
        index: SymbolIndex::default(),
        statement_allow_all: HashMap::new(),
        current_managed: None,
        pending_broad: Vec::new(),
        org_failed: false,
    };
    c.run();
    let Checker {
        mut diags,
        model,
        index,
        std_files,
        ..
    } = c;
    // The standard library is not the user's to fix: keep only its errors.
    diags.retain(|d| d.severity == Severity::Error || !std_files.contains(&d.span.file));
    sort_and_dedup(&mut diags);
    Checked {
        model,
        diagnostics: diags,
        index,
    }
}

pub(crate) struct Checker<'a> {
    pub program: &'a Program,
    pub opts: &'a CheckOptions,
    pub names: Names<'a>,
    pub model: Model,
    pub diags: Vec<Diagnostic>,
    pub std_files: HashSet<FileId>,
    /// (kind, name) pairs referenced anywhere (for A505).
    pub used: HashSet<(Kind, String)>,
    /// Principal tag keys referenced by statements, with one place each.
    pub principal_tags_used: HashMap<String, Span>,
    pub index: SymbolIndex,
    /// Spans of statements that allow `*` on `*` (for A502).
    pub statement_allow_all: HashMap<(Kind, String), Span>,
    /// The managed policy whose statements are being lowered, if any.
    pub current_managed: Option<String>,
    /// A500 warnings of managed policies: reported only for those attached
    /// as `customer` (a boundary allows broadly by design).
    pub pending_broad: Vec<(String, Diagnostic)>,
    /// The org snapshot could not be read (A104): names of OUs and accounts
    /// are then not reported as unknown.
    pub org_failed: bool,
}

impl<'a> Checker<'a> {
    fn run(&mut self) {
        self.collect_names();
        self.check_uses();
        self.lower_settings();
        self.check_repeated_properties();
        self.lower_org();
        self.lower_principals();
        self.lower_policies();
        self.lower_managed_policies();
        self.lower_functions();
        self.report_broad_managed();
        self.lower_grants();
        self.check_rules();
        self.check_quotas();
        self.check_unused();
    }

    pub fn err(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    pub fn is_std(&self, span: Span) -> bool {
        self.std_files.contains(&span.file)
    }

    fn items(&self) -> impl Iterator<Item = &'a Item> + 'a {
        self.program.modules.iter().flat_map(|m| m.items.iter())
    }

    /// A500 for managed policies attached as `customer` somewhere.
    fn report_broad_managed(&mut self) {
        let attached: HashSet<&str> = self
            .model
            .functions
            .values()
            .flat_map(|f| f.customer.iter().map(String::as_str))
            .collect();
        let pending = std::mem::take(&mut self.pending_broad);
        for (mp, d) in pending {
            if attached.contains(mp.as_str()) {
                self.diags.push(d);
            }
        }
    }

    fn check_uses(&mut self) {
        let names: Vec<&str> = crate::load::STD_MODULES.iter().map(|(n, _)| *n).collect();
        for item in self.items() {
            if let ItemKind::Use(Use::Std { module, span }) = &item.kind {
                if !names.contains(&module.name.as_str()) {
                    let mut d = Diagnostic::new(
                        Code::UnknownStdModule,
                        module.span,
                        format!("unknown standard library module `std::{}`", module.name),
                    );
                    d = match crate::diagnostic::did_you_mean(&module.name, names.iter().copied()) {
                        Some(s) => d.with_suggestion(*span, format!("std::{s}")),
                        None => d.with_help(format!(
                            "the standard library has {}",
                            names
                                .iter()
                                .map(|n| format!("`std::{n}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                    };
                    self.err(d);
                }
            }
        }
    }

    fn lower_settings(&mut self) {
        let mut first_instance: Option<Span> = None;
        let mut first_attrs: Option<Span> = None;
        let mut first_quotas: Option<Span> = None;
        for item in self.items() {
            match &item.kind {
                ItemKind::Instance(inst) => {
                    if let Some(prev) = first_instance {
                        self.duplicate_item("instance", item.span, prev);
                        continue;
                    }
                    first_instance = Some(item.span);
                    self.lower_instance(inst, item.span);
                }
                ItemKind::Attributes(attrs) => {
                    if let Some(prev) = first_attrs {
                        self.duplicate_item("attributes", item.span, prev);
                    }
                    first_attrs.get_or_insert(item.span);
                    for a in attrs {
                        if let Some(prev) = self.model.attributes.get(&a.key.name) {
                            let prev = prev.span;
                            self.err(
                                Diagnostic::new(
                                    Code::DuplicateName,
                                    a.key.span,
                                    format!("attribute `{}` is mapped twice", a.key.name),
                                )
                                .with_related(prev, "first mapped here")
                                .with_help("a session tag takes its value from one attribute"),
                            );
                            continue;
                        }
                        self.check_attribute(a);
                        self.model.attributes.insert(
                            a.key.name.clone(),
                            AttributeDef {
                                key: a.key.name.clone(),
                                value: a.value.value.clone(),
                                span: a.key.span,
                            },
                        );
                    }
                }
                ItemKind::Quotas(qs) => {
                    if let Some(prev) = first_quotas {
                        self.duplicate_item("quotas", item.span, prev);
                        continue;
                    }
                    first_quotas = Some(item.span);
                    let mut seen: HashMap<&str, Span> = HashMap::new();
                    for q in qs {
                        if let Some(prev) = seen.get(q.key.name.as_str()) {
                            self.err(
                                Diagnostic::new(
                                    Code::RepeatedSetting,
                                    q.span,
                                    format!("quota `{}` is given twice", q.key.name),
                                )
                                .with_related(*prev, "first given here")
                                .with_help(format!("keep one `{}`", q.key.name)),
                            );
                            continue;
                        }
                        seen.insert(&q.key.name, q.span);
                        self.lower_quota(q);
                    }
                }
                _ => {}
            }
        }
    }

    fn duplicate_item(&mut self, what: &str, span: Span, prev: Span) {
        let head = Span::new(
            span.file,
            span.start as usize,
            span.start as usize + what.len(),
        );
        self.err(
            Diagnostic::new(
                Code::DuplicateBlock,
                head,
                format!("a second `{what}` block"),
            )
            .with_related(prev, "the first one is here")
            .with_help(format!("a program has one `{what}` block: merge them")),
        );
    }

    fn lower_instance(&mut self, inst: &Instance, span: Span) {
        if let Some(arn) = &inst.arn {
            if !is_instance_arn(&arn.value) {
                self.err(
                    Diagnostic::new(
                        Code::InvalidInstanceArn,
                        arn.span,
                        format!("`{}` is not an Identity Center instance ARN", arn.value),
                    )
                    .with_help("it looks like `arn:aws:sso:::instance/ssoins-1234567890abcdef` (`aws sso-admin list-instances`)"),
                );
            }
        }
        if let Some(store) = &inst.identity_store {
            if !is_identity_store_id(&store.value) {
                self.err(
                    Diagnostic::new(
                        Code::InvalidIdentityStoreId,
                        store.span,
                        format!("`{}` is not an identity store id", store.value),
                    )
                    .with_help("it looks like `d-1234567890`"),
                );
            }
        }
        for r in inst.region.iter().chain(inst.replicas.iter()) {
            if !is_region(&r.value) {
                self.err(
                    Diagnostic::new(
                        Code::InvalidRegion,
                        r.span,
                        format!("`{}` is not an AWS Region", r.value),
                    )
                    .with_help("write a Region code such as `ap-northeast-1`"),
                );
            }
        }
        self.model.instance = InstanceSettings {
            arn: inst.arn.as_ref().map(|s| s.value.clone()),
            identity_store: inst.identity_store.as_ref().map(|s| s.value.clone()),
            region: inst.region.as_ref().map(|s| s.value.clone()),
            replicas: inst.replicas.iter().map(|s| s.value.clone()).collect(),
            span: Some(span),
        };
    }

    fn check_attribute(&mut self, a: &Attribute) {
        if let Some(msg) = functions::tag_key_problem(&a.key.name) {
            self.err(
                Diagnostic::new(
                    Code::InvalidSessionTagKey,
                    a.key.span,
                    format!("`{}` cannot be a session tag key: {msg}", a.key.name),
                )
                .with_help(
                    "session tag keys are 1–128 letters, digits, spaces and `_ . : / = + - @`",
                ),
            );
        }
        let v = &a.value.value;
        if let Some(msg) = text::bad_char("attribute path", v, text::plain_text_char) {
            self.err(Diagnostic::new(
                Code::InvalidAttributePath,
                a.value.span,
                msg,
            ));
            return;
        }
        let ok = v.starts_with("${path:") && v.ends_with('}') && v.len() > 8
            || !v.is_empty() && !v.contains("${");
        if !ok {
            self.err(
                Diagnostic::new(
                    Code::InvalidAttributePath,
                    a.value.span,
                    format!("`{v}` is not an attribute path"),
                )
                .with_help("map an identity-source attribute, e.g. `\"${path:enterprise.department}\"`, or a SAML attribute name"),
            );
        }
    }

    fn lower_quota(&mut self, q: &Quota) {
        let (value, hard) = match q.key.name.as_str() {
            "managed_policies" => (&mut self.model.quotas.managed_policies, Some(20)),
            "permission_sets" => (&mut self.model.quotas.permission_sets, None),
            "provisioned_per_account" => (&mut self.model.quotas.provisioned_per_account, None),
            other => {
                let known = [
                    "managed_policies",
                    "permission_sets",
                    "provisioned_per_account",
                ];
                let mut d = Diagnostic::new(
                    Code::UnknownQuota,
                    q.key.span,
                    format!("unknown quota `{other}`"),
                );
                d = match crate::diagnostic::did_you_mean(other, known) {
                    Some(s) => d.with_suggestion(q.key.span, s),
                    None => d.with_help("the quotas are `managed_policies`, `permission_sets` and `provisioned_per_account`"),
                };
                self.diags.push(d);
                return;
            }
        };
        let Some(n) = q.value else {
            self.diags.push(
                Diagnostic::new(
                    Code::QuotaTooLarge,
                    q.span,
                    format!(
                        "quota `{}` is a {}-digit number, larger than any quota",
                        q.key.name,
                        q.text.len()
                    ),
                )
                .with_help(format!(
                    "write the quota AWS granted you, e.g. `{} 5000`; no quota exceeds {}",
                    q.key.name,
                    u64::MAX
                )),
            );
            return;
        };
        *value = n;
        if let Some(hard) = hard {
            if n > hard {
                self.diags.push(
                    Diagnostic::new(
                        Code::ManagedPolicyQuotaOverLimit,
                        q.span,
                        format!("`managed_policies {}` is above AWS's hard limit of {hard} managed policies per role", q.text),
                    )
                    .with_help("20 is the most IAM allows, even after a quota increase; consolidate policies into a customer managed policy"),
                );
                self.model.quotas.managed_policies = hard;
            }
        }
        if n == 0 {
            self.diags.push(
                Diagnostic::new(
                    Code::QuotaZero,
                    q.span,
                    format!("quota `{}` cannot be 0", q.key.name),
                )
                .with_help("remove the line to keep AWS's default"),
            );
        }
    }
}
