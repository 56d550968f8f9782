//! Information criteria for choosing the number of components, as scikit-learn defines them.

use gmmc_model::CovarianceType;

/// Bayesian information criterion: `−2·Σ ln p(xᵢ) + p·ln N`, p the number of free parameters
/// (scikit-learn's `GaussianMixture.bic`). Lower is better.
pub fn bic(
    sum_log_likelihood: f64,
    n_samples: usize,
    cov: CovarianceType,
    k: usize,
    d: usize,
) -> f64 {
    -2.0 * sum_log_likelihood + cov.n_parameters(k, d) as f64 * (n_samples as f64).ln()
}

/// Akaike information criterion: `−2·Σ ln p(xᵢ) + 2·p` (scikit-learn's `GaussianMixture.aic`).
pub fn aic(sum_log_likelihood: f64, cov: CovarianceType, k: usize, d: usize) -> f64 {
    -2.0 * sum_log_likelihood + 2.0 * cov.n_parameters(k, d) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_counts_by_hand() {
        // K = 3, D = 4: full 3·10 + 12 + 2 = 44; tied 10 + 12 + 2 = 24; diag 12 + 12 + 2 = 26;
        // spherical 3 + 12 + 2 = 17.
        assert_eq!(CovarianceType::Full.n_parameters(3, 4), 44);
        assert_eq!(CovarianceType::Tied.n_parameters(3, 4), 24);
        assert_eq!(CovarianceType::Diag.n_parameters(3, 4), 26);
        assert_eq!(CovarianceType::Spherical.n_parameters(3, 4), 17);
        let b = bic(-100.0, 50, CovarianceType::Spherical, 3, 4);
        assert!((b - (200.0 + 17.0 * 50f64.ln())).abs() < 1e-12);
        assert_eq!(aic(-100.0, CovarianceType::Spherical, 3, 4), 234.0);
    }
}
