//! Settings that are valid on paper but cannot work on this machine, found before the daemon
//! starts (and by `check-config`), every one of them listed at once:
//! - an output file that is another output or an input of the daemon (the metrics CSV
//!   overwritten by the insights, say), compared after resolving the paths;
//! - an output file that is one of the names the CSV's rotation moves files to;
//! - an output file that is a directory, or whose directory cannot be created or written;
//! - an LLM turned `on` whose key cannot be had.
//!
//! Kept apart from `settings` (which is pure: text in, settings out) because these look at the
//! file system and the environment.

use crate::llm::LlmActivation;
use crate::settings::{PrometheusAuth, Settings};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
#[error("settings that cannot work on this machine:\n  {}", .problems.join("\n  "))]
pub struct StartupCheckError {
    pub problems: Vec<String>,
}

/// Which agents will run: `collect` writes the CSV only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writes {
    CsvOnly,
    Everything,
}

/// Every problem of `s` on this machine, with `cwd` the directory relative paths resolve from
/// and `env` the process environment (for the LLM key).
pub fn check(
    s: &Settings,
    writes: Writes,
    cwd: &Path,
    env: &HashMap<String, String>,
) -> Result<(), StartupCheckError> {
    let mut outputs: Vec<(&str, &Path)> =
        vec![("[collector] output_file", &s.collector.output_file)];
    if writes == Writes::Everything {
        outputs.push((
            "[dataset_generator] offset_file",
            &s.dataset_generator.offset_file,
        ));
        outputs.push(("[insights] output_file", &s.insights.output_file));
        outputs.push(("[analysis] incidents_file", &s.analysis.incidents_file));
    }
    let mut inputs: Vec<(&str, &Path)> = Vec::new();
    match &s.prometheus.auth {
        PrometheusAuth::None => {}
        PrometheusAuth::Bearer { token_file } => {
            inputs.push(("[prometheus] bearer_token_file", token_file))
        }
        PrometheusAuth::Basic { password_file, .. } => {
            if let Some(p) = password_file {
                inputs.push(("[prometheus] basic_auth_password_file", p));
            }
        }
    }
    if let Some(p) = &s.prometheus.ca_file {
        inputs.push(("[prometheus] ca_file", p));
    }
    if let Some(p) = &s.kubernetes.kubeconfig {
        inputs.push(("[kubernetes] kubeconfig", p));
    }
    if let Some(p) = &s.llm.api_key_file {
        inputs.push(("[llm] api_key_file", p));
    }

    let mut problems = Vec::new();
    let resolved: Vec<(&str, &Path, PathBuf)> = outputs
        .iter()
        .map(|(key, p)| (*key, *p, resolve(cwd, p)))
        .collect();
    for (i, (key, path, at)) in resolved.iter().enumerate() {
        for (other, other_path, other_at) in &resolved[..i] {
            if at == other_at {
                problems.push(format!(
                    "{key} = {:?} is the same file as {other} = {:?}: one would overwrite the \
                     other",
                    path.display().to_string(),
                    other_path.display().to_string()
                ));
            }
        }
        for (input, input_path) in &inputs {
            if *at == resolve(cwd, input_path) {
                problems.push(format!(
                    "{key} = {:?} is the same file as {input} = {:?}: the daemon would \
                     overwrite what it reads",
                    path.display().to_string(),
                    input_path.display().to_string()
                ));
            }
        }
        // The names the CSV's rotation moves files to are the daemon's too.
        if i > 0 && s.collector.max_file_bytes > 0 {
            let csv = &s.collector.output_file;
            let rotated = (1..=s.collector.max_files)
                .find(|&k| *at == resolve(cwd, &crate::csv_input::rotated_path(csv, k)));
            if let Some(k) = rotated {
                problems.push(format!(
                    "{key} = {:?} is where the metrics CSV is rotated to ({}.{k}): the \
                     rotation would overwrite it",
                    path.display().to_string(),
                    csv.display()
                ));
            }
        }
        if let Some(problem) = unwritable(at) {
            problems.push(format!(
                "{key} = {:?} {problem}",
                path.display().to_string()
            ));
        }
    }
    if writes == Writes::Everything {
        if let Err(e) = LlmActivation::from_settings(&s.llm, env) {
            problems.push(format!("[llm] mode = {:?}: {e}", s.llm.mode.as_str()));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(StartupCheckError { problems })
    }
}

/// `p` made absolute from `cwd`, through the symlinks of the part that exists, so two spellings
/// of one file compare equal.
fn resolve(cwd: &Path, p: &Path) -> PathBuf {
    let absolute = cwd.join(p);
    if let Ok(real) = std::fs::canonicalize(&absolute) {
        return real;
    }
    // Not there yet: the nearest existing ancestor resolved, the rest as written (without
    // `.`; a `..` after a missing directory is left to the file system to refuse).
    let mut missing = Vec::new();
    let mut at = absolute.as_path();
    loop {
        if let Ok(real) = std::fs::canonicalize(at) {
            let mut out = real;
            for part in missing.iter().rev() {
                out.push(part);
            }
            return out;
        }
        match (at.parent(), at.file_name()) {
            (Some(parent), Some(name)) => {
                if name != "." {
                    missing.push(name.to_os_string());
                }
                at = parent;
            }
            _ => return absolute,
        }
    }
}

/// Why the daemon could not write the file `at` (resolved), if it could not: it is a directory,
/// or its nearest existing directory refuses a new file (probed by creating and removing one,
/// as the daemon would create its directories and files there).
fn unwritable(at: &Path) -> Option<String> {
    if at.is_dir() {
        return Some("is a directory, not a file".to_string());
    }
    let mut dir = at.parent()?;
    while !dir.exists() {
        dir = dir.parent()?;
    }
    if !dir.is_dir() {
        return Some(format!(
            "cannot be created: {} is not a directory",
            dir.display()
        ));
    }
    let probe = dir.join(format!(".k8s-monitor-write-check-{}", std::process::id()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            None
        }
        Err(e) => Some(format!(
            "cannot be written: creating a file in {} fails: {e}",
            dir.display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(s: &Settings, cwd: &Path) -> Vec<String> {
        match check(s, Writes::Everything, cwd, &HashMap::new()) {
            Ok(()) => Vec::new(),
            Err(e) => e.problems,
        }
    }

    #[test]
    fn the_defaults_work_in_a_writable_directory() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            problems(&Settings::default(), dir.path()),
            Vec::<String>::new()
        );
        // Nothing is left behind by the probe.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn outputs_that_are_the_csv_or_an_input_or_unwritable_are_all_reported() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("data")).unwrap();
        std::fs::write(d.join("key.txt"), "k").unwrap();
        let mut s = Settings::default();
        // The same file spelled another way.
        s.insights.output_file = "data/./pod_metrics.csv".into();
        s.analysis.incidents_file = d.join("key.txt");
        s.llm.api_key_file = Some(d.join("key.txt"));
        s.dataset_generator.offset_file = "/proc/nope/offset.json".into();
        let found = problems(&s, d);
        assert_eq!(found.len(), 3, "{found:#?}");
        assert!(found.iter().any(|p| p.starts_with(
            "[insights] output_file = \"data/./pod_metrics.csv\" is the same file as \
             [collector] output_file = \"data/pod_metrics.csv\""
        )));
        assert!(found
            .iter()
            .any(|p| p.starts_with("[analysis] incidents_file = \"")
                && p.contains("is the same file as [llm] api_key_file")));
        assert!(found.iter().any(|p| p.starts_with(
            "[dataset_generator] offset_file = \"/proc/nope/offset.json\" cannot be"
        )));

        let mut s = Settings::default();
        s.insights.output_file = "data/pod_metrics.csv.3".into();
        let found = problems(&s, d);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0].contains("is where the metrics CSV is rotated to"),
            "{found:#?}"
        );

        let mut s = Settings::default();
        s.collector.output_file = d.to_path_buf();
        let found = problems(&s, d);
        assert!(
            found[0].ends_with("is a directory, not a file"),
            "{found:#?}"
        );
    }

    #[test]
    fn an_llm_turned_on_with_an_unreadable_key_file_cannot_start() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Settings::default();
        s.llm.mode = crate::settings::LlmMode::On;
        s.llm.api_key_file = Some("missing-key".into());
        let found = problems(&s, dir.path());
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].starts_with("[llm] mode = \"on\": reading the LLM API key file"));
        // `collect` runs no LLM.
        assert!(check(&s, Writes::CsvOnly, dir.path(), &HashMap::new()).is_ok());
    }
}
