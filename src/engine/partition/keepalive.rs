//! Keep-alive connections at the start: each drawn from its stationary law,
//! so that no warm-up has to let them settle.
//!
//! At each request a connection carries on (one more request, older by the
//! gap) if the gap was within its idle timeout, it has carried fewer than
//! its request limit and it is younger than its maximum age; else the
//! request opens a new one. Seen at the client's requests this is a Markov
//! chain on (requests carried k, age a) that restarts at (1, 0), with
//! stationary density π(k, a) ∝ h_{k−1}(a) for k ≤ N and a < M, where
//! h_j is the density of j gaps each within the idle timeout: a truncated
//! geometric law of k (p = 1 − e^(−λτ), the chance a gap is within τ),
//! and, given k, the sum of k − 1 exponential gaps each conditioned on
//! being within τ, kept only if under the maximum age. Poisson arrivals
//! see the stationary law, so the state just after the last request before
//! the start is drawn from it, that request an exponential time back.
//! App restarts (at rate ρ) close connections too: a gap g carries on only
//! if no restart came within it (chance e^(−ρg)), and none may have come
//! since the last request.

use super::upstream::pick_address;
use super::{cause, exp1, Answer, Layer, Partition, Staleness};
use crate::duration::{Millis, FOREVER};
use crate::scenario::Connection;
use rand::{Rng, RngExt};

impl Partition<'_> {
    /// Starts device `d`'s keep-alive connection `c` in its stationary
    /// state at `start` (see the module's doc), opened with the answer of
    /// record version `version`; `rates` are the device's requests and its
    /// app's restarts per ms. A connection idle past its timeout at
    /// `start` can carry no request again: nothing more is drawn for it.
    pub(super) fn seed_connection(
        &mut self,
        d: usize,
        c: Connection,
        (start, version): (Millis, usize),
        (rate, restart_rate): (f64, f64),
    ) {
        if rate <= 0.0 {
            return;
        }
        let record = &self.model.scenario.record;
        let ttl = record.versions[version].ttl;
        let since = exp1(&mut self.streams.seeding) / rate;
        let last = start
            .saturating_sub(since.min(FOREVER as f64) as Millis)
            .max(-FOREVER);
        // Idle past its timeout already at the start (see
        // `Device::connection_open`), and later requests come later still.
        if start - last > c.idle_timeout {
            return;
        }
        if restart_rate > 0.0 && self.streams.seeding.random::<f64>() >= (-restart_rate * since).exp() {
            return; // the app restarted since its last request
        }
        let (carried, age) = stationary_connection(&mut self.streams.seeding, c, (rate, restart_rate), ttl);
        let opened = last.saturating_sub(age).max(-FOREVER);
        // A connection opened in the past went to any of the addresses alike.
        let count = record.versions[version].addresses.count_ones();
        let first = if record.rotate {
            self.streams.seeding.random_range(0..count) as u8
        } else {
            0
        };
        // Opened with an answer fetched then, retired a TTL later.
        let stale = Staleness::fetched(opened, ttl);
        let answer = Answer {
            version: version as u16,
            ttl: 0,
            held_at: Layer::Connection,
            first,
            stale,
            cause: cause::CODE_NONE,
        };
        let address = pick_address(record, &mut self.streams.seeding, answer.version, answer.first);
        let device = &mut self.caches.devices[d];
        device.connect(address, opened, stale);
        device.conn_last = last;
        device.conn_requests = carried;
    }
}

/// The requests a connection `c` has carried, and its age, just after a
/// request of a client making `rate` requests and `restart_rate` app
/// restarts per ms, drawn from their stationary law (see the module's
/// doc). Where nothing limits age, an age beyond `ttl` tells nothing more
/// (the answer the connection was opened with is retired either way), so
/// no more gaps are drawn there; where nothing limits requests, the count
/// tells nothing and is 1.
pub(super) fn stationary_connection<R: Rng>(
    rng: &mut R,
    c: Connection,
    (rate, restart_rate): (f64, f64),
    ttl: Millis,
) -> (u32, Millis) {
    let gaps = Gaps::new(c.idle_timeout, rate + restart_rate);
    // The chance that a gap carries the connection on: within the idle
    // timeout, and no restart within it.
    let within = rate / gaps.decay * gaps.inside;
    let (limited_age, limited_count) = (c.max_age < FOREVER, c.max_requests < u32::MAX);
    let limit = if limited_age {
        c.max_age
    } else {
        ttl.saturating_add(1)
    } as f64;
    let by_count = if limited_count {
        u64::from(c.max_requests)
    } else {
        u64::MAX
    };
    let cap = if limited_age && !gaps.never_beyond(within, limit) {
        gaps.most_within(limit).min(by_count)
    } else {
        by_count
    };
    loop {
        let carried = truncated_geometric(rng, within, cap);
        let count = if limited_count { carried as u32 } else { 1 };
        match gaps.sum(rng, carried - 1, limit) {
            Some(age) => return (count, age.min(FOREVER as f64) as Millis),
            // Older than the maximum age: not a state the chain reaches.
            None if limited_age => continue,
            // Older than the TTL: how much older tells nothing.
            None => return (count, limit as Millis),
        }
    }
}

/// Gaps between requests that carry a connection on: exponential at rate
/// `decay` (requests and restarts, per ms) conditioned on being within the
/// idle timeout `idle`, where they have mass `inside`.
struct Gaps {
    decay: f64,
    idle: f64,
    inside: f64,
}

/// Where at least this share of gaps falls inside the idle timeout, a gap
/// is drawn as an exponential redrawn until it does (about 1/`inside`
/// draws of the ziggurat, cheaper than a logarithm); below it, by
/// inversion. Both are exactly the conditioned law.
const REDRAW_FROM: f64 = 0.5;

/// A chance no test can tell from 0.
const NEGLIGIBLE: f64 = 1e-16;

impl Gaps {
    fn new(idle: Millis, decay: f64) -> Gaps {
        Gaps {
            decay,
            idle: idle as f64,
            inside: -(-decay * idle as f64).exp_m1(),
        }
    }

    /// The sum of `n` gaps, or `None` once it reaches `limit`. Drawn gap by
    /// gap, or where so many gaps almost surely all fall inside the idle
    /// timeout anyway, as one gamma draw.
    fn sum<R: Rng>(&self, rng: &mut R, n: u64, limit: f64) -> Option<f64> {
        let outside = 1.0 - self.inside;
        if n > 64 && n as f64 * outside <= NEGLIGIBLE {
            let gamma = rand_distr::Gamma::new(n as f64, 1.0 / self.decay).ok()?;
            let sum: f64 = rng.sample(gamma);
            return (sum < limit).then_some(sum);
        }
        let mut sum = 0.0;
        for _ in 0..n {
            sum += self.gap(rng);
            if sum >= limit {
                return None;
            }
        }
        Some(sum)
    }

    /// One gap, within the idle timeout.
    #[inline]
    fn gap<R: Rng>(&self, rng: &mut R) -> f64 {
        if self.inside >= REDRAW_FROM {
            loop {
                let gap = exp1(rng) / self.decay;
                if gap <= self.idle {
                    return gap;
                }
            }
        }
        let u: f64 = rng.random();
        -(-u * self.inside).ln_1p() / self.decay
    }

    /// Whether a connection carrying on with chance `within` at each gap
    /// carries more than [`Gaps::most_within`] `limit`'s requests with a
    /// chance under 2⁻⁶⁰: then truncating the count there changes no draw
    /// of [`truncated_geometric`] (its tail mass rounds away, and no
    /// uniform draw is that close to 1), so the bound, a search with a
    /// logarithm a step, need not be worked out. Most devices ask far
    /// less often than their connection's idle timeout: this is their case.
    fn never_beyond(&self, within: f64, limit: f64) -> bool {
        // most_within's result j is past the mean m, and its bound
        // f(j) = j (1 − ln x) − m, x = j·inside / m, is at most ln 1e-16 = −L
        // there. As ln x ≤ x / e, that needs j (j·inside / (m e) − 1) ≥ m + L:
        // j is past the larger root of that quadratic.
        let mean = self.decay * limit;
        let bits = 60.0 * std::f64::consts::LN_2;
        if within >= 1.0 - 1e-12 {
            return false;
        }
        // The root is at least 1/a = m e / inside, and −ln x at least
        // 2(1 − x)/(1 + x): where those lower bounds already pass (with room
        // for rounding), so does the test, with no square root or
        // logarithm, and one division.
        let at_least = mean.ceil().max(1.0).max(mean * std::f64::consts::E / self.inside);
        if at_least * 2.0 * (1.0 - within) > bits * (1.0 + 1e-9) * (1.0 + within) {
            return true;
        }
        let a = self.inside / (mean * std::f64::consts::E);
        let c = mean - NEGLIGIBLE.ln();
        let root = (1.0 + (1.0 + 4.0 * a * c).sqrt()) / (2.0 * a);
        let floor = mean.ceil().max(1.0).max(root);
        floor * within.ln() < -bits
    }

    /// The most gaps whose sum is under `limit` with more than a
    /// [`NEGLIGIBLE`] chance (Chernoff's bound on a sum of exponentials,
    /// each conditioned on falling inside, so weighed by 1/`inside`),
    /// plus one: the requests a connection younger than `limit` can carry.
    fn most_within(&self, limit: f64) -> u64 {
        let mean = self.decay * limit;
        let ln_inside = self.inside.ln();
        // ln P(sum of j gaps < limit) ≤ j − m + j ln(m / j) − j ln(inside), j > m.
        let log_bound = |j: f64| j - mean + j * (mean / j).ln() - j * ln_inside;
        let (mut lo, mut hi) = (mean.ceil().max(1.0), mean.ceil().max(1.0) * 2.0 + 64.0);
        while log_bound(hi) > NEGLIGIBLE.ln() {
            if hi > 1e15 {
                return u64::MAX;
            }
            (lo, hi) = (hi, hi * 2.0);
        }
        while hi - lo > 1.0 {
            let mid = ((lo + hi) / 2.0).floor();
            if log_bound(mid) > NEGLIGIBLE.ln() {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        hi as u64 + 1
    }
}

/// A draw from P(k) ∝ pᵏ⁻¹ on 1..=`cap` (`u64::MAX`: unbounded), by inversion.
fn truncated_geometric<R: Rng>(rng: &mut R, p: f64, cap: u64) -> u64 {
    let u: f64 = rng.random();
    if p <= 0.0 {
        return 1;
    }
    let bounded = cap < u64::MAX;
    if p >= 1.0 - 1e-12 && bounded {
        // Uniform, to within the rounding of p.
        return (1 + (u * cap as f64) as u64).min(cap);
    }
    // P(K ≤ k) = (1 − pᵏ) / (1 − p^cap): k = ⌈ln(1 − u (1 − p^cap)) / ln p⌉.
    let tail = if bounded { p.powf(cap as f64) } else { 0.0 };
    // That is 1 exactly when u (1 − p^cap) ≤ 1 − p, most draws of a light
    // client: clearly below it (room for the logarithms' rounding), no
    // logarithm is needed.
    if u * (1.0 - tail) < (1.0 - p) * (1.0 - 1e-9) {
        return 1;
    }
    let k = ((-u * (1.0 - tail)).ln_1p() / p.ln()).ceil();
    if k.is_finite() && k >= 1.0 {
        (k as u64).min(cap)
    } else if k.is_finite() {
        1
    } else {
        cap.min(u64::MAX / 2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::duration::SECOND;
    use rand::SeedableRng;
    use rand_distr::Exp1;
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// Runs the connection chain forward for `requests` and returns the
    /// share of requests at which it has carried each count (k − 1 < 8),
    /// and the mean age at a request.
    fn simulated(c: Connection, rate: f64, requests: usize) -> ([f64; 8], f64) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
        let (mut k, mut age) = (1u32, 0.0);
        let (mut counts, mut ages) = ([0usize; 8], 0.0);
        for _ in 0..requests {
            let gap = rng.sample::<f64, _>(Exp1) / rate;
            if gap <= c.idle_timeout as f64 && k < c.max_requests && age + gap < c.max_age as f64 {
                (k, age) = (k + 1, age + gap);
            } else {
                (k, age) = (1, 0.0);
            }
            if (k as usize) <= 8 {
                counts[k as usize - 1] += 1;
            }
            ages += age;
        }
        (counts.map(|n| n as f64 / requests as f64), ages / requests as f64)
    }

    fn drawn(c: Connection, rate: f64, draws: usize) -> ([f64; 8], f64) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(10);
        let (mut counts, mut ages) = ([0usize; 8], 0.0);
        for _ in 0..draws {
            let (k, age) = stationary_connection(&mut rng, c, (rate, 0.0), FOREVER / 2);
            if (k as usize) <= 8 {
                counts[k as usize - 1] += 1;
            }
            ages += age as f64;
        }
        (counts.map(|n| n as f64 / draws as f64), ages / draws as f64)
    }

    /// The drawn law is the chain's: counts (where limited) and mean age,
    /// for a request limit alone, a maximum age alone and both, at a busy rate.
    /// Where the bound need not be worked out, drawing the count up to it
    /// and up to no bound at all give the same counts from the same draws.
    #[test]
    fn skipping_the_bound_changes_no_draw() {
        let (idle, limit) = (300 * SECOND, 3_600.0 * SECOND as f64);
        let mut skipped = 0;
        for per_day in [0.5, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 1_000.0] {
            let rate = per_day / 86_400_000.0;
            let gaps = Gaps::new(idle, rate);
            let within = gaps.inside;
            if !gaps.never_beyond(within, limit) {
                continue;
            }
            skipped += 1;
            let cap = gaps.most_within(limit);
            assert!(within.powf(cap as f64) < 2f64.powi(-60), "{per_day} a day");
            let (mut a, mut b) = (
                Xoshiro256PlusPlus::seed_from_u64(5),
                Xoshiro256PlusPlus::seed_from_u64(5),
            );
            for _ in 0..100_000 {
                assert_eq!(
                    truncated_geometric(&mut a, within, cap),
                    truncated_geometric(&mut b, within, u64::MAX),
                    "{per_day} a day"
                );
            }
        }
        // Up to a request every 15 minutes against 5 minutes of idle time.
        assert!(skipped >= 6, "light devices skip the bound ({skipped})");
    }

    #[test]
    fn draws_the_chains_stationary_law() {
        let rate = 1.0 / (15.0 * SECOND as f64);
        for c in [
            Connection {
                idle_timeout: 75 * SECOND,
                max_age: FOREVER,
                max_requests: 100,
            },
            Connection {
                idle_timeout: 75 * SECOND,
                max_age: 600 * SECOND,
                max_requests: u32::MAX,
            },
            Connection {
                idle_timeout: 20 * SECOND,
                max_age: 300 * SECOND,
                max_requests: 6,
            },
        ] {
            let (want, want_age) = simulated(c, rate, 2_000_000);
            let (got, got_age) = drawn(c, rate, 200_000);
            // Without a request limit the count tells nothing: drawn as 1.
            for k in (0..8).filter(|_| c.max_requests < u32::MAX) {
                let se = (want[k] * (1.0 - want[k]) / 200_000.0).sqrt();
                assert!(
                    (got[k] - want[k]).abs() <= 5.0 * se + 1e-4,
                    "{c:?}: k = {}: {got:?} vs {want:?}",
                    k + 1
                );
            }
            assert!(
                (got_age / want_age - 1.0).abs() < 0.02,
                "{c:?}: mean age {got_age} vs {want_age}"
            );
        }
    }

    /// Connections that never idle out, limited by age only: the count
    /// the law can reach is bounded near rate × age, and a draw ends at once.
    #[test]
    fn busy_clients_under_an_age_limit_draw_quickly() {
        let c = Connection {
            idle_timeout: 86_400 * SECOND,
            max_age: 1_800 * SECOND,
            max_requests: u32::MAX,
        };
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(2);
        let rate = 1.0 / 60_000.0;
        let gaps = Gaps::new(c.idle_timeout, rate);
        let cap = gaps.most_within(c.max_age as f64);
        assert!((31..200).contains(&cap), "{cap}");
        let mean_age: f64 = (0..20_000)
            .map(|_| stationary_connection(&mut rng, c, (rate, 0.0), 300 * SECOND).1 as f64)
            .sum::<f64>()
            / 20_000.0;
        // Ages at requests spread evenly over the 30 min (minus a gap).
        assert!((mean_age / 1000.0 - 870.0).abs() < 20.0, "{mean_age}");
        // Rates far beyond any real client: one gamma draw.
        let fast = 1e9 / 86_400_000.0;
        let (k, age) = stationary_connection(&mut rng, c, (fast, 0.0), 300 * SECOND);
        assert_eq!(k, 1);
        assert!(age < 1_800_000);
    }

    /// Redrawn from the ziggurat (most gaps inside) or inverted (few):
    /// the exponential conditioned on the idle timeout either way, its
    /// mean and its median's share within 5 standard errors of 200,000 draws.
    #[test]
    fn both_ways_of_drawing_a_gap_give_the_truncated_law() {
        let idle = 10 * SECOND;
        for (decay, redrawn) in [(0.3e-4, false), (2.3e-4, true)] {
            let gaps = Gaps::new(idle, decay);
            assert_eq!(gaps.inside >= REDRAW_FROM, redrawn, "{}", gaps.inside);
            let tau = idle as f64;
            let mass = -(-decay * tau).exp_m1();
            let mean = 1.0 / decay - tau * (-decay * tau).exp() / mass;
            let half = -(-decay * tau / 2.0).exp_m1() / mass;
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
            let n = 200_000;
            let draws: Vec<f64> = (0..n).map(|_| gaps.gap(&mut rng)).collect();
            assert!(draws.iter().all(|&g| (0.0..=tau).contains(&g)));
            let got_mean = draws.iter().sum::<f64>() / n as f64;
            let got_half = draws.iter().filter(|&&g| g <= tau / 2.0).count() as f64 / n as f64;
            // A gap within τ has a standard deviation under τ / √12 · 2.
            let se_mean = tau / 12f64.sqrt() * 2.0 / (n as f64).sqrt();
            let se_half = (half * (1.0 - half) / n as f64).sqrt();
            assert!((got_mean - mean).abs() < 5.0 * se_mean, "{got_mean} vs {mean}");
            assert!((got_half - half).abs() < 5.0 * se_half, "{got_half} vs {half}");
        }
    }

    /// The shortcuts that skip a square root or a logarithm take the
    /// branch the full computation takes, over a wide grid of clients.
    #[test]
    fn shortcuts_decide_as_the_full_computation() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(4);
        let mut fast = 0;
        for per_day in [0.1, 1.0, 10.0, 30.0, 100.0, 300.0, 1_000.0, 10_000.0] {
            for idle_s in [5, 60, 300, 3_600] {
                for limit_s in [300.0, 3_600.0, 14_400.0, 86_400.0] {
                    let gaps = Gaps::new(idle_s * SECOND, per_day / 86_400_000.0);
                    let (within, limit) = (gaps.inside, limit_s * 1000.0);
                    let mean = gaps.decay * limit;
                    let a = gaps.inside / (mean * std::f64::consts::E);
                    let c = mean - NEGLIGIBLE.ln();
                    let root = (1.0 + (1.0 + 4.0 * a * c).sqrt()) / (2.0 * a);
                    let floor = mean.ceil().max(1.0).max(root);
                    let full = within < 1.0 - 1e-12 && floor * within.ln() < -60.0 * std::f64::consts::LN_2;
                    assert_eq!(
                        gaps.never_beyond(within, limit),
                        full,
                        "{per_day} {idle_s} {limit_s}"
                    );
                    for cap in [3, 1_000, u64::MAX] {
                        for _ in 0..200 {
                            let mut twin = rng.clone();
                            let k = truncated_geometric(&mut rng, within, cap);
                            let u: f64 = twin.random();
                            let tail = if cap < u64::MAX {
                                within.powf(cap as f64)
                            } else {
                                0.0
                            };
                            if within >= 1.0 - 1e-12 && cap < u64::MAX {
                                continue; // drawn uniformly, no logarithm either way
                            }
                            let exact = ((-u * (1.0 - tail)).ln_1p() / within.ln()).ceil();
                            let want = match exact {
                                k if k.is_finite() && k >= 1.0 => (k as u64).min(cap),
                                k if k.is_finite() => 1,
                                _ => cap.min(u64::MAX / 2),
                            };
                            fast += usize::from(want == 1);
                            assert_eq!(k, want, "{u} {within} {cap}");
                        }
                    }
                }
            }
        }
        assert!(fast > 10_000, "{fast}");
    }

    #[test]
    fn the_geometric_stays_within_its_cap() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        for _ in 0..10_000 {
            let k = truncated_geometric(&mut rng, 0.999, 7);
            assert!((1..=7).contains(&k));
        }
        assert_eq!(truncated_geometric(&mut rng, 0.0, 7), 1);
        assert!((1..=7).contains(&truncated_geometric(&mut rng, 1.0, 7)));
    }
}
