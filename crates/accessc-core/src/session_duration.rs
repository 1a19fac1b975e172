//! How long a permission set's sign-in session lasts: written in minutes or
//! hours in a program, serialized as the ISO 8601 duration AWS takes
//! (`PT4H`, `PT1H30M`), and read back from the forms AWS returns.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A session duration, whole minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SessionDuration {
    minutes: u64,
}

impl SessionDuration {
    /// AWS's default when a permission set does not say.
    pub const DEFAULT: SessionDuration = SessionDuration { minutes: 60 };

    pub fn from_minutes(minutes: u64) -> SessionDuration {
        SessionDuration { minutes }
    }

    pub fn minutes(self) -> u64 {
        self.minutes
    }

    /// `PT4H`, `PT1H30M`, `PT45M`.
    pub fn to_iso8601(self) -> String {
        match (self.minutes / 60, self.minutes % 60) {
            (h, 0) => format!("PT{h}H"),
            (0, m) => format!("PT{m}M"),
            (h, m) => format!("PT{h}H{m}M"),
        }
    }

    /// Read an ISO 8601 time duration as AWS returns it (`PT4H`,
    /// `PT1H30M`, `PT240M`, `PT3600S`); seconds are truncated to minutes.
    /// `None` for anything else (a day part, a missing unit, no `PT`).
    pub fn parse_iso8601(s: &str) -> Option<SessionDuration> {
        let rest = s.strip_prefix("PT")?;
        let (mut seconds, mut num) = (0u64, String::new());
        for c in rest.chars() {
            if c.is_ascii_digit() {
                num.push(c);
                continue;
            }
            let n: u64 = num.parse().ok()?;
            num.clear();
            let unit = match c {
                'H' => 3600,
                'M' => 60,
                'S' => 1,
                _ => return None,
            };
            seconds = seconds.checked_add(n.checked_mul(unit)?)?;
        }
        if !num.is_empty() {
            return None;
        }
        Some(SessionDuration {
            minutes: seconds / 60,
        })
    }
}

impl Default for SessionDuration {
    fn default() -> SessionDuration {
        SessionDuration::DEFAULT
    }
}

impl fmt::Display for SessionDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_iso8601())
    }
}

impl Serialize for SessionDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_iso8601())
    }
}

impl<'de> Deserialize<'de> for SessionDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<SessionDuration, D::Error> {
        let s = String::deserialize(d)?;
        SessionDuration::parse_iso8601(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "`{s}` is not an ISO 8601 session duration such as `PT4H`"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(minutes: u64) -> String {
        SessionDuration::from_minutes(minutes).to_iso8601()
    }

    fn parse(s: &str) -> Option<u64> {
        SessionDuration::parse_iso8601(s).map(SessionDuration::minutes)
    }

    #[test]
    fn iso8601_uses_hours_then_minutes() {
        assert_eq!(iso(240), "PT4H");
        assert_eq!(iso(90), "PT1H30M");
        assert_eq!(iso(45), "PT45M");
        assert_eq!(iso(720), "PT12H");
        assert_eq!(iso(0), "PT0H");
    }

    #[test]
    fn the_forms_aws_returns_are_read_by_length() {
        assert_eq!(parse("PT4H"), Some(240));
        assert_eq!(parse("PT240M"), Some(240));
        assert_eq!(parse("PT1H30M"), Some(90));
        assert_eq!(parse("PT3600S"), Some(60));
        assert_eq!(parse("PT90S"), Some(1));
        for bad in [
            "P1D",
            "PT4",
            "4H",
            "PTH",
            "PT4X",
            "",
            "PT99999999999999999999H",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn every_written_duration_reads_back() {
        for m in [1, 59, 60, 61, 90, 719, 720, 100_000] {
            assert_eq!(parse(&iso(m)), Some(m), "{m}");
        }
    }

    #[test]
    fn serde_writes_the_iso_text() {
        let d = SessionDuration::from_minutes(90);
        assert_eq!(serde_json::to_string(&d).expect("ser"), "\"PT1H30M\"");
        let back: SessionDuration = serde_json::from_str("\"PT90M\"").expect("de");
        assert_eq!(back, d);
        assert!(serde_json::from_str::<SessionDuration>("\"P1D\"").is_err());
    }
}
