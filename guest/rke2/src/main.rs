//! The RKE2 reporter: the payload of the RKE2 design record (seed 001),
//! Kubernetes version, clusteruuid, node counts, `cni-plugin` and `os`,
//! with the RKE2 release as `appVersion`.
//!
//! ```json
//! {"appVersion":"v1.31.6+rke2r1",
//!  "extraTagInfo":{"kubernetesVersion":"v1.31.6","clusteruuid":"<uid of kube-system>",
//!                  "cni-plugin":"canal","os":"rocky"},
//!  "extraFieldInfo":{"nodeCount":3,"serverNodeCount":1,"agentNodeCount":2}}
//! ```
//!
//! Placement differs from the seed's example on purpose: the seed lists
//! `cni-plugin` and `os` under `extraFieldInfo`, but they are descriptions,
//! and the server's InfluxDB groups by tags only (DESIGN.md section 4), so a
//! field could not answer "how many clusters run canal". They go in
//! `extraTagInfo`, under the seed's spelling (stored as `cni_plugin` and
//! `os`); the counts stay fields.
//!
//! The `standard` field mode adds the same extended descriptions as the
//! default component (`kernelVersion`, `architecture`, `cniPluginVersion`,
//! `ingressController`, `selinux`, `gpuVendor` tags and the `gpuNodeCount`
//! field); `minimal` is exactly the design record.

use reporter_sdk::classify::{CniPlugin, Extended};
use reporter_sdk::facts::{cluster_uuid, kubernetes_version, node_counts};
use reporter_sdk::payload::UNKNOWN;
use reporter_sdk::{ClusterFacts, FieldMode, Payload, Reporter, Settings};

struct Rke2Reporter;

impl Reporter for Rke2Reporter {
    fn payload(facts: &ClusterFacts, settings: &Settings) -> Result<Payload, String> {
        let app_version = facts.server_version.git_version.as_str();
        let kubernetes_version = kubernetes_version(facts);
        let counts = node_counts(facts);
        // RKE2 deploys every CNI it packages as a kube-system workload except
        // calico, whose operator runs it in calico-system: with no CNI
        // workload in sight, the honest answer is `unknown`.
        let extended = Extended::of(facts, CniPlugin::embedded(UNKNOWN));
        let payload = Payload::new(app_version)
            .tag("kubernetesVersion", &kubernetes_version)
            .tag("clusteruuid", cluster_uuid(facts)?)
            .tag("cni-plugin", extended.cni.name)
            .tag("os", extended.os)
            .field("nodeCount", counts.nodes)
            .field("serverNodeCount", counts.servers)
            .field("agentNodeCount", counts.agents);
        if settings.field_mode == FieldMode::Minimal {
            return Ok(payload);
        }
        Ok(payload
            .tag("kernelVersion", &extended.kernel)
            .tag("architecture", &extended.architectures)
            .tag("cniPluginVersion", &extended.cni.version)
            .tag("ingressController", extended.ingress)
            .tag("selinux", extended.selinux)
            .tag("gpuVendor", extended.gpu_vendor)
            .field("gpuNodeCount", extended.gpu_nodes))
    }
}

reporter_sdk::component!(Rke2Reporter);
