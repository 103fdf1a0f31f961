//! The version parser, the order and the upgrade notice on arbitrary text.
//!
//! The input is lines: every line is parsed as a version; the first is also
//! the running version and the rest the offered names. Checked: nothing
//! panics; what parses prints back to itself; the order is antisymmetric,
//! transitive and absent across distributions; a notice never names an
//! older version or another distribution.

#![no_main]

use std::cmp::Ordering;

use libfuzzer_sys::fuzz_target;
use reporter_sdk::upgrade::{notice, operator_line};
use reporter_sdk::{DistroVersion, OfferedVersion};

/// Keeps the triple loop cheap.
const MAX_LINES: usize = 8;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines: Vec<&str> = text.split('\n').take(MAX_LINES).collect();

    let parsed: Vec<DistroVersion> = lines
        .iter()
        .filter_map(|l| DistroVersion::parse(l))
        .collect();
    for v in &parsed {
        assert_eq!(
            DistroVersion::parse(&v.to_string()).as_ref(),
            Some(v),
            "{v}"
        );
    }
    for a in &parsed {
        for b in &parsed {
            let order = a.partial_cmp(b);
            assert_eq!(
                order.is_some(),
                a.distribution == b.distribution,
                "{a} vs {b}"
            );
            assert_eq!(b.partial_cmp(a), order.map(Ordering::reverse), "{a} vs {b}");
            assert_eq!(order == Some(Ordering::Equal), a == b, "{a} vs {b}");
            for c in &parsed {
                if a <= b && b <= c {
                    assert!(a <= c, "{a} <= {b} <= {c}");
                }
            }
        }
    }

    let Some((running, names)) = lines.split_first() else {
        return;
    };
    let offers: Vec<OfferedVersion> = names
        .iter()
        .map(|name| OfferedVersion {
            name: name.to_string(),
            release_date: String::new(),
            min_upgradable_version: String::new(),
            tags: vec!["stable".into()],
            advisory: reporter_sdk::Advisory {
                release_notes_url: String::new(),
                cves: Vec::new(),
                end_of_support: String::new(),
            },
        })
        .collect();
    let got = notice(&offers, running, "stable");
    let _ = operator_line(&got);
    if let Some(next) = &got.next {
        let current = DistroVersion::parse(running)
            .expect("a notice with a next step parsed the running version");
        let next = DistroVersion::parse(&next.version).expect("a next step is a version");
        assert!(next > current, "{next} offered to {current}");
    }
});
