//! Conversions between domain values and SQLite column values: timestamps as microseconds since the
//! epoch, the parameter dictionary as an ordered JSON object, and checked narrowing of integers.
//!
//! Everything read back is checked: a value the domain cannot hold is [`StoreError::Corrupt`], never
//! a panic and never a silent default.

use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserializer, Serialize, Serializer};
use sobatch_core::{Parameters, Timestamp};

use crate::StoreError;

pub(crate) fn micros(time: Timestamp) -> i64 {
    time.timestamp_micros()
}

pub(crate) fn timestamp(micros: i64, column: &str) -> Result<Timestamp, StoreError> {
    chrono::DateTime::from_timestamp_micros(micros)
        .ok_or_else(|| corrupt(format!("{column} {micros} is not a representable time")))
}

pub(crate) fn corrupt(message: impl Into<String>) -> StoreError {
    StoreError::Corrupt(message.into())
}

/// Reads a column. A value of the wrong type is corruption, not a database failure.
pub(super) fn column<T: rusqlite::types::FromSql>(
    row: &rusqlite::Row<'_>,
    index: usize,
    name: &str,
) -> Result<T, StoreError> {
    row.get(index).map_err(|e| corrupt(format!("{name}: {e}")))
}

/// Narrows an integer column to the domain's type.
pub(super) fn narrow<T: TryFrom<i64>>(value: i64, column: &str) -> Result<T, StoreError> {
    T::try_from(value).map_err(|_| corrupt(format!("{column} {value} is out of range")))
}

/// The parameters as a UTF-8 JSON object, keys in the order the task was started with.
pub(crate) fn parameters_to_json(parameters: &Parameters) -> Result<Vec<u8>, StoreError> {
    struct Ordered<'a>(&'a Parameters);
    impl Serialize for Ordered<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let mut map = serializer.serialize_map(Some(self.0.len()))?;
            for (key, value) in self.0.iter() {
                map.serialize_entry(key, value)?;
            }
            map.end()
        }
    }
    serde_json::to_vec(&Ordered(parameters))
        .map_err(|e| StoreError::Database(format!("encode parameters: {e}")))
}

/// Reads a parameter blob back, keeping the key order of the JSON text (which a `serde_json::Map`
/// would sort away).
pub(crate) fn parameters_from_json(bytes: &[u8]) -> Result<Parameters, StoreError> {
    struct OrderedVisitor;
    impl<'de> Visitor<'de> for OrderedVisitor {
        type Value = Parameters;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object of strings")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Parameters, A::Error> {
            let mut parameters = Parameters::new();
            while let Some((key, value)) = access.next_entry::<String, String>()? {
                parameters.insert(key, value);
            }
            Ok(parameters)
        }
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let parameters = deserializer
        .deserialize_map(OrderedVisitor)
        .and_then(|parameters| deserializer.end().map(|()| parameters))
        .map_err(|e| {
            corrupt(format!(
                "parameter blob is not a JSON object of strings: {e}"
            ))
        })?;
    Ok(parameters)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_keep_their_order_and_escapes_through_json() {
        let parameters: Parameters = [("zeta", "1"), ("alpha", "\"quoted\"\n"), ("Æøå", "ünï")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let json = parameters_to_json(&parameters).unwrap();
        assert_eq!(
            std::str::from_utf8(&json).unwrap(),
            r#"{"zeta":"1","alpha":"\"quoted\"\n","Æøå":"ünï"}"#
        );
        assert_eq!(parameters_from_json(&json).unwrap(), parameters);
    }

    #[test]
    fn a_blob_that_is_not_an_object_of_strings_is_corrupt() {
        for bad in [&b"[]"[..], b"{\"a\":1}", b"{\"a\":\"b\"} x", b"\xff"] {
            assert!(matches!(
                parameters_from_json(bad),
                Err(StoreError::Corrupt(_))
            ));
        }
    }
}
