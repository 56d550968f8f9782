//! Degenerate fits and random small matrices: a clear error or a documented recovery, never a
//! panic and never NaN in a model.

mod common;

use gmmc::em::Samples;
use gmmc::init::InitMethod;
use gmmc::mixture::Mixture;
use gmmc::model::{CovarianceType, ScoreKind};
use gmmc::train::{self, FitOptions, ModelOptions, Start, TrainError};
use proptest::prelude::*;

fn model_options(d: usize) -> ModelOptions {
    ModelOptions {
        feature_names: (0..d).map(|j| format!("f{j}")).collect(),
        axes: (0..d).collect(),
        n_inputs: d,
        data_name: None,
        score_kind: ScoreKind::Normalized,
        threshold_quantile: 0.99,
    }
}

fn run(values: &[f64], d: usize, options: &FitOptions) -> Result<train::Trained, TrainError> {
    train::train(
        Samples::new(values, d).unwrap(),
        options,
        &model_options(d),
        &mut |_| {},
    )
}

/// A line of points t·(1, 2) + (0, 1) with a little scatter in the first feature only: the
/// second feature is an exact linear function of the first.
fn collinear_data() -> Vec<f64> {
    (0..60)
        .flat_map(|i| {
            let t = (i as f64 * 0.37).sin() * 3.0;
            [t, 2.0 * t + 1.0]
        })
        .collect()
}

#[test]
fn a_component_that_loses_all_its_samples_is_kept_harmless() {
    // Data around 0; component 1 starts 1e4 away, so its responsibilities underflow to zero.
    let c = common::case("em-full");
    let mut start = gmmc::import::parse(&c.json["init"].to_string())
        .unwrap()
        .mixture;
    for v in &mut start.means[c.d..2 * c.d] {
        *v = 1e4;
    }
    let options = FitOptions {
        n_components: 3,
        start: Start::Mixture(start),
        max_iter: 5,
        ..FitOptions::default()
    };
    let trained = run(&c.train, c.d, &options).unwrap();
    let m = &trained.model;
    // scikit-learn's recovery: weight 10ε/N, mean 0, covariance reg_covar·I.
    assert!(
        m.weights[1] < 1e-15 && m.weights[1] > 0.0,
        "{}",
        m.weights[1]
    );
    assert!(m.means[1].iter().all(|v| v.abs() < 1e-12));
    m.validate().unwrap();
    assert!(m.to_json().find("NaN").is_none() && m.to_json().find("null").is_none());
}

#[test]
fn collinear_features() {
    let x = collinear_data();
    // Regularised, they fit.
    run(
        &x,
        2,
        &FitOptions {
            n_components: 2,
            ..FitOptions::default()
        },
    )
    .unwrap();
    // Without regularisation: a clear error that names the cause.
    let options = FitOptions {
        n_components: 2,
        reg_covar: 0.0,
        ..FitOptions::default()
    };
    let err = run(&x, 2, &options).unwrap_err().to_string();
    assert!(
        err.contains("not positive definite") && err.contains("linear combinations"),
        "{err}"
    );
}

#[test]
fn values_near_the_limits_of_f64() {
    let mut x = collinear_data();
    x[7] = 1e300;
    let err = run(&x, 2, &FitOptions::default()).unwrap_err();
    assert!(
        matches!(err, TrainError::ValueTooLarge { row: 3, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("1e300 in feature `f1`"), "{err}");
}

#[test]
fn one_row_and_identical_rows() {
    // One row, one component: variance is reg_covar alone.
    let t = run(&[1.0, 2.0], 2, &FitOptions::default()).unwrap();
    assert!(t.model.score.scale > 0.0 && t.model.score.scale.is_finite());
    // All rows identical, two components.
    let x: Vec<f64> = std::iter::repeat_n([3.0, -1.0], 10).flatten().collect();
    for cov in CovarianceType::ALL {
        let options = FitOptions {
            n_components: 2,
            covariance_type: cov,
            ..FitOptions::default()
        };
        let t = run(&x, 2, &options).unwrap_or_else(|e| panic!("{cov}: {e}"));
        t.model.validate().unwrap();
    }
}

fn covariance_type() -> impl Strategy<Value = CovarianceType> {
    prop::sample::select(CovarianceType::ALL.to_vec())
}

fn init_method() -> impl Strategy<Value = InitMethod> {
    prop::sample::select(InitMethod::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    /// Training on random small matrices — including rank-deficient ones (values from a tiny
    /// set, so rows and columns repeat) — returns a valid model or an error, never panics and
    /// never writes NaN.
    #[test]
    fn training_never_panics(
        n in 1usize..12,
        d in 1usize..4,
        k in 1usize..4,
        small_set in any::<bool>(),
        seed in any::<u64>(),
        cov in covariance_type(),
        init in init_method(),
        reg_covar in prop::sample::select(vec![0.0, 1e-6]),
        raw in prop::collection::vec(-1e3f64..1e3, 48),
    ) {
        let values: Vec<f64> = raw[..n * d]
            .iter()
            .map(|v| if small_set { (v / 400.0).round() } else { *v })
            .collect();
        let options = FitOptions {
            covariance_type: cov,
            n_components: k,
            start: Start::Method(init),
            reg_covar,
            seed,
            max_iter: 20,
            ..FitOptions::default()
        };
        match run(&values, d, &options) {
            Ok(t) => {
                prop_assert!(t.model.validate().is_ok());
                prop_assert!(t.log_likelihoods.iter().all(|v| v.is_finite()));
                let mix = Mixture::from_model(&t.model);
                prop_assert!(mix.factors.iter().chain(&mix.means).chain(&mix.weights).all(|v| v.is_finite()));
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
}
