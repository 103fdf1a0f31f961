//! Reading the files an operator names (setting files, the facts file):
//! each read is bounded in size, and only a regular file is read, so neither
//! `/dev/zero` nor a FIFO that nobody writes can fill memory or hang the job.

use std::io::Read as _;
use std::path::Path;

use anyhow::Context as _;

/// The largest setting file read: a value, not a document.
pub const MAX_SETTING_FILE_BYTES: u64 = 64 << 10;
/// The largest facts file read: far above what 5,000 nodes make (about
/// 3 MB), far below the job's memory limit.
pub const MAX_FACTS_FILE_BYTES: u64 = 16 << 20;

/// Reads `path` whole if it is a regular file of at most `limit` bytes.
/// `what` names the file in errors (e.g. "facts file").
pub fn read_bounded(path: &Path, limit: u64, what: &str) -> anyhow::Result<Vec<u8>> {
    let metadata = std::fs::metadata(path)
        .with_context(|| format!("cannot read {what} {}", path.display()))?;
    anyhow::ensure!(
        metadata.is_file(),
        "cannot read {what} {}: not a regular file (a directory, device or FIFO is never read)",
        path.display()
    );
    let file = std::fs::File::open(path)
        .with_context(|| format!("cannot read {what} {}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {what} {}", path.display()))?;
    anyhow::ensure!(
        bytes.len() as u64 <= limit,
        "cannot read {what} {}: larger than {limit} bytes",
        path.display()
    );
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(read_bounded(&small, 10, "x").unwrap(), b"0123456789");
        assert_eq!(
            read_bounded(&big, 10, "facts file")
                .unwrap_err()
                .to_string(),
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
        assert_eq!(
            read_bounded(zero, 10, "facts file")
                .unwrap_err()
                .to_string(),
            not_regular(zero)
        );
        assert_eq!(
            read_bounded(&dir, 10, "facts file")
                .unwrap_err()
                .to_string(),
            not_regular(&dir)
        );
        if made.is_ok_and(|s| s.success()) {
            assert_eq!(
                read_bounded(&fifo, 10, "facts file")
                    .unwrap_err()
                    .to_string(),
                not_regular(&fifo)
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
