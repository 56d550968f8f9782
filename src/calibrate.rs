//! Setting a model's score transform and threshold from log-likelihoods of normal data.

use gmmc_model::{ScoreKind, ScoreTransform};

/// The default training quantile: 1 % of normal training samples score above the threshold.
pub const DEFAULT_QUANTILE: f64 = 0.99;

/// The `q`-quantile of `values` with linear interpolation between order statistics (NumPy's
/// default `linear` method). `values` must be non-empty; they are sorted in place.
pub fn quantile(values: &mut [f64], q: f64) -> f64 {
    values.sort_unstable_by(f64::total_cmp);
    quantile_sorted(values, q)
}

/// [`quantile`] of already sorted values.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let pos = q.clamp(0.0, 1.0) * (n - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    let frac = pos - lo as f64;
    sorted[lo] + (sorted[hi] - sorted[lo]) * frac
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
    nll.sort_unstable_by(f64::total_cmp);
    let (offset, scale, threshold) = match kind {
        ScoreKind::Normalized => {
            let median = quantile_sorted(&nll, 0.5);
            let top = quantile_sorted(&nll, q);
            let spread = top - median;
            let scale = if spread > 0.0 {
                spread
            } else {
                fallback_scale(median)
            };
            (median, scale, 1.0)
        }
        ScoreKind::Nll => (0.0, 1.0, quantile_sorted(&nll, q)),
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

    #[test]
    fn quantile_matches_numpy_linear() {
        // numpy.quantile([1, 2, 3, 4, 10], [0, 0.5, 0.9, 1]) = [1, 3, 7.6, 10]
        let mut v = vec![10.0, 2.0, 4.0, 1.0, 3.0];
        assert_eq!(quantile(&mut v, 0.0), 1.0);
        assert_eq!(quantile(&mut v, 0.5), 3.0);
        assert!((quantile(&mut v, 0.9) - 7.6).abs() < 1e-12);
        assert_eq!(quantile(&mut v, 1.0), 10.0);
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
