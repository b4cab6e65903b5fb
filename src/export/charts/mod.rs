//! Charts with plotters, as PNG and SVG: a run's charts (`run`) and the
//! sweep's (`sweep`). Text uses a bundled font, so charts render on machines
//! with no system fonts.

mod axis;
mod compare;
mod fit;
mod run;
mod sweep;

pub use compare::{compare_svg, render_compare};
pub use fit::{fit_svgs, render_fit, FitRow, FitSeries};
pub use run::{render_all, run_svg, ChartData};

/// A chart that could not be drawn (a font or an encoder failed), with
/// what the drawing library said.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ChartError(String);

/// Any drawing library error, as a [`ChartError`].
pub(crate) fn err(e: impl std::fmt::Display) -> ChartError {
    ChartError(e.to_string())
}

/// What each chart shows, in words, for report.html's captions.
pub fn caption(name: &str) -> &'static str {
    match name {
        "old_share" => "The share of requests still reaching the old address over time, with its 95 % interval; the dashed line is when the old server can go.",
        "old_share_first_hour" => "The same for the first hour after the change, where lowering the TTL beforehand shows.",
        "causes_first_hour" => "What caused them in the first hour, where the record's TTL, the apps and the operating systems compete.",
        "layers_share_first_hour" => "Which layer held them in the first hour.",
        "old_share_log" => "The same on a logarithmic scale, so the long tail stays visible down to one request in a million.",
        "causes" => "Why the old requests happened: still within the record's TTL, or kept past it by a layer's policy (as a share of the old requests).",
        "layers" => "Where the stale answers were held (connection, app, OS, router, resolver), as a share of all requests.",
        "layers_share" => "The same as a share of the old requests; buckets with none are left blank.",
        "clients" => "The share of active users with at least one request to the old address.",
        "addresses" => "Each address's share of the requests, when the record balances load.",
        _ => "",
    }
}
pub use sweep::render_sweep;

use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::sync::Once;

const WIDTH: u32 = 1200;
const HEIGHT: u32 = 700;
const FONT: &str = "sans-serif";
const MAIN: RGBColor = axis::SERIES[0];

/// DejaVu Sans (Bitstream Vera licence, see assets/): always there, whatever the machine has.
static FONT_BYTES: &[u8] = include_bytes!("../../../assets/DejaVuSans.ttf");

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES)
            .unwrap_or_else(|_| panic!("the bundled font is a valid TTF"));
    });
}

/// A chart that can draw itself on any backend.
trait Picture {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError>;
}

/// `picture` as `name.png` and `name.svg`.
fn png_and_svg(name: &str, picture: &impl Picture) -> Result<[(String, Vec<u8>); 2], ChartError> {
    register_font();
    Ok([
        (format!("{name}.png"), png(picture)?),
        (format!("{name}.svg"), svg(picture)?),
    ])
}

fn png(picture: &impl Picture) -> Result<Vec<u8>, ChartError> {
    let mut pixels = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (WIDTH, HEIGHT)).into_drawing_area();
        picture.draw(&root)?;
        root.present().map_err(err)?;
    }
    let image = image::RgbImage::from_raw(WIDTH, HEIGHT, pixels)
        .ok_or_else(|| err("chart buffer has the wrong size"))?;
    let mut bytes = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut bytes, image::ImageOutputFormat::Png)
        .map_err(err)?;
    Ok(bytes.into_inner())
}

fn svg(picture: &impl Picture) -> Result<Vec<u8>, ChartError> {
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, (WIDTH, HEIGHT)).into_drawing_area();
        picture.draw(&root)?;
        root.present().map_err(err)?;
    }
    Ok(text.into_bytes())
}

/// The top of a log share axis: the decade above the highest share (so
/// that decade is labelled), and a little more, so 100 % stays inside.
fn log_top(highest: f64) -> f64 {
    10f64.powf(highest.log10().ceil()) * 1.2
}

/// A white canvas with a caption, ready for axes.
fn canvas<'a, 'b, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    caption: String,
) -> Result<ChartBuilder<'a, 'b, DB>, ChartError> {
    root.fill(&WHITE).map_err(err)?;
    let mut builder = ChartBuilder::on(root);
    builder
        .caption(caption, (FONT, 26))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(90);
    Ok(builder)
}

type Cartesian<'a, DB, Y> = ChartContext<'a, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, Y>>;

/// Grid and axis labels: time as durations (x in `unit` seconds), shares
/// in percent.
fn mesh<'a, DB: DrawingBackend + 'a, Y: Ranged<ValueType = f64> + ValueFormatter<f64>>(
    c: &mut Cartesian<'a, DB, Y>,
    unit: f64,
    x_label: &str,
    y_label: &str,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    c.configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .x_label_formatter(&|x| axis::tick(*x, unit))
        .y_label_formatter(&|v| format!("{}%", crate::duration::significant(v * 100.0)))
        .label_style((FONT, 16))
        .axis_desc_style((FONT, 18))
        .draw()
}

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
