//! The log: one subscriber on stderr, our own lines at the chosen level, as
//! text or as JSON.

use tracing_subscriber::fmt::format::debug_fn;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// The log format: `text` or `json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Sets up logging at `level` in `format`. Only the host's own lines are
/// logged, at every level: the libraries (kube, hyper, rustls, wasmtime)
/// repeat what the host already says in its one line, and at debug they
/// print request URLs whose `continue` tokens hold node names.
///
/// In text, a line is its message alone: the summary's values are already
/// in it as `key=value`. In JSON, the same values are also fields, and the
/// target shows every line is the host's own.
pub fn init(level: tracing::Level, format: LogFormat) {
    let filter = own_lines_only(level);
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
                    .with_target(true),
            )
            .init(),
    }
}

/// The one filter: the host's crate at `level`, every other target off.
fn own_lines_only(level: tracing::Level) -> tracing_subscriber::filter::Targets {
    tracing_subscriber::filter::Targets::new().with_target(OWN_TARGET, level)
}

/// The host's crate: its library and its binary log under this target.
pub const OWN_TARGET: &str = env!("CARGO_CRATE_NAME");

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    #[test]
    fn only_the_hosts_own_lines_pass_at_every_level() {
        for level in [
            Level::ERROR,
            Level::WARN,
            Level::INFO,
            Level::DEBUG,
            Level::TRACE,
        ] {
            let filter = own_lines_only(level);
            assert!(filter.would_enable("upgrade_responder::report::outcome", &level));
            assert!(filter.would_enable("upgrade_responder", &Level::ERROR));
            for library in [
                "kube_client::client",
                "hyper_util::client::legacy::connect::http",
                "rustls::client::hs",
                "wasmtime_wasi_http",
                "tower_http",
                "h2",
            ] {
                for line in [
                    Level::ERROR,
                    Level::WARN,
                    Level::INFO,
                    Level::DEBUG,
                    Level::TRACE,
                ] {
                    assert!(
                        !filter.would_enable(library, &line),
                        "{library} at {line} passes the filter at {level}"
                    );
                }
            }
        }
        assert!(
            !own_lines_only(Level::INFO).would_enable("upgrade_responder::cluster", &Level::DEBUG)
        );
        assert_eq!(OWN_TARGET, "upgrade_responder");
    }
}
