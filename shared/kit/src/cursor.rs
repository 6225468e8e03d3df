//! Opaque page cursors for keyset pagination.
//!
//! A cursor is the sort key of the last row of a page, tagged with the
//! ordering it belongs to, base64url-encoded. Clients pass it back as is;
//! one from another listing or ordering is refused with the field named.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::Error;

/// Trims a page fetched with one row more than `limit`; the cursor of
/// the next page (made from the page's last row by `key`), or empty when
/// this is the last page.
pub fn next_page<T>(rows: &mut Vec<T>, limit: i64, key: impl Fn(&T) -> String) -> String {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(key).unwrap_or_default()
    } else {
        String::new()
    }
}

/// Encodes `(tag, key, id)`: the ordering, the sort key of the last row and its id.
pub fn encode(tag: &str, key: &str, id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("{tag}|{key}|{id}"))
}

/// Decodes a cursor made by [`encode`] with the same `tag`; `field` names
/// the parameter in the error.
pub fn decode(field: &str, tag: &str, cursor: &str) -> Result<(String, Uuid), Error> {
    let bad = || {
        Error::invalid(
            field,
            "is not a cursor from this listing; pass next_cursor back as it was given",
        )
    };
    let bytes = URL_SAFE_NO_PAD.decode(cursor.trim()).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let mut parts = text.splitn(3, '|');
    let (Some(found), Some(key), Some(id)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    if found != tag {
        return Err(bad());
    }
    Ok((key.to_owned(), id.parse().map_err(|_| bad())?))
}

/// A timestamp as a cursor key (microseconds, exact).
pub fn time_key(at: DateTime<Utc>) -> String {
    at.timestamp_micros().to_string()
}

/// Reads a key made by [`time_key`].
pub fn parse_time_key(field: &str, key: &str) -> Result<DateTime<Utc>, Error> {
    key.parse::<i64>()
        .ok()
        .and_then(DateTime::from_timestamp_micros)
        .ok_or_else(|| Error::invalid(field, "is not a cursor from this listing"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_keeps_to_its_listing() {
        let id = Uuid::now_v7();
        let at = DateTime::from_timestamp_micros(1_790_000_000_123_456).unwrap();
        let cursor = encode("newest", &time_key(at), id);
        let (key, back) = decode("cursor", "newest", &cursor).unwrap();
        assert_eq!(back, id);
        assert_eq!(parse_time_key("cursor", &key).unwrap(), at);
        assert!(
            decode("cursor", "warmest", &cursor).is_err(),
            "another ordering's cursor"
        );
        for junk in ["", "!!", "bmV3ZXN0", &URL_SAFE_NO_PAD.encode("newest|1|not-a-uuid")] {
            let err = decode("cursor", "newest", junk).unwrap_err();
            assert!(err.to_string().contains("cursor"), "{err}");
        }
    }
}
