//! The real upgrade-responder server's rules for what it stores, which the
//! payload (`payload.rs`) and the request schema (`schema.rs`) both follow:
//! the length of a tag value, the name a key is stored under, the data
//! types of the schema. `tests/fixtures/server-rules/` holds them as tables
//! of cases (`server_rules_tests.rs`).

use crate::words::UNKNOWN;

/// What the server keeps of a tag value, in bytes (service.go
/// `defaultMaxStringValueLength`, and the `maxLen` of every string key in
/// the request schema the SDK writes).
pub(crate) const MAX_TAG_VALUE_BYTES: usize = 200;

/// The server's `dataType` of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataType {
    /// Text of at most 200 bytes (the SDK cuts longer text).
    String,
    /// A number ([`crate::FieldValue::Count`]).
    Float,
    /// `true` or `false` ([`crate::FieldValue::Flag`]).
    Boolean,
}

impl DataType {
    /// The name the request schema uses.
    pub fn name(self) -> &'static str {
        match self {
            DataType::String => "string",
            DataType::Float => "float",
            DataType::Boolean => "boolean",
        }
    }
}

/// A value the server keeps: never empty, at most 200 bytes, cut on a
/// character boundary.
pub(crate) fn tag_value(value: &str) -> String {
    let value = value.trim();
    if value.is_empty() {
        return UNKNOWN.to_string();
    }
    if value.len() <= MAX_TAG_VALUE_BYTES {
        return value.to_string();
    }
    let mut end = MAX_TAG_VALUE_BYTES;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    value[..end].to_string()
}

/// The name the server stores a key under: longhorn/upgrade-responder
/// `utils.ToSnakeCase`, which replaces `([A-Z])([A-Z][a-z])` with
/// `${1}_${2}`, then `([a-z0-9])([A-Z])` with `${1}_${2}` (leftmost,
/// non-overlapping matches, ASCII letters only), then `-` with `_`, and
/// lowercases: `serverNodeCount` -> `server_node_count`, `APIServerURL` ->
/// `api_server_url`, `kernel-Version` -> `kernel_version`.
pub(crate) fn server_key(key: &str) -> String {
    let upper = |c: char| c.is_ascii_uppercase();
    let lower = |c: char| c.is_ascii_lowercase();
    let chars: Vec<char> = key.chars().collect();
    // First expression: an upper-case letter, then one that starts a word.
    let mut first = Vec::with_capacity(chars.len() + 4);
    let mut i = 0;
    while i < chars.len() {
        if i + 2 < chars.len() && upper(chars[i]) && upper(chars[i + 1]) && lower(chars[i + 2]) {
            first.extend([chars[i], '_', chars[i + 1], chars[i + 2]]);
            i += 3;
        } else {
            first.push(chars[i]);
            i += 1;
        }
    }
    // Second expression: a lower-case letter or digit, then an upper-case one.
    let mut second = String::with_capacity(first.len() + 4);
    let mut i = 0;
    while i < first.len() {
        second.push(first[i]);
        if i + 1 < first.len()
            && (lower(first[i]) || first[i].is_ascii_digit())
            && upper(first[i + 1])
        {
            second.push('_');
            second.push(first[i + 1]);
            i += 2;
        } else {
            i += 1;
        }
    }
    second.replace('-', "_").to_lowercase()
}
