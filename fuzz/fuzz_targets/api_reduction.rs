//! The reduction of API objects into facts: any JSON the API server could
//! send for a node, a deployment, a daemon set or the version decodes into
//! the host's own object types (host/src/cluster/objects.rs) and reduces without a
//! panic, and every fact is a closed value: a known word, digits and dots,
//! `other` or `unknown`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use upgrade_responder::cluster::facts;
use upgrade_responder::cluster::objects::{self, Node, Version};
use upgrade_responder::ground::bindings::{Workload, WorkloadImage, WorkloadKind};
use upgrade_responder::ground::vocabulary::Vocabulary;

/// Short, and only letters, digits and the separators of versions and names.
fn closed(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.+/".contains(&b))
}

fn check_image(image: &WorkloadImage, vocabulary: &Vocabulary) {
    assert!(vocabulary.is_software(&image.software), "{image:?}");
    assert!(closed(&image.version), "{image:?}");
}

fn check_workload(workload: &Workload, vocabulary: &Vocabulary) {
    assert!(vocabulary.is_software(&workload.software), "{workload:?}");
    workload
        .images
        .iter()
        .for_each(|image| check_image(image, vocabulary));
}

fuzz_target!(|data: &[u8]| {
    let vocabulary = Vocabulary::default();
    if let Ok(node) = serde_json::from_slice::<Node>(data) {
        let facts = facts::node(&node);
        for text in [
            &facts.os_id,
            &facts.os_version,
            &facts.operating_system,
            &facts.kernel_version,
            &facts.architecture,
            &facts.kubelet_version,
            &facts.container_runtime,
            &facts.container_runtime_version,
        ] {
            assert!(closed(text), "{text:?}");
        }
        assert!(
            facts.roles.len() <= 5,
            "roles are a deduplicated set of five"
        );
        assert!(facts.gpus.len() <= 4, "GPUs are counted per vendor");
    }
    if let Ok(workload) = serde_json::from_slice::<objects::Workload>(data) {
        for kind in [WorkloadKind::Deployment, WorkloadKind::DaemonSet] {
            check_workload(
                &facts::workload_of(kind, &workload, &vocabulary),
                &vocabulary,
            );
        }
    }
    if let Ok(info) = serde_json::from_slice::<Version>(data) {
        let version = facts::server_version(&info);
        for text in [
            &version.git_version,
            &version.major,
            &version.minor,
            &version.platform,
        ] {
            assert!(closed(text), "{text:?}");
        }
    }
    if let Ok(reference) = std::str::from_utf8(data) {
        check_image(&facts::image(reference, &vocabulary), &vocabulary);
    }
});
