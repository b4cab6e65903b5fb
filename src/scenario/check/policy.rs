//! Checking policies, prefetch, serve-stale and distributions: raw values
//! as written to the checked types the engine uses.

use super::{Checked, Checker};
use crate::duration::{self, Millis};
use crate::policy::{self, Policy, Prefetch, Reload, ServeStale};
use crate::population::Spread;
use crate::scenario::did_you_mean;
use crate::scenario::raw::{RawPolicy, RawPrefetch, RawReload, RawServeStale, RawSpread};
use toml::Value;

/// A serve-stale reply's TTL when none is given (RFC 8767 recommends 30 s).
const REPLY_TTL: Millis = 30 * duration::SECOND;

impl Checker<'_> {
    /// A preset name, or a table of policy keys (optionally starting from `preset`).
    pub(super) fn policy(&self, raw: &RawPolicy, key: &str) -> Checked<Policy> {
        let t = match raw {
            RawPolicy::Preset(name) => return self.preset(name, key),
            RawPolicy::Table(t) => t,
        };
        let k = |name: &str| format!("{key}.{name}");
        let mut policy = match &t.preset {
            Some(name) => self.preset(name, &k("preset"))?,
            None => Policy::HONOUR,
        };
        if let Some(none) = t.none {
            policy.caches = !none;
        }
        if let Some(v) = &t.fixed_ttl {
            policy.fixed_ttl = Some(self.lifetime(v, &k("fixed_ttl"))?);
        }
        if let Some(v) = &t.min_ttl {
            policy.min_ttl = self.lifetime(v, &k("min_ttl"))?;
        }
        if let Some(v) = &t.max_ttl {
            policy.max_ttl = self.lifetime(v, &k("max_ttl"))?;
        }
        if let Some(restamp) = t.restamp {
            policy.restamp = restamp;
        }
        if let Some(shards) = t.shards {
            if !(1..=1024).contains(&shards) {
                return self.fail(
                    &k("shards"),
                    format!("{shards}: accepted are whole numbers 1 to 1024"),
                );
            }
            policy.shards = shards as u32;
        }
        if let Some(v) = &t.evict_after {
            policy.evict_after = match v {
                Value::Integer(0) => None,
                v => Some(self.positive_duration(v, &k("evict_after"))?),
            };
        }
        if let Some(factor) = t.ttl_factor {
            if !(1.0..=4.0).contains(&factor) {
                return self.fail(
                    &k("ttl_factor"),
                    format!("{factor}: accepted is a factor from 1 to 4 (macOS keeps 1.25)"),
                );
            }
            policy.ttl_factor = factor;
        }
        if let Some(v) = &t.ttl_addend {
            policy.ttl_addend = self.lifetime(v, &k("ttl_addend"))?;
        }
        if let Some(p) = &t.prefetch {
            policy.prefetch = self.prefetch(p, &k("prefetch"))?;
        }
        if let Some(s) = &t.serve_stale {
            policy.serve_stale = self.serve_stale(s, &k("serve_stale"))?;
        }
        if let Some(r) = &t.reload {
            policy.reload = self.reload(r, &k("reload"))?;
        }
        if t.ns.is_some() && !key.starts_with("resolver") {
            return self.fail(
                &k("ns"),
                "only resolvers keep delegations (NS records): give ns in a [[resolver]] policy",
            );
        }
        if let Some(ns) = &t.ns {
            policy.ns = match ns.as_str() {
                "child" => policy::Ns::Child,
                "parent" => policy::Ns::Parent,
                other => {
                    return self.fail(
                        &k("ns"),
                        format!(
                        "\"{other}\": accepted are \"child\" (keep the NS TTL of the provider's own zone) \
                             and \"parent\" (keep the parent's)"
                    ),
                    )
                }
            };
        }
        if policy.min_ttl > policy.max_ttl {
            return self.fail(
                &k("min_ttl"),
                format!(
                    "min_ttl {} is above max_ttl {}",
                    duration::human(policy.min_ttl),
                    duration::human(policy.max_ttl)
                ),
            );
        }
        Ok(policy)
    }

    fn preset(&self, name: &str, key: &str) -> Checked<Policy> {
        if let Some(p) = policy::preset(name) {
            return Ok(p.policy.clone());
        }
        let names: Vec<&str> = policy::PRESETS.iter().map(|p| p.name).collect();
        self.unknown_name(key, "preset", name, &names)
    }

    /// Refuses `name`, not among `known` (the `what`s there are), with the
    /// nearest known name when one is close.
    pub(super) fn unknown_name<T>(&self, key: &str, what: &str, name: &str, known: &[&str]) -> Checked<T> {
        let hint = did_you_mean(name, known.iter().copied())
            .map(|s| format!("did you mean \"{s}\"? "))
            .unwrap_or_default();
        self.fail(
            key,
            format!(
                "unknown {what} \"{name}\"; {hint}known {what}s: {}",
                known.join(", ")
            ),
        )
    }

    /// A fraction of a lifetime: from 0 up to but not including 1.
    fn fraction(&self, x: f64, key: &str) -> Checked<f64> {
        if !(0.0..1.0).contains(&x) {
            return self.fail(
                key,
                format!("{x}: accepted is a fraction from 0 up to but not including 1"),
            );
        }
        Ok(x)
    }

    fn prefetch(&self, raw: &RawPrefetch, key: &str) -> Checked<Option<Prefetch>> {
        let prefetch = match raw {
            RawPrefetch::Fraction(x) => Prefetch {
                fraction: self.fraction(*x, key)?,
                trigger: 0,
                eligible: 0,
            },
            RawPrefetch::Table(t) => Prefetch {
                fraction: t
                    .fraction
                    .map_or(Ok(0.0), |x| self.fraction(x, &format!("{key}.fraction")))?,
                trigger: t
                    .trigger
                    .as_ref()
                    .map_or(Ok(0), |v| self.lifetime(v, &format!("{key}.trigger")))?,
                eligible: t
                    .eligible
                    .as_ref()
                    .map_or(Ok(0), |v| self.lifetime(v, &format!("{key}.eligible")))?,
            },
        };
        Ok((prefetch.fraction > 0.0 || prefetch.trigger > 0).then_some(prefetch))
    }

    fn serve_stale(&self, raw: &RawServeStale, key: &str) -> Checked<Option<ServeStale>> {
        let t = match raw {
            RawServeStale::Off => return Ok(None),
            RawServeStale::Table(t) => t,
        };
        let max_stale = match &t.max_stale {
            Some(v) => self.positive_duration(v, &format!("{key}.max_stale"))?,
            None => return self.fail(key, "`max_stale` is missing (RFC 8767 suggests 1 to 3 days)"),
        };
        let reply_ttl = t
            .reply_ttl
            .as_ref()
            .map_or(Ok(REPLY_TTL), |v| self.lifetime(v, &format!("{key}.reply_ttl")))?;
        Ok(Some(ServeStale { max_stale, reply_ttl }))
    }

    fn reload(&self, raw: &RawReload, key: &str) -> Checked<Option<Reload>> {
        let t = match raw {
            RawReload::Off => return Ok(None),
            RawReload::Table(t) => t,
        };
        let within = match &t.within {
            Some(v) => self.positive_duration(v, &format!("{key}.within"))?,
            None => {
                return self.fail(
                    key,
                    "`within` is missing (nscd prunes at least every 15 s: \"15s\")",
                )
            }
        };
        let count = match t.count {
            Some(n) if (0..=255).contains(&n) => n as u8,
            Some(n) => {
                return self.fail(
                    &format!("{key}.count"),
                    format!("{n}: accepted are whole numbers 0 to 255 (nscd's reload-count, 5 by default)"),
                )
            }
            None => return self.fail(key, "`count` is missing (nscd's reload-count: 5 by default)"),
        };
        Ok(Some(Reload { within, count }))
    }

    /// Refuses a policy that reloads by itself at a layer other than the
    /// OS: the engine reloads only a device's OS cache (nscd), the one
    /// whose reloads no other device's requests touch.
    pub(super) fn reload_only_at_os(&self, policy: &Policy, layer: &str, key: &str) -> Checked<()> {
        if policy.reload.is_some() && layer != "os" {
            return self.fail(
                key,
                format!(
                    "reload (nscd's own refreshes) is modelled for OS caches only, not at the {layer}: \
                     give it to an os policy, or set reload = false"
                ),
            );
        }
        Ok(())
    }

    /// A number, or a one-key table naming a distribution and its parameters.
    pub(super) fn spread(&self, raw: &RawSpread, key: &str) -> Checked<Spread> {
        let spread = match *raw {
            RawSpread::Number(value) | RawSpread::Fixed { value } => Spread::fixed(value),
            RawSpread::Exponential { mean } => Spread::exponential(mean),
            RawSpread::Lognormal { median, sigma } => Spread::lognormal(median, sigma),
            RawSpread::Pareto { scale, shape } => Spread::pareto(scale, shape),
        };
        spread.or_else(|e| self.fail(key, e.to_string()))
    }
}
