//! The log: one subscriber on stderr, our own lines at the chosen level.

use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// Sets up logging at `level`. The libraries' own lines (wasi-http, kube)
/// show only when they are errors or when debugging, so the default log
/// stays one line per run.
pub fn init(level: tracing::Level) {
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
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(false)
                .with_target(false),
        )
        .with(filter)
        .init();
}
