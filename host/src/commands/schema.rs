//! `schema`: the upgrade-responder server's `--request-schema` file for a
//! component, and `schema --check FILE`: the keys a server deployed with
//! FILE would drop. The real server stores only the keys its schema lists
//! and drops the rest without a word (it logs nothing, even at `--debug`),
//! so a distribution deploys its server with the schema its component
//! declares, and checks a server it already runs.
//!
//! The component declares one schema, for every field mode (the
//! `request-schema` export). What one mode sends is the part of it that
//! mode's payload carries: a payload carries every key its mode declares,
//! whatever the facts (the SDK's tests hold every component to that), so
//! one payload built from a small fixed cluster per mode tells them apart.

use std::path::Path;

use anyhow::Context as _;

use crate::cluster::facts_file;
use crate::ground::bindings::{FieldMode, Settings};
use crate::ground::failure::{Failure, exit};
use crate::ground::input;
use crate::ground::request_schema::RequestSchema;
use crate::ground::vocabulary::Vocabulary;
use crate::sandbox::{self, Call, Returned};
use crate::settings::{Config, FIELD_MODE, Source, Values};

/// Every field mode, with its name.
pub const MODES: [(&str, FieldMode); 2] = [
    ("minimal", FieldMode::Minimal),
    ("standard", FieldMode::Standard),
];

/// A component's request schema, whole and per field mode.
pub struct ComponentSchema {
    /// How messages name the component.
    pub origin: String,
    /// Every key of every mode: what a server must list.
    pub every_mode: RequestSchema,
    /// The keys each mode sends, in [`MODES`] order.
    pub modes: Vec<(&'static str, RequestSchema)>,
}

/// `schema`: prints the schema for every mode, or for the field mode given
/// (flag, environment or settings file).
pub fn print(values: &Values) -> u8 {
    let printed = Config::parse(values)
        .map_err(Failure::Config)
        .and_then(|config| {
            let schema = component_schema(&config)?;
            Ok(match values.get(FIELD_MODE).1 {
                Source::Default => schema.every_mode.to_json(),
                _ => mode_schema(&schema, config.field_mode).to_json(),
            })
        });
    match printed {
        Ok(text) => {
            println!("{text}");
            exit::OK
        }
        Err(failure) => failure.log(),
    }
}

/// `schema --check FILE`: one line per key a server deployed with FILE
/// would drop, per mode; exit 2 when there is any.
pub fn check(deployed: &Path, values: &Values) -> u8 {
    let checked = Config::parse(values)
        .map_err(Failure::Config)
        .and_then(|config| {
            let text =
                input::read_text(deployed, input::REQUEST_SCHEMA).map_err(Failure::Config)?;
            let file = RequestSchema::parse(&text).map_err(|error| {
                Failure::Config(anyhow::anyhow!(
                    "{} is not a request schema the server can start with: {error}",
                    deployed.display()
                ))
            })?;
            Ok((component_schema(&config)?, file))
        });
    let (schema, file) = match checked {
        Ok(checked) => checked,
        Err(failure) => return failure.log(),
    };
    let mut any = false;
    for (mode, mode_schema) in &schema.modes {
        let dropped = mode_schema.dropped_by(&file);
        if dropped.is_empty() {
            println!(
                "{mode}: keeps all {} keys",
                1 + mode_schema.tags.len() + mode_schema.fields.len()
            );
        }
        for drop in &dropped {
            println!("{mode}: drops {}: {}", drop.key, drop.why);
        }
        any |= !dropped.is_empty();
    }
    if any {
        tracing::error!(
            outcome = "configuration-error",
            exit_code = exit::CONFIG,
            "{} drops keys {} sends: deploy the server with `upgrade-responder schema` (or `server-kit`'s request-schema.json) and restart it",
            deployed.display(),
            schema.origin
        );
        exit::CONFIG
    } else {
        exit::OK
    }
}

fn mode_schema(schema: &ComponentSchema, mode: FieldMode) -> &RequestSchema {
    let index = MODES.iter().position(|(_, m)| *m == mode).unwrap_or(0);
    &schema.modes[index].1
}

/// The component's schema, checked, and the part each mode sends.
pub fn component_schema(config: &Config) -> Result<ComponentSchema, Failure> {
    let runtime = super::runtime().map_err(Failure::Internal)?;
    let component =
        super::run::load_component(config, &super::run::choose(&config.component, None))?;
    let origin = component.origin.clone();
    let call = |call: Call| {
        runtime
            .block_on(sandbox::call(
                &component.engine,
                &component.linker,
                &component.checked,
                &config.limits,
                call,
            ))
            .map_err(Failure::Internal)
    };
    let text = match call(Call::RequestSchema)? {
        Ok(finished) => match finished.returned {
            Returned::Schema(Some(text)) => text,
            Returned::Schema(None) => {
                return Err(Failure::Config(anyhow::anyhow!(
                    "{origin} was built against contract 0.1.0, which declares no schema: rebuild it with the current SDK"
                )));
            }
            _ => return Err(answered_otherwise(&origin, "schema")),
        },
        Err(stopped) => {
            return Err(Failure::Config(anyhow::anyhow!(
                "{origin} gave no schema: component stopped: {}",
                stopped.reason
            )));
        }
    };
    let every_mode = RequestSchema::parse(&text).map_err(|error| {
        Failure::Config(anyhow::anyhow!(
            "{origin} declares a schema the server cannot start with ({error}): fix the component"
        ))
    })?;
    let facts = facts_file::parse(SAMPLE_FACTS.as_bytes(), &Vocabulary::default())
        .context("the sample facts do not parse")
        .map_err(Failure::Internal)?;
    let mut modes = Vec::new();
    for (name, mode) in MODES {
        let settings = Settings {
            endpoint: config.endpoint.clone(),
            field_mode: mode,
            channel: config.channel.clone(),
            build: crate::host_build(),
        };
        let payload = match call(Call::BuildPayload(&facts, &settings))? {
            Ok(finished) => match finished.returned {
                Returned::Payload(Ok(payload)) => payload,
                Returned::Payload(Err(reason)) => {
                    return Err(Failure::Config(anyhow::anyhow!(
                        "{origin} builds no {name} payload for a sample cluster ({reason}), so the keys that mode sends are unknown: fix the component"
                    )));
                }
                _ => return Err(answered_otherwise(&origin, "payload")),
            },
            Err(stopped) => {
                return Err(Failure::Config(anyhow::anyhow!(
                    "{origin} builds no {name} payload for a sample cluster: component stopped: {}",
                    stopped.reason
                )));
            }
        };
        let (tags, fields) = payload_keys(&payload).map_err(|error| {
            Failure::Config(anyhow::anyhow!(
                "{origin} builds a {name} payload the server cannot read ({error}): fix the component"
            ))
        })?;
        if let Some(key) = tags
            .iter()
            .find(|key| !every_mode.tags.iter().any(|(k, _)| k == *key))
            .map(|key| format!("extraTagInfo.{key}"))
            .or_else(|| {
                fields
                    .iter()
                    .find(|key| !every_mode.fields.iter().any(|(k, _)| k == *key))
                    .map(|key| format!("extraFieldInfo.{key}"))
            })
        {
            return Err(Failure::Config(anyhow::anyhow!(
                "{origin} sends {key} in {name} mode but its schema does not list it, so the server would drop it: declare the key"
            )));
        }
        modes.push((name, every_mode.only(&tags, &fields)));
    }
    Ok(ComponentSchema {
        origin,
        every_mode,
        modes,
    })
}

fn answered_otherwise(origin: &str, what: &str) -> Failure {
    Failure::Internal(anyhow::anyhow!(
        "{origin} answered the {what} call with something else"
    ))
}

/// The keys of a payload's `extraTagInfo` and `extraFieldInfo`.
fn payload_keys(payload: &str) -> Result<(Vec<String>, Vec<String>), String> {
    let value: serde_json::Value = serde_json::from_str(payload).map_err(|e| e.to_string())?;
    let keys = |place: &str| {
        value
            .get(place)
            .map_or(Some(Vec::new()), |object| {
                object.as_object().map(|o| o.keys().cloned().collect())
            })
            .ok_or(format!("{place} is not an object"))
    };
    Ok((keys("extraTagInfo")?, keys("extraFieldInfo")?))
}

/// A small cluster in the facts-file format: one K3s server node and one
/// agent with a GPU, the usual kube-system workloads. Only which keys a
/// payload carries is read from it, never a value.
const SAMPLE_FACTS: &str = r#"{
  "server_version": {"git_version": "v1.32.2+k3s1", "major": "1", "minor": "32", "platform": "linux/amd64"},
  "cluster_uuid": "00000000-0000-4000-8000-000000000000",
  "node_groups": [
    {"facts": {"roles": ["ControlPlane", "Master"], "os_id": "ubuntu", "os_version": "24.04.1",
      "operating_system": "linux", "kernel_version": "6.8", "architecture": "amd64",
      "kubelet_version": "v1.32.2+k3s1", "container_runtime": "containerd",
      "container_runtime_version": "2.0.2-k3s2", "allocatable_cpu_cores": 4,
      "allocatable_memory_gib": 8, "gpus": [], "selinux": false}, "count": 1},
    {"facts": {"roles": [], "os_id": "ubuntu", "os_version": "24.04.1",
      "operating_system": "linux", "kernel_version": "6.8", "architecture": "amd64",
      "kubelet_version": "v1.32.2+k3s1", "container_runtime": "containerd",
      "container_runtime_version": "2.0.2-k3s2", "allocatable_cpu_cores": 8,
      "allocatable_memory_gib": 32, "gpus": [{"vendor": "Nvidia", "count": 1}], "selinux": false}, "count": 1}
  ],
  "kube_system_workloads": [
    {"kind": "Deployment", "software": "coredns", "images": [{"software": "coredns", "version": "1.12.0"}]},
    {"kind": "Deployment", "software": "traefik", "images": [{"software": "traefik", "version": "3.3.2"}]},
    {"kind": "DaemonSet", "software": "canal", "images": [{"software": "calico", "version": "v3.29.1"}]}
  ],
  "unread_workloads": []
}"#;
