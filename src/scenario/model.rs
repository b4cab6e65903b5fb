//! The scenario once checked: what the engine simulates. Every value here
//! has passed the checker, so the engine never meets a bad parameter.

use crate::duration::{self, Millis, FOREVER};
use crate::policy::Policy;
use crate::population::{DailyCycle, Spread};
pub use crate::server::Server;

/// A scenario ready to simulate: every value checked.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    /// Where it came from, for messages and reports.
    pub file: String,
    /// FNV-1a hash of the file's bytes and the `--set` arguments.
    pub content_hash: String,
    /// The file as written, and the `--set` arguments applied to it (for reports).
    pub text: String,
    pub overrides: Vec<String>,
    pub duration: Millis,
    /// `None`: chosen per resolver instance from the longest lifetime in its chain.
    pub warmup: Option<Millis>,
    pub bucket: Millis,
    pub runs: u32,
    pub seed: u64,
    pub record: Record,
    pub population: Population,
    pub authoritative: Authoritative,
    pub resolvers: Vec<Pool>,
    pub routers: Vec<Pool>,
    pub oses: Vec<Pool>,
    pub apps: Vec<Pool>,
    /// `oses[i]` and `apps[i]` are one device profile (`[[device]]`): a
    /// device draws one index for both, instead of each on its own.
    pub profiles: bool,
    /// The site's requests per second to the name (`[plan] traffic`), at
    /// which the decision counts lost requests; `None`: the population's.
    pub traffic: Option<f64>,
    /// Things accepted but worth saying (e.g. a TTL beyond RFC 2181's range).
    pub warnings: Vec<String>,
}

/// The authoritative side: the primary and optional secondary servers that
/// resolvers query at random. A secondary serves the zone it last loaded:
/// within `notify_delay` of a change with NOTIFY (RFC 1996), else at its next
/// SOA refresh (every `refresh`, at a random phase per run).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Authoritative {
    pub secondaries: u32,
    pub refresh: Millis,
    /// `None`: NOTIFY off.
    pub notify_delay: Option<Millis>,
}

impl Default for Authoritative {
    fn default() -> Self {
        Authoritative {
            secondaries: 0,
            refresh: 8 * duration::HOUR,
            notify_delay: Some(5 * duration::SECOND),
        }
    }
}

/// Pools a layer may have: the engine keeps a pool's index in a byte, with
/// one value left to mean "no pool".
pub const MAX_POOLS: usize = u8::MAX as usize;

/// One group of caches at a layer: a share of households (resolvers,
/// routers) or devices (OS, apps) that behave alike.
#[derive(Clone, Debug)]
pub struct Pool {
    pub name: String,
    pub share: f64,
    /// Independent caches the pool's households are spread over (resolvers).
    pub instances: u32,
    pub policy: Policy,
    /// HTTP keep-alive (apps only).
    pub connection: Option<Connection>,
    /// App restarts per day, each clearing the app's cache and connection.
    pub restarts_per_day: f64,
    /// Why the pool is an assumption rather than a measurement (`assumed`):
    /// the decision says so, and what it would be without the pool.
    pub assumed: Option<String>,
}

/// An app's keep-alive connection: requests on it need no lookup. It closes
/// when it has been idle `idle_timeout`, is `max_age` old, or has carried
/// `max_requests` (whichever end, client or server, sets the tighter limit).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Connection {
    pub idle_timeout: Millis,
    pub max_age: Millis,
    /// `u32::MAX`: no limit.
    pub max_requests: u32,
}

impl Connection {
    /// The connection as the server lets it live: each limit the tighter of
    /// the client's and the server's.
    pub fn limited_by(self, server: &Server) -> Connection {
        Connection {
            idle_timeout: self.idle_timeout.min(server.idle_timeout),
            max_age: self.max_age.min(server.max_age),
            max_requests: self.max_requests.min(server.max_requests),
        }
    }

    /// The longest the connection can carry requests after the one that
    /// opened it, `None` when nothing bounds it: its maximum age, or an
    /// idle timeout between each of the requests it may carry.
    pub fn longest_life(&self) -> Option<Millis> {
        let by_requests = if self.max_requests == u32::MAX {
            FOREVER
        } else {
            self.idle_timeout
                .saturating_mul(Millis::from(self.max_requests.saturating_sub(1)))
        };
        let longest = self.max_age.min(by_requests);
        (longest < FOREVER).then_some(longest)
    }
}

/// The record's answers over time. `versions[i]` is in force from its
/// `start` until the next one starts; the first starts at the dawn of time.
#[derive(Clone, Debug)]
pub struct Record {
    pub addresses: Vec<String>,
    pub versions: Vec<Version>,
    /// Clients take the first address of answers that servers rotate round
    /// robin (`pick = "rotate"`), instead of one at random (`"random"`).
    pub rotate: bool,
    /// The name is an alias (`cname`): the change swaps its target, and the
    /// old target keeps answering with the old addresses.
    pub alias: Option<Alias>,
    /// A weighted shift (`weights`), in time order; empty when the switch is
    /// one step.
    pub weights: Vec<Weight>,
    /// The change moves the zone to a new provider (`[record.delegation]`).
    pub delegation: Option<Delegation>,
}

/// A change of DNS provider: the parent's NS records point at the new
/// provider from the change on; resolvers that cached the delegation keep
/// asking the old provider, which answers with the old addresses for
/// `old_provider` after the change (`None`: for good).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Delegation {
    /// The NS records' TTL at the parent…
    pub parent_ttl: Millis,
    /// …and in the provider's own zone.
    pub child_ttl: Millis,
    pub old_provider: Option<Millis>,
}

impl Delegation {
    /// The NS TTL a resolver keeps, by its policy's `ns`.
    pub fn ns_ttl(&self, ns: crate::policy::Ns) -> Millis {
        match ns {
            crate::policy::Ns::Child => self.child_ttl,
            crate::policy::Ns::Parent => self.parent_ttl,
        }
    }

    /// Whether the old provider still answers at `t` (after the change).
    pub fn old_provider_answers(&self, t: Millis) -> bool {
        self.old_provider.is_none_or(|end| t < end)
    }
}

/// The alias (CNAME) in front of the address records: its own TTL, cached
/// on its own by resolvers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Alias {
    pub ttl: Millis,
}

/// One step of a weighted shift: from `at`, each answer the authoritative
/// gives is the new one with probability `new`, else the old one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Weight {
    pub at: Millis,
    pub new: f64,
}

/// One answer the authoritative serves: a TTL and a set of addresses.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Version {
    pub start: Millis,
    pub ttl: Millis,
    /// Bit `i` set: `addresses[i]` is in the answer.
    pub addresses: u64,
}

impl Record {
    /// The version in force at time `t`.
    pub fn version_at(&self, t: Millis) -> usize {
        self.versions.partition_point(|v| v.start <= t).saturating_sub(1)
    }

    /// The longest TTL the record ever carries (its alias's and its
    /// delegation's included).
    pub fn longest_ttl(&self) -> Millis {
        let ns = self.delegation.map_or(0, |d| d.parent_ttl.max(d.child_ttl));
        self.longest_ttl_for(None).max(ns)
    }

    /// The longest TTL a resolver whose policy keeps `ns` keeps a record
    /// set of the record for (`None`: no resolver cache, which keeps no
    /// delegation): the addresses', the alias's, the delegation's.
    pub fn longest_ttl_for(&self, ns: Option<crate::policy::Ns>) -> Millis {
        self.longest_ttl_among(ns, 0..self.versions.len())
    }

    /// [`Record::longest_ttl_for`] the answers of `versions` alone (the
    /// warm-up asks what answers from before a step, or after it, can live).
    pub fn longest_ttl_among(
        &self,
        ns: Option<crate::policy::Ns>,
        versions: std::ops::Range<usize>,
    ) -> Millis {
        let addresses = self.versions[versions].iter().map(|v| v.ttl).max().unwrap_or(0);
        let delegation = match (self.delegation, ns) {
            (Some(d), Some(ns)) => d.ns_ttl(ns),
            _ => 0,
        };
        addresses.max(self.alias.map_or(0, |a| a.ttl)).max(delegation)
    }

    /// The longest TTL of the address records (without the alias's).
    pub fn longest_address_ttl(&self) -> Millis {
        self.versions.iter().map(|v| v.ttl).max().unwrap_or(0)
    }

    /// The probability an answer given at `t` is the new one, for a
    /// weighted shift (`None`: the record is not weighted, and the version
    /// in force decides).
    #[inline]
    pub fn new_weight_at(&self, t: Millis) -> Option<f64> {
        if self.weights.is_empty() {
            return None;
        }
        let steps = self.weights.partition_point(|w| w.at <= t);
        Some(steps.checked_sub(1).map_or(0.0, |i| self.weights[i].new))
    }

    /// From when every answer is the new one for good (`None`: the weights
    /// end below 1, so some answers stay old). 0 for a record that is not
    /// weighted: the switch.
    pub fn all_new_from(&self) -> Option<Millis> {
        match self.weights.iter().rposition(|w| w.new < 1.0) {
            None => Some(self.weights.first().map_or(0, |w| w.at)),
            Some(i) => self.weights.get(i + 1).map(|w| w.at),
        }
    }

    /// Whether some answer carries several addresses (DNS load balancing).
    pub fn load_balanced(&self) -> bool {
        self.versions.iter().any(|v| v.addresses.count_ones() > 1)
    }

    /// When the addresses last change (the switch at 0, or a later step):
    /// from then on an address outside the answer in force is old.
    pub fn last_switch(&self) -> Millis {
        self.versions
            .windows(2)
            .filter(|pair| pair[0].addresses != pair[1].addresses)
            .map(|pair| pair[1].start)
            .max()
            .unwrap_or(0)
            .max(0)
    }

    /// The earliest step, or 0 when nothing changes before the switch.
    pub fn earliest_step(&self) -> Millis {
        self.versions
            .iter()
            .skip(1)
            .map(|v| v.start)
            .min()
            .unwrap_or(0)
            .min(0)
    }
}

#[derive(Clone, Debug)]
pub struct Population {
    pub households: u64,
    pub devices_per_household: Spread,
    pub requests_per_day: Spread,
    pub daily_cycle: Option<DailyCycle>,
}

/// The most distinct addresses a record may use (a bit mask of 64).
pub const MAX_ADDRESSES: usize = 64;
