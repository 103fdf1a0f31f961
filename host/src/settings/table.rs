//! The one list of settings: each one's name, default, example and help.
//! The README's table, the `config` command and validation are made from it.

use crate::ground::input;

/// The endpoint from the K3s design record.
pub const DEFAULT_ENDPOINT: &str = "https://k3s-upgrade-responder.rancher.io/v1/checkupgrade";

/// Where the manifest mounts the packaged ConfigMap and the user's one.
pub const DEFAULT_CONFIG_DIRS: &str =
    "/etc/upgrade-responder/defaults:/etc/upgrade-responder/overrides";

pub struct Setting {
    pub key: &'static str,
    /// What the value names: the tests try every path-valued setting
    /// against hostile paths, and a setting without a kind cannot be added.
    pub value: Value,
    pub default: &'static str,
    pub example: &'static str,
    pub help: &'static str,
}

/// What a setting's value is, for the host and for the tests that try
/// every file a setting names against hostile paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    /// A word, number, flag, URL or header.
    Text,
    /// A file the host reads, through the input door with this kind's bound.
    ReadFile(input::Kind),
    /// A file the host writes, through the output door.
    WriteFile,
    /// Directories of setting files (`:`-separated), each file read through
    /// the input door as a setting file.
    Dirs,
}

pub const ENABLED: &str = "UPGRADE_RESPONDER_ENABLED";
pub const ENDPOINT: &str = "UPGRADE_RESPONDER_ENDPOINT";
pub const FIELD_MODE: &str = "UPGRADE_RESPONDER_FIELD_MODE";
pub const CHANNEL: &str = "UPGRADE_RESPONDER_CHANNEL";
pub const TERMINATION_MESSAGE_PATH: &str = "UPGRADE_RESPONDER_TERMINATION_MESSAGE_PATH";
pub const COMPONENT: &str = "UPGRADE_RESPONDER_COMPONENT";
pub const COMPONENT_SHA256: &str = "UPGRADE_RESPONDER_COMPONENT_SHA256";
pub const FACTS: &str = "UPGRADE_RESPONDER_FACTS";
pub const DRY_RUN: &str = "UPGRADE_RESPONDER_DRY_RUN";
pub const SAMPLE_ANSWER: &str = "UPGRADE_RESPONDER_SAMPLE_ANSWER";
pub const KUBECONFIG: &str = "UPGRADE_RESPONDER_KUBECONFIG";
pub const API_DEADLINE: &str = "UPGRADE_RESPONDER_API_DEADLINE_SECONDS";
pub const PAGE_SIZE: &str = "UPGRADE_RESPONDER_PAGE_SIZE";
pub const LOG_LEVEL: &str = "UPGRADE_RESPONDER_LOG_LEVEL";
pub const LOG_FORMAT: &str = "UPGRADE_RESPONDER_LOG_FORMAT";
pub const CONFIG_DIRS: &str = "UPGRADE_RESPONDER_CONFIG_DIRS";
pub const MEMORY_LIMIT: &str = "UPGRADE_RESPONDER_MEMORY_LIMIT_MIB";
pub const DEADLINE: &str = "UPGRADE_RESPONDER_DEADLINE_SECONDS";
pub const MAX_REQUESTS: &str = "UPGRADE_RESPONDER_MAX_REQUESTS";
pub const SPREAD: &str = "UPGRADE_RESPONDER_SPREAD_SECONDS";
pub const TOKEN_FILE: &str = "UPGRADE_RESPONDER_TOKEN_FILE";
pub const CA_FILE: &str = "UPGRADE_RESPONDER_CA_FILE";
pub const TABLE_LIMIT: &str = "UPGRADE_RESPONDER_TABLE_ELEMENTS";
pub const MAX_REQUEST_BYTES: &str = "UPGRADE_RESPONDER_MAX_REQUEST_BYTES";
pub const MAX_RESPONSE_BYTES: &str = "UPGRADE_RESPONDER_MAX_RESPONSE_BYTES";
pub const CONNECT_TIMEOUT: &str = "UPGRADE_RESPONDER_CONNECT_TIMEOUT_SECONDS";
pub const FIRST_BYTE_TIMEOUT: &str = "UPGRADE_RESPONDER_FIRST_BYTE_TIMEOUT_SECONDS";
pub const BETWEEN_BYTES_TIMEOUT: &str = "UPGRADE_RESPONDER_BETWEEN_BYTES_TIMEOUT_SECONDS";
pub const MAX_OUTPUT_BYTES: &str = "UPGRADE_RESPONDER_MAX_OUTPUT_BYTES";
pub const MAX_OUTCOME_BYTES: &str = "UPGRADE_RESPONDER_MAX_OUTCOME_BYTES";
pub const EXTRA_SOFTWARE: &str = "UPGRADE_RESPONDER_EXTRA_SOFTWARE";
pub const USER_AGENT: &str = "UPGRADE_RESPONDER_USER_AGENT";
pub const MARKER: &str = "UPGRADE_RESPONDER_MARKER";

pub const SETTINGS: &[Setting] = &[
    Setting {
        key: ENABLED,
        value: Value::Text,
        default: "true",
        example: "false",
        help: "Opt-out: false makes a run exit at once, contacting nothing (not even the Kubernetes API).",
    },
    Setting {
        key: ENDPOINT,
        value: Value::Text,
        default: DEFAULT_ENDPOINT,
        example: "https://metrics.example.com/v1/checkupgrade",
        help: "The upgrade-responder URL (http or https, at most 2048 characters). The component may reach this scheme, host and port only.",
    },
    Setting {
        key: FIELD_MODE,
        value: Value::Text,
        default: "minimal",
        example: "standard",
        help: "What the component sends: minimal (the design record's payload) or standard (adds anonymous extended fields, where the component supports them).",
    },
    Setting {
        key: CHANNEL,
        value: Value::Text,
        default: "stable",
        example: "latest",
        help: "The release channel to follow: the server tag that names the final upgrade target of the upgrade notice.",
    },
    Setting {
        key: TERMINATION_MESSAGE_PATH,
        value: Value::WriteFile,
        default: "/dev/termination-log",
        example: "/tmp/upgrade-notice",
        help: "Where each run's one-line outcome (the upgrade notice, or why there is none: a failure, a disabled run) is written for `kubectl describe pod` (the pod's terminationMessagePath). Written only if the file exists or this is set, and only into a regular file (never a symlink, device or FIFO); never fails a run.",
    },
    Setting {
        key: COMPONENT,
        value: Value::ReadFile(input::COMPONENT),
        default: "",
        example: "builtin:rke2",
        help: "The reporter component to run. Empty: the built-in one the cluster's version chooses (a `/version` gitVersion ending in `+rke2rN`: the RKE2 reporter; anything else: the K3s reporter). `builtin:k3s` or `builtin:rke2`: that built-in component. Anything else: the path of a component file.",
    },
    Setting {
        key: COMPONENT_SHA256,
        value: Value::Text,
        default: "",
        example: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        help: "The sha256 the component file must have, as `upgrade-responder compile` prints it. Required for a precompiled component (native code, loaded only if its digest matches); checked for a .wasm when set.",
    },
    Setting {
        key: FACTS,
        value: Value::ReadFile(input::FACTS_FILE),
        default: "",
        example: "tests/fixtures/facts/k3s-ha.json",
        help: "Read cluster facts from this JSON file (the format `facts` prints) instead of the Kubernetes API.",
    },
    Setting {
        key: EXTRA_SOFTWARE,
        value: Value::Text,
        default: "",
        example: "bespoke-ingress,acme-cni",
        help: "Software names added to the host's list (names only, comma-separated, each 1-40 of a-z, 0-9, -): a kube-system workload or image whose name or repository contains one as a word reaches the component as that name instead of `other`.",
    },
    Setting {
        key: DRY_RUN,
        value: Value::Text,
        default: "false",
        example: "true",
        help: "Print the exact payload on stdout and send nothing.",
    },
    Setting {
        key: SAMPLE_ANSWER,
        value: Value::ReadFile(input::SAMPLE_ANSWER),
        default: "",
        example: "/tmp/answer.json",
        help: "Dry runs only: an upgrade-responder answer (JSON, at most 1 MiB) to preview the upgrade and security notice with. The component's report runs against it instead of the endpoint; nothing leaves the machine.",
    },
    Setting {
        key: KUBECONFIG,
        value: Value::ReadFile(input::KUBECONFIG),
        default: "",
        example: "/root/.kube/config",
        help: "Kubeconfig for local runs. Empty: $KUBECONFIG, ~/.kube/config, then the in-cluster service account.",
    },
    Setting {
        key: API_DEADLINE,
        value: Value::Text,
        default: "20",
        example: "60",
        help: "Reading the cluster facts from the Kubernetes API must finish within this many seconds; no request is retried.",
    },
    Setting {
        key: PAGE_SIZE,
        value: Value::Text,
        default: "200",
        example: "500",
        help: "Objects per list request (nodes, workloads); memory stays flat as clusters grow.",
    },
    Setting {
        key: TOKEN_FILE,
        value: Value::ReadFile(input::TOKEN_FILE),
        default: "",
        example: "/var/run/secrets/upgrade-responder/token",
        help: "File holding a bearer token (a mounted Secret). The host adds `Authorization: Bearer` to requests for the endpoint; the component never sees it and it is never logged.",
    },
    Setting {
        key: USER_AGENT,
        value: Value::Text,
        default: "",
        example: "acme-k3s-fleet/2.1",
        help: "The `User-Agent` of the report request. Empty: upgrade-responder/<version>. The host sets it; the component cannot.",
    },
    Setting {
        key: MARKER,
        value: Value::Text,
        default: "",
        example: "X-Productive-K3S-Telemetry: pk3s-public-v1",
        help: "A public marker header (`Name: value`) the host adds to the report request, so the receiving side can tell these anonymous reports from other traffic. Empty: none. The component cannot set or change it.",
    },
    Setting {
        key: CA_FILE,
        value: Value::ReadFile(input::CA_BUNDLE),
        default: "",
        example: "/etc/upgrade-responder/ca/ca.crt",
        help: "PEM bundle of extra CA certificates trusted for an https endpoint (a private CA), on top of the public web roots compiled in.",
    },
    Setting {
        key: TABLE_LIMIT,
        value: Value::Text,
        default: "20000",
        example: "50000",
        help: "Elements any one table of the component may hold.",
    },
    Setting {
        key: MAX_REQUEST_BYTES,
        value: Value::Text,
        default: "65536",
        example: "262144",
        help: "Bytes of one request the component may send: request line, headers, body and trailers.",
    },
    Setting {
        key: MAX_RESPONSE_BYTES,
        value: Value::Text,
        default: "1048576",
        example: "4194304",
        help: "Bytes of one response body the component may read.",
    },
    Setting {
        key: CONNECT_TIMEOUT,
        value: Value::Text,
        default: "10",
        example: "5",
        help: "Seconds to connect (TCP and TLS) to the endpoint.",
    },
    Setting {
        key: FIRST_BYTE_TIMEOUT,
        value: Value::Text,
        default: "15",
        example: "30",
        help: "Seconds from sending the request to the first byte of the answer.",
    },
    Setting {
        key: BETWEEN_BYTES_TIMEOUT,
        value: Value::Text,
        default: "5",
        example: "10",
        help: "Seconds the answer may pause between two chunks.",
    },
    Setting {
        key: MAX_OUTPUT_BYTES,
        value: Value::Text,
        default: "16384",
        example: "65536",
        help: "Bytes of stdout, and again of stderr, kept from the component (into the log); the rest is cut and marked.",
    },
    Setting {
        key: MAX_OUTCOME_BYTES,
        value: Value::Text,
        default: "262144",
        example: "1048576",
        help: "Bytes of text the component may return (payload, offered versions, error reasons).",
    },
    Setting {
        key: SPREAD,
        value: Value::Text,
        default: "0",
        example: "900",
        help: "Wait a delay from 0 to this many seconds, fixed per cluster (derived from the kube-system UID), before reporting, so a fleet on one schedule does not report in the same second. Not applied in a dry run.",
    },
    Setting {
        key: LOG_LEVEL,
        value: Value::Text,
        default: "info",
        example: "debug",
        help: "error, warn, info or debug. Logs go to stderr; at info a run logs one summary line.",
    },
    Setting {
        key: LOG_FORMAT,
        value: Value::Text,
        default: "text",
        example: "json",
        help: "text (one line per event) or json (one JSON object per line, the summary's values as fields).",
    },
    Setting {
        key: CONFIG_DIRS,
        value: Value::Dirs,
        default: DEFAULT_CONFIG_DIRS,
        example: "/etc/upgrade-responder/defaults",
        help: "Colon-separated directories holding settings as files (mounted ConfigMaps); later ones win. Missing ones are skipped.",
    },
    Setting {
        key: MEMORY_LIMIT,
        value: Value::Text,
        default: "32",
        example: "64",
        help: "Linear memory the component may use, all its memories together, in MiB.",
    },
    Setting {
        key: DEADLINE,
        value: Value::Text,
        default: "30",
        example: "60",
        help: "Wall-clock deadline of the component call (network waits included), in seconds.",
    },
    Setting {
        key: MAX_REQUESTS,
        value: Value::Text,
        default: "1",
        example: "2",
        help: "Outgoing HTTP requests the component may make per run.",
    },
];

/// Every setting's name starts with this.
pub const PREFIX: &str = "UPGRADE_RESPONDER_";
