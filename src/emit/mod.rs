//! Emitters: a validated [`Model`](gmmc_model::Model) compiled into source code for a device.
//!
//! Every emitter takes its numbers from [`gmmc_model::device::DeviceModel`], so all targets
//! carry exactly the same constants.

pub mod c;
pub mod rust;

pub use c::{COptions, Precision, c};
pub use rust::{RustError, RustOptions, rust};

use std::path::PathBuf;

/// Why a model could not be emitted.
#[derive(Debug, thiserror::Error)]
pub enum EmitError {
    /// A name given for the emitted code is not usable.
    #[error("invalid {what} `{name}`: {reason}")]
    Name {
        /// What the name is for, for instance `prefix`.
        what: &'static str,
        /// The name as given.
        name: String,
        /// Why it is refused.
        reason: String,
    },
    /// The model does not validate.
    #[error("the model is not valid: {0}")]
    Model(#[from] gmmc_model::ModelError),
    /// The model file could not be read.
    #[error("cannot read model {path}: {source}")]
    ReadModel {
        /// The model file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The model file is not a valid model.
    #[error("{path}: {source}")]
    ModelFile {
        /// The model file.
        path: PathBuf,
        /// What is wrong with it.
        source: gmmc_model::ModelError,
    },
    /// A build-script helper was called outside a build script.
    #[error("OUT_DIR is not set: call this from a Cargo build script (build.rs)")]
    NoOutDir,
    /// The output file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The output file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A number is infinite or NaN in the emitted precision (validated models never have
    /// one; this guard keeps `inf` and `nan` text out of source code regardless).
    #[error("{what} is not a finite {c_type}")]
    NotFinite {
        /// Which value.
        what: String,
        /// The C type it would be written as.
        c_type: &'static str,
    },
    /// The template failed to render.
    #[error("cannot render the template: {0}")]
    Template(String),
}
