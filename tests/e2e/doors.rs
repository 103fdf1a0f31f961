//! Every file a setting or a command names, against the paths an attacker
//! or a slip would give it: generated from the settings table (each
//! setting's `Value` kind) and the commands' path arguments, so a setting
//! or command added later is tried too. Each run must end in its exit code
//! with one line naming the setting (or argument) and the path, inside a
//! hang timeout and, for reads, under an address-space limit; an output
//! path that is not a regular file is left as it was.

use std::os::unix::fs::FileTypeExt as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use upgrade_responder::ground::input::Kind;
use upgrade_responder::settings::{SETTINGS, Value};

use crate::common::{Ran, TempDir, facts_file, host};

/// Far above what any refusal takes: a run past it is hanging.
const HANG: Duration = Duration::from_secs(20);
/// The address space of a run that reads a hostile file: a host that read
/// `/dev/zero` or a huge file whole would pass it. wasmtime reserves about
/// 4 GiB of address space (not memory) for a component's linear memory,
/// so the bound leaves room for one.
const ADDRESS_SPACE: u64 = 8 << 30;

/// A run killed at `HANG`, optionally under an address-space limit.
fn run_bounded(command: &mut Command, address_space: Option<u64>) -> Ran {
    if let Some(limit) = address_space {
        // SAFETY: setrlimit is async-signal-safe; nothing else runs here.
        unsafe {
            command.pre_exec(move || {
                let rlimit = libc::rlimit {
                    rlim_cur: limit,
                    rlim_max: limit,
                };
                if libc::setrlimit(libc::RLIMIT_AS, &rlimit) == 0 {
                    Ok(())
                } else {
                    Err(std::io::Error::last_os_error())
                }
            });
        }
    }
    let started = Instant::now();
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the host binary runs");
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > HANG {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "hung past {HANG:?}: {:?}",
                command.get_args().collect::<Vec<_>>()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = child.wait_with_output().unwrap();
    Ran {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        elapsed: started.elapsed(),
    }
}

/// A hostile path for a file the host reads, and what the host must say.
struct Case {
    name: &'static str,
    path: PathBuf,
}

fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(made.success(), "mkfifo {}", path.display());
}

/// The hostile paths for a file of `kind`, made in `dir`.
fn read_cases(dir: &Path, kind: Kind) -> Vec<Case> {
    let sub = |name: &str| dir.join(name);
    let folder = sub("a-directory");
    std::fs::create_dir_all(&folder).unwrap();
    let fifo = sub("a-fifo");
    mkfifo(&fifo);
    let link = sub("a-symlink-to-a-device");
    std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
    let huge = sub("ten-times-the-bound");
    // Sparse: the size is there, the disk blocks are not.
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(kind.max_bytes * 10)
        .unwrap();
    let binary = sub("not-utf-8");
    std::fs::write(&binary, b"\xff\xfe\x00binary\x9c").unwrap();
    let empty = sub("empty");
    std::fs::write(&empty, b"").unwrap();
    vec![
        Case {
            name: "missing",
            path: sub("missing"),
        },
        Case {
            name: "directory",
            path: folder,
        },
        Case {
            name: "FIFO",
            path: fifo,
        },
        Case {
            name: "/dev/zero",
            path: PathBuf::from("/dev/zero"),
        },
        Case {
            name: "symlink to a device",
            path: link,
        },
        Case {
            name: "ten times its bound",
            path: huge,
        },
        Case {
            name: "not UTF-8",
            path: binary,
        },
        Case {
            name: "empty",
            path: empty,
        },
    ]
}

/// The exit code of a read refused: configuration (2), or for a component
/// whose bytes are no component, refused (3).
fn expected_code(key_or_arg: &str, case: &Case, kind: Kind) -> i32 {
    let component = kind == upgrade_responder::ground::input::COMPONENT;
    match case.name {
        "ten times its bound" | "not UTF-8" | "empty" if component => 3,
        // An empty token file, CA bundle, kubeconfig or facts file holds
        // nothing usable: a configuration error like the rest.
        _ => {
            let _ = key_or_arg;
            2
        }
    }
}

/// The one line a refused read ends with, from the log (ERROR) or, for
/// `inspect`, the verdict on stdout.
fn refusal_line(ran: &Ran) -> Vec<String> {
    let mut lines: Vec<String> = ran
        .log_lines("ERROR")
        .into_iter()
        .map(str::to_string)
        .collect();
    lines.extend(
        ran.stdout
            .lines()
            .filter(|l| l.starts_with("verdict:"))
            .map(str::to_string),
    );
    lines
}

fn assert_refused(ran: &Ran, what: &str, case: &Case, code: i32, names: &[&str]) {
    let context = format!("{what} = {} ({})", case.path.display(), case.name);
    assert_eq!(ran.code, code, "{context}: {}{}", ran.stdout, ran.stderr);
    let lines = refusal_line(ran);
    assert_eq!(
        lines.len(),
        1,
        "{context}: not one line: {lines:?}\n{}",
        ran.stderr
    );
    for name in names {
        assert!(
            lines[0].contains(name),
            "{context}: {name} not named: {}",
            lines[0]
        );
    }
    assert!(
        lines[0].contains(&case.path.display().to_string()),
        "{context}: the path is not named: {}",
        lines[0]
    );
}

#[test]
fn every_path_setting_refuses_every_hostile_path_with_one_line() {
    let mut tried = 0;
    for setting in SETTINGS {
        let Value::ReadFile(kind) = setting.value else {
            continue;
        };
        let dir = TempDir::new(&format!("doors-{}", setting.key.to_lowercase()));
        for case in read_cases(dir.path(), kind) {
            let mut command = host();
            command.arg("--dry-run").env(setting.key, &case.path);
            if setting.key != upgrade_responder::settings::FACTS {
                command.arg("--facts").arg(facts_file("k3s-single"));
            }
            let ran = run_bounded(&mut command, Some(ADDRESS_SPACE));
            let code = expected_code(setting.key, &case, kind);
            // A component that is too large is refused by the policy's
            // words, which name the file; the rest name the setting.
            let names: &[&str] = if code == 3 { &[] } else { &[setting.key] };
            assert_refused(&ran, setting.key, &case, code, names);
            tried += 1;
        }
    }
    // Five path settings (component, facts, kubeconfig, token, CA) times
    // eight cases: a setting added with a path kind adds its eight.
    assert!(tried >= 40, "{tried}");
}

#[test]
fn every_command_refuses_a_hostile_component_path_with_one_line() {
    let kind = upgrade_responder::ground::input::COMPONENT;
    let dir = TempDir::new("doors-commands");
    let out = dir.path().join("out.cwasm");
    for (command_name, args) in [
        ("inspect", vec!["inspect"]),
        ("compile", vec!["compile", "-o", out.to_str().unwrap()]),
    ] {
        let cases = TempDir::new(&format!("doors-{command_name}"));
        for case in read_cases(cases.path(), kind) {
            let mut command = host();
            command.args(&args).arg(&case.path);
            let ran = run_bounded(&mut command, Some(ADDRESS_SPACE));
            let code = expected_code(command_name, &case, kind);
            assert_refused(&ran, command_name, &case, code, &[]);
            assert!(
                !out.exists(),
                "compile wrote {} for {}",
                out.display(),
                case.name
            );
        }
    }
}

#[test]
fn schema_check_refuses_every_hostile_schema_path_with_one_line() {
    let kind = upgrade_responder::ground::input::REQUEST_SCHEMA;
    let dir = TempDir::new("doors-schema-check");
    for case in read_cases(dir.path(), kind) {
        let mut command = host();
        command.args(["schema", "--check"]).arg(&case.path);
        let ran = run_bounded(&mut command, Some(ADDRESS_SPACE));
        assert_refused(&ran, "schema --check", &case, 2, &[]);
        assert_eq!(ran.stdout, "", "{}", case.name);
    }
}

#[test]
fn server_kit_writes_into_a_folder_only_and_never_through_a_symlink() {
    let dir = TempDir::new("doors-out-kit");
    for (name, path) in write_cases(dir.path()) {
        let before = kind_of(&path);
        let ran = run_bounded(
            host()
                .args(["server-kit", "--app-name", "k3s", "--out"])
                .arg(&path),
            None,
        );
        if name == "directory" {
            // A folder is where the kit goes.
            assert_eq!(ran.code, 0, "{name}: {}", ran.stderr);
            assert!(path.join("dashboard.json").is_file());
            continue;
        }
        let case = Case {
            name,
            path: path.clone(),
        };
        assert_refused(&ran, "server-kit --out", &case, 2, &["cannot write"]);
        assert_eq!(ran.stdout, "", "{name}");
        assert_eq!(kind_of(&path), before, "{name} was replaced");
    }
    let target = dir.path().join("the-symlinks-target");
    assert_eq!(std::fs::read_to_string(target).unwrap(), "left alone");
}

#[test]
fn a_setting_file_in_a_config_directory_is_read_through_the_same_door() {
    let kind = upgrade_responder::ground::input::SETTING_FILE;
    let key = upgrade_responder::settings::ENDPOINT;
    for (index, case) in read_cases(TempDir::new("doors-dir-cases").path(), kind)
        .into_iter()
        .enumerate()
    {
        // "missing" is no setting file at all: nothing to refuse.
        if case.name == "missing" {
            continue;
        }
        let dir = TempDir::new(&format!("doors-config-{index}"));
        let file = dir.path().join(key);
        if case.path.is_symlink() || case.name == "/dev/zero" {
            std::os::unix::fs::symlink("/dev/zero", &file).unwrap();
        } else if case.name == "FIFO" {
            mkfifo(&file);
        } else if case.name == "directory" {
            std::fs::create_dir(&file).unwrap();
        } else {
            std::fs::rename(&case.path, &file).unwrap();
        }
        let case = Case {
            name: case.name,
            path: file,
        };
        let ran = run_bounded(
            host()
                .arg("--dry-run")
                .arg("--facts")
                .arg(facts_file("k3s-single"))
                .env("UPGRADE_RESPONDER_CONFIG_DIRS", dir.path()),
            Some(ADDRESS_SPACE),
        );
        assert_refused(&ran, key, &case, 2, &[key]);
    }
    // A config directory that is a file is named, not ignored.
    let dir = TempDir::new("doors-config-file");
    let file = dir.path().join("not-a-directory");
    std::fs::write(&file, "x").unwrap();
    let ran = run_bounded(
        host()
            .arg("--dry-run")
            .arg("--facts")
            .arg(facts_file("k3s-single"))
            .env("UPGRADE_RESPONDER_CONFIG_DIRS", &file),
        None,
    );
    assert_refused(
        &ran,
        "UPGRADE_RESPONDER_CONFIG_DIRS",
        &Case {
            name: "a file",
            path: file.clone(),
        },
        2,
        &[
            "UPGRADE_RESPONDER_CONFIG_DIRS",
            "is not a directory of setting files",
        ],
    );
}

/// What an output path is, so the test can see it was left as it was.
fn kind_of(path: &Path) -> &'static str {
    match std::fs::symlink_metadata(path) {
        Err(_) => "missing",
        Ok(m) if m.file_type().is_symlink() => "symlink",
        Ok(m) if m.file_type().is_fifo() => "FIFO",
        Ok(m) if m.file_type().is_char_device() => "device",
        Ok(m) if m.is_dir() => "directory",
        Ok(_) => "file",
    }
}

/// Hostile output paths, made in a private directory: never the machine's
/// own `/dev`. Returns the path and the target a symlink points at.
fn write_cases(dir: &Path) -> Vec<(&'static str, PathBuf)> {
    let fifo = dir.join("a-fifo");
    mkfifo(&fifo);
    let device = dir.join("a-device");
    // The null device's numbers (1, 3), in this directory only.
    let made = Command::new("mknod")
        .arg(&device)
        .args(["c", "1", "3"])
        .status()
        .unwrap();
    assert!(
        made.success(),
        "mknod needs root: the tests run as root here"
    );
    let target = dir.join("the-symlinks-target");
    std::fs::write(&target, "left alone").unwrap();
    let link = dir.join("a-symlink");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let folder = dir.join("a-directory");
    std::fs::create_dir(&folder).unwrap();
    vec![
        ("FIFO", fifo),
        ("device", device),
        ("symlink", link),
        ("directory", folder),
    ]
}

#[test]
fn every_output_path_is_a_regular_file_or_is_left_as_it_was() {
    let mut tried = 0;
    for setting in SETTINGS {
        if setting.value != Value::WriteFile {
            continue;
        }
        let dir = TempDir::new(&format!("doors-out-{}", setting.key.to_lowercase()));
        for (name, path) in write_cases(dir.path()) {
            let before = kind_of(&path);
            let ran = run_bounded(
                host()
                    .arg("--facts")
                    .arg(facts_file("k3s-single"))
                    .arg("--endpoint")
                    .arg(format!(
                        "http://127.0.0.1:{}/v1",
                        crate::common::closed_port()
                    ))
                    .env(setting.key, &path),
                None,
            );
            // The run's outcome stands (best effort: the endpoint is
            // closed, exit 0); the message is refused with one warning.
            assert_eq!(ran.code, 0, "{name}: {}", ran.stderr);
            let warned: Vec<&str> = ran
                .log_lines("WARN")
                .into_iter()
                .filter(|l| l.contains(setting.key))
                .collect();
            assert_eq!(warned.len(), 1, "{name}: {}", ran.stderr);
            assert!(
                warned[0].contains(&path.display().to_string()),
                "{}",
                warned[0]
            );
            assert_eq!(kind_of(&path), before, "{name} was replaced");
            tried += 1;
        }
        let target = dir.path().join("the-symlinks-target");
        assert_eq!(std::fs::read_to_string(target).unwrap(), "left alone");
    }
    assert!(tried >= 4, "{tried}");

    // compile -o: refused before the compile, nothing replaced.
    let dir = TempDir::new("doors-out-compile");
    let component = ur_test_support::components::CONTAINED_READS_ENV_ARGS;
    for (name, path) in write_cases(dir.path()) {
        let before = kind_of(&path);
        let ran = run_bounded(
            host().arg("compile").arg(component).arg("-o").arg(&path),
            None,
        );
        let case = Case {
            name,
            path: path.clone(),
        };
        assert_refused(&ran, "compile -o", &case, 2, &["cannot write"]);
        assert!(ran.stdout.is_empty(), "{name}: {}", ran.stdout);
        assert_eq!(kind_of(&path), before, "{name} was replaced");
    }
    let target = dir.path().join("the-symlinks-target");
    assert_eq!(std::fs::read_to_string(target).unwrap(), "left alone");
}
