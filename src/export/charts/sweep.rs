//! The sweep chart: when the old server can go against the first swept
//! key, one line per value of the second key (if any), each answer with its
//! 95 % interval. Durations read as durations ("60 s", "48 h before"),
//! values that are not numbers (policy names) as categories, not joined.

use super::{axis, canvas, err, legend, png_and_svg, ChartError, Picture, FONT};
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
    /// The tick at `x`: a number, a duration ("45 min", "2 h before"), or
    /// the category at a whole `x` (`firsts` in order).
    fn label(&self, x: f64, firsts: &[&String]) -> String {
        match *self {
            Axis::Numbers => duration::significant(x),
            Axis::Durations { before, unit } => match axis::tick(x.abs(), unit.seconds) {
                zero if x == 0.0 => zero,
                n if before && x < 0.0 => format!("{n} before"),
                n => n,
            },
            Axis::Categories => firsts
                .get(x.round().max(0.0) as usize)
                .filter(|_| (x - x.round()).abs() < 1e-6)
                .map_or(String::new(), |s| s.to_string()),
        }
    }

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
            "old server can go after (expected old share under {})",
            duration::percent(t)
        ),
        Criterion::MaxLost(n) => format!("old server can go after (under {n} requests lost)"),
    }
}

/// The points in groups, one per value of the keys after the first (one
/// group when there is one key), in the order first seen.
fn groups<'a>(chart: &SweepChart<'a>) -> Vec<(String, Vec<&'a Point>)> {
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
            "answer: the upper end of the 95 % interval (bar), ring: best estimate".into()
        };
        match groups.iter_mut().find(|(l, _)| *l == label) {
            Some((_, pts)) => pts.push(p),
            None => groups.push((label, vec![p])),
        }
    }
    groups
}

/// The first key's distinct values, in order, and how they lie on the axis.
fn first_values(points: &[Point]) -> Vec<&String> {
    points
        .iter()
        .map(|p| &p.values[0])
        .fold(Vec::new(), |mut acc, v| {
            if !acc.contains(&v) {
                acc.push(v);
            }
            acc
        })
}

/// The horizon answers beyond it are drawn at (seconds), when any is and
/// the sweep file says how far it reached.
fn beyond_at(points: &[Point]) -> Option<f64> {
    points
        .iter()
        .filter(|p| p.retire_after.value.is_none())
        .filter_map(|p| p.horizon_s)
        .reduce(f64::max)
}

fn draw_sweep<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &SweepChart,
) -> Result<(), ChartError> {
    let firsts = first_values(chart.points);
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
    let beyond = beyond_at(chart.points);
    let highest_s = chart
        .points
        .iter()
        .flat_map(|p| [p.retire_after.value, p.retire_after.hi])
        .flatten()
        .chain(beyond)
        .fold(60.0, f64::max);
    let y_unit = Unit::for_span(highest_s);
    // Answers without a horizon to draw them at sit at the top.
    let top = highest_s * 1.08 / y_unit.seconds;
    let key = &chart.keys[0];
    let mut builder = canvas(
        root,
        format!("{}: when the old server can go, against {key}", chart.scenario),
    )?;
    // Room for durations such as "3 h 30 min" beside the axis's description.
    builder.y_label_area_size(150);
    let mut c = builder
        .build_cartesian_2d(
            (x_min - pad)..(x_max + pad),
            0.0..highest_s * 1.45 / y_unit.seconds,
        )
        .map_err(err)?;
    let x_desc = match axis {
        Axis::Durations { before: true, .. } => format!("{key} (before the change)"),
        _ => key.clone(),
    };
    let x_label = |x: &f64| axis.label(*x, &firsts);
    let mut mesh = c.configure_mesh();
    if axis == Axis::Categories {
        mesh.x_labels(firsts.len() * 2 + 1);
    }
    mesh.x_desc(x_desc)
        .y_desc(answer_desc(chart.criterion))
        .x_label_formatter(&x_label)
        .y_label_formatter(&|v| axis::tick(*v, y_unit.seconds))
        .label_style((FONT, 16))
        .axis_desc_style((FONT, 18))
        .draw()
        .map_err(err)?;
    if let Some(h) = beyond {
        horizon_line(&mut c, (x_min - pad)..(x_max + pad), h, y_unit.seconds)?;
    }
    let groups = groups(chart);
    let count = groups.len();
    // Categories of a second key sit side by side, not on top of each other.
    let spread = if axis == Axis::Categories && count > 1 {
        0.5 / count as f64
    } else {
        0.0
    };
    for (i, (label, pts)) in groups.into_iter().enumerate() {
        let shift = spread * (i as f64 - (count - 1) as f64 / 2.0);
        let group = Group {
            colour: axis::series(i),
            label,
            points: pts,
            joined: axis != Axis::Categories,
        };
        group.draw(
            &mut c,
            &|p: &Point| x_of(&p.values[0]) + shift,
            y_unit.seconds,
            top,
        )?;
    }
    legend(&mut c).map_err(err)?;
    Ok(())
}

/// The horizon (`h` seconds) as a dashed grey line across `xs`, y in
/// `unit` seconds: answers beyond it sit on it.
fn horizon_line<'c, DB: DrawingBackend + 'c>(
    c: &mut super::Cartesian<'c, DB, plotters::coord::types::RangedCoordf64>,
    xs: std::ops::Range<f64>,
    h: f64,
    unit: f64,
) -> Result<(), ChartError> {
    let grey = RGBColor(120, 120, 120);
    c.draw_series(DashedLineSeries::new(
        [(xs.start, h / unit), (xs.end, h / unit)],
        6,
        4,
        grey.stroke_width(1),
    ))
    .map_err(err)?
    .label(format!(
        "the horizon simulated, {}: triangles on it are answers beyond it",
        duration::human((h * 1000.0) as i64)
    ))
    .legend(move |(x, y)| TriangleMarker::new((x + 10, y), 7, grey.stroke_width(2)));
    Ok(())
}

/// The points of one value of the keys after the first.
struct Group<'a> {
    colour: RGBColor,
    label: String,
    points: Vec<&'a Point>,
    /// Joined by a line (not for categories).
    joined: bool,
}

impl Group<'_> {
    /// Each answer a dot, its best estimate a ring, its interval a bar, and
    /// answers beyond the horizon a triangle on it (at `top` where the sweep
    /// file does not say how far it reached); y in `unit` seconds.
    fn draw<'c, DB: DrawingBackend + 'c>(
        self,
        c: &mut super::Cartesian<'c, DB, plotters::coord::types::RangedCoordf64>,
        at: &dyn Fn(&Point) -> f64,
        unit: f64,
        top: f64,
    ) -> Result<(), ChartError> {
        let (colour, pts) = (self.colour, &self.points);
        let y = |s: f64| s / unit;
        let answered: Vec<(f64, f64)> = pts
            .iter()
            .filter_map(|p| p.retire_after.value.map(|s| (at(p), y(s))))
            .collect();
        if self.joined {
            c.draw_series(LineSeries::new(answered.clone(), colour.stroke_width(2)))
                .map_err(err)?;
        }
        c.draw_series(answered.iter().map(|&p| Circle::new(p, 5, colour.filled())))
            .map_err(err)?
            .label(self.label)
            .legend(move |(x, y)| Circle::new((x + 10, y), 5, colour.filled()));
        let estimates = pts.iter().filter_map(|p| {
            Some(Circle::new(
                (at(p), y(p.settle_mean.value?)),
                5,
                colour.stroke_width(2),
            ))
        });
        c.draw_series(estimates).map_err(err)?;
        let bars = pts.iter().filter_map(|p| {
            let lo = p.retire_after.lo?;
            let hi = p.retire_after.hi.or(p.retire_after.value)?;
            Some(PathElement::new(
                [(at(p), y(lo)), (at(p), y(hi))],
                colour.stroke_width(2),
            ))
        });
        c.draw_series(bars).map_err(err)?;
        let beyond = pts.iter().filter(|p| p.retire_after.value.is_none()).map(|p| {
            let height = p.horizon_s.map_or(top, y);
            TriangleMarker::new((at(p), height), 7, colour.stroke_width(2))
        });
        c.draw_series(beyond).map_err(err)?;
        Ok(())
    }
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
