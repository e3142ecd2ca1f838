//! Tests of the file tailer, in temporary directories.

use super::*;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;

fn append(path: &Path, s: &str) {
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(s.as_bytes()).unwrap();
}

/// The batch as `(line number, text)` for lines and `(0, debug)` for events, in order.
fn items(b: &TailBatch) -> Vec<(u64, String)> {
    b.items
        .iter()
        .map(|t| match t {
            Tailed::Line(l) => (l.no, l.text.clone()),
            Tailed::Event(e) => (0, format!("{e:?}")),
        })
        .collect()
}

fn l(no: u64, s: &str) -> (u64, String) {
    (no, s.to_string())
}

fn ev(e: TailEvent) -> (u64, String) {
    (0, format!("{e:?}"))
}

fn header(h: &str) -> (u64, String) {
    ev(TailEvent::Header(h.to_string()))
}

#[test]
fn appends_in_several_writes_are_read_once_each() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.csv");
    append(&p, "h\n");
    let mut t = CsvTail::open(&p, None);
    assert_eq!(items(&t.poll().unwrap()), [header("h")]);
    assert!(t.poll().unwrap().is_empty());
    append(&p, "a\n");
    append(&p, "b\nc\n");
    assert_eq!(items(&t.poll().unwrap()), [l(2, "a"), l(3, "b"), l(4, "c")]);
    assert!(t.poll().unwrap().is_empty());
    append(&p, "d\n");
    let b = t.poll().unwrap();
    assert_eq!(items(&b), [l(5, "d")]);
    assert!(!b.lines().next().unwrap().already_processed);
    assert_eq!(t.position().offset, fs::metadata(&p).unwrap().len());
    assert_eq!(t.position().next_line_no, 6);
}

#[test]
fn partial_line_is_held_back_and_crlf_is_stripped() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.csv");
    append(&p, "h\r\nx,1");
    let mut t = CsvTail::open(&p, None);
    assert_eq!(items(&t.poll().unwrap()), [header("h")]);
    assert_eq!(
        t.position().offset,
        3,
        "position stops before the partial line"
    );
    append(&p, ",2");
    assert!(t.poll().unwrap().is_empty());
    append(&p, "\r\n\ny\n");
    // The blank line 3 is not a record but is counted.
    assert_eq!(items(&t.poll().unwrap()), [l(2, "x,1,2"), l(4, "y")]);
}

#[test]
fn truncation_restarts_from_the_beginning() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.csv");
    append(&p, "h\nrow-a\nrow-b\n");
    let mut t = CsvTail::open(&p, None);
    assert_eq!(t.poll().unwrap().lines().count(), 2);
    // Same inode, smaller size.
    let ino = t.position().inode;
    fs::OpenOptions::new()
        .write(true)
        .open(&p)
        .unwrap()
        .set_len(0)
        .unwrap();
    append(&p, "h2\nz\n");
    assert_eq!(t.position().inode, ino);
    assert_eq!(
        items(&t.poll().unwrap()),
        [ev(TailEvent::Truncated), header("h2"), l(2, "z")]
    );
}

#[test]
fn rotation_drains_the_old_file_before_switching() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.csv");
    let old = dir.path().join("m.csv.1");
    append(&p, "h\na\n");
    let mut t = CsvTail::open(&p, None);
    assert_eq!(t.poll().unwrap().lines().count(), 1);
    append(&p, "b\n"); // written just before the rename, not yet polled
    fs::rename(&p, &old).unwrap();
    append(&old, "c\n"); // a writer still holding the old file
                         // Path missing: the old handle keeps being drained.
    assert_eq!(items(&t.poll().unwrap()), [l(3, "b"), l(4, "c")]);
    append(&old, "d\n");
    append(&p, "h\nnew-1\n");
    assert_eq!(
        items(&t.poll().unwrap()),
        [
            l(5, "d"),
            ev(TailEvent::Rotated),
            header("h"),
            l(2, "new-1")
        ]
    );
    append(&old, "lost\n"); // after the switch the old file is no longer read
    append(&p, "new-2\n");
    assert_eq!(items(&t.poll().unwrap()), [l(3, "new-2")]);
}

#[test]
fn rotation_reports_a_dropped_incomplete_last_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.csv");
    append(&p, "h\na\nhalf");
    let mut t = CsvTail::open(&p, None);
    t.poll().unwrap();
    fs::rename(&p, dir.path().join("old")).unwrap();
    append(&p, "h\n");
    assert_eq!(
        items(&t.poll().unwrap()),
        [
            ev(TailEvent::IncompleteLineDropped { no: 3 }),
            ev(TailEvent::Rotated),
            header("h")
        ]
    );
}

#[test]
fn resume_after_restart_loses_and_repeats_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.csv");
    let state = dir.path().join("tail.json");
    append(&p, "h\na\nb\npart");
    let mut t = CsvTail::open(&p, None);
    assert_eq!(t.poll().unwrap().lines().count(), 2);
    save_position(&state, &t.position()).unwrap();
    drop(t); // "crash"
    append(&p, "ial\nc\n");
    let saved = load_position(&state).unwrap().unwrap();
    let mut t = CsvTail::open(&p, Some(saved.clone()));
    assert_eq!(
        t.position(),
        saved,
        "before the first poll the saved position stands"
    );
    assert_eq!(
        items(&t.poll().unwrap()),
        [header("h"), l(4, "partial"), l(5, "c")]
    );
    assert_eq!(t.header(), Some("h"));
}

#[test]
fn resume_on_a_replaced_file_starts_over_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.csv");
    append(&p, "h\na\nb\n");
    let mut t = CsvTail::open(&p, None);
    t.poll().unwrap();
    let saved = t.position();
    drop(t);
    // Build the replacement beside it and rename over: a different inode for certain.
    let tmp = dir.path().join("tmp");
    append(&tmp, "h\nx\ny\nz\n");
    fs::rename(&tmp, &p).unwrap();
    let mut t = CsvTail::open(&p, Some(saved));
    let b = t.poll().unwrap();
    assert!(
        matches!(b.items[0], Tailed::Event(TailEvent::ResumeReset { .. })),
        "{b:?}"
    );
    assert_eq!(
        items(&b)[1..],
        [header("h"), l(2, "x"), l(3, "y"), l(4, "z")]
    );
}

#[test]
fn resume_on_a_file_truncated_while_down_starts_over() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.csv");
    append(&p, "h\na\nb\n");
    let mut t = CsvTail::open(&p, None);
    t.poll().unwrap();
    let saved = t.position();
    fs::OpenOptions::new()
        .write(true)
        .open(&p)
        .unwrap()
        .set_len(2)
        .unwrap();
    append(&p, "q\n");
    let mut t = CsvTail::open(&p, Some(saved));
    let b = t.poll().unwrap();
    assert_eq!(
        items(&b),
        [
            ev(TailEvent::ResumeReset {
                reason: "the file is shorter than the saved offset"
            }),
            header("h"),
            l(2, "q")
        ]
    );
}

#[test]
fn history_replay_flags_lines_before_the_saved_position() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.csv");
    append(&p, "h\na\nb\n");
    let mut t = CsvTail::open(&p, None);
    t.poll().unwrap();
    let saved = t.position();
    append(&p, "c\n");
    let mut t = CsvTail::open_with_history(&p, saved.clone()).with_max_batch_bytes(4);
    let mut seen = Vec::new();
    loop {
        let b = t.poll().unwrap();
        seen.extend(
            b.lines()
                .map(|l| (l.no, l.text.clone(), l.already_processed)),
        );
        // Mid-replay the position to persist never moves back behind the saved one.
        let pos = t.position();
        assert!(pos.offset >= saved.offset, "{pos:?}");
        if pos.offset == saved.offset {
            assert_eq!(pos, saved);
        }
        if !b.more {
            break;
        }
    }
    assert_eq!(
        seen,
        [
            (2, "a".to_string(), true),
            (3, "b".to_string(), true),
            (4, "c".to_string(), false)
        ]
    );
    assert_eq!(t.position().next_line_no, 5);
}

#[test]
fn small_batches_deliver_everything_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.csv");
    let mut text = String::from("h\n");
    for i in 0..200 {
        text.push_str(&format!("row-{i}\n"));
    }
    append(&p, &text);
    let mut t = CsvTail::open(&p, None).with_max_batch_bytes(7);
    let mut got = Vec::new();
    for _ in 0..10_000 {
        let b = t.poll().unwrap();
        got.extend(b.lines().map(|l| l.text.clone()));
        if !b.more {
            break;
        }
    }
    let want: Vec<String> = (0..200).map(|i| format!("row-{i}")).collect();
    assert_eq!(got, want);
}

#[test]
fn missing_file_then_created() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("later.csv");
    let mut t = CsvTail::open(&p, None);
    assert!(t.poll().unwrap().is_empty());
    assert_eq!(t.position(), TailPosition::start());
    append(&p, "h\na\n");
    assert_eq!(items(&t.poll().unwrap()), [header("h"), l(2, "a")]);
}

#[test]
fn over_long_line_is_skipped_with_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.csv");
    append(&p, "h\n");
    let mut t = CsvTail::open(&p, None);
    t.poll().unwrap();
    let chunk = "x".repeat(300 * 1024);
    for _ in 0..4 {
        append(&p, &chunk); // 1.2 MiB without a newline
    }
    let b = t.poll().unwrap();
    assert_eq!(items(&b), [ev(TailEvent::LineTooLong { no: 2 })]);
    assert!(
        t.held_bytes() <= MAX_LINE_BYTES,
        "holds {} bytes",
        t.held_bytes()
    );
    append(&p, &chunk); // still the same line: no second event
    assert!(t.poll().unwrap().is_empty());
    append(&p, "tail-of-long\nok\n");
    assert_eq!(items(&t.poll().unwrap()), [l(3, "ok")]);

    // A long line arriving whole, newline included, is skipped the same way.
    append(&p, &format!("{}\nafter\n", "y".repeat(MAX_LINE_BYTES + 1)));
    assert_eq!(
        items(&t.poll().unwrap()),
        [ev(TailEvent::LineTooLong { no: 4 }), l(5, "after")]
    );
    // Exactly the limit is still a line.
    append(&p, &format!("{}\n", "z".repeat(MAX_LINE_BYTES)));
    assert_eq!(
        t.poll().unwrap().lines().next().unwrap().text.len(),
        MAX_LINE_BYTES
    );
}
