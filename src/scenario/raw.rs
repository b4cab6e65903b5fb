//! The scenario exactly as written: serde structs that mirror the TOML and
//! refuse unknown keys. Values with several written forms (a policy: a
//! preset's name or a table; a distribution: a number or a named table)
//! are enums with their own deserializers, so a table's unknown or missing
//! keys are still reported by name. Durations stay TOML values here: the
//! checker explains a number without a unit better than serde could.

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::fmt;
use toml::Value;

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub name: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub simulation: RawSimulation,
    pub record: RawRecord,
    pub population: RawPopulation,
    pub authoritative: Option<RawAuthoritative>,
    #[serde(default)]
    pub resolver: Vec<RawPool>,
    #[serde(default)]
    pub router: Vec<RawPool>,
    #[serde(default)]
    pub os: Vec<RawPool>,
    #[serde(default)]
    pub app: Vec<RawPool>,
    #[serde(default)]
    pub device: Vec<RawDevice>,
    pub server: Option<RawServer>,
    pub plan: Option<RawPlan>,
}

/// `[plan]`: what the decision needs from the user.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawPlan {
    /// Requests per second (a number) or a rate such as "2000/s".
    pub traffic: Option<Value>,
}

/// A device profile: OS, app and connection drawn together.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawDevice {
    pub name: Option<String>,
    pub share: f64,
    pub os: Option<RawPolicy>,
    pub app: Option<RawPolicy>,
    pub connection: Option<RawConnection>,
    pub restarts_per_day: Option<f64>,
    /// Why the pool is an assumption rather than a measurement.
    pub assumed: Option<String>,
}

/// A preset's name, or a table of keys: how a policy, a server and a
/// connection are each written.
#[derive(Debug, PartialEq)]
pub enum PresetOr<T> {
    Preset(String),
    Table(T),
}

/// What a [`PresetOr`]'s table is, for the message when neither is given.
pub trait Expected {
    const EXPECTING: &'static str;
}

/// The site's servers: a preset's name, or a table of limits.
pub type RawServer = PresetOr<RawServerTable>;

impl Expected for RawServerTable {
    const EXPECTING: &'static str =
        "a server preset name such as \"nginx\" or a table such as { idle_timeout = \"75s\" }";
}

#[derive(Deserialize, Debug, Default, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawServerTable {
    /// Start from this preset; the other keys change it.
    pub preset: Option<String>,
    pub idle_timeout: Option<Value>,
    pub max_age: Option<Value>,
    pub max_requests: Option<i64>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct RawSimulation {
    pub duration: Option<Value>,
    pub warmup: Option<Value>,
    pub bucket: Option<Value>,
    pub runs: Option<i64>,
    pub seed: Option<u64>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawRecord {
    pub ttl: Value,
    pub old: Vec<String>,
    pub new: Vec<String>,
    #[serde(default)]
    pub schedule: Vec<RawStep>,
    pub pick: Option<String>,
    /// The name is an alias: `{ ttl = "300s" }`.
    pub cname: Option<RawCname>,
    /// A weighted shift: `[{ at = "0s", new = 0.1 }, …]`.
    pub weights: Option<Vec<RawWeight>>,
    /// `[record.delegation]`: the change moves the zone to a new provider.
    pub delegation: Option<RawDelegation>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawDelegation {
    pub parent_ttl: Value,
    pub child_ttl: Value,
    pub old_provider: Option<Value>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawCname {
    pub ttl: Value,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawWeight {
    pub at: Value,
    pub new: f64,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    pub at: Value,
    pub ttl: Option<Value>,
    pub addresses: Option<Vec<String>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawPopulation {
    pub households: i64,
    pub devices_per_household: Option<RawSpread>,
    pub requests_per_day: RawSpread,
    pub daily_cycle: Option<RawDailyCycle>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawDailyCycle {
    pub amplitude: f64,
    pub peak_hour: f64,
    #[serde(default)]
    pub change_hour: Option<f64>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawPool {
    pub name: Option<String>,
    pub share: f64,
    pub instances: Option<i64>,
    pub policy: Option<RawPolicy>,
    pub connection: Option<RawConnection>,
    pub restarts_per_day: Option<f64>,
    /// Why the pool is an assumption rather than a measurement.
    pub assumed: Option<String>,
}

/// A keep-alive connection: a client preset's name, or a table.
pub type RawConnection = PresetOr<RawConnectionTable>;

impl Expected for RawConnectionTable {
    const EXPECTING: &'static str =
        "a client preset name such as \"okhttp\" or a table such as { idle_timeout = \"300s\" }";
}

#[derive(Deserialize, Debug, Default, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawConnectionTable {
    /// Start from this client preset; the other keys change it.
    pub preset: Option<String>,
    pub idle_timeout: Option<Value>,
    pub max_age: Option<Value>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawAuthoritative {
    pub secondaries: Option<i64>,
    pub refresh: Option<Value>,
    pub notify: Option<bool>,
    pub notify_delay: Option<Value>,
}

/// A policy: a preset's name, or a table of policy keys.
pub type RawPolicy = PresetOr<Box<RawPolicyTable>>;

impl Expected for Box<RawPolicyTable> {
    const EXPECTING: &'static str =
        "a preset name (see `cachesim presets`) or a table such as { max_ttl = \"1h\" }";
}

#[derive(Deserialize, Debug, Default, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawPolicyTable {
    /// Start from this preset; the other keys change it.
    pub preset: Option<String>,
    pub none: Option<bool>,
    pub fixed_ttl: Option<Value>,
    pub min_ttl: Option<Value>,
    pub max_ttl: Option<Value>,
    pub prefetch: Option<RawPrefetch>,
    pub serve_stale: Option<RawServeStale>,
    pub shards: Option<i64>,
    pub restamp: Option<bool>,
    pub evict_after: Option<Value>,
    pub ttl_factor: Option<f64>,
    pub ttl_addend: Option<Value>,
    pub reload: Option<RawReload>,
    /// Which NS TTL a resolver keeps: "child" or "parent".
    pub ns: Option<String>,
}

/// Prefetch: a fraction of the lifetime (Unbound), or a table with a
/// fixed trigger and the shortest lifetime eligible (BIND).
#[derive(Debug, PartialEq)]
pub enum RawPrefetch {
    Fraction(f64),
    Table(RawPrefetchTable),
}

#[derive(Deserialize, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawPrefetchTable {
    pub fraction: Option<f64>,
    pub trigger: Option<Value>,
    pub eligible: Option<Value>,
}

/// A behaviour a preset may have: `false` turns it off, a table sets it.
#[derive(Debug, PartialEq)]
pub enum Switch<T> {
    Off,
    Table(T),
}

/// The table a [`Switch`] takes, shown as an example when `true` is given.
pub trait SwitchTable {
    const EXAMPLE: &'static str;
}

/// Serve-stale: `false`, or a table of its settings.
pub type RawServeStale = Switch<RawServeStaleTable>;

#[derive(Deserialize, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawServeStaleTable {
    pub max_stale: Option<Value>,
    pub reply_ttl: Option<Value>,
}

impl SwitchTable for RawServeStaleTable {
    const EXAMPLE: &'static str = "{ max_stale = \"1d\", reply_ttl = \"30s\" }";
}

/// nscd's reload: `false`, or a table of its settings.
pub type RawReload = Switch<RawReloadTable>;

#[derive(Deserialize, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawReloadTable {
    pub within: Option<Value>,
    pub count: Option<i64>,
}

impl SwitchTable for RawReloadTable {
    const EXAMPLE: &'static str = "{ within = \"15s\", count = 5 }";
}

/// A quantity that varies: a number (every device the same), or a one-key
/// table naming a distribution and its parameters.
#[derive(Debug, PartialEq)]
pub enum RawSpread {
    Number(f64),
    Fixed { value: f64 },
    Exponential { mean: f64 },
    Lognormal { median: f64, sigma: f64 },
    Pareto { scale: f64, shape: f64 },
}

/// What a distribution accepts, for messages.
pub const SPREADS: &str =
    "a number, or one of { exponential = { mean } }, { lognormal = { median, sigma } }, { pareto = { scale, shape } }";
const SPREAD_NAMES: [&str; 4] = ["exponential", "lognormal", "pareto", "fixed"];

/// The parameters of one named distribution, as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Mean {
    mean: f64,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MedianSigma {
    median: f64,
    sigma: f64,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScaleShape {
    scale: f64,
    shape: f64,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FixedValue {
    value: f64,
}

/// A table written in place of a scalar, deserialized as `T` with its
/// own errors intact.
fn table<'de, T: Deserialize<'de>, A: MapAccess<'de>>(map: A) -> Result<T, A::Error> {
    T::deserialize(de::value::MapAccessDeserializer::new(map))
}

impl<'de, T: Deserialize<'de> + Expected> Deserialize<'de> for PresetOr<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de> + Expected> Visitor<'de> for V<T> {
            type Value = PresetOr<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(T::EXPECTING)
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<PresetOr<T>, E> {
                Ok(PresetOr::Preset(name.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<PresetOr<T>, A::Error> {
                table(map).map(PresetOr::Table)
            }
        }
        deserializer.deserialize_any(V(std::marker::PhantomData))
    }
}

impl<'de> Deserialize<'de> for RawPrefetch {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawPrefetch;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a fraction such as 0.1, or { trigger = \"2s\", eligible = \"9s\" }")
            }
            fn visit_f64<E: de::Error>(self, x: f64) -> Result<RawPrefetch, E> {
                Ok(RawPrefetch::Fraction(x))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<RawPrefetch, E> {
                Ok(RawPrefetch::Fraction(n as f64))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<RawPrefetch, E> {
                Ok(RawPrefetch::Fraction(n as f64))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawPrefetch, A::Error> {
                table(map).map(RawPrefetch::Table)
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl<'de, T: Deserialize<'de> + SwitchTable> Deserialize<'de> for Switch<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de> + SwitchTable> Visitor<'de> for V<T> {
            type Value = Switch<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "false or {}", T::EXAMPLE)
            }
            fn visit_bool<E: de::Error>(self, on: bool) -> Result<Switch<T>, E> {
                if on {
                    Err(E::custom(format!("`true` says too little; give {}", T::EXAMPLE)))
                } else {
                    Ok(Switch::Off)
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Switch<T>, A::Error> {
                table(map).map(Switch::Table)
            }
        }
        deserializer.deserialize_any(V(std::marker::PhantomData))
    }
}

impl<'de> Deserialize<'de> for RawSpread {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawSpread;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(SPREADS)
            }
            fn visit_f64<E: de::Error>(self, x: f64) -> Result<RawSpread, E> {
                Ok(RawSpread::Number(x))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<RawSpread, E> {
                Ok(RawSpread::Number(n as f64))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<RawSpread, E> {
                Ok(RawSpread::Number(n as f64))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawSpread, A::Error> {
                let Some(kind) = map.next_key::<String>()? else {
                    return Err(de::Error::custom(format!("an empty table; accepted: {SPREADS}")));
                };
                let spread = match kind.as_str() {
                    "exponential" => map
                        .next_value::<Mean>()
                        .map(|p| RawSpread::Exponential { mean: p.mean }),
                    "lognormal" => map.next_value::<MedianSigma>().map(|p| RawSpread::Lognormal {
                        median: p.median,
                        sigma: p.sigma,
                    }),
                    "pareto" => map.next_value::<ScaleShape>().map(|p| RawSpread::Pareto {
                        scale: p.scale,
                        shape: p.shape,
                    }),
                    "fixed" => map
                        .next_value::<FixedValue>()
                        .map(|p| RawSpread::Fixed { value: p.value }),
                    other => {
                        let hint = super::did_you_mean(other, SPREAD_NAMES[..3].iter().copied())
                            .map(|s| format!("; did you mean `{s}`?"))
                            .unwrap_or_default();
                        return Err(de::Error::custom(format!(
                            "unknown distribution `{other}`; accepted: {SPREADS}{hint}"
                        )));
                    }
                }?;
                if let Some(second) = map.next_key::<String>()? {
                    return Err(de::Error::custom(format!(
                        "names `{kind}` and `{second}`; give one distribution: {SPREADS}"
                    )));
                }
                Ok(spread)
            }
        }
        deserializer.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T, String> {
        #[derive(Deserialize)]
        struct Wrap<T> {
            v: T,
        }
        toml::from_str::<Wrap<T>>(text)
            .map(|w| w.v)
            .map_err(|e| e.message().to_string())
    }

    #[test]
    fn a_policy_is_a_name_or_a_table() {
        assert_eq!(
            parse::<RawPolicy>("v = \"unbound\""),
            Ok(RawPolicy::Preset("unbound".into()))
        );
        let RawPolicy::Table(t) = parse::<RawPolicy>("v = { preset = \"bind\", restamp = true }").unwrap()
        else {
            panic!("a table");
        };
        assert_eq!((t.preset.as_deref(), t.restamp), (Some("bind"), Some(true)));
        let unknown = parse::<RawPolicy>("v = { tll = \"5m\" }").unwrap_err();
        assert!(unknown.contains("unknown field `tll`"), "{unknown}");
        assert!(parse::<RawPolicy>("v = 5").unwrap_err().contains("a preset name"));
    }

    #[test]
    fn prefetch_and_serve_stale_take_their_short_forms() {
        assert_eq!(parse::<RawPrefetch>("v = 0.1"), Ok(RawPrefetch::Fraction(0.1)));
        assert_eq!(parse::<RawPrefetch>("v = 0"), Ok(RawPrefetch::Fraction(0.0)));
        assert!(matches!(
            parse::<RawPrefetch>("v = { trigger = \"2s\" }"),
            Ok(RawPrefetch::Table(_))
        ));
        assert!(parse::<RawPrefetch>("v = { trigger = \"2s\", x = 1 }")
            .unwrap_err()
            .contains("unknown field `x`"));
        assert_eq!(parse::<RawServeStale>("v = false"), Ok(RawServeStale::Off));
        assert!(parse::<RawServeStale>("v = true").is_err());
        assert_eq!(parse::<RawReload>("v = false"), Ok(RawReload::Off));
        assert!(parse::<RawReload>("v = true").unwrap_err().contains("count = 5"));
    }

    #[test]
    fn a_spread_is_a_number_or_one_named_distribution() {
        assert_eq!(parse::<RawSpread>("v = 3"), Ok(RawSpread::Number(3.0)));
        assert_eq!(
            parse::<RawSpread>("v = { lognormal = { median = 20, sigma = 1.0 } }"),
            Ok(RawSpread::Lognormal {
                median: 20.0,
                sigma: 1.0
            })
        );
        let typo = parse::<RawSpread>("v = { lognormol = { median = 20, sigma = 1.0 } }").unwrap_err();
        assert!(
            typo.contains("unknown distribution `lognormol`") && typo.contains("did you mean `lognormal`"),
            "{typo}"
        );
        let missing = parse::<RawSpread>("v = { pareto = { scale = 1 } }").unwrap_err();
        assert!(missing.contains("missing field `shape`"), "{missing}");
        let extra = parse::<RawSpread>("v = { exponential = { mean = 1, sd = 2 } }").unwrap_err();
        assert!(extra.contains("unknown field `sd`"), "{extra}");
        let two = parse::<RawSpread>("v = { exponential = { mean = 1 }, pareto = { scale = 1, shape = 2 } }")
            .unwrap_err();
        assert!(two.contains("give one distribution"), "{two}");
    }
}
