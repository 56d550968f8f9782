//! The `gmmc` command: a thin layer over the `gmmc` library.

mod commands;
mod failure;
mod labelled;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// gmmc compiles Gaussian-mixture anomaly detectors: it fits a Gaussian mixture to feature
/// vectors (as scikit-learn's GaussianMixture does), sets an anomaly threshold, and emits the
/// model as code for microcontrollers.
///
/// A typical session: `gmmc train features.csv -k 4 -o model.json`, then
/// `gmmc score model.json new.csv`, then `gmmc inspect model.json`, then
/// `gmmc emit c model.json -o gmm.h` for the device.
#[derive(Parser)]
#[command(name = "gmmc", version, about, long_about, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Train(commands::train::Args),
    Score(commands::score::Args),
    Test(commands::test::Args),
    Threshold(commands::threshold::Args),
    Axes(commands::axes::Args),
    #[command(subcommand)]
    Plot(commands::plot::Picture),
    Inspect(commands::inspect::Args),
    #[command(subcommand)]
    Import(commands::import::Source),
    #[command(subcommand)]
    Emit(commands::emit::Target),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Train(args) => commands::train::run(args),
        Command::Score(args) => commands::score::run(args),
        Command::Test(args) => commands::test::run(args),
        Command::Threshold(args) => commands::threshold::run(args),
        Command::Axes(args) => commands::axes::run(args),
        Command::Plot(picture) => commands::plot::run(picture),
        Command::Inspect(args) => commands::inspect::run(args),
        Command::Import(source) => commands::import::run(source),
        Command::Emit(target) => commands::emit::run(target),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {failure}");
            ExitCode::FAILURE
        }
    }
}
