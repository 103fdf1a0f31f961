//! `config`: every setting, its value, its source and what it does.

use crate::config::{Config, SETTINGS, Values};
use crate::failure::{Failure, exit};

pub fn print(values: &Values) -> u8 {
    for setting in SETTINGS {
        let (value, source) = values.get(setting.key);
        println!("{}={value}", setting.key);
        println!(
            "    from {source}; {} Example: {}",
            setting.help, setting.example
        );
    }
    // Every value is shown first; then an invalid one fails as a run would.
    match Config::parse(values) {
        Ok(_) => exit::OK,
        Err(error) => Failure::Config(error).log(),
    }
}
