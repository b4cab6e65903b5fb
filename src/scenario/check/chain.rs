//! Checking what the change swaps besides an address record: an alias
//! (`record.cname`) whose target moves, and a weighted shift
//! (`record.weights`).

use super::{Checked, Checker};
use crate::duration::Millis;
use crate::scenario::model::{Alias, Weight};
use crate::scenario::raw::RawRecord;

impl Checker<'_> {
    /// The record's alias and weighted steps, each checked, and refused
    /// where they cannot combine with the rest of the record.
    pub(super) fn chain(&mut self, raw: &RawRecord) -> Checked<(Option<Alias>, Vec<Weight>)> {
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
        Ok((alias, weights))
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
