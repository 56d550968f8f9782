//! The four `--init` methods start EM where scikit-learn's `_initialize_parameters` does, up to
//! the random draws: responsibilities from the method, then weights, means and covariances
//! estimated from them (`_initialize`). Checked on data whose answer is known by construction:
//! three tight, far-apart clusters of different sizes.
//!
//! One deliberate difference, not visible after the first M-step: for `k-means++` and
//! `random-from-data` (responsibilities on K rows only) scikit-learn divides the estimated
//! counts by N, so its start weights are 1/N each and sum to K/N; gmmc normalises them to 1/K.
//! The responsibilities of the first E-step, and so every parameter after it, are the same;
//! only the first lower bound differs, by ln(N/K).

use gmmc::em::Samples;
use gmmc::init::{InitMethod, initial_mixture};
use gmmc::mixture::Mixture;
use gmmc::model::CovarianceType;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Cluster centres (far apart) and sizes.
const CENTRES: [[f64; 2]; 3] = [[0.0, 0.0], [1000.0, 0.0], [0.0, 1000.0]];
const SIZES: [usize; 3] = [300, 200, 100];
const REG_COVAR: f64 = 1e-6;

/// Rows of the three clusters, interleaved, each within 1 of its centre.
fn data() -> (Vec<f64>, Vec<usize>) {
    let mut values = Vec::new();
    let mut cluster = Vec::new();
    let mut left = SIZES;
    let mut i = 0usize;
    while left.iter().any(|&n| n > 0) {
        for c in 0..3 {
            if left[c] > 0 {
                left[c] -= 1;
                let t = i as f64;
                values.push(CENTRES[c][0] + (t * 0.7).sin());
                values.push(CENTRES[c][1] + (t * 1.3).cos());
                cluster.push(c);
                i += 1;
            }
        }
    }
    (values, cluster)
}

fn start(method: InitMethod, cov: CovarianceType, seed: u64) -> (Mixture, Vec<f64>) {
    let (values, _) = data();
    let x = Samples::new(&values, 2).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mix = initial_mixture(method, cov, 3, x, REG_COVAR, &mut rng)
        .unwrap()
        .mixture;
    (mix, values)
}

/// Index of the row equal (to rounding) to `mean`, if any.
fn row_of(mean: &[f64], values: &[f64]) -> Option<usize> {
    values.chunks(2).position(|row| {
        row.iter()
            .zip(mean)
            .all(|(a, b)| (a - b).abs() <= 1e-13 * a.abs().max(1.0))
    })
}

fn nearest_cluster(mean: &[f64]) -> usize {
    (0..3)
        .min_by(|&a, &b| {
            let d = |c: usize| (mean[0] - CENTRES[c][0]).hypot(mean[1] - CENTRES[c][1]);
            d(a).total_cmp(&d(b))
        })
        .unwrap()
}

/// `random-from-data` and `k-means++`: each component starts on one row, alone, with
/// covariance reg_covar·I (precision factor 1/√1e-6 = 1000) and weight 1/K; the rows are
/// distinct. k-means++ (greedy, as scikit-learn's) puts its seeds in three different clusters
/// here: any row of another cluster is ~10⁶ times likelier than one of the same.
#[test]
fn seed_rows_start_one_component_each() {
    for method in [InitMethod::RandomFromData, InitMethod::KMeansPlusPlus] {
        for seed in 0..20 {
            let (mix, values) = start(method, CovarianceType::Diag, seed);
            let rows: Vec<usize> = (0..3)
                .map(|k| {
                    row_of(mix.mean(k), &values)
                        .unwrap_or_else(|| panic!("{method} seed {seed}: mean {k} is not a row"))
                })
                .collect();
            let mut distinct = rows.clone();
            distinct.sort();
            distinct.dedup();
            assert_eq!(distinct.len(), 3, "{method} seed {seed}: rows {rows:?}");
            for f in &mix.factors {
                assert!((f - 1000.0).abs() < 1e-6, "{method} seed {seed}: {f}");
            }
            for w in &mix.weights {
                assert!((w - 1.0 / 3.0).abs() < 1e-15);
            }
            if method == InitMethod::KMeansPlusPlus {
                let mut clusters: Vec<usize> =
                    (0..3).map(|k| nearest_cluster(mix.mean(k))).collect();
                clusters.sort();
                assert_eq!(clusters, [0, 1, 2], "seed {seed}");
            }
        }
    }
    // Different seeds pick different rows.
    let (a, _) = start(InitMethod::RandomFromData, CovarianceType::Diag, 0);
    let (b, _) = start(InitMethod::RandomFromData, CovarianceType::Diag, 1);
    assert_ne!(a.means, b.means);
}

/// `kmeans`: k-means finds the three clusters, and each component starts from its cluster's
/// rows: mean and covariance of those rows (plus reg_covar), weight = cluster size / N.
#[test]
fn kmeans_starts_from_the_clusters() {
    let (values, cluster) = data();
    let n = cluster.len() as f64;
    for seed in 0..5 {
        let (mix, _) = start(InitMethod::KMeans, CovarianceType::Diag, seed);
        for k in 0..3 {
            let c = nearest_cluster(mix.mean(k));
            let rows: Vec<&[f64]> = values
                .chunks(2)
                .zip(&cluster)
                .filter(|(_, owner)| **owner == c)
                .map(|(row, _)| row)
                .collect();
            let m = rows.len() as f64;
            assert!((mix.weights[k] - m / n).abs() < 1e-12, "seed {seed}");
            for j in 0..2 {
                let mean = rows.iter().map(|r| r[j]).sum::<f64>() / m;
                let var = rows.iter().map(|r| (r[j] - mean).powi(2)).sum::<f64>() / m + REG_COVAR;
                assert!((mix.mean(k)[j] - mean).abs() < 1e-9, "seed {seed}");
                let factor = mix.factor(k)[j];
                assert!(
                    (factor - 1.0 / var.sqrt()).abs() < 1e-9 * factor,
                    "seed {seed}: {factor} vs {}",
                    1.0 / var.sqrt()
                );
            }
        }
    }
}

/// `random`: uniform random responsibilities, normalised per row. Each component then holds
/// about N/K rows' worth of every cluster: weights near 1/K and means near the mean of all
/// rows (with 600 rows the spread is ~1 % of the data's; the bounds allow 5 %).
#[test]
fn random_responsibilities_start_every_component_near_the_whole_data() {
    let (values, _) = data();
    let n = values.len() as f64 / 2.0;
    let centre: Vec<f64> = (0..2)
        .map(|j| values.chunks(2).map(|r| r[j]).sum::<f64>() / n)
        .collect();
    let spread = 1000.0;
    for seed in 0..5 {
        let (mix, _) = start(InitMethod::Random, CovarianceType::Full, seed);
        for k in 0..3 {
            assert!(
                (mix.weights[k] - 1.0 / 3.0).abs() < 0.05,
                "{:?}",
                mix.weights
            );
            for j in 0..2 {
                assert!(
                    (mix.mean(k)[j] - centre[j]).abs() < 0.05 * spread,
                    "seed {seed}: {:?} vs {centre:?}",
                    mix.mean(k)
                );
            }
        }
        assert!((mix.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }
}
