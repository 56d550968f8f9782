//! `gmmc train DATA`

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use gmmc::calibrate::DEFAULT_QUANTILE;
use gmmc::data::{self, LoadOptions, Selection};
use gmmc::em::Samples;
use gmmc::init::InitMethod;
use gmmc::mixture::Mixture;
use gmmc::model::{CovarianceType, MAX_COMPONENTS, MAX_FEATURES, ScoreKind};
use gmmc::selection::{self, Components, Search, SelectionProgress};
use gmmc::train::{self, FitOptions, ModelOptions, Progress, Report, Start};
use serde::Serialize;

use crate::failure::{Failure, load_model, write_outputs};
use crate::values;

/// Fit a Gaussian mixture to the rows of DATA and write it as a model file with a calibrated
/// anomaly score and threshold.
///
/// Fitting follows scikit-learn's GaussianMixture: EM from a k-means initialisation, stopping
/// when the mean log-likelihood changes by less than --tol. The score is calibrated on the
/// training rows: with the default `normalized` score, a typical training row scores 0 and the
/// --threshold-quantile (0.99) of training rows scores 1.0, the threshold.
///
/// A run that does not converge within --max-iter iterations still writes its model, warns on
/// stderr and records `"converged": false` in the model and the --report.
#[derive(clap::Args)]
pub struct Args {
    /// Training data: CSV with a header row, NumPy .npy 2-D float array, or `-` for CSV on
    /// stdin. Every column but the label column is a feature.
    data: String,
    /// Where to write the model.
    #[arg(short, long, value_name = "MODEL.json", default_value = "model.json")]
    output: PathBuf,
    /// Number of mixture components K: a number, `auto` (fit K = 1 to 10 and keep the lowest
    /// BIC) or `auto:MIN..MAX` (inclusive). BIC and AIC are scikit-learn's; the table of K,
    /// BIC, AIC and mean log-likelihood is printed and added to --report as `selection`.
    /// Default: 1, or the --init-model's K.
    #[arg(short = 'k', long = "components", value_name = "N|auto[:MIN..MAX]")]
    components: Option<Components>,
    /// Covariance type: full, tied, diag or spherical. Default: full, or the --init-model's.
    #[arg(long, value_name = "TYPE")]
    covariance: Option<CovarianceType>,
    /// Feature columns to train on, comma-separated names or 0-based indices (counting
    /// feature columns only); default: every feature column.
    #[arg(long, value_name = "NAMES|INDICES")]
    axes: Option<String>,
    /// A column of DATA that holds labels, not features.
    #[arg(long, value_name = "NAME")]
    label_column: Option<String>,
    /// Initialisation: kmeans, k-means++, random or random-from-data.
    #[arg(
        long,
        value_name = "METHOD",
        default_value = "kmeans",
        conflicts_with = "init_model"
    )]
    init: InitMethod,
    /// Start EM from exactly this model's weights, means and precisions (a warm start); K,
    /// the covariance type and the features default to the model's.
    #[arg(long, value_name = "MODEL.json")]
    init_model: Option<PathBuf>,
    /// Initialisations to try (1 to 10000); the one with the best final lower bound is kept.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = values::n_init)]
    n_init: usize,
    /// Most EM iterations per initialisation.
    #[arg(long, value_name = "N", default_value_t = 100)]
    max_iter: usize,
    /// Convergence threshold on the change of the mean log-likelihood.
    #[arg(long, value_name = "F", default_value_t = 1e-3,
          value_parser = values::non_negative, allow_negative_numbers = true)]
    tol: f64,
    /// Added to the diagonal of every covariance, keeping it positive definite.
    #[arg(long, value_name = "F", default_value = "1e-6",
          value_parser = values::non_negative, allow_negative_numbers = true)]
    reg_covar: f64,
    /// Random seed; the same data, options and seed give a bit-identical model file.
    #[arg(long, value_name = "N", default_value_t = 0)]
    seed: u64,
    /// Anomaly score: normalized (0 typical, 1 at the threshold quantile), nll (negative
    /// log-likelihood) or edge-impulse (|z-score| of the log-likelihood, as Edge Impulse).
    #[arg(long = "score", value_name = "KIND", default_value = "normalized")]
    score_kind: ScoreKind,
    /// Fraction of training rows that should score at or below the threshold.
    #[arg(long, value_name = "Q", default_value_t = DEFAULT_QUANTILE,
          value_parser = values::fraction, allow_negative_numbers = true)]
    threshold_quantile: f64,
    /// Also write a JSON training report (iterations, lower bounds, BIC, timing) here.
    #[arg(long, value_name = "REPORT.json")]
    report: Option<PathBuf>,
    /// With --components auto: also draw BIC and AIC against K as an SVG picture here.
    #[arg(long, value_name = "FILE.svg")]
    plot: Option<PathBuf>,
    /// Print nothing but errors and warnings.
    #[arg(short, long)]
    quiet: bool,
}

pub fn run(args: Args) -> Result<(), Failure> {
    let init_model = args.init_model.as_deref().map(load_model).transpose()?;
    let selection = match (&args.axes, &init_model) {
        (Some(axes), _) => Selection::Axes(axes.clone()),
        (None, Some(m)) => Selection::Model {
            names: m.feature_names.clone(),
            axes: m.axes.clone(),
            n_inputs: m.n_inputs,
        },
        (None, None) => Selection::All,
    };
    let table = data::load(
        &args.data,
        &LoadOptions {
            label_column: args.label_column.clone(),
            selection,
        },
    )?;
    table.check_finite()?;
    let d = table.n_columns();
    let x = Samples::new(&table.values, d)
        .ok_or_else(|| Failure::new(format!("{}: no feature columns to train on", table.source)))?;
    check_storable(&table.source, d, args.components)?;

    let auto = match args.components {
        Some(Components::Auto { min, max }) => {
            if init_model.is_some() {
                return Err(Failure::new(
                    "--components auto cannot be combined with --init-model (a warm start fixes K)",
                ));
            }
            Some((min, max))
        }
        _ => None,
    };
    if args.plot.is_some() && auto.is_none() {
        return Err(Failure::new(
            "--plot draws the choice of K: it needs --components auto",
        ));
    }
    let fixed = match args.components {
        Some(Components::Fixed(k)) => Some(k),
        _ => None,
    };
    let (k, covariance, start) = match &init_model {
        Some(m) => (
            fixed.unwrap_or(m.n_components),
            args.covariance.unwrap_or(m.covariance_type),
            Start::Mixture(Mixture::from_model(m)),
        ),
        None => (
            fixed.unwrap_or(1),
            args.covariance.unwrap_or(CovarianceType::Full),
            Start::Method(args.init),
        ),
    };
    if args.reg_covar == 0.0 {
        refuse_constant_columns(&table.source, x, &table.columns, covariance)?;
    }
    let mut fit_options = FitOptions {
        covariance_type: covariance,
        n_components: k,
        start,
        n_init: args.n_init,
        max_iter: args.max_iter,
        tol: args.tol,
        reg_covar: args.reg_covar,
        seed: args.seed,
    };
    let model_options = ModelOptions {
        feature_names: table.columns.clone(),
        axes: table.axes.clone(),
        n_inputs: table.input_columns.len(),
        data_name: data_name(&args.data),
        score_kind: args.score_kind,
        threshold_quantile: args.threshold_quantile,
    };
    let show_progress = !args.quiet && std::io::stderr().is_terminal();
    let mut progress = |event: Progress| {
        if !show_progress {
            return;
        }
        match event {
            Progress::Init { init, n_init } if n_init > 1 => {
                eprintln!("initialisation {}/{n_init}", init + 1)
            }
            Progress::Init { .. } => {}
            Progress::Iteration {
                iteration,
                lower_bound,
            } => {
                eprint!("\r  EM iteration {iteration:>4}: mean log-likelihood {lower_bound:.6}   ");
            }
        }
    };
    let located = |e: train::TrainError| match &e {
        train::TrainError::ValueTooLarge { row, .. } => {
            Failure::new(format!("{}: {e}", table.row_location(*row)))
        }
        _ => Failure::new(format!("{}: {e}", table.source)),
    };
    // Checked once up front, so that every K of `--components auto` is spared it.
    train::check_magnitudes(x, &table.columns).map_err(located)?;
    let selection = match auto {
        Some(range) => {
            let mut on_selection = |event: SelectionProgress| match event {
                SelectionProgress::Start { n_components } if show_progress => {
                    eprintln!("K = {n_components}:")
                }
                SelectionProgress::Start { .. } => {}
                SelectionProgress::Fit(event) => progress(event),
            };
            let chosen =
                selection::select(x, &fit_options, range, &table.columns, &mut on_selection)
                    .map_err(|e| Failure::new(format!("{}: {e}", table.source)))?;
            if show_progress {
                eprintln!();
            }
            fit_options.n_components = chosen.best;
            Some(chosen)
        }
        None => None,
    };
    let k = fit_options.n_components;
    let trained = train::train(x, &fit_options, &model_options, &mut progress);
    if show_progress {
        eprintln!();
    }
    let trained = trained.map_err(located)?;
    let model = &trained.model;
    let report = &trained.report;
    if !report.converged && args.max_iter > 0 {
        eprintln!(
            "warning: EM did not converge in {} iterations (the lower bound still changed by more \
             than --tol {}); raise --max-iter, or --tol",
            report.n_iter, args.tol
        );
    }
    for (c, w) in model.weights.iter().enumerate() {
        if *w < 1e-9 {
            eprintln!(
                "warning: component {c} has weight {w:e}: it lost (almost) all its samples and \
                 no longer shapes the score; fewer components (-k) would do as well"
            );
        }
    }
    // Every output is made first, then all are written together: a failure writes none.
    let model_json = model.to_json();
    let mut outputs: Vec<(&Path, Vec<u8>)> = vec![(&args.output, model_json.into_bytes())];
    if let Some(path) = &args.report {
        let full = FullReport {
            data: data_name(&args.data),
            report,
            selection: selection.as_ref(),
        };
        let text =
            serde_json::to_string_pretty(&full).map_err(|e| Failure::new(e.to_string()))? + "\n";
        outputs.push((path, text.into_bytes()));
    }
    if let (Some(path), Some(chosen)) = (&args.plot, &selection) {
        let title = format!(
            "choosing K on {}",
            data_name(&args.data).unwrap_or_default()
        );
        let svg = gmmc::plot::selection::selection(chosen, &title)
            .map_err(|e| Failure::new(e.to_string()))?;
        outputs.push((path, svg.into_bytes()));
    }
    let files: Vec<(&Path, &[u8])> = outputs.iter().map(|(p, b)| (*p, b.as_slice())).collect();
    write_outputs(&files)?;
    if !args.quiet {
        if let Some(chosen) = &selection {
            let (min, max) = auto.unwrap_or_default();
            println!(
                "chose K = {} of {min}..{max}: the lowest BIC ({covariance} covariances)",
                chosen.best
            );
            print!("{}", selection::table(chosen));
        }
        println!(
            "trained a {k}-component {covariance} Gaussian mixture on {} rows × {d} features of {}",
            report.n_samples, table.source
        );
        println!(
            "  EM: {} iteration(s), {}, mean log-likelihood {:.6}, BIC {:.1} ({:.2} s)",
            report.n_iter,
            if report.converged {
                "converged"
            } else {
                "NOT converged"
            },
            report.mean_log_likelihood,
            report.bic,
            report.fit_seconds
        );
        // Six decimals for reading; the model file keeps the exact threshold.
        println!(
            "  score: {}, anomaly when score > {} ({} of training rows at or below)",
            model.score.kind,
            (model.score.threshold * 1e6).round() / 1e6,
            args.threshold_quantile
        );
        println!("wrote {}", args.output.display());
        if let Some(path) = &args.report {
            println!("wrote {}", path.display());
        }
        if let Some(path) = &args.plot {
            println!("wrote {}", path.display());
        }
    }
    Ok(())
}

/// Refuses, before any fitting, a model that could not be stored: more features or components
/// than a model file may hold.
fn check_storable(source: &str, d: usize, components: Option<Components>) -> Result<(), Failure> {
    if d > MAX_FEATURES {
        return Err(Failure::new(format!(
            "{source}: {d} feature columns, but a model holds at most {MAX_FEATURES}: choose \
             some with --axes"
        )));
    }
    let k = match components {
        Some(Components::Fixed(k)) => k,
        Some(Components::Auto { max, .. }) => max,
        None => 1,
    };
    if k > MAX_COMPONENTS {
        return Err(Failure::new(format!(
            "--components: {k} components asked for, but a model holds at most {MAX_COMPONENTS}"
        )));
    }
    Ok(())
}

/// With `--reg-covar 0`, a constant column has variance 0 in every component: no Gaussian fits
/// it (rounding would only hide that behind an absurd precision), so it is refused with the two
/// ways out. A spherical covariance averages the variances of all columns, so there it takes
/// every column being constant.
fn refuse_constant_columns(
    source: &str,
    x: Samples<'_>,
    names: &[String],
    covariance: CovarianceType,
) -> Result<(), Failure> {
    let n = x.n_rows();
    if n == 1 {
        return Err(Failure::new(format!(
            "{source}: one row: every column is constant, so with --reg-covar 0 no Gaussian \
             fits it; increase --reg-covar or give more rows"
        )));
    }
    let constant: Vec<usize> = (0..x.n_features())
        .filter(|&j| (1..n).all(|i| x.row(i)[j] == x.row(0)[j]))
        .collect();
    if covariance == CovarianceType::Spherical && constant.len() < x.n_features() {
        return Ok(());
    }
    let name = |j: usize| format!("`{}`", names.get(j).map_or("?", String::as_str));
    let cause = match constant[..] {
        [] => return Ok(()),
        [j] => format!(
            "column {} is constant (every row holds {}), so its variance is 0",
            name(j),
            x.row(0)[j]
        ),
        _ => format!(
            "columns {} are constant, so their variance is 0",
            constant
                .iter()
                .map(|&j| name(j))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let listed: Vec<String> = constant.iter().map(|&j| name(j)).collect();
    let column = if constant.len() == 1 {
        "column"
    } else {
        "columns"
    };
    Err(Failure::new(format!(
        "{source}: {cause} and --reg-covar 0 leaves no Gaussian to fit: increase --reg-covar or \
         remove the constant {column} {}",
        listed.join(", ")
    )))
}

/// The `--report` file: the training report, and the table of K when K was chosen.
#[derive(Serialize)]
struct FullReport<'a> {
    /// The data file's name (as recorded in the model).
    data: Option<String>,
    #[serde(flatten)]
    report: &'a Report,
    #[serde(skip_serializing_if = "Option::is_none")]
    selection: Option<&'a Search>,
}

/// The data file's name as recorded in the model (no folders: the model may travel).
fn data_name(data: &str) -> Option<String> {
    if data == "-" {
        return Some("<stdin>".into());
    }
    Path::new(data)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
}
