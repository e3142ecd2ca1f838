//! The command-line layer: flags that override a few settings. `main` fills [`Overrides`] from
//! its parsed flags; values are validated exactly like the file's.

use std::path::PathBuf;

use super::error::Origin;
use super::schema::{Layers, Located, RawValue};

/// Settings that can be overridden on the command line; `None` leaves the lower layers in force.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    pub prometheus_url: Option<String>,
    pub namespace: Option<String>,
    pub generator_interval: Option<String>,
    pub output_file: Option<PathBuf>,
    pub watch_interval: Option<String>,
    pub alert_threshold: Option<f64>,
    pub source: Option<String>,
    pub detector: Option<String>,
}

/// The flag behind each override as `(section, key, flag)`, used in error messages; `main`
/// should declare its flags with these names so messages point at what the user typed.
pub const OVERRIDE_FLAGS: &[(&str, &str, &str)] = &[
    ("collector", "prometheus_url", "--prometheus-url"),
    ("collector", "namespace", "--namespace"),
    ("collector", "generator_interval", "--generator-interval"),
    ("collector", "output_file", "--output"),
    ("dataset_generator", "watch_interval", "--watch-interval"),
    ("anomaly_model", "alert_threshold", "--alert-threshold"),
    ("collector", "source", "--source"),
    ("anomaly_model", "detector", "--detector"),
];

/// The flag that overrides `section.key`, if any.
pub fn flag_for(section: &str, key: &str) -> Option<&'static str> {
    OVERRIDE_FLAGS
        .iter()
        .find(|(s, k, _)| *s == section && *k == key)
        .map(|(_, _, flag)| *flag)
}

/// Adds the given flags to `layers` as the highest-precedence layer.
pub(crate) fn read_into(overrides: &Overrides, layers: &mut Layers) {
    // Destructured so a new field cannot be forgotten here.
    let Overrides {
        prometheus_url,
        namespace,
        generator_interval,
        output_file,
        watch_interval,
        alert_threshold,
        source,
        detector,
    } = overrides;
    let text = |v: &Option<String>| v.clone().map(RawValue::Text);
    let given = [
        ("collector", "prometheus_url", text(prometheus_url)),
        ("collector", "namespace", text(namespace)),
        ("collector", "generator_interval", text(generator_interval)),
        (
            "collector",
            "output_file",
            output_file.clone().map(RawValue::Path),
        ),
        ("dataset_generator", "watch_interval", text(watch_interval)),
        (
            "anomaly_model",
            "alert_threshold",
            alert_threshold.map(RawValue::Number),
        ),
        ("collector", "source", text(source)),
        ("anomaly_model", "detector", text(detector)),
    ];
    for (section, key, value) in given {
        let Some(value) = value else { continue };
        let flag = flag_for(section, key).expect("every override has a flag in OVERRIDE_FLAGS");
        layers.entry((section, key)).or_default().push(Located {
            value,
            origin: Origin::Flag { flag },
        });
    }
}
