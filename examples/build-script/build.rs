//! Regenerates the detector's source from `models/motor.json` with the gmmc library whenever
//! the model file changes: `OUT_DIR/motor_detector.rs` for this crate (and, for C firmware
//! built alongside, a C header — see the TODO below).

use std::path::PathBuf;

use gmmc::emit::RustOptions;
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

    // TODO(lead, after the C emitter lands): also write the C header from the same model, e.g.
    // gmmc::output::write_if_changed(&out.join("motor_detector.h"), gmmc::emit::c(&model, &Default::default())?.as_bytes())?;
    Ok(())
}
