//! Wakes the reader when the metrics file changes, so new rows are read promptly rather than
//! at the next timer tick.
//!
//! The parent directory is watched (not the file), so creation, rename and replacement of the
//! file are seen as well as writes; events for other files in it are ignored. If the native
//! watcher (inotify on Linux) cannot be set up, notify's `PollWatcher` is used instead. The
//! caller still polls on a timer: a missed event only delays reading, it never loses data.

use notify::{Config, Event, PollWatcher, RecommendedWatcher, RecursiveMode, Watcher};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Watching stops when this is dropped.
pub struct FileWatch {
    _watcher: Box<dyn Watcher + Send>,
    polling: bool,
}

impl std::fmt::Debug for FileWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileWatch")
            .field("polling", &self.polling)
            .finish()
    }
}

impl FileWatch {
    /// True when the polling fallback is in use.
    pub fn is_polling(&self) -> bool {
        self.polling
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("cannot watch {path}: it has no file name")]
    NoFileName { path: PathBuf },
    #[error("cannot watch the directory {dir}: {source}")]
    NoDirectory {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot watch the directory {dir}: {source}")]
    WatchDir { dir: PathBuf, source: notify::Error },
}

/// Calls `on_change` (on a watcher thread) whenever `path` may have changed.
pub fn watch_file(
    path: &Path,
    poll_fallback: Duration,
    on_change: impl Fn() + Send + Sync + 'static,
) -> Result<FileWatch, WatchError> {
    start(path, false, poll_fallback, Arc::new(on_change), true)
}

/// Calls `on_change` on any change in the directory of `path`: for a file that may be replaced
/// through a symlink elsewhere in it (a Kubernetes ConfigMap volume swaps its `..data` link),
/// so the caller compares the contents itself.
pub fn watch_directory_of(
    path: &Path,
    poll_fallback: Duration,
    on_change: impl Fn() + Send + Sync + 'static,
) -> Result<FileWatch, WatchError> {
    start(path, false, poll_fallback, Arc::new(on_change), false)
}

/// `force_poll` skips the native watcher (for tests of the fallback).
fn start(
    path: &Path,
    force_poll: bool,
    poll_interval: Duration,
    on_change: Arc<dyn Fn() + Send + Sync>,
    only_this_file: bool,
) -> Result<FileWatch, WatchError> {
    let name = path
        .file_name()
        .ok_or_else(|| WatchError::NoFileName {
            path: path.to_path_buf(),
        })?
        .to_os_string();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // Checked here so both backends fail alike (the poll watcher accepts a missing path).
    match std::fs::metadata(&dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            let source = std::io::Error::other("not a directory");
            return Err(WatchError::NoDirectory { dir, source });
        }
        Err(source) => return Err(WatchError::NoDirectory { dir, source }),
    }
    if !force_poll {
        let handler = event_handler(name.clone(), on_change.clone(), only_this_file);
        let native = RecommendedWatcher::new(handler, Config::default()).and_then(|mut w| {
            w.watch(&dir, RecursiveMode::NonRecursive)?;
            Ok(w)
        });
        match native {
            Ok(w) => {
                return Ok(FileWatch {
                    _watcher: Box::new(w),
                    polling: false,
                })
            }
            Err(e) => {
                tracing::warn!(dir = %dir.display(), error = %e, "native file watcher unavailable; polling instead");
            }
        }
    }
    let handler = event_handler(name, on_change, only_this_file);
    let mut w = PollWatcher::new(handler, Config::default().with_poll_interval(poll_interval))
        .map_err(|source| WatchError::WatchDir {
            dir: dir.clone(),
            source,
        })?;
    w.watch(&dir, RecursiveMode::NonRecursive)
        .map_err(|source| WatchError::WatchDir { dir, source })?;
    Ok(FileWatch {
        _watcher: Box::new(w),
        polling: true,
    })
}

/// Forwards events that concern the file `name`, and anything that may hide one (errors,
/// rescans after an overflowed event queue).
fn event_handler(
    name: OsString,
    on_change: Arc<dyn Fn() + Send + Sync>,
    only_this_file: bool,
) -> impl FnMut(notify::Result<Event>) + Send + 'static {
    move |event| match event {
        Ok(event) => {
            let ours = !only_this_file
                || event
                    .paths
                    .iter()
                    .any(|p| p.file_name() == Some(name.as_os_str()));
            if ours || event.need_rescan() {
                on_change();
            }
        }
        Err(e) => {
            tracing::debug!(error = %e, "file watcher error; waking the reader anyway");
            on_change();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::mpsc;

    fn wakes_on_write(force_poll: bool) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pod_metrics.csv");
        let other = dir.path().join("other.txt");
        let (tx, rx) = mpsc::channel();
        let watch = start(
            &file,
            force_poll,
            Duration::from_millis(50),
            Arc::new(move || {
                let _ = tx.send(());
            }),
            true,
        )
        .unwrap();
        assert_eq!(watch.is_polling(), force_poll);
        // Another file in the directory does not wake the reader.
        std::fs::write(&other, b"x").unwrap();
        if !force_poll {
            assert!(rx.recv_timeout(Duration::from_millis(300)).is_err());
        }
        let mut f = std::fs::File::create(&file).unwrap();
        f.write_all(b"header\n").unwrap();
        f.sync_all().unwrap();
        rx.recv_timeout(Duration::from_secs(5))
            .expect("no change notification within 5 s");
        drop(watch);
    }

    #[test]
    fn native_watcher_wakes_on_write_to_the_file() {
        wakes_on_write(false);
    }

    #[test]
    fn poll_fallback_wakes_on_write_to_the_file() {
        wakes_on_write(true);
    }

    #[test]
    fn missing_directory_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("nope").join("pod_metrics.csv");
        let e = start(
            &file,
            true,
            Duration::from_millis(50),
            Arc::new(|| {}),
            true,
        )
        .unwrap_err();
        assert!(e.to_string().contains("nope"), "{e}");
    }
}
