//! The fit's chart: the observed old share against the fitted model's mean
//! and its band (what one population like the model's would show, 95 %),
//! and below it the residuals in standard deviations.

use super::axis::{self, time_unit};
use super::{canvas, err, legend, mesh, png_and_svg, ChartError, Picture, MAIN};
use plotters::coord::Shift;
use plotters::prelude::*;

/// One bucket of the fit's chart.
#[derive(Clone, Copy, Debug)]
pub struct FitRow {
    pub time_s: f64,
    /// `None` where nothing was observed.
    pub observed: Option<f64>,
    pub mean: f64,
    pub band_lo: f64,
    pub band_hi: f64,
    /// The observed count's residual in standard deviations.
    pub residual: Option<f64>,
}

pub struct FitSeries {
    pub title: String,
    /// What the model is, in the legend: "fitted model", "predicted".
    pub model: &'static str,
    pub bucket_s: f64,
    pub rows: Vec<FitRow>,
}

pub fn render_fit(series: &FitSeries) -> Result<Vec<(String, Vec<u8>)>, ChartError> {
    let mut files: Vec<(String, Vec<u8>)> = png_and_svg("fit", series)?.into();
    files.extend(png_and_svg("fit_log", &FitLog(series))?);
    Ok(files)
}

/// Both charts as SVG alone (linear, log), for `serve`'s live view.
pub fn fit_svgs(series: &FitSeries) -> Result<[Vec<u8>; 2], ChartError> {
    super::register_font();
    Ok([super::svg(series)?, super::svg(&FitLog(series))?])
}

/// The same on a log scale: the tail the fit is for.
pub struct FitLog<'a>(pub &'a FitSeries);

impl Picture for FitLog<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let series = self.0;
        let horizon = series.rows.last().map_or(1.0, |r| r.time_s + series.bucket_s);
        let (unit, x_label) = time_unit(horizon);
        let x = |t: f64| (t + series.bucket_s / 2.0) / unit;
        let positive = series
            .rows
            .iter()
            .flat_map(|r| [r.observed.unwrap_or(0.0), r.mean])
            .filter(|v| *v > 0.0);
        let floor = positive.clone().fold(1.0, f64::min).max(1e-7) / 2.0;
        let top = super::log_top(positive.fold(floor * 10.0, f64::max).min(1.0));
        let mut c = canvas(root, format!("{} (log scale: the tail)", series.title))?
            .build_cartesian_2d(0.0..horizon / unit, (floor..top).log_scale())
            .map_err(err)?;
        mesh(&mut c, unit, x_label, "share of requests (log)").map_err(err)?;
        let grey = RGBColor(120, 120, 120);
        let up = |v: f64| v.max(floor);
        let mut band: Vec<(f64, f64)> = series.rows.iter().map(|r| (x(r.time_s), up(r.band_hi))).collect();
        band.extend(series.rows.iter().rev().map(|r| (x(r.time_s), up(r.band_lo))));
        c.draw_series(std::iter::once(Polygon::new(band, grey.mix(0.25).filled())))
            .map_err(err)?
            .label(format!("{}: 95 % of populations like it", series.model))
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], grey.mix(0.25).filled()));
        c.draw_series(LineSeries::new(
            series.rows.iter().map(|r| (x(r.time_s), up(r.mean))),
            grey.stroke_width(2),
        ))
        .map_err(err)?
        .label(format!("{}: mean", series.model))
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], grey.stroke_width(2)));
        c.draw_series(series.rows.iter().filter_map(|r| {
            r.observed
                .filter(|s| *s > 0.0)
                .map(|s| Circle::new((x(r.time_s), s), 3, MAIN.filled()))
        }))
        .map_err(err)?
        .label("observed (buckets with no old request not shown)")
        .legend(|(x, y)| Circle::new((x + 10, y), 3, MAIN.filled()));
        legend(&mut c).map_err(err)?;
        Ok(())
    }
}

impl Picture for FitSeries {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let horizon = self.rows.last().map_or(1.0, |r| r.time_s + self.bucket_s);
        let (unit, x_label) = time_unit(horizon);
        let (upper, lower) = root.split_vertically(root.dim_in_pixel().1 * 7 / 10);
        let x = |t: f64| (t + self.bucket_s / 2.0) / unit;
        let top = self
            .rows
            .iter()
            .flat_map(|r| [r.observed.unwrap_or(0.0), r.band_hi])
            .fold(0.001, f64::max)
            .min(1.0)
            * 1.05;
        let mut c = canvas(&upper, self.title.clone())?
            .build_cartesian_2d(0.0..horizon / unit, 0.0..top)
            .map_err(err)?;
        mesh(&mut c, unit, x_label, "share of requests").map_err(err)?;
        let mut band: Vec<(f64, f64)> = self.rows.iter().map(|r| (x(r.time_s), r.band_hi)).collect();
        band.extend(self.rows.iter().rev().map(|r| (x(r.time_s), r.band_lo)));
        let grey = RGBColor(120, 120, 120);
        c.draw_series(std::iter::once(Polygon::new(band, grey.mix(0.25).filled())))
            .map_err(err)?
            .label(format!("{}: 95 % of populations like it", self.model))
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], grey.mix(0.25).filled()));
        c.draw_series(LineSeries::new(
            self.rows.iter().map(|r| (x(r.time_s), r.mean)),
            grey.stroke_width(2),
        ))
        .map_err(err)?
        .label(format!("{}: mean", self.model))
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], grey.stroke_width(2)));
        c.draw_series(self.rows.iter().filter_map(|r| {
            r.observed
                .map(|s| Circle::new((x(r.time_s), s), 3, MAIN.filled()))
        }))
        .map_err(err)?
        .label("observed")
        .legend(|(x, y)| Circle::new((x + 10, y), 3, MAIN.filled()));
        legend(&mut c).map_err(err)?;

        let limit = self
            .rows
            .iter()
            .filter_map(|r| r.residual)
            .fold(3.0, |a: f64, z| a.max(z.abs()))
            * 1.1;
        lower.fill(&WHITE).map_err(err)?;
        let mut r = ChartBuilder::on(&lower)
            .margin(20)
            .x_label_area_size(40)
            .y_label_area_size(90)
            .build_cartesian_2d(0.0..horizon / unit, -limit..limit)
            .map_err(err)?;
        r.configure_mesh()
            .x_desc(x_label)
            .x_label_formatter(&|x| axis::tick(*x, unit))
            .y_desc("residual (sd)")
            .label_style((super::FONT, 14))
            .draw()
            .map_err(err)?;
        r.draw_series(LineSeries::new(
            [(0.0, 0.0), (horizon / unit, 0.0)],
            grey.stroke_width(1),
        ))
        .map_err(err)?;
        r.draw_series(self.rows.iter().filter_map(|row| {
            row.residual
                .map(|z| Circle::new((x(row.time_s), z), 2, MAIN.filled()))
        }))
        .map_err(err)?;
        Ok(())
    }
}
