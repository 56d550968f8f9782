//! `gmmc import sklearn EXPORT.json`

use std::path::PathBuf;

use gmmc::calibrate::DEFAULT_QUANTILE;
use gmmc::data::{self, LoadOptions, Selection};
use gmmc::em::Samples;
use gmmc::import::{self, Calibration};
use gmmc::model::ScoreKind;

use crate::failure::{Failure, write_output};
use crate::values;

/// Import a model trained elsewhere.
#[derive(clap::Subcommand)]
pub enum Source {
    /// Import a fitted scikit-learn GaussianMixture from the JSON that
    /// examples/sklearn-export/export_sklearn.py writes.
    ///
    /// The score is calibrated on --data if given, else on the export's
    /// `train_log_likelihood`, else on samples drawn from the model itself.
    Sklearn(SklearnArgs),
}

#[derive(clap::Args)]
pub struct SklearnArgs {
    /// The export JSON.
    export: PathBuf,
    /// Where to write the model.
    #[arg(short, long, value_name = "MODEL.json", default_value = "model.json")]
    output: PathBuf,
    /// Training data to calibrate the score and threshold on (columns picked by the export's
    /// feature names, or all feature columns).
    #[arg(long, value_name = "DATA")]
    data: Option<String>,
    /// A column of --data that holds labels, not features.
    #[arg(long, value_name = "NAME", requires = "data")]
    label_column: Option<String>,
    /// Anomaly score: normalized, nll or edge-impulse.
    #[arg(long = "score", value_name = "KIND", default_value = "normalized")]
    score_kind: ScoreKind,
    /// Fraction of calibration rows that should score below the threshold.
    #[arg(long, value_name = "Q", default_value_t = DEFAULT_QUANTILE,
          value_parser = values::fraction, allow_negative_numbers = true)]
    threshold_quantile: f64,
    /// Seed for the samples drawn when there is no calibration data.
    #[arg(long, value_name = "N", default_value_t = 0)]
    seed: u64,
}

pub fn run(source: Source) -> Result<(), Failure> {
    let Source::Sklearn(args) = source;
    let name = args.export.display().to_string();
    let text = std::fs::read_to_string(&args.export)
        .map_err(|e| Failure::new(format!("cannot read {name}: {e}")))?;
    let parsed = import::parse(&text).map_err(|e| Failure::new(format!("{name}: {e}")))?;
    let d = parsed.mixture.n_features;
    let table = match &args.data {
        Some(path) => {
            let names = parsed
                .feature_names
                .clone()
                .unwrap_or_else(|| (0..d).map(|j| format!("f{j}")).collect());
            let t = data::load(
                path,
                &LoadOptions {
                    label_column: args.label_column.clone(),
                    selection: Selection::Model {
                        names,
                        axes: (0..d).collect(),
                        n_inputs: d,
                    },
                },
            )?;
            t.check_finite()?;
            Some(t)
        }
        None => None,
    };
    let calibration = match &table {
        Some(t) => Calibration::Data(
            Samples::new(&t.values, d)
                .ok_or_else(|| Failure::new(format!("{}: no feature columns", t.source)))?,
        ),
        None => Calibration::Automatic { seed: args.seed },
    };
    let model = import::import(&text, args.score_kind, args.threshold_quantile, calibration)
        .map_err(|e| Failure::new(format!("{name}: {e}")))?;
    write_output(&args.output, model.to_json().as_bytes())?;
    println!(
        "imported a {}-component {} scikit-learn model with {} features; score {} calibrated on {}",
        model.n_components,
        model.covariance_type,
        model.n_features,
        model.score.kind,
        model.score.calibration.as_deref().unwrap_or("?")
    );
    println!("wrote {}", args.output.display());
    Ok(())
}
