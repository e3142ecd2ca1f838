//! Shared plumbing for driving the real `k8s-monitor` binary: a clean child environment,
//! bounded waits, a guard that always kills the daemon, and parsers for its logs and files.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The binary cargo built for this test target.
pub const BIN: &str = env!("CARGO_BIN_EXE_k8s-monitor");

/// The canonical CSV the daemon writes, relative to its working directory.
pub const CSV: &str = "data/pod_metrics.csv";
pub const INSIGHTS: &str = "data/pod_insights.json";
pub const OFFSET: &str = "data/pod_metrics.offset.json";

/// How often bounded waits look again. Short: the daemon's intervals are sub-second here.
const POLL_EVERY: Duration = Duration::from_millis(50);

/// A command for the binary, run in `dir`, with no `K8S_MONITOR_*` variable inherited from the
/// developer's shell (they would change settings, or fail validation as unknown keys).
pub fn command(dir: &Path) -> Command {
    assert_binary_matches_library();
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir).stdin(Stdio::null());
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("K8S_MONITOR_") {
            cmd.env_remove(&name);
        }
    }
    // Colours would only have to be stripped again; the parsers below cope either way.
    cmd.env("NO_COLOR", "1");
    // Tests run daemons side by side: each endpoint on a port of its own, read back from the
    // log by [`Daemon::endpoint`].
    cmd.env("K8S_MONITOR_SERVER__LISTEN", "127.0.0.1:0");
    cmd
}

/// Fails fast if [`BIN`] was not built from the sources this test links against.
///
/// The build directory is shared between worktrees, and `target/debug/k8s-monitor` is
/// re-linked by whichever worktree built last, possibly while these tests run. Comparing the
/// binary's built-in defaults with the library's catches the common case (another branch
/// changed a default) instead of silently testing someone else's binary.
fn assert_binary_matches_library() {
    static CHECK: std::sync::Once = std::sync::Once::new();
    CHECK.call_once(|| {
        let empty = tempfile::tempdir().expect("tempdir");
        let mut cmd = Command::new(BIN);
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("K8S_MONITOR_") {
                cmd.env_remove(&name);
            }
        }
        let out = cmd
            .current_dir(empty.path())
            .args(["run", "--print-config"])
            .output()
            .expect("run k8s-monitor --print-config");
        let printed = String::from_utf8_lossy(&out.stdout);
        let expected = k8s_monitor::settings::Settings::default().describe();
        assert_eq!(
            printed.trim_end(),
            expected.trim_end(),
            "{BIN} does not print this library's defaults: it was built from another \
             worktree's sources (shared CARGO_TARGET_DIR). Re-run cargo test to re-link it."
        );
    });
}

/// The committed default model (tests run in temporary directories, where the default
/// relative `models/model_artifacts` does not exist).
pub const MODEL_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/models/model_artifacts");

/// Environment that makes the simulated daemon produce, score and fault within seconds.
pub fn fast_env(cmd: &mut Command) -> &mut Command {
    cmd.env("K8S_MONITOR_ANOMALY_MODEL__MODEL_DIR", MODEL_DIR)
        .env("K8S_MONITOR_SIMULATOR__FIRST_FAULT_AFTER", "1s")
        .env("K8S_MONITOR_SIMULATOR__PODS", "20")
        .env("K8S_MONITOR_DATASET_GENERATOR__POLL_INTERVAL", "100ms")
        .env("K8S_MONITOR_LOG", "k8s_monitor=debug")
}

/// Flags for fast collection and scoring.
pub const FAST_FLAGS: [&str; 4] = ["--generator-interval", "0.2", "--watch-interval", "0.5"];

/// Polls `probe` until it returns `Some`, or panics naming `what` after `limit`.
pub fn wait_until<T>(limit: Duration, what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(POLL_EVERY);
    }
}

/// A running daemon whose stderr goes to `log`. Dropping it kills the process, so a failed
/// assertion never leaves a daemon behind.
pub struct Daemon {
    child: Child,
    pub log: PathBuf,
}

impl Daemon {
    /// Starts `cmd` (from [`command`]) with stderr appended to `log`.
    pub fn spawn(mut cmd: Command, log: &Path) -> Daemon {
        let stderr = OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("create the log file");
        let child = cmd
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("start k8s-monitor");
        Daemon {
            child,
            log: log.to_path_buf(),
        }
    }

    /// Starts `k8s-monitor run` in `dir` with [`fast_env`], [`FAST_FLAGS`] and `extra` flags.
    pub fn run_fast(dir: &Path, log_name: &str, extra: &[&str]) -> Daemon {
        let mut cmd = command(dir);
        fast_env(&mut cmd).arg("run").args(FAST_FLAGS).args(extra);
        Daemon::spawn(cmd, &dir.join(log_name))
    }

    pub fn log_text(&self) -> String {
        read_log(&self.log)
    }

    /// The address of the HTTP endpoint, once the daemon has logged it.
    pub fn endpoint(&mut self, limit: Duration) -> String {
        wait_until(limit, "the HTTP endpoint's address in the log", || {
            self.assert_alive();
            let log = self.log_text();
            let (_, rest) = log.split_once("HTTP endpoint listening on http://")?;
            rest.split_once('/').map(|(addr, _)| addr.to_string())
        })
    }

    /// Scored batches logged so far (with `rows > 0`).
    pub fn batches(&self) -> Vec<ScoredBatch> {
        scored_batches(&self.log_text())
    }

    /// Waits until at least `n` batches were scored; fails early if the daemon died.
    pub fn wait_for_batches(&mut self, n: usize, limit: Duration) {
        wait_until(limit, &format!("{n} scored batches"), || {
            self.assert_alive();
            (self.batches().len() >= n).then_some(())
        });
    }

    /// Panics with the log if the process has already exited.
    pub fn assert_alive(&mut self) {
        if let Some(status) = self.child.try_wait().expect("try_wait") {
            panic!(
                "k8s-monitor exited early with {status}; log:\n{}",
                self.log_text()
            );
        }
    }

    /// Sends SIGTERM and waits (bounded) for the exit status.
    pub fn terminate(&mut self, limit: Duration) -> ExitStatus {
        self.signal("TERM", limit)
    }

    /// Sends `kill -<sig>` and returns at once (SIGHUP: a reload).
    pub fn send_signal(&mut self, sig: &str) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args([&format!("-{sig}"), &pid])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -{sig} {pid} failed");
    }

    /// Sends `kill -<sig>` and waits (bounded) for the exit status.
    pub fn signal(&mut self, sig: &str, limit: Duration) -> ExitStatus {
        self.send_signal(sig);
        let child = &mut self.child;
        wait_until(limit, &format!("the daemon to exit after SIG{sig}"), || {
            child.try_wait().expect("try_wait")
        })
    }

    /// SIGKILL: no chance to flush, score or save anything.
    pub fn kill_hard(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reap");
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The result of a command run to completion.
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Finished {
    /// Panics with both streams unless the command succeeded.
    pub fn assert_success(&self) -> &Finished {
        assert!(
            self.status.success(),
            "command failed with {}\nstdout:\n{}\nstderr:\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
        self
    }

    /// Panics unless the command failed; returns stderr.
    pub fn assert_failure(&self) -> &str {
        assert!(
            !self.status.success(),
            "command unexpectedly succeeded\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        &self.stderr
    }
}

/// Runs a short-lived command to completion, killed if it outlives `limit`. Output goes to
/// anonymous temporary files rather than pipes, so a chatty child can never block on a full
/// pipe while we wait for it.
pub fn run_bounded(mut cmd: Command, limit: Duration) -> Finished {
    let mut out = tempfile::tempfile().expect("stdout capture");
    let mut err = tempfile::tempfile().expect("stderr capture");
    let child = cmd
        .stdout(out.try_clone().expect("clone"))
        .stderr(err.try_clone().expect("clone"))
        .spawn()
        .expect("start k8s-monitor");
    let mut guard = Daemon {
        child,
        log: PathBuf::new(),
    };
    let child = &mut guard.child;
    let status = wait_until(limit, "the command to finish", || {
        child.try_wait().expect("try_wait")
    });
    let read = |f: &mut File| {
        let mut s = String::new();
        f.seek(SeekFrom::Start(0)).expect("seek");
        f.read_to_string(&mut s).expect("read capture");
        strip_ansi(&s)
    };
    Finished {
        status,
        stdout: read(&mut out),
        stderr: read(&mut err),
    }
}

/// `k8s-monitor <args>` in `dir`, bounded to a minute.
pub fn run_cli(dir: &Path, args: &[&str]) -> Finished {
    let mut cmd = command(dir);
    cmd.args(args);
    run_bounded(cmd, Duration::from_secs(60))
}

/// A log file's text without terminal colour codes (empty if it does not exist yet).
pub fn read_log(path: &Path) -> String {
    std::fs::read(path)
        .map(|b| strip_ansi(&String::from_utf8_lossy(&b)))
        .unwrap_or_default()
}

/// Removes ANSI escape sequences (`ESC [ ... letter`).
pub fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// One `scored rows` audit line of the dataset generator: file lines `first..=last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScoredBatch {
    pub rows: u64,
    pub first_line: u64,
    pub last_line: u64,
}

/// The value of `name=...` on a tracing line.
pub fn field(line: &str, name: &str) -> Option<u64> {
    let key = format!(" {name}=");
    let start = line.find(&key)? + key.len();
    let digits: String = line[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Every non-empty scored batch in a log, in order. The shutdown pass logs `rows=0` when
/// nothing was left; it scores nothing and is left out.
pub fn scored_batches(log: &str) -> Vec<ScoredBatch> {
    log.lines()
        .filter(|l| l.contains("scored rows"))
        .map(|l| ScoredBatch {
            rows: field(l, "rows").unwrap_or_else(|| panic!("no rows= in {l:?}")),
            first_line: field(l, "first_line").unwrap_or_else(|| panic!("no first_line= in {l:?}")),
            last_line: field(l, "last_line").unwrap_or_else(|| panic!("no last_line= in {l:?}")),
        })
        .filter(|b| b.rows > 0)
        .collect()
}

/// Line numbers the daemon reported as bad rows of `file` (`skipping bad row: file:N: ...`).
pub fn bad_row_lines(log: &str, file: &str) -> Vec<u64> {
    let key = format!("skipping bad row: {file}:");
    log.lines()
        .filter_map(|l| {
            let rest = &l[l.find(&key)? + key.len()..];
            rest.split(':').next()?.parse().ok()
        })
        .collect()
}

/// Appends `text` in one write, as another process appending to the CSV would.
pub fn append(path: &Path, text: &str) {
    let mut f = OpenOptions::new()
        .append(true)
        .open(path)
        .expect("open for append");
    f.write_all(text.as_bytes()).expect("append");
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write file");
    p
}

/// The insights document if it exists and parses (it is replaced atomically, so a parse
/// failure while the daemon runs is a real defect, surfaced by the final strict check).
pub fn read_insights(dir: &Path) -> Option<Vec<serde_json::Value>> {
    let bytes = std::fs::read(dir.join(INSIGHTS)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The parsers above decide what the audit tests see; if they silently matched nothing, the
/// restart checks would pass on an empty list. Checked here against real log shapes.
#[test]
fn log_parsers_read_coloured_and_plain_lines() {
    let coloured = "\u{1b}[2m2026-11-24T02:51:49Z\u{1b}[0m \u{1b}[34mDEBUG\u{1b}[0m scored rows \
                    \u{1b}[3mrows\u{1b}[0m\u{1b}[2m=\u{1b}[0m60 \u{1b}[3mfirst_line\u{1b}[0m\
                    \u{1b}[2m=\u{1b}[0m2 \u{1b}[3mlast_line\u{1b}[0m\u{1b}[2m=\u{1b}[0m61 pods=20";
    let log = format!(
        "{}\nDEBUG scored rows rows=0 first_line=0 last_line=0 pods=20\n\
         WARN skipping bad row: data/pod_metrics.csv:62: field cpu_millicores: not a number\n\
         DEBUG scored rows rows=40 first_line=63 last_line=102 pods=20\n",
        strip_ansi(coloured)
    );
    assert_eq!(
        scored_batches(&log),
        vec![
            ScoredBatch {
                rows: 60,
                first_line: 2,
                last_line: 61
            },
            ScoredBatch {
                rows: 40,
                first_line: 63,
                last_line: 102
            },
        ]
    );
    assert_eq!(bad_row_lines(&log, CSV), vec![62]);
    assert_eq!(bad_row_lines(&log, "other.csv"), Vec::<u64>::new());
}

/// A GET over a fresh loopback connection, bounded in time: `(status, body)`, or `None` on any
/// failure (not listening yet, closed).
pub fn http_get(addr: &str, path: &str) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    // Chunked bodies (Alertmanager's JSON) are joined; sizes are hex lines.
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        let mut out = String::new();
        let mut rest = body;
        while let Some((size, tail)) = rest.split_once("\r\n") {
            let n = usize::from_str_radix(size.trim(), 16).ok()?;
            if n == 0 {
                break;
            }
            out.push_str(tail.get(..n)?);
            rest = tail.get(n + 2..)?;
        }
        out
    } else {
        body.to_string()
    };
    Some((status, body))
}

/// Serves `app` on a free port of 127.0.0.1, on a thread of its own, until the test process
/// ends (as a real server the code under test does not own): its address.
pub fn serve_in_background(app: axum::Router) -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let _ = axum::serve(listener, app).await;
        });
    });
    addr
}

/// A free port on 127.0.0.1 (bound, then released for a server to take).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
