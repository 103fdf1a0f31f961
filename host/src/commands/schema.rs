//! `schema`: the upgrade-responder server's `--request-schema` file for a
//! component. The real server stores only the keys its schema lists and
//! drops the rest without a word, so a distribution deploys its server with
//! the schema its component declares.

use crate::ground::failure::{Failure, exit};
use crate::sandbox::{self, Call, Returned};
use crate::settings::{Config, Values};

pub fn print(values: &Values) -> u8 {
    match schema(values) {
        Ok(schema) => {
            println!("{schema}");
            exit::OK
        }
        Err(failure) => failure.log(),
    }
}

fn schema(values: &Values) -> Result<String, Failure> {
    let config = Config::parse(values).map_err(Failure::Config)?;
    let runtime = super::runtime().map_err(Failure::Internal)?;
    let component = super::run::load_component(&config)?;
    let returned = runtime
        .block_on(sandbox::call(
            &component.engine,
            &component.linker,
            &component.checked,
            &config.limits,
            Call::RequestSchema,
        ))
        .map_err(Failure::Internal)?;
    let origin = &component.origin;
    let text = match returned {
        Ok(finished) => match finished.returned {
            Returned::Schema(Some(text)) => text,
            Returned::Schema(None) => {
                return Err(Failure::Config(anyhow::anyhow!(
                    "{origin} was built against contract 0.1.0, which declares no schema: rebuild it with the current SDK"
                )));
            }
            _ => {
                return Err(Failure::Internal(anyhow::anyhow!(
                    "{origin} answered the schema call with something else"
                )));
            }
        },
        Err(stopped) => {
            return Err(Failure::Config(anyhow::anyhow!(
                "{origin} gave no schema: component stopped: {}",
                stopped.reason
            )));
        }
    };
    // Printed from our own parse, so what reaches the terminal or a file is
    // JSON whatever the component returned.
    let schema: serde_json::Value = serde_json::from_str(&text).map_err(|error| {
        Failure::Config(anyhow::anyhow!(
            "{origin} declares a schema that is not JSON ({error}): fix the component"
        ))
    })?;
    let fits = [
        "appVersionSchema",
        "extraTagInfoSchema",
        "extraFieldInfoSchema",
    ]
    .iter()
    .all(|key| schema.get(key).is_some_and(serde_json::Value::is_object));
    if !fits {
        return Err(Failure::Config(anyhow::anyhow!(
            "{origin} declares a schema without the server's three objects (appVersionSchema, extraTagInfoSchema, extraFieldInfoSchema): fix the component"
        )));
    }
    serde_json::to_string_pretty(&schema)
        .map_err(|error| Failure::Internal(anyhow::anyhow!("cannot print the schema: {error}")))
}
