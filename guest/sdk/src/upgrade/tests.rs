//! The upgrade notice on answers in the real server's shape: versions in
//! random order, `name` and `Name` keys, extra fields, `extraInfo`.

use proptest::prelude::*;

use super::*;
use crate::answer;

/// K3s versions as the server lists them: unsorted, mixed key spellings,
/// `stable` on v1.32.2, `latest` on v1.32.3, `testing` on a release candidate.
const K3S_ANSWER: &str = r#"{"requestIntervalInMinutes":720,"versions":[
 {"name":"v1.31.7+k3s1","releaseDate":"2025-03-26T00:00:00Z","minUpgradableVersion":"","tags":["v1.31"],"extraInfo":{"channelServer":"update.k3s.io"}},
 {"Name":"v1.33.0-rc1+k3s1","ReleaseDate":"2025-04-10T00:00:00Z","MinUpgradableVersion":"","Tags":["testing"],"ExtraInfo":null},
 {"name":"v1.29.15+k3s1","releaseDate":"2025-03-26T00:00:00Z","minUpgradableVersion":"","tags":["v1.29"],"extraInfo":null},
 {"name":"v1.32.3+k3s1","releaseDate":"2025-03-26T00:00:00Z","minUpgradableVersion":"","tags":["latest","v1.32"],"extraInfo":null,"notes":"an extra field"},
 {"Name":"v1.30.10+k3s1","ReleaseDate":"2025-02-20T00:00:00Z","Tags":["v1.30"]},
 {"name":"v1.32.2+k3s1","releaseDate":"2025-02-27T00:00:00Z","minUpgradableVersion":"","tags":["stable"],"extraInfo":null},
 {"name":"v1.30.11+k3s1","releaseDate":"2025-03-26T00:00:00Z","minUpgradableVersion":"","tags":["v1.30"],"extraInfo":null},
 {"name":"v1.31.6+k3s1","releaseDate":"2025-02-20T00:00:00Z","minUpgradableVersion":"","tags":["v1.31"],"extraInfo":null}
],"serverTime":"2025-04-11T00:00:00Z"}"#;

/// v1.31.8 may only be upgraded to from v1.31.5 or later.
const MIN_ANSWER: &str = r#"{"versions":[
 {"name":"v1.31.8+k3s1","releaseDate":"2025-04-15T00:00:00Z","minUpgradableVersion":"v1.31.5+k3s1","tags":["stable","v1.31"],"extraInfo":null},
 {"name":"v1.31.3+k3s1","releaseDate":"2024-12-10T00:00:00Z","minUpgradableVersion":"","tags":[],"extraInfo":null},
 {"name":"v1.31.5+k3s1","releaseDate":"2025-01-24T00:00:00Z","minUpgradableVersion":"","tags":[],"extraInfo":null}
],"requestIntervalInMinutes":60}"#;

/// The day the tests' answers are judged on.
const TODAY: &str = "2025-04-11";

fn notice_for(body: &str, running: &str, channel: &str) -> UpgradeNotice {
    let answer = answer::parse(body.as_bytes()).expect("the body is an answer");
    let mut got = notice_on(&answer.versions, running, channel, TODAY);
    got.security.ignored_values = answer.ignored_advisory_values;
    got
}

fn step(version: &str, release_date: &str) -> Option<Step> {
    Some(Step {
        version: version.into(),
        release_date: release_date.into(),
        release_notes_url: String::new(),
    })
}

fn available(
    current: &str,
    channel: &str,
    next: Option<Step>,
    target: Option<Step>,
    reason: &str,
) -> UpgradeNotice {
    UpgradeNotice {
        status: NoticeStatus::UpgradeAvailable,
        current: current.into(),
        channel: channel.into(),
        next,
        target,
        out_of_reach: None,
        reason: reason.into(),
        security: no_security(),
    }
}

fn up_to_date(current: &str, channel: &str, reason: &str) -> UpgradeNotice {
    UpgradeNotice {
        status: NoticeStatus::UpToDate,
        current: current.into(),
        channel: channel.into(),
        next: None,
        target: None,
        out_of_reach: None,
        reason: reason.into(),
        security: no_security(),
    }
}

fn no_notice(current: &str, reason: &str) -> UpgradeNotice {
    UpgradeNotice {
        status: NoticeStatus::NoNotice,
        current: current.into(),
        channel: "stable".into(),
        next: None,
        target: None,
        out_of_reach: None,
        reason: reason.into(),
        security: no_security(),
    }
}

fn no_advisory() -> crate::Advisory {
    crate::Advisory {
        release_notes_url: String::new(),
        cves: Vec::new(),
        end_of_support: String::new(),
    }
}

/// The notice, and the line the operator reads.
fn check(body: &str, running: &str, channel: &str, expected: UpgradeNotice, line: &str) {
    let got = notice_for(body, running, channel);
    assert_eq!(got, expected, "{running} on {channel:?}");
    assert_eq!(operator_line(&got), line, "{running} on {channel:?}");
}

#[test]
fn a_cluster_at_the_channel_version_is_up_to_date() {
    check(
        K3S_ANSWER,
        "v1.32.3+k3s1",
        "latest",
        up_to_date(
            "v1.32.3+k3s1",
            "latest",
            "the cluster runs v1.32.3+k3s1, the version channel latest names",
        ),
        "up to date on channel latest (v1.32.3+k3s1)",
    );
    // Ahead of stable: stable never leads backwards, and the newer release
    // candidate is not offered on stable.
    check(
        K3S_ANSWER,
        "v1.32.3+k3s1",
        "",
        up_to_date(
            "v1.32.3+k3s1",
            "stable",
            "the cluster runs v1.32.3+k3s1, newer than v1.32.2+k3s1, the version channel stable names",
        ),
        "up to date on channel stable (v1.32.3+k3s1)",
    );
}

#[test]
fn one_patch_behind_moves_straight_to_the_channel_version() {
    check(
        K3S_ANSWER,
        "v1.32.1+k3s1",
        "stable",
        available(
            "v1.32.1+k3s1",
            "stable",
            step("v1.32.2+k3s1", "2025-02-27"),
            step("v1.32.2+k3s1", "2025-02-27"),
            "channel stable names v1.32.2+k3s1",
        ),
        "upgrade available: move to v1.32.2+k3s1 now (Plan version: v1.32.2+k3s1, released 2025-02-27), the target on channel stable",
    );
}

#[test]
fn two_minors_behind_goes_one_minor_at_a_time_newest_patch_first() {
    check(
        K3S_ANSWER,
        "v1.30.10+k3s1",
        "stable",
        available(
            "v1.30.10+k3s1",
            "stable",
            step("v1.30.11+k3s1", "2025-03-26"),
            step("v1.32.2+k3s1", "2025-02-27"),
            "the newest v1.30 patch comes before moving to v1.32",
        ),
        "upgrade available: move to v1.30.11+k3s1 now (Plan version: v1.30.11+k3s1, released 2025-03-26), then toward v1.32.2+k3s1 on channel stable",
    );
    check(
        K3S_ANSWER,
        "v1.30.11+k3s1",
        "stable",
        available(
            "v1.30.11+k3s1",
            "stable",
            step("v1.31.7+k3s1", "2025-03-26"),
            step("v1.32.2+k3s1", "2025-02-27"),
            "one minor at a time: v1.31 before v1.32",
        ),
        "upgrade available: move to v1.31.7+k3s1 now (Plan version: v1.31.7+k3s1, released 2025-03-26), then toward v1.32.2+k3s1 on channel stable",
    );
    check(
        K3S_ANSWER,
        "v1.29.15+k3s1",
        "latest",
        available(
            "v1.29.15+k3s1",
            "latest",
            step("v1.30.11+k3s1", "2025-03-26"),
            step("v1.32.3+k3s1", "2025-03-26"),
            "one minor at a time: v1.30 before v1.32",
        ),
        "upgrade available: move to v1.30.11+k3s1 now (Plan version: v1.30.11+k3s1, released 2025-03-26), then toward v1.32.3+k3s1 on channel latest",
    );
}

#[test]
fn a_minor_line_tag_works_as_a_channel() {
    check(
        K3S_ANSWER,
        "v1.30.10+k3s1",
        "v1.31",
        available(
            "v1.30.10+k3s1",
            "v1.31",
            step("v1.30.11+k3s1", "2025-03-26"),
            step("v1.31.7+k3s1", "2025-03-26"),
            "the newest v1.30 patch comes before moving to v1.31",
        ),
        "upgrade available: move to v1.30.11+k3s1 now (Plan version: v1.30.11+k3s1, released 2025-03-26), then toward v1.31.7+k3s1 on channel v1.31",
    );
}

#[test]
fn a_minor_missing_from_the_answer_is_never_skipped() {
    let body = r#"{"versions":[
        {"name":"v1.32.2+k3s1","releaseDate":"2025-02-27T00:00:00Z","tags":["stable"]},
        {"name":"v1.30.11+k3s1","releaseDate":"2025-03-26T00:00:00Z","tags":[]}
    ]}"#;
    check(
        body,
        "v1.30.11+k3s1",
        "stable",
        UpgradeNotice {
            out_of_reach: step("v1.32.2+k3s1", "2025-02-27"),
            ..no_notice(
                "v1.30.11+k3s1",
                "v1.32.2+k3s1 on channel stable is out of reach from v1.30.11+k3s1: no v1.31 release is offered between v1.30.11+k3s1 and v1.32.2+k3s1, and a minor cannot be skipped",
            )
        },
        "no upgrade notice: v1.32.2+k3s1 on channel stable is out of reach from v1.30.11+k3s1: no v1.31 release is offered between v1.30.11+k3s1 and v1.32.2+k3s1, and a minor cannot be skipped",
    );
}

#[test]
fn below_min_upgradable_version_the_intermediate_step_is_named() {
    check(
        MIN_ANSWER,
        "v1.31.2+k3s1",
        "stable",
        available(
            "v1.31.2+k3s1",
            "stable",
            step("v1.31.5+k3s1", "2025-01-24"),
            step("v1.31.8+k3s1", "2025-04-15"),
            "v1.31.8+k3s1 can only be upgraded to from v1.31.5+k3s1 or later",
        ),
        "upgrade available: move to v1.31.5+k3s1 now (Plan version: v1.31.5+k3s1, released 2025-01-24), then toward v1.31.8+k3s1 on channel stable",
    );
    // From the intermediate step on, the target is reachable.
    check(
        MIN_ANSWER,
        "v1.31.5+k3s1",
        "stable",
        available(
            "v1.31.5+k3s1",
            "stable",
            step("v1.31.8+k3s1", "2025-04-15"),
            step("v1.31.8+k3s1", "2025-04-15"),
            "channel stable names v1.31.8+k3s1",
        ),
        "upgrade available: move to v1.31.8+k3s1 now (Plan version: v1.31.8+k3s1, released 2025-04-15), the target on channel stable",
    );
}

#[test]
fn below_min_upgradable_version_with_no_way_there_gives_no_notice() {
    let body = r#"{"versions":[{"name":"v1.31.8+k3s1","releaseDate":"2025-04-15T00:00:00Z","minUpgradableVersion":"v1.31.5+k3s1","tags":["stable"]}]}"#;
    check(
        body,
        "v1.31.2+k3s1",
        "stable",
        UpgradeNotice {
            out_of_reach: step("v1.31.8+k3s1", "2025-04-15"),
            ..no_notice(
                "v1.31.2+k3s1",
                "v1.31.8+k3s1 on channel stable is out of reach from v1.31.2+k3s1: v1.31.8+k3s1 can only be upgraded to from v1.31.5+k3s1 or later, and no offered version leads there from v1.31.2+k3s1",
            )
        },
        "no upgrade notice: v1.31.8+k3s1 on channel stable is out of reach from v1.31.2+k3s1: v1.31.8+k3s1 can only be upgraded to from v1.31.5+k3s1 or later, and no offered version leads there from v1.31.2+k3s1",
    );
    // A minimum that is no version of this distribution cannot be checked.
    let body = r#"{"versions":[{"name":"v1.31.8+k3s1","minUpgradableVersion":"1.31.x","tags":["stable"]}]}"#;
    assert_eq!(
        notice_for(body, "v1.31.2+k3s1", "stable"),
        UpgradeNotice {
            out_of_reach: step("v1.31.8+k3s1", ""),
            ..no_notice(
                "v1.31.2+k3s1",
                "v1.31.8+k3s1 on channel stable is out of reach from v1.31.2+k3s1: v1.31.8+k3s1 names minUpgradableVersion 1.31.x, which is not a K3s version"
            )
        }
    );
}

#[test]
fn a_release_candidate_cluster_moves_to_the_release_on_stable() {
    check(
        K3S_ANSWER,
        "v1.32.0-rc2+k3s1",
        "stable",
        available(
            "v1.32.0-rc2+k3s1",
            "stable",
            step("v1.32.2+k3s1", "2025-02-27"),
            step("v1.32.2+k3s1", "2025-02-27"),
            "channel stable names v1.32.2+k3s1",
        ),
        "upgrade available: move to v1.32.2+k3s1 now (Plan version: v1.32.2+k3s1, released 2025-02-27), the target on channel stable",
    );
    check(
        K3S_ANSWER,
        "v1.33.0-rc1+k3s1",
        "stable",
        up_to_date(
            "v1.33.0-rc1+k3s1",
            "stable",
            "the cluster runs v1.33.0-rc1+k3s1, newer than v1.32.2+k3s1, the version channel stable names",
        ),
        "up to date on channel stable (v1.33.0-rc1+k3s1)",
    );
}

#[test]
fn release_candidates_only_when_the_channel_asks_for_them() {
    // The channel's own version is a release candidate.
    check(
        K3S_ANSWER,
        "v1.32.3+k3s1",
        "testing",
        available(
            "v1.32.3+k3s1",
            "testing",
            step("v1.33.0-rc1+k3s1", "2025-04-10"),
            step("v1.33.0-rc1+k3s1", "2025-04-10"),
            "channel testing names v1.33.0-rc1+k3s1",
        ),
        "upgrade available: move to v1.33.0-rc1+k3s1 now (Plan version: v1.33.0-rc1+k3s1, released 2025-04-10), the target on channel testing",
    );
    // `testing` follows release candidates even when no version carries the tag;
    // a channel no version carries does not.
    let body = r#"{"versions":[
        {"name":"v1.33.0-rc1+k3s1","releaseDate":"2025-04-10T00:00:00Z","tags":[]},
        {"name":"v1.32.3+k3s1","releaseDate":"2025-03-26T00:00:00Z","tags":["latest"]}
    ]}"#;
    check(
        body,
        "v1.32.3+k3s1",
        "testing",
        available(
            "v1.32.3+k3s1",
            "testing",
            step("v1.33.0-rc1+k3s1", "2025-04-10"),
            step("v1.33.0-rc1+k3s1", "2025-04-10"),
            "channel testing names no K3s version; v1.33.0-rc1+k3s1 is the newest offered",
        ),
        "upgrade available: move to v1.33.0-rc1+k3s1 now (Plan version: v1.33.0-rc1+k3s1, released 2025-04-10), the target on channel testing",
    );
    check(
        body,
        "v1.32.3+k3s1",
        "nightly",
        up_to_date(
            "v1.32.3+k3s1",
            "nightly",
            "no offered K3s version is newer than v1.32.3+k3s1",
        ),
        "up to date on channel nightly (v1.32.3+k3s1)",
    );
}

#[test]
fn an_rke2_cluster_is_never_offered_k3s() {
    check(
        K3S_ANSWER,
        "v1.31.6+rke2r1",
        "stable",
        no_notice(
            "v1.31.6+rke2r1",
            "none of the 8 offered versions is for RKE2",
        ),
        "no upgrade notice: none of the 8 offered versions is for RKE2",
    );
    // In a mixed answer, the K3s version's `stable` tag does not count.
    let body = r#"{"versions":[
        {"name":"v1.32.2+k3s1","releaseDate":"2025-02-27T00:00:00Z","tags":["stable"]},
        {"name":"v1.31.7+rke2r1","releaseDate":"2025-03-27T00:00:00Z","tags":[]},
        {"name":"v1.31.6+rke2r2","releaseDate":"2025-03-01T00:00:00Z","tags":[]}
    ]}"#;
    check(
        body,
        "v1.31.6+rke2r1",
        "stable",
        available(
            "v1.31.6+rke2r1",
            "stable",
            step("v1.31.7+rke2r1", "2025-03-27"),
            step("v1.31.7+rke2r1", "2025-03-27"),
            "channel stable names no RKE2 version; v1.31.7+rke2r1 is the newest offered",
        ),
        "upgrade available: move to v1.31.7+rke2r1 now (Plan version: v1.31.7+rke2r1, released 2025-03-27), the target on channel stable",
    );
}

#[test]
fn a_server_offering_only_older_versions_never_offers_a_downgrade() {
    check(
        K3S_ANSWER,
        "v1.34.1+k3s1",
        "stable",
        up_to_date(
            "v1.34.1+k3s1",
            "stable",
            "the cluster runs v1.34.1+k3s1, newer than v1.32.2+k3s1, the version channel stable names",
        ),
        "up to date on channel stable (v1.34.1+k3s1)",
    );
    let body = r#"{"versions":[{"name":"v1.30.1+k3s1","tags":["v1.30"]},{"name":"v1.29.9+k3s2"}]}"#;
    check(
        body,
        "v1.31.0+k3s1",
        "stable",
        up_to_date(
            "v1.31.0+k3s1",
            "stable",
            "no offered K3s version is newer than v1.31.0+k3s1",
        ),
        "up to date on channel stable (v1.31.0+k3s1)",
    );
}

#[test]
fn an_empty_list_gives_no_notice() {
    for body in [
        r#"{"versions":[],"requestIntervalInMinutes":60}"#,
        r#"{"Versions":null}"#,
        r#"{"somethingElse":[1,2,3]}"#,
    ] {
        check(
            body,
            "v1.31.6+k3s1",
            "stable",
            no_notice("v1.31.6+k3s1", "the server offers no versions"),
            "no upgrade notice: the server offers no versions",
        );
    }
}

#[test]
fn thousands_of_versions_give_no_notice() {
    let versions: Vec<String> = (0..5000)
        .map(|i| {
            format!(
                r#"{{"name":"v1.{}.{}+k3s1","releaseDate":"2025-01-01T00:00:00Z","tags":[]}}"#,
                i / 100,
                i % 100
            )
        })
        .collect();
    let body = format!(r#"{{"versions":[{}]}}"#, versions.join(","));
    check(
        &body,
        "v1.31.6+k3s1",
        "stable",
        no_notice(
            "v1.31.6+k3s1",
            "the server offers 5000 versions, more than the 1000 believed",
        ),
        "no upgrade notice: the server offers 5000 versions, more than the 1000 believed",
    );
}

#[test]
fn garbage_gives_no_notice() {
    let body = r#"{"versions":[
        {"name":"💣","tags":["stable"]},
        {"name":"v1.32.99999999999999999999999+k3s1","tags":["stable"]},
        {"name":"v1.32.2+k3s1\n","tags":["stable"]},
        {"name":"<script>alert(1)</script>"},
        {"name":"v1.32.2+gke.1","tags":["stable"]},
        {"name":"latest","tags":["latest"]}
    ]}"#;
    check(
        body,
        "v1.31.6+k3s1",
        "stable",
        no_notice("v1.31.6+k3s1", "none of the 6 offered versions is for K3s"),
        "no upgrade notice: none of the 6 offered versions is for K3s",
    );
    // A running version that is no release, with control characters.
    check(
        K3S_ANSWER,
        "v1.31.6+k3s1\u{1b}[31m",
        "stable",
        no_notice(
            "v1.31.6+k3s1?[31m",
            "the cluster's version v1.31.6+k3s1?[31m is not a K3s, RKE2 or Kubernetes release",
        ),
        "no upgrade notice: the cluster's version v1.31.6+k3s1?[31m is not a K3s, RKE2 or Kubernetes release",
    );
    // The same version twice with different details cannot be trusted;
    // exact duplicates are harmless.
    let body = r#"{"versions":[
        {"name":"v1.31.7+k3s1","minUpgradableVersion":"","tags":["stable"]},
        {"name":"v1.31.7+k3s1","minUpgradableVersion":"v1.31.7+k3s1","tags":["stable"]}
    ]}"#;
    assert_eq!(
        notice_for(body, "v1.31.6+k3s1", "stable"),
        no_notice(
            "v1.31.6+k3s1",
            "the server offers v1.31.7+k3s1 twice with different details"
        )
    );
    let body = r#"{"versions":[
        {"name":"v1.31.7+k3s1","tags":["stable","v1.31"]},
        {"name":"1.31.7+k3s1","tags":["v1.31","stable","stable"]}
    ]}"#;
    assert_eq!(
        notice_for(body, "v1.31.6+k3s1", "stable").next,
        step("v1.31.7+k3s1", "")
    );
    // A body that is no answer at all fails in the answer parser: the report
    // says "bad response" rather than computing a notice.
    assert!(answer::parse(b"[1,2,3]").is_err());
    assert!(answer::parse(br#"{"versions":[{"name":7}]}"#).is_err());
}

#[test]
fn latest_is_the_newest_latest_of_the_cluster_s_own_distribution() {
    let body = r#"{"versions":[
        {"name":"v1.32.3+rke2r1","tags":["latest"]},
        {"name":"v1.31.7+k3s1","tags":["latest"]},
        {"name":"v1.33.1+k3s1","tags":["latest","stable"]},
        {"name":"v1.34.0+k3s1","tags":["testing"]}
    ]}"#;
    let offered = answer::parse(body.as_bytes()).unwrap().versions;
    let latest = |running| newest_tagged(&offered, running, "latest");
    assert_eq!(latest("v1.31.6+k3s1").as_deref(), Some("v1.33.1+k3s1"));
    assert_eq!(latest("v1.31.6+rke2r1").as_deref(), Some("v1.32.3+rke2r1"));
    assert_eq!(latest("v1.31.6"), None);
    assert_eq!(latest("garbage"), None);
}

#[test]
fn a_channel_naming_another_major_version_gives_no_notice() {
    let body = r#"{"versions":[{"name":"v2.0.0+k3s1","tags":["stable"]},{"name":"v1.31.7+k3s1"}]}"#;
    assert_eq!(
        notice_for(body, "v1.31.6+k3s1", "stable"),
        no_notice(
            "v1.31.6+k3s1",
            "channel stable names v2.0.0+k3s1, another major version than v1.31.6+k3s1"
        )
    );
}

#[test]
fn plain_kubernetes_versions_and_names_without_v() {
    let body = r#"{"versions":[
        {"name":"1.31.7","releaseDate":"2025-03-12","tags":["stable"]},
        {"name":"v1.31.8+k3s1","releaseDate":"2025-04-12T00:00:00Z","tags":["stable"]}
    ]}"#;
    check(
        body,
        "v1.31.6",
        "stable",
        available(
            "v1.31.6",
            "stable",
            step("v1.31.7", "2025-03-12"),
            step("v1.31.7", "2025-03-12"),
            "channel stable names v1.31.7",
        ),
        "upgrade available: move to v1.31.7 now (Plan version: v1.31.7, released 2025-03-12), the target on channel stable",
    );
}

#[test]
fn an_unreadable_release_date_is_left_out() {
    let body = r#"{"versions":[{"name":"v1.31.7+k3s1","releaseDate":"soon","tags":["stable"]}]}"#;
    check(
        body,
        "v1.31.6+k3s1",
        "stable",
        available(
            "v1.31.6+k3s1",
            "stable",
            step("v1.31.7+k3s1", ""),
            step("v1.31.7+k3s1", ""),
            "channel stable names v1.31.7+k3s1",
        ),
        "upgrade available: move to v1.31.7+k3s1 now (Plan version: v1.31.7+k3s1), the target on channel stable",
    );
    for (text, date) in [
        ("2025-03-12T00:00:00Z", "2025-03-12"),
        ("2025-03-12", "2025-03-12"),
        ("2025-13-12", ""),
        ("2025-03-1", ""),
        ("25-03-12T0", ""),
        ("2025-03-12junk", ""),
        ("２０２５-03-12", ""),
    ] {
        assert_eq!(date_of(text), date, "{text}");
    }
}

fn offer() -> impl Strategy<Value = OfferedVersion> {
    let name = prop_oneof![
        8 => "v1\\.(29|30|31|32|33)\\.[0-9](-rc[1-2])?\\+(k3s[1-2]|rke2r1)",
        1 => "\\PC{0,12}",
    ];
    let min = prop_oneof![
        6 => Just(String::new()),
        3 => "v1\\.(29|30|31|32)\\.[0-9]\\+k3s1",
        1 => "\\PC{0,6}",
    ];
    let tags = proptest::collection::vec(
        proptest::sample::select(&["stable", "latest", "testing", "v1.31"][..]),
        0..=2,
    )
    .prop_map(|tags| tags.into_iter().map(String::from).collect::<Vec<_>>());
    (name, "2025-0[1-9]-1[0-9]T00:00:00Z", min, tags).prop_map(
        |(name, release_date, min_upgradable_version, tags)| OfferedVersion {
            name,
            release_date,
            min_upgradable_version,
            tags,
            advisory: no_advisory(),
        },
    )
}

fn offers_and_a_shuffle() -> impl Strategy<Value = (Vec<OfferedVersion>, Vec<OfferedVersion>)> {
    proptest::collection::vec(offer(), 0..14)
        .prop_flat_map(|offers| (Just(offers.clone()), Just(offers).prop_shuffle()))
}

proptest! {
    #[test]
    fn the_notice_is_safe_whatever_the_answer(
        (offers, shuffled) in offers_and_a_shuffle(),
        running in "v1\\.(29|30|31|32|33)\\.[0-9](-rc[1-2])?\\+(k3s[1-2]|rke2r1)",
        channel in prop_oneof![
            Just("stable"), Just("latest"), Just("testing"), Just("v1.31"), Just("none")
        ],
    ) {
        let got = notice(&offers, &running, channel);
        prop_assert_eq!(&got, &notice(&shuffled, &running, channel), "order of the answer matters");
        prop_assert_eq!(got.next.is_some(), got.status == NoticeStatus::UpgradeAvailable);
        prop_assert_eq!(got.target.is_some(), got.status == NoticeStatus::UpgradeAvailable);
        let (Some(next), Some(target)) = (&got.next, &got.target) else {
            return Ok(());
        };
        let current = DistroVersion::parse(&running).unwrap();
        let next_version = DistroVersion::parse(&next.version).unwrap();
        let target_version = DistroVersion::parse(&target.version).unwrap();
        // Newer, same distribution, never past the target, never a skipped minor.
        prop_assert!(next_version > current, "{} > {}", next.version, running);
        prop_assert!(next_version <= target_version);
        prop_assert_eq!(next_version.major, current.major);
        prop_assert!(next_version.minor == current.minor || next_version.minor == current.minor + 1);
        // It was offered, and may be upgraded to from the running version.
        let offered = offers
            .iter()
            .find(|o| DistroVersion::parse(&o.name).as_ref() == Some(&next_version));
        prop_assert!(offered.is_some(), "{} was not offered", next.version);
        let min = &offered.unwrap().min_upgradable_version;
        prop_assert!(
            min.is_empty() || DistroVersion::parse(min).is_some_and(|min| current >= min),
            "{} needs {min}", next.version
        );
        // A release candidate only on a channel that asks for one.
        if next_version.is_pre_release() {
            let channel_is_pre = offers.iter().any(|o| {
                o.tags.iter().any(|t| t == channel)
                    && DistroVersion::parse(&o.name).is_some_and(|v| v.is_pre_release())
            });
            prop_assert!(channel == "testing" || channel_is_pre);
        }
    }

    #[test]
    fn arbitrary_text_never_panics(
        names in proptest::collection::vec("\\PC{0,30}", 0..6),
        running in "\\PC{0,30}",
        channel in "\\PC{0,10}",
    ) {
        let offers: Vec<OfferedVersion> = names
            .into_iter()
            .map(|name| OfferedVersion {
                min_upgradable_version: name.clone(),
                release_date: name.clone(),
                tags: vec![name.clone(), channel.clone()],
                name,
                advisory: no_advisory(),
            })
            .collect();
        let got = notice(&offers, &running, &channel);
        let line = operator_line(&got);
        prop_assert!(line.chars().all(|c| c.is_ascii_graphic() || c == ' '), "{line:?}");
    }
}

/// The line in the words the host uses too: one table for both.
#[test]
fn the_operator_line_matches_the_shared_table() {
    let table: serde_json::Value = serde_json::from_str(include_str!(
        "../../../../tests/fixtures/upgrade-notice/lines.json"
    ))
    .unwrap();
    for case in table["cases"].as_array().unwrap() {
        let notice: UpgradeNotice = serde_json::from_value(case["notice"].clone()).unwrap();
        assert_eq!(operator_line(&notice), case["line"].as_str().unwrap());
        assert_eq!(
            read_words(&notice, Some(60)),
            case["read"].as_str().unwrap()
        );
    }
}

/// Every case of the shared table gives its line from its answer, and
/// README.md's notice table shows that very line for that situation: the
/// rules the README states and the notice cannot drift apart.
#[test]
fn every_case_of_the_shared_table_gives_its_line_and_the_readme_shows_it() {
    let table: serde_json::Value = serde_json::from_str(include_str!(
        "../../../../tests/fixtures/upgrade-notice/cases.json"
    ))
    .unwrap();
    let readme = include_str!("../../../../README.md");
    let today = table["today"].as_str().unwrap();
    for case in table["cases"].as_array().unwrap() {
        let situation = case["situation"].as_str().unwrap();
        let answer = answer::parse(case["answer"].to_string().as_bytes()).unwrap();
        let got = notice_on(
            &answer.versions,
            case["running"].as_str().unwrap(),
            case["channel"].as_str().unwrap(),
            today,
        );
        let line = case["line"].as_str().unwrap();
        assert_eq!(operator_line(&got), line, "{situation}");
        let row = format!("| {situation} | `{line}` |");
        assert!(
            readme.lines().any(|l| l == row),
            "README.md's notice table lacks the row\n{row}"
        );
    }
}

#[test]
fn the_security_record_lists_the_fixes_on_the_way_and_the_end_of_support() {
    let body = r#"{"versions":[
        {"name":"v1.32.2+k3s1","releaseDate":"2025-02-27T00:00:00Z","tags":["stable"],"extraInfo":{"cves":"CVE-2025-22869, CVE-2025-1974","releaseNotesURL":"https://example.com/v1.32.2"}},
        {"name":"v1.31.7+k3s1","releaseDate":"2025-03-26T00:00:00Z","tags":[],"extraInfo":{"cves":"CVE-2025-24514,CVE-2025-1974","releaseNotesURL":"https://example.com/v1.31.7","endOfSupport":"2025-04-11"}},
        {"name":"v1.31.6+k3s1","releaseDate":"2025-02-20T00:00:00Z","tags":[],"extraInfo":{"cves":"CVE-2024-0001","endOfSupport":"2025-10-28"}},
        {"name":"v1.30.11+k3s1","releaseDate":"2025-03-26T00:00:00Z","tags":[],"extraInfo":{"cves":"CVE-2025-0009","endOfSupport":"javascript:x"}},
        {"name":"v1.33.0-rc1+k3s1","tags":["testing"],"extraInfo":{"cves":"CVE-2025-9999"}}
    ]}"#;
    let got = notice_for(body, "v1.31.6+k3s1", "stable");
    let ids = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        got.security,
        SecurityNotice {
            // Newer than the running version, up to the step: not the
            // running version's own fixes, not an older minor's, not a
            // release candidate the channel does not follow.
            fixed_by_next: ids(&["CVE-2025-1974", "CVE-2025-24514"]),
            fixed_by_target: ids(&["CVE-2025-1974", "CVE-2025-22869", "CVE-2025-24514"]),
            // The newest v1.31 version that names one.
            support_ends: "2025-04-11".into(),
            past_end_of_support: false,
            ignored_values: 1,
        }
    );
    assert_eq!(
        got.next.unwrap().release_notes_url,
        "https://example.com/v1.31.7"
    );
    assert_eq!(
        got.target.unwrap().release_notes_url,
        "https://example.com/v1.32.2"
    );
    // The day after, the running minor is past its end of support.
    let answer = answer::parse(body.as_bytes()).unwrap();
    let later = notice_on(&answer.versions, "v1.31.6+k3s1", "stable", "2025-04-12");
    assert!(later.security.past_end_of_support);
    assert!(
        operator_line(&later)
            .ends_with("; the running minor is past its end of support (2025-04-11)")
    );
    // Up to date: nothing to fix on the way, the end of support still said.
    let current = notice_on(&answer.versions, "v1.32.2+k3s1", "stable", "2025-04-12");
    assert_eq!(current.status, NoticeStatus::UpToDate);
    assert_eq!(current.security.fixed_by_target, Vec::<String>::new());
    assert_eq!(current.security.support_ends, "");
}

#[test]
fn a_long_list_is_cut_at_the_bound_and_the_rest_counted() {
    let ids: Vec<String> = (0..70)
        .map(|i| format!("CVE-2025-{:05}", 10_000 + i))
        .collect();
    let listed = listed(&ids, MAX_LISTED_CVES);
    assert!(listed.starts_with("CVE-2025-10000, CVE-2025-10001, "));
    assert!(listed.ends_with("CVE-2025-10063 and 6 more"), "{listed}");
    assert_eq!(compact(&ids[..2], 1), "CVE-2025-10000,+1");
    assert_eq!(compact(&[], 64), "none");
}

proptest! {
    /// No dead-end promises: following the notice step by step, as an
    /// operator would, always arrives where it said the path ends (the
    /// target, or the last safe step), and there the notice stops: up to
    /// date, or no notice naming the same version out of reach.
    #[test]
    fn following_the_steps_arrives_where_the_notice_said(
        (offers, _) in offers_and_a_shuffle(),
        running in "v1\\.(29|30|31)\\.[0-9]\\+k3s1",
        channel in prop_oneof![Just("stable"), Just("latest"), Just("v1.31"), Just("none")],
    ) {
        let first = notice_on(&offers, &running, channel, TODAY);
        let (Some(_), Some(end)) = (&first.next, &first.target) else {
            return Ok(());
        };
        let mut position = running.clone();
        for _ in 0..offers.len() + 1 {
            let here = notice_on(&offers, &position, channel, TODAY);
            let Some(next) = here.next else {
                break;
            };
            prop_assert_eq!(&here.out_of_reach, &first.out_of_reach, "from {}", position);
            prop_assert_eq!(here.target.as_ref().map(|t| &t.version), Some(&end.version));
            position = next.version;
        }
        prop_assert_eq!(&position, &end.version, "the steps stopped short");
        let there = notice_on(&offers, &position, channel, TODAY);
        match &first.out_of_reach {
            None => prop_assert_eq!(there.status, NoticeStatus::UpToDate),
            Some(beyond) => {
                prop_assert_eq!(there.status, NoticeStatus::NoNotice);
                prop_assert_eq!(there.out_of_reach.as_ref(), Some(beyond));
            }
        }
    }
}
