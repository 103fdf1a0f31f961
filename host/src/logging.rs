//! The log: one subscriber on stderr, our own lines at the chosen level, as
//! text or as JSON.

use tracing_subscriber::fmt::format::debug_fn;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::config::LogFormat;

/// Sets up logging at `level` in `format`. The libraries' own lines
/// (wasi-http, kube) show only when they are errors or when debugging, so
/// the default log stays one line per run.
///
/// In text, a line is its message alone: the summary's values are already
/// in it as `key=value`. In JSON, the same values are also fields.
pub fn init(level: tracing::Level, format: LogFormat) {
    let libraries = if level >= tracing::Level::DEBUG {
        level
    } else {
        tracing::Level::ERROR
    };
    // kube logs every failed request as an ERROR of its own; the host
    // already says what failed in its one warning line.
    let kube = if level >= tracing::Level::DEBUG {
        tracing_subscriber::filter::LevelFilter::from_level(level)
    } else {
        tracing_subscriber::filter::LevelFilter::OFF
    };
    let filter = tracing_subscriber::filter::Targets::new()
        .with_target(env!("CARGO_CRATE_NAME"), level)
        .with_target("kube_client", kube)
        .with_default(libraries);
    let registry = tracing_subscriber::registry().with(filter);
    match format {
        LogFormat::Text => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_ansi(false)
                    .with_target(false)
                    .fmt_fields(debug_fn(|writer, field, value| {
                        if field.name() == "message" {
                            write!(writer, "{value:?}")
                        } else {
                            Ok(())
                        }
                    })),
            )
            .init(),
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_writer(std::io::stderr)
                    .with_target(false),
            )
            .init(),
    }
}
