//! The selection picture: BIC and AIC against the number of components, the chosen K marked.

use plotters::prelude::*;

use super::canvas::{Canvas, Frame, Swatch};
use super::{INK, PlotError, format_number, padded};
use crate::selection::Search;

/// Colour of the BIC curve.
const BIC: RGBColor = RGBColor(31, 90, 170);
/// Colour of the AIC curve.
const AIC: RGBColor = RGBColor(230, 120, 20);

const WIDTH: u32 = 860;
const HEIGHT: u32 = 520;
const LEGEND_WIDTH: u32 = 220;
/// Most labels on the K axis (plotters places at most this many ticks).
const MAX_X_LABELS: usize = 40;

/// Draws BIC and AIC against K for the fitted candidates of `selection` (failed fits are left
/// out). Groups: `bic-line`, `bic-points`, `aic-line`, `aic-points` (one `<circle>` per K) and
/// `best` (a vertical line at the chosen K).
pub fn selection(selection: &Search, title: &str) -> Result<String, PlotError> {
    let fitted: Vec<(usize, f64, f64)> = selection
        .candidates
        .iter()
        .filter_map(|c| Some((c.n_components, c.bic?, c.aic?)))
        .filter(|(_, b, a)| b.is_finite() && a.is_finite())
        .collect();
    if fitted.is_empty() {
        return Err(PlotError::Empty(
            "the selection has no fitted number of components".into(),
        ));
    }
    let k_min = fitted.iter().map(|c| c.0).min().unwrap_or(1) as f64;
    let k_max = fitted.iter().map(|c| c.0).max().unwrap_or(1) as f64;
    let (lo, hi) = fitted
        .iter()
        .flat_map(|c| [c.1, c.2])
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    let (y0, y1) = padded(lo, hi, 0.08);
    let (x0, x1) = (k_min - 0.5, k_max + 0.5);
    let best = selection.best as f64;

    let mut canvas = Canvas::new(WIDTH, HEIGHT, title);
    let whole = |v: &f64| {
        if (v - v.round()).abs() < 1e-9 {
            format!("{}", v.round())
        } else {
            String::new()
        }
    };
    let tick = |v: &f64| format_number(*v);
    let frame = Frame {
        x: (x0, x1),
        y: (y0, y1),
        x_desc: "number of components K",
        y_desc: "criterion (lower is better)",
        legend_width: LEGEND_WIDTH,
        y_label_area: 90,
        // One label per K, but never more than fit: a report may claim any K.
        x_labels: ((k_max - k_min) as usize)
            .saturating_add(2)
            .min(MAX_X_LABELS),
        x_tick: &whole,
        y_tick: &tick,
    };
    let draw = PlotError::draw;
    canvas.title_layer(LEGEND_WIDTH)?;
    canvas.axes_layer(&frame)?;
    canvas.chart_layer("best", &frame, |c| {
        c.draw_series(std::iter::once(PathElement::new(
            vec![(best, y0), (best, y1)],
            INK.mix(0.5).stroke_width(2),
        )))
        .map(|_| ())
        .map_err(draw)
    })?;
    for (name, colour, bic) in [("bic", BIC, true), ("aic", AIC, false)] {
        let points: Vec<(f64, f64)> = fitted
            .iter()
            .map(|c| (c.0 as f64, if bic { c.1 } else { c.2 }))
            .collect();
        canvas.chart_layer(&format!("{name}-line"), &frame, |c| {
            c.draw_series(std::iter::once(PathElement::new(
                points.clone(),
                colour.stroke_width(2),
            )))
            .map(|_| ())
            .map_err(draw)
        })?;
        canvas.chart_layer(&format!("{name}-points"), &frame, |c| {
            c.draw_series(points.iter().map(|&p| Circle::new(p, 4, colour.filled())))
                .map(|_| ())
                .map_err(draw)
        })?;
    }
    let entries = [
        (Swatch::Line(BIC.to_rgba(), 2), "BIC".to_string()),
        (Swatch::Line(AIC.to_rgba(), 2), "AIC".to_string()),
        (
            Swatch::Line(INK.mix(0.5), 2),
            format!("chosen: K = {}\n(lowest BIC)", selection.best),
        ),
    ];
    canvas.legend_layer(LEGEND_WIDTH, &entries)?;
    Ok(canvas.finish())
}
