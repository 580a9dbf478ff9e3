//! The scalars, enums and ids of the schema, converted to and from the service's value types.

use async_graphql::{Enum, InputValueError, InputValueResult, Scalar, ScalarType, Value, ID};
use uuid::Uuid;

use super::error::to_graphql;
use crate::error::AppError;
use crate::service::tasks::TaskSort as ServiceSort;
use crate::service::values::{parse_id, Priority as ServicePriority, Timestamp};

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
        Value::String(self.0.to_rfc3339())
    }
}

pub fn datetime(t: Timestamp) -> DateTime {
    DateTime(t)
}

/// Task priority.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum Priority {
    Low,
    Medium,
    High,
}

impl From<Priority> for ServicePriority {
    fn from(p: Priority) -> Self {
        match p {
            Priority::Low => Self::Low,
            Priority::Medium => Self::Medium,
            Priority::High => Self::High,
        }
    }
}

impl From<ServicePriority> for Priority {
    fn from(p: ServicePriority) -> Self {
        match p {
            ServicePriority::Low => Self::Low,
            ServicePriority::Medium => Self::Medium,
            ServicePriority::High => Self::High,
        }
    }
}

/// The key tasks are ordered by; ties are broken by creation time, then id.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum TaskSort {
    CreatedAt,
    DueDate,
    Priority,
    Title,
}

impl From<TaskSort> for ServiceSort {
    fn from(s: TaskSort) -> Self {
        match s {
            TaskSort::CreatedAt => Self::CreatedAt,
            TaskSort::DueDate => Self::DueDate,
            TaskSort::Priority => Self::Priority,
            TaskSort::Title => Self::Title,
        }
    }
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
