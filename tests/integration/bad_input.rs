//! Bad rows through `detect`: each kind of damage is skipped, reported with file, line and
//! field, and counted, while every good row is still scored; an unknown header is fatal.

use crate::harness::{run_cli, write_file};
use k8s_monitor::eval::{parse_scores, ScoreRow};
use k8s_monitor::metrics_row::{PodMetricsRow, PodPhase, CSV_HEADER};
use std::collections::BTreeSet;

const INPUT: &str = "metrics.csv";

/// A healthy row of `pod` at second `t` after a fixed start.
fn good_row(pod: &str, t: i64) -> PodMetricsRow {
    let ts = chrono::DateTime::from_timestamp(1_767_225_600 + t, 0).unwrap();
    let mut r = PodMetricsRow::empty(ts, "shop", pod);
    r.node = "node-1".into();
    r.phase = Some(PodPhase::Running);
    r.restarts = Some(0);
    r.ready_containers = Some(1);
    r.total_containers = Some(1);
    r.cpu_millicores = Some(100.0 + (t % 7) as f64);
    r.memory_bytes = Some(64e6 + (t % 5) as f64 * 1e5);
    r.net_rx_bytes_per_s = Some(2_000.0);
    r.net_tx_bytes_per_s = Some(1_500.0);
    r
}

/// `row` with canonical field `i` replaced (the rows here contain no quoted commas).
fn with_field(row: &PodMetricsRow, i: usize, value: &str) -> String {
    let line = row.to_csv_line();
    let mut fields: Vec<&str> = line.split(',').collect();
    assert_eq!(fields.len(), 22);
    fields[i] = value;
    fields.join(",")
}

fn key(r: &PodMetricsRow) -> (String, String, String) {
    (r.timestamp.to_rfc3339(), r.namespace.clone(), r.pod.clone())
}

fn score_key(s: &ScoreRow) -> (String, String, String) {
    (s.timestamp.to_rfc3339(), s.namespace.clone(), s.pod.clone())
}

/// One bad line, what must be said about it, and its reason code.
struct Bad {
    line: String,
    says: &'static str,
    reason: &'static str,
}

#[test]
fn detect_skips_and_reports_each_bad_row_and_scores_the_good_ones() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = vec![CSV_HEADER.to_string()];
    let mut good: Vec<PodMetricsRow> = Vec::new();
    // (line number, expected text, reason)
    let mut expected: Vec<(usize, &str, &str)> = Vec::new();
    // (line number, expected text) of rows kept with one field emptied.
    let mut emptied: Vec<(usize, &str)> = Vec::new();
    for tick in 0..20i64 {
        let t = tick * 5;
        let rows = [good_row("web-1", t), good_row("web-2", t)];
        // One bad case per tick for the first ticks, between the pods' good rows. Bad rows
        // use web-1 at the same instant as its good row that follows: a rejected row must
        // not move the pod's state, or that good row would be called a duplicate.
        let prev = good.last().cloned();
        let bad = match tick {
            1 => Some(Bad {
                line: "2026-01-01T00:00:05Z,shop,web-1".into(),
                says: "wrong field count: expected 22, found 3",
                reason: "wrong_field_count",
            }),
            2 => Some(Bad {
                line: with_field(&rows[0], 9, "abc"),
                says: "field cpu_millicores: not a number",
                reason: "not_a_number",
            }),
            7 => Some(Bad {
                line: with_field(&rows[0], 0, "yesterday"),
                says: "field timestamp: bad timestamp",
                reason: "bad_timestamp",
            }),
            8 => Some(Bad {
                // web-2's row from the previous tick, again: older than its last row.
                line: good_row("web-2", t - 10).to_csv_line(),
                says: "field timestamp: 2026-01-01 00:00:30 UTC is older than the last \
                       accepted row of shop/web-2",
                reason: "out_of_order",
            }),
            9 => Some(Bad {
                // The last good row (web-2, previous tick) repeated verbatim.
                line: prev.expect("a previous row").to_csv_line(),
                says: "field timestamp: duplicate row for shop/web-2",
                reason: "duplicate",
            }),
            10 => Some(Bad {
                line: with_field(&rows[0], 2, ""),
                says: "field pod: empty",
                reason: "empty_identity",
            }),
            11 => Some(Bad {
                line: with_field(&rows[0], 4, "Sleeping"),
                says: "field phase: unknown phase: \"Sleeping\"",
                reason: "unknown_phase",
            }),
            _ => None,
        };
        if let Some(b) = bad {
            lines.push(b.line);
            expected.push((lines.len(), b.says, b.reason));
        }
        // Values that cannot be measurements: web-1's row is kept with that field empty (its
        // state, node and other fields are worth keeping), so it stands for its good row.
        let kept = match tick {
            3 => Some((11, "NaN", "field memory_bytes: not finite")),
            4 => Some((13, "inf", "field net_rx_bytes_per_s: not finite")),
            5 => Some((6, "-1", "field restarts: negative")),
            6 => Some((9, "1e12", "field cpu_millicores: absurd magnitude")),
            _ => None,
        };
        if let Some((field, value, says)) = kept {
            lines.push(with_field(&rows[0], field, value));
            emptied.push((lines.len(), says));
            let [web1, web2] = rows;
            good.push(web1);
            lines.push(web2.to_csv_line());
            good.push(web2);
            continue;
        }
        for r in rows {
            lines.push(r.to_csv_line());
            good.push(r);
        }
    }
    // The last line has no trailing newline (a writer stopped mid-append, or an editor): it is
    // still a complete row and must be scored.
    write_file(dir.path(), INPUT, &lines.join("\n"));

    let run = run_cli(
        dir.path(),
        &["detect", "--input", INPUT, "--output", "scores.csv"],
    );
    run.assert_success();
    let err = &run.stderr;
    for (no, says, _) in &expected {
        let want = format!("{INPUT}:{no}: {says}");
        assert!(err.contains(&want), "stderr lacks {want:?}:\n{err}");
    }
    for (no, says) in &emptied {
        let want = format!("{INPUT}:{no}: {says}");
        assert!(err.contains(&want), "stderr lacks {want:?}:\n{err}");
        assert!(
            err.contains("the field is read as empty, the row kept"),
            "{err}"
        );
    }
    assert!(
        err.contains(&format!("read {} fields as empty", emptied.len())),
        "summary lacks the emptied count:\n{err}"
    );
    let n_bad = expected.len();
    assert!(
        err.contains(&format!("scored {} rows (", good.len())),
        "summary lacks the scored count:\n{err}"
    );
    assert!(
        err.contains(&format!("skipped {n_bad} bad rows")),
        "summary lacks the skipped count:\n{err}"
    );
    let mut by_reason = std::collections::BTreeMap::new();
    for (_, _, reason) in &expected {
        *by_reason.entry(*reason).or_insert(0) += 1;
    }
    for (reason, n) in by_reason {
        assert!(
            err.contains(&format!("\"{reason}\": {n}")),
            "summary lacks {reason}: {n}:\n{err}"
        );
    }

    // Exactly the good rows were scored, each once.
    let text = std::fs::read_to_string(dir.path().join("scores.csv")).unwrap();
    let scores = parse_scores(&text, "scores.csv").unwrap();
    assert_eq!(scores.len(), good.len());
    let got: BTreeSet<_> = scores.iter().map(score_key).collect();
    let want: BTreeSet<_> = good.iter().map(key).collect();
    assert_eq!(got, want);
}

#[test]
fn detect_reports_a_truncated_last_line_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = format!("{CSV_HEADER}\n");
    for t in 0..5 {
        text.push_str(&good_row("web-1", t * 5).to_csv_line());
        text.push('\n');
    }
    // A write cut short by a crash: half a row, no newline.
    let full = good_row("web-1", 25).to_csv_line();
    text.push_str(&full[..full.len() / 2]);
    write_file(dir.path(), INPUT, &text);

    let run = run_cli(
        dir.path(),
        &["detect", "--input", INPUT, "--output", "scores.csv"],
    );
    run.assert_success();
    assert!(
        run.stderr
            .contains(&format!("{INPUT}:7: wrong field count")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("skipped 1 bad rows"), "{}", run.stderr);
    let scores = parse_scores(
        &std::fs::read_to_string(dir.path().join("scores.csv")).unwrap(),
        "scores.csv",
    )
    .unwrap();
    assert_eq!(scores.len(), 5);
}

#[test]
fn detect_refuses_an_unknown_header_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    write_file(
        dir.path(),
        INPUT,
        "time,pod,cpu\n2026-01-01T00:00:00Z,a,1\n",
    );
    let run = run_cli(
        dir.path(),
        &["detect", "--input", INPUT, "--output", "scores.csv"],
    );
    let err = run.assert_failure();
    assert!(
        err.contains(&format!("{INPUT}: unknown CSV header \"time,pod,cpu\"")),
        "{err}"
    );
    assert!(
        !dir.path().join("scores.csv").exists(),
        "a failed run left an output file"
    );
}
