//! The arithmetic of one EM pass, a chunk of rows at a time, in SIMD registers.
//!
//! A chunk of up to [`CHUNK_ROWS`] rows is first turned feature-major: feature `i` of every
//! row of the chunk lies contiguously (`xᵢ[b]`), so that one SIMD register holds one feature of
//! several rows. Every quantity is computed about a component's mean (`Δ = x − μₖ`, never
//! `x·U − μ·U`), so that data far from the origin keeps its precision:
//!
//! - full and tied: the chunk is centred into `Δ`; the E-step computes, for every row,
//!   `yⱼ = Σ_{i≤j} U[i][j]·Δᵢ` and `q = Σⱼ yⱼ²` with several rows per register and several
//!   columns of U per loaded `Δᵢ`; the M-step statistics add `Σr`, `Σr·Δᵢ` and
//!   `Σ (r·Δᵢ)·Δⱼ` (i ≤ j) in tiles of entries held in registers;
//! - diag and spherical: the centring is fused into the loops (no `Δ` is stored); the E-step
//!   computes `Σᵢ ((xᵢ − μᵢ)·pᵢ)²` (diag) or `p²·Σᵢ (xᵢ − μᵢ)²` (spherical), the M-step
//!   `Σr`, `Σr·Δᵢ` and `Σr·Δᵢ²`.
//!
//! The cost of full covariance is two triangular products per row and component (E-step and
//! M-step, about N·K·D²/2 multiply-adds each), which run as register-tiled fused multiply-adds.
//!
//! The kernels are written once for `pulp`'s portable SIMD types and compiled for the widest
//! instruction set the CPU has, detected at run time: AVX-512 (x86-64-v4: eight rows per
//! register), else AVX2 with FMA (four), else plain f64. Every sum runs in an order fixed by
//! the chunk (sums over rows in [`PARTIAL_SUMS`] interleaved partial sums per register lane,
//! combined in a fixed order), so the result depends only on the data, the chunking (a function
//! of the number of rows) and the instruction set — never on the number of threads.

use gmmc_model::{CovarianceType, packed};
use pulp::{Simd, WithSimd};

use crate::exp_ln;
use crate::mixture::Mixture;

pub use crate::blocks::CHUNK_ROWS;

/// Rows of a chunk are padded with zero rows to a multiple of this: a whole number of
/// [`ROW_TILE`]s and of [`PARTIAL_SUMS`] registers for every SIMD width up to 8 lanes.
const ROW_PADDING: usize = 32;

/// Distance between consecutive feature rows of a chunk, in values: a little more than
/// [`CHUNK_ROWS`], so that the same rows of different features do not all fall into the same
/// few sets of the first-level cache (a power of two apart they would).
const FEATURE_STRIDE: usize = CHUNK_ROWS + 8;

/// Rows transposed together when a chunk is loaded (the register transpose's blocks fit in
/// it).
const TRANSPOSE_ROWS: usize = 8;

/// Registers of rows computed together in the E-step's triangular product and the M-step's
/// scatter.
const ROW_TILE: usize = 2;

/// Columns of the triangular factor computed together in the E-step (each loaded `Δᵢ` serves
/// this many columns), and columns of a scatter tile in the M-step.
const COLUMN_TILE: usize = 4;

/// Rows (features i) of a scatter tile in the M-step with 16 vector registers (AVX2, and plain
/// f64): 4 rows' accumulators spill there, 13–19 % slower on 1M×8 and 100k×32.
const SCATTER_ROWS: usize = 2;

/// Rows of a scatter tile with 32 vector registers (AVX-512), where 4 × [`COLUMN_TILE`]
/// accumulators fit: an EM iteration 7–11 % faster than with 2.
const SCATTER_ROWS_WIDE: usize = 4;

/// Independent partial sums of a sum over the rows of a chunk (enough to hide the latency of
/// an addition).
const PARTIAL_SUMS: usize = 4;

/// Runs `op` compiled for the widest SIMD instruction set this CPU has.
#[inline(always)]
fn vectorized<Op: WithSimd>(op: Op) -> Op::Output {
    pulp::Arch::new().dispatch(op)
}

/// A chunk of rows, feature-major, padded with zero rows to a multiple of `ROW_PADDING`.
#[derive(Clone, Debug)]
pub(crate) struct Chunk {
    d: usize,
    /// Real rows.
    m: usize,
    /// Rows including the padding.
    padded: usize,
    /// `x[i·FEATURE_STRIDE + b]`: feature i of row b. Feature rows beyond D (up to a whole
    /// [`COLUMN_TILE`]) are zero.
    x: Vec<f64>,
    /// The chunk centred on one component's mean, same layout (full and tied only).
    delta: Vec<f64>,
    /// `r·Δ`, same layout (full and tied only).
    weighted: Vec<f64>,
}

/// Feature rows a chunk stores: D rounded up to whole column tiles, the extra rows zero.
fn stored_features(d: usize) -> usize {
    d.div_ceil(COLUMN_TILE) * COLUMN_TILE
}

impl Chunk {
    /// Buffers for chunks of `d` features (made once per thread and pass, see
    /// [`crate::blocks::map_blocks_with`]).
    pub fn new(d: usize) -> Chunk {
        let len = stored_features(d) * FEATURE_STRIDE;
        Chunk {
            d,
            m: 0,
            padded: 0,
            x: vec![0.0; len],
            delta: vec![0.0; len],
            weighted: vec![0.0; len],
        }
    }

    /// A chunk for the k-means and moment kernels only (loading, distances, feature sums,
    /// cluster sums): without the buffers of the full and tied EM kernels, which then must not
    /// be given it.
    pub fn for_distances(d: usize) -> Chunk {
        Chunk {
            d,
            m: 0,
            padded: 0,
            x: vec![0.0; stored_features(d) * FEATURE_STRIDE],
            delta: Vec::new(),
            weighted: Vec::new(),
        }
    }

    /// Loads the rows of `xs` (m × D row-major, m ≤ `CHUNK_ROWS`).
    pub fn load(&mut self, xs: &[f64]) {
        self.load_centred(xs, &[]);
    }

    /// Loads the rows of `xs` (m × D row-major, m ≤ `CHUNK_ROWS`) minus `offset` (D values, or
    /// none for no offset).
    ///
    /// With AVX, blocks of 4 rows × 4 features are transposed in registers; otherwise (and for
    /// the features and rows left over) one value at a time, in blocks of [`TRANSPOSE_ROWS`]
    /// rows so that the rows read and the feature rows written both stay in the first-level
    /// cache. Both give the same values (`x − offset`, rounded once).
    pub fn load_centred(&mut self, xs: &[f64], offset: &[f64]) {
        let d = self.d;
        self.m = xs.len() / d;
        self.padded = self.m.div_ceil(ROW_PADDING) * ROW_PADDING;
        let (rows_done, features_done) = transpose::blocks(&mut self.x, xs, d, offset);
        let offset_of = |i: usize| offset.get(i).copied().unwrap_or(0.0);
        // Features left over by the register transpose, on the rows it did.
        for b0 in (0..rows_done).step_by(TRANSPOSE_ROWS) {
            let block = &xs[b0 * d..(b0 + TRANSPOSE_ROWS) * d];
            for i in features_done..d {
                let o = offset_of(i);
                let out =
                    &mut self.x[i * FEATURE_STRIDE + b0..i * FEATURE_STRIDE + b0 + TRANSPOSE_ROWS];
                for (j, slot) in out.iter_mut().enumerate() {
                    *slot = block[j * d + i] - o;
                }
            }
        }
        // Rows left over, every feature.
        let rest = &xs[rows_done * d..];
        for i in 0..d {
            let o = offset_of(i);
            let feature =
                &mut self.x[i * FEATURE_STRIDE + rows_done..i * FEATURE_STRIDE + self.padded];
            let (real, padding) = feature.split_at_mut(self.m - rows_done);
            for (j, slot) in real.iter_mut().enumerate() {
                *slot = rest[j * d + i] - o;
            }
            padding.fill(0.0);
        }
    }

    /// Real rows in the chunk.
    pub fn rows(&self) -> usize {
        self.m
    }

    /// Feature `i` of the (padded) rows, in registers.
    #[inline(always)]
    fn feature<S: Simd>(&self, i: usize) -> &[S::f64s] {
        S::as_simd_f64s(&self.x[i * FEATURE_STRIDE..i * FEATURE_STRIDE + self.padded]).0
    }

    /// `Δ = x − center`.
    #[inline(always)]
    fn center<S: Simd>(&mut self, simd: S, center: &[f64]) {
        for (i, c) in center.iter().enumerate() {
            let row = i * FEATURE_STRIDE..i * FEATURE_STRIDE + self.padded;
            let (x, _) = S::as_simd_f64s(&self.x[row.clone()]);
            let (delta, _) = S::as_mut_simd_f64s(&mut self.delta[row]);
            let c = simd.splat_f64s(*c);
            for (t, v) in delta.iter_mut().zip(x) {
                *t = simd.sub_f64s(*v, c);
            }
        }
    }
}

/// Registers per feature row of a chunk.
#[inline(always)]
fn registers_per_row<S: Simd>() -> usize {
    FEATURE_STRIDE / S::F64_LANES
}

/// A mixture prepared for scoring chunks: factors in the layout the kernels read, and the
/// folded constants `ln wₖ + Σ ln diag(Uₖ) − ½·D·ln 2π`.
#[derive(Clone, Debug)]
pub(crate) struct Components<'a> {
    mix: &'a Mixture,
    /// Full and tied: per factor, per tile of `COLUMN_TILE` columns, per row i, the tile's
    /// entries `U[i][j0..j0 + COLUMN_TILE]` (zero below the diagonal and beyond column D).
    tiles: Vec<[f64; COLUMN_TILE]>,
    constants: Vec<f64>,
}

impl<'a> Components<'a> {
    /// Prepares `mix`.
    pub fn new(mix: &'a Mixture) -> Components<'a> {
        let d = mix.n_features;
        let mut tiles = Vec::new();
        if matches!(
            mix.covariance_type,
            CovarianceType::Full | CovarianceType::Tied
        ) {
            for u in mix.factors.chunks(packed::len(d)) {
                for j0 in (0..d).step_by(COLUMN_TILE) {
                    for i in 0..d {
                        let mut tile = [0.0; COLUMN_TILE];
                        for (t, slot) in tile.iter_mut().enumerate() {
                            let j = j0 + t;
                            if i <= j && j < d {
                                *slot = u[packed::index(i, j)];
                            }
                        }
                        tiles.push(tile);
                    }
                }
            }
        }
        Components {
            mix,
            tiles,
            constants: mix.log_constants(),
        }
    }

    /// `lp[k·CHUNK_ROWS + b] = ln wₖ + ln N(x_b | μₖ, Σₖ)` for every (padded) row of `chunk`.
    #[inline(always)]
    fn log_probs_simd<S: Simd>(&self, simd: S, chunk: &mut Chunk, lp: &mut [f64]) {
        let mix = self.mix;
        let d = mix.n_features;
        let tiles_per_factor = d.div_ceil(COLUMN_TILE) * d;
        let per_row = registers_per_row::<S>();
        let zero = simd.splat_f64s(0.0);
        for k in 0..mix.n_components {
            let (q, _) =
                S::as_mut_simd_f64s(&mut lp[k * CHUNK_ROWS..k * CHUNK_ROWS + chunk.padded]);
            q.fill(zero);
            match mix.covariance_type {
                CovarianceType::Full | CovarianceType::Tied => {
                    chunk.center(simd, mix.mean(k));
                    let delta = S::as_simd_f64s(&chunk.delta).0;
                    let f = if mix.covariance_type == CovarianceType::Tied {
                        0
                    } else {
                        k
                    };
                    let tiles = &self.tiles[f * tiles_per_factor..(f + 1) * tiles_per_factor];
                    triangular_quadratic(simd, delta, per_row, d, tiles, q);
                }
                CovarianceType::Diag | CovarianceType::Spherical => {
                    let x = S::as_simd_f64s(&chunk.x).0;
                    let mean = mix.mean(k);
                    // Spherical: one precision for every feature, applied at the end.
                    let (scales, p2) = if mix.covariance_type == CovarianceType::Diag {
                        (mix.factor(k), 1.0)
                    } else {
                        (&[][..], mix.factor(k)[0] * mix.factor(k)[0])
                    };
                    diagonal_quadratic(simd, x, per_row, mean, scales, q);
                    if mix.covariance_type == CovarianceType::Spherical {
                        let p2 = simd.splat_f64s(p2);
                        for qb in q.iter_mut() {
                            *qb = simd.mul_f64s(*qb, p2);
                        }
                    }
                }
            }
            // lp = c − ½·q.
            let (c, minus_half) = (simd.splat_f64s(self.constants[k]), simd.splat_f64s(-0.5));
            for qb in q.iter_mut() {
                *qb = simd.mul_add_e_f64s(minus_half, *qb, c);
            }
        }
    }
}

/// Registers of rows whose sums are kept in registers across all features in
/// [`diagonal_quadratic`].
const DIAGONAL_BLOCK: usize = 8;

/// `q[β] = Σᵢ ((xᵢ[β] − μᵢ)·pᵢ)²` for every register β of rows (`pᵢ = 1` where `scales` is
/// empty), a block of registers at a time so that the sums stay in registers.
#[inline(always)]
fn diagonal_quadratic<S: Simd>(
    simd: S,
    x: &[S::f64s],
    per_row: usize,
    mean: &[f64],
    scales: &[f64],
    q: &mut [S::f64s],
) {
    let zero = simd.splat_f64s(0.0);
    let mut blocks = q.chunks_exact_mut(DIAGONAL_BLOCK);
    for (block, qs) in (&mut blocks).enumerate() {
        let beta = block * DIAGONAL_BLOCK;
        let mut acc = [zero; DIAGONAL_BLOCK];
        for (i, mu) in mean.iter().enumerate() {
            let mu = simd.splat_f64s(*mu);
            let p = simd.splat_f64s(scales.get(i).copied().unwrap_or(1.0));
            let row: &[S::f64s; DIAGONAL_BLOCK] =
                match x[i * per_row + beta..i * per_row + beta + DIAGONAL_BLOCK].try_into() {
                    Ok(row) => row,
                    Err(_) => continue,
                };
            for r in 0..DIAGONAL_BLOCK {
                let v = simd.mul_f64s(simd.sub_f64s(row[r], mu), p);
                acc[r] = simd.mul_add_e_f64s(v, v, acc[r]);
            }
        }
        qs.copy_from_slice(&acc);
    }
    // Registers left over (fewer than a block), one at a time.
    let done = q.len() / DIAGONAL_BLOCK * DIAGONAL_BLOCK;
    for (beta, qb) in q.iter_mut().enumerate().skip(done) {
        let mut acc = zero;
        for (i, mu) in mean.iter().enumerate() {
            let p = simd.splat_f64s(scales.get(i).copied().unwrap_or(1.0));
            let v = simd.mul_f64s(
                simd.sub_f64s(x[i * per_row + beta], simd.splat_f64s(*mu)),
                p,
            );
            acc = simd.mul_add_e_f64s(v, v, acc);
        }
        *qb = acc;
    }
}

/// `q[β] += Σⱼ (Σ_{i≤j} U[i][j]·Δᵢ[β])²` for every register β of rows; `delta` is the centred
/// chunk (`per_row` registers per feature), `tiles` the factor as [`Components`] stores it.
/// `q` has a multiple of [`ROW_TILE`] registers.
#[inline(always)]
fn triangular_quadratic<S: Simd>(
    simd: S,
    delta: &[S::f64s],
    per_row: usize,
    d: usize,
    tiles: &[[f64; COLUMN_TILE]],
    q: &mut [S::f64s],
) {
    let zero = simd.splat_f64s(0.0);
    for (tile_index, j0) in (0..d).step_by(COLUMN_TILE).enumerate() {
        // Rows up to the tile's last column only: U is upper triangular.
        let rows = (j0 + COLUMN_TILE).min(d);
        let tile = &tiles[tile_index * d..tile_index * d + rows];
        for (group, qs) in q.chunks_exact_mut(ROW_TILE).enumerate() {
            let beta = group * ROW_TILE;
            // ROW_TILE × COLUMN_TILE independent accumulators.
            let mut y = [[zero; COLUMN_TILE]; ROW_TILE];
            for (i, u) in tile.iter().enumerate() {
                let t: [S::f64s; ROW_TILE] = std::array::from_fn(|r| delta[i * per_row + beta + r]);
                for (c, uc) in u.iter().enumerate() {
                    let uc = simd.splat_f64s(*uc);
                    for r in 0..ROW_TILE {
                        y[r][c] = simd.mul_add_e_f64s(uc, t[r], y[r][c]);
                    }
                }
            }
            for (qr, yr) in qs.iter_mut().zip(&y) {
                for yc in yr {
                    *qr = simd.mul_add_e_f64s(*yc, *yc, *qr);
                }
            }
        }
    }
}

/// Per-chunk buffers of the E-step: log-probabilities (then responsibilities) and per-row
/// values.
#[derive(Clone, Debug)]
pub(crate) struct RowBuffers {
    /// `lp[k·CHUNK_ROWS + b]`: log-probabilities, then responsibilities.
    pub lp: Vec<f64>,
    /// Per row: the largest log-probability.
    max: Vec<f64>,
    /// Per row: `Σₖ exp(lpₖ − max)`.
    sum: Vec<f64>,
    /// Per row: the log-likelihood `ln Σₖ exp(lpₖ)`.
    pub lse: Vec<f64>,
}

impl RowBuffers {
    /// Buffers for `k` components.
    pub fn new(k: usize) -> RowBuffers {
        RowBuffers {
            lp: vec![0.0; k * CHUNK_ROWS],
            max: vec![0.0; CHUNK_ROWS],
            sum: vec![0.0; CHUNK_ROWS],
            lse: vec![0.0; CHUNK_ROWS],
        }
    }
}

/// Per-row maxima of the log-probabilities, the max-shifted sums of their exponentials and
/// the rows' log-likelihoods; with `keep_exponentials`, the exponentials are left in `lp`
/// (unnormalised).
#[inline(always)]
fn shifted_sums(buf: &mut RowBuffers, k: usize, padded: usize, keep_exponentials: bool) {
    let max = &mut buf.max[..padded];
    max.copy_from_slice(&buf.lp[..padded]);
    for c in 1..k {
        for (m, v) in max
            .iter_mut()
            .zip(&buf.lp[c * CHUNK_ROWS..c * CHUNK_ROWS + padded])
        {
            if *v > *m {
                *m = *v;
            }
        }
    }
    let sum = &mut buf.sum[..padded];
    sum.fill(0.0);
    for c in 0..k {
        let row = &mut buf.lp[c * CHUNK_ROWS..c * CHUNK_ROWS + padded];
        for ((v, m), s) in row.iter_mut().zip(max.iter()).zip(sum.iter_mut()) {
            let e = exp_ln::exp(*v - *m);
            *s += e;
            if keep_exponentials {
                *v = e;
            }
        }
    }
    for ((l, m), s) in buf.lse[..padded].iter_mut().zip(max.iter()).zip(sum.iter()) {
        *l = *m + exp_ln::ln(*s);
    }
}

/// Sum of `values` in [`PARTIAL_SUMS`] interleaved partial sums.
#[inline(always)]
fn interleaved_sum(values: &[f64]) -> f64 {
    let mut acc = [0.0; PARTIAL_SUMS];
    let mut blocks = values.chunks_exact(PARTIAL_SUMS);
    for block in &mut blocks {
        for (a, v) in acc.iter_mut().zip(block) {
            *a += v;
        }
    }
    for (a, v) in acc.iter_mut().zip(blocks.remainder()) {
        *a += v;
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}

/// Turns the log-probabilities of a chunk (`buf.lp`) into responsibilities in place, writes
/// each row's log-likelihood `ln Σₖ exp(lpₖ)` (max-shifted) to `buf.lse` and returns their sum
/// over the real rows. Padding rows, and rows whose every component is −∞ (the row
/// overflowed), get responsibility 0.
#[inline(always)]
fn responsibilities(buf: &mut RowBuffers, k: usize, rows: usize, padded: usize) -> f64 {
    shifted_sums(buf, k, padded, true);
    for (b, s) in buf.sum[..padded].iter_mut().enumerate() {
        *s = if b < rows && buf.max[b].is_finite() {
            1.0 / *s
        } else {
            0.0
        };
    }
    for c in 0..k {
        let row = &mut buf.lp[c * CHUNK_ROWS..c * CHUNK_ROWS + padded];
        for (v, inv) in row.iter_mut().zip(&buf.sum[..padded]) {
            // inv = 0 on padding and overflowed rows, whose exponentials may be NaN.
            *v = if *inv == 0.0 { 0.0 } else { *v * *inv };
        }
    }
    fix_overflowed_rows(buf, rows);
    interleaved_sum(&buf.lse[..rows])
}

/// Rows whose every component is −∞ or +∞ keep that as their log-likelihood (the max-shifted
/// sum would give NaN).
#[inline(always)]
fn fix_overflowed_rows(buf: &mut RowBuffers, rows: usize) {
    for (l, m) in buf.lse[..rows].iter_mut().zip(&buf.max[..rows]) {
        if !m.is_finite() {
            *l = *m;
        }
    }
}

/// The E-step of a chunk: log-probabilities under `components`, then responsibilities in
/// `buf.lp` and log-likelihoods in `buf.lse`; returns the sum of the rows' log-likelihoods.
pub(crate) fn e_step(components: &Components<'_>, chunk: &mut Chunk, buf: &mut RowBuffers) -> f64 {
    struct Op<'x, 'a> {
        components: &'x Components<'a>,
        chunk: &'x mut Chunk,
        buf: &'x mut RowBuffers,
    }
    impl WithSimd for Op<'_, '_> {
        type Output = f64;
        #[inline(always)]
        fn with_simd<S: Simd>(self, simd: S) -> f64 {
            let (rows, padded) = (self.chunk.m, self.chunk.padded);
            let k = self.components.mix.n_components;
            self.components
                .log_probs_simd(simd, self.chunk, &mut self.buf.lp);
            responsibilities(self.buf, k, rows, padded)
        }
    }
    vectorized(Op {
        components,
        chunk,
        buf,
    })
}

/// The log-likelihood of every row of a chunk, into `buf.lse[..rows]`.
pub(crate) fn log_likelihoods(
    components: &Components<'_>,
    chunk: &mut Chunk,
    buf: &mut RowBuffers,
) {
    struct Op<'x, 'a> {
        components: &'x Components<'a>,
        chunk: &'x mut Chunk,
        buf: &'x mut RowBuffers,
    }
    impl WithSimd for Op<'_, '_> {
        type Output = ();
        #[inline(always)]
        fn with_simd<S: Simd>(self, simd: S) {
            let (rows, padded) = (self.chunk.m, self.chunk.padded);
            let k = self.components.mix.n_components;
            self.components
                .log_probs_simd(simd, self.chunk, &mut self.buf.lp);
            shifted_sums(self.buf, k, padded, false);
            fix_overflowed_rows(self.buf, rows);
        }
    }
    vectorized(Op {
        components,
        chunk,
        buf,
    });
}

/// Sufficient statistics of a block of rows, centred on per-component centres: what the
/// M-step needs.
#[derive(Clone, Debug)]
pub(crate) struct Moments {
    /// Σ r per component (K).
    pub nk: Vec<f64>,
    /// Σ r·(x − cₖ) per component (K × D).
    pub s1: Vec<f64>,
    /// Second moments about cₖ: full, K packed upper triangles; tied, one packed triangle
    /// summed over components; diag and spherical, K × D diagonals.
    pub s2: Vec<f64>,
}

impl Moments {
    /// Zero statistics.
    pub fn zeros(cov: CovarianceType, k: usize, d: usize) -> Moments {
        let s2 = match cov {
            CovarianceType::Full => k * packed::len(d),
            CovarianceType::Tied => packed::len(d),
            CovarianceType::Diag | CovarianceType::Spherical => k * d,
        };
        Moments {
            nk: vec![0.0; k],
            s1: vec![0.0; k * d],
            s2: vec![0.0; s2],
        }
    }

    /// Adds the rows of `chunk` with responsibilities `resp[k·CHUNK_ROWS + b]` (0 on padding
    /// rows), centred on `centers` (K × D).
    pub fn add_chunk(
        &mut self,
        cov: CovarianceType,
        chunk: &mut Chunk,
        resp: &[f64],
        centers: &[f64],
    ) {
        struct Op<'x> {
            moments: &'x mut Moments,
            cov: CovarianceType,
            chunk: &'x mut Chunk,
            resp: &'x [f64],
            centers: &'x [f64],
        }
        impl WithSimd for Op<'_> {
            type Output = ();
            #[inline(always)]
            fn with_simd<S: Simd>(self, simd: S) {
                self.moments
                    .add_chunk_simd(simd, self.cov, self.chunk, self.resp, self.centers);
            }
        }
        vectorized(Op {
            moments: self,
            cov,
            chunk,
            resp,
            centers,
        });
    }

    #[inline(always)]
    fn add_chunk_simd<S: Simd>(
        &mut self,
        simd: S,
        cov: CovarianceType,
        chunk: &mut Chunk,
        resp: &[f64],
        centers: &[f64],
    ) {
        let k_n = self.nk.len();
        let d = chunk.d;
        let padded = chunk.padded;
        let per_row = registers_per_row::<S>();
        for k in 0..k_n {
            let (r, _) = S::as_simd_f64s(&resp[k * CHUNK_ROWS..k * CHUNK_ROWS + padded]);
            let center = &centers[k * d..(k + 1) * d];
            self.nk[k] += register_sum(simd, r);
            match cov {
                CovarianceType::Full | CovarianceType::Tied => {
                    chunk.center(simd, center);
                    let delta = S::as_simd_f64s(&chunk.delta).0;
                    {
                        let weighted = S::as_mut_simd_f64s(&mut chunk.weighted).0;
                        for i in 0..d {
                            let row = i * per_row..i * per_row + r.len();
                            for ((w, t), rb) in
                                weighted[row.clone()].iter_mut().zip(&delta[row]).zip(r)
                            {
                                *w = simd.mul_f64s(*rb, *t);
                            }
                        }
                    }
                    let weighted = S::as_simd_f64s(&chunk.weighted).0;
                    for i in 0..d {
                        let w = &weighted[i * per_row..i * per_row + r.len()];
                        self.s1[k * d + i] += register_sum(simd, w);
                    }
                    let base = if cov == CovarianceType::Full {
                        k * packed::len(d)
                    } else {
                        0
                    };
                    scatter_upper(
                        simd,
                        weighted,
                        delta,
                        per_row,
                        r.len(),
                        d,
                        &mut self.s2[base..base + packed::len(d)],
                    );
                }
                CovarianceType::Diag | CovarianceType::Spherical => {
                    for (i, c) in center.iter().enumerate() {
                        let c = simd.splat_f64s(*c);
                        let (s1, s2) = centred_sums(simd, chunk.feature::<S>(i), r, c);
                        self.s1[k * d + i] += s1;
                        self.s2[k * d + i] += s2;
                    }
                }
            }
        }
    }

    /// Adds another block's statistics.
    pub fn merge(&mut self, other: &Moments) {
        for (a, b) in self.nk.iter_mut().zip(&other.nk) {
            *a += b;
        }
        for (a, b) in self.s1.iter_mut().zip(&other.s1) {
            *a += b;
        }
        for (a, b) in self.s2.iter_mut().zip(&other.s2) {
            *a += b;
        }
    }
}

/// Combines partial sums in a fixed order: lanes first, then the partial sums pairwise.
#[inline(always)]
fn combine<S: Simd>(simd: S, acc: [S::f64s; PARTIAL_SUMS]) -> f64 {
    let a = simd.add_f64s(acc[0], acc[1]);
    let b = simd.add_f64s(acc[2], acc[3]);
    simd.reduce_sum_f64s(simd.add_f64s(a, b))
}

/// The sum of registers, in [`PARTIAL_SUMS`] interleaved partial sums per lane (the count is
/// a multiple of [`PARTIAL_SUMS`]: chunks are padded to whole tiles of registers).
#[inline(always)]
fn register_sum<S: Simd>(simd: S, values: &[S::f64s]) -> f64 {
    let mut acc = [simd.splat_f64s(0.0); PARTIAL_SUMS];
    for v in values.chunks_exact(PARTIAL_SUMS) {
        acc = std::array::from_fn(|p| simd.add_f64s(acc[p], v[p]));
    }
    combine(simd, acc)
}

/// `Σ w·x` over registers (a multiple of [`PARTIAL_SUMS`]), in interleaved partial sums.
#[inline(always)]
fn weighted_sum<S: Simd>(simd: S, w: &[S::f64s], x: &[S::f64s]) -> f64 {
    let mut acc = [simd.splat_f64s(0.0); PARTIAL_SUMS];
    for (ws, xs) in w
        .chunks_exact(PARTIAL_SUMS)
        .zip(x.chunks_exact(PARTIAL_SUMS))
    {
        acc = std::array::from_fn(|p| simd.mul_add_e_f64s(ws[p], xs[p], acc[p]));
    }
    combine(simd, acc)
}

/// `(Σ r·(x − c), Σ r·(x − c)²)` over the registers of one feature row (a multiple of
/// [`PARTIAL_SUMS`] registers).
#[inline(always)]
fn centred_sums<S: Simd>(simd: S, x: &[S::f64s], r: &[S::f64s], c: S::f64s) -> (f64, f64) {
    let zero = simd.splat_f64s(0.0);
    let mut s1 = [zero; PARTIAL_SUMS];
    let mut s2 = [zero; PARTIAL_SUMS];
    for (xs, rs) in x
        .chunks_exact(PARTIAL_SUMS)
        .zip(r.chunks_exact(PARTIAL_SUMS))
    {
        for p in 0..PARTIAL_SUMS {
            let t = simd.sub_f64s(xs[p], c);
            let w = simd.mul_f64s(rs[p], t);
            s1[p] = simd.add_f64s(s1[p], w);
            s2[p] = simd.mul_add_e_f64s(w, t, s2[p]);
        }
    }
    (combine(simd, s1), combine(simd, s2))
}

/// `S[i][j] += Σ_b (r·Δᵢ)[b]·Δⱼ[b]` for i ≤ j, into a packed upper triangle, in tiles of
/// `R × COLUMN_TILE` entries with per-lane accumulators (`R` = [`SCATTER_ROWS`], or
/// [`SCATTER_ROWS_WIDE`] with 8-lane registers; every entry is summed in the same order with
/// either). The chunk stores whole column tiles of feature rows (zero beyond D), so every tile
/// reads stored rows; `n` registers of rows are used.
#[inline(always)]
fn scatter_upper<S: Simd>(
    simd: S,
    weighted: &[S::f64s],
    delta: &[S::f64s],
    per_row: usize,
    n: usize,
    d: usize,
    s2: &mut [f64],
) {
    if S::F64_LANES >= 8 {
        scatter_tiles::<S, SCATTER_ROWS_WIDE>(simd, weighted, delta, per_row, n, d, s2)
    } else {
        scatter_tiles::<S, SCATTER_ROWS>(simd, weighted, delta, per_row, n, d, s2)
    }
}

/// [`scatter_upper`] with tiles of `R` rows (`R` divides [`COLUMN_TILE`]).
#[inline(always)]
fn scatter_tiles<S: Simd, const R: usize>(
    simd: S,
    weighted: &[S::f64s],
    delta: &[S::f64s],
    per_row: usize,
    n: usize,
    d: usize,
    s2: &mut [f64],
) {
    let zero = simd.splat_f64s(0.0);
    for i0 in (0..d).step_by(R) {
        let w_rows: [&[S::f64s]; R] =
            std::array::from_fn(|a| &weighted[(i0 + a) * per_row..(i0 + a) * per_row + n]);
        for j0 in (i0 - i0 % COLUMN_TILE..d).step_by(COLUMN_TILE) {
            let t_rows: [&[S::f64s]; COLUMN_TILE] =
                std::array::from_fn(|c| &delta[(j0 + c) * per_row..(j0 + c) * per_row + n]);
            let mut acc = [[zero; COLUMN_TILE]; R];
            for beta in 0..n {
                let w: [S::f64s; R] = std::array::from_fn(|a| w_rows[a][beta]);
                for c in 0..COLUMN_TILE {
                    let t = t_rows[c][beta];
                    for a in 0..R {
                        acc[a][c] = simd.mul_add_e_f64s(w[a], t, acc[a][c]);
                    }
                }
            }
            for (a, acc_a) in acc.iter().enumerate() {
                for (c, acc_ac) in acc_a.iter().enumerate() {
                    let (i, j) = (i0 + a, j0 + c);
                    if i <= j && j < d {
                        s2[packed::index(i, j)] += simd.reduce_sum_f64s(*acc_ac);
                    }
                }
            }
        }
    }
}

/// Vectors (k-means centres or candidate centres) prepared for dot products with the rows of a
/// chunk: in tiles of [`COLUMN_TILE`] vectors, per feature i the tile's `v[i]`, the missing
/// vectors of the last tile zero; and `½‖v‖²` per vector (+∞ for the missing ones, so that
/// they are never the nearest).
#[derive(Clone, Debug)]
pub(crate) struct Vectors {
    n: usize,
    d: usize,
    tiles: Vec<[f64; COLUMN_TILE]>,
    half_norms: Vec<f64>,
}

impl Vectors {
    /// `n` vectors of `d` values, row-major.
    pub fn new(values: &[f64], d: usize) -> Vectors {
        let n = values.len() / d;
        let padded = n.div_ceil(COLUMN_TILE) * COLUMN_TILE;
        let mut tiles = Vec::with_capacity(padded / COLUMN_TILE * d);
        for t0 in (0..n).step_by(COLUMN_TILE) {
            for i in 0..d {
                tiles.push(std::array::from_fn(|c| {
                    values.get((t0 + c) * d + i).copied().unwrap_or(0.0)
                }));
            }
        }
        let half_norms = (0..padded)
            .map(|v| match values.get(v * d..(v + 1) * d) {
                Some(row) => 0.5 * row.iter().map(|a| a * a).sum::<f64>(),
                None => f64::INFINITY,
            })
            .collect();
        Vectors {
            n,
            d,
            tiles,
            half_norms,
        }
    }

    /// The number of vectors rounded up to whole tiles (rows of the output of
    /// [`Vectors::dots`]).
    pub fn padded_len(&self) -> usize {
        self.half_norms.len()
    }

    /// `out[v·CHUNK_ROWS + b] = ½‖v‖² − x_b·v` for every vector v and every (padded) row b of
    /// `chunk`. `‖x_b − v‖² = ‖x_b‖² + 2·out`. (The missing vectors of the last tile may be
    /// left unwritten.)
    #[inline(always)]
    fn half_distance_offsets<S: Simd>(&self, simd: S, chunk: &Chunk, out: &mut [f64]) {
        for (tile_index, tile) in self.tiles.chunks_exact(self.d).enumerate() {
            let v0 = tile_index * COLUMN_TILE;
            // A last tile of one or two vectors: only those, on more rows at a time (as many
            // independent sums), instead of four columns of which most are padding. Every
            // product is summed over the features in the same order in all three.
            match self.n - v0 {
                1 => self.tile_offsets::<S, 1, 4>(simd, chunk, tile, v0, out),
                2 => self.tile_offsets::<S, 2, 4>(simd, chunk, tile, v0, out),
                _ => self.tile_offsets::<S, COLUMN_TILE, ROW_TILE>(simd, chunk, tile, v0, out),
            }
        }
    }

    /// [`Vectors::half_distance_offsets`] for the first `C` vectors of the tile that starts
    /// at vector `v0`, `R` registers of rows at a time (`R` divides the registers of a padded
    /// chunk: 32 rows are 4 registers of 8 lanes).
    #[inline(always)]
    fn tile_offsets<S: Simd, const C: usize, const R: usize>(
        &self,
        simd: S,
        chunk: &Chunk,
        tile: &[[f64; COLUMN_TILE]],
        v0: usize,
        out: &mut [f64],
    ) {
        let per_row = registers_per_row::<S>();
        let x = S::as_simd_f64s(&chunk.x).0;
        let zero = simd.splat_f64s(0.0);
        let mut rows: [&mut [S::f64s]; C] = {
            let (head, _) = out.split_at_mut((v0 + C) * CHUNK_ROWS);
            let mut parts = head[v0 * CHUNK_ROWS..].chunks_exact_mut(CHUNK_ROWS);
            std::array::from_fn(|_| match parts.next() {
                Some(part) => S::as_mut_simd_f64s(&mut part[..chunk.padded]).0,
                None => &mut [],
            })
        };
        let h: [S::f64s; C] = std::array::from_fn(|c| simd.splat_f64s(self.half_norms[v0 + c]));
        for group in 0..chunk.padded / S::F64_LANES / R {
            let beta = group * R;
            let mut acc = [[zero; C]; R];
            for (i, u) in tile.iter().enumerate() {
                let t: [S::f64s; R] = std::array::from_fn(|r| x[i * per_row + beta + r]);
                for (c, uc) in u.iter().take(C).enumerate() {
                    let uc = simd.splat_f64s(*uc);
                    for r in 0..R {
                        acc[r][c] = simd.mul_add_e_f64s(uc, t[r], acc[r][c]);
                    }
                }
            }
            for (c, row) in rows.iter_mut().enumerate() {
                for r in 0..R {
                    row[beta + r] = simd.sub_f64s(h[c], acc[r][c]);
                }
            }
        }
    }
}

/// The integer value of `v`, an exact small non-negative integer below 2³¹ (as
/// [`nearest_centers`] writes them), without the checks of a saturating conversion: the
/// integer lies in the low bits of `v + 2⁵²`.
#[inline(always)]
pub(crate) fn small_index(v: f64) -> usize {
    ((v + 4_503_599_627_370_496.0).to_bits() & 0x7fff_ffff) as usize
}

/// Moves the chunk's rows whose cluster changed from `old[b]` to `new[b]` (clusters as exact
/// f64, −1 for none; `old` and `new` cover the padded rows, −1 on the padding): for every
/// cluster c < `k`, `counts[c]` and `sums[c·D..(c + 1)·D]` (the rows minus `offset`) lose
/// the rows that left c and gain those that joined it. `xs` are the chunk's rows as it was
/// loaded from them (m × D, row-major); `changes` is how many rows changed.
///
/// Two ways to the same sums, whichever costs fewer operations: per cluster, a sum over the
/// chunk's feature rows weighted by +1 (joined), −1 (left) or 0 (K·D multiply-adds per row;
/// cheap for few clusters or many changes), or per changed row, its values subtracted from
/// one cluster's sums and added to another's.
#[allow(clippy::too_many_arguments)] // the chunk, its source rows, the moves and the sums
pub(crate) fn move_rows(
    chunk: &Chunk,
    xs: &[f64],
    offset: &[f64],
    old: &[f64],
    new: &[f64],
    changes: usize,
    k: usize,
    weights: &mut [f64],
    sums: &mut [f64],
    counts: &mut [f64],
) {
    struct Op<'x> {
        chunk: &'x Chunk,
        xs: &'x [f64],
        offset: &'x [f64],
        old: &'x [f64],
        new: &'x [f64],
        changes: usize,
        k: usize,
        weights: &'x mut [f64],
        sums: &'x mut [f64],
        counts: &'x mut [f64],
    }
    impl WithSimd for Op<'_> {
        type Output = ();
        #[inline(always)]
        fn with_simd<S: Simd>(self, simd: S) {
            let (d, padded) = (self.chunk.d, self.chunk.padded);
            let lanes = S::F64_LANES;
            let masked_cost = padded * self.k * (d + 1 + lanes) / lanes;
            let per_row_cost = self.changes * (4 * d / lanes + 16);
            if masked_cost <= per_row_cost {
                let weights = &mut self.weights[..padded];
                for c in 0..self.k {
                    let index = c as f64;
                    for ((w, o), n) in weights
                        .iter_mut()
                        .zip(&self.old[..padded])
                        .zip(&self.new[..padded])
                    {
                        let joined = if *n == index { 1.0 } else { 0.0 };
                        let left = if *o == index { 1.0 } else { 0.0 };
                        *w = joined - left;
                    }
                    let w = S::as_simd_f64s(weights).0;
                    self.counts[c] += register_sum(simd, w);
                    for i in 0..d {
                        let x = self.chunk.feature::<S>(i);
                        self.sums[c * d + i] += weighted_sum(simd, w, x);
                    }
                }
            } else {
                let (offset_head, offset_tail) = S::as_simd_f64s(self.offset);
                for ((row, o), n) in self.xs.chunks_exact(d).zip(self.old).zip(self.new) {
                    if o == n {
                        continue;
                    }
                    for (cluster, sign) in [(*o, -1.0), (*n, 1.0)] {
                        if cluster < 0.0 {
                            continue;
                        }
                        let c = small_index(cluster);
                        let (Some(count), Some(sums)) = (
                            self.counts.get_mut(c),
                            self.sums.get_mut(c * d..(c + 1) * d),
                        ) else {
                            continue;
                        };
                        *count += sign;
                        let (sum_head, sum_tail) = S::as_mut_simd_f64s(sums);
                        let (row_head, row_tail) = S::as_simd_f64s(row);
                        let sign_s = simd.splat_f64s(sign);
                        for ((s, v), o) in sum_head.iter_mut().zip(row_head).zip(offset_head) {
                            *s = simd.mul_add_e_f64s(sign_s, simd.sub_f64s(*v, *o), *s);
                        }
                        for ((s, v), o) in sum_tail.iter_mut().zip(row_tail).zip(offset_tail) {
                            *s += sign * (v - o);
                        }
                    }
                }
            }
        }
    }
    vectorized(Op {
        chunk,
        xs,
        offset,
        old,
        new,
        changes,
        k,
        weights,
        sums,
        counts,
    });
}

/// `out[v·CHUNK_ROWS + b] = ‖x_b − v‖²` (clamped at 0) for every vector and every (padded)
/// row of `chunk` (rows centred as the vectors are), through `‖x‖² − 2x·v + ‖v‖²`.
pub(crate) fn squared_distances(chunk: &Chunk, vectors: &Vectors, out: &mut [f64]) {
    struct Op<'x> {
        chunk: &'x Chunk,
        vectors: &'x Vectors,
        out: &'x mut [f64],
    }
    impl WithSimd for Op<'_> {
        type Output = ();
        #[inline(always)]
        fn with_simd<S: Simd>(self, simd: S) {
            squared_distances_with(simd, self.chunk, self.vectors, self.out);
        }
    }
    vectorized(Op {
        chunk,
        vectors,
        out,
    });
}

/// Bounds for k-means on a chunk (rows centred as `centers` are): per real row b, the index
/// of the nearest of `centers` into `nearest[b]` (as f64, exact; ties: the lowest index; −1 on
/// the padding rows), an upper bound on the distance to it into `upper[b]` and a lower bound
/// on the distance to every other centre into `lower[b]`. The squared distances are computed
/// as [`squared_distances`] does; the bounds widen them by their rounding error, at most
/// `slack·(‖x‖² + max_norm²)` where `max_norm ≥ ‖c‖` for every centre (`‖x‖` is bounded by
/// `max_norm + ‖x − c‖`). `scratch` holds `centers.padded_len() × CHUNK_ROWS` values.
#[allow(clippy::too_many_arguments)] // inputs, scratch and three outputs
pub(crate) fn nearest_with_bounds(
    chunk: &Chunk,
    centers: &Vectors,
    slack: f64,
    max_norm: f64,
    scratch: &mut [f64],
    nearest: &mut [f64],
    upper: &mut [f64],
    lower: &mut [f64],
) {
    struct Op<'x> {
        chunk: &'x Chunk,
        centers: &'x Vectors,
        slack: f64,
        max_norm: f64,
        scratch: &'x mut [f64],
        nearest: &'x mut [f64],
        upper: &'x mut [f64],
        lower: &'x mut [f64],
    }
    impl WithSimd for Op<'_> {
        type Output = ();
        #[inline(always)]
        fn with_simd<S: Simd>(self, simd: S) {
            squared_distances_with(simd, self.chunk, self.centers, self.scratch);
            let (m, padded) = (self.chunk.m, self.chunk.padded);
            let first = &mut self.upper[..m];
            let second = &mut self.lower[..m];
            let nearest = &mut self.nearest[..padded];
            first.fill(f64::INFINITY);
            second.fill(f64::INFINITY);
            nearest.fill(0.0);
            for c in 0..self.centers.n {
                let index = c as f64;
                let column = &self.scratch[c * CHUNK_ROWS..c * CHUNK_ROWS + m];
                for (((f, s), n), v) in first
                    .iter_mut()
                    .zip(second.iter_mut())
                    .zip(nearest.iter_mut())
                    .zip(column)
                {
                    *s = s.min(f.max(*v));
                    *n = if *v < *f { index } else { *n };
                    *f = f.min(*v);
                }
            }
            nearest[m..].fill(-1.0);
            // ‖x‖² ≤ 2·max_norm² + 2·‖x − c‖² (with a margin for the rounding of the latter).
            let base = 3.0 * self.slack * self.max_norm * self.max_norm;
            let per_distance = 2.0 * (1.0 + 1e-6) * self.slack;
            for (f, s) in first.iter_mut().zip(second.iter_mut()) {
                let error = base + per_distance * *f;
                *s = (*s - error).max(0.0).sqrt();
                *f = (*f + error).sqrt();
            }
        }
    }
    vectorized(Op {
        chunk,
        centers,
        slack,
        max_norm,
        scratch,
        nearest,
        upper,
        lower,
    });
}

/// Adds, for every feature i of the chunk, the sum of its values to `sums[i]` and the sum of
/// their squares to `squares[i]` (padding rows are zero and add nothing), and writes every real
/// row's squared norm `Σᵢ xᵢ²` into `norms`.
pub(crate) fn add_feature_sums(
    chunk: &Chunk,
    sums: &mut [f64],
    squares: &mut [f64],
    norms: &mut [f64],
) {
    struct Op<'x> {
        chunk: &'x Chunk,
        sums: &'x mut [f64],
        squares: &'x mut [f64],
        norms: &'x mut [f64],
    }
    impl WithSimd for Op<'_> {
        type Output = ();
        #[inline(always)]
        fn with_simd<S: Simd>(self, simd: S) {
            for (i, (s1, s2)) in self
                .sums
                .iter_mut()
                .zip(self.squares.iter_mut())
                .enumerate()
            {
                let x = self.chunk.feature::<S>(i);
                *s1 += register_sum(simd, x);
                *s2 += weighted_sum(simd, x, x);
            }
            let m = self.chunk.m;
            row_norms(self.chunk, &mut self.norms[..m]);
        }
    }
    vectorized(Op {
        chunk,
        sums,
        squares,
        norms,
    });
}

/// `norms[b] = Σᵢ xᵢ[b]²` for the first `norms.len()` rows of the chunk (features in order).
#[inline(always)]
fn row_norms(chunk: &Chunk, norms: &mut [f64]) {
    let rows = norms.len();
    norms.fill(0.0);
    for i in 0..chunk.d {
        let feature = &chunk.x[i * FEATURE_STRIDE..i * FEATURE_STRIDE + rows];
        for (n, v) in norms.iter_mut().zip(feature) {
            *n += v * v;
        }
    }
}

/// [`squared_distances`] inside a SIMD context.
#[inline(always)]
fn squared_distances_with<S: Simd>(simd: S, chunk: &Chunk, vectors: &Vectors, out: &mut [f64]) {
    let padded = chunk.padded;
    vectors.half_distance_offsets(simd, chunk, out);
    let mut norms = [0.0; CHUNK_ROWS];
    let norms = &mut norms[..padded];
    row_norms(chunk, norms);
    for v in 0..vectors.n {
        let row = &mut out[v * CHUNK_ROWS..v * CHUNK_ROWS + padded];
        for (o, n) in row.iter_mut().zip(norms.iter()) {
            let d2 = *n + 2.0 * *o;
            *o = if d2 > 0.0 { d2 } else { 0.0 };
        }
    }
}

/// The register transpose that loads chunks.
mod transpose {
    use super::{FEATURE_STRIDE, TRANSPOSE_ROWS};

    /// How far ahead of the rows it transposes the loader asks for the data (4 KiB): the rows
    /// are read once per pass, from memory, and the processor's own prefetcher leaves the
    /// loads waiting. A single-threaded pass that loads 8 M values (1M×8, 500k×16, 250k×32)
    /// took 5.8 → 3.8, 6.6 → 4.6 and 6.1 → 4.1 ms with it; 1 and 2 KiB ahead gained less, and
    /// 8 KiB no more.
    #[cfg(target_arch = "x86_64")]
    const PREFETCH_VALUES: usize = 512;

    /// Values in a 64-byte cache line.
    #[cfg(target_arch = "x86_64")]
    const LINE_VALUES: usize = 8;

    /// Writes `x[i·FEATURE_STRIDE + b] = xs[b·d + i] − offset[i]` (offset 0 where `offset` is
    /// empty) for the rows and features it can do in 4 × 4 register blocks, and returns how
    /// many rows (a multiple of [`TRANSPOSE_ROWS`]) and features (a multiple of 4) it did.
    #[cfg(target_arch = "x86_64")]
    pub fn blocks(x: &mut [f64], xs: &[f64], d: usize, offset: &[f64]) -> (usize, usize) {
        use pulp::x86::V3;
        let Some(simd) = V3::try_new() else {
            return (0, 0);
        };
        let m = xs.len() / d;
        let rows = m / TRANSPOSE_ROWS * TRANSPOSE_ROWS;
        let features = d / 4 * 4;
        simd.vectorize(
            #[inline(always)]
            || {
                let avx = simd.avx;
                let quad = |values: &[f64]| -> pulp::f64x4 {
                    match <[f64; 4]>::try_from(values) {
                        Ok(a) => pulp::cast(a),
                        Err(_) => pulp::f64x4(0.0, 0.0, 0.0, 0.0),
                    }
                };
                for b0 in (0..rows).step_by(4) {
                    let block = &xs[b0 * d..(b0 + 4) * d];
                    // A hint only: prefetching never faults, even past the end of the data.
                    let ahead = xs.as_ptr().wrapping_add(b0 * d + PREFETCH_VALUES);
                    for line in (0..4 * d).step_by(LINE_VALUES) {
                        simd.sse
                            ._mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(
                                ahead.wrapping_add(line).cast(),
                            );
                    }
                    for f0 in (0..features).step_by(4) {
                        // Each of the four features' offsets in all four lanes.
                        let o: [pulp::f64x4; 4] = std::array::from_fn(|c| {
                            let v = offset.get(f0 + c).copied().unwrap_or(0.0);
                            pulp::f64x4(v, v, v, v)
                        });
                        let r: [pulp::f64x4; 4] =
                            std::array::from_fn(|j| quad(&block[j * d + f0..j * d + f0 + 4]));
                        let t0 = avx._mm256_unpacklo_pd(pulp::cast(r[0]), pulp::cast(r[1]));
                        let t1 = avx._mm256_unpackhi_pd(pulp::cast(r[0]), pulp::cast(r[1]));
                        let t2 = avx._mm256_unpacklo_pd(pulp::cast(r[2]), pulp::cast(r[3]));
                        let t3 = avx._mm256_unpackhi_pd(pulp::cast(r[2]), pulp::cast(r[3]));
                        let columns = [
                            avx._mm256_permute2f128_pd::<0x20>(t0, t2),
                            avx._mm256_permute2f128_pd::<0x20>(t1, t3),
                            avx._mm256_permute2f128_pd::<0x31>(t0, t2),
                            avx._mm256_permute2f128_pd::<0x31>(t1, t3),
                        ];
                        for (c, column) in columns.into_iter().enumerate() {
                            let v = avx._mm256_sub_pd(column, pulp::cast(o[c]));
                            let start = (f0 + c) * FEATURE_STRIDE + b0;
                            let out: [f64; 4] = pulp::cast(v);
                            x[start..start + 4].copy_from_slice(&out);
                        }
                    }
                }
            },
        );
        (rows, features)
    }

    /// Without a register transpose: nothing done.
    #[cfg(not(target_arch = "x86_64"))]
    pub fn blocks(_x: &mut [f64], _xs: &[f64], _d: usize, _offset: &[f64]) -> (usize, usize) {
        (0, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loading_transposes_and_centres_every_value() {
        for d in [1, 2, 3, 4, 5, 7, 8, 9, 16, 33] {
            for m in [1, 3, 4, 7, 8, 9, 31, 100, CHUNK_ROWS - 1, CHUNK_ROWS] {
                let xs: Vec<f64> = (0..m * d).map(|v| v as f64 * 1.25 + 1e4).collect();
                let offset: Vec<f64> = (0..d).map(|i| 1e4 + i as f64 * 0.5).collect();
                let mut chunk = Chunk::new(d);
                chunk.x.fill(f64::NAN);
                chunk.load_centred(&xs, &offset);
                assert_eq!(chunk.rows(), m);
                for i in 0..d {
                    for b in 0..chunk.padded {
                        let want = if b < m {
                            xs[b * d + i] - offset[i]
                        } else {
                            0.0
                        };
                        assert_eq!(
                            chunk.x[i * FEATURE_STRIDE + b],
                            want,
                            "d={d} m={m} i={i} b={b}"
                        );
                    }
                }
                chunk.load(&xs);
                for i in 0..d {
                    for b in 0..m {
                        assert_eq!(chunk.x[i * FEATURE_STRIDE + b], xs[b * d + i]);
                    }
                }
            }
        }
    }
}
