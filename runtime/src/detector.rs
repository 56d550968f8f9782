//! A detector: a mixture, the axes it reads from the input vector, and the score transform.

use crate::layout::Mixture;
use crate::score::ScoreTransform;

/// A compiled anomaly detector over `D` features read from an input vector of `N` values.
///
/// `M` is one of the layouts ([`Full`](crate::Full), [`Tied`](crate::Tied),
/// [`Diag`](crate::Diag), [`Spherical`](crate::Spherical)). Generated code builds it as a
/// `static` or `const`; the methods take fixed-size arrays, so a wrong number of features does
/// not compile, and no input makes them panic or return NaN.
///
/// Written by hand for illustration (generated code looks the same): one standard-normal
/// component over two features read from inputs 2 and 0 of a 3-value input vector.
///
/// ```
/// use gmmc_runtime::{Detector, Diag, ScoreKind, ScoreTransform};
///
/// static DETECTOR: Detector<Diag<2, 1>, 2, 3> = Detector {
///     // c = ln 1 + Σ ln 1 − ½·2·ln 2π
///     mixture: Diag { constants: [-1.837_877], means: [[0.0, 0.0]], factors: [[1.0, 1.0]] },
///     axes: [2, 0],
///     transform: ScoreTransform { kind: ScoreKind::Nll, offset: 0.0, scale: 1.0, threshold: 6.0 },
/// };
///
/// // −ln p(1, 2) = ln 2π + (1² + 2²)/2 = 4.3379
/// assert!((DETECTOR.score(&[1.0, 2.0]) - 4.337_877).abs() < 1e-5);
/// assert!(!DETECTOR.is_anomaly(&[1.0, 2.0]));
/// assert_eq!(DETECTOR.features(&[2.0, 99.0, 1.0]), [1.0, 2.0]);
/// assert!(DETECTOR.is_anomaly(&[f32::NAN, 0.0])); // a broken sensor is never normal
/// // DETECTOR.score(&[1.0, 2.0, 3.0]); // does not compile: expected an array of 2
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Detector<M, const D: usize, const N: usize> {
    /// The mixture and its scoring kernel.
    pub mixture: M,
    /// For each feature, its index in the input vector (`score_inputs`).
    pub axes: [usize; D],
    /// Log-likelihood → anomaly score, and the threshold.
    pub transform: ScoreTransform,
}

impl<M, const D: usize, const N: usize> Detector<M, D, N> {
    /// D: the number of features `log_likelihood`, `score` and `is_anomaly` take.
    pub const fn n_features(&self) -> usize {
        D
    }

    /// N: the length of the input vector `score_inputs` takes.
    pub const fn n_inputs(&self) -> usize {
        N
    }

    /// Scores strictly above this are anomalies.
    pub const fn threshold(&self) -> f32 {
        self.transform.threshold
    }

    /// The model's features picked out of a full input vector (for instance a device's whole
    /// DSP output), in model order. An axis outside the input (impossible in a generated
    /// detector) reads as NaN, which scores as an anomaly.
    #[inline]
    pub fn features(&self, inputs: &[f32; N]) -> [f32; D] {
        let mut x = [0.0f32; D];
        for (slot, &axis) in x.iter_mut().zip(&self.axes) {
            *slot = inputs.get(axis).copied().unwrap_or(f32::NAN);
        }
        x
    }
}

impl<M: Mixture<D>, const D: usize, const N: usize> Detector<M, D, N> {
    /// K: the number of mixture components.
    pub const N_COMPONENTS: usize = M::N_COMPONENTS;

    /// `ln p(x)`, the natural log of the mixture density (scikit-learn's `score_samples`),
    /// in f32. −∞ for NaN/±∞ input or input so far away that the quadratic form overflows;
    /// never NaN.
    #[inline]
    pub fn log_likelihood(&self, x: &[f32; D]) -> f32 {
        let ll = self.mixture.log_likelihood(x);
        if ll.is_nan() { f32::NEG_INFINITY } else { ll }
    }

    /// The anomaly score of `x`: higher is more anomalous, +∞ for broken input, never NaN.
    #[inline]
    pub fn score(&self, x: &[f32; D]) -> f32 {
        self.transform.score(self.log_likelihood(x))
    }

    /// Whether `x` is an anomaly: `score(x) > threshold` (always true for broken input).
    #[inline]
    pub fn is_anomaly(&self, x: &[f32; D]) -> bool {
        self.transform.is_anomaly(self.score(x))
    }

    /// The anomaly score of a full input vector, reading the model's axes out of it.
    #[inline]
    pub fn score_inputs(&self, inputs: &[f32; N]) -> f32 {
        self.score(&self.features(inputs))
    }

    /// Whether a full input vector is an anomaly, reading the model's axes out of it.
    #[inline]
    pub fn is_anomaly_inputs(&self, inputs: &[f32; N]) -> bool {
        self.transform.is_anomaly(self.score_inputs(inputs))
    }
}
