//! gmmc: compile Gaussian-mixture anomaly detectors.
//!
//! Fit a Gaussian mixture to feature vectors with scikit-learn's semantics ([`train`]), choose
//! an anomaly threshold ([`calibrate`]), and compile the model into code for microcontrollers.
//! Evaluate a model on labelled data ([`metrics`]), move its threshold ([`threshold`]), choose
//! the number of components by BIC ([`selection`]), rank features ([`axes`]) and draw
//! pictures of all of it ([`plot`]).
//! The `gmmc` binary is a thin command-line layer over this library.
#![forbid(unsafe_code)]
// Index loops over components and features read like the formulas they implement.
#![allow(clippy::needless_range_loop)]

pub mod data;

pub use gmmc_model as model;

pub mod axes;
pub mod blocks;
pub mod calibrate;
pub mod covariance;
pub mod criteria;
pub mod em;
pub mod emit;
mod exp_ln;
pub mod import;
pub mod init;
pub mod inspect;
mod kernel;
pub mod kmeans;
pub mod marginal;
pub mod metrics;
pub mod mixture;
pub mod output;
pub mod plot;
pub mod score;
pub mod selection;
pub mod threshold;
pub mod train;
