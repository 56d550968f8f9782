//! gmmc: compile Gaussian-mixture anomaly detectors.
//!
//! Fit a Gaussian mixture to feature vectors with scikit-learn's semantics ([`train`]), choose
//! an anomaly threshold ([`calibrate`]), and compile the model into code for microcontrollers.
//! The `gmmc` binary is a thin command-line layer over this library.
#![forbid(unsafe_code)]
// Index loops over components and features read like the formulas they implement.
#![allow(clippy::needless_range_loop)]

pub mod data;

pub use gmmc_model as model;

pub mod blocks;
pub mod calibrate;
pub mod covariance;
pub mod criteria;
pub mod em;
pub mod emit;
pub mod import;
pub mod init;
pub mod inspect;
pub mod kmeans;
pub mod mixture;
pub mod output;
pub mod score;
pub mod train;
