//! Reading declared index values out of a document's JSON, and checking plugin input.

use super::documents::{CollectionSpec, IndexKind, StorageError, Value};

/// The largest document, in bytes of JSON.
pub(super) const MAX_DATA_BYTES: usize = 1024 * 1024;
/// The longest indexed text value, in bytes (PostgreSQL's b-tree entries are limited in size).
pub(super) const MAX_INDEXED_TEXT_BYTES: usize = 1024;
/// The longest document id, in bytes.
pub(super) const MAX_ID_BYTES: usize = 128;

/// A value as stored in `document_index`: `(int_value, text_value)`.
pub(super) type Stored = (Option<i64>, Option<String>);

/// How a value is stored in `document_index`.
pub(super) fn stored(value: &Value) -> Stored {
    match value {
        Value::Null => (None, None),
        Value::Boolean(b) => (Some(i64::from(*b)), None),
        Value::Integer(i) => (Some(*i), None),
        Value::Text(t) => (None, Some(t.clone())),
    }
}

/// An invalid-input error naming `field`.
pub(super) fn invalid(field: impl Into<String>, message: impl Into<String>) -> StorageError {
    StorageError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

/// Check a document id the plugin chose. `field` names it in errors.
pub(super) fn check_id(id: &str, field: &str) -> Result<(), StorageError> {
    if id.is_empty() {
        return Err(invalid(field, "the id must not be empty"));
    }
    if id.len() > MAX_ID_BYTES {
        return Err(invalid(
            field,
            format!("the id must be at most {MAX_ID_BYTES} bytes"),
        ));
    }
    if id.chars().any(char::is_control) {
        return Err(invalid(field, "the id must not contain control characters"));
    }
    Ok(())
}

/// Check text that is indexed or compared with indexed text.
pub(super) fn check_text(text: &str, field: &str) -> Result<(), StorageError> {
    if text.len() > MAX_INDEXED_TEXT_BYTES {
        return Err(invalid(
            field,
            format!("indexed text must be at most {MAX_INDEXED_TEXT_BYTES} bytes"),
        ));
    }
    if text.contains('\0') {
        return Err(invalid(
            field,
            "indexed text must not contain NUL characters",
        ));
    }
    Ok(())
}

/// Check `data` is a JSON object of at most 1 MiB and read the collection's index values from
/// it, in the order of `coll.indexes`. `field` names the data in errors (`data`,
/// `docs[3].data`); a bad index value is named `{field}.{index field}`.
pub(super) fn index_values(
    data: &str,
    coll: &CollectionSpec,
    field: &str,
) -> Result<Vec<Value>, StorageError> {
    if data.len() > MAX_DATA_BYTES {
        return Err(invalid(
            field,
            format!(
                "a document must be at most 1 MiB of JSON, this is {} bytes",
                data.len()
            ),
        ));
    }
    let parsed: serde_json::Value =
        serde_json::from_str(data).map_err(|e| invalid(field, format!("not valid JSON: {e}")))?;
    let serde_json::Value::Object(object) = parsed else {
        return Err(invalid(field, "a document must be a JSON object"));
    };
    coll.indexes
        .iter()
        .map(|index| {
            let name = || format!("{field}.{}", index.field);
            read_value(object.get(&index.field), index.kind)
                .map_err(|expected| invalid(name(), format!("{}: expected {expected}", name())))
        })
        .collect()
}

/// An index value of `kind` from a JSON value; `Err` says what was expected.
pub(super) fn read_value(
    json: Option<&serde_json::Value>,
    kind: IndexKind,
) -> Result<Value, &'static str> {
    use serde_json::Value as J;
    match (json, kind) {
        (None | Some(J::Null), _) => Ok(Value::Null),
        (Some(J::Bool(b)), IndexKind::Boolean) => Ok(Value::Boolean(*b)),
        (Some(J::Number(n)), IndexKind::Integer) => {
            n.as_i64().map(Value::Integer).ok_or("a 64-bit integer")
        }
        (Some(J::String(s)), IndexKind::Text) => {
            if s.len() > MAX_INDEXED_TEXT_BYTES {
                Err("indexed text of at most 1024 bytes")
            } else if s.contains('\0') {
                Err("indexed text without NUL characters")
            } else {
                Ok(Value::Text(s.clone()))
            }
        }
        (Some(_), IndexKind::Boolean) => Err("a boolean"),
        (Some(_), IndexKind::Integer) => Err("an integer"),
        (Some(_), IndexKind::Text) => Err("a string"),
    }
}
