//! Reads the cluster facts from the Kubernetes API: read-only, a handful of
//! requests, lists paged so memory does not grow with the cluster.
//!
//! What is read, and the permission each read needs (the deploy manifest's
//! RBAC grants exactly these):
//! - `GET /version`: the server version (every authenticated user may).
//! - `GET /api/v1/namespaces/kube-system`: its UID (get namespaces, name kube-system).
//! - `GET /api/v1/nodes?limit=N`: node facts (list nodes).
//! - `GET /apis/apps/v1/namespaces/kube-system/{deployments,daemonsets}?limit=N`:
//!   the kube-system workload summary (list, in kube-system only). Optional:
//!   without it the facts carry no workloads, and the minimal payload is the same.

use std::time::Duration;

use anyhow::Context as _;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
use k8s_openapi::api::core::v1::{Namespace, Node};
use kube::api::{Api, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use serde::de::DeserializeOwned;

use crate::bindings::{ClusterFacts, Workload};
use crate::facts;

/// How the host reaches the API server.
pub struct Access {
    /// A kubeconfig file; `None` tries `$KUBECONFIG`, `~/.kube/config`,
    /// then the in-cluster service account.
    pub kubeconfig: Option<std::path::PathBuf>,
    pub page_size: u32,
    /// The whole read must finish within this time.
    pub deadline: Duration,
}

/// Facts, plus what could not be read but was not needed.
pub struct Read {
    pub facts: ClusterFacts,
    pub warnings: Vec<String>,
    pub requests: u32,
}

async fn client(access: &Access) -> anyhow::Result<Client> {
    let mut config = match &access.kubeconfig {
        Some(path) => {
            let kubeconfig = Kubeconfig::read_from(path)
                .with_context(|| format!("cannot read kubeconfig {}", path.display()))?;
            Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
                .await
                .with_context(|| format!("kubeconfig {} is not usable", path.display()))?
        }
        None => Config::infer().await.context(
            "no Kubernetes API access: not in a cluster (no service account) and no kubeconfig found",
        )?,
    };
    config.connect_timeout = Some(access.deadline);
    config.read_timeout = Some(access.deadline);
    config.write_timeout = Some(access.deadline);
    // No retries (design records 000 and 001): a failed run is simply
    // skipped; the next scheduled run tries again.
    config.default_retry = false;
    Client::try_from(config).context("cannot set up the Kubernetes API client")
}

/// Reads the facts within the deadline. Errors name the request that
/// failed and, for a 403, the permission that is missing.
pub async fn read(access: &Access) -> anyhow::Result<Read> {
    tokio::time::timeout(access.deadline, read_all(access))
        .await
        .unwrap_or_else(|_| {
            Err(anyhow::anyhow!(
                "the Kubernetes API did not answer within {} seconds ({})",
                access.deadline.as_secs(),
                crate::config::API_DEADLINE
            ))
        })
}

async fn read_all(access: &Access) -> anyhow::Result<Read> {
    let client = client(access).await?;
    let mut requests = 0;
    let mut warnings = Vec::new();

    let version = client
        .apiserver_version()
        .await
        .map_err(|e| explain(e, "GET /version"))?;
    requests += 1;

    let namespaces: Api<Namespace> = Api::all(client.clone());
    let kube_system = namespaces
        .get("kube-system")
        .await
        .map_err(|e| explain(e, "get namespace kube-system"))?;
    requests += 1;
    let cluster_uuid = kube_system.metadata.uid.unwrap_or_default();

    let mut nodes = Vec::new();
    requests += each_page(
        &Api::<Node>::all(client.clone()),
        access.page_size,
        "list nodes",
        |node| nodes.push(facts::node(node)),
    )
    .await?;

    let mut workloads: Vec<Workload> = Vec::new();
    let deployments = Api::<Deployment>::namespaced(client.clone(), "kube-system");
    match each_page(
        &deployments,
        access.page_size,
        "list deployments in kube-system",
        |d| workloads.push(facts::deployment(d)),
    )
    .await
    {
        Ok(pages) => requests += pages,
        Err(error) => warnings.push(format!("{error:#}; reporting no kube-system deployments")),
    }
    let daemon_sets = Api::<DaemonSet>::namespaced(client, "kube-system");
    match each_page(
        &daemon_sets,
        access.page_size,
        "list daemonsets in kube-system",
        |d| workloads.push(facts::daemon_set(d)),
    )
    .await
    {
        Ok(pages) => requests += pages,
        Err(error) => warnings.push(format!("{error:#}; reporting no kube-system daemonsets")),
    }

    Ok(Read {
        facts: ClusterFacts {
            server_version: facts::server_version(&version),
            cluster_uuid,
            nodes,
            kube_system_workloads: workloads,
        },
        warnings,
        requests,
    })
}

/// Lists in pages of `page_size`, handing each object to `visit` and
/// dropping the page before the next is fetched. Returns the page count.
async fn each_page<K>(
    api: &Api<K>,
    page_size: u32,
    what: &str,
    mut visit: impl FnMut(&K),
) -> anyhow::Result<u32>
where
    K: kube::Resource + Clone + DeserializeOwned + std::fmt::Debug,
{
    let mut params = ListParams::default().limit(page_size);
    let mut pages = 0;
    loop {
        let page = api.list(&params).await.map_err(|e| explain(e, what))?;
        pages += 1;
        page.items.iter().for_each(&mut visit);
        match page.metadata.continue_ {
            Some(token) if !token.is_empty() => params = params.continue_token(&token),
            _ => return Ok(pages),
        }
    }
}

/// An API error with the request it came from, and what to do about a 401
/// or 403.
fn explain(error: kube::Error, request: &str) -> anyhow::Error {
    let kube::Error::Api(status) = &error else {
        return anyhow::Error::new(error)
            .context(format!("Kubernetes API request failed: {request}"));
    };
    // The API server's Status says it all: its code, reason and message.
    let hint = match status.code {
        403 => {
            " (the service account lacks this permission: apply the RBAC rules of deploy/manifests/upgrade-responder.yaml)"
        }
        401 => " (the API server did not accept the credentials)",
        _ => "",
    };
    let reason = if status.reason.is_empty() {
        "error"
    } else {
        status.reason.as_str()
    };
    anyhow::anyhow!(
        "Kubernetes API request failed: {request}: {} {reason}: {}{hint}",
        status.code,
        status.message
    )
}
