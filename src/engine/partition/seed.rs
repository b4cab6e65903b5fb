//! Where every cache and connection stands when a partition's warm-up begins:
//! drawn from the stationary law of each, so runs do not all expire at once.

use super::misses::Misses;
use super::{exp1, pass, Entry, Layer, Partition, Staleness, APP, NO_POOL, OS, RESOLVER, ROUTER};
use crate::duration::Millis;
use crate::policy::{ceil, stationary_remaining, Policy, ServeStale};
use rand::{Rng, RngExt};
use rand_distr::Open01;

impl<'m> Partition<'m> {
    /// Starts every cache in a stationary state with a random phase: holding
    /// the answer with probability τ / (τ + 1/λ), its remaining life uniform
    /// on (0, τ], where τ is the cache's lifetime for the answer of the day and
    /// λ the rate of requests it sees. A warm-up from empty caches alone would
    /// phase-lock busy caches to its start, and every run would expire at the
    /// same instant. The derivations are in docs/engine.md.
    pub(super) fn seed_caches(&mut self, start: Millis, rates: &[f64]) {
        let s = &self.model.scenario;
        // The answer the record gave just before the start: a warm-up may
        // begin at its first step (see `scenario::warmup`).
        let version = s.record.version_at(start - 1);
        let ttl = s.record.versions[version].ttl;
        let at = Seeded { start, version, ttl };
        let resolver_pool = self.plan.resolver_pool.map(|p| &s.resolvers[p]);
        let resolver_index = self.plan.resolver_pool.map_or(NO_POOL, |p| p as u8);
        let at_resolver = pass(self.model, RESOLVER, resolver_index, ttl);
        let mut head = None;
        let misses = self.misses(rates, at_resolver);
        if let Some(pool) = resolver_pool.filter(|p| p.policy.caches) {
            let per_shard = misses.to_resolver / self.caches.shards.len().max(1) as f64;
            for i in 0..self.caches.shards.len() {
                let law = (at_resolver, per_shard, 0.0);
                self.caches.shards[i] =
                    stationary(&mut self.streams.seeding, at, law, &pool.policy, Layer::Resolver);
            }
            if let Some(alias) = s.record.alias {
                self.seed_aliases(at, alias.ttl, per_shard, &pool.policy);
            }
            if let Some(delegation) = s.record.delegation {
                let ns_ttl = delegation.ns_ttl(pool.policy.ns);
                self.seed_delegations(at, ns_ttl, per_shard, at_resolver, &pool.policy);
            }
            // One shard that only keeps answers: the copies below it expire
            // with its entry, fetched by one of the partition's requests.
            if self.caches.shards.len() == 1 && pool.policy.is_plain() {
                let fetcher = self.pick_weighted(rates, 0..rates.len());
                head = Some(Head {
                    entry: self.caches.shards[0],
                    fetcher,
                });
            }
        }
        // How long ago each device made its last request (Poisson: exponential).
        let since: Vec<f64> = rates
            .iter()
            .map(|&r| {
                if r > 0.0 {
                    exp1(&mut self.streams.seeding) / r
                } else {
                    f64::INFINITY
                }
            })
            .collect();
        let mut first = 0;
        while first < self.caches.devices.len() {
            let h = self.caches.devices[first].household as usize;
            let mut end = first + 1;
            while end < self.caches.devices.len() && self.caches.devices[end].household as usize == h {
                end += 1;
            }
            let chain = Chain {
                at,
                handed: at_resolver,
                head,
                rates,
                since: &since,
                misses: &misses,
            };
            self.seed_household(h, first..end, chain);
            first = end;
        }
    }

    /// Seeds household `h`'s router and its `devices`' caches and connections
    /// below `chain`. A cache that only relays what it is handed (it keeps
    /// the TTL as counted down, see [`Policy::relays`]), with only such caches below
    /// it, holds a copy of its upstream's entry exactly when one of its
    /// clients asked since that entry was fetched, and the copy expires with
    /// it; seeding it so keeps nested caches consistent from the start.
    /// Other caches are drawn from their own stationary law.
    fn seed_household(&mut self, h: usize, devices: std::ops::Range<usize>, chain: Chain) {
        let s = &self.model.scenario;
        let Chain {
            at,
            handed,
            mut head,
            rates,
            since,
            misses,
        } = chain;
        let router_pool = self.caches.households[h].router_pool;
        let router = s.routers.get(router_pool as usize);
        let at_router = pass(self.model, ROUTER, router_pool, handed);
        if let Some(pool) = router.filter(|p| p.policy.caches) {
            let below = devices.clone().all(|d| self.device_relays(d, at_router));
            let entry = match head {
                Some(up) if below && pool.policy.relays(handed) => {
                    let asked = devices.clone().any(|d| up.asked_by(d, since[d], at.start));
                    up.copy_if(asked, at.start)
                }
                _ => {
                    let law = (at_router, misses.to_router[devices.clone()].iter().sum(), 0.0);
                    let entry = stationary(&mut self.streams.seeding, at, law, &pool.policy, Layer::Router);
                    let fetcher = self.pick_weighted(rates, devices.clone());
                    head = pool.policy.is_plain().then_some(Head { entry, fetcher });
                    entry
                }
            };
            self.caches.households[h].router = entry;
        }
        for d in devices {
            let device = self.caches.devices[d];
            let (rate, mut head) = (rates[d], head);
            let os = s.oses.get(device.os_pool as usize);
            let at_os = pass(self.model, OS, device.os_pool, at_router);
            let app = s.apps.get(device.app_pool as usize);
            let app_relays = app.is_none_or(|p| !p.policy.caches || p.policy.relays(at_os));
            if let Some(pool) = os.filter(|p| p.policy.caches) {
                self.caches.devices[d].os = match head {
                    Some(up) if app_relays && pool.policy.relays(at_router) => {
                        up.copy_if(up.asked_by(d, since[d], at.start), at.start)
                    }
                    _ => {
                        let entry = stationary(
                            &mut self.streams.seeding,
                            at,
                            (at_os, misses.to_os[d], 0.0),
                            &pool.policy,
                            Layer::Os,
                        );
                        head = pool.policy.is_plain().then_some(Head { entry, fetcher: d });
                        entry
                    }
                };
            }
            if let Some(c) = self.model.connections.get(device.app_pool) {
                let restarts = app.map_or(0.0, |p| p.restarts_per_day / crate::duration::DAY as f64);
                self.seed_connection(d, c, (at.start, at.version), (rate, restarts));
            }
            if let Some(pool) = app.filter(|p| p.policy.caches) {
                let restarts = pool.restarts_per_day / crate::duration::DAY as f64;
                self.caches.devices[d].app = match head {
                    Some(up) if restarts == 0.0 && pool.policy.relays(at_os) => {
                        up.copy_if(up.asked_by(d, since[d], at.start), at.start)
                    }
                    _ => {
                        let law = (pass(self.model, APP, device.app_pool, at_os), rate, restarts);
                        stationary(&mut self.streams.seeding, at, law, &pool.policy, Layer::App)
                    }
                };
            }
        }
    }

    /// Whether device `d`'s OS and app caches, if any, only relay the TTL
    /// they are handed (at most `handed` at the OS).
    fn device_relays(&self, d: usize, handed: Millis) -> bool {
        let s = &self.model.scenario;
        let device = self.caches.devices[d];
        let os = s.oses.get(device.os_pool as usize);
        let app = s.apps.get(device.app_pool as usize);
        let caches_or_relays = |pool: Option<&crate::scenario::Pool>, handed| {
            pool.is_none_or(|p| !p.policy.caches || (p.policy.relays(handed) && p.restarts_per_day == 0.0))
        };
        caches_or_relays(os, handed) && caches_or_relays(app, pass(self.model, OS, device.os_pool, handed))
    }

    /// One of `devices`, drawn in proportion to its request rate: whose
    /// request fetched an entry they share.
    fn pick_weighted(&mut self, rates: &[f64], devices: std::ops::Range<usize>) -> usize {
        let total: f64 = rates[devices.clone()].iter().sum();
        let mut u = self.streams.seeding.random::<f64>() * total;
        for d in devices.clone() {
            u -= rates[d];
            if u < 0.0 {
                return d;
            }
        }
        devices.end.saturating_sub(1)
    }
}

/// The entry copies below are made of, and the device whose request fetched it.
#[derive(Clone, Copy, Debug)]
struct Head {
    entry: Entry,
    fetcher: usize,
}

impl Head {
    /// Whether device `d`, whose last request was `since` ms before
    /// `start`, has asked since this entry was fetched (its fetcher has).
    fn asked_by(&self, d: usize, since: f64, start: Millis) -> bool {
        let age = start - (self.entry.expires - self.entry.lifetime);
        d == self.fetcher || since < age as f64
    }

    /// A copy if `asked` and the entry is live at `start`, else nothing.
    fn copy_if(&self, asked: bool, start: Millis) -> Entry {
        if asked && self.entry.expires > start {
            self.entry
        } else {
            Entry::EMPTY
        }
    }
}

/// What seeding a household needs from above it.
#[derive(Clone, Copy)]
struct Chain<'a> {
    at: Seeded,
    /// The TTL the resolver (or the record) hands the router.
    handed: Millis,
    head: Option<Head>,
    rates: &'a [f64],
    since: &'a [f64],
    misses: &'a Misses,
}

/// Where seeding starts: the time, and the record's version and TTL then.
#[derive(Clone, Copy, Debug)]
struct Seeded {
    start: Millis,
    version: usize,
    ttl: Millis,
}

/// A cache entry at `start`, drawn from the stationary law of a cache under
/// Poisson requests at `rate` (per ms) that keeps answers `lifetime`, with
/// its prefetch window, serve-stale and `clear_rate` (app restarts per ms)
/// as docs/engine.md derives them.
fn stationary<R: Rng>(
    rng: &mut R,
    Seeded { start, version, ttl }: Seeded,
    (lifetime, rate, clear_rate): (Millis, f64, f64),
    policy: &Policy,
    layer: Layer,
) -> Entry {
    if lifetime <= 0 || rate <= 0.0 {
        return Entry::EMPTY;
    }
    let window = policy.prefetch_point(lifetime);
    let renewed_after = lifetime - window;
    // Fetched a lifetime before it expires, with the record's TTL then;
    // kept past that TTL, this cache is the cause of its staleness.
    let entry = |expires: Millis| {
        let stale = Staleness::fetched(expires - lifetime, ttl).kept_until(expires, layer);
        Entry {
            expires,
            lifetime,
            evicted: Millis::MAX,
            retire: stale.retire,
            version: version as u16,
            cause: stale.cause,
            first: 0,
        }
    };
    let remaining = if clear_rate > 0.0 {
        // Cleared at random: held for min(renewal, clearing) of each cycle.
        let holds = -(-clear_rate * renewed_after as f64).exp_m1() / clear_rate;
        // holds / (holds + 1/rate), with one division (they are slow).
        let held = holds * rate / (holds * rate + 1.0);
        (rng.random::<f64>() < held)
            .then(|| ceil(rng.sample::<f64, _>(Open01) * renewed_after as f64).max(1) + window)
    } else {
        stationary_remaining(rng, lifetime, window, rate)
    };
    match (remaining, policy.serve_stale) {
        (Some(left), _) => entry(start.saturating_add(left)),
        // Expired and waiting for the next request: serve-stale still has it.
        (None, Some(_)) => entry(ServeStale::seeded_expiry(rng, start, rate)),
        (None, None) => Entry::EMPTY,
    }
}

impl Partition<'_> {
    /// Seeds each shard's alias from its own stationary law (renewed by the
    /// first query after it expires), and keeps the shard's answer no longer
    /// than its alias, as the resolver does. The joint law of the two is
    /// left to the warm-up, which covers twice the alias's lifetime too.
    fn seed_aliases(&mut self, at: Seeded, alias_ttl: Millis, per_shard: f64, policy: &Policy) {
        let alias_at = Seeded { ttl: alias_ttl, ..at };
        let law = (policy.lifetime(alias_ttl), per_shard, 0.0);
        for i in 0..self.caches.shards.len() {
            let alias = stationary(&mut self.streams.seeding, alias_at, law, policy, Layer::Resolver);
            self.caches.aliases[i] = alias;
            let answer = &mut self.caches.shards[i];
            if alias.version == super::NO_VERSION {
                *answer = Entry::EMPTY;
            } else if answer.expires > alias.expires {
                answer.expires = alias.expires;
                answer.retire = answer.retire.min(alias.retire);
            }
        }
    }
}

impl Partition<'_> {
    /// Seeds each shard's delegation (the old provider's) from the law of a
    /// cache renewed by the first fetch after it expires: the misses of an
    /// answer kept `answer_life` under `per_shard` queries. A delegation is
    /// renewed at one of the answer's fetches, which that law leaves out;
    /// the warm-up, which covers twice the delegation's lifetime, aligns
    /// them (see `scenario::warmup`).
    fn seed_delegations(
        &mut self,
        at: Seeded,
        ns_ttl: Millis,
        per_shard: f64,
        answer_life: Millis,
        policy: &Policy,
    ) {
        let fetches = per_shard / (1.0 + per_shard * answer_life as f64);
        let ns_at = Seeded {
            ttl: ns_ttl,
            version: super::delegation::OLD_PROVIDER as usize,
            ..at
        };
        let law = (policy.lifetime(ns_ttl), fetches, 0.0);
        for i in 0..self.caches.shards.len() {
            self.caches.delegations[i] =
                stationary(&mut self.streams.seeding, ns_at, law, policy, Layer::Resolver);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{stationary, Seeded};
    use crate::engine::Layer;
    use crate::policy::{Policy, Prefetch, ServeStale};
    use rand::{RngExt, SeedableRng};
    use rand_distr::Exp1;
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// The share of time a prefetching cache spends fresh, in its prefetch
    /// window with no hit yet, and empty, from a plain simulation of one
    /// cache: renewed by the first request in the window, else expired
    /// until the next request.
    fn simulated_shares(lifetime: f64, window: f64, rate: f64, cycles: usize) -> [f64; 3] {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let mut time = [0.0; 3];
        for _ in 0..cycles {
            time[0] += lifetime - window;
            let next = rng.sample::<f64, _>(Exp1) / rate;
            if next < window {
                time[1] += next;
            } else {
                time[1] += window;
                time[2] += rng.sample::<f64, _>(Exp1) / rate;
            }
        }
        let total: f64 = time.iter().sum();
        time.map(|t| t / total)
    }

    /// Seeds a cache `draws` times: the shares fresh, in the window and
    /// empty (or expired), and the mean time since expiry of expired entries.
    fn seeded_shares(policy: &Policy, lifetime: i64, rate: f64, draws: usize) -> ([f64; 3], f64) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(6);
        let window = policy.prefetch_point(lifetime);
        let (mut counts, mut expired_for) = ([0usize; 3], Vec::new());
        for _ in 0..draws {
            let at = Seeded {
                start: 0,
                version: 0,
                ttl: lifetime,
            };
            let e = stationary(&mut rng, at, (lifetime, rate, 0.0), policy, Layer::Resolver);
            let state = if e.expires > window {
                0
            } else if e.expires > 0 {
                1
            } else {
                if e.version == 0 {
                    expired_for.push(-e.expires as f64);
                }
                2
            };
            counts[state] += 1;
        }
        let mean_expired = expired_for.iter().sum::<f64>() / expired_for.len().max(1) as f64;
        (counts.map(|c| c as f64 / draws as f64), mean_expired)
    }

    #[test]
    fn seeds_the_prefetch_window_as_a_simulated_cache_spends_it() {
        // Lifetime 60 s, window 30 s, a request every 30 s on average: the
        // window holds a third of the time.
        let policy = Policy {
            prefetch: Some(Prefetch {
                fraction: 0.5,
                trigger: 0,
                eligible: 0,
            }),
            ..Policy::HONOUR
        };
        let rate = 1.0 / 30_000.0;
        let want = simulated_shares(60_000.0, 30_000.0, rate, 400_000);
        let draws = 200_000;
        let (got, _) = seeded_shares(&policy, 60_000, rate, draws);
        for state in 0..3 {
            let p = want[state];
            let se = (p * (1.0 - p) / draws as f64).sqrt();
            assert!(
                (got[state] - p).abs() < 5.0 * se + 0.002,
                "state {state}: seeded {got:?}, simulated {want:?}"
            );
        }
        assert!(want[1] > 0.25, "the window matters here: {want:?}");
    }

    #[test]
    fn seeds_expired_serve_stale_entries_expired_for_a_wait() {
        // Honours 60 s, a request every 60 s: expired half the time, for a
        // mean of 60 s so far (the wait is exponential), so about a third
        // of the expired entries are past a max_stale of 1 min.
        let policy = Policy {
            serve_stale: Some(ServeStale {
                max_stale: 60_000,
                reply_ttl: 30_000,
            }),
            ..Policy::HONOUR
        };
        let (got, mean_expired) = seeded_shares(&policy, 60_000, 1.0 / 60_000.0, 100_000);
        assert!((got[2] - 0.5).abs() < 0.01, "{got:?}");
        assert!(
            (mean_expired / 60_000.0 - 1.0).abs() < 0.03,
            "mean time expired {mean_expired} ms"
        );
    }
}
