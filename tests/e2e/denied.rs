//! Components whose egress the policy must deny: another authority, a second
//! request, an oversized body. The denial is logged as the run's first
//! warning, nothing reaches a server it should not, the run exits 0 and its
//! last warning says why the report was not sent. One test per `denied-`
//! component (generated from tests/components by tests/support/build.rs).

use ur_test_support::{ApiOptions, ApiServer, components};

use crate::common::{
    assert_table_names_components, cluster_dir, expectations, origin, responder, run_component,
    single_warning,
};

/// Where a case points the component (`denied-other-authority` posts to the
/// endpoint's `target` query parameter).
enum Target {
    /// The endpoint itself.
    Endpoint,
    /// A second upgrade-responder stand-in.
    AnotherServer,
    /// The endpoint's server under the name `localhost`.
    AnotherHostName,
    /// The endpoint, an https server, over plain http.
    PlainHttp,
}

/// One run of a denied component and what it must log.
struct Denied {
    target: Target,
    /// The first warning names the denial; `{requested}` and `{allowed}`
    /// stand for the origins of the request and of the endpoint.
    denial: &'static str,
    /// Requests the endpoint receives (all before the denied one).
    requests_sent: usize,
    /// Warnings logged: the denial, any count of further denials, the last.
    warnings: usize,
    /// What the last warning contains.
    warning: &'static [&'static str],
}

const AUTHORITY_DENIAL: &str = "request to {requested} denied: only {allowed} is allowed";

const DENIED_BY: &[(&str, Denied)] = &[
    (
        "denied-other-authority",
        Denied {
            target: Target::AnotherServer,
            denial: AUTHORITY_DENIAL,
            requests_sent: 0,
            warnings: 2,
            warning: &[
                "report not sent: request failed:",
                "request denied by the host (not the endpoint, or past a limit: the host's log says which) (HttpRequestDenied)",
            ],
        },
    ),
    (
        "denied-other-authority",
        Denied {
            target: Target::AnotherHostName,
            denial: AUTHORITY_DENIAL,
            requests_sent: 0,
            warnings: 2,
            warning: &["report not sent: request failed:"],
        },
    ),
    (
        "denied-other-authority",
        Denied {
            target: Target::PlainHttp,
            denial: AUTHORITY_DENIAL,
            requests_sent: 0,
            warnings: 2,
            warning: &["report not sent: request failed:"],
        },
    ),
    (
        "denied-many-requests",
        Denied {
            target: Target::Endpoint,
            denial: "request to {allowed} denied: request limit (1 per run) reached",
            requests_sent: 1,
            warnings: 2,
            warning: &[
                "report not sent: request failed: attempt 1: request denied by the host",
                "[request limit (1 per run) reached]",
            ],
        },
    ),
    (
        "denied-huge-request-body",
        Denied {
            target: Target::Endpoint,
            denial: "request of 10485760 bytes denied: request body limit (65536 bytes)",
            requests_sent: 0,
            warnings: 2,
            warning: &["[request body limit (65536 bytes) reached]"],
        },
    ),
    (
        "denied-trailing-dot-authority",
        Denied {
            target: Target::Endpoint,
            denial: "denied: the authority is not in normal form (write 127.0.0.1:",
            requests_sent: 0,
            warnings: 2,
            warning: &["report not sent: request failed: request denied by the host"],
        },
    ),
    (
        "denied-numeric-authority",
        Denied {
            target: Target::Endpoint,
            denial: "denied: the authority is not in normal form (write 127.0.0.1:",
            requests_sent: 0,
            warnings: 3,
            warning: &["report not sent: request failed: every spelling was denied"],
        },
    ),
];

fn is_denied_by_the_policy(name: &str, component: &str) {
    for expected in expectations(DENIED_BY, name, "denied") {
        let endpoint = responder();
        let elsewhere = responder();
        // The API stand-in speaks TLS: it serves as an https endpoint.
        let https = ApiServer::start(&cluster_dir("k3s-single"), ApiOptions::default()).unwrap();
        let https_url = format!("{}/v1/checkupgrade", https.url());
        let port = endpoint
            .url()
            .split(':')
            .nth(2)
            .unwrap()
            .split('/')
            .next()
            .unwrap()
            .to_string();
        let (endpoint_url, requested) = match expected.target {
            Target::Endpoint => (endpoint.url(), endpoint.url()),
            Target::AnotherServer => (endpoint.url(), elsewhere.url()),
            Target::AnotherHostName => (
                endpoint.url(),
                format!("http://localhost:{port}/v1/checkupgrade"),
            ),
            Target::PlainHttp => (
                https_url.clone(),
                https_url.replacen("https://", "http://", 1),
            ),
        };
        let url = match expected.target {
            Target::Endpoint => endpoint_url.clone(),
            _ => format!("{endpoint_url}?target={requested}"),
        };
        let ran = run_component(component, &url, &[]);

        let warn = ran.log_lines("WARN");
        let denial = expected
            .denial
            .replace("{requested}", &origin(&requested))
            .replace("{allowed}", &origin(&endpoint_url));
        assert!(!warn.is_empty(), "{name}: {}", ran.stderr);
        assert!(
            warn[0].contains(&denial),
            "{name}: {denial}: {}",
            ran.stderr
        );
        assert_eq!(warn.len(), expected.warnings, "{name}: {}", ran.stderr);
        let last = single_warning(&ran);
        for words in expected.warning {
            assert!(last.contains(words), "{name}: {last}");
        }
        assert_eq!(
            elsewhere.connection_count(),
            0,
            "nothing reached the other server"
        );
        match expected.target {
            Target::PlainHttp => assert_eq!(https.connection_count(), 0),
            _ => assert_eq!(
                endpoint.received().len(),
                expected.requests_sent,
                "{name}: requests that went out"
            ),
        }
        if expected.requests_sent == 0 {
            assert_eq!(endpoint.connection_count(), 0, "{name}");
        }
    }
}

macro_rules! denied {
    ($test:ident, $name:literal, $path:expr) => {
        #[test]
        fn $test() {
            is_denied_by_the_policy($name, $path);
        }
    };
}
ur_test_support::foreach_denied!(denied);

#[test]
fn every_expectation_is_for_a_denied_component() {
    assert_table_names_components(DENIED_BY, components::DENIED);
}
