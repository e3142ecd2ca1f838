use k8s_monitor::csv_input::{Layout, RowParser};
use k8s_monitor::detector::{AnomalyScorer, StatisticalEnsemble, StatisticalSettings};
use k8s_monitor::features::tick_features::ticks;
use k8s_monitor::features::{FeatureBuilder, Signal};
use std::io::BufRead;
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let (path, pod, t0, t1) = (&a[1], &a[2], &a[3], &a[4]);
    let f = std::io::BufReader::new(std::fs::File::open(path).unwrap());
    let mut lines = f.lines();
    let h = lines.next().unwrap().unwrap();
    let mut p = RowParser::new(path.clone(), Layout::detect(path, &h, "x").unwrap());
    let rows: Vec<_> = lines
        .enumerate()
        .filter_map(|(i, l)| p.parse(i as u64 + 2, &l.unwrap()).ok())
        .collect();
    let mut fb = FeatureBuilder::new(720, std::time::Duration::from_secs(300));
    let mut sc = StatisticalEnsemble::new(StatisticalSettings::default());
    for t in ticks(&rows) {
        let feats = fb.tick(t).unwrap();
        let scores = sc.score(&feats);
        for (fr, s) in feats.iter().zip(scores) {
            let ts = fr.timestamp.format("%H:%M:%S").to_string();
            if &fr.key.pod == pod && &ts >= t0 && &ts <= t1 {
                println!("{ts} p={:.3} {:?} peers={} cpu z={:.1} pz={:.1} mem z={:.1} pz={:.1} rx z={:.1} pz={:.1} err z={:.1} cnt={}",
                    s.anomaly_probability, s.anomaly_type, fr.has_peers,
                    fr.z(Signal::Cpu), fr.z(Signal::PeerCpu), fr.z(Signal::Memory), fr.z(Signal::PeerMemory),
                    fr.z(Signal::NetRx), fr.z(Signal::PeerNetRx), fr.z(Signal::NetErrors), fr.baseline_count[0]);
            }
        }
    }
}
