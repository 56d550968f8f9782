//! Batch scoring: log-likelihood, anomaly score and decision for many rows, in f64.

use std::io::{self, Write};

use gmmc_model::Model;
use gmmc_model::scoring::Scorer;

use crate::blocks;
use crate::em::Samples;

/// One row's result.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scored {
    /// `ln p(x)`; −∞ for a row with NaN or infinite values.
    pub log_likelihood: f64,
    /// The anomaly score (higher is more anomalous); +∞ for a broken row.
    pub score: f64,
    /// `score > threshold`.
    pub is_anomaly: bool,
}

/// Scores every row of `x` (D = the model's features), in parallel, in row order.
pub fn score_rows(model: &Model, x: Samples<'_>) -> Vec<Scored> {
    let scorer = Scorer::new(model);
    blocks::map_blocks(x.n_rows(), Vec::new, |out: &mut Vec<Scored>, range| {
        out.reserve(range.len());
        for i in range {
            let log_likelihood = scorer.log_likelihood(x.row(i));
            let score = model.score.score(log_likelihood);
            out.push(Scored {
                log_likelihood,
                score,
                is_anomaly: model.score.is_anomaly(score),
            });
        }
    })
    .concat()
}

/// Writes results as CSV: `log_likelihood,score,is_anomaly` (0 or 1), numbers with round-trip
/// precision, `inf`/`-inf` for broken rows.
pub fn write_csv<W: Write>(out: &mut W, rows: &[Scored]) -> io::Result<()> {
    writeln!(out, "log_likelihood,score,is_anomaly")?;
    for r in rows {
        writeln!(
            out,
            "{},{},{}",
            r.log_likelihood,
            r.score,
            u8::from(r.is_anomaly)
        )?;
    }
    Ok(())
}
