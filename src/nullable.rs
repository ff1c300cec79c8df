//! PATCH bodies tell "leave as is" (field absent) from "clear" (`null`).

use serde::{Deserialize, Deserializer};

/// Use with `#[serde(default, deserialize_with = "nullable")]` on an `Option<Option<T>>`:
/// absent gives `None`, `null` gives `Some(None)`, a value gives `Some(Some(v))`.
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}
