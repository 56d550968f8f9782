//! `gmmc threshold MODEL (--set T | --quantile Q --data DATA | --best-f1 DATA) -o MODEL.json`

use std::path::{Path, PathBuf};

use gmmc::threshold::{self, Rule};

use crate::failure::{Failure, load_model, write_output};
use crate::labelled::{DEFAULT_ANOMALY_LABEL, anomalous_rows, load_scored, quoted};
use crate::values;

/// Write a copy of a model with a new threshold; everything else stays as it was.
///
/// The score itself (offset, scale) does not change, so scores before and after are equal;
/// only the decision `score > threshold` moves. Besides `threshold`, only the score's
/// `calibration` note (and, for `nll` and `edge-impulse` scores, its `quantile`) change; a model
/// file written by gmmc keeps every other byte.
///
/// Exactly one of:
///
/// --set T: this threshold.
///
/// --quantile Q --data DATA: the Q-quantile (linear interpolation, as NumPy) of the scores of
/// the rows of DATA, so that a fraction Q of them score at or below it. With --label-column,
/// only the normal rows count. Rows that score inf (NaN or infinite values) are refused.
///
/// --best-f1 DATA --label-column NAME: the threshold with the highest F1 on DATA, as `gmmc test`
/// reports it.
#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("rule").required(true).args(["set", "quantile", "best_f1"])))]
pub struct Args {
    /// The model file.
    model: PathBuf,
    /// Where to write the new model (may be MODEL itself).
    #[arg(short, long, value_name = "MODEL.json")]
    output: PathBuf,
    /// Set this threshold.
    #[arg(long, value_name = "T", allow_negative_numbers = true, value_parser = values::finite)]
    set: Option<f64>,
    /// Set the threshold at this quantile of the scores of --data.
    #[arg(long, value_name = "Q", requires = "data", value_parser = values::fraction,
          allow_negative_numbers = true)]
    quantile: Option<f64>,
    /// The rows for --quantile.
    #[arg(long, value_name = "DATA", requires = "quantile")]
    data: Option<String>,
    /// Set the threshold with the highest F1 on these labelled rows.
    #[arg(long, value_name = "DATA", requires = "label_column")]
    best_f1: Option<String>,
    /// The column of the data that holds labels.
    #[arg(long, value_name = "NAME")]
    label_column: Option<String>,
    /// A label that marks an anomalous row; repeat for several.
    #[arg(long = "anomaly-label", value_name = "L", default_value = DEFAULT_ANOMALY_LABEL)]
    anomaly_labels: Vec<String>,
}

/// The file's name for the model's note (no folders).
fn file_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned())
}

pub fn run(args: Args) -> Result<(), Failure> {
    let model = load_model(&args.model)?;
    let old = model.score.threshold;
    let (value, rule, summary) = if let Some(t) = args.set {
        (t, Rule::Set, String::new())
    } else if let (Some(q), Some(data)) = (args.quantile, &args.data) {
        let scored = load_scored(&model, data, args.label_column.as_deref())?;
        let scores = scored.scores();
        let (scores, rows): (Vec<f64>, String) = match &scored.table.labels {
            Some(_) => {
                let anomalous = anomalous_rows(&scored.table, &args.anomaly_labels)?;
                let normal: Vec<f64> = scores
                    .iter()
                    .zip(&anomalous)
                    .filter(|(_, a)| !**a)
                    .map(|(s, _)| *s)
                    .collect();
                let rows = format!(
                    "{} rows of {} not labelled {}",
                    normal.len(),
                    file_name(data),
                    quoted(&args.anomaly_labels)
                );
                (normal, rows)
            }
            None => {
                let rows = format!("{} rows of {}", scores.len(), file_name(data));
                (scores, rows)
            }
        };
        let t = threshold::quantile_threshold(&scores, q).map_err(|e| match e {
            threshold::ThresholdError::InfiniteScore { row } => Failure::new(format!(
                "{}: row {} scores inf (NaN or infinite values); remove it from the calibration data",
                scored.table.source,
                row + 1
            )),
            e => Failure::new(format!("{}: {e}", scored.table.source)),
        })?;
        let summary = format!(" ({rows})");
        (t, Rule::Quantile { q, rows }, summary)
    } else if let Some(data) = &args.best_f1 {
        let scored = load_scored(&model, data, args.label_column.as_deref())?;
        let anomalous = anomalous_rows(&scored.table, &args.anomaly_labels)?;
        let best = threshold::best_f1_threshold(&scored.scores(), &anomalous)
            .map_err(|e| Failure::new(format!("{}: {e}", scored.table.source)))?;
        let rows = format!(
            "{} labelled rows of {}",
            scored.table.n_rows,
            file_name(data)
        );
        let c = best.confusion;
        let summary = format!(
            ": F1 {:.4} on {rows} ({} of {} anomalies caught, {} false alarms)",
            best.f1,
            c.true_positives,
            c.true_positives + c.false_negatives,
            c.false_positives
        );
        (best.threshold, Rule::BestF1 { f1: best.f1, rows }, summary)
    } else {
        return Err(Failure::new(
            "give one of --set T, --quantile Q --data DATA, or --best-f1 DATA",
        ));
    };
    let new = threshold::with_threshold(&model, value, &rule)
        .map_err(|e| Failure::new(format!("cannot set threshold {value}: {e}")))?;
    write_output(&args.output, new.to_json().as_bytes())?;
    println!("threshold {old:.4} → {value:.4}{summary}");
    println!("wrote {}", args.output.display());
    Ok(())
}
