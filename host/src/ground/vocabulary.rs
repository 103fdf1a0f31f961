//! The closed vocabulary: every word the host may hand a component about
//! the cluster. A security reviewer reads this file beside `policy.rs`:
//! what the cluster spells freely (workload names, image references, OS
//! and build strings) crosses the boundary only as a word of the lists
//! below, as digits and dots, or as `other` / `unknown`. `facts.rs` applies
//! these reductions to the API's objects; nothing else reaches a record.
//!
//! 1. Software ([`SOFTWARE`]): public products K3s and RKE2 users run in
//!    kube-system, each with the words that identify it in a workload name
//!    or an image repository. An operator may add names
//!    (`UPGRADE_RESPONDER_EXTRA_SOFTWARE`, names only: [`Vocabulary`]).
//! 2. Versions ([`version_of_tag`], [`kubernetes_version`],
//!    [`container_runtime`]): digits and dots, plus a known distribution
//!    suffix ([`KUBERNETES_SUFFIXES`], [`RUNTIME_SUFFIXES`]).
//! 3. OS ids ([`OS_IDS`]) with the release digits of `osImage`; kernel
//!    `major.minor`; architectures ([`ARCHITECTURES`]); operating systems;
//!    container runtimes ([`CONTAINER_RUNTIMES`]).
//! 4. Sizes: whole cores and whole GiB.

use super::bindings::GpuVendor;

/// A value outside the closed set.
pub const OTHER: &str = "other";
/// No value: the cluster reports none, or none that can be read.
pub const UNKNOWN: &str = "unknown";

/// A product the host may name, with the lowercase words that identify it
/// in a workload name or an image repository. A word matches whole parts
/// of the text, never inside one: `calico` matches `rancher/hardened-calico`
/// and `calico-node`, not `calicoctl`; a word of several parts
/// (`ingress-nginx`, `nvidia/k8s-device-plugin`) matches those parts in a
/// row.
pub struct Software {
    pub name: &'static str,
    pub words: &'static [&'static str],
    /// What it is, for the README's list.
    pub what: &'static str,
}

const fn software(
    name: &'static str,
    words: &'static [&'static str],
    what: &'static str,
) -> Software {
    Software { name, words, what }
}

/// The software list, in priority order: a workload or image is the first
/// entry one of whose words it contains. Order matters where products ship
/// together: canal's DaemonSet runs the calico and flannel images, so canal
/// comes first; `svclb-traefik-*` is K3s's service load balancer, not
/// traefik; the CoreDNS autoscaler is not CoreDNS; AMD's GPU operator is
/// not NVIDIA's.
pub const SOFTWARE: &[Software] = &[
    // CNI plugins.
    software(
        "canal",
        &["canal"],
        "CNI plugin (calico policy, flannel network)",
    ),
    software("cilium", &["cilium"], "CNI plugin"),
    software("calico", &["calico", "tigera-operator"], "CNI plugin"),
    software("antrea", &["antrea"], "CNI plugin"),
    software("kube-router", &["kube-router"], "CNI plugin"),
    software("kube-ovn", &["kube-ovn"], "CNI plugin"),
    software("weave", &["weave"], "CNI plugin (Weave Net)"),
    software("flannel", &["flannel"], "CNI plugin"),
    software("multus", &["multus"], "CNI meta-plugin"),
    // Load balancers and DNS.
    software(
        "servicelb",
        &["svclb", "servicelb", "klipper-lb"],
        "K3s service load balancer",
    ),
    software("kube-vip", &["kube-vip"], "control-plane and service VIP"),
    software("metallb", &["metallb"], "load balancer"),
    software(
        "cluster-autoscaler",
        &[
            "coredns-autoscaler",
            "cluster-autoscaler",
            "cluster-proportional-autoscaler",
        ],
        "autoscaler",
    ),
    software(
        "node-local-dns",
        &["node-local-dns", "nodelocaldns", "k8s-dns-node-cache"],
        "DNS cache",
    ),
    software("coredns", &["coredns"], "cluster DNS"),
    software("external-dns", &["external-dns"], "DNS records"),
    software("kube-proxy", &["kube-proxy"], "service proxy"),
    // Ingress controllers, gateways and service meshes.
    software("traefik", &["traefik"], "ingress controller"),
    software(
        "ingress-nginx",
        &["ingress-nginx", "nginx-ingress"],
        "ingress controller",
    ),
    software(
        "haproxy",
        &["haproxy-ingress", "haproxy"],
        "ingress controller",
    ),
    software("contour", &["contour"], "ingress controller"),
    software("istio", &["istio", "istiod"], "service mesh and gateway"),
    software("linkerd", &["linkerd"], "service mesh"),
    software("kong", &["kong"], "ingress controller and gateway"),
    software(
        "emissary",
        &["emissary", "ambassador"],
        "ingress controller",
    ),
    software("skipper", &["skipper"], "ingress controller"),
    software("envoy-gateway", &["envoy-gateway"], "gateway"),
    // Storage.
    software("longhorn", &["longhorn"], "storage"),
    software(
        "local-path-provisioner",
        &["local-path-provisioner"],
        "storage (K3s default)",
    ),
    software(
        "snapshot-controller",
        &["snapshot-controller", "csi-snapshotter"],
        "volume snapshots",
    ),
    software("rook-ceph", &["rook-ceph", "rook"], "storage"),
    software("openebs", &["openebs"], "storage"),
    software(
        "nfs-provisioner",
        &["nfs-subdir-external-provisioner", "csi-driver-nfs"],
        "storage",
    ),
    software("vsphere-csi", &["vsphere-csi"], "storage (vSphere)"),
    // GPUs.
    software(
        "amd-gpu-operator",
        &["amd-gpu-operator", "rocm/gpu-operator"],
        "GPU operator",
    ),
    software(
        "nvidia-gpu-operator",
        &["nvidia-gpu-operator", "gpu-operator"],
        "GPU operator",
    ),
    software(
        "amd-device-plugin",
        &["amdgpu-device-plugin", "rocm/k8s-device-plugin"],
        "GPU device plugin",
    ),
    software(
        "nvidia-device-plugin",
        &["nvidia-device-plugin", "nvidia/k8s-device-plugin"],
        "GPU device plugin",
    ),
    software(
        "intel-gpu-plugin",
        &["intel-gpu-plugin"],
        "GPU device plugin",
    ),
    software(
        "nvidia-driver",
        &["nvidia-driver", "nvidia/driver"],
        "GPU driver (NVIDIA's GPU operator)",
    ),
    // Operations.
    software("metrics-server", &["metrics-server"], "resource metrics"),
    software("kube-state-metrics", &["kube-state-metrics"], "metrics"),
    software("node-exporter", &["node-exporter"], "metrics"),
    software("cert-manager", &["cert-manager"], "certificates"),
    software(
        "system-upgrade-controller",
        &["system-upgrade-controller"],
        "K3s and RKE2 upgrades",
    ),
    software(
        "helm-controller",
        &["helm-controller"],
        "K3s and RKE2 charts",
    ),
    // Rancher, in cattle-system. The webhook and the agent come first:
    // their images (`rancher/rancher-webhook`, `rancher/rancher-agent`)
    // also hold the words of Rancher Manager's (`rancher/rancher`).
    software(
        "rancher-webhook",
        &["rancher-webhook"],
        "Rancher's admission webhook",
    ),
    software(
        "rancher-agent",
        &["rancher-agent", "cattle-cluster-agent"],
        "Rancher's agent in a cluster it manages",
    ),
    software("rancher", &["rancher/rancher"], "Rancher Manager"),
];

/// The software vocabulary of a run: the built-in list plus the names an
/// operator added. Extra names come first: an operator names what the
/// built-in words would otherwise mistake (`acme-ingress-nginx`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vocabulary {
    extra: Vec<String>,
}

/// The longest extra software name.
pub const MAX_EXTRA_NAME_CHARS: usize = 40;

impl Vocabulary {
    /// The built-in list plus `extra` names (see [`Vocabulary::parse_extra`]).
    pub fn with_extra(extra: Vec<String>) -> Self {
        Self { extra }
    }

    /// Extra software names from a setting: comma-separated, each 1 to 40
    /// of `a-z`, `0-9` and `-`, starting and ending with a letter or digit,
    /// and not `other` or `unknown`. The error says which name is wrong.
    pub fn parse_extra(text: &str) -> Result<Vec<String>, String> {
        let mut names: Vec<String> = Vec::new();
        for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let valid = name.len() <= MAX_EXTRA_NAME_CHARS
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !name.starts_with('-')
                && !name.ends_with('-')
                && name != OTHER
                && name != UNKNOWN;
            if !valid {
                return Err(format!(
                    "{:?} is not a software name: expected 1 to {MAX_EXTRA_NAME_CHARS} lowercase letters, digits and inner dashes (not `other` or `unknown`)",
                    name.chars().take(60).collect::<String>()
                ));
            }
            if !names.iter().any(|n| n == name) {
                names.push(name.to_string());
            }
        }
        Ok(names)
    }

    /// The extra names, in the order given.
    pub fn extra(&self) -> &[String] {
        &self.extra
    }

    /// The software a workload name or image repository names: the first
    /// extra name, then the first built-in entry, one of whose words it
    /// contains; else `other`.
    pub fn software_of(&self, text: &str) -> String {
        let parts = parts(text);
        if let Some(extra) = self.extra.iter().find(|name| contains_word(&parts, name)) {
            return extra.clone();
        }
        SOFTWARE
            .iter()
            .find(|s| s.words.iter().any(|word| contains_word(&parts, word)))
            .map_or(OTHER, |s| s.name)
            .to_string()
    }

    /// Whether `name` is a word of this vocabulary (a known software name or
    /// `other`): how a facts file is checked.
    pub fn is_software(&self, name: &str) -> bool {
        name == OTHER
            || SOFTWARE.iter().any(|s| s.name == name)
            || self.extra.iter().any(|n| n == name)
    }
}

/// The lowercase alphanumeric parts of a name or repository.
fn parts(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

/// Whether `word`'s parts appear in `parts` in a row.
fn contains_word(parts: &[String], word: &str) -> bool {
    let word: Vec<&str> = word
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .collect();
    !word.is_empty()
        && parts
            .windows(word.len())
            .any(|window| window.iter().zip(&word).all(|(a, b)| a == b))
}

/// The most digits one number of a version may have: release numbers are
/// short; a longer run is a date or build id, which never crosses.
const MAX_NUMBER_DIGITS: usize = 6;

/// A version's numbers at the start of `text`: up to `max_parts` numbers
/// joined by dots, each of 1 to [`MAX_NUMBER_DIGITS`] digits. Returns them
/// and the rest of the text; `None` when `text` does not start with such a
/// number or its first number is too long.
fn numbers(text: &str, max_parts: usize) -> Option<(&str, &str)> {
    let bytes = text.as_bytes();
    let mut end = 0;
    let mut parts = 0;
    loop {
        let digits = bytes[end..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits == 0 || digits > MAX_NUMBER_DIGITS {
            // A dot not followed by a short number ends the version.
            break;
        }
        end += digits;
        parts += 1;
        let more = parts < max_parts
            && bytes.get(end) == Some(&b'.')
            && bytes.get(end + 1).is_some_and(u8::is_ascii_digit);
        if !more {
            break;
        }
        end += 1;
        // A following number that is too long ends the version before its dot.
        let next = bytes[end..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if next > MAX_NUMBER_DIGITS {
            end -= 1;
            break;
        }
    }
    (parts > 0).then(|| text.split_at(end))
}

/// The version of an image tag: an optional `v` and up to four numbers
/// (`v3.29.1-build20250117` -> `v3.29.1`, `1.12.0` -> `1.12.0`,
/// `2.3.1-acme` -> `2.3.1`); `unknown` for a tag without one (`latest`, a
/// digest-only reference, `acme-2024`, a number run into letters).
pub fn version_of_tag(tag: &str) -> String {
    let (prefix, rest) = match tag.strip_prefix('v') {
        Some(rest) => ("v", rest),
        None => ("", tag),
    };
    match numbers(rest, 4) {
        Some((digits, after)) if after.is_empty() || after.starts_with(['-', '+', '_', '.']) => {
            format!("{prefix}{digits}")
        }
        _ => UNKNOWN.to_string(),
    }
}

/// Distribution suffixes of a Kubernetes version, each followed by its
/// build number: `v1.31.6+k3s1`, `v1.31.6+rke2r1`.
pub const KUBERNETES_SUFFIXES: &[&str] = &["+k3s", "+rke2r"];

/// Pre-release markers kept before a distribution suffix: `v1.32.0-rc1+k3s1`.
pub const PRERELEASE_SUFFIXES: &[&str] = &["-rc"];

/// Distribution suffixes of a container runtime version: the containerd
/// K3s and RKE2 ship reports `2.0.2-k3s2`.
pub const RUNTIME_SUFFIXES: &[&str] = &["-k3s", "-rke2r"];

/// The known suffixes at the start of `rest`, in the order given, each with
/// its build number (1 to 3 digits).
fn known_suffixes(mut rest: &str, lists: &[&[&str]]) -> String {
    let mut kept = String::new();
    for list in lists {
        for suffix in *list {
            let Some(after) = rest.strip_prefix(suffix) else {
                continue;
            };
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            if (1..=3).contains(&digits) {
                kept.push_str(suffix);
                kept.push_str(&after[..digits]);
                rest = &after[digits..];
                break;
            }
        }
    }
    kept
}

/// The cluster's UUID (the `kube-system` namespace's UID, which the API
/// server generates as a random UUID) in its canonical form: 8-4-4-4-12
/// hexadecimal digits, lower case, or `unknown`. Whatever the source (an
/// API server, a facts file), nothing else crosses: not a host name, not
/// an address, not a note.
pub fn cluster_uuid(text: &str) -> String {
    let groups: Vec<&str> = text.trim().split('-').collect();
    let shaped = groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.bytes().all(|b| b.is_ascii_hexdigit()));
    if shaped {
        text.trim().to_ascii_lowercase()
    } else {
        UNKNOWN.to_string()
    }
}

/// A kubelet version or `gitVersion` as `v` + three numbers + the known
/// suffixes (`v1.31.6+k3s1`, `v1.31.6+rke2r1`, `v1.32.0-rc1+k3s1`,
/// `v1.31.4-eks-aeac579` -> `v1.31.4`), or `unknown`.
pub fn kubernetes_version(text: &str) -> String {
    let text = text.trim();
    let rest = text.strip_prefix('v').unwrap_or(text);
    match numbers(rest, 3) {
        Some((digits, after)) if digits.contains('.') => {
            let suffix = known_suffixes(after, &[PRERELEASE_SUFFIXES, KUBERNETES_SUFFIXES]);
            format!("v{digits}{suffix}")
        }
        _ => UNKNOWN.to_string(),
    }
}

/// `major` or `minor` of `/version`: its leading digits (EKS writes the
/// minor `31+`), or `unknown`.
pub fn version_number(text: &str) -> String {
    let text = text.trim();
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    if (1..=3).contains(&digits) {
        text[..digits].to_string()
    } else {
        UNKNOWN.to_string()
    }
}

/// The operating systems a kubelet reports (`GOOS` of a node).
pub const OPERATING_SYSTEMS: &[&str] = &["linux", "windows"];

/// `GOARCH` values a kubelet reports.
pub const ARCHITECTURES: &[&str] = &[
    "amd64", "arm64", "arm", "386", "ppc64le", "s390x", "riscv64", "loong64", "mips64le",
];

/// A word of `list` (any case), `other`, or `unknown` for an empty value.
fn one_of(list: &[&'static str], text: &str) -> String {
    let text = text.trim();
    if text.is_empty() || text == UNKNOWN {
        return UNKNOWN.to_string();
    }
    list.iter()
        .find(|word| text.eq_ignore_ascii_case(word))
        .map_or(OTHER, |word| word)
        .to_string()
}

/// `status.nodeInfo.operatingSystem`: `linux`, `windows`, `other`, `unknown`.
pub fn operating_system(text: &str) -> String {
    one_of(OPERATING_SYSTEMS, text)
}

/// `status.nodeInfo.architecture`: a [`ARCHITECTURES`] word, `other`, `unknown`.
pub fn architecture(text: &str) -> String {
    one_of(ARCHITECTURES, text)
}

/// `platform` of `/version` (`linux/amd64`): a known operating system and
/// architecture, or `unknown`.
pub fn platform(text: &str) -> String {
    let Some((os, arch)) = text.trim().split_once('/') else {
        return UNKNOWN.to_string();
    };
    let (os, arch) = (operating_system(os), architecture(arch));
    let known = |word: &str| word != OTHER && word != UNKNOWN;
    if known(&os) && known(&arch) {
        format!("{os}/{arch}")
    } else {
        UNKNOWN.to_string()
    }
}

/// OS ids with the lowercase text that identifies each in `osImage` (the
/// OS release's PRETTY_NAME), in match order: more specific names first
/// (`opensuse` before `suse`, SLE Micro and RHEL CoreOS before their
/// parents). The ids are those of `/etc/os-release`.
pub const OS_IDS: &[(&str, &[&str])] = &[
    ("ubuntu", &["ubuntu"]),
    ("debian", &["debian"]),
    ("raspbian", &["raspbian"]),
    ("rhcos", &["red hat enterprise linux coreos", "rhcos"]),
    ("rhel", &["red hat enterprise linux", "rhel"]),
    ("rocky", &["rocky linux"]),
    ("almalinux", &["almalinux"]),
    ("centos", &["centos"]),
    ("ol", &["oracle linux"]),
    ("opensuse", &["opensuse"]),
    (
        "sle-micro",
        &[
            "sle micro",
            "suse linux micro",
            "sl-micro",
            "sl micro",
            "suse linux enterprise micro",
        ],
    ),
    ("sles", &["suse linux enterprise", "sles"]),
    ("harvester", &["harvester"]),
    ("fedora", &["fedora"]),
    ("amzn", &["amazon linux"]),
    (
        "azurelinux",
        &["azure linux", "cbl-mariner", "common base linux"],
    ),
    ("cos", &["container-optimized os"]),
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

/// `osImage` as (OS id, release): `Ubuntu 24.04.1 LTS` -> (`ubuntu`,
/// `24.04.1`), `SUSE Linux Enterprise Server 15 SP6` -> (`sles`, `15.6`),
/// `Fedora CoreOS 41.20250117.3.0` -> (`fedora`, `41`). The release is the
/// first version-like word after the OS's name (up to three numbers of up to
/// six digits, so a build date never crosses); `unknown` when there is
/// none or the OS is `other` (its numbers would be a vendor's own).
pub fn os(os_image: &str) -> (String, String) {
    let image = os_image.trim().to_ascii_lowercase();
    if image.is_empty() {
        return (UNKNOWN.to_string(), UNKNOWN.to_string());
    }
    let found = OS_IDS.iter().find_map(|(id, needles)| {
        needles
            .iter()
            .find_map(|needle| image.find(needle).map(|at| (*id, at + needle.len())))
    });
    let Some((id, after)) = found else {
        return (OTHER.to_string(), UNKNOWN.to_string());
    };
    (id.to_string(), os_release(&image[after..]))
}

/// An OS id as a facts file holds it: a word of [`OS_IDS`], `unknown`, or
/// else `other`.
pub fn os_id(word: &str) -> String {
    if word == UNKNOWN {
        return UNKNOWN.to_string();
    }
    OS_IDS
        .iter()
        .find(|(id, _)| *id == word)
        .map_or(OTHER, |(id, _)| id)
        .to_string()
}

/// An OS release as a facts file holds it: up to three numbers, nothing
/// else, or `unknown`.
pub fn os_release_digits(text: &str) -> String {
    match numbers(text, 3) {
        Some((digits, "")) => digits.to_string(),
        _ => UNKNOWN.to_string(),
    }
}

/// The first version-like word of `text`, with a following `SPn` (SUSE's
/// service pack) as its minor.
fn os_release(text: &str) -> String {
    let mut words = text
        .split(|c: char| c.is_whitespace() || "(),".contains(c))
        .filter(|w| !w.is_empty());
    while let Some(word) = words.next() {
        let bare = word.strip_prefix('v').unwrap_or(word);
        let Some((digits, rest)) = numbers(bare, 3) else {
            continue;
        };
        if !(rest.is_empty() || rest.starts_with(['-', '+', '_', '.'])) {
            continue;
        }
        let service_pack = words
            .next()
            .and_then(|next| next.strip_prefix("sp"))
            .filter(|n| (1..=2).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()));
        return match service_pack {
            Some(pack) if !digits.contains('.') => format!("{digits}.{pack}"),
            _ => digits.to_string(),
        };
    }
    UNKNOWN.to_string()
}

/// `major.minor` of a kernel build string (`6.8.0-52-generic` -> `6.8`,
/// `5.14.0-427.acme.el9_4.x86_64` -> `5.14`), or `unknown`.
pub fn kernel(text: &str) -> String {
    match numbers(text.trim(), 2) {
        Some((digits, _)) if digits.contains('.') => digits.to_string(),
        _ => UNKNOWN.to_string(),
    }
}

/// The container runtimes a kubelet reports, by the scheme of
/// `containerRuntimeVersion` (`containerd://2.0.2-k3s2`).
pub const CONTAINER_RUNTIMES: &[&str] = &["containerd", "cri-o", "docker"];

/// `containerRuntimeVersion` as (runtime, version): `containerd://2.0.2-k3s2`
/// -> (`containerd`, `2.0.2-k3s2`), `containerd://1.7.23-acme.3` ->
/// (`containerd`, `1.7.23`). The version is three numbers and the known
/// suffixes; `unknown` when there is none or the runtime is `other`.
pub fn container_runtime(text: &str) -> (String, String) {
    let text = text.trim();
    if text.is_empty() {
        return (UNKNOWN.to_string(), UNKNOWN.to_string());
    }
    let (scheme, version) = text.split_once("://").unwrap_or((text, ""));
    let runtime = one_of(CONTAINER_RUNTIMES, scheme);
    if runtime == OTHER {
        return (runtime, UNKNOWN.to_string());
    }
    let (prefix, bare) = match version.strip_prefix('v') {
        Some(bare) => ("v", bare),
        None => ("", version),
    };
    let version = match numbers(bare, 3) {
        Some((digits, after)) => {
            format!(
                "{prefix}{digits}{}",
                known_suffixes(after, &[RUNTIME_SUFFIXES])
            )
        }
        None => UNKNOWN.to_string(),
    };
    (runtime, version)
}

/// Whole cores from a CPU quantity in cores (`3.5` -> 4).
pub fn cores(cores: f64) -> u32 {
    whole(cores)
}

/// Whole GiB from a memory quantity in bytes.
pub fn gib(bytes: f64) -> u32 {
    whole(bytes / (1u64 << 30) as f64)
}

/// Rounded to a whole number within `u32`; anything not a finite positive
/// number is 0.
fn whole(value: f64) -> u32 {
    if value.is_finite() && value > 0.0 {
        value.round().min(f64::from(u32::MAX)) as u32
    } else {
        0
    }
}

/// The GPU vendor an allocatable resource names, if it names a GPU.
pub fn gpu_vendor(name: &str) -> Option<GpuVendor> {
    match name {
        "nvidia.com/gpu" => Some(GpuVendor::Nvidia),
        "amd.com/gpu" => Some(GpuVendor::Amd),
        n if n.starts_with("gpu.intel.com/") => Some(GpuVendor::Intel),
        n if n
            .as_bytes()
            .windows(3)
            .any(|w| w.eq_ignore_ascii_case(b"gpu")) =>
        {
            Some(GpuVendor::Other)
        }
        _ => None,
    }
}

/// Whether a node's facts use this allocatable resource: the parser keeps
/// only these (`cluster/objects.rs`).
pub fn uses_resource(name: &str) -> bool {
    name == "cpu" || name == "memory" || gpu_vendor(name).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_uuid_crosses_as_the_cluster_uuid() {
        for (text, crossed) in [
            (
                "53741f60-f208-48fc-ae81-8a969510a598",
                "53741f60-f208-48fc-ae81-8a969510a598",
            ),
            (
                " 53741F60-F208-48FC-AE81-8A969510A598\n",
                "53741f60-f208-48fc-ae81-8a969510a598",
            ),
            ("node-name-prod-db-01.acme.internal 10.0.0.5", "unknown"),
            ("53741f60-f208-48fc-ae81-8a969510a59", "unknown"),
            ("53741f60-f208-48fc-ae81-8a969510a598-00", "unknown"),
            ("53741f60f20848fcae818a969510a598", "unknown"),
            ("53741f60-f208-48fc-ae81-8a969510a59g", "unknown"),
            ("", "unknown"),
        ] {
            assert_eq!(cluster_uuid(text), crossed, "{text:?}");
        }
    }

    #[test]
    fn workload_names_and_repositories_become_software_or_other() {
        let vocabulary = Vocabulary::default();
        let cases = [
            // K3s.
            ("coredns", "coredns"),
            ("rancher/mirrored-coredns-coredns", "coredns"),
            ("local-path-provisioner", "local-path-provisioner"),
            ("rancher/local-path-provisioner", "local-path-provisioner"),
            ("metrics-server", "metrics-server"),
            ("rancher/mirrored-metrics-server", "metrics-server"),
            ("traefik", "traefik"),
            ("rancher/mirrored-library-traefik", "traefik"),
            ("svclb-traefik-8a2f0c3e", "servicelb"),
            ("rancher/klipper-lb", "servicelb"),
            // RKE2.
            ("rke2-canal", "canal"),
            ("rancher/hardened-calico", "calico"),
            ("rancher/hardened-flannel", "flannel"),
            ("rke2-coredns-rke2-coredns", "coredns"),
            ("rke2-coredns-rke2-coredns-autoscaler", "cluster-autoscaler"),
            ("rancher/hardened-cluster-autoscaler", "cluster-autoscaler"),
            ("rancher/hardened-coredns", "coredns"),
            ("rke2-ingress-nginx-controller", "ingress-nginx"),
            ("rancher/nginx-ingress-controller", "ingress-nginx"),
            ("rke2-metrics-server", "metrics-server"),
            ("rancher/hardened-k8s-metrics-server", "metrics-server"),
            ("rke2-snapshot-controller", "snapshot-controller"),
            (
                "rancher/mirrored-sig-storage-snapshot-controller",
                "snapshot-controller",
            ),
            ("rke2-cilium", "cilium"),
            ("cilium/operator-generic", "cilium"),
            ("calico-kube-controllers", "calico"),
            ("calico/node", "calico"),
            ("rke2-multus", "multus"),
            ("kube-router", "kube-router"),
            ("weave-net", "weave"),
            ("kube-flannel-ds", "flannel"),
            // Others K3s and RKE2 users run there.
            ("istiod", "istio"),
            ("istio/proxyv2", "istio"),
            ("linkerd-destination", "linkerd"),
            ("longhornio/longhorn-manager", "longhorn"),
            ("nvidia-device-plugin-daemonset", "nvidia-device-plugin"),
            ("nvidia/k8s-device-plugin", "nvidia-device-plugin"),
            ("rocm/k8s-device-plugin", "amd-device-plugin"),
            ("gpu-operator", "nvidia-gpu-operator"),
            ("amd-gpu-operator-controller-manager", "amd-gpu-operator"),
            ("cert-manager-webhook", "cert-manager"),
            ("jetstack/cert-manager-controller", "cert-manager"),
            ("kube-vip-ds", "kube-vip"),
            ("system-upgrade-controller", "system-upgrade-controller"),
            ("library/traefik", "traefik"),
            // What an organisation chose: never crosses.
            ("acme-bespoke-ingress", "other"),
            ("acme/bespoke-ingress", "other"),
            ("calicoctl-acme", "other"),
            ("", "other"),
        ];
        for (text, software) in cases {
            assert_eq!(vocabulary.software_of(text), software, "{text:?}");
        }
    }

    #[test]
    fn extra_software_names_are_checked_and_matched_as_words_first() {
        assert_eq!(
            Vocabulary::parse_extra(" bespoke-ingress, acme-cni ,,bespoke-ingress"),
            Ok(vec!["bespoke-ingress".to_string(), "acme-cni".to_string()])
        );
        assert_eq!(Vocabulary::parse_extra(""), Ok(Vec::new()));
        for bad in [
            "Bespoke",
            "bespoke_ingress",
            "-bespoke",
            "bespoke-",
            "other",
            "unknown",
            "a.b",
            "registry.acme-corp.example/acme",
            &"x".repeat(41),
        ] {
            let error = Vocabulary::parse_extra(bad).unwrap_err();
            assert!(error.contains("is not a software name"), "{bad}: {error}");
        }
        let vocabulary = Vocabulary::with_extra(vec!["bespoke-ingress".into(), "nginx".into()]);
        assert_eq!(
            vocabulary.software_of("acme-bespoke-ingress"),
            "bespoke-ingress"
        );
        assert_eq!(
            vocabulary.software_of("acme/bespoke-ingress"),
            "bespoke-ingress"
        );
        assert_eq!(vocabulary.software_of("acme-bespoke-ingressx"), "other");
        // Extra names come first.
        assert_eq!(
            vocabulary.software_of("rancher/nginx-ingress-controller"),
            "nginx"
        );
        assert_eq!(vocabulary.software_of("rke2-canal"), "canal");
        assert!(vocabulary.is_software("bespoke-ingress"));
        assert!(vocabulary.is_software("calico") && vocabulary.is_software("other"));
        assert!(!vocabulary.is_software("acme"));
    }

    #[test]
    fn image_tags_keep_only_their_version_numbers() {
        let cases = [
            ("v3.29.1-build20250117", "v3.29.1"),
            ("1.12.0", "1.12.0"),
            ("v1.12.0-hardened1", "v1.12.0"),
            ("2.3.1-acme", "2.3.1"),
            ("v0.0.30", "v0.0.30"),
            ("3.3.2", "3.3.2"),
            ("1.27", "1.27"),
            ("7", "7"),
            ("1.2.3.4.5", "1.2.3.4"),
            ("latest", "unknown"),
            ("unknown", "unknown"),
            ("", "unknown"),
            ("v", "unknown"),
            ("acme-2024", "unknown"),
            ("20250101", "unknown"),
            ("1a2b", "unknown"),
            ("1.2.20250101", "1.2"),
            ("1.", "1"),
        ];
        for (tag, version) in cases {
            assert_eq!(version_of_tag(tag), version, "{tag:?}");
        }
    }

    #[test]
    fn kubernetes_versions_keep_digits_and_known_suffixes() {
        let cases = [
            ("v1.31.6+k3s1", "v1.31.6+k3s1"),
            ("v1.31.6+rke2r1", "v1.31.6+rke2r1"),
            ("v1.32.0-rc1+k3s1", "v1.32.0-rc1+k3s1"),
            ("v1.31.6", "v1.31.6"),
            ("v1.31.4-eks-aeac579", "v1.31.4"),
            ("v1.31.5-gke.1023000", "v1.31.5"),
            ("v1.31.6+acme.build.7", "v1.31.6"),
            ("v1.31.6+k3s1-acme", "v1.31.6+k3s1"),
            ("v1.31.6+k3s1234", "v1.31.6"),
            ("1.31.6", "v1.31.6"),
            ("acme-kube", "unknown"),
            ("v1", "unknown"),
            ("", "unknown"),
        ];
        for (text, version) in cases {
            assert_eq!(kubernetes_version(text), version, "{text:?}");
        }
        assert_eq!(version_number("1"), "1");
        assert_eq!(version_number("31+"), "31");
        assert_eq!(version_number("acme"), "unknown");
        assert_eq!(version_number("1234"), "unknown");
        assert_eq!(platform("linux/amd64"), "linux/amd64");
        assert_eq!(platform("linux/acme-cpu"), "unknown");
        assert_eq!(platform("acme"), "unknown");
    }

    #[test]
    fn os_images_become_an_id_and_release_digits() {
        let cases = [
            ("Ubuntu 24.04.1 LTS", "ubuntu", "24.04.1"),
            ("Ubuntu 22.04.5 LTS", "ubuntu", "22.04.5"),
            ("Debian GNU/Linux 12 (bookworm)", "debian", "12"),
            ("Raspbian GNU/Linux 12 (bookworm)", "raspbian", "12"),
            ("Red Hat Enterprise Linux 9.4 (Plow)", "rhel", "9.4"),
            (
                "Red Hat Enterprise Linux CoreOS 418.94.202501221327-0",
                "rhcos",
                "418.94",
            ),
            ("Rocky Linux 9.5 (Blue Onyx)", "rocky", "9.5"),
            ("AlmaLinux 9.5 (Teal Serval)", "almalinux", "9.5"),
            ("CentOS Stream 9", "centos", "9"),
            ("Oracle Linux Server 9.4", "ol", "9.4"),
            ("SUSE Linux Enterprise Server 15 SP6", "sles", "15.6"),
            ("SUSE Linux Enterprise Micro 5.5", "sle-micro", "5.5"),
            ("SUSE Linux Micro 6.0", "sle-micro", "6.0"),
            ("openSUSE Leap 15.6", "opensuse", "15.6"),
            ("openSUSE Tumbleweed", "opensuse", "unknown"),
            ("Harvester v1.4.1", "harvester", "1.4.1"),
            ("Fedora CoreOS 41.20250117.3.0", "fedora", "41"),
            ("Amazon Linux 2023.6.20250115", "amzn", "2023.6"),
            ("Amazon Linux 2", "amzn", "2"),
            ("CBL-Mariner/Linux", "azurelinux", "unknown"),
            (
                "Flatcar Container Linux by Kinvolk 4081.2.1 (Oklo)",
                "flatcar",
                "4081.2.1",
            ),
            ("Talos (v1.9.2)", "talos", "1.9.2"),
            ("Windows Server 2022 Datacenter", "windows", "2022"),
            // Vendor build strings: the name and numbers of an unknown OS
            // never cross.
            ("Acme Linux 9.4 (build acme-20250101)", "other", "unknown"),
            ("Acme Hardened OS 3", "other", "unknown"),
            (
                "Ubuntu 22.04.5 LTS (acme build 20250101)",
                "ubuntu",
                "22.04.5",
            ),
            ("", "unknown", "unknown"),
        ];
        for (image, id, release) in cases {
            assert_eq!(
                os(image),
                (id.to_string(), release.to_string()),
                "{image:?}"
            );
        }
    }

    #[test]
    fn kernels_become_major_minor() {
        let cases = [
            ("6.8.0-52-generic", "6.8"),
            ("5.14.0-427.acme.el9_4.x86_64", "5.14"),
            ("6.4.0-150600.23.33-default", "6.4"),
            ("10.0.20348.2966", "10.0"),
            ("6", "unknown"),
            ("acme-6.8", "unknown"),
            ("", "unknown"),
        ];
        for (text, kernel_version) in cases {
            assert_eq!(kernel(text), kernel_version, "{text:?}");
        }
    }

    #[test]
    fn container_runtimes_become_a_name_and_version() {
        let cases = [
            ("containerd://2.0.2-k3s2", "containerd", "2.0.2-k3s2"),
            ("containerd://1.7.23-k3s2", "containerd", "1.7.23-k3s2"),
            ("containerd://1.7.23-acme.3", "containerd", "1.7.23"),
            ("containerd://1.7.23", "containerd", "1.7.23"),
            ("cri-o://1.31.2", "cri-o", "1.31.2"),
            ("docker://27.3.1", "docker", "27.3.1"),
            ("containerd://v2.0.0", "containerd", "v2.0.0"),
            ("containerd://acme", "containerd", "unknown"),
            ("acme-runtime://1.0", "other", "unknown"),
            ("", "unknown", "unknown"),
        ];
        for (text, runtime, version) in cases {
            assert_eq!(
                container_runtime(text),
                (runtime.to_string(), version.to_string()),
                "{text:?}"
            );
        }
    }

    #[test]
    fn sizes_are_whole_cores_and_gib() {
        assert_eq!(cores(3.5), 4);
        assert_eq!(cores(3.4), 3);
        assert_eq!(cores(f64::NAN), 0);
        assert_eq!(cores(-1.0), 0);
        assert_eq!(cores(1e30), u32::MAX);
        assert_eq!(gib(16121241600.0), 15);
        assert_eq!(gib(8050888704.0), 7);
        assert_eq!(gib(16473141248.0), 15);
    }

    #[test]
    fn operating_systems_and_architectures_are_closed_sets() {
        assert_eq!(operating_system("linux"), "linux");
        assert_eq!(operating_system("Windows"), "windows");
        assert_eq!(operating_system("acme-os"), "other");
        assert_eq!(operating_system(""), "unknown");
        assert_eq!(architecture("arm64"), "arm64");
        assert_eq!(architecture("acme-cpu"), "other");
        assert_eq!(architecture(" "), "unknown");
    }

    /// The README's "What the component sees" lists every word a component
    /// may receive: a reviewer reads the sets there.
    #[test]
    fn the_readme_lists_every_closed_set() {
        let readme =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
        let start = readme.find("## What the component sees").unwrap();
        let section = &readme[start..];
        let section = &section[..section[3..].find("\n## ").map_or(section.len(), |e| e + 3)];
        for software in SOFTWARE {
            let words: Vec<String> = software.words.iter().map(|w| format!("`{w}`")).collect();
            let row = format!(
                "| `{}` | {} | {} |",
                software.name,
                software.what,
                words.join(", ")
            );
            assert!(section.contains(&row), "README lacks the row {row}");
        }
        let lists = [
            OS_IDS.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
            ARCHITECTURES.to_vec(),
            CONTAINER_RUNTIMES.to_vec(),
            OPERATING_SYSTEMS.to_vec(),
            KUBERNETES_SUFFIXES.to_vec(),
            RUNTIME_SUFFIXES.to_vec(),
        ];
        for word in lists.iter().flatten() {
            assert!(section.contains(&format!("`{word}")), "README lacks {word}");
        }
    }

    /// The software list has no duplicate names, and every word is
    /// lowercase parts a name could contain.
    #[test]
    fn the_software_list_is_well_formed() {
        let mut names: Vec<&str> = SOFTWARE.iter().map(|s| s.name).collect();
        names.sort_unstable();
        let count = names.len();
        names.dedup();
        assert_eq!(names.len(), count, "duplicate software names");
        for software in SOFTWARE {
            assert!(
                Vocabulary::parse_extra(software.name).is_ok(),
                "{}",
                software.name
            );
            for word in software.words {
                assert!(
                    word.bytes().all(|b| b.is_ascii_lowercase()
                        || b.is_ascii_digit()
                        || b == b'-'
                        || b == b'/'),
                    "{word}"
                );
            }
        }
    }
}
