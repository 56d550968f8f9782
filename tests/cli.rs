//! The `gmmc` binary end to end: train, score, inspect and import on real files.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::{dense_factors, f64s, fixture, max_rel_err};
use gmmc::model::Model;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn motor_train() -> String {
    root()
        .join("examples/data/motor-train.csv")
        .display()
        .to_string()
}

fn gmmc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gmmc"))
        .args(args)
        .output()
        .unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "gmmc failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn err(out: &Output, code: i32) -> String {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stderr.clone()).unwrap()
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn train_score_inspect_on_the_example_data() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("motor.json");
    let report = dir.path().join("report.json");
    let out = ok(&gmmc(&[
        "train",
        &motor_train(),
        "--label-column",
        "label",
        "-k",
        "4",
        "-o",
        path_str(&model),
        "--report",
        path_str(&report),
    ]));
    assert!(out.contains(&format!("wrote {}", model.display())), "{out}");

    let m = Model::from_json(&std::fs::read_to_string(&model).unwrap()).unwrap();
    assert_eq!((m.n_components, m.n_features, m.n_inputs), (4, 11, 11));
    assert_eq!(m.feature_names[0], "rpm");
    assert_eq!(m.score.threshold, 1.0);

    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    for key in [
        "n_iter",
        "converged",
        "lower_bound",
        "lower_bounds",
        "fit_seconds",
        "n_samples",
        "n_features",
        "n_components",
    ] {
        assert!(r.get(key).is_some(), "report lacks {key}");
    }
    assert_eq!(r["n_samples"], 2000);
    assert_eq!(
        r["lower_bounds"].as_array().unwrap().len() as u64,
        r["n_iter"].as_u64().unwrap()
    );

    // With the threshold at the 0.99 training quantile (linear interpolation between order
    // statistics 1979 and 1980 of 2000), exactly the 20 highest-scoring training rows are above it.
    let scored = ok(&gmmc(&[
        "score",
        path_str(&model),
        &motor_train(),
        "--label-column",
        "label",
    ]));
    let mut lines = scored.lines();
    assert_eq!(lines.next(), Some("log_likelihood,score,is_anomaly"));
    let rows: Vec<Vec<f64>> = lines
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 2000);
    assert_eq!(rows.iter().filter(|r| r[2] == 1.0).count(), 20);
    // The score is the normalized negative log-likelihood, and is_anomaly is score > 1.
    for r in &rows {
        let expected = (-r[0] - m.score.offset) / m.score.scale;
        assert!((r[1] - expected).abs() <= 1e-12 * expected.abs().max(1.0));
        assert_eq!(r[2] == 1.0, r[1] > 1.0);
    }

    let summary = ok(&gmmc(&["inspect", path_str(&model)]));
    assert!(
        summary.contains("4 components, full covariance, 11 features"),
        "{summary}"
    );
    assert!(summary.contains("anomaly when score > 1"), "{summary}");
    // The score line, with the model's own offset and scale (the offset of a normalized score
    // is the median training NLL, negative here: written as `+ |offset|`).
    assert!(m.score.offset < 0.0);
    assert!(
        summary.contains(&format!(
            "score = (−log_likelihood + {}) / {}",
            -m.score.offset, m.score.scale
        )),
        "{summary}"
    );
    for line in [
        "data         motor-train.csv",
        "samples      2000",
        "init         kmeans",
        "tol          0.001",
        "reg_covar    1e-6",
        "seed         0",
    ] {
        assert!(summary.contains(line), "no `{line}` in\n{summary}");
    }
}

/// Rows for the thread-count test: 20 000 rows × 5 features in three skewed clusters, far
/// from the origin — 20 blocks of rows, so that every pass is split among threads.
fn many_rows_csv(path: &std::path::Path) {
    let mut text = String::from("a,b,c,d,e\n");
    for i in 0..20_000u32 {
        let t = f64::from(i);
        let cluster = f64::from(i % 3);
        let row: Vec<String> = (0..5)
            .map(|j| {
                let j = f64::from(j);
                let v = 1e3
                    + 4.0 * cluster * (j + 1.0)
                    + (t * (0.37 + 0.11 * j)).sin()
                    + 0.3 * (t * 1.7 + j).cos() * cluster;
                format!("{v}")
            })
            .collect();
        text.push_str(&row.join(","));
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

/// The same data, options and seed give the same model file, byte for byte, on every run and
/// whatever the number of threads, for every covariance type and initialisation.
#[test]
fn the_same_seed_writes_the_same_bytes_for_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("many.csv");
    many_rows_csv(&data);
    for cov in ["full", "tied", "diag", "spherical"] {
        for init in ["kmeans", "random"] {
            let mut files = Vec::new();
            for (run, threads) in ["1", "2", "3", "3"].iter().enumerate() {
                let path = dir.path().join(format!("{cov}-{init}-{run}.json"));
                let out = Command::new(env!("CARGO_BIN_EXE_gmmc"))
                    .env("RAYON_NUM_THREADS", threads)
                    .args([
                        "train",
                        path_str(&data),
                        "-k",
                        "3",
                        "--covariance",
                        cov,
                        "--init",
                        init,
                        "--n-init",
                        "2",
                        "--seed",
                        "5",
                        "-q",
                        "-o",
                        path_str(&path),
                    ])
                    .output()
                    .unwrap();
                ok(&out);
                files.push((threads, std::fs::read(&path).unwrap()));
            }
            for (threads, bytes) in &files[1..] {
                assert!(
                    bytes == &files[0].1,
                    "{cov}, {init}: {threads} threads wrote another model than 1 thread"
                );
            }
        }
    }
}

/// `gmmc import sklearn` of an exported scikit-learn model, then `gmmc train --init-model` on
/// data outside the reference fixtures (the example motor data), must follow scikit-learn's
/// own EM continued from that model (`tests/fixtures/make_warm_start_case.py`): every lower
/// bound of the report within 1e-8 relative, and the final weights, means and precision
/// factors of the model file within 1e-8 relative to max(1, |scikit-learn's value|).
fn warm_start_reproduces_scikit_learn(cov: &str) {
    let dir = tempfile::tempdir().unwrap();
    let start = dir.path().join("start.json");
    let fitted = dir.path().join("fitted.json");
    let report = dir.path().join("report.json");
    let export = fixture(&format!("warm-start/{cov}/export.json"));
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixture(&format!("warm-start/{cov}/case.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(expected["covariance_type"], cov);
    ok(&gmmc(&[
        "import",
        "sklearn",
        path_str(&export),
        "-o",
        path_str(&start),
    ]));
    let max_iter = expected["max_iter"].to_string();
    ok(&gmmc(&[
        "train",
        &motor_train(),
        "--label-column",
        "label",
        "--init-model",
        path_str(&start),
        "--tol",
        "0",
        "--max-iter",
        &max_iter,
        "-q",
        "-o",
        path_str(&fitted),
        "--report",
        path_str(&report),
    ]));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let ours = f64s(&r["lower_bounds"]);
    let theirs = f64s(&expected["lower_bounds"]);
    assert_eq!(ours.len(), theirs.len(), "{cov}: number of lower bounds");
    let bounds = ours
        .iter()
        .zip(&theirs)
        .map(|(a, b)| ((a - b) / b).abs())
        .fold(0.0, f64::max);
    assert!(
        bounds < 1e-8,
        "{cov}: lower bounds differ by {bounds:e} (relative)\n{ours:?}\n{theirs:?}"
    );
    assert_eq!(r["n_iter"], expected["n_iter"], "{cov}");
    assert_eq!(r["converged"], false, "{cov}");

    let model = Model::from_json(&std::fs::read_to_string(&fitted).unwrap()).unwrap();
    assert_eq!(model.covariance_type.as_str(), cov);
    let mix = gmmc::mixture::Mixture::from_model(&model);
    let w = max_rel_err(&mix.weights, &f64s(&expected["weights"]));
    let m = max_rel_err(&mix.means, &f64s(&expected["means"]));
    let p = max_rel_err(
        &dense_factors(&mix),
        &f64s(&expected["precisions_cholesky"]),
    );
    assert!(
        w < 1e-8 && m < 1e-8 && p < 1e-8,
        "{cov}: weights {w:e}, means {m:e}, factors {p:e}"
    );
    eprintln!(
        "warm start {cov}: lower bounds {bounds:.1e}, weights {w:.1e}, means {m:.1e}, factors {p:.1e}"
    );
}

#[test]
fn warm_start_full_reproduces_scikit_learn() {
    warm_start_reproduces_scikit_learn("full");
}

#[test]
fn warm_start_tied_reproduces_scikit_learn() {
    warm_start_reproduces_scikit_learn("tied");
}

#[test]
fn warm_start_diag_reproduces_scikit_learn() {
    warm_start_reproduces_scikit_learn("diag");
}

#[test]
fn warm_start_spherical_reproduces_scikit_learn() {
    warm_start_reproduces_scikit_learn("spherical");
}

#[test]
fn stdin_and_npy_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.json");
    let csv = std::fs::read(fixture("sklearn/em-full/train.csv")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_gmmc"))
        .args(["train", "-", "-k", "3", "-q", "-o", path_str(&model)])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), &csv).unwrap();
    drop(child.stdin.take());
    ok(&child.wait_with_output().unwrap());
    let m = Model::from_json(&std::fs::read_to_string(&model).unwrap()).unwrap();
    assert_eq!(m.training.data.as_deref(), Some("<stdin>"));
    assert_eq!(m.n_features, 5);

    // The same numbers as a NumPy .npy file (f8, C order) give the same model.
    let (values, d) = common::read_numbers_csv(&fixture("sklearn/em-full/train.csv"));
    let header = format!(
        "{{'descr': '<f8', 'fortran_order': False, 'shape': ({}, {d}), }}",
        values.len() / d
    );
    let mut header = header.into_bytes();
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(b' ');
    }
    header.push(b'\n');
    let mut npy = b"\x93NUMPY\x01\x00".to_vec();
    npy.extend_from_slice(&(header.len() as u16).to_le_bytes());
    npy.extend_from_slice(&header);
    for v in &values {
        npy.extend_from_slice(&v.to_le_bytes());
    }
    let npy_path = dir.path().join("train.npy");
    std::fs::write(&npy_path, npy).unwrap();
    let from_npy = dir.path().join("npy.json");
    ok(&gmmc(&[
        "train",
        path_str(&npy_path),
        "-k",
        "3",
        "-q",
        "-o",
        path_str(&from_npy),
    ]));
    let n = Model::from_json(&std::fs::read_to_string(&from_npy).unwrap()).unwrap();
    assert_eq!(
        (&n.means, &n.precisions_cholesky, &n.weights),
        (&m.means, &m.precisions_cholesky, &m.weights)
    );
}

#[test]
fn non_convergence_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    let out = gmmc(&[
        "train",
        &motor_train(),
        "--label-column",
        "label",
        "-k",
        "4",
        "--max-iter",
        "1",
        "-o",
        path_str(&dir.path().join("m.json")),
        "--report",
        path_str(&report),
    ]);
    ok(&out);
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("warning: EM did not converge in 1 iterations")
    );
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(r["converged"], false);
    assert_eq!(r["n_iter"], 1);
    let m = Model::from_json(&std::fs::read_to_string(dir.path().join("m.json")).unwrap()).unwrap();
    assert_eq!(m.training.converged, Some(false));
    assert_eq!(m.training.n_iter, Some(1));
}

#[test]
fn failures_name_the_cause_and_leave_outputs_alone() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.json");
    std::fs::write(&model, b"precious").unwrap();

    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "a,b\n1,2\n3,nan\n5,6\n").unwrap();
    let e = err(&gmmc(&["train", path_str(&bad), "-o", path_str(&model)]), 1);
    assert!(
        e.starts_with("error: ") && e.contains("bad.csv:3") && e.contains("\"b\""),
        "{e}"
    );
    assert_eq!(std::fs::read(&model).unwrap(), b"precious");
    // Infinities (written out, or overflowing the f64 parser) and values whose squares
    // overflow are refused too, naming the line and the column.
    for (text, cause) in [
        (
            "a,b\n1,2\n3,4\n-inf,5\n6,7\n",
            "bad-values.csv:4 (column \"a\"): -inf is not a finite number",
        ),
        (
            "a,b\n1,2\n3,4\n5,1e400\n6,7\n",
            "bad-values.csv:4 (column \"b\"): inf is not a finite number",
        ),
        (
            "a,b\n1,2\n3,4\n5,1e200\n6,7\n",
            "bad-values.csv:4: 1e200 in feature `b` is too large",
        ),
    ] {
        let data = dir.path().join("bad-values.csv");
        std::fs::write(&data, text).unwrap();
        let e = err(
            &gmmc(&["train", path_str(&data), "-o", path_str(&model)]),
            1,
        );
        assert!(e.contains(cause), "{e}");
        std::fs::remove_file(&data).unwrap();
    }
    assert_eq!(std::fs::read(&model).unwrap(), b"precious");

    let e = err(
        &gmmc(&[
            "train",
            path_str(&bad),
            "--axes",
            "a",
            "-k",
            "9",
            "-o",
            path_str(&model),
        ]),
        1,
    );
    assert!(e.contains("3 sample(s) cannot fit 9 components"), "{e}");
    assert_eq!(std::fs::read(&model).unwrap(), b"precious");

    let e = err(&gmmc(&["score", path_str(&model), path_str(&bad)]), 1);
    assert!(e.contains("m.json"), "{e}");

    let e = err(
        &gmmc(&["train", "--covariance", "round", path_str(&bad)]),
        2,
    );
    assert!(e.contains("unknown covariance type `round`"), "{e}");

    let e = err(
        &gmmc(&["train", path_str(&dir.path().join("missing.csv"))]),
        1,
    );
    assert!(e.contains("missing.csv"), "{e}");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 2, "{leftovers:?}");
}
