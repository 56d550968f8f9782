//! `gmmc import sklearn`: a model from the JSON that `examples/sklearn-export` writes from a
//! fitted scikit-learn `GaussianMixture`.
//!
//! The JSON object carries scikit-learn's attribute names and shapes: `covariance_type`,
//! `weights` [K], `means` [K][D], `precisions_cholesky` (full [K][D][D] upper triangular, tied
//! [D][D], diag [K][D], spherical [K]); optionally `feature_names` [D] and
//! `train_log_likelihood` (`score_samples` of the training data, to calibrate the score).
//! Other keys are ignored.

use gmmc_model::{
    CovarianceType, FORMAT_NAME, FORMAT_VERSION, Model, ModelError, ScoreKind, Training, packed,
};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;
use serde_json::Value;

use crate::calibrate;
use crate::em::{self, Samples};
use crate::mixture::Mixture;

/// Samples drawn from an imported model to calibrate its score when no training data is
/// given.
pub const CALIBRATION_SAMPLES: usize = 20_000;

/// Why an export could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Not JSON, or a required key missing or of the wrong type.
    #[error("not a scikit-learn export: {0}")]
    Json(#[from] serde_json::Error),
    /// A value has the wrong shape or content.
    #[error("field `{field}`: {reason}")]
    Field {
        /// Which key (and index).
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// The converted model does not validate.
    #[error("the imported model is not valid: {0}")]
    Model(#[from] ModelError),
}

fn field(field: impl Into<String>, reason: impl Into<String>) -> ImportError {
    ImportError::Field {
        field: field.into(),
        reason: reason.into(),
    }
}

#[derive(Deserialize)]
struct Export {
    covariance_type: String,
    weights: Vec<f64>,
    means: Vec<Vec<f64>>,
    precisions_cholesky: Value,
    #[serde(default)]
    feature_names: Option<Vec<String>>,
    #[serde(default)]
    train_log_likelihood: Option<Vec<f64>>,
}

/// A parsed export: the mixture and the optional extras.
#[derive(Clone, Debug)]
pub struct Imported {
    /// The mixture, in gmmc's storage.
    pub mixture: Mixture,
    /// Feature names, if the export has them.
    pub feature_names: Option<Vec<String>>,
    /// `score_samples` of the training data, if the export has them.
    pub train_log_likelihood: Option<Vec<f64>>,
}

fn numbers(v: &Value, name: &str) -> Result<Vec<f64>, ImportError> {
    let items = v
        .as_array()
        .ok_or_else(|| field(name, "expected an array of numbers"))?;
    items
        .iter()
        .enumerate()
        .map(|(i, x)| {
            x.as_f64()
                .ok_or_else(|| field(format!("{name}[{i}]"), "expected a number"))
        })
        .collect()
}

fn matrix(v: &Value, name: &str, rows: usize, cols: usize) -> Result<Vec<Vec<f64>>, ImportError> {
    let items = v
        .as_array()
        .ok_or_else(|| field(name, "expected an array of arrays"))?;
    if items.len() != rows {
        return Err(field(
            name,
            format!("has {} rows, expected {rows}", items.len()),
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let r = numbers(row, &format!("{name}[{i}]"))?;
            if r.len() != cols {
                return Err(field(
                    format!("{name}[{i}]"),
                    format!("has {} entries, expected {cols}", r.len()),
                ));
            }
            Ok(r)
        })
        .collect()
}

/// Packs a dense D×D upper-triangular factor, refusing one with entries below the diagonal
/// (scikit-learn's `precisions_cholesky_` is upper triangular).
fn pack_factor(rows: &[Vec<f64>], name: &str) -> Result<Vec<f64>, ImportError> {
    let d = rows.len();
    for (i, row) in rows.iter().enumerate() {
        for (j, &v) in row.iter().enumerate().take(i) {
            if v != 0.0 {
                return Err(field(
                    format!("{name}[{i}][{j}]"),
                    "the factor must be upper triangular (scikit-learn's precisions_cholesky_), \
                     but this entry below the diagonal is not zero",
                ));
            }
        }
    }
    let dense: Vec<f64> = rows.concat();
    Ok(packed::pack_upper(&dense, d))
}

/// Parses an export into a mixture.
pub fn parse(text: &str) -> Result<Imported, ImportError> {
    let export: Export = serde_json::from_str(text)?;
    let cov: CovarianceType = export
        .covariance_type
        .parse()
        .map_err(|e: String| field("covariance_type", e))?;
    let k = export.weights.len();
    if k == 0 {
        return Err(field("weights", "is empty"));
    }
    if export.means.len() != k {
        return Err(field(
            "means",
            format!(
                "has {} rows, expected {k} (one per weight)",
                export.means.len()
            ),
        ));
    }
    let d = export.means[0].len();
    if d == 0 || d > gmmc_model::MAX_FEATURES {
        return Err(field(
            "means[0]",
            format!("{d} features is outside 1..={}", gmmc_model::MAX_FEATURES),
        ));
    }
    for (i, m) in export.means.iter().enumerate() {
        if m.len() != d {
            return Err(field(
                format!("means[{i}]"),
                format!("has {} entries, expected {d}", m.len()),
            ));
        }
    }
    let pc = &export.precisions_cholesky;
    let name = "precisions_cholesky";
    let factors = match cov {
        CovarianceType::Full => {
            let items = pc
                .as_array()
                .ok_or_else(|| field(name, "expected [K][D][D] arrays"))?;
            if items.len() != k {
                return Err(field(
                    name,
                    format!("has {} factors, expected {k}", items.len()),
                ));
            }
            let mut out = Vec::with_capacity(k * packed::len(d));
            for (c, item) in items.iter().enumerate() {
                let rows = matrix(item, &format!("{name}[{c}]"), d, d)?;
                out.extend(pack_factor(&rows, &format!("{name}[{c}]"))?);
            }
            out
        }
        CovarianceType::Tied => pack_factor(&matrix(pc, name, d, d)?, name)?,
        CovarianceType::Diag => matrix(pc, name, k, d)?.concat(),
        CovarianceType::Spherical => {
            let v = numbers(pc, name)?;
            if v.len() != k {
                return Err(field(
                    name,
                    format!("has {} entries, expected {k}", v.len()),
                ));
            }
            v
        }
    };
    if let Some(names) = &export.feature_names {
        if names.len() != d {
            return Err(field(
                "feature_names",
                format!("has {} names, expected {d}", names.len()),
            ));
        }
    }
    Ok(Imported {
        mixture: Mixture {
            covariance_type: cov,
            n_components: k,
            n_features: d,
            weights: export.weights,
            means: export.means.concat(),
            factors,
        },
        feature_names: export.feature_names,
        train_log_likelihood: export.train_log_likelihood,
    })
}

/// What to calibrate an imported model's score on.
#[derive(Clone, Copy, Debug)]
pub enum Calibration<'a> {
    /// Training data given by the user (rows of D features).
    Data(Samples<'a>),
    /// The export's `train_log_likelihood` if present, else samples drawn from the model.
    Automatic {
        /// Seed for the samples.
        seed: u64,
    },
}

/// Converts an export into a validated model with a calibrated score.
pub fn import(
    text: &str,
    score_kind: ScoreKind,
    quantile: f64,
    calibration: Calibration<'_>,
) -> Result<Model, ImportError> {
    let imported = parse(text)?;
    let mix = imported.mixture;
    let d = mix.n_features;
    let feature_names = imported
        .feature_names
        .unwrap_or_else(|| (0..d).map(|j| format!("f{j}")).collect());
    let mut model = Model {
        format: FORMAT_NAME.into(),
        version: FORMAT_VERSION,
        covariance_type: mix.covariance_type,
        n_features: d,
        n_components: mix.n_components,
        n_inputs: d,
        feature_names,
        axes: (0..d).collect(),
        weights: mix.weights.clone(),
        means: mix.means_rows(),
        precisions_cholesky: mix.precisions(),
        score: gmmc_model::ScoreTransform {
            kind: ScoreKind::Nll,
            offset: 0.0,
            scale: 1.0,
            threshold: 0.0,
            quantile: None,
            calibration: None,
        },
        training: Training {
            source: "scikit-learn import".into(),
            tool: format!("gmmc {}", env!("CARGO_PKG_VERSION")),
            ..Training::default()
        },
    };
    // Validate the mixture before drawing samples from it.
    model.validate()?;
    let (lls, note) = match calibration {
        Calibration::Data(x) => {
            if x.n_features() != d {
                return Err(field(
                    "--data",
                    format!(
                        "has {} columns, the model reads {d} features",
                        x.n_features()
                    ),
                ));
            }
            (
                em::log_likelihoods(&mix, x),
                format!("{} samples of the given data", x.n_rows()),
            )
        }
        Calibration::Automatic { seed } => match imported.train_log_likelihood {
            Some(v) if !v.is_empty() => {
                let n = v.len();
                (v, format!("{n} training log-likelihoods from the export"))
            }
            _ => {
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                let samples = mix.sample(CALIBRATION_SAMPLES, &mut rng);
                let x = Samples::new(&samples, d).ok_or_else(|| field("means", "no features"))?;
                (
                    em::log_likelihoods(&mix, x),
                    format!("{CALIBRATION_SAMPLES} samples drawn from the model (seed {seed})"),
                )
            }
        },
    };
    if let Some(bad) = lls.iter().position(|v| !v.is_finite()) {
        return Err(field(
            "train_log_likelihood",
            format!("calibration log-likelihood #{bad} is not finite"),
        ));
    }
    model.score = calibrate::score_transform(score_kind, &lls, quantile, note);
    model.validate()?;
    Ok(model)
}
