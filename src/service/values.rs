//! Value types shared by every resource: timestamps, priorities, PATCH fields, and the field rules
//! whose messages both faces must give word for word.

use std::fmt;

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::{Serialize, Serializer};

use crate::error::{AppResult, Problems};

/// A UTC instant with microsecond precision, stored as microseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    pub fn now() -> Self {
        Self(Utc::now().timestamp_micros())
    }

    pub fn from_micros(micros: i64) -> Self {
        Self(micros)
    }

    pub fn micros(self) -> i64 {
        self.0
    }

    /// Accepts RFC 3339 with any offset; the instant is kept, the offset is not.
    /// Years 0001 to 9999 in UTC (an offset may not push the instant out of that range).
    pub fn parse(raw: &str) -> Result<Self, String> {
        DateTime::parse_from_rfc3339(raw.trim())
            .ok()
            .map(|t| t.with_timezone(&Utc))
            .filter(|t| (1..=9999).contains(&t.year()))
            .map(|t| Self(t.timestamp_micros()))
            .ok_or_else(|| "Must be an RFC 3339 timestamp, e.g. 2025-12-01T18:00:00Z".to_owned())
    }

    pub fn to_datetime(self) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(self.0).unwrap_or_default()
    }

    /// RFC 3339 in UTC with a `Z` suffix; fractional seconds only when there are some.
    pub fn to_rfc3339(self) -> String {
        self.to_string()
    }
}

/// Written by hand rather than with chrono's `format` (a format-string interpreter), which was
/// a tenth of the time of serialising a page of tasks. Same output as chrono's `AutoSi`.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.to_datetime();
        let (date, time) = (t.date_naive(), t.time());
        let mut out = [0u8; 27];
        let fields = [
            (0, 4, date.year().unsigned_abs()),
            (5, 2, date.month()),
            (8, 2, date.day()),
            (11, 2, time.hour()),
            (14, 2, time.minute()),
            (17, 2, time.second()),
        ];
        out[..19].copy_from_slice(b"0000-00-00T00:00:00");
        for (at, width, value) in fields {
            put_digits(&mut out[at..at + width], value);
        }
        let mut len = 19;
        match self.0.rem_euclid(1_000_000) as u32 {
            0 => {}
            m if m % 1000 == 0 => {
                out[19] = b'.';
                put_digits(&mut out[20..23], m / 1000);
                len = 23;
            }
            m => {
                out[19] = b'.';
                put_digits(&mut out[20..26], m);
                len = 26;
            }
        }
        out[len] = b'Z';
        f.write_str(std::str::from_utf8(&out[..=len]).map_err(|_| fmt::Error)?)
    }
}

/// Writes `value` as zero-padded decimal digits filling `into`.
fn put_digits(into: &mut [u8], mut value: u32) {
    for slot in into.iter_mut().rev() {
        *slot = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// On the wire a timestamp is an RFC 3339 string (UTC, `Z`, fractional seconds when there are some).
impl utoipa::PartialSchema for Timestamp {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
            .examples([serde_json::json!("2025-12-01T18:00:00Z")])
            .into()
    }
}

impl utoipa::ToSchema for Timestamp {}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Task priority; stored as 0, 1, 2 so that sorting by it is numeric (low < medium < high).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Low,
    #[default]
    Medium,
    High,
}

impl Priority {
    pub const MESSAGE: &'static str = "Priority must be one of: low, medium, high";

    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "low" => Ok(Self::Low),
            "medium" => Ok(Self::Medium),
            "high" => Ok(Self::High),
            _ => Err(Self::MESSAGE.to_owned()),
        }
    }

    pub fn rank(self) -> i16 {
        self as i16
    }

    pub fn from_rank(rank: i16) -> Self {
        match rank {
            0 => Self::Low,
            2 => Self::High,
            _ => Self::Medium,
        }
    }
}

/// One field of a PATCH body: absent leaves it alone, `null` clears it (or is refused).
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Patch<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

impl<T> Patch<T> {
    /// Applies this field to a nullable value: absent keeps it, `null` clears it.
    pub fn apply_to(self, target: &mut Option<T>) {
        match self {
            Self::Absent => {}
            Self::Null => *target = None,
            Self::Value(v) => *target = Some(v),
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Patch<U> {
        match self {
            Self::Absent => Patch::Absent,
            Self::Null => Patch::Null,
            Self::Value(v) => Patch::Value(f(v)),
        }
    }
}

/// The largest page any collection serves, whatever the face (REST `limit=`, GraphQL `limit:`).
pub const PAGE_MAX: i64 = 1000;

/// A window of a collection: at most `limit` items after skipping `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
}

impl Page {
    /// The first `limit` items.
    pub const fn first(limit: i64) -> Self {
        Self { limit, offset: 0 }
    }

    /// Checks the bounds (`limit` 1 to [`PAGE_MAX`], `offset` 0 or more), naming each bad one.
    pub fn check(self) -> AppResult<Self> {
        let mut problems = Problems::default();
        if !(1..=PAGE_MAX).contains(&self.limit) {
            problems.add("limit", format!("limit must be between 1 and {PAGE_MAX}"));
        }
        if self.offset < 0 {
            problems.add("offset", "offset must be 0 or more");
        }
        problems.finish().map(|()| self)
    }
}

/// Parses a client-supplied id; the message is the same on both faces.
pub fn parse_id(raw: &str) -> Result<uuid::Uuid, String> {
    uuid::Uuid::try_parse(raw).map_err(|_| format!("'{}' is not a valid UUID", truncate(raw, 64)))
}

fn truncate(raw: &str, max: usize) -> &str {
    raw.char_indices().nth(max).map_or(raw, |(i, _)| &raw[..i])
}

pub const TITLE_MAX: usize = 255;
pub const DESCRIPTION_MAX: usize = 2000;
pub const CATEGORIES_MAX: usize = 10;
pub const CATEGORY_MAX: usize = 50;

/// Titles are stored trimmed; blank is refused.
pub fn title(raw: &str) -> Result<String, String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        Err("Title cannot be empty".into())
    } else if trimmed.chars().count() > TITLE_MAX {
        Err(format!("Title must be at most {TITLE_MAX} characters"))
    } else {
        Ok(trimmed.to_owned())
    }
}

pub fn description(raw: String) -> Result<String, String> {
    if raw.chars().count() > DESCRIPTION_MAX {
        Err(format!(
            "Description must be at most {DESCRIPTION_MAX} characters"
        ))
    } else {
        Ok(raw)
    }
}

/// Trims each category and drops duplicates keeping the first. The count is checked on the
/// entries as given, so that "at most 10" is a rule a schema can state (`maxItems`) and a client
/// can check before sending.
pub fn categories(raw: Vec<String>) -> Result<Vec<String>, String> {
    if raw.len() > CATEGORIES_MAX {
        return Err(format!("At most {CATEGORIES_MAX} categories are allowed"));
    }
    let mut kept: Vec<String> = Vec::with_capacity(raw.len().min(CATEGORIES_MAX));
    for item in raw {
        let item = item.trim();
        if item.is_empty() {
            return Err("Categories cannot be empty".into());
        }
        if item.chars().count() > CATEGORY_MAX {
            return Err(format!(
                "Each category must be at most {CATEGORY_MAX} characters"
            ));
        }
        if !kept.iter().any(|k| k == item) {
            kept.push(item.to_owned());
        }
    }
    Ok(kept)
}

/// A checked PATCH field that may be absent but never `null`; problems are recorded under `field`.
pub fn required<T>(
    problems: &mut crate::error::Problems,
    field: &str,
    value: Patch<Result<T, String>>,
) -> Option<T> {
    match value {
        Patch::Absent => None,
        Patch::Null => {
            problems.add(field, not_null(field));
            None
        }
        Patch::Value(result) => problems.check(field, result),
    }
}

/// A checked PATCH field that may be cleared with `null`.
pub fn nullable<T>(
    problems: &mut crate::error::Problems,
    field: &str,
    value: Patch<Result<T, String>>,
) -> Patch<T> {
    match value {
        Patch::Value(result) => problems
            .check(field, result)
            .map_or(Patch::Absent, Patch::Value),
        Patch::Null => Patch::Null,
        Patch::Absent => Patch::Absent,
    }
}

/// The message for `null` given to a field that cannot be cleared.
pub fn not_null(field: &str) -> String {
    format!("{} cannot be null", capitalised(field))
}

fn capitalised(field: &str) -> String {
    let mut chars = field.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_with_z_and_keep_the_instant() {
        let t = Timestamp::parse("2025-12-01T19:00:00+01:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2025-12-01T18:00:00Z");
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            "\"2025-12-01T18:00:00Z\""
        );
        let f = Timestamp::parse("2025-12-01T18:00:00.250Z").unwrap();
        assert_eq!(
            serde_json::to_string(&f).unwrap(),
            "\"2025-12-01T18:00:00.250Z\""
        );
        assert!(Timestamp::parse("tomorrow").is_err());
        assert!(Timestamp::parse("0000-01-01T00:00:00+01:00").is_err());
        assert!(Timestamp::parse("9999-12-31T23:00:00-02:00").is_err());
        assert!(Timestamp::parse("0001-01-01T00:00:00Z").is_ok());
    }

    #[test]
    fn timestamps_print_like_chronos_auto_si() {
        for micros in [
            0,
            1,
            999,
            1_000,
            123_456,
            1_764_612_000_000_000,
            1_764_612_000_250_000,
            -1,
        ] {
            let t = Timestamp::from_micros(micros);
            let chrono = t
                .to_datetime()
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
            assert_eq!(t.to_rfc3339(), chrono, "{micros}");
        }
    }

    #[test]
    fn titles_are_trimmed_and_bounded() {
        assert_eq!(title("  milk ").unwrap(), "milk");
        assert_eq!(title("   ").unwrap_err(), "Title cannot be empty");
        assert!(title(&"é".repeat(255)).is_ok());
        assert!(title(&"é".repeat(256)).is_err());
    }

    #[test]
    fn categories_are_trimmed_deduplicated_and_bounded() {
        let c = categories(vec![" a".into(), "b".into(), "a ".into()]).unwrap();
        assert_eq!(c, vec!["a", "b"]);
        assert!(categories(vec!["".into()]).is_err());
        assert!(categories(vec!["x".repeat(51)]).is_err());
        assert!(categories((0..11).map(|i| i.to_string()).collect()).is_err());
        assert!(categories(vec!["same".into(); 11]).is_err());
        assert_eq!(categories(vec!["same".into(); 10]).unwrap(), vec!["same"]);
    }

    #[test]
    fn priorities_order_low_medium_high() {
        assert!(Priority::Low < Priority::Medium && Priority::Medium < Priority::High);
        assert_eq!(Priority::from_rank(Priority::High.rank()), Priority::High);
        assert!(Priority::parse("urgent").is_err());
    }
}
