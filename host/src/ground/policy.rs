//! The capability policy: everything a reporter component may do, in one
//! place. A security reviewer reads this file top to bottom; `sandbox.rs`
//! only carries it out.
//!
//! 1. Imports: a component may import the interfaces in [`ALLOWED_IMPORTS`]
//!    and nothing else; anything else is refused before it runs.
//! 2. Exports: it must export the functions [`REPORTER_CONTRACTS`] lists for
//!    its contract version (the `reporter` world).
//! 3. Egress: HTTP requests only to the configured endpoint's scheme, host
//!    and port ([`Authority`]).
//! 4. Headers it may not set ([`FORBIDDEN_REQUEST_HEADERS`]); no sockets,
//!    no name lookup ([`WASI_TCP`] and friends).
//! 5. Limits: memory, time, requests, sizes ([`Limits`], set by the
//!    operator within [`LIMIT_SETTINGS`]), and what the host holds for a
//!    component outside its memory ([`HOST_BUDGET`]).
//! 6. What it is told: the cluster's facts, in the closed vocabulary of
//!    `vocabulary.rs` (the other half of the privacy boundary), and only
//!    the kinds it asks for (`facts-needed`).
//!
//! `sandbox.rs` links exactly [`ALLOWED_IMPORTS`] (a test compares the
//! linker with the list) and carries out the rest.

use std::fmt;

use super::text::{log_text, redact_userinfo};
use std::time::Duration;

/// Why an interface is granted. Shown by `capabilities` and `inspect`.
pub struct Grant {
    /// The interface name without its version, e.g. `wasi:cli/stdout`.
    pub interface: &'static str,
    pub why: &'static str,
}

/// WASI 0.2 releases are backwards compatible: a component built against
/// any 0.2.x is served by this host's implementation of 0.2.
pub const WASI_VERSION_PREFIX: &str = "0.2.";

/// The interfaces a component may import. Not listed, so refused: every
/// `wasi:filesystem/*` and `wasi:sockets/*` interface (no files, no sockets,
/// no name lookup) and any custom import.
pub const ALLOWED_IMPORTS: &[Grant] = &[
    Grant {
        interface: "wasi:http/outgoing-handler",
        why: "POST the report; the host allows the endpoint's scheme, host and port only",
    },
    Grant {
        interface: "wasi:http/types",
        why: "request and response values for outgoing-handler",
    },
    Grant {
        interface: "wasi:io/error",
        why: "error values of streams",
    },
    Grant {
        interface: "wasi:io/poll",
        why: "waiting on the one request",
    },
    Grant {
        interface: "wasi:io/streams",
        why: "request and response bodies, stdout and stderr",
    },
    Grant {
        interface: "wasi:clocks/monotonic-clock",
        why: "timeouts",
    },
    Grant {
        interface: "wasi:clocks/wall-clock",
        why: "the time of day (Rust std imports it)",
    },
    Grant {
        interface: "wasi:random/random",
        why: "random bytes (hash map seeds)",
    },
    Grant {
        interface: "wasi:random/insecure",
        why: "Rust std imports it",
    },
    Grant {
        interface: "wasi:random/insecure-seed",
        why: "Rust std imports it",
    },
    Grant {
        interface: "wasi:cli/stdout",
        why: "diagnostics, size-capped, into the host's log",
    },
    Grant {
        interface: "wasi:cli/stderr",
        why: "diagnostics, size-capped, into the host's log",
    },
    Grant {
        interface: "wasi:cli/stdin",
        why: "linked but empty: stdin is closed",
    },
    Grant {
        interface: "wasi:cli/environment",
        why: "linked but empty: no variables, no arguments, no working directory",
    },
    Grant {
        interface: "wasi:cli/exit",
        why: "ending the run early",
    },
    Grant {
        interface: "wasi:cli/terminal-input",
        why: "Rust std imports it; there is no terminal",
    },
    Grant {
        interface: "wasi:cli/terminal-output",
        why: "Rust std imports it; there is no terminal",
    },
    Grant {
        interface: "wasi:cli/terminal-stdin",
        why: "Rust std imports it; there is no terminal",
    },
    Grant {
        interface: "wasi:cli/terminal-stdout",
        why: "Rust std imports it; there is no terminal",
    },
    Grant {
        interface: "wasi:cli/terminal-stderr",
        why: "Rust std imports it; there is no terminal",
    },
    Grant {
        interface: "upgrade-responder:telemetry/types",
        why: "the reporter's own record types (no functions)",
    },
];

/// The versions of the reporter contract (`upgrade-responder:telemetry`)
/// this host serves, newest first, each with the functions a component of
/// that version must export. A component's version is the version of the
/// types interface it imports; `contract.rs` carries the records across.
pub const REPORTER_CONTRACTS: &[(&str, &[&str])] = &[
    (
        "0.4.0",
        &["build-payload", "report", "request-schema", "facts-needed"],
    ),
    (
        "0.3.0",
        &["build-payload", "report", "request-schema", "facts-needed"],
    ),
    ("0.2.0", &["build-payload", "report", "request-schema"]),
    ("0.1.0", &["build-payload", "report"]),
];

/// Whether an import name (`wasi:cli/stdout@0.2.12`) is granted, and by
/// which grant.
pub fn grant_for(import: &str) -> Option<&'static Grant> {
    let (interface, version) = match import.split_once('@') {
        Some((interface, version)) => (interface, Some(version)),
        None => (import, None),
    };
    let grant = ALLOWED_IMPORTS.iter().find(|g| g.interface == interface)?;
    let version_ok = match version {
        None => false,
        Some(v) if interface.starts_with("upgrade-responder:") => {
            REPORTER_CONTRACTS.iter().any(|(served, _)| *served == v)
        }
        Some(v) => v.starts_with(WASI_VERSION_PREFIX),
    };
    version_ok.then_some(grant)
}

/// Request headers a component may not set, added to wasi-http's own list
/// (hop-by-hop and framing headers): the credentials and the client's name,
/// which the host sets itself after the egress check; the framing and
/// expectation headers wasi-http leaves open; and the headers a proxy or
/// server in front of the endpoint reads as the request's origin, route or
/// method, which beside the operator's bearer token could aim it elsewhere.
pub const FORBIDDEN_REQUEST_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "user-agent",
    "cookie",
    "te",
    "trailer",
    "expect",
    "max-forwards",
    "via",
    "forwarded",
    "x-real-ip",
    "x-original-url",
    "x-rewrite-url",
    "x-http-method-override",
    "x-http-method",
    "x-method-override",
];

/// Every header whose name starts with this is forbidden too
/// (`X-Forwarded-For`, `-Host`, `-Proto`, `-Port`, `-Prefix`, ...).
pub const FORBIDDEN_REQUEST_HEADER_PREFIX: &str = "x-forwarded-";

/// Whether a request header is forbidden to the component (and to the
/// operator's marker).
pub fn header_forbidden(name: &http::HeaderName) -> bool {
    wasmtime_wasi_http::DEFAULT_FORBIDDEN_HEADERS.contains(name)
        || FORBIDDEN_REQUEST_HEADERS.contains(&name.as_str())
        || name.as_str().starts_with(FORBIDDEN_REQUEST_HEADER_PREFIX)
}

/// The WASI context of every run: no preopened directories, no environment,
/// no arguments, stdin closed, no sockets and no name lookup (the sockets
/// interfaces are not linked either; these settings hold if they ever were).
pub const WASI_TCP: bool = false;
pub const WASI_UDP: bool = false;
pub const WASI_NAME_LOOKUP: bool = false;

/// What is never granted, whatever the settings: for `capabilities`.
pub const NEVER_GRANTED: &str =
    "files, sockets, name lookup, environment variables, arguments, stdin, the Kubernetes API.";

/// The one place a component may send HTTP requests: the endpoint's scheme,
/// host and port, normalised (host lowercased and IDNA-encoded, the scheme's
/// default port made explicit). `http` never matches an `https` endpoint.
///
/// A request's authority must be written in normal form (the host exactly
/// as normalised, an optional decimal port without leading zeros, no
/// userinfo): the host checks and connects to the same host and port, so no
/// second reading of the text (a resolver's, a server's `Host`) can differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authority {
    pub scheme: String,
    pub host: String,
    pub port: u16,
}

/// The most of a component's authority text a denial quotes.
const QUOTED_AUTHORITY_CHARS: usize = 200;

/// The longest endpoint URL the host takes: far beyond any real one, and
/// short enough for every log line that names it (the chart's values
/// schema holds the same bound).
pub const MAX_ENDPOINT_CHARS: usize = 2048;

impl Authority {
    /// The authority of an endpoint URL. Errors are operator errors: the
    /// message names the setting's value and what is wrong with it.
    pub fn of_endpoint(endpoint: &str) -> Result<Self, String> {
        // Shown redacted and cut: a 20 KB endpoint is not echoed whole.
        let shown = log_text(&redact_userinfo(endpoint), QUOTED_AUTHORITY_CHARS);
        let length = endpoint.chars().count();
        if length > MAX_ENDPOINT_CHARS {
            return Err(format!(
                "endpoint \"{shown}\" is {length} characters long; the host takes endpoints of up to {MAX_ENDPOINT_CHARS}"
            ));
        }
        let url = url::Url::parse(endpoint).map_err(|e| match e {
            url::ParseError::RelativeUrlWithoutBase => format!(
                "endpoint \"{shown}\" is not a URL: it has no scheme: write it as https://host[:port]/path"
            ),
            e => format!("endpoint \"{shown}\" is not a URL: {e}"),
        })?;
        let authority = Self::of_url(&url).map_err(|e| format!("endpoint \"{shown}\" {e}"))?;
        // The URL parser reads `http:///x` and `http:x` as host `x`: the
        // operator wrote no host, so none is guessed.
        let written = endpoint
            .split_once("://")
            .map(|(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or_default());
        if written.is_none_or(str::is_empty) {
            return Err(format!(
                "endpoint \"{shown}\" has no host: write it as scheme://host[:port]/path"
            ));
        }
        Ok(authority)
    }

    fn of_url(url: &url::Url) -> Result<Self, String> {
        let scheme = url.scheme();
        if scheme != "http" && scheme != "https" {
            return Err(format!("must be an http or https URL, not {scheme}:"));
        }
        let host = url.host_str().ok_or("has no host")?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(
                "must not carry credentials in the URL (use the token file setting)".into(),
            );
        }
        let port = url.port_or_known_default().ok_or("has no port")?;
        if port == 0 {
            return Err("has port 0, which no server listens on: give the server's port".into());
        }
        Ok(Self {
            scheme: scheme.to_string(),
            host: host.to_string(),
            port,
        })
    }

    /// The endpoint host as an IP address, if it is one: then the host
    /// connects to it without any name lookup.
    pub fn ip(&self) -> Option<std::net::IpAddr> {
        self.host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .ok()
    }

    /// Whether a request for `scheme://authority` may go out. `authority`
    /// is the component's raw text.
    pub fn permits(&self, scheme: &str, authority: &str) -> Result<(), String> {
        let quoted = quote(authority);
        let requested = url::Url::parse(&format!("{scheme}://{authority}/"))
            .map_err(|e| format!("request to {scheme}://{quoted} denied: not a valid URL: {e}"))
            .and_then(|url| {
                Self::of_url(&url)
                    .map_err(|e| format!("request to {scheme}://{quoted} denied: the URL {e}"))
            })?;
        if requested != *self {
            return Err(format!(
                "request to {requested} denied: only {self} is allowed"
            ));
        }
        let normal_short = requested.host.clone();
        let normal_long = format!("{}:{}", requested.host, requested.port);
        if authority != normal_short && authority != normal_long {
            return Err(format!(
                "request to {scheme}://{quoted} denied: the authority is not in normal form (write {normal_long}); only {self} is allowed"
            ));
        }
        Ok(())
    }
}

/// A component's text inside a log line: escaped (no control character
/// can start a new line) and cut to a bounded length.
fn quote(text: &str) -> String {
    log_text(&redact_userinfo(text), QUOTED_AUTHORITY_CHARS)
}

impl fmt::Display for Authority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
    }
}

/// What the host holds for a component outside its linear memory, and how
/// long loading it may take. Fixed: a job that makes one request needs a
/// few dozen handles and a few KiB of headers; these are not settings.
///
/// Host-side bytes held for a component are at most
/// `handles * max(fields_bytes, body_chunk_bytes) * 2` (a request holds its
/// headers and one buffered body chunk) plus one per-call copy, which is
/// bounded by the memory limit: about 4 MiB by default beside the memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostBudget {
    /// Live resources the host holds for the component (fields, requests,
    /// bodies, streams, pollables, responses), and, separately, live
    /// component-model handles in the store.
    pub handles: usize,
    /// Bytes of one `fields` value (headers or trailers), as wasi-http
    /// counts them in memory.
    pub fields_bytes: usize,
    /// Bytes of one write to an outgoing body; one such chunk is buffered
    /// per body until the request is sent.
    pub body_chunk_bytes: usize,
    /// Core instances, memories and tables of a component, counted
    /// together over the whole store. All memories' bytes together are
    /// bounded by `Limits::memory_bytes`.
    pub instances: usize,
    pub memories: usize,
    pub tables: usize,
    /// Bytes of a component file; compiling is bounded by this and by
    /// `load_deadline`.
    pub component_bytes: usize,
    /// Bytes of the largest function body and of all code together in a
    /// `.wasm`, checked before compiling: the compiler's memory grows with
    /// them, so they bound compiling in memory as the deadline does in time.
    pub function_bytes: usize,
    pub code_bytes: usize,
    pub load_deadline: Duration,
    /// Lines the host logs for one run's denied requests: the first is
    /// logged, the rest counted.
    pub denials_logged: u32,
    /// Characters of any one component-supplied text in a log line
    /// (reasons, versions, authorities); stdout and stderr are bounded by
    /// `Limits::max_output_bytes`.
    pub log_text_chars: usize,
}

pub const HOST_BUDGET: HostBudget = HostBudget {
    handles: 256,
    fields_bytes: 16 << 10,
    body_chunk_bytes: 16 << 10,
    instances: 20,
    memories: 20,
    tables: 20,
    component_bytes: 16 << 20,
    function_bytes: 256 << 10,
    code_bytes: 4 << 20,
    load_deadline: Duration::from_secs(10),
    denials_logged: 1,
    log_text_chars: 1024,
};

/// Every bound on a run that an operator may set. The defaults, ranges and
/// setting names are in [`LIMIT_SETTINGS`], the one table `config.rs` reads
/// and `capabilities` prints; fixed bounds are in [`HOST_BUDGET`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Linear memory of the component: all its memories together.
    pub memory_bytes: usize,
    /// Elements of any one table.
    pub table_elements: usize,
    /// Wall-clock time for the component call, waiting on the network
    /// included. (Epoch ticks count wall time, so this also bounds CPU.)
    pub component_deadline: Duration,
    /// Outgoing HTTP requests per run.
    pub max_requests: u32,
    /// Bytes of one request: request line, headers, body and trailers.
    pub max_request_bytes: u64,
    /// Bytes of one response body.
    pub max_response_body_bytes: u64,
    pub connect_timeout: Duration,
    pub first_byte_timeout: Duration,
    pub between_bytes_timeout: Duration,
    /// Bytes the component may write to stdout, and again to stderr; the rest
    /// is cut and marked as cut.
    pub max_output_bytes: usize,
    /// Bytes of text the component may return (payload, versions, reasons).
    pub max_outcome_bytes: usize,
}

/// The unit a limit setting is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Mib,
    Seconds,
    Count,
    Bytes,
}

/// One operator-settable limit: its setting, what it bounds, its default
/// and range (in the setting's unit), and where it lands in [`Limits`].
pub struct LimitSetting {
    pub key: &'static str,
    pub what: &'static str,
    pub unit: Unit,
    pub default: u64,
    pub min: u64,
    pub max: u64,
    set: fn(&mut Limits, u64),
    get: fn(&Limits) -> u64,
}

impl LimitSetting {
    pub fn apply(&self, limits: &mut Limits, value: u64) {
        (self.set)(limits, value)
    }

    pub fn value(&self, limits: &Limits) -> u64 {
        (self.get)(limits)
    }

    /// The value with its unit, for people.
    pub fn show(&self, limits: &Limits) -> String {
        let v = self.value(limits);
        match self.unit {
            Unit::Mib => format!("{} bytes", v << 20),
            Unit::Seconds => format!("{v} s"),
            Unit::Count => v.to_string(),
            Unit::Bytes => format!("{v} bytes"),
        }
    }
}

fn secs(d: Duration) -> u64 {
    d.as_secs()
}

/// The limits an operator may set, with their defaults and ranges.
pub const LIMIT_SETTINGS: &[LimitSetting] = &[
    LimitSetting {
        key: "UPGRADE_RESPONDER_MEMORY_LIMIT_MIB",
        what: "linear memory, all memories together",
        unit: Unit::Mib,
        default: 32,
        min: 1,
        max: 4096,
        set: |l, v| l.memory_bytes = (v as usize) << 20,
        get: |l| (l.memory_bytes >> 20) as u64,
    },
    LimitSetting {
        key: "UPGRADE_RESPONDER_TABLE_ELEMENTS",
        what: "table elements",
        unit: Unit::Count,
        default: 20_000,
        min: 1,
        max: 10_000_000,
        set: |l, v| l.table_elements = v as usize,
        get: |l| l.table_elements as u64,
    },
    LimitSetting {
        key: "UPGRADE_RESPONDER_DEADLINE_SECONDS",
        what: "wall-clock deadline (also bounds CPU)",
        unit: Unit::Seconds,
        default: 30,
        min: 1,
        max: 3600,
        set: |l, v| l.component_deadline = Duration::from_secs(v),
        get: |l| secs(l.component_deadline),
    },
    LimitSetting {
        key: "UPGRADE_RESPONDER_MAX_REQUESTS",
        what: "outgoing requests per run",
        unit: Unit::Count,
        default: 1,
        min: 0,
        max: 100,
        set: |l, v| l.max_requests = v as u32,
        get: |l| u64::from(l.max_requests),
    },
    LimitSetting {
        key: "UPGRADE_RESPONDER_MAX_REQUEST_BYTES",
        what: "request (line, headers, body, trailers)",
        unit: Unit::Bytes,
        default: 65_536,
        min: 0,
        max: 1 << 30,
        set: |l, v| l.max_request_bytes = v,
        get: |l| l.max_request_bytes,
    },
    LimitSetting {
        key: "UPGRADE_RESPONDER_MAX_RESPONSE_BYTES",
        what: "response body",
        unit: Unit::Bytes,
        default: 1_048_576,
        min: 0,
        max: 1 << 30,
        set: |l, v| l.max_response_body_bytes = v,
        get: |l| l.max_response_body_bytes,
    },
    LimitSetting {
        key: "UPGRADE_RESPONDER_CONNECT_TIMEOUT_SECONDS",
        what: "connect timeout",
        unit: Unit::Seconds,
        default: 10,
        min: 1,
        max: 3600,
        set: |l, v| l.connect_timeout = Duration::from_secs(v),
        get: |l| secs(l.connect_timeout),
    },
    LimitSetting {
        key: "UPGRADE_RESPONDER_FIRST_BYTE_TIMEOUT_SECONDS",
        what: "first-byte timeout",
        unit: Unit::Seconds,
        default: 15,
        min: 1,
        max: 3600,
        set: |l, v| l.first_byte_timeout = Duration::from_secs(v),
        get: |l| secs(l.first_byte_timeout),
    },
    LimitSetting {
        key: "UPGRADE_RESPONDER_BETWEEN_BYTES_TIMEOUT_SECONDS",
        what: "between-bytes timeout",
        unit: Unit::Seconds,
        default: 5,
        min: 1,
        max: 3600,
        set: |l, v| l.between_bytes_timeout = Duration::from_secs(v),
        get: |l| secs(l.between_bytes_timeout),
    },
    LimitSetting {
        key: "UPGRADE_RESPONDER_MAX_OUTPUT_BYTES",
        what: "stdout and stderr, each",
        unit: Unit::Bytes,
        default: 16_384,
        min: 0,
        max: 1 << 30,
        set: |l, v| l.max_output_bytes = v as usize,
        get: |l| l.max_output_bytes as u64,
    },
    LimitSetting {
        key: "UPGRADE_RESPONDER_MAX_OUTCOME_BYTES",
        what: "returned outcome",
        unit: Unit::Bytes,
        default: 262_144,
        min: 1,
        max: 1 << 30,
        set: |l, v| l.max_outcome_bytes = v as usize,
        get: |l| l.max_outcome_bytes as u64,
    },
];

impl Default for Limits {
    /// Every limit at its setting's default.
    fn default() -> Self {
        let mut limits = Self {
            memory_bytes: 0,
            table_elements: 0,
            component_deadline: Duration::ZERO,
            max_requests: 0,
            max_request_bytes: 0,
            max_response_body_bytes: 0,
            connect_timeout: Duration::ZERO,
            first_byte_timeout: Duration::ZERO,
            between_bytes_timeout: Duration::ZERO,
            max_output_bytes: 0,
            max_outcome_bytes: 0,
        };
        for setting in LIMIT_SETTINGS {
            setting.apply(&mut limits, setting.default);
        }
        limits
    }
}

/// Every bound in force, for `capabilities`: (setting or "fixed", what,
/// value). Settable limits first, then the fixed host budget.
pub fn limit_rows(limits: &Limits) -> Vec<(&'static str, &'static str, String)> {
    let mut rows: Vec<(&'static str, &'static str, String)> = LIMIT_SETTINGS
        .iter()
        .map(|s| (s.key, s.what, s.show(limits)))
        .collect();
    let b = &HOST_BUDGET;
    rows.extend([
        (
            "fixed",
            "host resources (handles) held for the component",
            b.handles.to_string(),
        ),
        (
            "fixed",
            "headers or trailers, one fields value",
            format!("{} bytes", b.fields_bytes),
        ),
        (
            "fixed",
            "outgoing body chunk buffered per body",
            format!("{} bytes", b.body_chunk_bytes),
        ),
        (
            "fixed",
            "bytes copied in one call (= memory limit)",
            format!("{} bytes", limits.memory_bytes),
        ),
        (
            "fixed",
            "core instances / memories / tables",
            format!("{} / {} / {}", b.instances, b.memories, b.tables),
        ),
        (
            "fixed",
            "component file",
            format!("{} bytes", b.component_bytes),
        ),
        (
            "fixed",
            "loading (compiling) the component",
            format!("{} s", b.load_deadline.as_secs()),
        ),
        (
            "fixed",
            "denied requests logged (the rest counted)",
            b.denials_logged.to_string(),
        ),
        (
            "fixed",
            "component text quoted in one log line",
            format!("{} characters", b.log_text_chars),
        ),
        (
            "derived",
            "host memory held for the component, at most",
            format!("{} bytes", held_bytes(limits)),
        ),
    ]);
    rows
}

/// The most memory the host holds for one run's component, from the
/// limits in force: its memories, what the host holds per handle (one
/// `fields` value and one buffered body chunk), one per-call copy of a
/// returned value (bounded by the memory limit), and the two capped output
/// streams. Denied requests add nothing: their bodies are drained, never
/// buffered. SECURITY.md states the same sum.
pub fn held_bytes(limits: &Limits) -> u64 {
    let b = &HOST_BUDGET;
    let per_handle = (b.fields_bytes + b.body_chunk_bytes) as u64;
    limits.memory_bytes as u64 * 2
        + b.handles as u64 * per_handle
        + 2 * limits.max_output_bytes as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_without_a_usable_authority_are_refused_without_their_userinfo() {
        for (endpoint, refused) in [
            (
                "http://127.0.0.1:0/",
                "endpoint \"http://127.0.0.1:0/\" has port 0, which no server listens on: give the server's port",
            ),
            (
                "http:///x",
                "endpoint \"http:///x\" has no host: write it as scheme://host[:port]/path",
            ),
            (
                "http:x",
                "endpoint \"http:x\" has no host: write it as scheme://host[:port]/path",
            ),
        ] {
            assert_eq!(Authority::of_endpoint(endpoint).unwrap_err(), refused);
        }
        let refused = Authority::of_endpoint("https://user:s3cret@x/").unwrap_err();
        assert!(!refused.contains("s3cret"), "{refused}");
        let unparsable = Authority::of_endpoint("https://user:s3cret@bad host/").unwrap_err();
        assert!(!unparsable.contains("s3cret"), "{unparsable}");
    }

    #[test]
    fn origin_route_method_and_framing_headers_are_forbidden_plain_ones_not() {
        for name in [
            "authorization",
            "cookie",
            "user-agent",
            "host",
            "transfer-encoding",
            "connection",
            "te",
            "trailer",
            "expect",
            "via",
            "forwarded",
            "x-forwarded-for",
            "x-forwarded-host",
            "x-forwarded-proto",
            "x-original-url",
            "x-rewrite-url",
            "x-http-method-override",
            "x-real-ip",
            "max-forwards",
        ] {
            let header = http::HeaderName::from_static(name);
            assert!(header_forbidden(&header), "{name} is allowed");
        }
        for name in [
            "content-type",
            "accept",
            "x-telemetry-client",
            "x-request-id",
        ] {
            let header = http::HeaderName::from_static(name);
            assert!(!header_forbidden(&header), "{name} is forbidden");
        }
    }

    #[test]
    fn wasi_02_imports_of_any_patch_are_granted_others_not() {
        assert!(grant_for("wasi:http/outgoing-handler@0.2.12").is_some());
        assert!(grant_for("wasi:cli/stdout@0.2.0").is_some());
        assert!(grant_for("wasi:cli/stdout@0.3.0").is_none());
        assert!(grant_for("wasi:cli/stdout").is_none());
        assert!(grant_for("wasi:filesystem/preopens@0.2.12").is_none());
        assert!(grant_for("wasi:sockets/tcp@0.2.12").is_none());
        assert!(grant_for("wasi:sockets/ip-name-lookup@0.2.12").is_none());
        assert!(grant_for("upgrade-responder:telemetry/types@0.1.0").is_some());
        assert!(grant_for("upgrade-responder:telemetry/types@0.2.0").is_some());
        assert!(grant_for("upgrade-responder:telemetry/types@0.3.0").is_some());
        assert!(grant_for("upgrade-responder:telemetry/types@0.5.0").is_none());
        assert!(grant_for("acme:spy/exfiltrate@1.0.0").is_none());
    }

    #[test]
    fn endpoint_authority_is_normalised() {
        let a = Authority::of_endpoint("https://Upgrade.Example.COM/v1/checkupgrade").unwrap();
        assert_eq!(a.to_string(), "https://upgrade.example.com:443");
        let a = Authority::of_endpoint("http://127.0.0.1:8314/v1/checkupgrade").unwrap();
        assert_eq!(a.to_string(), "http://127.0.0.1:8314");
        let idn = Authority::of_endpoint("https://bücher.example/v1").unwrap();
        assert_eq!(idn.host, "xn--bcher-kva.example");
    }

    #[test]
    fn bad_endpoints_are_operator_errors() {
        assert!(
            Authority::of_endpoint("ftp://x/y")
                .unwrap_err()
                .contains("http or https")
        );
        assert!(
            Authority::of_endpoint("not a url")
                .unwrap_err()
                .contains("not a URL")
        );
        assert!(
            Authority::of_endpoint("https://user:pw@x/")
                .unwrap_err()
                .contains("credentials")
        );
    }

    #[test]
    fn an_endpoint_is_taken_up_to_its_bound_and_refused_past_it_in_one_short_line() {
        let at_bound = format!("https://x.example/{}", "p".repeat(MAX_ENDPOINT_CHARS - 18));
        assert_eq!(at_bound.len(), MAX_ENDPOINT_CHARS);
        assert!(Authority::of_endpoint(&at_bound).is_ok());
        let past = format!("http://{}.example/", "e".repeat(20_000));
        let error = Authority::of_endpoint(&past).unwrap_err();
        assert_eq!(
            error,
            format!(
                "endpoint \"http://{}[... 19816 more characters cut]\" is 20016 characters long; the host takes endpoints of up to 2048",
                "e".repeat(193)
            )
        );
    }

    #[test]
    fn only_the_endpoint_authority_is_permitted() {
        let a = Authority::of_endpoint("https://upgrade.example.com/v1/checkupgrade").unwrap();
        assert!(a.permits("https", "upgrade.example.com").is_ok());
        assert!(a.permits("https", "upgrade.example.com:443").is_ok());
        assert!(
            a.permits("http", "upgrade.example.com").is_err(),
            "no downgrade to http"
        );
        assert!(a.permits("http", "upgrade.example.com:443").is_err());
        assert!(a.permits("https", "upgrade.example.com:8443").is_err());
        assert!(a.permits("https", "evil.example").is_err());
        assert!(
            a.permits("https", "upgrade.example.com.evil.example")
                .is_err()
        );
        assert_eq!(
            a.permits("https", "evil.example").unwrap_err(),
            "request to https://evil.example:443 denied: only https://upgrade.example.com:443 is allowed"
        );
        let idn = Authority::of_endpoint("https://bücher.example/v1").unwrap();
        assert!(idn.permits("https", "xn--bcher-kva.example").is_ok());
    }

    /// The host connects to what it checked: an authority that a parser
    /// reads as the endpoint but that is written otherwise is denied.
    #[test]
    fn only_the_normal_form_of_the_endpoint_authority_is_permitted() {
        let a = Authority::of_endpoint("http://127.0.0.1:8314/v1/checkupgrade").unwrap();
        assert!(a.permits("http", "127.0.0.1:8314").is_ok());
        for odd in [
            "127.0.0.1.:8314",
            "2130706433:8314",
            "0x7f.1:8314",
            "0177.0.0.1:8314",
            "127.1:8314",
            "user@127.0.0.1:8314",
            "@127.0.0.1:8314",
            "127.0.0.1:08314",
            "127.0.0.1:018314",
        ] {
            let denied = a.permits("http", odd);
            assert!(denied.is_err(), "{odd} was permitted");
        }
        assert_eq!(
            a.permits("http", "2130706433:8314").unwrap_err(),
            "request to http://2130706433:8314 denied: the authority is not in normal form (write 127.0.0.1:8314); only http://127.0.0.1:8314 is allowed"
        );
        let named = Authority::of_endpoint("https://upgrade.example.com/v1").unwrap();
        assert!(named.permits("https", "upgrade.example.com.").is_err());
        assert!(named.permits("https", "UPGRADE.example.com").is_err());
        assert!(named.permits("https", "upgrade.example.com:443").is_ok());
        assert_eq!(a.ip(), Some(std::net::Ipv4Addr::LOCALHOST.into()));
        assert_eq!(named.ip(), None);
        let v6 = Authority::of_endpoint("http://[::1]:8314/").unwrap();
        assert!(v6.permits("http", "[::1]:8314").is_ok());
        assert!(v6.permits("http", "[0::1]:8314").is_err());
        assert_eq!(v6.ip(), Some(std::net::Ipv6Addr::LOCALHOST.into()));
    }

    #[test]
    fn the_default_limits_are_the_settings_defaults() {
        let limits = Limits::default();
        assert_eq!(limits.memory_bytes, 32 << 20);
        assert_eq!(limits.max_request_bytes, 64 << 10);
        for setting in LIMIT_SETTINGS {
            assert_eq!(setting.value(&limits), setting.default, "{}", setting.key);
            assert!((setting.min..=setting.max).contains(&setting.default));
        }
        let rows = limit_rows(&limits);
        assert_eq!(rows.len(), LIMIT_SETTINGS.len() + 10);
        // 32 MiB x 2 + 256 x 32 KiB + 2 x 16 KiB
        assert_eq!(held_bytes(&limits), (64 << 20) + (8 << 20) + (32 << 10));
        assert!(rows.contains(&(
            "UPGRADE_RESPONDER_MEMORY_LIMIT_MIB",
            "linear memory, all memories together",
            "33554432 bytes".to_string()
        )));
    }
}
