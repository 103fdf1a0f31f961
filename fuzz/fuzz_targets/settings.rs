//! Settings parsing: any values for any settings give a config or an error
//! on one line (the log's one warning or error line), never a panic.

#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use upgrade_responder::settings::{self, Config, SETTINGS, Value, Values};

fuzz_target!(|input: Vec<(u8, String)>| {
    let mut env: BTreeMap<&str, String> = BTreeMap::new();
    // No config directories: only what the input sets.
    env.insert(settings::CONFIG_DIRS, String::new());
    for (pick, value) in input {
        let setting = &SETTINGS[usize::from(pick) % SETTINGS.len()];
        // Settings that name files or directories (the table's kinds) are
        // left unset, so the fuzzer never reads or writes the machine's files.
        if setting.value == Value::Text {
            env.insert(setting.key, value);
        }
    }
    let names: Vec<String> = env.keys().map(|key| key.to_string()).collect();
    let values = Values::resolve(&BTreeMap::new(), |key| env.get(key).map(Into::into), &names);
    let results = [
        settings::enabled(&values).map(drop),
        settings::log_level(&values).map(drop),
        Config::parse(&values).map(drop),
    ];
    for error in results.into_iter().filter_map(Result::err) {
        let line = format!("{error:#}");
        assert!(
            !line.contains(['\n', '\r']),
            "a message on more than one line: {line:?}"
        );
    }
});
