//! Emitters: a model compiled into source code for a device.

pub mod rust;

pub use rust::{RustError, RustOptions, rust};
