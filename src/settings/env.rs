//! The environment layer: `K8S_MONITOR_<SECTION>__<KEY>` variables, read from a map the caller
//! passes in (so tests never touch the process environment).

use std::collections::HashMap;

use super::error::{Origin, Problem};
use super::schema::{self, Layers, Located, RawValue};

/// Prefix of every variable this program reads.
pub const ENV_PREFIX: &str = "K8S_MONITOR_";

/// Variables with [`ENV_PREFIX`] that are not settings and are used by the program itself, so the
/// loader must not reject them as unknown. `K8S_MONITOR_LOG` is the log filter read at start-up,
/// before settings exist (like `RUST_LOG`).
pub const NON_SETTINGS_ENV_VARS: &[&str] = &["K8S_MONITOR_LOG"];

/// The variable that sets `section.key`, e.g. `K8S_MONITOR_COLLECTOR__GENERATOR_INTERVAL`.
pub fn env_var_name(section: &str, key: &str) -> String {
    format!(
        "{ENV_PREFIX}{}__{}",
        section.to_ascii_uppercase(),
        key.to_ascii_uppercase()
    )
}

/// Adds every settings variable of `env` to `layers`; prefixed variables that name no key become
/// problems (a typo must not silently leave the default in force).
pub(crate) fn read_into(
    env: &HashMap<String, String>,
    layers: &mut Layers,
    problems: &mut Vec<Problem>,
) {
    // Sorted so that errors come out in a stable order whatever the map's hashing.
    let mut vars: Vec<_> = env
        .iter()
        .filter(|(name, _)| name.starts_with(ENV_PREFIX))
        .filter(|(name, _)| !NON_SETTINGS_ENV_VARS.contains(&name.as_str()))
        .collect();
    vars.sort();

    for (name, value) in vars {
        let origin = Origin::Env { var: name.clone() };
        let rest = &name[ENV_PREFIX.len()..];
        let Some((section_part, key_part)) = rest.split_once("__") else {
            problems.push(Problem {
                origin,
                section: String::new(),
                key: None,
                message: format!(
                    "is not a settings variable: expected {ENV_PREFIX}<SECTION>__<KEY> with \
                     SECTION one of {} (e.g. {}), or one of {}",
                    upper_section_names(),
                    env_var_name("collector", "generator_interval"),
                    NON_SETTINGS_ENV_VARS.join(", ")
                ),
            });
            continue;
        };
        // Only the exact upper-case spelling matches, as documented.
        let found = schema::SECTIONS
            .iter()
            .find(|(s, _)| s.to_ascii_uppercase() == section_part);
        let Some((section, keys)) = found else {
            problems.push(Problem {
                origin,
                section: section_part.to_ascii_lowercase(),
                key: None,
                message: format!(
                    "unknown section `{section_part}`; allowed sections: {}",
                    upper_section_names()
                ),
            });
            continue;
        };
        match keys.iter().find(|k| k.to_ascii_uppercase() == key_part) {
            Some(key) => layers.entry((section, key)).or_default().push(Located {
                value: RawValue::Text(value.clone()),
                origin,
            }),
            None => problems.push(Problem {
                origin,
                section: section.to_string(),
                key: Some(key_part.to_ascii_lowercase()),
                message: format!(
                    "unknown key `{key_part}` in [{section}]; allowed keys: {}",
                    keys.iter()
                        .map(|k| k.to_ascii_uppercase())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
        }
    }
}

fn upper_section_names() -> String {
    schema::SECTIONS
        .iter()
        .map(|(s, _)| s.to_ascii_uppercase())
        .collect::<Vec<_>>()
        .join(", ")
}
