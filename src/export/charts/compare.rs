//! The comparison chart: several runs' old shares on one chart, on a linear
//! and a log scale.

use super::run::{positive_runs, time_unit, ChartData};
use super::{canvas, err, legend, log_top, mesh, png_and_svg, ChartError, Picture};
use plotters::coord::Shift;
use plotters::prelude::*;

/// `compare` and `compare_log`, PNG and SVG; `series` pairs each label with
/// its run's charts' data.
pub fn render_compare(series: &[(String, ChartData)]) -> Result<Vec<(String, Vec<u8>)>, ChartError> {
    let mut files = Vec::new();
    for (name, log) in [("compare", false), ("compare_log", true)] {
        files.extend(png_and_svg(name, &Compare { series, log })?);
    }
    Ok(files)
}

struct Compare<'a> {
    series: &'a [(String, ChartData)],
    log: bool,
}

impl Picture for Compare<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let horizon = self
            .series
            .iter()
            .filter_map(|(_, d)| d.time_s.last().map(|t| t + d.bucket_s))
            .fold(1.0, f64::max);
        let (unit, x_label) = time_unit(horizon);
        let title = if self.log {
            "requests reaching the old address (log scale)"
        } else {
            "requests reaching the old address"
        };
        let mut builder = canvas(root, format!("compared: {title}"))?;
        let points = |d: &ChartData| -> Vec<(f64, f64)> {
            d.time_s
                .iter()
                .zip(&d.old_share)
                .map(|(t, s)| ((t + d.bucket_s / 2.0) / unit, *s))
                .collect()
        };
        let colour = |i: usize| Palette99::pick(i).to_rgba();
        if self.log {
            let floor = 1e-6;
            let highest = self
                .series
                .iter()
                .flat_map(|(_, d)| d.old_share.iter().cloned())
                .fold(floor * 10.0, f64::max)
                .min(1.0);
            let top = log_top(highest);
            let mut c = builder
                .build_cartesian_2d(0.0..horizon / unit, (floor..top).log_scale())
                .map_err(err)?;
            mesh(&mut c, x_label, "share of requests (log; 0 not shown)").map_err(err)?;
            for (i, (label, d)) in self.series.iter().enumerate() {
                let all = points(d);
                for (n, stretch) in positive_runs(&d.old_share).into_iter().enumerate() {
                    let s = c
                        .draw_series(LineSeries::new(all[stretch].to_vec(), colour(i).stroke_width(2)))
                        .map_err(err)?;
                    if n == 0 {
                        let col = colour(i);
                        s.label(label.as_str()).legend(move |(x, y)| {
                            PathElement::new([(x, y), (x + 20, y)], col.stroke_width(2))
                        });
                    }
                }
            }
            legend(&mut c).map_err(err)?;
        } else {
            let top = self
                .series
                .iter()
                .flat_map(|(_, d)| d.old_share.iter().cloned())
                .filter(|s| s.is_finite())
                .fold(0.001, f64::max)
                .min(1.0)
                * 1.05;
            let mut c = builder
                .build_cartesian_2d(0.0..horizon / unit, 0.0..top)
                .map_err(err)?;
            mesh(&mut c, x_label, "share of requests").map_err(err)?;
            for (i, (label, d)) in self.series.iter().enumerate() {
                let col = colour(i);
                // A bucket with no request (a measured curve's) has no share.
                let drawn = points(d).into_iter().filter(|p| p.1.is_finite());
                c.draw_series(LineSeries::new(drawn, col.stroke_width(2)))
                    .map_err(err)?
                    .label(label.as_str())
                    .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], col.stroke_width(2)));
            }
            legend(&mut c).map_err(err)?;
        }
        Ok(())
    }
}
