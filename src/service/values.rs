//! Value types shared by every resource: timestamps, priorities, PATCH fields, and the field rules
//! whose messages both faces must give word for word.

pub use crate::records::{Page, Priority, Timestamp, PAGE_MAX};

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
        assert_eq!(t.to_string(), "2025-12-01T18:00:00Z");
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
            assert_eq!(t.to_string(), chrono, "{micros}");
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
