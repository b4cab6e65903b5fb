//! The decision, said once: when the old server can go, the latest any old
//! answer can reach a user (or what leaves that open), what the tail hangs
//! on, what rests on an assumption, and what still arrives afterwards. The
//! terminal, summary.json and report.html all print these lines, so they
//! cannot drift apart.

use super::mechanisms;
use super::{Criterion, Plan};
use crate::duration::{self, human, human_at_least, percent, significant, Millis};
use crate::engine::bound::{latest_old_answer, Open};
use crate::engine::{cause, Layer, Tally};
use crate::scenario::Scenario;
use crate::stats::settle::RunCounts;
use crate::stats::{Results, Rule, Settle};

/// Where "the tail" starts: once the expected old share stays under 1 %.
pub const TAIL_THRESHOLD: f64 = 0.01;

/// Fewer simulated old requests than this behind a rate after the answer
/// make it a rough figure, and the decision says so (its relative error is
/// then over a fifth even for independent requests).
const ROUGH_BELOW: u64 = 25;

/// A pool the answer rests on that the scenario marks as assumed.
#[derive(Clone, Debug, PartialEq)]
pub struct Assumed {
    /// The cause's name, e.g. `resolver/isp-pin-24h`.
    pub cause: String,
    pub why: String,
    /// Its part of the tail's old requests.
    pub tail_share: f64,
}

/// Everything the decision says, as figures and as lines.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    /// When the old server can go: the plan's 95 % bound, or earlier where
    /// no old answer can reach a user any more. `None`: not within the horizon.
    pub retire_after: Option<Millis>,
    /// The latest any old answer can reach a user, or what leaves it open.
    pub latest_old_answer: Result<Millis, Open>,
    /// The cause of the latest old requests.
    pub tail_set_by: Option<String>,
    /// Assumed pools the tail rests on, and the answer without them.
    pub assumed: Vec<Assumed>,
    pub without_assumed: Option<Settle>,
    pub caveats: Vec<String>,
    /// The block: the answer first, then what it hangs on.
    pub lines: Vec<String>,
}

/// The runs' figures a decision is made of.
pub struct Evidence<'a> {
    pub scenario: &'a Scenario,
    pub results: &'a Results,
    /// The runs' own counts (empty where none are kept).
    pub tallies: &'a [Tally],
    pub plan: &'a Plan,
}

impl Decision {
    pub fn of(e: &Evidence) -> Decision {
        let (s, r, plan) = (e.scenario, e.results, e.plan);
        let latest = latest_old_answer(s, &(0..s.resolvers.len()).collect::<Vec<_>>());
        let retire_after = match (plan.retire_after(), &latest) {
            (Some(go), Ok(bound)) if *bound < go => Some(*bound),
            (go, _) => go,
        };
        let tail = r.tail_blame(TAIL_THRESHOLD);
        let pools = cause::pools_by_slot(s);
        let assumed: Vec<(usize, Assumed)> = tail
            .iter()
            .flat_map(|t| t.by_cause.iter().enumerate())
            .filter(|(_, share)| **share > 0.0)
            .filter_map(|(slot, share)| {
                let why = pools[slot]?.assumed.clone()?;
                Some((
                    slot,
                    Assumed {
                        cause: r.causes[slot].name(),
                        why,
                        tail_share: *share,
                    },
                ))
            })
            .collect();
        // The assumed pools' own counts are in the runs' tallies (a fit keeps none).
        let counted = e.tallies.len() == r.runs;
        let without_assumed = (counted && !assumed.is_empty()).then(|| {
            let slots: Vec<usize> = assumed.iter().map(|(slot, _)| *slot).collect();
            settle_without(e, &slots)
        });
        let tail_set_by = last_cause(r);
        let caveats = few_instances(s, r, tail_set_by.as_ref()).into_iter().collect();
        let mut decision = Decision {
            retire_after,
            latest_old_answer: latest,
            tail_set_by,
            assumed: assumed.into_iter().map(|(_, a)| a).collect(),
            without_assumed,
            caveats,
            lines: Vec::new(),
        };
        decision.lines = decision.say(e, tail.as_ref());
        decision
    }

    fn say(&self, e: &Evidence, tail: Option<&crate::stats::Tail>) -> Vec<String> {
        let (s, r, plan) = (e.scenario, e.results, e.plan);
        let mut lines = vec![self.headline(plan)];
        lines.push(self.latest_line(r, plan));
        if let Some(tail) = tail {
            let causes = r
                .causes
                .iter()
                .map(|c| c.name())
                .zip(tail.by_cause.iter().copied());
            lines.push(format!(
                "The tail, once under {} (from {} after the change), is caused by {}.",
                percent(TAIL_THRESHOLD),
                human(tail.from),
                largest_first(causes, 3)
            ));
        }
        // The record's mechanisms that set some of the tail, each explained.
        let in_tail = |m: cause::Mechanism| {
            self.tail_set_by.as_deref() == Some(m.name())
                || tail.is_some_and(|t| {
                    r.causes
                        .iter()
                        .zip(&t.by_cause)
                        .any(|(c, v)| c.mechanism == Some(m) && *v > 0.0)
                })
        };
        if in_tail(cause::Mechanism::Alias) {
            lines.extend(mechanisms::alias_line(s));
        }
        if in_tail(cause::Mechanism::Delegation) {
            lines.extend(mechanisms::delegation_line(s));
        }
        lines.extend(mechanisms::weights_line(&mechanisms::step_lags(s, r)));
        lines.extend(self.caveats.iter().map(|c| format!("Warning: {c}.")));
        if let Some(line) = self.assumption_line(plan) {
            lines.push(line);
        }
        if let Some(go) = self.retire_after {
            lines.push(self.after_line(go, plan));
        }
        if s.runs < 2 {
            lines.push(
                "One run gives no interval: the time above is an estimate; run 8 or more (--runs 8) for a \
                 95 % bound."
                    .to_string(),
            );
        }
        lines
    }

    /// The first line: when the old server can go.
    fn headline(&self, plan: &Plan) -> String {
        let what = match plan.criterion {
            Criterion::Tolerance(t) => format!("under {} of requests still reach it", percent(t)),
            Criterion::MaxLost(1) => format!(
                "no request at all still reaches it afterwards ({})",
                plan.traffic.phrase()
            ),
            Criterion::MaxLost(n) => format!(
                "fewer than {n} requests in all still reach it afterwards ({})",
                plan.traffic.phrase()
            ),
        };
        let settle = &plan.settle;
        let Some(go) = self.retire_after else {
            return match settle.estimate {
                Some(estimate) => format!(
                    "The old server cannot go within the {} simulated: {what} from about {} after the change \
                     (best estimate), but the 95 % interval reaches past the horizon; {}.",
                    human(plan.horizon),
                    human(estimate),
                    self.longer(plan)
                ),
                None => format!(
                    "The old server cannot go within the {} simulated: it takes longer than that until {what}; {}.",
                    human(plan.horizon),
                    self.longer(plan)
                ),
            };
        };
        let capped = plan.retire_after() != Some(go);
        if capped {
            return format!(
                "Keep the old server {} after the change: by then no old answer can reach a user at all \
                 (and {what} from about {}).",
                human_at_least(go),
                settle.estimate.map_or("then".into(), human)
            );
        }
        let how = if settle.within_first_bucket() {
            format!(
                "within the first {} bucket, which cannot tell when: a finer simulation.bucket (e.g. \"{}\") does",
                human(settle.resolution),
                duration::short((settle.resolution / 10).max(duration::SECOND))
            )
        } else {
            match settle.interval {
                Some((lo, _)) if lo == Some(go) => format!(
                    "every resample of the runs puts it in that same {} bucket",
                    human(settle.resolution)
                ),
                Some((lo, _)) => format!(
                    "the upper end of its 95 % interval, {} to {}; best estimate {}",
                    lo.map_or("beyond the horizon".into(), human),
                    human(go),
                    settle.estimate.map_or("beyond the horizon".into(), human)
                ),
                None => "an estimate from one run".to_string(),
            }
        };
        format!(
            "Keep the old server {} after the change: by then {what} ({how}).",
            human_at_least(go)
        )
    }

    /// What to change when the horizon is too short.
    fn longer(&self, plan: &Plan) -> String {
        match &self.latest_old_answer {
            Err(open @ Open::Split { .. }) => format!(
                "no horizon is enough: {open}; end the weights at 1 (new = 1.0), or accept lost requests \
                 with --max-lost"
            ),
            Err(open) => format!(
                "a longer horizon may never be enough, as nothing bounds how long an old answer can live \
                 here ({open}); bound it, or accept lost requests with --max-lost"
            ),
            Ok(_) => format!(
                "simulate longer, simulation.duration={}",
                duration::short(plan.longer_horizon())
            ),
        }
    }

    /// The latest any old answer can reach a user, against what the runs saw.
    fn latest_line(&self, r: &Results, plan: &Plan) -> String {
        let seen = r
            .last_old
            .iter()
            .flatten()
            .max()
            .map_or("no simulated request reached an old address".to_string(), |t| {
                format!("the latest simulated old request came at {}", human(*t))
            });
        match &self.latest_old_answer {
            Ok(bound) => format!(
                "No old answer can reach a user later than {} after the change, however many caches and \
                 whatever their phases; {seen}.",
                human_at_least(*bound)
            ),
            Err(open) => format!(
                "Nothing bounds how long an old answer can live here: {open}. {}; {seen}, {}.",
                if matches!(open, Open::Split { .. }) {
                    "The old addresses keep their share of new lookups"
                } else {
                    "Busy clients keep reaching the old address until they pause"
                },
                if plan.lost_last_hour > 0.0 {
                    format!(
                        "and in the last simulated hour about {} requests per hour still reached it ({})",
                        significant(plan.lost_last_hour),
                        plan.traffic.phrase()
                    )
                } else {
                    "and none in the last simulated hour".to_string()
                }
            ),
        }
    }

    /// Names the assumed pools the tail rests on, and the answer without them.
    fn assumption_line(&self, plan: &Plan) -> Option<String> {
        let without = self.without_assumed.as_ref()?;
        let names: Vec<String> = self
            .assumed
            .iter()
            .map(|a| format!("{} ({} of the tail: {})", a.cause, percent(a.tail_share), a.why))
            .collect();
        let answer = match without.bound() {
            Some(t) if Some(t) == plan.retire_after() => "without it the answer is the same".to_string(),
            Some(t) => format!(
                "without it the old server could go {} after the change",
                human_at_least(t)
            ),
            None => "even without it the old share does not settle within the horizon".to_string(),
        };
        Some(format!(
            "This rests on an assumption: {}; {answer}.",
            names.join("; ")
        ))
    }

    /// What still reaches the old server after it goes.
    fn after_line(&self, go: Millis, plan: &Plan) -> String {
        let first = if plan.lost_first_hour > 0.0 {
            // A rate from a handful of simulated requests is mostly luck:
            // rare busy clients or late caches decide it.
            let rough = if plan.seen_first_hour < ROUGH_BELOW {
                let seen = plan.seen_first_hour;
                format!(
                    " (from only {seen} simulated old request{}: a rough figure, firmer with more households or runs)",
                    if seen == 1 { "" } else { "s" }
                )
            } else {
                String::new()
            };
            let interval = plan.lost_first_hour_interval.map_or(String::new(), |(lo, hi)| {
                format!(" (95 % interval {} to {})", significant(lo), significant(hi))
            });
            format!(
                "about {}{interval} requests per hour still reach it in the first hour after {}{rough}",
                significant(plan.lost_first_hour),
                human_at_least(go)
            )
        } else {
            format!(
                "no simulated request reached it in the hour after {}",
                human_at_least(go)
            )
        };
        let later = match &self.latest_old_answer {
            Ok(bound) if *bound <= plan.horizon => format!("; none can after {}", human_at_least(*bound)),
            _ if plan.lost_last_hour > 0.0 => format!(
                "; {} per hour in the last simulated hour",
                significant(plan.lost_last_hour)
            ),
            _ => String::new(),
        };
        format!("After that, {first}{later} ({}).", plan.traffic.phrase())
    }
}

/// The plan's criterion, answered again without the old requests the
/// causes in `slots` were to blame for.
fn settle_without(e: &Evidence, slots: &[usize]) -> Settle {
    let old: Vec<Vec<u64>> = e
        .tallies
        .iter()
        .zip(&e.results.run_old)
        .map(|(t, run)| {
            run.iter()
                .enumerate()
                .map(|(b, &old)| {
                    let blamed: u64 = slots.iter().map(|&slot| t.get(b, t.causes + slot)).sum();
                    old.saturating_sub(blamed)
                })
                .collect()
        })
        .collect();
    let rule = match e.plan.criterion {
        Criterion::Tolerance(t) => Rule::Share(t),
        Criterion::MaxLost(n) => Rule::Lost {
            requests: n as f64,
            scale: e.plan.scale,
        },
    };
    RunCounts {
        old: &old,
        requests: &e.results.run_requests,
        bucket: e.results.bucket,
    }
    .settle(rule)
}

/// The cause of the latest old requests: in the last bucket that had any,
/// the cause of most of them.
fn last_cause(r: &Results) -> Option<String> {
    r.old_by_cause
        .iter()
        .rev()
        .find(|row| row.iter().any(|v| *v > 0.0))
        .and_then(|row| row.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)))
        .map(|(slot, _)| r.causes[slot].name())
}

/// A pool of shared caches whose entries all end at their own phases: the
/// last old request is the latest of its instances' expiries, so with few
/// instances the tail's end rests on them.
fn few_instances(s: &Scenario, r: &Results, cause: Option<&String>) -> Option<String> {
    let pool = s
        .resolvers
        .iter()
        .find(|p| cause == Some(&format!("{}/{}", Layer::Resolver.name(), p.name)))?;
    let lifetime = pool.policy.longest_lifetime(s.record.longest_ttl());
    let n = Millis::from(pool.instances);
    let gap = lifetime / (n + 1);
    (gap > r.bucket).then(|| {
        format!(
            "the tail's end hangs on the {n} instances of resolver/{}: the last old request is the latest of \
             their expiries, on average {} before an answer's full lifetime ({}) runs out; set its `instances` \
             to the number of independent caches that pool really has",
            pool.name,
            human(gap),
            human(lifetime)
        )
    })
}

/// Named shares as "a 90 %, b 10 %", the largest `most` first, none that is 0.
pub fn largest_first(parts: impl Iterator<Item = (String, f64)>, most: usize) -> String {
    let mut parts: Vec<(String, f64)> = parts.filter(|(_, v)| *v > 0.0).collect();
    parts.sort_by(|a, b| b.1.total_cmp(&a.1));
    let shown: Vec<String> = parts
        .iter()
        .take(most)
        .map(|(name, v)| format!("{name} {}", percent(*v)))
        .collect();
    let rest: f64 = parts.iter().skip(most).map(|(_, v)| v).sum();
    if rest > 0.0 {
        format!("{}, others {}", shown.join(", "), percent(rest))
    } else {
        shown.join(", ")
    }
}
