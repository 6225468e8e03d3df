//! ManyChat and ClickSend intake tokens: any text presented, and tokens made for any slug then altered (attend_ingest::fuzzing::intake_token).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| attend_ingest::fuzzing::intake_token(data));
