//! Reads the cluster facts from the Kubernetes API: read-only, a handful of
//! requests, lists paged so memory does not grow with the cluster.
//!
//! What is read, and the permission each read needs (the deploy manifest's
//! RBAC grants exactly these):
//! - `GET /version`: the server version (every authenticated user may), read
//!   first (`open`): a run chooses its built-in component by it.
//! - `GET /api/v1/namespaces/kube-system`: its UID (get namespaces, name kube-system).
//! - `GET /api/v1/nodes?limit=N`: node facts (list nodes).
//! - `GET /apis/apps/v1/namespaces/kube-system/{deployments,daemonsets}?limit=N`:
//!   the kube-system workload summary (list, in kube-system only). Optional:
//!   a kind that cannot be read is listed in `unread_workloads`.
//! - `GET /apis/apps/v1/namespaces/<ns>/{deployments,daemonsets}?limit=N` for
//!   the few system namespaces of `system.rs` (calico-system,
//!   tigera-operator, cattle-system, the GPU operators'): list
//!   deployments and daemonsets, cluster-wide, because a Role cannot be
//!   bound in a namespace that does not exist yet; the host lists no other
//!   namespace. Optional: one that cannot be read is in `unread_namespaces`.
//! - `GET /api/v1/namespaces/default/services/kubernetes`: its IP families
//!   (get services, name kubernetes, in default). Optional: `unknown`.
//!
//! Every read but the version and the UID happens only when the component
//! asks for its kind (`facts-needed`); a kind not asked for is not requested
//! at all.

use std::io::Read as _;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use http_body_util::{BodyExt as _, Limited};
use kube::api::ListParams;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use serde::de::DeserializeOwned;
use tower_http::map_response_body::MapResponseBodyLayer;

use super::facts;
use super::objects::{self, List};
use super::system::{self, SYSTEM_READS};
use crate::ground::bindings::{
    ClusterFacts, FactKinds, IpStack, ServerVersion, SystemWorkload, Workload, WorkloadKind,
};
use crate::ground::vocabulary::{self, Vocabulary};

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
}

/// What the reads cost, for the debug log. Counts and sizes only: never a
/// name, a `continue` token or an answer's text.
#[derive(Default)]
struct Traffic {
    requests: u32,
    pages: u32,
    /// Response bytes as they came over the connection (gzip when the
    /// server compressed them).
    bytes_read: u64,
    /// The same responses decoded: what was parsed.
    decoded_bytes: u64,
}

async fn client(access: &Access) -> anyhow::Result<Client> {
    let mut config = match &access.kubeconfig {
        Some(path) => {
            // Read through the input door first (`settings::Config` checks
            // the kubeconfig: a regular file, bounded); kube reads it again
            // to make its relative certificate paths absolute.
            #[allow(clippy::disallowed_methods)]
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
    // A response is read whole before it is parsed: bound it, so a gigantic
    // page (or a server that never stops sending) ends the read, not the
    // process. Responses arrive gzipped (see `get`): this bounds what came
    // over the wire; `inflate` bounds what it inflates to.
    let limited = MapResponseBodyLayer::new(|body| Limited::new(body, MAX_RESPONSE_BYTES));
    Ok(builder.with_layer(&limited).build())
}

/// The most the host reads of one API response, compressed or decoded. A
/// page of the default 200 nodes is well under 10 MiB even with long image
/// lists.
pub const MAX_RESPONSE_BYTES: usize = 32 << 20;

/// Reads the facts of the `needed` kinds within the deadline, reduced
/// through `vocabulary`. Errors name the request that failed and, for a
/// 403, the permission that is missing.
pub async fn read(
    access: &Access,
    needed: FactKinds,
    vocabulary: &Vocabulary,
) -> anyhow::Result<Read> {
    open(access).await?.read(access, needed, vocabulary).await
}

/// The API server reached and its version read: the first request of
/// every read. A run chooses its built-in component by this version
/// before it asks the component which facts to read, then reads the rest
/// with [`Session::read`] on the same connection and deadline.
pub struct Session {
    client: Client,
    version: objects::Version,
    traffic: Traffic,
    /// The share of the deadline already spent.
    spent: Duration,
}

/// Connects and reads `GET /version`, within the deadline.
pub async fn open(access: &Access) -> anyhow::Result<Session> {
    let started = Instant::now();
    let mut traffic = Traffic::default();
    let opened = within(access, access.deadline, async {
        let client = client(access).await?;
        let version: objects::Version = get(
            &client,
            plain_get("/version")?,
            &mut traffic,
            &mut Vec::new(),
        )
        .await
        .map_err(|e| explain(e, "GET /version"))?;
        Ok((client, version))
    })
    .await;
    match opened {
        Ok((client, version)) => Ok(Session {
            client,
            version,
            traffic,
            spent: started.elapsed(),
        }),
        Err(error) => {
            log_traffic(&traffic, started.elapsed());
            Err(error)
        }
    }
}

impl Session {
    /// The server's version as the facts carry it (closed values only).
    pub fn server_version(&self) -> ServerVersion {
        facts::server_version(&self.version)
    }

    /// The rest of the facts of the `needed` kinds, in what is left of the
    /// deadline.
    pub async fn read(
        self,
        access: &Access,
        needed: FactKinds,
        vocabulary: &Vocabulary,
    ) -> anyhow::Result<Read> {
        let started = Instant::now();
        let Session {
            client,
            version,
            mut traffic,
            spent,
        } = self;
        let left = access.deadline.saturating_sub(spent);
        let read = within(
            access,
            left,
            read_rest(&client, access, version, needed, vocabulary, &mut traffic),
        )
        .await;
        log_traffic(&traffic, spent + started.elapsed());
        read
    }
}

/// `work` within `left` of the API deadline.
async fn within<T>(
    access: &Access,
    left: Duration,
    work: impl std::future::Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    tokio::time::timeout(left, work).await.unwrap_or_else(|_| {
        Err(anyhow::anyhow!(
            "the Kubernetes API did not answer within {} seconds ({})",
            access.deadline.as_secs(),
            crate::settings::API_DEADLINE
        ))
    })
}

fn log_traffic(traffic: &Traffic, elapsed: Duration) {
    tracing::debug!(
        "api: requests={} pages={} bytes_read={} decoded_bytes={} elapsed_ms={}",
        traffic.requests,
        traffic.pages,
        traffic.bytes_read,
        traffic.decoded_bytes,
        elapsed.as_millis()
    );
}

async fn read_rest(
    client: &Client,
    access: &Access,
    version: objects::Version,
    needed: FactKinds,
    vocabulary: &Vocabulary,
    traffic: &mut Traffic,
) -> anyhow::Result<Read> {
    let mut warnings = Vec::new();

    let namespace = kube::core::Request::new("/api/v1/namespaces")
        .get("kube-system", &Default::default())
        .context("cannot build the namespace request")?;
    let kube_system: objects::Namespace = get(client, namespace, traffic, &mut Vec::new())
        .await
        .map_err(|e| explain(e, "get namespace kube-system"))?;
    let cluster_uuid = vocabulary::cluster_uuid(&kube_system.metadata.uid.unwrap_or_default());

    let mut nodes = facts::NodeGroups::default();
    if needed.contains(FactKinds::NODES) {
        each_page(
            client,
            "/api/v1/nodes",
            access.page_size,
            "list nodes",
            traffic,
            |node: &objects::Node| nodes.add(facts::node(node)),
        )
        .await?;
    }

    let mut workloads: Vec<Workload> = Vec::new();
    let mut unread = Vec::new();
    let lists = [
        (
            FactKinds::DEPLOYMENTS,
            WorkloadKind::Deployment,
            "/apis/apps/v1/namespaces/kube-system/deployments",
            "list deployments in kube-system",
            "deployments",
        ),
        (
            FactKinds::DAEMON_SETS,
            WorkloadKind::DaemonSet,
            "/apis/apps/v1/namespaces/kube-system/daemonsets",
            "list daemonsets in kube-system",
            "daemonsets",
        ),
    ];
    for (flag, kind, path, what, plural) in lists {
        if !needed.contains(flag) {
            unread.push(kind);
            continue;
        }
        let listed = each_page(
            client,
            path,
            access.page_size,
            what,
            traffic,
            |w: &objects::Workload| workloads.push(facts::workload_of(kind, w, vocabulary)),
        )
        .await;
        if let Err(error) = listed {
            warnings.push(format!(
                "{error:#}; reporting kube-system {plural} as unread"
            ));
            unread.push(kind);
        }
    }
    // A failed list may have delivered pages before it failed: an unread
    // kind carries no workloads at all.
    workloads.retain(|w| !unread.contains(&w.kind));
    facts::sort_workloads(&mut workloads);

    let mut system_workloads: Vec<SystemWorkload> = Vec::new();
    let mut unread_namespaces = Vec::new();
    for read in SYSTEM_READS {
        if !needed.contains(read.flag) {
            unread_namespaces.push(read.namespace);
            continue;
        }
        // A namespace that does not exist lists as empty: not an error.
        let mut found = Vec::new();
        let listed = each_page(
            client,
            &read.path(),
            access.page_size,
            &read.what(),
            traffic,
            |w: &objects::Workload| found.push(facts::workload_of(read.kind, w, vocabulary)),
        )
        .await;
        match listed {
            Ok(()) => system_workloads.extend(found.into_iter().map(|workload| SystemWorkload {
                namespace: read.namespace,
                workload,
            })),
            Err(error) => {
                warnings.push(format!(
                    "{error:#}; reporting {} {} as unread",
                    read.name,
                    system::plural(read.kind)
                ));
                unread_namespaces.push(read.namespace);
            }
        }
    }
    system_workloads.sort();

    let mut ip_stack = IpStack::Unknown;
    if needed.contains(FactKinds::IP_STACK) {
        let what = "get service kubernetes in default";
        match get::<objects::Service>(
            client,
            plain_get(system::KUBERNETES_SERVICE_PATH)?,
            traffic,
            &mut Vec::new(),
        )
        .await
        {
            Ok(service) => {
                ip_stack = system::ip_stack(&service.spec.unwrap_or_default().ip_families);
            }
            Err(failure) => warnings.push(format!(
                "{:#}; reporting the IP stack as unknown",
                explain(failure, what)
            )),
        }
    }

    Ok(Read {
        facts: ClusterFacts {
            server_version: facts::server_version(&version),
            cluster_uuid,
            node_groups: nodes.into_groups(),
            kube_system_workloads: workloads,
            unread_workloads: unread,
            system_workloads,
            unread_namespaces,
            ip_stack,
        },
        warnings,
    })
}

fn plain_get(path: &str) -> anyhow::Result<http::Request<Vec<u8>>> {
    http::Request::get(path)
        .body(Vec::new())
        .with_context(|| format!("cannot build the request GET {path}"))
}

/// Lists `path` in pages of `page_size`, handing each object to `visit` as
/// its page arrives and dropping the page before the next is fetched: the
/// whole list is never held.
async fn each_page<T: DeserializeOwned>(
    client: &Client,
    path: &str,
    page_size: u32,
    what: &str,
    traffic: &mut Traffic,
    mut visit: impl FnMut(&T),
) -> anyhow::Result<()> {
    let started = Instant::now();
    let before = (traffic.bytes_read, traffic.decoded_bytes);
    let list = kube::core::Request::new(path);
    let mut params = ListParams::default().limit(page_size);
    let mut pages = 0;
    let mut items = 0;
    let mut seen = std::collections::HashSet::new();
    // One buffer for every page: a fresh one per page would be mapped and
    // unmapped by the allocator each time (musl's does), faulting in its
    // pages again.
    let mut inflated = Vec::new();
    loop {
        let request = list
            .list(&params)
            .with_context(|| format!("cannot build the request: {what}"))?;
        let page: List<T> = get(client, request, traffic, &mut inflated)
            .await
            .map_err(|e| explain(e, what))?;
        pages += 1;
        traffic.pages += 1;
        items += page.items.len();
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
            _ => break,
        }
    }
    tracing::debug!(
        "api: {what}: pages={pages} items={items} bytes_read={} decoded_bytes={} elapsed_ms={}",
        traffic.bytes_read - before.0,
        traffic.decoded_bytes - before.1,
        started.elapsed().as_millis()
    );
    Ok(())
}

/// Why one request gave no object.
enum Failure {
    /// The client's own error: connection, TLS, the API's Status.
    Kube(kube::Error),
    /// The answer inflates to more than [`MAX_RESPONSE_BYTES`].
    TooLarge,
    /// The answer is not the JSON expected.
    Undecodable(serde_json::Error),
}

/// One GET, asking for gzip as kubectl and client-go do (the API server
/// compresses answers above 128 KiB for clients that ask), inflated into
/// one buffer and parsed from it into `T`, keeping only `T`'s fields.
///
/// One page is held decoded at a time (about 1.4 MB at the default 200
/// nodes a page), and dropped before the next is asked for: parsing from a
/// buffer takes half the CPU of parsing from the inflating stream (serde
/// reads a stream byte by byte), for a bounded cost in memory.
///
/// kube's `gzip` feature is not used: it inflates inside kube's own stack,
/// where the compressed size can no longer be counted.
async fn get<T: DeserializeOwned>(
    client: &Client,
    request: http::Request<Vec<u8>>,
    traffic: &mut Traffic,
    inflated: &mut Vec<u8>,
) -> Result<T, Failure> {
    let (mut parts, body) = request.into_parts();
    parts.headers.insert(
        http::header::ACCEPT_ENCODING,
        http::HeaderValue::from_static("gzip"),
    );
    let request = http::Request::from_parts(parts, kube::client::Body::from(body));
    traffic.requests += 1;
    let response = client.send(request).await.map_err(Failure::Kube)?;
    let (parts, body) = response.into_parts();
    let gzip = parts
        .headers
        .get(http::header::CONTENT_ENCODING)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
    let wire = body.collect().await.map_err(Failure::Kube)?.to_bytes();
    traffic.bytes_read += wire.len() as u64;
    let decoded: &[u8] = if gzip {
        inflate(&wire, inflated)?;
        inflated
    } else {
        &wire
    };
    traffic.decoded_bytes += decoded.len() as u64;
    if parts.status.is_client_error() || parts.status.is_server_error() {
        return Err(status_failure(parts.status, decoded));
    }
    serde_json::from_slice(decoded).map_err(Failure::Undecodable)
}

/// A gzipped answer, inflated into `decoded` (emptied first), bounded by
/// [`MAX_RESPONSE_BYTES`].
fn inflate(wire: &[u8], decoded: &mut Vec<u8>) -> Result<(), Failure> {
    // The gzip trailer's last four bytes are the decoded size (mod 4 GiB):
    // sized once, the buffer is not regrown (and copied) as it fills.
    let stated = wire
        .last_chunk::<4>()
        .map_or(0, |size| u32::from_le_bytes(*size) as usize);
    decoded.clear();
    decoded.reserve(stated.min(MAX_RESPONSE_BYTES) + 1);
    flate2::read::GzDecoder::new(wire)
        .take(MAX_RESPONSE_BYTES as u64 + 1)
        .read_to_end(decoded)
        .map_err(|error| Failure::Undecodable(serde_json::Error::io(error)))?;
    if decoded.len() > MAX_RESPONSE_BYTES {
        return Err(Failure::TooLarge);
    }
    Ok(())
}

/// An error answer as the API's Status, as kube reads one: the Status
/// object when the body is one, else its text under the HTTP code (a
/// proxy's page, the rate limiter's plain text).
fn status_failure(code: http::StatusCode, body: &[u8]) -> Failure {
    let text = String::from_utf8_lossy(body);
    let status = serde_json::from_str::<kube::core::Status>(&text).unwrap_or_else(|_| {
        kube::core::Status::failure(text.trim(), "Failed to parse error data")
            .with_code(code.as_u16())
    });
    Failure::Kube(kube::Error::Api(status.boxed()))
}

/// An API error with the request it came from, and what to do about a 401
/// or 403.
fn explain(failure: Failure, request: &str) -> anyhow::Error {
    let error = match failure {
        Failure::Kube(error) => error,
        Failure::TooLarge => {
            return anyhow::anyhow!("Kubernetes API request failed: {request}: {}", too_large());
        }
        Failure::Undecodable(error) => {
            return anyhow::anyhow!(
                "Kubernetes API request failed: {request}: the answer is not the Kubernetes JSON expected: {}",
                undecodable(&error)
            );
        }
    };
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
            return too_large();
        }
        let text = cause.to_string();
        if !causes.last().is_some_and(|last| last.contains(&text)) {
            causes.push(text);
        }
        next = cause.source();
    }
    let text = causes.join(": ");
    match text.strip_prefix("ServiceError: ") {
        Some(rest) => format!("cannot reach the API server: {rest}"),
        None => text,
    }
}

fn too_large() -> String {
    format!(
        "the answer is larger than the {} MiB the host reads of one response (lower {})",
        MAX_RESPONSE_BYTES >> 20,
        crate::settings::PAGE_SIZE
    )
}

/// What is wrong with an answer, and where: never the value itself (serde
/// quotes it, and it may be an object's name).
fn undecodable(error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match error.classify() {
        Category::Eof => "it ends early",
        Category::Syntax => "it is not JSON",
        Category::Data => "a field has the wrong type",
        Category::Io => "it cannot be inflated (broken gzip)",
    };
    format!("{what} at line {} column {}", error.line(), error.column())
}
