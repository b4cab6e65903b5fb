//! The sweep chart: when the old server can go against the first swept
//! key, one line per value of the second key (if any), each answer with its
//! 95 % interval. Durations read as durations ("60 s", "48 h before"),
//! values that are not numbers (policy names) as categories, not joined.

use super::{canvas, err, legend, png_and_svg, ChartError, Picture, FONT};
use crate::duration;
use crate::export::sweep::Point;
use crate::plan::Criterion;
use plotters::coord::Shift;
use plotters::prelude::*;

/// How the first key's values lie on the x axis.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Axis {
    /// Plain numbers.
    Numbers,
    /// Durations, in `unit` seconds (an hour, a minute or a second, as suits
    /// their span, so the ticks fall on round numbers of it); `before` when
    /// they are times before the change (a schedule's `at`, negative).
    Durations { before: bool, unit: Unit },
    /// Anything else: one slot per value, in the order given.
    Categories,
}

/// The unit a duration axis counts in.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Unit {
    seconds: f64,
    name: &'static str,
}

impl Unit {
    /// Hours for spans of 3 h or more, minutes for 3 min or more, else seconds.
    fn for_span(span_s: f64) -> Unit {
        let (seconds, name) = if span_s >= 3.0 * 3600.0 {
            (3600.0, "h")
        } else if span_s >= 180.0 {
            (60.0, "min")
        } else {
            (1.0, "s")
        };
        Unit { seconds, name }
    }
}

impl Axis {
    fn of(values: &[&String]) -> Axis {
        if values.iter().all(|v| v.parse::<f64>().is_ok()) {
            Axis::Numbers
        } else if let Some(all) = values.iter().map(|v| seconds(v)).collect::<Option<Vec<f64>>>() {
            let (lo, hi) = all
                .iter()
                .fold((0.0_f64, 0.0_f64), |(a, b), x| (a.min(*x), b.max(*x)));
            Axis::Durations {
                before: all.iter().all(|&s| s <= 0.0),
                unit: Unit::for_span(hi - lo),
            }
        } else {
            Axis::Categories
        }
    }
}

/// A value as a duration in seconds, if it is one.
fn seconds(value: &str) -> Option<f64> {
    let v = value.trim_matches('"');
    let (sign, v) = v.strip_prefix('-').map_or((1.0, v), |rest| (-1.0, rest));
    duration::parse_duration(v)
        .ok()
        .map(|ms| sign * ms as f64 / 1000.0)
}

/// Draws the sweep chart as PNG and SVG.
pub fn render_sweep(
    scenario: &str,
    keys: &[String],
    points: &[Point],
    criterion: Criterion,
) -> Result<Vec<(String, Vec<u8>)>, ChartError> {
    let chart = SweepChart {
        scenario,
        keys,
        points,
        criterion,
    };
    Ok(png_and_svg("sweep", &chart)?.into())
}

/// The sweep chart's data, drawn by [`Picture::draw`].
struct SweepChart<'a> {
    scenario: &'a str,
    keys: &'a [String],
    points: &'a [Point],
    criterion: Criterion,
}

impl Picture for SweepChart<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        draw_sweep(root, self)
    }
}

/// What the answer means, for the y axis.
fn answer_desc(criterion: Criterion) -> String {
    match criterion {
        Criterion::Tolerance(t) => format!(
            "old server can go after (hours; expected old share under {}, upper end of 95 % interval)",
            duration::percent(t)
        ),
        Criterion::MaxLost(n) => {
            format!("old server can go after (hours; under {n} requests lost, upper end of 95 % interval)")
        }
    }
}

fn draw_sweep<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &SweepChart,
) -> Result<(), ChartError> {
    let firsts: Vec<&String> = chart
        .points
        .iter()
        .map(|p| &p.values[0])
        .fold(Vec::new(), |mut acc, v| {
            if !acc.contains(&v) {
                acc.push(v);
            }
            acc
        });
    let axis = Axis::of(&firsts);
    let x_of = |v: &String| match axis {
        Axis::Numbers => v.parse::<f64>().unwrap_or(0.0),
        Axis::Durations { unit, .. } => seconds(v).unwrap_or(0.0) / unit.seconds,
        Axis::Categories => firsts.iter().position(|f| *f == v).unwrap_or(0) as f64,
    };
    let xs: Vec<f64> = firsts.iter().map(|v| x_of(v)).collect();
    let (x_min, x_max) = xs
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(*x), b.max(*x)));
    let pad = ((x_max - x_min) * 0.05).max(0.5);
    let hours = |s: f64| s / 3600.0;
    let y_max = chart
        .points
        .iter()
        .flat_map(|p| [p.retire_after.value, p.retire_after.hi])
        .flatten()
        .fold(60.0, f64::max)
        / 3600.0;
    // Room above the answers for the "beyond the horizon" marks and the legend.
    let (top, y_max) = (y_max * 1.08, y_max * 1.4);
    let key = &chart.keys[0];
    let mut builder = canvas(
        root,
        format!("{}: when the old server can go, against {key}", chart.scenario),
    )?;
    let mut c = builder
        .build_cartesian_2d((x_min - pad)..(x_max + pad), 0.0..y_max)
        .map_err(err)?;
    let x_desc = match axis {
        Axis::Durations { before: true, .. } => format!("{key} (before the change)"),
        _ => key.clone(),
    };
    let x_label = |x: &f64| match axis {
        Axis::Numbers => duration::significant(*x),
        Axis::Durations { before, unit } => match duration::significant(x.abs()) {
            zero if *x == 0.0 => zero,
            n if before && *x < 0.0 => format!("{n} {} before", unit.name),
            n => format!("{n} {}", unit.name),
        },
        Axis::Categories => firsts
            .get(x.round().max(0.0) as usize)
            .filter(|_| (x - x.round()).abs() < 1e-6)
            .map_or(String::new(), |s| s.to_string()),
    };
    let mut mesh = c.configure_mesh();
    if axis == Axis::Categories {
        mesh.x_labels(firsts.len() * 2 + 1);
    }
    mesh.x_desc(x_desc)
        .y_desc(answer_desc(chart.criterion))
        .x_label_formatter(&x_label)
        .y_label_formatter(&|y| duration::significant(*y))
        .label_style((FONT, 16))
        .axis_desc_style((FONT, 18))
        .draw()
        .map_err(err)?;
    let mut groups: Vec<(String, Vec<&Point>)> = Vec::new();
    for p in chart.points {
        let label = if chart.keys.len() > 1 {
            p.values[1..]
                .iter()
                .zip(&chart.keys[1..])
                .map(|(v, k)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" ")
        } else {
            "answer (bars: 95 % interval where the runs give one)".into()
        };
        match groups.iter_mut().find(|(l, _)| *l == label) {
            Some((_, pts)) => pts.push(p),
            None => groups.push((label, vec![p])),
        }
    }
    // Categories of a second key sit side by side, not on top of each other.
    let count = groups.len();
    let spread = if axis == Axis::Categories && count > 1 {
        0.5 / count as f64
    } else {
        0.0
    };
    for (i, (label, pts)) in groups.into_iter().enumerate() {
        let colour = Palette99::pick(i).to_rgba();
        let shift = spread * (i as f64 - (count - 1) as f64 / 2.0);
        let at = |p: &Point| x_of(&p.values[0]) + shift;
        let answered: Vec<(f64, f64)> = pts
            .iter()
            .filter_map(|p| p.retire_after.value.map(|y| (at(p), hours(y))))
            .collect();
        let series = if axis == Axis::Categories {
            c.draw_series(answered.iter().map(|&p| Circle::new(p, 6, colour.filled())))
                .map_err(err)?
        } else {
            c.draw_series(answered.iter().map(|&p| Circle::new(p, 5, colour.filled())))
                .map_err(err)?;
            c.draw_series(LineSeries::new(answered.clone(), colour.stroke_width(2)))
                .map_err(err)?
        };
        series
            .label(label)
            .legend(move |(x, y)| Circle::new((x + 10, y), 5, colour.filled()));
        // Answers beyond the horizon: an open triangle at the top.
        c.draw_series(
            pts.iter()
                .filter(|p| p.retire_after.value.is_none())
                .map(|p| TriangleMarker::new((at(p), top), 7, colour.stroke_width(2))),
        )
        .map_err(err)?;
        let bars = pts.iter().filter_map(|p| {
            let lo = p.retire_after.lo?;
            let hi = p.retire_after.hi.or(p.retire_after.value)?;
            Some(PathElement::new(
                [(at(p), hours(lo)), (at(p), hours(hi))],
                colour.stroke_width(2),
            ))
        });
        c.draw_series(bars).map_err(err)?;
    }
    if chart.points.iter().any(|p| p.retire_after.value.is_none()) {
        c.draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
            .map_err(err)?
            .label("beyond the horizon (drawn at the top)")
            .legend(|(x, y)| TriangleMarker::new((x + 10, y), 7, BLACK.stroke_width(2)));
    }
    legend(&mut c).map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_find_their_axis() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let axis = |v: &[String]| Axis::of(&v.iter().collect::<Vec<_>>());
        assert_eq!(axis(&s(&["0.1", "0.2"])), Axis::Numbers);
        let unit = |seconds, name| Unit { seconds, name };
        assert_eq!(
            axis(&s(&["60s", "5m", "1h"])),
            Axis::Durations {
                before: false,
                unit: unit(60.0, "min")
            }
        );
        assert_eq!(
            axis(&s(&["-1h", "-48h"])),
            Axis::Durations {
                before: true,
                unit: unit(3600.0, "h")
            }
        );
        assert_eq!(axis(&s(&["unbound", "isp-pin-24h"])), Axis::Categories);
        assert_eq!(seconds("-48h"), Some(-172_800.0));
    }
}
