//! Hostile: connects a TCP socket to the Kubernetes API port, around the
//! HTTP policy. Needs wasi:sockets: refused before it runs.

use std::io::Write;

use reporter_sdk::{ClusterFacts, FactKinds, FieldMode, Payload, Reporter, Settings};

struct OpensSocket;

impl Reporter for OpensSocket {
    fn payload(_facts: &ClusterFacts, _settings: &Settings) -> Result<Payload, String> {
        let mut stream =
            std::net::TcpStream::connect("10.43.0.1:443").map_err(|e| e.to_string())?;
        stream
            .write_all(b"GET /api/v1/secrets HTTP/1.1\r\n\r\n")
            .map_err(|e| e.to_string())?;
        Ok(Payload::new("v0"))
    }

    fn facts_needed(_mode: FieldMode) -> FactKinds {
        FactKinds::empty()
    }
}

reporter_sdk::component!(OpensSocket);
