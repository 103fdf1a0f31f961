//! Components a bound must stop: the deadline, the memory, table and
//! outcome limits, a trap. The run ends well inside a bound that would
//! otherwise never be met, exits 0 and its last warning names the bound.
//! One test per `stopped-` component (generated from tests/components by
//! tests/support/build.rs), plus the table bound, which no Rust component
//! can reach at run time.

use ur_test_support::components;

use crate::common::{
    assert_table_names_components, dry_run, expectations, responder, run_component, single_warning,
};

/// How a case runs the component.
enum Mode {
    /// `--dry-run`: nothing may be printed.
    DryRun,
    /// Against an upgrade-responder stand-in: nothing complete may be stored.
    Sending,
}

/// One run of a stopped component and what its last warning must contain.
struct Stopped {
    mode: Mode,
    settings: &'static [(&'static str, &'static str)],
    warning: &'static str,
}

const STOPPED_BY: &[(&str, Stopped)] = &[
    (
        "stopped-loops-forever",
        Stopped {
            mode: Mode::DryRun,
            settings: &[("UPGRADE_RESPONDER_DEADLINE_SECONDS", "2")],
            warning: "report not sent: component stopped: deadline (2000 ms) passed",
        },
    ),
    (
        "stopped-allocates-without-bound",
        Stopped {
            mode: Mode::DryRun,
            settings: &[("UPGRADE_RESPONDER_MEMORY_LIMIT_MIB", "16")],
            warning: "report not sent: component stopped: memory limit (16777216 bytes) reached:",
        },
    ),
    (
        "stopped-gigantic-outcome",
        Stopped {
            mode: Mode::DryRun,
            settings: &[],
            warning: "report not sent: component stopped: outcome limit (262144 bytes) reached: the component returned 4194304 bytes",
        },
    ),
    (
        "stopped-gigantic-outcome",
        Stopped {
            mode: Mode::Sending,
            settings: &[],
            warning: "outcome limit (262144 bytes) reached",
        },
    ),
    (
        "stopped-traps",
        Stopped {
            mode: Mode::DryRun,
            settings: &[],
            warning: "report not sent: component stopped: component trapped:",
        },
    ),
    (
        "stopped-panics-mid-request",
        Stopped {
            mode: Mode::Sending,
            settings: &[],
            warning: "report not sent: component stopped: component trapped:",
        },
    ),
    (
        "stopped-hoards-fields",
        Stopped {
            mode: Mode::DryRun,
            settings: &[],
            warning: "report not sent: component stopped: host resource limit (256 handles) reached: ",
        },
    ),
    (
        "stopped-hoards-request-bodies",
        Stopped {
            mode: Mode::DryRun,
            settings: &[],
            warning: "report not sent: component stopped: host resource limit (256 handles) reached: ",
        },
    ),
];

fn is_stopped_by_its_bound(name: &str, component: &str) {
    for expected in expectations(STOPPED_BY, name, "stopped") {
        let warn = match expected.mode {
            Mode::DryRun => {
                let ran = dry_run(Some(component), expected.settings);
                let warn = single_warning(&ran);
                assert!(ran.stdout.is_empty(), "{name}: {}", ran.stdout);
                warn
            }
            Mode::Sending => {
                let endpoint = responder();
                let ran = run_component(component, &endpoint.url(), expected.settings);
                let warn = single_warning(&ran);
                assert!(
                    endpoint.received().iter().all(|r| r.stored.is_none()),
                    "{name}: nothing complete was stored"
                );
                warn
            }
        };
        assert!(warn.contains(expected.warning), "{name}: {warn}");
    }
}

macro_rules! stopped {
    ($test:ident, $name:literal, $path:expr) => {
        #[test]
        fn $test() {
            is_stopped_by_its_bound($name, $path);
        }
    };
}
ur_test_support::foreach_stopped!(stopped);

#[test]
fn every_expectation_is_for_a_stopped_component() {
    assert_table_names_components(STOPPED_BY, components::STOPPED);
}

#[test]
fn a_table_larger_than_the_limit_is_refused_at_instantiation() {
    // No Rust component can grow a table at run time (there is no stable
    // table.grow); the bound applies to the table a component declares.
    let ran = dry_run(None, &[("UPGRADE_RESPONDER_TABLE_ELEMENTS", "1")]);
    let warn = single_warning(&ran);
    assert!(
        // The first call instantiates it: facts-needed, named.
        warn.contains(
            "report not sent: component stopped in facts-needed: table limit (1 elements) reached:"
        ),
        "{warn}"
    );
}
