//! For components' unit tests: the fixture clusters (`tests/fixtures/
//! clusters`) as the facts the host derives from them (`tests/fixtures/
//! facts/`, exactly what `upgrade-responder facts` prints, every kind read),
//! the facts a host hands a component that asked for fewer kinds, and a
//! check of a component's `facts_needed`.

pub use crate::facts::as_read_with;
use crate::{ClusterFacts, FactKinds, FieldMode, Reporter, Settings};

/// The fixture clusters, by name.
pub const CLUSTERS: [&str; 5] = [
    "k3s-single",
    "k3s-ha",
    "rke2-canal",
    "k3s-gpu",
    "rke2-calico",
];

/// A fixture cluster's facts, read as the host and the command mode read a
/// facts file ([`crate::facts::from_json`]).
///
/// # Panics
/// On a name outside [`CLUSTERS`] (a test's own mistake).
pub fn cluster(name: &str) -> ClusterFacts {
    let json = match name {
        "k3s-single" => include_str!("../../../tests/fixtures/facts/k3s-single.json"),
        "k3s-ha" => include_str!("../../../tests/fixtures/facts/k3s-ha.json"),
        "rke2-canal" => include_str!("../../../tests/fixtures/facts/rke2-canal.json"),
        "k3s-gpu" => include_str!("../../../tests/fixtures/facts/k3s-gpu.json"),
        "rke2-calico" => include_str!("../../../tests/fixtures/facts/rke2-calico.json"),
        other => panic!("no fixture cluster {other:?}; the clusters are {CLUSTERS:?}"),
    };
    crate::facts::from_json(json.as_bytes())
        .unwrap_or_else(|e| panic!("tests/fixtures/facts/{name}.json: {e}"))
}

/// Settings for a dry run in `mode`.
pub fn settings(mode: FieldMode) -> Settings {
    Settings {
        endpoint: String::new(),
        field_mode: mode,
        channel: crate::upgrade::DEFAULT_CHANNEL.to_string(),
        build: crate::HostBuild::Development,
    }
}

/// The body `R` builds from `facts` in `mode`.
///
/// # Panics
/// When `R` builds none (the test's failure, with the reason).
pub fn payload<R: Reporter>(facts: &ClusterFacts, mode: FieldMode) -> String {
    crate::build_payload::<R>(facts, &settings(mode))
        .unwrap_or_else(|reason| panic!("no payload in {mode:?}: {reason}"))
}

/// The tag and field names a body sends, in order.
pub fn payload_keys(body: &str) -> Vec<String> {
    let value: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    ["extraTagInfo", "extraFieldInfo"]
        .iter()
        .filter_map(|place| value.get(place)?.as_object())
        .flat_map(|keys| keys.keys().cloned())
        .collect()
}

/// Checks `R::facts_needed` on every fixture cluster in both modes against
/// `depends_on`, the component's own account of which fact kinds each key
/// it sends is derived from (`None`: a key it does not know, which fails):
/// the kinds asked for are exactly the union over the keys the mode sends,
/// and the payload built from only those facts is the same.
///
/// # Panics
/// On the first mismatch, naming the cluster, the mode and the key.
pub fn check_facts_needed<R: Reporter>(depends_on: impl Fn(&str) -> Option<FactKinds>) {
    for name in CLUSTERS {
        let facts = cluster(name);
        for mode in [FieldMode::Minimal, FieldMode::Standard] {
            let body = payload::<R>(&facts, mode);
            let used = payload_keys(&body)
                .iter()
                .fold(FactKinds::empty(), |used, key| {
                    used | depends_on(key).unwrap_or_else(|| {
                        panic!(
                            "{name} {mode:?}: the test does not say what {key:?} is derived from"
                        )
                    })
                });
            let needed = R::facts_needed(mode);
            assert_eq!(needed, used, "{name} {mode:?}: asked for vs used by {body}");
            assert_eq!(
                payload::<R>(&as_read_with(&facts, needed), mode),
                body,
                "{name} {mode:?}: the facts asked for make the same payload"
            );
        }
    }
}
