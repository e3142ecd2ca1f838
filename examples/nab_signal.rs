//! Research harness: the per-signal detector over a NAB corpus, scored per fold.
//!
//! cargo run --example nab_signal -- DATA LABELS [key=value ...]
//!
//! Prints the standard, reward_low_FP and reward_low_FN scores of the whole corpus and of the
//! two folds by file (every other file of each category, sorted by name).

use k8s_monitor::eval::nab::{load_corpus, read_series, score_corpus, Corpus};
use k8s_monitor::model::calibration::probability_of_rate;
use k8s_monitor::signal::{Cadence, Horizon, Observation, SignalDetector, SignalSettings};
use std::collections::HashMap;
use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let data = Path::new(&args[0]);
    let labels = Path::new(&args[1]);
    let mut s = SignalSettings::default();
    let mut hold_minutes = 37.5;
    let mut firing = 0.65;
    let mut transform = "linear".to_string();
    let verbose = std::env::var("VERBOSE").is_ok();
    let running_max = std::env::var("RUNMAX").is_ok();
    for kv in &args[2..] {
        let (k, v) = kv.split_once('=').expect("key=value");
        let f: f64 = v.parse().unwrap_or(f64::NAN);
        match k {
            "reference_step" => s.reference_step = f,
            "warm_up" => s.warm_up = Horizon::minutes(f),
            "short" => s.short = Horizon::minutes(f),
            "long" => s.long = Horizon::minutes(f),
            "seasonal_days" => s.seasonal_days = f,
            "seasonal_residuals" => s.seasonal_residuals = Horizon::minutes(f),
            "averaging" => s.averaging = Horizon::minutes(f),
            "likelihood_history" => s.likelihood_history = Horizon::minutes(f),
            "likelihood_cap" => s.likelihood_cap = f,
            "likelihood_prior" => s.likelihood_prior = Horizon::minutes(f),
            "record_history" => s.record_history = Horizon::minutes(f),
            "record_learning" => s.record_learning = Horizon::minutes(f),
            "record_gain" => s.record_gain = f,
            "floor_fraction" => s.floor_fraction = f,
            "hold" => hold_minutes = f,
            "firing" => firing = f,
            "transform" => transform = v.to_string(),
            other => panic!("unknown key {other}"),
        }
    }
    let corpus = load_corpus(data, labels).expect("corpus");
    let mut scores: HashMap<String, Vec<f64>> = HashMap::new();
    for file in &corpus.files {
        let rows = read_series(&data.join(&file.name)).expect("series");
        let mut d = SignalDetector::new(&s);
        let mut cadence = Cadence::default();
        let mut quiet_until = f64::NEG_INFINITY;
        let mut recent: std::collections::VecDeque<(f64, f64)> = Default::default();
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let seconds = r.at.timestamp() as f64;
            let tick = cadence.tick(seconds, s.reference_step);
            let value = match transform.as_str() {
                "log" => r.number.max(0.0).ln_1p(),
                _ => r.number,
            };
            let reading = d.observe(Observation { seconds, value }, &tick, &s);
            let p = reading.map_or(0.0, |x| probability_of_rate(x.tail));
            // One alert per event: after a firing, the next `hold` reports nothing.
            let hold = hold_minutes * 60.0 * tick.stretch;
            let reported = if running_max {
                while recent.front().is_some_and(|(t, _)| *t + hold <= seconds) {
                    recent.pop_front();
                }
                let best = recent.iter().map(|x| x.1).fold(0.0, f64::max);
                if p > best {
                    recent.push_back((seconds, p));
                    p
                } else {
                    0.0
                }
            } else if seconds < quiet_until {
                0.0
            } else {
                p
            };
            if reported >= firing {
                quiet_until = seconds + hold;
                if verbose {
                    let i = out.len();
                    let inside = file.windows.iter().any(|w| i >= w.start && i <= w.end);
                    let x = reading.unwrap();
                    println!(
                        "  {:55} row {:5} {} {:12} tail {:.1e} z {:7.2}",
                        file.name,
                        i,
                        if inside { "TP" } else { "fp" },
                        x.strongest.name(),
                        x.tail,
                        x.z
                    );
                }
            }
            out.push(reported);
        }
        scores.insert(file.name.clone(), out);
    }
    let report = |name: &str, c: &Corpus| {
        let sub: HashMap<String, Vec<f64>> = c
            .files
            .iter()
            .map(|f| (f.name.clone(), scores[&f.name].clone()))
            .collect();
        let r = score_corpus(c, &sub).expect("score");
        let get = |p: &str| {
            r.profile(p)
                .and_then(|x| x.normalized_score)
                .unwrap_or(f64::NAN)
        };
        let std = r.profile("standard").unwrap();
        println!(
            "{name:8} standard {:6.2} low_fp {:6.2} low_fn {:6.2}  windows {}/{} fp {} thr {:.4}",
            get("standard"),
            get("reward_low_FP_rate"),
            get("reward_low_FN_rate"),
            std.windows_detected,
            c.windows(),
            std.counts.fp,
            std.threshold
        );
    };
    report("all", &corpus);
    let mut folds: [Vec<_>; 2] = [Vec::new(), Vec::new()];
    let mut by_category: HashMap<&str, usize> = HashMap::new();
    for f in &corpus.files {
        let category = f.name.split('/').next().unwrap_or("");
        let i = by_category.entry(category).or_insert(0);
        folds[*i % 2].push(f.clone());
        *i += 1;
    }
    for (k, fold) in folds.into_iter().enumerate() {
        report(&format!("fold{}", k + 1), &Corpus::new(fold));
    }
}
