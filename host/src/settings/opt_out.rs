//! The opt-out, read before any other setting is parsed.

use super::sources::Values;
use super::table::ENABLED;

/// Whether the run is enabled: checked before anything else is parsed or
/// read, so a disabled run does nothing at all. A misspelled opt-out
/// (`UPGRADE_RESPONDER_ENABLE=false`) counts as an opt-out.
pub fn enabled(values: &Values) -> anyhow::Result<bool> {
    if values.misspelled_opt_out().is_some() || values.not_utf8.contains(ENABLED) {
        return Ok(false);
    }
    if let Some(error) = values.unreadable.get(ENABLED) {
        anyhow::bail!("{ENABLED}: {error}");
    }
    values.flag(ENABLED)
}

/// Why a run is disabled, for its one log line.
pub fn opt_out_reason(values: &Values) -> String {
    match values.misspelled_opt_out() {
        Some(unknown) => format!(
            "{}={} from {} is not a setting, read as {ENABLED}=false: the safe reading of an opt-out",
            unknown.key,
            unknown.value.trim(),
            unknown.source
        ),
        None if values.not_utf8.contains(ENABLED) => format!(
            "{ENABLED} from the environment is not UTF-8 text, read as {ENABLED}=false: the safe reading of an opt-out"
        ),
        None => format!("{ENABLED}=false from {}", values.get(ENABLED).1),
    }
}
