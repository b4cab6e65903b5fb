//! `cachesim presets`: every named policy, its values and its source.

use crate::duration::{human, FOREVER};
use crate::policy::{Policy, PRESETS};

/// The preset table as printed.
pub fn table() -> String {
    let mut out = String::new();
    for p in PRESETS {
        out.push_str(&format!(
            "{:<24} {:<9} {}\n",
            p.name,
            p.kind.label(),
            describe(&p.policy)
        ));
        out.push_str(&format!("{:<24} {:<9} {}\n", "", "", p.summary));
        out.push_str(&format!("{:<24} {:<9} source: {}\n\n", "", "", p.source));
    }
    out.push_str("Use a preset by name (policy = \"unbound\") or extend it inline\n(policy = { preset = \"unbound\", prefetch = 0.1 }).\n");
    out
}

/// The same as a Markdown page: docs/presets.md is this, written by
/// `cachesim presets --markdown` (a test keeps the two the same).
pub fn markdown() -> String {
    let cell = |text: &str| text.replace('|', "\\|");
    let mut out = String::from(
        "# Presets\n\n\
         Every cache policy preset cachesim ships, with its values in scenario terms and the \
         documentation or source file they were read from. Use one by name (`policy = \"unbound\"`) \
         or extend it inline (`policy = { preset = \"unbound\", prefetch = 0.1 }`). This page is \
         written by `cachesim presets --markdown`.\n\n\
         | preset | layer | values | what it is | source |\n|---|---|---|---|---|\n",
    );
    for p in PRESETS {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            p.name,
            p.kind.label(),
            cell(&describe(&p.policy)),
            cell(p.summary),
            cell(p.source)
        ));
    }
    out
}

/// A policy's values in scenario terms.
pub fn describe(policy: &Policy) -> String {
    if !policy.caches {
        return "none = true".into();
    }
    let mut parts = Vec::new();
    match policy.fixed_ttl {
        Some(t) => parts.push(format!("fixed_ttl = {}", human(t))),
        None => {
            if policy.min_ttl > 0 {
                parts.push(format!("min_ttl = {}", human(policy.min_ttl)));
            }
            if policy.max_ttl < FOREVER {
                parts.push(format!("max_ttl = {}", human(policy.max_ttl)));
            }
            if policy.ttl_factor != 1.0 {
                parts.push(format!("ttl_factor = {}", policy.ttl_factor));
            }
            if policy.ttl_addend > 0 {
                parts.push(format!("ttl_addend = {}", human(policy.ttl_addend)));
            }
        }
    }
    if let Some(p) = policy.prefetch {
        parts.push(if p.trigger > 0 {
            format!(
                "prefetch: last {} of TTLs ≥ {}",
                human(p.trigger),
                human(p.eligible)
            )
        } else {
            format!("prefetch = {}", p.fraction)
        });
    }
    if let Some(s) = policy.serve_stale {
        parts.push(format!(
            "serve_stale: {} window, reply TTL {}",
            human(s.max_stale),
            human(s.reply_ttl)
        ));
    }
    if policy.shards > 1 {
        parts.push(format!("shards = {}", policy.shards));
    }
    if policy.restamp {
        parts.push("restamp".into());
    }
    if let Some(e) = policy.evict_after {
        parts.push(format!("evict_after = {}", human(e)));
    }
    if parts.is_empty() {
        "honours the TTL".into()
    } else {
        parts.join(", ")
    }
}
