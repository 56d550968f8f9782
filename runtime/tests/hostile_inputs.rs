//! No input makes a scorer panic or return NaN: proptest over every f32 (NaN, ±∞, subnormal,
//! huge), for every layout, through every entry point.

use gmmc_runtime::{Detector, Diag, Full, Mixture, ScoreKind, ScoreTransform, Spherical, Tied};
use proptest::prelude::*;

const TRANSFORM: ScoreTransform = ScoreTransform {
    kind: ScoreKind::Normalized,
    offset: 3.5,
    scale: 2.25,
    threshold: 1.0,
};

/// Realistic constants, and factors large enough that moderate inputs overflow f32.
static FULL: Detector<Full<3, 2, 6>, 3, 5> = Detector {
    mixture: Full {
        constants: [-3.1, 40.0],
        means: [[0.5, -1.0, 2.0], [1e30, -3e38, 7.0]],
        factors: [
            [1.5, 0.3, 0.8, -0.2, 0.1, 1.1],
            [1e10, -1e10, 3e9, 0.0, 1e-30, 1e12],
        ],
    },
    axes: [4, 0, 2],
    transform: TRANSFORM,
};

static TIED: Detector<Tied<3, 2, 6>, 3, 3> = Detector {
    mixture: Tied {
        constants: [-3.1, -2.0],
        means: [[0.5, -1.0, 2.0], [-3e38, 3e38, 0.0]],
        factor: [2.0, -1e20, 1e-20, 0.5, 0.5, 3.0],
    },
    axes: [0, 1, 2],
    transform: ScoreTransform {
        kind: ScoreKind::EdgeImpulse,
        ..TRANSFORM
    },
};

static DIAG: Detector<Diag<3, 2>, 3, 3> = Detector {
    mixture: Diag {
        constants: [-3.1, 80.0],
        means: [[0.5, -1.0, 2.0], [3e38, 0.0, -1e-3]],
        factors: [[1.0, 2.0, 3.0], [1e19, 1e-19, 1.0]],
    },
    axes: [2, 1, 0],
    transform: TRANSFORM,
};

static SPHERICAL: Detector<Spherical<3, 2>, 3, 3> = Detector {
    mixture: Spherical {
        constants: [-3.1, -1e30],
        means: [[0.5, -1.0, 2.0], [-1e38, 1e38, 1.0]],
        factors: [0.7, 1e19],
    },
    axes: [0, 1, 2],
    transform: ScoreTransform {
        kind: ScoreKind::Nll,
        offset: 0.0,
        scale: 1.0,
        threshold: 5.0,
    },
};

fn any_f32() -> impl Strategy<Value = f32> {
    // Every class: normal, subnormal, zero, ±∞ and NaN, both signs.
    proptest::num::f32::ANY
}

fn check<M: Mixture<3>, const N: usize>(det: &Detector<M, 3, N>, x: [f32; 3], inputs: [f32; N]) {
    let ll = det.log_likelihood(&x);
    let score = det.score(&x);
    assert!(!ll.is_nan(), "log-likelihood NaN for {x:?}");
    assert!(!score.is_nan(), "score NaN for {x:?}");
    assert!(ll < f32::INFINITY, "log-likelihood +inf for {x:?}");
    if x.iter().any(|v| !v.is_finite()) {
        assert_eq!(ll, f32::NEG_INFINITY, "{x:?}");
        assert_eq!(score, f32::INFINITY, "{x:?}");
        assert!(det.is_anomaly(&x), "{x:?}");
    }
    if ll == f32::NEG_INFINITY {
        assert_eq!(score, f32::INFINITY);
    }
    assert_eq!(det.is_anomaly(&x), score > det.threshold());
    let s = det.score_inputs(&inputs);
    assert!(!s.is_nan(), "score_inputs NaN for {inputs:?}");
    assert_eq!(
        s.to_bits(),
        det.score(&det.features(&inputs)).to_bits(),
        "{inputs:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]

    #[test]
    fn full_never_nan_never_panics(x in prop::array::uniform3(any_f32()),
                                   inputs in prop::array::uniform5(any_f32())) {
        check(&FULL, x, inputs);
    }

    #[test]
    fn tied_never_nan_never_panics(x in prop::array::uniform3(any_f32()),
                                   inputs in prop::array::uniform3(any_f32())) {
        check(&TIED, x, inputs);
    }

    #[test]
    fn diag_never_nan_never_panics(x in prop::array::uniform3(any_f32()),
                                   inputs in prop::array::uniform3(any_f32())) {
        check(&DIAG, x, inputs);
    }

    #[test]
    fn spherical_never_nan_never_panics(x in prop::array::uniform3(any_f32()),
                                        inputs in prop::array::uniform3(any_f32())) {
        check(&SPHERICAL, x, inputs);
    }

    /// Ordinary-range inputs near the data: finite log-likelihoods, so the property above is
    /// not passing only because everything is −∞.
    #[test]
    fn moderate_inputs_score_finite(x in prop::array::uniform3(-10.0f32..10.0)) {
        prop_assert!(FULL.log_likelihood(&x).is_finite());
        prop_assert!(DIAG.log_likelihood(&x).is_finite());
        prop_assert!(SPHERICAL.log_likelihood(&x).is_finite());
    }
}

#[test]
fn overflowing_quadratic_form_scores_infinite() {
    // Finite input, but (x − μ)·U overflows f32 for every component of this model.
    let far = [3e38, -3e38, 3e38];
    assert_eq!(DIAG.score(&far), f32::INFINITY);
    assert!(DIAG.is_anomaly(&far));
    assert_eq!(FULL.score(&[3e38, 3e38, -3e38]), f32::INFINITY);
    assert_eq!(SPHERICAL.score(&[3e38, -3e38, 3e38]), f32::INFINITY);
}
