//! Training: EM runs from one or more starting points, the best kept, turned into a model
//! file with a calibrated score transform and a report.

use std::time::Instant;

use gmmc_model::{CovarianceType, FORMAT_NAME, FORMAT_VERSION, Model, ScoreKind, Training, packed};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::calibrate;
use crate::criteria;
use crate::em::{self, EmError, EmOptions, Samples};
use crate::init::{self, InitMethod};
use crate::mixture::Mixture;

/// Where EM starts.
#[derive(Clone, Debug, PartialEq)]
pub enum Start {
    /// Responsibilities from an initialisation method (drawn afresh for every `n_init`).
    Method(InitMethod),
    /// Exactly this mixture's weights, means and precision factors (a warm start, as
    /// scikit-learn's `weights_init`, `means_init`, `precisions_init`).
    Mixture(Mixture),
}

/// Everything that controls a fit. Defaults are scikit-learn's (`tol` 1e-3, `max_iter` 100,
/// `reg_covar` 1e-6, one k-means initialisation) with seed 0.
#[derive(Clone, Debug, PartialEq)]
pub struct FitOptions {
    /// How covariances are parameterised.
    pub covariance_type: CovarianceType,
    /// K.
    pub n_components: usize,
    /// The starting point.
    pub start: Start,
    /// Initialisations to try; the one with the best final lower bound is kept.
    pub n_init: usize,
    /// Iteration limit per initialisation.
    pub max_iter: usize,
    /// Convergence threshold on the change of the lower bound.
    pub tol: f64,
    /// Added to covariance diagonals.
    pub reg_covar: f64,
    /// Seed of the random generator; the same seed gives a bit-identical fit.
    pub seed: u64,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            covariance_type: CovarianceType::Full,
            n_components: 1,
            start: Start::Method(InitMethod::KMeans),
            n_init: 1,
            max_iter: 100,
            tol: 1e-3,
            reg_covar: 1e-6,
            seed: 0,
        }
    }
}

/// Why a fit failed.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// An option is out of range.
    #[error("{0}")]
    Options(String),
    /// Fewer samples than components.
    #[error(
        "{n_samples} sample(s) cannot fit {n_components} components: use at most {n_samples} \
         components or more data"
    )]
    TooFewSamples {
        /// N.
        n_samples: usize,
        /// K.
        n_components: usize,
    },
    /// A value is so large that its square overflows f64, or is not finite.
    #[error(
        "{value:e} in feature `{feature}` is too large to fit a Gaussian to (its \
         square overflows f64): rescale the feature, for instance to standard units"
    )]
    ValueTooLarge {
        /// The feature's name.
        feature: String,
        /// The 0-based row.
        row: usize,
        /// The value.
        value: f64,
    },
    /// EM failed; `hint` says what to change.
    #[error("{source}; {hint}")]
    Em {
        /// The failure.
        source: EmError,
        /// What the user can do.
        hint: String,
    },
}

/// Summary of one initialisation's EM run.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct InitSummary {
    /// Final lower bound.
    pub lower_bound: f64,
    /// Iterations run.
    pub n_iter: usize,
    /// Whether it converged.
    pub converged: bool,
    /// Wall-clock seconds of the initialisation (k-means or the other method; 0 for a warm
    /// start).
    pub init_seconds: f64,
    /// Wall-clock seconds of the EM iterations.
    pub em_seconds: f64,
    /// Lloyd iterations of the k-means initialisation (absent for other starts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kmeans_iterations: Option<usize>,
    /// Wall-clock seconds of k-means alone, part of `init_seconds` (absent for other starts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kmeans_seconds: Option<f64>,
}

/// The kept EM run and what the others did.
#[derive(Clone, Debug)]
pub struct Fit {
    /// The fitted mixture (after the last M-step of the kept run).
    pub mixture: Mixture,
    /// Lower bound per iteration of the kept run.
    pub lower_bounds: Vec<f64>,
    /// Final lower bound of the kept run.
    pub lower_bound: f64,
    /// Iterations of the kept run.
    pub n_iter: usize,
    /// Whether the kept run converged.
    pub converged: bool,
    /// Index of the kept initialisation.
    pub best_init: usize,
    /// Every initialisation's summary.
    pub inits: Vec<InitSummary>,
}

/// Progress events of a fit, for a terminal display.
#[derive(Clone, Copy, Debug)]
pub enum Progress {
    /// Initialisation `init` (0-based) of `n_init` starts.
    Init {
        /// Which one.
        init: usize,
        /// How many.
        n_init: usize,
    },
    /// An EM iteration finished.
    Iteration {
        /// 1-based iteration number.
        iteration: usize,
        /// Its lower bound.
        lower_bound: f64,
    },
}

fn check_options(options: &FitOptions, n: usize, d: usize) -> Result<(), TrainError> {
    let bad = |m: String| Err(TrainError::Options(m));
    if options.n_components == 0 {
        return bad("the number of components must be at least 1".into());
    }
    if options.n_init == 0 {
        return bad("--n-init must be at least 1".into());
    }
    if !(options.tol >= 0.0 && options.tol.is_finite()) {
        return bad(format!(
            "--tol must be a non-negative number, not {}",
            options.tol
        ));
    }
    if !(options.reg_covar >= 0.0 && options.reg_covar.is_finite()) {
        return bad(format!(
            "--reg-covar must be a non-negative number, not {}",
            options.reg_covar
        ));
    }
    if n < options.n_components {
        return Err(TrainError::TooFewSamples {
            n_samples: n,
            n_components: options.n_components,
        });
    }
    if let Start::Mixture(m) = &options.start {
        if m.n_features != d {
            return bad(format!(
                "the initial model reads {} features but the data has {d} selected columns",
                m.n_features
            ));
        }
        if m.n_components != options.n_components || m.covariance_type != options.covariance_type {
            return bad(format!(
                "the initial model has {} `{}` components but {} `{}` were asked for",
                m.n_components, m.covariance_type, options.n_components, options.covariance_type
            ));
        }
    }
    Ok(())
}

/// Largest magnitude a training value may have: squares and sums of squares of a few thousand
/// such values stay far from f64's overflow at 1.8e308.
pub const MAX_ABS_VALUE: f64 = 1e150;

/// Refuses values whose squares would overflow (or that are not finite at all).
pub fn check_magnitudes(x: Samples<'_>, names: &[String]) -> Result<(), TrainError> {
    let d = x.n_features().max(1);
    let values = x.rows(0..x.n_rows());
    match crate::data::first_where(values, |v| v.is_nan() || v.abs() > MAX_ABS_VALUE) {
        None => Ok(()),
        Some(k) => {
            let j = k % d;
            Err(TrainError::ValueTooLarge {
                feature: names.get(j).cloned().unwrap_or_else(|| format!("#{j}")),
                row: k / d,
                value: values[k],
            })
        }
    }
}

/// Fits a Gaussian mixture to `x` with scikit-learn's semantics. `feature_names` (D) are used
/// only in hints of error messages.
pub fn fit(
    x: Samples<'_>,
    options: &FitOptions,
    feature_names: &[String],
    progress: &mut dyn FnMut(Progress),
) -> Result<Fit, TrainError> {
    check_options(options, x.n_rows(), x.n_features())?;
    check_magnitudes(x, feature_names)?;
    let em_options = EmOptions {
        max_iter: options.max_iter,
        tol: options.tol,
        reg_covar: options.reg_covar,
    };
    let hint = |source: EmError| TrainError::Em {
        hint: degenerate_hint(x, feature_names, options.reg_covar, &source),
        source,
    };
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let mut best: Option<Fit> = None;
    let mut inits = Vec::new();
    for init in 0..options.n_init {
        progress(Progress::Init {
            init,
            n_init: options.n_init,
        });
        let init_started = Instant::now();
        let (start, kmeans_iterations, kmeans_seconds) = match &options.start {
            Start::Mixture(m) => (m.clone(), None, None),
            Start::Method(method) => init::initial_mixture(
                *method,
                options.covariance_type,
                options.n_components,
                x,
                options.reg_covar,
                &mut rng,
            )
            .map(|initial| {
                (
                    initial.mixture,
                    initial.kmeans_iterations,
                    initial.kmeans_seconds,
                )
            })
            .map_err(hint)?,
        };
        let init_seconds = init_started.elapsed().as_secs_f64();
        let em_started = Instant::now();
        let run = em::run(start, x, &em_options, &mut |iteration, lower_bound| {
            progress(Progress::Iteration {
                iteration,
                lower_bound,
            })
        })
        .map_err(hint)?;
        inits.push(InitSummary {
            lower_bound: run.lower_bound,
            n_iter: run.n_iter,
            converged: run.converged,
            init_seconds,
            em_seconds: em_started.elapsed().as_secs_f64(),
            kmeans_iterations,
            kmeans_seconds,
        });
        if best
            .as_ref()
            .is_none_or(|b| run.lower_bound > b.lower_bound)
        {
            best = Some(Fit {
                mixture: run.mixture,
                lower_bounds: run.lower_bounds,
                lower_bound: run.lower_bound,
                n_iter: run.n_iter,
                converged: run.converged,
                best_init: init,
                inits: Vec::new(),
            });
        }
    }
    let mut fit = best.ok_or_else(|| TrainError::Options("--n-init must be at least 1".into()))?;
    fit.inits = inits;
    Ok(fit)
}

/// What to tell a user whose fit hit a degenerate covariance: the constant or duplicated
/// columns if there are any, and the regularisation to raise.
fn degenerate_hint(x: Samples<'_>, names: &[String], reg_covar: f64, error: &EmError) -> String {
    if let EmError::NonFiniteLikelihood { .. } = error {
        return "rescale the features (for instance to standard units) before training".into();
    }
    let (n, d) = (x.n_rows(), x.n_features());
    let name = |j: usize| names.get(j).cloned().unwrap_or_else(|| format!("#{j}"));
    let constant: Vec<String> = (0..d)
        .filter(|&j| (1..n).all(|i| x.row(i)[j] == x.row(0)[j]))
        .map(|j| format!("`{}`", name(j)))
        .collect();
    let mut duplicated = Vec::new();
    for a in 0..d {
        for b in a + 1..d {
            if (0..n).all(|i| x.row(i)[a] == x.row(i)[b]) {
                duplicated.push(format!("`{}` = `{}`", name(a), name(b)));
            }
        }
    }
    let mut hint = format!("increase --reg-covar (now {reg_covar:e})");
    if !constant.is_empty() {
        hint.push_str(&format!(
            " or remove the constant column(s) {}",
            constant.join(", ")
        ));
    }
    if !duplicated.is_empty() {
        hint.push_str(&format!(
            " or remove duplicated columns ({})",
            duplicated.join(", ")
        ));
    }
    if constant.is_empty() && duplicated.is_empty() {
        if collinear(x) {
            hint.push_str(" or remove features that are linear combinations of others");
        } else {
            hint.push_str(" or use fewer components");
        }
    }
    hint
}

/// Whether the data's own covariance (all rows, no regularisation) is singular: some feature
/// is a linear combination of the others.
fn collinear(x: Samples<'_>) -> bool {
    let (n, d) = (x.n_rows(), x.n_features());
    let mut mean = vec![0.0; d];
    for i in 0..n {
        for (m, v) in mean.iter_mut().zip(x.row(i)) {
            *m += v / n as f64;
        }
    }
    let mut scatter = vec![0.0; packed::len(d)];
    for i in 0..n {
        let row = x.row(i);
        for j in 0..d {
            for l in 0..=j {
                scatter[packed::index(l, j)] += (row[l] - mean[l]) * (row[j] - mean[j]);
            }
        }
    }
    // Relative to the scale of each feature, a singular covariance has a pivot of rounding size.
    let scale: Vec<f64> = (0..d)
        .map(|j| scatter[packed::diagonal(j)].sqrt())
        .collect();
    if scale.contains(&0.0) {
        return true;
    }
    let mut correlation = scatter;
    for j in 0..d {
        for l in 0..=j {
            correlation[packed::index(l, j)] /= scale[l] * scale[j];
        }
        correlation[packed::diagonal(j)] -= 1e-9;
    }
    crate::covariance::full_precision_cholesky(&correlation, d).is_err()
}

/// What, besides the fit options, a model file needs: the data's description and the score.
#[derive(Clone, Debug)]
pub struct ModelOptions {
    /// The D feature names, in model order.
    pub feature_names: Vec<String>,
    /// For each feature, its index in the input vector.
    pub axes: Vec<usize>,
    /// Length of the input vector.
    pub n_inputs: usize,
    /// The data file's name, recorded in the model.
    pub data_name: Option<String>,
    /// Which anomaly score.
    pub score_kind: ScoreKind,
    /// The training quantile that sets the score scale (normalized) or threshold.
    pub threshold_quantile: f64,
}

/// The training report (`--report`): the fields DESIGN.md names, and more.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// EM iterations of the kept initialisation.
    pub n_iter: usize,
    /// Whether it converged.
    pub converged: bool,
    /// Its final lower bound.
    pub lower_bound: f64,
    /// Its lower bound per iteration (mean log-likelihood before that iteration's M-step).
    pub lower_bounds: Vec<f64>,
    /// Wall-clock seconds of the fit (initialisation and EM, all n_init runs).
    pub fit_seconds: f64,
    /// N.
    pub n_samples: usize,
    /// D.
    pub n_features: usize,
    /// K.
    pub n_components: usize,
    /// Covariance type.
    pub covariance_type: CovarianceType,
    /// Initialisation (a method name, or `model` for a warm start).
    pub init: String,
    /// Initialisations tried.
    pub n_init: usize,
    /// Index of the kept one.
    pub best_init: usize,
    /// Every initialisation's outcome.
    pub inits: Vec<InitSummary>,
    /// Random seed.
    pub seed: u64,
    /// Convergence tolerance.
    pub tol: f64,
    /// Iteration limit.
    pub max_iter: usize,
    /// Covariance regularisation.
    pub reg_covar: f64,
    /// Mean training log-likelihood under the fitted model (scikit-learn's `score`).
    pub mean_log_likelihood: f64,
    /// BIC on the training data.
    pub bic: f64,
    /// AIC on the training data.
    pub aic: f64,
    /// The score kind of the model.
    pub score_kind: ScoreKind,
    /// The model's threshold.
    pub threshold: f64,
}

/// A trained model and its report.
#[derive(Clone, Debug)]
pub struct Trained {
    /// The model file's contents (validated).
    pub model: Model,
    /// The report.
    pub report: Report,
    /// Log-likelihood of every training row under the model.
    pub log_likelihoods: Vec<f64>,
}

/// The model-file name of a start.
fn start_name(start: &Start) -> String {
    match start {
        Start::Method(m) => m.as_str().to_string(),
        Start::Mixture(_) => "model".to_string(),
    }
}

/// Fits, calibrates the score on the training data and assembles the model and report.
pub fn train(
    x: Samples<'_>,
    fit_options: &FitOptions,
    model_options: &ModelOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Trained, TrainError> {
    let q = model_options.threshold_quantile;
    if !(q > 0.0 && q < 1.0) {
        return Err(TrainError::Options(format!(
            "--threshold-quantile must be strictly between 0 and 1, not {q}"
        )));
    }
    let started = Instant::now();
    let fit = fit(x, fit_options, &model_options.feature_names, progress)?;
    let fit_seconds = started.elapsed().as_secs_f64();
    let mix = &fit.mixture;
    let lls = em::log_likelihoods(mix, x);
    let sum_ll: f64 = lls.iter().sum();
    let (k, d, cov) = (mix.n_components, mix.n_features, mix.covariance_type);
    let n = x.n_rows();
    let calibration = format!("{n} training samples");
    let score = calibrate::score_transform(model_options.score_kind, &lls, q, calibration);
    let training = Training {
        source: "gmmc train".into(),
        tool: format!("gmmc {}", env!("CARGO_PKG_VERSION")),
        data: model_options.data_name.clone(),
        n_samples: Some(n),
        init: Some(start_name(&fit_options.start)),
        n_init: Some(fit_options.n_init),
        max_iter: Some(fit_options.max_iter),
        tol: Some(fit_options.tol),
        reg_covar: Some(fit_options.reg_covar),
        seed: Some(fit_options.seed),
        n_iter: Some(fit.n_iter),
        converged: Some(fit.converged),
        lower_bound: Some(fit.lower_bound),
    };
    let model = Model {
        format: FORMAT_NAME.into(),
        version: FORMAT_VERSION,
        covariance_type: cov,
        n_features: d,
        n_components: k,
        n_inputs: model_options.n_inputs,
        feature_names: model_options.feature_names.clone(),
        axes: model_options.axes.clone(),
        weights: mix.weights.clone(),
        means: mix.means_rows(),
        precisions_cholesky: mix.precisions(),
        score,
        training,
    };
    model.validate().map_err(|e| {
        TrainError::Options(format!(
            "the fitted model cannot be stored ({e}); rescale the features or increase --reg-covar"
        ))
    })?;
    let report = Report {
        n_iter: fit.n_iter,
        converged: fit.converged,
        lower_bound: fit.lower_bound,
        lower_bounds: fit.lower_bounds.clone(),
        fit_seconds,
        n_samples: n,
        n_features: d,
        n_components: k,
        covariance_type: cov,
        init: start_name(&fit_options.start),
        n_init: fit_options.n_init,
        best_init: fit.best_init,
        inits: fit.inits.clone(),
        seed: fit_options.seed,
        tol: fit_options.tol,
        max_iter: fit_options.max_iter,
        reg_covar: fit_options.reg_covar,
        mean_log_likelihood: sum_ll / n as f64,
        bic: criteria::bic(sum_ll, n, cov, k, d),
        aic: criteria::aic(sum_ll, cov, k, d),
        score_kind: model.score.kind,
        threshold: model.score.threshold,
    };
    Ok(Trained {
        model,
        report,
        log_likelihoods: lls,
    })
}
