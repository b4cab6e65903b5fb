//! `cachesim presets`: every named policy, its values and its source.

use crate::client::CLIENT_PRESETS;
use crate::duration::{human, FOREVER};
use crate::policy::{Policy, Preset, PresetKind, PRESETS};
use crate::server::{Server, SERVER_PRESETS};

/// The preset table as printed.
pub fn table() -> String {
    let mut out = String::new();
    for p in PRESETS {
        out.push_str(&format!("{:<24} {:<9} {}\n", p.name, p.kind.label(), values(p)));
        out.push_str(&format!("{:<24} {:<9} {}\n", "", "", p.summary));
        out.push_str(&format!("{:<24} {:<9} source: {}\n\n", "", "", p.source));
    }
    for p in SERVER_PRESETS {
        out.push_str(&format!(
            "{:<24} {:<9} {}\n",
            p.name,
            "server",
            describe_server(&p.server)
        ));
        out.push_str(&format!("{:<24} {:<9} {}\n", "", "", p.summary));
        out.push_str(&format!("{:<24} {:<9} source: {}\n\n", "", "", p.source));
    }
    for p in CLIENT_PRESETS {
        let values = format!("idle_timeout = {}", human(p.idle_timeout));
        out.push_str(&format!("{:<24} {:<9} {values}\n", p.name, "client"));
        out.push_str(&format!("{:<24} {:<9} {}\n", "", "", p.summary));
        out.push_str(&format!("{:<24} {:<9} source: {}\n\n", "", "", p.source));
    }
    out.push_str("Use a preset by name (policy = \"unbound\") or extend it inline\n(policy = { preset = \"unbound\", prefetch = 0.1 }); a server preset\nas server = \"nginx\" or [server] preset = \"nginx\" with changes; a client\npreset as connection = \"okhttp\" or { preset = \"okhttp\", max_age = \"1h\" }.\n");
    out
}

/// A preset's values in scenario terms; a resolver's with the NS TTL it
/// keeps for a delegation (`ns`).
fn values(p: &Preset) -> String {
    let described = describe(&p.policy);
    if p.kind == PresetKind::Resolver && p.policy.caches {
        format!("{described}, ns = {}", p.policy.ns.name())
    } else {
        described
    }
}

/// A server's keep-alive limits in scenario terms.
pub fn describe_server(server: &Server) -> String {
    let mut parts = Vec::new();
    if server.idle_timeout < FOREVER {
        parts.push(format!("idle_timeout = {}", human(server.idle_timeout)));
    }
    if server.max_age < FOREVER {
        parts.push(format!("max_age = {}", human(server.max_age)));
    }
    if server.max_requests < u32::MAX {
        parts.push(format!("max_requests = {}", server.max_requests));
    }
    if parts.is_empty() {
        "no limits".into()
    } else {
        parts.join(", ")
    }
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
         A resolver's `ns` says which NS TTL it keeps for a delegation, when a scenario moves the \
         zone to a new DNS provider (`[record.delegation]`): `child`, the TTL in the provider's own \
         zone, which replaces the parent's once the provider answers (about 90 % of resolvers, \
         RFC 9199), or `parent`. Unbound's presets keep `parent`: cachesim's record-chain lab \
         (docs/lab.md) saw Unbound 1.17.1 ask the parent again every parent NS TTL, whatever the \
         provider's own, with the provider's NS records in every answer's authority section. The \
         others keep `child`, the majority's behaviour, not yet checked against their source. None \
         refreshes a delegation from the old provider past \
         its TTL (the 'ghost domain' behaviour of Jiang et al., NDSS 2012, which BIND and Unbound \
         fixed that year: CVE-2012-1033, CVE-2012-1192); cachesim does not model that behaviour.\n\n\
         | preset | layer | values | what it is | source |\n|---|---|---|---|---|\n",
    );
    for p in PRESETS {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            p.name,
            p.kind.label(),
            cell(&values(p)),
            cell(p.summary),
            cell(p.source)
        ));
    }
    out.push_str(
        "\n## Servers\n\n\
         How the site's web servers and load balancers end keep-alive connections by default. \
         Use one as `server = \"nginx\"`, or change it in a table (`[server]` with \
         `preset = \"nginx\"` and `idle_timeout = \"10s\"`). Each limit closes a client's \
         connection when it is tighter than the client's own.\n\n\
         | preset | values | what it is | source |\n|---|---|---|---|\n",
    );
    for p in SERVER_PRESETS {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            p.name,
            cell(&describe_server(&p.server)),
            cell(p.summary),
            cell(p.source)
        ));
    }
    out.push_str(
        "\n## Clients\n\n\
         How HTTP clients keep idle keep-alive connections by default. Use one as a \
         `connection` of an `[[app]]` or `[[device]]` entry (`connection = \"okhttp\"`), or \
         change it in a table (`connection = { preset = \"okhttp\", max_age = \"1h\" }`). \
         The site's server closes connections too, at the tighter of the two limits.\n\n\
         | preset | values | what it is | source |\n|---|---|---|---|\n",
    );
    for p in CLIENT_PRESETS {
        out.push_str(&format!(
            "| `{}` | idle_timeout = {} | {} | {} |\n",
            p.name,
            human(p.idle_timeout),
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
    if let Some(r) = policy.reload {
        parts.push(format!(
            "reload: prunes every {}, refetching an expired entry up to {} times after its last use",
            human(r.within),
            r.count
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
