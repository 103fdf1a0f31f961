//! The security notice end to end: a K3s and an RKE2 cluster a few patches
//! behind, a server whose response config carries the `extraInfo`
//! convention (and hostile values beside it), and what the operator reads:
//! the summary line, its JSON fields, the termination message.

use std::collections::BTreeMap;

use ur_test_support::{Behaviour, OfferedVersion, Responder, ResponseConfig, response_json};

use crate::common::{TempDir, facts_file, host, k3s_payload, run};

/// A version with the convention's `extraInfo`.
fn version(name: &str, date: &str, tags: &[&str], extra: &[(&str, &str)]) -> OfferedVersion {
    let mut version = OfferedVersion::new(name, date, tags);
    if !extra.is_empty() {
        version.extra_info = Some(
            extra
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
        );
    }
    version
}

/// What a distribution's server offers `suffix` clusters (`k3s1`,
/// `rke2r1`) running v1.31.6: two newer patches with their fixes and
/// release notes, a stable v1.32 with its own, the running minor's end of
/// support long past, and two hostile values (a `javascript:` URL and a
/// 100 KB CVE list) that must be dropped and counted.
pub fn advisories(suffix: &str) -> ResponseConfig {
    let v = |version: &str| format!("{version}+{suffix}");
    let notes = |version: &str| format!("https://example.com/releases/{version}%2B{suffix}");
    let huge = "CVE-2025-0001,".repeat(7500);
    ResponseConfig {
        versions: vec![
            version(
                &v("v1.32.3"),
                "2025-03-26T00:00:00Z",
                &["stable", "latest", "v1.32"],
                &[
                    ("cves", "CVE-2025-22869"),
                    ("releaseNotesURL", &notes("v1.32.3")),
                ],
            ),
            version(
                &v("v1.31.8"),
                "2025-04-15T00:00:00Z",
                &["v1.31"],
                &[
                    ("cves", "CVE-2025-31133"),
                    ("releaseNotesURL", &notes("v1.31.8")),
                    ("endOfSupport", "2025-10-28"),
                ],
            ),
            version(
                &v("v1.32.2"),
                "2025-02-27T00:00:00Z",
                &["v1.32"],
                &[("releaseNotesURL", "javascript:alert(1)"), ("cves", &huge)],
            ),
            version(
                &v("v1.31.7"),
                "2025-03-26T00:00:00Z",
                &["v1.31"],
                &[
                    ("cves", "CVE-2025-24514, CVE-2025-1974"),
                    ("channelServer", "update.example.com"),
                ],
            ),
            version(&v("v1.31.6"), "2025-02-20T00:00:00Z", &["v1.31"], &[]),
        ],
        request_interval_minutes: 720,
    }
}

pub fn responder_with_advisories(suffix: &str) -> Responder {
    Responder::start(Behaviour::Normal(advisories(suffix))).unwrap()
}

struct Seen {
    line: String,
    json: serde_json::Value,
    message: String,
}

/// One report of `cluster` by its distribution's component in text and
/// one in JSON, with the termination message of the first.
fn report(cluster: &str, suffix: &str) -> Seen {
    let responder = responder_with_advisories(suffix);
    let notice = TempDir::new("security-notice");
    let message = notice.path().join("message");
    let component = if suffix.starts_with("rke2") {
        component_artifacts::RKE2_REPORTER_PATH
    } else {
        component_artifacts::K3S_REPORTER_PATH
    };
    let text = run(host()
        .env("UPGRADE_RESPONDER_COMPONENT", component)
        .arg("--facts")
        .arg(facts_file(cluster))
        .arg("--endpoint")
        .arg(responder.url())
        .env("UPGRADE_RESPONDER_TERMINATION_MESSAGE_PATH", &message));
    assert_eq!(text.code, 0, "{}", text.stderr);
    let info = text.log_lines("INFO");
    assert_eq!(info.len(), 1, "{}", text.stderr);
    let json = run(host()
        .env("UPGRADE_RESPONDER_COMPONENT", component)
        .arg("--facts")
        .arg(facts_file(cluster))
        .arg("--endpoint")
        .arg(responder.url())
        .env("UPGRADE_RESPONDER_LOG_FORMAT", "json"));
    assert_eq!(json.code, 0, "{}", json.stderr);
    let json = json
        .stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|l| l["upgrade"].is_string())
        .unwrap_or_else(|| panic!("no summary in {}", json.stderr));
    Seen {
        line: info[0].to_string(),
        json,
        message: std::fs::read_to_string(&message).unwrap(),
    }
}

fn expected_read(suffix: &str) -> String {
    format!(
        "the component read: upgrade=available plan_version=v1.31.8+{s} target=v1.32.3+{s} out_of_reach=none channel=stable next_report_minutes=720 fixes_by_step=CVE-2025-1974,CVE-2025-24514,CVE-2025-31133 fixes_by_target=CVE-2025-1974,CVE-2025-22869,CVE-2025-24514,CVE-2025-31133 release_notes=https://example.com/releases/v1.31.8%2B{s} support_ends=2025-10-28 past_end_of_support=true ignored_advisory_values=2",
        s = suffix
    )
}

fn expected_message(suffix: &str) -> String {
    format!(
        "upgrade available: move to v1.31.8+{s} now (Plan version: v1.31.8+{s}, released 2025-04-15), then toward v1.32.3+{s} on channel stable; security fixes in this step: CVE-2025-1974, CVE-2025-24514, CVE-2025-31133; more by v1.32.3+{s}: CVE-2025-22869; release notes: https://example.com/releases/v1.31.8%2B{s}; the running minor is past its end of support (2025-10-28)",
        s = suffix
    )
}

fn assert_fields(json: &serde_json::Value, suffix: &str) {
    let fields = json;
    let expected = serde_json::json!({
        "upgrade": "available",
        "plan_version": format!("v1.31.8+{suffix}"),
        "target_version": format!("v1.32.3+{suffix}"),
        "out_of_reach": "none",
        "fixes_by_step": "CVE-2025-1974,CVE-2025-24514,CVE-2025-31133",
        "fixes_by_target": "CVE-2025-1974,CVE-2025-22869,CVE-2025-24514,CVE-2025-31133",
        "release_notes": format!("https://example.com/releases/v1.31.8%2B{suffix}"),
        "support_ends": "2025-10-28",
        "past_end_of_support": true,
        "ignored_advisory_values": 2,
    });
    for (key, value) in expected.as_object().unwrap() {
        assert_eq!(&fields[key], value, "{key} in {json}");
    }
}

#[test]
fn a_k3s_cluster_a_few_patches_behind_is_told_the_fixes_on_the_way() {
    let seen = report("k3s-ha", "k3s1");
    assert!(seen.line.ends_with(&expected_read("k3s1")), "{}", seen.line);
    assert_fields(&seen.json, "k3s1");
    assert_eq!(seen.message, expected_message("k3s1"));
}

#[test]
fn an_rke2_cluster_a_few_patches_behind_is_told_the_fixes_on_the_way() {
    let seen = report("rke2-canal", "rke2r1");
    assert!(
        seen.line.ends_with(&expected_read("rke2r1")),
        "{}",
        seen.line
    );
    assert_fields(&seen.json, "rke2r1");
    assert_eq!(seen.message, expected_message("rke2r1"));
}

/// The K3s component as it was built against contract 0.3.0 reads the
/// same answer: it sends the same bytes, and its notice carries no
/// security data, only its path.
#[test]
fn a_0_3_0_component_reads_the_same_answer_without_security_data() {
    let responder = responder_with_advisories("k3s1");
    let notice = TempDir::new("security-0-3-0");
    let message = notice.path().join("message");
    let ran = run(host()
        .arg("--component")
        .arg(crate::contract::component_0_3_0())
        .arg("--facts")
        .arg(facts_file("k3s-ha"))
        .arg("--endpoint")
        .arg(responder.url())
        .env("UPGRADE_RESPONDER_TERMINATION_MESSAGE_PATH", &message));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let received = responder.received();
    assert_eq!(
        String::from_utf8_lossy(&received[0].body),
        k3s_payload("k3s-ha")
    );
    let info = ran.log_lines("INFO");
    assert!(
        info[0].ends_with(
            "the component read: upgrade=available plan_version=v1.31.8+k3s1 target=v1.32.3+k3s1 out_of_reach=none channel=stable next_report_minutes=720 fixes_by_step=none fixes_by_target=none release_notes=none support_ends=unknown past_end_of_support=false ignored_advisory_values=0"
        ),
        "{}",
        info[0]
    );
    assert_eq!(
        std::fs::read_to_string(&message).unwrap(),
        "upgrade available: move to v1.31.8+k3s1 now (Plan version: v1.31.8+k3s1, released 2025-04-15), then toward v1.32.3+k3s1 on channel stable"
    );
}

/// `--dry-run --sample-answer FILE` previews the notice: the component's
/// report runs against the file, answered by the host, and nothing leaves
/// the machine (the endpoint is an address where nothing listens).
#[test]
fn a_dry_run_previews_the_notice_of_a_sample_answer() {
    let dir = TempDir::new("sample-answer");
    let answer = dir.path().join("answer.json");
    std::fs::write(&answer, response_json(&advisories("k3s1"))).unwrap();
    let ran = run(host()
        .arg("--dry-run")
        .arg("--sample-answer")
        .arg(&answer)
        .arg("--facts")
        .arg(facts_file("k3s-ha"))
        .arg("--endpoint")
        .arg("http://127.0.0.1:9/v1/checkupgrade"));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(ran.stdout.trim_end(), k3s_payload("k3s-ha"));
    let info = ran.log_lines("INFO");
    assert!(
        info[0].contains(
            " INFO sandbox granted: HTTP to http://127.0.0.1:9 answered by the host with the sample answer (dry run: nothing leaves the machine), 1 request(s), "
        ),
        "{}",
        info[0]
    );
    let read = info
        .iter()
        .find(|l| l.contains("dry run: payload printed"))
        .unwrap_or_else(|| panic!("{}", ran.stderr));
    assert!(
        read.ends_with(&format!(
            "the component read the sample answer: {}",
            expected_read("k3s1").trim_start_matches("the component read: ")
        )),
        "{read}"
    );
    assert!(
        info.last().unwrap().ends_with(&format!(
            "dry run: the notice for the sample answer: {}",
            expected_message("k3s1")
        )),
        "{}",
        ran.stderr
    );

    // Only a dry run takes one; a file that is no JSON is named.
    let ran = run(host()
        .arg("--sample-answer")
        .arg(&answer)
        .arg("--facts")
        .arg(facts_file("k3s-ha")));
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(
        ran.stderr.trim_end().ends_with(
            "UPGRADE_RESPONDER_SAMPLE_ANSWER (from command line): a sample answer previews a dry run's notice, and this run would send: add --dry-run or remove it"
        ),
        "{}",
        ran.stderr
    );
    let not_json = dir.path().join("notes.txt");
    std::fs::write(&not_json, "versions: v1.31.8").unwrap();
    let ran = run(host()
        .arg("--dry-run")
        .arg("--sample-answer")
        .arg(&not_json)
        .arg("--facts")
        .arg(facts_file("k3s-ha")));
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(
        ran.stderr.contains(&format!(
            "UPGRADE_RESPONDER_SAMPLE_ANSWER (from command line): {} is not JSON (expected value at line 1 column 1): give an upgrade-responder answer, as the server's /v1/checkupgrade returns it",
            not_json.display()
        )),
        "{}",
        ran.stderr
    );
}

/// README's preview command gives the notice README shows.
#[test]
fn the_readme_preview_command_gives_the_notice_it_shows() {
    let workspace = crate::common::workspace();
    let ran = run(host()
        .current_dir(&workspace)
        .arg("--dry-run")
        .arg("--sample-answer")
        .arg("tests/fixtures/upgrade-notice/sample-answer.json")
        .arg("--facts")
        .arg("tests/fixtures/facts/k3s-ha.json"));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let readme = std::fs::read_to_string(workspace.join("README.md")).unwrap();
    assert!(readme.contains(
        "`upgrade-responder --dry-run --sample-answer tests/fixtures/upgrade-notice/sample-answer.json --facts tests/fixtures/facts/k3s-ha.json`"
    ));
    let notice = ran.log_lines("INFO").last().unwrap().to_string();
    let shown = &notice[notice.find("INFO dry run: the notice").unwrap()..];
    assert!(readme.lines().any(|l| l == shown), "README lacks\n{shown}");
}
