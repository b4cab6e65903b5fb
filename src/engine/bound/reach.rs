//! A layer's reach: what it can hand downstream of an old answer over
//! time, as the upper envelope of flat and count-down atoms, and how a
//! cache turns the reach above it into its own (see the parent module).

use crate::duration::{Millis, FOREVER};
use crate::policy::{Bounds, Policy, Stores};
use crate::scenario::Record;

/// Before every answer of interest: the start of the first version's atoms.
pub(super) const DAWN: Millis = -FOREVER;

/// One piece of a layer's reach (see the module's doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Atom {
    /// From `from` until `to`, an old answer can be handed with a TTL up to `ttl`.
    Flat { from: Millis, to: Millis, ttl: Millis },
    /// From `from` until `expires`, a copy that expires then hands what is left.
    CountDown { from: Millis, expires: Millis },
}

impl Atom {
    /// When the last old answer this atom stands for is handed.
    fn end(self) -> Millis {
        match self {
            Atom::Flat { to, .. } => to,
            Atom::CountDown { expires, .. } => expires,
        }
    }

    fn from(self) -> Millis {
        match self {
            Atom::Flat { from, .. } | Atom::CountDown { from, .. } => from,
        }
    }

    /// Whether `self` hands at least what `other` does wherever `other` does.
    fn covers(self, other: Atom) -> bool {
        if self.from() > other.from() || self.end() < other.end() {
            return false;
        }
        match (self, other) {
            (Atom::Flat { ttl, .. }, Atom::Flat { ttl: t, .. }) => ttl >= t,
            (Atom::Flat { ttl, .. }, Atom::CountDown { from, expires }) => ttl >= expires - from,
            (Atom::CountDown { expires, .. }, Atom::Flat { to, ttl, .. }) => expires - to >= ttl,
            (Atom::CountDown { expires, .. }, Atom::CountDown { expires: e, .. }) => expires >= e,
        }
    }
}

/// What a layer can hand downstream of an old answer over time: the upper
/// envelope of its atoms.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Reach(pub(super) Vec<Atom>);

impl Reach {
    /// What the authoritative side hands: each version that carries an
    /// address the final version does not, with its TTL (the alias's, for a
    /// name that is one), while the primary serves it (under a weighted
    /// shift, until every answer is new) and for `lag` after (secondaries
    /// that load it late).
    /// With a delegation, the old provider hands the old answer until
    /// `old_until`, as long as a resolver can keep asking it.
    pub(super) fn authoritative(record: &Record, lag: Millis, old_until: Option<Millis>) -> Reach {
        let Some(last) = record.versions.last() else {
            return Reach::default();
        };
        let atoms = record
            .versions
            .iter()
            .enumerate()
            .filter(|(_, v)| v.addresses & !last.addresses != 0)
            .map(|(i, v)| {
                let from = if i == 0 { DAWN } else { v.start };
                let mut until = if record.weights.is_empty() {
                    record.versions.get(i + 1).map_or(FOREVER, |next| next.start)
                } else {
                    record.all_new_from().unwrap_or(FOREVER)
                };
                if i == 0 {
                    until = until.max(old_until.unwrap_or(until));
                }
                Atom::Flat {
                    from,
                    to: until.saturating_add(lag).min(FOREVER),
                    ttl: record.alias.map_or(v.ttl, |a| a.ttl),
                }
            })
            .collect();
        Reach(atoms)
    }

    /// When the last old answer is handed (`None`: never).
    pub(super) fn latest(&self) -> Option<Millis> {
        self.0.iter().map(|a| a.end()).max()
    }

    pub(super) fn union(reaches: impl IntoIterator<Item = Reach>) -> Reach {
        let mut atoms = Vec::new();
        for r in reaches {
            atoms.extend(r.0);
        }
        Reach(atoms).pruned()
    }

    /// What a cache under `policy` hands downstream of what this reach hands it.
    pub(super) fn through(&self, policy: &Policy) -> Reach {
        if !policy.caches {
            return self.clone();
        }
        let bounds = policy.bounds();
        // A reloading cache (nscd) answers until its next prune after expiry.
        let extra = policy.reload.map_or(0, |r| r.within);
        let keep = |ttl: Millis| bounds.keep(ttl).saturating_add(extra).min(FOREVER);
        let mut atoms = Vec::new();
        for atom in &self.0 {
            for stores in store_times(*atom, bounds) {
                match stores {
                    Stores::Steady { from, to, ttl } => {
                        let kept = keep(ttl);
                        if policy.restamp {
                            atoms.push(Atom::Flat {
                                from,
                                to: to.saturating_add(kept),
                                ttl: kept,
                            });
                        } else {
                            atoms.push(Atom::Flat { from, to, ttl: kept });
                            atoms.push(Atom::CountDown {
                                from: to,
                                expires: to.saturating_add(kept),
                            });
                        }
                    }
                    Stores::RunningDown { from, expires } => {
                        let kept = keep(expires - from);
                        let expires = from.saturating_add(kept);
                        atoms.push(if policy.restamp {
                            Atom::Flat {
                                from,
                                to: expires,
                                ttl: kept,
                            }
                        } else {
                            Atom::CountDown { from, expires }
                        });
                    }
                }
            }
        }
        let mut reach = Reach(atoms);
        if let (Some(stale), Some(latest)) = (policy.serve_stale, reach.latest()) {
            // Any copy, once expired, answers once more with the reply TTL.
            reach.0.push(Atom::Flat {
                from: DAWN,
                to: stale.answers_until(latest).min(FOREVER),
                ttl: stale.reply_ttl,
            });
        }
        reach.pruned()
    }

    /// What a resolver under `policy` hands downstream of an alias this reach
    /// hands it: while it holds an old alias, the old target's addresses,
    /// kept no longer than the alias and no longer than their own TTL
    /// (`target_ttl`) gives them there, or a stale reply's TTL.
    pub(super) fn behind_alias(&self, policy: &Policy, target_ttl: Millis) -> Reach {
        let cap = if policy.caches {
            let stale = policy.serve_stale.map_or(0, |s| s.reply_ttl);
            policy.lifetime(target_ttl).max(stale)
        } else {
            target_ttl
        };
        self.through(policy).capped(cap)
    }

    /// This reach, handing no TTL above `cap`.
    pub(super) fn capped(&self, cap: Millis) -> Reach {
        let mut atoms = Vec::with_capacity(self.0.len() * 2);
        for &atom in &self.0 {
            match atom {
                Atom::Flat { from, to, ttl } => atoms.push(Atom::Flat {
                    from,
                    to,
                    ttl: ttl.min(cap),
                }),
                Atom::CountDown { from, expires } if expires.saturating_sub(from) > cap => {
                    let turn = expires - cap;
                    atoms.push(Atom::Flat {
                        from,
                        to: turn,
                        ttl: cap,
                    });
                    atoms.push(Atom::CountDown { from: turn, expires });
                }
                countdown => atoms.push(countdown),
            }
        }
        Reach(atoms).pruned()
    }

    /// Without the empty atoms and those another one covers.
    fn pruned(mut self) -> Reach {
        self.0.retain(|a| a.end() > a.from());
        self.0.sort_by_key(|a| (a.from(), std::cmp::Reverse(a.end())));
        self.0.dedup();
        let mut kept: Vec<Atom> = Vec::with_capacity(self.0.len());
        for &atom in &self.0 {
            if !kept.iter().any(|k| k.covers(atom)) {
                kept.retain(|k| !atom.covers(*k));
                kept.push(atom);
            }
        }
        Reach(kept)
    }
}

/// The store times of one upstream atom, split where the cache's lifetime
/// rule changes form (see [`Bounds::stores`]).
fn store_times(atom: Atom, bounds: Bounds) -> Vec<Stores> {
    match atom {
        Atom::Flat { from, to, ttl } => vec![Stores::Steady { from, to, ttl }],
        Atom::CountDown { from, expires } => bounds.stores(from, expires),
    }
}
