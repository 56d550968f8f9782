//! Choosing K: `gmmc train --components auto` against scikit-learn's BIC on a fixture written by
//! `tests/fixtures/make_selection_case.py`, and the BIC/AIC formulas on scikit-learn's own
//! fitted models.

mod common;

use std::process::Command;

use common::{f64s, fixture};
use gmmc::criteria;
use gmmc::em::{self, Samples};
use gmmc::model::CovarianceType;
use gmmc::selection::{Components, Search};
use serde_json::Value;

fn sklearn() -> Value {
    let text = std::fs::read_to_string(fixture("selection/sklearn.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn data() -> (Vec<f64>, usize) {
    common::read_numbers_csv(&fixture("selection/data.csv"))
}

#[test]
fn components_auto_picks_the_k_with_scikit_learns_lowest_bic() {
    let reference = sklearn();
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.json");
    let report = dir.path().join("r.json");
    let out = Command::new(env!("CARGO_BIN_EXE_gmmc"))
        .args(["train", fixture("selection/data.csv").to_str().unwrap()])
        .args(["--components", "auto:1..6", "-o", model.to_str().unwrap()])
        .args(["--report", report.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();

    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let search: Search = serde_json::from_value(report["selection"].clone()).unwrap();
    let best = reference["best_n_components"].as_u64().unwrap() as usize;
    assert_eq!(best, 3, "the fixture was made with three clusters");
    assert_eq!(search.best, best);
    assert_eq!(report["n_components"], best);
    assert!(stdout.contains("chose K = 3 of 1..6"), "{stdout}");
    let marked: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("← lowest BIC"))
        .collect();
    assert_eq!(marked.len(), 1);
    assert!(marked[0].trim_start().starts_with("3 "), "{stdout}");

    let table = reference["table"].as_array().unwrap();
    assert_eq!(search.candidates.len(), table.len());
    for (c, r) in search.candidates.iter().zip(table) {
        assert_eq!(c.n_components as u64, r["n_components"].as_u64().unwrap());
        let (bic, sk_bic) = (c.bic.unwrap(), r["bic"].as_f64().unwrap());
        if c.n_components <= best {
            // Both reach the same optimum, to within EM's tolerance (1e-3 in the mean
            // log-likelihood, i.e. 2·N·1e-3 = 0.9 in BIC).
            assert!(
                (bic - sk_bic).abs() < 2.0,
                "K = {}: {bic} vs {sk_bic}",
                c.n_components
            );
        }
        let (aic, sk_aic) = (c.aic.unwrap(), r["aic"].as_f64().unwrap());
        if c.n_components <= best {
            assert!(
                (aic - sk_aic).abs() < 2.0,
                "K = {}: {aic} vs {sk_aic}",
                c.n_components
            );
        }
        // The table is consistent: BIC − AIC = p·(ln N − 2).
        let n = reference["n_samples"].as_f64().unwrap();
        let p = CovarianceType::Full.n_parameters(c.n_components, 2) as f64;
        assert!((bic - aic - p * (n.ln() - 2.0)).abs() < 1e-6);
    }
    // The kept model is the chosen candidate's fit.
    assert_eq!(
        search.best_candidate().unwrap().bic.unwrap(),
        report["bic"].as_f64().unwrap()
    );
}

#[test]
fn bic_and_aic_equal_scikit_learns_on_its_own_models() {
    let reference = sklearn();
    let (x, d) = data();
    let samples = Samples::new(&x, d).unwrap();
    let n = samples.n_rows();
    for m in reference["models"].as_array().unwrap() {
        let imported = gmmc::import::parse(&m.to_string()).unwrap();
        let mix = &imported.mixture;
        let sum: f64 = em::log_likelihoods(mix, samples).iter().sum();
        let (cov, k) = (mix.covariance_type, mix.n_components);
        let bic = criteria::bic(sum, n, cov, k, d);
        let aic = criteria::aic(sum, cov, k, d);
        let rel = |a: f64, b: f64| (a - b).abs() / b.abs();
        let sk = |key: &str| f64s(&m[key])[0];
        assert!(rel(bic, sk("bic")) < 1e-9, "{cov}: {bic} vs {}", sk("bic"));
        assert!(rel(aic, sk("aic")) < 1e-9, "{cov}: {aic} vs {}", sk("aic"));
        assert!(rel(sum / n as f64, sk("mean_log_likelihood")) < 1e-9);
    }
}

#[test]
fn component_specs_on_the_command_line() {
    assert_eq!("auto".parse(), Ok(Components::Auto { min: 1, max: 10 }));
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_gmmc"))
            .arg("train")
            .arg(fixture("selection/data.csv"))
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["--components", "auto:5..2"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the range 5..2 is empty"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let picture = dir.path().join("k.svg");
    let out = run(&["-k", "3", "--plot", picture.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--plot draws the choice of K"), "{err}");
    assert!(!picture.exists());
}
