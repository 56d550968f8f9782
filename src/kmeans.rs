//! k-means, as scikit-learn's `KMeans(n_init=1)` runs it to initialise a Gaussian mixture:
//! greedy k-means++ seeding, then Lloyd iterations until the labels stop changing or the
//! centres move less than `tol` × the mean feature variance.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::blocks;
use crate::em::Samples;

/// scikit-learn's defaults for `KMeans`.
pub const DEFAULT_MAX_ITER: usize = 300;
/// Relative tolerance on the squared centre shift.
pub const DEFAULT_TOL: f64 = 1e-4;

/// The result of a k-means run.
#[derive(Clone, Debug)]
pub struct KMeans {
    /// The cluster of every row.
    pub labels: Vec<usize>,
    /// K × D centres, row-major.
    pub centers: Vec<f64>,
    /// Lloyd iterations run.
    pub n_iter: usize,
}

#[inline]
fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// `min(current[i], ‖x_i − c‖²)` for every row, in parallel.
fn min_distances(x: Samples<'_>, c: &[f64], current: &[f64]) -> Vec<f64> {
    blocks::map_blocks(x.n_rows(), Vec::new, |out: &mut Vec<f64>, range| {
        out.extend(range.map(|i| current[i].min(squared_distance(x.row(i), c))));
    })
    .concat()
}

/// Greedy k-means++ seeding (scikit-learn's `kmeans_plusplus`): the first centre uniformly
/// at random, then each next one the best of `2 + ⌊ln K⌋` candidates drawn with probability
/// proportional to the squared distance to the nearest centre so far. Returns row indices.
pub fn plus_plus(x: Samples<'_>, k: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    let n = x.n_rows();
    let trials = 2 + (k as f64).ln() as usize;
    let first = rng.random_range(0..n);
    let mut indices = vec![first];
    let mut closest = min_distances(x, x.row(first), &vec![f64::INFINITY; n]);
    let mut potential: f64 = closest.iter().sum();
    let mut cumulative = vec![0.0; n];
    while indices.len() < k {
        let mut acc = 0.0;
        for (c, d) in cumulative.iter_mut().zip(&closest) {
            acc += d;
            *c = acc;
        }
        let mut best: Option<(f64, usize, Vec<f64>)> = None;
        for _ in 0..trials {
            let target = rng.random::<f64>() * potential;
            let candidate = cumulative.partition_point(|&c| c < target).min(n - 1);
            let dist = min_distances(x, x.row(candidate), &closest);
            let pot: f64 = dist.iter().sum();
            if best.as_ref().is_none_or(|(p, _, _)| pot < *p) {
                best = Some((pot, candidate, dist));
            }
        }
        if let Some((pot, candidate, dist)) = best {
            potential = pot;
            closest = dist;
            indices.push(candidate);
        }
    }
    indices
}

/// Per-block sums of one Lloyd step.
struct Assign {
    sums: Vec<f64>,
    counts: Vec<f64>,
    changed: bool,
}

/// Assigns every row to its nearest centre (ties: the lowest index) and sums the rows per
/// cluster. `labels` is updated in place.
fn assign(x: Samples<'_>, centers: &[f64], k: usize, labels: &mut [usize]) -> Assign {
    use rayon::prelude::*;
    let d = x.n_features();
    let size = blocks::block_rows(x.n_rows());
    let parts: Vec<Assign> = labels
        .par_chunks_mut(size)
        .enumerate()
        .map(|(b, block)| {
            let mut part = Assign {
                sums: vec![0.0; k * d],
                counts: vec![0.0; k],
                changed: false,
            };
            for (offset, label) in block.iter_mut().enumerate() {
                let row = x.row(b * size + offset);
                let mut best = (f64::INFINITY, 0);
                for c in 0..k {
                    let dist = squared_distance(row, &centers[c * d..(c + 1) * d]);
                    if dist < best.0 {
                        best = (dist, c);
                    }
                }
                if *label != best.1 {
                    part.changed = true;
                    *label = best.1;
                }
                part.counts[best.1] += 1.0;
                for (s, v) in part.sums[best.1 * d..(best.1 + 1) * d].iter_mut().zip(row) {
                    *s += v;
                }
            }
            part
        })
        .collect();
    let mut total = Assign {
        sums: vec![0.0; k * d],
        counts: vec![0.0; k],
        changed: false,
    };
    for p in parts {
        total.changed |= p.changed;
        for (a, b) in total.sums.iter_mut().zip(&p.sums) {
            *a += b;
        }
        for (a, b) in total.counts.iter_mut().zip(&p.counts) {
            *a += b;
        }
    }
    total
}

/// Mean of each feature's variance: the scale of scikit-learn's k-means tolerance.
fn mean_variance(x: Samples<'_>) -> f64 {
    let (n, d) = (x.n_rows(), x.n_features());
    let mut mean = vec![0.0; d];
    for i in 0..n {
        for (m, v) in mean.iter_mut().zip(x.row(i)) {
            *m += v;
        }
    }
    for m in mean.iter_mut() {
        *m /= n as f64;
    }
    let mut var = 0.0;
    for i in 0..n {
        var += x
            .row(i)
            .iter()
            .zip(&mean)
            .map(|(v, m)| (v - m) * (v - m))
            .sum::<f64>();
    }
    var / (n as f64 * d as f64)
}

/// k-means with k-means++ seeding and Lloyd iterations (scikit-learn's `KMeans` with
/// `n_init=1`, `algorithm="lloyd"`). Empty clusters are moved to the rows farthest from their
/// centres.
pub fn kmeans(x: Samples<'_>, k: usize, max_iter: usize, tol: f64, rng: &mut ChaCha8Rng) -> KMeans {
    let (n, d) = (x.n_rows(), x.n_features());
    let seeds = plus_plus(x, k, rng);
    let mut centers: Vec<f64> = seeds
        .iter()
        .flat_map(|&i| x.row(i).iter().copied())
        .collect();
    let tol = tol * mean_variance(x);
    let mut labels = vec![usize::MAX; n];
    let mut strict = false;
    let mut n_iter = 0;
    for _ in 0..max_iter {
        n_iter += 1;
        let step = assign(x, &centers, k, &mut labels);
        let mut new_centers = step.sums;
        let mut counts = step.counts;
        relocate_empty(x, &centers, &labels, &mut new_centers, &mut counts);
        for c in 0..k {
            if counts[c] > 0.0 {
                for v in &mut new_centers[c * d..(c + 1) * d] {
                    *v /= counts[c];
                }
            } else {
                new_centers[c * d..(c + 1) * d].copy_from_slice(&centers[c * d..(c + 1) * d]);
            }
        }
        let shift: f64 = (0..k)
            .map(|c| {
                squared_distance(
                    &new_centers[c * d..(c + 1) * d],
                    &centers[c * d..(c + 1) * d],
                )
            })
            .sum();
        centers = new_centers;
        if !step.changed {
            strict = true;
            break;
        }
        if shift <= tol {
            break;
        }
    }
    if !strict {
        assign(x, &centers, k, &mut labels);
    }
    KMeans {
        labels,
        centers,
        n_iter,
    }
}

/// scikit-learn's treatment of empty clusters: each takes one of the rows farthest from their
/// assigned centre (farthest first), and that row's contribution leaves its old cluster.
fn relocate_empty(
    x: Samples<'_>,
    centers: &[f64],
    labels: &[usize],
    sums: &mut [f64],
    counts: &mut [f64],
) {
    let d = x.n_features();
    let empty: Vec<usize> = (0..counts.len()).filter(|&c| counts[c] == 0.0).collect();
    if empty.is_empty() {
        return;
    }
    let mut far: Vec<(f64, usize)> = (0..x.n_rows())
        .map(|i| {
            let c = labels[i];
            (squared_distance(x.row(i), &centers[c * d..(c + 1) * d]), i)
        })
        .collect();
    far.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    for (&cluster, &(_, row)) in empty.iter().zip(&far) {
        let old = labels[row];
        for j in 0..d {
            sums[old * d + j] -= x.row(row)[j];
            sums[cluster * d + j] = x.row(row)[j];
        }
        counts[old] -= 1.0;
        counts[cluster] = 1.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn separates_obvious_clusters() {
        // Three tight clusters around 0, 10 and 20 on a line.
        let values: Vec<f64> = (0..90)
            .map(|i| (i % 3) as f64 * 10.0 + (i as f64) * 1e-3)
            .collect();
        let x = Samples::new(&values, 1).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let result = kmeans(x, 3, DEFAULT_MAX_ITER, DEFAULT_TOL, &mut rng);
        for i in 0..90 {
            for j in 0..90 {
                assert_eq!(result.labels[i] == result.labels[j], i % 3 == j % 3);
            }
        }
        let mut centers = result.centers.clone();
        centers.sort_by(f64::total_cmp);
        // Cluster m holds rows i = 3t + m: mean 10m + 1e-3·(3·14.5 + m).
        for (m, c) in centers.iter().enumerate() {
            let expected = 10.0 * m as f64 + 1e-3 * (43.5 + m as f64);
            assert!((c - expected).abs() < 1e-12, "{c} vs {expected}");
        }
    }
}
