//! The trainer's view of a Gaussian mixture: flat f64 arrays in the model file's storage.

use gmmc_model::scoring::HALF_LN_2PI;
use gmmc_model::{CovarianceType, Model, Precisions, packed};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use crate::covariance;

/// Weights, means and precision Cholesky factors of a mixture, stored flat for the EM loop.
///
/// `factors` holds, per covariance type: full, K packed upper triangles (K × D(D+1)/2); tied,
/// one packed triangle; diag, K × D; spherical, K. The layout of a packed triangle is the
/// model file's (see [`gmmc_model::packed`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Mixture {
    /// How covariances are parameterised.
    pub covariance_type: CovarianceType,
    /// K.
    pub n_components: usize,
    /// D.
    pub n_features: usize,
    /// K weights.
    pub weights: Vec<f64>,
    /// K × D means, row-major.
    pub means: Vec<f64>,
    /// Precision Cholesky factors (see the type's documentation).
    pub factors: Vec<f64>,
}

impl Mixture {
    /// Number of f64 values the factors of a K-component, D-feature mixture occupy.
    pub fn factor_len(covariance_type: CovarianceType, k: usize, d: usize) -> usize {
        match covariance_type {
            CovarianceType::Full => k * packed::len(d),
            CovarianceType::Tied => packed::len(d),
            CovarianceType::Diag => k * d,
            CovarianceType::Spherical => k,
        }
    }

    /// The mean of component `k`.
    pub fn mean(&self, k: usize) -> &[f64] {
        &self.means[k * self.n_features..(k + 1) * self.n_features]
    }

    /// The factor storage of component `k`: a packed triangle (full, tied), a diagonal (diag)
    /// or one value (spherical).
    pub fn factor(&self, k: usize) -> &[f64] {
        let d = self.n_features;
        match self.covariance_type {
            CovarianceType::Full => &self.factors[k * packed::len(d)..(k + 1) * packed::len(d)],
            CovarianceType::Tied => &self.factors,
            CovarianceType::Diag => &self.factors[k * d..(k + 1) * d],
            CovarianceType::Spherical => &self.factors[k..k + 1],
        }
    }

    /// `Σ ln diag(U_k)`: half the log-determinant of component `k`'s precision.
    pub fn log_det_cholesky(&self, k: usize) -> f64 {
        let d = self.n_features;
        let f = self.factor(k);
        match self.covariance_type {
            CovarianceType::Full | CovarianceType::Tied => {
                (0..d).map(|j| f[packed::diagonal(j)].ln()).sum()
            }
            CovarianceType::Diag => f.iter().map(|v| v.ln()).sum(),
            CovarianceType::Spherical => d as f64 * f[0].ln(),
        }
    }

    /// The folded constants `ln w_k + Σ ln diag(U_k) − ½·D·ln 2π`, one per component.
    pub fn log_constants(&self) -> Vec<f64> {
        (0..self.n_components)
            .map(|k| {
                self.weights[k].ln() + self.log_det_cholesky(k)
                    - self.n_features as f64 * HALF_LN_2PI
            })
            .collect()
    }

    /// The mixture stored in a model file.
    pub fn from_model(model: &Model) -> Mixture {
        let factors = match &model.precisions_cholesky {
            Precisions::Full(f) | Precisions::Diag(f) => f.concat(),
            Precisions::Tied(f) | Precisions::Spherical(f) => f.clone(),
        };
        Mixture {
            covariance_type: model.covariance_type,
            n_components: model.n_components,
            n_features: model.n_features,
            weights: model.weights.clone(),
            means: model.means.concat(),
            factors,
        }
    }

    /// Means as K rows.
    pub fn means_rows(&self) -> Vec<Vec<f64>> {
        self.means
            .chunks(self.n_features)
            .map(<[f64]>::to_vec)
            .collect()
    }

    /// The factors in the model file's storage.
    pub fn precisions(&self) -> Precisions {
        let d = self.n_features;
        match self.covariance_type {
            CovarianceType::Full => Precisions::Full(
                self.factors
                    .chunks(packed::len(d))
                    .map(<[f64]>::to_vec)
                    .collect(),
            ),
            CovarianceType::Tied => Precisions::Tied(self.factors.clone()),
            CovarianceType::Diag => {
                Precisions::Diag(self.factors.chunks(d).map(<[f64]>::to_vec).collect())
            }
            CovarianceType::Spherical => Precisions::Spherical(self.factors.clone()),
        }
    }

    /// Draws `n` samples from the mixture (row-major n × D): a component by weight, then
    /// `μ + y` with `Uᵀ·y = z`, z standard normal, so that y has covariance (U·Uᵀ)⁻¹.
    pub fn sample(&self, n: usize, rng: &mut ChaCha8Rng) -> Vec<f64> {
        let d = self.n_features;
        let mut out = Vec::with_capacity(n * d);
        let total: f64 = self.weights.iter().sum();
        let mut z = vec![0.0; d];
        for _ in 0..n {
            let mut target = rng.random::<f64>() * total;
            let mut k = self.n_components - 1;
            for (c, w) in self.weights.iter().enumerate() {
                if target < *w {
                    k = c;
                    break;
                }
                target -= w;
            }
            for v in z.iter_mut() {
                *v = rng.sample(StandardNormal);
            }
            let f = self.factor(k);
            let y = match self.covariance_type {
                CovarianceType::Full | CovarianceType::Tied => {
                    covariance::solve_factor_transpose(f, &z)
                }
                CovarianceType::Diag => z.iter().zip(f).map(|(zj, p)| zj / p).collect(),
                CovarianceType::Spherical => z.iter().map(|zj| zj / f[0]).collect(),
            };
            out.extend(self.mean(k).iter().zip(&y).map(|(m, v)| m + v));
        }
        out
    }
}
