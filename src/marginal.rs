//! A model marginalised onto some of its features, and its anomaly score calibrated to match
//! the full model's threshold.
//!
//! The marginal of a Gaussian mixture onto a subset of features is again a Gaussian mixture
//! with the same weights, the sub-vectors of the means and the sub-blocks of the covariances.
//! The covariances are not stored in a model file; they are recovered from the precision
//! factors as Σ = (U·Uᵀ)⁻¹ and then factored again for the subset. The marginal is always
//! returned with `full` covariances (a sub-block of a tied or diagonal covariance is itself
//! tied or diagonal, but the plots do not need to know).
//!
//! A score threshold set on D features means nothing on two, so [`project`] matches
//! probability mass instead: it draws samples from the model, measures the share `p` of them
//! the model calls normal (`score ≤ threshold`), and calibrates the marginal's score (same kind
//! as the model's) so that its threshold is the `p`-quantile of the marginal scores of the same
//! samples. The threshold contour of the marginal then encloses the same share of the model's
//! probability as the model's own threshold does.

use gmmc_model::scoring::Scorer;
use gmmc_model::{CovarianceType, Model, ModelError, Precisions, Training, packed};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::calibrate;
use crate::covariance::{self, covariance_of_factor};
use crate::mixture::Mixture;

/// Samples drawn from a model to calibrate its marginal score.
pub const PROJECTION_SAMPLES: usize = 20_000;

/// Why a marginal could not be made.
#[derive(Debug, thiserror::Error)]
pub enum MarginalError {
    /// No features, or a feature index out of range or repeated.
    #[error("{0}")]
    Features(String),
    /// The sub-covariance of a component is not positive definite (numerically).
    #[error(
        "the covariance of component {0} restricted to these features is not positive definite"
    )]
    NotPositiveDefinite(usize),
    /// The marginal does not make a valid model.
    #[error("{0}")]
    Model(#[from] ModelError),
}

/// The dense row-major D×D covariance of component `k`.
pub fn component_covariance(model: &Model, k: usize) -> Vec<f64> {
    let d = model.n_features;
    let diagonal = |inv_sd: &[f64]| {
        let mut out = vec![0.0; d * d];
        for (j, p) in inv_sd.iter().enumerate() {
            out[j * d + j] = 1.0 / (p * p);
        }
        out
    };
    match &model.precisions_cholesky {
        Precisions::Full(f) => covariance_of_factor(&f[k], d),
        Precisions::Tied(f) => covariance_of_factor(f, d),
        Precisions::Diag(v) => diagonal(&v[k]),
        Precisions::Spherical(s) => diagonal(&vec![s[k]; d]),
    }
}

/// The model marginalised onto `features` (indices into the model's features, in the order
/// wanted): a `full` model over those features with the same weights and the original score
/// transform (which is not meaningful for it; see [`project`]).
pub fn marginal(model: &Model, features: &[usize]) -> Result<Model, MarginalError> {
    let d = model.n_features;
    if features.is_empty() {
        return Err(MarginalError::Features(
            "no features to marginalise onto".into(),
        ));
    }
    for (i, &f) in features.iter().enumerate() {
        if f >= d {
            return Err(MarginalError::Features(format!(
                "feature index {f} is out of range: the model has {d} features"
            )));
        }
        if features[..i].contains(&f) {
            return Err(MarginalError::Features(format!(
                "feature `{}` is selected twice",
                model.feature_names[f]
            )));
        }
    }
    let m = features.len();
    let mut factors = Vec::with_capacity(model.n_components);
    for k in 0..model.n_components {
        let sigma = component_covariance(model, k);
        let sub: Vec<f64> = (0..m)
            .flat_map(|j| (0..=j).map(move |i| (i, j)))
            .map(|(i, j)| sigma[features[i] * d + features[j]])
            .collect();
        debug_assert_eq!(sub.len(), packed::len(m));
        let u = covariance::full_precision_cholesky(&sub, m)
            .map_err(|_| MarginalError::NotPositiveDefinite(k))?;
        factors.push(u);
    }
    let out = Model {
        format: model.format.clone(),
        version: model.version,
        covariance_type: CovarianceType::Full,
        n_features: m,
        n_components: model.n_components,
        n_inputs: m,
        feature_names: features
            .iter()
            .map(|&f| model.feature_names[f].clone())
            .collect(),
        axes: (0..m).collect(),
        weights: model.weights.clone(),
        means: model
            .means
            .iter()
            .map(|mean| features.iter().map(|&f| mean[f]).collect())
            .collect(),
        precisions_cholesky: Precisions::Full(factors),
        score: model.score.clone(),
        training: Training {
            source: "marginal of a gmmc model".into(),
            ..Training::default()
        },
    };
    out.validate()?;
    Ok(out)
}

/// A marginal with its score calibrated against the full model (see the module docs).
#[derive(Clone, Debug)]
pub struct Projection {
    /// The marginal model; its score transform is recalibrated and its threshold is the
    /// mass-matched one.
    pub model: Model,
    /// The share of the full model's samples at or below its threshold (the mass inside the
    /// marginal's threshold contour).
    pub mass: f64,
    /// The median of the marginal scores of the samples.
    pub median_score: f64,
    /// The 0.9 quantile of the marginal scores of the samples.
    pub q90_score: f64,
}

/// Marginalises `model` onto `features` and calibrates the marginal's score from
/// `n_samples` samples of the model drawn with `seed` (deterministic).
pub fn project(
    model: &Model,
    features: &[usize],
    n_samples: usize,
    seed: u64,
) -> Result<Projection, MarginalError> {
    let mut marginal = marginal(model, features)?;
    let n = n_samples.max(2);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let samples = Mixture::from_model(model).sample(n, &mut rng);
    let d = model.n_features;
    let full = Scorer::new(model);
    let part = Scorer::new(&marginal);
    let mut inside = 0usize;
    let mut lls = Vec::with_capacity(n);
    let mut sub = vec![0.0; features.len()];
    for row in samples.chunks_exact(d) {
        if !model
            .score
            .is_anomaly(model.score.score(full.log_likelihood(row)))
        {
            inside += 1;
        }
        for (s, &f) in sub.iter_mut().zip(features) {
            *s = row[f];
        }
        lls.push(part.log_likelihood(&sub));
    }
    let mass = inside as f64 / n as f64;
    let mut transform = calibrate::score_transform(
        model.score.kind,
        &lls,
        mass,
        format!("{n} samples of the full model"),
    );
    transform.quantile = None;
    let mut scores: Vec<f64> = lls.iter().map(|&ll| transform.score(ll)).collect();
    let median_score = calibrate::quantile(&mut scores, 0.5);
    let q90_score = calibrate::quantile(&mut scores, 0.9);
    marginal.score = transform;
    marginal.validate()?;
    Ok(Projection {
        model: marginal,
        mass,
        median_score,
        q90_score,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> Model {
        // Two full components in 3-D with known covariances.
        let covs = [
            [[4.0, 1.2, 0.4], [1.2, 2.0, -0.3], [0.4, -0.3, 1.0]],
            [[1.0, 0.0, 0.2], [0.0, 3.0, 0.9], [0.2, 0.9, 2.0]],
        ];
        let factors = covs
            .iter()
            .map(|c| {
                let packed: Vec<f64> = (0..3).flat_map(|j| (0..=j).map(move |i| c[i][j])).collect();
                covariance::full_precision_cholesky(&packed, 3).unwrap()
            })
            .collect();
        let json = serde_json::json!({
            "format": "gmmc-model", "version": 1, "covariance_type": "full",
            "n_features": 3, "n_components": 2, "n_inputs": 3,
            "feature_names": ["a", "b", "c"], "axes": [0, 1, 2],
            "weights": [0.3, 0.7], "means": [[0.0, 1.0, 2.0], [5.0, -1.0, 0.5]],
            "precisions_cholesky": Precisions::Full(factors),
            "score": {"kind": "nll", "offset": 0.0, "scale": 1.0, "threshold": 9.0}
        });
        Model::from_json(&json.to_string()).unwrap()
    }

    #[test]
    fn marginal_keeps_sub_means_and_sub_covariances() {
        let m = model();
        let sub = marginal(&m, &[2, 0]).unwrap();
        assert_eq!(sub.feature_names, ["c", "a"]);
        assert_eq!(sub.means, [[2.0, 0.0], [0.5, 5.0]]);
        // Component 0 restricted to (c, a): [[1.0, 0.4], [0.4, 4.0]].
        let c0 = component_covariance(&sub, 0);
        let want = [1.0, 0.4, 0.4, 4.0];
        for (a, b) in c0.iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{c0:?}");
        }
        // The 2-D density by hand at a point: a mixture of two bivariate normals.
        let x = [1.5, 2.0];
        let pdf = |mean: [f64; 2], c: [f64; 4], w: f64| {
            let det = c[0] * c[3] - c[1] * c[2];
            let (dx, dy) = (x[0] - mean[0], x[1] - mean[1]);
            let q = (c[3] * dx * dx - 2.0 * c[1] * dx * dy + c[0] * dy * dy) / det;
            w * (-0.5 * q).exp() / (2.0 * std::f64::consts::PI * det.sqrt())
        };
        let p =
            pdf([2.0, 0.0], [1.0, 0.4, 0.4, 4.0], 0.3) + pdf([0.5, 5.0], [2.0, 0.2, 0.2, 1.0], 0.7);
        assert!((sub.log_likelihood(&x) - p.ln()).abs() < 1e-12);
    }

    #[test]
    fn projection_threshold_encloses_the_model_mass() {
        let m = model();
        let p = project(&m, &[0, 1], 4000, 7).unwrap();
        assert!(p.mass > 0.0 && p.mass < 1.0);
        // Fresh samples: the share inside the marginal threshold is close to `mass`.
        let mut rng = ChaCha8Rng::seed_from_u64(99);
        let s = Mixture::from_model(&m).sample(20_000, &mut rng);
        let inside = s
            .chunks_exact(3)
            .filter(|r| !p.model.score.is_anomaly(p.model.score(&[r[0], r[1]])))
            .count() as f64
            / 20_000.0;
        assert!((inside - p.mass).abs() < 0.02, "{inside} vs {}", p.mass);
        assert!(marginal(&m, &[0, 0]).is_err());
        assert!(marginal(&m, &[3]).is_err());
    }
}
