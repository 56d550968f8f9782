//! The derived scoring constants and the reference f64 scorer.
//!
//! Every scorer gmmc emits computes, per component k,
//!
//! ```text
//! lp_k(x) = c_k − ½·‖(x − μ_k)ᵀ·U_k‖²,   c_k = ln w_k + Σ_j ln U_k[j][j] − ½·D·ln 2π
//! ```
//!
//! and `log p(x) = max_k lp_k + ln Σ_k exp(lp_k − max_k lp_k)`. This module computes the folded
//! constants `c_k` once, in f64, and scores in f64; it is the definition the device scorers
//! are tested against.

use crate::packed;
use crate::{Model, Precisions};

/// `½·ln 2π`.
pub const HALF_LN_2PI: f64 = 0.918_938_533_204_672_8;

/// The folded per-component constants `c_k = ln w_k + Σ ln diag(U_k) − ½·D·ln 2π`.
pub fn component_constants(model: &Model) -> Vec<f64> {
    let d = model.n_features;
    (0..model.n_components)
        .map(|k| {
            model.weights[k].ln() + model.precisions_cholesky.log_det_cholesky(k, d)
                - d as f64 * HALF_LN_2PI
        })
        .collect()
}

/// `‖(x − μ)ᵀ·U‖²` for a packed upper-triangular factor `u` (see [`packed`]).
pub fn mahalanobis_packed(x: &[f64], mean: &[f64], u: &[f64]) -> f64 {
    let d = x.len();
    let mut diff = [0.0f64; 64];
    let mut heap;
    let diff: &mut [f64] = if d <= diff.len() {
        &mut diff[..d]
    } else {
        heap = vec![0.0; d];
        &mut heap
    };
    for ((t, xi), mi) in diff.iter_mut().zip(x).zip(mean) {
        *t = xi - mi;
    }
    let mut q = 0.0;
    for j in 0..d {
        let col = &u[packed::column_start(j)..packed::column_start(j) + j + 1];
        let y: f64 = col.iter().zip(diff.iter()).map(|(a, b)| a * b).sum();
        q += y * y;
    }
    q
}

/// Log-sum-exp shifted by the maximum; −∞ when every term is −∞, NaN never for non-NaN terms.
pub fn log_sum_exp(terms: &[f64]) -> f64 {
    let max = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY || max.is_nan() {
        return max;
    }
    max + terms.iter().map(|t| (t - max).exp()).sum::<f64>().ln()
}

/// A model's reference scorer: the folded constants computed once.
#[derive(Clone, Debug)]
pub struct Scorer<'a> {
    model: &'a Model,
    constants: Vec<f64>,
}

impl<'a> Scorer<'a> {
    /// Precomputes the folded constants of a (validated) model.
    pub fn new(model: &'a Model) -> Scorer<'a> {
        Scorer {
            model,
            constants: component_constants(model),
        }
    }

    /// The folded constants `c_k`.
    pub fn constants(&self) -> &[f64] {
        &self.constants
    }

    /// Per-component log-probabilities `lp_k(x)` (weight included), written into `out` (K).
    pub fn component_log_probs(&self, x: &[f64], out: &mut [f64]) {
        let m = self.model;
        for (k, slot) in out.iter_mut().enumerate().take(m.n_components) {
            let mean = &m.means[k];
            let q = match &m.precisions_cholesky {
                Precisions::Full(f) => mahalanobis_packed(x, mean, &f[k]),
                Precisions::Tied(f) => mahalanobis_packed(x, mean, f),
                Precisions::Diag(v) => x
                    .iter()
                    .zip(mean)
                    .zip(&v[k])
                    .map(|((xi, mi), p)| {
                        let y = (xi - mi) * p;
                        y * y
                    })
                    .sum(),
                Precisions::Spherical(s) => {
                    let ss: f64 = x
                        .iter()
                        .zip(mean)
                        .map(|(xi, mi)| (xi - mi) * (xi - mi))
                        .sum();
                    ss * s[k] * s[k]
                }
            };
            *slot = self.constants[k] - 0.5 * q;
        }
    }

    /// `ln p(x)` for D features; −∞ if `x` has a NaN or infinite value or is so far away that
    /// the density underflows, never NaN.
    pub fn log_likelihood(&self, x: &[f64]) -> f64 {
        if x.len() != self.model.n_features || x.iter().any(|v| !v.is_finite()) {
            return f64::NEG_INFINITY;
        }
        let mut buf = [0.0f64; 64];
        let mut heap;
        let lp: &mut [f64] = if self.model.n_components <= buf.len() {
            &mut buf[..self.model.n_components]
        } else {
            heap = vec![0.0; self.model.n_components];
            &mut heap
        };
        self.component_log_probs(x, lp);
        let ll = log_sum_exp(lp);
        if ll.is_nan() { f64::NEG_INFINITY } else { ll }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CovarianceType, ScoreKind, ScoreTransform, Training};

    fn model(
        cov: CovarianceType,
        precisions: Precisions,
        weights: Vec<f64>,
        means: Vec<Vec<f64>>,
    ) -> Model {
        let d = means[0].len();
        Model {
            format: "gmmc-model".into(),
            version: 1,
            covariance_type: cov,
            n_features: d,
            n_components: weights.len(),
            n_inputs: d,
            feature_names: (0..d).map(|j| format!("f{j}")).collect(),
            axes: (0..d).collect(),
            weights,
            means,
            precisions_cholesky: precisions,
            score: ScoreTransform {
                kind: ScoreKind::Nll,
                offset: 0.0,
                scale: 1.0,
                threshold: 10.0,
                quantile: None,
                calibration: None,
            },
            training: Training::default(),
        }
    }

    #[test]
    fn one_dimensional_gaussian_by_hand() {
        // N(x; 1, σ = 0.5) at x = 2: −½ln2π − ln 0.5 − (1)²/(2·0.25) = −0.918938… + 0.693147… − 2.
        let m = model(
            CovarianceType::Spherical,
            Precisions::Spherical(vec![2.0]),
            vec![1.0],
            vec![vec![1.0]],
        );
        let expected = -0.918_938_533_204_672_8 + std::f64::consts::LN_2 - 2.0;
        assert!((m.log_likelihood(&[2.0]) - expected).abs() < 1e-15);
    }

    #[test]
    fn full_factor_matches_dense_precision_brute_force() {
        // Two components in 3-D; density by the dense formula with P = U·Uᵀ and det P.
        let u0 = [1.5, 0.3, 0.8, -0.2, 0.1, 1.1]; // columns (1.5), (0.3, 0.8), (-0.2, 0.1, 1.1)
        let u1 = [0.7, -0.4, 1.3, 0.25, 0.6, 0.9];
        let means = vec![vec![0.1, -0.2, 0.3], vec![1.0, 2.0, -1.0]];
        let weights = vec![0.4, 0.6];
        let m = model(
            CovarianceType::Full,
            Precisions::Full(vec![u0.to_vec(), u1.to_vec()]),
            weights.clone(),
            means.clone(),
        );
        let x = [0.5, 0.7, -0.4];
        let mut total = 0.0;
        for (k, u) in [u0, u1].iter().enumerate() {
            let dense = packed::unpack_upper(u, 3);
            let mut p = [[0.0; 3]; 3];
            for i in 0..3 {
                for j in 0..3 {
                    p[i][j] = (0..3).map(|l| dense[i * 3 + l] * dense[j * 3 + l]).sum();
                }
            }
            let det = p[0][0] * (p[1][1] * p[2][2] - p[1][2] * p[2][1])
                - p[0][1] * (p[1][0] * p[2][2] - p[1][2] * p[2][0])
                + p[0][2] * (p[1][0] * p[2][1] - p[1][1] * p[2][0]);
            let diff: Vec<f64> = (0..3).map(|i| x[i] - means[k][i]).collect();
            let q: f64 = (0..3)
                .flat_map(|i| (0..3).map(move |j| (i, j)))
                .map(|(i, j)| diff[i] * p[i][j] * diff[j])
                .sum();
            let density =
                weights[k] * det.sqrt() / (2.0 * std::f64::consts::PI).powf(1.5) * (-0.5 * q).exp();
            total += density;
        }
        assert!((m.log_likelihood(&x) - total.ln()).abs() < 1e-12);
    }

    #[test]
    fn broken_input_scores_infinite_never_nan() {
        let m = model(
            CovarianceType::Diag,
            Precisions::Diag(vec![vec![1.0, 1.0]]),
            vec![1.0],
            vec![vec![0.0, 0.0]],
        );
        for x in [
            [f64::NAN, 0.0],
            [f64::INFINITY, 0.0],
            [0.0, f64::NEG_INFINITY],
            [1e300, 1e300],
        ] {
            assert_eq!(m.log_likelihood(&x), f64::NEG_INFINITY, "{x:?}");
            assert_eq!(m.score(&x), f64::INFINITY, "{x:?}");
        }
    }
}
