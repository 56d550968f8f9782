//! gmmc: compile Gaussian-mixture anomaly detectors.
//!
//! Fit a Gaussian mixture to feature vectors with scikit-learn's semantics, choose an anomaly
//! threshold, and compile the model into code for microcontrollers. The `gmmc` binary is a
//! thin command-line layer over this library.
#![forbid(unsafe_code)]

pub mod data;

pub use gmmc_model as model;
