//! Small SQL helpers shared by the resource modules.

use sqlx::sqlite::SqliteRow;
use sqlx::Row;
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// The visibility rule of docs/ownership.md for a list aliased `l`: unowned lists are visible to
/// everyone, owned ones only to their owner. Binds the caller's id, or NULL when anonymous.
pub const VISIBLE: &str = "(l.owner_id IS NULL OR l.owner_id = ?)";

/// Ids as one JSON array, for `IN (SELECT value FROM json_each(?))`: one statement whatever
/// the number of ids, since SQLite has no array binds.
pub fn json_ids(ids: &[Uuid]) -> String {
    let mut out = String::with_capacity(2 + ids.len() * 39);
    out.push('[');
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        out.push_str(id.hyphenated().encode_lower(&mut Uuid::encode_buffer()));
        out.push('"');
    }
    out.push(']');
    out
}

/// The caller id to bind for [`VISIBLE`].
pub fn caller_bind(caller: Option<Uuid>) -> Option<String> {
    caller.map(|id| id.hyphenated().to_string())
}

pub fn uuid_column(row: &SqliteRow, name: &str) -> AppResult<Uuid> {
    let raw: &str = row.try_get(name)?;
    Uuid::parse_str(raw).map_err(|e| AppError::internal(format_args!("bad uuid in {name}: {e}")))
}

pub fn opt_uuid_column(row: &SqliteRow, name: &str) -> AppResult<Option<Uuid>> {
    let raw: Option<&str> = row.try_get(name)?;
    raw.map(|r| {
        Uuid::parse_str(r).map_err(|e| AppError::internal(format_args!("bad uuid in {name}: {e}")))
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_become_a_json_array() {
        assert_eq!(json_ids(&[]), "[]");
        let a = Uuid::nil();
        assert_eq!(
            json_ids(&[a, a]),
            r#"["00000000-0000-0000-0000-000000000000","00000000-0000-0000-0000-000000000000"]"#
        );
    }
}
