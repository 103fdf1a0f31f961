//! Settings: one name each, looked up in this order (first found wins):
//! 1. a command-line flag (local runs),
//! 2. the environment variable of that name,
//! 3. a file of that name in a config directory (a mounted ConfigMap; with
//!    several directories, the later one wins: packaged defaults first, the
//!    user's overrides after),
//! 4. the default.
//!
//! The table below is the only list of settings; the README's table and the
//! `config` command are made from it.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::bindings::FieldMode;
use crate::input;
use crate::policy::{self, Authority, Limits};
use crate::vocabulary::Vocabulary;

/// The endpoint from the K3s design record.
pub const DEFAULT_ENDPOINT: &str = "https://k3s-upgrade-responder.rancher.io/v1/checkupgrade";

/// Where the manifest mounts the packaged ConfigMap and the user's one.
pub const DEFAULT_CONFIG_DIRS: &str =
    "/etc/upgrade-responder/defaults:/etc/upgrade-responder/overrides";

pub struct Setting {
    pub key: &'static str,
    pub default: &'static str,
    pub example: &'static str,
    pub help: &'static str,
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
        default: "true",
        example: "false",
        help: "Opt-out: false makes a run exit at once, contacting nothing (not even the Kubernetes API).",
    },
    Setting {
        key: ENDPOINT,
        default: DEFAULT_ENDPOINT,
        example: "https://metrics.example.com/v1/checkupgrade",
        help: "The upgrade-responder URL (http or https). The component may reach this scheme, host and port only.",
    },
    Setting {
        key: FIELD_MODE,
        default: "minimal",
        example: "standard",
        help: "What the component sends: minimal (the design record's payload) or standard (adds anonymous extended fields, where the component supports them).",
    },
    Setting {
        key: CHANNEL,
        default: "stable",
        example: "latest",
        help: "The release channel to follow: the server tag that names the final upgrade target of the upgrade notice.",
    },
    Setting {
        key: TERMINATION_MESSAGE_PATH,
        default: "/dev/termination-log",
        example: "/tmp/upgrade-notice",
        help: "Where the upgrade notice is written for `kubectl describe pod` (the pod's terminationMessagePath). Written only if the file exists or this is set; never fails a run.",
    },
    Setting {
        key: COMPONENT,
        default: "",
        example: "/components/rke2-reporter.wasm",
        help: "Path of the reporter component to run. Empty: the built-in K3s reporter.",
    },
    Setting {
        key: COMPONENT_SHA256,
        default: "",
        example: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        help: "The sha256 the component file must have, as `upgrade-responder compile` prints it. Required for a precompiled component (native code, loaded only if its digest matches); checked for a .wasm when set.",
    },
    Setting {
        key: FACTS,
        default: "",
        example: "tests/fixtures/facts/k3s-ha.json",
        help: "Read cluster facts from this JSON file (the format `facts` prints) instead of the Kubernetes API.",
    },
    Setting {
        key: EXTRA_SOFTWARE,
        default: "",
        example: "bespoke-ingress,acme-cni",
        help: "Software names added to the host's list (names only, comma-separated, each 1-40 of a-z, 0-9, -): a kube-system workload or image whose name or repository contains one as a word reaches the component as that name instead of `other`.",
    },
    Setting {
        key: DRY_RUN,
        default: "false",
        example: "true",
        help: "Print the exact payload on stdout and send nothing.",
    },
    Setting {
        key: KUBECONFIG,
        default: "",
        example: "/root/.kube/config",
        help: "Kubeconfig for local runs. Empty: $KUBECONFIG, ~/.kube/config, then the in-cluster service account.",
    },
    Setting {
        key: API_DEADLINE,
        default: "20",
        example: "60",
        help: "Reading the cluster facts from the Kubernetes API must finish within this many seconds; no request is retried.",
    },
    Setting {
        key: PAGE_SIZE,
        default: "200",
        example: "500",
        help: "Objects per list request (nodes, workloads); memory stays flat as clusters grow.",
    },
    Setting {
        key: TOKEN_FILE,
        default: "",
        example: "/var/run/secrets/upgrade-responder/token",
        help: "File holding a bearer token (a mounted Secret). The host adds `Authorization: Bearer` to requests for the endpoint; the component never sees it and it is never logged.",
    },
    Setting {
        key: USER_AGENT,
        default: "",
        example: "acme-k3s-fleet/2.1",
        help: "The `User-Agent` of the report request. Empty: upgrade-responder/<version>. The host sets it; the component cannot.",
    },
    Setting {
        key: MARKER,
        default: "",
        example: "X-Productive-K3S-Telemetry: pk3s-public-v1",
        help: "A public marker header (`Name: value`) the host adds to the report request, so the receiving side can tell these anonymous reports from other traffic. Empty: none. The component cannot set or change it.",
    },
    Setting {
        key: CA_FILE,
        default: "",
        example: "/etc/upgrade-responder/ca/ca.crt",
        help: "PEM bundle of extra CA certificates trusted for an https endpoint (a private CA), on top of the public web roots compiled in.",
    },
    Setting {
        key: TABLE_LIMIT,
        default: "20000",
        example: "50000",
        help: "Elements any one table of the component may hold.",
    },
    Setting {
        key: MAX_REQUEST_BYTES,
        default: "65536",
        example: "262144",
        help: "Bytes of one request the component may send: request line, headers, body and trailers.",
    },
    Setting {
        key: MAX_RESPONSE_BYTES,
        default: "1048576",
        example: "4194304",
        help: "Bytes of one response body the component may read.",
    },
    Setting {
        key: CONNECT_TIMEOUT,
        default: "10",
        example: "5",
        help: "Seconds to connect (TCP and TLS) to the endpoint.",
    },
    Setting {
        key: FIRST_BYTE_TIMEOUT,
        default: "15",
        example: "30",
        help: "Seconds from sending the request to the first byte of the answer.",
    },
    Setting {
        key: BETWEEN_BYTES_TIMEOUT,
        default: "5",
        example: "10",
        help: "Seconds the answer may pause between two chunks.",
    },
    Setting {
        key: MAX_OUTPUT_BYTES,
        default: "16384",
        example: "65536",
        help: "Bytes of stdout, and again of stderr, kept from the component (into the log); the rest is cut and marked.",
    },
    Setting {
        key: MAX_OUTCOME_BYTES,
        default: "262144",
        example: "1048576",
        help: "Bytes of text the component may return (payload, offered versions, error reasons).",
    },
    Setting {
        key: SPREAD,
        default: "0",
        example: "900",
        help: "Wait a delay from 0 to this many seconds, fixed per cluster (derived from the kube-system UID), before reporting, so a fleet on one schedule does not report in the same second. Not applied in a dry run.",
    },
    Setting {
        key: LOG_LEVEL,
        default: "info",
        example: "debug",
        help: "error, warn, info or debug. Logs go to stderr; at info a run logs one summary line.",
    },
    Setting {
        key: LOG_FORMAT,
        default: "text",
        example: "json",
        help: "text (one line per event) or json (one JSON object per line, the summary's values as fields).",
    },
    Setting {
        key: CONFIG_DIRS,
        default: DEFAULT_CONFIG_DIRS,
        example: "/etc/upgrade-responder/defaults",
        help: "Colon-separated directories holding settings as files (mounted ConfigMaps); later ones win. Missing ones are skipped.",
    },
    Setting {
        key: MEMORY_LIMIT,
        default: "32",
        example: "64",
        help: "Linear memory the component may use, all its memories together, in MiB.",
    },
    Setting {
        key: DEADLINE,
        default: "30",
        example: "60",
        help: "Wall-clock deadline of the component call (network waits included), in seconds.",
    },
    Setting {
        key: MAX_REQUESTS,
        default: "1",
        example: "2",
        help: "Outgoing HTTP requests the component may make per run.",
    },
];

/// Where a value came from, for messages and the `config` command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Flag,
    Environment,
    File(PathBuf),
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag => f.write_str("command line"),
            Source::Environment => f.write_str("environment"),
            Source::File(path) => write!(f, "{}", path.display()),
            Source::Default => f.write_str("default"),
        }
    }
}

/// The raw values with their sources, before parsing.
pub struct Values {
    values: BTreeMap<&'static str, (String, Source)>,
    /// Setting files that exist but cannot be read, by key: an error for
    /// every command that uses settings, except a disabled run.
    unreadable: BTreeMap<&'static str, String>,
    /// `UPGRADE_RESPONDER_*` names that are no setting (a typo, most
    /// likely), with their value and source.
    unknown: Vec<Unknown>,
}

/// A name that looks like a setting but is none.
#[derive(Debug, Clone, PartialEq)]
pub struct Unknown {
    pub key: String,
    pub value: String,
    pub source: Source,
    /// The known setting it is closest to, if it is close.
    pub nearest: Option<&'static str>,
}

/// Every setting's name starts with this.
pub const PREFIX: &str = "UPGRADE_RESPONDER_";

impl Values {
    /// Resolves every setting. `flags` holds command-line values by key;
    /// `env` looks up environment variables (a parameter so tests need not
    /// touch the process environment).
    /// `env_names` lists the environment's variable names, so unknown
    /// `UPGRADE_RESPONDER_*` names can be named.
    pub fn resolve(
        flags: &BTreeMap<&'static str, String>,
        env: impl Fn(&str) -> Option<String>,
        env_names: &[String],
    ) -> Self {
        let dirs_value = flags
            .get(CONFIG_DIRS)
            .cloned()
            .or_else(|| env(CONFIG_DIRS))
            .unwrap_or_else(|| DEFAULT_CONFIG_DIRS.to_string());
        let dirs: Vec<PathBuf> = std::env::split_paths(&dirs_value)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        let mut values = BTreeMap::new();
        let mut unreadable = BTreeMap::new();
        for setting in SETTINGS {
            let from_file = if flags.contains_key(setting.key) || env(setting.key).is_some() {
                None
            } else {
                match from_dirs(&dirs, setting.key) {
                    Ok(found) => found,
                    Err(error) => {
                        unreadable.insert(setting.key, format!("{error:#}"));
                        None
                    }
                }
            };
            let value = if let Some(value) = flags.get(setting.key) {
                (value.clone(), Source::Flag)
            } else if let Some(value) = env(setting.key) {
                (value, Source::Environment)
            } else if let Some((value, path)) = from_file {
                (value, Source::File(path))
            } else {
                (setting.default.to_string(), Source::Default)
            };
            values.insert(setting.key, value);
        }
        let mut unknown: Vec<Unknown> = env_names
            .iter()
            .filter(|name| name.starts_with(PREFIX) && !is_setting(name))
            .map(|name| Unknown {
                key: name.clone(),
                value: env(name).unwrap_or_default(),
                source: Source::Environment,
                nearest: nearest_setting(name),
            })
            .collect();
        unknown.extend(unknown_files(&dirs));
        Self {
            values,
            unreadable,
            unknown,
        }
    }

    /// The names that look like settings but are none.
    pub fn unknown(&self) -> &[Unknown] {
        &self.unknown
    }

    /// A misspelled opt-out: an unknown name nearest to
    /// `UPGRADE_RESPONDER_ENABLED` whose value reads as false. The safe
    /// reading of an operator who tried to opt out is that they did.
    pub fn misspelled_opt_out(&self) -> Option<&Unknown> {
        self.unknown.iter().find(|u| {
            u.nearest == Some(ENABLED)
                && matches!(
                    u.value.trim().to_ascii_lowercase().as_str(),
                    "false" | "0" | "no" | "off"
                )
        })
    }

    /// The first setting file that exists but could not be read.
    pub fn check_readable(&self) -> anyhow::Result<()> {
        match self.unreadable.iter().next() {
            Some((key, error)) => Err(anyhow::anyhow!("{key}: {error}")),
            None => Ok(()),
        }
    }

    pub fn get(&self, key: &str) -> (&str, &Source) {
        match self.values.get(key) {
            Some((value, source)) => (value.trim(), source),
            None => ("", &Source::Default),
        }
    }

    fn invalid(&self, key: &str, expected: &str) -> anyhow::Error {
        let (value, source) = self.get(key);
        anyhow::anyhow!("{key}={value:?} (from {source}) is not valid: expected {expected}")
    }

    pub fn flag(&self, key: &str) -> anyhow::Result<bool> {
        match self.get(key).0.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" => Ok(false),
            _ => Err(self.invalid(key, "true or false")),
        }
    }

    fn number(&self, key: &str, range: std::ops::RangeInclusive<u64>) -> anyhow::Result<u64> {
        self.get(key)
            .0
            .parse::<u64>()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| {
                self.invalid(
                    key,
                    &format!("a whole number from {} to {}", range.start(), range.end()),
                )
            })
    }

    fn path(&self, key: &str) -> Option<PathBuf> {
        let value = self.get(key).0;
        (!value.is_empty()).then(|| PathBuf::from(value))
    }
}

/// A setting's value from the config directories; the last directory
/// holding it wins. Each file is read bounded (`input.rs`).
fn from_dirs(dirs: &[PathBuf], key: &str) -> anyhow::Result<Option<(String, PathBuf)>> {
    let mut found = None;
    for dir in dirs {
        let path = dir.join(key);
        match std::fs::symlink_metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            // A directory that is not there (no user ConfigMap) is normal.
            Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => continue,
            _ => {}
        }
        let bytes = input::read_bounded(&path, input::MAX_SETTING_FILE_BYTES, "setting file")?;
        let value = String::from_utf8(bytes)
            .map_err(|_| anyhow::anyhow!("setting file {} is not UTF-8 text", path.display()))?;
        found = Some((value, path));
    }
    Ok(found)
}

fn is_setting(name: &str) -> bool {
    SETTINGS.iter().any(|s| s.key == name)
}

/// The known setting closest to `name`, if a typo could explain the
/// difference (at most 3 edits, or a different case).
fn nearest_setting(name: &str) -> Option<&'static str> {
    let upper = name.to_ascii_uppercase();
    SETTINGS
        .iter()
        .map(|s| (strsim::levenshtein(&upper, s.key), s.key))
        .filter(|(distance, _)| *distance <= 3)
        .min()
        .map(|(_, key)| key)
}

/// Files in the config directories named like a setting that is none.
/// ConfigMap volumes also hold `..data` and timestamped directories: only
/// names with the settings' prefix are looked at.
fn unknown_files(dirs: &[PathBuf]) -> Vec<Unknown> {
    let mut unknown = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut names: Vec<String> = entries
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|name| name.to_ascii_uppercase().starts_with(PREFIX) && !is_setting(name))
            .collect();
        names.sort();
        for name in names {
            let path = dir.join(&name);
            let value = input::read_bounded(&path, input::MAX_SETTING_FILE_BYTES, "setting file")
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .unwrap_or_default();
            unknown.push(Unknown {
                nearest: nearest_setting(&name),
                key: name,
                value,
                source: Source::File(path),
            });
        }
    }
    unknown
}

impl fmt::Display for Unknown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (from {}) is not a setting and is ignored",
            self.key, self.source
        )?;
        match self.nearest {
            Some(nearest) => write!(f, "; did you mean {nearest}?"),
            None => write!(f, "; `upgrade-responder config` lists the settings"),
        }
    }
}

/// Whether the run is enabled: checked before anything else is parsed or
/// read, so a disabled run does nothing at all. A misspelled opt-out
/// (`UPGRADE_RESPONDER_ENABLE=false`) counts as an opt-out.
pub fn enabled(values: &Values) -> anyhow::Result<bool> {
    if values.misspelled_opt_out().is_some() {
        return Ok(false);
    }
    if let Some(error) = values.unreadable.get(ENABLED) {
        anyhow::bail!("{ENABLED}: {error}");
    }
    values.flag(ENABLED)
}

/// Why a run is disabled, for its one log line.
pub fn opt_out_reason(values: &Values) -> String {
    match values.misspelled_opt_out() {
        Some(unknown) => format!(
            "{}={} from {} is not a setting, read as {ENABLED}=false: the safe reading of an opt-out",
            unknown.key,
            unknown.value.trim(),
            unknown.source
        ),
        None => format!("{ENABLED}=false from {}", values.get(ENABLED).1),
    }
}

/// The parsed settings of a run.
#[derive(Debug)]
pub struct Config {
    pub endpoint: String,
    pub authority: Authority,
    pub field_mode: FieldMode,
    pub channel: String,
    /// Where to write the upgrade notice, if anywhere.
    pub termination_message_path: Option<PathBuf>,
    pub component: Option<PathBuf>,
    /// The digest the component must have (`trust.rs`).
    pub component_sha256: Option<crate::trust::Sha256>,
    pub facts: Option<PathBuf>,
    pub dry_run: bool,
    pub kubeconfig: Option<PathBuf>,
    pub api_deadline: Duration,
    pub page_size: u32,
    pub spread: Duration,
    pub limits: Limits,
    /// The bearer token read from the token file.
    pub bearer_token: Option<Secret>,
    pub ca_file: Option<PathBuf>,
    /// The software list with the operator's extra names.
    pub vocabulary: Vocabulary,
    /// The report request's `User-Agent`.
    pub user_agent: http::HeaderValue,
    /// The public marker header, if one is set.
    pub marker: Option<(http::HeaderName, http::HeaderValue)>,
}

/// A credential: shown as `<redacted>` by Debug, so it cannot reach a log.
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Config {
    pub fn parse(values: &Values) -> anyhow::Result<Self> {
        values.check_readable()?;
        let written = values.get(ENDPOINT).0;
        let authority = Authority::of_endpoint(written).map_err(|reason| {
            anyhow::anyhow!("{ENDPOINT} (from {}): {reason}", values.get(ENDPOINT).1)
        })?;
        // The component is given the URL in normal form: an IDN host in
        // punycode (what it connects to, and its `Host` and TLS name), the
        // path percent-encoded. A URL the policy accepted always parses.
        let endpoint = url::Url::parse(written)
            .map(String::from)
            .unwrap_or_else(|_| written.to_string());
        let field_mode = match values.get(FIELD_MODE).0.to_ascii_lowercase().as_str() {
            "minimal" => FieldMode::Minimal,
            "standard" => FieldMode::Standard,
            _ => return Err(values.invalid(FIELD_MODE, "minimal or standard")),
        };
        // Every limit from the policy's table: its setting, its range.
        let mut limits = Limits::default();
        for setting in policy::LIMIT_SETTINGS {
            let value = values.number(setting.key, setting.min..=setting.max)?;
            setting.apply(&mut limits, value);
        }
        let bearer_token = match values.path(TOKEN_FILE) {
            None => None,
            Some(path) => {
                let token = std::fs::read_to_string(&path).map_err(|e| {
                    anyhow::anyhow!("{TOKEN_FILE}: cannot read {}: {e}", path.display())
                })?;
                let token = token.trim();
                anyhow::ensure!(
                    !token.is_empty() && token.bytes().all(|b| b.is_ascii_graphic()),
                    "{TOKEN_FILE}: {} must hold one token of printable characters",
                    path.display()
                );
                Some(Secret(token.to_string()))
            }
        };
        let channel = values.get(CHANNEL).0.trim().to_string();
        if channel.is_empty()
            || channel.len() > 64
            || !channel
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        {
            return Err(values.invalid(
                CHANNEL,
                "a server tag of up to 64 letters, digits, dots, dashes or underscores",
            ));
        }
        let termination_message_path = {
            let (path, source) = values.get(TERMINATION_MESSAGE_PATH);
            let path = PathBuf::from(path);
            let given = !matches!(source, Source::Default);
            (!path.as_os_str().is_empty() && (given || path.exists())).then_some(path)
        };
        Ok(Self {
            endpoint,
            authority,
            field_mode,
            channel,
            termination_message_path,
            component: values.path(COMPONENT),
            component_sha256: component_sha256(values)?,
            facts: values.path(FACTS),
            dry_run: values.flag(DRY_RUN)?,
            kubeconfig: match values.path(KUBECONFIG) {
                Some(path) if !path.is_file() => {
                    return Err(anyhow::anyhow!(
                        "{KUBECONFIG}={} (from {}): no such file; give an existing kubeconfig or leave it empty",
                        path.display(),
                        values.get(KUBECONFIG).1
                    ));
                }
                Some(path) => Some(check_kubeconfig(values, path)?),
                None => None,
            },
            api_deadline: Duration::from_secs(values.number(API_DEADLINE, 1..=600)?),
            page_size: values.number(PAGE_SIZE, 1..=10_000)? as u32,
            spread: Duration::from_secs(values.number(SPREAD, 0..=86_400)?),
            limits,
            bearer_token,
            ca_file: values.path(CA_FILE),
            vocabulary: Vocabulary::parse_extra(values.get(EXTRA_SOFTWARE).0)
                .map(Vocabulary::with_extra)
                .map_err(|reason| {
                    anyhow::anyhow!(
                        "{EXTRA_SOFTWARE} (from {}): {reason}",
                        values.get(EXTRA_SOFTWARE).1
                    )
                })?,
            user_agent: user_agent(values)?,
            marker: marker(values)?,
        })
    }

    /// What the configuration puts at risk, each one `WARN` line of a run.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if self.bearer_token.is_some() && self.authority.scheme == "http" {
            warnings.push(format!(
                "{TOKEN_FILE} is set for the plain-http endpoint {}: the bearer token crosses the network unencrypted, readable by anyone on the path; use an https endpoint or remove the token file",
                self.authority
            ));
        }
        warnings
    }
}

/// The largest kubeconfig read: embedded certificates make a few KiB each.
const MAX_KUBECONFIG_BYTES: u64 = 4 << 20;

/// A kubeconfig the operator named is their input, like the facts file:
/// one that cannot be read or parsed is a configuration error (exit 2),
/// found before anything is contacted.
fn check_kubeconfig(values: &Values, path: PathBuf) -> anyhow::Result<PathBuf> {
    let source = values.get(KUBECONFIG).1;
    let bytes = input::read_bounded(&path, MAX_KUBECONFIG_BYTES, "kubeconfig")
        .map_err(|e| anyhow::anyhow!("{KUBECONFIG} (from {source}): {e:#}"))?;
    let text = String::from_utf8(bytes).map_err(|_| {
        anyhow::anyhow!(
            "{KUBECONFIG}={} (from {source}): not UTF-8 text",
            path.display()
        )
    })?;
    kube::config::Kubeconfig::from_yaml(&text).map_err(|e| {
        anyhow::anyhow!(
            "{KUBECONFIG}={} (from {source}): not a usable kubeconfig: {}",
            path.display(),
            crate::failure::one_line(&format!("{:#}", anyhow::Error::from(e)))
        )
    })?;
    Ok(path)
}

/// The largest `User-Agent` or marker value accepted.
const MAX_HEADER_VALUE_CHARS: usize = 256;

/// A header value an operator typed: printable ASCII, bounded.
fn header_value(values: &Values, key: &str, text: &str) -> anyhow::Result<http::HeaderValue> {
    let printable = !text.is_empty()
        && text.len() <= MAX_HEADER_VALUE_CHARS
        && text.bytes().all(|b| b == b' ' || b.is_ascii_graphic());
    printable
        .then(|| http::HeaderValue::from_str(text).ok())
        .flatten()
        .ok_or_else(|| {
            values.invalid(
                key,
                &format!("up to {MAX_HEADER_VALUE_CHARS} printable ASCII characters"),
            )
        })
}

fn user_agent(values: &Values) -> anyhow::Result<http::HeaderValue> {
    match values.get(USER_AGENT).0 {
        "" => Ok(http::HeaderValue::from_static(crate::USER_AGENT)),
        text => header_value(values, USER_AGENT, text),
    }
}

/// `Name: value`, a header the component may not set and the host does not
/// set itself (so the marker cannot pose as a credential or the framing).
fn marker(values: &Values) -> anyhow::Result<Option<(http::HeaderName, http::HeaderValue)>> {
    let text = values.get(MARKER).0;
    if text.is_empty() {
        return Ok(None);
    }
    let expected = "`Name: value`, a header name of letters, digits and dashes other than Authorization, Cookie, Host, User-Agent or a framing header";
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| values.invalid(MARKER, expected))?;
    let name = http::HeaderName::from_bytes(name.trim().as_bytes())
        .ok()
        .filter(|name| {
            !policy::header_forbidden(name)
                && *name != http::header::HOST
                && !name.as_str().starts_with("content-")
        })
        .ok_or_else(|| values.invalid(MARKER, expected))?;
    Ok(Some((name, header_value(values, MARKER, value.trim())?)))
}

/// Every setting whose value, alone, cannot work, with why: what `config`
/// marks. Each value is checked by the same parse a run uses, with every
/// other setting at its default, so `config` and a run never disagree.
pub fn invalid_settings(values: &Values) -> Vec<(&'static str, String)> {
    let mut invalid = Vec::new();
    for setting in SETTINGS {
        let alone = Values {
            values: SETTINGS
                .iter()
                .map(|s| {
                    let value = if s.key == setting.key {
                        values.values.get(s.key).cloned()
                    } else {
                        None
                    };
                    (
                        s.key,
                        value.unwrap_or_else(|| (s.default.to_string(), Source::Default)),
                    )
                })
                .collect(),
            unreadable: values
                .unreadable
                .iter()
                .filter(|(key, _)| **key == setting.key)
                .map(|(key, error)| (*key, error.clone()))
                .collect(),
            unknown: Vec::new(),
        };
        let checked = match setting.key {
            ENABLED => enabled(&alone).map(drop),
            LOG_LEVEL => log_level(&alone).map(drop),
            LOG_FORMAT => log_format(&alone).map(drop),
            _ => Config::parse(&alone).map(drop),
        };
        if let Err(error) = checked {
            invalid.push((setting.key, crate::failure::error_line(&error)));
        }
    }
    invalid
}

/// The component pin: empty, or 64 hexadecimal digits.
pub fn component_sha256(values: &Values) -> anyhow::Result<Option<crate::trust::Sha256>> {
    let text = values.get(COMPONENT_SHA256).0;
    if text.is_empty() {
        return Ok(None);
    }
    crate::trust::Sha256::parse(text).map(Some).ok_or_else(|| {
        values.invalid(
            COMPONENT_SHA256,
            "the component's sha256 as 64 hexadecimal digits, as `upgrade-responder compile` prints it",
        )
    })
}

/// The log format: `text` or `json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

pub fn log_format(values: &Values) -> anyhow::Result<LogFormat> {
    match values.get(LOG_FORMAT).0.to_ascii_lowercase().as_str() {
        "text" => Ok(LogFormat::Text),
        "json" => Ok(LogFormat::Json),
        _ => Err(values.invalid(LOG_FORMAT, "text or json")),
    }
}

/// The log level, read on its own so logging is set up before anything else.
pub fn log_level(values: &Values) -> anyhow::Result<tracing::Level> {
    match values.get(LOG_LEVEL).0.to_ascii_lowercase().as_str() {
        "error" => Ok(tracing::Level::ERROR),
        "warn" | "warning" => Ok(tracing::Level::WARN),
        "info" => Ok(tracing::Level::INFO),
        "debug" => Ok(tracing::Level::DEBUG),
        "trace" => Ok(tracing::Level::TRACE),
        _ => Err(values.invalid(LOG_LEVEL, "error, warn, info or debug")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(flags: &[(&'static str, &str)], env: &[(&str, &str)]) -> Values {
        let flags = flags.iter().map(|(k, v)| (*k, v.to_string())).collect();
        let env: BTreeMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let names: Vec<String> = env.keys().cloned().collect();
        Values::resolve(&flags, |key| env.get(key).cloned(), &names)
    }

    #[test]
    fn an_unknown_setting_is_named_with_the_nearest_known_one() {
        let values = resolve(
            &[],
            &[
                (CONFIG_DIRS, ""),
                ("UPGRADE_RESPONDER_ENDPIONT", "https://x/"),
                ("UPGRADE_RESPONDER_WHATEVER", "1"),
            ],
        );
        let lines: Vec<String> = values.unknown().iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "UPGRADE_RESPONDER_ENDPIONT (from environment) is not a setting and is ignored; did you mean UPGRADE_RESPONDER_ENDPOINT?",
                "UPGRADE_RESPONDER_WHATEVER (from environment) is not a setting and is ignored; `upgrade-responder config` lists the settings",
            ]
        );
        assert!(enabled(&values).unwrap());
    }

    #[test]
    fn a_misspelled_opt_out_in_the_environment_or_a_file_opts_out() {
        let values = resolve(
            &[],
            &[(CONFIG_DIRS, ""), ("UPGRADE_RESPONDER_ENABLE", "false")],
        );
        assert!(!enabled(&values).unwrap());
        assert_eq!(
            opt_out_reason(&values),
            "UPGRADE_RESPONDER_ENABLE=false from environment is not a setting, read as UPGRADE_RESPONDER_ENABLED=false: the safe reading of an opt-out"
        );
        let dir = std::env::temp_dir().join(format!("ur-optout-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("UPGRADE_RESPONDER_ENABLE"), "no\n").unwrap();
        let dirs = dir.display().to_string();
        let values = resolve(&[], &[(CONFIG_DIRS, &dirs)]);
        assert!(!enabled(&values).unwrap());
        // A misspelled name that asks for reporting changes nothing.
        std::fs::write(dir.join("UPGRADE_RESPONDER_ENABLE"), "true").unwrap();
        let values = resolve(&[], &[(CONFIG_DIRS, &dirs)]);
        assert!(enabled(&values).unwrap());
        assert_eq!(values.unknown().len(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_unreadable_setting_file_fails_the_settings_but_not_a_disabled_run() {
        let dir = std::env::temp_dir().join(format!("ur-unreadable-{}", std::process::id()));
        std::fs::create_dir_all(dir.join(FIELD_MODE)).unwrap();
        let dirs = dir.display().to_string();
        let values = resolve(&[], &[(CONFIG_DIRS, &dirs), (ENABLED, "false")]);
        assert!(!enabled(&values).unwrap());
        let values = resolve(&[], &[(CONFIG_DIRS, &dirs)]);
        assert_eq!(
            Config::parse(&values).unwrap_err().to_string(),
            format!(
                "UPGRADE_RESPONDER_FIELD_MODE: cannot read setting file {}: not a regular file (a directory, device or FIFO is never read)",
                dir.join(FIELD_MODE).display()
            )
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn field_mode_is_read_without_regard_to_case_like_the_flags() {
        let values = resolve(&[], &[(CONFIG_DIRS, ""), (FIELD_MODE, "Standard")]);
        assert_eq!(
            Config::parse(&values).unwrap().field_mode,
            FieldMode::Standard
        );
    }

    #[test]
    fn a_kubeconfig_given_but_missing_is_a_configuration_error() {
        let values = resolve(
            &[],
            &[(CONFIG_DIRS, ""), (KUBECONFIG, "/nonexistent/kubeconfig")],
        );
        assert_eq!(
            Config::parse(&values).unwrap_err().to_string(),
            "UPGRADE_RESPONDER_KUBECONFIG=/nonexistent/kubeconfig (from environment): no such file; give an existing kubeconfig or leave it empty"
        );
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let values = resolve(&[], &[(CONFIG_DIRS, "/nonexistent")]);
        let config = Config::parse(&values).unwrap();
        assert_eq!(config.endpoint, DEFAULT_ENDPOINT);
        assert_eq!(config.field_mode, FieldMode::Minimal);
        assert!(enabled(&values).unwrap());
        assert!(!config.dry_run);
        assert_eq!(values.get(ENDPOINT).1, &Source::Default);
    }

    #[test]
    fn flag_beats_environment_beats_files_later_dir_wins() {
        let base = std::env::temp_dir().join(format!("ur-config-test-{}", std::process::id()));
        let (packaged, user) = (base.join("packaged"), base.join("user"));
        std::fs::create_dir_all(&packaged).unwrap();
        std::fs::create_dir_all(&user).unwrap();
        std::fs::write(packaged.join(ENDPOINT), "https://packaged.example/v1\n").unwrap();
        std::fs::write(packaged.join(FIELD_MODE), "standard").unwrap();
        std::fs::write(packaged.join(DRY_RUN), "true").unwrap();
        std::fs::write(user.join(ENDPOINT), "https://user.example/v1").unwrap();
        std::fs::write(user.join(ENABLED), "false").unwrap();
        let dirs = format!(
            "{}:{}:{}",
            packaged.display(),
            base.join("missing").display(),
            user.display()
        );

        let values = resolve(&[], &[(CONFIG_DIRS, &dirs)]);
        assert_eq!(values.get(ENDPOINT).0, "https://user.example/v1");
        assert_eq!(values.get(ENDPOINT).1, &Source::File(user.join(ENDPOINT)));
        assert_eq!(values.get(FIELD_MODE).0, "standard");
        assert!(!enabled(&values).unwrap());

        let values = resolve(
            &[],
            &[
                (CONFIG_DIRS, &dirs),
                (ENDPOINT, "https://env.example/v1"),
                (ENABLED, "true"),
            ],
        );
        assert_eq!(values.get(ENDPOINT).0, "https://env.example/v1");
        assert!(enabled(&values).unwrap());

        let values = resolve(
            &[(ENDPOINT, "http://flag.example/v1")],
            &[(CONFIG_DIRS, &dirs), (ENDPOINT, "https://env.example/v1")],
        );
        assert_eq!(
            values.get(ENDPOINT),
            ("http://flag.example/v1", &Source::Flag)
        );
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn invalid_values_name_the_setting_its_source_and_what_is_expected() {
        let values = resolve(&[], &[(CONFIG_DIRS, ""), (ENABLED, "maybe")]);
        assert_eq!(
            enabled(&values).unwrap_err().to_string(),
            "UPGRADE_RESPONDER_ENABLED=\"maybe\" (from environment) is not valid: expected true or false"
        );
        let values = resolve(&[], &[(CONFIG_DIRS, ""), (ENDPOINT, "ftp://x/y")]);
        assert_eq!(
            Config::parse(&values).unwrap_err().to_string(),
            "UPGRADE_RESPONDER_ENDPOINT (from environment): endpoint \"ftp://x/y\" must be an http or https URL, not ftp:"
        );
        let values = resolve(&[], &[(CONFIG_DIRS, ""), (MEMORY_LIMIT, "0")]);
        assert!(
            Config::parse(&values)
                .unwrap_err()
                .to_string()
                .contains("a whole number from 1 to 4096")
        );
    }

    /// The limits' defaults live in the policy; the settings table repeats
    /// them for the README and `config`, and must agree.
    #[test]
    fn limit_settings_agree_with_the_policy() {
        for limit in policy::LIMIT_SETTINGS {
            let setting = SETTINGS
                .iter()
                .find(|s| s.key == limit.key)
                .unwrap_or_else(|| panic!("{} is not in SETTINGS", limit.key));
            assert_eq!(setting.default, limit.default.to_string(), "{}", limit.key);
        }
        let values = resolve(&[], &[(CONFIG_DIRS, "/nonexistent")]);
        assert_eq!(Config::parse(&values).unwrap().limits, Limits::default());
    }

    /// The README's configuration table is the operator's reference: every
    /// setting must be in it with its default and an example.
    #[test]
    fn readme_documents_every_setting_with_default_and_example() {
        let readme =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
        for setting in SETTINGS {
            let row = readme
                .lines()
                .find(|line| line.starts_with(&format!("| `{}`", setting.key)))
                .unwrap_or_else(|| panic!("README.md has no table row for {}", setting.key));
            let default = if setting.default.is_empty() {
                "(empty)".to_string()
            } else {
                format!("`{}`", setting.default)
            };
            assert!(
                row.contains(&default),
                "{}: no default {default}: {row}",
                setting.key
            );
            let example = format!("`{}`", setting.example);
            assert!(
                row.contains(&example),
                "{}: no example {example}: {row}",
                setting.key
            );
        }
    }
}
