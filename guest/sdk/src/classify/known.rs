//! The names a component may send, each with the words that identify it.
//! Anything else is sent as `other`: the lists are the privacy boundary, so
//! a name joins them only when it is a public product's name.

/// The CNI plugins we name, each with the words that identify it in a
/// kube-system workload's name or image repository (lowercase substrings).
/// Order is priority: canal's DaemonSet also runs the calico and flannel
/// images, so canal must win over both; multus is a meta-plugin that
/// delegates to another one, so the delegate wins and multus is only named
/// when it runs alone.
pub(super) const CNI_PLUGINS: &[(&str, &[&str])] = &[
    ("canal", &["canal"]),
    ("cilium", &["cilium"]),
    ("calico", &["calico"]),
    ("antrea", &["antrea"]),
    ("kube-router", &["kube-router"]),
    ("weave", &["weave"]),
    ("flannel", &["flannel"]),
    ("multus", &["multus"]),
];

/// Which image carries a plugin's version, when it is not the plugin's own
/// word: canal is packaged as calico (policy) plus flannel (network), and
/// its release follows calico's.
pub(super) const CNI_VERSION_IMAGE: &[(&str, &str)] = &[("canal", "calico")];

/// A workload that looks like a CNI plugin without being one we know.
pub(super) const CNI_HINTS: &[&str] = &["cni"];

/// The ingress controllers we name, with their identifying words, in
/// priority order (when several run, the first listed is reported).
/// `rke2-ingress-nginx` and `rancher/nginx-ingress-controller` are the
/// community ingress-nginx.
pub(super) const INGRESS_CONTROLLERS: &[(&str, &[&str])] = &[
    ("traefik", &["traefik"]),
    ("ingress-nginx", &["ingress-nginx", "nginx-ingress"]),
    ("haproxy", &["haproxy"]),
    ("contour", &["contour"]),
    ("istio", &["istio"]),
    ("kong", &["kong"]),
    ("emissary", &["emissary", "ambassador"]),
    ("skipper", &["skipper"]),
];

/// A workload that looks like an ingress controller we do not know.
pub(super) const INGRESS_HINTS: &[&str] = &["ingress", "gateway"];

/// OS ids from `osImage` (lowercased substrings), in match order: more
/// specific names first (`opensuse` before `suse`, `sle micro` before
/// `suse linux enterprise`).
pub(super) const OS_IDS: &[(&str, &[&str])] = &[
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

/// `GOARCH` values a kubelet reports.
pub(super) const ARCHITECTURES: &[&str] = &[
    "amd64", "arm64", "arm", "386", "ppc64le", "s390x", "riscv64", "loong64", "mips64le",
];
