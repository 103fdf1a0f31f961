//! The settings' unit tests: sources, precedence, validation and the
//! README's table.

use std::collections::BTreeMap;

use crate::ground::bindings::FieldMode;
use crate::ground::policy::{self, Limits};

use super::config::Config;
use super::opt_out::{enabled, opt_out_reason};
use super::sources::{Source, Values};
use super::table::{
    CONFIG_DIRS, DEFAULT_ENDPOINT, DRY_RUN, ENABLED, ENDPOINT, FIELD_MODE, KUBECONFIG,
    MEMORY_LIMIT, SETTINGS,
};

fn resolve(flags: &[(&'static str, &str)], env: &[(&str, &str)]) -> Values {
    let flags = flags.iter().map(|(k, v)| (*k, v.to_string())).collect();
    let env: BTreeMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let names: Vec<String> = env.keys().cloned().collect();
    Values::resolve(&flags, |key| env.get(key).map(Into::into), &names)
}

#[test]
fn an_unknown_setting_is_named_with_the_nearest_known_one() {
    let values = resolve(
        &[],
        &[
            (CONFIG_DIRS, ""),
            ("UPGRADE_RESPONDER_ENDPIONT", "https://x/"),
            ("UPGRADE_RESPONDER_WHATEVER", "1"),
        ],
    );
    let lines: Vec<String> = values.unknown().iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "UPGRADE_RESPONDER_ENDPIONT (from environment) is not a setting and is ignored; did you mean UPGRADE_RESPONDER_ENDPOINT?",
            "UPGRADE_RESPONDER_WHATEVER (from environment) is not a setting and is ignored; `upgrade-responder config` lists the settings",
        ]
    );
    assert!(enabled(&values).unwrap());
}

#[test]
fn a_misspelled_opt_out_in_the_environment_or_a_file_opts_out() {
    let values = resolve(
        &[],
        &[(CONFIG_DIRS, ""), ("UPGRADE_RESPONDER_ENABLE", "false")],
    );
    assert!(!enabled(&values).unwrap());
    assert_eq!(
        opt_out_reason(&values),
        "UPGRADE_RESPONDER_ENABLE=false from environment is not a setting, read as UPGRADE_RESPONDER_ENABLED=false: the safe reading of an opt-out"
    );
    let dir = std::env::temp_dir().join(format!("ur-optout-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("UPGRADE_RESPONDER_ENABLE"), "no\n").unwrap();
    let dirs = dir.display().to_string();
    let values = resolve(&[], &[(CONFIG_DIRS, &dirs)]);
    assert!(!enabled(&values).unwrap());
    // A misspelled name that asks for reporting changes nothing.
    std::fs::write(dir.join("UPGRADE_RESPONDER_ENABLE"), "true").unwrap();
    let values = resolve(&[], &[(CONFIG_DIRS, &dirs)]);
    assert!(enabled(&values).unwrap());
    assert_eq!(values.unknown().len(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_unreadable_setting_file_fails_the_settings_but_not_a_disabled_run() {
    let dir = std::env::temp_dir().join(format!("ur-unreadable-{}", std::process::id()));
    std::fs::create_dir_all(dir.join(FIELD_MODE)).unwrap();
    let dirs = dir.display().to_string();
    let values = resolve(&[], &[(CONFIG_DIRS, &dirs), (ENABLED, "false")]);
    assert!(!enabled(&values).unwrap());
    let values = resolve(&[], &[(CONFIG_DIRS, &dirs)]);
    assert_eq!(
        Config::parse(&values).unwrap_err().to_string(),
        format!(
            "UPGRADE_RESPONDER_FIELD_MODE: cannot read setting file {}: not a regular file (a directory, device or FIFO is never read)",
            dir.join(FIELD_MODE).display()
        )
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn field_mode_is_read_without_regard_to_case_like_the_flags() {
    let values = resolve(&[], &[(CONFIG_DIRS, ""), (FIELD_MODE, "Standard")]);
    assert_eq!(
        Config::parse(&values).unwrap().field_mode,
        FieldMode::Standard
    );
}

#[test]
fn a_kubeconfig_given_but_missing_is_a_configuration_error() {
    let values = resolve(
        &[],
        &[(CONFIG_DIRS, ""), (KUBECONFIG, "/nonexistent/kubeconfig")],
    );
    assert_eq!(
        Config::parse(&values).unwrap_err().to_string(),
        "UPGRADE_RESPONDER_KUBECONFIG=/nonexistent/kubeconfig (from environment): no such file; give an existing kubeconfig or leave it empty"
    );
}

#[test]
fn defaults_apply_when_nothing_is_set() {
    let values = resolve(&[], &[(CONFIG_DIRS, "/nonexistent")]);
    let config = Config::parse(&values).unwrap();
    assert_eq!(config.endpoint, DEFAULT_ENDPOINT);
    assert_eq!(config.field_mode, FieldMode::Minimal);
    assert!(enabled(&values).unwrap());
    assert!(!config.dry_run);
    assert_eq!(values.get(ENDPOINT).1, &Source::Default);
}

#[test]
fn flag_beats_environment_beats_files_later_dir_wins() {
    let base = std::env::temp_dir().join(format!("ur-config-test-{}", std::process::id()));
    let (packaged, user) = (base.join("packaged"), base.join("user"));
    std::fs::create_dir_all(&packaged).unwrap();
    std::fs::create_dir_all(&user).unwrap();
    std::fs::write(packaged.join(ENDPOINT), "https://packaged.example/v1\n").unwrap();
    std::fs::write(packaged.join(FIELD_MODE), "standard").unwrap();
    std::fs::write(packaged.join(DRY_RUN), "true").unwrap();
    std::fs::write(user.join(ENDPOINT), "https://user.example/v1").unwrap();
    std::fs::write(user.join(ENABLED), "false").unwrap();
    let dirs = format!(
        "{}:{}:{}",
        packaged.display(),
        base.join("missing").display(),
        user.display()
    );

    let values = resolve(&[], &[(CONFIG_DIRS, &dirs)]);
    assert_eq!(values.get(ENDPOINT).0, "https://user.example/v1");
    assert_eq!(values.get(ENDPOINT).1, &Source::File(user.join(ENDPOINT)));
    assert_eq!(values.get(FIELD_MODE).0, "standard");
    assert!(!enabled(&values).unwrap());

    let values = resolve(
        &[],
        &[
            (CONFIG_DIRS, &dirs),
            (ENDPOINT, "https://env.example/v1"),
            (ENABLED, "true"),
        ],
    );
    assert_eq!(values.get(ENDPOINT).0, "https://env.example/v1");
    assert!(enabled(&values).unwrap());

    let values = resolve(
        &[(ENDPOINT, "http://flag.example/v1")],
        &[(CONFIG_DIRS, &dirs), (ENDPOINT, "https://env.example/v1")],
    );
    assert_eq!(
        values.get(ENDPOINT),
        ("http://flag.example/v1", &Source::Flag)
    );
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn invalid_values_name_the_setting_its_source_and_what_is_expected() {
    let values = resolve(&[], &[(CONFIG_DIRS, ""), (ENABLED, "maybe")]);
    assert_eq!(
        enabled(&values).unwrap_err().to_string(),
        "UPGRADE_RESPONDER_ENABLED=\"maybe\" (from environment) is not valid: expected true or false"
    );
    let values = resolve(&[], &[(CONFIG_DIRS, ""), (ENDPOINT, "ftp://x/y")]);
    assert_eq!(
        Config::parse(&values).unwrap_err().to_string(),
        "UPGRADE_RESPONDER_ENDPOINT (from environment): endpoint \"ftp://x/y\" must be an http or https URL, not ftp:"
    );
    let values = resolve(&[], &[(CONFIG_DIRS, ""), (MEMORY_LIMIT, "0")]);
    assert!(
        Config::parse(&values)
            .unwrap_err()
            .to_string()
            .contains("a whole number from 1 to 4096")
    );
}

/// The limits' defaults live in the policy; the settings table repeats
/// them for the README and `config`, and must agree.
#[test]
fn limit_settings_agree_with_the_policy() {
    for limit in policy::LIMIT_SETTINGS {
        let setting = SETTINGS
            .iter()
            .find(|s| s.key == limit.key)
            .unwrap_or_else(|| panic!("{} is not in SETTINGS", limit.key));
        assert_eq!(setting.default, limit.default.to_string(), "{}", limit.key);
    }
    let values = resolve(&[], &[(CONFIG_DIRS, "/nonexistent")]);
    assert_eq!(Config::parse(&values).unwrap().limits, Limits::default());
}

/// The README's configuration table is the operator's reference: every
/// setting must be in it with its default and an example.
#[test]
fn readme_documents_every_setting_with_default_and_example() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    for setting in SETTINGS {
        let row = readme
            .lines()
            .find(|line| line.starts_with(&format!("| `{}`", setting.key)))
            .unwrap_or_else(|| panic!("README.md has no table row for {}", setting.key));
        let default = if setting.default.is_empty() {
            "(empty)".to_string()
        } else {
            format!("`{}`", setting.default)
        };
        assert!(
            row.contains(&default),
            "{}: no default {default}: {row}",
            setting.key
        );
        let example = format!("`{}`", setting.example);
        assert!(
            row.contains(&example),
            "{}: no example {example}: {row}",
            setting.key
        );
    }
}
