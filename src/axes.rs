//! Ranking feature columns by how well each, alone, separates labelled classes: the basis of a
//! suggested `--axes` value.
//!
//! The statistic is rank-based, so it does not care about units or scale (raw DSP features
//! differ by many orders of magnitude) and a few extreme values cannot dominate it:
//!
//! - **With anomaly labels** (some rows carry one of the anomaly labels, the others are normal),
//!   a column's *separation* is `|2·AUC − 1|`, where AUC is the probability that a random
//!   anomalous row has a higher value in that column than a random normal row (ties count ½;
//!   the ROC AUC of the raw column as a score). 0 means the column's values are distributed
//!   the same in both groups, 1 that every anomalous row lies beyond every normal row. The
//!   sign of `2·AUC − 1` says whether anomalies sit above (`higher`) or below (`lower`).
//! - **Without anomaly labels** (every label names a class, for instance an operating mode),
//!   the separation is the mean of `|2·AUC − 1|` over every pair of classes.
//!
//! Rows where a column is NaN or infinite are left out for that column. The ranking looks at
//! one column at a time: two columns that both separate well may carry the same information,
//! and a pair that separates only jointly is not found.

use serde::Serialize;

use crate::metrics;

/// Why no ranking could be made.
#[derive(Debug, thiserror::Error)]
pub enum AxesError {
    /// Fewer than two groups to separate.
    #[error("{0}")]
    OneClass(String),
    /// The table has no feature columns.
    #[error("the data has no feature columns to rank")]
    NoColumns,
}

/// Which groups were compared.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Groups {
    /// Rows with an anomaly label against all other rows.
    AnomalousVsNormal {
        /// Anomalous rows.
        n_anomalous: usize,
        /// Normal rows.
        n_normal: usize,
    },
    /// Every pair of these classes (label, rows), averaged.
    Classes {
        /// The classes and their row counts, in order of first appearance.
        classes: Vec<(String, usize)>,
    },
}

/// One column's separation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Ranked {
    /// The column's name.
    pub name: String,
    /// Its index among the feature columns (what `--axes` accepts as an index).
    pub index: usize,
    /// The separation, 0 (none) to 1 (perfect).
    pub separation: f64,
    /// With anomaly labels: the AUC of the column (anomalous above normal); `None` otherwise
    /// or when a group has no finite value.
    pub auc: Option<f64>,
    /// Rows used (with a finite value in this column).
    pub n_used: usize,
}

/// Columns from the best separating to the worst (ties keep file order).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Ranking {
    /// What was compared.
    pub groups: Groups,
    /// The columns, best first.
    pub columns: Vec<Ranked>,
}

impl Ranking {
    /// The names of the best `n` columns, comma-separated: a value for `gmmc train --axes`.
    pub fn suggested_axes(&self, n: usize) -> String {
        self.columns
            .iter()
            .take(n)
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// `|2·AUC − 1|` of one column's values between two groups (finite values only) and the AUC.
fn separation(values: &[f64], in_a: &[bool]) -> (Option<f64>, usize) {
    let (v, g): (Vec<f64>, Vec<bool>) = values
        .iter()
        .zip(in_a)
        .filter(|(v, _)| v.is_finite())
        .map(|(v, a)| (*v, *a))
        .unzip();
    (metrics::roc_auc(&v, &g), v.len())
}

/// Ranks the columns of a row-major `n × names.len()` matrix by how well each separates the
/// groups given by `labels` (one per row); rows whose label is in `anomaly_labels` are
/// anomalous. See the module documentation for the statistic.
pub fn rank(
    values: &[f64],
    names: &[String],
    labels: &[String],
    anomaly_labels: &[String],
) -> Result<Ranking, AxesError> {
    let d = names.len();
    if d == 0 {
        return Err(AxesError::NoColumns);
    }
    let n = labels.len().min(values.len() / d);
    let column = |j: usize| -> Vec<f64> { (0..n).map(|i| values[i * d + j]).collect() };
    let anomalous: Vec<bool> = labels[..n]
        .iter()
        .map(|l| anomaly_labels.contains(l))
        .collect();
    let n_anomalous = anomalous.iter().filter(|&&a| a).count();
    let mut ranked: Vec<Ranked> = Vec::with_capacity(d);
    let groups = if n_anomalous > 0 {
        if n_anomalous == n {
            return Err(AxesError::OneClass(format!(
                "every row is labelled anomalous ({}); there are no normal rows to compare with",
                anomaly_labels.join(", ")
            )));
        }
        for j in 0..d {
            let (auc, n_used) = separation(&column(j), &anomalous);
            ranked.push(Ranked {
                name: names[j].clone(),
                index: j,
                separation: auc.map_or(0.0, |a| (2.0 * a - 1.0).abs()),
                auc,
                n_used,
            });
        }
        Groups::AnomalousVsNormal {
            n_anomalous,
            n_normal: n - n_anomalous,
        }
    } else {
        let mut classes: Vec<(String, usize)> = Vec::new();
        for l in &labels[..n] {
            match classes.iter_mut().find(|(c, _)| c == l) {
                Some(c) => c.1 += 1,
                None => classes.push((l.clone(), 1)),
            }
        }
        if classes.len() < 2 {
            return Err(AxesError::OneClass(format!(
                "every row has the label `{}` and none has an anomaly label ({}): there is \
                 nothing to separate",
                classes.first().map_or("", |c| c.0.as_str()),
                anomaly_labels.join(", ")
            )));
        }
        for j in 0..d {
            let col = column(j);
            let mut total = 0.0;
            let mut pairs = 0usize;
            for a in 0..classes.len() {
                for b in a + 1..classes.len() {
                    let (vals, in_a): (Vec<f64>, Vec<bool>) = col
                        .iter()
                        .zip(&labels[..n])
                        .filter(|(_, l)| **l == classes[a].0 || **l == classes[b].0)
                        .map(|(v, l)| (*v, *l == classes[a].0))
                        .unzip();
                    let (auc, _) = separation(&vals, &in_a);
                    total += auc.map_or(0.0, |x| (2.0 * x - 1.0).abs());
                    pairs += 1;
                }
            }
            let n_used = col.iter().filter(|v| v.is_finite()).count();
            ranked.push(Ranked {
                name: names[j].clone(),
                index: j,
                separation: total / pairs as f64,
                auc: None,
                n_used,
            });
        }
        Groups::Classes { classes }
    };
    // Stable sort: equal separations keep file order.
    ranked.sort_by(|a, b| b.separation.total_cmp(&a.separation));
    Ok(Ranking {
        groups,
        columns: ranked,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn anomalies_ranked_by_auc_by_hand() {
        // Column a: anomalies (rows 3, 4) above every normal row: AUC 1, separation 1.
        // Column b: anomalies below: AUC 0, separation 1 (ranked first too, file order after a).
        // Column c: anomalies 2 and 5 against normal 1, 5, 3; of the 6 pairs the anomaly is
        // higher in (2, 1), (5, 1), (5, 3) and tied in (5, 5): AUC = 3.5/6.
        let values = [
            1.0, 9.0, 1.0, //
            2.0, 8.0, 5.0, //
            3.0, 7.0, 3.0, //
            10.0, 0.0, 2.0, //
            11.0, -1.0, 5.0,
        ];
        let labels = names(&["ok", "ok", "ok", "anomaly", "anomaly"]);
        let r = rank(
            &values,
            &names(&["a", "b", "c"]),
            &labels,
            &names(&["anomaly"]),
        )
        .unwrap();
        assert_eq!(r.columns[0].name, "a");
        assert_eq!(r.columns[1].name, "b");
        assert_eq!(r.columns[0].separation, 1.0);
        assert_eq!(r.columns[1].auc, Some(0.0));
        let c = &r.columns[2];
        assert!((c.auc.unwrap() - 3.5 / 6.0).abs() < 1e-12);
        assert!((c.separation - (2.0 * 3.5 / 6.0 - 1.0)).abs() < 1e-12);
        assert_eq!(r.suggested_axes(2), "a,b");
        assert_eq!(
            r.groups,
            Groups::AnomalousVsNormal {
                n_anomalous: 2,
                n_normal: 3
            }
        );
    }

    #[test]
    fn classes_average_pairwise_separation_and_nan_is_skipped() {
        // Three classes; column x separates x/y perfectly, y/z perfectly, x/z perfectly → 1.
        // Column w: constant apart from a NaN → every AUC ½ → 0.
        let values = [
            1.0,
            5.0, //
            2.0,
            f64::NAN, //
            5.0,
            5.0, //
            6.0,
            5.0, //
            9.0,
            5.0, //
            10.0,
            5.0,
        ];
        let labels = names(&["p", "p", "q", "q", "r", "r"]);
        let r = rank(&values, &names(&["x", "w"]), &labels, &names(&["anomaly"])).unwrap();
        assert_eq!(r.columns[0].name, "x");
        assert_eq!(r.columns[0].separation, 1.0);
        assert_eq!(r.columns[1].separation, 0.0);
        assert_eq!(r.columns[1].n_used, 5);
        let one = rank(&values, &names(&["x", "w"]), &names(&["p"; 6]), &[]);
        assert!(matches!(one, Err(AxesError::OneClass(_))));
    }
}
