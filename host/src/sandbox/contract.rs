//! The contract versions this host serves (the `upgrade-responder:telemetry`
//! WIT package), and the one place that moves records between an older
//! component and the current contract. Everything else in the host speaks
//! the current contract only.
//!
//! An older component receives the same closed values as a current one,
//! spelled in its own records: one node record per node (the groups
//! expanded), an `os-image` the older SDK recognises for the OS id
//! ([`os_image`]), the kernel as `major.minor`, the runtime as
//! `containerd://2.0.2-k3s2`, sizes from whole cores and GiB, and each
//! workload and image named by its software word with the version as tag.
//! It asks for no facts (`facts-needed` is new in 0.3.0), so it gets every
//! kind. A 0.3.0 component gets the current facts, field for field; every
//! older outcome comes back with an empty security record, no release notes
//! and nothing out of reach: its notice simply carries none.

use wasmtime::Store;
use wasmtime::component::{Component, Linker};

use super::state::RunState;
use crate::ground::bindings::{
    self, ClusterFacts, FactKinds, FieldMode, NoticeStatus, Outcome, ReportError, Reporter,
    SecurityNotice, Settings, UpgradeNotice, UpgradeStep, v0_1, v0_2, v0_3,
};
use crate::ground::policy;
use crate::ground::vocabulary::{OTHER, UNKNOWN};

/// The interface every reporter component imports for its record types.
pub const TYPES_INTERFACE: &str = "upgrade-responder:telemetry/types";

/// A contract version a component was built against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Contract {
    /// `wit/reporter.wit`.
    Current,
    /// `wit/v0.3.0/reporter.wit`, frozen.
    V0_3,
    /// `wit/v0.2.0/reporter.wit`, frozen.
    V0_2,
    /// `wit/v0.1.0/reporter.wit`, frozen.
    V0_1,
}

impl Contract {
    /// Every version served, newest first.
    pub const SERVED: [Contract; 4] = [
        Contract::Current,
        Contract::V0_3,
        Contract::V0_2,
        Contract::V0_1,
    ];

    pub fn version(self) -> &'static str {
        self.policy().0
    }

    /// This version's line in the policy.
    fn policy(self) -> (&'static str, &'static [&'static str]) {
        let index = match self {
            Contract::Current => 0,
            Contract::V0_3 => 1,
            Contract::V0_2 => 2,
            Contract::V0_1 => 3,
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
    V0_3(v0_3::Reporter),
    V0_2(v0_2::Reporter),
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
            Contract::V0_3 => {
                Instance::V0_3(v0_3::Reporter::instantiate_async(store, component, linker).await?)
            }
            Contract::V0_2 => {
                Instance::V0_2(v0_2::Reporter::instantiate_async(store, component, linker).await?)
            }
            Contract::V0_1 => {
                Instance::V0_1(v0_1::Reporter::instantiate_async(store, component, linker).await?)
            }
        })
    }

    /// The facts the component uses in `mode`. An older component declares
    /// none, and gets every kind, as before.
    pub async fn facts_needed(
        &self,
        store: &mut Store<RunState>,
        mode: FieldMode,
    ) -> wasmtime::Result<FactKinds> {
        match self {
            Instance::Current(reporter) => reporter.call_facts_needed(store, mode).await,
            Instance::V0_3(reporter) => {
                let mode = same_record(&mode)?;
                let old = reporter.call_facts_needed(store, mode).await?;
                // The same three flags in 0.3.0 and now.
                let mut kinds = FactKinds::empty();
                for (was, is) in [
                    (v0_3::FactKinds::NODES, FactKinds::NODES),
                    (v0_3::FactKinds::DEPLOYMENTS, FactKinds::DEPLOYMENTS),
                    (v0_3::FactKinds::DAEMON_SETS, FactKinds::DAEMON_SETS),
                ] {
                    if old.contains(was) {
                        kinds |= is;
                    }
                }
                Ok(kinds)
            }
            Instance::V0_2(_) | Instance::V0_1(_) => Ok(kinds_before_facts_needed()),
        }
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
            Instance::V0_3(reporter) => {
                let (facts, settings) = (same_record(facts)?, same_record(settings)?);
                reporter.call_build_payload(store, &facts, &settings).await
            }
            Instance::V0_2(reporter) => {
                let (facts, settings) = (to_v0_2(facts), settings_v0_2(settings));
                reporter.call_build_payload(store, &facts, &settings).await
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
            Instance::V0_3(reporter) => {
                let (old_facts, old_settings) = (same_record(facts)?, same_record(settings)?);
                let returned = reporter
                    .call_report(store, &old_facts, &old_settings)
                    .await?;
                Ok(match returned {
                    Ok(outcome) => Ok(outcome_from_v0_3(outcome)),
                    // The error records are the same in 0.3.0 and now.
                    Err(error) => Err(same_record(&error)?),
                })
            }
            Instance::V0_2(reporter) => {
                let (old_facts, old_settings) = (to_v0_2(facts), settings_v0_2(settings));
                let returned = reporter
                    .call_report(store, &old_facts, &old_settings)
                    .await?;
                // Outcome and error records are the same in 0.2.0 and 0.3.0,
                // field for field: their serde form carries them across.
                Ok(match returned {
                    Ok(outcome) => Ok(outcome_from_v0_3(same_record(&outcome)?)),
                    Err(error) => Err(same_record(&error)?),
                })
            }
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
            Instance::V0_3(reporter) => Ok(Some(reporter.call_request_schema(store).await?)),
            Instance::V0_2(reporter) => Ok(Some(reporter.call_request_schema(store).await?)),
            Instance::V0_1(_) => Ok(None),
        }
    }
}

/// What a component of a contract without `facts-needed` (0.1.0, 0.2.0)
/// gets: every kind those contracts knew. A later kind would be read for a
/// component that cannot receive it.
pub fn kinds_before_facts_needed() -> FactKinds {
    FactKinds::NODES | FactKinds::DEPLOYMENTS | FactKinds::DAEMON_SETS
}

/// A record moved between two versions that spell it alike.
fn same_record<From: serde::Serialize, To: serde::de::DeserializeOwned>(
    record: &From,
) -> wasmtime::Result<To> {
    Ok(serde_json::from_value(serde_json::to_value(record)?)?)
}

/// No security data: what an older component's notice carries.
fn no_security() -> SecurityNotice {
    SecurityNotice {
        fixed_by_next: Vec::new(),
        fixed_by_target: Vec::new(),
        support_ends: String::new(),
        past_end_of_support: false,
        ignored_values: 0,
    }
}

/// An offered version of an older contract (0.1.0 to 0.3.0 spell it
/// alike), with no advisory: those contracts carry none.
fn offered_without_advisory(
    name: String,
    release_date: String,
    min_upgradable_version: String,
    tags: Vec<String>,
) -> bindings::OfferedVersion {
    bindings::OfferedVersion {
        name,
        release_date,
        min_upgradable_version,
        tags,
        advisory: bindings::Advisory {
            release_notes_url: String::new(),
            cves: Vec::new(),
            end_of_support: String::new(),
        },
    }
}

/// A 0.3.0 (or 0.2.0) outcome in the current shape: the same path, no
/// security data.
fn outcome_from_v0_3(outcome: v0_3::Outcome) -> Outcome {
    let step = |step: v0_3::UpgradeStep| UpgradeStep {
        version: step.version,
        release_date: step.release_date,
        release_notes_url: String::new(),
    };
    let notice = outcome.notice;
    Outcome {
        payload: outcome.payload,
        status: outcome.status,
        versions: outcome
            .versions
            .into_iter()
            .map(|v| {
                offered_without_advisory(v.name, v.release_date, v.min_upgradable_version, v.tags)
            })
            .collect(),
        notice: UpgradeNotice {
            status: match notice.status {
                v0_3::NoticeStatus::UpToDate => NoticeStatus::UpToDate,
                v0_3::NoticeStatus::UpgradeAvailable => NoticeStatus::UpgradeAvailable,
                v0_3::NoticeStatus::NoNotice => NoticeStatus::NoNotice,
            },
            current: notice.current,
            channel: notice.channel,
            next: notice.next.map(step),
            target: notice.target.map(step),
            out_of_reach: None,
            reason: notice.reason,
            security: no_security(),
        },
        request_interval_minutes: outcome.request_interval_minutes,
    }
}

fn settings_v0_2(settings: &Settings) -> v0_2::Settings {
    v0_2::Settings {
        endpoint: settings.endpoint.clone(),
        field_mode: match settings.field_mode {
            FieldMode::Minimal => v0_2::FieldMode::Minimal,
            FieldMode::Standard => v0_2::FieldMode::Standard,
        },
        channel: settings.channel.clone(),
    }
}

/// The name an older SDK recognises for each OS id (it matched words of
/// `osImage`, the OS's PRETTY_NAME): the id's canonical name. Ids the older
/// SDK did not know get a name it sends as `other`.
pub const OS_IMAGES: &[(&str, &str)] = &[
    ("ubuntu", "Ubuntu"),
    ("debian", "Debian GNU/Linux"),
    ("raspbian", "Raspbian GNU/Linux"),
    ("rhcos", "Red Hat Enterprise Linux CoreOS"),
    ("rhel", "Red Hat Enterprise Linux"),
    ("rocky", "Rocky Linux"),
    ("almalinux", "AlmaLinux"),
    ("centos", "CentOS"),
    ("ol", "Oracle Linux Server"),
    ("opensuse", "openSUSE"),
    ("sle-micro", "SUSE Linux Micro"),
    ("sles", "SUSE Linux Enterprise Server"),
    ("harvester", "Harvester"),
    ("fedora", "Fedora"),
    ("amzn", "Amazon Linux"),
    ("azurelinux", "Azure Linux"),
    ("cos", "Container-Optimized OS"),
    ("bottlerocket", "Bottlerocket OS"),
    ("flatcar", "Flatcar Container Linux"),
    ("talos", "Talos"),
    ("alpine", "Alpine Linux"),
    ("arch", "Arch Linux"),
    ("nixos", "NixOS"),
    ("k3os", "k3OS"),
    ("photon", "VMware Photon OS"),
    ("windows", "Windows"),
];

/// `os-image` for an older component: the canonical name and the release
/// (`Ubuntu 24.04.1`), `other` for an OS outside the list, empty when the
/// node reported none.
pub fn os_image(os_id: &str, os_version: &str) -> String {
    if os_id == UNKNOWN {
        return String::new();
    }
    let name = OS_IMAGES
        .iter()
        .find(|(id, _)| *id == os_id)
        .map_or(OTHER, |(_, name)| name);
    match os_version {
        UNKNOWN => name.to_string(),
        version => format!("{name} {version}"),
    }
}

/// A closed value in an older record, where an empty string said "not
/// reported".
fn old_text(value: &str) -> String {
    if value == UNKNOWN {
        String::new()
    } else {
        value.to_string()
    }
}

/// Facts for a 0.2.0 component.
fn to_v0_2(facts: &ClusterFacts) -> v0_2::ClusterFacts {
    let nodes = facts
        .node_groups
        .iter()
        .flat_map(|group| {
            let node = node_v0_2(&group.facts);
            std::iter::repeat_n(node, group.count as usize)
        })
        .collect();
    let version = &facts.server_version;
    v0_2::ClusterFacts {
        server_version: v0_2::ServerVersion {
            git_version: version.git_version.clone(),
            major: version.major.clone(),
            minor: version.minor.clone(),
            platform: version.platform.clone(),
        },
        cluster_uuid: facts.cluster_uuid.clone(),
        nodes,
        kube_system_workloads: facts
            .kube_system_workloads
            .iter()
            .map(|workload| v0_2::Workload {
                kind: match workload.kind {
                    bindings::WorkloadKind::Deployment => v0_2::WorkloadKind::Deployment,
                    bindings::WorkloadKind::DaemonSet => v0_2::WorkloadKind::DaemonSet,
                },
                name: workload.software.clone(),
                images: workload
                    .images
                    .iter()
                    .map(|image| v0_2::ContainerImage {
                        repository: image.software.clone(),
                        tag: image.version.clone(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

fn node_v0_2(node: &bindings::NodeFacts) -> v0_2::NodeFacts {
    let runtime = match (
        node.container_runtime.as_str(),
        node.container_runtime_version.as_str(),
    ) {
        (UNKNOWN, _) => String::new(),
        (runtime, UNKNOWN) => format!("{runtime}://"),
        (runtime, version) => format!("{runtime}://{version}"),
    };
    v0_2::NodeFacts {
        roles: node
            .roles
            .iter()
            .map(|role| match role {
                bindings::NodeRole::ControlPlane => v0_2::NodeRole::ControlPlane,
                bindings::NodeRole::Master => v0_2::NodeRole::Master,
                bindings::NodeRole::Etcd => v0_2::NodeRole::Etcd,
                bindings::NodeRole::Worker => v0_2::NodeRole::Worker,
                bindings::NodeRole::Other => v0_2::NodeRole::Other,
            })
            .collect(),
        os_image: os_image(&node.os_id, &node.os_version),
        operating_system: old_text(&node.operating_system),
        kernel_version: old_text(&node.kernel_version),
        architecture: old_text(&node.architecture),
        kubelet_version: old_text(&node.kubelet_version),
        container_runtime_version: runtime,
        allocatable_cpu_millicores: u64::from(node.allocatable_cpu_cores) * 1000,
        allocatable_memory_bytes: u64::from(node.allocatable_memory_gib) << 30,
        gpus: node
            .gpus
            .iter()
            .map(|gpu| v0_2::GpuResource {
                vendor: match gpu.vendor {
                    bindings::GpuVendor::Nvidia => v0_2::GpuVendor::Nvidia,
                    bindings::GpuVendor::Amd => v0_2::GpuVendor::Amd,
                    bindings::GpuVendor::Intel => v0_2::GpuVendor::Intel,
                    bindings::GpuVendor::Other => v0_2::GpuVendor::Other,
                },
                count: gpu.count,
            })
            .collect(),
        selinux: node.selinux,
    }
}

/// Facts and settings for a 0.1.0 component. Its facts records are those
/// of 0.2.0, field for field; 0.1.0 settings have no channel.
fn to_v0_1(
    facts: &ClusterFacts,
    settings: &Settings,
) -> wasmtime::Result<(v0_1::ClusterFacts, v0_1::Settings)> {
    let facts = same_record(&to_v0_2(facts))?;
    let settings = v0_1::Settings {
        endpoint: settings.endpoint.clone(),
        field_mode: match settings.field_mode {
            FieldMode::Minimal => v0_1::FieldMode::Minimal,
            FieldMode::Standard => v0_1::FieldMode::Standard,
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
                release_notes_url: String::new(),
            };
            UpgradeNotice {
                status: NoticeStatus::UpgradeAvailable,
                current: facts.server_version.git_version.clone(),
                channel: settings.channel.clone(),
                next: Some(step.clone()),
                target: Some(step),
                out_of_reach: None,
                reason: "from a 0.1.0 component: distribution and minor steps not checked".into(),
                security: no_security(),
            }
        }
        None => UpgradeNotice {
            status: NoticeStatus::NoNotice,
            current: facts.server_version.git_version.clone(),
            channel: settings.channel.clone(),
            next: None,
            target: None,
            out_of_reach: None,
            reason: "a 0.1.0 component gives no upgrade path".into(),
            security: no_security(),
        },
    };
    Outcome {
        payload: outcome.payload,
        status: outcome.status,
        versions: outcome
            .versions
            .into_iter()
            .map(|v| {
                offered_without_advisory(v.name, v.release_date, v.min_upgradable_version, v.tags)
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
    use crate::ground::bindings::{NodeFacts, NodeGroup, ServerVersion, Workload, WorkloadImage};
    use crate::ground::vocabulary;

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
            Contract::V0_2
        );
        assert_eq!(
            of(&["upgrade-responder:telemetry/types@0.3.0"]),
            Contract::V0_3
        );
        assert_eq!(
            of(&["upgrade-responder:telemetry/types@0.4.0"]),
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
        assert!(
            Contract::Current
                .required_exports()
                .contains(&"facts-needed")
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

    /// The OS needles of the SDK the frozen 0.1.0 and 0.2.0 components were
    /// built with (`guest/sdk/src/classify/known.rs` at commit a51e02c), in
    /// its match order: compiled into those components, so fixed forever.
    const FROZEN_SDK_OS_NEEDLES: &[(&str, &[&str])] = &[
        ("ubuntu", &["ubuntu"]),
        ("debian", &["debian"]),
        ("rhel", &["red hat enterprise linux", "rhel"]),
        ("rocky", &["rocky linux"]),
        ("almalinux", &["almalinux"]),
        ("centos", &["centos"]),
        ("ol", &["oracle linux"]),
        ("opensuse", &["opensuse"]),
        ("sle-micro", &["sle micro", "suse linux micro", "sl-micro"]),
        ("sles", &["suse linux enterprise", "sles"]),
        ("fedora", &["fedora"]),
        ("amzn", &["amazon linux"]),
        ("bottlerocket", &["bottlerocket"]),
        ("flatcar", &["flatcar"]),
        ("talos", &["talos"]),
        ("alpine", &["alpine"]),
        ("arch", &["arch linux"]),
        ("nixos", &["nixos"]),
        ("k3os", &["k3os"]),
        ("photon", &["photon os", "vmware photon"]),
        ("windows", &["windows"]),
    ];

    fn frozen_sdk_os_id(os_image: &str) -> &'static str {
        let image = os_image.to_ascii_lowercase();
        if image.is_empty() {
            return "unknown";
        }
        FROZEN_SDK_OS_NEEDLES
            .iter()
            .find(|(_, needles)| needles.iter().any(|n| image.contains(n)))
            .map_or("other", |(id, _)| id)
    }

    /// Each OS id of the host's list reaches an older component as a name
    /// its SDK reads back as the same id (RHEL CoreOS as `rhel`, as it read
    /// the raw name), or as `other` for ids it never knew; and the host's
    /// own reduction of that name gives the id back.
    #[test]
    fn older_components_read_each_os_id_back() {
        assert_eq!(
            OS_IMAGES.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
            vocabulary::OS_IDS
                .iter()
                .map(|(id, _)| *id)
                .collect::<Vec<_>>(),
            "one canonical name per OS id, in the same order"
        );
        for (id, _) in vocabulary::OS_IDS {
            let image = os_image(id, "9.4");
            let expected = match *id {
                "rhcos" => "rhel",
                id if FROZEN_SDK_OS_NEEDLES.iter().any(|(known, _)| *known == id) => id,
                _ => "other",
            };
            assert_eq!(frozen_sdk_os_id(&image), expected, "{id}: {image:?}");
            assert_eq!(
                vocabulary::os(&image),
                (id.to_string(), "9.4".to_string()),
                "{image:?}"
            );
        }
        assert_eq!(frozen_sdk_os_id(&os_image("other", "unknown")), "other");
        assert_eq!(frozen_sdk_os_id(&os_image("unknown", "unknown")), "unknown");
        assert_eq!(os_image("ubuntu", "unknown"), "Ubuntu");
    }

    #[test]
    fn older_components_get_one_record_per_node_and_software_words() {
        let facts = ClusterFacts {
            server_version: ServerVersion {
                git_version: "v1.31.6+k3s1".into(),
                major: "1".into(),
                minor: "31".into(),
                platform: "linux/amd64".into(),
            },
            cluster_uuid: "u".into(),
            node_groups: vec![NodeGroup {
                facts: NodeFacts {
                    roles: vec![bindings::NodeRole::Worker],
                    os_id: "ubuntu".into(),
                    os_version: "24.04.1".into(),
                    operating_system: "linux".into(),
                    kernel_version: "6.8".into(),
                    architecture: "unknown".into(),
                    kubelet_version: "v1.31.6+k3s1".into(),
                    container_runtime: "containerd".into(),
                    container_runtime_version: "2.0.2-k3s2".into(),
                    allocatable_cpu_cores: 4,
                    allocatable_memory_gib: 8,
                    gpus: Vec::new(),
                    selinux: Some(false),
                },
                count: 3,
            }],
            kube_system_workloads: vec![Workload {
                kind: bindings::WorkloadKind::DaemonSet,
                software: "canal".into(),
                images: vec![WorkloadImage {
                    software: "calico".into(),
                    version: "v3.29.1".into(),
                }],
            }],
            unread_workloads: Vec::new(),
            system_workloads: Vec::new(),
            unread_namespaces: Vec::new(),
            ip_stack: bindings::IpStack::Unknown,
        };
        let old = to_v0_2(&facts);
        assert_eq!(old.nodes.len(), 3);
        let node = &old.nodes[0];
        assert_eq!(node.os_image, "Ubuntu 24.04.1");
        assert_eq!(node.kernel_version, "6.8");
        assert_eq!(node.architecture, "", "unknown is the old empty");
        assert_eq!(node.container_runtime_version, "containerd://2.0.2-k3s2");
        assert_eq!(node.allocatable_cpu_millicores, 4000);
        assert_eq!(node.allocatable_memory_bytes, 8 << 30);
        let workload = &old.kube_system_workloads[0];
        assert_eq!(workload.name, "canal");
        assert_eq!(workload.images[0].repository, "calico");
        assert_eq!(workload.images[0].tag, "v3.29.1");
        let (v0_1_facts, _) = to_v0_1(
            &facts,
            &Settings {
                endpoint: String::new(),
                field_mode: FieldMode::Minimal,
                channel: "stable".into(),
                build: bindings::HostBuild::Development,
            },
        )
        .unwrap();
        assert_eq!(v0_1_facts.nodes.len(), 3);
    }
}
