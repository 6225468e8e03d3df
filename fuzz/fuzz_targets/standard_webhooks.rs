//! Standard Webhooks headers and body, as sent or signed near our clock, then the seed's JSON form (attend_ingest::fuzzing::standard_webhooks).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| attend_ingest::fuzzing::standard_webhooks(data));
