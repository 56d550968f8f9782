//! `gmmc plot explorer|scores|selection`

use std::path::{Path, PathBuf};

use gmmc::model::Model;
use gmmc::plot::explorer::{self, ExplorerInput, PointSet};
use gmmc::plot::scores::{self, ScoreClass};
use gmmc::selection::Search;

use crate::failure::{Failure, load_model, write_output};
use crate::labelled::{DEFAULT_ANOMALY_LABEL, anomalous_rows, load_scored, quoted};

/// Draw a picture of a model, its scores, or a choice of K, as an SVG file.
///
/// Every picture is plain SVG (text as <text> in the sans-serif family, no fonts embedded);
/// its parts are <g class="..."> groups, so scripts can find them.
#[derive(clap::Subcommand)]
pub enum Picture {
    /// Two of the model's features: the rows of DATA as points, the components' 1σ and 2σ
    /// ellipses, and filled contours of the anomaly score of the model marginalised onto the
    /// two features, with the threshold contour.
    ///
    /// Points are coloured by label with --label-column, otherwise by the model's decision
    /// (score > threshold, on all features). The marginal of a Gaussian mixture onto two
    /// features is the mixture of the components' 2-D marginals; its score is calibrated so
    /// that the threshold contour encloses the same share of the model's probability mass as
    /// the model's threshold does in all features (estimated from 20000 samples of the model,
    /// drawn with --seed). A point can lie outside the contour and still be normal: the other
    /// features decide too.
    Explorer(ExplorerArgs),
    /// Histograms of the anomaly score of the normal and the anomalous rows of DATA (of all
    /// rows without --label-column), with the threshold as a vertical line.
    ///
    /// Bar heights are the share of each class's rows. The x axis covers the scores around
    /// the threshold; higher scores (and inf, from rows with NaN or infinite values) are
    /// counted in one bar at the right.
    Scores(ScoresArgs),
    /// BIC and AIC against the number of components, from the report of
    /// `gmmc train --components auto --report REPORT.json`.
    Selection(SelectionArgs),
}

#[derive(clap::Args)]
pub struct ExplorerArgs {
    /// The model file.
    model: PathBuf,
    /// Data: CSV with a header row, NumPy .npy, or `-` for CSV on stdin.
    data: String,
    /// The two features to draw, x then y: names, or 0-based indices into the model's
    /// features.
    #[arg(long, value_name = "A,B")]
    axes: String,
    /// Where to write the SVG.
    #[arg(short, long, value_name = "FILE.svg")]
    output: PathBuf,
    /// The column of DATA that holds labels (points are then coloured by label).
    #[arg(long, value_name = "NAME")]
    label_column: Option<String>,
    /// A label that marks an anomalous row; repeat for several.
    #[arg(long = "anomaly-label", value_name = "L", default_value = DEFAULT_ANOMALY_LABEL)]
    anomaly_labels: Vec<String>,
    /// Seed of the model samples that calibrate the marginal score.
    #[arg(long, value_name = "N", default_value_t = 0)]
    seed: u64,
}

#[derive(clap::Args)]
pub struct ScoresArgs {
    /// The model file.
    model: PathBuf,
    /// Data: CSV with a header row, NumPy .npy, or `-` for CSV on stdin.
    data: String,
    /// Where to write the SVG.
    #[arg(short, long, value_name = "FILE.svg")]
    output: PathBuf,
    /// The column of DATA that holds labels (one histogram per class).
    #[arg(long, value_name = "NAME")]
    label_column: Option<String>,
    /// A label that marks an anomalous row; repeat for several.
    #[arg(long = "anomaly-label", value_name = "L", default_value = DEFAULT_ANOMALY_LABEL)]
    anomaly_labels: Vec<String>,
}

#[derive(clap::Args)]
pub struct SelectionArgs {
    /// A training report with a `selection` table (`gmmc train --components auto --report`).
    report: PathBuf,
    /// Where to write the SVG.
    #[arg(short, long, value_name = "FILE.svg")]
    output: PathBuf,
}

pub fn run(picture: Picture) -> Result<(), Failure> {
    match picture {
        Picture::Explorer(args) => run_explorer(args),
        Picture::Scores(args) => run_scores(args),
        Picture::Selection(args) => run_selection(args),
    }
}

/// A file's name without folders, for titles.
fn short_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned())
}

/// Finds a model feature by name, or by 0-based index when no feature has that name.
fn model_feature(model: &Model, entry: &str) -> Result<usize, Failure> {
    let entry = entry.trim();
    if let Some(j) = model.feature_names.iter().position(|n| n == entry) {
        return Ok(j);
    }
    match entry.parse::<usize>() {
        Ok(j) if j < model.n_features => Ok(j),
        _ => Err(Failure::new(format!(
            "--axes: the model has no feature `{entry}`; its features are {}",
            quoted(&model.feature_names)
        ))),
    }
}

fn run_explorer(args: ExplorerArgs) -> Result<(), Failure> {
    let model = load_model(&args.model)?;
    let parts: Vec<&str> = args.axes.split(',').collect();
    let [a, b] = parts[..] else {
        let example = model
            .feature_names
            .iter()
            .take(2)
            .cloned()
            .collect::<Vec<_>>()
            .join(",");
        return Err(Failure::new(format!(
            "--axes takes two features, x and y (for instance --axes {example}), not `{}`",
            args.axes
        )));
    };
    let (fx, fy) = (model_feature(&model, a)?, model_feature(&model, b)?);
    if fx == fy {
        return Err(Failure::new(format!(
            "--axes names `{}` twice: pick two different features",
            model.feature_names[fx]
        )));
    }
    let scored = load_scored(&model, &args.data, args.label_column.as_deref())?;
    let table = &scored.table;
    let (anomalous, names) = match &table.labels {
        Some(_) => (
            anomalous_rows(table, &args.anomaly_labels)?,
            [
                "labelled normal".to_string(),
                format!("labelled {}", args.anomaly_labels.join(", ")),
            ],
        ),
        None => (
            scored.scored.iter().map(|s| s.is_anomaly).collect(),
            [
                "normal by the model".to_string(),
                "anomalous by the model".to_string(),
            ],
        ),
    };
    let [normal_name, anomalous_name] = names;
    let mut normal = PointSet {
        name: normal_name,
        points: Vec::new(),
    };
    let mut flagged = PointSet {
        name: anomalous_name,
        points: Vec::new(),
    };
    for (row, &a) in table.rows().zip(&anomalous) {
        let p = (row[fx], row[fy]);
        if a {
            flagged.points.push(p);
        } else {
            normal.points.push(p);
        }
    }
    let n_rows = table.n_rows;
    let picture = explorer::explorer(
        &model,
        &ExplorerInput {
            features: [fx, fy],
            normal,
            anomalous: flagged,
            data_name: short_name(&args.data),
            seed: args.seed,
        },
    )
    .map_err(|e| Failure::new(format!("cannot draw {}: {e}", args.output.display())))?;
    write_output(&args.output, picture.svg.as_bytes())?;
    let (n_normal, n_anomalous) = picture.n_points;
    let skipped = n_rows - n_normal - n_anomalous;
    let skipped = if skipped > 0 {
        format!(" ({skipped} rows with NaN or infinite values left out)")
    } else {
        String::new()
    };
    println!(
        "drew {} points of {}{skipped}; the threshold contour holds {:.1} % of the model's mass",
        n_normal + n_anomalous,
        table.source,
        100.0 * picture.projection.mass
    );
    println!("wrote {}", args.output.display());
    Ok(())
}

fn run_scores(args: ScoresArgs) -> Result<(), Failure> {
    let model = load_model(&args.model)?;
    let scored = load_scored(&model, &args.data, args.label_column.as_deref())?;
    let all = scored.scores();
    let classes = match &scored.table.labels {
        Some(_) => {
            let anomalous = anomalous_rows(&scored.table, &args.anomaly_labels)?;
            let pick = |want: bool| -> Vec<f64> {
                all.iter()
                    .zip(&anomalous)
                    .filter(|(_, a)| **a == want)
                    .map(|(s, _)| *s)
                    .collect()
            };
            vec![
                ScoreClass {
                    name: "labelled normal".into(),
                    scores: pick(false),
                },
                ScoreClass {
                    name: format!("labelled {}", args.anomaly_labels.join(", ")),
                    scores: pick(true),
                },
            ]
        }
        None => vec![ScoreClass {
            name: "all rows".into(),
            scores: all,
        }],
    };
    let title = format!(
        "scores of {} under {}",
        short_name(&args.data),
        short_name(&args.model.display().to_string())
    );
    let picture = scores::scores(
        &classes,
        model.score.threshold,
        model.score.kind.as_str(),
        &title,
    )
    .map_err(|e| Failure::new(format!("cannot draw {}: {e}", args.output.display())))?;
    write_output(&args.output, picture.svg.as_bytes())?;
    println!(
        "drew the scores of {} rows of {}",
        classes.iter().map(|c| c.scores.len()).sum::<usize>(),
        scored.table.source
    );
    println!("wrote {}", args.output.display());
    Ok(())
}

fn run_selection(args: SelectionArgs) -> Result<(), Failure> {
    let name = args.report.display().to_string();
    let text = std::fs::read_to_string(&args.report)
        .map_err(|e| Failure::new(format!("cannot read {name}: {e}")))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| Failure::new(format!("{name}: {e}")))?;
    let selection = value.get("selection").ok_or_else(|| {
        Failure::new(format!(
            "{name} has no `selection` table: write it with `gmmc train --components auto --report`"
        ))
    })?;
    let search: Search = serde_json::from_value(selection.clone())
        .map_err(|e| Failure::new(format!("{name}: field `selection`: {e}")))?;
    let data = value
        .get("data")
        .and_then(|d| d.as_str())
        .map(str::to_string)
        .unwrap_or_else(|| short_name(&name));
    let svg = gmmc::plot::selection::selection(&search, &format!("choosing K on {data}"))
        .map_err(|e| Failure::new(format!("cannot draw {}: {e}", args.output.display())))?;
    write_output(&args.output, svg.as_bytes())?;
    println!("wrote {}", args.output.display());
    Ok(())
}
