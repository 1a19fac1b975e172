//! IAM policy variables inside resource ARNs and condition values:
//! `${aws:username}`, `${aws:PrincipalTag/Team}`, the default-value form
//! `${aws:PrincipalTag/Team, 'none'}`, and the escapes `${*}`, `${?}`, `${$}`
//! (a literal `*`, `?` and `$`).
//!
//! A resource ARN is split into its fields around its variables: a variable's
//! own colon (`aws:`) never separates ARN fields, and a variable may stand
//! only in the resource part (the last field). The shape accepted is the one
//! CloudFormation's linter (cfn-lint rule E3510) accepts for identity policies:
//! `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE` with the partition `aws…`
//! or `*`, the account empty, 12 digits, `*` or `aws`, and a resource that is
//! not empty.

/// One `${…}` in a string: its byte range (from `$` to `}` included) and what
/// it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable<'a> {
    pub start: usize,
    pub end: usize,
    pub kind: VariableKind<'a>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VariableKind<'a> {
    /// `${*}`, `${?}` or `${$}`: the character itself.
    Escape(char),
    /// A request-context key, with the default value when one is given.
    Key {
        key: &'a str,
        default: Option<&'a str>,
    },
}

/// What is wrong with a `${…}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableError {
    /// Byte offset of the `$` of the variable.
    pub at: usize,
    pub message: String,
}

/// More variables than any policy holds: the rest of the string is taken
/// as literal text.
const MAX_VARIABLES: usize = 256;

/// Every `${…}` of `s`, left to right, or the first malformed one.
pub fn variables(s: &str) -> Result<Vec<Variable<'_>>, VariableError> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = s[from..].find("${") {
        if out.len() >= MAX_VARIABLES {
            break;
        }
        let start = from + i;
        let body_start = start + 2;
        let Some(len) = s[body_start..].find('}') else {
            return Err(VariableError {
                at: start,
                message: "a policy variable `${…}` that is never closed with `}`".into(),
            });
        };
        let body = &s[body_start..body_start + len];
        let end = body_start + len + 1;
        let kind = parse_body(body).map_err(|message| VariableError { at: start, message })?;
        out.push(Variable { start, end, kind });
        from = end;
    }
    Ok(out)
}

fn parse_body(body: &str) -> Result<VariableKind<'_>, String> {
    match body {
        "*" => return Ok(VariableKind::Escape('*')),
        "?" => return Ok(VariableKind::Escape('?')),
        "$" => return Ok(VariableKind::Escape('$')),
        _ => {}
    }
    let (key, default) = match body.split_once(',') {
        None => (body.trim(), None),
        Some((key, rest)) => {
            let rest = rest.trim();
            let value = rest
                .strip_prefix('\'')
                .and_then(|r| r.strip_suffix('\''))
                .filter(|v| !v.contains('\''))
                .ok_or_else(|| {
                    format!(
                        "the default value of `${{{body}}}` must be in single quotes: `${{{}, 'value'}}`",
                        key.trim()
                    )
                })?;
            (key.trim(), Some(value))
        }
    };
    let well_formed = key.split_once(':').is_some_and(|(p, k)| {
        !p.is_empty()
            && !k.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
            && !k.contains(['$', '{', '*', '?', ' '])
    });
    if !well_formed {
        return Err(format!(
            "`${{{body}}}` is not a policy variable: write `${{service:key}}` (`${{aws:username}}`), or `${{*}}`, `${{?}}`, `${{$}}` for a literal character"
        ));
    }
    Ok(VariableKind::Key { key, default })
}

/// Why `s` is not a resource IAM and CloudFormation's linter both accept, or
/// `None` when it is `*` or such an ARN. Variables must be well formed
/// (see [`variables`]) and may stand only in the resource field.
pub fn resource_arn_problem(s: &str) -> Option<String> {
    if s == "*" {
        return None;
    }
    let Some(rest) = s.strip_prefix("arn:") else {
        return Some(format!("`{s}` is not a resource ARN"));
    };
    // The first four `:` outside variables end the partition, service, region
    // and account; what follows is the resource.
    let vars = variables(s).unwrap_or_default();
    let offset = "arn:".len();
    let in_var = |i: usize| vars.iter().any(|v| v.start <= i && i < v.end);
    let colons: Vec<usize> = rest
        .match_indices(':')
        .map(|(i, _)| i + offset)
        .filter(|i| !in_var(*i))
        .take(4)
        .collect();
    let &[c0, c1, c2, c3] = colons.as_slice() else {
        return Some(format!(
            "`{s}` is not a resource ARN: it has {} of the five `:`-separated fields after `arn:`",
            colons.len() + 1
        ));
    };
    let field = |a: usize, b: usize| s.get(a..b).unwrap_or("");
    let partition = field(offset, c0);
    let service = field(c0 + 1, c1);
    let region = field(c1 + 1, c2);
    let account = field(c2 + 1, c3);
    let resource = s.get(c3 + 1..).unwrap_or("");
    for (name, value) in [
        ("partition", partition),
        ("service", service),
        ("region", region),
        ("account", account),
    ] {
        if value.contains("${") {
            return Some(format!(
                "a policy variable cannot stand in the {name} field of `{s}`: only the resource part after the fifth `:` may hold one"
            ));
        }
    }
    let partition_ok = partition == "*"
        || partition
            .strip_prefix("aws")
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-'));
    if !partition_ok {
        return Some(format!(
            "`{partition}` is not a partition in `{s}`: write `aws`, `aws-cn`, `aws-us-gov` or `*`"
        ));
    }
    if service.is_empty() {
        return Some(format!("`{s}` has no service"));
    }
    let account_ok = account.is_empty()
        || account == "*"
        || account == "aws"
        || (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()));
    if !account_ok {
        return Some(format!(
            "`{account}` is not an account in `{s}`: write a 12-digit account id, `*`, or nothing"
        ));
    }
    if resource.is_empty() {
        return Some(format!("`{s}` has no resource after its account field"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(s: &str) -> Vec<(&str, Option<&str>)> {
        variables(s)
            .expect("well formed")
            .into_iter()
            .filter_map(|v| match v.kind {
                VariableKind::Key { key, default } => Some((key, default)),
                VariableKind::Escape(_) => None,
            })
            .collect()
    }

    #[test]
    fn variables_are_found() {
        assert_eq!(keys("plain"), []);
        assert_eq!(keys("home/${aws:username}/*"), [("aws:username", None)]);
        assert_eq!(
            keys("${aws:PrincipalTag/Team, 'none'}-${saml:sub}"),
            [("aws:PrincipalTag/Team", Some("none")), ("saml:sub", None)]
        );
        assert_eq!(
            keys("${aws:PrincipalTag/Team,'company-wide'}"),
            [("aws:PrincipalTag/Team", Some("company-wide"))]
        );
        let escapes: Vec<VariableKind> = variables("a${*}b${?}c${$}")
            .expect("ok")
            .into_iter()
            .map(|v| v.kind)
            .collect();
        assert_eq!(
            escapes,
            [
                VariableKind::Escape('*'),
                VariableKind::Escape('?'),
                VariableKind::Escape('$')
            ]
        );
    }

    #[test]
    fn malformed_variables() {
        for s in [
            "${aws:username",
            "${}",
            "${username}",
            "${aws:PrincipalTag/Team, none}",
            "${aws:PrincipalTag/Team, 'a'b'}",
            "${:x}",
        ] {
            assert!(variables(s).is_err(), "{s:?} should be malformed");
        }
    }

    #[test]
    fn resource_shapes() {
        for ok in [
            "*",
            "arn:aws:s3:::bucket/*",
            "arn:aws:iam::*:role/app/${aws:PrincipalTag/Department}-*",
            "arn:aws:s3:::home/${aws:username}/*",
            "arn:aws:s3:::b/${aws:PrincipalTag/Team, 'none'}/*",
            "arn:aws-us-gov:iam::111122223333:role/x",
            "arn:*:iam::aws:policy/ReadOnlyAccess",
            "arn:aws:dynamodb:us-east-1:111122223333:table/t",
            "arn:aws:logs:*:*:log-group:/app/*:*",
        ] {
            assert_eq!(resource_arn_problem(ok), None, "{ok}");
        }
        for bad in [
            "bucket/*",
            "arn:aws:s3",
            "arn:aws:iam::${aws:PrincipalAccount}:user/x",
            "arn:${aws:Partition}:iam::111122223333:user/x",
            "arn:aws:s3:${aws:RequestedRegion}::b",
            "arn:aws:iam::11111111111*:user/x",
            "arn:aws:iam::1234:user/x",
            "arn:a*:iam::111122223333:user/x",
            "arn:aws:iam::111122223333:",
            "arn:aws::::x",
        ] {
            assert!(
                resource_arn_problem(bad).is_some(),
                "{bad} should be rejected"
            );
        }
    }
}
