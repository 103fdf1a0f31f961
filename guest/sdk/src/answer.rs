//! The server's answer: offered versions (in any order) and the interval it
//! asks for. Parsed leniently where the protocol is loose (the Go server
//! decodes field names case-insensitively, so `Name` and `name` both occur),
//! strictly where it matters (an upgrade is only ever a newer version).

use serde::Deserialize;

use crate::advisory;
use crate::bindings::upgrade_responder::telemetry::types::OfferedVersion;
use crate::version::DistroVersion;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireAnswer {
    #[serde(alias = "Versions", default)]
    versions: Option<Vec<WireVersion>>,
    #[serde(alias = "RequestIntervalInMinutes", default)]
    request_interval_in_minutes: Option<u32>,
}

/// Go marshals an empty string field as `""` but a nil slice as `null`, so
/// every optional field accepts `null` as well as leaving it out.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireVersion {
    #[serde(alias = "Name")]
    name: String,
    #[serde(alias = "ReleaseDate", default)]
    release_date: Option<String>,
    #[serde(alias = "MinUpgradableVersion", default)]
    min_upgradable_version: Option<String>,
    #[serde(alias = "Tags", default)]
    tags: Option<Vec<String>>,
    /// A string map in the server's Go type; read by [`advisory::read`],
    /// which counts anything else as malformed.
    #[serde(alias = "ExtraInfo", default)]
    extra_info: Option<serde_json::Value>,
}

/// What the component makes of a 2xx answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// Grouped by distribution, newest first within each by distribution
    /// version order; unparsable names last, in the order received.
    pub versions: Vec<OfferedVersion>,
    pub request_interval_minutes: Option<u32>,
    /// Values of the `extraInfo` convention's keys ignored as malformed,
    /// over all versions.
    pub ignored_advisory_values: u32,
}

/// Parses an upgrade-responder answer. What to upgrade to is
/// [`crate::upgrade::notice`]'s job.
pub fn parse(body: &[u8]) -> Result<Answer, String> {
    let wire: WireAnswer = serde_json::from_slice::<serde_json::Value>(body)
        .map_err(|e| format!("answer is not JSON: {e}"))
        .and_then(|value| {
            serde_json::from_value(value)
                .map_err(|e| format!("answer is not an upgrade-responder answer: {e}"))
        })?;

    let mut ignored_advisory_values = 0u32;
    let mut versions: Vec<(Option<DistroVersion>, OfferedVersion)> = wire
        .versions
        .unwrap_or_default()
        .into_iter()
        .map(|v| {
            let (advisory, ignored) = advisory::read(v.extra_info.as_ref());
            ignored_advisory_values = ignored_advisory_values.saturating_add(ignored);
            (
                DistroVersion::parse(&v.name),
                OfferedVersion {
                    name: v.name,
                    release_date: v.release_date.unwrap_or_default(),
                    min_upgradable_version: v.min_upgradable_version.unwrap_or_default(),
                    tags: v.tags.unwrap_or_default(),
                    advisory,
                },
            )
        })
        .collect();
    // Newest first; stable, so unparsable names keep their received order.
    versions.sort_by(|(a, _), (b, _)| match (a, b) {
        (Some(a), Some(b)) => b.cmp_for_listing(a),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });

    Ok(Answer {
        versions: versions.into_iter().map(|(_, v)| v).collect(),
        request_interval_minutes: wire.request_interval_in_minutes,
        ignored_advisory_values,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANSWER: &str = r#"{"versions":[
        {"name":"v1.31.6+k3s1","releaseDate":"2025-02-20T00:00:00Z","minUpgradableVersion":"","tags":["v1.31"],"extraInfo":null},
        {"name":"v1.32.2+k3s1","releaseDate":"2025-02-20T00:00:00Z","minUpgradableVersion":"v1.31.0+k3s1","tags":["latest","stable","v1.32"],"extraInfo":null},
        {"name":"v1.31.6+k3s2","releaseDate":"2025-03-01T00:00:00Z","minUpgradableVersion":"","tags":["v1.31"],"extraInfo":null},
        {"name":"v1.30.10+k3s1","releaseDate":"2025-02-20T00:00:00Z","minUpgradableVersion":"","tags":["v1.30"],"extraInfo":null}
    ],"requestIntervalInMinutes":720}"#;

    fn names(a: &Answer) -> Vec<&str> {
        a.versions.iter().map(|v| v.name.as_str()).collect()
    }

    #[test]
    fn versions_in_any_order_come_out_newest_first() {
        let a = parse(ANSWER.as_bytes()).unwrap();
        assert_eq!(
            names(&a),
            [
                "v1.32.2+k3s1",
                "v1.31.6+k3s2",
                "v1.31.6+k3s1",
                "v1.30.10+k3s1"
            ]
        );
        assert_eq!(a.request_interval_minutes, Some(720));
        assert_eq!(a.versions[0].min_upgradable_version, "v1.31.0+k3s1");
    }

    #[test]
    fn mixed_distributions_are_grouped_and_garbage_keeps_its_place_last() {
        let body = r#"{"versions":[
            {"name":"nonsense"},
            {"name":"v1.31.6+rke2r1"},
            {"name":"v1.32.2+k3s1"},
            {"name":"v1.31.6"},
            {"name":"v1.32.2+rke2r1"},
            {"name":"v1.31.6+gke.1"}
        ]}"#;
        assert_eq!(
            names(&parse(body.as_bytes()).unwrap()),
            [
                "v1.31.6",
                "v1.32.2+rke2r1",
                "v1.31.6+rke2r1",
                "v1.32.2+k3s1",
                "nonsense",
                "v1.31.6+gke.1"
            ]
        );
    }

    #[test]
    fn capitalised_field_names_of_older_servers_are_understood() {
        let body = r#"{"versions":[{"Name":"v1.0.0","ReleaseDate":"2020-05-30T10:20:00Z","Tags":["latest"]}],"requestIntervalInMinutes":60}"#;
        let a = parse(body.as_bytes()).unwrap();
        assert_eq!(names(&a), ["v1.0.0"]);
        assert_eq!(a.versions[0].release_date, "2020-05-30T10:20:00Z");
        assert_eq!(a.request_interval_minutes, Some(60));
    }

    #[test]
    fn go_nil_fields_arrive_as_null_and_mean_empty() {
        let body = r#"{"Versions":[{"Name":"v1.31.6+k3s1","ReleaseDate":null,"MinUpgradableVersion":null,"Tags":null,"ExtraInfo":null}],"RequestIntervalInMinutes":null}"#;
        let a = parse(body.as_bytes()).unwrap();
        assert_eq!(
            a.versions,
            [OfferedVersion {
                name: "v1.31.6+k3s1".into(),
                release_date: String::new(),
                min_upgradable_version: String::new(),
                tags: vec![],
                advisory: crate::Advisory {
                    release_notes_url: String::new(),
                    cves: vec![],
                    end_of_support: String::new(),
                },
            }]
        );
        assert_eq!(a.ignored_advisory_values, 0);
        assert_eq!(a.request_interval_minutes, None);
    }

    #[test]
    fn non_answers_are_errors() {
        assert!(
            parse(b"<html>oops</html>")
                .unwrap_err()
                .starts_with("answer is not JSON")
        );
        assert!(
            parse(br#"{"versions":"x"}"#)
                .unwrap_err()
                .starts_with("answer is not an upgrade-responder answer")
        );
        let empty = parse(b"{}").unwrap();
        assert!(empty.versions.is_empty());
    }
}
