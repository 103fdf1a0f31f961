//! The one door every file the host writes goes out through: the
//! precompiled artefact of `compile -o`, the termination message and the
//! files of `server-kit` (into a folder [`check_folder`] makes ready). A
//! target is a regular file or nothing yet: never a symlink (not followed),
//! a device, a FIFO or a directory, which are refused, never replaced or
//! written into; opening never blocks. [`check`] runs before the work that
//! produces the bytes, so a path that cannot be written is found first.
//! `clippy.toml` makes this the only way to write a file.

use std::io::Write as _;
use std::os::unix::ffi::OsStrExt as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

use super::text::io_reason;

/// Whether `path` can take the bytes: it is a regular file the host may
/// write, or it does not exist and its folder does and may be written.
pub fn check(path: &Path, what: &str) -> anyhow::Result<()> {
    let shown = path.display();
    match std::fs::symlink_metadata(path) {
        Ok(metadata) if metadata.file_type().is_symlink() => anyhow::bail!(
            "cannot write {what} {shown}: it is a symlink, which is never followed: name the file itself"
        ),
        Ok(metadata) if !metadata.is_file() => anyhow::bail!(
            "cannot write {what} {shown}: not a regular file (a device, FIFO or directory is never written or replaced)"
        ),
        Ok(_) => writable(path).map_err(|e| anyhow::anyhow!("cannot write {what} {shown}: {e}")),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let folder = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            anyhow::ensure!(
                folder.is_dir(),
                "cannot write {what} {shown}: its folder {} does not exist",
                folder.display()
            );
            writable(folder).map_err(|e| {
                anyhow::anyhow!(
                    "cannot write {what} {shown}: its folder {}: {e}",
                    folder.display()
                )
            })
        }
        Err(error) => anyhow::bail!("cannot write {what} {shown}: {}", io_reason(&error)),
    }
}

/// Writes `bytes` into `path` in place: opened without following a symlink
/// and without blocking, judged on the descriptor, then truncated and
/// written. In place because the kubelet's termination file is a bind
/// mount, which a rename cannot replace.
pub fn write(path: &Path, bytes: &[u8], what: &str) -> anyhow::Result<()> {
    check(path, what)?;
    let shown = path.display();
    let fail =
        |e: std::io::Error| anyhow::anyhow!("cannot write {what} {shown}: {}", io_reason(&e));
    #[allow(clippy::disallowed_methods)] // the door itself
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o644)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(fail)?;
    // Between the check and the open the path may have changed: judge
    // what was opened.
    anyhow::ensure!(
        file.metadata().map_err(fail)?.is_file(),
        "cannot write {what} {shown}: not a regular file (a device, FIFO or directory is never written or replaced)"
    );
    file.set_len(0).map_err(fail)?;
    file.write_all(bytes).map_err(fail)?;
    Ok(())
}

/// Writes `bytes` to `path` whole or not at all: into a new file beside it,
/// then renamed over it, after `path` is checked again. For artefacts, so
/// no reader sees half of one.
pub fn write_replacing(path: &Path, bytes: &[u8], what: &str) -> anyhow::Result<()> {
    check(path, what)?;
    let mut partial = path.as_os_str().to_owned();
    partial.push(format!(".partial-{}", std::process::id()));
    let partial = Path::new(&partial);
    let shown = path.display();
    let fail =
        |e: std::io::Error| anyhow::anyhow!("cannot write {what} {shown}: {}", io_reason(&e));
    #[allow(clippy::disallowed_methods)] // the door itself
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(partial)
        .and_then(|mut file| file.write_all(bytes).and_then(|()| file.sync_all()));
    let renamed = written.and_then(|()| {
        // Checked again just before the rename replaces it.
        check(path, what).map_err(std::io::Error::other)?;
        std::fs::rename(partial, path)
    });
    if let Err(error) = renamed {
        let _ = std::fs::remove_file(partial);
        return Err(fail(error));
    }
    Ok(())
}

/// Makes `folder` ready to take files: an existing directory the host may
/// write into (never a symlink to one, so the files land where the name
/// says), or a new one made inside an existing parent.
pub fn check_folder(folder: &Path, what: &str) -> anyhow::Result<()> {
    let shown = folder.display();
    match std::fs::symlink_metadata(folder) {
        Ok(metadata) if metadata.file_type().is_symlink() => anyhow::bail!(
            "cannot write {what} {shown}: it is a symlink, which is never followed: name the folder itself"
        ),
        Ok(metadata) if !metadata.is_dir() => {
            anyhow::bail!("cannot write {what} {shown}: not a directory: name a folder")
        }
        Ok(_) => writable(folder).map_err(|e| anyhow::anyhow!("cannot write {what} {shown}: {e}")),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => std::fs::create_dir(folder)
            .map_err(|e| {
                anyhow::anyhow!(
                    "cannot write {what} {shown}: cannot create it ({}): its parent must exist",
                    io_reason(&e)
                )
            }),
        Err(error) => anyhow::bail!("cannot write {what} {shown}: {}", io_reason(&error)),
    }
}

/// `access(2)` for writing: the check the kernel makes at open, asked first.
fn writable(path: &Path) -> Result<(), String> {
    let mut name = path.as_os_str().as_bytes().to_vec();
    name.push(0);
    // SAFETY: `name` is a NUL-terminated byte string that outlives the call.
    let answer = unsafe { libc::access(name.as_ptr().cast(), libc::W_OK) };
    if answer == 0 {
        Ok(())
    } else {
        Err(io_reason(&std::io::Error::last_os_error()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_are_written_and_nothing_else_is_replaced() {
        let dir = std::env::temp_dir().join(format!("ur-output-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("message");
        write(&file, b"first, longer", "termination message").unwrap();
        write(&file, b"second", "termination message").unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"second");
        write_replacing(&file, b"third", "artefact").unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"third");

        let link = dir.join("link");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        let fifo = dir.join("fifo");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let not_regular = |p: &Path, what: &str| {
            format!(
                "cannot write {what} {}: not a regular file (a device, FIFO or directory is never written or replaced)",
                p.display()
            )
        };
        for (path, expected) in [
            (
                link.clone(),
                format!(
                    "cannot write artefact {}: it is a symlink, which is never followed: name the file itself",
                    link.display()
                ),
            ),
            (fifo.clone(), not_regular(&fifo, "artefact")),
            (dir.clone(), not_regular(&dir, "artefact")),
            (
                dir.join("no/such/folder"),
                format!(
                    "cannot write artefact {}: its folder {} does not exist",
                    dir.join("no/such/folder").display(),
                    dir.join("no/such").display()
                ),
            ),
        ] {
            assert_eq!(
                write(&path, b"x", "artefact").unwrap_err().to_string(),
                expected
            );
            assert_eq!(
                write_replacing(&path, b"x", "artefact")
                    .unwrap_err()
                    .to_string(),
                expected
            );
        }
        // The symlink's target and the FIFO are untouched, and still what they were.
        assert_eq!(std::fs::read(&file).unwrap(), b"third");
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        let null = Path::new("/dev/null");
        assert_eq!(
            check(null, "artefact").unwrap_err().to_string(),
            not_regular(null, "artefact")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
