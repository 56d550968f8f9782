//! k-means, as scikit-learn's `KMeans(n_init=1)` runs it to initialise a Gaussian mixture:
//! greedy k-means++ seeding, then Lloyd iterations until the labels stop changing or the
//! centres move less than `tol` × the mean feature variance.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use rayon::prelude::*;

use crate::blocks;
use crate::em::Samples;
use crate::kernel::{self, CHUNK_ROWS, Chunk, Vectors};

/// Rows k-means loads into a chunk at a time: at most 16 KiB of values (a whole chunk up to
/// 16 features, half of one at 32), which measured faster for its short per-row work than
/// whole chunks of many features (the EM kernels do more per row and prefer whole ones).
fn kmeans_rows(d: usize) -> usize {
    (2048 / d.max(1)).clamp(32, CHUNK_ROWS) / 32 * 32
}

/// scikit-learn's defaults for `KMeans`.
pub const DEFAULT_MAX_ITER: usize = 300;
/// Relative tolerance on the squared centre shift.
pub const DEFAULT_TOL: f64 = 1e-4;

/// The result of a k-means run.
#[derive(Clone, Debug)]
pub struct KMeans {
    /// The cluster of every row.
    pub labels: Vec<u32>,
    /// K × D centres, row-major.
    pub centers: Vec<f64>,
    /// Lloyd iterations run.
    pub n_iter: usize,
    /// Rows whose distances to the centres were computed, summed over the assignment steps
    /// (plain Lloyd iterations compute every row's: N per step).
    pub rows_recomputed: usize,
}

#[inline]
fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// What the first pass over the data gives: the data's mean (rows are centred on it before
/// any distance is computed, as scikit-learn does, so that data far from the origin keeps its
/// precision), the mean of the features' variances (the scale of the tolerance), and every
/// row's squared distance to the first k-means++ centre with their sums.
struct FirstPass {
    mean: Vec<f64>,
    variance: f64,
    potentials: Potentials,
}

/// The first pass, about row `first` (the first centre): the rows are loaded centred on it,
/// which gives their squared distances to it directly, and sums shifted by it (which keep the
/// offset of data far from the origin out of the sums of squares).
fn first_pass(x: Samples<'_>, first: usize) -> FirstPass {
    let (n, d) = (x.n_rows(), x.n_features());
    let centre = x.row(first);
    let mut closest = vec![0.0; n];
    let size = blocks::block_rows(n);
    // Per block: Σ(x − c) per feature, Σ(x − c)² per feature, and Σ‖x − c‖².
    let parts: Vec<Vec<f64>> = closest
        .par_chunks_mut(size)
        .zip(blocks::blocks(n))
        .map_init(
            || Chunk::for_distances(d),
            |chunk, (closest, range)| {
                let mut acc = vec![0.0; 2 * d + 1];
                let (sums, rest) = acc.split_at_mut(d);
                let (squares, potential) = rest.split_at_mut(d);
                for rows in blocks::chunks_of(range.clone(), kmeans_rows(d)) {
                    let local = rows.start - range.start;
                    let m = rows.len();
                    chunk.load_centred(x.rows(rows), centre);
                    kernel::add_feature_sums(chunk, sums, squares, &mut closest[local..local + m]);
                }
                potential[0] = closest.iter().sum();
                acc
            },
        )
        .collect();
    let block_sums = parts.iter().map(|p| p[2 * d]).collect();
    let mut total = vec![0.0; 2 * d + 1];
    for part in &parts {
        for (s, p) in total.iter_mut().zip(part) {
            *s += p;
        }
    }
    let count = n as f64;
    let (s1, rest) = total.split_at(d);
    let (s2, potential) = rest.split_at(d);
    let mean = s1.iter().zip(centre).map(|(s, o)| o + s / count).collect();
    let variance = s1
        .iter()
        .zip(s2)
        .map(|(a, b)| (b / count - (a / count) * (a / count)).max(0.0))
        .sum::<f64>()
        / d as f64;
    FirstPass {
        mean,
        variance,
        potentials: Potentials {
            closest,
            last: None,
            block_sums,
            potential: potential[0],
        },
    }
}

/// Rows of `x` as vectors centred on `offset`.
fn centred_rows(x: Samples<'_>, rows: &[usize], offset: &[f64]) -> Vec<f64> {
    rows.iter()
        .flat_map(|&i| x.row(i).iter().zip(offset).map(|(v, o)| v - o))
        .collect()
}

/// The k-means++ state between two rounds. `closest[i]` is row i's squared distance to the
/// nearest centre chosen so far, except the last one chosen (`last`, centred on the data's
/// mean), whose distances the next pass over the data folds in while it computes the next
/// candidates' (so no round keeps more than its own potentials). `block_sums` are the blocks'
/// sums, row by row, of the distances to the nearest centre *including* `last`, and
/// `potential` is their sum in block order.
struct Potentials {
    closest: Vec<f64>,
    last: Option<Vec<f64>>,
    block_sums: Vec<f64>,
    potential: f64,
}

/// One pass over the data for the candidates `candidates` (T centred rows): folds the last
/// centre's distances into `closest`, and returns per block (in block order) per candidate t
/// the block's `Σᵢ min(closest[i], ‖xᵢ − vₜ‖²)`, summed row by row.
fn candidate_potentials(
    x: Samples<'_>,
    mean: &[f64],
    closest: &mut [f64],
    last: Option<&[f64]>,
    candidates: &[f64],
) -> Vec<Vec<f64>> {
    let (n, d) = (x.n_rows(), x.n_features());
    let count = candidates.len() / d;
    // The last centre, if any, is vector 0 and the candidates follow.
    let first = usize::from(last.is_some());
    let vectors: Vec<f64> = last
        .unwrap_or(&[])
        .iter()
        .chain(candidates)
        .copied()
        .collect();
    let prepared = Vectors::new(&vectors, d);
    let size = blocks::block_rows(n);
    closest
        .par_chunks_mut(size)
        .zip(blocks::blocks(n))
        .map_init(
            || {
                (
                    Chunk::for_distances(d),
                    vec![0.0; prepared.padded_len() * CHUNK_ROWS],
                )
            },
            |(chunk, dist), (closest, range)| {
                let mut pots = vec![0.0; count];
                for rows in blocks::chunks_of(range.clone(), kmeans_rows(d)) {
                    let local = rows.start - range.start;
                    let closest = &mut closest[local..local + rows.len()];
                    chunk.load_centred(x.rows(rows), mean);
                    kernel::squared_distances(chunk, &prepared, dist);
                    if first == 1 {
                        for (c, v) in closest.iter_mut().zip(dist.iter()) {
                            *c = c.min(*v);
                        }
                    }
                    for (t, pot) in pots.iter_mut().enumerate() {
                        let column = &dist[(first + t) * CHUNK_ROWS..];
                        for (c, v) in closest.iter().zip(column) {
                            *pot += c.min(*v);
                        }
                    }
                }
                pots
            },
        )
        .collect()
}

/// For each of `targets`, the first row at which the running sum of the rows' distances to
/// their nearest centre reaches it (the last row if none does): the k-means++ draw of the next
/// candidates.
///
/// The running sum adds the blocks' sums in block order and then a block's rows one by one,
/// as [`candidate_potentials`] summed them (so it depends on the number of rows only, not on
/// the threads). Each target scans one block (or, where rounding puts it past a block's end,
/// the following ones), computing that block's distances to the last centre; the targets run
/// in parallel.
fn draw(x: Samples<'_>, mean: &[f64], state: &Potentials, targets: &[f64]) -> Vec<usize> {
    let (n, d) = (x.n_rows(), x.n_features());
    let mut before = Vec::with_capacity(state.block_sums.len());
    let mut acc = 0.0;
    for s in &state.block_sums {
        before.push(acc);
        acc += s;
    }
    let last = state.last.as_deref().map(|v| Vectors::new(v, d));
    let blocks = blocks::blocks(n);
    targets
        .par_iter()
        .map(|&target| {
            // The last block that starts below the target.
            let first = before.partition_point(|&b| b < target).saturating_sub(1);
            let mut acc = before.get(first).copied().unwrap_or(0.0);
            let mut chunk = Chunk::for_distances(d);
            let mut dist = vec![0.0; last.as_ref().map_or(0, |v| v.padded_len()) * CHUNK_ROWS];
            for range in blocks.iter().skip(first) {
                for rows in blocks::chunks_of(range.clone(), kmeans_rows(d)) {
                    let closest = &state.closest[rows.clone()];
                    if let Some(last) = &last {
                        chunk.load_centred(x.rows(rows.clone()), mean);
                        kernel::squared_distances(&chunk, last, &mut dist);
                    }
                    for (j, c) in closest.iter().enumerate() {
                        acc += match last {
                            Some(_) => c.min(dist[j]),
                            None => *c,
                        };
                        if acc >= target {
                            return rows.start + j;
                        }
                    }
                }
            }
            n.saturating_sub(1)
        })
        .collect()
}

/// Greedy k-means++ seeding (scikit-learn's `kmeans_plusplus`): the first centre uniformly
/// at random, then each next one the best of `2 + ⌊ln K⌋` candidates drawn with probability
/// proportional to the squared distance to the nearest centre so far. Returns row indices.
pub fn plus_plus(x: Samples<'_>, k: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    let first = rng.random_range(0..x.n_rows());
    let pass = first_pass(x, first);
    plus_plus_from(x, k, first, &pass.mean, pass.potentials, rng).0
}

/// [`plus_plus`] after the first centre (row `first`, whose distances to every row are in
/// `state`), the data's mean known. One pass over the data per centre. Returns the seeds and
/// the N-value `closest` buffer, for Lloyd's iterations to reuse (fresh memory costs a page
/// fault per 4 KiB).
fn plus_plus_from(
    x: Samples<'_>,
    k: usize,
    first: usize,
    mean: &[f64],
    mut state: Potentials,
    rng: &mut ChaCha8Rng,
) -> (Vec<usize>, Vec<f64>) {
    let trials = 2 + (k as f64).ln() as usize;
    let mut indices = vec![first];
    while indices.len() < k {
        let targets: Vec<f64> = (0..trials)
            .map(|_| rng.random::<f64>() * state.potential)
            .collect();
        let candidates = draw(x, mean, &state, &targets);
        let centred = centred_rows(x, &candidates, mean);
        let per_block =
            candidate_potentials(x, mean, &mut state.closest, state.last.as_deref(), &centred);
        let mut pots = vec![0.0; trials];
        for part in &per_block {
            for (t, p) in pots.iter_mut().zip(part) {
                *t += p;
            }
        }
        // The first candidate with the lowest potential (scikit-learn's argmin).
        let mut best = 0;
        for (t, p) in pots.iter().enumerate() {
            if *p < pots[best] {
                best = t;
            }
        }
        state.potential = pots[best];
        state.block_sums = per_block.iter().map(|p| p[best]).collect();
        let d = x.n_features();
        state.last = Some(centred[best * d..(best + 1) * d].to_vec());
        indices.push(candidates[best]);
    }
    (indices, state.closest)
}

/// What the bounds of a row in a centre's cluster need from the last Lloyd step (one per
/// centre, by index): how far the centres moved and how close they now are, which tells
/// [`Lloyd`] which rows cannot have changed cluster.
#[derive(Clone, Copy)]
struct CentreMove {
    /// `‖cₐ(new) − cₐ(old)‖`, rounded up.
    shift: f64,
    /// The largest shift of the other centres.
    other_shift: f64,
    /// The distance to the nearest other centre, rounded down.
    gap: f64,
    /// `2·slack·(2‖cₐ‖² + max ‖c‖²)`: with `4·slack·u²`, a bound on twice the rounding error
    /// of a computed squared distance for a row within `u` of cₐ (whose norm is at most
    /// `‖cₐ‖ + u`, and `(a + b)² ≤ 2a² + 2b²`).
    margin: f64,
}

/// Per block of rows, the sums of its rows (centred on the data's mean) and their numbers per
/// cluster, kept in step with the rows' labels.
#[derive(Clone)]
struct BlockSums {
    sums: Vec<f64>,
    counts: Vec<f64>,
}

/// The label of a row not assigned yet.
const UNASSIGNED: f64 = -1.0;

/// A chunk with more than 1/DENSE of its rows to recompute is recomputed whole.
const DENSE: usize = 4;

/// Every how many rows a chunk's bounds are sampled before they are all tested.
const SAMPLE_STRIDE: usize = 16;

/// Lloyd's iterations with Hamerly's bounds: per row an upper bound on the distance to its
/// centre and a lower bound on the distance to every other centre. A row whose bounds (moved
/// by how far the centres moved) still show its centre nearest — by more than the rounding
/// error of a computed distance — keeps its label without its values being read; the others
/// get all their distances computed. Cluster sums are kept per block and changed only for the
/// rows that change cluster, so later iterations, when few rows are near a boundary, cost a
/// small fraction of a pass over the data. The labels are those plain Lloyd iterations would
/// give from the same centres.
struct Lloyd<'a> {
    x: Samples<'a>,
    mean: &'a [f64],
    k: usize,
    /// Per row its cluster (an exact f64, as the kernels use it), or [`UNASSIGNED`].
    labels: Vec<f64>,
    /// Per row the upper bound (first N values) and the lower bound (next N).
    bounds: Vec<f64>,
    blocks: Vec<BlockSums>,
    /// Relative rounding slack of a computed distance or bound.
    slack: f64,
}

/// What one assignment step did.
struct Step {
    /// Whether any label changed.
    changed: bool,
    /// How many rows had their distances computed.
    recomputed: usize,
}

impl<'a> Lloyd<'a> {
    /// The state before the first step, the labels in the buffer `labels` (N values, whose
    /// contents do not matter).
    fn new(x: Samples<'a>, mean: &'a [f64], k: usize, mut labels: Vec<f64>) -> Lloyd<'a> {
        let (n, d) = (x.n_rows(), x.n_features());
        labels.fill(UNASSIGNED);
        let count = blocks::blocks(n).len();
        Lloyd {
            x,
            mean,
            k,
            labels,
            bounds: vec![0.0; 2 * n],
            blocks: vec![
                BlockSums {
                    sums: vec![0.0; k * d],
                    counts: vec![0.0; k],
                };
                count
            ],
            slack: 8.0 * (d as f64 + 4.0) * f64::EPSILON,
        }
    }

    /// One assignment step: every row to its nearest centre (ties: the lowest index). With
    /// `moves`, the bounds decide which rows need their distances; without, all do.
    fn assign(&mut self, centers: &[f64], moves: Option<&[CentreMove]>) -> Step {
        let (x, mean, k) = (self.x, self.mean, self.k);
        let (n, d) = (x.n_rows(), x.n_features());
        let vectors = Vectors::new(centers, d);
        let max_norm = centers
            .chunks_exact(d)
            .map(|c| c.iter().map(|v| v * v).sum::<f64>().sqrt())
            .fold(0.0, f64::max)
            * (1.0 + self.slack);
        let size = blocks::block_rows(n);
        let slack = self.slack;
        let (upper, rest) = self.bounds.split_at_mut(n);
        let lower = &mut rest[..n];
        self.labels
            .par_chunks_mut(size)
            .zip(upper.par_chunks_mut(size))
            .zip(lower.par_chunks_mut(size))
            .zip(self.blocks.par_iter_mut())
            .enumerate()
            .map_init(
                || Scratch {
                    chunk: Chunk::for_distances(d),
                    dist: vec![0.0; vectors.padded_len() * CHUNK_ROWS],
                    values: Vec::with_capacity(CHUNK_ROWS * d),
                    rows: Vec::with_capacity(CHUNK_ROWS),
                    weights: vec![0.0; CHUNK_ROWS],
                },
                |scratch, (block, (((labels, upper), lower), sums))| {
                    let mut state = Block {
                        labels,
                        upper,
                        lower,
                        sums,
                        scratch,
                        vectors: &vectors,
                        mean,
                        k,
                        d,
                        slack,
                        max_norm,
                        step: Step {
                            changed: false,
                            recomputed: 0,
                        },
                    };
                    state.run(x, block * size, moves);
                    state.step
                },
            )
            .reduce(
                || Step {
                    changed: false,
                    recomputed: 0,
                },
                |a, b| Step {
                    changed: a.changed | b.changed,
                    recomputed: a.recomputed + b.recomputed,
                },
            )
    }

    /// The sums and counts of all rows per cluster, the blocks' added in block order.
    fn totals(&self) -> (Vec<f64>, Vec<f64>) {
        let d = self.x.n_features();
        let mut sums = vec![0.0; self.k * d];
        let mut counts = vec![0.0; self.k];
        for b in &self.blocks {
            for (a, v) in sums.iter_mut().zip(&b.sums) {
                *a += v;
            }
            for (a, v) in counts.iter_mut().zip(&b.counts) {
                *a += v;
            }
        }
        (sums, counts)
    }

    /// The moves from `old` to `new` centres (K × D each).
    fn moves(&self, old: &[f64], new: &[f64]) -> Vec<CentreMove> {
        let d = self.x.n_features();
        let up = 1.0 + self.slack;
        let down = 1.0 - self.slack;
        let shift: Vec<f64> = old
            .chunks_exact(d)
            .zip(new.chunks_exact(d))
            .map(|(a, b)| squared_distance(a, b).sqrt() * up)
            .collect();
        // The largest and second largest shifts.
        let (mut first, mut second) = (0, None);
        for c in 1..shift.len() {
            if shift[c] > shift[first] {
                second = Some(first);
                first = c;
            } else if second.is_none_or(|s: usize| shift[c] > shift[s]) {
                second = Some(c);
            }
        }
        let centres: Vec<&[f64]> = new.chunks_exact(d).collect();
        let norm: Vec<f64> = centres
            .iter()
            .map(|c| c.iter().map(|v| v * v).sum::<f64>().sqrt() * up)
            .collect();
        let max_norm = norm.iter().copied().fold(0.0, f64::max);
        (0..self.k)
            .map(|a| {
                let other = if a == first { second } else { Some(first) };
                let nearest = (0..self.k)
                    .filter(|&j| j != a)
                    .map(|j| squared_distance(centres[a], centres[j]))
                    .fold(f64::INFINITY, f64::min);
                CentreMove {
                    shift: shift[a],
                    other_shift: other.map_or(0.0, |j| shift[j]),
                    gap: nearest.sqrt() * down,
                    margin: 2.0 * self.slack * (2.0 * norm[a] * norm[a] + max_norm * max_norm),
                }
            })
            .collect()
    }
}

/// Buffers a thread reuses across the blocks of [`Lloyd::assign`].
struct Scratch {
    chunk: Chunk,
    /// Squared distances of a chunk's rows.
    dist: Vec<f64>,
    /// Rows to recompute, gathered (row-major).
    values: Vec<f64>,
    /// Their block-local indices.
    rows: Vec<usize>,
    /// For [`kernel::move_rows`].
    weights: Vec<f64>,
}

/// One block's part of [`Lloyd::assign`].
struct Block<'s> {
    labels: &'s mut [f64],
    upper: &'s mut [f64],
    lower: &'s mut [f64],
    sums: &'s mut BlockSums,
    scratch: &'s mut Scratch,
    vectors: &'s Vectors,
    mean: &'s [f64],
    k: usize,
    d: usize,
    /// Relative rounding slack (see [`Lloyd`]).
    slack: f64,
    /// The largest `‖c‖` of the centres, rounded up.
    max_norm: f64,
    step: Step,
}

impl Block<'_> {
    /// The block's rows, which start at row `start` of `x`.
    fn run(&mut self, x: Samples<'_>, start: usize, moves: Option<&[CentreMove]>) {
        let d = self.d;
        for range in blocks::chunks_of(start..start + self.labels.len(), kmeans_rows(d)) {
            let local = range.start - start;
            let all = x.rows(range.clone());
            let Some(moves) = moves else {
                self.recompute(all, Rows::Run(local));
                continue;
            };
            // A chunk where most of a sample of rows need recomputing is recomputed whole
            // without testing the others (early iterations, when the centres move far).
            if self.mostly_stale(local..local + range.len(), moves) {
                self.recompute(all, Rows::Run(local));
                continue;
            }
            let before = self.scratch.rows.len();
            self.check_bounds(local..local + range.len(), moves);
            // Many rows to recompute: the whole chunk, from where it lies, costs less than
            // copying them (recomputing a row that keeps its label changes nothing but its
            // bounds, which get tighter).
            if (self.scratch.rows.len() - before) * DENSE > range.len() {
                self.scratch.rows.truncate(before);
                self.recompute(all, Rows::Run(local));
                continue;
            }
            for r in before..self.scratch.rows.len() {
                let i = self.scratch.rows[r] - local;
                self.scratch
                    .values
                    .extend_from_slice(&all[i * d..(i + 1) * d]);
            }
            if self.scratch.rows.len() >= CHUNK_ROWS {
                self.flush();
            }
        }
        self.flush();
    }

    /// Recomputes the gathered rows.
    fn flush(&mut self) {
        let values = std::mem::take(&mut self.scratch.values);
        let rows = std::mem::take(&mut self.scratch.rows);
        for (v, r) in values
            .chunks(CHUNK_ROWS * self.d)
            .zip(rows.chunks(CHUNK_ROWS))
        {
            self.recompute(v, Rows::List(r));
        }
        self.scratch.values = values;
        self.scratch.values.clear();
        self.scratch.rows = rows;
        self.scratch.rows.clear();
    }

    /// A row's bounds `(upper, lower)` moved by the centres' moves, and whether they still
    /// prove its label (never for a row without one).
    #[inline]
    fn moved(&self, label: f64, upper: f64, lower: f64, moves: &[CentreMove]) -> (f64, f64, bool) {
        let Some(c) = moves.get(kernel::small_index(label)) else {
            return (upper, lower, false);
        };
        let u = (upper + c.shift) * (1.0 + self.slack);
        let l = ((lower - c.other_shift) * (1.0 - self.slack)).max(0.0);
        // Every other centre j: ‖x − cⱼ‖ ≥ ‖cₐ − cⱼ‖ − ‖x − cₐ‖ ≥ gap − upper.
        let bound = l.max(c.gap - u);
        (
            u,
            l,
            u * u * (1.0 + 4.0 * self.slack) + c.margin < bound * bound,
        )
    }

    /// Whether more than 1/[`DENSE`] of every [`SAMPLE_STRIDE`]-th row of `rows` would need
    /// recomputing (the bounds are not changed).
    fn mostly_stale(&self, rows: std::ops::Range<usize>, moves: &[CentreMove]) -> bool {
        let (mut tested, mut stale) = (0, 0);
        for i in rows.step_by(SAMPLE_STRIDE) {
            let (_, _, proven) = self.moved(self.labels[i], self.upper[i], self.lower[i], moves);
            tested += 1;
            stale += usize::from(!proven);
        }
        stale * DENSE > tested
    }

    /// Moves the bounds of the rows `rows` by the centres' moves, and queues those whose
    /// bounds no longer prove their label.
    fn check_bounds(&mut self, rows: std::ops::Range<usize>, moves: &[CentreMove]) {
        for i in rows {
            let (u, l, proven) = self.moved(self.labels[i], self.upper[i], self.lower[i], moves);
            self.upper[i] = u;
            self.lower[i] = l;
            if !proven {
                self.scratch.rows.push(i);
            }
        }
    }

    /// Computes all distances of the rows `rows` whose values are `values` (row-major), and
    /// updates their labels, bounds and the block's sums.
    fn recompute(&mut self, values: &[f64], rows: Rows<'_>) {
        let m = values.len() / self.d;
        self.step.recomputed += m;
        let scratch = &mut *self.scratch;
        scratch.chunk.load_centred(values, self.mean);
        let mut nearest = [0.0; CHUNK_ROWS];
        let mut upper = [0.0; CHUNK_ROWS];
        let mut lower = [0.0; CHUNK_ROWS];
        kernel::nearest_with_bounds(
            &scratch.chunk,
            self.vectors,
            self.slack,
            self.max_norm,
            &mut scratch.dist,
            &mut nearest,
            &mut upper,
            &mut lower,
        );
        let mut old = [UNASSIGNED; CHUNK_ROWS];
        let mut changes = 0;
        match rows {
            Rows::Run(start) => {
                self.upper[start..start + m].copy_from_slice(&upper[..m]);
                self.lower[start..start + m].copy_from_slice(&lower[..m]);
                for ((label, o), n) in self.labels[start..start + m]
                    .iter_mut()
                    .zip(old.iter_mut())
                    .zip(&nearest)
                {
                    *o = *label;
                    changes += usize::from(*label != *n);
                    *label = *n;
                }
            }
            Rows::List(list) => {
                for (j, &i) in list.iter().enumerate() {
                    self.upper[i] = upper[j];
                    self.lower[i] = lower[j];
                    old[j] = self.labels[i];
                    changes += usize::from(old[j] != nearest[j]);
                    self.labels[i] = nearest[j];
                }
            }
        }
        if changes == 0 {
            return;
        }
        self.step.changed = true;
        kernel::move_rows(
            &scratch.chunk,
            values,
            self.mean,
            &old,
            &nearest,
            changes,
            self.k,
            &mut scratch.weights,
            &mut self.sums.sums,
            &mut self.sums.counts,
        );
    }
}

/// The rows [`Block::recompute`] works on (block-local indices): a run from a start, or a list.
#[derive(Clone, Copy)]
enum Rows<'r> {
    Run(usize),
    List(&'r [usize]),
}

/// k-means with k-means++ seeding and Lloyd iterations (scikit-learn's `KMeans` with
/// `n_init=1`, `algorithm="lloyd"`; the iterations skip the rows that provably keep their
/// cluster, see [`Lloyd`]). Empty clusters are moved to the rows farthest from their centres.
pub fn kmeans(x: Samples<'_>, k: usize, max_iter: usize, tol: f64, rng: &mut ChaCha8Rng) -> KMeans {
    let d = x.n_features();
    let first = rng.random_range(0..x.n_rows());
    let FirstPass {
        mean,
        variance,
        potentials,
    } = first_pass(x, first);
    let (seeds, closest) = plus_plus_from(x, k, first, &mean, potentials, rng);
    // Centres are kept centred on the data's mean until the end.
    let mut centers = centred_rows(x, &seeds, &mean);
    let tol = tol * variance;
    let mut lloyd = Lloyd::new(x, &mean, k, closest);
    let mut moves: Option<Vec<CentreMove>> = None;
    let mut strict = false;
    let mut n_iter = 0;
    let mut rows_recomputed = 0;
    // After a step whose bounds spared almost no row, the next step computes every row without
    // testing the bounds (which it resets to exact values); the step after it tests them again.
    let mut dense = false;
    for _ in 0..max_iter {
        n_iter += 1;
        let bounded = if dense { None } else { moves.as_deref() };
        let step = lloyd.assign(&centers, bounded);
        dense = bounded.is_some() && step.recomputed * 10 > x.n_rows() * 9;
        rows_recomputed += step.recomputed;
        let (mut new_centers, mut counts) = lloyd.totals();
        relocate_empty(
            x,
            &mean,
            &centers,
            &lloyd.labels,
            &mut new_centers,
            &mut counts,
        );
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
        moves = Some(lloyd.moves(&centers, &new_centers));
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
        rows_recomputed += lloyd.assign(&centers, moves.as_deref()).recomputed;
    }
    for row in centers.chunks_exact_mut(d) {
        for (c, m) in row.iter_mut().zip(&mean) {
            *c += m;
        }
    }
    KMeans {
        labels: lloyd
            .labels
            .iter()
            .map(|&l| kernel::small_index(l) as u32)
            .collect(),
        centers,
        n_iter,
        rows_recomputed,
    }
}

/// scikit-learn's treatment of empty clusters: each takes one of the rows farthest from their
/// assigned centre (farthest first), and that row's contribution leaves its old cluster.
fn relocate_empty(
    x: Samples<'_>,
    mean: &[f64],
    centers: &[f64],
    labels: &[f64],
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
            let c = kernel::small_index(labels[i]);
            (
                squared_distance(&centred(i), &centers[c * d..(c + 1) * d]),
                i,
            )
        })
        .collect();
    far.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    for (&cluster, &(_, row)) in empty.iter().zip(&far) {
        let old = kernel::small_index(labels[row]);
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

    /// Overlapping Gaussian blobs: `k` centres uniform in the unit cube (plus `offset` on
    /// every feature), spreads 0.05–0.3.
    fn blobs(n: usize, d: usize, k: usize, offset: f64, seed: u64) -> Vec<f64> {
        use rand::RngExt;
        use rand_distr::StandardNormal;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let centres: Vec<f64> = (0..k * d).map(|_| rng.random::<f64>() - 0.5).collect();
        let spreads: Vec<f64> = (0..k).map(|_| 0.05 + 0.25 * rng.random::<f64>()).collect();
        let mut values = Vec::with_capacity(n * d);
        for _ in 0..n {
            let c = rng.random_range(0..k);
            for j in 0..d {
                let z: f64 = rng.sample(StandardNormal);
                values.push(offset + centres[c * d + j] + spreads[c] * z);
            }
        }
        values
    }

    /// Plain Lloyd iterations, brute force: every distance computed as `Σ (x − c)²` every
    /// iteration, centres the means of their clusters (no cluster empties on this data).
    fn plain_lloyd(values: &[f64], d: usize, seeds: &[usize], tol: f64) -> (Vec<u32>, usize) {
        let n = values.len() / d;
        let k = seeds.len();
        let row = |i: usize| &values[i * d..(i + 1) * d];
        let mean: Vec<f64> = (0..d)
            .map(|j| (0..n).map(|i| row(i)[j]).sum::<f64>() / n as f64)
            .collect();
        let variance = (0..d)
            .map(|j| (0..n).map(|i| (row(i)[j] - mean[j]).powi(2)).sum::<f64>() / n as f64)
            .sum::<f64>()
            / d as f64;
        let mut centers: Vec<f64> = seeds.iter().flat_map(|&i| row(i).to_vec()).collect();
        let mut labels = vec![u32::MAX; n];
        let nearest = |centers: &[f64], i: usize| -> u32 {
            let mut best = (f64::INFINITY, 0);
            for c in 0..k {
                let dist = squared_distance(row(i), &centers[c * d..(c + 1) * d]);
                if dist < best.0 {
                    best = (dist, c);
                }
            }
            best.1 as u32
        };
        for iteration in 1..=DEFAULT_MAX_ITER {
            let new_labels: Vec<u32> = (0..n).map(|i| nearest(&centers, i)).collect();
            let changed = new_labels != labels;
            labels = new_labels;
            let mut sums = vec![0.0; k * d];
            let mut counts = vec![0.0; k];
            for i in 0..n {
                let c = labels[i] as usize;
                counts[c] += 1.0;
                for j in 0..d {
                    sums[c * d + j] += row(i)[j];
                }
            }
            assert!(counts.iter().all(|&c| c > 0.0), "an empty cluster");
            for c in 0..k {
                for j in 0..d {
                    sums[c * d + j] /= counts[c];
                }
            }
            let shift = squared_distance(&sums, &centers);
            centers = sums;
            if !changed {
                return (labels, iteration);
            }
            if shift <= tol * variance {
                let last: Vec<u32> = (0..n).map(|i| nearest(&centers, i)).collect();
                return (last, iteration);
            }
        }
        (labels, DEFAULT_MAX_ITER)
    }

    #[test]
    fn bounded_iterations_give_plain_lloyds_labels_and_iterations() {
        // Several shapes, and data far from the origin (where the bounds' margin for rounding
        // matters most).
        for (n, d, k, offset, seed) in [
            (3000, 5, 6, 0.0, 1),
            (2500, 2, 4, 0.0, 2),
            (4000, 12, 8, 0.0, 3),
            (3000, 5, 6, 1e6, 4),
            (1500, 3, 3, -250.0, 5),
        ] {
            let values = blobs(n, d, k, offset, seed);
            let x = Samples::new(&values, d).unwrap();
            for rng_seed in 0..3 {
                let seeds = plus_plus(x, k, &mut ChaCha8Rng::seed_from_u64(rng_seed));
                let result = kmeans(
                    x,
                    k,
                    DEFAULT_MAX_ITER,
                    DEFAULT_TOL,
                    &mut ChaCha8Rng::seed_from_u64(rng_seed),
                );
                let (labels, n_iter) = plain_lloyd(&values, d, &seeds, DEFAULT_TOL);
                let case = format!("{n}×{d}, K={k}, offset {offset}, seed {rng_seed}");
                assert_eq!(result.n_iter, n_iter, "{case}");
                let differing = labels.iter().zip(&result.labels).filter(|(a, b)| a != b);
                assert_eq!(differing.count(), 0, "{case}");
                // The bounds spared work: fewer distance computations than N per step.
                let steps = result.n_iter + 1;
                if result.n_iter >= 4 {
                    assert!(result.rows_recomputed < steps * n, "{case}");
                }
            }
        }
    }

    #[test]
    fn later_iterations_read_few_rows() {
        // Well separated clusters: after the first steps, almost no row is near a boundary.
        let mut values = blobs(20_000, 4, 5, 0.0, 9);
        for v in values.iter_mut() {
            *v *= 0.2;
        }
        let mut shifted = Vec::with_capacity(values.len());
        for (i, row) in values.chunks_exact(4).enumerate() {
            let c = (i % 5) as f64;
            shifted.extend(row.iter().map(|v| v + 3.0 * c));
        }
        let x = Samples::new(&shifted, 4).unwrap();
        let result = kmeans(
            x,
            5,
            DEFAULT_MAX_ITER,
            0.0,
            &mut ChaCha8Rng::seed_from_u64(0),
        );
        assert!(result.n_iter >= 2);
        // The first step computes every row; the last (which finds nothing changed) few.
        assert!(
            result.rows_recomputed < 20_000 + 20_000 * (result.n_iter - 1) / 4,
            "{} rows recomputed in {} iterations",
            result.rows_recomputed,
            result.n_iter
        );
    }

    #[test]
    fn draws_find_the_first_row_whose_running_sum_reaches_the_target() {
        // Integer weights: every running sum is exact, so the brute-force partition point is
        // the answer whatever the order of the additions. Several blocks of rows.
        let n = 7_000;
        let closest: Vec<f64> = (0..n).map(|i| ((i * 7919) % 13) as f64).collect();
        // One feature, integers: ‖x − v‖² through ‖x‖² − 2x·v + ‖v‖² is exact too.
        let values: Vec<f64> = (0..n).map(|i| ((i * 31) % 17) as f64).collect();
        let x = Samples::new(&values, 1).unwrap();
        let mean = [0.0];
        for last in [None, Some(vec![6.0])] {
            let nearest: Vec<f64> = closest
                .iter()
                .zip(&values)
                .map(|(c, v)| match &last {
                    Some(l) => c.min((v - l[0]) * (v - l[0])),
                    None => *c,
                })
                .collect();
            let mut cumulative = Vec::with_capacity(n);
            let mut acc = 0.0;
            for c in &nearest {
                acc += c;
                cumulative.push(acc);
            }
            let total = acc;
            let block_sums = blocks::blocks(n)
                .into_iter()
                .map(|r| nearest[r].iter().sum())
                .collect();
            let mut targets: Vec<f64> = (0..200).map(|t| total * t as f64 / 199.0).collect();
            targets.extend([
                0.0,
                0.5,
                cumulative[1023],
                cumulative[1024] + 0.5,
                total,
                total + 1.0,
            ]);
            let state = Potentials {
                closest: closest.clone(),
                last: last.clone(),
                block_sums,
                potential: total,
            };
            let found = draw(x, &mean, &state, &targets);
            for (target, row) in targets.iter().zip(found) {
                let expected = cumulative.partition_point(|&c| c < *target).min(n - 1);
                assert_eq!(row, expected, "target {target}, last centre {last:?}");
            }
        }
    }
}
