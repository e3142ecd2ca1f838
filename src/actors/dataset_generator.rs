//! DatasetGenerator: tails the metrics CSV (file notifications, with polling as the fallback and
//! the safety net), parses and validates the appended rows, and every `watch_interval` sends
//! them to the AnomalyModel; the scores go to the InsightsWriter.
//!
//! Exactly-once across restarts: the read position is persisted only after the rows before it
//! were scored and published. On start, the rows before the saved position are replayed to
//! rebuild the per-pod state without being scored again.

use super::anomaly_model::ScoreRows;
use super::insights_writer::PublishScores;
use super::Shutdown;
use crate::clock::Clock;
use crate::csv_input::{
    load_position, save_position, watch_file, CsvTail, FileWatch, FutureLimit, IngestStats, Layout,
    RowParser, TailEvent, TailPosition, Tailed,
};
use crate::metrics_row::PodMetricsRow;
use crate::service::telemetry::DaemonMetrics;
use crate::settings::Settings;
use actix::prelude::*;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Bad rows logged one by one per minute; beyond that they are only counted and summarised.
const BAD_ROWS_LOGGED_PER_MINUTE: u64 = 10;
/// Rows replayed to the model in one message during warm-up.
const REPLAY_CHUNK_ROWS: usize = 50_000;

#[derive(Debug, Clone)]
pub struct DatasetGeneratorOptions {
    pub csv_path: PathBuf,
    pub offset_file: PathBuf,
    pub watch_interval: Duration,
    pub poll_interval: Duration,
    pub max_clock_skew: Duration,
    /// Namespace for rows of the original system's CSV, which has none.
    pub legacy_namespace: String,
}

impl DatasetGeneratorOptions {
    pub fn from_settings(s: &Settings) -> DatasetGeneratorOptions {
        DatasetGeneratorOptions {
            csv_path: s.collector.output_file.clone(),
            offset_file: s.dataset_generator.offset_file.clone(),
            watch_interval: s.dataset_generator.watch_interval,
            poll_interval: s.dataset_generator.poll_interval,
            max_clock_skew: s.dataset_generator.max_clock_skew,
            legacy_namespace: if s.collector.namespace == "all" {
                "default".to_string()
            } else {
                s.collector.namespace.clone()
            },
        }
    }
}

/// A reload: how often rows are read and scored, and how far ahead of the clock a row may be.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Reconfigure {
    pub watch_interval: Duration,
    pub poll_interval: Duration,
    pub max_clock_skew: Duration,
}

/// Consecutive data lines of one file.
#[derive(Debug, Clone, Copy)]
struct LineRange {
    first: u64,
    last: u64,
    rows: u64,
}

/// The file may have changed (from the watcher thread).
#[derive(Debug, Message)]
#[rtype(result = "()")]
struct FileChanged;

pub struct DatasetGenerator {
    opts: DatasetGeneratorOptions,
    tail: CsvTail,
    parser: Option<RowParser>,
    stats: IngestStats,
    replay: Vec<PodMetricsRow>,
    pending: Vec<PodMetricsRow>,
    /// Line ranges of the rows in `pending`, one per file (a rotation starts a new one): the
    /// audit log of what was scored.
    pending_lines: Vec<LineRange>,
    /// Read position after the last line read; saved once everything before it is scored.
    read_position: Option<TailPosition>,
    saved_position: Option<TailPosition>,
    model: Recipient<ScoreRows>,
    insights: Recipient<PublishScores>,
    _watch: Option<FileWatch>,
    /// A rotation or truncation was seen since the last row: line numbers start over.
    new_file_started: bool,
    scoring: bool,
    rows_scored: u64,
    bad_rows_logged: u64,
    stats_window_start: Instant,
    stats_at_window_start: IngestStats,
    metrics: Arc<DaemonMetrics>,
    /// Wall time, for the lag from a row's collection to its verdict.
    clock: Arc<dyn Clock>,
    /// The read and score timers, replaced when their intervals change.
    timers: Vec<SpawnHandle>,
    /// Whether persisting the read position failed last time (logged once per change).
    offset_failing: bool,
}

impl DatasetGenerator {
    pub fn new(
        opts: DatasetGeneratorOptions,
        model: Recipient<ScoreRows>,
        insights: Recipient<PublishScores>,
        metrics: Arc<DaemonMetrics>,
        clock: Arc<dyn Clock>,
    ) -> DatasetGenerator {
        metrics.actor_known("dataset_generator");
        metrics.file_known("offset");
        let saved = match load_position(&opts.offset_file) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the saved read position; reading the CSV from the start");
                None
            }
        };
        let tail = match &saved {
            Some(pos) => CsvTail::open_with_history(&opts.csv_path, pos.clone()),
            None => CsvTail::open(&opts.csv_path, None),
        };
        DatasetGenerator {
            opts,
            tail,
            parser: None,
            stats: IngestStats::default(),
            replay: Vec::new(),
            pending: Vec::new(),
            pending_lines: Vec::new(),
            read_position: None,
            saved_position: saved,
            model,
            insights,
            _watch: None,
            new_file_started: false,
            scoring: false,
            rows_scored: 0,
            bad_rows_logged: 0,
            stats_window_start: Instant::now(),
            stats_at_window_start: IngestStats::default(),
            metrics,
            clock,
            timers: Vec::new(),
            offset_failing: false,
        }
    }

    /// Reads everything appended since the last read.
    fn read_new(&mut self) {
        let file = self.opts.csv_path.display().to_string();
        // Counted once per read, not per row: the counter is shared with every scrape.
        let mut ingested = 0;
        let limit = FutureLimit {
            now: self.clock.now(),
            skew: self.opts.max_clock_skew,
        };
        if let Some(parser) = self.parser.as_mut() {
            parser.set_future_limit(Some(limit));
        }
        loop {
            let batch = match self.tail.poll() {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(file = %file, error = %e, "reading the metrics CSV failed; retrying");
                    self.metrics.rows_ingested(ingested);
                    return;
                }
            };
            for item in batch.items {
                match item {
                    Tailed::Event(TailEvent::Header(h)) => self.use_header(&file, &h),
                    Tailed::Event(e) => {
                        if matches!(
                            e,
                            TailEvent::Rotated
                                | TailEvent::Truncated
                                | TailEvent::ResumeReset { .. }
                        ) {
                            self.new_file_started = true;
                        }
                        tracing::warn!(file = %file, event = ?e, "metrics CSV changed under us");
                    }
                    Tailed::Line(line) => {
                        let Some(parser) = self.parser.as_mut() else {
                            if !line.already_processed {
                                self.metrics.row_rejected("unknown_header");
                            }
                            self.stats.rows_skipped += 1;
                            *self
                                .stats
                                .skipped_by_reason
                                .entry("unknown_header")
                                .or_default() += 1;
                            continue;
                        };
                        let result = parser.parse(line.no, &line.text);
                        // Values that cannot be measurements empty their field; the row stays.
                        self.stats.record_emptied(parser.emptied());
                        if !line.already_processed {
                            for e in parser.emptied() {
                                self.metrics
                                    .field_emptied(e.field().unwrap_or("unknown"), e.reason());
                                if self.bad_rows_logged < BAD_ROWS_LOGGED_PER_MINUTE {
                                    self.bad_rows_logged += 1;
                                    tracing::warn!(
                                        "{file}:{}: {e}; the field is read as empty, the row kept",
                                        line.no
                                    );
                                }
                            }
                        }
                        self.stats.record(&result);
                        match result {
                            Ok(row) if line.already_processed => self.replay.push(row),
                            Ok(row) => {
                                ingested += 1;
                                self.pending.push(row);
                                match self.pending_lines.last_mut() {
                                    Some(r) if !self.new_file_started => {
                                        r.last = line.no;
                                        r.rows += 1;
                                    }
                                    _ => self.pending_lines.push(LineRange {
                                        first: line.no,
                                        last: line.no,
                                        rows: 1,
                                    }),
                                }
                                self.new_file_started = false;
                            }
                            Err(e) => {
                                if !line.already_processed {
                                    self.metrics.row_rejected(e.reason());
                                }
                                if !line.already_processed
                                    && self.bad_rows_logged < BAD_ROWS_LOGGED_PER_MINUTE
                                {
                                    self.bad_rows_logged += 1;
                                    tracing::warn!("skipping bad row: {e}");
                                }
                            }
                        }
                    }
                }
            }
            if self.replay.len() >= REPLAY_CHUNK_ROWS {
                self.send_replay();
            }
            if !batch.more {
                break;
            }
        }
        self.metrics.rows_ingested(ingested);
        self.read_position = Some(self.tail.position());
        self.log_stats_every_minute();
    }

    fn use_header(&mut self, file: &str, header: &str) {
        match Layout::detect(file, header, &self.opts.legacy_namespace) {
            Ok(layout) => {
                if matches!(layout, Layout::Legacy(_)) {
                    tracing::info!(file, "reading the original system's 28-column CSV layout");
                }
                match self.parser.as_mut() {
                    Some(p) => p.set_layout(layout),
                    None => {
                        let mut parser = RowParser::new(file.to_string(), layout);
                        parser.set_future_limit(Some(FutureLimit {
                            now: self.clock.now(),
                            skew: self.opts.max_clock_skew,
                        }));
                        self.parser = Some(parser);
                    }
                }
            }
            Err(e) => {
                tracing::error!("{e}; its rows are skipped until the header is fixed");
                self.parser = None;
            }
        }
    }

    /// Replayed rows rebuild state only; the model gets them before any new rows (mailbox order).
    fn send_replay(&mut self) {
        if self.replay.is_empty() {
            return;
        }
        let replay = std::mem::take(&mut self.replay);
        tracing::info!(
            rows = replay.len(),
            "replaying rows scored before the restart to rebuild pod history"
        );
        self.model.do_send(ScoreRows {
            replay,
            rows: Vec::new(),
        });
    }

    /// Sends the rows read so far for scoring, unless a pass is still running.
    fn score_pending(&mut self, ctx: &mut Context<Self>) {
        if self.scoring {
            return;
        }
        self.send_replay();
        let Some(position) = self.read_position.clone() else {
            return;
        };
        if self.pending.is_empty() {
            // Only bad rows or nothing: move the saved position past them.
            self.save(position);
            return;
        }
        let rows = std::mem::take(&mut self.pending);
        let lines = std::mem::take(&mut self.pending_lines);
        let n = rows.len();
        let oldest = rows.iter().map(|r| r.timestamp).min();
        let started = Instant::now();
        self.scoring = true;
        self.model
            .send(ScoreRows {
                replay: Vec::new(),
                rows,
            })
            .into_actor(self)
            .map(move |res, act, _ctx| {
                act.scoring = false;
                if matches!(res, Ok(Ok(_))) {
                    act.observe_batch(started, oldest);
                }
                act.handle_scored(res, n, lines, position);
            })
            .spawn(ctx);
    }

    fn handle_scored(
        &mut self,
        res: Result<
            Result<super::anomaly_model::ScoredRows, super::anomaly_model::ScoringFailed>,
            MailboxError,
        >,
        n: usize,
        lines: Vec<LineRange>,
        position: TailPosition,
    ) {
        match res {
            Ok(Ok(scored)) => {
                self.rows_scored += n as u64;
                // The line ranges make exactly-once scoring auditable from the log.
                for r in &lines {
                    tracing::debug!(
                        rows = r.rows,
                        first_line = r.first,
                        last_line = r.last,
                        pods = scored.pods_tracked,
                        "scored rows"
                    );
                }
                if let Some(parser) = self.parser.as_mut() {
                    for k in &scored.evicted {
                        parser.forget_pod(&k.namespace, &k.pod);
                    }
                }
                self.insights.do_send(PublishScores {
                    scores: scored.scores,
                    evicted: scored.evicted,
                    incidents: None,
                });
            }
            // The rows are not retried: a row that crashes the model would crash it forever.
            Ok(Err(e)) => tracing::error!("{e}; these rows are skipped"),
            Err(e) => {
                tracing::error!(rows = n, error = %e, "the anomaly model is unavailable; these rows are skipped")
            }
        }
        self.save(position);
    }

    /// The batch's scoring time and its lag: from its oldest row's collection to now.
    fn observe_batch(&self, started: Instant, oldest: Option<chrono::DateTime<chrono::Utc>>) {
        let now = self.clock.now();
        let lag = oldest.map(|t| (now - t).as_seconds_f64());
        let now_secs = now.timestamp_micros() as f64 / 1e6;
        self.metrics
            .batch_scored(started.elapsed().as_secs_f64(), lag, now_secs);
    }

    fn save(&mut self, position: TailPosition) {
        if self.saved_position.as_ref() == Some(&position) {
            return;
        }
        match save_position(&self.opts.offset_file, &position) {
            Ok(()) => {
                if self.offset_failing {
                    tracing::info!("persisting the read position works again");
                    self.offset_failing = false;
                }
                self.saved_position = Some(position)
            }
            Err(e) => {
                self.metrics.write_failed("offset");
                if !self.offset_failing {
                    tracing::error!(
                        error = %e,
                        "cannot persist the read position; a restart would re-read from the \
                         last saved one (said once until it works again)"
                    );
                    self.offset_failing = true;
                }
            }
        }
    }

    fn log_stats_every_minute(&mut self) {
        if self.stats_window_start.elapsed() < Duration::from_secs(60) {
            return;
        }
        let skipped = self.stats.rows_skipped - self.stats_at_window_start.rows_skipped;
        if skipped > 0 {
            tracing::warn!(
                skipped,
                total_skipped = self.stats.rows_skipped,
                by_reason = ?self.stats.skipped_by_reason,
                "bad rows skipped in the last minute"
            );
        }
        self.stats_at_window_start = self.stats.clone();
        self.stats_window_start = Instant::now();
        self.bad_rows_logged = 0;
    }
}

impl Actor for DatasetGenerator {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        // The directory must exist to be watched; the writer may not have created it yet.
        if let Some(dir) = self
            .opts
            .csv_path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            if let Err(e) = std::fs::create_dir_all(dir) {
                tracing::warn!(dir = %dir.display(), error = %e, "cannot create the data directory");
            }
        }
        let addr = ctx.address();
        match watch_file(&self.opts.csv_path, self.opts.poll_interval, move || {
            addr.do_send(FileChanged)
        }) {
            Ok(w) => self._watch = Some(w),
            Err(e) => tracing::warn!(error = %e, "no file notifications; polling only"),
        }
        tracing::info!(
            csv = %self.opts.csv_path.display(),
            resume = ?self.saved_position.as_ref().map(|p| p.offset),
            "dataset generator started"
        );
        self.read_new();
        self.start_timers(ctx);
    }
}

impl DatasetGenerator {
    fn start_timers(&mut self, ctx: &mut Context<Self>) {
        for t in self.timers.drain(..) {
            ctx.cancel_future(t);
        }
        self.timers = vec![
            ctx.run_interval(self.opts.poll_interval, |act, _| act.read_new()),
            ctx.run_interval(self.opts.watch_interval, |act, ctx| act.score_pending(ctx)),
        ];
    }
}

impl Handler<Reconfigure> for DatasetGenerator {
    type Result = ();

    fn handle(&mut self, msg: Reconfigure, ctx: &mut Context<Self>) {
        self.opts.watch_interval = msg.watch_interval;
        self.opts.poll_interval = msg.poll_interval;
        self.opts.max_clock_skew = msg.max_clock_skew;
        // The file watch's own polling fallback keeps its period until the next restart.
        self.start_timers(ctx);
    }
}

impl Supervised for DatasetGenerator {
    fn restarting(&mut self, _ctx: &mut Context<Self>) {
        self.metrics.actor_restarted("dataset_generator");
        tracing::warn!("dataset generator restarted by its supervisor");
        self.scoring = false;
    }
}

impl Handler<FileChanged> for DatasetGenerator {
    type Result = ();

    fn handle(&mut self, _: FileChanged, _ctx: &mut Context<Self>) {
        self.read_new();
    }
}

impl Handler<Shutdown> for DatasetGenerator {
    type Result = ResponseActFuture<Self, ()>;

    /// Reads what is left, scores it, publishes it and saves the position.
    fn handle(&mut self, _: Shutdown, _ctx: &mut Context<Self>) -> Self::Result {
        self.read_new();
        let replay = std::mem::take(&mut self.replay);
        let rows = std::mem::take(&mut self.pending);
        let lines = std::mem::take(&mut self.pending_lines);
        let position = self.read_position.clone();
        let n = rows.len();
        Box::pin(
            self.model
                .send(ScoreRows { replay, rows })
                .into_actor(self)
                .map(move |res, act, _ctx| {
                    if let Some(position) = position {
                        act.handle_scored(res, n, lines, position);
                    }
                    tracing::info!(
                        rows_scored = act.rows_scored,
                        rows_skipped = act.stats.rows_skipped,
                        "dataset generator done"
                    );
                }),
        )
    }
}
