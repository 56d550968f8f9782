//! The four covariance layouts, each with its one scoring kernel.
//!
//! Every layout stores, per component `k`, the folded constant
//! `c_k = ln w_k + Σ_j ln U_k[j][j] − ½·D·ln 2π`, the mean `μ_k`, and the precision Cholesky
//! factor `U_k` (precision = U·Uᵀ, upper triangular, as scikit-learn's
//! `precisions_cholesky_`) in the smallest storage its covariance type allows.
//! All fields are public so that generated code can build them in a `static` or `const`.

use crate::kernel::{
    all_finite, component_log_prob, difference, log_sum_exp, quadratic_diagonal, quadratic_packed,
    quadratic_scalar,
};

/// Number of entries of a packed D×D upper triangle, `D(D+1)/2`: the `P` of [`Full`] and
/// [`Tied`]. (Saturates instead of overflowing for sizes no array can have.)
pub const fn packed_len(d: usize) -> usize {
    d.saturating_mul(d.saturating_add(1)) / 2
}

/// A Gaussian mixture over `D` features: the log-density of a sample.
pub trait Mixture<const D: usize> {
    /// K, the number of components.
    const N_COMPONENTS: usize;

    /// `ln p(x)`, as scikit-learn's `score_samples`, in f32. −∞ (never NaN) when `x` holds
    /// NaN or ±∞ or is so far away that the quadratic form overflows.
    fn log_likelihood(&self, x: &[f32; D]) -> f32;
}

/// Full covariance: each component has its own packed upper-triangular factor of
/// `P = D(D+1)/2` entries, stored column by column (column `j` holds rows `0..=j`).
///
/// A `P` other than `D(D+1)/2` is a compile error where the scorer is used.
#[derive(Clone, Debug, PartialEq)]
pub struct Full<const D: usize, const K: usize, const P: usize> {
    /// Folded constants `c_k`.
    pub constants: [f32; K],
    /// Means `μ_k`.
    pub means: [[f32; D]; K],
    /// Packed factors `U_k`.
    pub factors: [[f32; P]; K],
}

/// Tied covariance: one packed factor (`P = D(D+1)/2`, layout as in [`Full`]) shared by all
/// components.
#[derive(Clone, Debug, PartialEq)]
pub struct Tied<const D: usize, const K: usize, const P: usize> {
    /// Folded constants `c_k`.
    pub constants: [f32; K],
    /// Means `μ_k`.
    pub means: [[f32; D]; K],
    /// The shared packed factor `U`.
    pub factor: [f32; P],
}

/// Diagonal covariance: each component's factor is a diagonal, `1/σ` per feature.
#[derive(Clone, Debug, PartialEq)]
pub struct Diag<const D: usize, const K: usize> {
    /// Folded constants `c_k`.
    pub constants: [f32; K],
    /// Means `μ_k`.
    pub means: [[f32; D]; K],
    /// Diagonal factors, `1/σ_kj`.
    pub factors: [[f32; D]; K],
}

/// Spherical covariance: each component's factor is one scalar, `1/σ_k`.
#[derive(Clone, Debug, PartialEq)]
pub struct Spherical<const D: usize, const K: usize> {
    /// Folded constants `c_k`.
    pub constants: [f32; K],
    /// Means `μ_k`.
    pub means: [[f32; D]; K],
    /// Scalar factors, `1/σ_k`.
    pub factors: [f32; K],
}

impl<const D: usize, const K: usize, const P: usize> Mixture<D> for Full<D, K, P> {
    const N_COMPONENTS: usize = K;

    #[inline]
    fn log_likelihood(&self, x: &[f32; D]) -> f32 {
        const { assert!(P == packed_len(D), "a packed factor has D(D+1)/2 entries") };
        if !all_finite(x) {
            return f32::NEG_INFINITY;
        }
        let mut lp = [0.0f32; K];
        for (((slot, &c), mean), factor) in lp
            .iter_mut()
            .zip(&self.constants)
            .zip(&self.means)
            .zip(&self.factors)
        {
            let diff = difference(x, mean);
            *slot = component_log_prob(c, quadratic_packed(&diff, factor));
        }
        log_sum_exp(&lp)
    }
}

impl<const D: usize, const K: usize, const P: usize> Mixture<D> for Tied<D, K, P> {
    const N_COMPONENTS: usize = K;

    #[inline]
    fn log_likelihood(&self, x: &[f32; D]) -> f32 {
        const { assert!(P == packed_len(D), "a packed factor has D(D+1)/2 entries") };
        if !all_finite(x) {
            return f32::NEG_INFINITY;
        }
        let mut lp = [0.0f32; K];
        for ((slot, &c), mean) in lp.iter_mut().zip(&self.constants).zip(&self.means) {
            let diff = difference(x, mean);
            *slot = component_log_prob(c, quadratic_packed(&diff, &self.factor));
        }
        log_sum_exp(&lp)
    }
}

impl<const D: usize, const K: usize> Mixture<D> for Diag<D, K> {
    const N_COMPONENTS: usize = K;

    #[inline]
    fn log_likelihood(&self, x: &[f32; D]) -> f32 {
        if !all_finite(x) {
            return f32::NEG_INFINITY;
        }
        let mut lp = [0.0f32; K];
        for (((slot, &c), mean), factor) in lp
            .iter_mut()
            .zip(&self.constants)
            .zip(&self.means)
            .zip(&self.factors)
        {
            let diff = difference(x, mean);
            *slot = component_log_prob(c, quadratic_diagonal(&diff, factor));
        }
        log_sum_exp(&lp)
    }
}

impl<const D: usize, const K: usize> Mixture<D> for Spherical<D, K> {
    const N_COMPONENTS: usize = K;

    #[inline]
    fn log_likelihood(&self, x: &[f32; D]) -> f32 {
        if !all_finite(x) {
            return f32::NEG_INFINITY;
        }
        let mut lp = [0.0f32; K];
        for (((slot, &c), mean), &s) in lp
            .iter_mut()
            .zip(&self.constants)
            .zip(&self.means)
            .zip(&self.factors)
        {
            let diff = difference(x, mean);
            *slot = component_log_prob(c, quadratic_scalar(&diff, s));
        }
        log_sum_exp(&lp)
    }
}

#[cfg(test)]
mod tests;
