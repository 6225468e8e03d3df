//! The Wix booking parsers on their own: the seed's JSON form, any claims, and any event under each booking event type (attend_ingest::fuzzing::wix_payload).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| attend_ingest::fuzzing::wix_payload(data));
