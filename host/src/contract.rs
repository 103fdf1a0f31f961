//! The contract versions this host serves (the `upgrade-responder:telemetry`
//! WIT package), and the one place that moves records between a 0.1.0
//! component and the current contract. Everything else in the host speaks
//! the current contract only.

use wasmtime::Store;
use wasmtime::component::{Component, Linker};

use crate::bindings::{
    self, ClusterFacts, NoticeStatus, Outcome, ReportError, Reporter, Settings, UpgradeNotice,
    UpgradeStep, v0_1,
};
use crate::policy;
use crate::sandbox::RunState;

/// The interface every reporter component imports for its record types.
pub const TYPES_INTERFACE: &str = "upgrade-responder:telemetry/types";

/// A contract version a component was built against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Contract {
    /// `wit/reporter.wit`.
    Current,
    /// `wit/v0.1.0/reporter.wit`, frozen.
    V0_1,
}

impl Contract {
    /// Every version served, newest first.
    pub const SERVED: [Contract; 2] = [Contract::Current, Contract::V0_1];

    pub fn version(self) -> &'static str {
        self.policy().0
    }

    /// This version's line in the policy.
    fn policy(self) -> (&'static str, &'static [&'static str]) {
        let index = match self {
            Contract::Current => 0,
            Contract::V0_1 => 1,
        };
        policy::REPORTER_CONTRACTS[index]
    }

    pub fn of_version(version: &str) -> Option<Contract> {
        Self::SERVED.into_iter().find(|c| c.version() == version)
    }

    /// The contract of a component, read from the version of the types
    /// interface it imports. A component that imports no reporter types is
    /// judged against the current contract.
    pub fn of_imports<'a>(mut imports: impl Iterator<Item = &'a str>) -> Contract {
        imports
            .find_map(|name| {
                let (interface, version) = name.split_once('@')?;
                (interface == TYPES_INTERFACE).then_some(version)
            })
            .and_then(Contract::of_version)
            .unwrap_or(Contract::Current)
    }

    /// The functions a component of this contract must export.
    pub fn required_exports(self) -> &'static [&'static str] {
        self.policy().1
    }
}

/// Defines the reporter's type-only interfaces of every served version: they
/// hold no functions, so there is nothing to grant but the name.
pub fn add_to_linker(linker: &mut Linker<RunState>) -> wasmtime::Result<()> {
    for contract in Contract::SERVED {
        linker.instance(&format!("{TYPES_INTERFACE}@{}", contract.version()))?;
    }
    Ok(())
}

/// An instantiated component, whichever contract it was built against.
pub enum Instance {
    Current(Reporter),
    V0_1(v0_1::Reporter),
}

impl Instance {
    pub async fn new(
        contract: Contract,
        store: &mut Store<RunState>,
        component: &Component,
        linker: &Linker<RunState>,
    ) -> wasmtime::Result<Self> {
        Ok(match contract {
            Contract::Current => {
                Instance::Current(Reporter::instantiate_async(store, component, linker).await?)
            }
            Contract::V0_1 => {
                Instance::V0_1(v0_1::Reporter::instantiate_async(store, component, linker).await?)
            }
        })
    }

    pub async fn build_payload(
        &self,
        store: &mut Store<RunState>,
        facts: &ClusterFacts,
        settings: &Settings,
    ) -> wasmtime::Result<Result<String, String>> {
        match self {
            Instance::Current(reporter) => {
                reporter.call_build_payload(store, facts, settings).await
            }
            Instance::V0_1(reporter) => {
                let (facts, settings) = to_v0_1(facts, settings)?;
                reporter.call_build_payload(store, &facts, &settings).await
            }
        }
    }

    pub async fn report(
        &self,
        store: &mut Store<RunState>,
        facts: &ClusterFacts,
        settings: &Settings,
    ) -> wasmtime::Result<Result<Outcome, ReportError>> {
        match self {
            Instance::Current(reporter) => reporter.call_report(store, facts, settings).await,
            Instance::V0_1(reporter) => {
                let (old_facts, old_settings) = to_v0_1(facts, settings)?;
                let returned = reporter
                    .call_report(store, &old_facts, &old_settings)
                    .await?;
                Ok(match returned {
                    Ok(outcome) => Ok(outcome_from_v0_1(outcome, facts, settings)),
                    Err(error) => Err(report_error_from_v0_1(error)),
                })
            }
        }
    }

    /// The server schema the component declares; 0.1.0 components declare
    /// none.
    pub async fn request_schema(
        &self,
        store: &mut Store<RunState>,
    ) -> wasmtime::Result<Option<String>> {
        match self {
            Instance::Current(reporter) => Ok(Some(reporter.call_request_schema(store).await?)),
            Instance::V0_1(_) => Ok(None),
        }
    }
}

/// Facts and settings for a 0.1.0 component. The facts records are the
/// same in both versions, field for field, so their serde form (the fixture
/// format) carries them across; 0.1.0 settings have no channel.
fn to_v0_1(
    facts: &ClusterFacts,
    settings: &Settings,
) -> wasmtime::Result<(v0_1::ClusterFacts, v0_1::Settings)> {
    let facts = serde_json::from_value(serde_json::to_value(facts)?)?;
    let settings = v0_1::Settings {
        endpoint: settings.endpoint.clone(),
        field_mode: match settings.field_mode {
            bindings::FieldMode::Minimal => v0_1::FieldMode::Minimal,
            bindings::FieldMode::Standard => v0_1::FieldMode::Standard,
        },
    };
    Ok((facts, settings))
}

/// A 0.1.0 outcome in the current shape. A 0.1.0 component's
/// `upgrade-available` was the newest strictly newer version it saw, with no
/// check of distribution or minor steps: it is passed on as the next step,
/// and the reason says it was not checked.
fn outcome_from_v0_1(outcome: v0_1::Outcome, facts: &ClusterFacts, settings: &Settings) -> Outcome {
    let notice = match outcome.upgrade_available {
        Some(version) => {
            let step = UpgradeStep {
                version,
                release_date: String::new(),
            };
            UpgradeNotice {
                status: NoticeStatus::UpgradeAvailable,
                current: facts.server_version.git_version.clone(),
                channel: settings.channel.clone(),
                next: Some(step.clone()),
                target: Some(step),
                reason: "from a 0.1.0 component: distribution and minor steps not checked".into(),
            }
        }
        None => UpgradeNotice {
            status: NoticeStatus::NoNotice,
            current: facts.server_version.git_version.clone(),
            channel: settings.channel.clone(),
            next: None,
            target: None,
            reason: "a 0.1.0 component gives no upgrade path".into(),
        },
    };
    Outcome {
        payload: outcome.payload,
        status: outcome.status,
        versions: outcome
            .versions
            .into_iter()
            .map(|v| bindings::OfferedVersion {
                name: v.name,
                release_date: v.release_date,
                min_upgradable_version: v.min_upgradable_version,
                tags: v.tags,
            })
            .collect(),
        notice,
        request_interval_minutes: outcome.request_interval_minutes,
    }
}

fn report_error_from_v0_1(error: v0_1::ReportError) -> ReportError {
    match error {
        v0_1::ReportError::InvalidFacts(reason) => ReportError::InvalidFacts(reason),
        v0_1::ReportError::NotSent(reason) => ReportError::NotSent(reason),
        v0_1::ReportError::BadResponse(bad) => ReportError::BadResponse(bindings::BadResponse {
            status: bad.status,
            reason: bad.reason,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contract_is_read_from_the_types_import() {
        let of = |imports: &[&str]| Contract::of_imports(imports.iter().copied());
        assert_eq!(
            of(&[
                "wasi:io/poll@0.2.12",
                "upgrade-responder:telemetry/types@0.1.0"
            ]),
            Contract::V0_1
        );
        assert_eq!(
            of(&["upgrade-responder:telemetry/types@0.2.0"]),
            Contract::Current
        );
        assert_eq!(of(&["wasi:io/poll@0.2.12"]), Contract::Current);
    }

    #[test]
    fn every_version_in_the_policy_is_served_and_the_newest_is_current() {
        let served: Vec<&str> = Contract::SERVED.iter().map(|c| c.version()).collect();
        let policy: Vec<&str> = policy::REPORTER_CONTRACTS.iter().map(|(v, _)| *v).collect();
        assert_eq!(served, policy);
        assert_eq!(Contract::SERVED[0], Contract::Current);
        assert!(
            wit_package_version().is_some_and(|v| v == Contract::Current.version()),
            "wit/reporter.wit declares {:?}",
            wit_package_version()
        );
    }

    /// The version `wit/reporter.wit` declares.
    fn wit_package_version() -> Option<String> {
        let wit =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../wit/reporter.wit"))
                .ok()?;
        wit.lines().find_map(|line| {
            line.strip_prefix("package upgrade-responder:telemetry@")
                .map(|v| v.trim_end_matches(';').to_string())
        })
    }
}
