//! `models/hostile-strings.json` has feature names and notes that try to end the doc comment
//! or its string and add items of their own (`*/`, quotes, backslashes, newlines, `#include`,
//! `#[doc = "`, non-ASCII and a right-to-left override). That this crate compiles (with
//! `#![forbid(unsafe_code)]`, clippy's `-D warnings` in CI) shows that neither `include_gmm!`
//! nor `gmmc emit rust` let them out; here both detectors are checked to be the model itself.

use gmmc_macro_conformance::{embedded, emitted};

/// The model's numbers (see the JSON): two diagonal components over seven features.
fn log_likelihood(x: &[f64; 7]) -> f64 {
    let d = 7;
    let components = [
        (
            0.25,
            (0..d).map(|j| 0.5 * j as f64).collect::<Vec<_>>(),
            (0..d).map(|j| 1.0 + 0.1 * j as f64).collect::<Vec<_>>(),
        ),
        (0.75, vec![-1.0; d], vec![2.0; d]),
    ];
    let terms: Vec<f64> = components
        .iter()
        .map(|(w, mean, precision)| {
            let mut t = f64::ln(*w) - 0.5 * d as f64 * (2.0 * std::f64::consts::PI).ln();
            for j in 0..d {
                let z = (x[j] - mean[j]) * precision[j];
                t += precision[j].ln() - 0.5 * z * z;
            }
            t
        })
        .collect();
    let max = terms.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    max + terms.iter().map(|t| (t - max).exp()).sum::<f64>().ln()
}

#[test]
fn hostile_strings_compile_into_the_model_itself() {
    assert_eq!(embedded::HOSTILE_STRINGS, emitted::HOSTILE_STRINGS);
    for x in [
        [0.0; 7],
        [-1.0; 7],
        [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0],
        [0.3, -2.0, 1.0, 0.0, 4.0, -1.0, 0.5],
    ] {
        let expected = log_likelihood(&x);
        let x32 = x.map(|v| v as f32);
        let ll = f64::from(embedded::HOSTILE_STRINGS.log_likelihood(&x32));
        assert!(
            (ll - expected).abs() <= 1e-5 * expected.abs().max(1.0),
            "{x:?}: {ll} != {expected}"
        );
        assert_eq!(
            ll.to_bits(),
            f64::from(emitted::HOSTILE_STRINGS.log_likelihood(&x32)).to_bits()
        );
        // The score transform: (−ll − 5) / 2, anomaly above 1.
        let score = f64::from(embedded::HOSTILE_STRINGS.score(&x32));
        assert!(
            (score - (-expected - 5.0) / 2.0).abs() <= 1e-4,
            "{x:?}: {score}"
        );
    }
}
