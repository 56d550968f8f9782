//! Emits every conformance model with the `gmmc` library (what `gmmc emit rust` writes) into
//! `OUT_DIR/<case>.rs`, so the tests can compare that code with the `include_gmm!` expansion.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    let models = manifest.join("models");
    println!("cargo:rerun-if-changed={}", models.display());
    for entry in std::fs::read_dir(&models)? {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        println!("cargo:rerun-if-changed={}", path.display());
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .ok_or("model file name is not UTF-8")?;
        let model = gmmc::model::Model::from_slice(&std::fs::read(&path)?)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let name = stem.replace('-', "_").to_uppercase();
        let source = gmmc::emit::rust(&model, &gmmc::emit::RustOptions { name })?;
        gmmc::output::write_if_changed(&out.join(format!("{stem}.rs")), source.as_bytes())?;
    }
    Ok(())
}
