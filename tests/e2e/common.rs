//! Running the host binary against fixtures and stand-ins.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ur_test_support::{ApiOptions, ApiServer, Behaviour, Responder, ResponseConfig};

/// The fixture clusters (tests/fixtures/clusters/*) whose payloads the
/// suites pin.
pub const CLUSTERS: [&str; 5] = [
    "k3s-single",
    "k3s-ha",
    "rke2-canal",
    "k3s-gpu",
    "rke2-calico",
];

/// The clusters that also have a facts file in the raw form of contract
/// 0.2.0 (`tests/fixtures/facts/raw/`).
pub const RAW_CLUSTERS: [&str; 4] = ["k3s-single", "k3s-ha", "rke2-canal", "k3s-gpu"];

/// Fixture clusters set as privacy traps (custom kube-system workloads from
/// a private registry, vendor build strings on a node): the privacy proof
/// and the facts fixtures cover them.
pub const TRAP_CLUSTERS: [&str; 1] = ["rke2-private"];

/// Every fixture cluster.
pub fn all_clusters() -> impl Iterator<Item = &'static str> {
    CLUSTERS.into_iter().chain(TRAP_CLUSTERS)
}

/// A loopback port nothing listens on: bound, then released.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn cluster_dir(cluster: &str) -> PathBuf {
    workspace().join("tests/fixtures/clusters").join(cluster)
}

pub fn facts_file(cluster: &str) -> PathBuf {
    workspace()
        .join("tests/fixtures/facts")
        .join(format!("{cluster}.json"))
}

/// The same facts in the raw form of contract 0.2.0 (one record per node,
/// names and image repositories as the cluster spelled them), which the
/// host still reads.
pub fn raw_facts_file(cluster: &str) -> PathBuf {
    workspace()
        .join("tests/fixtures/facts/raw")
        .join(format!("{cluster}.json"))
}

/// The exact body the default component sends for each fixture cluster
/// (seed 000's payload).
pub fn k3s_payload(cluster: &str) -> &'static str {
    match cluster {
        "k3s-single" => {
            r#"{"appVersion":"v1.31.6+k3s1","extraTagInfo":{"kubernetesVersion":"v1.31.6","clusteruuid":"e0430492-d000-4a92-8557-ca4e45ddcb94"},"extraFieldInfo":{"nodeCount":1,"serverNodeCount":1,"agentNodeCount":0}}"#
        }
        "k3s-ha" => {
            r#"{"appVersion":"v1.31.6+k3s1","extraTagInfo":{"kubernetesVersion":"v1.31.6","clusteruuid":"2f06cc1a-6788-4fa1-b89e-732bd797902b"},"extraFieldInfo":{"nodeCount":5,"serverNodeCount":3,"agentNodeCount":2}}"#
        }
        "rke2-canal" => {
            r#"{"appVersion":"v1.31.6+rke2r1","extraTagInfo":{"kubernetesVersion":"v1.31.6","clusteruuid":"98e10cbe-b8e7-4831-878d-f6677a4594c3"},"extraFieldInfo":{"nodeCount":3,"serverNodeCount":1,"agentNodeCount":2}}"#
        }
        "k3s-gpu" => {
            r#"{"appVersion":"v1.32.2+k3s1","extraTagInfo":{"kubernetesVersion":"v1.32.2","clusteruuid":"0e523211-d8c6-4857-ae85-3fea25a64205"},"extraFieldInfo":{"nodeCount":4,"serverNodeCount":1,"agentNodeCount":3}}"#
        }
        "rke2-calico" => {
            r#"{"appVersion":"v1.32.3+rke2r1","extraTagInfo":{"kubernetesVersion":"v1.32.3","clusteruuid":"c6a0e2b4-81d3-4f57-a9c1-3e5b7d9f0a2c"},"extraFieldInfo":{"nodeCount":5,"serverNodeCount":3,"agentNodeCount":2}}"#
        }
        other => panic!("no expected payload for {other}"),
    }
}

/// A temporary directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("ur-e2e-{}-{name}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fixture cluster served by the API stand-in, with a kubeconfig for it.
pub struct Cluster {
    pub api: ApiServer,
    pub kubeconfig: PathBuf,
    _dir: TempDir,
}

impl Cluster {
    pub fn start(name: &str) -> Self {
        Self::start_with(name, ApiOptions::default())
    }

    pub fn start_with(name: &str, options: ApiOptions) -> Self {
        let api = ApiServer::start(&cluster_dir(name), options).unwrap();
        let dir = TempDir::new(name);
        let kubeconfig = dir.path().join("kubeconfig");
        api.write_kubeconfig(&kubeconfig).unwrap();
        Self {
            api,
            kubeconfig,
            _dir: dir,
        }
    }
}

/// One run of the host binary.
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Ran {
    /// The log lines at or above `level` (INFO, WARN, ERROR).
    pub fn log_lines(&self, level: &str) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| l.contains(&format!(" {level} ")))
            .collect()
    }
}

/// The host binary with a clean environment: no settings, no kubeconfig,
/// no config directories, unless a test adds them.
pub fn host() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_upgrade-responder"));
    command
        .env_clear()
        .env("UPGRADE_RESPONDER_CONFIG_DIRS", "")
        .stdin(Stdio::null());
    command
}

pub fn run(command: &mut Command) -> Ran {
    let started = Instant::now();
    let output = command.output().expect("the host binary runs");
    // Shown with `cargo test -- --nocapture`: how long each run took.
    let args: Vec<_> = command
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    eprintln!(
        "host run: {} ms, exit {:?}: {}",
        started.elapsed().as_millis(),
        output.status.code(),
        args.join(" ")
    );
    Ran {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        elapsed: started.elapsed(),
    }
}

/// Generous: the host compiles the component first, and CI machines are shared.
pub const QUICK: Duration = Duration::from_secs(20);

/// An upgrade-responder stand-in offering K3s versions.
pub fn responder() -> Responder {
    Responder::start(Behaviour::Normal(ResponseConfig::k3s_default())).unwrap()
}

/// Runs `component` against `endpoint` with fixture facts and extra settings.
pub fn run_component(component: &str, endpoint: &str, settings: &[(&str, &str)]) -> Ran {
    let mut command = host();
    command
        .arg("--component")
        .arg(component)
        .arg("--facts")
        .arg(facts_file("k3s-ha"))
        .arg("--endpoint")
        .arg(endpoint);
    for (key, value) in settings {
        command.env(key, value);
    }
    run(&mut command)
}

/// A dry run of `component` (the built-in one if `None`) on the single-node
/// fixture with extra settings.
pub fn dry_run(component: Option<&str>, settings: &[(&str, &str)]) -> Ran {
    let mut command = host();
    if let Some(component) = component {
        command.arg("--component").arg(component);
    }
    command
        .arg("--facts")
        .arg(facts_file("k3s-single"))
        .arg("--dry-run");
    for (key, value) in settings {
        command.env(key, value);
    }
    run(&mut command)
}

/// The last warning of a run that exited 0 with at least one, quickly.
pub fn single_warning(ran: &Ran) -> String {
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let warn = ran.log_lines("WARN");
    assert!(!warn.is_empty(), "no warning: {}", ran.stderr);
    assert!(ran.elapsed < QUICK, "took {:?}", ran.elapsed);
    warn.last().unwrap().to_string()
}

/// `scheme://host:port` of an endpoint URL.
pub fn origin(url: &str) -> String {
    url.trim_end_matches("/v1/checkupgrade").to_string()
}

/// The expectations of `name` in a suite's table keyed by component name;
/// a component the table does not know fails its test by name.
pub fn expectations<'a, T>(table: &'a [(&str, T)], name: &str, suite: &str) -> Vec<&'a T> {
    let found: Vec<&T> = table
        .iter()
        .filter(|(key, _)| *key == name)
        .map(|(_, expected)| expected)
        .collect();
    assert!(
        !found.is_empty(),
        "tests/components/{name} has no expected result: add it to the table in tests/e2e/{suite}.rs"
    );
    found
}

/// Every name in a suite's table is a component of that suite's class, so
/// a renamed or removed component leaves no stale expectation.
pub fn assert_table_names_components<T>(table: &[(&str, T)], class: &[(&str, &str)]) {
    for (name, _) in table {
        assert!(
            class.iter().any(|(component, _)| component == name),
            "the table expects {name}, which is not a component of this class: {class:?}"
        );
    }
}

/// An upgrade-responder stand-in offering the versions of the cluster's
/// distribution.
pub fn responder_for(cluster: &str) -> Responder {
    let config = if cluster.starts_with("rke2") {
        ResponseConfig::rke2_default()
    } else {
        ResponseConfig::k3s_default()
    };
    Responder::start(Behaviour::Normal(config)).unwrap()
}
