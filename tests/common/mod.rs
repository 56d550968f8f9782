//! Helpers shared by the integration tests: fixture paths and the scikit-learn reference cases.
#![allow(dead_code)]

use std::path::PathBuf;

use serde_json::Value;

/// A file under `tests/fixtures/`.
pub fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// A scikit-learn reference case (`tests/fixtures/sklearn/<name>/`), copied from the
/// generator in `shared/reference/make_reference.py`.
pub struct Case {
    pub name: String,
    pub json: Value,
    pub train: Vec<f64>,
    pub eval: Vec<f64>,
    pub d: usize,
}

/// Reads a reference CSV (header row, then numbers written with %.17g).
pub fn read_numbers_csv(path: &std::path::Path) -> (Vec<f64>, usize) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let d = lines.next().unwrap().split(',').count();
    let values: Vec<f64> = lines
        .filter(|l| !l.is_empty())
        .flat_map(|l| {
            l.split(',')
                .map(|v| v.parse::<f64>().unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    (values, d)
}

pub fn case(name: &str) -> Case {
    let dir = fixture(&format!("sklearn/{name}"));
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("case.json")).unwrap()).unwrap();
    let (train, d) = read_numbers_csv(&dir.join("train.csv"));
    let (eval, _) = read_numbers_csv(&dir.join("eval.csv"));
    Case {
        name: name.to_string(),
        json,
        train,
        eval,
        d,
    }
}

/// The precision factors of a mixture in scikit-learn's dense shapes, flattened: full
/// [K][D][D] and tied [D][D] upper triangular (zeros below), diag [K][D], spherical [K].
pub fn dense_factors(mix: &gmmc::mixture::Mixture) -> Vec<f64> {
    use gmmc::model::{CovarianceType, packed};
    let d = mix.n_features;
    match mix.covariance_type {
        CovarianceType::Full => (0..mix.n_components)
            .flat_map(|k| packed::unpack_upper(mix.factor(k), d))
            .collect(),
        CovarianceType::Tied => packed::unpack_upper(&mix.factors, d),
        CovarianceType::Diag | CovarianceType::Spherical => mix.factors.clone(),
    }
}

pub fn f64s(v: &Value) -> Vec<f64> {
    match v {
        Value::Array(items) => items.iter().flat_map(f64s).collect(),
        Value::Number(n) => vec![n.as_f64().unwrap()],
        other => panic!("not numeric: {other}"),
    }
}

/// |a − b| / max(1, |b|)
pub fn rel_err(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1.0)
}

/// Largest `rel_err` over two equally long slices.
pub fn max_rel_err(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "lengths differ");
    a.iter()
        .zip(b)
        .map(|(x, y)| rel_err(*x, *y))
        .fold(0.0, f64::max)
}
