//! `eval --format nab`: a tiny NAB corpus written to a temporary directory, scored by the
//! binary; and bad results files refused with file, line and field.

use crate::harness::{run_cli, Finished};
use std::path::Path;

const ROWS: usize = 100;

/// Writes `dir/rel`, creating its directories.
fn put(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn timestamp(i: usize) -> String {
    let start = chrono::NaiveDate::from_ymd_opt(2015, 3, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    (start + chrono::Duration::minutes(5 * i as i64))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// `data/cat/{a,b}.csv` (100 rows), windows at rows 40..=49 of a and 60..=69 of b, and results
/// scoring 1.0 at each window's first row: a perfect detector. Also a 0.9 in b's probationary
/// rows (ignored) and a 0.4 outside a's window (below the best threshold).
fn corpus(dir: &Path) {
    for name in ["a", "b"] {
        let mut data = String::from("timestamp,value\n");
        let mut results = String::from("timestamp,value,anomaly_score\n");
        for i in 0..ROWS {
            data.push_str(&format!("{},{}\n", timestamp(i), i % 7));
            let score = match (name, i) {
                ("a", 40) | ("b", 60) => 1.0,
                ("b", 3) => 0.9,
                ("a", 80) => 0.4,
                _ => 0.0,
            };
            results.push_str(&format!("{},{},{score}\n", timestamp(i), i % 7));
        }
        put(dir, &format!("data/cat/{name}.csv"), &data);
        put(dir, &format!("results/cat/{name}.csv"), &results);
    }
    let window = |a: usize, b: usize| {
        format!(
            "[[\"{}.000000\", \"{}.000000\"]]",
            timestamp(a),
            timestamp(b)
        )
    };
    put(
        dir,
        "labels/combined_windows.json",
        &format!(
            "{{\n  \"cat/a.csv\": {},\n  \"cat/b.csv\": {}\n}}\n",
            window(40, 49),
            window(60, 69)
        ),
    );
}

const ARGS: [&str; 8] = [
    "eval",
    "--format",
    "nab",
    "--data",
    "data",
    "--labels",
    "labels/combined_windows.json",
    "--results",
];

fn eval(dir: &Path, extra: &[&str]) -> Finished {
    let mut args: Vec<&str> = ARGS.to_vec();
    args.push("results");
    args.extend_from_slice(extra);
    run_cli(dir, &args)
}

#[test]
fn nab_eval_scores_a_perfect_detector_100() {
    let dir = tempfile::tempdir().unwrap();
    corpus(dir.path());

    let run = eval(dir.path(), &["--json"]);
    run.assert_success();
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["files"], 2);
    assert_eq!(report["windows"], 2);
    let profiles = report["profiles"].as_array().unwrap();
    assert_eq!(profiles.len(), 3);
    for p in profiles {
        let name = p["profile"]["name"].as_str().unwrap();
        assert_eq!(p["threshold"], 1.0, "{name}");
        // Both windows caught at their first row: raw = 2 · A_TP = perfect.
        assert!(
            (p["raw_score"].as_f64().unwrap() - 2.0).abs() < 1e-12,
            "{name}"
        );
        assert!(
            (p["normalized_score"].as_f64().unwrap() - 100.0).abs() < 1e-9,
            "{name}"
        );
        assert_eq!(p["windows_detected"], 2, "{name}");
        // 85 rows per file after the 15 probationary ones; 10 in each window.
        assert_eq!(p["counts"]["tp"], 2, "{name}");
        assert_eq!(p["counts"]["fp"], 0, "{name}");
        assert_eq!(p["counts"]["fn"], 18, "{name}");
        assert_eq!(p["counts"]["tn"], 150, "{name}");
    }
    assert_eq!(profiles[0]["null_score"], -2.0);
    assert_eq!(profiles[2]["null_score"], -4.0);

    let table = eval(dir.path(), &[]);
    table.assert_success();
    assert!(
        table
            .stdout
            .contains("NAB scores: 2 files, 200 rows, 2 windows"),
        "{}",
        table.stdout
    );
    let standard = table
        .stdout
        .lines()
        .find(|l| l.starts_with("standard "))
        .unwrap_or_else(|| panic!("no standard line in\n{}", table.stdout));
    assert!(standard.contains("100.00"), "{standard}");
    assert!(table.stdout.contains("cat/b.csv"), "{}", table.stdout);
}

#[test]
fn nab_eval_names_file_line_and_field_of_a_bad_results_file() {
    let dir = tempfile::tempdir().unwrap();
    corpus(dir.path());
    let results = dir.path().join("results/cat/a.csv");
    let good = std::fs::read_to_string(&results).unwrap();
    let lines: Vec<&str> = good.lines().collect();
    let path = Path::new("results").join("cat/a.csv");
    let path = path.display();

    // A row missing: the file is one row short.
    std::fs::write(&results, lines[..ROWS].join("\n") + "\n").unwrap();
    let err = eval(dir.path(), &[]).assert_failure().to_string();
    assert!(
        err.contains(&format!(
            "{path}:{ROWS}: the file ends after 99 rows, but the data file has 100"
        )),
        "{err}"
    );

    // A timestamp that is not the data file's (line 11 = row 10).
    let mut bad = lines.clone();
    let shifted = format!("{},3,0", timestamp(11));
    bad[11] = &shifted;
    std::fs::write(&results, bad.join("\n") + "\n").unwrap();
    let err = eval(dir.path(), &[]).assert_failure().to_string();
    assert!(
        err.contains(&format!(
            "{path}:12: field timestamp: \"{}\" does not match row 11 of the data file ({})",
            timestamp(11),
            timestamp(10)
        )),
        "{err}"
    );

    // A score that is not a number.
    let mut bad = lines.clone();
    let word = format!("{},3,high", timestamp(10));
    bad[11] = &word;
    std::fs::write(&results, bad.join("\n") + "\n").unwrap();
    let err = eval(dir.path(), &[]).assert_failure().to_string();
    assert!(
        err.contains(&format!(
            "{path}:12: field anomaly_score: \"high\" is not a number"
        )),
        "{err}"
    );

    // Flags of the other format are refused, not ignored.
    std::fs::write(&results, &good).unwrap();
    let err = eval(dir.path(), &["--grace", "5m"])
        .assert_failure()
        .to_string();
    assert!(
        err.contains("--grace applies to --format pods only"),
        "{err}"
    );
}
