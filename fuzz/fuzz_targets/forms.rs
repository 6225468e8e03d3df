//! Web form submissions, JSON or form-encoded (attend_ingest::fuzzing::forms).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| attend_ingest::fuzzing::forms(data));
