//! EM against scikit-learn, step by step: every `em-*` reference case started from its exact
//! initial parameters (as `gmmc train --init-model` does) must follow scikit-learn's trajectory.

mod common;

use common::{EM_CASES, case, f64s, max_rel_err};
use gmmc::em::{self, EmOptions, Samples};
use gmmc::import;
use gmmc_model::{CovarianceType, packed};

/// Our factors expanded to scikit-learn's dense shapes (full [K][D][D], tied [D][D]).
fn dense_factors(mix: &gmmc::mixture::Mixture) -> Vec<f64> {
    let d = mix.n_features;
    match mix.covariance_type {
        CovarianceType::Full => (0..mix.n_components)
            .flat_map(|k| packed::unpack_upper(mix.factor(k), d))
            .collect(),
        CovarianceType::Tied => packed::unpack_upper(&mix.factors, d),
        CovarianceType::Diag | CovarianceType::Spherical => mix.factors.clone(),
    }
}

#[test]
fn em_trajectories_match_scikit_learn() {
    for name in EM_CASES {
        let c = case(name);
        let j = &c.json;
        let start = import::parse(&j["init"].to_string()).unwrap().mixture;
        let x = Samples::new(&c.train, c.d).unwrap();
        let options = EmOptions {
            max_iter: j["max_iter"].as_u64().unwrap() as usize,
            tol: j["tol"].as_f64().unwrap(),
            reg_covar: j["reg_covar"].as_f64().unwrap(),
        };
        let run = em::run(start, x, &options, &mut |_, _| {}).unwrap();

        let expected_bounds = f64s(&j["lower_bounds"]);
        let bounds_err = run
            .lower_bounds
            .iter()
            .zip(&expected_bounds)
            .map(|(a, b)| ((a - b) / b).abs())
            .fold(0.0, f64::max);
        assert_eq!(
            run.lower_bounds.len(),
            expected_bounds.len(),
            "{name}: iteration count"
        );
        assert!(
            bounds_err < 1e-9,
            "{name}: lower bounds differ by {bounds_err:e} (relative)"
        );
        assert_eq!(run.n_iter, j["n_iter"].as_u64().unwrap() as usize, "{name}");
        assert_eq!(run.converged, j["converged"].as_bool().unwrap(), "{name}");

        let fitted = &j["fitted"];
        let mix = &run.mixture;
        let w = max_rel_err(&mix.weights, &f64s(&fitted["weights"]));
        let m = max_rel_err(&mix.means, &f64s(&fitted["means"]));
        let p = max_rel_err(&dense_factors(mix), &f64s(&fitted["precisions_cholesky"]));
        assert!(
            w < 1e-7 && m < 1e-7 && p < 1e-7,
            "{name}: weights {w:e}, means {m:e}, factors {p:e}"
        );

        let ev = Samples::new(&c.eval, c.d).unwrap();
        let ll = em::log_likelihoods(mix, ev);
        let expected = f64s(&j["eval_score_samples"]);
        // Relative to max(1, |value|): some log-likelihoods are within 0.01 of zero.
        let rel = max_rel_err(&ll, &expected);
        assert!(
            rel < 1e-9,
            "{name}: eval log-likelihood differs by {rel:e} (relative)"
        );
        eprintln!(
            "{name}: lower bounds {bounds_err:.1e}, weights {w:.1e}, means {m:.1e}, factors {p:.1e}, eval {rel:.1e}"
        );
    }
}
