//! The records the service keeps and both faces show (users, lists, tasks), the value types
//! inside them, and the shape of a query. The storage backends read and write these; the rules
//! that decide what goes in them live in `service`.

use std::fmt;

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::{Serialize, Serializer};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{AppResult, Problems};

/// A user as both faces show it; the password hash is never part of it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: Uuid,
    pub username: String,
    #[schema(format = Email)]
    pub email: String,
    pub created_at: Timestamp,
    /// `null` until the user is first changed.
    #[schema(required = true)]
    pub updated_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TodoList {
    pub id: Uuid,
    pub title: String,
    #[schema(required = true)]
    pub description: Option<String>,
    /// The owner's id; `null` for a list created anonymously (visible to everyone).
    #[schema(required = true)]
    pub owner_id: Option<Uuid>,
    pub created_at: Timestamp,
    /// `null` until the list is first changed.
    #[schema(required = true)]
    pub updated_at: Option<Timestamp>,
}

/// The visibility rule, for a list whose owner is `list_owner` and a caller `caller` (`None` when
/// anonymous): unowned lists are visible to everyone, owned ones only to their owner. The stores
/// say the same in SQL (`VISIBLE` in each); this form is for rows already in memory.
pub fn visible(list_owner: Option<Uuid>, caller: Option<Uuid>) -> bool {
    list_owner.is_none() || list_owner == caller
}

/// What happened to a task, as live events say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum TaskEventKind {
    Created,
    Updated,
    /// Deleted, or moved to another list (the other list gets `CREATED`).
    Deleted,
}

/// Page size of `GET /lists` and `Query.lists` when none is asked for: every list, up to the cap.
pub const LISTS_PAGE_DEFAULT: i64 = PAGE_MAX;

/// One page of the caller's lists and the number of lists before paging.
#[derive(Debug, Clone)]
pub struct ListPage {
    pub lists: Vec<TodoList>,
    pub total: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    pub id: Uuid,
    pub list_id: Uuid,
    pub title: String,
    #[schema(required = true)]
    pub description: Option<String>,
    pub completed: bool,
    pub priority: Priority,
    pub categories: Vec<String>,
    #[schema(required = true)]
    pub due_date: Option<Timestamp>,
    pub created_at: Timestamp,
    /// `null` until the task is first changed.
    #[schema(required = true)]
    pub updated_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TaskSort {
    #[default]
    CreatedAt,
    DueDate,
    Priority,
    Title,
}

/// Filters, order and page of a task query (`GET /lists/{id}/tasks`, `TodoList.tasks`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TaskQuery {
    pub completed: Option<bool>,
    pub priority: Option<Priority>,
    pub category: Option<String>,
    pub due_before: Option<Timestamp>,
    pub due_after: Option<Timestamp>,
    pub q: Option<String>,
    pub sort: TaskSort,
    pub descending: bool,
    pub limit: i64,
    pub offset: i64,
}

/// Which fields of each task a batch read of pages fills. `Brief` leaves the description, the
/// categories, the due date and the update time empty (`None`, no categories): the GraphQL
/// pages whose selection asks for none of them, such as a list's titles and states, and where
/// building and decoding those columns was a third of the time of the read. A page read brief is
/// only ever answered to a selection that asks for no more: the loaders' key includes this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskFields {
    All,
    Brief,
}

/// Page size of a task query when none is asked for.
pub const LIMIT_DEFAULT: i64 = 100;

impl Default for TaskQuery {
    fn default() -> Self {
        Self {
            completed: None,
            priority: None,
            category: None,
            due_before: None,
            due_after: None,
            q: None,
            sort: TaskSort::CreatedAt,
            descending: false,
            limit: LIMIT_DEFAULT,
            offset: 0,
        }
    }
}

impl TaskQuery {
    /// Checks the page bounds; both faces parse the rest into typed values already.
    pub fn check(&self) -> AppResult<()> {
        Page {
            limit: self.limit,
            offset: self.offset,
        }
        .check()
        .map(drop)
    }
}

/// One page of a task query and the number of matches before paging.
#[derive(Debug, Clone)]
pub struct TaskPage {
    pub tasks: Vec<Task>,
    pub total: i64,
}

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

    /// From whole seconds since the epoch, as JWT claims count them.
    pub fn from_unix_seconds(seconds: i64) -> Self {
        Self(seconds.saturating_mul(1_000_000))
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

    pub fn from_datetime(at: DateTime<Utc>) -> Self {
        Self(at.timestamp_micros())
    }

    pub fn to_datetime(self) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(self.0).unwrap_or_default()
    }
}

/// RFC 3339 in UTC with a `Z` suffix; fractional seconds only when there are some. Written by
/// hand rather than with chrono's `format` (a format-string interpreter), which was
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

impl ToSchema for Timestamp {}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Task priority; stored as 0, 1, 2 so that sorting by it is numeric.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, ToSchema,
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

    /// The page size rule of both faces: 1 to [`PAGE_MAX`].
    pub fn check_limit(limit: i64) -> Result<i64, String> {
        (1..=PAGE_MAX)
            .contains(&limit)
            .then_some(limit)
            .ok_or_else(|| format!("must be an integer from 1 to {PAGE_MAX}"))
    }

    /// The offset rule of both faces: 0 or more.
    pub fn check_offset(offset: i64) -> Result<i64, String> {
        (offset >= 0)
            .then_some(offset)
            .ok_or_else(|| "must be an integer of 0 or more".to_owned())
    }

    /// Checks both bounds, naming each bad one.
    pub fn check(self) -> AppResult<Self> {
        let mut problems = Problems::default();
        problems.check("limit", Self::check_limit(self.limit));
        problems.check("offset", Self::check_offset(self.offset));
        problems.finish().map(|()| self)
    }
}

/// Text folded for case-insensitive search and sorting: all of Unicode, the same on every
/// backend (SQLite's own `lower()` folds ASCII only).
pub fn fold(text: &str) -> String {
    text.to_lowercase()
}
