//! The component's answer parsing and the upgrade notice made from it: any
//! body is an answer or an error, never a panic; an offered step is always
//! of the running version's distribution and strictly newer, and the
//! target is never below the step; whatever the answer's `extraInfo`
//! holds, only well-formed advisory values reach the notice.

#![no_main]

use libfuzzer_sys::fuzz_target;
use reporter_sdk::upgrade::notice;
use reporter_sdk::{DistroVersion, NoticeStatus};

fuzz_target!(|input: (String, String, &[u8])| {
    let (running, channel, body) = input;
    let Ok(answer) = reporter_sdk::parse_answer(body) else {
        return;
    };
    let notice = notice(&answer.versions, &running, &channel);
    for id in notice
        .security
        .fixed_by_next
        .iter()
        .chain(&notice.security.fixed_by_target)
    {
        assert!(reporter_sdk::advisory::is_cve(id), "{id:?} is no CVE identifier");
    }
    for version in &answer.versions {
        let url = &version.advisory.release_notes_url;
        assert!(
            url.is_empty() || (url.starts_with("http") && url.chars().all(|c| c.is_ascii_graphic())),
            "{url:?}"
        );
    }
    if notice.status != NoticeStatus::UpgradeAvailable {
        return;
    }
    let running = DistroVersion::parse(&running).expect("a notice only for a known version");
    let next = notice.next.as_ref().expect("an upgrade names its step");
    let next = DistroVersion::parse(&next.version).expect("the step parses");
    assert_eq!(next.distribution, running.distribution, "same distribution");
    assert!(next > running, "never a downgrade or the same version");
    if let Some(target) = &notice.target {
        let target = DistroVersion::parse(&target.version).expect("the target parses");
        assert!(target >= next, "the target is not below the step");
    }
});
