//! `facts`: the cluster as a component would see it, in the fixture
//! format that `--facts` and `wasmtime run` read. Every kind is read (a
//! run reads only those its component asks for); given a facts file, in
//! the current or the older raw form, it prints it in the current form.

use crate::cluster::facts_file as facts;
use crate::ground::bindings::FactKinds;
use crate::ground::failure::{Failure, exit};
use crate::settings::{Config, Values};

pub fn print(values: &Values) -> u8 {
    // The opt-out covers this command too: a disabled cluster is not read.
    match super::run::opted_out(values) {
        Ok(true) => return exit::OK,
        Ok(false) => {}
        Err(failure) => return failure.log(),
    }
    let config = match Config::parse(values) {
        Ok(config) => config,
        Err(error) => return Failure::Config(error).log(),
    };
    let read = match &config.facts {
        Some(path) => facts::load(path, &config.vocabulary),
        None => super::runtime()
            .and_then(|rt| rt.block_on(super::run::read_cluster(&config, FactKinds::all()))),
    };
    match read {
        Ok(facts) => {
            print!("{}", facts::to_json(&facts));
            exit::OK
        }
        // Here the facts are the whole point: not reading them fails.
        Err(error) => Failure::Internal(error).log(),
    }
}
