//! A calendar date: a grant's `until`, `--today`, and what `drift` compares
//! them by. Written and serialized as `YYYY-MM-DD`; a value always names a
//! day of the proleptic Gregorian calendar between years 1 and 9999.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A valid calendar date, ordered by time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    // INVARIANT: `date_problem(year, month, day)` is `None`. The field order
    // makes the derived ordering chronological.
    year: i32,
    month: u32,
    day: u32,
}

/// Year, month and day as written that do not name a calendar date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateError {
    pub year: i32,
    pub month: u32,
    pub day: u32,
    /// Why, for people: `February 2026 has no day 30`.
    pub problem: String,
}

impl DateError {
    /// The date as written, `YYYY-MM-DD`.
    pub fn written(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl fmt::Display for DateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a calendar date: {}",
            self.written(),
            self.problem
        )
    }
}

impl std::error::Error for DateError {}

impl Date {
    /// The date `year-month-day`, or why it is none.
    pub fn new(year: i32, month: u32, day: u32) -> Result<Date, DateError> {
        match date_problem(year, month, day) {
            None => Ok(Date { year, month, day }),
            Some(problem) => Err(DateError {
                year,
                month,
                day,
                problem,
            }),
        }
    }

    /// Parse `YYYY-MM-DD` (exactly that shape, a real date).
    pub fn parse(s: &str) -> Option<Date> {
        let digits = |t: &str| t.bytes().all(|c| c.is_ascii_digit());
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
        if !(digits(year) && digits(month) && digits(day)) {
            return None;
        }
        Date::new(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?).ok()
    }

    /// Parse a `--today` argument: [`Date::parse`] with a message for people.
    pub fn parse_arg(s: &str) -> Result<Date, String> {
        Date::parse(s).ok_or_else(|| format!("`{s}` is not a date: write YYYY-MM-DD"))
    }

    /// Today's UTC date from the system clock.
    pub fn now() -> Date {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
        Date { year, month, day }
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u32 {
        self.month
    }

    pub fn day(self) -> u32 {
        self.day
    }

    /// Days since 1970-01-01.
    pub fn days(self) -> i64 {
        days_from_civil(self.year, self.month, self.day)
    }

    /// Days from `self` to `later` (negative when `later` is earlier).
    pub fn days_until(self, later: Date) -> i64 {
        later.days() - self.days()
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl FromStr for Date {
    type Err = String;

    fn from_str(s: &str) -> Result<Date, String> {
        Date::parse_arg(s)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let s = String::deserialize(d)?;
        Date::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!("`{s}` is not a date: write YYYY-MM-DD"))
        })
    }
}

/// Why `y-m-d` is not a calendar date, if it is not.
fn date_problem(y: i32, m: u32, d: u32) -> Option<String> {
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
fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap_or_else(|| panic!("{s} is a date"))
    }

    #[test]
    fn parse_accepts_real_dates_only() {
        assert_eq!(d("2024-02-29").to_string(), "2024-02-29");
        assert_eq!(d("0001-01-01").to_string(), "0001-01-01");
        for bad in [
            "2023-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-04-31",
            "0000-01-01",
            "2026-1-01",
            "2026/01/01",
            "+026-01-01",
            "2026-01-0a",
            "2026-01-01 ",
            "",
        ] {
            assert_eq!(Date::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn new_says_why_a_date_is_not_one() {
        let e = Date::new(2026, 2, 30).expect_err("no such day");
        assert_eq!(
            e.to_string(),
            "`2026-02-30` is not a calendar date: February 2026 has no day 30"
        );
        assert_eq!(e.written(), "2026-02-30");
        assert_eq!(
            Date::new(2026, 13, 1).expect_err("no such month").problem,
            "there is no month 13"
        );
        assert_eq!(
            Date::new(0, 1, 1).expect_err("no such year").problem,
            "there is no year 0000"
        );
    }

    #[test]
    fn dates_order_by_time_not_by_field_text() {
        assert!(d("2026-11-28") < d("2026-11-29"));
        assert!(d("2026-09-30") < d("2026-10-01"));
        assert!(d("2025-12-31") < d("2026-01-01"));
        assert_eq!(d("2026-11-28").days_until(d("2026-12-01")), 3);
        assert_eq!(d("2026-12-01").days_until(d("2026-11-28")), -3);
        assert_eq!(d("1970-01-01").days(), 0);
    }

    #[test]
    fn now_round_trips_through_the_calendar() {
        let today = Date::now();
        assert_eq!(Date::parse(&today.to_string()), Some(today));
        assert_eq!(civil_from_days(d("2000-02-29").days()), (2000, 2, 29));
    }

    #[test]
    fn serde_writes_and_reads_the_text_form() {
        let json = serde_json::to_string(&d("2027-03-31")).expect("serialize");
        assert_eq!(json, "\"2027-03-31\"");
        let back: Date = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(back, d("2027-03-31"));
        assert!(serde_json::from_str::<Date>("\"2027-02-30\"").is_err());
    }
}
