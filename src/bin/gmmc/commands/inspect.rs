//! `gmmc inspect MODEL`

use std::path::PathBuf;

use crate::failure::{Failure, load_model};

/// Print a readable summary of a model file: dimensions, features, components, the score and
/// threshold, and how it was trained.
#[derive(clap::Args)]
pub struct Args {
    /// The model file (JSON, as `gmmc train` writes it).
    model: PathBuf,
}

pub fn run(args: Args) -> Result<(), Failure> {
    let model = load_model(&args.model)?;
    print!("{}", gmmc::inspect::summary(&model));
    Ok(())
}
