//! Components the host must refuse before they run: an import outside the
//! policy ends the run with exit 3 and one error naming it, before the
//! cluster is read or the endpoint reached. One test per `refused-`
//! component (generated from tests/components by tests/support/build.rs).

use ur_test_support::components;

use crate::common::{
    Cluster, QUICK, assert_table_names_components, expectations, host, responder, run,
};

/// What the one error line of each refused component names, beyond
/// "component refused:" and "imports not granted: ".
const REFUSED_FOR: &[(&str, &str)] = &[
    (
        "refused-imports-filesystem",
        "imports not granted: wasi:filesystem/",
    ),
    ("refused-opens-socket", "wasi:sockets/tcp"),
    ("refused-resolves-name", "wasi:sockets/ip-name-lookup"),
];

fn is_refused_before_anything_runs(name: &str, component: &str) {
    for import in expectations(REFUSED_FOR, name, "refused") {
        let api = Cluster::start("k3s-single");
        let endpoint = responder();
        let ran = run(host()
            .arg("--component")
            .arg(component)
            .arg("--kubeconfig")
            .arg(&api.kubeconfig)
            .arg("--endpoint")
            .arg(endpoint.url()));
        assert_eq!(ran.code, 3, "{}", ran.stderr);
        assert_eq!(
            api.api.connection_count(),
            0,
            "refused before the cluster is read"
        );
        assert_eq!(endpoint.connection_count(), 0);
        let error = ran.log_lines("ERROR");
        assert_eq!(error.len(), 1, "{}", ran.stderr);
        assert!(error[0].contains("component refused:"), "{}", error[0]);
        assert!(error[0].contains("imports not granted: "), "{}", error[0]);
        assert!(error[0].contains(import), "{name}: {}", error[0]);
        assert!(ran.elapsed < QUICK);
    }
}

macro_rules! refused {
    ($test:ident, $name:literal, $path:expr) => {
        #[test]
        fn $test() {
            is_refused_before_anything_runs($name, $path);
        }
    };
}
ur_test_support::foreach_refused!(refused);

#[test]
fn every_expectation_is_for_a_refused_component() {
    assert_table_names_components(REFUSED_FOR, components::REFUSED);
}
