//! ClickSend inbound texts and delivery receipts, JSON or form-encoded (attend_ingest::fuzzing::clicksend).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| attend_ingest::fuzzing::clicksend(data));
