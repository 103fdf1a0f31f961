//! Hostile: reads the service-account token, which needs wasi:filesystem.
//! The host must refuse it before it runs, naming the import.

// Reading a file is this component's attack: the host's file doors
// (clippy.toml) are not for it.
#![allow(clippy::disallowed_methods)]

use reporter_sdk::{ClusterFacts, FactKinds, FieldMode, Payload, Reporter, Settings};

struct ReadsFiles;

impl Reporter for ReadsFiles {
    fn payload(_facts: &ClusterFacts, _settings: &Settings) -> Result<Payload, String> {
        let token = std::fs::read_to_string("/var/run/secrets/kubernetes.io/serviceaccount/token")
            .unwrap_or_default();
        Ok(Payload::new("v0").tag("token", &token))
    }

    fn facts_needed(_mode: FieldMode) -> FactKinds {
        FactKinds::empty()
    }
}

reporter_sdk::component!(ReadsFiles);
