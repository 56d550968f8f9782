//! `gmmc emit c|rust MODEL`

use std::path::PathBuf;

use gmmc::emit::{self, COptions, Precision, RustOptions};

use crate::failure::{Failure, load_model, write_output};

/// Compile a model into source code for a device.
#[derive(clap::Subcommand)]
pub enum Target {
    /// Compile a model into one self-contained C header (C99, also valid C++).
    ///
    /// The header holds the model as static const arrays and the scorer as static inline
    /// functions, every name starting with the prefix: PREFIX_log_likelihood(x),
    /// PREFIX_score(x), PREFIX_is_anomaly(x) on the model's features, PREFIX_score_inputs(v)
    /// and PREFIX_is_anomaly_inputs(v) on the whole input vector, and the macros
    /// PREFIX_N_FEATURES, PREFIX_N_COMPONENTS, PREFIX_N_INPUTS and PREFIX_THRESHOLD (upper
    /// case). It needs only expf and logf from <math.h>. NaN or infinite input scores +inf and
    /// is an anomaly. The output is deterministic (no timestamp).
    C(CArgs),
    /// Rust source for the no_std `gmmc-runtime` crate: one documented
    /// `pub static NAME: gmmc_runtime::Detector<…>` holding the model as constant data
    /// (the same code `gmmc_runtime::include_gmm!` expands to).
    Rust(RustArgs),
}

#[derive(clap::Args)]
pub struct CArgs {
    /// The model file.
    model: PathBuf,
    /// Write the header here (written whole or not at all) instead of to stdout.
    #[arg(short, long, value_name = "FILE.h")]
    output: Option<PathBuf>,
    /// Prefix of every emitted name: a C identifier starting with a letter, without `__`.
    #[arg(long, value_name = "NAME", default_value = emit::c::DEFAULT_PREFIX)]
    prefix: String,
    /// Scalar type of the data and arithmetic: f32 (float, expf/logf) or f64 (double, exp/log).
    #[arg(long, value_name = "f32|f64", default_value = "f32")]
    precision: Precision,
}

#[derive(clap::Args)]
pub struct RustArgs {
    /// The model file (JSON, as `gmmc train` writes it).
    model: PathBuf,
    /// Write the source here (written whole or not at all) instead of to stdout.
    #[arg(short, long, value_name = "FILE.rs")]
    output: Option<PathBuf>,
    /// Name of the static holding the detector (a Rust identifier, not a keyword).
    #[arg(long, value_name = "NAME", default_value = emit::rust::DEFAULT_NAME)]
    name: String,
}

pub fn run(target: Target) -> Result<(), Failure> {
    match target {
        Target::C(args) => c(args),
        Target::Rust(args) => rust(args),
    }
}

fn c(args: CArgs) -> Result<(), Failure> {
    let model = load_model(&args.model)?;
    let options = COptions {
        prefix: args.prefix,
        precision: args.precision,
        model_name: args
            .model
            .file_name()
            .map(|n| n.to_string_lossy().into_owned()),
    };
    let header = emit::c(&model, &options).map_err(|e| Failure::new(e.to_string()))?;
    deliver(args.output.as_ref(), &header)?;
    if let Some(path) = &args.output {
        eprintln!(
            "wrote {} ({} components, {} features, {} covariance, {})",
            path.display(),
            model.n_components,
            model.n_features,
            model.covariance_type,
            options.precision
        );
    }
    Ok(())
}

fn rust(args: RustArgs) -> Result<(), Failure> {
    // Check the name before reading anything, so a typo is reported first.
    emit::rust::check_identifier(&args.name).map_err(|e| Failure::new(e.to_string()))?;
    let model = load_model(&args.model)?;
    let source = emit::rust(&model, &RustOptions { name: args.name })
        .map_err(|e| Failure::new(e.to_string()))?;
    deliver(args.output.as_ref(), &source)
}

/// Writes emitted source to the named file (atomically) or to standard output.
fn deliver(output: Option<&PathBuf>, text: &str) -> Result<(), Failure> {
    match output {
        Some(path) => write_output(path, text.as_bytes()),
        None => {
            use std::io::Write;
            std::io::stdout()
                .write_all(text.as_bytes())
                .map_err(|e| Failure::new(format!("cannot write to stdout: {e}")))
        }
    }
}
