//! `k8s-monitor eval`: recall, precision, F1, delays and false alarms of a scores file.

use super::duration_flag;
use crate::cli::EvalArgs;
use crate::eval::{evaluate, read_scores, EvalOptions};
use crate::fault_label::read_labels;

pub fn run(args: &EvalArgs) -> anyhow::Result<()> {
    let grace = duration_flag("--grace", &args.grace)?;
    let scores = read_scores(&args.scores)?;
    let labels = read_labels(&args.labels)?;
    let report = evaluate(&scores, &labels, &EvalOptions { grace });
    if args.json {
        println!("{}", report.to_json());
    } else {
        println!("{report}");
    }
    Ok(())
}
