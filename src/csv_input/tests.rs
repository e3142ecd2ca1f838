//! Tests of layout detection and row parsing (the tailer's are in `tail_tests.rs`).

use super::*;
use crate::metrics_row::{PodMetricsRow, PodPhase, CSV_COLUMNS, CSV_HEADER};
use chrono::{DateTime, Utc};

const FILE: &str = "data/pod_metrics.csv";

fn ts(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn full_row() -> PodMetricsRow {
    let mut r = PodMetricsRow::empty(ts("2026-01-02T03:04:05.250Z"), "shop", "cart-7f9c");
    r.node = "node-a".into();
    r.phase = Some(PodPhase::Running);
    r.reason = Some("CrashLoopBackOff".into());
    r.restarts = Some(3);
    r.ready_containers = Some(1);
    r.total_containers = Some(2);
    r.cpu_millicores = Some(250.5);
    r.cpu_limit_millicores = Some(1000.0);
    r.memory_bytes = Some(123_456_789.0);
    r.memory_limit_bytes = Some(536_870_912.0);
    r.net_rx_bytes_per_s = Some(1234.5);
    r.net_tx_bytes_per_s = Some(99.25);
    r.net_rx_errors_per_s = Some(0.5);
    r.net_tx_errors_per_s = Some(0.0);
    r.fs_read_bytes_per_s = Some(4096.0);
    r.fs_write_bytes_per_s = Some(8192.75);
    r.event_reason = Some("BackOff".into());
    r.event_type = Some("Warning".into());
    r.event_message = Some(r#"Back-off restarting "app", pod=cart"#.into());
    r
}

fn parser() -> RowParser {
    RowParser::new(FILE.to_string(), Layout::Canonical)
}

/// The full row's line with field `i` replaced by `value` (quoted if needed).
fn line_with(i: usize, value: &str) -> String {
    let base = full_row().to_csv_line();
    let mut splitter = LineSplitter::new();
    let mut fields: Vec<String> = splitter
        .split(&base)
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    fields[i] = value.to_string();
    fields
        .iter()
        .map(|f| {
            if f.contains([',', '"']) {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn col(name: &str) -> usize {
    CSV_COLUMNS.iter().position(|c| *c == name).unwrap()
}

fn err(line: &str) -> RowError {
    parser().parse(42, line).unwrap_err()
}

#[test]
fn round_trip_of_full_and_empty_rows() {
    let full = full_row();
    let mut p = parser();
    assert_eq!(p.parse(2, &full.to_csv_line()).unwrap(), full);
    let empty = PodMetricsRow::empty(ts("2026-01-02T03:04:06Z"), "shop", "cart-7f9c");
    let mut line = String::new();
    empty.write_csv_line(&mut line);
    assert_eq!(p.parse(3, line.trim_end_matches('\n')).unwrap(), empty);
}

#[test]
fn quoted_text_with_commas_and_quotes() {
    let line = line_with(col("event_message"), r#"a, "b", c"#);
    let row = parser().parse(2, &line).unwrap();
    assert_eq!(row.event_message.as_deref(), Some(r#"a, "b", c"#));
    let line = line_with(col("reason"), "odd,reason");
    assert_eq!(
        parser().parse(2, &line).unwrap().reason.as_deref(),
        Some("odd,reason")
    );
}

#[test]
fn empty_fields_are_none() {
    let mut line = full_row().to_csv_line();
    for name in [
        "cpu_millicores",
        "restarts",
        "phase",
        "reason",
        "event_type",
    ] {
        line = {
            let mut s = LineSplitter::new();
            let mut f: Vec<String> = s.split(&line).unwrap().iter().map(str::to_string).collect();
            f[col(name)].clear();
            f.iter()
                .map(|x| {
                    if x.contains([',', '"']) {
                        format!("\"{}\"", x.replace('"', "\"\""))
                    } else {
                        x.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(",")
        };
    }
    let row = parser().parse(2, &line).unwrap();
    assert_eq!(row.cpu_millicores, None);
    assert_eq!(row.restarts, None);
    assert_eq!(row.phase, None);
    assert_eq!(row.reason, None);
    assert_eq!(row.event_type, None);
    assert_eq!(row.memory_bytes, Some(123_456_789.0));
}

#[test]
fn error_text_names_file_line_and_field() {
    let e = err(&line_with(col("cpu_millicores"), "abc"));
    assert_eq!(
        e.to_string(),
        r#"data/pod_metrics.csv:42: field cpu_millicores: not a number: "abc""#
    );
}

#[test]
fn every_numeric_column_is_named_in_its_errors() {
    for name in &CSV_COLUMNS[col("restarts")..=col("fs_write_bytes_per_s")] {
        let e = err(&line_with(col(name), "x1"));
        assert_eq!(e.reason(), "not_a_number", "{name}");
        assert!(e.to_string().contains(&format!("field {name}:")), "{e}");
        let e = emptied(&line_with(col(name), "-1"));
        assert_eq!(e.reason(), "negative", "{name}");
        assert!(e.to_string().contains(&format!("field {name}:")), "{e}");
    }
}

/// The one field a kept row had emptied.
fn emptied(line: &str) -> RowErrorKind {
    let mut p = parser();
    let row = p.parse(42, line).expect("the row is kept");
    let emptied = p.emptied().to_vec();
    assert_eq!(emptied.len(), 1, "{emptied:?}");
    let field = emptied[0].field().unwrap();
    let reparsed = row.to_csv_line();
    let i = col(field);
    let mut splitter = LineSplitter::new();
    assert_eq!(
        splitter.split(&reparsed).unwrap().get(i),
        Some(""),
        "{field} is empty in the kept row"
    );
    emptied[0].clone()
}

#[test]
fn non_finite_values_empty_their_field_and_the_row_is_kept() {
    for v in ["NaN", "inf", "-inf"] {
        let e = emptied(&line_with(col("memory_bytes"), v));
        assert_eq!(e.reason(), "not_finite");
        assert!(
            e.to_string().contains("field memory_bytes: not finite"),
            "{e}"
        );
    }
}

#[test]
fn absurd_magnitudes_empty_their_field_at_the_documented_bounds() {
    let cases = [
        ("cpu_millicores", "10000000", "10000001"),
        ("cpu_limit_millicores", "10000000", "1e8"),
        ("memory_bytes", "1125899906842624", "1125899906842625"),
        ("memory_limit_bytes", "1e15", "2e15"),
        ("net_rx_bytes_per_s", "1e12", "1.1e12"),
        ("fs_write_bytes_per_s", "1e12", "1e13"),
        ("net_tx_errors_per_s", "1e9", "1.5e9"),
        ("restarts", "1000000", "1000001"),
        ("total_containers", "1000", "1001"),
    ];
    for (name, ok, bad) in cases {
        assert!(
            parser().parse(2, &line_with(col(name), ok)).is_ok(),
            "{name}={ok}"
        );
        let e = emptied(&line_with(col(name), bad));
        assert_eq!(e.reason(), "absurd_magnitude", "{name}={bad}");
        assert!(e.to_string().contains(&format!("field {name}:")), "{e}");
    }
}

#[test]
fn ready_above_total_is_rejected() {
    let line = line_with(col("ready_containers"), "3");
    let e = err(&line);
    assert_eq!(e.reason(), "ready_exceeds_total");
    assert_eq!(
        e.to_string(),
        "data/pod_metrics.csv:42: field ready_containers: 3 ready containers exceed 2 total"
    );
    assert_eq!(
        err(&line_with(col("restarts"), "1.5")).reason(),
        "not_an_integer"
    );
}

#[test]
fn bad_and_empty_timestamps() {
    let e = err(&line_with(col("timestamp"), "2026-13-01T00:00:00Z"));
    assert_eq!(e.reason(), "bad_timestamp");
    assert!(
        e.to_string().contains("42: field timestamp: bad timestamp"),
        "{e}"
    );
    let e = err(&line_with(col("timestamp"), ""));
    assert!(e.to_string().ends_with(r#"bad timestamp "": empty"#), "{e}");
    // The legacy space-separated form is not canonical.
    assert!(parser()
        .parse(2, &line_with(col("timestamp"), "2026-01-02 03:04:05"))
        .is_err());
}

#[test]
fn empty_identity_and_unknown_phase() {
    let e = err(&line_with(col("namespace"), ""));
    assert_eq!(
        e.to_string(),
        "data/pod_metrics.csv:42: field namespace: empty"
    );
    let e = err(&line_with(col("pod"), " "));
    assert_eq!(e.to_string(), "data/pod_metrics.csv:42: field pod: empty");
    let e = err(&line_with(col("phase"), "running"));
    assert_eq!(e.reason(), "unknown_phase");
    assert!(
        e.to_string()
            .contains(r#"field phase: unknown phase: "running""#),
        "{e}"
    );
}

#[test]
fn wrong_field_count_and_bad_quoting() {
    let line = full_row().to_csv_line();
    let e = err(&format!("{line},extra"));
    assert_eq!(e.reason(), "wrong_field_count");
    assert!(e.to_string().contains("expected 22, found 23"), "{e}");
    let empty = PodMetricsRow::empty(ts("2026-01-02T03:04:05Z"), "shop", "a").to_csv_line();
    let e = err(empty.strip_suffix(',').unwrap());
    assert!(e.to_string().contains("expected 22, found 21"), "{e}");
    let e = err(&line_with(col("node"), "x").replace(",x,", ",\"x\"y,"));
    assert_eq!(e.reason(), "bad_quoting");
    assert!(e.to_string().contains("field node: bad quoting"), "{e}");
}

#[test]
fn duplicates_and_out_of_order_per_pod() {
    let mut p = parser();
    let at = |t: &str| line_with(col("timestamp"), t);
    let other_pod = |t: &str| {
        let l = at(t);
        l.replacen("cart-7f9c", "web-1", 1)
    };
    assert!(p.parse(2, &at("2026-01-02T03:00:10Z")).is_ok());
    // Another pod has its own history.
    assert!(p.parse(3, &other_pod("2026-01-02T03:00:05Z")).is_ok());
    let e = p.parse(4, &at("2026-01-02T03:00:10Z")).unwrap_err();
    assert_eq!(e.reason(), "duplicate");
    assert!(
        e.to_string().starts_with(
            "data/pod_metrics.csv:4: field timestamp: duplicate row for shop/cart-7f9c"
        ),
        "{e}"
    );
    let e = p.parse(5, &at("2026-01-02T03:00:05Z")).unwrap_err();
    assert_eq!(e.reason(), "out_of_order");
    assert!(
        e.to_string()
            .contains("older than the last accepted row of shop/cart-7f9c"),
        "{e}"
    );
    assert!(p.parse(6, &at("2026-01-02T03:00:20Z")).is_ok());
    assert_eq!(p.tracked_pods(), 2);
    assert!(p.forget_pod("shop", "cart-7f9c"));
    assert!(!p.forget_pod("shop", "cart-7f9c"));
    assert_eq!(p.tracked_pods(), 1);
    // Forgotten: an older timestamp is a fresh start.
    assert!(p.parse(7, &at("2026-01-02T03:00:00Z")).is_ok());
}

#[test]
fn a_rejected_row_does_not_change_parser_state() {
    let mut p = parser();
    let at = |t: &str| line_with(col("timestamp"), t);
    assert!(p.parse(2, &at("2026-01-02T03:00:10Z")).is_ok());
    // Newer timestamp but a bad value: rejected, and must not become the pod's last time.
    let bad = at("2026-01-02T03:00:30Z").replace(",250.5,", ",abc,");
    assert_eq!(p.parse(3, &bad).unwrap_err().reason(), "not_a_number");
    assert_eq!(
        p.last_accepted("shop", "cart-7f9c"),
        Some(ts("2026-01-02T03:00:10Z"))
    );
    // A duplicate is rejected without side effects either.
    assert!(p.parse(4, &at("2026-01-02T03:00:10Z")).is_err());
    assert!(p.parse(5, &at("2026-01-02T03:00:20Z")).is_ok());
    // A bad row for a new pod does not start tracking it.
    let new_pod_bad = bad.replacen("cart-7f9c", "new-pod", 1);
    assert!(p.parse(6, &new_pod_bad).is_err());
    assert_eq!(p.tracked_pods(), 1);
}

#[test]
fn stats_count_ok_and_skipped_by_reason() {
    let mut p = parser();
    let mut stats = IngestStats::default();
    let lines = [
        line_with(col("timestamp"), "2026-01-02T03:00:10Z"),
        line_with(col("timestamp"), "2026-01-02T03:00:10Z"),
        line_with(col("cpu_millicores"), "abc"),
        line_with(col("memory_bytes"), "zz"),
        line_with(col("timestamp"), "2026-01-02T03:00:20Z"),
    ];
    for (i, l) in lines.iter().enumerate() {
        stats.record(&p.parse(i as u64 + 2, l));
    }
    assert_eq!(stats.rows_ok, 2);
    assert_eq!(stats.rows_skipped, 3);
    assert_eq!(stats.skipped_by_reason.get("duplicate"), Some(&1));
    assert_eq!(stats.skipped_by_reason.get("not_a_number"), Some(&2));
    let mut total = IngestStats::default();
    total.merge(&stats);
    total.merge(&stats);
    assert_eq!(total.rows_ok, 4);
    assert_eq!(total.skipped_by_reason.get("not_a_number"), Some(&4));
}

// ---- layouts ----

#[test]
fn canonical_header_detected_with_bom_and_crlf() {
    assert_eq!(
        Layout::detect(FILE, CSV_HEADER, "x").unwrap(),
        Layout::Canonical
    );
    let h = format!("\u{feff}{CSV_HEADER}\r");
    assert_eq!(Layout::detect(FILE, &h, "x").unwrap(), Layout::Canonical);
}

#[test]
fn unknown_header_error_names_file_and_expectation() {
    let e = Layout::detect(FILE, "time,name,cpu", "x").unwrap_err();
    let s = e.to_string();
    assert!(
        s.starts_with("data/pod_metrics.csv: unknown CSV header \"time,name,cpu\""),
        "{s}"
    );
    assert!(s.contains(CSV_HEADER), "{s}");
    assert!(s.contains("Timestamp,Pod Name,"), "{s}");
    // A canonical header with a column missing is not accepted either.
    let cut = CSV_HEADER.rsplit_once(',').unwrap().0;
    assert!(Layout::detect(FILE, cut, "x").is_err());
}

const LEGACY_ROW: &str =
    "2025-04-13 17:00:16,cpu-spike-pod-6d5f,2h,47.5,3.2,1500.5,900.3,600.2,1.2,0.8,\
\"log line, with comma\",Running,CrashLoopBackOff,4,1,2,,BackOff,Warning,BackOff,5m,kubelet,\
\"Back-off restarting failed container\",minikube,NodeReady,3h,kubelet,Node minikube is ready";

fn legacy_parser() -> RowParser {
    let layout = Layout::detect(FILE, &LEGACY_COLUMNS.join(","), "monitoring").unwrap();
    match &layout {
        Layout::Legacy(l) => {
            assert!(l.is_original());
            assert_eq!(l.default_namespace(), "monitoring");
        }
        other => panic!("expected legacy, got {other:?}"),
    }
    RowParser::new(FILE.to_string(), layout)
}

#[test]
fn legacy_row_maps_onto_canonical_fields() {
    let row = legacy_parser().parse(2, LEGACY_ROW).unwrap();
    let mut want = PodMetricsRow::empty(
        ts("2025-04-13T17:00:16Z"),
        "monitoring",
        "cpu-spike-pod-6d5f",
    );
    want.node = "minikube".into();
    want.phase = Some(PodPhase::Running);
    want.reason = Some("CrashLoopBackOff".into());
    want.restarts = Some(4);
    want.ready_containers = Some(1);
    want.total_containers = Some(2);
    want.cpu_millicores = Some(475.0);
    want.event_type = Some("Warning".into());
    want.event_reason = Some("BackOff".into());
    want.event_message = Some("Back-off restarting failed container".into());
    assert_eq!(row, want);
}

#[test]
fn legacy_fillers_and_stand_ins() {
    let mut p = legacy_parser();
    // Reason repeating the phase, node "Unknown", N/A and pandas' float counts.
    let line = LEGACY_ROW
        .replace(
            "Running,CrashLoopBackOff,4,1,2",
            "Pending,Pending,4.0,N/A,2",
        )
        .replace(",minikube,", ",Unknown,");
    let row = p.parse(2, &line).unwrap();
    assert_eq!(row.phase, Some(PodPhase::Pending));
    assert_eq!(row.reason, None);
    assert_eq!(row.restarts, Some(4));
    assert_eq!(row.ready_containers, None);
    assert_eq!(row.node, "");
    // The script's "NotFound" status is not a phase.
    let line = LEGACY_ROW
        .replace("2025-04-13 17:00:16", "2025-04-13 17:00:21")
        .replace(",Running,", ",NotFound,");
    let e = p.parse(3, &line).unwrap_err();
    assert_eq!(e.reason(), "unknown_phase");
    assert!(
        e.to_string()
            .contains(r#"field Pod Status: unknown phase: "NotFound""#),
        "{e}"
    );
}

#[test]
fn legacy_errors_name_the_original_columns() {
    let mut p = legacy_parser();
    let e = p
        .parse(9, &LEGACY_ROW.replace(",47.5,", ",high,"))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        r#"data/pod_metrics.csv:9: field CPU Usage (%): not a number: "high""#
    );
    let e = p
        .parse(10, &LEGACY_ROW.replace("2025-04-13 17:00:16", "13/04/2025"))
        .unwrap_err();
    assert_eq!(e.reason(), "bad_timestamp");
    assert!(e.to_string().contains("field Timestamp:"), "{e}");
    let e = p
        .parse(11, "2025-04-13 17:00:16,pod,only three")
        .unwrap_err();
    assert!(e.to_string().contains("expected 28, found 3"), "{e}");
    // Out of order applies to legacy rows too.
    assert!(p.parse(12, LEGACY_ROW).is_ok());
    let older = LEGACY_ROW.replace("17:00:16", "17:00:11");
    assert_eq!(p.parse(13, &older).unwrap_err().reason(), "out_of_order");
}

#[test]
fn legacy_variant_header_is_mapped_by_name() {
    let header = "Timestamp,Pod Name,Pod Restarts,CPU Usage (%),Extra";
    let layout = Layout::detect(FILE, header, "monitoring").unwrap();
    let Layout::Legacy(l) = &layout else {
        panic!("not legacy")
    };
    assert!(!l.is_original());
    let mut p = RowParser::new(FILE.to_string(), layout);
    let row = p
        .parse(2, "2025-04-13 17:00:16,api-0,2,10,whatever")
        .unwrap();
    assert_eq!(row.restarts, Some(2));
    assert_eq!(row.cpu_millicores, Some(100.0));
    assert_eq!(row.phase, None);
    assert_eq!(row.namespace, "monitoring");
}

#[test]
fn names_follow_kubernetes_rules_and_a_hostile_one_is_refused_naming_its_field() {
    let e = err(&line_with(col("pod"), "evil;touch${IFS}PWNED;#"));
    assert_eq!(e.reason(), "bad_name");
    assert!(
        e.to_string().starts_with(
            "data/pod_metrics.csv:42: field pod: not a Kubernetes name: \
             \"evil;touch${IFS}PWNED;#\" (only a-z, 0-9, '-' and '.' are allowed)"
        ),
        "{e}"
    );
    let e = err(&line_with(col("namespace"), "shop.eu"));
    assert!(
        e.to_string()
            .contains("field namespace: not a Kubernetes name"),
        "a namespace is a label: {e}"
    );
    let e = err(&line_with(col("node"), "Node-1"));
    assert!(
        e.to_string().contains("field node: not a Kubernetes name"),
        "{e}"
    );
    let e = err(&line_with(col("pod"), "-cart"));
    assert!(e.to_string().contains("must start and end"), "{e}");
    let e = err(&line_with(col("pod"), &"a".repeat(254)));
    assert!(e.to_string().contains("longer than 253"), "{e}");
    // Escapes and NULs never reach the message raw.
    let e = err(&line_with(col("pod"), "a\u{1b}[31mb\0"));
    assert!(
        !e.to_string().contains('\u{1b}') && !e.to_string().contains('\0'),
        "{e}"
    );
    // Valid: a subdomain pod, an empty node (not scheduled yet).
    for (c, v) in [
        ("pod", "web-0.shard-a"),
        ("node", ""),
        ("node", "ip-10-0-0-1.ec2.internal"),
    ] {
        assert!(
            parser().parse(42, &line_with(col(c), v)).is_ok(),
            "{c} = {v:?}"
        );
    }
}

#[test]
fn a_row_from_the_future_is_refused_and_never_locks_its_pod_out() {
    let now = ts("2026-01-02T03:04:05Z");
    let mut p = parser();
    p.set_future_limit(Some(crate::csv_input::FutureLimit {
        now,
        skew: std::time::Duration::from_secs(120),
    }));
    let at = |t: &str| {
        let mut r = full_row();
        r.timestamp = ts(t);
        r.to_csv_line()
    };
    let e = p.parse(7, &at("2099-01-01T00:00:00Z")).unwrap_err();
    assert_eq!(e.reason(), "future_timestamp");
    assert_eq!(
        e.to_string(),
        "data/pod_metrics.csv:7: field timestamp: 2099-01-01 00:00:00 UTC is ahead of this \
         machine's clock (2026-01-02 03:04:05 UTC) by more than [dataset_generator] \
         max_clock_skew = 2m"
    );
    // The pod's next rows, now and within the skew, are accepted.
    assert!(p.parse(8, &at("2026-01-02T03:04:00Z")).is_ok());
    assert!(p.parse(9, &at("2026-01-02T03:06:05Z")).is_ok());
    assert_eq!(
        p.parse(10, &at("2026-01-02T03:06:06Z"))
            .unwrap_err()
            .reason(),
        "future_timestamp"
    );
}

#[test]
fn the_collector_writes_by_the_readers_rule() {
    // What Prometheus may hand over: a negative rate, an absurd gauge, a NaN.
    let mut row = full_row();
    row.cpu_millicores = Some(-5.0);
    row.memory_bytes = Some(1e308);
    row.net_rx_bytes_per_s = Some(f64::NAN);
    row.restarts = Some(2_000_000);
    let emptied = crate::csv_input::clear_unmeasurable(&mut row);
    let reasons: Vec<(&str, &str)> = emptied
        .iter()
        .map(|e| (e.field().unwrap(), e.reason()))
        .collect();
    assert_eq!(
        reasons,
        [
            ("cpu_millicores", "negative"),
            ("memory_bytes", "absurd_magnitude"),
            ("net_rx_bytes_per_s", "not_finite"),
            ("restarts", "absurd_magnitude"),
        ]
    );
    // The row written is read back whole, nothing emptied again, the phase and node kept.
    let mut p = parser();
    let back = p.parse(2, &row.to_csv_line()).unwrap();
    assert!(p.emptied().is_empty());
    assert_eq!(back, row);
    assert_eq!(back.cpu_millicores, None);
    assert!(back.phase.is_some() && !back.node.is_empty());
}
