//! The model file's contents and their JSON form.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ModelError;
use crate::packed;

/// The value of the `format` field of every model file.
pub const FORMAT_NAME: &str = "gmmc-model";
/// The model file version this crate reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// How the components' covariances are parameterised (scikit-learn's `covariance_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CovarianceType {
    /// Each component has its own full covariance matrix.
    Full,
    /// All components share one full covariance matrix.
    Tied,
    /// Each component has its own diagonal covariance matrix.
    Diag,
    /// Each component has its own single variance.
    Spherical,
}

impl CovarianceType {
    /// All four types, in scikit-learn's order.
    pub const ALL: [CovarianceType; 4] = [
        CovarianceType::Full,
        CovarianceType::Tied,
        CovarianceType::Diag,
        CovarianceType::Spherical,
    ];

    /// The name used in model files, on the command line and by scikit-learn.
    pub fn as_str(self) -> &'static str {
        match self {
            CovarianceType::Full => "full",
            CovarianceType::Tied => "tied",
            CovarianceType::Diag => "diag",
            CovarianceType::Spherical => "spherical",
        }
    }

    /// Number of free covariance parameters for K components in D dimensions, as scikit-learn
    /// counts them for BIC and AIC.
    pub fn n_covariance_parameters(self, k: usize, d: usize) -> usize {
        match self {
            CovarianceType::Full => k * d * (d + 1) / 2,
            CovarianceType::Tied => d * (d + 1) / 2,
            CovarianceType::Diag => k * d,
            CovarianceType::Spherical => k,
        }
    }

    /// Number of free parameters of the whole mixture (weights, means, covariances), as
    /// scikit-learn's `_n_parameters`.
    pub fn n_parameters(self, k: usize, d: usize) -> usize {
        self.n_covariance_parameters(k, d) + k * d + k.saturating_sub(1)
    }
}

impl fmt::Display for CovarianceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CovarianceType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CovarianceType::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| {
                format!("unknown covariance type `{s}` (expected full, tied, diag or spherical)")
            })
    }
}

/// The precision Cholesky factors, in the storage of each covariance type.
///
/// Precision = U·Uᵀ with U upper triangular, as scikit-learn's `precisions_cholesky_`.
/// Full and tied factors use the [`packed`](crate::packed) layout.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Precisions {
    /// One packed upper triangle per component: K × D(D+1)/2.
    Full(Vec<Vec<f64>>),
    /// One packed upper triangle shared by every component: D(D+1)/2.
    Tied(Vec<f64>),
    /// The diagonal of each component's factor (1/σ per feature): K × D.
    Diag(Vec<Vec<f64>>),
    /// One scalar per component (1/σ): K.
    Spherical(Vec<f64>),
}

impl Precisions {
    /// The covariance type this storage belongs to.
    pub fn covariance_type(&self) -> CovarianceType {
        match self {
            Precisions::Full(_) => CovarianceType::Full,
            Precisions::Tied(_) => CovarianceType::Tied,
            Precisions::Diag(_) => CovarianceType::Diag,
            Precisions::Spherical(_) => CovarianceType::Spherical,
        }
    }

    /// `Σ ln diag(U_k)` for component `k`: half the log-determinant of its precision.
    pub fn log_det_cholesky(&self, k: usize, d: usize) -> f64 {
        match self {
            Precisions::Full(f) => (0..d).map(|j| f[k][packed::diagonal(j)].ln()).sum(),
            Precisions::Tied(f) => (0..d).map(|j| f[packed::diagonal(j)].ln()).sum(),
            Precisions::Diag(v) => v[k].iter().map(|p| p.ln()).sum(),
            Precisions::Spherical(s) => d as f64 * s[k].ln(),
        }
    }

    /// The dense row-major D×D upper-triangular factor of component `k` (tied: the shared
    /// one; diag and spherical: a diagonal matrix).
    pub fn dense_factor(&self, k: usize, d: usize) -> Vec<f64> {
        match self {
            Precisions::Full(f) => packed::unpack_upper(&f[k], d),
            Precisions::Tied(f) => packed::unpack_upper(f, d),
            Precisions::Diag(v) => diagonal_matrix(&v[k]),
            Precisions::Spherical(s) => diagonal_matrix(&vec![s[k]; d]),
        }
    }
}

fn diagonal_matrix(diag: &[f64]) -> Vec<f64> {
    let d = diag.len();
    let mut out = vec![0.0; d * d];
    for (j, v) in diag.iter().enumerate() {
        out[j * d + j] = *v;
    }
    out
}

/// Which anomaly score a model reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScoreKind {
    /// `(NLL − median training NLL) / (training-quantile NLL − median)`: 0 is a typical
    /// training sample, 1.0 the chosen training quantile. Higher is more anomalous.
    Normalized,
    /// The negative log-likelihood itself.
    Nll,
    /// Edge Impulse's score: |z-score of the log-likelihood| over the training set, so
    /// unusually likely samples score high too.
    EdgeImpulse,
}

impl ScoreKind {
    /// All kinds.
    pub const ALL: [ScoreKind; 3] = [
        ScoreKind::Normalized,
        ScoreKind::Nll,
        ScoreKind::EdgeImpulse,
    ];

    /// The name used in model files and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            ScoreKind::Normalized => "normalized",
            ScoreKind::Nll => "nll",
            ScoreKind::EdgeImpulse => "edge-impulse",
        }
    }
}

impl fmt::Display for ScoreKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ScoreKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ScoreKind::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| {
                format!("unknown score kind `{s}` (expected normalized, nll or edge-impulse)")
            })
    }
}

/// The map from log-likelihood to anomaly score, and the threshold on that score.
///
/// `score = (−log_likelihood − offset) / scale`, then the absolute value for
/// [`ScoreKind::EdgeImpulse`]. A sample is anomalous when `score > threshold`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScoreTransform {
    /// Which score this is.
    pub kind: ScoreKind,
    /// Subtracted from the negative log-likelihood.
    pub offset: f64,
    /// Divides the shifted negative log-likelihood; positive.
    pub scale: f64,
    /// Scores strictly above this are anomalies.
    pub threshold: f64,
    /// The training quantile the transform (normalized) or threshold (other kinds) was set
    /// from, when it was set that way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantile: Option<f64>,
    /// What data the transform and threshold were calibrated on, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<String>,
}

impl ScoreTransform {
    /// The anomaly score of a log-likelihood. A NaN or −∞ log-likelihood (broken input, or a
    /// sample too far away to represent) scores +∞, never NaN.
    pub fn score(&self, log_likelihood: f64) -> f64 {
        if log_likelihood.is_nan() || log_likelihood == f64::NEG_INFINITY {
            return f64::INFINITY;
        }
        let s = (-log_likelihood - self.offset) / self.scale;
        let s = match self.kind {
            ScoreKind::EdgeImpulse => s.abs(),
            ScoreKind::Normalized | ScoreKind::Nll => s,
        };
        if s.is_nan() { f64::INFINITY } else { s }
    }

    /// Whether a score is above the threshold.
    pub fn is_anomaly(&self, score: f64) -> bool {
        score > self.threshold || score.is_nan()
    }
}

/// How a model was made: informational, shown by `gmmc inspect` and in emitted headers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Training {
    /// What produced the model, for instance `gmmc train` or `scikit-learn import`.
    #[serde(default)]
    pub source: String,
    /// The tool and version that wrote the file, for instance `gmmc 0.1.0`.
    #[serde(default)]
    pub tool: String,
    /// The data file trained on (its name only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    /// Number of training samples.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n_samples: Option<usize>,
    /// Initialisation method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init: Option<String>,
    /// Number of initialisations tried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n_init: Option<usize>,
    /// Iteration limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_iter: Option<usize>,
    /// Convergence tolerance on the change of the mean log-likelihood.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tol: Option<f64>,
    /// Added to covariance diagonals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reg_covar: Option<f64>,
    /// Random seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// EM iterations run by the kept initialisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n_iter: Option<usize>,
    /// Whether the kept initialisation converged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub converged: Option<bool>,
    /// Final lower bound (mean training log-likelihood before the last M-step).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lower_bound: Option<f64>,
}

/// A fitted Gaussian mixture with its anomaly-score transform: the contents of a model file.
///
/// Construct one with [`Model::from_json`] (which validates) or build it field by field and
/// call [`Model::validate`] before use.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Model {
    /// Always [`FORMAT_NAME`].
    pub format: String,
    /// Always [`FORMAT_VERSION`].
    pub version: u32,
    /// How covariances are parameterised.
    pub covariance_type: CovarianceType,
    /// D: number of features the model reads.
    pub n_features: usize,
    /// K: number of mixture components.
    pub n_components: usize,
    /// Length of the full input vector that `axes` index into (for instance the whole DSP
    /// output of a device).
    pub n_inputs: usize,
    /// Names of the D features, in model order.
    pub feature_names: Vec<String>,
    /// For each feature, its index in the input vector.
    pub axes: Vec<usize>,
    /// Mixture weights, K, positive, summing to 1.
    pub weights: Vec<f64>,
    /// Component means, K × D.
    pub means: Vec<Vec<f64>>,
    /// Precision Cholesky factors, in the storage of the covariance type.
    pub precisions_cholesky: Precisions,
    /// Score transform and threshold.
    pub score: ScoreTransform,
    /// How the model was made.
    pub training: Training,
}

/// The JSON form before the precision storage is interpreted by covariance type.
#[derive(Deserialize)]
struct RawModel {
    format: String,
    version: u32,
    covariance_type: CovarianceType,
    n_features: usize,
    n_components: usize,
    n_inputs: usize,
    feature_names: Vec<String>,
    axes: Vec<usize>,
    weights: Vec<f64>,
    means: Vec<Vec<f64>>,
    precisions_cholesky: RawPrecisions,
    score: ScoreTransform,
    #[serde(default)]
    training: Training,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawPrecisions {
    Flat(Vec<f64>),
    Nested(Vec<Vec<f64>>),
}

impl Model {
    /// Parses and validates a model file's text.
    pub fn from_json(text: &str) -> Result<Model, ModelError> {
        let raw: RawModel = serde_json::from_str(text)?;
        Model::from_raw(raw)
    }

    /// Parses and validates a model file's bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Model, ModelError> {
        let raw: RawModel = serde_json::from_slice(bytes)?;
        Model::from_raw(raw)
    }

    fn from_raw(raw: RawModel) -> Result<Model, ModelError> {
        let field = "precisions_cholesky";
        let shape = |expected: &str| {
            ModelError::invalid(
                field,
                format!("a `{}` model stores {expected}", raw.covariance_type),
            )
        };
        let precisions = match (raw.covariance_type, raw.precisions_cholesky) {
            (CovarianceType::Full, RawPrecisions::Nested(v)) => Precisions::Full(v),
            (CovarianceType::Diag, RawPrecisions::Nested(v)) => Precisions::Diag(v),
            (CovarianceType::Tied, RawPrecisions::Flat(v)) => Precisions::Tied(v),
            (CovarianceType::Spherical, RawPrecisions::Flat(v)) => Precisions::Spherical(v),
            (CovarianceType::Full, _) => {
                return Err(shape(
                    "one packed upper triangle per component (an array of arrays)",
                ));
            }
            (CovarianceType::Diag, _) => {
                return Err(shape("one vector per component (an array of arrays)"));
            }
            (CovarianceType::Tied, _) => {
                return Err(shape("one packed upper triangle (an array of numbers)"));
            }
            (CovarianceType::Spherical, _) => {
                return Err(shape("one number per component (an array of numbers)"));
            }
        };
        let model = Model {
            format: raw.format,
            version: raw.version,
            covariance_type: raw.covariance_type,
            n_features: raw.n_features,
            n_components: raw.n_components,
            n_inputs: raw.n_inputs,
            feature_names: raw.feature_names,
            axes: raw.axes,
            weights: raw.weights,
            means: raw.means,
            precisions_cholesky: precisions,
            score: raw.score,
            training: raw.training,
        };
        model.validate()?;
        Ok(model)
    }

    /// The model file's text: pretty JSON, numbers with round-trip precision, a final newline.
    /// Deterministic: the same model always gives the same bytes.
    pub fn to_json(&self) -> String {
        // Serialising plain data with string keys cannot fail.
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// The natural log of the mixture density at `x` (D features), as scikit-learn's
    /// `score_samples`, computed in f64. −∞ for non-finite input.
    pub fn log_likelihood(&self, x: &[f64]) -> f64 {
        crate::scoring::Scorer::new(self).log_likelihood(x)
    }

    /// The anomaly score of `x` (D features): higher is more anomalous, +∞ for broken input.
    pub fn score(&self, x: &[f64]) -> f64 {
        self.score.score(self.log_likelihood(x))
    }
}
