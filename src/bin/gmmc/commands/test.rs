//! `gmmc test MODEL DATA --label-column NAME`

use std::fmt::Write;
use std::path::PathBuf;

use gmmc::metrics::{self, Evaluation, ScoreRange};
use serde::Serialize;

use crate::failure::{Failure, load_model};
use crate::labelled::{DEFAULT_ANOMALY_LABEL, anomalous_rows, load_scored, quoted};

/// Test a model on labelled data: the confusion matrix at the model's threshold, precision,
/// recall, F1, accuracy, ROC AUC and PR AUC, the threshold that would maximise F1 on this data,
/// and each class's score range.
///
/// Rows whose label is one of the --anomaly-label values are anomalous (positive), all others
/// normal. A row is predicted anomalous when its score is above the model's threshold; rows
/// with NaN or infinite values score +inf and are always predicted anomalous.
///
/// PR AUC is the average precision, as scikit-learn's average_precision_score: the sum over
/// the distinct scores, from the highest down, of (gain in recall) × precision. ROC AUC is the
/// probability that a random anomalous row scores higher than a random normal one (ties count
/// one half). A metric that does not exist for the data (precision without any alarm, recall
/// without anomalous rows, ROC AUC without both classes) is shown as `n/a` (`null` in JSON);
/// infinite scores appear as `inf` (the string "inf" in JSON).
///
/// The best-F1 threshold is the midpoint between the highest score left normal and the lowest
/// flagged one; among equally good thresholds the highest is reported. `gmmc threshold
/// --best-f1` writes it into a model.
#[derive(clap::Args)]
pub struct Args {
    /// The model file.
    model: PathBuf,
    /// Labelled data: CSV with a header row, or `-` for CSV on stdin.
    data: String,
    /// The column that holds each row's label.
    #[arg(long, value_name = "NAME")]
    label_column: String,
    /// A label that marks an anomalous row; repeat for several.
    #[arg(long = "anomaly-label", value_name = "L", default_value = DEFAULT_ANOMALY_LABEL)]
    anomaly_labels: Vec<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// The JSON form: the evaluation and what it was computed on.
#[derive(Serialize)]
struct Report<'a> {
    model: String,
    data: &'a str,
    anomaly_labels: &'a [String],
    score_kind: String,
    #[serde(flatten)]
    evaluation: &'a Evaluation,
}

pub fn run(args: Args) -> Result<(), Failure> {
    let model = load_model(&args.model)?;
    let scored = load_scored(&model, &args.data, Some(&args.label_column))?;
    let anomalous = anomalous_rows(&scored.table, &args.anomaly_labels)?;
    let evaluation = metrics::evaluate(&scored.scores(), &anomalous, model.score.threshold);
    if args.json {
        let report = Report {
            model: args.model.display().to_string(),
            data: &scored.table.source,
            anomaly_labels: &args.anomaly_labels,
            score_kind: model.score.kind.to_string(),
            evaluation: &evaluation,
        };
        let text =
            serde_json::to_string_pretty(&report).map_err(|e| Failure::new(e.to_string()))?;
        println!("{text}");
    } else {
        print!(
            "{}",
            text_report(
                &args.model.display().to_string(),
                &scored.table.source,
                &args.anomaly_labels,
                &evaluation
            )
        );
    }
    Ok(())
}

/// A metric with four decimals, or `n/a`.
fn metric(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_string(), |v| format!("{v:.4}"))
}

/// A score or threshold with four decimals (`inf` for +∞); `--json` has every digit.
fn score(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.4}")
    } else {
        format!("{v}")
    }
}

fn text_report(model: &str, data: &str, labels: &[String], e: &Evaluation) -> String {
    let mut s = String::new();
    let c = &e.confusion;
    let _ = writeln!(
        s,
        "{model} on {data}: {} rows, {} anomalous (labelled {}), {} normal",
        e.n_rows,
        e.n_anomalous,
        quoted(labels),
        e.n_normal
    );
    let _ = writeln!(
        s,
        "\nat the model's threshold {} (anomaly when score > threshold):",
        score(e.threshold)
    );
    let _ = writeln!(s, "                  predicted normal  predicted anomaly");
    let _ = writeln!(
        s,
        "  actual normal   {:>16}  {:>17}",
        c.true_negatives, c.false_positives
    );
    let _ = writeln!(
        s,
        "  actual anomaly  {:>16}  {:>17}",
        c.false_negatives, c.true_positives
    );
    let _ = writeln!(
        s,
        "\n  precision     {}  share of alarms that are anomalies",
        metric(e.precision)
    );
    let _ = writeln!(
        s,
        "  recall        {}  share of anomalies caught",
        metric(e.recall)
    );
    let _ = writeln!(s, "  F1            {}", metric(e.f1));
    let _ = writeln!(s, "  accuracy      {}", metric(e.accuracy));
    let _ = writeln!(
        s,
        "  false alarms  {}  share of normal rows flagged",
        metric(e.false_positive_rate)
    );
    let _ = writeln!(s, "\nwhatever the threshold:");
    let _ = writeln!(s, "  ROC AUC       {}", metric(e.roc_auc));
    let _ = writeln!(
        s,
        "  PR AUC        {}  average precision",
        metric(e.average_precision)
    );
    match &e.best_f1 {
        Some(b) => {
            let _ = writeln!(
                s,
                "\nhighest F1 on this data: {:.4} at threshold {} ({} of {} anomalies caught, \
                 {} false alarms)",
                b.f1,
                score(b.threshold),
                b.confusion.true_positives,
                e.n_anomalous,
                b.confusion.false_positives
            );
        }
        None => {
            let _ = writeln!(
                s,
                "\nhighest F1: n/a ({})",
                if e.n_anomalous == 0 {
                    "no anomalous rows"
                } else {
                    "every row scores inf"
                }
            );
        }
    }
    let _ = writeln!(
        s,
        "\nscores          rows         min      median         max"
    );
    for (name, range) in [
        ("normal", &e.normal_scores),
        ("anomalous", &e.anomalous_scores),
    ] {
        match range {
            Some(ScoreRange {
                n,
                n_infinite,
                min,
                median,
                max,
            }) => {
                let broken = if *n_infinite > 0 {
                    format!("  ({n_infinite} scoring inf)")
                } else {
                    String::new()
                };
                let _ = writeln!(
                    s,
                    "  {name:<12} {n:>5}  {:>10}  {:>10}  {:>10}{broken}",
                    score(*min),
                    score(*median),
                    score(*max)
                );
            }
            None => {
                let _ = writeln!(s, "  {name:<12} {:>5}", 0);
            }
        }
    }
    s
}
