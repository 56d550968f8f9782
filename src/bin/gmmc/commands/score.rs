//! `gmmc score MODEL DATA`

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use gmmc::data::{self, LoadOptions, Selection};
use gmmc::em::Samples;

use crate::failure::{Failure, load_model};

/// Score every row of a data file with a model: CSV with columns
/// `log_likelihood,score,is_anomaly` (higher score is more anomalous; is_anomaly is 1 when
/// score > the model's threshold).
///
/// The model's features are taken from DATA by name when the file has columns of those names,
/// otherwise by position when it has exactly the model's number of inputs. Rows with NaN or
/// infinite values score +inf and are anomalies.
#[derive(clap::Args)]
pub struct Args {
    /// The model file.
    model: PathBuf,
    /// CSV with a header row, NumPy .npy 2-D float array, or `-` for CSV on stdin.
    data: String,
    /// Write the CSV here instead of to stdout.
    #[arg(short, long, value_name = "OUT.csv")]
    output: Option<PathBuf>,
    /// A column of DATA that holds labels, not features (it is ignored).
    #[arg(long, value_name = "NAME")]
    label_column: Option<String>,
    /// Print on stderr how long reading, scoring and writing took.
    #[arg(long)]
    timings: bool,
}

pub fn run(args: Args) -> Result<(), Failure> {
    let started = Instant::now();
    let model = load_model(&args.model)?;
    let table = data::load(
        &args.data,
        &LoadOptions {
            label_column: args.label_column.clone(),
            selection: Selection::Model {
                names: model.feature_names.clone(),
                axes: model.axes.clone(),
                n_inputs: model.n_inputs,
            },
        },
    )?;
    let x = Samples::new(&table.values, model.n_features)
        .ok_or_else(|| Failure::new(format!("{}: no feature columns selected", table.source)))?;
    let read = started.elapsed();
    let rows = gmmc::score::score_rows(&model, x);
    let scored = started.elapsed();
    match &args.output {
        Some(path) => {
            gmmc::output::write_atomic_with(path, |file| gmmc::score::write_csv(file, &rows))
                .map_err(|e| Failure::new(format!("cannot write {}: {e}", path.display())))?;
            let anomalies = rows.iter().filter(|r| r.is_anomaly).count();
            eprintln!(
                "scored {} rows of {}: {anomalies} above the threshold {}; wrote {}",
                rows.len(),
                table.source,
                model.score.threshold,
                path.display()
            );
        }
        None => {
            let stdout = std::io::stdout();
            let mut lock = stdout.lock();
            gmmc::score::write_csv(&mut lock, &rows)
                .and_then(|()| lock.flush())
                .map_err(|e| Failure::new(format!("cannot write to stdout: {e}")))?;
        }
    }
    if args.timings {
        let seconds = |d: std::time::Duration| d.as_secs_f64();
        eprintln!(
            "timings: read {:.4} s, scored {:.4} s, wrote {:.4} s ({} rows)",
            seconds(read),
            seconds(scored - read),
            seconds(started.elapsed() - scored),
            rows.len()
        );
    }
    Ok(())
}
