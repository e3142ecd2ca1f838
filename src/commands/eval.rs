//! `k8s-monitor eval`: `--format pods` (the default) measures recall, precision, F1, delays and
//! false alarms of a scores file against pod fault labels; `--format nab` scores a detector's
//! NAB results files as the Numenta Anomaly Benchmark does.

use super::duration_flag;
use crate::cli::{EvalArgs, EvalFormat};
use crate::eval::nab::run_nab_eval;
use crate::eval::{evaluate, read_scores, EvalOptions};
use crate::fault_label::read_labels;
use anyhow::bail;
use std::io::Write;

const DEFAULT_GRACE: &str = "5m";

pub fn run(args: &EvalArgs) -> anyhow::Result<()> {
    match args.format {
        EvalFormat::Pods => run_pods(args),
        EvalFormat::Nab => run_nab(args),
    }
}

fn run_pods(args: &EvalArgs) -> anyhow::Result<()> {
    for (flag, given) in [
        ("--data", args.data.is_some()),
        ("--results", args.results.is_some()),
    ] {
        if given {
            bail!("{flag} applies to --format nab only (this is --format pods, the default)");
        }
    }
    let Some(scores) = &args.scores else {
        bail!("eval needs --scores FILE (or --format nab with --data DIR and --results DIR)");
    };
    let grace = duration_flag("--grace", args.grace.as_deref().unwrap_or(DEFAULT_GRACE))?;
    let scores = read_scores(scores)?;
    let labels = read_labels(&args.labels)?;
    let report = evaluate(&scores, &labels, &EvalOptions { grace });
    print(if args.json {
        report.to_json()
    } else {
        report.to_string()
    });
    Ok(())
}

fn run_nab(args: &EvalArgs) -> anyhow::Result<()> {
    for (flag, given) in [
        ("--scores", args.scores.is_some()),
        ("--grace", args.grace.is_some()),
    ] {
        if given {
            bail!("{flag} applies to --format pods only; --format nab reads --data, --labels and --results");
        }
    }
    let (Some(data), Some(results)) = (&args.data, &args.results) else {
        bail!("--format nab needs --data DIR and --results DIR");
    };
    let report = run_nab_eval(data, &args.labels, results)?;
    print(if args.json {
        report.to_json()
    } else {
        report.to_string()
    });
    Ok(())
}

/// Prints the report; a closed pipe (`| head`) is not an error worth a panic.
fn print(text: String) {
    let _ = writeln!(std::io::stdout(), "{text}");
}
