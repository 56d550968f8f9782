//! How well an anomaly score separates anomalous from normal rows: the confusion matrix at a
//! threshold, precision, recall, F1, accuracy, ROC AUC, average precision, the threshold that
//! maximises F1, and each class's score range.
//!
//! Conventions, shared by `gmmc test`, `gmmc threshold --best-f1` and the README:
//!
//! - **Positive = anomalous.** A row is *predicted* anomalous when `score > threshold`, as
//!   [`ScoreTransform::is_anomaly`](gmmc_model::ScoreTransform::is_anomaly) decides.
//! - **Broken rows.** A NaN score is read as +∞ (a broken sensor must not read as normal). Rows
//!   scoring +∞ sort above every finite score, tie with each other, and are predicted anomalous
//!   at every (finite) threshold.
//! - **Undefined values are `None`**, never a made-up 0: precision when no row is predicted
//!   anomalous, recall when no row is anomalous, F1 when neither, ROC AUC unless both classes
//!   are present, average precision when no row is anomalous.
//! - **F1** is `2·TP / (2·TP + FP + FN)`, the harmonic mean of precision and recall where both
//!   exist, and 0 when there are anomalous rows but none is caught.
//! - **ROC AUC** is the probability that a random anomalous row scores higher than a random
//!   normal one, ties counting one half (the Mann–Whitney statistic; scikit-learn's
//!   `roc_auc_score` gives the same number).
//! - **Average precision** (the PR AUC reported) is scikit-learn's `average_precision_score`:
//!   `Σₙ (Rₙ − Rₙ₋₁)·Pₙ` over the distinct scores taken as thresholds from the highest down,
//!   where rows with equal scores enter together. It is a step-wise sum, not the trapezoidal
//!   area under the precision–recall curve (which is optimistic).

use serde::{Serialize, Serializer};

/// Counts of a binary decision against the truth; positive means anomalous.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Confusion {
    /// Anomalous rows predicted anomalous.
    pub true_positives: usize,
    /// Normal rows predicted anomalous (false alarms).
    pub false_positives: usize,
    /// Normal rows predicted normal.
    pub true_negatives: usize,
    /// Anomalous rows predicted normal (missed anomalies).
    pub false_negatives: usize,
}

/// `a / b`, or `None` when `b` is 0.
fn ratio(a: usize, b: usize) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

impl Confusion {
    /// The confusion matrix of the decision `score > threshold`. `anomalous[i]` is the truth
    /// of row `i`; a NaN score counts as +∞ (predicted anomalous).
    pub fn at_threshold(scores: &[f64], anomalous: &[bool], threshold: f64) -> Confusion {
        let mut c = Confusion::default();
        for (&s, &truth) in scores.iter().zip(anomalous) {
            let predicted = s.is_nan() || s > threshold;
            match (truth, predicted) {
                (true, true) => c.true_positives += 1,
                (true, false) => c.false_negatives += 1,
                (false, true) => c.false_positives += 1,
                (false, false) => c.true_negatives += 1,
            }
        }
        c
    }

    /// Rows counted.
    pub fn total(&self) -> usize {
        self.true_positives + self.false_positives + self.true_negatives + self.false_negatives
    }

    /// TP / (TP + FP): the share of alarms that are real; `None` without alarms.
    pub fn precision(&self) -> Option<f64> {
        ratio(
            self.true_positives,
            self.true_positives + self.false_positives,
        )
    }

    /// TP / (TP + FN): the share of anomalies caught; `None` without anomalous rows.
    pub fn recall(&self) -> Option<f64> {
        ratio(
            self.true_positives,
            self.true_positives + self.false_negatives,
        )
    }

    /// FP / (FP + TN): the share of normal rows that raise an alarm; `None` without normal
    /// rows.
    pub fn false_positive_rate(&self) -> Option<f64> {
        ratio(
            self.false_positives,
            self.false_positives + self.true_negatives,
        )
    }

    /// 2·TP / (2·TP + FP + FN); `None` when there is no anomalous row and no alarm.
    pub fn f1(&self) -> Option<f64> {
        ratio(
            2 * self.true_positives,
            2 * self.true_positives + self.false_positives + self.false_negatives,
        )
    }

    /// (TP + TN) / all rows; `None` without rows.
    pub fn accuracy(&self) -> Option<f64> {
        ratio(self.true_positives + self.true_negatives, self.total())
    }
}

/// A NaN score read as +∞.
fn sanitize(s: f64) -> f64 {
    if s.is_nan() { f64::INFINITY } else { s }
}

/// The rows grouped by equal score, from the highest score down: for each distinct score, the
/// number of anomalous and of normal rows with that score.
fn groups_descending(scores: &[f64], anomalous: &[bool]) -> Vec<(f64, usize, usize)> {
    let mut order: Vec<(f64, bool)> = scores
        .iter()
        .zip(anomalous)
        .map(|(&s, &a)| (sanitize(s), a))
        .collect();
    order.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut groups: Vec<(f64, usize, usize)> = Vec::new();
    for (s, a) in order {
        match groups.last_mut() {
            // `==` also merges +0 and −0, which no threshold can tell apart.
            Some(g) if g.0 == s => {
                if a {
                    g.1 += 1
                } else {
                    g.2 += 1
                }
            }
            _ => groups.push((s, usize::from(a), usize::from(!a))),
        }
    }
    groups
}

/// ROC AUC of `scores` for telling anomalous (`true`) from normal rows: the probability that a
/// random anomalous row scores higher than a random normal one, ties counting ½. `None` unless
/// both classes are present.
pub fn roc_auc(scores: &[f64], anomalous: &[bool]) -> Option<f64> {
    let positives = anomalous.iter().filter(|&&a| a).count();
    let negatives = anomalous.len().min(scores.len()) - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    // Walk from the highest score down: each normal row is beaten by the anomalous rows
    // already passed, and ties with the anomalous rows of its own group.
    let mut wins = 0.0;
    let mut positives_above = 0usize;
    for (_, pos, neg) in groups_descending(scores, anomalous) {
        wins += neg as f64 * (positives_above as f64 + 0.5 * pos as f64);
        positives_above += pos;
    }
    Some(wins / (positives as f64 * negatives as f64))
}

/// Average precision, as scikit-learn's `average_precision_score`: `Σₙ (Rₙ − Rₙ₋₁)·Pₙ` with
/// the distinct scores as thresholds from the highest down (tied rows enter together). `None`
/// when no row is anomalous.
pub fn average_precision(scores: &[f64], anomalous: &[bool]) -> Option<f64> {
    let positives = anomalous.iter().filter(|&&a| a).count();
    if positives == 0 {
        return None;
    }
    let (mut tp, mut fp, mut ap) = (0usize, 0usize, 0.0);
    for (_, pos, neg) in groups_descending(scores, anomalous) {
        tp += pos;
        fp += neg;
        if pos > 0 {
            ap += (pos as f64 / positives as f64) * (tp as f64 / (tp + fp) as f64);
        }
    }
    Some(ap)
}

/// The threshold with the highest F1 on some data, and what it gives.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct BestF1 {
    /// The threshold (predicted anomalous when `score > threshold`).
    pub threshold: f64,
    /// The F1 it gives.
    pub f1: f64,
    /// Its confusion matrix.
    pub confusion: Confusion,
}

/// The largest finite f64 below `x` (finite `x`).
fn next_below(x: f64) -> f64 {
    if x == 0.0 {
        return -f64::from_bits(1);
    }
    let bits = x.to_bits();
    f64::from_bits(if x > 0.0 { bits - 1 } else { bits + 1 })
}

/// A threshold strictly between `lo < hi` (both finite): their midpoint, or `lo` when no f64
/// lies strictly between them.
fn between(lo: f64, hi: f64) -> f64 {
    let mid = lo + (hi - lo) / 2.0;
    if mid > lo && mid < hi { mid } else { lo }
}

/// The threshold that maximises F1 on these rows.
///
/// Every distinct set of alarms a finite threshold can raise is tried: each is "every row
/// scoring at or above some observed finite score" (rows scoring +∞ are always flagged). Its
/// threshold is the midpoint between the highest score left normal and the lowest flagged
/// score; to flag every row it is the f64 just below the lowest score, and to flag no finite
/// score it is the highest finite score. Among equally good thresholds the highest (the one
/// raising the fewest alarms) is returned.
///
/// `None` when no row is anomalous (F1 cannot rise above 0) or no score is finite (every
/// threshold flags every row).
pub fn best_f1(scores: &[f64], anomalous: &[bool]) -> Option<BestF1> {
    let positives = anomalous.iter().filter(|&&a| a).count();
    let n = anomalous.len().min(scores.len());
    let negatives = n - positives;
    if positives == 0 {
        return None;
    }
    let groups = groups_descending(scores, anomalous);
    let finite: Vec<&(f64, usize, usize)> = groups.iter().filter(|g| g.0.is_finite()).collect();
    let highest = finite.first()?.0;
    // Start with the alarms raised by +∞ alone (threshold = the highest finite score).
    let (mut tp, mut fp) = groups
        .iter()
        .filter(|g| !g.0.is_finite())
        .fold((0, 0), |(tp, fp), g| (tp + g.1, fp + g.2));
    let confusion = |tp: usize, fp: usize| Confusion {
        true_positives: tp,
        false_positives: fp,
        true_negatives: negatives - fp,
        false_negatives: positives - tp,
    };
    let f1 = |c: &Confusion| c.f1().unwrap_or(0.0);
    let first = confusion(tp, fp);
    let mut best = BestF1 {
        threshold: highest,
        f1: f1(&first),
        confusion: first,
    };
    // Lower the threshold past one group of equal scores at a time.
    for (i, g) in finite.iter().enumerate() {
        tp += g.1;
        fp += g.2;
        let c = confusion(tp, fp);
        let value = f1(&c);
        if value > best.f1 {
            let threshold = match finite.get(i + 1) {
                Some(next) => between(next.0, g.0),
                None => next_below(g.0),
            };
            best = BestF1 {
                threshold,
                f1: value,
                confusion: c,
            };
        }
    }
    Some(best)
}

/// Summary of one class's scores.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ScoreRange {
    /// Rows in the class.
    pub n: usize,
    /// Of which scoring +∞ (broken or unrepresentably far rows).
    pub n_infinite: usize,
    /// Lowest score.
    #[serde(serialize_with = "number_or_inf")]
    pub min: f64,
    /// Median score (the mean of the two middle ones for an even count).
    #[serde(serialize_with = "number_or_inf")]
    pub median: f64,
    /// Highest score.
    #[serde(serialize_with = "number_or_inf")]
    pub max: f64,
}

/// Serialises ±∞ as the strings `"inf"` / `"-inf"` (JSON has no infinity).
fn number_or_inf<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    if v.is_finite() {
        s.serialize_f64(*v)
    } else if *v > 0.0 {
        s.serialize_str("inf")
    } else {
        s.serialize_str("-inf")
    }
}

impl ScoreRange {
    /// The range of these scores (NaN read as +∞); `None` for no scores.
    pub fn of(scores: impl IntoIterator<Item = f64>) -> Option<ScoreRange> {
        let mut v: Vec<f64> = scores.into_iter().map(sanitize).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 || v[n / 2 - 1] == v[n / 2] {
            v[n / 2]
        } else {
            v[n / 2 - 1] + (v[n / 2] - v[n / 2 - 1]) / 2.0
        };
        Some(ScoreRange {
            n,
            n_infinite: v.iter().filter(|s| s.is_infinite()).count(),
            min: v[0],
            median,
            max: v[n - 1],
        })
    }
}

/// Everything `gmmc test` reports about a score at a threshold on labelled rows.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evaluation {
    /// Rows evaluated.
    pub n_rows: usize,
    /// Rows labelled anomalous.
    pub n_anomalous: usize,
    /// Rows labelled normal.
    pub n_normal: usize,
    /// The threshold evaluated.
    pub threshold: f64,
    /// Its confusion matrix.
    pub confusion: Confusion,
    /// TP / (TP + FP), `None` (JSON `null`) without alarms.
    pub precision: Option<f64>,
    /// TP / (TP + FN), `None` without anomalous rows.
    pub recall: Option<f64>,
    /// 2·TP / (2·TP + FP + FN), `None` without anomalous rows and alarms.
    pub f1: Option<f64>,
    /// FP / (FP + TN), `None` without normal rows.
    pub false_positive_rate: Option<f64>,
    /// (TP + TN) / rows.
    pub accuracy: Option<f64>,
    /// ROC AUC, `None` unless both classes are present.
    pub roc_auc: Option<f64>,
    /// Average precision (scikit-learn's `average_precision_score`), the PR AUC reported;
    /// `None` without anomalous rows.
    pub average_precision: Option<f64>,
    /// The F1-maximising threshold on these rows ([`best_f1`]).
    pub best_f1: Option<BestF1>,
    /// Scores of the normal rows.
    pub normal_scores: Option<ScoreRange>,
    /// Scores of the anomalous rows.
    pub anomalous_scores: Option<ScoreRange>,
}

/// Evaluates `scores` against the truth `anomalous` (same length) at `threshold`.
pub fn evaluate(scores: &[f64], anomalous: &[bool], threshold: f64) -> Evaluation {
    let confusion = Confusion::at_threshold(scores, anomalous, threshold);
    let class = |want: bool| {
        ScoreRange::of(
            scores
                .iter()
                .zip(anomalous)
                .filter(|(_, a)| **a == want)
                .map(|(s, _)| *s),
        )
    };
    let n_anomalous = confusion.true_positives + confusion.false_negatives;
    Evaluation {
        n_rows: confusion.total(),
        n_anomalous,
        n_normal: confusion.total() - n_anomalous,
        threshold,
        confusion,
        precision: confusion.precision(),
        recall: confusion.recall(),
        f1: confusion.f1(),
        false_positive_rate: confusion.false_positive_rate(),
        accuracy: confusion.accuracy(),
        roc_auc: roc_auc(scores, anomalous),
        average_precision: average_precision(scores, anomalous),
        best_f1: best_f1(scores, anomalous),
        normal_scores: class(false),
        anomalous_scores: class(true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_below_and_between() {
        assert!(next_below(1.0) < 1.0);
        assert_eq!(next_below(1.0).to_bits(), 1.0f64.to_bits() - 1);
        assert!(next_below(0.0) < 0.0);
        assert!(next_below(-2.0) < -2.0);
        assert_eq!(between(1.0, 3.0), 2.0);
        let a = 1.0f64;
        let b = f64::from_bits(a.to_bits() + 1);
        assert_eq!(between(a, b), a);
    }
}
