//! The names a component may send. The host turns what the cluster spells
//! into words of its own closed lists (software, OS ids); these lists say
//! which of those words the payload names, and anything else is sent as
//! `other`. A name joins them only when it is a public product's name, as
//! the host's software list spells it.

/// The CNI plugins we name, as software names of a kube-system workload or
/// of one of its images. Order is priority: canal's DaemonSet also runs
/// the calico and flannel images, so canal must win over both; multus is a
/// meta-plugin that delegates to another one, so the delegate wins and
/// multus is only named when it runs alone.
pub(super) const CNI_PLUGINS: &[&str] = &[
    "canal",
    "cilium",
    "calico",
    "antrea",
    "kube-router",
    "kube-ovn",
    "weave",
    "flannel",
    "multus",
];

/// Which image carries a plugin's version, when it is not the plugin's own
/// software: canal is packaged as calico (policy) plus flannel (network), and
/// its release follows calico's.
pub(super) const CNI_VERSION_IMAGE: &[(&str, &str)] = &[("canal", "calico")];

/// Part of a software name (from the host's list, which an operator may
/// extend) that makes it a CNI plugin we do not name (`aws-vpc-cni`).
pub(super) const CNI_HINTS: &[&str] = &["cni"];

/// The ingress controllers we name, as software names, in priority order
/// (when several run, the first listed is reported). The host names
/// RKE2's `rke2-ingress-nginx` and `rancher/nginx-ingress-controller`
/// `ingress-nginx`, the community controller they are.
pub(super) const INGRESS_CONTROLLERS: &[&str] = &[
    "traefik",
    "ingress-nginx",
    "haproxy",
    "contour",
    "istio",
    "kong",
    "emissary",
    "skipper",
];

/// Part of a software name that makes it an ingress controller or gateway
/// we do not name (`envoy-gateway`).
pub(super) const INGRESS_HINTS: &[&str] = &["ingress", "gateway"];

/// The OS ids the payload names, as the host's OS list spells them (the
/// host reads `osImage`; a component only sees the id). Any other id the
/// host hands over is sent as `other`.
pub(super) const OS_IDS: &[&str] = &[
    "ubuntu",
    "debian",
    "raspbian",
    "rhcos",
    "rhel",
    "rocky",
    "almalinux",
    "centos",
    "ol",
    "opensuse",
    "sle-micro",
    "sles",
    "harvester",
    "fedora",
    "amzn",
    "azurelinux",
    "cos",
    "bottlerocket",
    "flatcar",
    "talos",
    "alpine",
    "arch",
    "nixos",
    "k3os",
    "photon",
    "windows",
];

/// `GOARCH` values a kubelet reports.
pub(super) const ARCHITECTURES: &[&str] = &[
    "amd64", "arm64", "arm", "386", "ppc64le", "s390x", "riscv64", "loong64", "mips64le",
];

/// The GPU operators we name, in priority order (when several run, the
/// first listed is reported), each by the system namespace it runs its
/// DaemonSets in: any workload there is the operator's. The names are the
/// RKE2 security responder's.
pub(super) const GPU_OPERATORS: &[(crate::SystemNamespace, &str)] = &[
    (crate::SystemNamespace::GpuOperator, "nvidia-gpu-operator"),
    (crate::SystemNamespace::KubeAmdGpu, "amd-gpu-operator"),
    (
        crate::SystemNamespace::InteldevicepluginsSystem,
        "intel-device-plugins",
    ),
];

/// The software words (the host's list) of the images whose version is a
/// GPU operator's: its device plugin or driver, as the RKE2 security
/// responder reports the device plugin's or driver's image tag.
pub(super) const GPU_OPERATOR_VERSION_IMAGES: &[&str] = &[
    "nvidia-device-plugin",
    "nvidia-driver",
    "amd-device-plugin",
    "intel-gpu-plugin",
];

/// The software words of Rancher's images in cattle-system, by preference
/// for its version: Rancher Manager itself (`rancher/rancher`), then the
/// agent that connects a downstream cluster to one (`rancher/rancher-agent`,
/// the `cattle-cluster-agent` Deployment). `rancher-webhook` runs beside
/// either and tells neither.
pub(super) const RANCHER_IMAGES: &[&str] = &["rancher", "rancher-agent"];
