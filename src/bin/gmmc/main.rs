//! The `gmmc` command: a thin layer over the `gmmc` library.

mod commands;
mod failure;
mod labelled;
mod values;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

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
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    // A panic is a bug in gmmc, never the input's fault; it still ends as one line on stderr
    // and exit status 1, so that a build script or CI log shows a readable error.
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "error: internal error in gmmc (please report it): {}{place}",
            one_line(&message)
        );
    }));
    // Every command runs on a worker thread of rayon's pool, so that each parallel step
    // (a pass of k-means or EM, a block of CSV) starts from inside the pool: called from
    // outside, a step hands its work to the pool and sleeps until it is done, two thread
    // switches per step, which on small data cost as much as the step itself (k-means on
    // 10k rows × 16 features took 2.8 ms from outside and 1.9 ms from inside).
    let result = std::panic::catch_unwind(|| rayon::scope(|_| run(cli.command)));
    match result {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(failure)) => {
            eprintln!("error: {}", one_line(&failure.to_string()));
            ExitCode::FAILURE
        }
        // The hook has printed the one line.
        Err(_) => ExitCode::FAILURE,
    }
}

/// Runs one command.
fn run(command: Command) -> Result<(), failure::Failure> {
    match command {
        Command::Train(args) => commands::train::run(args),
        Command::Score(args) => commands::score::run(args),
        Command::Test(args) => commands::test::run(args),
        Command::Threshold(args) => commands::threshold::run(args),
        Command::Axes(args) => commands::axes::run(args),
        Command::Plot(picture) => commands::plot::run(picture),
        Command::Inspect(args) => commands::inspect::run(args),
        Command::Import(source) => commands::import::run(source),
        Command::Emit(target) => commands::emit::run(target),
    }
}

/// Exit status of wrong usage: an unknown option, a missing argument, a value that does not
/// parse.
const USAGE: u8 = 2;

/// Prints a command-line parsing error as one line with the usage, and returns exit status 2;
/// `--help` and `--version` print as usual (status 0), as does the help that `gmmc` alone or a
/// command group without its subcommand prints (status 2).
fn usage_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return if e.use_stderr() {
            ExitCode::from(USAGE)
        } else {
            ExitCode::SUCCESS
        };
    }
    let text = e.render().to_string();
    let mut parts: Vec<String> = Vec::new();
    // Inside a list such as "the following required arguments were not provided:".
    let mut list: Option<usize> = None;
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with("For more information") {
            continue;
        }
        if let Some(usage) = line.strip_prefix("Usage: ") {
            parts.push(format!("usage: {usage}"));
            list = None;
            continue;
        }
        let item = raw.starts_with(char::is_whitespace) && !line.starts_with("tip:");
        match (list, parts.last_mut()) {
            (Some(n), Some(last)) if item => {
                last.push_str(if n == 0 { " " } else { ", " });
                last.push_str(line);
                list = Some(n + 1);
            }
            _ => {
                let line = line.strip_prefix("error: ").unwrap_or(line);
                list = line.ends_with(':').then_some(0);
                parts.push(line.to_string());
            }
        }
    }
    eprintln!("error: {}; see {} --help", parts.join("; "), command_path());
    ExitCode::from(USAGE)
}

/// The (sub)command that the arguments name, such as `gmmc emit c`.
fn command_path() -> String {
    let mut command = Cli::command();
    let mut path = vec!["gmmc".to_string()];
    for arg in std::env::args().skip(1) {
        if arg.starts_with('-') {
            continue;
        }
        let Some(sub) = command.find_subcommand(&arg).cloned() else {
            break;
        };
        path.push(arg);
        command = sub;
    }
    path.join(" ")
}

/// A message as one line: line breaks (and other control characters, which a quoted cell of
/// a data file may hold) become spaces.
fn one_line(message: &str) -> String {
    message
        .trim_end()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}
