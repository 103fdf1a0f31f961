//! Text from outside shown to an operator: every log line, message and
//! file the host writes that quotes a component, a server or a setting goes
//! through `log_text` and `redact_userinfo`, so no quoted text can start a
//! line, hide or reorder what a reader sees, or show a credential; and the
//! file doors word an I/O error's reason one way (`io_reason`).

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

/// Outside text made safe for one log line, a JSON log field or the
/// termination message: control characters (newline, CR, NUL, escape, the
/// Unicode line separators) and the invisible format characters (the bidi
/// overrides and isolates that reorder what a reader sees, zero-width
/// spaces and joiners, the byte-order mark, tag characters) are written as
/// escapes, and the text is cut after `max_chars` characters with a marker.
pub fn log_text(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars.saturating_add(32)));
    let mut chars = text.chars();
    for c in chars.by_ref().take(max_chars) {
        if escaped(c) {
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

/// Whether a character is written as an escape: controls, the line and
/// paragraph separators, and Unicode's invisible format characters
/// (general category Cf) that a terminal or viewer renders as nothing or
/// uses to reorder the text around them.
fn escaped(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00AD}'                     // soft hyphen
            | '\u{034F}'                   // combining grapheme joiner
            | '\u{061C}'                   // Arabic letter mark
            | '\u{115F}' | '\u{1160}'      // Hangul fillers
            | '\u{17B4}' | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'      // Mongolian selectors and vowel separator
            | '\u{200B}'..='\u{200F}'      // zero-width space, joiners, LRM, RLM
            | '\u{2028}'..='\u{202E}'      // separators, bidi embeddings and overrides
            | '\u{2060}'..='\u{206F}'      // word joiner, invisible operators, bidi isolates
            | '\u{3164}'                   // Hangul filler
            | '\u{FE00}'..='\u{FE0F}'      // variation selectors
            | '\u{FEFF}'                   // byte-order mark
            | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}'      // interlinear annotation
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'    // tags and variation selectors supplement
        )
}

/// An I/O error's reason for a message, without the `(os error N)` tail:
/// `no such file or directory`.
pub fn io_reason(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error") {
        Some(end) => text[..end].to_lowercase(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shared table the SDK's `wasmtime run` mode is tested against too.
    #[test]
    fn userinfo_never_shows_wherever_a_url_is_shown() {
        let table: serde_json::Value =
            serde_json::from_str(include_str!("../../../tests/fixtures/text/redaction.json"))
                .unwrap();
        let cases = table["cases"].as_array().unwrap();
        assert!(cases.len() >= 8);
        for case in cases {
            let (text, shown) = (case[0].as_str().unwrap(), case[1].as_str().unwrap());
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
        // What a reader sees must be what is there: no reordering, nothing
        // invisible.
        assert_eq!(
            log_text(
                "v1.2\u{202E}3.1v\u{200B}x\u{2066}y\u{FEFF}\u{E0041}é中",
                100
            ),
            "v1.2\\u{202e}3.1v\\u{200b}x\\u{2066}y\\u{feff}\\u{e0041}é中"
        );
    }
}
