//! The one door every file the host reads comes in through: setting files,
//! the token, the CA bundle, the kubeconfig, the facts file and components,
//! for every command. A file is opened without blocking (a FIFO nobody
//! writes cannot hang the job), judged on the opened descriptor (a regular
//! file only, after the symlinks a ConfigMap mount uses), and read up to
//! the bound of its kind, so neither `/dev/zero` nor a huge file can fill
//! memory. `clippy.toml` makes this the only way to read a file.

use std::io::Read as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

use super::text::io_reason;

/// What a file is to the host, and the most it reads of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    /// How messages name it: "facts file".
    pub what: &'static str,
    pub max_bytes: u64,
}

/// A setting's value in a file: a value, not a document.
pub const SETTING_FILE: Kind = Kind {
    what: "setting file",
    max_bytes: 64 << 10,
};
/// Far above what 5,000 nodes make (about 3 MB), far below the job's
/// memory limit.
pub const FACTS_FILE: Kind = Kind {
    what: "facts file",
    max_bytes: 16 << 20,
};
/// Embedded certificates make a few KiB each.
pub const KUBECONFIG: Kind = Kind {
    what: "kubeconfig",
    max_bytes: 4 << 20,
};
/// A bearer token: a service-account JWT is about 1 KiB.
pub const TOKEN_FILE: Kind = Kind {
    what: "token file",
    max_bytes: 16 << 10,
};
/// A private CA bundle: a few certificates, not the public web's roots.
pub const CA_BUNDLE: Kind = Kind {
    what: "CA bundle",
    max_bytes: 1 << 20,
};
/// A component, `.wasm` or precompiled: the policy's file bound.
pub const COMPONENT: Kind = Kind {
    what: "the component",
    max_bytes: super::policy::HOST_BUDGET.component_bytes as u64,
};

/// An upgrade-responder answer for a dry run's preview: the default
/// response body limit, the most a real answer may be.
pub const SAMPLE_ANSWER: Kind = Kind {
    what: "sample answer",
    max_bytes: 1 << 20,
};
/// A deployed server's `--request-schema` file (`schema --check`): a few
/// KiB for a few dozen keys.
pub const REQUEST_SCHEMA: Kind = Kind {
    what: "request schema",
    max_bytes: 1 << 20,
};

/// Every kind, for the tests that try each against hostile paths.
pub const KINDS: &[Kind] = &[
    SETTING_FILE,
    FACTS_FILE,
    KUBECONFIG,
    TOKEN_FILE,
    CA_BUNDLE,
    COMPONENT,
    SAMPLE_ANSWER,
    REQUEST_SCHEMA,
];

/// Reads `path` whole if it is a regular file of at most `kind.max_bytes`.
/// Errors are one line naming the kind, the path and the reason; the
/// caller adds the setting and its source.
pub fn read(path: &Path, kind: Kind) -> anyhow::Result<Vec<u8>> {
    let Kind { what, max_bytes } = kind;
    let shown = path.display();
    // O_NONBLOCK: opening a FIFO for reading returns at once instead of
    // waiting for a writer; on a regular file it changes nothing.
    #[allow(clippy::disallowed_methods)] // the door itself
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| anyhow::anyhow!("cannot read {what} {shown}: {}", io_reason(&e)))?;
    let metadata = file
        .metadata()
        .map_err(|e| anyhow::anyhow!("cannot read {what} {shown}: {}", io_reason(&e)))?;
    anyhow::ensure!(
        metadata.is_file(),
        "cannot read {what} {shown}: not a regular file (a directory, device or FIFO is never read)"
    );
    anyhow::ensure!(
        metadata.len() <= max_bytes,
        "cannot read {what} {shown}: larger than {max_bytes} bytes"
    );
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    // A file that grows while it is read is still cut at the bound.
    file.take(max_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| anyhow::anyhow!("cannot read {what} {shown}: {}", io_reason(&e)))?;
    anyhow::ensure!(
        bytes.len() as u64 <= max_bytes,
        "cannot read {what} {shown}: larger than {max_bytes} bytes"
    );
    Ok(bytes)
}

/// [`read`], as UTF-8 text.
pub fn read_text(path: &Path, kind: Kind) -> anyhow::Result<String> {
    String::from_utf8(read(path, kind)?).map_err(|_| {
        anyhow::anyhow!(
            "cannot read {} {}: not UTF-8 text",
            kind.what,
            path.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEN: Kind = Kind {
        what: "facts file",
        max_bytes: 10,
    };

    #[test]
    fn devices_fifos_directories_and_oversized_files_are_refused_by_name() {
        let dir = std::env::temp_dir().join(format!("ur-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let big = dir.join("big");
        std::fs::write(&big, vec![b'x'; 11]).unwrap();
        let small = dir.join("small");
        std::fs::write(&small, b"0123456789").unwrap();
        let fifo = dir.join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        let link = dir.join("link");
        std::os::unix::fs::symlink(&small, &link).unwrap();
        assert_eq!(read(&small, TEN).unwrap(), b"0123456789");
        // A ConfigMap mount reaches its files through symlinks.
        assert_eq!(read(&link, TEN).unwrap(), b"0123456789");
        assert_eq!(
            read(&big, TEN).unwrap_err().to_string(),
            format!(
                "cannot read facts file {}: larger than 10 bytes",
                big.display()
            )
        );
        let not_regular = |path: &Path| {
            format!(
                "cannot read facts file {}: not a regular file (a directory, device or FIFO is never read)",
                path.display()
            )
        };
        let zero = Path::new("/dev/zero");
        assert_eq!(read(zero, TEN).unwrap_err().to_string(), not_regular(zero));
        assert_eq!(read(&dir, TEN).unwrap_err().to_string(), not_regular(&dir));
        assert!(made.is_ok_and(|s| s.success()), "mkfifo failed");
        // Opened without blocking: no writer, no hang.
        assert_eq!(
            read(&fifo, TEN).unwrap_err().to_string(),
            not_regular(&fifo)
        );
        let missing = dir.join("missing");
        assert_eq!(
            read(&missing, TEN).unwrap_err().to_string(),
            format!(
                "cannot read facts file {}: no such file or directory",
                missing.display()
            )
        );
        std::fs::write(&small, b"\xff\xfe").unwrap();
        assert_eq!(
            read_text(&small, TEN).unwrap_err().to_string(),
            format!("cannot read facts file {}: not UTF-8 text", small.display())
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
