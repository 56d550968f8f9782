//! Starting points for EM: scikit-learn's four `init_params` methods.

use std::fmt;
use std::str::FromStr;
use std::time::Instant;

use gmmc_model::CovarianceType;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::em::{self, EmError, Samples};
use crate::kmeans;
use crate::mixture::Mixture;

/// How the initial responsibilities are chosen (scikit-learn's `init_params`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InitMethod {
    /// k-means (k-means++ seeding, then Lloyd iterations); each row belongs to its cluster.
    KMeans,
    /// k-means++ seeding alone: each component starts from one seed row.
    KMeansPlusPlus,
    /// Random responsibilities, uniform then normalised per row.
    Random,
    /// K distinct random rows, one per component.
    RandomFromData,
}

impl InitMethod {
    /// All methods.
    pub const ALL: [InitMethod; 4] = [
        InitMethod::KMeans,
        InitMethod::KMeansPlusPlus,
        InitMethod::Random,
        InitMethod::RandomFromData,
    ];

    /// The command-line name.
    pub fn as_str(self) -> &'static str {
        match self {
            InitMethod::KMeans => "kmeans",
            InitMethod::KMeansPlusPlus => "k-means++",
            InitMethod::Random => "random",
            InitMethod::RandomFromData => "random-from-data",
        }
    }
}

impl fmt::Display for InitMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for InitMethod {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        InitMethod::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| {
                format!("unknown init method `{s}` (expected kmeans, k-means++, random or random-from-data)")
            })
    }
}

/// A starting point for EM and how it was found.
#[derive(Clone, Debug)]
pub struct Initial {
    /// The initial mixture.
    pub mixture: Mixture,
    /// Lloyd iterations of k-means (`--init kmeans` only).
    pub kmeans_iterations: Option<usize>,
    /// Wall-clock seconds of k-means alone (`--init kmeans` only).
    pub kmeans_seconds: Option<f64>,
}

/// The initial mixture for one EM run: responsibilities from `method`, then scikit-learn's
/// `_initialize` (weights, means and covariances estimated from them).
pub fn initial_mixture(
    method: InitMethod,
    cov: CovarianceType,
    k: usize,
    x: Samples<'_>,
    reg_covar: f64,
    rng: &mut ChaCha8Rng,
) -> Result<Initial, EmError> {
    let from_resp = |mixture: Result<Mixture, EmError>| {
        mixture.map(|mixture| Initial {
            mixture,
            kmeans_iterations: None,
            kmeans_seconds: None,
        })
    };
    let n = x.n_rows();
    match method {
        InitMethod::KMeans => {
            let started = Instant::now();
            let result = kmeans::kmeans(x, k, kmeans::DEFAULT_MAX_ITER, kmeans::DEFAULT_TOL, rng);
            let kmeans_seconds = started.elapsed().as_secs_f64();
            // The centres are the means of their clusters: the statistics can be centred on
            // them in one pass.
            let mixture = em::mixture_from_resp_about(
                cov,
                k,
                x,
                reg_covar,
                &|i: usize, out: &mut [f64]| {
                    out.fill(0.0);
                    out[result.labels[i] as usize] = 1.0;
                },
                &result.centers,
            )?;
            Ok(Initial {
                mixture,
                kmeans_iterations: Some(result.n_iter),
                kmeans_seconds: Some(kmeans_seconds),
            })
        }
        InitMethod::KMeansPlusPlus => {
            let seeds = kmeans::plus_plus(x, k, rng);
            from_resp(em::mixture_from_resp(
                cov,
                k,
                x,
                reg_covar,
                &seed_resp(n, &seeds),
            ))
        }
        InitMethod::RandomFromData => {
            let seeds = rand::seq::index::sample(rng, n, k).into_vec();
            from_resp(em::mixture_from_resp(
                cov,
                k,
                x,
                reg_covar,
                &seed_resp(n, &seeds),
            ))
        }
        InitMethod::Random => {
            let mut resp: Vec<f64> = (0..n * k).map(|_| rng.random::<f64>()).collect();
            for row in resp.chunks_mut(k) {
                let sum: f64 = row.iter().sum();
                for v in row {
                    *v /= sum;
                }
            }
            from_resp(em::mixture_from_resp(
                cov,
                k,
                x,
                reg_covar,
                &|i: usize, out: &mut [f64]| {
                    out.copy_from_slice(&resp[i * k..(i + 1) * k]);
                },
            ))
        }
    }
}

/// Responsibilities that give seed row `seeds[c]` to component `c` and nothing else to anyone
/// (scikit-learn's `k-means++` and `random_from_data`).
fn seed_resp(n: usize, seeds: &[usize]) -> impl Fn(usize, &mut [f64]) + Sync + use<> {
    let mut owner = vec![usize::MAX; n];
    for (c, &i) in seeds.iter().enumerate() {
        owner[i] = c;
    }
    move |i: usize, out: &mut [f64]| {
        out.fill(0.0);
        if let Some(slot) = out.get_mut(owner[i]) {
            *slot = 1.0;
        }
    }
}
