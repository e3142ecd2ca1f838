//! Research harness: traces the statistical detector on one pod of a metrics CSV.
//!
//! cargo run --example pod_trace -- CSV POD_PREFIX [FROM_HH:MM:SS] [TO_HH:MM:SS]
//!
//! Prints, per sample of the matching pods in the time range, the probability, the type and
//! every signal's tail, strongest source and z.

use k8s_monitor::csv_input::read_all_rows;
use k8s_monitor::detector::{AnomalyScorer, StatisticalEnsemble};
use k8s_monitor::features::tick_features::ticks;
use k8s_monitor::features::{FeatureBuilder, SIGNALS};
use k8s_monitor::settings::Settings;
use std::time::Duration;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (rows, _) = read_all_rows(std::path::Path::new(&args[0]), "default").expect("csv");
    let prefix = &args[1];
    let from = args.get(2).cloned().unwrap_or_else(|| "00:00:00".into());
    let to = args.get(3).cloned().unwrap_or_else(|| "99:99:99".into());
    let settings = Settings::default();
    let mut fb = FeatureBuilder::new(
        k8s_monitor::pipeline::signal_settings(&settings),
        Duration::from_secs(300),
    );
    let mut scorer = StatisticalEnsemble::new(Default::default());
    for tick in ticks(&rows) {
        let f = fb.tick(tick).expect("features");
        let s = scorer.score(&f);
        for (f, s) in f.iter().zip(&s) {
            let at = f.timestamp.format("%H:%M:%S").to_string();
            if !f.key.pod.starts_with(prefix.as_str()) || at < from || at > to {
                continue;
            }
            let r: Vec<String> = SIGNALS
                .iter()
                .filter_map(|sig| {
                    f.readings[sig.index()].map(|r| {
                        format!(
                            "{}:{:.0e}/{}/{:.1}",
                            sig.name(),
                            r.tail,
                            &r.strongest.name()[..4],
                            r.z
                        )
                    })
                })
                .collect();
            println!(
                "{at} {} p={:.3} {:?} peers={} {}",
                &f.key.pod[f.key.pod.len().saturating_sub(5)..],
                s.anomaly_probability,
                s.anomaly_type.map(|t| t.as_str()),
                f.has_peers,
                r.join(" ")
            );
        }
    }
}
