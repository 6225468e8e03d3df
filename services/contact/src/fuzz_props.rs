//! Hostile search text and list requests, as property tests in the normal
//! suite (the same promises the cargo-fuzz target `search_query` checks,
//! see [`crate::fuzzing`] and docs/fuzzing.md): any text (NUL, control
//! characters, huge lengths, any script), phone-like text of any length,
//! whole requests with every field arbitrary, and any bytes decoded as a
//! request. Each property runs a bounded number of cases.

use attend_proto::contact::v1 as pb;
use proptest::prelude::*;

use crate::fuzzing::{self, assert_list_request, assert_search};
use crate::search::search_needle;
use crate::store::Search;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Search text as a person, a script or an attacker types it.
fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "\\PC{0,40}",
        "[\\x00-\\x1f\\x7f a-zA-Z@+.()-]{0,30}",
        "[0-9 +().-]{0,250}",
        "([a-zA-Z\u{c0}-\u{17f}]{1,6}[ ,.'_-]){0,9}",
        (95usize..260, any::<char>()).prop_map(|(n, c)| c.to_string().repeat(n)),
        Just("\u{10ffff}\u{10ffff}\u{10ffff}".to_owned()),
        Just("İİİ".to_owned()),
    ]
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn any_search_text_is_no_search_a_bounded_search_or_a_refusal_naming_q(
        q in hostile_text(),
        region in any::<u8>(),
    ) {
        assert_search(&q, fuzzing::region(region));
    }

    #[test]
    fn phone_like_text_searches_by_its_digits_alone(
        q in "[0-9][0-9 +().-]{2,60}",
        region in any::<u8>(),
    ) {
        let digits: String = q.chars().filter(char::is_ascii_digit).collect();
        match search_needle(&q, fuzzing::region(region)) {
            Ok(Some(Search::Phone { international, ending_reversed, .. })) => {
                prop_assert_eq!(international.from, format!("+{digits}"));
                prop_assert_eq!(ending_reversed.from, digits.chars().rev().collect::<String>());
            }
            Ok(other) => prop_assert!(false, "{q:?} read as {other:?}"),
            Err(_) => prop_assert!(digits.len() < 3 || digits.len() > 100, "{q:?} refused"),
        }
    }

    #[test]
    fn a_list_request_with_every_field_arbitrary_is_a_query_or_refused_naming_each_field(
        pipeline in prop_oneof![hostile_text(), Just("sales".to_owned()), Just(String::new())],
        stage in prop_oneof![hostile_text(), Just("new".to_owned()), Just(String::new())],
        source in prop_oneof![hostile_text(), Just("facebook".to_owned())],
        min_warmness in any::<Option<i32>>(),
        max_warmness in any::<Option<i32>>(),
        q in hostile_text(),
        sort in prop_oneof![hostile_text(), Just("warmest".to_owned()), Just(String::new())],
        limit in any::<u32>(),
        cursor in prop_oneof![hostile_text(), "[A-Za-z0-9_-]{0,80}"],
        region in any::<u8>(),
        ids in prop::collection::vec(prop_oneof![hostile_text(), Just(uuid::Uuid::nil().to_string())], 0..3),
    ) {
        let req = pb::ListContactsRequest {
            pipeline, stage, source, min_warmness, max_warmness, q, sort, limit, cursor, ids,
        };
        assert_list_request(&req, fuzzing::region(region));
    }

    #[test]
    fn any_bytes_read_as_a_search_or_a_list_request_keep_the_promises(
        data in prop::collection::vec(any::<u8>(), 0..300),
    ) {
        fuzzing::search_query(&data);
    }
}
