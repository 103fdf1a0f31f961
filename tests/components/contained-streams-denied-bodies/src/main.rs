//! Hostile: opens many requests at once, each streaming a large body, to
//! an authority the host denies. A host that buffered a denied request's
//! body while it waited would hold requests x body bytes beside the
//! component; the host drains and drops each chunk instead. Its payload
//! says how many requests were denied.

use reporter_sdk::bindings::{Guest, export_reporter};
use reporter_sdk::{ClusterFacts, FactKinds, FieldMode, Outcome, ReportError, Settings};
use wstd::http::{Body, Client, Request};

/// Requests open at once.
const REQUESTS: usize = 8;
/// Each body: 4,096 chunks of 16 KiB, 64 MiB, from one chunk the component
/// holds (its own memory stays small).
const CHUNKS: usize = 4096;
const CHUNK: usize = 16 << 10;

async fn send_denied(index: usize) -> bool {
    let chunk = bytes_chunk();
    let stream = futures_lite::stream::iter((0..CHUNKS).map(move |_| chunk.clone()));
    let Ok(request) = Request::post(format!("http://denied-{index}.invalid/v1/checkupgrade"))
        .header("content-type", "application/json")
        .body(Body::from_stream(stream))
    else {
        return false;
    };
    Client::new().send(request).await.is_err()
}

fn bytes_chunk() -> Vec<u8> {
    vec![b'x'; CHUNK]
}

struct StreamsDeniedBodies;

impl Guest for StreamsDeniedBodies {
    fn build_payload(_facts: ClusterFacts, _settings: Settings) -> Result<String, String> {
        let denied = wstd::runtime::block_on(async {
            let tasks: Vec<_> = (0..REQUESTS)
                .map(|i| wstd::runtime::spawn(send_denied(i)))
                .collect();
            let mut denied = 0;
            for task in tasks {
                if task.await {
                    denied += 1;
                }
            }
            denied
        });
        Ok(format!("{denied} of {REQUESTS} requests denied"))
    }

    fn report(facts: ClusterFacts, settings: Settings) -> Result<Outcome, ReportError> {
        let line = Self::build_payload(facts, settings).map_err(ReportError::InvalidFacts)?;
        Err(ReportError::NotSent(line))
    }

    fn request_schema() -> String {
        String::from("{}")
    }

    /// It uses no cluster facts: the host reads none but the version and UUID.
    fn facts_needed(_mode: FieldMode) -> FactKinds {
        FactKinds::empty()
    }
}

export_reporter!(StreamsDeniedBodies with_types_in reporter_sdk::bindings);

fn main() {}
