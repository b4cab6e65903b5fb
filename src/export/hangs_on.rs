//! What the plan's answer hangs on: the pool that causes the tail, the
//! latest any old answer can reach a user whatever the number of caches,
//! and a warning when the tail's end rests on a handful of caches.

use super::Report;
use crate::duration::{self, Millis};
use crate::engine::bound::{latest_old_answer, Open};
use crate::engine::Layer;

pub struct HangsOn {
    /// The cause of the latest old requests, e.g. `resolver/pins-24h`.
    pub tail_set_by: Option<String>,
    /// The latest an old answer can reach a user, or what leaves it unbounded.
    pub bound: Result<Millis, Open>,
    /// Warnings about how far the answer can be trusted.
    pub caveats: Vec<String>,
}

impl HangsOn {
    pub fn of(report: &Report) -> HangsOn {
        let s = report.scenario;
        let r = report.results;
        // The cause of the latest old requests: in the last bucket that had
        // any, the cause of most of them.
        let top = r
            .old_by_cause
            .iter()
            .rev()
            .find(|row| row.iter().any(|v| *v > 0.0))
            .and_then(|row| row.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)))
            .map(|(slot, _)| &r.causes[slot]);
        let mut caveats = Vec::new();
        // A pool of shared caches whose entries all end at their own phases:
        // the last old request is the latest of its instances' expiries.
        if let Some(cause) = top.filter(|c| c.layer == Some(Layer::Resolver)) {
            let pool = s.resolvers.iter().find(|p| Some(&p.name) == cause.pool.as_ref());
            if let Some(pool) = pool {
                let lifetime = pool.policy.longest_lifetime(s.record.longest_ttl());
                let n = pool.instances as Millis;
                let gap = lifetime / (n + 1);
                if gap > s.bucket {
                    caveats.push(format!(
                        "the tail's end hangs on the {n} instances of {}: the last old request is the latest of \
                         their expiries, on average {} before an answer's full lifetime ({}) runs out; set its \
                         `instances` to the number of independent caches that pool really has",
                        cause.name(),
                        duration::human(gap),
                        duration::human(lifetime)
                    ));
                }
            }
        }
        HangsOn {
            tail_set_by: top.map(|c| c.name()),
            bound: latest_old_answer(s, &(0..s.resolvers.len()).collect::<Vec<_>>()),
            caveats,
        }
    }

    /// The figures as sentences, to print after the plan's answer.
    /// What leaves an old answer's life without a bound, as a phrase.
    pub fn unbounded(&self) -> Option<String> {
        self.bound.as_ref().err().map(Open::to_string)
    }

    pub fn sentences(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(pool) = &self.tail_set_by {
            out.push(format!("The end of the tail is caused by {pool}."));
        }
        out.push(match &self.bound {
            Ok(bound) => format!(
                "No old answer can reach a user later than {} after the change here, however many caches \
                 and whatever their phases.",
                duration::human_at_least(*bound)
            ),
            Err(reason) => format!(
                "Nothing bounds how long an old answer can live here: {reason}; busy clients keep reaching \
                 the old address until they pause."
            ),
        });
        out.extend(self.caveats.iter().map(|c| format!("Warning: {c}.")));
        out
    }
}
