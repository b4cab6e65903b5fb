//! A run's charts: the old share with its 95 % band (linear and log scale,
//! so the tail is visible), the per-layer breakdown (which layer holds the
//! stale answers), the share of users affected, and each address's share of
//! traffic when the record balances load. One function per chart.

use super::axis::{self, AnswerMark, ANSWER};
use super::{canvas, err, legend, mesh, png_and_svg, Cartesian, ChartError, Picture, MAIN};
use crate::engine::cause::{ByCause, CODE_NAMES, CODE_TTL};
use crate::engine::{Layer, PerLayer};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

/// What the charts show, from a run or read back from a results folder.
#[derive(Clone, Debug, Default)]
pub struct ChartData {
    pub scenario: String,
    /// The record's TTL as the title says it (with a schedule, each step).
    pub ttl_text: String,
    pub time_s: Vec<f64>,
    pub bucket_s: f64,
    pub old_share: Vec<f64>,
    pub lo: Vec<f64>,
    pub hi: Vec<f64>,
    pub clients_old_share: Vec<f64>,
    pub old_via: Vec<PerLayer<f64>>,
    /// Per bucket, the old share by cause code (see [`CODE_NAMES`]).
    pub old_cause: Vec<ByCause>,
    /// (address, share per bucket), when the record balances load.
    pub addresses: Vec<(String, Vec<f64>)>,
    /// Plan's answer in seconds, drawn as a marker.
    pub retire_after_s: Option<f64>,
    /// A measured curve (compare --observed): drawn as dots.
    pub measured: bool,
}

/// A colour per layer, in [`Layer`]'s order, then the record's TTL's and
/// its mechanisms' (alias, weights, delegation).
const COLOURS: [RGBColor; CODE_NAMES.len()] = [
    RGBColor(230, 159, 0),   // connection
    RGBColor(86, 180, 233),  // app
    RGBColor(0, 158, 115),   // os
    RGBColor(240, 228, 66),  // router
    RGBColor(213, 94, 0),    // resolver
    RGBColor(204, 121, 167), // authoritative
    RGBColor(153, 153, 153), // ttl
    RGBColor(0, 114, 178),   // alias
    RGBColor(0, 0, 0),       // weights
    RGBColor(120, 94, 240),  // delegation
];

/// Every chart as (file name, bytes), PNG and SVG.
pub fn render_all(data: &ChartData) -> Result<Vec<(String, Vec<u8>)>, ChartError> {
    let mut charts = vec![
        ("old_share", Chart::OldShare),
        ("old_share_log", Chart::OldShareLog),
        ("causes", Chart::Causes),
        ("layers", Chart::Layers),
        ("layers_share", Chart::LayersShare),
        ("clients", Chart::Clients),
    ];
    if !data.addresses.is_empty() {
        charts.push(("addresses", Chart::Addresses));
    }
    let mut files = Vec::new();
    for (name, chart) in charts {
        files.extend(png_and_svg(name, &(chart, data))?);
    }
    // The first hour, where lowering the TTL shows, is a sliver of a long
    // horizon: drawn again on its own.
    // So are the causes and layers there, where TTLs and apps compete.
    if let Some(first_hour) = data.first_hour() {
        for (name, chart) in [
            ("old_share_first_hour", Chart::OldShareFirstHour),
            ("causes_first_hour", Chart::Causes),
            ("layers_share_first_hour", Chart::LayersShare),
        ] {
            files.extend(png_and_svg(name, &(chart, &first_hour))?);
        }
    }
    Ok(files)
}

/// One of the run's charts (by its file name without extension) as SVG
/// alone, for `serve`'s page; `None` for a name that is not one.
pub fn run_svg(name: &str, data: &ChartData) -> Result<Option<Vec<u8>>, ChartError> {
    let chart = match name {
        "old_share" => Chart::OldShare,
        "old_share_log" => Chart::OldShareLog,
        "causes" => Chart::Causes,
        "layers" => Chart::Layers,
        "clients" => Chart::Clients,
        _ => return Ok(None),
    };
    super::register_font();
    super::svg(&(chart, data)).map(Some)
}

#[derive(Clone, Copy, Debug)]
enum Chart {
    OldShare,
    OldShareFirstHour,
    OldShareLog,
    Causes,
    Layers,
    LayersShare,
    Clients,
    Addresses,
}

impl Picture for (Chart, &ChartData) {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let (chart, data) = *self;
        match chart {
            Chart::OldShare => old_share(root, data, OLD_SHARE_TITLE),
            Chart::OldShareFirstHour => old_share(root, data, OLD_SHARE_FIRST_HOUR_TITLE),
            Chart::OldShareLog => old_share_log(root, data),
            Chart::Causes => causes(root, data),
            Chart::Layers => layers(root, data, false),
            Chart::LayersShare => layers(root, data, true),
            Chart::Clients => clients(root, data),
            Chart::Addresses => addresses(root, data),
        }
    }
}

const OLD_SHARE_TITLE: &str = "requests reaching the old address";
const OLD_SHARE_FIRST_HOUR_TITLE: &str = "requests reaching the old address: the first hour";
const OLD_SHARE_LOG_TITLE: &str = "requests reaching the old address (log scale: the tail)";
const CLIENTS_TITLE: &str = "active users with at least one request to the old address";
const ADDRESSES_TITLE: &str = "each address's share of requests";

/// What every chart of a run shares: the caption and the time axis.
struct Frame<'a, 'b, DB: DrawingBackend> {
    builder: ChartBuilder<'a, 'b, DB>,
    x_max: f64,
    x_label: &'static str,
    unit: f64,
}

impl<'a, 'b, DB: DrawingBackend> Frame<'a, 'b, DB> {
    fn new(root: &'a DrawingArea<DB, Shift>, data: &ChartData, title: &str) -> Result<Self, ChartError> {
        let horizon = data.time_s.last().map_or(1.0, |t| t + data.bucket_s);
        let (unit, x_label) = axis::time_unit(horizon);
        let caption = format!("{} (TTL {}): {title}", data.scenario, data.ttl_text);
        Ok(Frame {
            builder: canvas(root, caption)?,
            x_max: horizon / unit,
            x_label,
            unit,
        })
    }
}

impl<'a, DB: DrawingBackend> Frame<'a, '_, DB> {
    /// Linear axes for a share from 0 to `top`, with the grid and labels.
    fn linear(mut self, top: f64, y_label: &str) -> Result<Cartesian<'a, DB, RangedCoordf64>, ChartError> {
        let mut c = self
            .builder
            .build_cartesian_2d(0.0..self.x_max, 0.0..top)
            .map_err(err)?;
        mesh(&mut c, self.unit, self.x_label, y_label).map_err(err)?;
        Ok(c)
    }
}

impl ChartData {
    /// `values` (one per bucket) as steps over the buckets, x in `unit`s.
    fn steps(&self, values: &[f64], unit: f64) -> Vec<(f64, f64)> {
        axis::steps(&self.time_s, self.bucket_s, values, unit)
    }
}

/// The old share over time with its 95 % band and the plan's answer.
fn old_share<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &ChartData,
    title: &str,
) -> Result<(), ChartError> {
    let frame = Frame::new(root, data, title)?;
    let (unit, x_max) = (frame.unit, frame.x_max);
    let top = share_axis_top(data.hi.iter().cloned(), 0.001);
    let mut c = frame.linear(top, "share of requests")?;
    let clamp = |v: &Vec<f64>| v.iter().map(|x| x.clamp(0.0, 1.0)).collect::<Vec<_>>();
    let (lo, hi) = (
        data.steps(&clamp(&data.lo), unit),
        data.steps(&clamp(&data.hi), unit),
    );
    let band: Vec<(f64, f64)> = hi.iter().chain(lo.iter().rev()).copied().collect();
    c.draw_series(std::iter::once(Polygon::new(band, MAIN.mix(0.2).filled())))
        .map_err(err)?
        .label("95 % interval (bounds: thin lines; no band seen: narrower than the line)")
        .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], MAIN.mix(0.2).filled()));
    // A narrow band hides under the mean's line: its bounds are drawn too,
    // and the legend says what an invisible band means.
    for bound in [lo, hi] {
        c.draw_series(LineSeries::new(bound, MAIN.mix(0.5).stroke_width(1)))
            .map_err(err)?;
    }
    c.draw_series(LineSeries::new(
        data.steps(&data.old_share, unit),
        MAIN.stroke_width(2),
    ))
    .map_err(err)?
    .label("old share, mean over runs")
    .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], MAIN.stroke_width(2)));
    marker(&mut c, data, (unit, x_max), 0.0, top).map_err(err)?;
    legend(&mut c).map_err(err)?;
    Ok(())
}

/// The old share on a log scale: the tail.
fn old_share_log<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &ChartData,
) -> Result<(), ChartError> {
    let Frame {
        mut builder,
        x_max,
        x_label,
        unit,
    } = Frame::new(root, data, OLD_SHARE_LOG_TITLE)?;

    let floor = 1e-6;
    let highest = data.hi.iter().cloned().fold(floor * 10.0, f64::max).min(1.0);
    let top = super::log_top(highest);
    let mut c = builder
        .build_cartesian_2d(0.0..x_max, (floor..top).log_scale())
        .map_err(err)?;
    mesh(&mut c, unit, x_label, "share of requests (log)").map_err(err)?;
    let steps = data.steps(&data.old_share, unit);
    for (n, segment) in positive_runs(&data.old_share).into_iter().enumerate() {
        let series = c
            .draw_series(LineSeries::new(
                steps[2 * segment.start..2 * segment.end].to_vec(),
                MAIN.stroke_width(2),
            ))
            .map_err(err)?;
        if n == 0 {
            series
                .label("old share, mean over runs (0 not shown)")
                .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], MAIN.stroke_width(2)));
        }
    }
    marker(&mut c, data, (unit, x_max), floor, top).map_err(err)?;
    legend(&mut c).map_err(err)?;
    Ok(())
}

/// Per bucket, each layer's part of the old requests, stacked: of all
/// requests, or of the old ones (`normalised`: the tail's culprits stay
/// visible when the old share is tiny).
fn layers<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &ChartData,
    normalised: bool,
) -> Result<(), ChartError> {
    let title = if normalised {
        "which layer holds the stale answers (share of old requests)"
    } else {
        "where the stale answers are held"
    };
    let rows: Vec<Vec<f64>> = data.old_via.iter().map(|v| v.0.to_vec()).collect();
    let names = Layer::ALL.map(Layer::name);
    stacked(
        root,
        data,
        title,
        &rows,
        &names,
        &COLOURS[..Layer::COUNT],
        normalised,
    )
}

/// Per bucket, what caused the old requests, as a share of them: the
/// record's TTL, or the layer whose policy kept the old answer past it.
fn causes<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, data: &ChartData) -> Result<(), ChartError> {
    // A mechanism's part only where some request was old through it.
    let codes: Vec<usize> = (0..CODE_NAMES.len())
        .filter(|&code| code <= CODE_TTL as usize || data.old_cause.iter().any(|v| v[code] > 0.0))
        .collect();
    let rows: Vec<Vec<f64>> = data
        .old_cause
        .iter()
        .map(|v| codes.iter().map(|&c| v[c]).collect())
        .collect();
    let names: Vec<&str> = codes.iter().map(|&c| CODE_NAMES[c]).collect();
    let colours: Vec<RGBColor> = codes.iter().map(|&c| COLOURS[c]).collect();
    let title = "what caused the stale answers (share of old requests)";
    stacked(root, data, title, &rows, &names, &colours, true)
}

/// Parts of the old requests per bucket (`rows`, one column per name),
/// stacked in order, each its own colour.
fn stacked<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &ChartData,
    title: &str,
    rows: &[Vec<f64>],
    names: &[&str],
    colours: &[RGBColor],
    normalised: bool,
) -> Result<(), ChartError> {
    let frame = Frame::new(root, data, title)?;
    let parts: Vec<Vec<f64>> = rows
        .iter()
        .map(|v| {
            let total: f64 = v.iter().sum();
            if normalised {
                v.iter()
                    .map(|x| if total > 0.0 { x / total } else { 0.0 })
                    .collect()
            } else {
                v.clone()
            }
        })
        .collect();
    let top = if normalised {
        1.0
    } else {
        parts.iter().map(|v| v.iter().sum()).fold(0.001, f64::max) * 1.05
    };
    let y_label = if normalised {
        "share of the requests reaching the old address"
    } else {
        "share of requests reaching the old address"
    };
    let unit = frame.unit;
    let mut c = frame.linear(top, y_label)?;
    // As shares of the old requests, a bucket without any has nothing to
    // split: left blank (not drawn at 0, which a lone old request after it
    // would turn into a spike to 100 %).
    let totals: Vec<f64> = rows.iter().map(|v| v.iter().sum()).collect();
    let stretches = if normalised {
        positive_runs(&totals)
    } else {
        std::iter::once(0..parts.len()).collect()
    };
    // Stacked: draw each part's cumulative area, the tallest first.
    for (l, name) in names.iter().enumerate().rev() {
        if parts.iter().all(|v| v[l] == 0.0) {
            continue;
        }
        let colour = colours[l];
        for (n, stretch) in stretches.iter().enumerate() {
            let points: Vec<(f64, f64)> = stretch
                .clone()
                .flat_map(|i| {
                    let (t, height) = (data.time_s[i], parts[i][..=l].iter().sum::<f64>());
                    [(t / unit, height), ((t + data.bucket_s) / unit, height)]
                })
                .collect();
            let series = c
                .draw_series(AreaSeries::new(points, 0.0, colour.filled()).border_style(colour))
                .map_err(err)?;
            if n == 0 {
                series
                    .label(*name)
                    .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], colour.filled()));
            }
        }
    }
    legend(&mut c).map_err(err)?;
    Ok(())
}

/// The share of active users with a request to the old address.
fn clients<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, data: &ChartData) -> Result<(), ChartError> {
    let top = share_axis_top(data.clients_old_share.iter().cloned(), 0.001);
    let frame = Frame::new(root, data, CLIENTS_TITLE)?;
    let unit = frame.unit;
    let mut c = frame.linear(top, "share of active users")?;
    c.draw_series(LineSeries::new(
        data.steps(&data.clients_old_share, unit),
        MAIN.stroke_width(2),
    ))
    .map_err(err)?;
    Ok(())
}

/// Each address's share of requests (DNS load balancing).
fn addresses<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, data: &ChartData) -> Result<(), ChartError> {
    let top = share_axis_top(data.addresses.iter().flat_map(|(_, v)| v.iter().cloned()), 0.01);
    let frame = Frame::new(root, data, ADDRESSES_TITLE)?;
    let unit = frame.unit;
    let mut c = frame.linear(top, "share of requests")?;
    for (i, (address, shares)) in data.addresses.iter().enumerate() {
        let colour = axis::series(i);
        c.draw_series(LineSeries::new(data.steps(shares, unit), colour.stroke_width(2)))
            .map_err(err)?
            .label(address.as_str())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(2)));
    }
    legend(&mut c).map_err(err)?;
    Ok(())
}

/// The top of a share axis: a little above the largest share, at least
/// `floor`, at most 100 % (and the same headroom).
fn share_axis_top(shares: impl Iterator<Item = f64>, floor: f64) -> f64 {
    shares.fold(floor, f64::max).min(1.0) * 1.05
}

/// A dashed vertical line at the plan's answer: "the old server can go
/// here"; beyond the axis's end, the legend says so in words.
fn marker<'a, DB: DrawingBackend + 'a, Y: Ranged<ValueType = f64>>(
    c: &mut Cartesian<'a, DB, Y>,
    data: &ChartData,
    (unit, x_max): (f64, f64),
    bottom: f64,
    top: f64,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let Some(t) = data.retire_after_s else {
        return Ok(());
    };
    match AnswerMark::of(t, unit, x_max) {
        AnswerMark::At(x) => {
            c.draw_series(DashedLineSeries::new(
                [(x, bottom), (x, top)],
                6,
                4,
                ANSWER.stroke_width(2),
            ))?
            .label(format!(
                "old server can go: {}",
                crate::duration::human_at_least((t * 1000.0).ceil() as crate::duration::Millis)
            ))
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], ANSWER.stroke_width(2)));
        }
        AnswerMark::Beyond(words) => {
            c.draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
                .label(words)
                .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], ANSWER.stroke_width(2)));
        }
    }
    Ok(())
}

/// Index ranges of consecutive positive values (a log scale cannot show 0).
pub(super) fn positive_runs(values: &[f64]) -> Vec<std::ops::Range<usize>> {
    runs_where(values, |v| v > 0.0)
}

/// Index ranges of consecutive values that `keep` accepts.
pub(super) fn runs_where(values: &[f64], keep: impl Fn(f64) -> bool) -> Vec<std::ops::Range<usize>> {
    let mut runs = Vec::new();
    let mut start = None;
    for (i, v) in values.iter().enumerate() {
        match (start, keep(*v)) {
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
    /// The first hour alone, when the horizon is longer and the buckets
    /// short enough (10 min or less) to draw it.
    pub fn first_hour(&self) -> Option<ChartData> {
        let horizon = self.time_s.last()? + self.bucket_s;
        if horizon <= 3600.0 || self.bucket_s > 600.0 {
            return None;
        }
        let n = self.time_s.iter().take_while(|t| **t < 3600.0).count();
        // A measured curve has no bands or layers: what is missing stays so.
        let cut = |v: &Vec<f64>| v.get(..n).map_or(Vec::new(), <[_]>::to_vec);
        Some(ChartData {
            time_s: cut(&self.time_s),
            old_share: cut(&self.old_share),
            lo: cut(&self.lo),
            hi: cut(&self.hi),
            clients_old_share: cut(&self.clients_old_share),
            old_via: self.old_via.get(..n).map_or(Vec::new(), <[_]>::to_vec),
            old_cause: self.old_cause.get(..n).map_or(Vec::new(), <[_]>::to_vec),
            addresses: Vec::new(),
            ..self.clone()
        })
    }

    /// The charts' data from a finished run.
    pub fn from_report(report: &crate::export::Report) -> ChartData {
        let r = report.results;
        let load_balanced = report.scenario.record.load_balanced();
        ChartData {
            scenario: report.scenario.name.clone(),
            ttl_text: crate::export::text::ttl_text(&report.scenario.record),
            time_s: r.time_s.clone(),
            bucket_s: r.bucket as f64 / 1000.0,
            old_share: r.old_share.iter().map(|e| e.mean).collect(),
            lo: r.old_share.iter().map(|e| e.lo).collect(),
            hi: r.old_share.iter().map(|e| e.hi).collect(),
            clients_old_share: r.clients_old_share.clone(),
            old_via: r.old_via.clone(),
            old_cause: r.old_cause(),
            addresses: if load_balanced {
                r.addresses
                    .iter()
                    .enumerate()
                    .map(|(a, name)| (name.clone(), r.address_share.iter().map(|row| row[a]).collect()))
                    .collect()
            } else {
                Vec::new()
            },
            retire_after_s: report.decision.retire_after.map(|t| t as f64 / 1000.0),
            measured: false,
        }
    }
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
            ttl_text: "5 min".into(),
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
            old_cause: vec![
                [0.0, 0.1, 0.0, 0.0, 0.2, 0.0, 0.2, 0.0, 0.0, 0.0],
                [0.0, 0.1, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                [0.0; 10],
            ],
            addresses: vec![],
            retire_after_s: Some(600.0),
            measured: false,
        };
        let files = render_all(&data).unwrap();
        assert_eq!(files.len(), 12, "no first-hour view of a 15 min horizon");
        let (name, png) = &files[0];
        assert_eq!(name, "old_share.png");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let svg = String::from_utf8(files[1].1.clone()).unwrap();
        assert!(svg.contains("<svg") && svg.contains("test (TTL 5 min)"));
    }
}
