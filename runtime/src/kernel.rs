//! The arithmetic every layout shares: mean subtraction, the packed triangular quadratic
//! form, and the max-shifted log-sum-exp. Nothing here indexes: slices are walked with
//! iterators, `get` and `split_at_checked`, so no input can make it panic.
//!
//! Sums start from −0.0, not 0.0: −0.0 + a is a for every a (0.0 + −0.0 is +0.0), so the
//! compiler may drop the first addition, and the result is the same (a zero's sign is lost
//! when it is squared).

/// `Σ aᵢ·bᵢ` over the shorter of the two, summed in order (no reassociation, so the result
/// is the same on every target).
#[inline(always)]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut sum = -0.0f32;
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

/// Largest D for which [`quadratic_packed`] reads the factor at constant offsets, a form the
/// compiler unrolls into straight-line code (as the C header writes its kernel out). Above it
/// the index form is only partly unrolled and pays a bounds check per term, and walking the
/// columns as slices is faster (callgrind, rustc 1.95, x86-64, instructions per component
/// including the mean subtraction: D = 8, 224 against 392; D = 10, 517 against 546; D = 11,
/// 670 against 625).
const INDEXED_MAX_FEATURES: usize = 10;

/// `‖diffᵀ·U‖²` for a packed upper-triangular `U` (column `j` holds rows `0..=j`, columns in
/// order): `y_j = Σ_{i≤j} diff_i·U[i][j]`, `q = Σ_j y_j²`, every sum taken in index order
/// (so both forms below give the same bits). +∞ if `factor` is shorter than `D(D+1)/2`, which
/// the layout types already rule out at compile time.
#[inline(always)]
pub(crate) fn quadratic_packed<const D: usize>(diff: &[f32; D], factor: &[f32]) -> f32 {
    if D <= INDEXED_MAX_FEATURES {
        quadratic_packed_indexed(diff, factor)
    } else {
        quadratic_packed_columns(diff, factor)
    }
}

/// [`quadratic_packed`] with the factor read at offsets that are constants once `D` is.
#[inline(always)]
fn quadratic_packed_indexed<const D: usize>(diff: &[f32; D], factor: &[f32]) -> f32 {
    let mut q = -0.0f32;
    // Offset of column j: j(j+1)/2.
    let mut start = 0usize;
    for j in 0..D {
        let mut y = -0.0f32;
        for i in 0..=j {
            let (Some(d), Some(u)) = (diff.get(i), factor.get(start.wrapping_add(i))) else {
                return f32::INFINITY;
            };
            y += d * u;
        }
        start = start.wrapping_add(j).wrapping_add(1);
        q += y * y;
    }
    q
}

/// [`quadratic_packed`] walking the columns as slices.
#[inline(always)]
fn quadratic_packed_columns<const D: usize>(diff: &[f32; D], factor: &[f32]) -> f32 {
    let mut rest = factor;
    let mut q = -0.0f32;
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
    let mut q = -0.0f32;
    for (d, p) in diff.iter().zip(p) {
        let y = d * p;
        q += y * y;
    }
    q
}

/// `Σ_j (diff_j·s)²` for a scalar factor `s`.
#[inline(always)]
pub(crate) fn quadratic_scalar<const D: usize>(diff: &[f32; D], s: f32) -> f32 {
    let mut q = -0.0f32;
    for d in diff {
        let y = d * s;
        q += y * y;
    }
    q
}

/// `c − ½·q`. NaN when the quadratic form overflowed into ∞ − ∞ or 0·∞: [`log_sum_exp`]
/// gives such a component no density.
#[inline(always)]
pub(crate) fn component_log_prob(constant: f32, q: f32) -> f32 {
    constant - 0.5 * q
}

/// Whether every value is finite. Every value is tested (no early exit): one branch instead
/// of one per value, and fewer instructions once the loop is unrolled.
#[inline(always)]
pub(crate) fn all_finite(x: &[f32]) -> bool {
    x.iter().fold(true, |ok, v| ok & v.is_finite())
}

/// Terms this far below the largest one are left out of the log-sum-exp: `exp(−17)` is
/// less than 2⁻²⁴, half an ulp of 1, and the sum they would join starts at 1 (the largest
/// term's `exp(0)`), so adding one could not change it. Leaving them out is exact, and saves
/// an `expf` per component far from the sample (usually all but one).
const NEGLIGIBLE: f32 = -17.0;

/// `m + ln(1 + Σ_{k≠top} exp(lp_k − m))` with `m = lp_top = max_k lp_k` (the first largest
/// term contributes `exp(0) = 1` without calling `expf`); −∞ when every term is −∞ (or there
/// are none), and −∞ rather than +∞ if a term is +∞ (only non-finite constants could make
/// one). A NaN term (an overflowed quadratic form) is never the largest and is skipped: that
/// component gives the sample no density. The C header's log-sum-exp is the same.
#[inline(always)]
pub(crate) fn log_sum_exp(terms: &[f32]) -> f32 {
    let mut max = f32::NEG_INFINITY;
    let mut top = 0usize;
    for (k, &t) in terms.iter().enumerate() {
        if t > max {
            max = t;
            top = k;
        }
    }
    if !max.is_finite() {
        return f32::NEG_INFINITY;
    }
    let mut sum = 1.0f32;
    for (k, &t) in terms.iter().enumerate() {
        let z = t - max;
        if k != top && z >= NEGLIGIBLE {
            sum += libm::expf(z);
        }
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

    /// A small deterministic generator, uniform in [lo, hi).
    struct Lcg(u64);

    impl Lcg {
        fn uniform(&mut self, lo: f32, hi: f32) -> f32 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            lo + (hi - lo) * ((self.0 >> 40) as f32 / (1u64 << 24) as f32)
        }
    }

    /// Both forms of the packed quadratic form, on random factors, against each other (they
    /// must agree bit for bit: same sums in the same order) and against a dense f64 product.
    fn both_forms_agree<const D: usize>(rng: &mut Lcg) {
        for _ in 0..200 {
            let diff: [f32; D] = core::array::from_fn(|_| rng.uniform(-4.0, 4.0));
            let factor: std::vec::Vec<f32> = (0..D * (D + 1) / 2)
                .map(|_| rng.uniform(-2.0, 2.0))
                .collect();
            let a = quadratic_packed_indexed(&diff, &factor);
            let b = quadratic_packed_columns(&diff, &factor);
            assert_eq!(a.to_bits(), b.to_bits(), "D = {D}: {a} vs {b}");
            let mut q = 0.0f64;
            for j in 0..D {
                let start = j * (j + 1) / 2;
                let y: f64 = (0..=j)
                    .map(|i| diff[i] as f64 * factor[start + i] as f64)
                    .sum();
                q += y * y;
            }
            assert!(
                (a as f64 - q).abs() <= 1e-4 * q.max(1.0),
                "D = {D}: {a} vs {q}"
            );
            // Too short a factor gives +∞ in both forms.
            let short = &factor[..factor.len() - 1];
            assert_eq!(quadratic_packed_indexed(&diff, short), f32::INFINITY);
            assert_eq!(quadratic_packed_columns(&diff, short), f32::INFINITY);
        }
    }

    #[test]
    fn packed_forms_agree_bit_for_bit() {
        let mut rng = Lcg(7);
        both_forms_agree::<1>(&mut rng);
        both_forms_agree::<2>(&mut rng);
        both_forms_agree::<5>(&mut rng);
        both_forms_agree::<8>(&mut rng);
        both_forms_agree::<10>(&mut rng);
        both_forms_agree::<11>(&mut rng);
        both_forms_agree::<16>(&mut rng);
        both_forms_agree::<33>(&mut rng);
    }

    #[test]
    fn negligible_terms_change_nothing() {
        // Terms below NEGLIGIBLE relative to the largest are skipped; the result must have
        // the same bits as summing every term (largest first as 1, then in order).
        let mut rng = Lcg(11);
        for n in 2..9 {
            for _ in 0..2000 {
                let terms: std::vec::Vec<f32> = (0..n).map(|_| rng.uniform(-40.0, 5.0)).collect();
                let (top, max) =
                    terms
                        .iter()
                        .copied()
                        .enumerate()
                        .fold(
                            (0, f32::NEG_INFINITY),
                            |b, (k, t)| if t > b.1 { (k, t) } else { b },
                        );
                let mut sum = 1.0f32;
                for (k, &t) in terms.iter().enumerate() {
                    if k != top {
                        sum += libm::expf(t - max);
                    }
                }
                let all = max + libm::logf(sum);
                assert_eq!(log_sum_exp(&terms).to_bits(), all.to_bits(), "{terms:?}");
            }
        }
        // Right at the cut: exp(−17) is below half an ulp of 1, exp(−16) is not.
        assert!(libm::expf(NEGLIGIBLE) < f32::EPSILON / 2.0);
        assert!(libm::expf(NEGLIGIBLE + 1.0) > f32::EPSILON / 2.0);
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
        assert_eq!(log_sum_exp(&[f32::NAN, 2.0, f32::NAN]), 2.0);
        assert_eq!(log_sum_exp(&[f32::NAN; 3]), f32::NEG_INFINITY);
    }

    #[test]
    fn overflow_reads_as_no_density() {
        assert_eq!(component_log_prob(-3.0, f32::INFINITY), f32::NEG_INFINITY);
        assert_eq!(component_log_prob(-3.0, 4.0), -5.0);
        // An overflowed component (NaN) adds nothing; alone, the sample has no density.
        let nan = component_log_prob(-3.0, f32::NAN);
        assert_eq!(log_sum_exp(&[nan, -5.0]), -5.0);
        assert_eq!(log_sum_exp(&[-5.0, nan]), -5.0);
        assert_eq!(log_sum_exp(&[nan]), f32::NEG_INFINITY);
    }
}
