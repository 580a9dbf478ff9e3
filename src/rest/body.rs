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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::error::Details;

    /// A body with one field of each kind, as the handlers' inputs read them.
    #[derive(Debug, PartialEq)]
    struct Probe {
        title: Option<String>,
        note: Patch<String>,
        done: Patch<bool>,
        tags: Patch<Vec<String>>,
        due: Patch<Timestamp>,
        priority: Patch<Priority>,
        list: Patch<Uuid>,
    }

    impl FromJsonBody for Probe {
        fn from_json(f: &mut Fields) -> Self {
            let title = f.string("title");
            Self {
                title: f.required("title", title),
                note: f.string("note"),
                done: f.bool("done"),
                tags: f.strings("tags"),
                due: f.timestamp("due"),
                priority: f.priority("priority"),
                list: f.uuid("list"),
            }
        }
    }

    fn parse(value: serde_json::Value) -> AppResult<Probe> {
        Fields::parse(value)
    }

    /// The per-field messages of a refused body.
    fn problems(value: serde_json::Value) -> Details {
        let err = parse(value).unwrap_err();
        assert_eq!(err.code(), "VALIDATION_ERROR");
        err.details().cloned().unwrap_or_default()
    }

    fn only(field: &str, message: &str) -> Details {
        Details::from([(field.to_owned(), vec![message.to_owned()])])
    }

    #[test]
    fn every_field_of_a_well_formed_body_is_read() {
        let list = Uuid::new_v4();
        let body = json!({"title": "t", "note": "n", "done": true, "tags": ["a"],
            "due": "2025-12-01T18:00:00Z", "priority": "high", "list": list.to_string()});

        let probe = parse(body).unwrap();

        assert_eq!(probe.title.as_deref(), Some("t"));
        assert_eq!(probe.note, Patch::Value("n".to_owned()));
        assert_eq!(probe.done, Patch::Value(true));
        assert_eq!(probe.tags, Patch::Value(vec!["a".to_owned()]));
        assert_eq!(
            probe.due,
            Patch::Value(Timestamp::parse("2025-12-01T18:00:00Z").unwrap())
        );
        assert_eq!(probe.priority, Patch::Value(Priority::High));
        assert_eq!(probe.list, Patch::Value(list));
    }

    #[test]
    fn absent_and_null_fields_stay_apart() {
        let probe = parse(json!({"title": "t", "note": null})).unwrap();

        assert_eq!(probe.note, Patch::Null);
        assert_eq!(probe.done, Patch::Absent);
        assert_eq!(optional(probe.note), None);
    }

    #[test]
    fn a_body_that_is_not_an_object_is_refused_under_body() {
        assert_eq!(problems(json!([1])), only("body", "Expected a JSON object"));
    }

    #[test]
    fn a_missing_required_field_is_named() {
        assert_eq!(problems(json!({})), only("title", "This field is required"));
    }

    #[test]
    fn a_required_field_given_null_cannot_be_null() {
        assert_eq!(
            problems(json!({"title": null})),
            only("title", "Title cannot be null")
        );
    }

    #[test]
    fn a_required_field_of_the_wrong_type_gets_one_message_not_two() {
        assert_eq!(
            problems(json!({"title": 5})),
            only("title", "Must be a string")
        );
    }

    #[test]
    fn each_unknown_field_is_named() {
        let details = problems(json!({"title": "t", "colour": 1, "size": 2}));

        assert_eq!(details["colour"], ["Unknown field"]);
        assert_eq!(details["size"], ["Unknown field"]);
    }

    #[test]
    fn each_wrong_type_says_what_was_expected() {
        let details = problems(json!({"title": "t", "done": "yes", "tags": ["a", 1],
            "due": 5, "priority": 1, "list": 7}));

        assert_eq!(details["done"], ["Must be true or false"]);
        assert_eq!(details["tags"], ["Must be an array of strings"]);
        assert_eq!(details["due"], ["Must be an RFC 3339 timestamp string"]);
        assert_eq!(details["priority"], ["Must be one of: low, medium, high"]);
        assert_eq!(details["list"], ["Must be a UUID string"]);
    }

    #[test]
    fn a_string_that_does_not_parse_gets_the_rule_of_its_value() {
        let details = problems(json!({"title": "t", "due": "soon", "priority": "urgent",
            "list": "nope"}));

        assert_eq!(details["due"], [Timestamp::parse("soon").unwrap_err()]);
        assert_eq!(details["priority"], [Priority::MESSAGE]);
        assert_eq!(details["list"], ["Must be a UUID"]);
    }
}
