//! One file per subcommand. `run` is the default and the product; the others
//! show an operator or a reviewer what `run` would do.

pub mod capabilities;
pub mod compile;
pub mod config;
pub mod facts;
pub mod inspect;
pub mod run;
pub mod schema;
pub mod server_kit;

use anyhow::Context as _;

/// The single-threaded runtime every command that does I/O runs on: one
/// request at a time is all this job makes.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}
