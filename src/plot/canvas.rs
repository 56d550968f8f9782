//! An SVG document assembled from layers, each drawn by plotters and wrapped in a
//! `<g class="...">` group.
//!
//! plotters' SVG backend writes elements without ids or classes. Drawing each part of a
//! picture into its own backend of the same size, with the same layout, and wrapping each
//! part's elements in a named group gives a document whose parts can be found and counted.

use std::fmt::Write;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::PlotError;

/// A plotters drawing area on the SVG backend.
pub type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// An SVG document under construction: a size, a title, and the layers drawn so far.
#[derive(Clone, Debug)]
pub struct Canvas {
    width: u32,
    height: u32,
    title: String,
    body: String,
}

/// Escapes text for an XML attribute or element.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

impl Canvas {
    /// An empty document of `width × height` pixels; `title` becomes its `<title>`.
    pub fn new(width: u32, height: u32, title: &str) -> Canvas {
        Canvas {
            width,
            height,
            title: title.to_string(),
            body: String::new(),
        }
    }

    /// Size in pixels.
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// Draws one layer on a fresh full-size area and appends its elements as
    /// `<g class="{class}">`.
    pub fn layer(
        &mut self,
        class: &str,
        draw: impl FnOnce(&Area<'_>) -> Result<(), PlotError>,
    ) -> Result<(), PlotError> {
        let mut buf = String::new();
        {
            let root =
                SVGBackend::with_string(&mut buf, (self.width, self.height)).into_drawing_area();
            draw(&root)?;
            root.present().map_err(PlotError::draw)?;
        }
        // The backend writes `<svg ...>` on the first line and `</svg>` on the last.
        let inner = buf
            .split_once('\n')
            .map(|(_, rest)| rest)
            .unwrap_or("")
            .trim_end()
            .strip_suffix("</svg>")
            .unwrap_or("");
        let _ = write!(self.body, "<g class=\"{}\">\n{inner}</g>\n", escape(class));
        Ok(())
    }

    /// The finished document.
    pub fn finish(self) -> String {
        let (w, h) = (self.width, self.height);
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
             viewBox=\"0 0 {w} {h}\">\n<title>{}</title>\n{}</svg>\n",
            escape(&self.title),
            self.body
        )
    }
}

/// The three regions of every picture: a title strip, the plot, a legend column on the right.
pub struct Regions<'a> {
    /// The title strip.
    pub title: Area<'a>,
    /// The chart (axes, labels and plotting area).
    pub plot: Area<'a>,
    /// The legend column.
    pub legend: Area<'a>,
}

/// Height of the title strip.
const TITLE_HEIGHT: u32 = 44;

/// Splits a full-size area into [`Regions`], the same way on every layer.
pub fn regions<'a>(root: &Area<'a>, legend_width: u32) -> Regions<'a> {
    let (w, _) = root.dim_in_pixel();
    let (title, rest) = root.split_vertically(TITLE_HEIGHT);
    let (plot, legend) = rest.split_horizontally(w.saturating_sub(legend_width));
    Regions {
        title,
        plot,
        legend,
    }
}

/// Draws the title text centred in the title strip.
pub fn draw_title(area: &Area<'_>, title: &str) -> Result<(), PlotError> {
    let (w, h) = area.dim_in_pixel();
    let style = ("sans-serif", 22).into_font().color(&super::INK).pos(
        plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Center,
            plotters::style::text_anchor::VPos::Center,
        ),
    );
    area.draw(&Text::new(
        title.to_string(),
        (w as i32 / 2, h as i32 / 2 + 4),
        style,
    ))
    .map_err(PlotError::draw)
}

/// What a legend entry shows beside its text.
#[derive(Clone, Copy, Debug)]
pub enum Swatch {
    /// A filled dot.
    Dot(RGBAColor),
    /// A line of this width.
    Line(RGBAColor, u32),
    /// A filled square.
    Square(RGBAColor),
}

/// Draws legend entries top-down in the legend column; each entry may span several lines of
/// text (split on `\n`).
pub fn draw_legend(area: &Area<'_>, entries: &[(Swatch, String)]) -> Result<(), PlotError> {
    let font = ("sans-serif", 15).into_font().color(&super::INK);
    let mut y = 24i32;
    let x = 12i32;
    for (swatch, text) in entries {
        let cy = y + 8;
        match *swatch {
            Swatch::Dot(c) => area.draw(&Circle::new((x + 10, cy), 5, c.filled())),
            Swatch::Line(c, w) => area.draw(&PathElement::new(
                vec![(x, cy), (x + 22, cy)],
                c.stroke_width(w),
            )),
            Swatch::Square(c) => area.draw(&Rectangle::new(
                [(x + 2, cy - 8), (x + 20, cy + 8)],
                c.filled(),
            )),
        }
        .map_err(PlotError::draw)?;
        for (i, line) in text.split('\n').enumerate() {
            area.draw(&Text::new(
                line.to_string(),
                (x + 30, y + 1 + 18 * i as i32),
                font.clone(),
            ))
            .map_err(PlotError::draw)?;
        }
        y += 18 * text.split('\n').count() as i32 + 12;
    }
    Ok(())
}

/// A chart on which layers draw in data coordinates.
pub type Chart<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The layout of a chart: data ranges, axis descriptions and tick labels. Every layer that
/// builds a chart from the same frame gets the same pixel mapping.
pub struct Frame<'f> {
    /// x range.
    pub x: (f64, f64),
    /// y range.
    pub y: (f64, f64),
    /// x axis description.
    pub x_desc: &'f str,
    /// y axis description.
    pub y_desc: &'f str,
    /// Width of the legend column.
    pub legend_width: u32,
    /// Room for the y tick labels and description.
    pub y_label_area: u32,
    /// Number of x tick labels wanted.
    pub x_labels: usize,
    /// Tick label text of an x value.
    pub x_tick: &'f dyn Fn(&f64) -> String,
    /// Tick label text of a y value.
    pub y_tick: &'f dyn Fn(&f64) -> String,
}

impl Canvas {
    /// Draws one layer on the chart of `frame` (see [`Canvas::layer`]).
    pub fn chart_layer(
        &mut self,
        class: &str,
        frame: &Frame<'_>,
        draw: impl FnOnce(&mut Chart<'_, '_>) -> Result<(), PlotError>,
    ) -> Result<(), PlotError> {
        // plotters cannot place ticks on a range whose width overflows f64 (it loops): values
        // that far apart cannot be drawn on one axis anyway.
        for (axis, (lo, hi)) in [("x", frame.x), ("y", frame.y)] {
            if !((hi - lo).is_finite() && hi > lo) {
                return Err(PlotError::Empty(format!(
                    "the {axis} values span {lo:.3e} to {hi:.3e}, too wide a range to draw"
                )));
            }
        }
        self.layer(class, |root| {
            let r = regions(root, frame.legend_width);
            let mut chart = ChartBuilder::on(&r.plot)
                .margin(12)
                .x_label_area_size(52)
                .y_label_area_size(frame.y_label_area)
                .build_cartesian_2d(frame.x.0..frame.x.1, frame.y.0..frame.y.1)
                .map_err(PlotError::draw)?;
            draw(&mut chart)
        })
    }

    /// Draws the axes, tick labels, axis descriptions and grid of `frame` as layer `axes`.
    pub fn axes_layer(&mut self, frame: &Frame<'_>) -> Result<(), PlotError> {
        self.chart_layer("axes", frame, |chart| {
            chart
                .configure_mesh()
                .x_desc(frame.x_desc)
                .y_desc(frame.y_desc)
                .x_labels(frame.x_labels)
                .x_label_formatter(frame.x_tick)
                .y_label_formatter(frame.y_tick)
                .label_style(("sans-serif", 14))
                .axis_desc_style(("sans-serif", 17))
                .light_line_style(WHITE.mix(0.0))
                .bold_line_style(BLACK.mix(0.08))
                .draw()
                .map_err(PlotError::draw)
        })
    }

    /// Fills the background white and draws the title, as layer `title`.
    pub fn title_layer(&mut self, legend_width: u32) -> Result<(), PlotError> {
        let title = self.title.clone();
        self.layer("title", |root| {
            root.fill(&WHITE).map_err(PlotError::draw)?;
            draw_title(&regions(root, legend_width).title, &title)
        })
    }

    /// Draws the legend entries in the legend column, as layer `legend`.
    pub fn legend_layer(
        &mut self,
        legend_width: u32,
        entries: &[(Swatch, String)],
    ) -> Result<(), PlotError> {
        self.layer("legend", |root| {
            draw_legend(&regions(root, legend_width).legend, entries)
        })
    }
}
