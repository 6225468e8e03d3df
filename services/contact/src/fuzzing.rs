//! Entry points for the cargo-fuzz target `search_query` in `fuzz/` and
//! the property tests in `fuzz_props`: arbitrary bytes read as a search
//! text or a whole `ListContactsRequest`, checked against the promises the
//! listing relies on. A broken promise panics, which is what a fuzzer
//! reports. Built for tests and with the `fuzzing` feature only
//! (docs/fuzzing.md).
//!
//! The promises:
//! 1. no panic, whatever the text or request;
//! 2. a refusal is `Error::Invalid` (a 400, never a 5xx) naming each field
//!    at fault with a reason under [`ERROR_MAX`] bytes;
//! 3. a blank text is no search; any other accepted text is a search whose
//!    every prefix is storable text (no NUL or control character), at most
//!    100 characters past a phone's country code, and the exact range of
//!    the texts that start with it in `text_pattern_ops` (byte) order;
//!    a search by words has 1 to 6 of them.

use attend_kit::contact_point::Region;
use attend_kit::{Error, FieldError};
use attend_proto::contact::v1 as pb;
use prost::Message as _;

use crate::search::{list_query, search_needle};
use crate::store::{Prefix, Search};

/// Longest reason a refusal may carry.
pub const ERROR_MAX: usize = 1_000;

/// Regions a phone search is read in.
const REGIONS: [&str; 6] = ["AU", "US", "GB", "NZ", "DE", "IN"];

/// The fields a list request can be refused for.
const FIELDS: [&str; 10] = [
    "pipeline",
    "stage",
    "source",
    "min_warmness",
    "max_warmness",
    "q",
    "sort",
    "limit",
    "cursor",
    "ids",
];

/// The region the byte picks.
pub fn region(byte: u8) -> Region {
    REGIONS[usize::from(byte) % REGIONS.len()].parse().unwrap_or_default()
}

/// The first byte picks the region and what the rest is: odd, a
/// `ListContactsRequest` in protobuf (as gRPC delivers it); even, the
/// search text (invalid UTF-8 replaced, as a protobuf string can't hold it).
pub fn search_query(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let region = region(mode >> 1);
    if mode & 1 == 1 {
        if let Ok(req) = pb::ListContactsRequest::decode(rest) {
            assert_list_request(&req, region);
        }
    } else {
        assert_search(&String::from_utf8_lossy(rest), region);
    }
}

/// A search text read in `region`, checked.
pub fn assert_search(q: &str, region: Region) {
    match search_needle(q, region) {
        Ok(None) => assert!(q.trim().is_empty(), "{q:?} is not a search"),
        Ok(Some(search)) => {
            assert!(!q.trim().is_empty());
            assert_needle(&search);
        }
        Err(e) => assert_refusal(&e, &["q"]),
    }
}

/// A whole list request, checked.
pub fn assert_list_request(req: &pb::ListContactsRequest, region: Region) {
    match list_query(req, region) {
        Ok((query, tag)) => {
            assert!(matches!(tag, "newest" | "warmest"), "{tag}");
            assert!((1..=200).contains(&query.limit), "{}", query.limit);
            for warmness in [query.min_warmness, query.max_warmness].into_iter().flatten() {
                assert!((0..=100).contains(&warmness));
            }
            if let Some(source) = &query.source {
                assert_text("source", source, 100);
            }
            if let Some(search) = &query.needle {
                assert_needle(search);
            }
        }
        Err(e) => assert_refusal(&e, &FIELDS),
    }
}

fn assert_refusal(e: &Error, fields: &[&str]) {
    let Error::Invalid(problems) = e else {
        panic!("a request is refused with {e:?}, not as invalid");
    };
    assert!(!problems.is_empty(), "a refusal names a field");
    for FieldError { field, reason } in problems {
        assert!(fields.contains(&field.as_str()), "a refusal names {field:?}");
        assert!(!reason.trim().is_empty(), "{field}: no reason");
        assert!(
            reason.len() < ERROR_MAX && !reason.contains('\0'),
            "{field}: a reason of {} bytes",
            reason.len()
        );
    }
}

fn assert_text(field: &str, text: &str, max: usize) {
    assert!(
        !text.chars().any(char::is_control),
        "{field} holds a control character: {text:?}"
    );
    let count = text.chars().count();
    assert!(count <= max, "{field} is {count} characters");
}

fn assert_needle(search: &Search) {
    match search {
        Search::Words(words) => {
            assert!((1..=6).contains(&words.len()), "{} words", words.len());
            for w in words {
                assert_prefix(w, 100);
            }
        }
        Search::EmailStart(p) => {
            assert!(p.from.contains('@'));
            assert_prefix(p, 100);
        }
        Search::Phone {
            local,
            international,
            ending_reversed,
        } => {
            for p in [local, international, ending_reversed] {
                // A '+', a country code of up to 3 digits, 100 digits.
                assert_prefix(p, 104);
                assert!(p.from.trim_start_matches('+').bytes().all(|b| b.is_ascii_digit()));
            }
        }
    }
}

/// The prefix's range holds exactly the texts that start with it.
fn assert_prefix(p: &Prefix, max: usize) {
    assert!(!p.from.is_empty(), "an empty prefix finds everything");
    assert_text("prefix", &p.from, max);
    let longer = format!("{}\u{10ffff}", p.from);
    match &p.until {
        Some(until) => {
            assert!(p.from.as_bytes() < until.as_bytes(), "{p:?}");
            assert!(longer.as_bytes() < until.as_bytes(), "{p:?} misses {longer:?}");
            assert!(!until.starts_with(p.from.as_str()), "{p:?} holds its own end");
        }
        None => assert!(p.from.chars().all(|c| c == char::MAX), "{p:?} has no end"),
    }
}
