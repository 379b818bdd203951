//! Checking the fields of a request the way the OpenAPI document describes them.
//!
//! The document promises what a well-formed request is; the host keeps that promise in both
//! directions. A request that breaks it (a missing required field, an empty one, one longer
//! than its `maxLength`, a value outside its `enum` or `pattern`) is `400 invalid`; one the
//! document allows but a rule it cannot state refuses (only spaces, a date already past, a
//! phone outside the numbering plan, a field needed only together with another) is
//! `422 unprocessable`. Both name the field. Lengths are counted in characters as sent, before
//! trimming, as JSON Schema counts them.
//!
//! The `*_schema` functions give the document's side of the fields whose rule is a list of
//! values (`#[schema(schema_with = …)]`), so the list is written once.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};

use crate::error::AppError;

/// A required text field: `field` is missing or empty, or longer than `max` characters →
/// 400; only spaces → 422. The text, trimmed.
pub fn required_text(field: &str, value: Option<&str>, max: usize) -> Result<String, AppError> {
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return Err(AppError::invalid(
            field,
            "Заполните это поле / Fill this in",
        ));
    };
    within(field, value, max)?;
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(AppError::unprocessable(
            field,
            "Заполните это поле: одни пробелы не считаются / Fill this in: spaces alone do not count",
        ));
    }
    Ok(trimmed.to_owned())
}

/// An optional text field: longer than `max` characters → 400; none, empty or only spaces →
/// none. The text, trimmed.
pub fn optional_text(
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, AppError> {
    let Some(value) = value else {
        return Ok(None);
    };
    within(field, value, max)?;
    let trimmed = value.trim();
    Ok((!trimmed.is_empty()).then(|| trimmed.to_owned()))
}

/// 400 when `value` is longer than `max` characters.
pub fn within(field: &str, value: &str, max: usize) -> Result<(), AppError> {
    if value.chars().count() > max {
        return Err(AppError::invalid(
            field,
            format!("Не больше {max} знаков / At most {max} characters"),
        ));
    }
    Ok(())
}

/// 400 unless `value` is one of `allowed`.
pub fn one_of<'a>(
    field: &str,
    value: Option<&str>,
    allowed: &[&'a str],
) -> Result<&'a str, AppError> {
    value
        .and_then(|v| allowed.iter().find(|a| **a == v).copied())
        .ok_or_else(|| {
            let list = allowed
                .iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(", ");
            AppError::invalid(field, format!("Одно из: {list} / One of: {list}"))
        })
}

/// A string schema listing the values it may take, with `null` allowed when `nullable`.
pub fn enum_schema(values: &[&str], nullable: bool, description: &str) -> RefOr<Schema> {
    let schema_type = if nullable {
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::new(Type::String)
    };
    let mut listed: Vec<serde_json::Value> = values.iter().map(|v| (*v).into()).collect();
    if nullable {
        listed.push(serde_json::Value::Null);
    }
    ObjectBuilder::new()
        .schema_type(schema_type)
        .enum_values(Some(listed))
        .description(Some(description))
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_decides_400_and_rules_beyond_it_422() {
        let status = |r: Result<String, AppError>| r.map_err(|e| e.status().as_u16());
        assert_eq!(status(required_text("t", None, 5)), Err(400));
        assert_eq!(status(required_text("t", Some(""), 5)), Err(400));
        assert_eq!(status(required_text("t", Some("abcdef"), 5)), Err(400));
        // Counted as sent: trailing spaces count, as `maxLength` counts them.
        assert_eq!(status(required_text("t", Some("abcd  "), 5)), Err(400));
        assert_eq!(status(required_text("t", Some("   "), 5)), Err(422));
        assert_eq!(status(required_text("t", Some(" ab "), 5)), Ok("ab".into()));
        assert_eq!(optional_text("t", Some("  "), 5).unwrap(), None);
        assert_eq!(
            one_of("kind", Some("plot"), &["apartment", "plot"]).unwrap(),
            "plot"
        );
        assert_eq!(
            one_of("kind", Some("house"), &["apartment", "plot"])
                .unwrap_err()
                .field(),
            Some("kind")
        );
    }
}
