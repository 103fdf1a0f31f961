//! The security convention of the answer's `extraInfo`: what a distribution
//! may say of each offered version, and the one strict reading of it.
//!
//! The server passes `extraInfo` through from its response config, so every
//! value here is outside input. A value is kept only when it matches its
//! syntax exactly; anything else (too long, a control character, a
//! `javascript:` URL, a stray word in a CVE list) is dropped and counted,
//! never shown. Keys outside the convention are left alone, not counted.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::Advisory;

/// The release notes of the version: an `https://` or `http://` URL.
pub const RELEASE_NOTES_KEY: &str = "releaseNotesURL";
/// The CVEs the version fixes: `CVE-2025-1974, CVE-2025-24514`.
pub const CVES_KEY: &str = "cves";
/// When support of the version's minor ends: `2026-02-28`.
pub const END_OF_SUPPORT_KEY: &str = "endOfSupport";

/// The longest release notes URL kept: the host's bound on an endpoint.
pub const MAX_URL_CHARS: usize = 2048;
/// The most CVE identifiers one version's `cves` may list; a real release
/// fixes a handful.
pub const MAX_CVES_PER_VERSION: usize = 100;
/// The longest `cves` value read: 100 identifiers with separators fit.
pub const MAX_CVES_CHARS: usize = 4096;

/// What one version's `extraInfo` says, and how many of the convention's
/// values were ignored as malformed.
pub fn read(extra_info: Option<&Value>) -> (Advisory, u32) {
    let mut advisory = Advisory {
        release_notes_url: String::new(),
        cves: Vec::new(),
        end_of_support: String::new(),
    };
    let mut ignored = 0;
    let map = match extra_info {
        None | Some(Value::Null) => return (advisory, 0),
        Some(Value::Object(map)) => map,
        // Not the string map the server's Go type holds.
        Some(_) => return (advisory, 1),
    };
    let mut take = |key: &str, valid: &mut dyn FnMut(&str) -> bool| match map.get(key) {
        None | Some(Value::Null) => {}
        Some(Value::String(text)) if valid(text) => {}
        Some(_) => ignored += 1,
    };
    take(RELEASE_NOTES_KEY, &mut |text| match url(text) {
        Some(url) => {
            advisory.release_notes_url = url.to_string();
            true
        }
        None => false,
    });
    take(CVES_KEY, &mut |text| match cve_list(text) {
        Some(cves) => {
            advisory.cves = cves;
            true
        }
        None => false,
    });
    take(END_OF_SUPPORT_KEY, &mut |text| {
        let valid = is_date(text);
        if valid {
            advisory.end_of_support = text.to_string();
        }
        valid
    });
    (advisory, ignored)
}

/// `text` if it is an `http(s)://host...` URL of bounded length made only
/// of URL characters: no space, quote, backslash, angle bracket or control
/// character can reach a log line or a terminal.
fn url(text: &str) -> Option<&str> {
    if text.len() > MAX_URL_CHARS {
        return None;
    }
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))?;
    let host_ends = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let url_char = |c: char| c.is_ascii_alphanumeric() || "-._~:/?#[]@!$&()*+,;=%".contains(c);
    (host_ends > 0 && text.chars().all(url_char)).then_some(text)
}

/// The identifiers of a `cves` value, in assigned order without repeats: each
/// `CVE-YYYY-NNNN` (four to nineteen digits), separated by commas with
/// optional spaces. Empty text lists none; any other element spoils the
/// whole value.
fn cve_list(text: &str) -> Option<Vec<String>> {
    if text.len() > MAX_CVES_CHARS {
        return None;
    }
    if text.trim().is_empty() {
        return Some(Vec::new());
    }
    let mut ids = BTreeSet::new();
    for element in text.split(',') {
        let id = element.trim_matches(' ');
        if !is_cve(id) {
            return None;
        }
        ids.insert((cve_order(id), id.to_string()));
    }
    (ids.len() <= MAX_CVES_PER_VERSION).then(|| ids.into_iter().map(|(_, id)| id).collect())
}

/// A CVE identifier's year and number, to list identifiers in the order
/// they were assigned (`CVE-2025-1974` before `CVE-2025-24514`).
pub(crate) fn cve_order(id: &str) -> (u16, u64) {
    let mut parts = id.splitn(3, '-').skip(1);
    let year = parts.next().and_then(|y| y.parse().ok()).unwrap_or(0);
    let number = parts.next().and_then(|n| n.parse().ok()).unwrap_or(0);
    (year, number)
}

/// `CVE-2025-1974`: the MITRE syntax, a four-digit year and at least four
/// digits.
pub fn is_cve(id: &str) -> bool {
    let Some(rest) = id.strip_prefix("CVE-") else {
        return false;
    };
    let Some((year, number)) = rest.split_once('-') else {
        return false;
    };
    year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && (4..=19).contains(&number.len())
        && number.bytes().all(|b| b.is_ascii_digit())
}

/// `YYYY-MM-DD` with a month of 1 to 12 and a day of 1 to 31.
pub fn is_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() != 10 {
        return false;
    }
    let shaped = bytes.iter().enumerate().all(|(i, b)| match i {
        4 | 7 => *b == b'-',
        _ => b.is_ascii_digit(),
    });
    let number = |range: std::ops::Range<usize>| text.get(range).and_then(|t| t.parse::<u8>().ok());
    shaped
        && number(5..7).is_some_and(|m| (1..=12).contains(&m))
        && number(8..10).is_some_and(|d| (1..=31).contains(&d))
}

/// Today's date in UTC as `YYYY-MM-DD`, by the component's wall clock; the
/// epoch's date if the clock reads before it.
pub fn today() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    date_of_day(i64::try_from(seconds / 86_400).unwrap_or(0))
}

/// The civil date of a day counted from 1970-01-01 (the proleptic
/// Gregorian calendar, as `date -u` prints it).
fn date_of_day(days: i64) -> String {
    // Howard Hinnant's days-to-civil: eras of 400 years from 0000-03-01.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn advisory(url: &str, cves: &[&str], end: &str) -> Advisory {
        Advisory {
            release_notes_url: url.into(),
            cves: cves.iter().map(|c| c.to_string()).collect(),
            end_of_support: end.into(),
        }
    }

    #[test]
    fn the_three_keys_are_read_when_they_match_their_syntax() {
        let extra = json!({
            "releaseNotesURL": "https://github.com/k3s-io/k3s/releases/tag/v1.31.7%2Bk3s1",
            "cves": "CVE-2025-24514, CVE-2025-1974,CVE-2025-1974",
            "endOfSupport": "2025-10-28",
            "channelServer": "update.k3s.io"
        });
        assert_eq!(
            read(Some(&extra)),
            (
                advisory(
                    "https://github.com/k3s-io/k3s/releases/tag/v1.31.7%2Bk3s1",
                    &["CVE-2025-1974", "CVE-2025-24514"],
                    "2025-10-28"
                ),
                0
            )
        );
    }

    #[test]
    fn missing_null_and_empty_say_nothing_and_count_nothing() {
        for extra in [None, Some(json!(null)), Some(json!({}))] {
            assert_eq!(read(extra.as_ref()), (advisory("", &[], ""), 0));
        }
        let empty = json!({"releaseNotesURL": null, "cves": "", "endOfSupport": null});
        assert_eq!(read(Some(&empty)), (advisory("", &[], ""), 0));
    }

    #[test]
    fn every_malformed_value_is_dropped_and_counted_once() {
        let huge = "x".repeat(100 * 1024);
        let cases: Vec<(Value, u32)> = vec![
            (json!({"releaseNotesURL": "javascript:alert(1)"}), 1),
            (json!({"releaseNotesURL": "ftp://example.com/notes"}), 1),
            (json!({"releaseNotesURL": "https://"}), 1),
            (json!({"releaseNotesURL": "https:///path"}), 1),
            (json!({"releaseNotesURL": "https://a.example/x y"}), 1),
            (
                json!({"releaseNotesURL": "https://a.example/\"><script>"}),
                1,
            ),
            (
                json!({"releaseNotesURL": "https://a.example/\u{1b}[31m"}),
                1,
            ),
            (
                json!({"releaseNotesURL": "https://a.example/\nINFO forged"}),
                1,
            ),
            (
                json!({"releaseNotesURL": format!("https://a.example/{huge}")}),
                1,
            ),
            (json!({"releaseNotesURL": 7}), 1),
            (json!({"cves": "CVE-2025-1974; rm -rf /"}), 1),
            (json!({"cves": "CVE-2025-1974,"}), 1),
            (json!({"cves": "cve-2025-1974"}), 1),
            (json!({"cves": "CVE-25-1974"}), 1),
            (json!({"cves": "CVE-2025-197"}), 1),
            (json!({"cves": "CVE-2025-1974\tCVE-2025-1975"}), 1),
            (json!({"cves": huge.clone()}), 1),
            (json!({"cves": ["CVE-2025-1974"]}), 1),
            (json!({"endOfSupport": "2025-13-01"}), 1),
            (json!({"endOfSupport": "2025-10-28T00:00:00Z"}), 1),
            (json!({"endOfSupport": "soon"}), 1),
            (
                json!({"releaseNotesURL": "javascript:x", "cves": "x", "endOfSupport": "x"}),
                3,
            ),
            (json!("releaseNotesURL=https://a.example"), 1),
        ];
        for (extra, count) in cases {
            assert_eq!(
                read(Some(&extra)),
                (advisory("", &[], ""), count),
                "{extra:.80}"
            );
        }
    }

    #[test]
    fn a_list_of_more_than_a_hundred_cves_is_not_believed() {
        let list = |n: usize| {
            (0..n)
                .map(|i| format!("CVE-2025-{:05}", 10_000 + i))
                .collect::<Vec<_>>()
                .join(",")
        };
        assert_eq!(read(Some(&json!({"cves": list(100)}))).0.cves.len(), 100);
        assert_eq!(read(Some(&json!({"cves": list(101)}))).1, 1);
    }

    #[test]
    fn today_is_the_civil_date_of_the_clock() {
        assert_eq!(date_of_day(0), "1970-01-01");
        assert_eq!(date_of_day(19_723), "2024-01-01");
        assert_eq!(date_of_day(19_782), "2024-02-29");
        assert_eq!(date_of_day(20_428), "2025-12-06");
        assert!(is_date(&today()));
    }
}
