//! Pictures of a model and of its evaluation, as SVG drawn with plotters.
//!
//! - [`explorer`]: two features of the data, the model's components as 1σ and 2σ ellipses,
//!   filled contours of the anomaly score of the model marginalised onto those two features,
//!   and the threshold contour;
//! - [`scores`]: histograms of the anomaly score of normal and anomalous rows, with the
//!   threshold;
//! - [`selection`]: BIC and AIC against the number of components.
//!
//! Every picture is an SVG document whose parts are `<g class="...">` groups (`points-normal`,
//! `ellipses-1sigma`, `threshold`, …), one element per drawn item, so that tests and scripts
//! can find and count them. Text is drawn as SVG `<text>` in the `sans-serif` family, so no
//! font is needed to make a picture. PNG is not offered: rasterising text would need a font
//! file, which plotters either loads from the system (fontconfig, FreeType) or must be handed.

mod canvas;
mod contour;
pub mod explorer;
pub mod scores;
pub mod selection;

pub use canvas::Canvas;

use plotters::style::RGBColor;

/// Why a picture could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// Nothing to draw (no rows, no finite values, no candidates).
    #[error("{0}")]
    Empty(String),
    /// The model could not be marginalised onto the chosen features.
    #[error("{0}")]
    Marginal(#[from] crate::marginal::MarginalError),
    /// plotters failed (it should not with an in-memory SVG).
    #[error("drawing failed: {0}")]
    Draw(String),
}

impl PlotError {
    /// A plotters failure.
    fn draw(e: impl std::fmt::Display) -> PlotError {
        PlotError::Draw(e.to_string())
    }
}

/// Colour of normal rows.
pub(crate) const NORMAL: RGBColor = RGBColor(31, 90, 170);
/// Colour of anomalous rows.
pub(crate) const ANOMALOUS: RGBColor = RGBColor(215, 38, 30);
/// Colour of the threshold.
pub(crate) const THRESHOLD: RGBColor = RGBColor(0, 0, 0);
/// Dark grey for components and text.
pub(crate) const INK: RGBColor = RGBColor(40, 40, 40);

/// A number for an axis or a legend: four significant digits, trailing zeros dropped,
/// scientific notation for very small and very large magnitudes.
pub fn format_number(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    if !v.is_finite() {
        return if v.is_nan() {
            "NaN".into()
        } else if v > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    }
    let a = v.abs();
    if !(1e-3..1e6).contains(&a) {
        let s = format!("{v:.3e}");
        // 1.500e-4 → 1.5e-4
        return match s.split_once('e') {
            Some((m, e)) => {
                let m = if m.contains('.') {
                    m.trim_end_matches('0').trim_end_matches('.')
                } else {
                    m
                };
                format!("{m}e{e}")
            }
            None => s,
        };
    }
    let digits = (3 - a.log10().floor() as i32).max(0) as usize;
    let s = format!("{v:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// `lo..hi` widened by `pad` of its width on each side; a zero-width range becomes ±1 (or ±1 %
/// of the value) around it.
pub(crate) fn padded(lo: f64, hi: f64, pad: f64) -> (f64, f64) {
    let w = hi - lo;
    if w > 0.0 && w.is_finite() {
        (lo - pad * w, hi + pad * w)
    } else {
        let h = if lo == 0.0 { 1.0 } else { lo.abs() * 0.01 };
        (lo - h, hi + h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(format_number(0.0), "0");
        assert_eq!(format_number(1.0), "1");
        assert_eq!(format_number(1467.25), "1467");
        assert_eq!(format_number(0.01234567), "0.01235");
        assert_eq!(format_number(-2.5), "-2.5");
        assert_eq!(format_number(0.00015), "1.5e-4");
        assert_eq!(format_number(2.0e7), "2e7");
        assert_eq!(format_number(f64::INFINITY), "inf");
    }
}
