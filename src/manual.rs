//! The manual pages: `cachesim.1` with every command's synopsis, the exit
//! statuses, the scenario's keys, the result files and examples, and one
//! page per command (`cachesim-run.1`, …) that the main page's command list
//! points at, each with the exit statuses too. Rendered from the binary's
//! own argument definitions, so they cannot drift from `--help`.

use crate::error::EXIT_STATUSES;
use std::io::Write;

/// The scenario's tables and keys, in brief (docs/scenario.md has them all).
const SCENARIO: &[(&str, &str)] = &[
    ("name, description", "the scenario's name (results go to output/<name>/) and what it describes"),
    ("[simulation]", "duration (horizon after the change), warmup (auto), bucket, runs, seed"),
    ("[plan]", "traffic: the site's real request rate, e.g. \"2000/s\""),
    ("[record]", "ttl, old, new (addresses), schedule = [{ at, ttl, old, new }], pick"),
    ("[authoritative]", "secondaries, refresh, notify, notify_delay"),
    ("[population]", "households, devices_per_household, requests_per_day, daily_cycle"),
    ("[[resolver]]", "name, share, instances, policy, assumed: shared caches"),
    ("[[router]], [[os]], [[app]]", "name, share, policy; apps also connection and restarts_per_day"),
    ("[[device]]", "name, share, os, app, connection, restarts_per_day: an OS and an app that go together"),
    ("[server]", "preset (nginx, apache, …), idle_timeout, max_age, max_requests: the site's keep-alive limits"),
    (
        "policy",
        "a preset name (cachesim presets) or a table: preset, fixed_ttl, min_ttl, max_ttl, prefetch, serve_stale, \
         shards, restamp, evict_after, ttl_factor, ttl_addend, reload, none",
    ),
    ("connection", "a client preset (chrome, firefox, okhttp, java, go) or a table: preset, idle_timeout, max_age, max_requests"),
];

/// What a run writes into its folder.
const FILES: &[(&str, &str)] = &[
    (
        "report.html",
        "one page to attach to a change plan: the decision, its caveats and every chart",
    ),
    (
        "summary.json",
        "the decision's lines (decision), the plan (plan), settle times (below), the tail (tail)",
    ),
    (
        "timeseries.csv",
        "per bucket: old_share with its 95 % interval, clients_old_share, old_via_<layer>, old_cause_<layer>",
    ),
    ("*.png, *.svg", "the charts"),
    (
        "runs.cachesim",
        "every run's counts: plan DIR and chart DIR answer and draw again from them",
    ),
];

const EXAMPLES: &[(&str, &str)] = &[
    (
        "cachesim run scenarios/isp24h.toml",
        "simulate, write output/isp24h/ and print the decision",
    ),
    (
        "cachesim plan scenarios/isp24h.toml --set record.ttl=60s",
        "a what-if, in a folder of its own",
    ),
    (
        "cachesim plan output/isp24h --max-lost 100 --traffic 2000/s",
        "answer again from a folder, writing nothing",
    ),
    (
        "cachesim sweep scenarios/low-ttl-5m.toml --vary record.ttl=60s,5m,1h",
        "the answer against the TTL",
    ),
    (
        "cachesim observe --old old.log --new new.log --change-at 2026-11-12T10:00:00Z",
        "logs of a past migration as a curve",
    ),
    (
        "cachesim fit scenarios/fit-example.toml --observed observed.csv --free resolver.1.share=0.01..0.3",
        "fit the mix to it",
    ),
    (
        "cachesim man --dir ~/.local/share/man/man1",
        "install these pages",
    ),
];

const SEE_ALSO: &str = ".SH \"SEE ALSO\"\nThe README and docs/ of the cachesim repository: docs/scenario.md \
                        (every key), docs/results.md (every column), docs/presets.md (every preset with its \
                        source).\n";

/// Roff text: a backslash doubled, a leading dot or quote escaped, hyphens
/// as hyphens.
fn escape(text: &str) -> String {
    let text = text.replace('\\', "\\\\").replace('-', "\\-");
    if text.starts_with('.') || text.starts_with('\'') {
        format!("\\&{text}")
    } else {
        text
    }
}

/// A section of tagged paragraphs.
fn section(title: &str, rows: &[(String, String)]) -> String {
    let mut out = format!(".SH \"{title}\"\n");
    for (tag, body) in rows {
        out.push_str(&format!(".TP\n\\fB{}\\fR\n{}\n", escape(tag), escape(body)));
    }
    out
}

fn rows(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

fn exit_statuses() -> String {
    let rows: Vec<(String, String)> = EXIT_STATUSES
        .iter()
        .map(|(code, what)| (code.to_string(), what.to_string()))
        .collect();
    section("EXIT STATUS", &rows)
}

/// The main page, `cachesim.1`.
pub fn main_page(cmd: clap::Command, w: &mut dyn Write) -> std::io::Result<()> {
    let mut cmd = cmd.disable_help_subcommand(true);
    cmd.build();
    clap_mangen::Man::new(cmd).render(w)?;
    write!(
        w,
        "{}{}{}{}{SEE_ALSO}",
        exit_statuses(),
        section("SCENARIO", &rows(SCENARIO)),
        section("FILES", &rows(FILES)),
        section("EXAMPLES", &rows(EXAMPLES)),
    )
}

/// Every page, `cachesim.1` and `cachesim-<command>.1`, into `dir`; the
/// files written, in order.
pub fn write_pages(cmd: clap::Command, dir: &std::path::Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut cmd = cmd.disable_help_subcommand(true);
    cmd.build();
    let mut written = Vec::new();
    let main = dir.join("cachesim.1");
    let mut bytes = Vec::new();
    main_page(cmd.clone(), &mut bytes)?;
    std::fs::write(&main, bytes)?;
    written.push(main);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let man = clap_mangen::Man::new(sub.clone());
        let path = dir.join(man.get_filename());
        let mut bytes = Vec::new();
        man.render(&mut bytes)?;
        bytes.extend(exit_statuses().into_bytes());
        bytes.extend(b".SH \"SEE ALSO\"\n\\fBcachesim\\fR(1)\n");
        std::fs::write(&path, bytes)?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roff_is_escaped() {
        assert_eq!(escape(".hidden"), "\\&.hidden");
        assert_eq!(escape("--out a\\b"), "\\-\\-out a\\\\b");
    }
}
