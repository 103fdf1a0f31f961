//! Hostile: floods stdout (the host's log) and then behaves.

use std::io::Write;

use reporter_sdk::{ClusterFacts, FactKinds, FieldMode, Payload, Reporter, Settings};

struct FloodsStdout;

impl Reporter for FloodsStdout {
    fn payload(_facts: &ClusterFacts, _settings: &Settings) -> Result<Payload, String> {
        let line = "flood ".repeat(1024);
        let mut stdout = std::io::stdout();
        for _ in 0..(8 << 20) / line.len() {
            stdout
                .write_all(line.as_bytes())
                .map_err(|e| e.to_string())?;
        }
        stdout.flush().map_err(|e| e.to_string())?;
        Ok(Payload::new("v0.0.0+flood1"))
    }

    fn facts_needed(_mode: FieldMode) -> FactKinds {
        FactKinds::empty()
    }
}

reporter_sdk::component!(FloodsStdout);
