//! Time per EM iteration (one fused E-step + M-step pass) of the trainer's kernels, on
//! generated data, with one thread and with all of them.
//!
//! ```sh
//! cargo bench --bench em               # every case
//! cargo bench --bench em -- full 32    # cases whose name contains every word given
//! ```
//!
//! The data are drawn from a random mixture (means uniform in [−0.5, 0.5]ᴰ, per-component
//! scales 0.05–0.3, random shears), seeded, so runs are comparable. Each figure is the median
//! (and minimum) over repeated single iterations from the same start. For the comparison with
//! scikit-learn, see `bench/training/run`.

use std::time::Instant;

use gmmc::em::{self, EmOptions, Samples};
use gmmc::kmeans;
use gmmc::mixture::Mixture;
use gmmc_model::{CovarianceType, packed};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

struct Case {
    n: usize,
    d: usize,
    k: usize,
    cov: CovarianceType,
}

impl Case {
    fn name(&self) -> String {
        format!("{}x{} K={} {}", self.n, self.d, self.k, self.cov)
    }
}

/// A random mixture of the case's shape (see the module docs).
fn random_mixture(case: &Case, rng: &mut ChaCha8Rng) -> Mixture {
    let (k, d) = (case.k, case.d);
    let weights = vec![1.0 / k as f64; k];
    let means = (0..k * d).map(|_| rng.random::<f64>() - 0.5).collect();
    let factors = match case.cov {
        CovarianceType::Full | CovarianceType::Tied => {
            let count = if case.cov == CovarianceType::Full {
                k
            } else {
                1
            };
            let mut f = Vec::with_capacity(count * packed::len(d));
            for _ in 0..count {
                for j in 0..d {
                    for i in 0..=j {
                        f.push(if i == j {
                            1.0 / (0.05 + 0.25 * rng.random::<f64>())
                        } else {
                            rng.random::<f64>() - 0.5
                        });
                    }
                }
            }
            f
        }
        CovarianceType::Diag => (0..k * d)
            .map(|_| 1.0 / (0.05 + 0.25 * rng.random::<f64>()))
            .collect(),
        CovarianceType::Spherical => (0..k)
            .map(|_| 1.0 / (0.05 + 0.25 * rng.random::<f64>()))
            .collect(),
    };
    Mixture {
        covariance_type: case.cov,
        n_components: k,
        n_features: d,
        weights,
        means,
        factors,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn time_iterations(start: &Mixture, x: Samples<'_>, repeats: usize) -> (f64, f64) {
    let options = EmOptions {
        max_iter: 1,
        tol: 0.0,
        reg_covar: 1e-6,
    };
    let mut times = Vec::with_capacity(repeats);
    for _ in 0..repeats {
        let t = Instant::now();
        let run = em::run(start.clone(), x, &options, &mut |_, _| {});
        times.push(t.elapsed().as_secs_f64());
        assert!(run.is_ok(), "EM failed on benchmark data");
    }
    let min = times.iter().copied().fold(f64::INFINITY, f64::min);
    (median(times), min)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let kmeans_only = args.iter().any(|a| a == "--kmeans-only");
    let filters: Vec<String> = args.into_iter().filter(|a| !a.starts_with('-')).collect();
    let cases = [
        Case {
            n: 100_000,
            d: 32,
            k: 8,
            cov: CovarianceType::Full,
        },
        Case {
            n: 100_000,
            d: 32,
            k: 8,
            cov: CovarianceType::Diag,
        },
        Case {
            n: 1_000_000,
            d: 8,
            k: 4,
            cov: CovarianceType::Full,
        },
        Case {
            n: 10_000,
            d: 16,
            k: 4,
            cov: CovarianceType::Full,
        },
        Case {
            n: 100_000,
            d: 32,
            k: 8,
            cov: CovarianceType::Tied,
        },
        Case {
            n: 100_000,
            d: 32,
            k: 8,
            cov: CovarianceType::Spherical,
        },
    ];
    let single = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a one-thread pool");
    println!(
        "{:<28} {:>14} {:>14} {:>14} {:>14}",
        "case", "1 thread ms", "(min)", "all threads ms", "(min)"
    );
    for case in cases
        .iter()
        .filter(|c| filters.iter().all(|f| c.name().contains(f.as_str())))
    {
        let mut rng = ChaCha8Rng::seed_from_u64(case.n as u64 * 31 + case.d as u64);
        let truth = random_mixture(case, &mut rng);
        let values = truth.sample(case.n, &mut rng);
        let x = Samples::new(&values, case.d).expect("whole rows");
        let start = random_mixture(case, &mut rng);
        let repeats = (2e7 / (case.n * case.k * case.d * case.d) as f64).clamp(5.0, 50.0) as usize;
        let ((one, one_min), (all, all_min)) = if kmeans_only {
            ((f64::NAN, f64::NAN), (f64::NAN, f64::NAN))
        } else {
            (
                single.install(|| time_iterations(&start, x, repeats)),
                time_iterations(&start, x, repeats),
            )
        };
        println!(
            "{:<28} {:>14.3} {:>14.3} {:>14.3} {:>14.3}",
            case.name(),
            one * 1e3,
            one_min * 1e3,
            all * 1e3,
            all_min * 1e3
        );
        if case.cov == CovarianceType::Full {
            let mut times = Vec::new();
            let mut n_iter = 0;
            for seed in 0..5 {
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                let t = Instant::now();
                let result = kmeans::kmeans(
                    x,
                    case.k,
                    kmeans::DEFAULT_MAX_ITER,
                    kmeans::DEFAULT_TOL,
                    &mut rng,
                );
                times.push(t.elapsed().as_secs_f64());
                n_iter = result.n_iter;
            }
            println!(
                "{:<28} {:>14} {:>14} {:>14.3} {:>14.3}  (seeds 0-4; seed 4: {n_iter} Lloyd iterations)",
                format!("  k-means, K={}", case.k),
                "",
                "",
                median(times.clone()) * 1e3,
                times.iter().copied().fold(f64::INFINITY, f64::min) * 1e3
            );
        }
    }
}
