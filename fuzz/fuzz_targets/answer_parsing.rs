//! The component's answer parsing: any body is an answer or an error; an
//! offered upgrade is always strictly newer than what runs, `latest` is a
//! version tagged latest, and versions come newest first.

#![no_main]

use libfuzzer_sys::fuzz_target;
use reporter_sdk::DistroVersion;
use reporter_sdk::answer;

fuzz_target!(|input: (String, &[u8])| {
    let (running, body) = input;
    let Ok(parsed) = answer::parse(body, &running) else {
        return;
    };
    if let Some(upgrade) = &parsed.upgrade_available {
        let upgrade = DistroVersion::parse(upgrade).expect("an offered upgrade parses");
        let running = DistroVersion::parse(&running).expect("upgrades only for a known version");
        assert!(upgrade > running, "never a downgrade or the same version");
    }
    if let Some(latest) = &parsed.latest {
        assert!(
            parsed
                .versions
                .iter()
                .any(|v| &v.name == latest && v.tags.iter().any(|t| t == "latest"))
        );
    }
    let order: Vec<Option<DistroVersion>> = parsed
        .versions
        .iter()
        .map(|v| DistroVersion::parse(&v.name))
        .collect();
    for pair in order.windows(2) {
        match (&pair[0], &pair[1]) {
            (Some(a), Some(b)) => assert!(a >= b, "newest first"),
            (None, Some(_)) => panic!("an unparsable name before a parsable one"),
            _ => {}
        }
    }
});
