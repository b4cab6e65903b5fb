//! What the decision says about a record that is more than one address
//! record: how far a weighted shift's traffic lagged each step's weight,
//! and what an alias does to the tail.

use crate::duration::{human, Millis};
use crate::scenario::Scenario;
use crate::stats::Results;

/// How close to a step's weight the share of requests on the new addresses
/// must come to have reached it: one percentage point.
pub const REACHED_WITHIN: f64 = 0.01;

/// One step of a weighted shift and when the traffic followed it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StepLag {
    /// When the authoritative was set to this weight, after the change.
    pub at_s: f64,
    /// The share of answers it gave the new addresses from then on.
    pub new: f64,
    /// The end of the first bucket, from the step on and before the next
    /// one, whose mean share of requests on the new addresses came within
    /// [`REACHED_WITHIN`] of the weight (`None`: not before the next step or
    /// the horizon).
    pub reached_s: Option<f64>,
}

/// Each weighted step with when the traffic reached its weight.
pub fn step_lags(s: &Scenario, r: &Results) -> Vec<StepLag> {
    let bucket = r.bucket as f64 / 1000.0;
    let weights = &s.record.weights;
    weights
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let from = w.at as f64 / 1000.0;
            let until = weights
                .get(i + 1)
                .map_or(f64::INFINITY, |next| next.at as f64 / 1000.0);
            let reached_s = r
                .time_s
                .iter()
                .zip(&r.old_share)
                .filter(|(t, _)| **t >= from && **t < until)
                .find(|(_, old)| 1.0 - old.mean >= w.new - REACHED_WITHIN)
                .map(|(t, _)| t + bucket);
            StepLag {
                at_s: from,
                new: w.new,
                reached_s,
            }
        })
        .collect()
}

/// The share of answers the authoritative gives the new addresses, on
/// average over `[from, to)` (ms after the change).
pub fn mean_weight(s: &Scenario, from: Millis, to: Millis) -> f64 {
    let weights = &s.record.weights;
    let mut total = 0.0;
    for (i, w) in weights.iter().enumerate() {
        let start = w.at.max(from);
        let end = weights.get(i + 1).map_or(to, |next| next.at.min(to));
        if end > start {
            total += w.new * (end - start) as f64;
        }
    }
    total / (to - from).max(1) as f64
}

/// The decision's line on a weighted shift: how far the traffic lagged
/// each step (the users behind one resolver cache move together).
pub fn weights_line(lags: &[StepLag]) -> Option<String> {
    if lags.is_empty() {
        return None;
    }
    let steps: Vec<String> = lags
        .iter()
        .map(|l| {
            let weight = format!("{} %", (l.new * 1000.0).round() / 10.0);
            let step = match seconds_to_ms(l.at_s) {
                0 => "the change".to_string(),
                at => human(at),
            };
            match l.reached_s {
                Some(t) => format!(
                    "{weight} {} after its step at {step}",
                    human(seconds_to_ms(t - l.at_s))
                ),
                None => {
                    format!("{weight} not before the next step (or the horizon) after its step at {step}")
                }
            }
        })
        .collect();
    Some(format!(
        "Weighted shift: caches keep what they were answered, so traffic lags the weights; the share of \
         requests on the new addresses came within {} point of {} (ends of buckets).",
        REACHED_WITHIN * 100.0,
        steps.join(", of ")
    ))
}

/// The decision's line on an alias that sets the tail.
pub fn alias_line(s: &Scenario) -> Option<String> {
    let alias = s.record.alias?;
    Some(format!(
        "The name is an alias (record.cname.ttl = {}): resolvers keep it apart from its target's addresses \
         (TTL {}) and fetch the old target's again while they hold it, so the alias's TTL, not the \
         addresses', sets the tail; lowering it well ahead of the swap shortens the tail.",
        human(alias.ttl),
        human(s.record.longest_address_ttl())
    ))
}

/// The decision's line on a move to a new DNS provider that sets the tail.
pub fn delegation_line(s: &Scenario) -> Option<String> {
    let d = s.record.delegation?;
    let old_provider = match d.old_provider {
        None => "for as long as it answers (record.delegation.old_provider = \"forever\")".to_string(),
        Some(end) => format!(
            "for {} after the change (record.delegation.old_provider)",
            human(end)
        ),
    };
    Some(format!(
        "The zone moves to a new DNS provider: resolvers that cached the delegation before the change keep \
         asking the old one, which answers with the old addresses {old_provider}, until the NS records they \
         keep expire: the provider's own TTL ({}, child_ttl) or the parent's ({}, parent_ttl) as each \
         resolver's `ns` says (Unbound keeps the parent's), within its cache's own limits; changing the \
         addresses at the old provider as well ends this part of the tail at once.",
        human(d.child_ttl),
        human(d.parent_ttl)
    ))
}

fn seconds_to_ms(s: f64) -> Millis {
    (s * 1000.0).round() as Millis
}
