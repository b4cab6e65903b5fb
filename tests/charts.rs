//! Charts that agree with the numbers, read from the drawn SVG: the plan's
//! mark where the answer is (or words when it lies beyond the axis), buckets
//! as steps, durations on every axis, the sweep's answers beyond the horizon
//! drawn at the horizon, and one colour-blind-safe palette.

use crate::common::{assert_succeeded, cachesim};
use std::path::Path;

/// The palette's colours, the greys and black and white the axes use.
const ALLOWED: [&str; 10] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#FFFFFF", "#787878",
    "#F0E442",
];
const ANSWER: &str = "#D55E00";
const MAIN: &str = "#0072B2";

/// Every `<text>` as (x, y, content).
fn texts(svg: &str) -> Vec<(f64, f64, String)> {
    svg.split("<text ")
        .skip(1)
        .map(|t| {
            let (head, rest) = t.split_once('>').unwrap();
            let content = rest.split("</text>").next().unwrap().trim().to_string();
            (attr(head, "x"), attr(head, "y"), content)
        })
        .collect()
}

fn attr(element: &str, name: &str) -> f64 {
    let start = element
        .find(&format!(" {name}=\""))
        .map(|i| i + 1)
        .or_else(|| element.starts_with(&format!("{name}=\"")).then_some(0));
    let rest = &element[start.unwrap() + name.len() + 2..];
    rest[..rest.find('"').unwrap()].parse().unwrap()
}

/// The points of every `<polyline>` drawn in `stroke`, with `width`.
fn polylines(svg: &str, stroke: &str, width: &str) -> Vec<Vec<(f64, f64)>> {
    svg.split("<polyline ")
        .skip(1)
        .map(|p| p.split("/>").next().unwrap())
        .filter(|p| {
            p.contains(&format!("stroke=\"{stroke}\"")) && p.contains(&format!("stroke-width=\"{width}\""))
        })
        .map(|p| {
            let points = p.split("points=\"").nth(1).unwrap();
            points[..points.find('"').unwrap()]
                .split_whitespace()
                .map(|xy| {
                    let (x, y) = xy.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect()
        })
        .collect()
}

/// The x of the time axis's tick labelled `label`.
fn tick_x(svg: &str, label: &str) -> f64 {
    texts(svg)
        .into_iter()
        .find(|(_, _, t)| t == label)
        .unwrap_or_else(|| panic!("no tick {label:?} in {:?}", texts(svg)))
        .0
}

fn small_isp24h(out: &Path) -> serde_json::Value {
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/isp24h.toml");
    let output = cachesim(&[
        "run",
        scenario.to_str().unwrap(),
        "--quiet",
        "--runs",
        "2",
        "--set",
        "population.households=2000",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_succeeded(&output);
    serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap()
}

#[test]
fn the_answer_is_marked_where_it_is_or_said_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let summary = small_isp24h(dir.path());
    let answer_h = summary["plan"]["retire_after_s"].as_f64().unwrap() / 3600.0;
    assert!(answer_h > 20.0, "{answer_h}");
    // The full chart: a dashed vertical line at the answer, on the axis's scale.
    let svg = std::fs::read_to_string(dir.path().join("old_share.svg")).unwrap();
    let (x0, x20) = (tick_x(&svg, "0"), tick_x(&svg, "20 h"));
    let expected = x0 + (x20 - x0) * answer_h / 20.0;
    let dashes = polylines(&svg, ANSWER, "2");
    let vertical: Vec<f64> = dashes
        .iter()
        .filter(|p| p.len() == 2 && p[0].0 == p[1].0 && p[0].1 != p[1].1)
        .map(|p| p[0].0)
        .collect();
    assert!(vertical.len() > 10, "{dashes:?}");
    for x in vertical {
        assert!(
            (x - expected).abs() <= 2.0,
            "mark at {x} px, answer {answer_h} h at {expected} px"
        );
    }
    // The first hour: no line at its edge, the answer in words.
    let first = std::fs::read_to_string(dir.path().join("old_share_first_hour.svg")).unwrap();
    let vertical_marks = polylines(&first, ANSWER, "2")
        .iter()
        .filter(|p| p.len() == 2 && p[0].0 == p[1].0)
        .count();
    assert_eq!(vertical_marks, 0, "a 24 h answer drawn on a one-hour chart");
    let words = texts(&first)
        .into_iter()
        .map(|t| t.2)
        .find(|t| t.contains("beyond this chart"))
        .expect("the answer in words");
    assert!(words.contains(&format!("{} h", answer_h.floor())), "{words}");
    // Durations on the axis, not decimal hours.
    assert!(texts(&first).iter().any(|t| t.2 == "30 min"));
    assert!(!texts(&svg)
        .iter()
        .any(|t| t.2.contains('.') && t.2.parse::<f64>().is_ok()));
}

#[test]
fn buckets_are_drawn_as_steps() {
    let dir = tempfile::tempdir().unwrap();
    small_isp24h(dir.path());
    let svg = std::fs::read_to_string(dir.path().join("old_share_first_hour.svg")).unwrap();
    let line = polylines(&svg, MAIN, "2")
        .into_iter()
        .max_by_key(Vec::len)
        .unwrap();
    assert_eq!(line.len(), 24, "12 buckets of 5 min, two points each");
    let bucket_px = (tick_x(&svg, "10 min") - tick_x(&svg, "0")) / 2.0;
    for k in 0..12 {
        let (a, b) = (line[2 * k], line[2 * k + 1]);
        assert_eq!(a.1, b.1, "bucket {k} is flat");
        assert!(
            (b.0 - a.0 - bucket_px).abs() <= 1.0,
            "bucket {k} spans {} px, not {bucket_px}",
            b.0 - a.0
        );
        if k + 1 < 12 {
            assert_eq!(b.0, line[2 * k + 2].0, "bucket {k} ends where the next starts");
        }
    }
    for name in ["causes_first_hour.svg", "layers_share_first_hour.svg"] {
        assert!(dir.path().join(name).is_file(), "{name}");
    }
}

#[test]
fn sweep_answers_beyond_the_horizon_sit_on_it() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/low-ttl-5m.toml");
    let out = dir.path().join("sweep");
    let output = cachesim(&[
        "sweep",
        scenario.to_str().unwrap(),
        "--quiet",
        "--vary",
        "record.ttl=60s,5m,3h",
        "--set",
        "simulation.duration=3h",
        "--set",
        "population.households=1000",
        "--runs",
        "4",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_succeeded(&output);
    let svg = std::fs::read_to_string(out.join("sweep.svg")).unwrap();
    // The horizon, a dashed grey line, and the triangle of TTL 3 h on it.
    let horizon_y = polylines(&svg, "#787878", "1")
        .iter()
        .find(|p| p.len() == 2 && p[0].1 == p[1].1)
        .expect("the horizon's line")[0]
        .1;
    let triangles: Vec<f64> = svg
        .split("<polygon ")
        .skip(1)
        .map(|p| p.split("/>").next().unwrap())
        .filter(|p| p.contains(&format!("fill=\"{MAIN}\"")))
        .map(|p| {
            let points = p.split("points=\"").nth(1).unwrap();
            let ys: Vec<f64> = points[..points.find('"').unwrap()]
                .split_whitespace()
                .map(|xy| xy.split_once(',').unwrap().1.parse().unwrap())
                .collect();
            ys.iter().sum::<f64>() / ys.len() as f64
        })
        .collect();
    assert_eq!(triangles.len(), 1, "{triangles:?}");
    assert!(
        (triangles[0] - horizon_y).abs() <= 6.0,
        "triangle at {} px, horizon at {horizon_y}",
        triangles[0]
    );
    let answers: Vec<f64> = svg
        .split("<circle ")
        .skip(1)
        .map(|c| c.split("/>").next().unwrap())
        .filter(|c| c.contains(&format!("fill=\"{MAIN}\"")))
        .map(|c| attr(c, "cy"))
        .collect();
    // The two answers within the horizon lie below its line (the legend's
    // dot sits above it).
    let below = answers.iter().filter(|y| **y > horizon_y + 6.0).count();
    assert_eq!(below, 2, "answers {answers:?}, horizon at {horizon_y}");
    // The y axis in durations.
    assert!(texts(&svg).iter().any(|t| t.2 == "3 h"), "{:?}", texts(&svg));
}

#[test]
fn compare_uses_one_palette_and_a_first_hour_view() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    small_isp24h(&a);
    small_isp24h(&b);
    let observed = dir.path().join("observed.csv");
    // Two hours of a measured curve, in 5 min buckets.
    let rows: String = (0..24)
        .map(|b| format!("{},100,{}\n", b * 300, 40 / (b + 1)))
        .collect();
    std::fs::write(&observed, format!("time_s,requests,old_requests\n{rows}")).unwrap();
    let out = dir.path().join("cmp");
    let output = cachesim(&[
        "compare",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--observed",
        observed.to_str().unwrap(),
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_succeeded(&output);
    for name in ["compare.svg", "compare_log.svg", "compare_first_hour.svg"] {
        let svg = std::fs::read_to_string(out.join(name)).unwrap();
        for colour in svg.split("=\"#").skip(1).map(|c| format!("#{}", &c[..6])) {
            assert!(
                ALLOWED.contains(&colour.as_str()),
                "{name}: {colour} is not the palette's"
            );
        }
        // The measured curve: black dots.
        let dots = svg
            .split("<circle ")
            .skip(1)
            .filter(|c| c.split("/>").next().unwrap().contains("fill=\"#000000\""))
            .count();
        assert!(dots >= 3, "{name}: {dots} observed dots");
    }
}
