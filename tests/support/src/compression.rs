//! Response compression as the real kube-apiserver does it
//! (k8s.io/apiserver, endpoints/handlers/responsewriters/writers.go):
//! gzip, level 1, only for a client whose `Accept-Encoding` lists `gzip`,
//! and only for an answer larger than 128 KiB; smaller ones go as they are.

use std::io::Write as _;

/// `defaultGzipThresholdBytes`: answers up to this size are not compressed.
pub const GZIP_THRESHOLD_BYTES: usize = 128 * 1024;

/// `defaultGzipContentEncodingLevel`: the least CPU for about the same size.
const GZIP_LEVEL: u32 = 1;

/// `negotiateContentEncoding`: the header's comma-separated tokens, each
/// trimmed, compared with `gzip` exactly (so `gzip;q=0.5` or `GZIP` do not
/// count, as in the real server).
pub fn accepts_gzip(accept_encoding: Option<&str>) -> bool {
    accept_encoding.is_some_and(|header| header.split(',').any(|token| token.trim() == "gzip"))
}

/// Whether an answer of `body_len` bytes goes gzipped to this client.
pub fn compresses(accept_encoding: Option<&str>, body_len: usize) -> bool {
    accepts_gzip(accept_encoding) && body_len > GZIP_THRESHOLD_BYTES
}

/// `body` gzipped at the real server's level.
pub fn gzip(body: &[u8]) -> Vec<u8> {
    let mut encoder =
        flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(GZIP_LEVEL));
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(body);
    encoder.finish().unwrap_or_default()
}
