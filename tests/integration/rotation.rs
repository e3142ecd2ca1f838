//! The metrics CSV rotated by the running daemon: at the configured size, every row written
//! (in the current file and the rotated ones) is scored exactly once, and on a restart with
//! fewer files to keep the older ones are removed.

use crate::harness::{command, fast_env, scored_batches, wait_until, Daemon, CSV, FAST_FLAGS};
use std::path::Path;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(90);

/// Data rows (not headers) of the CSV and of each `CSV.k` that exists.
fn rows_on_disk(d: &Path) -> (usize, usize) {
    let csv = d.join(CSV);
    let mut rows = 0;
    let mut files = 0;
    let mut k = 0;
    loop {
        let path = if k == 0 {
            csv.clone()
        } else {
            k8s_monitor::csv_input::rotated_path(&csv, k)
        };
        let Ok(text) = std::fs::read_to_string(&path) else {
            if k > 0 {
                return (rows, files);
            }
            k += 1;
            continue;
        };
        files += 1;
        rows += text.lines().skip(1).filter(|l| !l.is_empty()).count();
        k += 1;
    }
}

fn daemon(d: &Path, log: &str, max_files: &str) -> Daemon {
    let mut cmd = command(d);
    fast_env(&mut cmd)
        // About two ticks of 20 pods per file.
        .env("K8S_MONITOR_COLLECTOR__MAX_FILE_BYTES", "8000")
        .env("K8S_MONITOR_COLLECTOR__MAX_FILES", max_files)
        .arg("run")
        .args(FAST_FLAGS);
    Daemon::spawn(cmd, &d.join(log))
}

#[test]
fn a_rotating_csv_is_scored_exactly_once_and_keeps_max_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let csv = d.join(CSV);
    let mut first = daemon(d, "run1.log", "1000");
    wait_until(LIMIT, "four rotations", || {
        first.assert_alive();
        k8s_monitor::csv_input::rotated_path(&csv, 4)
            .exists()
            .then_some(())
    });
    assert!(first.terminate(LIMIT).success());
    let log = first.log_text();
    let scored: u64 = scored_batches(&log).iter().map(|b| b.rows).sum();
    let (rows, files) = rows_on_disk(d);
    assert!(files >= 5, "{files} files");
    assert_eq!(
        scored, rows as u64,
        "every row written, in every file, scored once"
    );
    assert!(!log.contains("skipping bad row"), "{log}");
    for f in 0..files {
        let path = if f == 0 {
            csv.clone()
        } else {
            k8s_monitor::csv_input::rotated_path(&csv, f)
        };
        let len = std::fs::metadata(&path).unwrap().len();
        assert!(len <= 8000, "{} is {len} bytes", path.display());
    }

    // Restarted keeping two: at the next rotation the older files go.
    let mut second = daemon(d, "run2.log", "2");
    wait_until(LIMIT, "the older files removed", || {
        second.assert_alive();
        (!k8s_monitor::csv_input::rotated_path(&csv, 3).exists()
            && k8s_monitor::csv_input::rotated_path(&csv, 2).exists())
        .then_some(())
    });
    assert!(second.terminate(LIMIT).success());
    assert!(!k8s_monitor::csv_input::rotated_path(&csv, 4).exists());
}
