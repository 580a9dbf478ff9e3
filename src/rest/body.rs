//! Turning a JSON request body into a service input, field by field, so that every wrong type,
//! `null` and unknown field gets its own message under its own name.

use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::{AppError, AppResult, Problems};
use crate::service::values::{not_null, Patch, Priority, Timestamp};

/// A request body that can be read from a JSON object.
pub trait FromJsonBody: Sized {
    fn from_json(fields: &mut Fields) -> Self;
}

/// The members of a JSON object, consumed as they are read; leftovers are unknown fields.
pub struct Fields {
    map: Map<String, Value>,
    problems: Problems,
}

impl Fields {
    pub fn parse<T: FromJsonBody>(value: Value) -> AppResult<T> {
        let Value::Object(map) = value else {
            return Err(AppError::invalid("body", "Expected a JSON object"));
        };
        let mut fields = Self {
            map,
            problems: Problems::default(),
        };
        let parsed = T::from_json(&mut fields);
        for unknown in fields.map.keys() {
            fields.problems.add(unknown, "Unknown field");
        }
        fields.problems.finish().map(|()| parsed)
    }

    fn take<T>(
        &mut self,
        key: &str,
        expected: &str,
        read: impl FnOnce(Value) -> Option<Result<T, String>>,
    ) -> Patch<T> {
        match self.map.remove(key) {
            None => Patch::Absent,
            Some(Value::Null) => Patch::Null,
            Some(value) => match read(value) {
                Some(Ok(v)) => Patch::Value(v),
                Some(Err(message)) => {
                    self.problems.add(key, message);
                    Patch::Absent
                }
                None => {
                    self.problems.add(key, format!("Must be {expected}"));
                    Patch::Absent
                }
            },
        }
    }

    pub fn string(&mut self, key: &str) -> Patch<String> {
        self.take(key, "a string", |v| match v {
            Value::String(s) => Some(Ok(s)),
            _ => None,
        })
    }

    pub fn bool(&mut self, key: &str) -> Patch<bool> {
        self.take(key, "true or false", |v| v.as_bool().map(Ok))
    }

    pub fn strings(&mut self, key: &str) -> Patch<Vec<String>> {
        self.take(key, "an array of strings", |v| match v {
            Value::Array(items) => items
                .into_iter()
                .map(|i| match i {
                    Value::String(s) => Some(s),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()
                .map(Ok),
            _ => None,
        })
    }

    pub fn timestamp(&mut self, key: &str) -> Patch<Timestamp> {
        self.take(key, "an RFC 3339 timestamp string", |v| {
            v.as_str().map(Timestamp::parse)
        })
    }

    pub fn priority(&mut self, key: &str) -> Patch<Priority> {
        self.take(key, "one of: low, medium, high", |v| {
            v.as_str().map(Priority::parse)
        })
    }

    pub fn uuid(&mut self, key: &str) -> Patch<Uuid> {
        self.take(key, "a UUID string", |v| {
            v.as_str()
                .map(|s| Uuid::parse_str(s).map_err(|_| "Must be a UUID".to_owned()))
        })
    }

    /// A field that must be present and not `null`.
    pub fn required<T>(&mut self, key: &str, value: Patch<T>) -> Option<T> {
        match value {
            Patch::Value(v) => Some(v),
            Patch::Null => {
                self.problems.add(key, not_null(key));
                None
            }
            // The field was given but wrong: that message is enough.
            Patch::Absent if self.problems.has(key) => None,
            Patch::Absent => {
                self.problems.add(key, "This field is required");
                None
            }
        }
    }
}

/// An optional field of a create body: absent and `null` both mean "not given".
pub fn optional<T>(value: Patch<T>) -> Option<T> {
    match value {
        Patch::Value(v) => Some(v),
        Patch::Absent | Patch::Null => None,
    }
}

