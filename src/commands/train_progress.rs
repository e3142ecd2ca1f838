//! The training progress bar on stderr: epoch, batch, loss, validation loss and an ETA.
//!
//! On a terminal one line is redrawn in place (at most ten times a second); otherwise (CI,
//! journald, a pipe) one line per epoch, so logs stay readable.

use crate::model::training::{TrainingObserver, TrainingStatus};
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

pub struct ProgressBar {
    interactive: bool,
    last_draw: Option<Instant>,
}

const WIDTH: usize = 24;

impl ProgressBar {
    pub fn stderr() -> ProgressBar {
        ProgressBar {
            interactive: std::io::stderr().is_terminal(),
            last_draw: None,
        }
    }

    pub fn finish(&mut self) {
        if self.interactive {
            eprintln!();
        }
    }
}

/// The text of the bar for a status (without line control characters).
pub fn render(s: &TrainingStatus) -> String {
    let done = (s.epoch - 1) as f64 + s.batch as f64 / s.batches.max(1) as f64;
    let fraction = (done / s.max_epochs.max(1) as f64).clamp(0.0, 1.0);
    let filled = (fraction * WIDTH as f64).round() as usize;
    // Upper bound: early stopping usually ends sooner.
    let eta = if done > 0.0 {
        let per_epoch = s.elapsed.as_secs_f64() / done;
        Duration::from_secs_f64(per_epoch * (s.max_epochs as f64 - done).max(0.0))
    } else {
        Duration::ZERO
    };
    let validation = match (s.validation_loss, s.best_validation_loss) {
        (Some(v), Some(b)) => format!(" val {v:.4} (best {b:.4})"),
        (None, Some(b)) => format!(" best val {b:.4}"),
        _ => String::new(),
    };
    format!(
        "epoch {}/{} [{}{}] batch {}/{} loss {:.4}{} elapsed {} ETA ≤{}",
        s.epoch,
        s.max_epochs,
        "#".repeat(filled),
        "-".repeat(WIDTH - filled),
        s.batch,
        s.batches,
        s.train_loss,
        validation,
        clock(s.elapsed),
        clock(eta)
    )
}

fn clock(d: Duration) -> String {
    let s = d.as_secs();
    format!("{}:{:02}", s / 60, s % 60)
}

impl TrainingObserver for ProgressBar {
    fn batch_done(&mut self, status: &TrainingStatus) {
        if !self.interactive {
            return;
        }
        if self
            .last_draw
            .is_some_and(|t| t.elapsed() < Duration::from_millis(100))
        {
            return;
        }
        self.last_draw = Some(Instant::now());
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{}", render(status));
        let _ = err.flush();
    }

    fn epoch_done(&mut self, status: &TrainingStatus) {
        let mut err = std::io::stderr().lock();
        if self.interactive {
            let _ = write!(err, "\r\x1b[2K{}", render(status));
            let _ = writeln!(err);
        } else {
            let _ = writeln!(err, "{}", render(status));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_shows_epoch_losses_and_eta() {
        let text = render(&TrainingStatus {
            epoch: 2,
            max_epochs: 4,
            batch: 10,
            batches: 10,
            train_loss: 0.5,
            validation_loss: Some(0.6),
            best_validation_loss: Some(0.55),
            elapsed: Duration::from_secs(60),
        });
        assert_eq!(
            text,
            "epoch 2/4 [############------------] batch 10/10 loss 0.5000 val 0.6000 \
             (best 0.5500) elapsed 1:00 ETA ≤1:00"
        );
    }
}
