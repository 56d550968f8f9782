//! Setting a model's score transform and threshold from log-likelihoods of normal data.

use gmmc_model::{ScoreKind, ScoreTransform};

/// The default training quantile: 1 % of normal training samples score above the threshold.
pub const DEFAULT_QUANTILE: f64 = 0.99;

/// The `q`-quantile of `values` with linear interpolation between order statistics (NumPy's
/// default `linear` method), or NaN for no values. The values are reordered (not sorted): the
/// two order statistics are selected in linear time, which gives the same values as sorting
/// (a full sort of a million training scores took longer than the rest of the calibration).
pub fn quantile(values: &mut [f64], q: f64) -> f64 {
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    let (lo, hi, frac) = order_statistics(n, q);
    let (_, &mut below, above) = values.select_nth_unstable_by(lo, f64::total_cmp);
    let above = if hi > lo {
        above
            .iter()
            .copied()
            .min_by(f64::total_cmp)
            .unwrap_or(below)
    } else {
        below
    };
    below + (above - below) * frac
}

/// The positions (0-based, in sorted order) of the two order statistics that the `q`-quantile
/// of `n > 0` values interpolates between, and the weight of the upper one.
fn order_statistics(n: usize, q: f64) -> (usize, usize, f64) {
    let pos = q.clamp(0.0, 1.0) * (n - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    (lo, hi, pos - lo as f64)
}

/// A positive scale for data whose spread is zero: tiny against the values themselves, so
/// that any sample unlike the (identical) training samples scores far above the threshold.
fn fallback_scale(reference: f64) -> f64 {
    f64::EPSILON.sqrt() * reference.abs().max(1.0)
}

/// The score transform of `kind` calibrated on the log-likelihoods of normal (training)
/// samples, with its threshold at training quantile `q`:
///
/// - `normalized`: offset = median NLL, scale = (q-quantile NLL − median), threshold 1.0;
/// - `nll`: offset 0, scale 1, threshold = q-quantile NLL;
/// - `edge-impulse`: offset = −mean LL, scale = population standard deviation of the LL (so
///   the score is |z|), threshold = q-quantile of the training |z|.
///
/// `log_likelihoods` must be finite and non-empty.
pub fn score_transform(
    kind: ScoreKind,
    log_likelihoods: &[f64],
    q: f64,
    calibration: String,
) -> ScoreTransform {
    let mut nll: Vec<f64> = log_likelihoods.iter().map(|v| -v).collect();
    let (offset, scale, threshold) = match kind {
        ScoreKind::Normalized => {
            let median = quantile(&mut nll, 0.5);
            let top = quantile(&mut nll, q);
            let spread = top - median;
            let scale = if spread > 0.0 {
                spread
            } else {
                fallback_scale(median)
            };
            (median, scale, 1.0)
        }
        ScoreKind::Nll => (0.0, 1.0, quantile(&mut nll, q)),
        ScoreKind::EdgeImpulse => {
            let n = log_likelihoods.len() as f64;
            let mean = log_likelihoods.iter().sum::<f64>() / n;
            let var = log_likelihoods
                .iter()
                .map(|v| (v - mean) * (v - mean))
                .sum::<f64>()
                / n;
            let std = var.sqrt();
            let scale = if std > 0.0 { std } else { fallback_scale(mean) };
            let mut z: Vec<f64> = log_likelihoods
                .iter()
                .map(|v| ((v - mean) / scale).abs())
                .collect();
            (-mean, scale, quantile(&mut z, q))
        }
    };
    ScoreTransform {
        kind,
        offset,
        scale,
        threshold,
        quantile: Some(q),
        calibration: Some(calibration),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn quantile_matches_numpy_linear() {
        // numpy.quantile([1, 2, 3, 4, 10], [0, 0.5, 0.9, 1]) = [1, 3, 7.6, 10]
        let mut v = vec![10.0, 2.0, 4.0, 1.0, 3.0];
        assert_eq!(quantile(&mut v, 0.0), 1.0);
        assert_eq!(quantile(&mut v, 0.5), 3.0);
        assert!((quantile(&mut v, 0.9) - 7.6).abs() < 1e-12);
        assert_eq!(quantile(&mut v, 1.0), 10.0);
    }

    proptest! {
        /// Selecting the two order statistics gives the values of interpolating in the sorted
        /// values (brute force), with ties, zeros of both signs and any q.
        #[test]
        fn quantile_equals_interpolation_in_the_sorted_values(
            mut values in prop::collection::vec(
                prop_oneof![(-3i8..3).prop_map(f64::from), Just(-0.0), prop::num::f64::NORMAL],
                1..200,
            ),
            q in 0.0f64..=1.0,
        ) {
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            let pos = q * (sorted.len() - 1) as f64;
            let lo = pos.floor() as usize;
            let hi = (lo + 1).min(sorted.len() - 1);
            let expected = sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64);
            let got = quantile(&mut values, q);
            prop_assert!(got.to_bits() == expected.to_bits(), "{got} != {expected}");
        }
    }

    #[test]
    fn normalized_maps_median_to_zero_and_quantile_to_one() {
        let ll: Vec<f64> = (0..101).map(|i| -(i as f64)).collect(); // NLL 0..=100
        let t = score_transform(ScoreKind::Normalized, &ll, 0.99, "test".into());
        assert_eq!(t.offset, 50.0);
        assert!((t.scale - 49.0).abs() < 1e-12);
        assert!(t.score(-50.0).abs() < 1e-12);
        assert!((t.score(-99.0) - 1.0).abs() < 1e-12);
        assert_eq!(t.threshold, 1.0);
    }

    #[test]
    fn edge_impulse_is_absolute_z_score() {
        let ll = [1.0, 2.0, 3.0, 4.0];
        let t = score_transform(ScoreKind::EdgeImpulse, &ll, 0.5, "test".into());
        // mean 2.5, population std sqrt(1.25)
        let std = 1.25f64.sqrt();
        for v in ll {
            assert!((t.score(v) - ((v - 2.5) / std).abs()).abs() < 1e-12);
        }
        // sorted |z| = [0.5, 0.5, 1.5, 1.5]/std: the median interpolates to 1/std.
        assert!((t.threshold - 1.0 / std).abs() < 1e-12);
    }
}
