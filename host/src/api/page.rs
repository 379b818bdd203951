//! Cursor pagination: `?cursor=…&limit=…` in, `{"items": […], "next_cursor": …}` out.

use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The default page size.
pub const DEFAULT_LIMIT: u32 = 50;
/// The largest page size.
pub const MAX_LIMIT: u32 = 200;

/// Where a page starts and how long it is.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// The `next_cursor` of the previous page; none for the first page.
    #[param(pattern = "^[A-Za-z0-9_-]{1,64}$")]
    pub cursor: Option<String>,
    /// Items per page, 1 to 200; default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

impl PageQuery {
    /// The page size, checked.
    pub fn limit(&self) -> Result<u32, AppError> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            Some(_) => Err(AppError::invalid(
                "limit",
                format!("От 1 до {MAX_LIMIT} / From 1 to {MAX_LIMIT}"),
            )),
        }
    }

    /// The cursor as an integer key: 400 when it is not written as cursors are, 422 when it
    /// is no cursor of this list.
    pub fn cursor_i64(&self) -> Result<Option<i64>, AppError> {
        self.cursor_str()?
            .map(|c| {
                c.parse().map_err(|_| {
                    AppError::unprocessable("cursor", "Неизвестный курсор / Unknown cursor")
                })
            })
            .transpose()
    }

    /// The cursor as a string key (ids sort by time).
    pub fn cursor_str(&self) -> Result<Option<&str>, AppError> {
        match self.cursor.as_deref() {
            Some(c)
                if c.is_empty()
                    || c.len() > 64
                    || !c
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
            {
                Err(AppError::invalid(
                    "cursor",
                    "Неизвестный курсор / Unknown cursor",
                ))
            }
            other => Ok(other),
        }
    }
}

/// One page of a list.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; none on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// A page from up to `limit + 1` fetched items: the extra one only says there is more.
    pub fn from_overfetch(mut items: Vec<T>, limit: u32, key: impl Fn(&T) -> String) -> Self {
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        let next_cursor = if more { items.last().map(key) } else { None };
        Page { items, next_cursor }
    }
}
