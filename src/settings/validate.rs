//! Turns the layered raw values into typed [`Settings`]: every value of every layer is checked
//! against its key's type and range (so a bad file value is reported even when the environment
//! overrides it), the highest-precedence value wins, and absent keys keep their defaults.

use std::path::PathBuf;
use std::time::Duration;

use super::duration::{format_duration, parse_duration_text, seconds_to_duration, DURATION_FORMS};
use super::error::{Origin, Problem};
use super::llm::{LlmMode, LlmSettings};
use super::model::{
    AlertsSettings, AnalysisSettings, AnomalyModelSettings, CollectorSettings,
    DatasetGeneratorSettings, DetectorKind, InsightsSettings, LogFormat, LoggingSettings,
    ServerSettings, Settings, SimulatorSection, SourceKind,
};
use super::schema::{self, Layers, RawValue};
use super::sources::{
    KubernetesSettings, PrometheusAuth, PrometheusQueries, PrometheusSettings, QueryField,
};

/// An inclusive duration range with its human spelling, as documented in `agents.toml`.
#[derive(Clone, Copy)]
struct DurationRange {
    min: Duration,
    max: Duration,
    shown: &'static str,
}

const MS: u64 = 1;
const SECOND: u64 = 1000 * MS;
const HOUR: u64 = 3600 * SECOND;

const fn millis(min: u64, max: u64, shown: &'static str) -> DurationRange {
    DurationRange {
        min: Duration::from_millis(min),
        max: Duration::from_millis(max),
        shown,
    }
}

/// Tick intervals: faster than 100ms only burns CPU; slower than an hour is not monitoring.
const TICK: DurationRange = millis(100 * MS, HOUR, "100ms..=1h");
const POLL: DurationRange = millis(10 * MS, HOUR, "10ms..=1h");
const FIRST_FAULT: DurationRange = millis(0, 24 * HOUR, "0s..=24h");
const FAULT_GAP: DurationRange = millis(SECOND, 24 * HOUR, "1s..=24h");
const EVICT: DurationRange = millis(SECOND, 24 * HOUR, "1s..=24h");
const REQUEST_TIMEOUT: DurationRange = millis(100 * MS, 300 * SECOND, "100ms..=5m");
const BACKOFF: DurationRange = millis(10 * MS, 60 * SECOND, "10ms..=1m");
const RATE_WINDOW: DurationRange = millis(SECOND, HOUR, "1s..=1h");
const BACKFILL: DurationRange = millis(0, 24 * HOUR, "0s..=24h");
const WARM_UP: DurationRange = millis(0, 24 * HOUR, "0s..=24h");
const SUMMARY: DurationRange = millis(0, 24 * HOUR, "0s..=24h");
const SKEW: DurationRange = millis(0, 24 * HOUR, "0s..=24h");
const CACHE_TTL: DurationRange = millis(SECOND, 7 * 24 * HOUR, "1s..=7d");

/// Builds the settings, or returns every problem found (including `problems` from the layers).
pub(crate) fn validate(layers: &Layers, problems: Vec<Problem>) -> Result<Settings, Vec<Problem>> {
    let d = Settings::default();
    let mut v = Validator { layers, problems };

    let collector = CollectorSettings {
        source: v.get("collector", "source", d.collector.source, source_kind),
        generator_interval: v.get(
            "collector",
            "generator_interval",
            d.collector.generator_interval,
            |r| duration_in(r, TICK),
        ),
        output_file: v.get("collector", "output_file", d.collector.output_file, path),
        prometheus_url: v.get(
            "collector",
            "prometheus_url",
            d.collector.prometheus_url,
            url,
        ),
        namespace: v.get(
            "collector",
            "namespace",
            d.collector.namespace.clone(),
            namespace,
        ),
        max_file_bytes: v.get(
            "collector",
            "max_file_bytes",
            d.collector.max_file_bytes,
            |r| integer(r, 0, 1 << 40),
        ),
        max_files: v.get("collector", "max_files", d.collector.max_files, |r| {
            count(r, 1, 1000)
        }),
    };
    let simulator = SimulatorSection {
        pods: v.get("simulator", "pods", d.simulator.pods, |r| {
            count(r, 1, 100_000)
        }),
        seed: v.get("simulator", "seed", d.simulator.seed, |r| {
            integer(r, 0, u64::MAX)
        }),
        first_fault_after: v.get(
            "simulator",
            "first_fault_after",
            d.simulator.first_fault_after,
            |r| duration_in(r, FIRST_FAULT),
        ),
        mean_time_between_faults: v.get(
            "simulator",
            "mean_time_between_faults",
            d.simulator.mean_time_between_faults,
            |r| duration_in(r, FAULT_GAP),
        ),
    };
    let dg = &d.dataset_generator;
    let dataset_generator = DatasetGeneratorSettings {
        watch_interval: v.get(
            "dataset_generator",
            "watch_interval",
            dg.watch_interval,
            |r| duration_in(r, TICK),
        ),
        poll_interval: v.get(
            "dataset_generator",
            "poll_interval",
            dg.poll_interval,
            |r| duration_in(r, POLL),
        ),
        evict_after: v.get("dataset_generator", "evict_after", dg.evict_after, |r| {
            duration_in(r, EVICT)
        }),
        offset_file: v.get(
            "dataset_generator",
            "offset_file",
            dg.offset_file.clone(),
            path,
        ),
        max_clock_skew: v.get(
            "dataset_generator",
            "max_clock_skew",
            dg.max_clock_skew,
            |r| duration_in(r, SKEW),
        ),
    };
    let (prometheus, prometheus_queries, kubernetes) = sources(&mut v, &Settings::default());
    let am = &d.anomaly_model;
    let anomaly_model = AnomalyModelSettings {
        alert_threshold: v.get(
            "anomaly_model",
            "alert_threshold",
            am.alert_threshold,
            probability,
        ),
        warm_up: v.get("anomaly_model", "warm_up", am.warm_up, |r| {
            duration_in(r, WARM_UP)
        }),
        detector: v.get("anomaly_model", "detector", am.detector, detector_kind),
        model_dir: v.get(
            "anomaly_model",
            "model_dir",
            am.model_dir.clone(),
            optional_path,
        ),
    };
    let insights = InsightsSettings {
        output_file: v.get("insights", "output_file", d.insights.output_file, path),
        max_pods: v.get("insights", "max_pods", d.insights.max_pods, |r| {
            count(r, 1, 1_000_000)
        }),
        summary_every: v.get("insights", "summary_every", d.insights.summary_every, |r| {
            duration_in(r, SUMMARY)
        }),
    };
    let an = &d.analysis;
    let analysis = AnalysisSettings {
        incidents_file: v.get(
            "analysis",
            "incidents_file",
            an.incidents_file.clone(),
            path,
        ),
        resolve_after: v.get("analysis", "resolve_after", an.resolve_after, |r| {
            duration_in(r, EVICT)
        }),
        cooldown: v.get("analysis", "cooldown", an.cooldown, |r| {
            duration_in(r, FIRST_FAULT)
        }),
    };
    let al = &d.alerts;
    let alerts = AlertsSettings {
        alertmanager_url: v.get("alerts", "alertmanager_url", None, optional_url),
        webhook_url: v.get("alerts", "webhook_url", None, optional_url),
        resend_interval: v.get("alerts", "resend_interval", al.resend_interval, |r| {
            duration_in(r, TICK)
        }),
        max_per_minute: v.get("alerts", "max_per_minute", al.max_per_minute, |r| {
            integer(r, 1, 10_000).map(|n| n as u32)
        }),
        timeout: v.get("alerts", "timeout", al.timeout, |r| {
            duration_in(r, REQUEST_TIMEOUT)
        }),
    };
    let llm = llm(&mut v, &d.llm);
    let server = ServerSettings {
        listen: v.get("server", "listen", d.server.listen, listen_address),
        max_pod_series: v.get("server", "max_pod_series", d.server.max_pod_series, |r| {
            count(r, 0, 100_000)
        }),
    };
    let logging = LoggingSettings {
        level: v.get("logging", "level", d.logging.level, filter_directive),
        format: v.get("logging", "format", d.logging.format, log_format),
    };

    // Keys that are fine alone but contradict each other; checked only when both are valid.
    if v.problems.is_empty() && dataset_generator.evict_after <= collector.generator_interval {
        v.conflict(
            (
                ("dataset_generator", "evict_after"),
                format_duration(dataset_generator.evict_after),
            ),
            "must be longer than",
            (
                ("collector", "generator_interval"),
                format_duration(collector.generator_interval),
            ),
            "or every pod is forgotten between two samples",
        );
    }

    if v.problems.is_empty() {
        Ok(Settings {
            collector,
            simulator,
            dataset_generator,
            prometheus,
            prometheus_queries,
            kubernetes,
            anomaly_model,
            insights,
            analysis,
            alerts,
            llm,
            server,
            logging,
        })
    } else {
        Err(v.problems)
    }
}

/// `[prometheus]`, `[prometheus_queries]` and `[kubernetes]`.
fn sources(
    v: &mut Validator<'_>,
    d: &Settings,
) -> (PrometheusSettings, PrometheusQueries, KubernetesSettings) {
    let p = &d.prometheus;
    let timeout = v.get("prometheus", "timeout", p.timeout, |r| {
        duration_in(r, REQUEST_TIMEOUT)
    });
    let retries = v.get("prometheus", "retries", p.retries, |r| {
        integer(r, 0, 10).map(|n| n as u32)
    });
    let retry_backoff = v.get("prometheus", "retry_backoff", p.retry_backoff, |r| {
        duration_in(r, BACKOFF)
    });
    let rate_window = v.get("prometheus", "rate_window", p.rate_window, |r| {
        duration_in(r, RATE_WINDOW)
    });
    let backfill = v.get("prometheus", "backfill", p.backfill, |r| {
        duration_in(r, BACKFILL)
    });
    let token_file = v.get("prometheus", "bearer_token_file", None, optional_path);
    let username = v.get("prometheus", "basic_auth_username", None, optional_text);
    let password_file = v.get(
        "prometheus",
        "basic_auth_password_file",
        None,
        optional_path,
    );
    let ca_file = v.get("prometheus", "ca_file", None, optional_path);
    let auth = match (token_file, username, password_file) {
        (None, None, None) => PrometheusAuth::None,
        (Some(token_file), None, None) => PrometheusAuth::Bearer { token_file },
        (None, Some(username), password_file) => PrometheusAuth::Basic {
            username,
            password_file,
        },
        (token, username, password) => {
            let (key, why) = if token.is_some() {
                (
                    "bearer_token_file",
                    "is set together with basic_auth_username or basic_auth_password_file: \
                     choose bearer or basic auth",
                )
            } else {
                debug_assert!(username.is_none() && password.is_some());
                (
                    "basic_auth_password_file",
                    "is set without basic_auth_username",
                )
            };
            v.problems.push(Problem {
                origin: v.origin(("prometheus", key)),
                section: "prometheus".to_string(),
                key: Some(key.to_string()),
                message: format!("[prometheus] {key} {why}"),
            });
            PrometheusAuth::None
        }
    };
    let queries = PrometheusQueries(
        QueryField::ALL
            .iter()
            .map(|field| {
                let key = schema::key("prometheus_queries", field.key())
                    .expect("every query field is a [prometheus_queries] key");
                let default = d.prometheus_queries.get(*field).to_string();
                (*field, v.get(key.0, key.1, default, promql))
            })
            .collect(),
    );
    let k = &d.kubernetes;
    let kubernetes = KubernetesSettings {
        kubeconfig: v.get(
            "kubernetes",
            "kubeconfig",
            k.kubeconfig.clone(),
            optional_path,
        ),
        context: v.get("kubernetes", "context", k.context.clone(), optional_text),
    };
    (
        PrometheusSettings {
            timeout,
            retries,
            retry_backoff,
            rate_window,
            backfill,
            auth,
            ca_file,
        },
        queries,
        kubernetes,
    )
}

/// `[llm]`.
fn llm(v: &mut Validator<'_>, d: &LlmSettings) -> LlmSettings {
    let s = "llm";
    LlmSettings {
        base_url: v.get(s, "base_url", d.base_url.clone(), url),
        model: v.get(s, "model", d.model.clone(), non_empty_text),
        api_key_file: v.get(s, "api_key_file", d.api_key_file.clone(), optional_path),
        mode: v.get(s, "mode", d.mode, llm_mode),
        redact: v.get(s, "redact", d.redact, on_off),
        timeout: v.get(s, "timeout", d.timeout, |r| duration_in(r, REQUEST_TIMEOUT)),
        retries: v.get(s, "retries", d.retries, |r| {
            integer(r, 0, 10).map(|n| n as u32)
        }),
        max_concurrency: v.get(s, "max_concurrency", d.max_concurrency, |r| count(r, 1, 64)),
        max_requests_per_minute: v.get(
            s,
            "max_requests_per_minute",
            d.max_requests_per_minute,
            |r| integer(r, 1, 10_000).map(|n| n as u32),
        ),
        cache_ttl: v.get(s, "cache_ttl", d.cache_ttl, |r| duration_in(r, CACHE_TTL)),
        cache_size: v.get(s, "cache_size", d.cache_size, |r| count(r, 1, 1_000_000)),
        json_mode: v.get(s, "json_mode", d.json_mode, on_off),
        max_tokens: v.get(s, "max_tokens", d.max_tokens, |r| {
            integer(r, 16, 32_768).map(|n| n as u32)
        }),
    }
}

struct Validator<'a> {
    layers: &'a Layers,
    problems: Vec<Problem>,
}

impl Validator<'_> {
    /// Checks every layer's value for `section.key` and returns the highest-precedence valid one,
    /// or `default` when no layer sets the key.
    fn get<T>(
        &mut self,
        section: &'static str,
        key: &'static str,
        default: T,
        parse: impl Fn(&RawValue) -> Result<T, String>,
    ) -> T {
        debug_assert!(
            schema::key(section, key).is_some(),
            "{section}.{key} not in SECTIONS"
        );
        let mut result = default;
        for located in self.layers.get(&(section, key)).into_iter().flatten() {
            match parse(&located.value) {
                Ok(value) => result = value,
                Err(complaint) => self.problems.push(Problem {
                    origin: located.origin.clone(),
                    section: section.to_string(),
                    key: Some(key.to_string()),
                    message: format!("[{section}] {key} = {} {complaint}", located.value.shown()),
                }),
            }
        }
        result
    }

    /// Where the effective value of a key came from.
    fn origin(&self, (section, key): schema::KeyId) -> Origin {
        self.layers
            .get(&(section, key))
            .and_then(|values| values.last())
            .map_or(Origin::Default, |located| located.origin.clone())
    }

    /// Reports that `first` relates wrongly to `second`, at the origin of `first` (or of
    /// `second` when `first` is a default), naming both values and where they came from.
    fn conflict(
        &mut self,
        (first, first_value): (schema::KeyId, String),
        relation: &str,
        (second, second_value): (schema::KeyId, String),
        why: &str,
    ) {
        let (first_origin, second_origin) = (self.origin(first), self.origin(second));
        let blamed = if first_origin == Origin::Default {
            second
        } else {
            first
        };
        self.problems.push(Problem {
            origin: self.origin(blamed),
            section: blamed.0.to_string(),
            key: Some(blamed.1.to_string()),
            message: format!(
                "[{}] {} = {first_value} (from {first_origin}) {relation} [{}] {} = \
                 {second_value} (from {second_origin}), {why}",
                first.0, first.1, second.0, second.1,
            ),
        });
    }
}

fn wrong_type(expected: &str, found: &RawValue) -> String {
    format!(
        "has the wrong type: expected {expected}, found {}",
        found.type_name()
    )
}

fn text(raw: &RawValue) -> Result<&str, String> {
    match raw {
        RawValue::Str(s) | RawValue::Text(s) => Ok(s),
        other => Err(wrong_type("a string", other)),
    }
}

fn duration_in(raw: &RawValue, range: DurationRange) -> Result<Duration, String> {
    let value = match raw {
        RawValue::Str(s) | RawValue::Text(s) => parse_duration_text(s)?,
        // Precision loss above 2^53 s is irrelevant: such values are out of range anyway.
        RawValue::Int(i) => seconds_to_duration(*i as f64)?,
        RawValue::Float(x) | RawValue::Number(x) => seconds_to_duration(*x)?,
        other => {
            return Err(format!(
                "{}; {DURATION_FORMS}",
                wrong_type("a duration", other)
            ))
        }
    };
    if value < range.min || value > range.max {
        return Err(format!("is out of range: allowed {}", range.shown));
    }
    Ok(value)
}

fn integer(raw: &RawValue, min: u64, max: u64) -> Result<u64, String> {
    let allowed = format!("allowed {min}..={max}");
    let n: i128 = match raw {
        RawValue::Int(i) => i128::from(*i),
        RawValue::Text(s) => s
            .trim()
            .parse()
            .map_err(|_| format!("is not an integer: {allowed}"))?,
        other => return Err(wrong_type("an integer", other)),
    };
    if n < i128::from(min) || n > i128::from(max) {
        return Err(format!("is out of range: {allowed}"));
    }
    u64::try_from(n).map_err(|_| format!("is out of range: {allowed}"))
}

fn count(raw: &RawValue, min: u64, max: u64) -> Result<usize, String> {
    let n = integer(raw, min, max)?;
    // Only fails on targets whose usize is narrower than the documented maximum.
    usize::try_from(n)
        .map_err(|_| format!("is out of range for this platform: allowed {min}..={max}"))
}

fn probability(raw: &RawValue) -> Result<f64, String> {
    const ALLOWED: &str = "allowed 0 < x < 1";
    let x = match raw {
        RawValue::Float(x) | RawValue::Number(x) => *x,
        RawValue::Int(i) => *i as f64,
        RawValue::Text(s) => s
            .trim()
            .parse()
            .map_err(|_| format!("is not a number: {ALLOWED}"))?,
        other => return Err(wrong_type("a number", other)),
    };
    // Written so that NaN is rejected too.
    if !(x > 0.0 && x < 1.0) {
        return Err(format!("is out of range: {ALLOWED}"));
    }
    Ok(x)
}

fn path(raw: &RawValue) -> Result<PathBuf, String> {
    let p = match raw {
        RawValue::Path(p) => p.clone(),
        other => PathBuf::from(text(other)?),
    };
    if p.as_os_str().is_empty() {
        return Err("is empty: expected a file path".to_string());
    }
    Ok(p)
}

/// An empty string means "not set".
fn optional_path(raw: &RawValue) -> Result<Option<PathBuf>, String> {
    let p = match raw {
        RawValue::Path(p) => p.clone(),
        other => PathBuf::from(text(other)?),
    };
    Ok((!p.as_os_str().is_empty()).then_some(p))
}

/// An empty string turns the endpoint off; otherwise `IP:PORT` (a host name would make start-up
/// depend on DNS, and which of its addresses is bound would be a guess).
fn listen_address(raw: &RawValue) -> Result<Option<std::net::SocketAddr>, String> {
    let s = text(raw)?.trim();
    if s.is_empty() {
        return Ok(None);
    }
    s.parse().map(Some).map_err(|_| {
        "is not an address: expected IP:PORT such as \"127.0.0.1:9187\" or \"[::]:9187\", \
         or \"\" to turn the endpoint off"
            .to_string()
    })
}

/// An empty string means "not set"; otherwise an http(s) URL.
fn optional_url(raw: &RawValue) -> Result<Option<String>, String> {
    if text(raw)?.trim().is_empty() {
        return Ok(None);
    }
    url(raw).map(Some)
}

/// An empty string means "not set".
fn optional_text(raw: &RawValue) -> Result<Option<String>, String> {
    let s = text(raw)?.trim();
    Ok((!s.is_empty()).then(|| s.to_string()))
}

/// A PromQL template; Prometheus itself judges the syntax, this catches the obvious slips.
fn promql(raw: &RawValue) -> Result<String, String> {
    let s = text(raw)?;
    if s.trim().is_empty() {
        return Err("is empty: expected a PromQL query".to_string());
    }
    let balance = |open: char, close: char| {
        s.chars().filter(|c| *c == open).count() == s.chars().filter(|c| *c == close).count()
    };
    if !(balance('(', ')') && balance('{', '}') && balance('[', ']')) {
        return Err("has unbalanced brackets: expected a PromQL query".to_string());
    }
    Ok(s.to_string())
}

fn non_empty_text(raw: &RawValue) -> Result<String, String> {
    let s = text(raw)?.trim();
    if s.is_empty() {
        return Err("is empty".to_string());
    }
    Ok(s.to_string())
}

/// "on" or "off"; `true`/`false` too (TOML booleans or text), as a switch reads naturally so.
fn on_off(raw: &RawValue) -> Result<bool, String> {
    const ALLOWED: &str = "allowed \"on\", \"off\" (or true, false)";
    let s = match raw {
        RawValue::Other {
            type_name: "a boolean",
            text,
        } => text.as_str(),
        RawValue::Str(s) | RawValue::Text(s) => s.as_str(),
        other => return Err(format!("{}: {ALLOWED}", wrong_type("a string", other))),
    };
    match s.trim() {
        "on" | "true" => Ok(true),
        "off" | "false" => Ok(false),
        _ => Err(format!("is not a valid choice: {ALLOWED}")),
    }
}

fn llm_mode(raw: &RawValue) -> Result<LlmMode, String> {
    let s = text(raw)?;
    LlmMode::ALL
        .into_iter()
        .find(|m| m.as_str() == s)
        .ok_or_else(|| "is not a valid choice: allowed auto, on, off".to_string())
}

/// One of a closed set of names (`all`, spelled by `name`), or an error listing them.
fn choice<T: Copy>(raw: &RawValue, all: &[T], name: fn(T) -> &'static str) -> Result<T, String> {
    let s = text(raw)?;
    all.iter().copied().find(|c| name(*c) == s).ok_or_else(|| {
        let names: Vec<_> = all.iter().map(|c| name(*c)).collect();
        format!("is not a valid choice: allowed {}", names.join(", "))
    })
}

fn source_kind(raw: &RawValue) -> Result<SourceKind, String> {
    choice(raw, &SourceKind::ALL, SourceKind::as_str)
}

fn detector_kind(raw: &RawValue) -> Result<DetectorKind, String> {
    choice(raw, &DetectorKind::ALL, DetectorKind::as_str)
}

fn log_format(raw: &RawValue) -> Result<LogFormat, String> {
    choice(raw, &LogFormat::ALL, LogFormat::as_str)
}

fn url(raw: &RawValue) -> Result<String, String> {
    let s = text(raw)?;
    let bad =
        || Err("is not a valid URL: expected http://host[:port][/path] or https://...".to_string());
    let Some(rest) = s
        .strip_prefix("http://")
        .or_else(|| s.strip_prefix("https://"))
    else {
        return bad();
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad();
    }
    Ok(s.to_string())
}

/// Kubernetes namespace names are RFC 1123 labels.
fn is_dns1123_label(s: &str) -> bool {
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    (1..=63).contains(&s.len())
        && s.chars().all(ok_char)
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn namespace(raw: &RawValue) -> Result<String, String> {
    let s = text(raw)?;
    if s == "all" || is_dns1123_label(s) {
        Ok(s.to_string())
    } else {
        Err(
            "is not a namespace: expected \"all\" or a DNS-1123 label (1-63 characters of a-z, \
             0-9 and '-', starting and ending with a letter or digit)"
                .to_string(),
        )
    }
}

fn filter_directive(raw: &RawValue) -> Result<String, String> {
    let s = text(raw)?;
    check_filter_directive(s)?;
    Ok(s.to_string())
}

/// Dependencies whose own logs repeat what the daemon says once per change of state: kube's
/// client and runtime log every failed attempt against an API server (dozens of lines a minute
/// in an outage) while the Kubernetes source logs the outage and its end.
pub const QUIET_DEPENDENCIES: [&str; 2] = ["kube_client", "kube_runtime"];

/// The filter installed for `filter` (`[logging] level` or `K8S_MONITOR_LOG`): the
/// [`QUIET_DEPENDENCIES`] are turned off unless the filter names them (`kube_client=warn`
/// brings them back).
pub fn effective_log_filter(filter: &str) -> String {
    let mut out = filter.trim().to_string();
    for target in QUIET_DEPENDENCIES {
        let named = filter
            .split(',')
            .any(|d| d.trim().split(['=', '[', ':']).next() == Some(target));
        if !named {
            out.push_str(&format!(",{target}=off"));
        }
    }
    out
}

/// Checks a log filter (`[logging] level` or `K8S_MONITOR_LOG`). Beyond tracing's own syntax, a
/// directive without `=` must be a level: tracing reads any other word as a target to enable,
/// so `warning` or `inf` would silence every log line, errors included.
pub fn check_filter_directive(s: &str) -> Result<(), String> {
    const EXAMPLES: &str = "expected e.g. \"info\" or \"k8s_monitor=debug,actix=warn\"";
    const LEVELS: [&str; 6] = ["trace", "debug", "info", "warn", "error", "off"];
    if s.trim().is_empty() {
        return Err(format!("is empty: {EXAMPLES}"));
    }
    tracing_subscriber::EnvFilter::builder()
        .parse(s)
        .map_err(|e| format!("is not a tracing filter directive ({e}); {EXAMPLES}"))?;
    for directive in s.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        if !directive.contains('=') && !LEVELS.contains(&directive.to_ascii_lowercase().as_str()) {
            return Err(format!(
                "has `{directive}`, which is not a level (allowed {}); a module is written \
                 `module=level`; {EXAMPLES}",
                LEVELS.join(", ")
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_filter_word_that_is_not_a_level_is_refused() {
        for ok in [
            "info",
            "WARN",
            "k8s_monitor=debug",
            "k8s_monitor=debug,actix=warn",
            "off",
        ] {
            assert!(check_filter_directive(ok).is_ok(), "{ok}");
        }
        // tracing reads these as targets and would silence everything.
        for bad in ["warning", "inf", "information", "info,warnings", "", " "] {
            assert!(check_filter_directive(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn dns1123_labels() {
        for ok in ["monitoring", "kube-system", "a", "0abc", &"a".repeat(63)] {
            assert!(is_dns1123_label(ok), "{ok}");
        }
        for bad in ["", "-a", "a-", "Monitoring", "a_b", "a.b", &"a".repeat(64)] {
            assert!(!is_dns1123_label(bad), "{bad}");
        }
    }

    #[test]
    fn urls_need_http_scheme_and_host() {
        let t = |s: &str| url(&RawValue::Text(s.to_string()));
        assert!(t("http://localhost:8082").is_ok());
        assert!(t("https://prom.example.com/api").is_ok());
        for bad in [
            "localhost:8082",
            "ftp://x",
            "http://",
            "http:///x",
            "http://a b",
        ] {
            assert!(t(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn filter_directives_are_checked() {
        let t = |s: &str| filter_directive(&RawValue::Text(s.to_string()));
        assert!(t("info").is_ok());
        assert!(t("k8s_monitor=debug,actix=warn").is_ok());
        assert!(t("k8s_monitor=loud").is_err());
        assert!(t(" ").is_err());
    }
}
