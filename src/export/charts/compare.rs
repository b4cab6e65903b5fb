//! The comparison charts: several runs' old shares on one chart, on a
//! linear and a log scale, and the first hour alone (where runs of a day
//! differ most and a long axis squeezes them into its first pixels).
//! Simulated runs are steps in the palette's colours; measured curves are
//! black dots.

use super::axis::{self, MEASURED};
use super::run::{positive_runs, runs_where, ChartData};
use super::{canvas, err, legend, log_top, mesh, png_and_svg, ChartError, Picture};
use plotters::coord::Shift;
use plotters::prelude::*;

/// `compare`, `compare_log` and, when the runs last longer than an hour,
/// `compare_first_hour`, PNG and SVG; `series` pairs each label with its
/// run's charts' data.
pub fn render_compare(series: &[(String, ChartData)]) -> Result<Vec<(String, Vec<u8>)>, ChartError> {
    let mut files = Vec::new();
    for (name, log) in [("compare", false), ("compare_log", true)] {
        files.extend(png_and_svg(
            name,
            &Compare {
                series,
                log,
                title: TITLE,
            },
        )?);
    }
    let first_hour: Vec<(String, ChartData)> = series
        .iter()
        .filter_map(|(label, d)| Some((label.clone(), d.first_hour()?)))
        .collect();
    if !first_hour.is_empty() {
        let chart = Compare {
            series: &first_hour,
            log: false,
            title: "requests reaching the old address: the first hour",
        };
        files.extend(png_and_svg("compare_first_hour", &chart)?);
    }
    Ok(files)
}

/// The linear comparison alone as SVG, for `serve`'s page.
pub fn compare_svg(series: &[(String, ChartData)]) -> Result<Vec<u8>, ChartError> {
    super::register_font();
    super::svg(&Compare {
        series,
        log: false,
        title: TITLE,
    })
}

const TITLE: &str = "requests reaching the old address";

struct Compare<'a> {
    series: &'a [(String, ChartData)],
    log: bool,
    title: &'a str,
}

impl Picture for Compare<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let horizon = self
            .series
            .iter()
            .filter_map(|(_, d)| d.time_s.last().map(|t| t + d.bucket_s))
            .fold(1.0, f64::max);
        let (unit, x_label) = axis::time_unit(horizon);
        let scale = if self.log { " (log scale)" } else { "" };
        let mut builder = canvas(root, format!("compared: {}{scale}", self.title))?;
        let shares = || self.series.iter().flat_map(|(_, d)| d.old_share.iter().copied());
        let highest = shares().filter(|s| s.is_finite()).fold(0.0, f64::max).min(1.0);
        if self.log {
            let floor = 1e-6;
            let mut c = builder
                .build_cartesian_2d(
                    0.0..horizon / unit,
                    (floor..log_top(highest.max(floor * 10.0))).log_scale(),
                )
                .map_err(err)?;
            mesh(&mut c, unit, x_label, "share of requests (log; 0 not shown)").map_err(err)?;
            for (i, (label, d)) in self.series.iter().enumerate() {
                // NaN (a measured bucket with no request) is not positive.
                draw(&mut c, i, label, d, unit, positive_runs(&d.old_share))?;
            }
            legend(&mut c).map_err(err)?;
        } else {
            let mut c = builder
                .build_cartesian_2d(0.0..horizon / unit, 0.0..highest.max(0.001) * 1.05)
                .map_err(err)?;
            mesh(&mut c, unit, x_label, "share of requests").map_err(err)?;
            for (i, (label, d)) in self.series.iter().enumerate() {
                // A bucket with no request (a measured curve's) has no share.
                draw(
                    &mut c,
                    i,
                    label,
                    d,
                    unit,
                    runs_where(&d.old_share, f64::is_finite),
                )?;
            }
            legend(&mut c).map_err(err)?;
        }
        Ok(())
    }
}

/// One series over its `stretches` of buckets: steps in its colour, or a
/// measured curve's dots at its buckets' middles.
fn draw<'a, DB: DrawingBackend + 'a, Y: Ranged<ValueType = f64>>(
    c: &mut super::Cartesian<'a, DB, Y>,
    i: usize,
    label: &str,
    d: &ChartData,
    unit: f64,
    stretches: Vec<std::ops::Range<usize>>,
) -> Result<(), ChartError> {
    if d.measured {
        let middle = |b: usize| (d.time_s[b] + d.bucket_s / 2.0) / unit;
        let dots = stretches
            .into_iter()
            .flatten()
            .map(|b| Circle::new((middle(b), d.old_share[b]), 3, MEASURED.filled()));
        c.draw_series(dots)
            .map_err(err)?
            .label(label)
            .legend(|(x, y)| Circle::new((x + 10, y), 3, MEASURED.filled()));
        return Ok(());
    }
    let colour = axis::series(i);
    let steps = axis::steps(&d.time_s, d.bucket_s, &d.old_share, unit);
    for (n, stretch) in stretches.into_iter().enumerate() {
        let s = c
            .draw_series(LineSeries::new(
                steps[2 * stretch.start..2 * stretch.end].to_vec(),
                colour.stroke_width(2),
            ))
            .map_err(err)?;
        if n == 0 {
            s.label(label)
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(2)));
        }
    }
    Ok(())
}
