//! The formats of AWS identifiers that programs and org snapshots write:
//! ARNs, ids of the organization and the identity store, Regions. Each
//! function accepts exactly the strings the checker takes for that kind of
//! id; the patterns are those of the AWS API references (the SSO Admin and
//! Identity Store service models), never narrower: ids read back from AWS
//! must pass.

/// The partitions of the SSO Admin API's ARN patterns.
const SSO_PARTITIONS: [&str; 5] = ["aws", "aws-us-gov", "aws-cn", "aws-iso", "aws-iso-b"];

/// `(sso)?ins-` and 16 letters, digits, `-` or `.`: the instance id of the
/// SSO Admin API's `InstanceArn` and `PermissionSetArn` patterns.
fn is_instance_id(id: &str) -> bool {
    let rest = id.strip_prefix("sso").unwrap_or(id);
    rest.strip_prefix("ins-").is_some_and(|r| {
        r.len() == 16
            && r.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    })
}

/// The resource part of an SSO ARN (`arn:PARTITION:sso:::` removed), or
/// `None` when the partition is not one of the API's.
fn sso_resource(s: &str) -> Option<&str> {
    let rest = s.strip_prefix("arn:")?;
    let (partition, rest) = rest.split_once(':')?;
    if !SSO_PARTITIONS.contains(&partition) {
        return None;
    }
    rest.strip_prefix("sso:::")
}

/// An Identity Center instance ARN, as the SSO Admin API's `InstanceArn`
/// pattern has it: `^arn:(aws|aws-us-gov|aws-cn|aws-iso|aws-iso-b):sso:::instance/(sso)?ins-[a-zA-Z0-9-.]{16}$`.
pub fn is_instance_arn(s: &str) -> bool {
    sso_resource(s)
        .and_then(|r| r.strip_prefix("instance/"))
        .is_some_and(is_instance_id)
}

/// A permission set ARN, as the SSO Admin API's `PermissionSetArn` pattern
/// has it: `…:sso:::permissionSet/(sso)?ins-[a-zA-Z0-9-.]{16}/ps-[a-zA-Z0-9-./]{16}$`.
pub fn is_permission_set_arn(s: &str) -> bool {
    let Some(r) = sso_resource(s).and_then(|r| r.strip_prefix("permissionSet/")) else {
        return false;
    };
    let Some((instance, ps)) = r.split_once('/') else {
        return false;
    };
    is_instance_id(instance)
        && ps.strip_prefix("ps-").is_some_and(|p| {
            p.len() == 16
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'/'))
        })
}

/// An identity store id: `d-` and 10 letters or digits (the API's pattern
/// has `d-[0-9a-f]{10}`; Identity Center hands out lowercase hex), or, as
/// the API's pattern also allows, a UUID.
pub fn is_identity_store_id(s: &str) -> bool {
    s.strip_prefix("d-")
        .is_some_and(|id| id.len() == 10 && id.bytes().all(|b| b.is_ascii_alphanumeric()))
        || is_uuid(s)
}

/// `8-4-4-4-12` hex digits.
fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| {
            if [8, 13, 18, 23].contains(&i) {
                b == b'-'
            } else {
                b.is_ascii_hexdigit()
            }
        })
}

/// A Region code: three or more `-`-separated parts of lowercase letters and
/// digits, the last all digits (`us-east-1`, `us-gov-west-1`).
/// An AWS access portal URL: `https://`, a host of lowercase DNS labels,
/// and a path of URL characters (`/start`, `/start#/`); at most 512
/// characters, nothing a config file or shell would read specially.
pub fn is_start_url(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("https://") else {
        return false;
    };
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    s.len() <= 512
        && host.contains('.')
        && host.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.' | '~' | '#'))
}

pub fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

/// An account id: exactly 12 digits (`^\d{12}$`).
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// An organization root id: `^r-[0-9a-z]{4,32}$`.
pub fn is_root_id(s: &str) -> bool {
    s.strip_prefix("r-").is_some_and(|r| {
        (4..=32).contains(&r.len())
            && r.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

/// An OU id: `^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$`.
pub fn is_ou_id(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("ou-") else {
        return false;
    };
    let Some((a, b)) = rest.split_once('-') else {
        return false;
    };
    let ok = |p: &str, min, max| {
        (min..=max).contains(&p.len())
            && p.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    ok(a, 4, 32) && ok(b, 8, 32)
}

/// An identity-store GroupId or UserId: a UUID (hex digits, dashes after
/// characters 8, 13, 18 and 23), optionally after a 10-character prefix and `-`.
pub fn is_principal_id(s: &str) -> bool {
    let core = match s.split_once('-') {
        Some((pre, rest)) if pre.len() == 10 && rest.len() == 36 => rest,
        _ => s,
    };
    is_uuid(core)
}

/// An SNS topic ARN: `arn:PARTITION:sns:REGION:ACCOUNT:TOPIC`, the topic
/// 1–256 letters, digits, `-` and `_` (a FIFO topic ends in `.fifo`).
pub fn is_sns_arn(s: &str) -> bool {
    let parts: Vec<&str> = s.split(':').collect();
    let topic = |t: &str| {
        let t = t.strip_suffix(".fifo").unwrap_or(t);
        (1..=256).contains(&t.len())
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    matches!(
        parts.as_slice(),
        ["arn", "aws" | "aws-cn" | "aws-us-gov", "sns", region, account, name]
            if is_region(region) && is_account_id(account) && topic(name)
    )
}

/// An ARN as a resource or condition value: `arn:` and five `:`-separated
/// fields, the partition, service and resource not empty (wildcards allowed).
pub fn is_arn_pattern(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("arn:") else {
        return false;
    };
    let parts: Vec<&str> = rest.splitn(5, ':').collect();
    matches!(
        parts.as_slice(),
        [partition, service, _, _, resource]
            if !partition.is_empty() && !service.is_empty() && !resource.is_empty()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(f: fn(&str) -> bool, valid: &[&str], invalid: &[&str]) {
        for s in valid {
            assert!(f(s), "{s:?} should be accepted");
        }
        for s in invalid {
            assert!(!f(s), "{s:?} should be rejected");
        }
    }

    #[test]
    fn start_urls() {
        check(
            is_start_url,
            &[
                "https://d-1234567890.awsapps.com/start",
                "https://my-company.awsapps.com/start#/",
                "https://start.us-gov-home.awsapps.com/directory/d-1234567890",
                "https://ssoins-1234567890abcdef.portal.us-east-1.app.aws",
            ],
            &[
                "",
                "http://my-company.awsapps.com/start",
                "https://my-company.awsapps.com/start\n[profile admin]",
                "https://my-company.awsapps.com/start x",
                "https://localhost/start",
                "https://-bad.awsapps.com/start",
                "https://My-Company.awsapps.com/start",
                "https://a..com/start",
                "https://user@host.example/start",
                "https://host.example/start?x=1",
            ],
        );
    }

    #[test]
    fn instance_arns() {
        check(
            is_instance_arn,
            &[
                "arn:aws:sso:::instance/ssoins-1234567890abcdef",
                "arn:aws-cn:sso:::instance/ssoins-ABCDEF0123456789",
                "arn:aws-us-gov:sso:::instance/ssoins-0000000000000000",
                // The API's pattern: letters, digits, `-` and `.`, with or
                // without `sso`, and the isolated partitions.
                "arn:aws:sso:::instance/ssoins-abcdefghijklmnop",
                "arn:aws:sso:::instance/ssoins-ab.cd-ef.gh-ijkl",
                "arn:aws:sso:::instance/ins-1234567890abcdef",
                "arn:aws-iso:sso:::instance/ssoins-1234567890abcdef",
                "arn:aws-iso-b:sso:::instance/ins-1234567890abcdef",
            ],
            &[
                "",
                "arn:aws:sso:::instance/ssoins-1234567890abcde",
                "arn:aws:sso:::instance/ssoins-1234567890abcdef0",
                "arn:aws:sso:::instance/ssoins-1234567890abcd_f",
                "arn:aws:sso:::instance/ssoins-1234567890abcd/f",
                "arn:aws:sso:::instance/ins-1234567890abcde",
                "arn:aws:sso:::instance/sins-1234567890abcdef",
                "arn:aws:sso:::instance/ssoinst-1234567890abcdef",
                "arn:aws-iso-e:sso:::instance/ssoins-1234567890abcdef",
                "arn:aws:sso::111122223333:instance/ssoins-1234567890abcdef",
                "arn:aws",
                "ssoins-1234567890abcdef",
            ],
        );
    }

    #[test]
    fn permission_set_arns() {
        check(
            is_permission_set_arn,
            &[
                "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef",
                "arn:aws:sso:::permissionSet/ins-abcdefghijklmnop/ps-ab./-cdefghijklm",
                "arn:aws-iso-b:sso:::permissionSet/ssoins-1234567890abcdef/ps-ABCDEF0123456789",
            ],
            &[
                "",
                "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef",
                "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-123456789abcdef",
                "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef0",
                "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcd_f",
                "arn:aws:sso:::permissionSet/ssoins-123/ps-1234567890abcdef",
                "arn:aws:sso:::instance/ssoins-1234567890abcdef",
                "arn:aws:sso::111122223333:permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef",
            ],
        );
    }

    #[test]
    fn identity_store_ids() {
        check(
            is_identity_store_id,
            &[
                "d-1234567890",
                "d-abcdefABCD",
                "d-906701a2b3",
                "12345678-90ab-cdef-1234-567890abcdef",
            ],
            &[
                "",
                "d-",
                "d-123456789",
                "d-12345678901",
                "d-12345-7890",
                "e-1234567890",
                "1234567890",
            ],
        );
    }

    #[test]
    fn regions() {
        check(
            is_region,
            &[
                "us-east-1",
                "ap-northeast-1",
                "eu-central-2",
                "us-gov-west-1",
                "cn-north-1",
            ],
            &[
                "",
                "us-east",
                "us-east-",
                "us--1",
                "US-EAST-1",
                "us-east-1a",
                "us_east_1",
                "useast1",
                "us-east-one",
            ],
        );
    }

    #[test]
    fn account_ids() {
        check(
            is_account_id,
            &["111122223333", "000000000000"],
            &[
                "",
                "11112222333",
                "1111222233334",
                "11112222333a",
                "1111-2222-33",
                " 11122223333",
            ],
        );
    }

    #[test]
    fn root_ids() {
        check(
            is_root_id,
            &["r-ab12", "r-0000", &format!("r-{}", "a".repeat(32))],
            &[
                "",
                "r-",
                "r-ab1",
                &format!("r-{}", "a".repeat(33)),
                "r-AB12",
                "r-ab_1",
                "ab12",
                "ou-ab12",
            ],
        );
    }

    #[test]
    fn ou_ids() {
        check(
            is_ou_id,
            &[
                "ou-ab12-11111111",
                "ou-a1b2-cdefghij",
                &format!("ou-{}-{}", "a".repeat(32), "1".repeat(32)),
            ],
            &[
                "",
                "ou-",
                "ou-ab12",
                "ou-ab1-11111111",
                "ou-ab12-1111111",
                &format!("ou-ab12-{}", "1".repeat(33)),
                "ou-AB12-11111111",
                "ou-ab12-11111111-2",
                "r-ab12-11111111",
            ],
        );
    }

    #[test]
    fn principal_ids() {
        check(
            is_principal_id,
            &[
                "a1b2c3d4-5678-90ab-cdef-000000011111",
                "12345678-90ab-cdef-1234-567890abcdef",
                "9067d1a2b3-12345678-90ab-cdef-1234-567890abcdef",
                "ABCDEF12-3456-7890-ABCD-EF1234567890",
            ],
            &[
                "",
                "12345678-90ab-cdef-1234-567890abcde",
                "12345678-90ab-cdef-1234-567890abcdef0",
                "1234567890abcdef1234567890abcdef1234",
                "12345678-90ab-cdef-1234-567890abcdeg",
                "12345678_90ab_cdef_1234_567890abcdef",
                "906-12345678-90ab-cdef-1234-567890abcdef",
                "9067d1a2b3-12345678-90ab-cdef-1234-567890abcde",
            ],
        );
    }

    #[test]
    fn sns_arns() {
        check(
            is_sns_arn,
            &[
                "arn:aws:sns:us-east-1:111122223333:security-alerts",
                "arn:aws-us-gov:sns:us-gov-west-1:111122223333:Break_Glass",
                "arn:aws:sns:eu-west-1:111122223333:alerts.fifo",
                &format!("arn:aws:sns:us-east-1:111122223333:{}", "t".repeat(256)),
            ],
            &[
                "",
                "arn:aws:sns:us-east-1:111122223333:",
                "arn:aws:sns:us-east-1:111122223333:.fifo",
                &format!("arn:aws:sns:us-east-1:111122223333:{}", "t".repeat(257)),
                "arn:aws:sns:us-east-1:111122223333:alerts.txt",
                "arn:aws:sns:us-east-1:111122223333:a:b",
                "arn:aws:sns:us-east-1:1111:alerts",
                "arn:aws:sns:useast1:111122223333:alerts",
                "arn:aws:sqs:us-east-1:111122223333:alerts",
                "arn:aws-iso:sns:us-east-1:111122223333:alerts",
            ],
        );
    }

    #[test]
    fn arn_patterns() {
        check(
            is_arn_pattern,
            &[
                "arn:aws:s3:::my-bucket/*",
                "arn:aws:iam::111122223333:role/*",
                "arn:*:ec2:*:*:instance/*",
                "arn:aws:logs:us-east-1:111122223333:log-group:app:*",
            ],
            &[
                "",
                "*",
                "arn:aws:s3:::",
                "arn::s3:::bucket",
                "arn:aws::::bucket",
                "arn:aws:s3::bucket",
                "aws:s3:::bucket",
            ],
        );
    }
}
