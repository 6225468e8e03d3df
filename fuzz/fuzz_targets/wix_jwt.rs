//! Wix webhook JWTs: any token, any claims or header signed with the test key, and a good token altered (attend_ingest::fuzzing::wix_jwt).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| attend_ingest::fuzzing::wix_jwt(data));
