//! The fixture-facts loader: any bytes are facts or an error, and facts
//! written in the fixture format read back the same (reading closes every
//! value against the vocabulary, and closing twice changes nothing).

#![no_main]

use libfuzzer_sys::fuzz_target;
use upgrade_responder::cluster::facts_file as facts;
use upgrade_responder::ground::vocabulary::Vocabulary;

fuzz_target!(|data: &[u8]| {
    let vocabulary = Vocabulary::default();
    if let Ok(parsed) = facts::parse(data, &vocabulary) {
        let written = facts::to_json(&parsed);
        let again =
            facts::parse(written.as_bytes(), &vocabulary).expect("the fixture format reads back");
        assert!(again == parsed, "{written}");
    }
});
