//! `gmmc emit rust`: snapshots of the emitted source per covariance type, the emitted numbers
//! against `DeviceModel::<f32>::f32`, refusals, and the model fixtures the `include_gmm!`
//! conformance crate (`tests/macro-conformance/`) embeds.
//!
//! The conformance models are the scikit-learn reference fits imported with `gmmc::import`
//! (score calibrated on each case's train.csv). To regenerate them after a format change:
//!
//! ```text
//! GMMC_UPDATE_FIXTURES=1 cargo test --test emit_rust conformance_models
//! ```

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use gmmc::em::Samples;
use gmmc::import::{self, Calibration};
use gmmc::model::device::DeviceModel;
use gmmc::model::{Model, ScoreKind};
use serde_json::{Value, json};

/// Every reference case gets a conformance model.
const CASES: [&str; 13] = [
    "em-full",
    "em-tied",
    "em-diag",
    "em-spherical",
    "em-offset-full",
    "em-constant-feature",
    "fit-full",
    "fit-diag",
    "scaled-full",
    "scaled-diag",
    "wide-full",
    "wide-tied",
    "single-full",
];

fn conformance_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/macro-conformance/models")
}

/// A reference case's fitted parameters imported as `gmmc import sklearn` would, with the
/// default normalized score calibrated on the case's training data.
fn import_case(name: &str) -> Model {
    let case = common::case(name);
    let fitted = &case.json["fitted"];
    let export = json!({
        "covariance_type": case.json["covariance_type"],
        "weights": fitted["weights"],
        "means": fitted["means"],
        "precisions_cholesky": fitted["precisions_cholesky"],
    });
    let train = Samples::new(&case.train, case.d).unwrap();
    import::import(
        &export.to_string(),
        ScoreKind::Normalized,
        0.99,
        Calibration::Data(train),
    )
    .unwrap()
}

#[test]
fn conformance_models_are_the_imported_sklearn_fits() {
    let update = std::env::var_os("GMMC_UPDATE_FIXTURES").is_some();
    for name in CASES {
        let text = import_case(name).to_json();
        let path = conformance_dir().join(format!("{name}.json"));
        if update {
            std::fs::write(&path, &text).unwrap();
            continue;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        let same = match (
            serde_json::from_str::<Value>(&committed),
            serde_json::from_str::<Value>(&text),
        ) {
            (Ok(a), Ok(b)) => same_up_to_rounding(&a, &b, false),
            _ => false,
        };
        assert!(
            same,
            "{} is not the import of the {name} reference fit; regenerate it with \
             GMMC_UPDATE_FIXTURES=1 cargo test --test emit_rust conformance_models",
            path.display()
        );
    }
}

/// Whether two model files are the same but for the last bits (relative 1e-12) of the numbers
/// of their `score`: the imported parameters are copied exactly, but the calibration sums
/// log-likelihoods computed by SIMD kernels, whose rounding depends on the instruction set
/// (AVX-512, AVX2 or plain f64) and not only on the model.
fn same_up_to_rounding(a: &Value, b: &Value, in_score: bool) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if in_score => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => (x - y).abs() <= 1e-12 * x.abs().max(y.abs()),
            _ => x == y,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|(x, y)| same_up_to_rounding(x, y, in_score))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter().all(|(key, v)| {
                    y.get(key)
                        .is_some_and(|w| same_up_to_rounding(v, w, in_score || key == "score"))
                })
        }
        _ => a == b,
    }
}

fn gmmc(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_gmmc"))
        .args(args)
        .output()
        .unwrap()
}

fn model_path(name: &str) -> String {
    conformance_dir()
        .join(format!("{name}.json"))
        .display()
        .to_string()
}

fn emit(name: &str) -> String {
    let out = gmmc(&["emit", "rust", &model_path(name)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn snapshot_full() {
    insta::assert_snapshot!("emit_rust_full", emit("em-full"));
}

#[test]
fn snapshot_tied() {
    insta::assert_snapshot!("emit_rust_tied", emit("em-tied"));
}

#[test]
fn snapshot_diag() {
    insta::assert_snapshot!("emit_rust_diag", emit("em-diag"));
}

#[test]
fn snapshot_spherical() {
    insta::assert_snapshot!("emit_rust_spherical", emit("em-spherical"));
}

/// The f32 literals of the emitted source, in order, as values.
fn f32_literals(source: &str) -> Vec<f32> {
    let mut out = Vec::new();
    let code = source
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut rest = code.as_str();
    while let Some(end) = rest.find("f32") {
        let head = &rest[..end];
        let start = head
            .rfind(|c: char| !(c.is_ascii_digit() || c == '.' || c == 'e' || c == '-'))
            .map_or(0, |i| i + 1);
        let text = head[start..].trim_start_matches('-');
        if !text.is_empty() && text.starts_with(|c: char| c.is_ascii_digit()) {
            let magnitude: f32 = text.parse().unwrap();
            let negative =
                head[..start].trim_end().ends_with('-') || head[start..].starts_with('-');
            out.push(if negative { -magnitude } else { magnitude });
        }
        rest = &rest[end + 3..];
    }
    out
}

#[test]
fn emitted_numbers_are_the_device_model_bit_for_bit() {
    for name in CASES {
        let model = Model::from_json(&std::fs::read_to_string(model_path(name)).unwrap()).unwrap();
        let device = DeviceModel::<f32>::f32(&model);
        let mut expected = device.constants.clone();
        expected.extend(&device.means);
        expected.extend(&device.factors);
        expected.extend([device.offset, device.scale, device.threshold]);
        let got = f32_literals(&emit(name));
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&got), bits(&expected), "{name}");
    }
}

#[test]
fn output_file_is_written_whole() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("detector.rs");
    let status = gmmc(&[
        "emit",
        "rust",
        &model_path("em-diag"),
        "-o",
        out.to_str().unwrap(),
        "--name",
        "MOTOR",
    ]);
    assert!(status.status.success());
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("pub static MOTOR: ::gmmc_runtime::Detector<"));
    assert!(text.contains("::gmmc_runtime::Diag<5, 3>"));
}

fn refused(args: &[&str], dir: &Path) -> String {
    let out = gmmc(args);
    assert!(!out.status.success(), "{args:?} should fail");
    assert_eq!(out.status.code(), Some(1));
    // No partial output is left behind.
    assert_eq!(std::fs::read_dir(dir).unwrap().count(), 0, "{args:?}");
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn refusals_name_the_cause_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.rs");
    let out = out.to_str().unwrap();
    let model = model_path("em-full");

    let err = refused(
        &["emit", "rust", &model, "-o", out, "--name", "fn"],
        dir.path(),
    );
    assert!(
        err.starts_with("error: --name `fn` is not a valid Rust identifier"),
        "{err}"
    );
    let err = refused(
        &["emit", "rust", &model, "-o", out, "--name", "9lives"],
        dir.path(),
    );
    assert!(
        err.contains("`9lives` is not a valid Rust identifier"),
        "{err}"
    );

    let missing = dir.path().join("missing.json");
    let err = refused(
        &["emit", "rust", missing.to_str().unwrap(), "-o", out],
        dir.path(),
    );
    assert!(
        err.starts_with("error: cannot read model") && err.contains("missing.json"),
        "{err}"
    );

    let bad = tempfile::tempdir().unwrap();
    let invalid = bad.path().join("invalid.json");
    let text =
        std::fs::read_to_string(&model)
            .unwrap()
            .replacen("\"version\": 1", "\"version\": 7", 1);
    std::fs::write(&invalid, text).unwrap();
    let err = refused(
        &["emit", "rust", invalid.to_str().unwrap(), "-o", out],
        dir.path(),
    );
    assert!(err.contains("invalid.json: field `version`"), "{err}");
}

#[test]
fn lowercase_names_are_allowed_without_warnings() {
    let text = emit_named("em-spherical", "motor");
    assert!(text.contains("#[allow(non_upper_case_globals)]"));
    assert!(text.contains("pub static motor:"));
}

fn emit_named(case: &str, name: &str) -> String {
    let out = gmmc(&["emit", "rust", &model_path(case), "--name", name]);
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}
