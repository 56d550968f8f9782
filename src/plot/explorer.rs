//! The explorer picture: two of the model's features, the data as points, the components as
//! ellipses, and filled contours of the anomaly score of the model marginalised onto the two
//! features, with its threshold contour.
//!
//! The marginal's score is calibrated by [`marginal::project`]: its threshold contour encloses
//! the same share of the model's probability mass as the model's threshold does in all its
//! features. A point outside the contour may still be normal for the full model (and the
//! reverse): the other features decide too. The points are coloured by their labels, or by the
//! full model's decision when there are no labels.
//!
//! The 1σ and 2σ ellipses of component k are `{μ + r·L·(cos t, sin t)}` with `L·Lᵀ` the
//! component's 2×2 marginal covariance and r = 1, 2; for a two-dimensional Gaussian they hold
//! 39 % and 86 % of the component's mass.

use plotters::prelude::*;

use gmmc_model::Model;

use super::canvas::{Canvas, Frame, Swatch};
use super::contour::{self, Grid};
use super::{ANOMALOUS, INK, NORMAL, PlotError, THRESHOLD, format_number, padded};
use crate::marginal::{self, PROJECTION_SAMPLES, Projection};

/// Points of one class.
#[derive(Clone, Debug)]
pub struct PointSet {
    /// Legend text, such as `labelled normal`.
    pub name: String,
    /// `(x, y)` of each point.
    pub points: Vec<(f64, f64)>,
}

/// What the explorer draws beyond the model.
#[derive(Clone, Debug)]
pub struct ExplorerInput {
    /// The two features, as indices into the model's features: x, then y.
    pub features: [usize; 2],
    /// Points drawn first (below): the normal ones.
    pub normal: PointSet,
    /// Points drawn on top: the anomalous ones.
    pub anomalous: PointSet,
    /// The data's name for the title.
    pub data_name: String,
    /// Seed of the samples that calibrate the marginal score.
    pub seed: u64,
}

/// The finished picture and what it shows.
#[derive(Clone, Debug)]
pub struct Explorer {
    /// The SVG document.
    pub svg: String,
    /// The marginal model with its mass-matched threshold.
    pub projection: Projection,
    /// Band edges of the filled contours, in the marginal's score units (ascending); the
    /// threshold is one of them.
    pub levels: Vec<f64>,
    /// The threshold contour: polylines in data coordinates (one `<polyline>` each in the
    /// `threshold` group).
    pub threshold_lines: Vec<Vec<(f64, f64)>>,
    /// Points drawn (normal, anomalous).
    pub n_points: (usize, usize),
}

/// Picture size in pixels.
const WIDTH: u32 = 960;
const HEIGHT: u32 = 660;
const LEGEND_WIDTH: u32 = 270;
/// Grid nodes of the score field along x and y.
const GRID: (usize, usize) = (181, 141);
/// Points on an ellipse.
const ELLIPSE_POINTS: usize = 120;

/// The ellipse `μ + r·L·(cos t, sin t)` of a 2×2 covariance (row-major).
fn ellipse(mean: &[f64], cov: &[f64], r: f64) -> Vec<(f64, f64)> {
    let l11 = cov[0].max(0.0).sqrt();
    let l21 = if l11 > 0.0 { cov[2] / l11 } else { 0.0 };
    let l22 = (cov[3] - l21 * l21).max(0.0).sqrt();
    (0..=ELLIPSE_POINTS)
        .map(|i| {
            let t = std::f64::consts::TAU * i as f64 / ELLIPSE_POINTS as f64;
            let (c, s) = (t.cos(), t.sin());
            (mean[0] + r * l11 * c, mean[1] + r * (l21 * c + l22 * s))
        })
        .collect()
}

/// Colours of the score bands, from the most typical to the most anomalous: blues inside the
/// threshold, oranges to red beyond it.
fn band_colour(band: usize, threshold_band: usize) -> RGBColor {
    const INSIDE: [RGBColor; 3] = [
        RGBColor(198, 219, 239),
        RGBColor(222, 235, 247),
        RGBColor(241, 246, 251),
    ];
    const OUTSIDE: [RGBColor; 3] = [
        RGBColor(254, 237, 222),
        RGBColor(253, 213, 172),
        RGBColor(252, 187, 140),
    ];
    if band <= threshold_band {
        // The band just inside the threshold is the palest.
        let from_threshold = threshold_band - band;
        INSIDE[INSIDE.len() - 1 - from_threshold.min(INSIDE.len() - 1)]
    } else {
        OUTSIDE[(band - threshold_band - 1).min(OUTSIDE.len() - 1)]
    }
}

/// Draws the explorer picture of `model` (see the module documentation).
pub fn explorer(model: &Model, input: &ExplorerInput) -> Result<Explorer, PlotError> {
    let [fx, fy] = input.features;
    let projection = marginal::project(model, &[fx, fy], PROJECTION_SAMPLES, input.seed)?;
    let marginal = &projection.model;
    let score = |x: f64, y: f64| marginal.score(&[x, y]);
    let threshold = marginal.score.threshold;

    // Band edges: median and 0.9 quantile of the model's own samples, the threshold, and
    // three and nine times the threshold's distance from the median beyond it.
    let median = projection.median_score;
    let spread = if threshold > median {
        threshold - median
    } else {
        threshold.abs().max(1.0)
    };
    // Rounding leaves the median of a `normalized` score at ±1e-16 instead of 0.
    let snap = |v: f64| if v.abs() < 1e-9 * spread { 0.0 } else { v };
    let mut levels: Vec<f64> = [snap(median), snap(projection.q90_score)]
        .into_iter()
        .filter(|&l| l < threshold)
        .collect();
    levels.dedup();
    let threshold_band = levels.len();
    levels.extend([
        threshold,
        threshold + 2.0 * spread,
        threshold + 8.0 * spread,
    ]);

    // Ranges: every finite point and every 2σ ellipse, padded by 4 %.
    let covs: Vec<Vec<f64>> = (0..marginal.n_components)
        .map(|k| marginal::component_covariance(marginal, k))
        .collect();
    let ellipses = |r: f64| -> Vec<Vec<(f64, f64)>> {
        (0..marginal.n_components)
            .map(|k| ellipse(&marginal.means[k], &covs[k], r))
            .collect()
    };
    let (one, two) = (ellipses(1.0), ellipses(2.0));
    let finite = |p: &&(f64, f64)| p.0.is_finite() && p.1.is_finite();
    let normal: Vec<(f64, f64)> = input.normal.points.iter().filter(finite).copied().collect();
    let anomalous: Vec<(f64, f64)> = input
        .anomalous
        .points
        .iter()
        .filter(finite)
        .copied()
        .collect();
    let all = normal.iter().chain(&anomalous).chain(two.iter().flatten());
    let (mut x0, mut x1, mut y0, mut y1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for &(x, y) in all {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if !(x0.is_finite() && x1.is_finite() && y0.is_finite() && y1.is_finite()) {
        return Err(PlotError::Empty("nothing finite to draw".into()));
    }
    let (x0, x1) = padded(x0, x1, 0.04);
    let (y0, y1) = padded(y0, y1, 0.04);

    let field = Grid::sample((x0, x1), (y0, y1), GRID.0, GRID.1, score);
    let runs = contour::band_runs(&field, &levels);
    let threshold_lines = contour::level_lines(&field, threshold);

    let x_name = &model.feature_names[fx];
    let y_name = &model.feature_names[fy];
    let title = format!(
        "{}: {} vs {} ({} components)",
        input.data_name, y_name, x_name, model.n_components
    );
    let mut canvas = Canvas::new(WIDTH, HEIGHT, &title);
    let tick = |v: &f64| format_number(*v);
    let frame = Frame {
        x: (x0, x1),
        y: (y0, y1),
        x_desc: x_name,
        y_desc: y_name,
        legend_width: LEGEND_WIDTH,
        y_label_area: 78,
        x_labels: 10,
        x_tick: &tick,
        y_tick: &tick,
    };
    let draw = PlotError::draw;
    canvas.title_layer(LEGEND_WIDTH)?;
    canvas.chart_layer("contour-bands", &frame, |c| {
        c.draw_series(runs.iter().map(|r| {
            Rectangle::new(
                [(r.x0, r.y1), (r.x1, r.y0)],
                band_colour(r.band, threshold_band).filled(),
            )
        }))
        .map(|_| ())
        .map_err(draw)
    })?;
    canvas.axes_layer(&frame)?;
    canvas.chart_layer("ellipses-2sigma", &frame, |c| {
        c.draw_series(
            two.iter()
                .map(|e| PathElement::new(e.clone(), INK.mix(0.55).stroke_width(1))),
        )
        .map(|_| ())
        .map_err(draw)
    })?;
    canvas.chart_layer("ellipses-1sigma", &frame, |c| {
        c.draw_series(
            one.iter()
                .map(|e| PathElement::new(e.clone(), INK.stroke_width(2))),
        )
        .map(|_| ())
        .map_err(draw)
    })?;
    canvas.chart_layer("threshold", &frame, |c| {
        c.draw_series(
            threshold_lines
                .iter()
                .map(|l| PathElement::new(l.clone(), THRESHOLD.stroke_width(3))),
        )
        .map(|_| ())
        .map_err(draw)
    })?;
    canvas.chart_layer("points-normal", &frame, |c| {
        c.draw_series(
            normal
                .iter()
                .map(|&p| Circle::new(p, 3, NORMAL.mix(0.7).filled())),
        )
        .map(|_| ())
        .map_err(draw)
    })?;
    canvas.chart_layer("points-anomalous", &frame, |c| {
        c.draw_series(
            anomalous
                .iter()
                .map(|&p| Circle::new(p, 5, ANOMALOUS.filled())),
        )
        .map(|_| ())
        .map_err(draw)
    })?;
    let f = format_number;
    let mut entries = vec![
        (
            Swatch::Dot(NORMAL.to_rgba()),
            format!("{} ({})", input.normal.name, normal.len()),
        ),
        (
            Swatch::Dot(ANOMALOUS.to_rgba()),
            format!("{} ({})", input.anomalous.name, anomalous.len()),
        ),
        (
            Swatch::Line(INK.to_rgba(), 2),
            "component, 1σ ellipse".to_string(),
        ),
        (
            Swatch::Line(INK.mix(0.55), 1),
            "component, 2σ ellipse".to_string(),
        ),
        (
            Swatch::Line(THRESHOLD.to_rgba(), 3),
            format!(
                "threshold contour: holds\n{:.1} % of the model's mass",
                100.0 * projection.mass
            ),
        ),
    ];
    let mut lower = f64::NEG_INFINITY;
    for (b, &upper) in levels.iter().chain([&f64::INFINITY]).enumerate() {
        let text = if lower == f64::NEG_INFINITY {
            format!("score ≤ {}", f(upper))
        } else if upper == f64::INFINITY {
            format!("score > {}", f(lower))
        } else {
            format!("score {} – {}", f(lower), f(upper))
        };
        entries.push((
            Swatch::Square(band_colour(b, threshold_band).to_rgba()),
            text,
        ));
        lower = upper;
    }
    entries.push((
        Swatch::Square(WHITE.mix(0.0)),
        format!(
            "shading: {} score of the\nmodel marginalised onto\nthese two features",
            marginal.score.kind
        ),
    ));
    canvas.legend_layer(LEGEND_WIDTH, &entries)?;
    Ok(Explorer {
        svg: canvas.finish(),
        projection,
        levels,
        threshold_lines,
        n_points: (normal.len(), anomalous.len()),
    })
}
