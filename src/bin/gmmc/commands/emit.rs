//! `gmmc emit TARGET MODEL`

use std::path::PathBuf;

use gmmc::emit::{self, RustOptions};

use crate::failure::{Failure, load_model, write_output};

/// Compile a model file into source code for a device.
#[derive(clap::Subcommand)]
pub enum Target {
    /// Rust source for the no_std `gmmc-runtime` crate: one documented
    /// `pub static NAME: gmmc_runtime::Detector<…>` holding the model as constant data
    /// (the same code `gmmc_runtime::include_gmm!` expands to).
    Rust(RustArgs),
}

#[derive(clap::Args)]
pub struct RustArgs {
    /// The model file (JSON, as `gmmc train` writes it).
    model: PathBuf,
    /// Where to write the source; standard output if omitted.
    #[arg(short, long, value_name = "FILE.rs")]
    output: Option<PathBuf>,
    /// Name of the static holding the detector (a Rust identifier, not a keyword).
    #[arg(long, value_name = "NAME", default_value = emit::rust::DEFAULT_NAME)]
    name: String,
}

pub fn run(target: Target) -> Result<(), Failure> {
    match target {
        Target::Rust(args) => rust(args),
    }
}

fn rust(args: RustArgs) -> Result<(), Failure> {
    // Check the name before reading anything, so a typo is reported first.
    emit::rust::check_identifier(&args.name).map_err(|e| Failure::new(e.to_string()))?;
    let model = load_model(&args.model)?;
    let source = emit::rust(&model, &RustOptions { name: args.name })
        .map_err(|e| Failure::new(e.to_string()))?;
    match &args.output {
        Some(path) => write_output(path, source.as_bytes()),
        None => {
            print!("{source}");
            Ok(())
        }
    }
}
