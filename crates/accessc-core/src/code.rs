//! Every diagnostic code, from one table.
//!
//! A [`Code`] names one problem the loader, parser or checker reports. Its
//! public code (`A302`), severity, title and page (`docs/codes/A302.md`,
//! compiled in) belong to its row of the table below; several problems may
//! share one public code (A302 covers malformed ARNs, ids, names and
//! condition values alike), and what JSON, SARIF and the language server
//! print is always the public code. A diagnostic takes its severity from its
//! code ([`crate::diagnostic::Diagnostic::new`]).

use crate::diagnostic::Severity;
use std::fmt;

/// One public code: what `accessc explain` prints and SARIF lists as a rule.
#[derive(Debug, PartialEq, Eq)]
pub struct CodeInfo {
    /// The public code, e.g. `A302`.
    pub code: &'static str,
    pub severity: Severity,
    /// The title of the page (its first line, after `# CODE: `).
    pub title: &'static str,
    /// `docs/codes/CODE.md`.
    pub page: &'static str,
    /// The problems reported under this code.
    pub variants: &'static [Code],
}

/// The table: for each public code its severity, its title and the problems
/// it covers, each a [`Code`] variant with a one-line description.
macro_rules! codes {
    ($(
        $public:ident $severity:ident $title:literal {
            $( #[doc = $doc:literal] $variant:ident, )+
        }
    )+) => {
        /// One problem a diagnostic reports; [`Code::as_str`] is its public code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $($( #[doc = $doc] $variant, )+)+
        }

        /// The rows of the table, one static per public code.
        mod rows {
            use super::{Code, CodeInfo, Severity};
            $(
                pub(super) static $public: CodeInfo = CodeInfo {
                    code: stringify!($public),
                    severity: Severity::$severity,
                    title: $title,
                    page: include_str!(concat!("../../../docs/codes/", stringify!($public), ".md")),
                    variants: &[$(Code::$variant),+],
                };
            )+
        }

        /// Every public code, in order.
        pub static CODES: &[&CodeInfo] = &[$(&rows::$public),+];

        impl Code {
            /// Every problem, in the order of the table.
            pub const ALL: &'static [Code] = &[$($(Code::$variant,)+)+];

            /// The row of this problem's public code.
            pub fn info(self) -> &'static CodeInfo {
                match self {
                    $( $(Code::$variant)|+ => &rows::$public, )+
                }
            }

            /// The variant's name, e.g. `SessionOutOfRange`.
            pub fn name(self) -> &'static str {
                match self {
                    $($( Code::$variant => stringify!($variant), )+)+
                }
            }

            /// The one-line description of the problem (the variant's doc comment).
            pub fn summary(self) -> &'static str {
                match self {
                    $($( Code::$variant => $doc.trim(), )+)+
                }
            }
        }
    };
}

codes! {
    A100 Error "syntax error" {
        /// Text the grammar does not accept.
        Syntax,
        /// A `/*` comment that is never closed.
        UnclosedComment,
        /// Blocks nested deeper than the parser follows.
        NestingTooDeep,
        /// A source file that is not valid UTF-8.
        NotUtf8,
        /// An `until` date that is not a calendar date.
        NotADate,
    }
    A101 Error "duplicate definition" {
        /// A name defined twice among the names of its kind (attributes, accounts and OUs included).
        DuplicateName,
        /// Two functions that become the same permission set name.
        DuplicatePermissionSetName,
        /// A single-value setting (or a quota) given twice in one block or function.
        RepeatedSetting,
        /// A second `instance`, `attributes` or `quotas` block.
        DuplicateBlock,
        /// One managed or customer managed policy listed twice in a function.
        PolicyListedTwice,
        /// One statement id twice in a function's inline policy.
        DuplicateStatementId,
        /// One account id given to two accounts of the org.
        DuplicateAccountId,
    }
    A102 Error "unknown name" {
        /// A reference to a name that is not defined (function, policy, group, user, OU, account, attribute…).
        UnknownName,
        /// `use std::NAME` of a module the standard library does not have.
        UnknownStdModule,
        /// A quota that does not exist.
        UnknownQuota,
        /// An account id (a grant target or the management account) that is not in the org.
        UnknownAccountId,
        /// An OU or account named when the program declares no org.
        NoOrg,
    }
    A103 Error "name of the wrong kind" {
        /// A name of one kind used where another kind is expected.
        WrongKind,
        /// A customer managed policy attached by ARN instead of by name.
        CustomerPolicyByArn,
    }
    A104 Error "unreadable or malformed input file" {
        /// A program file, `use`d file, org snapshot or JSON policy that cannot be read.
        UnreadableFile,
        /// A `use` of a file that is not an `.access` file.
        UseOfNonAccessFile,
        /// A JSON policy file that is not a policy document.
        MalformedPolicyFile,
        /// A JSON policy file whose `Version` is not 2012-10-17.
        PolicyFileVersion,
        /// An org snapshot that is not valid JSON or not in the snapshot format.
        MalformedSnapshot,
    }
    A200 Error "invalid permission set name" {
        /// A permission set name over 32 characters or with characters AWS rejects.
        InvalidPermissionSetName,
    }
    A201 Error "description longer than 700 characters" {
        /// A description longer than AWS allows.
        DescriptionTooLong,
        /// A description with characters AWS rejects.
        DescriptionCharacter,
    }
    A202 Error "session duration outside 1 to 12 hours" {
        /// A session duration outside 1h to 12h.
        SessionOutOfRange,
    }
    A203 Error "inline policy over the AWS size limit" {
        /// A function's inline policy over IAM's size limits.
        InlinePolicyTooLarge,
        /// A managed policy over IAM's 6,144 non-whitespace characters.
        ManagedPolicyTooLarge,
    }
    A204 Error "too many managed policies attached" {
        /// More managed policies on a function than the quota.
        TooManyManagedPolicies,
        /// A `managed_policies` quota above AWS's hard limit.
        ManagedPolicyQuotaOverLimit,
    }
    A205 Error "invalid relay state" {
        /// A relay state over 240 characters.
        RelayStateTooLong,
        /// A relay state with characters AWS rejects.
        RelayStateCharacter,
        /// A relay state that is not an `https://` URL.
        RelayStateNotHttps,
    }
    A206 Error "too many tags or a tag AWS rejects" {
        /// More tags on a permission set than AWS allows.
        TooManyTags,
        /// A tag key AWS rejects.
        InvalidTagKey,
        /// A tag value over 256 characters.
        TagValueTooLong,
        /// A tag value with characters AWS rejects.
        TagValueCharacter,
        /// One tag key given twice.
        DuplicateTag,
        /// An attribute whose name cannot be a session tag key.
        InvalidSessionTagKey,
    }
    A207 Error "function name reserved for AWS Control Tower" {
        /// A permission set named `AWS…`.
        ControlTowerName,
    }
    A208 Error "permission set quota exceeded" {
        /// More permission sets than the instance quota.
        TooManyPermissionSets,
        /// More permission sets provisioned to one account than its quota.
        TooManySetsInAccount,
    }
    A300 Error "unknown service prefix" {
        /// An action whose service prefix IAM does not know.
        UnknownService,
    }
    A301 Error "unknown action" {
        /// An action its service does not have.
        UnknownAction,
        /// A wildcard action that matches no action of its service.
        NoMatchingAction,
    }
    A302 Error "malformed action, resource ARN or condition value" {
        /// An `instance arn` that is not an Identity Center instance ARN.
        InvalidInstanceArn,
        /// An `identity_store` that is not an identity store id.
        InvalidIdentityStoreId,
        /// A `region` that is not an AWS Region.
        InvalidRegion,
        /// A `start_url` that is not an `https://` access portal URL.
        InvalidStartUrl,
        /// An attribute mapped to something that is not an attribute path.
        InvalidAttributePath,
        /// A quota with more digits than any quota.
        QuotaTooLarge,
        /// A quota of 0.
        QuotaZero,
        /// A `notify` that is not an SNS topic ARN.
        InvalidTopicArn,
        /// A quoted managed policy ARN that is not well formed.
        InvalidManagedPolicyArn,
        /// A policy or managed policy without statements.
        EmptyPolicy,
        /// A managed policy name IAM rejects.
        InvalidPolicyName,
        /// A managed policy path IAM rejects.
        InvalidPolicyPath,
        /// An `external` managed policy that has statements.
        ExternalWithStatements,
        /// A statement id with characters IAM rejects.
        InvalidStatementId,
        /// An action that is not `service:Action`.
        MalformedAction,
        /// A resource that is not `*` or an ARN.
        InvalidResource,
        /// A resource or request tag used as a condition value.
        NonPrincipalTagValue,
        /// A condition without values.
        ConditionWithoutValue,
        /// A condition key that is not `service:name`, has characters no key has, or names no tag (`aws:PrincipalTag/`).
        InvalidConditionKey,
        /// A condition value its operator cannot compare, or with characters IAM rejects.
        InvalidConditionValue,
        /// A condition key or policy variable IAM never sets for the statement: not a global key, nor a key of its actions' services.
        UnknownConditionKey,
        /// An org `root` that is not an organization root id.
        InvalidRootId,
        /// An account id that is not 12 digits.
        InvalidAccountId,
        /// An OU id that is not `ou-…`.
        InvalidOuId,
        /// An OU nested deeper than AWS Organizations allows.
        OuTooDeep,
        /// A group or user id that is not an identity-store id.
        InvalidPrincipalId,
        /// A group display name or user name AWS rejects.
        InvalidPrincipalName,
        /// A grant `owner` with characters that do not belong in one line of text.
        InvalidOwner,
    }
    A303 Error "unknown condition operator" {
        /// A condition operator IAM does not have.
        UnknownConditionOperator,
    }
    A304 Error "principal tag without an attribute mapping" {
        /// A principal tag that no `attributes` mapping provides.
        UnmappedPrincipalTag,
    }
    A305 Error "same condition operator and key twice in one statement" {
        /// One operator and key twice in one statement.
        RepeatedCondition,
    }
    A306 Error "unknown AWS-managed policy" {
        /// An AWS-managed policy name the catalog does not have.
        UnknownManagedPolicy,
    }
    A400 Error "user grant without owner or expiry" {
        /// A grant to a user without `owner` or `until`.
        UserGrantWithoutOwnerOrUntil,
    }
    A401 Error "user grant past its expiry date" {
        /// A grant whose `until` date has passed.
        GrantExpired,
    }
    A402 Error "customer managed policy not deployed where the function is granted" {
        /// A function granted in an account its customer managed policy is not deployed to.
        PolicyNotDeployed,
    }
    A403 Error "forbid or limit rule broken" {
        /// A grant that breaks a `forbid` or `limit` rule.
        RuleBroken,
    }
    A404 Warning "duplicate grant" {
        /// The same (principal, function, account) granted more than once.
        DuplicateGrant,
    }
    A500 Warning "over-permissive allow on all resources" {
        /// An allow of `*` or `service:*` on every resource.
        OverPermissiveAllow,
    }
    A501 Warning "function without a permissions boundary" {
        /// A function without `break_glass` and without a permissions boundary.
        NoPermissionsBoundary,
    }
    A502 Warning "administrator access outside break-glass" {
        /// AdministratorAccess or `allow * on *` in a function without `break_glass`.
        AdminOutsideBreakGlass,
    }
    A503 Warning "break-glass function without notification" {
        /// A break-glass function without `notify`.
        BreakGlassWithoutNotify,
    }
    A504 Warning "per-team copies of one function" {
        /// Functions that differ only by a team suffix.
        PerTeamCopies,
    }
    A505 Warning "unused definition" {
        /// A policy, managed policy, group, user or attribute that nothing uses.
        Unused,
    }
    A506 Warning "user grant expires within 14 days" {
        /// A grant whose `until` date is within 14 days.
        GrantExpiresSoon,
    }
    A507 Warning "inline policy over half the size limit" {
        /// An inline policy over half of IAM's non-whitespace limit.
        LargeInlinePolicy,
    }
    A508 Warning "function without break-glass reaches the management account" {
        /// A function without `break_glass` granted in the management account.
        ManagementAccountReached,
    }
    A509 Warning "condition operator does not match the key's type" {
        /// A condition operator of another type than its key's (`DateGreaterThan` on a String key).
        OperatorKeyTypeMismatch,
    }
    A510 Warning "grant to an account AWS will not assign: suspended or closed" {
        /// An `account` target naming an account that is suspended, closing or closed.
        InactiveAccountTarget,
    }
    A511 Warning "empty per-OU block of a customer managed policy" {
        /// An `in OU { }` block of a managed policy with no statements and no inner blocks.
        EmptyOuBlock,
    }
    A512 Warning "`except` outside the grant's targets, or removing all of them" {
        /// An `except` OU or account outside every target of its grant, or an `except` that removes every target.
        ExceptOutsideTargets,
    }
}

impl Code {
    /// The public code, e.g. `"A302"`: what JSON, SARIF and the language
    /// server print, and what tests and pipelines match on.
    pub fn as_str(self) -> &'static str {
        self.info().code
    }

    /// The severity of the public code.
    pub fn severity(self) -> Severity {
        self.info().severity
    }

    /// The title of the public code's page.
    pub fn title(self) -> &'static str {
        self.info().title
    }

    /// The public code's page, `docs/codes/CODE.md`.
    pub fn page(self) -> &'static str {
        self.info().page
    }

    /// A syntax error (public code A100): the file's text could not be parsed
    /// as written, so it is neither formatted nor checked for unused names.
    pub fn is_syntax(self) -> bool {
        std::ptr::eq(self.info(), &rows::A100)
    }
}

impl fmt::Display for Code {
    /// The public code.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// The public code's row (case-insensitive), e.g. for `accessc explain a302`.
pub fn lookup(code: &str) -> Option<&'static CodeInfo> {
    let code = code.trim();
    CODES
        .iter()
        .copied()
        .find(|i| i.code.eq_ignore_ascii_case(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_is_in_the_row_of_its_public_code() {
        let mut seen = 0;
        for info in CODES {
            assert!(!info.variants.is_empty(), "{}", info.code);
            for &c in info.variants {
                assert!(std::ptr::eq(c.info(), *info), "{}", c.name());
                assert_eq!(c.as_str(), info.code);
                assert!(!c.summary().is_empty(), "{}", c.name());
                seen += 1;
            }
        }
        assert_eq!(seen, Code::ALL.len());
    }

    #[test]
    fn syntax_is_the_a100_row() {
        assert!(Code::Syntax.is_syntax() && Code::NotADate.is_syntax());
        assert!(!Code::DuplicateName.is_syntax());
        assert_eq!(Code::SessionOutOfRange.to_string(), "A202");
        assert_eq!(format!("{:<6}|", Code::Unused), "A505  |");
    }
}
