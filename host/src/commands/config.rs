//! `config`: every setting, its value, its source and what it does.

use crate::config::{SETTINGS, Values};
use crate::failure::exit;

pub fn print(values: &Values) -> u8 {
    for setting in SETTINGS {
        let (value, source) = values.get(setting.key);
        println!("{}={value}", setting.key);
        println!(
            "    from {source}; {} Example: {}",
            setting.help, setting.example
        );
    }
    exit::OK
}
