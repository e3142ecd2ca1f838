//! Research harness: the per-signal detector over a NAB corpus, scored per fold.
//!
//! cargo run --example nab_signal -- DATA LABELS [key=value ...]
//!
//! Prints the standard, reward_low_FP and reward_low_FN scores of the whole corpus and of the
//! two folds by file (every other file of each category, sorted by name), each fold with its
//! own best thresholds (NAB's way) and with the thresholds that were best on the other fold.
//!
//! The NAB output of a stream is `probability_of_rate(tail)` with one alert per event: after a
//! row at or above `firing` (the product's alert probability, 0.7), the next `hold` (37.5 min,
//! stretched: 150 rows of a 5-minute series) reports 0, except a row whose tail is at least
//! `escalation` (10) times smaller than the last alert's, which is reported and becomes the
//! alert (`suppress=escalate`, the default; `hold`, `runmax`, `alerts` are the alternatives).
//!
//! Research aids, all for one fold's files only (`FOLD=1`, the default, or `FOLD=2`):
//! `BAND=1` the mean standard score over fixed thresholds 0.60..=0.80 (threshold robustness);
//! `INJECT=1` anomalies injected into the fold's files away from their labels, each run alone,
//! and how many were alerted within 100 rows (`INJECT=2` per trial); `RESULTS=dir` scores another detector's results
//! files; `DUMP=dir` writes each file's rows.
//!
//! `VERBOSE=1` lists, for the files of one fold only (`FOLD=1`, the default, or `FOLD=2`), every
//! firing, then per window the first detection at that fold's standard threshold and per file
//! the false positives after probation: choices are made looking at one fold only.

use k8s_monitor::eval::nab::{
    load_corpus, read_series, score_corpus, score_corpus_with, Corpus, NabOptions, NabReport,
};
use k8s_monitor::model::calibration::{probability_of_rate, ALERT_PROBABILITY};
use k8s_monitor::signal::{Cadence, Horizon, Observation, SignalDetector, SignalSettings};
use std::collections::HashMap;
use std::path::Path;

/// How a stream's probabilities become NAB's anomaly scores: one alert per event.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Suppression {
    /// After a row at or above `firing`, the next `hold` reports 0.
    Hold,
    /// A row is reported only if it beats every row reported in the last `hold`.
    RunningMax,
    /// As `Hold`, but only the firing rows are reported, as 1: NAB scores the alerts.
    Alerts,
    /// As `Hold`, but within the hold a row whose tail is `escalation` times smaller than the
    /// last alert's is reported too (and becomes the last alert).
    Escalate,
}

/// One row's detail for the verbose listing.
#[derive(Debug, Clone)]
struct Firing {
    row: usize,
    p: f64,
    source: &'static str,
    tail: f64,
    z: f64,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let data = Path::new(&args[0]);
    let labels = Path::new(&args[1]);
    let mut s = SignalSettings::default();
    let mut hold_minutes = 37.5;
    // An alert is what the product calls one: the probability at its alert rate.
    let mut firing = ALERT_PROBABILITY;
    let mut escalation = 10.0;
    let mut suppression = Suppression::Escalate;
    let mut transform = "linear".to_string();
    let verbose = std::env::var("VERBOSE").is_ok();
    let shown_fold: usize = std::env::var("FOLD")
        .ok()
        .and_then(|f| f.parse().ok())
        .unwrap_or(1);
    if std::env::var("RUNMAX").is_ok() {
        suppression = Suppression::RunningMax;
    }
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
            "escalation" => escalation = f,
            "suppress" => {
                suppression = match v {
                    "hold" => Suppression::Hold,
                    "runmax" => Suppression::RunningMax,
                    "alerts" => Suppression::Alerts,
                    "escalate" => Suppression::Escalate,
                    other => panic!("unknown suppression {other}"),
                }
            }
            "transform" => transform = v.to_string(),
            other => panic!("unknown key {other}"),
        }
    }
    let corpus = load_corpus(data, labels).expect("corpus");
    println!(
        "size_of::<SignalDetector>() = {} bytes",
        std::mem::size_of::<SignalDetector>()
    );

    // Folds by file: every other file of each category, in name order.
    let mut fold_of: HashMap<String, usize> = HashMap::new();
    let mut by_category: HashMap<&str, usize> = HashMap::new();
    for f in &corpus.files {
        let category = f.name.split('/').next().unwrap_or("");
        let i = by_category.entry(category).or_insert(0);
        fold_of.insert(f.name.clone(), *i % 2 + 1);
        *i += 1;
    }

    let mut scores: HashMap<String, Vec<f64>> = HashMap::new();
    let mut firings: HashMap<String, Vec<Firing>> = HashMap::new();
    for file in &corpus.files {
        let rows = read_series(&data.join(&file.name)).expect("series");
        let mut d = SignalDetector::new(&s);
        let mut cadence = Cadence::default();
        let mut quiet_until = f64::NEG_INFINITY;
        let mut alert_tail = 1.0f64;
        let mut recent: std::collections::VecDeque<(f64, f64)> = Default::default();
        let mut out = Vec::with_capacity(rows.len());
        let mut fired = Vec::new();
        let mut dump = Vec::new();
        for r in &rows {
            let seconds = r.at.timestamp() as f64;
            let tick = cadence.tick(seconds, s.reference_step);
            let value = match transform.as_str() {
                "log" => r.number.max(0.0).ln_1p(),
                _ => r.number,
            };
            let reading = d.observe(Observation { seconds, value }, &tick, &s);
            let p = reading.map_or(0.0, |x| probability_of_rate(x.tail));
            let hold = hold_minutes * 60.0 * tick.stretch;
            let reported = match suppression {
                Suppression::Escalate => {
                    let tail = reading.map_or(1.0, |x| x.tail);
                    if seconds < quiet_until {
                        if tail * escalation < alert_tail {
                            alert_tail = tail;
                            p
                        } else {
                            0.0
                        }
                    } else {
                        if p >= firing {
                            quiet_until = seconds + hold;
                            alert_tail = tail;
                        }
                        p
                    }
                }
                Suppression::RunningMax => {
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
                }
                Suppression::Hold | Suppression::Alerts => {
                    if seconds < quiet_until {
                        0.0
                    } else if p >= firing {
                        quiet_until = seconds + hold;
                        if suppression == Suppression::Alerts {
                            1.0
                        } else {
                            p
                        }
                    } else if suppression == Suppression::Alerts {
                        0.0
                    } else {
                        p
                    }
                }
            };
            if let Some(x) = reading.filter(|_| reported > 0.0) {
                fired.push(Firing {
                    row: out.len(),
                    p: reported,
                    source: if x.record {
                        ["short_z+", "long_z+", "level_shift+", "seasonal+"][x.strongest as usize]
                    } else {
                        x.strongest.name()
                    },
                    tail: x.tail,
                    z: x.z,
                });
            }
            dump.push(format!(
                "{},{},{},{},{}",
                out.len(),
                value,
                p,
                reported,
                reading.map_or("", |x| x.strongest.name())
            ));
            out.push(reported);
        }
        if let Ok(dir) = std::env::var("DUMP") {
            if fold_of[&file.name] == shown_fold {
                let path = Path::new(&dir).join(file.name.replace('/', "__"));
                std::fs::write(path, dump.join("\n")).expect("dump");
            }
        }
        scores.insert(file.name.clone(), out);
        firings.insert(file.name.clone(), fired);
    }

    // RESULTS=dir: score another detector's NAB results files instead (the old windowed one).
    if let Ok(dir) = std::env::var("RESULTS") {
        scores = k8s_monitor::eval::nab::read_results(Path::new(&dir), &corpus).expect("results");
        for (name, out) in &scores {
            let fired = out
                .iter()
                .enumerate()
                .filter(|(_, p)| **p > 0.0)
                .map(|(row, p)| Firing {
                    row,
                    p: *p,
                    source: "?",
                    tail: f64::NAN,
                    z: f64::NAN,
                })
                .collect();
            firings.insert(name.clone(), fired);
        }
    }
    let sub = |c: &Corpus| -> HashMap<String, Vec<f64>> {
        c.files
            .iter()
            .map(|f| (f.name.clone(), scores[&f.name].clone()))
            .collect()
    };
    let line = |name: &str, c: &Corpus, r: &NabReport| {
        let get = |p: &str| {
            r.profile(p)
                .and_then(|x| x.normalized_score)
                .unwrap_or(f64::NAN)
        };
        let std = r.profile("standard").unwrap();
        println!(
            "{name:12} standard {:6.2} low_fp {:6.2} low_fn {:6.2}  windows {}/{} fp {} thr {:.4}",
            get("standard"),
            get("reward_low_FP_rate"),
            get("reward_low_FN_rate"),
            std.windows_detected,
            c.windows(),
            std.counts.fp,
            std.threshold
        );
    };
    let all = score_corpus(&corpus, &sub(&corpus)).expect("score");
    line("all", &corpus, &all);
    let folds: Vec<Corpus> = (1..=2)
        .map(|k| {
            Corpus::new(
                corpus
                    .files
                    .iter()
                    .filter(|f| fold_of[&f.name] == k)
                    .cloned()
                    .collect(),
            )
        })
        .collect();
    let reports: Vec<NabReport> = folds
        .iter()
        .map(|c| score_corpus(c, &sub(c)).expect("score"))
        .collect();
    for (k, (c, r)) in folds.iter().zip(&reports).enumerate() {
        line(&format!("fold{}", k + 1), c, r);
    }
    for (k, fold) in folds.iter().enumerate() {
        let other = 1 - k;
        let options = NabOptions {
            thresholds: Some(
                reports[other]
                    .profiles
                    .iter()
                    .map(|p| p.threshold)
                    .collect(),
            ),
            ..NabOptions::default()
        };
        let r = score_corpus_with(fold, &sub(fold), &options).expect("score");
        line(&format!("fold{}@thr{}", k + 1, other + 1), fold, &r);
    }

    // Threshold robustness: the mean standard score of one fold over thresholds 0.60..=0.80.
    if std::env::var("BAND").is_ok() {
        let k = shown_fold.clamp(1, 2) - 1;
        let band: Vec<f64> = (60..=80)
            .map(|t| {
                let t = t as f64 / 100.0;
                let options = NabOptions {
                    thresholds: Some(vec![t, t, t]),
                    ..NabOptions::default()
                };
                score_corpus_with(&folds[k], &sub(&folds[k]), &options)
                    .expect("score")
                    .profile("standard")
                    .and_then(|p| p.normalized_score)
                    .unwrap_or(f64::NAN)
            })
            .collect();
        let mean = band.iter().sum::<f64>() / band.len() as f64;
        let worst = band.iter().cloned().fold(f64::INFINITY, f64::min);
        println!(
            "fold{} band 0.60-0.80: mean {mean:.2} worst {worst:.2}  [{}]",
            k + 1,
            band.iter()
                .step_by(2)
                .map(|x| format!("{x:.0}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
    if std::env::var("INJECT").is_ok() {
        let k = shown_fold.clamp(1, 2);
        let files: Vec<_> = corpus
            .files
            .iter()
            .filter(|f| fold_of[&f.name] == k)
            .collect();
        injection_study(data, &files, &s, firing);
    }
    if verbose {
        let k = shown_fold.clamp(1, 2) - 1;
        let threshold = reports[k].profile("standard").unwrap().threshold;
        println!("fold {} at its standard threshold {threshold:.4}:", k + 1);
        for file in &folds[k].files {
            let probation = k8s_monitor::eval::nab::row_weights::probation_rows(
                file.rows(),
                k8s_monitor::eval::nab::row_weights::PROBATION_PERCENT,
            );
            let fired = &firings[&file.name];
            let mut detail = Vec::new();
            for w in &file.windows {
                let first = fired
                    .iter()
                    .find(|f| f.row >= w.start && f.row <= w.end && f.p >= threshold);
                detail.push(match first {
                    Some(f) => format!("[{}-{}] +{} {}", w.start, w.end, f.row - w.start, f.source),
                    None => format!("[{}-{}] MISS", w.start, w.end),
                });
            }
            let fps: Vec<String> = fired
                .iter()
                .filter(|f| {
                    f.p >= threshold
                        && f.row >= probation
                        && !file
                            .windows
                            .iter()
                            .any(|w| f.row >= w.start && f.row <= w.end)
                })
                .map(|f| format!("{}:{}", f.row, f.source))
                .collect();
            println!(
                "{:55} {}  fp [{}]",
                file.name,
                detail.join("; "),
                fps.join(" ")
            );
            if std::env::var("MARGINS").is_ok() {
                let inside = |r: usize| file.windows.iter().any(|w| r >= w.start && r <= w.end);
                let best = |rows: &mut dyn Iterator<Item = &Firing>| {
                    rows.max_by(|a, b| a.p.total_cmp(&b.p))
                        .map_or("-".to_string(), |f| {
                            format!("{:.3}@{}:{}", f.p, f.row, f.source)
                        })
                };
                let windows: Vec<String> = file
                    .windows
                    .iter()
                    .map(|w| best(&mut fired.iter().filter(|f| f.row >= w.start && f.row <= w.end)))
                    .collect();
                let outside = best(
                    &mut fired
                        .iter()
                        .filter(|f| f.row >= probation && !inside(f.row)),
                );
                println!(
                    "    window max {}   outside max {}",
                    windows.join(" "),
                    outside
                );
            }
            if std::env::var("VERBOSE").as_deref() == Ok("2") {
                for f in fired.iter().filter(|f| f.p >= 0.3) {
                    let inside = file
                        .windows
                        .iter()
                        .any(|w| f.row >= w.start && f.row <= w.end);
                    println!(
                        "    row {:5} {} p {:.3} {:12} tail {:.1e} z {:7.2}",
                        f.row,
                        if inside { "TP" } else { "fp" },
                        f.p,
                        f.source,
                        f.tail,
                        f.z
                    );
                }
            }
        }
    }
}

/// The first row in `from..to` whose probability reaches `firing`, for the detector run over
/// `values` (an injection study's trial).
fn first_alert(
    seconds: &[f64],
    values: &[f64],
    s: &SignalSettings,
    firing: f64,
    from: usize,
    to: usize,
) -> Option<usize> {
    let mut d = SignalDetector::new(s);
    let mut cadence = Cadence::default();
    for (i, (t, v)) in seconds.iter().zip(values).enumerate().take(to) {
        let tick = cadence.tick(*t, s.reference_step);
        let reading = d.observe(
            Observation {
                seconds: *t,
                value: *v,
            },
            &tick,
            s,
        );
        if i >= from && reading.is_some_and(|x| probability_of_rate(x.tail) >= firing) {
            return Some(i);
        }
    }
    None
}

/// A deterministic noise in [-1, 1] from an integer.
fn hash_noise(i: usize) -> f64 {
    let mut x = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 29;
    (x as f64 / u64::MAX as f64) * 2.0 - 1.0
}

/// Semi-synthetic sensitivity: anomalies injected into one fold's files away from their labels,
/// each run on its own; prints how many were alerted within 100 rows, and how soon.
fn injection_study(
    data: &Path,
    files: &[&k8s_monitor::eval::nab::DataFile],
    s: &SignalSettings,
    firing: f64,
) {
    const WITHIN: usize = 100;
    let kinds: [(&str, f64); 5] = [
        ("spike", 6.0),
        ("spike", 12.0),
        ("shift", 3.0),
        ("shift", 6.0),
        ("noise", 4.0),
    ];
    let mut found = vec![(0usize, 0usize, 0usize); kinds.len()];
    for file in files {
        let rows = read_series(&data.join(&file.name)).expect("series");
        let seconds: Vec<f64> = rows.iter().map(|r| r.at.timestamp() as f64).collect();
        let clean: Vec<f64> = rows.iter().map(|r| r.number).collect();
        let n = clean.len();
        let mut diffs: Vec<f64> = clean.windows(2).map(|w| (w[1] - w[0]).abs()).collect();
        diffs.sort_by(|a, b| a.total_cmp(b));
        let mut sigma = diffs[diffs.len() / 2] * 1.4826 / 2f64.sqrt();
        if sigma <= 0.0 {
            let mean = diffs.iter().sum::<f64>() / diffs.len() as f64;
            sigma = mean.max(1e-9);
        }
        let probation = k8s_monitor::eval::nab::row_weights::probation_rows(
            n,
            k8s_monitor::eval::nab::row_weights::PROBATION_PERCENT,
        );
        for share in [0.35, 0.55, 0.75, 0.95] {
            let pos = (share * n as f64) as usize;
            if pos < probation + 300
                || pos + WITHIN >= n
                || file
                    .windows
                    .iter()
                    .any(|w| pos + 250 >= w.start && pos <= w.end + 250)
            {
                continue;
            }
            // A trial counts only where the clean series is quiet around it.
            if first_alert(&seconds, &clean, s, firing, pos - 20, pos + WITHIN).is_some() {
                continue;
            }
            for (k, (kind, size)) in kinds.iter().enumerate() {
                let mut v = clean.clone();
                match *kind {
                    "spike" => v[pos] += size * sigma,
                    "shift" => {
                        for x in &mut v[pos..(pos + 288).min(n)] {
                            *x += size * sigma;
                        }
                    }
                    _ => {
                        for (i, x) in v[pos..(pos + 288).min(n)].iter_mut().enumerate() {
                            *x += size * sigma * hash_noise(pos + i) * 1.7;
                        }
                    }
                }
                found[k].0 += 1;
                let hit = first_alert(&seconds, &v, s, firing, pos, pos + WITHIN);
                if let Some(row) = hit {
                    found[k].1 += 1;
                    found[k].2 += row - pos;
                }
                if std::env::var("INJECT").as_deref() == Ok("2") {
                    println!(
                        "  {} {pos} {kind}{size} sigma {sigma:.3e} -> {hit:?}",
                        file.name
                    );
                }
            }
        }
    }
    let mut total = 0;
    let line: Vec<String> = kinds
        .iter()
        .zip(&found)
        .map(|((kind, size), (trials, hits, delay))| {
            total += hits;
            format!(
                "{kind}{size}: {hits}/{trials} +{:.0}",
                *delay as f64 / (*hits).max(1) as f64
            )
        })
        .collect();
    println!("injected: {total} found  {}", line.join("  "));
}
