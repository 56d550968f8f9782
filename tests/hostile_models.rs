//! Bad model files: every defect is refused with one line naming the file and the field, exit
//! status 1, and nothing is allocated from a size the file merely claims.

use std::process::Command;

fn gmmc_inspect(text: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.json");
    std::fs::write(&path, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gmmc"))
        .arg("inspect")
        .arg(&path)
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8(out.stderr).unwrap())
}

/// A valid two-component, two-feature full model, as text, with `edit` applied to its JSON.
fn model_with(edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut v = serde_json::json!({
        "format": "gmmc-model", "version": 1, "covariance_type": "full",
        "n_features": 2, "n_components": 2, "n_inputs": 3,
        "feature_names": ["a", "c"], "axes": [0, 2],
        "weights": [0.25, 0.75],
        "means": [[0.0, 1.0], [2.0, -1.0]],
        "precisions_cholesky": [[1.0, 0.5, 2.0], [3.0, 0.0, 1.0]],
        "score": {"kind": "normalized", "offset": 1.5, "scale": 2.0, "threshold": 1.0},
        "training": {"source": "test", "tool": "test"}
    });
    edit(&mut v);
    v.to_string()
}

fn refused(text: &str, expected: &[&str]) {
    let (code, stderr) = gmmc_inspect(text);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.starts_with("error: ") && stderr.contains("model.json"),
        "{stderr}"
    );
    for e in expected {
        assert!(stderr.contains(e), "expected {e:?} in: {stderr}");
    }
}

#[test]
fn the_valid_model_is_accepted() {
    let (code, stderr) = gmmc_inspect(&model_with(|_| {}));
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn not_json() {
    refused(
        "this is not json",
        &["not a valid gmmc model file", "at line 1 column"],
    );
    refused("", &["not a valid gmmc model file"]);
    refused("{\"format\": \"gmmc-model\", \"version\": 1,", &["EOF"]);
}

#[test]
fn missing_fields() {
    refused(
        &model_with(|v| drop(v.as_object_mut().unwrap().remove("weights"))),
        &["missing field `weights`"],
    );
    refused(
        &model_with(|v| drop(v["score"].as_object_mut().unwrap().remove("threshold"))),
        &["missing field `threshold`"],
    );
}

#[test]
fn unknown_format_or_version() {
    refused(
        &model_with(|v| v["version"] = 2.into()),
        &["field `version`", "version 2 is not supported"],
    );
    refused(
        &model_with(|v| v["format"] = "onnx".into()),
        &["field `format`"],
    );
    refused(
        &model_with(|v| v["covariance_type"] = "banded".into()),
        &["unknown variant `banded`"],
    );
}

#[test]
fn bad_weights() {
    refused(
        &model_with(|v| v["weights"] = serde_json::json!([-0.25, 1.25])),
        &["field `weights[0]`", "positive"],
    );
    refused(
        &model_with(|v| v["weights"] = serde_json::json!([0.3, 0.6])),
        &["field `weights`", "weights sum to 0.89999"],
    );
    refused(
        &model_with(|v| v["weights"] = serde_json::json!([0.0, 1.0])),
        &["field `weights[0]`"],
    );
}

#[test]
fn non_positive_cholesky_diagonal() {
    refused(
        &model_with(|v| v["precisions_cholesky"][1][2] = (-1.0).into()),
        &["field `precisions_cholesky[1][2]`", "positive"],
    );
    refused(
        &model_with(|v| v["precisions_cholesky"][0][0] = 0.0.into()),
        &["field `precisions_cholesky[0][0]`"],
    );
}

#[test]
fn dimension_mismatches() {
    refused(
        &model_with(|v| v["means"][1] = serde_json::json!([1.0])),
        &["field `means[1]`", "expected 2"],
    );
    refused(
        &model_with(|v| v["n_components"] = 3.into()),
        &["field `weights`", "expected 3"],
    );
    refused(
        &model_with(|v| v["precisions_cholesky"][0] = serde_json::json!([1.0, 2.0])),
        &["field `precisions_cholesky[0]`"],
    );
    refused(
        &model_with(|v| v["feature_names"] = serde_json::json!(["a"])),
        &["field `feature_names`"],
    );
    refused(
        &model_with(|v| v["precisions_cholesky"] = serde_json::json!([1.0, 2.0])),
        &["field `precisions_cholesky`"],
    );
}

#[test]
fn axes_out_of_range() {
    refused(
        &model_with(|v| v["axes"] = serde_json::json!([0, 3])),
        &["field `axes[1]`", "out of range"],
    );
    refused(
        &model_with(|v| v["axes"] = serde_json::json!([2, 2])),
        &["field `axes[1]`", "twice"],
    );
}

#[test]
fn absurd_sizes_are_refused_before_allocating() {
    refused(
        &model_with(|v| v["n_features"] = 1_000_000_000u64.into()),
        &["field `n_features`", "1000000000"],
    );
    refused(
        &model_with(|v| v["n_components"] = 1_000_000_000u64.into()),
        &["field `n_components`"],
    );
    refused(
        &model_with(|v| v["n_inputs"] = 1_000_000_000_000u64.into()),
        &["field `n_inputs`"],
    );
    refused(
        &model_with(|v| v["n_features"] = serde_json::json!(1e30)),
        &["invalid type"],
    );
}

#[test]
fn numbers_that_do_not_fit_a_device() {
    refused(
        &model_with(|v| v["means"][0][0] = 1e300.into()),
        &["field `means[0][0]`", "f32"],
    );
    refused(
        &model_with(|v| v["score"]["scale"] = 0.0.into()),
        &["field `score.scale`"],
    );
}
