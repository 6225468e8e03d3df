//! X-Twilio-Signature over any URL and body, as sent or signed with or without the default port, then the text and status callback parsers (attend_ingest::fuzzing::twilio).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| attend_ingest::fuzzing::twilio(data));
