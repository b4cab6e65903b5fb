//! Checking what the change swaps besides an address record: an alias
//! (`record.cname`) whose target moves, a weighted shift
//! (`record.weights`), and a move to a new DNS provider
//! (`[record.delegation]`).

use super::{Checked, Checker};
use crate::duration::Millis;
use crate::scenario::model::{Alias, Delegation, Weight};
use crate::scenario::raw::{RawDelegation, RawRecord};

/// What a record changes besides its address records.
type Chain = (Option<Alias>, Vec<Weight>, Option<Delegation>);

impl Checker<'_> {
    /// The record's alias and weighted steps, each checked, and refused
    /// where they cannot combine with the rest of the record.
    pub(super) fn chain(&mut self, raw: &RawRecord) -> Checked<Chain> {
        let alias = match &raw.cname {
            None => None,
            Some(cname) => {
                let ttl = self.ttl(&cname.ttl, "record.cname.ttl")?;
                if !raw.schedule.is_empty() {
                    return self.fail(
                        "record.schedule",
                        "a schedule changes the address records, which belong to the alias's target \
                         (the provider's) when record.cname is given; to model an alias TTL lowered \
                         ahead of the swap, give the lowered TTL as record.cname.ttl",
                    );
                }
                Some(Alias { ttl })
            }
        };
        let weights = match &raw.weights {
            None => Vec::new(),
            Some(steps) => self.weights(steps, !raw.schedule.is_empty())?,
        };
        let delegation = match &raw.delegation {
            None => None,
            Some(d) => Some(self.delegation(d, raw)?),
        };
        Ok((alias, weights, delegation))
    }

    fn delegation(&mut self, d: &RawDelegation, raw: &RawRecord) -> Checked<Delegation> {
        let key = "record.delegation";
        if !raw.schedule.is_empty() {
            return self.fail(
                "record.schedule",
                "a schedule changes the records at one provider; with record.delegation the change moves \
                 the zone between two, which a schedule cannot say: model the steps at the new provider \
                 as a separate scenario",
            );
        }
        if raw.weights.is_some() {
            return self.fail(
                "record.weights",
                "a weighted shift and a move to a new DNS provider are two different changes; model each \
                 in a scenario of its own",
            );
        }
        let parent_ttl = self.ttl(&d.parent_ttl, &format!("{key}.parent_ttl"))?;
        let child_ttl = self.ttl(&d.child_ttl, &format!("{key}.child_ttl"))?;
        let old_provider = match &d.old_provider {
            None => None,
            Some(v) => {
                let at = format!("{key}.old_provider");
                match self.lifetime(v, &at)? {
                    crate::duration::FOREVER => None,
                    lasts => Some(lasts),
                }
            }
        };
        Ok(Delegation {
            parent_ttl,
            child_ttl,
            old_provider,
        })
    }

    fn weights(&self, steps: &[crate::scenario::raw::RawWeight], scheduled: bool) -> Checked<Vec<Weight>> {
        if scheduled {
            return self.fail(
                "record.weights",
                "weights are the switch's own schedule; drop record.schedule, or model its steps \
                 as a separate scenario",
            );
        }
        if steps.is_empty() {
            return self.fail(
                "record.weights",
                "is empty: give at least one step, e.g. [{ at = \"0s\", new = 1.0 }]",
            );
        }
        let mut weights: Vec<Weight> = Vec::with_capacity(steps.len());
        for (i, step) in steps.iter().enumerate() {
            let key = format!("record.weights.{i}");
            let at: Millis = self.duration(&step.at, &format!("{key}.at"))?;
            if at < 0 {
                return self.fail(
                    &format!("{key}.at"),
                    "a weighted shift starts at the change (\"0s\") or later: before it every answer is old",
                );
            }
            if let Some(before) = weights.last().filter(|w| w.at >= at) {
                return self.fail(
                    &format!("{key}.at"),
                    format!(
                        "steps come in time order: this one is not after step {} ({})",
                        i - 1,
                        crate::duration::human(before.at)
                    ),
                );
            }
            if !(0.0..=1.0).contains(&step.new) {
                return self.fail(
                    &format!("{key}.new"),
                    format!(
                        "{}: the share of answers that are new, from 0 to 1 (0.1 is 10 %)",
                        step.new
                    ),
                );
            }
            weights.push(Weight { at, new: step.new });
        }
        Ok(weights)
    }
}
