//! The contact search text and whole ListContactsRequests (attend_contact::fuzzing::search_query).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| attend_contact::fuzzing::search_query(data));
