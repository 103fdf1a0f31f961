//! `capabilities`: the policy after configuration, for a reviewer: what a
//! component may import, where it may send, and every limit.

use crate::ground::failure::{Failure, exit};
use crate::ground::policy;
use crate::sandbox;
use crate::settings::{self, BuiltIn, ComponentSetting, Config, Values};

/// `capabilities`: the policy after configuration, for a reviewer.
pub fn print(values: &Values, json: bool) -> u8 {
    let config = match Config::parse(values) {
        Ok(config) => config,
        Err(error) => return Failure::Config(error).log(),
    };
    let contract_versions: Vec<&str> = policy::REPORTER_CONTRACTS
        .iter()
        .map(|(version, _)| *version)
        .collect();
    let limits = &config.limits;
    let limit_rows = policy::limit_rows(limits);
    let tls_roots = match &config.ca_file {
        Some(path) => format!("public web roots (compiled in) + {}", path.display()),
        None => "public web roots (compiled in)".to_string(),
    };
    let token = if config.bearer_token.is_some() {
        "added by the host (hidden from the component)"
    } else {
        "none"
    };
    let user_agent = config.user_agent.to_str().unwrap_or_default();
    let marker = config
        .marker
        .as_ref()
        .map(|(name, value)| format!("{name}: {}", value.to_str().unwrap_or_default()));
    let (choice, chosen) = match &config.component {
        ComponentSetting::Automatic => ("automatic", String::new()),
        ComponentSetting::BuiltIn(which) => ("setting", which.setting().to_string()),
        ComponentSetting::File(path) => ("setting", path.display().to_string()),
    };
    if json {
        let document = serde_json::json!({
            "component": {
                "choice": choice,
                "setting": chosen,
                "rule": sandbox::BUILT_IN_RULE,
                "built_in": BuiltIn::ALL.iter().map(|which| serde_json::json!({
                    "name": which.setting(),
                    "component": which.package(),
                    "sha256": sandbox::built_in_sha256(*which),
                })).collect::<Vec<_>>(),
            },
            "imports": policy::ALLOWED_IMPORTS.iter().map(|g| serde_json::json!({
                "interface": g.interface,
                "versions": if g.interface.starts_with("upgrade-responder:") { contract_versions.join(", ") } else { format!("{}*", policy::WASI_VERSION_PREFIX) },
                "why": g.why,
            })).collect::<Vec<_>>(),
            "required_exports": policy::REPORTER_CONTRACTS.iter().map(|(version, exports)| (version.to_string(), exports.to_vec())).collect::<std::collections::BTreeMap<_, _>>(),
            "egress": {
                "allowed": config.authority.to_string(),
                "redirects_followed": false,
                "tls_roots": tls_roots,
                "bearer_token": config.bearer_token.is_some(),
                "user_agent": user_agent,
                "marker_header": marker,
            },
            "limits": limit_rows.iter().map(|(key, what, value)| serde_json::json!({
                "setting": key, "what": what, "value": value,
            })).collect::<Vec<_>>(),
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&document).unwrap_or_default()
        );
        return exit::OK;
    }
    println!("Component:");
    match choice {
        "automatic" => println!(
            "  choice          automatic ({} empty): {}",
            settings::COMPONENT,
            sandbox::BUILT_IN_RULE
        ),
        _ => println!(
            "  choice          {chosen} (the setting {})",
            settings::COMPONENT
        ),
    }
    for which in BuiltIn::ALL {
        println!(
            "  {:15} {} sha256 {}",
            which.setting(),
            which.package(),
            sandbox::built_in_sha256(which)
        );
    }
    println!("Imports a component may have (anything else is refused before it runs):");
    for grant in policy::ALLOWED_IMPORTS {
        println!("  {:36} {}", grant.interface, grant.why);
    }
    println!(
        "  (versions: wasi 0.2.x; upgrade-responder:telemetry {})",
        contract_versions.join(", ")
    );
    for (version, exports) in policy::REPORTER_CONTRACTS {
        println!(
            "Exports it must have (contract {version}): {}",
            exports.join(", ")
        );
    }
    println!("Egress:");
    println!(
        "  allowed         {} only (scheme, host and port; redirects are not followed)",
        config.authority
    );
    println!("  TLS roots       {tls_roots}");
    println!("  bearer token    {token}");
    println!("  user agent      {user_agent} (set by the host)");
    println!(
        "  marker header   {} (set by the host)",
        marker.as_deref().unwrap_or("none")
    );
    println!("Limits:");
    for (key, what, value) in &limit_rows {
        println!("  {what:40} {value:>16}   {key}");
    }
    println!("Never granted: {}", policy::NEVER_GRANTED);
    exit::OK
}
