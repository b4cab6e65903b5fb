//! Charts with plotters, as PNG and SVG: the old share with its 95 % band
//! (linear and log scale, so the tail is visible), the per-layer breakdown
//! (which layer holds the stale answers), the share of users affected, and
//! each address's share of traffic when the record balances load. Text uses a
//! bundled font, so charts render on machines with no system fonts.

use crate::duration::{self, Millis};
use crate::engine::{Layer, PerLayer};
use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::sync::Once;

const WIDTH: u32 = 1200;
const HEIGHT: u32 = 700;
const FONT: &str = "sans-serif";

/// DejaVu Sans (Bitstream Vera licence, see assets/): always there, whatever the machine has.
static FONT_BYTES: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES)
            .unwrap_or_else(|_| panic!("the bundled font is a valid TTF"));
    });
}

/// What the charts show, from a run or read back from a results folder.
#[derive(Clone, Debug, Default)]
pub struct ChartData {
    pub scenario: String,
    pub ttl: Millis,
    pub time_s: Vec<f64>,
    pub bucket_s: f64,
    pub old_share: Vec<f64>,
    pub lo: Vec<f64>,
    pub hi: Vec<f64>,
    pub clients_old_share: Vec<f64>,
    pub old_via: Vec<PerLayer<f64>>,
    /// (address, share per bucket), when the record balances load.
    pub addresses: Vec<(String, Vec<f64>)>,
    /// Plan's answer in seconds, drawn as a marker.
    pub retire_after_s: Option<f64>,
}

const LAYER_COLOURS: [RGBColor; Layer::COUNT] = [
    RGBColor(230, 159, 0),   // connection
    RGBColor(86, 180, 233),  // app
    RGBColor(0, 158, 115),   // os
    RGBColor(240, 228, 66),  // router
    RGBColor(213, 94, 0),    // resolver
    RGBColor(204, 121, 167), // authoritative
];
const MAIN: RGBColor = RGBColor(0, 90, 181);

/// Every chart as (file name, bytes), PNG and SVG.
pub fn render_all(data: &ChartData) -> Result<Vec<(String, Vec<u8>)>, String> {
    register_font();
    let mut files = Vec::new();
    let charts: Vec<(&str, Chart)> = {
        let mut c: Vec<(&str, Chart)> = vec![
            ("old_share", Chart::OldShare { log: false }),
            ("old_share_log", Chart::OldShare { log: true }),
            ("layers", Chart::Layers { normalised: false }),
            ("layers_share", Chart::Layers { normalised: true }),
            ("clients", Chart::Clients),
        ];
        if !data.addresses.is_empty() {
            c.push(("addresses", Chart::Addresses));
        }
        c
    };
    for (name, chart) in charts {
        files.push((format!("{name}.png"), png(data, chart)?));
        files.push((format!("{name}.svg"), svg(data, chart)?));
    }
    Ok(files)
}

#[derive(Clone, Copy, Debug)]
enum Chart {
    OldShare { log: bool },
    Layers { normalised: bool },
    Clients,
    Addresses,
}

fn png(data: &ChartData, chart: Chart) -> Result<Vec<u8>, String> {
    let mut pixels = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (WIDTH, HEIGHT)).into_drawing_area();
        draw(&root, data, chart)?;
        root.present().map_err(|e| e.to_string())?;
    }
    encode_png(pixels)
}

fn encode_png(pixels: Vec<u8>) -> Result<Vec<u8>, String> {
    let image = image::RgbImage::from_raw(WIDTH, HEIGHT, pixels).ok_or("chart buffer has the wrong size")?;
    let mut bytes = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut bytes, image::ImageOutputFormat::Png)
        .map_err(|e| e.to_string())?;
    Ok(bytes.into_inner())
}

fn svg(data: &ChartData, chart: Chart) -> Result<Vec<u8>, String> {
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, (WIDTH, HEIGHT)).into_drawing_area();
        draw(&root, data, chart)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(text.into_bytes())
}

/// The time axis in the unit people would use for this horizon.
fn time_unit(horizon_s: f64) -> (f64, &'static str) {
    if horizon_s <= 2.0 * 3600.0 {
        (60.0, "minutes after the change")
    } else {
        (3600.0, "hours after the change")
    }
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &ChartData,
    chart: Chart,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(err)?;
    let horizon = data.time_s.last().map_or(1.0, |t| t + data.bucket_s);
    let (unit, x_label) = time_unit(horizon);
    let x_max = horizon / unit;
    let title = match chart {
        Chart::OldShare { log: false } => "requests reaching the old address",
        Chart::OldShare { log: true } => "requests reaching the old address (log scale: the tail)",
        Chart::Layers { normalised: false } => "where the stale answers are held",
        Chart::Layers { normalised: true } => "which layer holds the stale answers (share of old requests)",
        Chart::Clients => "active users with at least one request to the old address",
        Chart::Addresses => "each address's share of requests",
    };
    let caption = format!("{} (TTL {}): {title}", data.scenario, duration::human(data.ttl));
    let mut builder = ChartBuilder::on(root);
    builder
        .caption(caption, (FONT, 26))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(90);
    let xs: Vec<f64> = data
        .time_s
        .iter()
        .map(|t| (t + data.bucket_s / 2.0) / unit)
        .collect();
    match chart {
        Chart::OldShare { log: true } => {
            let floor = 1e-6;
            let top = data.hi.iter().cloned().fold(floor * 10.0, f64::max).min(1.0);
            let mut c = builder
                .build_cartesian_2d(0.0..x_max, (floor..top).log_scale())
                .map_err(err)?;
            mesh(&mut c, x_label, "share of requests (log)").map_err(err)?;
            for (n, segment) in positive_runs(&data.old_share).into_iter().enumerate() {
                let series = c
                    .draw_series(LineSeries::new(
                        segment.map(|i| (xs[i], data.old_share[i])),
                        MAIN.stroke_width(2),
                    ))
                    .map_err(err)?;
                if n == 0 {
                    series
                        .label("old share, mean over runs (0 not shown)")
                        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], MAIN.stroke_width(2)));
                }
            }
            marker(&mut c, data, unit, floor, top).map_err(err)?;
            legend(&mut c).map_err(err)?;
        }
        Chart::OldShare { log: false } => {
            let top = data.hi.iter().cloned().fold(0.001, f64::max).min(1.0) * 1.05;
            let mut c = builder.build_cartesian_2d(0.0..x_max, 0.0..top).map_err(err)?;
            mesh(&mut c, x_label, "share of requests").map_err(err)?;
            let mut band: Vec<(f64, f64)> = xs.iter().zip(&data.hi).map(|(x, h)| (*x, h.min(1.0))).collect();
            band.extend(xs.iter().zip(&data.lo).rev().map(|(x, l)| (*x, l.max(0.0))));
            c.draw_series(std::iter::once(Polygon::new(band, MAIN.mix(0.2).filled())))
                .map_err(err)?
                .label("95 % confidence interval")
                .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], MAIN.mix(0.2).filled()));
            c.draw_series(LineSeries::new(
                xs.iter().cloned().zip(data.old_share.iter().cloned()),
                MAIN.stroke_width(2),
            ))
            .map_err(err)?
            .label("old share, mean over runs")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], MAIN.stroke_width(2)));
            marker(&mut c, data, unit, 0.0, top).map_err(err)?;
            legend(&mut c).map_err(err)?;
        }
        Chart::Layers { normalised } => {
            // Per bucket, each layer's part: of all requests, or of the old ones
            // (the tail's culprits stay visible when the old share is tiny).
            let parts: Vec<[f64; Layer::COUNT]> = data
                .old_via
                .iter()
                .map(|v| {
                    let total: f64 = v.values().sum();
                    if normalised {
                        v.0.map(|x| if total > 0.0 { x / total } else { 0.0 })
                    } else {
                        v.0
                    }
                })
                .collect();
            let top = if normalised {
                1.0
            } else {
                parts.iter().map(|v| v.iter().sum()).fold(0.001, f64::max) * 1.05
            };
            let mut c = builder.build_cartesian_2d(0.0..x_max, 0.0..top).map_err(err)?;
            let y_label = if normalised {
                "share of the requests reaching the old address"
            } else {
                "share of requests reaching the old address"
            };
            mesh(&mut c, x_label, y_label).map_err(err)?;
            // Stacked: draw each layer's cumulative area, the tallest first.
            for layer in Layer::ALL.iter().rev() {
                let l = *layer as usize;
                if parts.iter().all(|v| v[l] == 0.0) {
                    continue;
                }
                let colour = LAYER_COLOURS[l];
                let points: Vec<(f64, f64)> = xs
                    .iter()
                    .zip(&parts)
                    .map(|(x, v)| (*x, v[..=l].iter().sum()))
                    .collect();
                c.draw_series(AreaSeries::new(points, 0.0, colour.filled()).border_style(colour))
                    .map_err(err)?
                    .label(layer.name())
                    .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], colour.filled()));
            }
            legend(&mut c).map_err(err)?;
        }
        Chart::Clients => {
            let top = data
                .clients_old_share
                .iter()
                .cloned()
                .fold(0.001, f64::max)
                .min(1.0)
                * 1.05;
            let mut c = builder.build_cartesian_2d(0.0..x_max, 0.0..top).map_err(err)?;
            mesh(&mut c, x_label, "share of active users").map_err(err)?;
            c.draw_series(LineSeries::new(
                xs.iter().cloned().zip(data.clients_old_share.iter().cloned()),
                MAIN.stroke_width(2),
            ))
            .map_err(err)?;
        }
        Chart::Addresses => {
            let top = data
                .addresses
                .iter()
                .flat_map(|(_, v)| v.iter().cloned())
                .fold(0.01, f64::max)
                .min(1.0)
                * 1.05;
            let mut c = builder.build_cartesian_2d(0.0..x_max, 0.0..top).map_err(err)?;
            mesh(&mut c, x_label, "share of requests").map_err(err)?;
            for (i, (address, shares)) in data.addresses.iter().enumerate() {
                let colour = Palette99::pick(i).to_rgba();
                c.draw_series(LineSeries::new(
                    xs.iter().cloned().zip(shares.iter().cloned()),
                    colour.stroke_width(2),
                ))
                .map_err(err)?
                .label(address.as_str())
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(2)));
            }
            legend(&mut c).map_err(err)?;
        }
    }
    Ok(())
}

/// Grid and axis labels: time in plain numbers, shares in percent.
fn mesh<'a, DB: DrawingBackend + 'a, Y: Ranged<ValueType = f64> + ValueFormatter<f64>>(
    c: &mut Cartesian<'a, DB, Y>,
    x_label: &str,
    y_label: &str,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    c.configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .x_label_formatter(&|x| crate::duration::significant(*x))
        .y_label_formatter(&|v| format!("{}%", crate::duration::significant(v * 100.0)))
        .label_style((FONT, 16))
        .axis_desc_style((FONT, 18))
        .draw()
}

type Cartesian<'a, DB, Y> = ChartContext<'a, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, Y>>;

fn legend<'a, DB: DrawingBackend + 'a, Y: Ranged<ValueType = f64>>(
    c: &mut Cartesian<'a, DB, Y>,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    c.configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font((FONT, 16))
        .draw()
}

/// A dashed vertical line at the plan's answer: "the old server can go here".
fn marker<'a, DB: DrawingBackend + 'a, Y: Ranged<ValueType = f64>>(
    c: &mut Cartesian<'a, DB, Y>,
    data: &ChartData,
    unit: f64,
    bottom: f64,
    top: f64,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let Some(t) = data.retire_after_s else {
        return Ok(());
    };
    let x = t / unit;
    let red = RGBColor(200, 0, 0);
    c.draw_series(DashedLineSeries::new(
        [(x, bottom), (x, top)],
        6,
        4,
        red.stroke_width(2),
    ))?
    .label(format!(
        "old server can go: {}",
        duration::human((t * 1000.0) as Millis)
    ))
    .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], red.stroke_width(2)));
    Ok(())
}

/// Index ranges of consecutive positive values (a log scale cannot show 0).
fn positive_runs(values: &[f64]) -> Vec<std::ops::Range<usize>> {
    let mut runs = Vec::new();
    let mut start = None;
    for (i, v) in values.iter().enumerate() {
        match (start, *v > 0.0) {
            (None, true) => start = Some(i),
            (Some(s), false) => {
                runs.push(s..i);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        runs.push(s..values.len());
    }
    runs
}

impl ChartData {
    /// The charts' data from a finished run.
    pub fn from_report(report: &super::Report) -> ChartData {
        let r = report.results;
        let load_balanced = report.scenario.record.load_balanced();
        ChartData {
            scenario: report.scenario.name.clone(),
            ttl: report.scenario.record.versions.last().map_or(0, |v| v.ttl),
            time_s: r.time_s.clone(),
            bucket_s: r.bucket as f64 / 1000.0,
            old_share: r.old_share.iter().map(|e| e.mean).collect(),
            lo: r.old_share.iter().map(|e| e.lo).collect(),
            hi: r.old_share.iter().map(|e| e.hi).collect(),
            clients_old_share: r.clients_old_share.clone(),
            old_via: r.old_via.clone(),
            addresses: if load_balanced {
                r.addresses
                    .iter()
                    .enumerate()
                    .map(|(a, name)| (name.clone(), r.address_share.iter().map(|row| row[a]).collect()))
                    .collect()
            } else {
                Vec::new()
            },
            retire_after_s: report.plan.retire_after.map(|t| t as f64 / 1000.0),
        }
    }
}

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
    register_font();
    let mut png_pixels = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    let mut svg_text = String::new();
    {
        let root = BitMapBackend::with_buffer(&mut png_pixels, (WIDTH, HEIGHT)).into_drawing_area();
        draw_sweep(&root, scenario, &keys, points)?;
        root.present().map_err(|e| e.to_string())?;
        let root = SVGBackend::with_string(&mut svg_text, (WIDTH, HEIGHT)).into_drawing_area();
        draw_sweep(&root, scenario, &keys, points)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(vec![
        ("sweep.png".into(), encode_png(png_pixels)?),
        ("sweep.svg".into(), svg_text.into_bytes()),
    ])
}

fn draw_sweep<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    scenario: &str,
    keys: &[&str],
    points: &[(Vec<String>, Option<f64>)],
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(err)?;
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
    let mut builder = ChartBuilder::on(root);
    builder
        .caption(
            format!("{scenario}: when the old server can go, against {}", keys[0]),
            (FONT, 26),
        )
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(90);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positive_runs_split_at_zeros() {
        assert_eq!(
            positive_runs(&[0.1, 0.2, 0.0, 0.3, 0.0, 0.0, 0.4]),
            vec![0..2, 3..4, 6..7]
        );
        assert!(positive_runs(&[0.0, 0.0]).is_empty());
    }

    #[test]
    fn renders_png_and_svg() {
        let data = ChartData {
            scenario: "test".into(),
            ttl: 300_000,
            time_s: vec![0.0, 300.0, 600.0],
            bucket_s: 300.0,
            old_share: vec![0.5, 0.1, 0.0],
            lo: vec![0.4, 0.05, 0.0],
            hi: vec![0.6, 0.15, 0.0],
            clients_old_share: vec![0.4, 0.1, 0.0],
            old_via: vec![
                PerLayer([0.0, 0.1, 0.1, 0.0, 0.3, 0.0]),
                PerLayer([0.0, 0.05, 0.05, 0.0, 0.0, 0.0]),
                PerLayer([0.0; 6]),
            ],
            addresses: vec![],
            retire_after_s: Some(600.0),
        };
        let files = render_all(&data).unwrap();
        assert_eq!(files.len(), 10);
        let (name, png) = &files[0];
        assert_eq!(name, "old_share.png");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let svg = String::from_utf8(files[1].1.clone()).unwrap();
        assert!(svg.contains("<svg") && svg.contains("test (TTL 5 min)"));
    }
}
