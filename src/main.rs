//! The `k8s-monitor` binary: parses the command line, sets up logging, runs a subcommand.

use clap::Parser;
use k8s_monitor::actors::orchestrator::Agents;
use k8s_monitor::cli::{Cli, Command, ConfigArgs};
use k8s_monitor::commands;
use k8s_monitor::settings::Overrides;
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
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
    init_logging(&settings.logging.level);
    commands::run::run(settings, agents)
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

/// Logs to stderr (journald picks it up under systemd). `K8S_MONITOR_LOG` overrides the level.
fn init_logging(default_level: &str) {
    let filter = std::env::var("K8S_MONITOR_LOG").unwrap_or_else(|_| default_level.to_string());
    let filter = tracing_subscriber::EnvFilter::try_new(&filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
