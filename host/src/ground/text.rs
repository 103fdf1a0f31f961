//! Text from outside shown to an operator: every log line, message and
//! file the host writes that quotes a component, a server or a setting goes
//! through these two functions, so no quoted text can start a line or show a
//! credential.

/// A URL (or URL-like text) as it may be shown anywhere: the userinfo of
/// its authority (`user:password@`), which may hold a credential, is
/// replaced by `***`. Works on text that does not parse as a URL, so the
/// message refusing a malformed endpoint cannot leak it either.
pub fn redact_userinfo(text: &str) -> String {
    let start = text.find("://").map_or(0, |i| i + 3);
    let rest = &text[start..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => format!("{}***{}", &text[..start], &text[start + at..]),
        None => text.to_string(),
    }
}

/// Component-supplied text made safe for one log line: control characters
/// (newline, CR, NUL, escape, the Unicode line separators) are written as
/// escapes, and the text is cut after `max_chars` characters with a marker.
pub fn log_text(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars.saturating_add(32)));
    let mut chars = text.chars();
    for c in chars.by_ref().take(max_chars) {
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    let rest = chars.count();
    if rest > 0 {
        out.push_str(&format!("[... {rest} more characters cut]"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_never_shows_wherever_a_url_is_shown() {
        for (text, shown) in [
            ("https://user:pw@host/v1", "https://***@host/v1"),
            (
                "https://token@host:8443/v1?a=b@c",
                "https://***@host:8443/v1?a=b@c",
            ),
            ("http://u:p@w@bad host/", "http://***@bad host/"),
            ("user:pw@host", "***@host"),
            ("https://host/v1/a@b", "https://host/v1/a@b"),
            ("https://host", "https://host"),
        ] {
            assert_eq!(redact_userinfo(text), shown, "{text}");
        }
    }

    #[test]
    fn component_text_cannot_start_a_log_line_and_is_cut() {
        assert_eq!(
            log_text("a\nINFO forged\r\0\u{1b}[31m\u{2028}z", 100),
            "a\\nINFO forged\\r\\u{0}\\u{1b}[31m\\u{2028}z"
        );
        assert_eq!(log_text("abcdef", 3), "abc[... 3 more characters cut]");
        assert_eq!(log_text("plain", 5), "plain");
    }
}
