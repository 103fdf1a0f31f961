//! The parsed settings of a run: every value checked, with a message that
//! names the setting, its source and what is expected.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::ground::bindings::FieldMode;
use crate::ground::input;
use crate::ground::policy::{self, Authority, Limits};
use crate::ground::vocabulary::Vocabulary;

use super::sources::{Source, Values};
use super::table::{
    API_DEADLINE, CA_FILE, CHANNEL, COMPONENT, COMPONENT_SHA256, DEADLINE, DRY_RUN, ENDPOINT,
    EXTRA_SOFTWARE, FACTS, FIELD_MODE, KUBECONFIG, MARKER, PAGE_SIZE, SAMPLE_ANSWER, SPREAD,
    TERMINATION_MESSAGE_PATH, TOKEN_FILE, USER_AGENT,
};

/// The parsed settings of a run.
#[derive(Debug)]
pub struct Config {
    pub endpoint: String,
    pub authority: Authority,
    pub field_mode: FieldMode,
    pub channel: String,
    /// Where to write the upgrade notice, if anywhere.
    pub termination_message_path: Option<PathBuf>,
    /// Which component to run (`UPGRADE_RESPONDER_COMPONENT`).
    pub component: ComponentSetting,
    /// The digest the component must have (`trust.rs`).
    pub component_sha256: Option<crate::ground::digest::Sha256>,
    pub facts: Option<PathBuf>,
    pub dry_run: bool,
    /// A dry run's answer to preview the notice with: the component's
    /// report runs against it, nothing is sent.
    pub sample_answer: Option<Vec<u8>>,
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
                let token = input::read_text(&path, input::TOKEN_FILE).map_err(|e| {
                    anyhow::anyhow!("{TOKEN_FILE} (from {}): {e:#}", values.get(TOKEN_FILE).1)
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
        let termination_message_path = termination_message_path(values);
        let dry_run = values.flag(DRY_RUN)?;
        let sample_answer = match values.path(SAMPLE_ANSWER) {
            None => None,
            Some(_) if !dry_run => {
                return Err(anyhow::anyhow!(
                    "{SAMPLE_ANSWER} (from {}): a sample answer previews a dry run's notice, and this run would send: add --dry-run or remove it",
                    values.get(SAMPLE_ANSWER).1
                ));
            }
            Some(path) => {
                let source = values.get(SAMPLE_ANSWER).1;
                let text = input::read_text(&path, input::SAMPLE_ANSWER)
                    .map_err(|e| anyhow::anyhow!("{SAMPLE_ANSWER} (from {source}): {e:#}"))?;
                // The component judges the answer; the host only refuses
                // what no server would send.
                serde_json::from_str::<serde::de::IgnoredAny>(&text).map_err(|e| {
                    anyhow::anyhow!(
                        "{SAMPLE_ANSWER} (from {source}): {} is not JSON ({e}): give an upgrade-responder answer, as the server's /v1/checkupgrade returns it",
                        path.display()
                    )
                })?;
                Some(text.into_bytes())
            }
        };
        Ok(Self {
            endpoint,
            authority,
            field_mode,
            channel,
            termination_message_path,
            component: component(values)?,
            component_sha256: component_sha256(values)?,
            facts: values.path(FACTS),
            dry_run,
            sample_answer,
            kubeconfig: match values.path(KUBECONFIG) {
                Some(path) if !path.exists() => {
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
        // The wait, the cluster read and the component's two calls must
        // end before the shipped Job's deadline kills the pod; the chart
        // refuses such values, a hand-set environment gets this warning.
        let budget = self.spread + self.api_deadline + 2 * self.limits.component_deadline;
        if budget + SHIPPED_JOB_MARGIN > SHIPPED_JOB_DEADLINE {
            warnings.push(format!(
                "{SPREAD}={} with {API_DEADLINE}={} and {DEADLINE}={} needs up to {} s, but the shipped Job is killed after {} s (activeDeadlineSeconds, less {} s to start): the run would be killed while it waits; lower {SPREAD} or raise the Job's activeDeadlineSeconds",
                self.spread.as_secs(),
                self.api_deadline.as_secs(),
                self.limits.component_deadline.as_secs(),
                budget.as_secs(),
                SHIPPED_JOB_DEADLINE.as_secs(),
                SHIPPED_JOB_MARGIN.as_secs(),
            ));
        }
        warnings
    }
}

/// The `activeDeadlineSeconds` of the shipped manifest and chart, and the
/// time a pod needs to start and load the component before the run's own
/// clock starts (the chart's values schema holds the same figures).
const SHIPPED_JOB_DEADLINE: Duration = Duration::from_secs(1200);
const SHIPPED_JOB_MARGIN: Duration = Duration::from_secs(120);

/// Where the run's outcome is written for `kubectl describe pod`: the
/// setting if given, else the default only where it exists (in a pod).
/// Read on its own too, so a run that fails before its settings parse
/// still leaves its line there.
pub fn termination_message_path(values: &Values) -> Option<PathBuf> {
    let (path, source) = values.get(TERMINATION_MESSAGE_PATH);
    let path = PathBuf::from(path);
    let given = !matches!(source, Source::Default);
    (!path.as_os_str().is_empty() && (given || path.exists())).then_some(path)
}

/// A kubeconfig the operator named is their input, like the facts file:
/// one that cannot be read or parsed is a configuration error (exit 2),
/// found before anything is contacted.
fn check_kubeconfig(values: &Values, path: PathBuf) -> anyhow::Result<PathBuf> {
    let source = values.get(KUBECONFIG).1;
    let text = input::read_text(&path, input::KUBECONFIG)
        .map_err(|e| anyhow::anyhow!("{KUBECONFIG} (from {source}): {e:#}"))?;
    let kubeconfig = kube::config::Kubeconfig::from_yaml(&text).map_err(|e| {
        anyhow::anyhow!(
            "{KUBECONFIG}={} (from {source}): not a usable kubeconfig: {}",
            path.display(),
            crate::ground::failure::one_line(&format!("{:#}", anyhow::Error::from(e)))
        )
    })?;
    anyhow::ensure!(
        !kubeconfig.clusters.is_empty(),
        "{KUBECONFIG}={} (from {source}): not a usable kubeconfig: it names no cluster",
        path.display()
    );
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
pub(super) fn marker(
    values: &Values,
) -> anyhow::Result<Option<(http::HeaderName, http::HeaderValue)>> {
    let text = values.get(MARKER).0;
    if text.is_empty() {
        return Ok(None);
    }
    let expected = "`Name: value`, a header name of letters, digits and dashes other than Authorization, Cookie, Host, User-Agent, a framing or expectation header (TE, Trailer, Expect) or one a proxy reads as the origin, route or method (Forwarded, Via, X-Forwarded-*, X-Original-URL, X-HTTP-Method-Override)";
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

/// Which reporter component a run loads: `UPGRADE_RESPONDER_COMPONENT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComponentSetting {
    /// Empty: the built-in component the cluster's version chooses.
    Automatic,
    /// `builtin:k3s` or `builtin:rke2`.
    BuiltIn(BuiltIn),
    /// Anything else: a component file.
    File(PathBuf),
}

/// A component built into the host, precompiled by its build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuiltIn {
    K3s,
    Rke2,
}

impl BuiltIn {
    pub const ALL: [BuiltIn; 2] = [BuiltIn::K3s, BuiltIn::Rke2];

    /// The setting's value that selects it.
    pub fn setting(self) -> &'static str {
        match self {
            BuiltIn::K3s => "builtin:k3s",
            BuiltIn::Rke2 => "builtin:rke2",
        }
    }

    /// The built-in a `builtin:` value names, if any.
    pub fn named(text: &str) -> Option<BuiltIn> {
        BuiltIn::ALL
            .into_iter()
            .find(|built_in| built_in.setting() == text)
    }

    /// The component's package name.
    pub fn package(self) -> &'static str {
        match self {
            BuiltIn::K3s => "k3s-reporter",
            BuiltIn::Rke2 => "rke2-reporter",
        }
    }
}

/// The prefix of a value that names a built-in component.
pub const BUILT_IN_PREFIX: &str = "builtin:";

/// What a `builtin:` value may be, in an error.
pub const BUILT_IN_EXPECTED: &str = "builtin:k3s or builtin:rke2 (a built-in component), a file path, or empty (the built-in the cluster's version chooses)";

/// `UPGRADE_RESPONDER_COMPONENT`: empty, a built-in's name, or a path. A
/// `builtin:` value that names no built-in is refused, not read as a path.
pub fn component(values: &Values) -> anyhow::Result<ComponentSetting> {
    let text = values.get(COMPONENT).0;
    if text.is_empty() {
        return Ok(ComponentSetting::Automatic);
    }
    if text.starts_with(BUILT_IN_PREFIX) {
        return BuiltIn::named(text)
            .map(ComponentSetting::BuiltIn)
            .ok_or_else(|| values.invalid(COMPONENT, BUILT_IN_EXPECTED));
    }
    Ok(ComponentSetting::File(PathBuf::from(text)))
}

/// The component pin: empty, or 64 hexadecimal digits.
pub fn component_sha256(values: &Values) -> anyhow::Result<Option<crate::ground::digest::Sha256>> {
    let text = values.get(COMPONENT_SHA256).0;
    if text.is_empty() {
        return Ok(None);
    }
    crate::ground::digest::Sha256::parse(text).map(Some).ok_or_else(|| {
        values.invalid(
            COMPONENT_SHA256,
            "the component's sha256 as 64 hexadecimal digits, as `upgrade-responder compile` prints it",
        )
    })
}
