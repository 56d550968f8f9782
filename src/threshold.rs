//! Giving a model a new threshold, leaving everything else as it was.
//!
//! Only the `score` object changes: `threshold`, and the two fields that say where it came
//! from (`quantile`, `calibration`). The offset and scale of the score stay, so scores computed
//! before and after are the same numbers; only the decision moves. A model file that gmmc wrote
//! keeps every other byte, because [`Model::to_json`] writes the same text for the same values.

use gmmc_model::{Model, ModelError, ScoreKind};

use crate::calibrate;
use crate::metrics;

/// Why a threshold could not be set.
#[derive(Debug, thiserror::Error)]
pub enum ThresholdError {
    /// The quantile is not strictly between 0 and 1.
    #[error("the quantile must be strictly between 0 and 1, not {0}")]
    Quantile(f64),
    /// There are no scores to take a quantile or an F1 from.
    #[error("no rows to set the threshold from")]
    NoRows,
    /// A calibration row scores +∞ (NaN or infinite input), so a quantile would be meaningless.
    #[error("row {row} scores +inf (a NaN or infinite value, or far outside the model)")]
    InfiniteScore {
        /// 0-based row index.
        row: usize,
    },
    /// No labelled row is anomalous, so F1 is 0 whatever the threshold.
    #[error("no row is labelled anomalous, so every threshold gives F1 = 0")]
    NoAnomalies,
    /// Every row scores +∞, so every threshold flags every row.
    #[error("every row scores +inf, so every threshold flags every row")]
    NoFiniteScores,
    /// The new threshold does not make a valid model (for instance it is not finite).
    #[error("{0}")]
    Model(#[from] ModelError),
}

/// Where a new threshold comes from, for the model's `calibration` note.
#[derive(Clone, Debug, PartialEq)]
pub enum Rule {
    /// Given by the user.
    Set,
    /// The `q`-quantile of the scores of `rows` (words, such as `770 normal rows of test.csv`).
    Quantile {
        /// The quantile.
        q: f64,
        /// Which rows.
        rows: String,
    },
    /// The F1-maximising threshold on `rows`, and the F1.
    BestF1 {
        /// The F1 reached on those rows.
        f1: f64,
        /// Which rows.
        rows: String,
    },
}

/// The `q`-quantile (NumPy's linear interpolation) of finite `scores`, as a threshold: a
/// fraction `q` of the rows score at or below it.
pub fn quantile_threshold(scores: &[f64], q: f64) -> Result<f64, ThresholdError> {
    if !(q > 0.0 && q < 1.0) {
        return Err(ThresholdError::Quantile(q));
    }
    if scores.is_empty() {
        return Err(ThresholdError::NoRows);
    }
    if let Some(row) = scores.iter().position(|s| !s.is_finite()) {
        return Err(ThresholdError::InfiniteScore { row });
    }
    let mut v = scores.to_vec();
    Ok(calibrate::quantile(&mut v, q))
}

/// The F1-maximising threshold on labelled scores ([`metrics::best_f1`]).
pub fn best_f1_threshold(
    scores: &[f64],
    anomalous: &[bool],
) -> Result<metrics::BestF1, ThresholdError> {
    if scores.is_empty() {
        return Err(ThresholdError::NoRows);
    }
    if !anomalous.iter().any(|&a| a) {
        return Err(ThresholdError::NoAnomalies);
    }
    metrics::best_f1(scores, anomalous).ok_or(ThresholdError::NoFiniteScores)
}

/// The note a previous threshold change appended to `calibration`.
const NOTE: &str = "; threshold: ";

/// `model` with threshold `threshold`, set by `rule`; every other field unchanged except the
/// two that describe the threshold's origin:
///
/// - `quantile`: kept for `normalized` scores (there it describes the scale, which does not
///   change); for `nll` and `edge-impulse` it becomes `q` for a quantile rule and is removed
///   otherwise, since it described the old threshold;
/// - `calibration`: the previous text with `; threshold: <rule>` appended (replacing an
///   earlier such note).
pub fn with_threshold(model: &Model, threshold: f64, rule: &Rule) -> Result<Model, ThresholdError> {
    let mut out = model.clone();
    let score = &mut out.score;
    score.threshold = threshold;
    if score.kind != ScoreKind::Normalized {
        score.quantile = match rule {
            Rule::Quantile { q, .. } => Some(*q),
            Rule::Set | Rule::BestF1 { .. } => None,
        };
    }
    let how = match rule {
        Rule::Set => "set by hand".to_string(),
        Rule::Quantile { q, rows } => format!("{q} quantile of {rows}"),
        Rule::BestF1 { f1, rows } => format!("highest F1 ({f1:.4}) on {rows}"),
    };
    let base = score
        .calibration
        .as_deref()
        .map(|c| c.split(NOTE).next().unwrap_or(c))
        .filter(|b| !b.is_empty() && !b.starts_with(&NOTE[2..]));
    score.calibration = Some(match base {
        Some(b) => format!("{b}{NOTE}{how}"),
        None => format!("{}{how}", &NOTE[2..]),
    });
    out.validate()?;
    Ok(out)
}
