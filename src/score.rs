//! Batch scoring: log-likelihood, anomaly score and decision for many rows, in f64.

use std::io::{self, Write};

use gmmc_model::Model;
use rayon::prelude::*;

use crate::blocks;
use crate::em::{self, Samples};
use crate::mixture::Mixture;

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
///
/// The log-likelihoods come from the trainer's SIMD kernels (f64, the same arithmetic as the
/// EM passes). A row with a NaN or infinite value has a quadratic form of +∞ or NaN under every
/// component (the factors' diagonals are positive), so the kernels give it −∞ or NaN; NaN is
/// reported as −∞, like a row too far away for f64.
pub fn score_rows(model: &Model, x: Samples<'_>) -> Vec<Scored> {
    let mixture = Mixture::from_model(model);
    em::log_likelihoods(&mixture, x)
        .into_par_iter()
        .map(|ll| {
            let log_likelihood = if ll.is_nan() { f64::NEG_INFINITY } else { ll };
            let score = model.score.score(log_likelihood);
            Scored {
                log_likelihood,
                score,
                is_anomaly: model.score.is_anomaly(score),
            }
        })
        .collect()
}

/// Writes results as CSV: `log_likelihood,score,is_anomaly` (0 or 1), numbers in their
/// shortest round-trip form (`ryu`: `-6.5576`, `1.0`, `3.1e-5`), `inf`/`-inf` for broken rows. Blocks of rows are formatted in parallel and
/// written in order.
pub fn write_csv<W: Write>(out: &mut W, rows: &[Scored]) -> io::Result<()> {
    writeln!(out, "log_likelihood,score,is_anomaly")?;
    let size = blocks::block_rows(rows.len());
    let parts: Vec<Vec<u8>> = rows
        .par_chunks(size)
        .map(|part| {
            let mut text = Vec::with_capacity(part.len() * 48);
            let mut number = ryu::Buffer::new();
            for r in part {
                text.extend_from_slice(number.format(r.log_likelihood).as_bytes());
                text.push(b',');
                text.extend_from_slice(number.format(r.score).as_bytes());
                text.extend_from_slice(if r.is_anomaly { b",1\n" } else { b",0\n" });
            }
            text
        })
        .collect();
    for part in parts {
        out.write_all(&part)?;
    }
    Ok(())
}
