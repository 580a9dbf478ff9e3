//! The scalars, enums and ids of the schema, converted to and from the service's value types.

use async_graphql::{Enum, InputValueError, InputValueResult, Scalar, ScalarType, Value, ID};
use uuid::Uuid;

use super::error::to_graphql;
use crate::error::AppError;
use crate::service::values::{parse_id, Timestamp};

/// An RFC 3339 instant; output in UTC with a `Z` suffix, input with any offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime(pub Timestamp);

#[Scalar(name = "DateTime")]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => Timestamp::parse(s)
                .map(DateTime)
                .map_err(InputValueError::custom),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

/// Task priority.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::service::values::Priority")]
pub enum Priority {
    Low,
    Medium,
    High,
}

/// The key tasks are ordered by; ties are broken by creation time, then id.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::service::tasks::TaskSort")]
pub enum TaskSort {
    CreatedAt,
    DueDate,
    Priority,
    Title,
}

/// Sort direction; tasks without a due date come last either way.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum SortDirection {
    Asc,
    Desc,
}

/// Parses an `ID` argument as a UUID, with the same message as the REST face.
pub fn uuid_arg(field: &str, id: &ID) -> async_graphql::Result<Uuid> {
    parse_id(id.as_str()).map_err(|m| to_graphql(&AppError::invalid(field, m)))
}

pub fn id(uuid: Uuid) -> ID {
    ID(uuid.hyphenated().to_string())
}
