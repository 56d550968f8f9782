//! `gmmc test`, `gmmc threshold`, `gmmc axes` and the `edge-impulse` score end to end, with
//! every expected number computed by hand or by brute force in the test.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::fixture;
use gmmc::model::Model;
use serde_json::Value;

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

fn fails(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stderr.clone()).unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// ½·ln 2π: the NLL of a standard normal at its mean.
const C: f64 = 0.918_938_533_204_672_8;

/// A one-feature standard normal with the `nll` score: score(x) = x²/2 + ½·ln 2π.
const NORMAL_MODEL: &str = r#"{
  "format": "gmmc-model", "version": 1, "covariance_type": "spherical",
  "n_features": 1, "n_components": 1, "n_inputs": 1,
  "feature_names": ["x"], "axes": [0],
  "weights": [1.0], "means": [[0.0]], "precisions_cholesky": [1.0],
  "score": {"kind": "nll", "offset": 0.0, "scale": 1.0, "threshold": 3.0}
}"#;

/// Rows: x = 0 (normal), 1 (normal), −2 (anomaly), 2 (normal), 3 (anomaly), NaN (anomaly, a
/// broken sensor), 0.5 (anomaly).
const LABELLED: &str = "x,label\n0,no anomaly\n1,no anomaly\n-2,anomaly\n2,no anomaly\n\
                        3,anomaly\nnan,anomaly\n0.5,anomaly\n";

struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Files {
        Files {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

#[test]
fn test_reports_metrics_computed_by_hand() {
    let f = Files::new();
    let model = f.write("m.json", NORMAL_MODEL);
    let data = f.write("d.csv", LABELLED);
    let json: Value = serde_json::from_str(&ok(&gmmc(&[
        "test",
        s(&model),
        s(&data),
        "--label-column",
        "label",
        "--json",
    ])))
    .unwrap();
    // Scores: normal C, C + 0.5, C + 2; anomalous C + 2, C + 4.5, inf, C + 0.125.
    // Threshold 3: flagged are x = 3 and NaN only.
    assert_eq!(json["n_rows"], 7);
    assert_eq!(json["n_anomalous"], 4);
    let c = &json["confusion"];
    assert_eq!(
        (
            &c["true_positives"],
            &c["false_positives"],
            &c["true_negatives"],
            &c["false_negatives"]
        ),
        (&2.into(), &0.into(), &3.into(), &2.into())
    );
    let num = |v: &Value| v.as_f64().unwrap();
    let close = |v: &Value, want: f64| assert!((num(v) - want).abs() < 1e-12, "{v} vs {want}");
    close(&json["precision"], 1.0);
    close(&json["recall"], 0.5);
    close(&json["f1"], 4.0 / 6.0);
    close(&json["accuracy"], 5.0 / 7.0);
    // ROC AUC: C+2 beats C and C+0.5 and ties C+2 (2.5), C+4.5 and inf beat all three (3 + 3),
    // C+0.125 beats C (1): 9.5 / 12.
    close(&json["roc_auc"], 9.5 / 12.0);
    // Average precision: inf (P 1), C+4.5 (P 1), C+2 with a normal tie (P 3/4), C+0.125 after
    // the normal C+0.5 (P 4/6), each adding recall 1/4.
    close(
        &json["average_precision"],
        0.25 * (1.0 + 1.0 + 0.75 + 4.0 / 6.0),
    );
    // Best F1: flag everything from C+0.125 up (TP 4, FP 2): 8/10, threshold halfway between C
    // and C + 0.125.
    close(&json["best_f1"]["f1"], 0.8);
    close(&json["best_f1"]["threshold"], C + 0.0625);
    assert_eq!(json["anomalous_scores"]["max"], "inf");
    assert_eq!(json["anomalous_scores"]["n_infinite"], 1);
    close(&json["normal_scores"]["median"], C + 0.5);
    close(&json["normal_scores"]["max"], C + 2.0);

    // The text form shows the same numbers.
    let text = ok(&gmmc(&[
        "test",
        s(&model),
        s(&data),
        "--label-column",
        "label",
    ]));
    for line in [
        "7 rows, 4 anomalous (labelled `anomaly`), 3 normal",
        "  actual normal                  3                  0",
        "  actual anomaly                 2                  2",
        "  precision     1.0000",
        "  recall        0.5000",
        "  F1            0.6667",
        "  ROC AUC       0.7917",
        "  PR AUC        0.8542",
        "highest F1 on this data: 0.8000 at threshold 0.9814 (4 of 4 anomalies caught, 2 false",
        "(1 scoring inf)",
    ] {
        assert!(text.contains(line), "missing `{line}` in\n{text}");
    }
}

#[test]
fn test_with_one_class_or_a_mistyped_label() {
    let f = Files::new();
    let model = f.write("m.json", NORMAL_MODEL);
    let data = f.write("d.csv", "x,label\n0,ok\n1,ok\n4,ok\n");
    let out = gmmc(&[
        "test",
        s(&model),
        s(&data),
        "--label-column",
        "label",
        "--anomaly-label",
        "faulty",
    ]);
    let text = ok(&out);
    let warning = String::from_utf8_lossy(&out.stderr);
    assert!(
        warning.contains("no row of") && warning.contains("labelled `faulty` (labels seen: `ok`)"),
        "{warning}"
    );
    // One false alarm (x = 4 scores C + 8 > 3): precision 0, recall and ROC AUC undefined.
    assert!(text.contains("  precision     0.0000"), "{text}");
    assert!(text.contains("  recall        n/a"), "{text}");
    assert!(text.contains("  ROC AUC       n/a"), "{text}");
    assert!(
        text.contains("highest F1: n/a (no anomalous rows)"),
        "{text}"
    );
    let json: Value = serde_json::from_str(&ok(&gmmc(&[
        "test",
        s(&model),
        s(&data),
        "--label-column",
        "label",
        "--json",
    ])))
    .unwrap();
    assert!(json["recall"].is_null() && json["best_f1"].is_null());
    assert!(json["anomalous_scores"].is_null());
    // Without the label column the command does not run.
    let out = gmmc(&["test", s(&model), s(&data)]);
    assert_eq!(out.status.code(), Some(2));
}

/// The lines of a model file outside its `"score": { … }` object.
fn outside_score(text: &str) -> (Vec<&str>, Vec<&str>) {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim_start().starts_with("\"score\": {"))
        .unwrap();
    let end = start
        + lines[start..]
            .iter()
            .position(|l| l.trim() == "}," || l.trim() == "}")
            .unwrap();
    (lines[..start].to_vec(), lines[end + 1..].to_vec())
}

fn train_selection_model(f: &Files, extra: &[&str]) -> PathBuf {
    let model = f.path("trained.json");
    let data = fixture("selection/data.csv");
    let mut args = vec!["train", s(&data), "-k", "3", "-q", "-o", s(&model)];
    args.extend(extra);
    ok(&gmmc(&args));
    model
}

/// The selection fixture with a label column: every 25th row `anomaly`.
fn labelled_selection_data(f: &Files) -> PathBuf {
    let (values, d) = common::read_numbers_csv(&fixture("selection/data.csv"));
    let mut csv = String::from("x,y,label\n");
    for (i, row) in values.chunks(d).enumerate() {
        let label = if i % 25 == 0 { "anomaly" } else { "no anomaly" };
        csv.push_str(&format!("{:?},{:?},{label}\n", row[0], row[1]));
    }
    f.write("labelled.csv", &csv)
}

/// Every rule of `gmmc threshold` on a model that `gmmc train` wrote changes the `score`
/// object's threshold, calibration note and (except for a normalized score) quantile, and not
/// one byte outside the `score` object; offset and scale stay.
#[test]
fn threshold_rules_change_only_the_score_object() {
    let f = Files::new();
    let labelled = labelled_selection_data(&f);
    let data = fixture("selection/data.csv");
    let rules: [(&str, Vec<&str>, &str); 3] = [
        ("--set", vec!["--set", "2.5"], "; threshold: set by hand"),
        (
            "--quantile",
            vec!["--quantile", "0.95", "--data", s(&data)],
            "; threshold: 0.95 quantile of 450 rows of data.csv",
        ),
        (
            "--best-f1",
            vec!["--best-f1", s(&labelled), "--label-column", "label"],
            "; threshold: highest F1 (",
        ),
    ];
    for kind in ["normalized", "nll", "edge-impulse"] {
        let model = train_selection_model(&f, &["--score", kind]);
        let before = std::fs::read_to_string(&model).unwrap();
        for (rule, args, note) in &rules {
            let out = f.path("new.json");
            let mut command = vec!["threshold", s(&model)];
            command.extend(args.iter().copied());
            command.extend(["-o", s(&out)]);
            let printed = ok(&gmmc(&command));
            assert!(printed.contains(" → "), "{printed}");
            let after = std::fs::read_to_string(&out).unwrap();
            // Byte for byte outside the score object.
            assert_eq!(
                outside_score(&before),
                outside_score(&after),
                "{kind} {rule}"
            );
            let (old, new) = (
                Model::from_json(&before).unwrap(),
                Model::from_json(&after).unwrap(),
            );
            assert_ne!(new.score.threshold, old.score.threshold, "{kind} {rule}");
            if *rule == "--set" {
                assert_eq!(new.score.threshold, 2.5);
            }
            assert_eq!(
                (new.score.kind, new.score.offset, new.score.scale),
                (old.score.kind, old.score.offset, old.score.scale),
                "{kind} {rule}"
            );
            // The rest of the model is equal as data too.
            let mut a: Value = serde_json::from_str(&before).unwrap();
            let mut b: Value = serde_json::from_str(&after).unwrap();
            a.as_object_mut().unwrap().remove("score");
            b.as_object_mut().unwrap().remove("score");
            assert_eq!(a, b, "{kind} {rule}");
            let calibration = new.score.calibration.unwrap();
            assert!(calibration.contains(note), "{kind} {rule}: {calibration}");
            // A normalized score keeps the quantile that set its scale; the others take the
            // new quantile, or lose it.
            let quantile = match (kind, *rule) {
                ("normalized", _) => old.score.quantile,
                (_, "--quantile") => Some(0.95),
                _ => None,
            };
            assert_eq!(new.score.quantile, quantile, "{kind} {rule}");
        }
    }
}

/// NumPy's default (linear) quantile, written out.
fn numpy_quantile(values: &[f64], q: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let pos = q * (v.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(v.len() - 1);
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

#[test]
fn threshold_quantile_and_best_f1() {
    let f = Files::new();
    let model = f.write("m.json", NORMAL_MODEL);
    let xs = [0.3, -1.2, 2.2, 0.0, 1.7, -0.4, 0.9];
    let mut csv = String::from("x,label\n");
    for (i, x) in xs.iter().enumerate() {
        let label = if i == 2 { "anomaly" } else { "no anomaly" };
        csv.push_str(&format!("{x},{label}\n"));
    }
    let data = f.write("d.csv", &csv);
    let score = |x: f64| 0.5 * x * x + C;
    let out = f.path("q.json");
    // All rows.
    ok(&gmmc(&[
        "threshold",
        s(&model),
        "--quantile",
        "0.8",
        "--data",
        s(&data),
        "-o",
        s(&out),
    ]));
    let all: Vec<f64> = xs.iter().map(|&x| score(x)).collect();
    let t = Model::from_json(&std::fs::read_to_string(&out).unwrap())
        .unwrap()
        .score;
    assert!((t.threshold - numpy_quantile(&all, 0.8)).abs() < 1e-12);
    assert_eq!(t.quantile, Some(0.8));
    assert!(
        t.calibration
            .unwrap()
            .contains("0.8 quantile of 7 rows of d.csv")
    );
    // Normal rows only, with labels.
    ok(&gmmc(&[
        "threshold",
        s(&model),
        "--quantile",
        "0.8",
        "--data",
        s(&data),
        "--label-column",
        "label",
        "-o",
        s(&out),
    ]));
    let normal: Vec<f64> = xs
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 2)
        .map(|(_, &x)| score(x))
        .collect();
    let t = Model::from_json(&std::fs::read_to_string(&out).unwrap())
        .unwrap()
        .score;
    assert!((t.threshold - numpy_quantile(&normal, 0.8)).abs() < 1e-12);

    // Best F1 on the hand-made set of the `test` command: C + 0.0625 (see above).
    let labelled = f.write("l.csv", LABELLED);
    let printed = ok(&gmmc(&[
        "threshold",
        s(&model),
        "--best-f1",
        s(&labelled),
        "--label-column",
        "label",
        "-o",
        s(&out),
    ]));
    assert!(
        printed.contains("F1 0.8000 on 7 labelled rows of l.csv"),
        "{printed}"
    );
    let t = Model::from_json(&std::fs::read_to_string(&out).unwrap())
        .unwrap()
        .score;
    assert!((t.threshold - (C + 0.0625)).abs() < 1e-12);
    assert_eq!(t.quantile, None);

    // Refusals, and no output file left behind.
    let nothing = f.path("never.json");
    let err = fails(&gmmc(&[
        "threshold",
        s(&model),
        "--quantile",
        "0.8",
        "--data",
        s(&labelled),
        "--label-column",
        "label",
        "--anomaly-label",
        "none",
        "-o",
        s(&nothing),
    ]));
    assert!(err.contains("l.csv: row 6 scores inf"), "{err}");
    // Values outside an option's range are wrong usage: exit status 2.
    let out2 = gmmc(&[
        "threshold",
        s(&model),
        "--quantile",
        "1.5",
        "--data",
        s(&data),
        "-o",
        s(&nothing),
    ]);
    assert_eq!(out2.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out2.stderr);
    assert!(
        err.contains("--quantile <Q>': must be strictly between 0 and 1, not 1.5"),
        "{err}"
    );
    let out2 = gmmc(&["threshold", s(&model), "--set", "inf", "-o", s(&nothing)]);
    assert_eq!(out2.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out2.stderr);
    assert!(err.contains("--set <T>': must be a finite number"), "{err}");
    let err = fails(&gmmc(&[
        "threshold",
        s(&model),
        "--best-f1",
        s(&data),
        "--label-column",
        "label",
        "--anomaly-label",
        "none",
        "-o",
        s(&nothing),
    ]));
    assert!(err.contains("no row is labelled anomalous"), "{err}");
    assert!(!nothing.exists());
    // Exactly one rule.
    let out2 = gmmc(&["threshold", s(&model), "-o", s(&nothing)]);
    assert_eq!(out2.status.code(), Some(2));
    let out2 = gmmc(&[
        "threshold",
        s(&model),
        "--set",
        "1",
        "--best-f1",
        s(&data),
        "--label-column",
        "label",
        "-o",
        s(&nothing),
    ]);
    assert_eq!(out2.status.code(), Some(2));
}

#[test]
fn edge_impulse_score_is_the_absolute_z_score_of_the_training_log_likelihood() {
    let f = Files::new();
    let model_path = train_selection_model(&f, &["--score", "edge-impulse"]);
    let model = Model::from_json(&std::fs::read_to_string(&model_path).unwrap()).unwrap();
    let (train, d) = common::read_numbers_csv(&fixture("selection/data.csv"));
    // Brute force: the training log-likelihoods, their mean and population standard deviation.
    let lls: Vec<f64> = train
        .chunks(d)
        .map(|row| model.log_likelihood(row))
        .collect();
    let n = lls.len() as f64;
    let mean = lls.iter().sum::<f64>() / n;
    let std = (lls.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / n).sqrt();
    // Training rows and points far from and near the data: the command's scores.
    let mut probe = String::from("x,y\n");
    for row in train.chunks(d) {
        probe.push_str(&format!("{:?},{:?}\n", row[0], row[1]));
    }
    probe.push_str("30,-20\n3,4\n0.01,0.02\n");
    let probe_path = f.write("probe.csv", &probe);
    let scored = ok(&gmmc(&["score", s(&model_path), s(&probe_path)]));
    let mut rows = 0;
    for line in scored.lines().skip(1) {
        let cells: Vec<f64> = line.split(',').map(|c| c.parse().unwrap()).collect();
        let (ll, score) = (cells[0], cells[1]);
        let want = ((ll - mean) / std).abs();
        assert!((score - want).abs() < 1e-9, "{score} vs {want}");
        rows += 1;
    }
    assert_eq!(rows, lls.len() + 3);
    // Unusually likely points score high too: the score is two-sided.
    let peak = model
        .means
        .iter()
        .map(|m| model.score(m))
        .fold(f64::NEG_INFINITY, f64::max);
    assert!(peak > 1.0, "{peak}");
}

#[test]
fn axes_ranks_columns_by_separation() {
    let f = Files::new();
    // a: anomalies above every normal row (separation 1); b: anomalies below (1);
    // c: anomalies 2, 5 against 1, 5, 3 (AUC 3.5/6, separation 1/6); label in the middle.
    let data = f.write(
        "d.csv",
        "a,b,label,c\n1,9,no anomaly,1\n2,8,no anomaly,5\n3,7,no anomaly,3\n\
         10,0,anomaly,2\n11,-1,anomaly,5\n",
    );
    let text = ok(&gmmc(&[
        "axes",
        s(&data),
        "--label-column",
        "label",
        "--top",
        "2",
    ]));
    assert!(
        text.contains("the 2 rows labelled `anomaly` from the 3 others"),
        "{text}"
    );
    let ranked: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("  ") && l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
        .collect();
    assert_eq!(ranked.len(), 3, "{text}");
    assert!(
        ranked[0].contains(" a ") && ranked[0].contains("1.000") && ranked[0].contains("higher")
    );
    assert!(
        ranked[1].contains(" b ") && ranked[1].contains("0.000") && ranked[1].contains("lower")
    );
    assert!(
        ranked[2].contains(" c ") && ranked[2].contains("0.167") && ranked[2].contains("0.583")
    );
    assert!(text.contains("suggested: --axes a,b"), "{text}");
    // Without anomaly labels, the labels are classes.
    let classes = f.write("k.csv", "v,w,mode\n1,5,idle\n2,5,idle\n5,5,run\n6,5,run\n");
    let text = ok(&gmmc(&[
        "axes",
        s(&classes),
        "--label-column",
        "mode",
        "--top",
        "1",
    ]));
    assert!(text.contains("the classes idle (2), run (2)"), "{text}");
    assert!(text.contains("suggested: --axes v"), "{text}");
    let one = f.write("o.csv", "v,mode\n1,idle\n2,idle\n");
    let err = fails(&gmmc(&["axes", s(&one), "--label-column", "mode"]));
    assert!(err.contains("nothing to separate"), "{err}");
}
