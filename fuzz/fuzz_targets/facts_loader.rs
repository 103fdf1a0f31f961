//! The fixture-facts loader: any bytes are facts or an error, and facts
//! written in the fixture format read back the same.

#![no_main]

use libfuzzer_sys::fuzz_target;
use upgrade_responder::facts;

fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = facts::parse(data) {
        let written = facts::to_json(&parsed);
        let again = facts::parse(written.as_bytes()).expect("the fixture format reads back");
        assert!(again == parsed, "{written}");
    }
});
