//! The `k8s-monitor` binary: parses the command line, sets up logging, runs a subcommand.

use clap::Parser;
use k8s_monitor::cli::{Cli, Command};
use k8s_monitor::commands;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Run(args) => match commands::run::load_settings(args) {
            Ok(settings) if args.print_config => {
                println!("{}", settings.describe());
                Ok(())
            }
            Ok(settings) => {
                init_logging(&settings.logging.level);
                commands::run::run(settings)
            }
            Err(e) => Err(e),
        },
        Command::Generate(args) => {
            init_logging("info");
            commands::generate::run(args)
        }
        Command::Detect(args) => {
            init_logging("info");
            commands::detect::run(args)
        }
        Command::Eval(args) => {
            init_logging("info");
            commands::eval::run(args)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
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
