//! `detect` on a generated data set is deterministic (same input, same bytes) and causal: the
//! scores of a prefix of the file are exactly the first scores of the whole file.

use crate::harness::{run_cli, write_file};
use std::path::Path;

/// Generates the shared data set into `dir/gen` and returns its CSV text.
fn generate(dir: &Path) -> String {
    run_cli(
        dir,
        &[
            "generate",
            "--pods",
            "20",
            "--duration",
            "40m",
            "--step",
            "5s",
            "--seed",
            "5",
            "--first-fault-after",
            "10m",
            "--output",
            "gen",
        ],
    )
    .assert_success();
    std::fs::read_to_string(dir.join("gen/pod_metrics.csv")).unwrap()
}

/// Runs `detect` on `input` (relative to `dir`) and returns the scores file's text.
fn detect(dir: &Path, input: &str, output: &str) -> String {
    run_cli(dir, &["detect", "--input", input, "--output", output]).assert_success();
    std::fs::read_to_string(dir.join(output)).unwrap()
}

/// The timestamp field of a canonical CSV line.
fn timestamp(line: &str) -> &str {
    line.split(',').next().unwrap()
}

/// Writes the first `k` lines (header included) of `csv` to `dir/name`.
fn write_prefix(dir: &Path, name: &str, lines: &[&str], k: usize) {
    let mut text = lines[..k].join("\n");
    text.push('\n');
    write_file(dir, name, &text);
}

#[test]
fn detect_is_deterministic_and_a_prefix_scores_like_the_whole() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let csv = generate(d);
    let lines: Vec<&str> = csv.lines().collect();

    let full = detect(d, "gen/pod_metrics.csv", "full1.csv");
    let again = detect(d, "gen/pod_metrics.csv", "full2.csv");
    assert!(full == again, "two runs on the same input differ");
    let full_lines: Vec<&str> = full.lines().collect();
    assert_eq!(full_lines.len(), lines.len(), "one score row per input row");
    // Not vacuous: the faults after 10 minutes are flagged somewhere.
    assert!(full_lines.iter().any(|l| l.contains(",true,")));

    // Cut at a line boundary about 60% in that ends a collection tick: the rows of one
    // instant are scored together (peer features compare sibling pods at that instant), so
    // the instant must be whole; see `prefix_cut_inside_a_tick_keeps_scores` for a mid-tick cut.
    let k = (lines.len() * 3 / 5..lines.len() - 1)
        .find(|&k| timestamp(lines[k - 1]) != timestamp(lines[k]))
        .expect("a tick boundary");
    write_prefix(d, "prefix.csv", &lines, k);
    let prefix = detect(d, "prefix.csv", "prefix_scores.csv");
    let prefix_lines: Vec<&str> = prefix.lines().collect();
    assert_eq!(prefix_lines.len(), k, "header + {} rows", k - 1);
    if let Some(i) = (0..k).find(|&i| prefix_lines[i] != full_lines[i]) {
        panic!(
            "score row {i} changed when later rows were added (look-ahead):\n prefix: {}\n full:   {}",
            prefix_lines[i], full_lines[i]
        );
    }
}
