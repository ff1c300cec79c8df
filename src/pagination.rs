//! Cursor pagination: lists are ordered by id (UUIDv7, so by creation), and the cursor
//! is an opaque token for the last id seen.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{AppError, FieldError};

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

/// The query of a list that takes nothing but its page.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// The validated window of a list request.
#[derive(Debug, Clone)]
pub struct Window {
    pub limit: i64,
    pub after: Option<String>,
}

impl Window {
    pub fn parse(limit: Option<u32>, cursor: Option<&str>) -> Result<Self, AppError> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(AppError::Validation(vec![FieldError::new(
                "limit",
                "range",
                format!("must be between 1 and {MAX_LIMIT}"),
            )]));
        }
        let after = match cursor {
            None | Some("") => None,
            Some(c) => Some(
                URL_SAFE_NO_PAD.decode(c).ok().and_then(|bytes| String::from_utf8(bytes).ok()).ok_or_else(|| {
                    AppError::Validation(vec![FieldError::new(
                        "cursor",
                        "invalid",
                        "is not a cursor this API returned",
                    )])
                })?,
            ),
        };
        Ok(Self { limit: i64::from(limit), after })
    }

    /// How many rows to fetch: one more than the page, to know whether another follows.
    pub fn fetch(&self) -> i64 {
        self.limit + 1
    }

    /// Builds the page from rows fetched with [`Window::fetch`].
    pub fn page<R, T>(&self, mut rows: Vec<R>, id_of: impl Fn(&R) -> &str, map: impl FnMut(R) -> T) -> Page<T> {
        let more = rows.len() as i64 > self.limit;
        rows.truncate(self.limit as usize);
        let next_cursor = if more { rows.last().map(|r| URL_SAFE_NO_PAD.encode(id_of(r))) } else { None };
        Page { items: rows.into_iter().map(map).collect(), next_cursor }
    }
}
