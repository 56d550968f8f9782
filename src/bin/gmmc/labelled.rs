//! Data read for a model: the model's feature columns of a data file, optional labels, and
//! every row scored. Shared by `test`, `threshold` and `plot`.

use gmmc::data::{self, LoadOptions, Selection, Table};
use gmmc::em::Samples;
use gmmc::model::Model;
use gmmc::score::{Scored, score_rows};

use crate::failure::Failure;

/// The default `--anomaly-label`: Edge Impulse's convention (`anomaly` / `no anomaly`).
pub const DEFAULT_ANOMALY_LABEL: &str = "anomaly";

/// A data file read for a model and scored by it.
pub struct ScoredTable {
    /// The model's features of every row (and the labels, if asked for).
    pub table: Table,
    /// Every row's log-likelihood, score and decision.
    pub scored: Vec<Scored>,
}

impl ScoredTable {
    /// The scores.
    pub fn scores(&self) -> Vec<f64> {
        self.scored.iter().map(|s| s.score).collect()
    }
}

/// Reads the model's feature columns of `data` (by name, or by position for a file holding the
/// model's input vector) and scores every row.
pub fn load_scored(
    model: &Model,
    data: &str,
    label_column: Option<&str>,
) -> Result<ScoredTable, Failure> {
    let table = data::load(
        data,
        &LoadOptions {
            label_column: label_column.map(str::to_string),
            selection: Selection::Model {
                names: model.feature_names.clone(),
                axes: model.axes.clone(),
                n_inputs: model.n_inputs,
            },
        },
    )?;
    if table.n_rows == 0 {
        return Err(Failure::new(format!("{}: no data rows", table.source)));
    }
    let x = Samples::new(&table.values, model.n_features)
        .ok_or_else(|| Failure::new(format!("{}: no feature columns selected", table.source)))?;
    let scored = score_rows(model, x);
    Ok(ScoredTable { table, scored })
}

/// Which rows are anomalous: those whose label is one of `anomaly_labels`. Warns on stderr
/// when no row carries any of them, listing the labels seen, since that is usually a typo.
pub fn anomalous_rows(table: &Table, anomaly_labels: &[String]) -> Result<Vec<bool>, Failure> {
    let labels = table
        .labels
        .as_ref()
        .ok_or_else(|| Failure::new(format!("{}: no label column was read", table.source)))?;
    let flags: Vec<bool> = labels.iter().map(|l| anomaly_labels.contains(l)).collect();
    if !flags.iter().any(|&a| a) {
        let mut seen: Vec<&str> = Vec::new();
        for l in labels {
            if !seen.contains(&l.as_str()) {
                seen.push(l);
            }
            if seen.len() > 10 {
                break;
            }
        }
        eprintln!(
            "warning: no row of {} is labelled {} (labels seen: {}); every row counts as normal",
            table.source,
            quoted(anomaly_labels),
            quoted(&seen)
        );
    }
    Ok(flags)
}

/// `a`, `b` or `c`, each in backticks.
pub fn quoted<S: AsRef<str>>(items: &[S]) -> String {
    let q: Vec<String> = items.iter().map(|s| format!("`{}`", s.as_ref())).collect();
    match q.len() {
        0 => "(none)".into(),
        1 => q[0].clone(),
        n => format!("{} or {}", q[..n - 1].join(", "), q[n - 1]),
    }
}
