//! The system namespaces the host reads besides kube-system: one table of
//! which namespace is read for which workload kind under which fact kind.
//! The reads (`api.rs`), the facts a file may hold (`facts.rs` `only`),
//! the defaults for an older facts file and the messages all follow it, so
//! a namespace is added or removed here alone. The deploy manifest's RBAC
//! grants the list of `deployments` and `daemonsets` these need.

use crate::ground::bindings::{FactKinds, IpStack, SystemNamespace, WorkloadKind};

/// One namespace read: the list of `kind` in `name`, asked for with `flag`.
#[derive(Debug, Clone, Copy)]
pub struct SystemRead {
    pub namespace: SystemNamespace,
    /// The namespace's name in the API (the record's word spelled as
    /// Kubernetes spells it).
    pub name: &'static str,
    pub kind: WorkloadKind,
    pub flag: FactKinds,
}

impl SystemRead {
    /// The list's path, as the API serves it.
    pub fn path(&self) -> String {
        format!(
            "/apis/apps/v1/namespaces/{}/{}",
            self.name,
            plural(self.kind)
        )
    }

    /// The request in messages: `list daemonsets in calico-system`.
    pub fn what(&self) -> String {
        format!("list {} in {}", plural(self.kind), self.name)
    }
}

/// Every system namespace the host may read, in the order it reads them.
pub const SYSTEM_READS: [SystemRead; 6] = [
    SystemRead {
        namespace: SystemNamespace::CalicoSystem,
        name: "calico-system",
        kind: WorkloadKind::DaemonSet,
        flag: FactKinds::CNI_NAMESPACES,
    },
    SystemRead {
        namespace: SystemNamespace::TigeraOperator,
        name: "tigera-operator",
        kind: WorkloadKind::Deployment,
        flag: FactKinds::CNI_NAMESPACES,
    },
    SystemRead {
        namespace: SystemNamespace::CattleSystem,
        name: "cattle-system",
        kind: WorkloadKind::Deployment,
        flag: FactKinds::RANCHER,
    },
    SystemRead {
        namespace: SystemNamespace::GpuOperator,
        name: "gpu-operator",
        kind: WorkloadKind::DaemonSet,
        flag: FactKinds::GPU_OPERATORS,
    },
    SystemRead {
        namespace: SystemNamespace::KubeAmdGpu,
        name: "kube-amd-gpu",
        kind: WorkloadKind::DaemonSet,
        flag: FactKinds::GPU_OPERATORS,
    },
    SystemRead {
        namespace: SystemNamespace::InteldevicepluginsSystem,
        name: "inteldeviceplugins-system",
        kind: WorkloadKind::DaemonSet,
        flag: FactKinds::GPU_OPERATORS,
    },
];

/// Where the IP stack is read: the `kubernetes` Service of `default`,
/// which every API server keeps.
pub const KUBERNETES_SERVICE_PATH: &str = "/api/v1/namespaces/default/services/kubernetes";

/// The API's plural of a workload kind.
pub fn plural(kind: WorkloadKind) -> &'static str {
    match kind {
        WorkloadKind::Deployment => "deployments",
        WorkloadKind::DaemonSet => "daemonsets",
    }
}

/// Every system namespace: what an older facts file, which holds none of
/// them, reports as unread.
pub fn all_namespaces() -> Vec<SystemNamespace> {
    SYSTEM_READS.iter().map(|read| read.namespace).collect()
}

/// The IP stack of the `kubernetes` Service's `spec.ipFamilies`: only the
/// two families Kubernetes defines count; anything else is ignored.
pub fn ip_stack(families: &[String]) -> IpStack {
    let has = |family: &str| families.iter().any(|f| f == family);
    match (has("IPv4"), has("IPv6")) {
        (true, true) => IpStack::DualStack,
        (true, false) => IpStack::Ipv4,
        (false, true) => IpStack::Ipv6,
        (false, false) => IpStack::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_namespace_is_read_once_and_its_record_word_is_its_name() {
        let names: Vec<&str> = SYSTEM_READS.iter().map(|r| r.name).collect();
        assert_eq!(
            names,
            [
                "calico-system",
                "tigera-operator",
                "cattle-system",
                "gpu-operator",
                "kube-amd-gpu",
                "inteldeviceplugins-system"
            ]
        );
        for read in SYSTEM_READS {
            // The WIT enum's case, as the bindings serialize it, is the
            // name without dashes: a typo in one of the two shows here.
            let word = serde_json::to_value(read.namespace).unwrap();
            assert_eq!(
                word.as_str().unwrap().to_ascii_lowercase(),
                read.name.replace('-', ""),
            );
        }
        assert_eq!(
            SYSTEM_READS[0].path(),
            "/apis/apps/v1/namespaces/calico-system/daemonsets"
        );
        assert_eq!(SYSTEM_READS[2].what(), "list deployments in cattle-system");
    }

    #[test]
    fn the_ip_stack_comes_from_the_families_only() {
        let stack = |families: &[&str]| {
            ip_stack(&families.iter().map(|f| f.to_string()).collect::<Vec<_>>())
        };
        assert_eq!(stack(&["IPv4"]), IpStack::Ipv4);
        assert_eq!(stack(&["IPv6"]), IpStack::Ipv6);
        assert_eq!(stack(&["IPv6", "IPv4"]), IpStack::DualStack);
        assert_eq!(stack(&["IPv4", "IPv6"]), IpStack::DualStack);
        assert_eq!(stack(&[]), IpStack::Unknown);
        assert_eq!(stack(&["ipv4", "10.43.0.1"]), IpStack::Unknown);
    }
}
