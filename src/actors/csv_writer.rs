//! CsvWriter: appends rows to the metrics CSV — header once, one write and one fsync per batch,
//! never rewriting old rows.
//!
//! Crash safety: a crash mid-write can leave a partial last line; before appending again the
//! writer ends it with a newline, so the damage stays one bad (skipped, counted) row instead of
//! gluing a good row onto it. If the file was rotated away or replaced, the writer reopens the
//! path instead of writing into the old file.

use super::Shutdown;
use crate::csv_input::rotated_path;
use crate::metrics_row::{PodMetricsRow, CSV_HEADER};
use crate::service::telemetry::DaemonMetrics;
use actix::prelude::*;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Rows to append, in order.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct AppendRows(pub Vec<PodMetricsRow>);

#[derive(Debug, thiserror::Error)]
pub enum CsvWriteError {
    #[error("opening {path} for appending failed: {source}")]
    Open { path: String, source: io::Error },
    #[error("appending to {path} failed: {source}")]
    Append { path: String, source: io::Error },
}

/// When the CSV is rotated: past `max_file_bytes`, into `NAME.1` … `NAME.{max_files}` (the
/// oldest removed), so the disk cannot fill. `max_file_bytes = 0` never rotates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rotation {
    pub max_file_bytes: u64,
    pub max_files: usize,
}

impl Rotation {
    pub const NEVER: Rotation = Rotation {
        max_file_bytes: 0,
        max_files: 0,
    };
}

/// The file side of the writer, separate from the actor so it can be tested directly.
pub struct CsvAppender {
    path: PathBuf,
    file: Option<(File, u64, u64)>,
    buf: String,
    pub rows_written: u64,
    rotation: Rotation,
}

impl CsvAppender {
    pub fn new(path: &Path) -> CsvAppender {
        CsvAppender::rotating(path, Rotation::NEVER)
    }

    pub fn rotating(path: &Path, rotation: Rotation) -> CsvAppender {
        CsvAppender {
            path: path.to_path_buf(),
            file: None,
            buf: String::new(),
            rows_written: 0,
            rotation,
        }
    }

    /// Moves the full file to `NAME.1` (shifting older ones, removing the oldest beyond
    /// `max_files`) so the next append starts a new file. The tailer holds the old file open
    /// and drains it before it switches, so no row is lost; a restart in between resumes in
    /// `NAME.1` (see `CsvTail`).
    fn rotate(&mut self) -> io::Result<()> {
        let keep = self.rotation.max_files.max(1);
        // The oldest kept one goes, and any beyond it (max_files may have been lowered).
        let mut k = keep;
        while fs::remove_file(rotated_path(&self.path, k)).is_ok() {
            k += 1;
        }
        for k in (1..keep).rev() {
            let from = rotated_path(&self.path, k);
            if from.exists() {
                fs::rename(&from, rotated_path(&self.path, k + 1))?;
            }
        }
        fs::rename(&self.path, rotated_path(&self.path, 1))?;
        self.file = None;
        tracing::info!(
            path = %self.path.display(),
            rotated_to = %rotated_path(&self.path, 1).display(),
            kept = keep,
            "metrics CSV rotated"
        );
        Ok(())
    }

    /// Appends rows durably (written and fsynced when this returns Ok).
    pub fn append(&mut self, rows: &[PodMetricsRow]) -> Result<(), CsvWriteError> {
        let path = self.path.display().to_string();
        let open_err = |source| CsvWriteError::Open {
            path: path.clone(),
            source,
        };
        self.buf.clear();
        for r in rows {
            r.write_csv_line(&mut self.buf);
        }
        if self.reopen_needed() {
            self.file = Some(open_for_append(&self.path).map_err(open_err)?);
        }
        // A file with rows that this batch would take past the limit is rotated first.
        if let Some((file, _, _)) = &self.file {
            let len = file.metadata().map(|m| m.len()).unwrap_or(0);
            let header = CSV_HEADER.len() as u64 + 1;
            let limit = self.rotation.max_file_bytes;
            if limit > 0 && len > header && len + self.buf.len() as u64 > limit {
                self.rotate().map_err(|source| CsvWriteError::Open {
                    path: path.clone(),
                    source,
                })?;
                self.file = Some(open_for_append(&self.path).map_err(open_err)?);
            }
        }
        let Some((file, _, _)) = self.file.as_mut() else {
            unreachable!("opened above")
        };
        let res = file
            .write_all(self.buf.as_bytes())
            .and_then(|_| file.sync_data());
        if let Err(source) = res {
            // Reopen next time: the handle may be bad (disk full, file removed).
            self.file = None;
            return Err(CsvWriteError::Append { path, source });
        }
        self.rows_written += rows.len() as u64;
        Ok(())
    }

    fn reopen_needed(&self) -> bool {
        let Some((_, dev, ino)) = &self.file else {
            return true;
        };
        match fs::metadata(&self.path) {
            Ok(m) => m.dev() != *dev || m.ino() != *ino,
            Err(_) => true,
        }
    }
}

/// Opens (creating) the CSV for appending; writes the header to a new or empty file, moves aside
/// a file with another header, and terminates a partial last line.
fn open_for_append(path: &Path) -> io::Result<(File, u64, u64)> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir)?;
    }
    if let Ok(mut existing) = File::open(path) {
        let mut first = String::new();
        let mut head = [0u8; 4096];
        let n = existing.read(&mut head)?;
        first.push_str(&String::from_utf8_lossy(&head[..n]));
        let header = first.lines().next().unwrap_or("");
        if n > 0 && header != CSV_HEADER && first.contains('\n') {
            let aside = path.with_extension(format!(
                "csv.{}.old",
                chrono::Utc::now().format("%Y%m%dT%H%M%S")
            ));
            tracing::warn!(
                path = %path.display(),
                moved_to = %aside.display(),
                "existing CSV has another header; moved it aside and starting a new file"
            );
            fs::rename(path, &aside)?;
        }
    }
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(path)?;
    let len = file.metadata()?.len();
    if len == 0 {
        file.write_all(CSV_HEADER.as_bytes())?;
        file.write_all(b"\n")?;
        file.sync_data()?;
    } else {
        let mut last = [0u8; 1];
        file.seek(SeekFrom::Start(len - 1))?;
        file.read_exact(&mut last)?;
        if last[0] != b'\n' {
            tracing::warn!(path = %path.display(), "CSV ended in a partial line (earlier crash?); terminating it");
            file.write_all(b"\n")?;
        }
    }
    let m = file.metadata()?;
    Ok((file, m.dev(), m.ino()))
}

pub struct CsvWriter {
    appender: CsvAppender,
    failing: bool,
    metrics: Arc<DaemonMetrics>,
}

impl CsvWriter {
    pub fn new(path: &Path, rotation: Rotation, metrics: Arc<DaemonMetrics>) -> CsvWriter {
        metrics.actor_known("csv_writer");
        metrics.file_known("csv");
        CsvWriter {
            metrics,
            appender: CsvAppender::rotating(path, rotation),
            failing: false,
        }
    }
}

impl Actor for CsvWriter {
    type Context = Context<Self>;
}

impl Supervised for CsvWriter {
    fn restarting(&mut self, _ctx: &mut Context<Self>) {
        self.metrics.actor_restarted("csv_writer");
        tracing::warn!("csv writer restarted by its supervisor");
    }
}

impl Handler<AppendRows> for CsvWriter {
    type Result = ();

    fn handle(&mut self, msg: AppendRows, ctx: &mut Context<Self>) {
        let _span = tracing::debug_span!("append_rows", rows = msg.0.len()).entered();
        match super::catch_panic(|| self.appender.append(&msg.0)) {
            Ok(Ok(())) => {
                if self.failing {
                    tracing::info!("appending to the CSV works again");
                    self.failing = false;
                }
            }
            Ok(Err(e)) => {
                self.metrics.write_failed("csv");
                if !self.failing {
                    tracing::error!(error = %e, "cannot append rows; they are dropped until it works again");
                    self.failing = true;
                }
            }
            Err(panic) => {
                tracing::error!(panic = %panic, "csv writer panicked; restarting it");
                ctx.stop();
            }
        }
    }
}

impl Handler<Shutdown> for CsvWriter {
    type Result = ();

    fn handle(&mut self, _: Shutdown, _ctx: &mut Context<Self>) {
        tracing::info!(rows = self.appender.rows_written, "csv writer done");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(i: i64) -> PodMetricsRow {
        let ts = chrono::DateTime::from_timestamp(1_700_000_000 + i, 0).unwrap();
        let mut r = PodMetricsRow::empty(ts, "ns", "pod-a");
        r.cpu_millicores = Some(i as f64);
        r
    }

    #[test]
    fn writes_header_once_and_appends() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.csv");
        let mut a = CsvAppender::new(&p);
        a.append(&[row(1)]).unwrap();
        let mut b = CsvAppender::new(&p); // a restart
        b.append(&[row(2), row(3)]).unwrap();
        let text = fs::read_to_string(&p).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0], CSV_HEADER);
        assert_eq!(lines[3], row(3).to_csv_line());
    }

    #[test]
    fn terminates_a_partial_last_line_and_follows_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.csv");
        fs::write(&p, format!("{CSV_HEADER}\n2026-01-01T00:00:00Z,ns,po")).unwrap();
        let mut a = CsvAppender::new(&p);
        a.append(&[row(1)]).unwrap();
        let text = fs::read_to_string(&p).unwrap();
        assert!(text.ends_with(&format!("ns,po\n{}\n", row(1).to_csv_line())));
        fs::rename(&p, dir.path().join("m.csv.1")).unwrap();
        a.append(&[row(2)]).unwrap();
        let text = fs::read_to_string(&p).unwrap();
        assert_eq!(text, format!("{CSV_HEADER}\n{}\n", row(2).to_csv_line()));
    }

    #[test]
    fn moves_aside_a_file_with_another_header() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.csv");
        fs::write(&p, "a,b,c\n1,2,3\n").unwrap();
        CsvAppender::new(&p).append(&[row(1)]).unwrap();
        assert!(fs::read_to_string(&p).unwrap().starts_with(CSV_HEADER));
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    /// The data lines (not headers) read by `tail` until it has nothing more, and whether each
    /// was flagged as processed before a restart.
    fn drain(tail: &mut crate::csv_input::CsvTail) -> Vec<(String, bool)> {
        let mut out = Vec::new();
        loop {
            let batch = tail.poll().unwrap();
            if batch.is_empty() {
                return out;
            }
            out.extend(batch.lines().map(|l| (l.text.clone(), l.already_processed)));
        }
    }

    fn line(i: i64) -> String {
        let mut s = String::new();
        row(i).write_csv_line(&mut s);
        s.trim_end().to_string()
    }

    #[test]
    fn rotation_keeps_max_files_and_the_tailer_reads_every_row_once() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.csv");
        let rotation = Rotation {
            max_file_bytes: 1200,
            max_files: 2,
        };
        let mut a = CsvAppender::rotating(&p, rotation);
        let mut tail = crate::csv_input::CsvTail::open(&p, None);
        let mut read = Vec::new();
        for i in 0..60 {
            a.append(&[row(2 * i), row(2 * i + 1)]).unwrap();
            // The reader keeps up only every third batch: rotations happen in between.
            if i % 3 == 0 {
                read.extend(drain(&mut tail));
            }
        }
        read.extend(drain(&mut tail));
        let texts: Vec<String> = read.iter().map(|(t, _)| t.clone()).collect();
        let want: Vec<String> = (0..120).map(line).collect();
        assert_eq!(texts, want, "every row once, in order");
        // At most max_files rotated files, each within the limit, each with the header.
        assert!(crate::csv_input::rotated_path(&p, 2).exists());
        assert!(!crate::csv_input::rotated_path(&p, 3).exists());
        for f in [p.clone(), crate::csv_input::rotated_path(&p, 1)] {
            let text = std::fs::read_to_string(&f).unwrap();
            assert!(
                text.len() as u64 <= rotation.max_file_bytes,
                "{}",
                f.display()
            );
            assert_eq!(text.lines().next(), Some(CSV_HEADER));
        }
    }

    #[test]
    fn a_restart_between_a_rotation_and_the_reader_loses_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.csv");
        let rotation = Rotation {
            max_file_bytes: 1200,
            max_files: 3,
        };
        let mut a = CsvAppender::rotating(&p, rotation);
        a.append(&[row(0), row(1)]).unwrap();
        let mut tail = crate::csv_input::CsvTail::open(&p, None);
        let first = drain(&mut tail);
        assert_eq!(first.len(), 2);
        // The reader stops here (its position saved); the writer goes on and rotates.
        let saved = tail.position();
        drop(tail);
        let mut i = 2;
        while !crate::csv_input::rotated_path(&p, 1).exists() {
            a.append(&[row(i)]).unwrap();
            i += 1;
        }
        a.append(&[row(i)]).unwrap();
        // Restarted: the rows scored before come back as history, the rest once, in order.
        let mut tail = crate::csv_input::CsvTail::open_with_history(&p, saved);
        let read = drain(&mut tail);
        let history: Vec<&str> = read
            .iter()
            .filter(|(_, old)| *old)
            .map(|(t, _)| t.as_str())
            .collect();
        let new: Vec<String> = read
            .iter()
            .filter(|(_, old)| !*old)
            .map(|(t, _)| t.clone())
            .collect();
        assert_eq!(history, [line(0), line(1)]);
        assert_eq!(new, (2..=i).map(line).collect::<Vec<_>>());
    }
}
