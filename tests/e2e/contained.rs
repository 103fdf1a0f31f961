//! Components that run to the end while what they try is contained: they
//! see no environment, arguments or directory, and their output is capped
//! and marked. Each exits 0 quickly with a small log. One test per
//! `contained-` component (generated from tests/components by
//! tests/support/build.rs).

use ur_test_support::components;

use crate::common::{QUICK, assert_table_names_components, dry_run, expectations};

/// What a contained component's dry run prints.
enum Stdout {
    Exactly(&'static str),
    StartsWith(&'static str),
}

/// One dry run of a contained component and what it must show.
struct Contained {
    settings: &'static [(&'static str, &'static str)],
    stdout: Stdout,
    /// What the host's log contains.
    log: &'static [&'static str],
}

const CONTAINED_TO: &[(&str, Contained)] = &[
    (
        "contained-reads-env-args",
        Contained {
            // A setting of the host's own process never reaches the component.
            settings: &[("SECRET_FOR_TEST", "hunter2")],
            // "/" is wasi-libc's answer when the host gives no directory at all.
            stdout: Stdout::Exactly("env=[] args=[] cwd=\"/\"\n"),
            log: &[],
        },
    ),
    (
        // Every header the host refuses to a component, refused at the
        // fields it builds; plain headers still allowed.
        "contained-sets-proxy-headers",
        Contained {
            settings: &[],
            stdout: Stdout::Exactly(
                "authorization=forbidden proxy-authorization=forbidden cookie=forbidden user-agent=forbidden host=forbidden te=forbidden trailer=forbidden expect=forbidden max-forwards=forbidden via=forbidden forwarded=forbidden x-forwarded-for=forbidden x-forwarded-host=forbidden x-forwarded-proto=forbidden x-real-ip=forbidden x-original-url=forbidden x-rewrite-url=forbidden x-http-method-override=forbidden x-http-method=forbidden x-method-override=forbidden content-type=allowed x-request-id=allowed\n",
            ),
            log: &[],
        },
    ),
    (
        // Eight requests at once, each streaming 64 MiB, all denied: the
        // host drains each body (its memory: hostile_resources.rs).
        "contained-streams-denied-bodies",
        Contained {
            settings: &[("UPGRADE_RESPONDER_MAX_REQUEST_BYTES", "1073741824")],
            stdout: Stdout::Exactly("8 of 8 requests denied\n"),
            log: &["denied: a dry run sends nothing"],
        },
    ),
    (
        "contained-floods-stdout",
        Contained {
            settings: &[],
            stdout: Stdout::StartsWith("{\"appVersion\":\"v0.0.0+flood1\""),
            log: &[
                "component stdout: flood flood",
                "more bytes cut: output limit 16384 bytes]",
            ],
        },
    ),
    (
        // Its flood of denied requests is in a report: hostile_resources.rs.
        "contained-floods-denials",
        Contained {
            settings: &[],
            stdout: Stdout::Exactly("{}\n"),
            log: &[],
        },
    ),
    (
        "contained-forges-log-lines",
        Contained {
            settings: &[],
            stdout: Stdout::Exactly(""),
            log: &[
                "dry run: the component built no payload: no payload\\n2026-01-01T00:00:00Z  INFO report sent",
            ],
        },
    ),
];

fn is_contained(name: &str, component: &str) {
    for expected in expectations(CONTAINED_TO, name, "contained") {
        let ran = dry_run(Some(component), expected.settings);
        assert_eq!(ran.code, 0, "{name}: {}", ran.stderr);
        match expected.stdout {
            Stdout::Exactly(stdout) => assert_eq!(ran.stdout, stdout, "{name}"),
            Stdout::StartsWith(start) => {
                assert!(ran.stdout.starts_with(start), "{name}: {}", ran.stdout)
            }
        }
        for words in expected.log {
            assert!(
                ran.stderr.contains(words),
                "{name}: {words}: {}",
                &ran.stderr[..200.min(ran.stderr.len())]
            );
        }
        assert!(
            ran.stderr.len() < 20_000,
            "{name}: the log stays small: {} bytes",
            ran.stderr.len()
        );
        assert!(ran.elapsed < QUICK, "{name}: took {:?}", ran.elapsed);
    }
}

macro_rules! contained {
    ($test:ident, $name:literal, $path:expr) => {
        #[test]
        fn $test() {
            is_contained($name, $path);
        }
    };
}
ur_test_support::foreach_contained!(contained);

#[test]
fn every_expectation_is_for_a_contained_component() {
    assert_table_names_components(CONTAINED_TO, components::CONTAINED);
}
