//! `config`: every setting, its value, its source and what it does; an
//! invalid value is marked where it is shown, and fails the command.

use crate::ground::failure::{Failure, exit};
use crate::ground::text::redact_userinfo;
use crate::settings::{self, Config, SETTINGS, Values};

pub fn print(values: &Values) -> u8 {
    let invalid = settings::invalid_settings(values);
    for setting in SETTINGS {
        let (value, source) = values.get(setting.key);
        // A URL's userinfo may hold a password: never shown.
        let shown = if setting.key == settings::ENDPOINT {
            redact_userinfo(value)
        } else {
            value.to_string()
        };
        println!("{}={shown}", setting.key);
        if let Some((_, why)) = invalid.iter().find(|(key, _)| *key == setting.key) {
            println!("    INVALID: {why}");
        }
        println!(
            "    from {source}; {} Example: {}",
            setting.help, setting.example
        );
    }
    // Every value is shown first; then an invalid one fails as a run would.
    match Config::parse(values) {
        Ok(_) if invalid.is_empty() => exit::OK,
        Ok(_) => Failure::Config(anyhow::anyhow!(
            "invalid settings (marked INVALID above): {}",
            invalid
                .iter()
                .map(|(key, _)| *key)
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .log(),
        Err(error) => Failure::Config(error).log(),
    }
}
