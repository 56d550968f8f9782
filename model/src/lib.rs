//! The gmmc model file: a fitted Gaussian mixture and the anomaly-score transform, as JSON.
//!
//! This crate is shared by the `gmmc` compiler and the `include_gmm!` proc-macro, so both read
//! and validate a model file in exactly one way. It holds:
//!
//! - [`Model`]: the file's contents, (de)serialised with serde ([`Model::from_json`],
//!   [`Model::to_json`]) and validated on load ([`Model::validate`]), naming the field that is
//!   wrong;
//! - [`packed`]: the packed upper-triangle layout used for precision Cholesky factors;
//! - [`device`]: the flat arrays every emitted scorer stores, in f32 or f64;
//! - [`scoring`]: the derived scoring constants (one folded constant per component) and a
//!   reference `f64` scorer that defines what every emitted scorer must compute;
//! - [`rust`]: the Rust token emitter shared by `gmmc emit rust` and `include_gmm!`.
//!
//! ```
//! let json = r#"{
//!   "format": "gmmc-model", "version": 1,
//!   "covariance_type": "spherical", "n_features": 2, "n_components": 1, "n_inputs": 2,
//!   "feature_names": ["x", "y"], "axes": [0, 1],
//!   "weights": [1.0], "means": [[0.0, 0.0]], "precisions_cholesky": [1.0],
//!   "score": {"kind": "nll", "offset": 0.0, "scale": 1.0, "threshold": 5.0}
//! }"#;
//! let model = gmmc_model::Model::from_json(json)?;
//! let ll = model.log_likelihood(&[0.0, 0.0]);
//! assert!((ll + (2.0 * std::f64::consts::PI).ln()).abs() < 1e-12);
//! # Ok::<(), gmmc_model::ModelError>(())
//! ```
#![forbid(unsafe_code)]

pub mod device;
mod error;
mod format;
pub mod packed;
pub mod rust;
pub mod scoring;
mod validate;

pub use error::ModelError;
pub use format::{
    CovarianceType, FORMAT_NAME, FORMAT_VERSION, Model, Precisions, ScoreKind, ScoreTransform,
    Training,
};
pub use validate::{MAX_COMPONENTS, MAX_FEATURES, MAX_INPUTS};
