//! Allocation-free scorers for Gaussian-mixture anomaly detectors compiled by
//! [gmmc](https://example.invalid/gmmc).
//!
//! `#![no_std]`, no `alloc`, no `unsafe`, and no panics on any input: this crate is what a
//! firmware build links. A model is plain constant data — a [`Detector`] wrapping one of the
//! four covariance layouts ([`Full`], [`Tied`], [`Diag`], [`Spherical`]) — written either by
//! `gmmc emit rust` or, at compile time, by the [`include_gmm!`] macro (feature `macros`):
//!
//! ```ignore
//! gmmc_runtime::include_gmm!(pub static DETECTOR = "models/motor.json");
//!
//! fn check(features: &[f32; 11]) -> bool {
//!     DETECTOR.is_anomaly(features)
//! }
//! ```
//!
//! The input is a fixed-size array, so passing the wrong number of features is a compile
//! error. Every scoring kernel lives here, once per layout, in f32 with `libm`'s `expf` and
//! `logf`:
//!
//! ```text
//! lp_k(x)  = c_k − ½·‖(x − μ_k)ᵀ·U_k‖²          (c_k = ln w_k + Σ ln diag U_k − ½·D·ln 2π)
//! log p(x) = m + ln Σ_k exp(lp_k − m),  m = max_k lp_k
//! score    = (−log p(x) − offset) / scale       (absolute value for the edge-impulse kind)
//! ```
//!
//! An input with NaN or ±∞, or so far away that the f32 quadratic form overflows, has
//! log-likelihood −∞ and score +∞, so it is always an anomaly: a broken sensor never reads as
//! normal.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// No code path may panic: no indexing or slicing that can fail, no unwrap, no panic. (The only
// assertions are `const` ones, which fail at compile time.)
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::panic,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::arithmetic_side_effects
    )
)]

mod detector;
mod kernel;
mod layout;
mod score;

pub use detector::Detector;
pub use layout::{Diag, Full, Mixture, Spherical, Tied, packed_len};
pub use score::{ScoreKind, ScoreTransform};

/// Embeds a gmmc model file as a [`Detector`] at compile time (feature `macros`).
///
/// Item form (a `static` or a `const`; the type is written for you):
///
/// ```ignore
/// gmmc_runtime::include_gmm!(pub static DETECTOR = "models/motor.json");
/// ```
///
/// Expression form: `gmmc_runtime::include_gmm!("models/motor.json")` is a constant
/// expression of the detector's type.
///
/// The path is relative to the using crate's `CARGO_MANIFEST_DIR`. The file is read and
/// validated while compiling; a missing, malformed or invalid file is a compile error that
/// names the file and the cause. Editing the file rebuilds the crate. The expansion refers to
/// this crate as `::gmmc_runtime`, so depend on it under that name.
#[cfg(feature = "macros")]
pub use gmmc_macros::include_gmm;
