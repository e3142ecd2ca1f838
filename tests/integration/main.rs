//! Integration tests: drive the real `k8s-monitor` binary in temporary directories, on the
//! built-in simulator and hand-made files only (no network beyond 127.0.0.1).
//!
//! One test binary with a module per concern, so cargo links once and the tests share the
//! helpers in [`harness`].

mod accuracy;
mod alertmanager;
mod bad_input;
mod daemon;
mod deploy_files;
mod detect;
mod endpoint;
mod fake_apiserver;
mod generate;
mod harness;
mod hostile;
mod intervals;
mod kubernetes;
mod legacy;
mod llm;
mod logs_and_checks;
mod model;
mod nab;
mod nab_eval;
mod prometheus;
mod reload;
mod restart;
mod rotation;
mod settings;
mod simulate;
