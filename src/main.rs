//! The `hanlin` command: parses the command line and calls into the library.

use std::process::ExitCode;

use clap::Parser;
use hanlin::config::{Cli, Command};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command.unwrap_or(Command::Serve(cli.serve)) {
        Command::Serve(cfg) => hanlin::cli::serve(cfg),
        Command::Check(a) => hanlin::cli::check(&a.data_dir),
        Command::Reindex(a) => hanlin::cli::reindex(&a.data_dir),
        Command::Import(a) => hanlin::cli::import(&a),
        Command::Eval(a) => hanlin::cli::eval(&a),
        Command::User(u) => hanlin::cli::user(u),
        Command::Backup(a) => hanlin::cli::backup(&a),
        Command::Restore(a) => hanlin::cli::restore(&a),
        Command::ExtractWorker(a) => {
            hanlin::service::attachments::worker_main(&a.file, &a.name, a.max_text, a.markdown)
                .map(|()| ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
