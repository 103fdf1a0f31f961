//! Where each setting's raw value comes from, first found wins:
//! 1. a command-line flag (local runs),
//! 2. the environment variable of that name,
//! 3. a file of that name in a config directory (a mounted ConfigMap; with
//!    several directories, the later one wins: packaged defaults first, the
//!    user's overrides after),
//! 4. the default.
//!
//! Also the names that look like a setting but are none.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;

use crate::ground::input;

use super::table::{CONFIG_DIRS, DEFAULT_CONFIG_DIRS, ENABLED, PREFIX, SETTINGS};

/// Where a value came from, for messages and the `config` command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Flag,
    Environment,
    File(PathBuf),
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag => f.write_str("command line"),
            Source::Environment => f.write_str("environment"),
            Source::File(path) => write!(f, "{}", path.display()),
            Source::Default => f.write_str("default"),
        }
    }
}

/// The raw values with their sources, before parsing.
pub struct Values {
    pub(super) values: BTreeMap<&'static str, (String, Source)>,
    /// Setting files that exist but cannot be read, by key: an error for
    /// every command that uses settings, except a disabled run.
    pub(super) unreadable: BTreeMap<&'static str, String>,
    /// `UPGRADE_RESPONDER_*` names that are no setting (a typo, most
    /// likely), with their value and source.
    pub(super) unknown: Vec<Unknown>,
    /// Settings whose environment value is not UTF-8 text.
    pub(super) not_utf8: BTreeSet<&'static str>,
}

/// A name that looks like a setting but is none.
#[derive(Debug, Clone, PartialEq)]
pub struct Unknown {
    pub key: String,
    pub value: String,
    pub source: Source,
    /// The known setting it is closest to, if it is close.
    pub nearest: Option<&'static str>,
}

impl Values {
    /// Resolves every setting. `flags` holds command-line values by key;
    /// `env` looks up environment variables (a parameter so tests need not
    /// touch the process environment).
    /// `env_names` lists the environment's variable names, so unknown
    /// `UPGRADE_RESPONDER_*` names can be named.
    ///
    /// An environment value that is not UTF-8 is never read as unset: it
    /// makes the setting unreadable (exit 2), and for the opt-out it reads
    /// as disabled, the safe reading.
    pub fn resolve(
        flags: &BTreeMap<&'static str, String>,
        env_os: impl Fn(&str) -> Option<OsString>,
        env_names: &[String],
    ) -> Self {
        let not_utf8: BTreeSet<&'static str> = SETTINGS
            .iter()
            .filter(|s| env_os(s.key).is_some_and(|v| v.to_str().is_none()))
            .map(|s| s.key)
            .collect();
        let env = |key: &str| env_os(key).map(|v| v.to_string_lossy().into_owned());
        let dirs_value = flags
            .get(CONFIG_DIRS)
            .cloned()
            .or_else(|| env(CONFIG_DIRS))
            .unwrap_or_else(|| DEFAULT_CONFIG_DIRS.to_string());
        let dirs: Vec<PathBuf> = std::env::split_paths(&dirs_value)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        let mut values = BTreeMap::new();
        let mut unreadable = BTreeMap::new();
        // A directory that is missing holds no setting (the default ones
        // are there only in a pod); one that is a file is a mistake.
        if let Some(dir) = dirs.iter().find(|d| d.exists() && !d.is_dir()) {
            unreadable.insert(
                CONFIG_DIRS,
                format!("{} is not a directory of setting files", dir.display()),
            );
        }
        for setting in SETTINGS {
            let from_file = if flags.contains_key(setting.key) || env(setting.key).is_some() {
                None
            } else {
                match from_dirs(&dirs, setting.key) {
                    Ok(found) => found,
                    Err(error) => {
                        unreadable.insert(setting.key, format!("{error:#}"));
                        None
                    }
                }
            };
            let value = if let Some(value) = flags.get(setting.key) {
                (value.clone(), Source::Flag)
            } else if let Some(value) = env(setting.key) {
                (value, Source::Environment)
            } else if let Some((value, path)) = from_file {
                (value, Source::File(path))
            } else {
                (setting.default.to_string(), Source::Default)
            };
            values.insert(setting.key, value);
        }
        let mut unknown: Vec<Unknown> = env_names
            .iter()
            .filter(|name| name.starts_with(PREFIX) && !is_setting(name))
            .map(|name| Unknown {
                key: name.clone(),
                value: env(name).unwrap_or_default(),
                source: Source::Environment,
                nearest: nearest_setting(name),
            })
            .collect();
        unknown.extend(unknown_files(&dirs));
        for key in &not_utf8 {
            if !flags.contains_key(key) {
                unreadable.insert(
                    *key,
                    "the environment value is not UTF-8 text; settings are read as UTF-8"
                        .to_string(),
                );
            }
        }
        Self {
            values,
            unreadable,
            unknown,
            not_utf8,
        }
    }

    /// The names that look like settings but are none.
    pub fn unknown(&self) -> &[Unknown] {
        &self.unknown
    }

    /// A misspelled opt-out: an unknown name nearest to
    /// `UPGRADE_RESPONDER_ENABLED` whose value reads as false. The safe
    /// reading of an operator who tried to opt out is that they did.
    pub fn misspelled_opt_out(&self) -> Option<&Unknown> {
        self.unknown.iter().find(|u| {
            u.nearest == Some(ENABLED)
                && matches!(
                    u.value.trim().to_ascii_lowercase().as_str(),
                    "false" | "0" | "no" | "off"
                )
        })
    }

    /// The first setting file that exists but could not be read.
    pub fn check_readable(&self) -> anyhow::Result<()> {
        match self.unreadable.iter().next() {
            Some((key, error)) => Err(anyhow::anyhow!("{key}: {error}")),
            None => Ok(()),
        }
    }

    pub fn get(&self, key: &str) -> (&str, &Source) {
        match self.values.get(key) {
            Some((value, source)) => (value.trim(), source),
            None => ("", &Source::Default),
        }
    }

    pub(super) fn invalid(&self, key: &str, expected: &str) -> anyhow::Error {
        let (value, source) = self.get(key);
        // Cut: a 10 KB value is not echoed whole into the log.
        let value = crate::ground::text::log_text(value, 200);
        anyhow::anyhow!("{key}=\"{value}\" (from {source}) is not valid: expected {expected}")
    }

    pub fn flag(&self, key: &str) -> anyhow::Result<bool> {
        match self.get(key).0.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" => Ok(false),
            _ => Err(self.invalid(key, "true or false")),
        }
    }

    pub(super) fn number(
        &self,
        key: &str,
        range: std::ops::RangeInclusive<u64>,
    ) -> anyhow::Result<u64> {
        self.get(key)
            .0
            .parse::<u64>()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| {
                self.invalid(
                    key,
                    &format!("a whole number from {} to {}", range.start(), range.end()),
                )
            })
    }

    pub(super) fn path(&self, key: &str) -> Option<PathBuf> {
        let value = self.get(key).0;
        (!value.is_empty()).then(|| PathBuf::from(value))
    }
}

/// A setting's value from the config directories; the last directory
/// holding it wins. Each file is read bounded (`input.rs`).
fn from_dirs(dirs: &[PathBuf], key: &str) -> anyhow::Result<Option<(String, PathBuf)>> {
    let mut found = None;
    for dir in dirs {
        let path = dir.join(key);
        match std::fs::symlink_metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            // A directory that is not there (no user ConfigMap) is normal.
            Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => continue,
            _ => {}
        }
        let bytes = input::read(&path, input::SETTING_FILE)?;
        let value = String::from_utf8(bytes)
            .map_err(|_| anyhow::anyhow!("setting file {} is not UTF-8 text", path.display()))?;
        found = Some((value, path));
    }
    Ok(found)
}

fn is_setting(name: &str) -> bool {
    SETTINGS.iter().any(|s| s.key == name)
}

/// The known setting closest to `name`, if a typo could explain the
/// difference (at most 3 edits, or a different case).
fn nearest_setting(name: &str) -> Option<&'static str> {
    let upper = name.to_ascii_uppercase();
    SETTINGS
        .iter()
        .map(|s| (strsim::levenshtein(&upper, s.key), s.key))
        .filter(|(distance, _)| *distance <= 3)
        .min()
        .map(|(_, key)| key)
}

/// Files in the config directories named like a setting that is none.
/// ConfigMap volumes also hold `..data` and timestamped directories: only
/// names with the settings' prefix are looked at.
fn unknown_files(dirs: &[PathBuf]) -> Vec<Unknown> {
    let mut unknown = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut names: Vec<String> = entries
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|name| name.to_ascii_uppercase().starts_with(PREFIX) && !is_setting(name))
            .collect();
        names.sort();
        for name in names {
            let path = dir.join(&name);
            let value = input::read(&path, input::SETTING_FILE)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .unwrap_or_default();
            unknown.push(Unknown {
                nearest: nearest_setting(&name),
                key: name,
                value,
                source: Source::File(path),
            });
        }
    }
    unknown
}

impl fmt::Display for Unknown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (from {}) is not a setting and is ignored",
            self.key, self.source
        )?;
        match self.nearest {
            Some(nearest) => write!(f, "; did you mean {nearest}?"),
            None => write!(f, "; `upgrade-responder config` lists the settings"),
        }
    }
}
