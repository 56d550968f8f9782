//! Regenerates the detector from `models/motor.json` with the gmmc library whenever the model
//! file changes, in two languages:
//!
//! - `OUT_DIR/motor_detector.rs`: the Rust scorer this crate includes (`src/main.rs`);
//! - `OUT_DIR/motor_detector.h`: the same model as a C header, for C firmware built alongside.
//!   Its path reaches the crate as the compile-time variable `MOTOR_DETECTOR_H` (the test
//!   compiles it with the system C compiler and checks it scores as the Rust detector does).

use std::path::PathBuf;

use gmmc::emit::{COptions, RustOptions};
use gmmc::model::Model;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    let model_path = manifest.join("models/motor.json");
    println!("cargo:rerun-if-changed={}", model_path.display());

    let bytes = std::fs::read(&model_path)
        .map_err(|e| format!("cannot read {}: {e}", model_path.display()))?;
    let model = Model::from_slice(&bytes).map_err(|e| format!("{}: {e}", model_path.display()))?;

    let rust = gmmc::emit::rust(
        &model,
        &RustOptions {
            name: "MOTOR".into(),
        },
    )?;
    // Only rewrite when the text changed, so that nothing downstream rebuilds for nothing.
    gmmc::output::write_if_changed(&out.join("motor_detector.rs"), rust.as_bytes())?;

    // The C header: `build` reads and validates the model file again, writes the header into
    // OUT_DIR when its bytes change and prints the rerun-if-changed line itself.
    let header = gmmc::emit::c::build(
        &model_path,
        "motor_detector.h",
        &COptions {
            prefix: "motor".into(),
            ..COptions::default()
        },
    )?;
    println!("cargo:rustc-env=MOTOR_DETECTOR_H={}", header.display());
    Ok(())
}
