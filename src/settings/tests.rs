//! Tests of [`load`]: layering, precedence and the wording of every kind of error. Files live in
//! temp dirs and the environment is a map, so nothing depends on the machine.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Writes `text` to `agents.toml` in a fresh temp dir (kept alive by the returned guard).
fn file(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agents.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

fn load_file(text: &str) -> Result<Settings, SettingsError> {
    let (_dir, path) = file(text);
    load(&path, true, &HashMap::new(), &Overrides::default())
}

fn problems(result: Result<Settings, SettingsError>) -> Vec<Problem> {
    match result {
        Err(SettingsError::ValidateSettings { problems }) => problems,
        other => panic!("expected ValidateSettings, got {other:?}"),
    }
}

/// The one problem, rendered as the user sees it.
fn only_problem(result: Result<Settings, SettingsError>) -> String {
    let problems = problems(result);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    problems[0].to_string()
}

fn nowhere() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agents.toml");
    (dir, path)
}

fn repo_agents_toml() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("agents.toml")
}

#[test]
fn missing_default_file_gives_defaults() {
    let (_dir, path) = nowhere();
    let settings = load(&path, false, &HashMap::new(), &Overrides::default()).unwrap();
    assert_eq!(settings, Settings::default());
    assert_eq!(
        settings.collector.generator_interval,
        Duration::from_secs(5)
    );
    assert_eq!(settings.collector.source, SourceKind::Simulator);
    assert_eq!(settings.anomaly_model.alert_threshold, 0.7);
}

#[test]
fn missing_explicit_file_is_an_error_naming_it() {
    let (_dir, path) = nowhere();
    let err = load(&path, true, &HashMap::new(), &Overrides::default()).unwrap_err();
    assert!(matches!(&err, SettingsError::ReadConfigFile { path: p, .. } if *p == path));
    let text = err.to_string();
    assert!(text.starts_with("cannot read config file "), "{text}");
    assert!(text.contains(&path.display().to_string()), "{text}");
}

#[test]
fn repo_agents_toml_loads_to_the_defaults() {
    let settings = load(
        &repo_agents_toml(),
        true,
        &HashMap::new(),
        &Overrides::default(),
    )
    .unwrap();
    assert_eq!(settings, Settings::default());
}

#[test]
fn repo_agents_toml_sets_and_documents_every_key() {
    let text = std::fs::read_to_string(repo_agents_toml()).unwrap();
    let table: toml::Table = text.parse().unwrap();
    for (section, keys) in schema::SECTIONS {
        let written = table[*section].as_table().unwrap();
        assert_eq!(
            written.len(),
            keys.len(),
            "[{section}] has extra or missing keys"
        );
        for key in *keys {
            assert!(written.contains_key(*key), "{section}.{key} missing");
            let var = env_var_name(section, key);
            assert!(text.contains(&var), "{var} not documented");
            if let Some(flag) = flag_for(section, key) {
                assert!(text.contains(flag), "{flag} not documented");
            }
        }
    }
}

#[test]
fn flag_beats_env_beats_file_beats_default() {
    let (_dir, path) =
        file("[collector]\ngenerator_interval = \"3s\"\n[anomaly_model]\nalert_threshold = 0.3\n");
    let (_none, missing) = nowhere();
    let vars = env(&[
        ("K8S_MONITOR_COLLECTOR__GENERATOR_INTERVAL", "2s"),
        ("K8S_MONITOR_ANOMALY_MODEL__ALERT_THRESHOLD", "0.8"),
    ]);
    let flags = Overrides {
        generator_interval: Some("1s".to_string()),
        alert_threshold: Some(0.9),
        ..Overrides::default()
    };
    let no_env = HashMap::new();
    let no_flags = Overrides::default();
    let get = |path: &Path, env: &HashMap<String, String>, flags: &Overrides| {
        let s = load(path, false, env, flags).unwrap();
        (
            s.collector.generator_interval,
            s.anomaly_model.alert_threshold,
        )
    };
    let secs = Duration::from_secs;
    assert_eq!(get(&path, &vars, &flags), (secs(1), 0.9));
    assert_eq!(get(&path, &vars, &no_flags), (secs(2), 0.8));
    assert_eq!(get(&path, &no_env, &no_flags), (secs(3), 0.3));
    assert_eq!(get(&missing, &no_env, &no_flags), (secs(5), 0.7));
    // Layers are per key: a flag for one key leaves the file's value of another in force.
    let one_flag = Overrides {
        alert_threshold: Some(0.9),
        ..Overrides::default()
    };
    assert_eq!(get(&path, &no_env, &one_flag), (secs(3), 0.9));
}

#[test]
fn every_override_reaches_its_key() {
    let flags = Overrides {
        prometheus_url: Some("https://prom:9090".to_string()),
        namespace: Some("all".to_string()),
        generator_interval: Some("250ms".to_string()),
        output_file: Some(PathBuf::from("/tmp/m.csv")),
        watch_interval: Some("2m".to_string()),
        alert_threshold: Some(0.5),
        source: Some("kubernetes".to_string()),
        detector: Some("statistical".to_string()),
    };
    let (_dir, path) = nowhere();
    let s = load(&path, false, &HashMap::new(), &flags).unwrap();
    assert_eq!(s.collector.prometheus_url, "https://prom:9090");
    assert_eq!(s.collector.namespace, "all");
    assert_eq!(s.collector.generator_interval, Duration::from_millis(250));
    assert_eq!(s.collector.output_file, PathBuf::from("/tmp/m.csv"));
    assert_eq!(s.dataset_generator.watch_interval, Duration::from_secs(120));
    assert_eq!(s.anomaly_model.alert_threshold, 0.5);
    assert_eq!(s.collector.source, SourceKind::Kubernetes);
    assert_eq!(s.anomaly_model.detector, DetectorKind::Statistical);
}

#[test]
fn all_three_sources_are_accepted() {
    for kind in SourceKind::ALL {
        let s = load_file(&format!("[collector]\nsource = \"{kind}\"\n")).unwrap();
        assert_eq!(s.collector.source, kind);
        assert_eq!(kind.as_str().parse::<SourceKind>(), Ok(kind));
    }
}

#[test]
fn unknown_key_in_file_names_line_and_allowed_keys() {
    let msg = only_problem(load_file(
        "[collector]\nsource = \"simulator\"\ngenerator_intervl = \"5s\"\n",
    ));
    assert!(
        msg.ends_with(
            "agents.toml:3: unknown key `generator_intervl` in [collector]; allowed keys: \
             source, generator_interval, output_file, prometheus_url, namespace, max_file_bytes, \
             max_files"
        ),
        "{msg}"
    );
}

#[test]
fn unknown_section_in_file_names_line_and_allowed_sections() {
    let msg = only_problem(load_file(
        "[simulator]\npods = 5\n\n[simulater]\npods = 5\n",
    ));
    assert!(
        msg.ends_with(
            "agents.toml:4: unknown section [simulater]; allowed sections: collector, \
             simulator, dataset_generator, prometheus, prometheus_queries, kubernetes, \
             anomaly_model, insights, analysis, alerts, llm, server, logging"
        ),
        "{msg}"
    );
}

#[test]
fn key_outside_any_section_is_an_error() {
    let msg = only_problem(load_file("pods = 5\n"));
    assert!(
        msg.contains("agents.toml:1: key `pods` is outside any section"),
        "{msg}"
    );
    let msg = only_problem(load_file("collector = 5\n"));
    assert!(
        msg.contains("`collector` must be a section ([collector]), found an integer"),
        "{msg}"
    );
}

#[test]
fn unknown_env_vars_are_errors_naming_the_variable() {
    let (_dir, path) = nowhere();
    let vars = env(&[
        ("K8S_MONITOR_COLLECTOR__GENERATOR_INTERVL", "5s"),
        ("K8S_MONITOR_COLLECTR__SOURCE", "simulator"),
        ("K8S_MONITOR_PODS", "5"),
        // Not ours or allow-listed: ignored.
        ("K8S_MONITOR_LOG", "debug"),
        ("HOME", "/root"),
        ("k8s_monitor_collector__source", "nonsense"),
    ]);
    let found = problems(load(&path, false, &vars, &Overrides::default()));
    let msgs: Vec<String> = found.iter().map(ToString::to_string).collect();
    assert_eq!(msgs.len(), 3, "{msgs:#?}");
    assert_eq!(
        msgs[0],
        "environment variable K8S_MONITOR_COLLECTOR__GENERATOR_INTERVL: unknown key \
         `GENERATOR_INTERVL` in [collector]; allowed keys: SOURCE, GENERATOR_INTERVAL, \
         OUTPUT_FILE, PROMETHEUS_URL, NAMESPACE, MAX_FILE_BYTES, MAX_FILES"
    );
    assert!(
        msgs[1].starts_with(
            "environment variable K8S_MONITOR_COLLECTR__SOURCE: unknown section `COLLECTR`; \
             allowed sections: COLLECTOR, SIMULATOR,"
        ),
        "{}",
        msgs[1]
    );
    assert!(
        msgs[2].starts_with(
            "environment variable K8S_MONITOR_PODS: is not a settings variable: expected \
             K8S_MONITOR_<SECTION>__<KEY>"
        ),
        "{}",
        msgs[2]
    );
}

/// Keys where an empty string means "not set" (no file, no user, the current context).
const EMPTY_MEANS_UNSET: [(&str, &str); 11] = [
    ("alerts", "alertmanager_url"),
    ("alerts", "webhook_url"),
    ("prometheus", "bearer_token_file"),
    ("prometheus", "basic_auth_username"),
    ("prometheus", "basic_auth_password_file"),
    ("prometheus", "ca_file"),
    ("kubernetes", "kubeconfig"),
    ("kubernetes", "context"),
    ("llm", "api_key_file"),
    ("server", "listen"),
    ("anomaly_model", "model_dir"),
];

#[test]
fn every_key_is_settable_from_the_environment() {
    // An empty value is invalid for every key, so each variable must produce a problem that
    // names its key: this proves the schema and the validator agree on every key.
    let (_dir, path) = nowhere();
    for (section, keys) in schema::SECTIONS {
        for key in *keys {
            let var = env_var_name(section, key);
            if EMPTY_MEANS_UNSET.contains(&(*section, *key)) {
                // Empty is valid here; any other value must change the settings or be refused
                // by name.
                match load(&path, false, &env(&[(&var, "x")]), &Overrides::default()) {
                    Ok(settings) => assert_ne!(settings, Settings::default(), "{var} ignored"),
                    Err(e) => assert!(e.to_string().contains(key), "{var}: {e}"),
                }
                continue;
            }
            let found = problems(load(
                &path,
                false,
                &env(&[(&var, "")]),
                &Overrides::default(),
            ));
            assert_eq!(found.len(), 1, "{var}: {found:#?}");
            assert_eq!(found[0].origin, Origin::Env { var: var.clone() });
            assert_eq!(found[0].key.as_deref(), Some(*key));
            assert!(
                found[0]
                    .message
                    .starts_with(&format!("[{section}] {key} = ")),
                "{}",
                found[0]
            );
        }
    }
}

#[test]
fn wrong_types_are_named() {
    let msg = only_problem(load_file("[simulator]\npods = \"50\"\n"));
    assert!(
        msg.ends_with(
            "agents.toml:2: [simulator] pods = \"50\" has the wrong type: expected an integer, \
             found a string"
        ),
        "{msg}"
    );
    let msg = only_problem(load_file("[collector]\ngenerator_interval = true\n"));
    assert!(
        msg.contains(
            "[collector] generator_interval = true has the wrong type: expected a duration, \
             found a boolean"
        ),
        "{msg}"
    );
    let msg = only_problem(load_file("[collector]\nnamespace = 7\n"));
    assert!(msg.contains("expected a string, found an integer"), "{msg}");
    let msg = only_problem(load_file("[simulator]\npods = 5.0\n"));
    assert!(msg.contains("expected an integer, found a float"), "{msg}");
    let (_dir, path) = nowhere();
    let vars = env(&[("K8S_MONITOR_SIMULATOR__PODS", "fifty")]);
    let msg = only_problem(load(&path, false, &vars, &Overrides::default()));
    assert_eq!(
        msg,
        "environment variable K8S_MONITOR_SIMULATOR__PODS: [simulator] pods = \"fifty\" is not an \
         integer: allowed 1..=100000"
    );
}

#[test]
fn out_of_range_in_file_env_and_flag() {
    let text = "[collector]\nsource = \"simulator\"\n\n# comment\n\n[simulator]\npods = 0\n";
    let msg = only_problem(load_file(text));
    assert!(
        msg.ends_with("agents.toml:7: [simulator] pods = 0 is out of range: allowed 1..=100000"),
        "{msg}"
    );

    let (_dir, path) = nowhere();
    let vars = env(&[("K8S_MONITOR_SIMULATOR__PODS", "100001")]);
    let msg = only_problem(load(&path, false, &vars, &Overrides::default()));
    assert_eq!(
        msg,
        "environment variable K8S_MONITOR_SIMULATOR__PODS: [simulator] pods = \"100001\" \
         is out of range: allowed 1..=100000"
    );

    for bad in [1.0, 0.0, 1.5, -0.1, f64::NAN] {
        let flags = Overrides {
            alert_threshold: Some(bad),
            ..Overrides::default()
        };
        let msg = only_problem(load(&path, false, &HashMap::new(), &flags));
        assert!(
            msg.starts_with("flag --alert-threshold: [anomaly_model] alert_threshold = "),
            "{msg}"
        );
        assert!(msg.ends_with("is out of range: allowed 0 < x < 1"), "{msg}");
    }

    let flags = Overrides {
        generator_interval: Some("50ms".to_string()),
        ..Overrides::default()
    };
    let msg = only_problem(load(&path, false, &HashMap::new(), &flags));
    assert_eq!(
        msg,
        "flag --generator-interval: [collector] generator_interval = \"50ms\" is out of range: \
         allowed 100ms..=1h"
    );
    let msg = only_problem(load_file("[dataset_generator]\nwatch_interval = \"2h\"\n"));
    assert!(msg.contains("is out of range: allowed 100ms..=1h"), "{msg}");
}

#[test]
fn bad_duration_strings_are_explained() {
    let msg = only_problem(load_file(
        "[collector]\ngenerator_interval = \"5 parsecs\"\n",
    ));
    assert!(
        msg.contains(
            "agents.toml:2: [collector] generator_interval = \"5 parsecs\" is not a duration"
        ),
        "{msg}"
    );
    assert!(msg.contains("or a number of seconds"), "{msg}");
    let msg = only_problem(load_file("[simulator]\nfirst_fault_after = -3\n"));
    assert!(
        msg.contains("seconds must be a finite number >= 0"),
        "{msg}"
    );
}

#[test]
fn bad_enum_lists_the_choices() {
    let msg = only_problem(load_file("[collector]\nsource = \"promethus\"\n"));
    assert!(
        msg.ends_with(
            "agents.toml:2: [collector] source = \"promethus\" is not a valid choice: allowed \
             simulator, prometheus, kubernetes, kubernetes+prometheus"
        ),
        "{msg}"
    );
    let flags = Overrides {
        source: Some("Prometheus".to_string()),
        ..Overrides::default()
    };
    let (_dir, path) = nowhere();
    let msg = only_problem(load(&path, false, &HashMap::new(), &flags));
    assert!(
        msg.starts_with("flag --source: [collector] source = \"Prometheus\" is not a valid choice")
    );
}

#[test]
fn malformed_toml_reports_line_and_column() {
    let err = load_file("[collector]\nsource = \"simulator\"\npods = = 5\n").unwrap_err();
    let SettingsError::ParseConfigFile { line, column, .. } = &err else {
        panic!("expected ParseConfigFile, got {err:?}");
    };
    assert_eq!(*line, Some(3));
    assert!(column.is_some());
    let text = err.to_string();
    assert!(text.contains("agents.toml:3:"), "{text}");
    assert!(text.contains(": malformed TOML: "), "{text}");
    assert!(!text.contains('\n'), "{text}");

    let err = load_file("[collector]\nsource = \"a\"\nsource = \"b\"\n").unwrap_err();
    assert!(
        matches!(err, SettingsError::ParseConfigFile { line: Some(3), .. }),
        "{err}"
    );
}

#[test]
fn plain_numbers_are_seconds() {
    let (_dir, path) =
        file("[collector]\ngenerator_interval = 2\n[dataset_generator]\nwatch_interval = 2.5\n");
    let vars = env(&[("K8S_MONITOR_SIMULATOR__FIRST_FAULT_AFTER", "7")]);
    let flags = Overrides {
        generator_interval: Some("0.5".to_string()),
        ..Overrides::default()
    };
    let s = load(&path, true, &vars, &Overrides::default()).unwrap();
    assert_eq!(s.collector.generator_interval, Duration::from_secs(2));
    assert_eq!(
        s.dataset_generator.watch_interval,
        Duration::from_millis(2500)
    );
    assert_eq!(s.simulator.first_fault_after, Duration::from_secs(7));
    let s = load(&path, true, &vars, &flags).unwrap();
    assert_eq!(s.collector.generator_interval, Duration::from_millis(500));
}

#[test]
fn all_problems_are_reported_together_even_when_overridden() {
    let (_dir, path) = file("[simulator]\npods = 0\n[collector]\nsource = \"x\"\nbogus = 1\n");
    // The env fixes pods, but the bad file value is still reported: removing the variable
    // later must not reveal a surprise.
    let vars = env(&[("K8S_MONITOR_SIMULATOR__PODS", "10")]);
    let found = problems(load(&path, true, &vars, &Overrides::default()));
    let lines: Vec<_> = found
        .iter()
        .map(|p| match &p.origin {
            Origin::File { line, .. } => *line,
            other => panic!("unexpected origin {other}"),
        })
        .collect();
    assert_eq!(found.len(), 3, "{found:#?}");
    assert!(
        lines.contains(&2) && lines.contains(&4) && lines.contains(&5),
        "{lines:?}"
    );
    let err = load(&path, true, &vars, &Overrides::default()).unwrap_err();
    assert_eq!(err.to_string().lines().count(), 4, "{err}");
}

#[test]
fn describe_prints_one_line_per_key_and_loads_back() {
    let mut settings = Settings::default();
    settings.collector.source = SourceKind::Prometheus;
    settings.collector.generator_interval = Duration::from_millis(1500);
    settings.collector.output_file = PathBuf::from("/tmp/a \"quoted\" dir/m.csv");
    settings.simulator.seed = 7;
    settings.dataset_generator.evict_after = Duration::from_secs(5400);
    settings.anomaly_model.alert_threshold = 0.25;
    settings.logging.level = "k8s_monitor=debug".to_string();
    settings.llm = LlmSettings {
        base_url: "http://127.0.0.1:8080/v1".to_string(),
        model: "smollm2".to_string(),
        api_key_file: Some(PathBuf::from("/run/secrets/llm key")),
        mode: LlmMode::On,
        redact: false,
        json_mode: true,
        cache_ttl: Duration::from_secs(90),
        ..LlmSettings::default()
    };

    let text = settings.describe();
    let key_lines = text.lines().filter(|l| l.contains(" = ")).count();
    let key_count: usize = schema::SECTIONS.iter().map(|(_, keys)| keys.len()).sum();
    assert_eq!(key_lines, key_count, "{text}");
    assert!(
        text.contains("generator_interval = \"1s 500ms\"\n"),
        "{text}"
    );
    assert!(text.contains("evict_after = \"1h 30m\"\n"), "{text}");

    let (_dir, path) = file(&text);
    let loaded = load(&path, true, &HashMap::new(), &Overrides::default()).unwrap();
    assert_eq!(loaded, settings);
}

#[test]
fn a_single_problem_stays_on_one_line() {
    let err = load_file("[simulator]\npods = 0\n").unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("invalid settings: "), "{text}");
    assert!(!text.contains('\n'), "{text}");
}

#[test]
fn llm_switches_take_on_off_and_booleans() {
    let s = load_file(
        "[llm]\nredact = false\njson_mode = \"on\"\nmode = \"off\"\napi_key_file = \"/k\"\n",
    )
    .unwrap();
    assert!(!s.llm.redact);
    assert!(s.llm.json_mode);
    assert_eq!(s.llm.mode, LlmMode::Off);
    assert_eq!(s.llm.api_key_file, Some(PathBuf::from("/k")));
    assert_eq!(Settings::default().llm.mode, LlmMode::Auto);
    assert!(Settings::default().llm.redact, "redaction is on by default");

    let (_dir, path) = nowhere();
    let vars = env(&[("K8S_MONITOR_LLM__REDACT", "off")]);
    let s = load(&path, false, &vars, &Overrides::default()).unwrap();
    assert!(!s.llm.redact);

    let msg = only_problem(load_file("[llm]\nredact = \"maybe\"\n"));
    assert!(
        msg.ends_with(
            "agents.toml:2: [llm] redact = \"maybe\" is not a valid choice: allowed \"on\", \
             \"off\" (or true, false)"
        ),
        "{msg}"
    );
    let msg = only_problem(load_file("[llm]\nmode = \"sometimes\"\n"));
    assert!(msg.ends_with("allowed auto, on, off"), "{msg}");
    let msg = only_problem(load_file(
        "[llm]\nbase_url = \"integrate.api.nvidia.com\"\n",
    ));
    assert!(msg.contains("is not a valid URL"), "{msg}");
}

#[test]
fn contradictory_keys_are_reported() {
    let (_dir, path) = nowhere();
    let vars = env(&[("K8S_MONITOR_DATASET_GENERATOR__EVICT_AFTER", "5s")]);
    let msg = only_problem(load(&path, false, &vars, &Overrides::default()));
    assert_eq!(
        msg,
        "environment variable K8S_MONITOR_DATASET_GENERATOR__EVICT_AFTER: [dataset_generator] \
         evict_after = 5s (from environment variable K8S_MONITOR_DATASET_GENERATOR__EVICT_AFTER) \
         must be longer than [collector] generator_interval = 5s (from built-in default), or \
         every pod is forgotten between two samples"
    );
}

#[test]
fn the_endpoint_address_is_ip_and_port_or_empty_for_off() {
    let msg = only_problem(load_file("[server]\nlisten = \"localhost:9187\"\n"));
    assert!(
        msg.ends_with(
            "[server] listen = \"localhost:9187\" is not an address: expected IP:PORT such as \
             \"127.0.0.1:9187\" or \"[::]:9187\", or \"\" to turn the endpoint off"
        ),
        "{msg}"
    );
    let off = load_file("[server]\nlisten = \"\"\nmax_pod_series = 0\n").unwrap();
    assert_eq!(off.server.listen, None);
    assert_eq!(off.server.max_pod_series, 0);
    let v6 = load_file("[server]\nlisten = \"[::1]:0\"\n").unwrap();
    assert_eq!(v6.server.listen, Some("[::1]:0".parse().unwrap()));
}

#[test]
fn dependencies_that_repeat_the_daemon_are_quiet_unless_named() {
    use crate::settings::effective_log_filter;
    assert_eq!(
        effective_log_filter("info"),
        "info,kube_client=off,kube_runtime=off"
    );
    assert_eq!(
        effective_log_filter("debug,kube_client=warn"),
        "debug,kube_client=warn,kube_runtime=off"
    );
    assert_eq!(
        effective_log_filter("kube_runtime::watcher=debug"),
        "kube_runtime::watcher=debug,kube_client=off"
    );
    for f in ["info", "debug,kube_client=warn"] {
        assert!(crate::settings::check_filter_directive(&effective_log_filter(f)).is_ok());
    }
}
