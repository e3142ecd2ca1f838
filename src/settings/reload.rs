//! What a reload changes: the keys whose value differs between the running settings and the
//! ones just loaded, split into those applied to the running agents and those that take effect
//! at the next restart (they name files the agents hold open, the state the model has learnt,
//! or the socket the endpoint listens on; changing them live would lose history or data).

use super::model::Settings;
use super::schema::SECTIONS;
use std::collections::BTreeMap;

/// Keys a running daemon cannot take without a restart, and why (said in the log).
pub const RESTART_ONLY: &[((&str, &str), &str)] = &[
    (
        ("collector", "output_file"),
        "the CSV is written and tailed",
    ),
    (
        ("collector", "max_file_bytes"),
        "the CSV writer is set up with it",
    ),
    (
        ("collector", "max_files"),
        "the CSV writer is set up with it",
    ),
    (
        ("dataset_generator", "offset_file"),
        "the read position is kept there",
    ),
    (
        ("dataset_generator", "evict_after"),
        "the pods' history is kept by it",
    ),
    (
        ("anomaly_model", "warm_up"),
        "the signals' state is built with it",
    ),
    (
        ("anomaly_model", "detector"),
        "the model's state would start over",
    ),
    (
        ("anomaly_model", "model_dir"),
        "the model's state would start over",
    ),
    (
        ("insights", "output_file"),
        "the insights are written there",
    ),
    (
        ("analysis", "incidents_file"),
        "the journal is appended there",
    ),
    (("server", "listen"), "the endpoint is bound"),
    (("logging", "format"), "the log writer is set up once"),
];

/// The keys that changed, by `section.key`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReloadPlan {
    /// Applied to the running agents.
    pub applied: Vec<String>,
    /// Kept at their running value until the next restart.
    pub need_restart: Vec<String>,
}

impl ReloadPlan {
    pub fn is_empty(&self) -> bool {
        self.applied.is_empty() && self.need_restart.is_empty()
    }

    /// Whether any key of `section` is applied.
    pub fn touches(&self, section: &str) -> bool {
        self.applied
            .iter()
            .any(|k| k.split_once('.').is_some_and(|(s, _)| s == section))
    }

    pub fn changes(&self, section: &str, key: &str) -> bool {
        self.applied
            .iter()
            .any(|k| *k == format!("{section}.{key}"))
    }
}

/// Each key's value as `describe()` prints it (the one rendering of every setting).
fn values(s: &Settings) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut section = String::new();
    for line in s.describe().lines() {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_string();
        } else if let Some((key, value)) = line.split_once(" = ") {
            out.insert(format!("{section}.{key}"), value.to_string());
        }
    }
    out
}

/// The keys that differ, in the documented order, split by whether they can be applied live.
pub fn plan(running: &Settings, loaded: &Settings) -> ReloadPlan {
    let (old, new) = (values(running), values(loaded));
    let mut plan = ReloadPlan::default();
    for (section, keys) in SECTIONS {
        for key in *keys {
            let id = format!("{section}.{key}");
            if old.get(&id) == new.get(&id) {
                continue;
            }
            if RESTART_ONLY
                .iter()
                .any(|((s, k), _)| s == section && k == key)
            {
                plan.need_restart.push(id);
            } else {
                plan.applied.push(id);
            }
        }
    }
    plan
}

/// The settings the daemon runs on after a reload: `loaded`, with the restart-only keys kept
/// at their running values (so the next reload still reports them as pending).
pub fn running_after(loaded: &Settings, running: &Settings) -> Settings {
    let mut s = loaded.clone();
    s.collector.output_file = running.collector.output_file.clone();
    s.collector.max_file_bytes = running.collector.max_file_bytes;
    s.collector.max_files = running.collector.max_files;
    s.dataset_generator.offset_file = running.dataset_generator.offset_file.clone();
    s.dataset_generator.evict_after = running.dataset_generator.evict_after;
    s.anomaly_model.warm_up = running.anomaly_model.warm_up;
    s.anomaly_model.detector = running.anomaly_model.detector;
    s.anomaly_model.model_dir = running.anomaly_model.model_dir.clone();
    s.insights.output_file = running.insights.output_file.clone();
    s.analysis.incidents_file = running.analysis.incidents_file.clone();
    s.server.listen = running.server.listen;
    s.logging.format = running.logging.format;
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn changed_keys_are_split_into_applied_and_restart_only() {
        let running = Settings::default();
        let mut loaded = running.clone();
        loaded.anomaly_model.alert_threshold = 0.9;
        loaded.collector.generator_interval = Duration::from_secs(15);
        loaded.insights.output_file = "elsewhere.json".into();
        loaded.server.listen = None;
        let p = plan(&running, &loaded);
        assert_eq!(
            p.applied,
            [
                "collector.generator_interval",
                "anomaly_model.alert_threshold"
            ]
        );
        assert_eq!(p.need_restart, ["insights.output_file", "server.listen"]);
        assert!(p.touches("collector") && !p.touches("alerts"));
        assert!(p.changes("anomaly_model", "alert_threshold"));
        assert!(plan(&running, &running).is_empty());

        let after = running_after(&loaded, &running);
        assert_eq!(after.anomaly_model.alert_threshold, 0.9);
        assert_eq!(after.insights.output_file, running.insights.output_file);
        assert_eq!(after.server.listen, running.server.listen);
        // Still pending at the next reload of the same file; nothing else.
        let again = plan(&after, &loaded);
        assert!(again.applied.is_empty());
        assert_eq!(
            again.need_restart,
            ["insights.output_file", "server.listen"]
        );
    }

    #[test]
    fn every_restart_only_key_exists_and_is_kept_by_running_after() {
        let running = Settings::default();
        for ((section, key), _) in RESTART_ONLY {
            assert!(
                super::super::schema::key(section, key).is_some(),
                "{section}.{key}"
            );
        }
        // Change every restart-only key: none of them may leak into the running settings.
        let mut loaded = running.clone();
        loaded.collector.output_file = "x.csv".into();
        loaded.collector.max_file_bytes = 1;
        loaded.collector.max_files = 2;
        loaded.dataset_generator.offset_file = "x.json".into();
        loaded.dataset_generator.evict_after = Duration::from_secs(999);
        loaded.anomaly_model.warm_up = Duration::from_secs(1);
        loaded.anomaly_model.detector = crate::settings::DetectorKind::Statistical;
        loaded.anomaly_model.model_dir = Some("m".into());
        loaded.insights.output_file = "i.json".into();
        loaded.analysis.incidents_file = "j.jsonl".into();
        loaded.server.listen = None;
        loaded.logging.format = crate::settings::LogFormat::Json;
        assert_eq!(
            plan(&running, &loaded).need_restart.len(),
            RESTART_ONLY.len()
        );
        assert_eq!(running_after(&loaded, &running), running);
    }
}
