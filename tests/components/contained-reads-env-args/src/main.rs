//! Hostile: looks for secrets in the environment and arguments. Its payload
//! says what it found, so the test can see the host gave it nothing.

use reporter_sdk::bindings::{Guest, export_reporter};
use reporter_sdk::{ClusterFacts, FactKinds, FieldMode, Outcome, ReportError, Settings};

struct ReadsEnvArgs;

impl Guest for ReadsEnvArgs {
    fn build_payload(_facts: ClusterFacts, _settings: Settings) -> Result<String, String> {
        let vars: Vec<String> = std::env::vars().map(|(k, v)| format!("{k}={v}")).collect();
        let args: Vec<String> = std::env::args().collect();
        let cwd = std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_default();
        Ok(format!("env={vars:?} args={args:?} cwd={cwd:?}"))
    }

    fn report(facts: ClusterFacts, settings: Settings) -> Result<Outcome, ReportError> {
        Self::build_payload(facts, settings).map_err(ReportError::InvalidFacts)?;
        Err(ReportError::NotSent(
            "reads-env-args sends nothing".to_string(),
        ))
    }

    fn request_schema() -> String {
        String::from("{}")
    }

    /// It uses no cluster facts: the host reads none but the version and UUID.
    fn facts_needed(_mode: FieldMode) -> FactKinds {
        FactKinds::empty()
    }
}

export_reporter!(ReadsEnvArgs with_types_in reporter_sdk::bindings);

fn main() {}
