//! The settings read on their own, before the others: the log level and
//! format, so logging is set up before anything else is read.

use crate::ground::logging::LogFormat;

use super::sources::Values;
use super::table::{LOG_FORMAT, LOG_LEVEL};

pub fn log_format(values: &Values) -> anyhow::Result<LogFormat> {
    match values.get(LOG_FORMAT).0.to_ascii_lowercase().as_str() {
        "text" => Ok(LogFormat::Text),
        "json" => Ok(LogFormat::Json),
        _ => Err(values.invalid(LOG_FORMAT, "text or json")),
    }
}

/// The log level, read on its own so logging is set up before anything else.
pub fn log_level(values: &Values) -> anyhow::Result<tracing::Level> {
    match values.get(LOG_LEVEL).0.to_ascii_lowercase().as_str() {
        "error" => Ok(tracing::Level::ERROR),
        "warn" | "warning" => Ok(tracing::Level::WARN),
        "info" => Ok(tracing::Level::INFO),
        "debug" => Ok(tracing::Level::DEBUG),
        "trace" => Ok(tracing::Level::TRACE),
        _ => Err(values.invalid(LOG_LEVEL, "error, warn, info or debug")),
    }
}
