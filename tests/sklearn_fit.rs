//! Whole fits against scikit-learn: default k-means fits as good as scikit-learn's, BIC and AIC
//! computed as scikit-learn does, data far from the origin that scikit-learn cannot fit, and
//! degenerate data.

mod common;

use common::{case, fixture, read_numbers_csv, rel_err};
use gmmc::em::{self, Samples};
use gmmc::import;
use gmmc::init::InitMethod;
use gmmc::mixture::Mixture;
use gmmc::model::CovarianceType;
use gmmc::train::{self, FitOptions, Start, TrainError};

fn names(d: usize) -> Vec<String> {
    (0..d).map(|j| format!("f{j}")).collect()
}

fn fit(values: &[f64], d: usize, options: &FitOptions) -> Result<train::Fit, TrainError> {
    train::fit(
        Samples::new(values, d).unwrap(),
        options,
        &names(d),
        &mut |_| {},
    )
}

fn mean_ll(mix: &Mixture, values: &[f64], d: usize) -> f64 {
    let lls = em::log_likelihoods(mix, Samples::new(values, d).unwrap());
    lls.iter().sum::<f64>() / lls.len() as f64
}

/// A default fit (k-means initialisation, scikit-learn's tol, max_iter and reg_covar) of a
/// `fit-*` case reaches a mean training log-likelihood no worse than scikit-learn's by more
/// than 1e-3 relative.
fn default_fit_is_as_good_as_scikit_learn(name: &str) {
    let c = case(name);
    assert!(
        c.json["kind"].as_str().unwrap().starts_with("fit-"),
        "{name}"
    );
    // The case was fitted with scikit-learn's defaults: no option to carry over.
    assert_eq!(
        (
            c.json["tol"].as_f64(),
            c.json["max_iter"].as_u64(),
            c.json["reg_covar"].as_f64()
        ),
        (Some(1e-3), Some(100), Some(1e-6)),
        "{name}"
    );
    let cov: CovarianceType = c.json["covariance_type"].as_str().unwrap().parse().unwrap();
    let options = FitOptions {
        covariance_type: cov,
        n_components: c.json["n_components"].as_u64().unwrap() as usize,
        ..FitOptions::default()
    };
    let result = fit(&c.train, c.d, &options).unwrap();
    let ours = mean_ll(&result.mixture, &c.train, c.d);
    let theirs = c.json["train_mean_log_likelihood"].as_f64().unwrap();
    assert!(
        ours >= theirs - 1e-3 * theirs.abs(),
        "{name}: gmmc {ours} vs scikit-learn {theirs}"
    );
    eprintln!(
        "{name}: gmmc {ours:.9} vs scikit-learn {theirs:.9} ({} iterations)",
        result.n_iter
    );
}

/// BIC and AIC of scikit-learn's own fitted model of a case, on its training data, equal
/// scikit-learn's `bic(X)` and `aic(X)`.
fn bic_and_aic_equal_scikit_learn(name: &str) {
    let c = case(name);
    let mut export = c.json["fitted"].clone();
    export["covariance_type"] = c.json["covariance_type"].clone();
    let mix = import::parse(&export.to_string()).unwrap().mixture;
    let lls = em::log_likelihoods(&mix, Samples::new(&c.train, c.d).unwrap());
    let sum: f64 = lls.iter().sum();
    let (cov, k, n) = (mix.covariance_type, mix.n_components, lls.len());
    let bic = gmmc::criteria::bic(sum, n, cov, k, c.d);
    let aic = gmmc::criteria::aic(sum, cov, k, c.d);
    let (sk_bic, sk_aic) = (
        c.json["bic"].as_f64().unwrap(),
        c.json["aic"].as_f64().unwrap(),
    );
    assert!(rel_err(bic, sk_bic) < 1e-9, "{name}: BIC {bic} vs {sk_bic}");
    assert!(rel_err(aic, sk_aic) < 1e-9, "{name}: AIC {aic} vs {sk_aic}");
}

/// One module per case, so that a failure names its case: a test of BIC and AIC for every
/// case, and of the default fit for the k-means fits (`fit`, as opposed to the EM
/// trajectories, `em`). `CASES` lists them all for the completeness check.
macro_rules! cases {
    ($($kind:ident $module:ident => $name:literal;)*) => {
        const CASES: &[(&str, bool)] = &[$(($name, cases!(@is_fit $kind))),*];
        $(cases!(@module $kind $module $name);)*
    };
    (@is_fit fit) => { true };
    (@is_fit em) => { false };
    (@module fit $module:ident $name:literal) => {
        mod $module {
            #[test]
            fn bic_and_aic() {
                super::bic_and_aic_equal_scikit_learn($name);
            }
            #[test]
            fn default_fit() {
                super::default_fit_is_as_good_as_scikit_learn($name);
            }
        }
    };
    (@module em $module:ident $name:literal) => {
        mod $module {
            #[test]
            fn bic_and_aic() {
                super::bic_and_aic_equal_scikit_learn($name);
            }
        }
    };
}

cases! {
    fit fit_full => "fit-full";
    fit fit_diag => "fit-diag";
    fit wide_full => "wide-full";
    fit wide_tied => "wide-tied";
    fit single_full => "single-full";
    fit scaled_full => "scaled-full";
    fit scaled_diag => "scaled-diag";
    em em_full => "em-full";
    em em_tied => "em-tied";
    em em_diag => "em-diag";
    em em_spherical => "em-spherical";
    em em_offset_full => "em-offset-full";
    em em_constant_feature => "em-constant-feature";
}

/// Every case in the fixtures is listed, and exactly the k-means fits (`kind` `fit-*`) are
/// fitted.
#[test]
fn every_case_is_tested() {
    let mut present: Vec<String> = std::fs::read_dir(fixture("sklearn"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    present.sort();
    let mut listed: Vec<&str> = CASES.iter().map(|(name, _)| *name).collect();
    listed.sort();
    assert_eq!(present, listed);
    for (name, fitted) in CASES {
        let kind = case(name).json["kind"].as_str().unwrap().to_string();
        assert_eq!(kind.starts_with("fit-"), *fitted, "{name}: kind {kind}");
    }
}

/// Data at 1e6 with a spread of 1e-3 (`tests/fixtures/offset/`): scikit-learn's tied, diag and
/// spherical fits fail there; gmmc fits all four types, as well as scikit-learn fits the same
/// data moved to the origin, and the same as gmmc itself on the moved data.
#[test]
fn fits_data_far_from_the_origin_that_scikit_learn_cannot() {
    let (x, d) = read_numbers_csv(&fixture("offset/train.csv"));
    let centred: Vec<f64> = x.iter().map(|v| v - 1e6).collect();
    let sk: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("offset/sklearn.json")).unwrap())
            .unwrap();
    for cov in CovarianceType::ALL {
        let entry = &sk[cov.as_str()];
        if cov != CovarianceType::Full {
            assert_eq!(
                entry["fitted"], false,
                "the fixture shows scikit-learn failing on {cov}"
            );
        }
        let options = FitOptions {
            covariance_type: cov,
            n_components: 2,
            ..FitOptions::default()
        };
        let far = fit(&x, d, &options).unwrap_or_else(|e| panic!("{cov}: {e}"));
        let near = fit(&centred, d, &options).unwrap();
        let ll_far = mean_ll(&far.mixture, &x, d);
        let ll_near = mean_ll(&near.mixture, &centred, d);
        let reference = entry["centred_mean_log_likelihood"].as_f64().unwrap();
        assert!(
            ll_far >= reference - 1e-3 * reference.abs(),
            "{cov}: {ll_far} vs scikit-learn {reference}"
        );
        // Translation changes nothing but rounding: the same fit, moved.
        assert!(
            rel_err(ll_far, ll_near) < 1e-6,
            "{cov}: {ll_far} at 1e6 vs {ll_near} at 0"
        );
        for (a, b) in far.mixture.means.iter().zip(&near.mixture.means) {
            assert!((a - 1e6 - b).abs() < 1e-8, "{cov}: mean {a} vs {b} + 1e6");
        }
        eprintln!(
            "{cov}: mean log-likelihood {ll_far:.9} (scikit-learn on moved data {reference:.9})"
        );
    }
}

/// A constant feature (`f3` = 7.25 in `em-constant-feature`): reg_covar keeps the covariances
/// positive definite, as in scikit-learn, and the constant column's variance is exactly
/// reg_covar, so its precision factor is 1/√1e-6 = 1000 (scikit-learn's fitted factors of the
/// case show the same), and every component's mean of it is 7.25.
#[test]
fn a_constant_feature() {
    let c = case("em-constant-feature");
    let constant = c.d - 1;
    assert!(c.train.chunks(c.d).all(|row| row[constant] == 7.25));
    for cov in CovarianceType::ALL {
        let options = FitOptions {
            covariance_type: cov,
            n_components: 2,
            ..FitOptions::default()
        };
        let result = fit(&c.train, c.d, &options).unwrap_or_else(|e| panic!("{cov}: {e}"));
        let mix = &result.mixture;
        for k in 0..2 {
            let mean = mix.mean(k)[constant];
            assert!((mean - 7.25).abs() < 1e-12, "{cov}: mean {mean}");
        }
        let factors = common::dense_factors(mix);
        let d = c.d;
        let diagonal: Vec<f64> = match cov {
            CovarianceType::Full => (0..2)
                .map(|k| factors[k * d * d + constant * d + constant])
                .collect(),
            CovarianceType::Tied => vec![factors[constant * d + constant]],
            CovarianceType::Diag => (0..2).map(|k| factors[k * d + constant]).collect(),
            // One variance for all features: the constant one only lowers the average.
            CovarianceType::Spherical => vec![],
        };
        for f in diagonal {
            assert!(rel_err(f, 1000.0) < 1e-6, "{cov}: factor {f}");
        }
    }
    // With no regularisation the constant column has zero variance: a clear error naming it.
    let options = FitOptions {
        n_components: 2,
        reg_covar: 0.0,
        ..FitOptions::default()
    };
    let err = fit(&c.train, c.d, &options).unwrap_err().to_string();
    assert!(err.contains("--reg-covar") && err.contains("`f3`"), "{err}");
}

/// Duplicated rows: every row twice gives the same EM trajectory and fit as once.
#[test]
fn every_row_duplicated() {
    let base = case("em-full");
    let doubled: Vec<f64> = base
        .train
        .chunks(base.d)
        .flat_map(|r| r.iter().chain(r.iter()))
        .copied()
        .collect();
    let start = import::parse(&base.json["init"].to_string())
        .unwrap()
        .mixture;
    let options = FitOptions {
        n_components: 3,
        start: Start::Mixture(start),
        max_iter: 10,
        tol: 0.0,
        ..FitOptions::default()
    };
    let once = fit(&base.train, base.d, &options).unwrap();
    let twice = fit(&doubled, base.d, &options).unwrap();
    let (a, b) = (&once.mixture, &twice.mixture);
    for (x, y) in [
        (&a.weights, &b.weights),
        (&a.means, &b.means),
        (&a.factors, &b.factors),
    ] {
        assert_eq!(x.len(), y.len());
        for (u, v) in x.iter().zip(y) {
            assert!(rel_err(*u, *v) < 1e-9, "{u} vs {v}");
        }
    }
    assert_eq!(once.lower_bounds.len(), twice.lower_bounds.len());
    for (u, v) in once.lower_bounds.iter().zip(&twice.lower_bounds) {
        assert!(rel_err(*u, *v) < 1e-12, "{u} vs {v}");
    }
}

/// Half the rows are one point repeated: the component that takes them sits exactly on it,
/// with weight ½ and covariance reg_covar·I (factor 1000 on the diagonal, 0 off it).
#[test]
fn a_cluster_of_identical_rows() {
    let mut x = Vec::new();
    for i in 0..100 {
        x.extend([1.0, 2.0]);
        let t = i as f64;
        x.extend([10.0 + (t * 0.37).sin(), 10.0 + (t * 0.91).cos()]);
    }
    for cov in [
        CovarianceType::Full,
        CovarianceType::Diag,
        CovarianceType::Spherical,
    ] {
        let options = FitOptions {
            covariance_type: cov,
            n_components: 2,
            ..FitOptions::default()
        };
        let result = fit(&x, 2, &options).unwrap_or_else(|e| panic!("{cov}: {e}"));
        let mix = &result.mixture;
        let k = (0..2)
            .find(|&k| mix.mean(k)[0] < 5.0)
            .unwrap_or_else(|| panic!("{cov}: no component on the repeated point"));
        assert!(rel_err(mix.weights[k], 0.5) < 1e-12, "{cov}");
        assert!(rel_err(mix.mean(k)[0], 1.0) < 1e-12 && rel_err(mix.mean(k)[1], 2.0) < 1e-12);
        let factor = mix.factor(k);
        let expected: &[f64] = match cov {
            CovarianceType::Full => &[1000.0, 0.0, 1000.0],
            CovarianceType::Diag => &[1000.0, 1000.0],
            _ => &[1000.0],
        };
        assert_eq!(factor.len(), expected.len(), "{cov}");
        for (f, e) in factor.iter().zip(expected) {
            assert!((f - e).abs() < 1e-6, "{cov}: factor {factor:?}");
        }
    }
}

/// As many samples as components: a valid fit from every initialisation; from the three that
/// start each component on its own row (kmeans, k-means++, random-from-data), each component
/// keeps one sample: weight 1/3, the sample as its mean. `random` responsibilities can end in
/// a local optimum here (two components on one row), as scikit-learn's do: with
/// `init_params="random"` and random_state 0, 1 or 2 it ends with means (0, 0), (0, 0), (0, 5).
#[test]
fn as_many_samples_as_components() {
    let x = [0.0, 0.0, 5.0, 5.0, -5.0, 5.0];
    for init in InitMethod::ALL {
        let options = FitOptions {
            n_components: 3,
            covariance_type: CovarianceType::Diag,
            start: Start::Method(init),
            ..FitOptions::default()
        };
        let result = fit(&x, 2, &options).unwrap_or_else(|e| panic!("{init}: {e}"));
        let mix = &result.mixture;
        assert!((mix.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(mix.means.iter().chain(&mix.factors).all(|v| v.is_finite()));
        if init == InitMethod::Random {
            continue;
        }
        let mut means = mix.means_rows();
        means.sort_by(|a, b| a[0].total_cmp(&b[0]));
        let expected = [[-5.0, 5.0], [0.0, 0.0], [5.0, 5.0]];
        for (m, e) in means.iter().zip(&expected) {
            assert!(
                (m[0] - e[0]).abs() < 1e-9 && (m[1] - e[1]).abs() < 1e-9,
                "{init}: means {means:?}"
            );
        }
        for w in &mix.weights {
            assert!(
                rel_err(*w, 1.0 / 3.0) < 1e-9,
                "{init}: weights {:?}",
                mix.weights
            );
        }
    }
}

/// Fewer samples than components: a clear error.
#[test]
fn fewer_samples_than_components() {
    let x = [0.0, 0.0, 5.0, 5.0, -5.0, 5.0];
    let options = FitOptions {
        n_components: 4,
        ..FitOptions::default()
    };
    let err = fit(&x, 2, &options).unwrap_err();
    assert!(
        matches!(
            err,
            TrainError::TooFewSamples {
                n_samples: 3,
                n_components: 4
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("3 sample(s) cannot fit 4 components")
    );
}

#[test]
fn a_seed_gives_the_same_bits_and_n_init_keeps_the_best() {
    let c = case("fit-full");
    let mut distinct_outcomes = 0;
    for init in InitMethod::ALL {
        let options = FitOptions {
            n_components: 4,
            start: Start::Method(init),
            n_init: 3,
            seed: 7,
            ..FitOptions::default()
        };
        let a = fit(&c.train, c.d, &options).unwrap();
        let b = fit(&c.train, c.d, &options).unwrap();
        assert_eq!(a.mixture, b.mixture, "{init}: same seed, different fit");
        let best = a
            .inits
            .iter()
            .map(|i| i.lower_bound)
            .fold(f64::NEG_INFINITY, f64::max);
        assert_eq!(a.lower_bound, best, "{init}: kept run is not the best");
        assert_eq!(a.inits[a.best_init].lower_bound, best);
        assert_eq!(a.inits.len(), 3);
        distinct_outcomes += usize::from(a.inits.iter().any(|i| i.lower_bound != best));
    }
    // The restarts really differ (for some methods), so keeping the best is a choice.
    assert!(distinct_outcomes > 0);
}
