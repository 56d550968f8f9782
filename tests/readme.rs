//! The README's "Evaluate and tune" and "Scores" sections, run: every `$ gmmc …` command of
//! their `console` blocks is run on a copy of the example data, its output must be the one
//! shown (a line `…` stands for any number of lines; timings are ignored), and the pictures it
//! draws must be the ones in `docs/`. Then every number the sections print or quote is
//! recomputed here from the scores and labels by brute force. The "Quick start" command is
//! run too, and its output compared with the one shown.
//!
//! After a deliberate change to a picture, `GMMC_UPDATE_DOCS=1 cargo test --test readme`
//! rewrites `docs/motor-*.svg`.

use std::path::{Path, PathBuf};
use std::process::Command;

use gmmc::data::{self, LoadOptions, Selection};
use gmmc::mixture::Mixture;
use gmmc::model::Model;
use rand::SeedableRng;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The text of the README section that starts with `heading`, up to the next `## `.
fn section(readme: &str, heading: &str) -> String {
    let start = readme
        .find(&format!("\n{heading}\n"))
        .or_else(|| readme.starts_with(&format!("{heading}\n")).then_some(0))
        .unwrap_or_else(|| panic!("README has no `{heading}`"));
    let rest = &readme[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |e| e + 4);
    rest[..end].to_string()
}

/// One command of a console block and the output shown under it.
struct Step {
    args: Vec<String>,
    expected: Vec<String>,
}

fn steps(text: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut in_block = false;
    for line in text.lines() {
        if line.starts_with("```") {
            in_block = line == "```console";
            continue;
        }
        if !in_block {
            continue;
        }
        if let Some(command) = line.strip_prefix("$ ") {
            let args: Vec<String> = command.split_whitespace().map(str::to_string).collect();
            assert_eq!(args[0], "gmmc", "{command}");
            assert!(!command.contains(['"', '\'']), "no quoting: {command}");
            steps.push(Step {
                args: args[1..].to_vec(),
                expected: Vec::new(),
            });
        } else {
            steps
                .last_mut()
                .expect("output after a command")
                .expected
                .push(line.to_string());
        }
    }
    steps
}

/// Replaces timings such as `(0.18 s)` by `(… s)`.
fn without_timings(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(open) = rest.find('(') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let digits = after
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(after.len());
        if digits > 0 && after[digits..].starts_with(" s)") {
            out.push_str("(… s)");
            rest = &after[digits + 3..];
        } else {
            out.push('(');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Whether `actual` matches `expected`, where an expected line `…` matches any lines.
fn matches(expected: &[String], actual: &[String]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first == "…" => {
            (0..=actual.len()).any(|skip| matches(rest, &actual[skip..]))
        }
        Some((first, rest)) => {
            actual.first().is_some_and(|a| a == first) && matches(rest, &actual[1..])
        }
    }
}

fn trimmed(lines: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = lines.into_iter().map(|l| without_timings(&l)).collect();
    while v.last().is_some_and(|l| l.is_empty()) {
        v.pop();
    }
    v
}

/// Whether the prose of `text` says `quoted`, whatever the line breaks.
fn says(text: &str, quoted: &str) -> bool {
    let flat = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    flat(text).contains(&flat(quoted))
}

fn run(dir: &Path, args: &[String]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_gmmc"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "gmmc {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn model(dir: &Path, name: &str) -> Model {
    Model::from_json(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap()
}

/// Scores and truth of the labelled test rows under `model`, computed row by row.
fn scored(model: &Model, dir: &Path) -> (Vec<f64>, Vec<bool>) {
    let table = data::load(
        dir.join("examples/data/motor-test.csv").to_str().unwrap(),
        &LoadOptions {
            label_column: Some("label".into()),
            selection: Selection::Model {
                names: model.feature_names.clone(),
                axes: model.axes.clone(),
                n_inputs: model.n_inputs,
            },
        },
    )
    .unwrap();
    let scores = table.rows().map(|r| model.score(r)).collect();
    let truth = table
        .labels
        .unwrap()
        .iter()
        .map(|l| l == "anomaly")
        .collect();
    (scores, truth)
}

/// Brute-force metrics of `scores` against `truth` at `threshold`.
struct Brute {
    tp: usize,
    fp: usize,
    tn: usize,
    fn_: usize,
    roc_auc: f64,
    average_precision: f64,
    best_f1: f64,
    best_threshold: f64,
}

fn brute(scores: &[f64], truth: &[bool], threshold: f64) -> Brute {
    let n = scores.len();
    let count = |t: f64, want: bool, flagged: bool| {
        (0..n)
            .filter(|&i| truth[i] == want && (scores[i] > t) == flagged)
            .count()
    };
    let pos: Vec<f64> = (0..n).filter(|&i| truth[i]).map(|i| scores[i]).collect();
    let neg: Vec<f64> = (0..n).filter(|&i| !truth[i]).map(|i| scores[i]).collect();
    let mut wins = 0.0;
    for p in &pos {
        for q in &neg {
            wins += if p > q {
                1.0
            } else if p == q {
                0.5
            } else {
                0.0
            };
        }
    }
    let mut distinct = scores.to_vec();
    distinct.sort_by(|a, b| b.total_cmp(a));
    distinct.dedup();
    let (mut ap, mut previous) = (0.0, 0.0);
    for &v in &distinct {
        let tp = (0..n).filter(|&i| truth[i] && scores[i] >= v).count() as f64;
        let flagged = (0..n).filter(|&i| scores[i] >= v).count() as f64;
        let recall = tp / pos.len() as f64;
        ap += (recall - previous) * tp / flagged;
        previous = recall;
    }
    // Best F1: flag every row scoring at least v, for each distinct v (and none).
    let (mut best_f1, mut best_threshold) = (0.0, f64::NAN);
    for (i, &v) in distinct.iter().enumerate() {
        let tp = (0..n).filter(|&r| truth[r] && scores[r] >= v).count() as f64;
        let fp = (0..n).filter(|&r| !truth[r] && scores[r] >= v).count() as f64;
        let f1 = 2.0 * tp / (tp + fp + pos.len() as f64);
        if f1 > best_f1 {
            best_f1 = f1;
            best_threshold = match distinct.get(i + 1) {
                Some(&below) => (below + v) / 2.0,
                None => v,
            };
        }
    }
    Brute {
        tp: count(threshold, true, true),
        fp: count(threshold, false, true),
        tn: count(threshold, false, false),
        fn_: count(threshold, true, false),
        roc_auc: wins / (pos.len() * neg.len()) as f64,
        average_precision: ap,
        best_f1,
        best_threshold,
    }
}

/// Checks `gmmc test --json` against brute force and the README text against both.
fn check_test_numbers(dir: &Path, name: &str, text: &str) -> Brute {
    let m = model(dir, name);
    let (scores, truth) = scored(&m, dir);
    let b = brute(&scores, &truth, m.score.threshold);
    let json: Value = serde_json::from_str(&run(
        dir,
        &[
            "test",
            name,
            "examples/data/motor-test.csv",
            "--label-column",
            "label",
            "--json",
        ]
        .map(String::from),
    ))
    .unwrap();
    let c = &json["confusion"];
    assert_eq!(c["true_positives"], b.tp);
    assert_eq!(c["false_positives"], b.fp);
    assert_eq!(c["true_negatives"], b.tn);
    assert_eq!(c["false_negatives"], b.fn_);
    let close = |key: &Value, want: f64| {
        assert!(
            (key.as_f64().unwrap() - want).abs() < 1e-12,
            "{key} vs {want}"
        )
    };
    let (tp, fp, fn_) = (b.tp as f64, b.fp as f64, b.fn_ as f64);
    close(&json["precision"], tp / (tp + fp));
    close(&json["recall"], tp / (tp + fn_));
    close(&json["f1"], 2.0 * tp / (2.0 * tp + fp + fn_));
    close(
        &json["accuracy"],
        (b.tp + b.tn) as f64 / scores.len() as f64,
    );
    close(&json["roc_auc"], b.roc_auc);
    close(&json["average_precision"], b.average_precision);
    close(&json["best_f1"]["f1"], b.best_f1);
    assert!((json["best_f1"]["threshold"].as_f64().unwrap() - b.best_threshold).abs() < 1e-9);
    for shown in [
        format!("  ROC AUC       {:.4}", b.roc_auc),
        format!("  PR AUC        {:.4}", b.average_precision),
        format!("  F1            {:.4}", 2.0 * tp / (2.0 * tp + fp + fn_)),
        format!("  actual normal   {:>16}  {:>17}", b.tn, b.fp),
    ] {
        assert!(text.contains(&shown), "README lacks `{shown}`");
    }
    b
}

#[test]
fn readme_walkthrough_runs_as_shown_and_its_numbers_are_right() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let evaluate = section(&readme, "## Evaluate and tune");
    let scores_section = section(&readme, "## Scores");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("examples/data")).unwrap();
    std::fs::create_dir_all(d.join("docs")).unwrap();
    for f in ["motor-train.csv", "motor-test.csv"] {
        std::fs::copy(
            root().join("examples/data").join(f),
            d.join("examples/data").join(f),
        )
        .unwrap();
    }

    // 1. Every command runs and prints what the README shows.
    let all = steps(&evaluate)
        .into_iter()
        .chain(steps(&scores_section))
        .collect::<Vec<_>>();
    assert!(all.len() >= 9, "{} commands", all.len());
    for step in &all {
        let actual = trimmed(run(d, &step.args).lines().map(str::to_string));
        let expected = trimmed(step.expected.iter().cloned());
        assert!(
            matches(&expected, &actual),
            "`gmmc {}` printed\n{}\nbut the README shows\n{}",
            step.args.join(" "),
            actual.join("\n"),
            expected.join("\n")
        );
    }

    // 2. The pictures are the ones in docs/.
    let update = std::env::var_os("GMMC_UPDATE_DOCS").is_some();
    for name in [
        "motor-selection.svg",
        "motor-scores.svg",
        "motor-explorer.svg",
    ] {
        let fresh = std::fs::read_to_string(d.join("docs").join(name)).unwrap();
        let committed = root().join("docs").join(name);
        if update {
            std::fs::write(&committed, &fresh).unwrap();
        } else {
            assert!(
                std::fs::read_to_string(&committed).ok().as_deref() == Some(fresh.as_str()),
                "docs/{name} is not what the README's command draws; regenerate with \
                 GMMC_UPDATE_DOCS=1 cargo test --test readme"
            );
        }
        assert!(
            evaluate.contains(&format!("](docs/{name})")),
            "README shows {name}"
        );
    }

    // 3. The numbers, by brute force.
    // gmmc axes: each column's AUC by counting pairs.
    let table = data::load(
        d.join("examples/data/motor-test.csv").to_str().unwrap(),
        &LoadOptions {
            label_column: Some("label".into()),
            selection: Selection::All,
        },
    )
    .unwrap();
    let truth: Vec<bool> = table
        .labels
        .as_ref()
        .unwrap()
        .iter()
        .map(|l| l == "anomaly")
        .collect();
    for (j, name) in table.columns.iter().enumerate() {
        let column: Vec<f64> = table.rows().map(|r| r[j]).collect();
        let auc = brute(&column, &truth, 0.0).roc_auc;
        let line = format!(
            "  {name:<24} {:>10.3}  {:>6}",
            (2.0 * auc - 1.0).abs(),
            format!("{auc:.3}")
        );
        assert!(evaluate.contains(&line), "README lacks `{line}`");
    }

    // The chosen model's BIC and mean log-likelihood from the training rows.
    let motor = model(d, "motor.json");
    let train = data::load(
        d.join("examples/data/motor-train.csv").to_str().unwrap(),
        &LoadOptions {
            label_column: Some("label".into()),
            selection: Selection::All,
        },
    )
    .unwrap();
    let lls: Vec<f64> = train.rows().map(|r| motor.log_likelihood(r)).collect();
    let (n, dim, k) = (lls.len() as f64, 11.0, 4.0);
    let parameters = k * dim * (dim + 1.0) / 2.0 + k * dim + (k - 1.0);
    let sum: f64 = lls.iter().sum();
    let bic = -2.0 * sum + parameters * n.ln();
    let aic = -2.0 * sum + 2.0 * parameters;
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("motor-report.json")).unwrap())
            .unwrap();
    assert!((report["bic"].as_f64().unwrap() - bic).abs() < 1e-6 * bic.abs());
    let row = format!(
        "    4  {bic:>14.1}  {aic:>14.1}  {:>12.4}  ← lowest BIC",
        sum / n
    );
    assert!(evaluate.contains(&row), "README lacks `{row}`");

    // gmmc test, before and after tuning.
    let before = check_test_numbers(d, "motor.json", &evaluate);
    let after = check_test_numbers(d, "motor-tuned.json", &evaluate);
    assert!((model(d, "motor-tuned.json").score.threshold - before.best_threshold).abs() < 1e-9);
    assert_eq!((before.tp, before.fp, after.tp, after.fp), (26, 15, 21, 0));
    assert!(says(
        &evaluate,
        &format!(
            "flags {} normal windows for {} of the 30 faults",
            before.fp, before.tp
        )
    ));
    assert!(says(
        &evaluate,
        &format!("misses {} of the 30 faults", after.fn_)
    ));

    // The scores picture's overflow bar: anomalies above its lower edge.
    let (scores, truth) = scored(&motor, d);
    let above = (0..scores.len())
        .filter(|&i| truth[i] && scores[i] > 4.537)
        .count();
    assert!(says(
        &evaluate,
        &format!("the {above} anomalies scoring above 4.537")
    ));
    let picture = std::fs::read_to_string(d.join("docs/motor-scores.svg")).unwrap();
    assert!(picture.contains(&format!("{above} above 4.537")));

    // The explorer's threshold contour holds the model's own mass below its threshold:
    // estimated again from fresh samples of the model.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2026);
    let samples = Mixture::from_model(&motor).sample(40_000, &mut rng);
    let inside = samples
        .chunks(11)
        .filter(|x| !motor.score.is_anomaly(motor.score(x)))
        .count() as f64
        / 40_000.0;
    assert!((inside - 0.988).abs() < 0.004, "{inside}");

    // Scores: the edge-impulse model is the same mixture, two-sided.
    let ei = model(d, "motor-ei.json");
    assert_eq!(ei.means, motor.means);
    assert_eq!(ei.precisions_cholesky, motor.precisions_cholesky);
    let idle = (0..4)
        .min_by(|&a, &b| ei.means[a][0].total_cmp(&ei.means[b][0]))
        .unwrap();
    let centre = &ei.means[idle];
    let mean_ll = sum / n;
    for quoted in [
        format!("log-likelihood {:.2}", ei.log_likelihood(centre)),
        format!("against {mean_ll:.2}"),
        format!("it scores {:.2} with `edge-impulse`", ei.score(centre)),
        format!("threshold of {:.2}", ei.score.threshold),
        format!("it scores {:.2}, as", motor.score(centre)),
    ] {
        assert!(says(&scores_section, &quoted), "README lacks `{quoted}`");
    }
    assert!(ei.score.is_anomaly(ei.score(centre)));
    let flagged: Vec<f64> = lls
        .iter()
        .copied()
        .filter(|&ll| ei.score.is_anomaly(ei.score.score(ll)))
        .collect();
    let likely = flagged.iter().filter(|&&ll| ll > mean_ll).count();
    assert!(says(
        &scores_section,
        &format!(
            "Of the {} training rows that `edge-impulse` flags at its own threshold, {likely} are",
            flagged.len()
        )
    ));
    let (ei_scores, ei_truth) = scored(&ei, d);
    let b = brute(&ei_scores, &ei_truth, ei.score.threshold);
    assert!(says(
        &scores_section,
        &format!(
            "ROC AUC {:.4} and PR AUC {:.4}, against {:.4} and {:.4}",
            b.roc_auc, b.average_precision, before.roc_auc, before.average_precision
        )
    ));
}

/// The fenced blocks of `text` as (info string, body lines).
fn blocks(text: &str) -> Vec<(String, Vec<String>)> {
    let mut blocks = Vec::new();
    let mut current: Option<(String, Vec<String>)> = None;
    for line in text.lines() {
        if let Some(info) = line.strip_prefix("```") {
            match current.take() {
                Some(block) => blocks.push(block),
                None => current = Some((info.to_string(), Vec::new())),
            }
        } else if let Some((_, body)) = current.as_mut() {
            body.push(line.to_string());
        }
    }
    blocks
}

/// The quick start is two commands on a fresh machine: one trains on the example data and
/// prints what is shown (where the model went, last), one runs the tests.
#[test]
fn quick_start_runs_as_shown() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let quick = section(&readme, "## Quick start");
    let blocks = blocks(&quick);
    let commands: Vec<&Vec<String>> = blocks
        .iter()
        .filter(|(info, _)| info == "sh")
        .map(|(_, body)| body)
        .collect();
    assert_eq!(commands.len(), 2, "{quick}");
    assert_eq!(commands[1], &["cargo test --workspace"]);
    let [train] = commands[0].as_slice() else {
        panic!("one command: {:?}", commands[0]);
    };
    let args: Vec<String> = train
        .strip_prefix("cargo run --release -- ")
        .unwrap_or_else(|| panic!("{train}"))
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let shown = &blocks
        .iter()
        .find(|(info, _)| info == "text")
        .expect("the output is shown")
        .1;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("examples/data")).unwrap();
    std::fs::copy(
        root().join("examples/data/motor-train.csv"),
        dir.path().join("examples/data/motor-train.csv"),
    )
    .unwrap();
    let output = run(dir.path(), &args);
    let actual = trimmed(output.lines().map(str::to_string));
    let expected = trimmed(shown.iter().cloned());
    assert!(
        matches(&expected, &actual),
        "README shows\n{}\nbut gmmc prints\n{}",
        expected.join("\n"),
        actual.join("\n")
    );
    let model = args[args.iter().position(|a| a == "-o").unwrap() + 1].clone();
    assert_eq!(actual.last(), Some(&format!("wrote {model}")));
    assert!(dir.path().join(&model).is_file());
}

#[test]
fn wildcards_and_timings() {
    let lines = |s: &str| s.lines().map(str::to_string).collect::<Vec<_>>();
    assert!(matches(&lines("a\n…\nd"), &lines("a\nb\nc\nd")));
    assert!(matches(&lines("a\n…"), &lines("a")));
    assert!(!matches(&lines("a\n…\nd"), &lines("a\nb")));
    assert_eq!(without_timings("x (0.18 s) y (a)"), "x (… s) y (a)");
}
