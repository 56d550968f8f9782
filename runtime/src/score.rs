//! The map from log-likelihood to anomaly score, and the threshold.

/// Which anomaly score a detector reports (as the model file's `score.kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScoreKind {
    /// `(NLL − median training NLL) / (quantile NLL − median)`: 0 is a typical training
    /// sample, 1.0 the chosen training quantile.
    Normalized,
    /// The negative log-likelihood itself.
    Nll,
    /// Edge Impulse's |z-score of the log-likelihood|: unusually likely samples score high
    /// too.
    EdgeImpulse,
}

/// `score = (−log_likelihood − offset) / scale` (then `|·|` for [`ScoreKind::EdgeImpulse`]);
/// a sample is an anomaly when `score > threshold`. Higher is more anomalous.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoreTransform {
    /// Which score this is.
    pub kind: ScoreKind,
    /// Subtracted from the negative log-likelihood.
    pub offset: f32,
    /// Divides the shifted negative log-likelihood (positive).
    pub scale: f32,
    /// Scores strictly above this are anomalies.
    pub threshold: f32,
}

impl ScoreTransform {
    /// The anomaly score of a log-likelihood: +∞ for a NaN or −∞ log-likelihood (broken or
    /// unrepresentably distant input), never NaN.
    #[inline]
    pub fn score(&self, log_likelihood: f32) -> f32 {
        if log_likelihood.is_nan() || log_likelihood == f32::NEG_INFINITY {
            return f32::INFINITY;
        }
        let s = (-log_likelihood - self.offset) / self.scale;
        let s = match self.kind {
            ScoreKind::EdgeImpulse => libm::fabsf(s),
            ScoreKind::Normalized | ScoreKind::Nll => s,
        };
        if s.is_nan() { f32::INFINITY } else { s }
    }

    /// Whether a score is above the threshold. A NaN score or threshold counts as an
    /// anomaly.
    #[inline]
    pub fn is_anomaly(&self, score: f32) -> bool {
        // Written so that any NaN makes the comparison false, hence an anomaly.
        #[allow(clippy::neg_cmp_op_on_partial_ord)]
        let anomaly = !(score <= self.threshold);
        anomaly
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transform(kind: ScoreKind) -> ScoreTransform {
        ScoreTransform {
            kind,
            offset: 2.0,
            scale: 4.0,
            threshold: 1.0,
        }
    }

    #[test]
    fn affine_map_by_hand() {
        // ll = −10: (10 − 2) / 4 = 2.
        assert_eq!(transform(ScoreKind::Normalized).score(-10.0), 2.0);
        // ll = 6: (−6 − 2) / 4 = −2, and 2 for the edge-impulse kind.
        assert_eq!(transform(ScoreKind::Normalized).score(6.0), -2.0);
        assert_eq!(transform(ScoreKind::EdgeImpulse).score(6.0), 2.0);
        let nll = ScoreTransform {
            kind: ScoreKind::Nll,
            offset: 0.0,
            scale: 1.0,
            threshold: 5.0,
        };
        assert_eq!(nll.score(-3.5), 3.5);
    }

    #[test]
    fn broken_log_likelihoods_score_infinite() {
        for kind in [
            ScoreKind::Normalized,
            ScoreKind::Nll,
            ScoreKind::EdgeImpulse,
        ] {
            let t = transform(kind);
            assert_eq!(t.score(f32::NAN), f32::INFINITY);
            assert_eq!(t.score(f32::NEG_INFINITY), f32::INFINITY);
            assert!(t.is_anomaly(t.score(f32::NAN)));
        }
        // A transform with a zero scale (not a valid model, but constructible) still never
        // yields NaN.
        let zero = ScoreTransform {
            kind: ScoreKind::Normalized,
            offset: 1.0,
            scale: 0.0,
            threshold: 1.0,
        };
        assert_eq!(zero.score(-1.0), f32::INFINITY);
    }

    #[test]
    fn threshold_is_strict_and_nan_is_an_anomaly() {
        let t = transform(ScoreKind::Normalized);
        assert!(!t.is_anomaly(1.0));
        assert!(t.is_anomaly(1.000_001));
        assert!(!t.is_anomaly(-3.0));
        assert!(t.is_anomaly(f32::NAN));
        let nan_threshold = ScoreTransform {
            threshold: f32::NAN,
            ..t
        };
        assert!(nan_threshold.is_anomaly(0.0));
    }
}
