//! Kernel tests against hand-computed values and a dense brute-force density.
#![allow(clippy::needless_range_loop)] // index loops read like the matrix formulas

use super::*;
use crate::{Detector, ScoreKind, ScoreTransform};

const HALF_LN_2PI: f64 = 0.918_938_533_204_672_8;

#[test]
fn one_dimensional_gaussian_by_hand() {
    // N(x; μ = 1, σ = 0.5) at x = 2: −½ln2π − ln 0.5 − 1²/(2·0.25).
    let c = (2.0f64.ln() - HALF_LN_2PI) as f32;
    let m = Spherical::<1, 1> {
        constants: [c],
        means: [[1.0]],
        factors: [2.0],
    };
    let expected = -HALF_LN_2PI + std::f64::consts::LN_2 - 2.0;
    let ll = m.log_likelihood(&[2.0]);
    assert!((ll as f64 - expected).abs() < 1e-6, "{ll} vs {expected}");
}

#[test]
fn two_dimensional_full_by_hand() {
    // U = [[2, 1], [0, 1]] (packed 2, 1, 1): precision U·Uᵀ = [[5, 1], [1, 1]], det 4.
    // At x − μ = (1, 1): q = 5 + 1 + 1 + 1 = 8, so ln p = ½ln 4 − ln 2π − 4.
    let c = (2.0f64.ln() - 2.0 * HALF_LN_2PI) as f32;
    let m = Full::<2, 1, 3> {
        constants: [c],
        means: [[0.5, -1.0]],
        factors: [[2.0, 1.0, 1.0]],
    };
    let expected = 2.0f64.ln() - 2.0 * HALF_LN_2PI - 4.0;
    let ll = m.log_likelihood(&[1.5, 0.0]);
    assert!((ll as f64 - expected).abs() < 1e-6, "{ll} vs {expected}");
}

/// A small deterministic generator (no dependency, same numbers everywhere).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next()
    }
}

/// A random mixture in f64: weights, means, packed factors.
struct Random {
    weights: Vec<f64>,
    means: Vec<Vec<f64>>,
    factors: Vec<Vec<f64>>,
}

fn random_mixture(rng: &mut Lcg, d: usize, k: usize) -> Random {
    let raw: Vec<f64> = (0..k).map(|_| rng.uniform(0.2, 1.0)).collect();
    let total: f64 = raw.iter().sum();
    let weights = raw.iter().map(|w| w / total).collect();
    let means = (0..k)
        .map(|_| (0..d).map(|_| rng.uniform(-3.0, 3.0)).collect())
        .collect();
    let factors = (0..k)
        .map(|_| {
            let mut f = Vec::new();
            for j in 0..d {
                for i in 0..=j {
                    f.push(if i == j {
                        rng.uniform(0.3, 2.0)
                    } else {
                        rng.uniform(-0.8, 0.8)
                    });
                }
            }
            f
        })
        .collect();
    Random {
        weights,
        means,
        factors,
    }
}

fn folded_constant(weight: f64, diagonal: impl Iterator<Item = f64>, d: usize) -> f32 {
    (weight.ln() + diagonal.map(f64::ln).sum::<f64>() - d as f64 * HALF_LN_2PI) as f32
}

fn packed_diagonal(f: &[f64], d: usize) -> impl Iterator<Item = f64> + '_ {
    (0..d).map(|j| f[j * (j + 1) / 2 + j])
}

/// Determinant by Gaussian elimination with partial pivoting.
fn determinant(mut a: Vec<Vec<f64>>) -> f64 {
    let n = a.len();
    let mut det = 1.0;
    for c in 0..n {
        let p = (c..n)
            .max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))
            .unwrap();
        if p != c {
            a.swap(p, c);
            det = -det;
        }
        det *= a[c][c];
        for r in c + 1..n {
            let f = a[r][c] / a[c][c];
            for j in c..n {
                a[r][j] -= f * a[c][j];
            }
        }
    }
    det
}

/// ln p(x) from dense precision matrices P = U·Uᵀ and det P, in f64 — no folded constants,
/// no triangular factor.
fn brute_force(m: &Random, d: usize, x: &[f64]) -> f64 {
    let mut density = 0.0;
    for (k, w) in m.weights.iter().enumerate() {
        let mut u = vec![vec![0.0; d]; d];
        for j in 0..d {
            for i in 0..=j {
                u[i][j] = m.factors[k][j * (j + 1) / 2 + i];
            }
        }
        let p: Vec<Vec<f64>> = (0..d)
            .map(|i| {
                (0..d)
                    .map(|j| (0..d).map(|l| u[i][l] * u[j][l]).sum())
                    .collect()
            })
            .collect();
        let diff: Vec<f64> = (0..d).map(|i| x[i] - m.means[k][i]).collect();
        let q: f64 = (0..d)
            .flat_map(|i| (0..d).map(move |j| (i, j)))
            .map(|(i, j)| diff[i] * p[i][j] * diff[j])
            .sum();
        density += w * determinant(p).sqrt() * (-(d as f64) * HALF_LN_2PI - 0.5 * q).exp();
    }
    density.ln()
}

fn to_full<const D: usize, const K: usize, const P: usize>(m: &Random) -> Full<D, K, P> {
    Full {
        constants: core::array::from_fn(|k| {
            folded_constant(m.weights[k], packed_diagonal(&m.factors[k], D), D)
        }),
        means: core::array::from_fn(|k| core::array::from_fn(|j| m.means[k][j] as f32)),
        factors: core::array::from_fn(|k| core::array::from_fn(|i| m.factors[k][i] as f32)),
    }
}

fn check_against_brute_force<const D: usize, const K: usize, const P: usize>(seed: u64) {
    let mut rng = Lcg(seed);
    let m = random_mixture(&mut rng, D, K);
    let scorer: Full<D, K, P> = to_full(&m);
    for _ in 0..50 {
        // Points drawn around the components, where every density is representable in f64.
        let x: [f32; D] = core::array::from_fn(|_| rng.uniform(-5.0, 5.0) as f32);
        let x64: Vec<f64> = x.iter().map(|&v| v as f64).collect();
        let expected = brute_force(&m, D, &x64);
        let got = scorer.log_likelihood(&x) as f64;
        let err = (got - expected).abs() / expected.abs().max(1.0);
        assert!(err < 1e-5, "D={D} K={K}: {got} vs {expected} (rel {err:e})");
    }
}

#[test]
fn full_matches_dense_brute_force() {
    check_against_brute_force::<1, 1, 1>(1);
    check_against_brute_force::<2, 3, 3>(2);
    check_against_brute_force::<3, 2, 6>(3);
    check_against_brute_force::<5, 4, 15>(4);
    check_against_brute_force::<6, 3, 21>(5);
}

#[test]
fn tied_is_full_with_one_shared_factor_bit_for_bit() {
    let mut rng = Lcg(11);
    let mut m = random_mixture(&mut rng, 4, 3);
    m.factors = vec![m.factors[0].clone(); 3];
    let full: Full<4, 3, 10> = to_full(&m);
    let tied = Tied::<4, 3, 10> {
        constants: full.constants,
        means: full.means,
        factor: full.factors[0],
    };
    for _ in 0..100 {
        let x: [f32; 4] = core::array::from_fn(|_| rng.uniform(-6.0, 6.0) as f32);
        assert_eq!(
            tied.log_likelihood(&x).to_bits(),
            full.log_likelihood(&x).to_bits()
        );
    }
}

#[test]
fn diag_and_spherical_are_full_with_zero_off_diagonals_bit_for_bit() {
    let mut rng = Lcg(12);
    let m = random_mixture(&mut rng, 3, 2);
    let diag_of = |k: usize| -> [f32; 3] {
        core::array::from_fn(|j| m.factors[k][j * (j + 1) / 2 + j] as f32)
    };
    let diag = Diag::<3, 2> {
        constants: core::array::from_fn(|k| {
            folded_constant(m.weights[k], packed_diagonal(&m.factors[k], 3), 3)
        }),
        means: core::array::from_fn(|k| core::array::from_fn(|j| m.means[k][j] as f32)),
        factors: [diag_of(0), diag_of(1)],
    };
    let packed_of = |p: [f32; 3]| [p[0], 0.0, p[1], 0.0, 0.0, p[2]];
    let full = Full::<3, 2, 6> {
        constants: diag.constants,
        means: diag.means,
        factors: [packed_of(diag.factors[0]), packed_of(diag.factors[1])],
    };
    let spherical = Spherical::<3, 2> {
        constants: diag.constants,
        means: diag.means,
        factors: [1.25, 0.5],
    };
    let spherical_as_diag = Diag::<3, 2> {
        factors: [[1.25; 3], [0.5; 3]],
        ..diag.clone()
    };
    for _ in 0..100 {
        let x: [f32; 3] = core::array::from_fn(|_| rng.uniform(-6.0, 6.0) as f32);
        assert_eq!(
            diag.log_likelihood(&x).to_bits(),
            full.log_likelihood(&x).to_bits()
        );
        assert_eq!(
            spherical.log_likelihood(&x).to_bits(),
            spherical_as_diag.log_likelihood(&x).to_bits()
        );
    }
}

fn detector() -> Detector<Diag<2, 1>, 2, 4> {
    Detector {
        mixture: Diag {
            constants: [-(2.0 * HALF_LN_2PI) as f32],
            means: [[0.0, 0.0]],
            factors: [[1.0, 1.0]],
        },
        axes: [3, 1],
        transform: ScoreTransform {
            kind: ScoreKind::Nll,
            offset: 0.0,
            scale: 1.0,
            threshold: 4.0,
        },
    }
}

#[test]
fn detector_reads_its_axes_and_thresholds_the_score() {
    let det = detector();
    assert_eq!(det.n_features(), 2);
    assert_eq!(det.n_inputs(), 4);
    assert_eq!(Detector::<Diag<2, 1>, 2, 4>::N_COMPONENTS, 1);
    let inputs = [100.0, 2.0, -50.0, 1.0];
    assert_eq!(det.features(&inputs), [1.0, 2.0]);
    // NLL of a standard normal at (1, 2): ln 2π + (1 + 4)/2.
    let expected = 2.0 * HALF_LN_2PI + 2.5;
    assert!((det.score_inputs(&inputs) as f64 - expected).abs() < 1e-6);
    assert!(det.is_anomaly_inputs(&inputs)); // 4.34 > 4
    assert!(!det.is_anomaly(&[0.0, 0.0])); // 1.84
    assert_eq!(det.threshold(), 4.0);
}

#[test]
fn an_axis_outside_the_input_scores_infinite_instead_of_panicking() {
    let det = Detector {
        axes: [3, 9],
        ..detector()
    };
    assert_eq!(det.score_inputs(&[0.0; 4]), f32::INFINITY);
    assert!(det.is_anomaly_inputs(&[0.0; 4]));
}
