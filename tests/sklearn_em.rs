//! EM against scikit-learn, step by step: every `em-*` reference case, started from its exact
//! initial parameters, must follow scikit-learn's trajectory. Each case is checked twice, as
//! its own pair of tests: through the library (`em::run` from the imported start) and through
//! the command line as a user would (`gmmc import sklearn` of the start, `gmmc train
//! --init-model`, the `--report`'s lower bounds, the written model file, `gmmc score`).
//!
//! Tolerances (issue 2): every lower bound within 1e-9 relative; final weights, means and
//! precision factors within 1e-7 and log-likelihoods of `eval.csv` within 1e-9, both relative to
//! max(1, |scikit-learn's value|) (some log-likelihoods and factor entries are near zero).

mod common;

use std::path::Path;
use std::process::Command;

use common::{case, dense_factors, f64s, fixture, max_rel_err};
use gmmc::em::{self, EmOptions, Samples};
use gmmc::import;
use gmmc::mixture::Mixture;
use gmmc::model::Model;
use serde_json::Value;

/// Largest relative difference, |a − b| / |b|, over equally long slices.
fn max_pure_rel_err(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "lengths differ");
    a.iter()
        .zip(b)
        .map(|(x, y)| ((x - y) / y).abs())
        .fold(0.0, f64::max)
}

/// Checks a finished run against the case: lower bounds, iteration count, convergence and the
/// final parameters. Returns the errors for the log.
fn check_trajectory(
    name: &str,
    j: &Value,
    lower_bounds: &[f64],
    n_iter: usize,
    converged: bool,
    mix: &Mixture,
) -> [f64; 4] {
    let expected_bounds = f64s(&j["lower_bounds"]);
    assert_eq!(
        lower_bounds.len(),
        expected_bounds.len(),
        "{name}: number of lower bounds"
    );
    let bounds = max_pure_rel_err(lower_bounds, &expected_bounds);
    assert!(
        bounds < 1e-9,
        "{name}: lower bounds differ by {bounds:e} (relative)"
    );
    assert_eq!(
        n_iter as u64,
        j["n_iter"].as_u64().unwrap(),
        "{name}: n_iter"
    );
    assert_eq!(
        converged,
        j["converged"].as_bool().unwrap(),
        "{name}: converged"
    );
    let fitted = &j["fitted"];
    let w = max_rel_err(&mix.weights, &f64s(&fitted["weights"]));
    let m = max_rel_err(&mix.means, &f64s(&fitted["means"]));
    let p = max_rel_err(&dense_factors(mix), &f64s(&fitted["precisions_cholesky"]));
    assert!(
        w < 1e-7 && m < 1e-7 && p < 1e-7,
        "{name}: weights {w:e}, means {m:e}, factors {p:e}"
    );
    [bounds, w, m, p]
}

fn check_eval(name: &str, j: &Value, ll: &[f64]) -> f64 {
    let rel = max_rel_err(ll, &f64s(&j["eval_score_samples"]));
    assert!(
        rel < 1e-9,
        "{name}: eval log-likelihood differs by {rel:e} (relative to max(1, |value|))"
    );
    rel
}

/// The trajectory through the library: the case's start imported, `em::run` with the case's
/// options, the fitted mixture's log-likelihoods on `eval.csv`.
fn library(name: &str) {
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
    let [bounds, w, m, p] = check_trajectory(
        name,
        j,
        &run.lower_bounds,
        run.n_iter,
        run.converged,
        &run.mixture,
    );
    let ll = em::log_likelihoods(&run.mixture, Samples::new(&c.eval, c.d).unwrap());
    let eval = check_eval(name, j, &ll);
    eprintln!(
        "{name} (library): lower bounds {bounds:.1e}, weights {w:.1e}, means {m:.1e}, factors {p:.1e}, eval {eval:.1e}"
    );
}

fn gmmc(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_gmmc"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "gmmc {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The trajectory through the command line: `gmmc import sklearn` of the case's start, then
/// `gmmc train --init-model` with the case's options; the report's lower bounds, the model
/// file's parameters, and `gmmc score` of `eval.csv` with that model file.
fn command_line(name: &str) {
    let c = case(name);
    let j = &c.json;
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("start-export.json");
    std::fs::write(&export, j["init"].to_string()).unwrap();
    let start = dir.path().join("start.json");
    gmmc(&["import", "sklearn", path(&export), "-o", path(&start)]);
    let model_path = dir.path().join("fitted.json");
    let report_path = dir.path().join("report.json");
    let train = fixture(&format!("sklearn/{name}/train.csv"));
    let number = |key: &str| format!("{:e}", j[key].as_f64().unwrap());
    gmmc(&[
        "train",
        path(&train),
        "--init-model",
        path(&start),
        "--max-iter",
        &j["max_iter"].to_string(),
        "--tol",
        &number("tol"),
        "--reg-covar",
        &number("reg_covar"),
        "-q",
        "-o",
        path(&model_path),
        "--report",
        path(&report_path),
    ]);
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&report_path).unwrap()).unwrap();
    let model = Model::from_json(&std::fs::read_to_string(&model_path).unwrap()).unwrap();
    let [bounds, w, m, p] = check_trajectory(
        name,
        j,
        &f64s(&report["lower_bounds"]),
        report["n_iter"].as_u64().unwrap() as usize,
        report["converged"].as_bool().unwrap(),
        &Mixture::from_model(&model),
    );
    assert_eq!(
        report["lower_bound"].as_f64(),
        f64s(&report["lower_bounds"]).last().copied(),
        "{name}: the report's lower_bound is its last lower bound"
    );

    let eval = fixture(&format!("sklearn/{name}/eval.csv"));
    let scored = gmmc(&["score", path(&model_path), path(&eval)]);
    let ll: Vec<f64> = scored
        .lines()
        .skip(1)
        .map(|line| line.split(',').next().unwrap().parse().unwrap())
        .collect();
    let eval = check_eval(name, j, &ll);
    eprintln!(
        "{name} (command line): lower bounds {bounds:.1e}, weights {w:.1e}, means {m:.1e}, factors {p:.1e}, eval {eval:.1e}"
    );
}

/// One module per case, with a test through the library and one through the command line, so
/// that a failure names its case; `CASES` lists them for the completeness check.
macro_rules! em_cases {
    ($($module:ident => $name:literal,)*) => {
        const CASES: &[&str] = &[$($name),*];
        $(
            mod $module {
                #[test]
                fn library() {
                    super::library($name);
                }
                #[test]
                fn command_line() {
                    super::command_line($name);
                }
            }
        )*
    };
}

em_cases! {
    em_full => "em-full",
    em_tied => "em-tied",
    em_diag => "em-diag",
    em_spherical => "em-spherical",
    em_offset_full => "em-offset-full",
    em_constant_feature => "em-constant-feature",
}

/// Every `em-*` case in the fixtures is one of the tested cases (a case copied in later
/// without a test fails here).
#[test]
fn every_em_case_is_tested() {
    let mut present: Vec<String> = std::fs::read_dir(fixture("sklearn"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("em-"))
        .collect();
    present.sort();
    let mut tested: Vec<&str> = CASES.to_vec();
    tested.sort();
    assert_eq!(present, tested);
    for name in CASES {
        let c = case(name);
        assert_eq!(c.json["kind"], "em-trajectory", "{name}");
    }
}
