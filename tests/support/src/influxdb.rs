//! A real InfluxDB 1.x (`influxd`, Debian's `influxdb` package), started on
//! 127.0.0.1 with free ports and a fresh data directory, for the tests and
//! the sizing benchmark of `server-kit`.
//!
//! The server is `$INFLUXD` if set; otherwise Debian's package, fetched
//! once with `apt-get download influxdb` (no root needed) and unpacked
//! with `dpkg-deb -x` into the build's target directory, under a file
//! lock (test binaries and threads run in parallel). A test that needs it
//! and cannot get it fails, naming the command that installs it.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::responder::StoredPoint;

/// How to install it by hand, for the failure message.
const INSTALL: &str = "apt-get update (once, as root, if `apt-cache show influxdb` finds nothing), then apt-get download influxdb && dpkg-deb -x influxdb_*.deb DIR, then set INFLUXD=DIR/usr/bin/influxd (or `apt-get install influxdb` and INFLUXD=/usr/bin/influxd)";

/// A running `influxd`, stopped and its data removed when dropped.
pub struct Influxd {
    child: Child,
    dir: PathBuf,
    port: u16,
}

/// Which index InfluxDB keeps series in: `inmem` (1.x's default, all
/// series in memory) or `tsi1` (on disk, for a large cardinality).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Index {
    Inmem,
    Tsi1,
}

impl Influxd {
    /// Starts a fresh server with the `inmem` index and InfluxDB's default
    /// series limits.
    pub fn start() -> Influxd {
        Influxd::start_with(Index::Inmem, None, false)
    }

    /// Starts a fresh server with this index, its data under `parent`
    /// (the system's temp directory if `None`); `unlimited` lifts the
    /// per-database series limit (1,000,000) and the per-tag value limit
    /// (100,000).
    pub fn start_with(index: Index, parent: Option<&Path>, unlimited: bool) -> Influxd {
        let binary = influxd();
        let parent = parent.map_or_else(std::env::temp_dir, Path::to_path_buf);
        let dir = parent.join(format!("ur-influxd-{}-{}", std::process::id(), unique()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {dir:?}: {e}"));
        let port = free_port();
        let rpc = free_port();
        let index = match index {
            Index::Inmem => "inmem",
            Index::Tsi1 => "tsi1",
        };
        let limits = if unlimited {
            "  max-series-per-database = 0\n  max-values-per-tag = 0\n"
        } else {
            ""
        };
        let d = dir.display();
        let config = format!(
            "reporting-disabled = true\nbind-address = \"127.0.0.1:{rpc}\"\n\
             [meta]\n  dir = \"{d}/meta\"\n  logging-enabled = false\n\
             [data]\n  dir = \"{d}/data\"\n  wal-dir = \"{d}/wal\"\n  query-log-enabled = false\n  index-version = \"{index}\"\n  trace-logging-enabled = false\n  cache-snapshot-write-cold-duration = \"1s\"\n  compact-full-write-cold-duration = \"2s\"\n{limits}\
             [http]\n  bind-address = \"127.0.0.1:{port}\"\n  log-enabled = false\n  max-body-size = 0\n\
             [logging]\n  level = \"warn\"\n\
             [monitor]\n  store-enabled = false\n\
             [continuous_queries]\n  log-enabled = false\n"
        );
        let config_path = dir.join("influxdb.conf");
        std::fs::write(&config_path, config).unwrap();
        let log = std::fs::File::create(dir.join("influxd.log")).unwrap();
        let child = Command::new(binary)
            .arg("run")
            .arg("-config")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {}: {e}; install it: {INSTALL}",
                    binary.display()
                )
            });
        let mut server = Influxd { child, dir, port };
        server.wait_ready();
        server
    }

    fn wait_ready(&mut self) {
        let started = Instant::now();
        loop {
            if let Ok((204, _)) = self.request("GET", "/ping", "") {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "influxd ended ({status}) before it answered: {}",
                    std::fs::read_to_string(self.dir.join("influxd.log")).unwrap_or_default()
                );
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "influxd did not answer /ping within 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The server's process id (its memory is in `/proc/PID/status`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The data directory (`data/`, `wal/`, `meta/` under it).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Runs InfluxQL (one or more `;`-separated statements) against `db`;
    /// panics on an HTTP error or an error in any statement's result.
    pub fn query(&self, db: &str, q: &str) -> Value {
        let body = format!("db={}&q={}", form_encode(db), form_encode(q));
        let (status, answer) = self
            .request("POST", "/query", &body)
            .unwrap_or_else(|e| panic!("POST /query: {e}"));
        let value: Value = serde_json::from_str(&answer)
            .unwrap_or_else(|e| panic!("{q}: answer {status} is not JSON ({e}): {answer}"));
        assert_eq!(status, 200, "{q}: {answer}");
        for result in value["results"].as_array().into_iter().flatten() {
            assert!(result.get("error").is_none(), "{q}: {result}");
        }
        value
    }

    /// Writes line protocol (seconds precision) into `db`.
    pub fn write(&self, db: &str, lines: &str) {
        let path = format!("/write?db={}&precision=s", form_encode(db));
        let (status, answer) = self
            .request("POST", &path, lines)
            .unwrap_or_else(|e| panic!("POST /write: {e}"));
        assert_eq!(status, 204, "write: {answer}");
    }

    /// One HTTP/1.0 exchange: the status and the body.
    fn request(&self, method: &str, path: &str, body: &str) -> Result<(u16, String), String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).map_err(|e| e.to_string())?;
        stream
            .set_read_timeout(Some(Duration::from_secs(300)))
            .map_err(|e| e.to_string())?;
        let head = format!(
            "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        stream
            .write_all(head.as_bytes())
            .and_then(|()| stream.write_all(body.as_bytes()))
            .map_err(|e| e.to_string())?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).map_err(|e| e.to_string())?;
        let answer = String::from_utf8_lossy(&answer);
        let (head, body) = answer.split_once("\r\n\r\n").ok_or("no HTTP head")?;
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or("no status")?;
        Ok((status, body.to_string()))
    }
}

impl Drop for Influxd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A point as the Longhorn server writes it (influxdb client v2
/// `NewPoint`): the dummy `value` an integer, numbers from JSON floats,
/// at `seconds` since the epoch.
pub fn line_protocol(point: &StoredPoint, seconds: i64) -> String {
    let escape_key = |s: &str| {
        s.replace('\\', "\\\\")
            .replace(',', "\\,")
            .replace('=', "\\=")
            .replace(' ', "\\ ")
    };
    let mut line = escape_key(&point.measurement);
    for (key, value) in &point.tags {
        // InfluxDB drops a tag with an empty value, as the Go client does.
        if !value.is_empty() {
            line.push_str(&format!(",{}={}", escape_key(key), escape_key(value)));
        }
    }
    let fields: Vec<String> = point
        .fields
        .iter()
        .map(|(key, value)| {
            let value = match value {
                _ if key == "value" => "1i".to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Number(n) => {
                    let f = n.as_f64().unwrap_or_default();
                    format!("{f:?}")
                }
                Value::String(s) => {
                    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
                }
                other => panic!("a field the server cannot store: {other}"),
            };
            format!("{}={value}", escape_key(key))
        })
        .collect();
    format!("{line} {} {seconds}", fields.join(","))
}

fn form_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The `influxd` to run; installs Debian's on first use.
pub fn influxd() -> &'static Path {
    static BINARY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match BINARY.get_or_init(locate) {
        Ok(binary) => binary,
        Err(error) => panic!("InfluxDB 1.x (influxd) is missing: {error}; install it: {INSTALL}"),
    }
}

fn locate() -> Result<PathBuf, String> {
    if let Some(binary) = std::env::var_os("INFLUXD") {
        let binary = PathBuf::from(binary);
        return if binary.is_file() {
            Ok(binary)
        } else {
            Err(format!("INFLUXD={} is not a file", binary.display()))
        };
    }
    let dir = Path::new(env!("UR_TARGET_DIR")).join("influxdb");
    let binary = dir.join("usr/bin/influxd");
    if binary.is_file() {
        return Ok(binary);
    }
    install(&dir)?;
    Ok(binary)
}

/// `apt-get download` and `dpkg-deb -x` into a scratch directory renamed
/// into place, so a half-finished install is never taken for a finished one.
fn install(dir: &Path) -> Result<(), String> {
    let parent = dir.parent().ok_or("the target directory has no parent")?;
    std::fs::create_dir_all(parent)
        .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    let lock_path = parent.join("influxdb.lock");
    let lock = std::fs::File::create(&lock_path)
        .map_err(|e| format!("cannot create {}: {e}", lock_path.display()))?;
    lock.lock()
        .map_err(|e| format!("cannot lock {}: {e}", lock_path.display()))?;
    if dir.join("usr/bin/influxd").is_file() {
        return Ok(()); // another process installed it while we waited
    }
    let scratch = parent.join(format!("influxdb.partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch)
        .map_err(|e| format!("cannot create {}: {e}", scratch.display()))?;
    let run = |command: &mut Command, what: &str| -> Result<(), String> {
        let output = command
            .current_dir(&scratch)
            .output()
            .map_err(|e| format!("cannot run {what} ({e})"))?;
        if output.status.success() {
            return Ok(());
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("");
        Err(format!("`{what}` failed: {last}"))
    };
    run(
        Command::new("apt-get").args(["download", "influxdb"]),
        "apt-get download influxdb",
    )?;
    let deb = std::fs::read_dir(&scratch)
        .map_err(|e| e.to_string())?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .find(|path| path.extension().is_some_and(|e| e == "deb"))
        .ok_or("apt-get download influxdb left no .deb")?;
    run(
        Command::new("dpkg-deb").arg("-x").arg(&deb).arg("root"),
        "dpkg-deb -x influxdb_*.deb",
    )?;
    let root = scratch.join("root");
    if !root.join("usr/bin/influxd").is_file() {
        return Err("the influxdb package holds no usr/bin/influxd".into());
    }
    std::fs::rename(&root, dir)
        .map_err(|e| format!("cannot move influxd to {}: {e}", dir.display()))?;
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}
