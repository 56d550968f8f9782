//! The scores picture: a histogram of the anomaly score for each class of rows (or for all rows
//! when there are no labels), and the threshold as a vertical line.
//!
//! Scores of anomalies can be thousands of times larger than those of normal rows, which would
//! squeeze every normal row into one bar. The x axis therefore spans the region where the
//! decision is made: from the lowest score to 2.5 times the distance from it to the larger of
//! the threshold and the 0.99 quantile of the first class's scores (the normal rows). Higher scores (and +∞, from broken rows) are
//! counted in an overflow bar at the right, labelled with its lower edge. Bar heights are the
//! share of the class's rows, so that a few anomalies are as visible as many normal rows.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::canvas::{Canvas, Frame, Swatch};
use super::{ANOMALOUS, INK, NORMAL, PlotError, THRESHOLD, format_number};

/// One class of rows.
#[derive(Clone, Debug)]
pub struct ScoreClass {
    /// Legend text, such as `normal` or `anomalous`.
    pub name: String,
    /// The class's scores.
    pub scores: Vec<f64>,
}

/// What the picture shows, for checking.
#[derive(Clone, Debug)]
pub struct ScoresPlot {
    /// The SVG document.
    pub svg: String,
    /// Bin edges (`bins + 1` values); scores above the last edge are in the overflow bin.
    pub edges: Vec<f64>,
    /// Per class, in the order given: rows per bin, then the overflow count last.
    pub counts: Vec<Vec<usize>>,
}

const WIDTH: u32 = 900;
const HEIGHT: u32 = 540;
const LEGEND_WIDTH: u32 = 250;
/// Bins across the x range.
const BINS: usize = 40;

/// The bin of a score: `0..BINS`, or `BINS` for the overflow.
fn bin_of(s: f64, lo: f64, width: f64, hi: f64) -> usize {
    if s.is_nan() || s > hi {
        return BINS;
    }
    (((s - lo) / width).floor().max(0.0) as usize).min(BINS - 1)
}

/// Draws the histograms of `classes` (the first drawn first, below; NaN scores count as +∞)
/// with the threshold. Groups: `bars-{i}` for class i (one `<rect>` per non-empty bin, the
/// overflow included) and `threshold` (one line).
pub fn scores(
    classes: &[ScoreClass],
    threshold: f64,
    score_kind: &str,
    title: &str,
) -> Result<ScoresPlot, PlotError> {
    let finite = || {
        classes
            .iter()
            .flat_map(|c| c.scores.iter().copied())
            .filter(|s| s.is_finite())
    };
    let lo = finite().fold(threshold, f64::min);
    let top_normal = classes
        .first()
        .map(|c| {
            let mut v: Vec<f64> = c.scores.iter().copied().filter(|s| s.is_finite()).collect();
            if v.is_empty() {
                threshold
            } else {
                crate::calibrate::quantile(&mut v, 0.99).max(threshold)
            }
        })
        .unwrap_or(threshold);
    if classes.iter().all(|c| c.scores.is_empty()) {
        return Err(PlotError::Empty("no scores to draw".into()));
    }
    let max_finite = finite().fold(f64::NEG_INFINITY, f64::max);
    let mut hi = lo + 2.5 * (top_normal - lo);
    if hi.is_nan() || hi <= lo {
        hi = lo + 1.0;
    }
    // Without anything beyond, the range ends at the highest score.
    let overflowing = classes
        .iter()
        .flat_map(|c| &c.scores)
        .any(|&s| s.is_nan() || s > hi);
    if !overflowing && max_finite > lo && max_finite < hi {
        hi = max_finite.max(threshold);
    }
    let width = (hi - lo) / BINS as f64;
    let edges: Vec<f64> = (0..=BINS).map(|i| lo + width * i as f64).collect();
    let counts: Vec<Vec<usize>> = classes
        .iter()
        .map(|c| {
            let mut v = vec![0usize; BINS + 1];
            for &s in &c.scores {
                v[bin_of(s, lo, width, hi)] += 1;
            }
            v
        })
        .collect();
    let shares: Vec<Vec<f64>> = counts
        .iter()
        .map(|v| {
            let n: usize = v.iter().sum();
            v.iter().map(|&c| c as f64 / n.max(1) as f64).collect()
        })
        .collect();
    let y_max = shares
        .iter()
        .flatten()
        .fold(0.0f64, |a, &b| a.max(b))
        .max(0.01)
        * 1.1;
    // The overflow bar sits one bin-gap right of the range and is two bins wide.
    let overflow = (hi + width, hi + 3.0 * width);
    let x_range = (
        lo - width,
        if overflowing {
            hi + 4.0 * width
        } else {
            hi + width
        },
    );
    let colours = [NORMAL, ANOMALOUS];

    let mut canvas = Canvas::new(WIDTH, HEIGHT, title);
    let x_tick = |v: &f64| {
        if *v <= hi + 1e-9 * width.abs() {
            format_number(*v)
        } else {
            String::new()
        }
    };
    let y_tick = |v: &f64| format!("{:.0} %", 100.0 * v);
    let x_desc = format!("anomaly score ({score_kind}; higher is more anomalous)");
    let frame = Frame {
        x: x_range,
        y: (0.0, y_max),
        x_desc: &x_desc,
        y_desc: "share of the class's rows",
        legend_width: LEGEND_WIDTH,
        y_label_area: 78,
        x_labels: 10,
        x_tick: &x_tick,
        y_tick: &y_tick,
    };
    let draw = PlotError::draw;
    canvas.title_layer(LEGEND_WIDTH)?;
    canvas.axes_layer(&frame)?;
    for (i, share) in shares.iter().enumerate() {
        let colour = colours[i % colours.len()];
        canvas.chart_layer(&format!("bars-{i}"), &frame, |c| {
            let bars = share
                .iter()
                .enumerate()
                .filter(|(_, h)| **h > 0.0)
                .map(|(b, &h)| {
                    let (x0, x1) = if b == BINS {
                        overflow
                    } else {
                        (edges[b], edges[b + 1])
                    };
                    Rectangle::new([(x0, h), (x1, 0.0)], colour.mix(0.55).filled())
                });
            c.draw_series(bars).map(|_| ()).map_err(draw)
        })?;
    }
    canvas.chart_layer("threshold", &frame, |c| {
        c.draw_series(std::iter::once(PathElement::new(
            vec![(threshold, 0.0), (threshold, y_max)],
            THRESHOLD.stroke_width(2),
        )))
        .map(|_| ())
        .map_err(draw)
    })?;
    if overflowing {
        canvas.chart_layer("overflow-label", &frame, |c| {
            let style = ("sans-serif", 14)
                .into_font()
                .color(&INK)
                .pos(Pos::new(HPos::Center, VPos::Top));
            c.draw_series(std::iter::once(Text::new(
                format!("> {}", format_number(hi)),
                ((overflow.0 + overflow.1) / 2.0, y_max),
                style,
            )))
            .map(|_| ())
            .map_err(draw)
        })?;
    }
    let mut entries: Vec<(Swatch, String)> = classes
        .iter()
        .zip(&counts)
        .enumerate()
        .map(|(i, (c, n))| {
            let colour = colours[i % colours.len()];
            let beyond = n[BINS];
            let text = if beyond > 0 {
                format!(
                    "{} ({} rows;\n{beyond} above {})",
                    c.name,
                    c.scores.len(),
                    format_number(hi)
                )
            } else {
                format!("{} ({} rows)", c.name, c.scores.len())
            };
            (Swatch::Square(colour.mix(0.55)), text)
        })
        .collect();
    entries.push((
        Swatch::Line(THRESHOLD.to_rgba(), 2),
        format!("threshold {}", format_number(threshold)),
    ));
    canvas.legend_layer(LEGEND_WIDTH, &entries)?;
    Ok(ScoresPlot {
        svg: canvas.finish(),
        edges,
        counts,
    })
}
