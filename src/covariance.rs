//! From an estimated covariance to its precision Cholesky factor, as scikit-learn computes it.
//!
//! scikit-learn factors a covariance Σ = L·Lᵀ (L lower triangular) and stores
//! `U = (L⁻¹)ᵀ`, upper triangular, so that the precision is Σ⁻¹ = U·Uᵀ. Column `j` of U is row
//! `j` of L⁻¹, which is exactly what the packed layout stores contiguously.

use gmmc_model::packed;
use nalgebra::{DMatrix, DVector};

/// The covariance of a component is not positive definite (or not finite), so it has no
/// precision Cholesky factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotPositiveDefinite;

/// The packed upper precision factor U of a symmetric covariance given by its packed upper
/// triangle.
pub fn full_precision_cholesky(cov: &[f64], d: usize) -> Result<Vec<f64>, NotPositiveDefinite> {
    if cov.iter().any(|v| !v.is_finite()) {
        return Err(NotPositiveDefinite);
    }
    let dense = DMatrix::from_fn(d, d, |i, j| {
        let (a, b) = if i <= j { (i, j) } else { (j, i) };
        cov[packed::index(a, b)]
    });
    let chol = nalgebra::Cholesky::new(dense).ok_or(NotPositiveDefinite)?;
    let l = chol.l();
    let mut out = Vec::with_capacity(packed::len(d));
    // Column j of U is row j of L⁻¹ (its entries 0..=j; the rest are zero).
    let l_inv = l
        .solve_lower_triangular(&DMatrix::identity(d, d))
        .ok_or(NotPositiveDefinite)?;
    for j in 0..d {
        for i in 0..=j {
            out.push(l_inv[(j, i)]);
        }
    }
    if out.iter().any(|v| !v.is_finite()) || (0..d).any(|j| out[packed::diagonal(j)] <= 0.0) {
        return Err(NotPositiveDefinite);
    }
    Ok(out)
}

/// `1/√σ²` for each variance, refusing variances that are not positive (scikit-learn's rule
/// for diag and spherical covariances).
pub fn diagonal_precision_cholesky(variances: &[f64]) -> Result<Vec<f64>, NotPositiveDefinite> {
    variances
        .iter()
        .map(|&v| {
            if v > 0.0 && v.is_finite() {
                Ok(1.0 / v.sqrt())
            } else {
                Err(NotPositiveDefinite)
            }
        })
        .collect()
}

/// The covariance Σ = (U·Uᵀ)⁻¹ of a packed upper precision factor, as a dense row-major
/// matrix (for reports and plots).
pub fn covariance_of_factor(u: &[f64], d: usize) -> Vec<f64> {
    // Σ = (U·Uᵀ)⁻¹ = U⁻ᵀ·U⁻¹ = Wᵀ·W with W = U⁻¹.
    let dense = DMatrix::from_fn(
        d,
        d,
        |i, j| if i <= j { u[packed::index(i, j)] } else { 0.0 },
    );
    let w = dense
        .solve_upper_triangular(&DMatrix::identity(d, d))
        .unwrap_or_else(|| DMatrix::zeros(d, d));
    let sigma = w.transpose() * &w;
    let mut out = vec![0.0; d * d];
    for i in 0..d {
        for j in 0..d {
            out[i * d + j] = sigma[(i, j)];
        }
    }
    out
}

/// Solves `Uᵀ·y = z` for a packed upper factor U: maps a standard normal vector z to a
/// deviation y whose covariance is (U·Uᵀ)⁻¹ (used to draw samples from a model).
pub fn solve_factor_transpose(u: &[f64], z: &[f64]) -> Vec<f64> {
    let d = z.len();
    let mut y = DVector::zeros(d);
    for j in 0..d {
        let col = &u[packed::column_start(j)..packed::column_start(j) + j + 1];
        let partial: f64 = (0..j).map(|i| col[i] * y[i]).sum();
        y[j] = (z[j] - partial) / col[j];
    }
    y.iter().copied().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factor_inverts_the_covariance() {
        // Σ = [[4, 2, 0.4], [2, 5, 1], [0.4, 1, 3]]: check U·Uᵀ·Σ = I.
        let sigma = [[4.0, 2.0, 0.4], [2.0, 5.0, 1.0], [0.4, 1.0, 3.0]];
        let packed_cov: Vec<f64> = (0..3)
            .flat_map(|j| (0..=j).map(move |i| sigma[i][j]))
            .collect();
        let u = full_precision_cholesky(&packed_cov, 3).unwrap();
        let dense = packed::unpack_upper(&u, 3);
        for i in 0..3 {
            for j in 0..3 {
                let v: f64 = (0..3)
                    .map(|m| {
                        let p_im: f64 = (0..3).map(|l| dense[i * 3 + l] * dense[m * 3 + l]).sum();
                        p_im * sigma[m][j]
                    })
                    .sum();
                let expected = if i == j { 1.0 } else { 0.0 };
                assert!((v - expected).abs() < 1e-12, "({i},{j}) = {v}");
            }
        }
        let back = covariance_of_factor(&u, 3);
        for i in 0..3 {
            for j in 0..3 {
                assert!((back[i * 3 + j] - sigma[i][j]).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn singular_covariance_is_refused() {
        // Σ = [[1, 1], [1, 1]] is singular.
        assert_eq!(
            full_precision_cholesky(&[1.0, 1.0, 1.0], 2),
            Err(NotPositiveDefinite)
        );
        assert_eq!(
            diagonal_precision_cholesky(&[1.0, 0.0]),
            Err(NotPositiveDefinite)
        );
    }
}
