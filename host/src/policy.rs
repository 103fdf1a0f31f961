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
//! 4. Limits: memory, time, requests, sizes ([`Limits`]).

use std::fmt;
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

/// The one place a component may send HTTP requests: the endpoint's scheme,
/// host and port, normalised (host lowercased and IDNA-encoded, the scheme's
/// default port made explicit). `http` never matches an `https` endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authority {
    pub scheme: String,
    pub host: String,
    pub port: u16,
}

impl Authority {
    /// The authority of an endpoint URL. Errors are operator errors: the
    /// message names the setting's value and what is wrong with it.
    pub fn of_endpoint(endpoint: &str) -> Result<Self, String> {
        let url = url::Url::parse(endpoint)
            .map_err(|e| format!("endpoint {endpoint:?} is not a URL: {e}"))?;
        Self::of_url(&url).map_err(|e| format!("endpoint {endpoint:?} {e}"))
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
        Ok(Self {
            scheme: scheme.to_string(),
            host: host.to_string(),
            port,
        })
    }

    /// Whether a request for `scheme://authority` may go out.
    pub fn permits(&self, scheme: &str, authority: &str) -> Result<(), String> {
        let requested = url::Url::parse(&format!("{scheme}://{authority}/"))
            .map_err(|e| format!("request to {scheme}://{authority} is not a valid URL: {e}"))
            .and_then(|url| Self::of_url(&url))?;
        if requested == *self {
            Ok(())
        } else {
            Err(format!(
                "request to {requested} denied: only {self} is allowed"
            ))
        }
    }
}

impl fmt::Display for Authority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
    }
}

/// Every bound on a run. Defaults are generous for a real report (a few
/// hundred bytes out, a few KiB back, milliseconds of CPU) and small for
/// anything else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Linear memory of the component, all memories together.
    pub memory_bytes: usize,
    /// Elements of any one table.
    pub table_elements: usize,
    /// Wall-clock time for the component call, waiting on the network
    /// included. (Epoch ticks count wall time, so this also bounds CPU.)
    pub component_deadline: Duration,
    /// Outgoing HTTP requests per run.
    pub max_requests: u32,
    /// Bytes of one request body.
    pub max_request_body_bytes: u64,
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

impl Default for Limits {
    fn default() -> Self {
        Self {
            memory_bytes: 32 << 20,
            table_elements: 20_000,
            component_deadline: Duration::from_secs(30),
            max_requests: 1,
            max_request_body_bytes: 64 << 10,
            max_response_body_bytes: 1 << 20,
            connect_timeout: Duration::from_secs(10),
            first_byte_timeout: Duration::from_secs(15),
            between_bytes_timeout: Duration::from_secs(5),
            max_output_bytes: 16 << 10,
            max_outcome_bytes: 256 << 10,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(grant_for("upgrade-responder:telemetry/types@0.3.0").is_none());
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
    fn only_the_endpoint_authority_is_permitted() {
        let a = Authority::of_endpoint("https://upgrade.example.com/v1/checkupgrade").unwrap();
        assert!(a.permits("https", "upgrade.example.com").is_ok());
        assert!(a.permits("https", "UPGRADE.example.com:443").is_ok());
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
}
