//! The arithmetic every layout shares: mean subtraction, the packed triangular quadratic
//! form, and the max-shifted log-sum-exp. Nothing here indexes: slices are walked with
//! iterators and `split_at_checked`, so no input can make it panic.

/// `Σ aᵢ·bᵢ` over the shorter of the two, summed in order (no reassociation, so the result
/// is the same on every target).
#[inline(always)]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut sum = 0.0f32;
    for (x, y) in a.iter().zip(b) {
        sum += x * y;
    }
    sum
}

/// `x − μ`, feature by feature.
#[inline(always)]
pub(crate) fn difference<const D: usize>(x: &[f32; D], mean: &[f32; D]) -> [f32; D] {
    let mut diff = [0.0f32; D];
    for ((t, a), b) in diff.iter_mut().zip(x).zip(mean) {
        *t = a - b;
    }
    diff
}

/// `‖diffᵀ·U‖²` for a packed upper-triangular `U` (column `j` holds rows `0..=j`, columns in
/// order): `y_j = Σ_{i≤j} diff_i·U[i][j]`, `q = Σ_j y_j²`. +∞ if `factor` is shorter than
/// `D(D+1)/2`, which the layout types already rule out at compile time.
#[inline(always)]
pub(crate) fn quadratic_packed<const D: usize>(diff: &[f32; D], factor: &[f32]) -> f32 {
    let mut rest = factor;
    let mut q = 0.0f32;
    // Column j has j + 1 entries.
    for column_len in 1..=D {
        let Some((column, tail)) = rest.split_at_checked(column_len) else {
            return f32::INFINITY;
        };
        rest = tail;
        let y = dot(column, diff);
        q += y * y;
    }
    q
}

/// `Σ_j (diff_j·p_j)²` for a diagonal factor `p`.
#[inline(always)]
pub(crate) fn quadratic_diagonal<const D: usize>(diff: &[f32; D], p: &[f32; D]) -> f32 {
    let mut q = 0.0f32;
    for (d, p) in diff.iter().zip(p) {
        let y = d * p;
        q += y * y;
    }
    q
}

/// `Σ_j (diff_j·s)²` for a scalar factor `s`.
#[inline(always)]
pub(crate) fn quadratic_scalar<const D: usize>(diff: &[f32; D], s: f32) -> f32 {
    let mut q = 0.0f32;
    for d in diff {
        let y = d * s;
        q += y * y;
    }
    q
}

/// `c − ½·q`, reading NaN (from ∞ − ∞ or 0·∞ once the quadratic form overflows) as −∞: that
/// component gives the sample no density.
#[inline(always)]
pub(crate) fn component_log_prob(constant: f32, q: f32) -> f32 {
    let lp = constant - 0.5 * q;
    if lp.is_nan() { f32::NEG_INFINITY } else { lp }
}

/// Whether every value is finite.
#[inline(always)]
pub(crate) fn all_finite(x: &[f32]) -> bool {
    x.iter().all(|v| v.is_finite())
}

/// `m + ln Σ_k exp(lp_k − m)` with `m = max_k lp_k`; −∞ when every term is −∞ (or there are
/// none), and −∞ rather than NaN if constants were not finite.
#[inline(always)]
pub(crate) fn log_sum_exp(terms: &[f32]) -> f32 {
    let mut max = f32::NEG_INFINITY;
    for &t in terms {
        if t > max {
            max = t;
        }
    }
    if max == f32::NEG_INFINITY {
        return f32::NEG_INFINITY;
    }
    let mut sum = 0.0f32;
    for &t in terms {
        sum += libm::expf(t - max);
    }
    let ll = max + libm::logf(sum);
    if ll.is_nan() { f32::NEG_INFINITY } else { ll }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_quadratic_form_by_hand() {
        // U = [[1, 2, 4], [0, 3, 5], [0, 0, 6]], packed (1), (2, 3), (4, 5, 6); d = (1, −1, 2):
        // y = (1·1, 1·2 − 1·3, 1·4 − 1·5 + 2·6) = (1, −1, 11), q = 1 + 1 + 121 = 123.
        let u = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        assert_eq!(quadratic_packed(&[1.0, -1.0, 2.0], &u), 123.0);
        // A factor too short for D = 3 gives +∞, not a panic.
        assert_eq!(quadratic_packed(&[1.0, -1.0, 2.0], &u[..5]), f32::INFINITY);
    }

    #[test]
    fn log_sum_exp_by_hand() {
        // ln(e^1 + e^1) = 1 + ln 2.
        let v = log_sum_exp(&[1.0, 1.0]);
        assert!((v - (1.0 + core::f32::consts::LN_2)).abs() < 1e-6, "{v}");
        // ln(e^−1000 + e^−1001) = −1000 + ln(1 + e^−1): no underflow thanks to the shift.
        let v = log_sum_exp(&[-1000.0, -1001.0]);
        let expected = -1000.0 + (1.0f64 + (-1.0f64).exp()).ln();
        assert!((v as f64 - expected).abs() < 1e-4, "{v}");
        assert_eq!(log_sum_exp(&[f32::NEG_INFINITY, 3.0]), 3.0);
        assert_eq!(log_sum_exp(&[f32::NEG_INFINITY; 2]), f32::NEG_INFINITY);
        assert_eq!(log_sum_exp(&[]), f32::NEG_INFINITY);
        assert_eq!(log_sum_exp(&[f32::INFINITY, 1.0]), f32::NEG_INFINITY);
    }

    #[test]
    fn overflow_reads_as_no_density() {
        assert_eq!(component_log_prob(-3.0, f32::INFINITY), f32::NEG_INFINITY);
        assert_eq!(component_log_prob(-3.0, f32::NAN), f32::NEG_INFINITY);
        assert_eq!(component_log_prob(-3.0, 4.0), -5.0);
    }
}
