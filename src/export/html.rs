//! `report.html`: one self-contained page (charts inline, no network) with
//! the scenario, the plan's answer, the summary table and the charts, to
//! open in a browser or attach to a change plan.

use super::charts::ChartData;
use super::summary::Summary;
use super::THRESHOLDS;
use crate::duration::{self, percent, Millis};
use crate::engine::Layer;
use base64::Engine;

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Who causes and who holds the tail, as two small tables: the causes by
/// pool first (what to fix), then where the stale answers sit.
fn tail_table(summary: &Summary) -> String {
    let Some(tail) = &summary.tail else {
        return String::new();
    };
    let rows = |parts: &std::collections::BTreeMap<String, f64>| {
        let mut parts: Vec<(&String, &f64)> = parts.iter().filter(|(_, v)| **v > 0.0).collect();
        parts.sort_by(|a, b| b.1.total_cmp(a.1));
        parts
            .iter()
            .map(|(name, v)| format!("<tr><td>{}</td><td>{}</td></tr>\n", escape(name), percent(**v)))
            .collect::<String>()
    };
    format!(
        "<h2>The tail</h2>\n<p>From {} after the change, when the old share stays under {}: what caused the \
         requests still reaching the old address, and which layer held them.</p>\n\
         <table id=\"caused_by\"><tr><th>caused by</th><th>share</th></tr>\n{}</table>\n\
         <table id=\"held_at\"><tr><th>held at</th><th>share</th></tr>\n{}</table>\n",
        duration::human((tail.from_s * 1000.0) as i64),
        percent(tail.threshold),
        rows(&tail.caused_by_pool),
        rows(&tail.held_at),
    )
}

/// The decision, as `run` and `plan` print it: the answer, then every
/// line it hangs on, warnings and assumptions included.
fn decision_block(summary: &Summary) -> String {
    let mut lines = summary.decision.iter();
    let answer = lines.next().map_or(String::new(), |a| escape(a));
    let rest: String = lines.map(|l| format!("<li>{}</li>\n", escape(l))).collect();
    format!(
        "<section id=\"decision\">\n<p class=\"answer\" id=\"answer\">{answer}</p>\n<ul>\n{rest}</ul>\n</section>\n"
    )
}

/// When the expected old share stays under each threshold, with its interval.
fn threshold_rows(summary: &Summary) -> String {
    let human = |s: f64| duration::human((s * 1000.0) as i64);
    let mut rows = String::new();
    for (key, threshold) in THRESHOLDS {
        let cell = match summary.below(key) {
            Some(settle) => {
                let ms = |s: f64| (s * 1000.0) as Millis;
                let interval = super::text::interval_words(
                    // Its upper end (the estimate from one run) within the first bucket.
                    settle.hi_s.unwrap_or(settle.mean_s) <= settle.resolution_s,
                    (summary.runs > 1).then(|| (settle.lo_s.map(ms), settle.hi_s.map(ms))),
                );
                format!("{} <small>({interval})</small>", human(settle.mean_s))
            }
            None => "not within the horizon".to_string(),
        };
        rows.push_str(&format!(
            "<tr><td>expected old share stays under {}</td><td>{cell}</td></tr>\n",
            percent(threshold)
        ));
    }
    rows
}

/// Hit ratios and what produced the results.
fn figure_rows(summary: &Summary) -> String {
    let mut rows = String::new();
    for layer in Layer::ALL {
        if let Some(v) = summary.answered_at.get(layer.name()) {
            rows.push_str(&format!(
                "<tr><td>answered by {} (first {} after the change)</td><td>{}</td></tr>\n",
                layer.name(),
                duration::human((summary.answered_window_s * 1000.0) as i64),
                percent(*v)
            ));
        }
    }
    let figures = [
        ("devices", duration::grouped(summary.devices.round() as u64)),
        ("runs", summary.runs.to_string()),
        ("seed", summary.seed.to_string()),
        (
            "requests after the change (all runs)",
            duration::grouped(summary.requests),
        ),
        ("scenario content hash", summary.content_hash.clone()),
        ("cachesim version", summary.cachesim_version.clone()),
    ];
    for (label, value) in figures {
        rows.push_str(&format!("<tr><td>{label}</td><td>{}</td></tr>\n", escape(&value)));
    }
    rows
}

/// The PNG charts, inline.
fn images(charts: &[(String, Vec<u8>)]) -> String {
    let mut images = String::new();
    for (file, bytes) in charts.iter().filter(|(f, _)| f.ends_with(".png")) {
        let caption = escape(super::charts::caption(file.trim_end_matches(".png")));
        images.push_str(&format!(
            "<figure><img alt=\"{caption}\" src=\"data:image/png;base64,{}\"><figcaption>{caption} \
             <small>({file})</small></figcaption></figure>\n",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        ));
    }
    images
}

const STYLE: &str = "body { font-family: sans-serif; max-width: 1240px; margin: 2em auto; color: #222; }
h1 { font-size: 1.6em; }
#decision { background: #eef5ff; border-left: 6px solid #005ab5; padding: 0.4em 1em; }
.answer { font-size: 1.3em; }
table { border-collapse: collapse; margin: 1em 0; }
td { padding: 0.3em 1em; border-bottom: 1px solid #ddd; }
img { max-width: 100%; border: 1px solid #ddd; }
figure { margin: 1.5em 0; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; }";

/// The page. `charts` are the rendered files (name, bytes); PNGs are inlined.
pub fn report_html(
    data: &ChartData,
    summary: &Summary,
    scenario_text: &str,
    charts: &[(String, Vec<u8>)],
) -> Vec<u8> {
    let name = escape(&data.scenario);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>cachesim: {name}</title>\n\
         <style>\n{STYLE}\n</style>\n</head>\n<body>\n<h1>cachesim: {name}</h1>\n<p>{description}</p>\n{decision}\
         <h2>Details</h2>\n<table id=\"summary\">\n{thresholds}{figures}</table>\n{tail}<h2>Charts</h2>\n{images}\
         <h2>Scenario</h2>\n<pre>{scenario}</pre>\n</body>\n</html>\n",
        description = escape(&summary.description),
        decision = decision_block(summary),
        thresholds = threshold_rows(summary),
        figures = figure_rows(summary),
        tail = tail_table(summary),
        images = images(charts),
        scenario = escape(scenario_text),
    )
    .into_bytes()
}
