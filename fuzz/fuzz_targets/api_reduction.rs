//! The reduction of API objects into facts: any JSON the API server could
//! send for a node, a deployment, a daemon set or the version decodes into
//! the host's own object types (host/src/objects.rs) and reduces without a
//! panic, and every free-text fact stays within its bound.

#![no_main]

use libfuzzer_sys::fuzz_target;
use upgrade_responder::bindings::Workload;
use upgrade_responder::facts::{self, MAX_TEXT_BYTES};
use upgrade_responder::objects::{self, Node, Version};

fn check_workload(workload: &Workload) {
    assert!(workload.name.len() <= MAX_TEXT_BYTES);
    for image in &workload.images {
        assert!(image.repository.len() <= MAX_TEXT_BYTES);
        assert!(!image.tag.is_empty() && image.tag.len() <= MAX_TEXT_BYTES);
        assert!(!image.repository.contains('@') && !image.tag.contains('@'));
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(node) = serde_json::from_slice::<Node>(data) {
        let facts = facts::node(&node);
        for text in [
            &facts.os_image,
            &facts.operating_system,
            &facts.kernel_version,
            &facts.architecture,
            &facts.kubelet_version,
            &facts.container_runtime_version,
        ] {
            assert!(text.len() <= MAX_TEXT_BYTES, "{} bytes", text.len());
        }
        assert!(facts.roles.len() <= 5, "roles are a deduplicated set of five");
        assert!(facts.gpus.len() <= 4, "GPUs are counted per vendor");
    }
    if let Ok(workload) = serde_json::from_slice::<objects::Workload>(data) {
        check_workload(&facts::deployment(&workload));
        check_workload(&facts::daemon_set(&workload));
    }
    if let Ok(info) = serde_json::from_slice::<Version>(data) {
        let _ = facts::server_version(&info);
    }
    if let Ok(reference) = std::str::from_utf8(data) {
        let image = facts::image(reference);
        assert!(!image.tag.is_empty());
        assert!(!image.tag.contains('/'), "{reference:?} -> {image:?}");
    }
});
