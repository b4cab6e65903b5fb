//! The sweep chart: when the old server can go against the first swept
//! key, one line per value of the second key (if any).

use super::{canvas, legend, png_and_svg, Picture, FONT};
use crate::duration;
use plotters::coord::Shift;
use plotters::prelude::*;

/// A value of a swept key as a number for the x axis: a plain number, or a
/// duration in seconds; `None` if it is neither (then values are categories).
fn numeric(value: &str) -> Option<f64> {
    value.parse::<f64>().ok().or_else(|| {
        duration::parse_duration(value.trim_matches('"'))
            .ok()
            .map(|ms| ms as f64 / 1000.0)
    })
}

/// The sweep chart: the plan's answer against the first swept key, one line
/// per value of the second key (if any). `points` pairs each combination of
/// values with its answer in seconds.
pub fn render_sweep(
    scenario: &str,
    keys: Vec<&str>,
    points: &[(Vec<String>, Option<f64>)],
) -> Result<Vec<(String, Vec<u8>)>, String> {
    let chart = SweepChart {
        scenario,
        keys: &keys,
        points,
    };
    Ok(png_and_svg("sweep", &chart)?.into())
}

/// The sweep chart's data, drawn by [`Picture::draw`].
struct SweepChart<'a> {
    scenario: &'a str,
    keys: &'a [&'a str],
    points: &'a [(Vec<String>, Option<f64>)],
}

impl Picture for SweepChart<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        draw_sweep(root, self.scenario, self.keys, self.points)
    }
}

fn draw_sweep<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    scenario: &str,
    keys: &[&str],
    points: &[(Vec<String>, Option<f64>)],
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let firsts: Vec<&String> = points.iter().map(|(v, _)| &v[0]).fold(Vec::new(), |mut acc, v| {
        if !acc.contains(&v) {
            acc.push(v);
        }
        acc
    });
    let all_numeric = firsts.iter().all(|v| numeric(v).is_some());
    let x_of = |v: &String| {
        if all_numeric {
            numeric(v).unwrap_or(0.0)
        } else {
            firsts.iter().position(|f| *f == v).unwrap_or(0) as f64
        }
    };
    let xs: Vec<f64> = firsts.iter().map(|v| x_of(v)).collect();
    let (x_min, x_max) = xs
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(*x), b.max(*x)));
    let pad = ((x_max - x_min) * 0.05).max(0.5);
    let y_max = points.iter().filter_map(|(_, y)| *y).fold(60.0, f64::max) / 3600.0 * 1.1;
    let mut builder = canvas(
        root,
        format!("{scenario}: when the old server can go, against {}", keys[0]),
    )?;
    let mut c = builder
        .build_cartesian_2d((x_min - pad)..(x_max + pad), 0.0..y_max)
        .map_err(err)?;
    let x_desc = if all_numeric && firsts.iter().any(|v| v.parse::<f64>().is_err()) {
        format!("{} (seconds)", keys[0])
    } else {
        keys[0].to_string()
    };
    c.configure_mesh()
        .x_desc(x_desc)
        .y_desc("old server can go after (hours)")
        .x_label_formatter(&|x| {
            if all_numeric {
                crate::duration::significant(*x)
            } else {
                firsts
                    .get(x.round() as usize)
                    .filter(|_| (x - x.round()).abs() < 1e-6)
                    .map_or(String::new(), |s| s.to_string())
            }
        })
        .y_label_formatter(&|y| crate::duration::significant(*y))
        .label_style((FONT, 16))
        .axis_desc_style((FONT, 18))
        .draw()
        .map_err(err)?;
    let mut groups: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for (values, retire) in points {
        let label = if keys.len() > 1 {
            values[1..]
                .iter()
                .zip(&keys[1..])
                .map(|(v, k)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" ")
        } else {
            "answer".into()
        };
        let Some(retire) = retire else { continue };
        let point = (x_of(&values[0]), retire / 3600.0);
        match groups.iter_mut().find(|(l, _)| *l == label) {
            Some((_, pts)) => pts.push(point),
            None => groups.push((label, vec![point])),
        }
    }
    for (i, (label, pts)) in groups.into_iter().enumerate() {
        let colour = Palette99::pick(i).to_rgba();
        c.draw_series(LineSeries::new(pts.clone(), colour.stroke_width(2)))
            .map_err(err)?
            .label(label)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(2)));
        c.draw_series(pts.into_iter().map(|p| Circle::new(p, 5, colour.filled())))
            .map_err(err)?;
    }
    legend(&mut c).map_err(err)?;
    Ok(())
}
