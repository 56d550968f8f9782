//! k-means, as scikit-learn's `KMeans(n_init=1)` runs it to initialise a Gaussian mixture:
//! greedy k-means++ seeding, then Lloyd iterations until the labels stop changing or the
//! centres move less than `tol` × the mean feature variance.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use rayon::prelude::*;

use crate::blocks;
use crate::em::Samples;
use crate::kernel::{self, CHUNK_ROWS, Chunk, Vectors};

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

/// The data's mean (rows are centred on it before any distance is computed, as scikit-learn
/// does, so that data far from the origin keeps its precision) and the mean of the features'
/// variances (the scale of the tolerance).
fn mean_and_variance(x: Samples<'_>) -> (Vec<f64>, f64) {
    let (n, d) = (x.n_rows(), x.n_features());
    if n == 0 {
        return (vec![0.0; d], 0.0);
    }
    // One pass of sums shifted by the first row (which keeps the offset of data far from the
    // origin out of the sums of squares).
    let shift = x.row(0);
    let parts = blocks::map_blocks(
        n,
        || vec![0.0; 2 * d],
        |acc, range| {
            let (s1, s2) = acc.split_at_mut(d);
            for v in x.rows(range).chunks_exact(d) {
                for (((a, b), c), o) in s1.iter_mut().zip(s2.iter_mut()).zip(v).zip(shift) {
                    let t = c - o;
                    *a += t;
                    *b += t * t;
                }
            }
        },
    );
    let mut sums = vec![0.0; 2 * d];
    for part in &parts {
        for (s, p) in sums.iter_mut().zip(part) {
            *s += p;
        }
    }
    let n = n as f64;
    let (s1, s2) = sums.split_at(d);
    let mean = s1.iter().zip(shift).map(|(s, o)| o + s / n).collect();
    let var: f64 = s1
        .iter()
        .zip(s2)
        .map(|(a, b)| (b / n - (a / n) * (a / n)).max(0.0))
        .sum();
    (mean, var / d as f64)
}

/// Rows of `x` as vectors centred on `offset`.
fn centred_rows(x: Samples<'_>, rows: &[usize], offset: &[f64]) -> Vec<f64> {
    rows.iter()
        .flat_map(|&i| x.row(i).iter().zip(offset).map(|(v, o)| v - o))
        .collect()
}

/// Squared distances from every row to each of `vectors` (centred rows, as the data is centred
/// on `mean`): `out[i·T + t] = ‖xᵢ − vₜ‖²` for T vectors. One pass over the data.
fn distances_to(x: Samples<'_>, mean: &[f64], vectors: &[f64], out: &mut [f64]) {
    let (n, d) = (x.n_rows(), x.n_features());
    let prepared = Vectors::new(vectors, d);
    let count = vectors.len() / d;
    let size = blocks::block_rows(n);
    out.par_chunks_mut(size * count)
        .zip(blocks::blocks(n))
        .for_each_init(
            || (Chunk::new(d), vec![0.0; prepared.padded_len() * CHUNK_ROWS]),
            |(chunk, dist), (out, range)| {
                for rows in blocks::chunks(range.clone()) {
                    let local = rows.start - range.start;
                    chunk.load_centred(x.rows(rows), mean);
                    kernel::squared_distances(chunk, &prepared, dist);
                    let out = &mut out[local * count..(local + chunk.rows()) * count];
                    for (t, column) in dist.chunks_exact(CHUNK_ROWS).take(count).enumerate() {
                        for (o, v) in out.iter_mut().skip(t).step_by(count).zip(column) {
                            *o = *v;
                        }
                    }
                }
            },
        );
}

/// `Σᵢ min(closest[i], dist[i·T + t])` for every t < T, in blocks merged in order.
fn potentials(closest: &[f64], dist: &[f64], count: usize) -> Vec<f64> {
    let size = blocks::block_rows(closest.len());
    let parts: Vec<Vec<f64>> = closest
        .par_chunks(size)
        .zip(dist.par_chunks(size * count))
        .map(|(c, d)| {
            let mut pots = vec![0.0; count];
            for (a, row) in c.iter().zip(d.chunks_exact(count)) {
                for (p, b) in pots.iter_mut().zip(row) {
                    *p += a.min(*b);
                }
            }
            pots
        })
        .collect();
    let mut total = vec![0.0; count];
    for part in parts {
        for (t, p) in total.iter_mut().zip(part) {
            *t += p;
        }
    }
    total
}

/// Greedy k-means++ seeding (scikit-learn's `kmeans_plusplus`): the first centre uniformly
/// at random, then each next one the best of `2 + ⌊ln K⌋` candidates drawn with probability
/// proportional to the squared distance to the nearest centre so far. Returns row indices.
pub fn plus_plus(x: Samples<'_>, k: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    let (mean, _) = mean_and_variance(x);
    plus_plus_centred(x, k, &mean, rng)
}

/// [`plus_plus`] with the data's mean known. One pass over the data per centre: the
/// distances to all candidates are kept (trials × N values) until the best is chosen.
fn plus_plus_centred(x: Samples<'_>, k: usize, mean: &[f64], rng: &mut ChaCha8Rng) -> Vec<usize> {
    let n = x.n_rows();
    let trials = 2 + (k as f64).ln() as usize;
    let first = rng.random_range(0..n);
    let mut indices = vec![first];
    let mut closest = vec![0.0; n];
    distances_to(x, mean, &centred_rows(x, &[first], mean), &mut closest);
    let mut potential_now = potentials(&closest, &closest, 1)[0];
    let mut cumulative = vec![0.0; n];
    let mut candidate_distances = vec![0.0; if k > 1 { trials * n } else { 0 }];
    while indices.len() < k {
        let mut acc = 0.0;
        for (c, d) in cumulative.iter_mut().zip(&closest) {
            acc += d;
            *c = acc;
        }
        let candidates: Vec<usize> = (0..trials)
            .map(|_| {
                let target = rng.random::<f64>() * potential_now;
                cumulative.partition_point(|&c| c < target).min(n - 1)
            })
            .collect();
        distances_to(
            x,
            mean,
            &centred_rows(x, &candidates, mean),
            &mut candidate_distances,
        );
        let pots = potentials(&closest, &candidate_distances, trials);
        // The first candidate with the lowest potential (scikit-learn's argmin).
        let mut best = 0;
        for (t, p) in pots.iter().enumerate() {
            if *p < pots[best] {
                best = t;
            }
        }
        for (c, row) in closest
            .iter_mut()
            .zip(candidate_distances.chunks_exact(trials))
        {
            *c = c.min(row[best]);
        }
        potential_now = pots[best];
        indices.push(candidates[best]);
    }
    indices
}

/// Per-block sums of one Lloyd step.
struct Assign {
    sums: Vec<f64>,
    counts: Vec<f64>,
    changed: bool,
}

/// Assigns every row to its nearest centre (ties: the lowest index) and sums the rows (centred
/// on `mean`) per cluster. `centers` are centred on `mean`; `labels` is updated in place.
fn assign(x: Samples<'_>, mean: &[f64], centers: &[f64], k: usize, labels: &mut [usize]) -> Assign {
    let d = x.n_features();
    let vectors = Vectors::new(centers, d);
    let size = blocks::block_rows(x.n_rows());
    let parts: Vec<Assign> = labels
        .par_chunks_mut(size)
        .enumerate()
        .map_init(
            || {
                (
                    Chunk::new(d),
                    vec![0.0; vectors.padded_len() * CHUNK_ROWS],
                    vec![0.0; CHUNK_ROWS],
                    vec![0.0; CHUNK_ROWS],
                )
            },
            |(chunk, scratch, nearest, weights), (block, labels)| {
                let mut part = Assign {
                    sums: vec![0.0; k * d],
                    counts: vec![0.0; k],
                    changed: false,
                };
                let start = block * size;
                for (c, rows) in blocks::chunks(start..start + labels.len()).enumerate() {
                    let values = x.rows(rows);
                    chunk.load_centred(values, mean);
                    kernel::nearest_centers(chunk, &vectors, scratch, nearest);
                    let block_labels = &mut labels[c * CHUNK_ROWS..c * CHUNK_ROWS + chunk.rows()];
                    for (label, near) in block_labels.iter_mut().zip(nearest.iter()) {
                        let best = kernel::small_index(*near);
                        part.changed |= *label != best;
                        *label = best;
                    }
                    kernel::add_cluster_sums(
                        chunk,
                        values,
                        mean,
                        nearest,
                        k,
                        weights,
                        &mut part.sums,
                        &mut part.counts,
                    );
                }
                part
            },
        )
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

/// k-means with k-means++ seeding and Lloyd iterations (scikit-learn's `KMeans` with
/// `n_init=1`, `algorithm="lloyd"`). Empty clusters are moved to the rows farthest from their
/// centres.
pub fn kmeans(x: Samples<'_>, k: usize, max_iter: usize, tol: f64, rng: &mut ChaCha8Rng) -> KMeans {
    let (n, d) = (x.n_rows(), x.n_features());
    let (mean, variance) = mean_and_variance(x);
    let seeds = plus_plus_centred(x, k, &mean, rng);
    // Centres are kept centred on the data's mean until the end.
    let mut centers = centred_rows(x, &seeds, &mean);
    let tol = tol * variance;
    let mut labels = vec![usize::MAX; n];
    let mut strict = false;
    let mut n_iter = 0;
    for _ in 0..max_iter {
        n_iter += 1;
        let step = assign(x, &mean, &centers, k, &mut labels);
        let mut new_centers = step.sums;
        let mut counts = step.counts;
        relocate_empty(x, &mean, &centers, &labels, &mut new_centers, &mut counts);
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
        assign(x, &mean, &centers, k, &mut labels);
    }
    for row in centers.chunks_exact_mut(d) {
        for (c, m) in row.iter_mut().zip(&mean) {
            *c += m;
        }
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
    mean: &[f64],
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
    let centred =
        |i: usize| -> Vec<f64> { x.row(i).iter().zip(mean).map(|(v, m)| v - m).collect() };
    let mut far: Vec<(f64, usize)> = (0..x.n_rows())
        .map(|i| {
            let c = labels[i];
            (
                squared_distance(&centred(i), &centers[c * d..(c + 1) * d]),
                i,
            )
        })
        .collect();
    far.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    for (&cluster, &(_, row)) in empty.iter().zip(&far) {
        let old = labels[row];
        let values = centred(row);
        for j in 0..d {
            sums[old * d + j] -= values[j];
            sums[cluster * d + j] = values[j];
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
