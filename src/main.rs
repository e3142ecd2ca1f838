//! The `k8s-monitor` binary: parses the command line, sets up logging, runs a subcommand.

use clap::Parser;
use k8s_monitor::actors::orchestrator::{Agents, SetLogFilter};
use k8s_monitor::cli::{Cli, Command, ConfigArgs};
use k8s_monitor::commands;
use k8s_monitor::service::startup_checks::{self, Writes};
use k8s_monitor::settings::{effective_log_filter, LogFormat, Overrides};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A bad log filter in the environment is an error, not silently `info`.
    if let Ok(filter) = std::env::var("K8S_MONITOR_LOG") {
        if let Err(e) = k8s_monitor::settings::check_filter_directive(&filter) {
            eprintln!("error: environment K8S_MONITOR_LOG = {filter:?} {e}");
            return ExitCode::FAILURE;
        }
    }
    let result = match &cli.command {
        Command::Run(args) => daemon(
            &args.collection.config,
            &args.overrides(),
            args.collection.print_config,
            Agents::All,
        ),
        Command::Collect(args) => daemon(
            &args.config,
            &args.overrides(),
            args.print_config,
            Agents::CollectOnly,
        ),
        Command::Generate(args) => {
            init_logging("info");
            commands::generate::run(args)
        }
        Command::Simulate(args) => {
            init_logging("info");
            commands::simulate::run(args)
        }
        Command::Detect(args) => {
            init_logging("info");
            commands::detect::run(args)
        }
        Command::Train(args) => {
            init_logging("info");
            commands::train::run(args)
        }
        Command::Eval(args) => {
            init_logging("info");
            commands::eval::run(args)
        }
        Command::Explain(args) => {
            init_logging("info");
            commands::explain::run(args)
        }
        Command::CheckConfig(args) => check_config(&args.config),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", error_chain(&e));
            ExitCode::FAILURE
        }
    }
}

/// `run` and `collect`: the settings, then the daemon (or the settings printed).
fn daemon(
    config: &ConfigArgs,
    overrides: &Overrides,
    print_config: bool,
    agents: Agents,
) -> anyhow::Result<()> {
    let settings = commands::run::load_settings(config, overrides)?;
    if print_config {
        // A closed pipe (`| head`) is not an error worth a panic.
        let _ = writeln!(std::io::stdout(), "{}", settings.describe());
        return Ok(());
    }
    let writes = match agents {
        Agents::All => Writes::Everything,
        Agents::CollectOnly => Writes::CsvOnly,
    };
    startup_checks::check(&settings, writes, &std::env::current_dir()?, &env_map())?;
    let set_log_filter = init_logging_as(&settings.logging.level, settings.logging.format);
    tracing::info!(
        source = settings.collector.source.as_str(),
        namespace = %settings.collector.namespace,
        "settings from {}",
        config.origin()
    );
    let reloading = commands::run::reloading(config, overrides, Some(set_log_filter));
    commands::run::run(settings, agents, reloading)
}

/// `check-config`: the settings loaded exactly as `run` loads them (file, environment), every
/// problem listed by the error (exit 1), or what was read (exit 0).
fn check_config(config: &ConfigArgs) -> anyhow::Result<()> {
    let settings = commands::run::load_settings(config, &Overrides::default())?;
    let cwd = std::env::current_dir()?;
    startup_checks::check(&settings, Writes::Everything, &cwd, &env_map())?;
    let _ = writeln!(std::io::stdout(), "ok: {}", config.origin());
    Ok(())
}

fn env_map() -> std::collections::HashMap<String, String> {
    std::env::vars().collect()
}

/// The error and its causes, each said once: our error types already include their cause in
/// their message (so logs are complete), and anyhow's chain would repeat it.
fn error_chain(e: &anyhow::Error) -> String {
    let mut text = e.to_string();
    for cause in e.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}

/// Text logs on stderr, for the offline commands.
fn init_logging(default_level: &str) {
    let _ = init_logging_as(default_level, LogFormat::Text);
}

/// Logs to stderr (journald picks it up under systemd). `K8S_MONITOR_LOG` overrides the level.
/// Colour only when stderr is a terminal and `NO_COLOR` is unset or empty (no-color.org): the
/// journal and log files get plain text. Returns the setter of the filter, for reloads.
fn init_logging_as(default_level: &str, format: LogFormat) -> SetLogFilter {
    let filter = std::env::var("K8S_MONITOR_LOG").unwrap_or_else(|_| default_level.to_string());
    // Checked in `main` and by the settings: it parses.
    let filter = tracing_subscriber::EnvFilter::try_new(effective_log_filter(&filter))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let colour = std::io::stderr().is_terminal() && !no_color;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour);
    // The filter sits behind a reload layer so a reload can change it in place.
    match format {
        LogFormat::Text => {
            let builder = builder.with_filter_reloading();
            let handle = builder.reload_handle();
            builder.init();
            Box::new(move |level| set_filter(level, |f| handle.reload(f)))
        }
        LogFormat::Json => {
            let builder = builder.json().with_filter_reloading();
            let handle = builder.reload_handle();
            builder.init();
            Box::new(move |level| set_filter(level, |f| handle.reload(f)))
        }
    }
}

/// A filter checked as the settings check it, then installed by `reload`.
fn set_filter(
    level: &str,
    reload: impl FnOnce(tracing_subscriber::EnvFilter) -> Result<(), tracing_subscriber::reload::Error>,
) -> Result<(), String> {
    k8s_monitor::settings::check_filter_directive(level).map_err(|e| e.to_string())?;
    let filter = tracing_subscriber::EnvFilter::try_new(effective_log_filter(level))
        .map_err(|e| e.to_string())?;
    reload(filter).map_err(|e| e.to_string())
}
