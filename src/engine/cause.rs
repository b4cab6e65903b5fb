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
/// An old request before a weighted shift makes every answer new.
pub const CODE_WEIGHTS: u8 = Layer::COUNT as u8 + 2;
/// A delegation cached before the change, still inside the NS TTL the
/// resolver keeps, sends the resolver to the old provider.
pub const CODE_DELEGATION: u8 = Layer::COUNT as u8 + 3;
/// No cache has kept the answer past its retirement (yet).
pub const CODE_NONE: u8 = u8::MAX;

/// How many cause codes there are.
pub const CODES: usize = Layer::COUNT + 4;

/// A value per cause code: each layer (`Layer as usize`), the TTL, then
/// the record's mechanisms (alias, weights, delegation).
pub type ByCause = [f64; CODES];

/// The cause codes' values, summed from per-slot values.
pub fn by_code(causes: &[Cause], by_slot: &[f64]) -> ByCause {
    let mut sums = [0.0; CODES];
    for (c, v) in causes.iter().zip(by_slot) {
        sums[c.code() as usize] += v;
    }
    sums
}

/// The names of the cause codes, in code order (`timeseries.csv`'s
/// `old_cause_*`; a mechanism's only for a record that has it, see
/// [`code_names`]).
pub const CODE_NAMES: [&str; CODES] = [
    "connection",
    "app",
    "os",
    "router",
    "resolver",
    "authoritative",
    "ttl",
    "alias",
    "weights",
    "delegation",
];

/// The cause codes results with `causes` have columns for, with their
/// names: every layer's and the TTL's, and a mechanism's only where the
/// record has it.
pub fn code_names(causes: &[Cause]) -> Vec<(usize, &'static str)> {
    CODE_NAMES
        .iter()
        .enumerate()
        .filter(|&(code, _)| code <= CODE_TTL as usize || causes.iter().any(|c| c.code() as usize == code))
        .map(|(code, name)| (code, *name))
        .collect()
}

/// What a record does besides one address record that can make a request
/// old: each has a cause of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mechanism {
    /// An alias cached before the change names the old target.
    Alias,
    /// A weighted shift answered with the old addresses.
    Weights,
    /// A delegation cached before the change sends resolvers to the old provider.
    Delegation,
}

impl Mechanism {
    /// Its cause's name (`alias`, `weights`, `delegation`).
    pub fn name(self) -> &'static str {
        let code = match self {
            Mechanism::Alias => CODE_ALIAS,
            Mechanism::Weights => CODE_WEIGHTS,
            Mechanism::Delegation => CODE_DELEGATION,
        };
        CODE_NAMES[code as usize]
    }
}

/// One possible cause: the record's TTL, one of its mechanisms, the
/// authoritative side, or one pool of one layer (a connection belongs to
/// its app's pool).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cause {
    /// `None`: the record's TTL, or `mechanism`.
    pub layer: Option<Layer>,
    pub pool: Option<String>,
    pub mechanism: Option<Mechanism>,
}

impl Cause {
    /// The name `summary.json` and the reports use: `ttl`, `alias`,
    /// `weights`, `authoritative`, `resolver/pins-24h`, `connection/firefox-2`.
    pub fn name(&self) -> String {
        match (&self.layer, &self.pool) {
            (None, None) => CODE_NAMES[self.code() as usize].to_string(),
            (None, Some(pool)) => format!("{}/{pool}", CODE_NAMES[self.code() as usize]),
            (Some(layer), None) => layer.name().to_string(),
            (Some(layer), Some(pool)) => format!("{}/{pool}", layer.name()),
        }
    }

    /// The cause code this cause travels as (see [`CODE_TTL`]).
    pub fn code(&self) -> u8 {
        match (self.layer, self.mechanism) {
            (Some(layer), _) => layer as u8,
            (None, Some(Mechanism::Alias)) => CODE_ALIAS,
            (None, Some(Mechanism::Weights)) => CODE_WEIGHTS,
            (None, Some(Mechanism::Delegation)) => CODE_DELEGATION,
            (None, None) => CODE_TTL,
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
            mechanism: None,
        },
        Cause {
            layer: Some(Layer::Authoritative),
            pool: None,
            mechanism: None,
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
            mechanism: None,
        }));
    }
    // Last, so scenarios without them keep their slots.
    all.extend(mechanism_causes(scenario).into_iter().map(|(m, p)| Cause {
        layer: None,
        pool: p.map(|p| scenario.resolvers[p].name.clone()),
        mechanism: Some(m),
    }));
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
    pools.extend(
        mechanism_causes(scenario)
            .into_iter()
            .map(|(_, p)| p.map(|p| &scenario.resolvers[p])),
    );
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

/// The record's mechanisms that have causes of their own, in slot order.
fn mechanisms(scenario: &Scenario) -> impl Iterator<Item = Mechanism> {
    let record = &scenario.record;
    [
        record.alias.is_some().then_some(Mechanism::Alias),
        (!record.weights.is_empty()).then_some(Mechanism::Weights),
        record.delegation.is_some().then_some(Mechanism::Delegation),
    ]
    .into_iter()
    .flatten()
}

/// Whether a mechanism's cause is told apart by resolver pool: the alias
/// and the delegation are each resolver's own cache, weights are not.
fn by_resolver_pool(m: Mechanism, scenario: &Scenario) -> bool {
    m != Mechanism::Weights && !scenario.resolvers.is_empty()
}

/// The slots of a mechanism's causes, in [`causes`]' order, with the
/// resolver pool of each (`None`: one slot for all).
fn mechanism_causes(scenario: &Scenario) -> Vec<(Mechanism, Option<usize>)> {
    let mut all = Vec::new();
    for m in mechanisms(scenario) {
        if by_resolver_pool(m, scenario) {
            all.extend((0..scenario.resolvers.len()).map(|p| (m, Some(p))));
        } else {
            all.push((m, None));
        }
    }
    all
}

/// For each mechanism (indexed by code from [`CODE_ALIAS`]), the cause
/// slot of a request whose resolver pool is `pool` (`None`: no resolver
/// cache): [`NONE`] where the record does not have the mechanism.
pub fn mechanism_slot(scenario: &Scenario, m: Mechanism, pool: Option<usize>) -> u16 {
    let first = causes_before_mechanisms(scenario);
    mechanism_causes(scenario)
        .iter()
        .position(|&(mm, p)| mm == m && (p.is_none() || p == pool))
        .map_or(NONE, |i| (first + i) as u16)
}

/// How many causes come before the mechanisms': the TTL, the
/// authoritative, and every pool of every layer.
fn causes_before_mechanisms(scenario: &Scenario) -> usize {
    causes(scenario).len() - mechanism_causes(scenario).len()
}
