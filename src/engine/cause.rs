//! Why an old request was old. `held_at` says which cache answered it; the
//! cause is the cache nearest the authoritative whose policy kept the old
//! answer past the moment the record's own TTL would have retired it (a
//! fixed or minimum TTL, serve-stale, restamping, an open keep-alive
//! connection, an app that ignores TTLs), or the record's TTL itself while
//! the answer is still inside it. Each possible cause has a slot, a column
//! of the tally.

use super::Layer;
use crate::scenario::Scenario;

/// Still inside the record's TTL.
pub const TTL: u16 = 0;
/// A secondary authoritative server still serving the old zone.
pub const AUTHORITATIVE: u16 = 1;
/// No pool: the slot of a layer without one.
pub const NONE: u16 = u16::MAX;

/// Inside the engine a cause travels as a code, the layer (`Layer as u8`)
/// whose cache kept the answer, or one of these; its pool follows from the
/// requesting device's chain, and its slot is looked up only for requests
/// that were old.
pub const CODE_TTL: u8 = Layer::COUNT as u8;
/// An alias cached before the change, still inside its TTL, names the old
/// target (see `partition/alias.rs`).
pub const CODE_ALIAS: u8 = Layer::COUNT as u8 + 1;
/// No cache has kept the answer past its retirement (yet).
pub const CODE_NONE: u8 = u8::MAX;

/// A value per cause code: each layer (`Layer as usize`), the TTL, then
/// the alias.
pub type ByCause = [f64; Layer::COUNT + 2];

/// The cause codes' values, summed from per-slot values.
pub fn by_code(causes: &[Cause], by_slot: &[f64]) -> ByCause {
    let mut sums = [0.0; Layer::COUNT + 2];
    for (c, v) in causes.iter().zip(by_slot) {
        sums[c.code() as usize] += v;
    }
    sums
}

/// The names of the cause codes, in code order (`timeseries.csv`'s
/// `old_cause_*`; `alias` only for a record that is one, see [`code_names`]).
pub const CODE_NAMES: [&str; Layer::COUNT + 2] = [
    "connection",
    "app",
    "os",
    "router",
    "resolver",
    "authoritative",
    "ttl",
    "alias",
];

/// The cause codes results with `causes` have columns for: the alias's
/// only where the record is one.
pub fn code_names(causes: &[Cause]) -> &'static [&'static str] {
    if causes.iter().any(|c| c.alias) {
        &CODE_NAMES
    } else {
        &CODE_NAMES[..Layer::COUNT + 1]
    }
}

/// One possible cause: the record's TTL, the alias's, the authoritative
/// side, or one pool of one layer (a connection belongs to its app's pool).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cause {
    /// `None`: the record's TTL (or the alias's, with `alias`).
    pub layer: Option<Layer>,
    pub pool: Option<String>,
    /// An alias cached before the change names the old target.
    pub alias: bool,
}

impl Cause {
    /// The name `summary.json` and the reports use: `ttl`, `alias`,
    /// `authoritative`, `resolver/pins-24h`, `connection/firefox-2`.
    pub fn name(&self) -> String {
        match (&self.layer, &self.pool) {
            (None, _) if self.alias => "alias".to_string(),
            (None, _) => "ttl".to_string(),
            (Some(layer), None) => layer.name().to_string(),
            (Some(layer), Some(pool)) => format!("{}/{pool}", layer.name()),
        }
    }

    /// The cause code this cause travels as (see [`CODE_TTL`]).
    pub fn code(&self) -> u8 {
        match self.layer {
            Some(layer) => layer as u8,
            None if self.alias => CODE_ALIAS,
            None => CODE_TTL,
        }
    }
}

/// Every cause a scenario can have, in slot order: the TTL, the
/// authoritative, then each app pool's connection, and each pool of the
/// app, OS, router and resolver layers.
pub fn causes(scenario: &Scenario) -> Vec<Cause> {
    let mut all = vec![
        Cause {
            layer: None,
            pool: None,
            alias: false,
        },
        Cause {
            layer: Some(Layer::Authoritative),
            pool: None,
            alias: false,
        },
    ];
    let layers = [
        (Layer::Connection, &scenario.apps),
        (Layer::App, &scenario.apps),
        (Layer::Os, &scenario.oses),
        (Layer::Router, &scenario.routers),
        (Layer::Resolver, &scenario.resolvers),
    ];
    for (layer, pools) in layers {
        all.extend(pools.iter().map(|p| Cause {
            layer: Some(layer),
            pool: Some(p.name.clone()),
            alias: false,
        }));
    }
    // Last, so scenarios without an alias keep their slots.
    if scenario.record.alias.is_some() {
        all.push(Cause {
            layer: None,
            pool: None,
            alias: true,
        });
    }
    all
}

/// The pool behind each cause slot (`None` for the TTL, the alias and the
/// authoritative), in the order of [`causes`].
pub fn pools_by_slot(scenario: &Scenario) -> Vec<Option<&crate::scenario::Pool>> {
    let mut pools = vec![None, None];
    for layer in [
        &scenario.apps,
        &scenario.apps,
        &scenario.oses,
        &scenario.routers,
        &scenario.resolvers,
    ] {
        pools.extend(layer.iter().map(Some));
    }
    if scenario.record.alias.is_some() {
        pools.push(None);
    }
    pools
}

/// The first slot of each layer's pools (as [`causes`] orders them).
pub fn first_slots(scenario: &Scenario) -> [u16; 5] {
    let counts = [
        scenario.apps.len(),
        scenario.apps.len(),
        scenario.oses.len(),
        scenario.routers.len(),
        scenario.resolvers.len(),
    ];
    let mut first = [0u16; 5];
    let mut next = 2u16;
    for (slot, count) in first.iter_mut().zip(counts) {
        *slot = next;
        next += count as u16;
    }
    first
}
