//! `gmmc emit c` on the command line: stdout and `-o`, the options, and clear errors.

use std::path::Path;
use std::process::{Command, Output};

use gmmc::emit::{self, COptions, Precision};
use gmmc_model::Model;

const MODEL: &str = r#"{
  "format": "gmmc-model", "version": 1,
  "covariance_type": "full", "n_features": 2, "n_components": 2, "n_inputs": 4,
  "feature_names": ["rms_x", "rms_z"], "axes": [3, 1],
  "weights": [0.25, 0.75], "means": [[0.0, 1.0], [2.0, -1.0]],
  "precisions_cholesky": [[1.0, 0.5, 2.0], [3.0, 0.0, 1.0]],
  "score": {"kind": "normalized", "offset": 1.5, "scale": 2.0, "threshold": 1.0}
}"#;

fn gmmc(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gmmc"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn setup() -> (tempfile::TempDir, Model) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pump.json"), MODEL).unwrap();
    (dir, Model::from_json(MODEL).unwrap())
}

#[test]
fn prints_the_header_to_stdout_or_writes_it_whole() {
    let (dir, model) = setup();
    let expected = emit::c(
        &model,
        &COptions {
            prefix: "pump".into(),
            precision: Precision::F64,
            model_name: Some("pump.json".into()),
        },
    )
    .unwrap();
    let out = gmmc(
        &[
            "emit",
            "c",
            "pump.json",
            "--prefix",
            "pump",
            "--precision",
            "f64",
        ],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), expected);

    let out = gmmc(
        &[
            "emit",
            "c",
            "pump.json",
            "-o",
            "pump.h",
            "--prefix",
            "pump",
            "--precision",
            "f64",
        ],
        dir.path(),
    );
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrote pump.h"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("pump.h")).unwrap(),
        expected
    );

    let out = gmmc(&["emit", "c", "pump.json"], dir.path());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("static inline float gmm_score(const float x[GMM_N_FEATURES])"));
}

#[test]
fn errors_name_the_cause_and_leave_no_file() {
    let (dir, _) = setup();
    let out = gmmc(
        &["emit", "c", "pump.json", "--prefix", "2pump", "-o", "x.h"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error: invalid prefix `2pump`"), "{err}");
    assert!(!dir.path().join("x.h").exists());

    let out = gmmc(&["emit", "c", "missing.json"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.json"));

    std::fs::write(
        dir.path().join("bad.json"),
        MODEL.replace("\"weights\": [0.25, 0.75]", "\"weights\": [0.25, 0.25]"),
    )
    .unwrap();
    let out = gmmc(&["emit", "c", "bad.json", "-o", "bad.h"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.json") && err.contains("weights"), "{err}");
    assert!(!dir.path().join("bad.h").exists());

    let out = gmmc(
        &["emit", "c", "pump.json", "--precision", "f16"],
        dir.path(),
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("f16"));
}

#[test]
fn help_lists_the_options() {
    let (dir, _) = setup();
    let out = gmmc(&["emit", "c", "--help"], dir.path());
    let help = String::from_utf8(out.stdout).unwrap();
    for option in ["--output", "--prefix", "--precision", "f32", "f64"] {
        assert!(help.contains(option), "{option}: {help}");
    }
    let out = gmmc(&["--help"], dir.path());
    assert!(String::from_utf8(out.stdout).unwrap().contains("emit"));
}
