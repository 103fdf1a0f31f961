//! upgrade-responder: parse the command line, then hand over to the command.
//! Each subcommand lives in its own file under `commands/`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use upgrade_responder::commands;
use upgrade_responder::ground::failure::exit;
use upgrade_responder::settings::{self, Values};

#[derive(Parser)]
#[command(
    name = "upgrade-responder",
    version,
    about = "Reports anonymous cluster facts to an upgrade-responder server, through a sandboxed WebAssembly component.",
    after_help = "Every option is also a setting (environment variable or ConfigMap key); `upgrade-responder config` lists them.\n\
                  Exit status: 0 done or skipped (including best-effort failures, logged as warnings), 1 internal error, 2 configuration error, 3 component refused (the README's table says more)."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    options: RunOptions,
}

/// The options every command that reads settings takes, before or after
/// its name. `compile` reads no setting, so it takes none of them.
#[derive(clap::Args, Default)]
struct RunOptions {
    /// Print the exact payload on stdout and send nothing [UPGRADE_RESPONDER_DRY_RUN]
    #[arg(long)]
    dry_run: bool,
    /// With --dry-run: preview the notice for this upgrade-responder answer (JSON) [UPGRADE_RESPONDER_SAMPLE_ANSWER]
    #[arg(long, value_name = "FILE")]
    sample_answer: Option<PathBuf>,
    /// Read cluster facts from this JSON file instead of the API [UPGRADE_RESPONDER_FACTS]
    #[arg(long, value_name = "FILE")]
    facts: Option<PathBuf>,
    /// The reporter component: builtin:k3s, builtin:rke2 or a file; without it, the built-in one the cluster's version chooses (+rke2rN: RKE2, else K3s) [UPGRADE_RESPONDER_COMPONENT]
    #[arg(long, value_name = "COMPONENT")]
    component: Option<PathBuf>,
    /// Upgrade-responder URL [UPGRADE_RESPONDER_ENDPOINT]
    #[arg(long, value_name = "URL")]
    endpoint: Option<String>,
    /// minimal or standard [UPGRADE_RESPONDER_FIELD_MODE]
    #[arg(long, value_name = "MODE")]
    field_mode: Option<String>,
    /// Kubeconfig for local runs [UPGRADE_RESPONDER_KUBECONFIG]
    #[arg(long, value_name = "FILE")]
    kubeconfig: Option<PathBuf>,
    /// Colon-separated settings directories [UPGRADE_RESPONDER_CONFIG_DIRS]
    #[arg(long, value_name = "DIRS")]
    config_dirs: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Report once (the default): read facts, run the component, send.
    Run {
        #[command(flatten)]
        options: RunOptions,
    },
    /// Print the cluster's facts as JSON, the fixture format components read.
    Facts {
        #[command(flatten)]
        options: RunOptions,
    },
    /// Show a component's sha256, whether it is precompiled, its imports and
    /// exports, and whether this host accepts it; without one, the built-in
    /// components and which one the cluster (--facts, --kubeconfig) runs.
    Inspect {
        /// The component to inspect: a .wasm or precompiled .cwasm file, or
        /// builtin:k3s or builtin:rke2. Without one: what a run would load
        /// (the built-in the cluster's version chooses: with --facts or
        /// --kubeconfig, this cluster's choice and why).
        component: Option<PathBuf>,
        #[command(flatten)]
        options: RunOptions,
    },
    /// Precompile a component for this host's engine, after judging it as a
    /// run would; prints the sha256 to pin (UPGRADE_RESPONDER_COMPONENT_SHA256).
    Compile {
        /// The component (.wasm) to compile.
        component: PathBuf,
        /// Where to write the precompiled artefact (.cwasm).
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
    /// Print every setting with its value and where the value came from.
    Config {
        #[command(flatten)]
        options: RunOptions,
    },
    /// Print the upgrade-responder server's --request-schema file for the
    /// component (the built-in K3s one, or --component builtin:rke2 or FILE): the server stores only
    /// the keys it lists. Every field mode's keys, or one mode's with
    /// --field-mode.
    Schema {
        /// Instead, name each key of the component a server deployed with
        /// this request-schema file would drop, per field mode; exit 2 if any.
        #[arg(long, value_name = "FILE")]
        check: Option<PathBuf>,
        #[command(flatten)]
        options: RunOptions,
    },
    /// Write the server side of the component (the built-in K3s one, or
    /// --component builtin:rke2 or FILE) into a folder: request schemas, InfluxDB continuous
    /// queries, a Grafana dashboard, a response config and Helm values.
    ServerKit {
        /// The server's --application-name: its database is
        /// <NAME>_upgrade_responder.
        #[arg(long, value_name = "NAME")]
        app_name: String,
        /// The folder to write into (made if missing; its parent must exist).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// The interval clusters report at, and the continuous queries' GROUP BY
        /// time: whole minutes or hours.
        #[arg(long, value_name = "PERIOD", default_value = "8h")]
        query_period: String,
        #[command(flatten)]
        options: RunOptions,
    },
    /// Print the effective capability policy: what a component may import,
    /// where it may send, and every limit.
    Capabilities {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        options: RunOptions,
    },
}

impl Command {
    /// The options given after the command's name, if it takes any.
    fn options(&self) -> Option<&RunOptions> {
        match self {
            Command::Run { options }
            | Command::Facts { options }
            | Command::Inspect { options, .. }
            | Command::Config { options }
            | Command::Schema { options, .. }
            | Command::ServerKit { options, .. }
            | Command::Capabilities { options, .. } => Some(options),
            Command::Compile { .. } => None,
        }
    }
}

impl RunOptions {
    /// The options given as flags, keyed by their setting's name: flags
    /// beat every other source.
    fn as_flags(&self) -> BTreeMap<&'static str, String> {
        let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
        [
            (settings::DRY_RUN, self.dry_run.then(|| "true".to_string())),
            (settings::SAMPLE_ANSWER, path(&self.sample_answer)),
            (settings::FACTS, path(&self.facts)),
            (settings::COMPONENT, path(&self.component)),
            (settings::ENDPOINT, self.endpoint.clone()),
            (settings::FIELD_MODE, self.field_mode.clone()),
            (settings::KUBECONFIG, path(&self.kubeconfig)),
            (settings::CONFIG_DIRS, self.config_dirs.clone()),
        ]
        .into_iter()
        .filter_map(|(key, value)| value.map(|value| (key, value)))
        .collect()
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Options before the command's name, then after it (those win).
    let mut flags = cli.options.as_flags();
    match &cli.command {
        Some(Command::Compile { .. }) if !flags.is_empty() => {
            let given: Vec<&str> = flags.keys().copied().collect();
            eprintln!(
                "error: `compile` reads no settings, so it takes none of the run options (given: {}); run `upgrade-responder compile --help`",
                given.join(", ")
            );
            return ExitCode::from(exit::CONFIG);
        }
        Some(command) => flags.extend(
            command
                .options()
                .map(RunOptions::as_flags)
                .unwrap_or_default(),
        ),
        None => {}
    }
    // Settings and the log come first: they decide how everything else is
    // said. Logging is not set up yet, so errors go out plainly; a disabled
    // run is never failed by a bad log setting.
    let env_names: Vec<String> = std::env::vars_os()
        .filter_map(|(name, _)| name.into_string().ok())
        .collect();
    let values = Values::resolve(&flags, |key| std::env::var_os(key), &env_names);
    // `config` shows every value, an invalid log setting included, so it
    // logs at the default level rather than fail before it prints.
    let disabled = matches!(settings::enabled(&values), Ok(false))
        || matches!(cli.command, Some(Command::Config { .. }));
    let log =
        settings::log_level(&values).and_then(|level| Ok((level, settings::log_format(&values)?)));
    match log {
        Ok((level, format)) => upgrade_responder::ground::logging::init(level, format),
        Err(_) if disabled => upgrade_responder::ground::logging::init(
            tracing::Level::INFO,
            upgrade_responder::ground::logging::LogFormat::Text,
        ),
        Err(error) => return fail_early(&error),
    }
    for unknown in values.unknown() {
        tracing::warn!("{unknown}");
    }
    let code = match cli.command {
        None | Some(Command::Run { .. }) => commands::run::run(&values),
        Some(Command::Facts { .. }) => commands::facts::print(&values),
        Some(Command::Inspect { component, .. }) => {
            commands::inspect::inspect(component.as_deref(), &values)
        }
        Some(Command::Compile { component, output }) => {
            commands::compile::compile(&component, &output)
        }
        Some(Command::Config { .. }) => commands::config::print(&values),
        Some(Command::Schema { check: None, .. }) => commands::schema::print(&values),
        Some(Command::Schema {
            check: Some(file), ..
        }) => commands::schema::check(&file, &values),
        Some(Command::ServerKit {
            app_name,
            out,
            query_period,
            ..
        }) => commands::server_kit::write(
            &commands::server_kit::Request {
                app_name: &app_name,
                out: &out,
                query_period: &query_period,
            },
            &values,
        ),
        Some(Command::Capabilities { json, .. }) => commands::capabilities::print(&values, json),
    };
    ExitCode::from(code)
}

fn fail_early(error: &anyhow::Error) -> ExitCode {
    eprintln!("error: {error:#}");
    ExitCode::from(exit::CONFIG)
}
