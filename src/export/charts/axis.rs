//! What every chart's time axis and colours share: durations read as
//! durations ("45 min", "1 h 30 min", never "0.75"), buckets drawn as the
//! steps they are (a bucket's share holds over the whole bucket), marks for
//! times beyond an axis said in words instead of sitting at its edge, and
//! one colour-blind-safe palette (Okabe and Ito) for every series.

use crate::duration::{self, Millis};
use plotters::style::RGBColor;

/// Series colours, in order: Okabe and Ito's palette without its yellow,
/// which vanishes on white. Measured curves are drawn in [`MEASURED`].
pub const SERIES: [RGBColor; 6] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(230, 159, 0),   // orange
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(213, 94, 0),    // vermillion
];

/// A measured curve: black dots, whatever the palette.
pub const MEASURED: RGBColor = RGBColor(0, 0, 0);

/// The plan's answer: vermillion, dashed.
pub const ANSWER: RGBColor = RGBColor(213, 94, 0);

/// The `i`-th series' colour (the palette repeats past its end).
pub fn series(i: usize) -> RGBColor {
    SERIES[i % SERIES.len()]
}

/// The time axis in the unit whose round numbers suit this horizon
/// (ticks fall on whole minutes or hours), and its description.
pub fn time_unit(horizon_s: f64) -> (f64, &'static str) {
    let unit = if horizon_s <= 2.0 * 3600.0 { 60.0 } else { 3600.0 };
    (unit, "time after the change")
}

/// A tick at `x` units of `unit` seconds, as a duration: "0", "45 min",
/// "1 h 30 min".
pub fn tick(x: f64, unit: f64) -> String {
    let ms = (x * unit * 1000.0).round() as Millis;
    if ms == 0 {
        "0".to_string()
    } else {
        duration::human(ms)
    }
}

/// Each bucket's share as a step: from its start to its end at its value
/// (x in `unit`s).
pub fn steps(time_s: &[f64], bucket_s: f64, values: &[f64], unit: f64) -> Vec<(f64, f64)> {
    time_s
        .iter()
        .zip(values)
        .flat_map(|(t, v)| [(t / unit, *v), ((t + bucket_s) / unit, *v)])
        .collect()
}

/// How the plan's answer shows on an axis ending at `x_max` (in `unit`s):
/// a dashed line at it, or, when it lies beyond, words.
pub enum AnswerMark {
    At(f64),
    Beyond(String),
}

impl AnswerMark {
    pub fn of(answer_s: f64, unit: f64, x_max: f64) -> AnswerMark {
        let x = answer_s / unit;
        if x <= x_max {
            AnswerMark::At(x)
        } else {
            AnswerMark::Beyond(format!(
                "old server can go {} after the change: beyond this chart →",
                duration::human_at_least((answer_s * 1000.0).ceil() as Millis)
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_read_as_durations() {
        assert_eq!(tick(0.0, 3600.0), "0");
        assert_eq!(tick(0.75, 3600.0), "45 min");
        assert_eq!(tick(1.5, 3600.0), "1 h 30 min");
        assert_eq!(tick(24.0, 3600.0), "24 h");
        assert_eq!(tick(30.0, 60.0), "30 min");
    }

    #[test]
    fn buckets_are_steps_and_far_answers_are_words() {
        assert_eq!(
            steps(&[0.0, 300.0], 300.0, &[0.5, 0.1], 60.0),
            vec![(0.0, 0.5), (5.0, 0.5), (5.0, 0.1), (10.0, 0.1)]
        );
        assert!(matches!(AnswerMark::of(1800.0, 60.0, 60.0), AnswerMark::At(x) if x == 30.0));
        match AnswerMark::of(24.0 * 3600.0, 60.0, 60.0) {
            AnswerMark::Beyond(words) => {
                assert!(words.contains("24 h") && words.contains("beyond"), "{words}")
            }
            AnswerMark::At(_) => panic!("24 h drawn on a one-hour axis"),
        }
    }
}
