//! Which settings, alone, cannot work: what the `config` command marks.

use super::config::Config;
use super::early::{log_format, log_level};
use super::opt_out::enabled;
use super::sources::{Source, Values};
use super::table::{ENABLED, LOG_FORMAT, LOG_LEVEL, SETTINGS};

/// Every setting whose value, alone, cannot work, with why: what `config`
/// marks. Each value is checked by the same parse a run uses, with every
/// other setting at its default, so `config` and a run never disagree.
pub fn invalid_settings(values: &Values) -> Vec<(&'static str, String)> {
    let mut invalid = Vec::new();
    for setting in SETTINGS {
        let alone = Values {
            values: SETTINGS
                .iter()
                .map(|s| {
                    let value = if s.key == setting.key {
                        values.values.get(s.key).cloned()
                    } else {
                        None
                    };
                    (
                        s.key,
                        value.unwrap_or_else(|| (s.default.to_string(), Source::Default)),
                    )
                })
                .collect(),
            unreadable: values
                .unreadable
                .iter()
                .filter(|(key, _)| **key == setting.key)
                .map(|(key, error)| (*key, error.clone()))
                .collect(),
            unknown: Vec::new(),
            not_utf8: values
                .not_utf8
                .iter()
                .copied()
                .filter(|key| *key == setting.key)
                .collect(),
        };
        let checked = match setting.key {
            ENABLED => enabled(&alone).map(drop),
            LOG_LEVEL => log_level(&alone).map(drop),
            LOG_FORMAT => log_format(&alone).map(drop),
            _ => Config::parse(&alone).map(drop),
        };
        if let Err(error) = checked {
            invalid.push((setting.key, crate::ground::failure::error_line(&error)));
        }
    }
    invalid
}
