//! Expectation–maximisation with scikit-learn's semantics, one pass over the data per iteration.
//!
//! Iteration t takes the parameters θₜ through the data once: the E-step computes each row's
//! responsibilities under θₜ and, in the same pass, adds the row to the sufficient statistics
//! of the next M-step (Σr, Σr·(x − cₖ), Σr·(x − cₖ)(x − cₖ)ᵀ). The statistics are centred on
//! cₖ = the component's current mean, so covariances are accumulated centred for every
//! covariance type: data far from the origin loses no precision (scikit-learn subtracts
//! uncentred moments for tied, diag and spherical, and fails on such data).
//!
//! The mean log-likelihood of the pass is scikit-learn's lower bound for iteration t; the
//! M-step then gives θₜ₊₁, and EM stops when the lower bound changes by less than `tol`.

use gmmc_model::{CovarianceType, packed};

use rayon::prelude::*;

use crate::blocks;
use crate::covariance::{self, NotPositiveDefinite};
use crate::kernel::{self, CHUNK_ROWS, Chunk, Components, Moments, RowBuffers};
use crate::mixture::Mixture;

/// scikit-learn adds `10·ε` to every component's responsibility sum, so that a component
/// without samples divides by a tiny number instead of zero.
const NK_EPSILON: f64 = 10.0 * f64::EPSILON;

/// A data set as the trainer sees it: N rows of D finite f64 values, row-major.
#[derive(Clone, Copy, Debug)]
pub struct Samples<'a> {
    values: &'a [f64],
    n: usize,
    d: usize,
}

impl<'a> Samples<'a> {
    /// Views `values` as rows of `d` values; `None` if the length is not a multiple of `d` or
    /// `d` is zero.
    pub fn new(values: &'a [f64], d: usize) -> Option<Samples<'a>> {
        if d == 0 || values.len() % d != 0 {
            return None;
        }
        Some(Samples {
            values,
            n: values.len() / d,
            d,
        })
    }

    /// N.
    pub fn n_rows(&self) -> usize {
        self.n
    }

    /// D.
    pub fn n_features(&self) -> usize {
        self.d
    }

    /// Row `i`.
    pub fn row(&self, i: usize) -> &'a [f64] {
        &self.values[i * self.d..(i + 1) * self.d]
    }

    /// Rows `range`, row-major.
    pub fn rows(&self, range: std::ops::Range<usize>) -> &'a [f64] {
        &self.values[range.start * self.d..range.end * self.d]
    }

    /// All values, row-major.
    pub fn values(&self) -> &'a [f64] {
        self.values
    }
}

/// Why EM stopped without a model.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EmError {
    /// A component's covariance estimate is not positive definite (scikit-learn: "ill-defined
    /// empirical covariance").
    #[error(
        "component {component}'s covariance is not positive definite after {iteration} EM \
         iteration(s) (collapsed onto too few distinct samples, or a constant or duplicated \
         feature)"
    )]
    IllDefinedCovariance {
        /// Which component (0-based).
        component: usize,
        /// Iterations completed before the failure (0: at initialisation).
        iteration: usize,
    },
    /// The log-likelihood of the data overflowed (values too large for f64 arithmetic).
    #[error(
        "the log-likelihood of the data is not finite in EM iteration {iteration}: feature \
         values are too large for f64 arithmetic"
    )]
    NonFiniteLikelihood {
        /// The iteration (1-based).
        iteration: usize,
    },
}

/// Sufficient statistics of one pass, centred on per-component centres.
#[derive(Clone, Debug)]
pub(crate) struct Stats {
    /// Σ ln p(x) over the rows.
    pub sum_ll: f64,
    /// Σ r per component (K).
    pub nk: Vec<f64>,
    /// Σ r·(x − c_k) per component (K × D).
    pub s1: Vec<f64>,
    /// Second moments about c_k: full, K packed triangles; tied, one packed triangle summed
    /// over components; diag and spherical, K × D diagonals.
    pub s2: Vec<f64>,
}

/// What one block of a pass adds up.
struct BlockSums {
    sum_ll: f64,
    moments: Moments,
}

/// Merges per-block sums in block order into the M-step's statistics.
fn merge_blocks(parts: Vec<BlockSums>, cov: CovarianceType, k: usize, d: usize) -> Stats {
    let mut sum_ll = 0.0;
    let mut total = Moments::zeros(cov, k, d);
    for p in &parts {
        sum_ll += p.sum_ll;
        total.merge(&p.moments);
    }
    Stats {
        sum_ll,
        nk: total.nk,
        s1: total.s1,
        s2: total.s2,
    }
}

/// One fused pass: the E-step under `mix` and the statistics of the next M-step, centred on
/// `mix`'s means.
pub(crate) fn e_step_with_stats(mix: &Mixture, x: Samples<'_>) -> Stats {
    let (k, d, cov) = (mix.n_components, mix.n_features, mix.covariance_type);
    let components = Components::new(mix);
    let parts = blocks::map_blocks_with(
        x.n_rows(),
        || BlockSums {
            sum_ll: 0.0,
            moments: Moments::zeros(cov, k, d),
        },
        || (Chunk::new(d), RowBuffers::new(k)),
        |sums, (chunk, buf), range| {
            for rows in blocks::chunks(range) {
                chunk.load(x.rows(rows));
                sums.sum_ll += kernel::e_step(&components, chunk, buf);
                sums.moments.add_chunk(cov, chunk, &buf.lp, &mix.means);
            }
        },
    );
    merge_blocks(parts, cov, k, d)
}

/// Statistics of the data under given responsibilities (`resp(i, out)` writes row i's K
/// responsibilities), centred on `centers` (K × D).
pub(crate) fn stats_from_resp<R>(
    cov: CovarianceType,
    k: usize,
    x: Samples<'_>,
    centers: &[f64],
    resp: &R,
) -> Stats
where
    R: Fn(usize, &mut [f64]) + Sync,
{
    let d = x.n_features();
    let parts = blocks::map_blocks_with(
        x.n_rows(),
        || BlockSums {
            sum_ll: 0.0,
            moments: Moments::zeros(cov, k, d),
        },
        || (Chunk::new(d), vec![0.0; CHUNK_ROWS * k], vec![0.0; k]),
        |sums, (chunk, r, row_resp), range| {
            for rows in blocks::chunks(range) {
                r.fill(0.0);
                for (b, i) in rows.clone().enumerate() {
                    resp(i, row_resp);
                    for (c, v) in row_resp.iter().enumerate() {
                        r[c * CHUNK_ROWS + b] = *v;
                    }
                }
                chunk.load(x.rows(rows));
                sums.moments.add_chunk(cov, chunk, r, centers);
            }
        },
    );
    merge_blocks(parts, cov, k, d)
}

/// The M-step: weights, means and precision factors from statistics centred on `centers`.
///
/// With `sr = Σr`, `nk = sr + 10ε` (scikit-learn's guard), the new mean is
/// `m = (c·sr + s1)/nk` (= Σr·x / nk exactly), and with `δ = m − c` the scatter about the new
/// mean is `S = s2 − δ·s1ᵀ − s1·δᵀ + sr·δ·δᵀ`; the covariance is `S/nk + reg·I`.
pub(crate) fn m_step(
    cov: CovarianceType,
    k: usize,
    d: usize,
    centers: &[f64],
    stats: &Stats,
    reg_covar: f64,
) -> Result<Mixture, NotPositiveDefiniteIn> {
    let mut means = vec![0.0; k * d];
    let mut deltas = vec![0.0; k * d];
    let nk_eps: Vec<f64> = stats.nk.iter().map(|s| s + NK_EPSILON).collect();
    for c in 0..k {
        let sr = stats.nk[c];
        for j in 0..d {
            let center = centers[c * d + j];
            let m = (center * sr + stats.s1[c * d + j]) / nk_eps[c];
            means[c * d + j] = m;
            deltas[c * d + j] = m - center;
        }
    }
    let total: f64 = nk_eps.iter().sum();
    let weights: Vec<f64> = nk_eps.iter().map(|v| v / total).collect();
    let p = packed::len(d);
    // Scatter of component c about its new mean, packed upper triangle (full, tied) added
    // into `out`.
    let scatter_correction = |c: usize, out: &mut [f64]| {
        let sr = stats.nk[c];
        let delta = &deltas[c * d..(c + 1) * d];
        let s1 = &stats.s1[c * d..(c + 1) * d];
        for j in 0..d {
            for i in 0..=j {
                out[packed::index(i, j)] +=
                    -delta[i] * s1[j] - s1[i] * delta[j] + sr * delta[i] * delta[j];
            }
        }
    };
    let factors = match cov {
        CovarianceType::Full => {
            let mut factors = Vec::with_capacity(k * p);
            for c in 0..k {
                let mut s = stats.s2[c * p..(c + 1) * p].to_vec();
                scatter_correction(c, &mut s);
                for v in s.iter_mut() {
                    *v /= nk_eps[c];
                }
                for j in 0..d {
                    s[packed::diagonal(j)] += reg_covar;
                }
                let u = covariance::full_precision_cholesky(&s, d)
                    .map_err(|NotPositiveDefinite| NotPositiveDefiniteIn(c))?;
                factors.extend_from_slice(&u);
            }
            factors
        }
        CovarianceType::Tied => {
            let mut s = stats.s2.clone();
            for c in 0..k {
                scatter_correction(c, &mut s);
            }
            for v in s.iter_mut() {
                *v /= total;
            }
            for j in 0..d {
                s[packed::diagonal(j)] += reg_covar;
            }
            covariance::full_precision_cholesky(&s, d)
                .map_err(|NotPositiveDefinite| NotPositiveDefiniteIn(0))?
        }
        CovarianceType::Diag | CovarianceType::Spherical => {
            let mut factors = Vec::with_capacity(k * d);
            for c in 0..k {
                let sr = stats.nk[c];
                let variances: Vec<f64> = (0..d)
                    .map(|j| {
                        let idx = c * d + j;
                        let (dl, s1) = (deltas[idx], stats.s1[idx]);
                        (stats.s2[idx] - 2.0 * dl * s1 + sr * dl * dl) / nk_eps[c] + reg_covar
                    })
                    .collect();
                let f = if cov == CovarianceType::Diag {
                    covariance::diagonal_precision_cholesky(&variances)
                } else {
                    let mean_var = variances.iter().sum::<f64>() / d as f64;
                    covariance::diagonal_precision_cholesky(&[mean_var])
                };
                factors.extend(f.map_err(|NotPositiveDefinite| NotPositiveDefiniteIn(c))?);
            }
            factors
        }
    };
    Ok(Mixture {
        covariance_type: cov,
        n_components: k,
        n_features: d,
        weights,
        means,
        factors,
    })
}

/// Which component's covariance was not positive definite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NotPositiveDefiniteIn(pub usize);

/// The parameters of a mixture estimated from responsibilities (scikit-learn's
/// `_initialize`): two passes, the second centred on the means of the first.
pub(crate) fn mixture_from_resp<R>(
    cov: CovarianceType,
    k: usize,
    x: Samples<'_>,
    reg_covar: f64,
    resp: &R,
) -> Result<Mixture, EmError>
where
    R: Fn(usize, &mut [f64]) + Sync,
{
    let d = x.n_features();
    let zeros = vec![0.0; k * d];
    let first = stats_from_resp(CovarianceType::Diag, k, x, &zeros, resp);
    let centers: Vec<f64> = (0..k * d)
        .map(|idx| first.s1[idx] / (first.nk[idx / d] + NK_EPSILON))
        .collect();
    mixture_from_resp_about(cov, k, x, reg_covar, resp, &centers)
}

/// [`mixture_from_resp`] when points near the components' means are known already (k-means
/// centres): one pass, the statistics centred on `centers` (K × D). The M-step's means are the
/// exact weighted means whatever the centres; centres near them keep the covariances precise.
pub(crate) fn mixture_from_resp_about<R>(
    cov: CovarianceType,
    k: usize,
    x: Samples<'_>,
    reg_covar: f64,
    resp: &R,
    centers: &[f64],
) -> Result<Mixture, EmError>
where
    R: Fn(usize, &mut [f64]) + Sync,
{
    let d = x.n_features();
    let stats = stats_from_resp(cov, k, x, centers, resp);
    m_step(cov, k, d, centers, &stats, reg_covar).map_err(|NotPositiveDefiniteIn(component)| {
        EmError::IllDefinedCovariance {
            component,
            iteration: 0,
        }
    })
}

/// Stopping rule and regularisation of an EM run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EmOptions {
    /// Most iterations to run.
    pub max_iter: usize,
    /// Stop when the lower bound changes by less than this.
    pub tol: f64,
    /// Added to covariance diagonals.
    pub reg_covar: f64,
}

/// What one EM run produced.
#[derive(Clone, Debug)]
pub struct EmRun {
    /// Parameters after the last M-step.
    pub mixture: Mixture,
    /// The lower bound of each iteration (mean log-likelihood before its M-step).
    pub lower_bounds: Vec<f64>,
    /// The last lower bound (with `max_iter` 0: the mean log-likelihood of the start).
    pub lower_bound: f64,
    /// Iterations run.
    pub n_iter: usize,
    /// Whether the lower bound changed by less than `tol` before `max_iter` ran out.
    pub converged: bool,
}

/// Runs EM from `start` until convergence or `max_iter` iterations. `progress` is told each
/// iteration's number and lower bound.
pub fn run(
    start: Mixture,
    x: Samples<'_>,
    options: &EmOptions,
    progress: &mut dyn FnMut(usize, f64),
) -> Result<EmRun, EmError> {
    let (k, d, cov) = (start.n_components, start.n_features, start.covariance_type);
    let n = x.n_rows() as f64;
    let mut mix = start;
    let mut lower_bounds = Vec::with_capacity(options.max_iter.min(10_000));
    let mut lower_bound = f64::NEG_INFINITY;
    let mut converged = false;
    for iteration in 1..=options.max_iter {
        let stats = e_step_with_stats(&mix, x);
        let previous = lower_bound;
        lower_bound = stats.sum_ll / n;
        if !lower_bound.is_finite() {
            return Err(EmError::NonFiniteLikelihood { iteration });
        }
        lower_bounds.push(lower_bound);
        progress(iteration, lower_bound);
        mix = m_step(cov, k, d, &mix.means, &stats, options.reg_covar).map_err(
            |NotPositiveDefiniteIn(component)| EmError::IllDefinedCovariance {
                component,
                iteration,
            },
        )?;
        if (lower_bound - previous).abs() < options.tol {
            converged = true;
            break;
        }
    }
    if options.max_iter == 0 {
        lower_bound = e_step_with_stats(&mix, x).sum_ll / n;
    }
    Ok(EmRun {
        n_iter: lower_bounds.len(),
        mixture: mix,
        lower_bounds,
        lower_bound,
        converged,
    })
}

/// The log-likelihood of every row under `mix` (f64, parallel, in row order). Each block's
/// values are written straight into the one result (no per-block vectors to join: fresh
/// memory costs a page fault per 4 KiB, which made this pass as slow as an EM iteration).
pub fn log_likelihoods(mix: &Mixture, x: Samples<'_>) -> Vec<f64> {
    let (k, d, n) = (mix.n_components, mix.n_features, x.n_rows());
    let components = Components::new(mix);
    let mut out = vec![0.0; n];
    out.par_chunks_mut(blocks::block_rows(n))
        .zip(blocks::blocks(n))
        .for_each_init(
            || (Chunk::new(d), RowBuffers::new(k)),
            |(chunk, buf), (out, range)| {
                for rows in blocks::chunks(range.clone()) {
                    let local = rows.start - range.start..rows.end - range.start;
                    chunk.load(x.rows(rows));
                    kernel::log_likelihoods(&components, chunk, buf);
                    out[local].copy_from_slice(&buf.lse[..chunk.rows()]);
                }
            },
        );
    out
}
