//! Follows one growing CSV file, returning only complete lines appended since the last poll.
//!
//! Crash safety: [`CsvTail::position`] is the point just after the last complete line handed
//! out; the caller persists it (with [`save_position`](super::save_position)) once it has
//! processed those lines, and resumes from it after a restart with no line lost or read twice.
//!
//! What the tailer copes with:
//! - a partial last line (no `\n` yet) is held back until it is complete; CRLF is accepted;
//! - truncation (the open file is shorter than what was read) restarts at offset 0;
//! - rotation (the path now names another file, by device + inode) first drains the old open
//!   handle to its end, so rows written just before the rename are kept, then switches to the
//!   new file from offset 0; while the path is missing the old handle keeps being drained;
//! - a missing file is not an error: polls return nothing until it appears;
//! - a line longer than [`MAX_LINE_BYTES`] is skipped (reported), memory stays bounded;
//! - one poll reads at most `max_batch_bytes` (a huge backlog comes in several batches).
//!
//! Line 1 of each file is its header: it is reported as [`TailEvent::Header`], not as a line.
//! After resuming mid-file the saved header is reported the same way first, so the caller
//! always learns the layout from that event. Blank lines are not records and are skipped.
//!
//! Warm-up: [`CsvTail::open_with_history`] re-reads the file from the start and flags the
//! lines that end at or before the saved position `already_processed`, so the caller can
//! rebuild per-pod history from rows it already scored without scoring them again; if the
//! saved position no longer matches the file, no line is flagged.

use super::tail_position::TailPosition;
use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// `NAME.k`, the k-th newest rotated file of `path` (the CSV writer's rotation scheme).
pub fn rotated_path(path: &Path, k: usize) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(format!(".{k}"));
    PathBuf::from(name)
}

/// Lines longer than this (without their newline) are skipped.
pub const MAX_LINE_BYTES: usize = 1 << 20;
/// Default cap on the bytes one [`CsvTail::poll`] reads.
pub const DEFAULT_MAX_BATCH_BYTES: u64 = 16 << 20;
const READ_CHUNK: usize = 64 << 10;

/// One complete line of the file, without its line terminator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// 1-based line number in the file (the header is line 1).
    pub no: u64,
    /// The text; invalid UTF-8 is replaced by U+FFFD (the parser then rejects the row).
    pub text: String,
    /// Only with [`CsvTail::open_with_history`]: the line was processed before the restart.
    pub already_processed: bool,
}

/// Something that happened to the file, in order with the lines around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TailEvent {
    /// Line 1 of the file (or the saved header, after resuming mid-file).
    Header(String),
    /// The file got shorter than what was read: reading restarts at offset 0.
    Truncated,
    /// The path now names another file: the old one was drained, the new one starts at 0.
    Rotated,
    /// The saved position did not fit the file, which is read from the start.
    ResumeReset { reason: &'static str },
    /// Line `no` exceeded [`MAX_LINE_BYTES`] and was skipped.
    LineTooLong { no: u64 },
    /// The rotated-away file ended in line `no` without a newline; it was dropped.
    IncompleteLineDropped { no: u64 },
}

/// A line or an event, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tailed {
    Line(Line),
    Event(TailEvent),
}

/// The result of one poll.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TailBatch {
    pub items: Vec<Tailed>,
    /// The batch-size cap was reached: poll again for the rest.
    pub more: bool,
}

impl TailBatch {
    pub fn lines(&self) -> impl Iterator<Item = &Line> {
        self.items.iter().filter_map(|t| match t {
            Tailed::Line(l) => Some(l),
            Tailed::Event(_) => None,
        })
    }

    pub fn events(&self) -> impl Iterator<Item = &TailEvent> {
        self.items.iter().filter_map(|t| match t {
            Tailed::Event(e) => Some(e),
            Tailed::Line(_) => None,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileId {
    dev: u64,
    inode: u64,
}

struct OpenFile {
    file: File,
    id: FileId,
}

/// Tails one file; see the module documentation.
pub struct CsvTail {
    path: PathBuf,
    open: Option<OpenFile>,
    /// Offset just after the last complete line handed out.
    offset: u64,
    /// Offset up to which the file has been read (`offset` + partial line).
    read_pos: u64,
    next_line_no: u64,
    header: Option<String>,
    /// Bytes of the incomplete line after `offset` (empty while `discarding`).
    pending: Vec<u8>,
    /// Skipping the rest of an over-long line.
    discarding: bool,
    /// A saved position to apply when the file is first opened.
    resume: Option<TailPosition>,
    replay_history: bool,
    /// While replaying history: the saved position, until reading passes it.
    replay_until: Option<TailPosition>,
    max_batch_bytes: u64,
    buf: Vec<u8>,
}

impl std::fmt::Debug for CsvTail {
    // By hand: the read buffer and a held partial line can be megabytes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvTail")
            .field("path", &self.path)
            .field("open", &self.open.as_ref().map(|o| o.id))
            .field("offset", &self.offset)
            .field("read_pos", &self.read_pos)
            .field("next_line_no", &self.next_line_no)
            .field("pending_bytes", &self.pending.len())
            .field("discarding", &self.discarding)
            .finish_non_exhaustive()
    }
}

impl CsvTail {
    /// Tails `path`, continuing at `resume` if it still fits the file (same device + inode,
    /// file at least that long, a line boundary there), otherwise from the start with a
    /// warning and a [`TailEvent::ResumeReset`]. The file is opened by the first poll.
    pub fn open(path: impl Into<PathBuf>, resume: Option<TailPosition>) -> CsvTail {
        CsvTail {
            path: path.into(),
            open: None,
            offset: 0,
            read_pos: 0,
            next_line_no: 1,
            header: None,
            pending: Vec::new(),
            discarding: false,
            resume,
            replay_history: false,
            replay_until: None,
            max_batch_bytes: DEFAULT_MAX_BATCH_BYTES,
            buf: Vec::new(),
        }
    }

    /// Like [`CsvTail::open`], but reads the file from the start and flags the lines up to
    /// `resume` as [`Line::already_processed`] (warm-up without re-scoring).
    pub fn open_with_history(path: impl Into<PathBuf>, resume: TailPosition) -> CsvTail {
        let mut tail = CsvTail::open(path, Some(resume));
        tail.replay_history = true;
        tail
    }

    /// Caps the bytes read by one poll (at least 1).
    pub fn with_max_batch_bytes(mut self, max: u64) -> CsvTail {
        self.max_batch_bytes = max.max(1);
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The current file's header, once known.
    pub fn header(&self) -> Option<&str> {
        self.header.as_deref()
    }

    /// The position just after the last complete line returned so far. While history is
    /// being replayed this stays at the saved position, so persisting it never moves back.
    pub fn position(&self) -> TailPosition {
        if self.open.is_none() {
            if let Some(saved) = &self.resume {
                return saved.clone();
            }
        }
        if let Some(saved) = &self.replay_until {
            if self.offset < saved.offset {
                return saved.clone();
            }
        }
        let id = self
            .open
            .as_ref()
            .map_or(FileId { dev: 0, inode: 0 }, |o| o.id);
        TailPosition {
            dev: id.dev,
            inode: id.inode,
            offset: self.offset,
            next_line_no: self.next_line_no,
            header: self.header.clone(),
        }
    }

    /// Bytes held for an incomplete line (memory-bound checks in tests).
    #[cfg(test)]
    pub(crate) fn held_bytes(&self) -> usize {
        self.pending.capacity()
    }

    /// Reads what was appended since the last poll.
    pub fn poll(&mut self) -> io::Result<TailBatch> {
        let mut batch = TailBatch::default();
        let mut budget = self.max_batch_bytes;
        if self.open.is_none() {
            self.try_open(&mut batch)?;
            if self.open.is_none() {
                return Ok(batch);
            }
        }
        let at_path = match fs::metadata(&self.path) {
            Ok(m) => Some(file_id(&m)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        let current = self.open.as_ref().map(|o| o.id);
        if at_path.is_some() && at_path != current {
            // Rotated: finish the old file first, then switch.
            if !self.read_available(&mut batch, &mut budget)? {
                batch.more = true;
                return Ok(batch);
            }
            if self.discarding || !self.pending.is_empty() {
                batch.push_event(TailEvent::IncompleteLineDropped {
                    no: self.next_line_no,
                });
            }
            batch.push_event(TailEvent::Rotated);
            tracing::info!(path = %self.path.display(), "metrics file rotated; reading the new file");
            self.open = None;
            self.reset_to_start();
            self.try_open(&mut batch)?;
            if self.open.is_none() {
                return Ok(batch);
            }
        }
        let len = match &self.open {
            Some(open) => open.file.metadata()?.len(),
            None => return Ok(batch),
        };
        if len < self.read_pos {
            tracing::warn!(path = %self.path.display(), "metrics file truncated; reading it from the start");
            batch.push_event(TailEvent::Truncated);
            self.reset_to_start();
        }
        if !self.read_available(&mut batch, &mut budget)? {
            batch.more = true;
        }
        Ok(batch)
    }

    fn reset_to_start(&mut self) {
        self.offset = 0;
        self.read_pos = 0;
        self.next_line_no = 1;
        self.header = None;
        self.pending.clear();
        self.discarding = false;
        self.replay_until = None;
    }

    /// Opens the file if it exists, applying a pending resume position. When the saved
    /// position is in the file rotated to `NAME.1` since (a stop between the writer's rotation
    /// and the reader's switch), that file is opened to be drained first: the next poll sees
    /// the path name another file and switches, as after a live rotation.
    fn try_open(&mut self, batch: &mut TailBatch) -> io::Result<()> {
        let rotated = self.resume.as_ref().and_then(|saved| {
            let here = fs::metadata(&self.path).ok().map(|m| file_id(&m));
            let saved_id = FileId {
                dev: saved.dev,
                inode: saved.inode,
            };
            let moved = saved.offset > 0 && here != Some(saved_id);
            let candidate = rotated_path(&self.path, 1);
            (moved && fs::metadata(&candidate).ok().map(|m| file_id(&m)) == Some(saved_id))
                .then_some(candidate)
        });
        if let Some(path) = &rotated {
            tracing::info!(
                path = %path.display(),
                "resuming in the rotated file before reading the new one"
            );
        }
        let file = match File::open(rotated.as_deref().unwrap_or(&self.path)) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        let meta = file.metadata()?;
        let id = file_id(&meta);
        self.reset_to_start();
        if let Some(saved) = self.resume.take() {
            match resume_fits(&file, id, meta.len(), &saved)? {
                Ok(()) if self.replay_history => self.replay_until = Some(saved),
                Ok(()) => {
                    self.offset = saved.offset;
                    self.read_pos = saved.offset;
                    self.next_line_no = saved.next_line_no;
                    self.header = saved.header;
                    if let Some(h) = &self.header {
                        batch.push_event(TailEvent::Header(h.clone()));
                    }
                }
                Err(reason) => {
                    tracing::warn!(path = %self.path.display(), reason, "cannot resume at the saved position; reading the file from the start");
                    batch.push_event(TailEvent::ResumeReset { reason });
                }
            }
        }
        self.open = Some(OpenFile { file, id });
        Ok(())
    }

    /// Reads from `read_pos` to the end of the open file or until `budget` is spent.
    /// Returns whether the end was reached.
    fn read_available(&mut self, batch: &mut TailBatch, budget: &mut u64) -> io::Result<bool> {
        let Some(mut open) = self.open.take() else {
            return Ok(true);
        };
        let result = self.read_from(&mut open.file, batch, budget);
        self.open = Some(open);
        result
    }

    fn read_from(
        &mut self,
        file: &mut File,
        batch: &mut TailBatch,
        budget: &mut u64,
    ) -> io::Result<bool> {
        file.seek(SeekFrom::Start(self.read_pos))?;
        let mut buf = std::mem::take(&mut self.buf);
        buf.resize(READ_CHUNK, 0);
        let result = loop {
            if *budget == 0 {
                break Ok(false);
            }
            let want = (READ_CHUNK as u64).min(*budget) as usize;
            match file.read(&mut buf[..want]) {
                Ok(0) => break Ok(true),
                Ok(n) => {
                    *budget -= n as u64;
                    self.consume(&buf[..n], batch);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        self.buf = buf;
        result
    }

    /// Splits freshly read bytes into lines, keeping an incomplete tail in `pending`.
    fn consume(&mut self, chunk: &[u8], batch: &mut TailBatch) {
        let mut rest = chunk;
        while let Some(nl) = rest.iter().position(|&b| b == b'\n') {
            let piece = &rest[..nl];
            let no = self.next_line_no;
            let end = self.read_pos + nl as u64 + 1;
            if self.discarding {
                self.discarding = false;
            } else if self.pending.len() + piece.len() > MAX_LINE_BYTES {
                batch.push_event(TailEvent::LineTooLong { no });
            } else if self.pending.is_empty() {
                self.emit(no, piece, end, batch);
            } else {
                let mut line = std::mem::take(&mut self.pending);
                line.extend_from_slice(piece);
                self.emit(no, &line, end, batch);
                self.pending = line;
            }
            self.pending.clear();
            self.read_pos = end;
            self.offset = end;
            self.next_line_no += 1;
            rest = &rest[nl + 1..];
        }
        if !self.discarding {
            if self.pending.len() + rest.len() > MAX_LINE_BYTES {
                batch.push_event(TailEvent::LineTooLong {
                    no: self.next_line_no,
                });
                self.pending = Vec::new(); // give the megabyte back
                self.discarding = true;
            } else {
                self.pending.extend_from_slice(rest);
            }
        }
        self.read_pos += rest.len() as u64;
    }

    fn emit(&mut self, no: u64, bytes: &[u8], end: u64, batch: &mut TailBatch) {
        let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        let text = String::from_utf8_lossy(bytes).into_owned();
        if no == 1 {
            self.header = Some(text.clone());
            batch.push_event(TailEvent::Header(text));
            return;
        }
        if text.is_empty() {
            return;
        }
        let already_processed = self.replay_until.as_ref().is_some_and(|p| end <= p.offset);
        batch.items.push(Tailed::Line(Line {
            no,
            text,
            already_processed,
        }));
    }
}

impl TailBatch {
    fn push_event(&mut self, e: TailEvent) {
        self.items.push(Tailed::Event(e));
    }
}

/// Whether a saved position can be continued in this file; `Err(reason)` if not.
fn resume_fits(
    file: &File,
    id: FileId,
    len: u64,
    saved: &TailPosition,
) -> io::Result<Result<(), &'static str>> {
    if saved.offset == 0 {
        return Ok(Ok(())); // nothing was read: any file starts there
    }
    if saved.dev != id.dev || saved.inode != id.inode {
        return Ok(Err(
            "the path now names another file (device/inode changed)",
        ));
    }
    if len < saved.offset {
        return Ok(Err("the file is shorter than the saved offset"));
    }
    if saved.header.is_none() || saved.next_line_no < 2 {
        return Ok(Err("the saved position is inconsistent"));
    }
    // The byte before the offset must end a line, or the file was rewritten in place.
    let mut f = file;
    f.seek(SeekFrom::Start(saved.offset - 1))?;
    let mut last = [0u8; 1];
    f.read_exact(&mut last)?;
    if last[0] != b'\n' {
        return Ok(Err("the saved offset is not at a line boundary"));
    }
    Ok(Ok(()))
}

#[cfg(unix)]
fn file_id(meta: &fs::Metadata) -> FileId {
    use std::os::unix::fs::MetadataExt;
    FileId {
        dev: meta.dev(),
        inode: meta.ino(),
    }
}

/// Without device/inode numbers rotation is seen only as truncation.
#[cfg(not(unix))]
fn file_id(_meta: &fs::Metadata) -> FileId {
    FileId { dev: 0, inode: 0 }
}
