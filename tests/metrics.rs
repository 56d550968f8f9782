//! Evaluation metrics against values computed by hand on small labelled fixtures, and the
//! F1-optimal threshold, ROC AUC and average precision against brute force on random data.

use gmmc::metrics::{self, Confusion, ScoreRange};

const A: bool = true;
const N: bool = false;

fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-12, "{a} != {b}");
}

#[test]
fn ties_by_hand() {
    // Anomalous scores 0.5, 0.9, 0.5; normal 0.2, 0.5, 0.1, 0.7, 0.3.
    let scores = [0.2, 0.5, 0.5, 0.9, 0.1, 0.5, 0.7, 0.3];
    let truth = [N, A, N, A, N, A, N, N];
    // ROC AUC: each 0.5 anomaly beats 0.2, 0.1, 0.3 and ties 0.5 (3.5 of 5), 0.9 beats all 5:
    // (3.5 + 5 + 3.5) / 15 = 0.8 (scikit-learn's roc_auc_score gives 0.8).
    close(metrics::roc_auc(&scores, &truth).unwrap(), 0.8);
    // Average precision: at 0.9, recall 1/3 with precision 1; at 0.7 no new anomaly; at 0.5
    // (three tied rows enter together) recall 3/3 with precision 3/5:
    // 1/3·1 + 2/3·3/5 = 11/15 (average_precision_score gives 0.7333…).
    close(
        metrics::average_precision(&scores, &truth).unwrap(),
        11.0 / 15.0,
    );

    // At threshold 0.5 the tied 0.5 rows are not flagged (score > threshold).
    let e = metrics::evaluate(&scores, &truth, 0.5);
    assert_eq!(
        e.confusion,
        Confusion {
            true_positives: 1,
            false_positives: 1,
            true_negatives: 4,
            false_negatives: 2
        }
    );
    close(e.precision.unwrap(), 0.5);
    close(e.recall.unwrap(), 1.0 / 3.0);
    close(e.f1.unwrap(), 2.0 / (2.0 + 1.0 + 2.0));
    close(e.accuracy.unwrap(), 5.0 / 8.0);
    close(e.false_positive_rate.unwrap(), 1.0 / 5.0);
    assert_eq!((e.n_rows, e.n_anomalous, e.n_normal), (8, 3, 5));

    // Best F1: flagging every score ≥ 0.5 gives TP 3, FP 2: F1 = 6/8; its threshold is the
    // midpoint between 0.3 (highest left normal) and 0.5.
    let best = e.best_f1.unwrap();
    close(best.f1, 0.75);
    close(best.threshold, 0.4);
    assert_eq!(best.confusion.true_positives, 3);
    assert_eq!(best.confusion.false_positives, 2);

    assert_eq!(
        e.normal_scores,
        Some(ScoreRange {
            n: 5,
            n_infinite: 0,
            min: 0.1,
            median: 0.3,
            max: 0.7
        })
    );
    assert_eq!(
        e.anomalous_scores,
        Some(ScoreRange {
            n: 3,
            n_infinite: 0,
            min: 0.5,
            median: 0.5,
            max: 0.9
        })
    );
}

#[test]
fn a_single_class_leaves_the_undefined_undefined() {
    let scores = [1.0, 2.0, 3.0, 4.0];
    let truth = [N; 4];
    let e = metrics::evaluate(&scores, &truth, 2.5);
    // Two false alarms: precision 0/2 = 0; no anomalies: recall undefined; F1 = 0/(0+2+0).
    assert_eq!(e.precision, Some(0.0));
    assert_eq!(e.recall, None);
    assert_eq!(e.f1, Some(0.0));
    assert_eq!(e.accuracy, Some(0.5));
    assert_eq!(e.roc_auc, None);
    assert_eq!(e.average_precision, None);
    assert_eq!(e.best_f1, None);
    assert_eq!(e.anomalous_scores, None);
    assert_eq!(e.normal_scores.unwrap().median, 2.5);
    // No alarm at all: precision and F1 undefined too, accuracy 1.
    let quiet = metrics::evaluate(&scores, &truth, 10.0);
    assert_eq!((quiet.precision, quiet.f1), (None, None));
    assert_eq!(quiet.accuracy, Some(1.0));
    // JSON shows the undefined as null.
    let json = serde_json::to_value(&e).unwrap();
    assert!(json["recall"].is_null() && json["roc_auc"].is_null());
    assert!(json["anomalous_scores"].is_null());
}

#[test]
fn all_rows_anomalous() {
    let scores = [1.0, 2.0, 2.0, 4.0];
    let truth = [A; 4];
    let e = metrics::evaluate(&scores, &truth, 1.5);
    assert_eq!(e.confusion.true_positives, 3);
    assert_eq!(e.confusion.false_negatives, 1);
    assert_eq!(e.precision, Some(1.0));
    assert_eq!(e.recall, Some(0.75));
    close(e.f1.unwrap(), 6.0 / 7.0);
    assert_eq!(e.accuracy, Some(0.75));
    assert_eq!(e.false_positive_rate, None);
    assert_eq!(e.roc_auc, None);
    // Precision is 1 at every threshold: average precision 1.
    assert_eq!(e.average_precision, Some(1.0));
    // Flagging every row is best; the threshold is just below the lowest score.
    let best = e.best_f1.unwrap();
    assert_eq!(best.f1, 1.0);
    assert!(best.threshold < 1.0 && best.threshold > 1.0 - 1e-12);
    assert_eq!(
        Confusion::at_threshold(&scores, &truth, best.threshold).f1(),
        Some(1.0)
    );
}

#[test]
fn infinite_and_nan_scores_are_the_highest() {
    // A broken normal row (+inf) and a broken anomalous row (NaN, read as +inf).
    let scores = [0.1, f64::INFINITY, 0.3, f64::INFINITY, f64::NAN];
    let truth = [N, A, N, N, A];
    // Both anomalies (+inf) beat 0.1 and 0.3 and tie the +inf normal row: (2.5 + 2.5) / 6.
    close(metrics::roc_auc(&scores, &truth).unwrap(), 5.0 / 6.0);
    // All three +inf rows enter together: recall 1 at precision 2/3.
    close(
        metrics::average_precision(&scores, &truth).unwrap(),
        2.0 / 3.0,
    );
    let e = metrics::evaluate(&scores, &truth, 1e30);
    assert_eq!(e.confusion.true_positives, 2);
    assert_eq!(e.confusion.false_positives, 1);
    // Best: flag only the +inf rows (F1 = 4/5), threshold = the highest finite score.
    let best = e.best_f1.unwrap();
    close(best.f1, 0.8);
    assert_eq!(best.threshold, 0.3);
    let normal = e.normal_scores.unwrap();
    assert_eq!(
        (normal.max, normal.n_infinite, normal.median),
        (f64::INFINITY, 1, 0.3)
    );
    let anomalous = e.anomalous_scores.unwrap();
    assert_eq!((anomalous.min, anomalous.n_infinite), (f64::INFINITY, 2));
    let json = serde_json::to_value(&e).unwrap();
    assert_eq!(json["normal_scores"]["max"], "inf");
    assert_eq!(json["normal_scores"]["min"], 0.1);
    // Every score +inf: no finite threshold changes anything, so there is no best one.
    assert_eq!(
        metrics::best_f1(&[f64::INFINITY, f64::INFINITY], &[A, N]),
        None
    );
}

/// A small deterministic generator for random fixtures.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Random scores rounded to one decimal (many ties), sometimes +inf, and labels where
/// anomalies tend to score higher.
fn random_case(rng: &mut Lcg, n: usize) -> (Vec<f64>, Vec<bool>) {
    let mut scores = Vec::with_capacity(n);
    let mut truth = Vec::with_capacity(n);
    for _ in 0..n {
        let anomalous = rng.next() < 0.3;
        let s = if rng.next() < 0.05 {
            f64::INFINITY
        } else {
            ((rng.next() * 3.0 + if anomalous { 1.0 } else { 0.0 }) * 10.0).round() / 10.0
        };
        scores.push(s);
        truth.push(anomalous);
    }
    (scores, truth)
}

fn f1_at(scores: &[f64], truth: &[bool], t: f64) -> (f64, usize) {
    let c = Confusion::at_threshold(scores, truth, t);
    (c.f1().unwrap_or(0.0), c.true_positives + c.false_positives)
}

#[test]
fn best_f1_threshold_matches_brute_force() {
    let mut rng = Lcg(12345);
    for case in 0..300 {
        let n = 1 + case % 40;
        let (scores, truth) = random_case(&mut rng, n);
        let best = metrics::best_f1(&scores, &truth);
        if !truth.iter().any(|&a| a) || !scores.iter().any(|s| s.is_finite()) {
            assert_eq!(best, None);
            continue;
        }
        let best = best.unwrap();
        // Every threshold is equivalent to one of: each score, just above or below it.
        let mut candidates = vec![-1e9, 1e9];
        for &s in scores.iter().filter(|s| s.is_finite()) {
            candidates.extend([s, s - 1e-6, s + 1e-6]);
        }
        let results: Vec<(f64, usize)> = candidates
            .iter()
            .map(|&t| f1_at(&scores, &truth, t))
            .collect();
        let max = results.iter().map(|r| r.0).fold(0.0, f64::max);
        assert_eq!(best.f1, max, "case {case}: {scores:?} {truth:?}");
        // The reported threshold gives that F1 and that confusion matrix.
        let (f1, flagged) = f1_at(&scores, &truth, best.threshold);
        assert_eq!(f1, max, "case {case}");
        assert_eq!(
            Confusion::at_threshold(&scores, &truth, best.threshold),
            best.confusion
        );
        // Among the best, it raises the fewest alarms.
        let fewest = results
            .iter()
            .filter(|r| r.0 == max)
            .map(|r| r.1)
            .min()
            .unwrap();
        assert_eq!(flagged, fewest, "case {case}");
    }
}

#[test]
fn roc_auc_and_average_precision_match_brute_force() {
    let mut rng = Lcg(777);
    for case in 0..200 {
        let n = 2 + case % 30;
        let (scores, truth) = random_case(&mut rng, n);
        let pos: Vec<f64> = (0..n).filter(|&i| truth[i]).map(|i| scores[i]).collect();
        let neg: Vec<f64> = (0..n).filter(|&i| !truth[i]).map(|i| scores[i]).collect();
        // ROC AUC by counting every pair.
        let auc = metrics::roc_auc(&scores, &truth);
        if pos.is_empty() || neg.is_empty() {
            assert_eq!(auc, None);
        } else {
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
            close(auc.unwrap(), wins / (pos.len() * neg.len()) as f64);
        }
        // Average precision from its definition: at each distinct score v (descending), the
        // rows with score ≥ v are flagged.
        let ap = metrics::average_precision(&scores, &truth);
        if pos.is_empty() {
            assert_eq!(ap, None);
            continue;
        }
        let mut distinct = scores.clone();
        distinct.sort_by(|a, b| b.total_cmp(a));
        distinct.dedup();
        let (mut sum, mut previous_recall) = (0.0, 0.0);
        for v in distinct {
            let tp = (0..n).filter(|&i| truth[i] && scores[i] >= v).count() as f64;
            let flagged = (0..n).filter(|&i| scores[i] >= v).count() as f64;
            let recall = tp / pos.len() as f64;
            sum += (recall - previous_recall) * tp / flagged;
            previous_recall = recall;
        }
        close(ap.unwrap(), sum);
    }
}
