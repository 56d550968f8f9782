//! The emitted C header as text: snapshots per covariance type, every literal reading back to
//! the exact bits of the device model, determinism, and the build-script helper.
//! (Compiling and running the header: `emit_c_host.rs` and `emit_c_firmware.rs`.)

mod common;

use gmmc::emit::{self, COptions, EmitError, Precision};
use gmmc_model::device::DeviceModel;
use gmmc_model::{
    CovarianceType, FORMAT_NAME, FORMAT_VERSION, Model, Precisions, ScoreKind, ScoreTransform,
    Training,
};

/// A small model (K = 2, D = 3) of each covariance type, with made-up but valid numbers.
fn small_model(cov: CovarianceType) -> Model {
    let precisions = match cov {
        CovarianceType::Full => Precisions::Full(vec![
            vec![1.5, 0.25, 0.8, -0.2, 0.1, 1.1],
            vec![0.7, -0.4, 1.3, 0.25, 0.6, 0.9],
        ]),
        CovarianceType::Tied => Precisions::Tied(vec![1.5, 0.25, 0.8, -0.2, 0.1, 1.1]),
        CovarianceType::Diag => Precisions::Diag(vec![vec![1.5, 0.8, 1.1], vec![0.7, 1.3, 0.9]]),
        CovarianceType::Spherical => Precisions::Spherical(vec![1.5, 0.7]),
    };
    Model {
        format: FORMAT_NAME.into(),
        version: FORMAT_VERSION,
        covariance_type: cov,
        n_features: 3,
        n_components: 2,
        n_inputs: 3,
        feature_names: vec!["rpm".into(), "rms_x".into(), "temperature".into()],
        axes: vec![0, 1, 2],
        weights: vec![0.375, 0.625],
        means: vec![vec![0.1, -0.2, 0.3], vec![1.0, 2.0, -1.0]],
        precisions_cholesky: precisions,
        score: ScoreTransform {
            kind: ScoreKind::Normalized,
            offset: 4.25,
            scale: 1.5,
            threshold: 1.0,
            quantile: Some(0.99),
            calibration: Some("500 samples of the given data".into()),
        },
        training: Training {
            source: "gmmc train".into(),
            tool: format!("gmmc {}", env!("CARGO_PKG_VERSION")),
            data: Some("pump.csv".into()),
            n_samples: Some(500),
            init: Some("kmeans".into()),
            n_init: Some(1),
            max_iter: Some(100),
            tol: Some(1e-3),
            reg_covar: Some(1e-6),
            seed: Some(7),
            n_iter: Some(12),
            converged: Some(true),
            lower_bound: Some(-3.25),
        },
    }
}

fn header(model: &Model, options: &COptions) -> String {
    emit::c(model, options).unwrap()
}

/// Snapshots pin the emitted text on purpose (the version number is masked so that a
/// release does not churn them).
fn snapshot(name: &str, text: &str) {
    insta::with_settings!({filters => vec![(r"gmmc \d+\.\d+\.\d+(-[0-9A-Za-z.]+)?", "gmmc [version]")]}, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn snapshot_full() {
    let options = COptions {
        model_name: Some("pump.json".into()),
        ..COptions::default()
    };
    snapshot(
        "full",
        &header(&small_model(CovarianceType::Full), &options),
    );
}

#[test]
fn snapshot_tied_edge_impulse_offset_axes() {
    let mut m = small_model(CovarianceType::Tied);
    m.score.kind = ScoreKind::EdgeImpulse;
    m.n_inputs = 6;
    m.axes = vec![2, 3, 4];
    snapshot("tied", &header(&m, &COptions::default()));
}

#[test]
fn snapshot_diag_nll_scattered_axes_prefix() {
    let mut m = small_model(CovarianceType::Diag);
    m.score = ScoreTransform {
        kind: ScoreKind::Nll,
        offset: 0.0,
        scale: 1.0,
        threshold: 6.5,
        quantile: None,
        calibration: None,
    };
    m.n_inputs = 5;
    m.axes = vec![4, 0, 2];
    let options = COptions {
        prefix: "motor".into(),
        ..COptions::default()
    };
    snapshot("diag", &header(&m, &options));
}

#[test]
fn snapshot_spherical_f64() {
    let options = COptions {
        precision: Precision::F64,
        ..COptions::default()
    };
    snapshot(
        "spherical_f64",
        &header(&small_model(CovarianceType::Spherical), &options),
    );
}

#[test]
fn snapshot_tied_loops_above_the_unroll_limit() {
    // D = 17 > UNROLL_MAX_FEATURES: the triangular product is a loop, not written out.
    let d = emit::c::UNROLL_MAX_FEATURES + 1;
    let mut m = small_model(CovarianceType::Tied);
    let factor: Vec<f64> = (0..d)
        .flat_map(|j| (0..=j).map(move |i| if i == j { 1.0 + j as f64 / 8.0 } else { 0.125 }))
        .collect();
    m.n_features = d;
    m.n_inputs = d;
    m.feature_names = (0..d).map(|j| format!("f{j}")).collect();
    m.axes = (0..d).collect();
    m.means = vec![vec![0.5; d], vec![-0.25; d]];
    m.precisions_cholesky = Precisions::Tied(factor);
    let text = header(&m, &COptions::default());
    assert!(!text.contains("_detail_quadratic"));
    snapshot("tied_loops", &text);
}

#[test]
fn snapshot_one_component_hostile_strings() {
    let mut m = small_model(CovarianceType::Diag);
    m.n_components = 1;
    m.weights = vec![1.0];
    m.means.truncate(1);
    m.precisions_cholesky = Precisions::Diag(vec![vec![1.5, 0.8, 1.1]]);
    m.feature_names = vec![
        "x */ #error injected /*".into(),
        "line\n#error injected".into(),
        "splice \\".into(),
    ];
    m.training.data = Some("trigraph ??/".into());
    m.training.source = "caf\u{e9} \u{202e}rtl".into();
    snapshot("hostile_strings", &header(&m, &COptions::default()));
}

/// The numeric literals of the header's array initialisers and of the threshold macro, in
/// order of appearance.
fn array_literals(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_array = false;
    for line in text.lines() {
        if line.starts_with("static const") && line.ends_with("= {") {
            in_array = !line.contains("_axes[");
            continue;
        }
        if line == "};" {
            in_array = false;
            continue;
        }
        if in_array && !line.trim_start().starts_with("/*") {
            out.extend(
                line.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from),
            );
        }
        if line.contains("_THRESHOLD ") && line.starts_with("#define") {
            let lit = line.rsplit(' ').next().unwrap();
            out.push(lit.trim_matches(|c| c == '(' || c == ')').to_string());
        }
    }
    out
}

#[test]
fn every_f32_literal_reads_back_to_the_same_bits() {
    let mut models: Vec<Model> = CovarianceType::ALL.into_iter().map(small_model).collect();
    for name in [
        "em-full",
        "em-tied",
        "em-diag",
        "em-spherical",
        "scaled-full",
    ] {
        let c = common::case(name);
        let f = &c.json["fitted"];
        let export = serde_json::json!({
            "covariance_type": c.json["covariance_type"],
            "weights": f["weights"], "means": f["means"],
            "precisions_cholesky": f["precisions_cholesky"],
        });
        let samples = gmmc::em::Samples::new(&c.train, c.d).unwrap();
        models.push(
            gmmc::import::import(
                &export.to_string(),
                ScoreKind::Normalized,
                0.99,
                gmmc::import::Calibration::Data(samples),
            )
            .unwrap(),
        );
    }
    for m in &models {
        let text = header(m, &COptions::default());
        let dev = DeviceModel::<f32>::f32(m);
        // Order in the header: threshold macro, constants, means, factors.
        let expected: Vec<u32> = [dev.threshold]
            .iter()
            .chain(&dev.constants)
            .chain(&dev.means)
            .chain(&dev.factors)
            .map(|v| v.to_bits())
            .collect();
        let got: Vec<u32> = array_literals(&text)
            .iter()
            .map(|lit| {
                let digits = lit
                    .strip_suffix('f')
                    .unwrap_or_else(|| panic!("f32 literal without an f suffix: {lit}"));
                assert!(
                    digits.contains(['.', 'e']),
                    "{lit} would be an integer constant"
                );
                digits.parse::<f32>().unwrap().to_bits()
            })
            .collect();
        assert_eq!(got, expected, "{} model", m.covariance_type);

        let text = header(
            m,
            &COptions {
                precision: Precision::F64,
                ..COptions::default()
            },
        );
        let dev = DeviceModel::<f64>::f64(m);
        let expected: Vec<u64> = [dev.threshold]
            .iter()
            .chain(&dev.constants)
            .chain(&dev.means)
            .chain(&dev.factors)
            .map(|v| v.to_bits())
            .collect();
        let got: Vec<u64> = array_literals(&text)
            .iter()
            .map(|lit| {
                assert!(!lit.ends_with('f'), "{lit} in an f64 header");
                lit.parse::<f64>().unwrap().to_bits()
            })
            .collect();
        assert_eq!(got, expected, "{} model (f64)", m.covariance_type);
    }
}

#[test]
fn f32_header_uses_float_only() {
    let text = header(&small_model(CovarianceType::Full), &COptions::default());
    let code: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('*') && !l.trim_start().starts_with("/*"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(!code.contains("double"), "{code}");
    assert!(!code.contains("exp(") && !code.contains("log("), "{code}");
    assert!(code.contains("expf(") && code.contains("logf("));
}

#[test]
fn output_is_deterministic_and_self_contained() {
    for cov in CovarianceType::ALL {
        let m = small_model(cov);
        let a = header(&m, &COptions::default());
        let b = header(&m.clone(), &COptions::default());
        assert_eq!(a, b);
        assert!(a.ends_with("#endif /* GMMC_GMM_H */\n"));
        let includes: Vec<&str> = a.lines().filter(|l| l.starts_with("#include")).collect();
        assert_eq!(includes, ["#include <math.h>", "#include <stdint.h>"]);
        assert!(!a.contains("malloc"));
    }
}

#[test]
fn bad_prefix_and_invalid_model_are_refused() {
    let m = small_model(CovarianceType::Full);
    for bad in ["", "1gmm", "_gmm", "gmm__a", "gmm-x", "for", "gmm_"] {
        let options = COptions {
            prefix: bad.into(),
            ..COptions::default()
        };
        match emit::c(&m, &options) {
            Err(EmitError::Name { what, name, .. }) => {
                assert_eq!((what, name.as_str()), ("prefix", bad));
            }
            other => panic!("{bad:?}: {other:?}"),
        }
    }
    let mut invalid = m.clone();
    invalid.weights = vec![0.5, 0.75];
    let err = emit::c(&invalid, &COptions::default()).unwrap_err();
    assert!(err.to_string().contains("weights"), "{err}");
}

#[test]
fn write_header_writes_only_when_the_bytes_change() {
    let dir = tempfile::tempdir().unwrap();
    let model_path = dir.path().join("pump.json");
    let out = dir.path().join("pump.h");
    let m = small_model(CovarianceType::Full);
    std::fs::write(&model_path, m.to_json()).unwrap();
    let options = COptions::default();
    assert!(emit::c::write_header(&model_path, &out, &options).unwrap());
    assert_eq!(std::fs::read_to_string(&out).unwrap(), header(&m, &options));
    let stamp = std::fs::metadata(&out).unwrap().modified().unwrap();
    assert!(!emit::c::write_header(&model_path, &out, &options).unwrap());
    assert_eq!(std::fs::metadata(&out).unwrap().modified().unwrap(), stamp);

    let mut changed = m.clone();
    changed.score.threshold = 2.0;
    std::fs::write(&model_path, changed.to_json()).unwrap();
    assert!(emit::c::write_header(&model_path, &out, &options).unwrap());
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .contains("_THRESHOLD 2.0f")
    );

    // A broken model names the file and leaves the old header alone.
    std::fs::write(&model_path, "{\"format\": 1}").unwrap();
    let err = emit::c::write_header(&model_path, &out, &options).unwrap_err();
    assert!(err.to_string().contains("pump.json"), "{err}");
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .contains("_THRESHOLD 2.0f")
    );
    let missing = dir.path().join("missing.json");
    let err = emit::c::write_header(&missing, &out, &options).unwrap_err();
    assert!(err.to_string().contains("missing.json"), "{err}");
}

#[test]
fn build_helper_needs_a_build_script() {
    // Integration tests of a package without a build script run without OUT_DIR.
    if std::env::var_os("OUT_DIR").is_some() {
        return;
    }
    let err = emit::c::build("model.json", "gmm.h", &COptions::default()).unwrap_err();
    assert!(matches!(err, EmitError::NoOutDir), "{err}");
}
