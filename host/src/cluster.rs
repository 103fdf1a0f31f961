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
use http_body_util::Limited;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
use k8s_openapi::api::core::v1::{Namespace, Node};
use kube::api::{Api, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use serde::de::DeserializeOwned;
use tower_http::map_response_body::MapResponseBodyLayer;

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
    // The API server's audit log names the client.
    config.headers.push((
        http::header::USER_AGENT,
        http::HeaderValue::from_static(crate::USER_AGENT),
    ));
    let builder = kube::client::ClientBuilder::try_from(config)
        .context("cannot set up the Kubernetes API client")?;
    // kube reads a whole response into memory: bound it, so a gigantic page
    // (or a server that never stops sending) ends the read, not the process.
    let limited = MapResponseBodyLayer::new(|body| Limited::new(body, MAX_RESPONSE_BYTES));
    Ok(builder.with_layer(&limited).build())
}

/// The most the host reads of one API response. A page of the default 200
/// nodes is well under 10 MiB even with long image lists.
pub const MAX_RESPONSE_BYTES: usize = 32 << 20;

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
    let mut seen = std::collections::HashSet::new();
    loop {
        let page = api.list(&params).await.map_err(|e| explain(e, what))?;
        pages += 1;
        page.items.iter().for_each(&mut visit);
        match page.metadata.continue_ {
            Some(token) if !token.is_empty() => {
                // A server that hands back a token it already gave would
                // have the host list forever.
                anyhow::ensure!(
                    seen.insert(token.clone()),
                    "Kubernetes API request failed: {what}: page {pages} repeats an earlier continue token (the list would never end)"
                );
                params = params.continue_token(&token);
            }
            _ => return Ok(pages),
        }
    }
}

/// An API error with the request it came from, and what to do about a 401
/// or 403.
fn explain(error: kube::Error, request: &str) -> anyhow::Error {
    let kube::Error::Api(status) = &error else {
        return anyhow::anyhow!(
            "Kubernetes API request failed: {request}: {}",
            transport_failure(&error)
        );
    };
    // The API server's Status says it all: its code, reason and message.
    let hint = match status.code {
        403 => {
            " (the service account lacks this permission: apply the RBAC rules of deploy/manifests/upgrade-responder.yaml)"
        }
        401 => " (the API server did not accept the credentials)",
        _ => "",
    };
    // kube fills in this reason when the body was not a Status (a proxy's
    // page, the rate limiter's plain text): the HTTP reason phrase says more.
    let reason = match status.reason.as_str() {
        "" | "Failed to parse error data" => http::StatusCode::from_u16(status.code)
            .ok()
            .and_then(|code| code.canonical_reason())
            .unwrap_or("error"),
        reason => reason,
    };
    anyhow::anyhow!(
        "Kubernetes API request failed: {request}: {} {reason}: {}{hint}",
        status.code,
        status.message
    )
}

/// What went wrong below the API's own errors, in one line: an answer that
/// is too large or not Kubernetes JSON, or the connection's error chain
/// (each cause once; hyper repeats them).
fn transport_failure(error: &kube::Error) -> String {
    let mut causes: Vec<String> = Vec::new();
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = next {
        if cause.is::<http_body_util::LengthLimitError>() {
            return format!(
                "the answer is larger than the {} MiB the host reads of one response (lower {})",
                MAX_RESPONSE_BYTES >> 20,
                crate::config::PAGE_SIZE
            );
        }
        let text = cause.to_string();
        if !causes.last().is_some_and(|last| last.contains(&text)) {
            causes.push(text);
        }
        next = cause.source();
    }
    if let kube::Error::SerdeError(json) = error {
        return format!("the answer is not the Kubernetes JSON expected: {json}");
    }
    let text = causes.join(": ");
    match text.strip_prefix("ServiceError: ") {
        Some(rest) => format!("cannot reach the API server: {rest}"),
        None => text,
    }
}
