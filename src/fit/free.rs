//! Free keys: `KEY=LO..HI`, any dotted scenario key with a number or a
//! duration, and what a candidate's values become as `--set` overrides.
//! Freeing a pool's `share` rescales the other pools of its layer in
//! proportion, so the shares still add up to 1.

use crate::duration::{self, Millis};
use crate::scenario::{Override, Scenario};
use toml::{Table, Value};

/// One free key and its range.
#[derive(Clone, Debug, PartialEq)]
pub struct FreeKey {
    pub key: String,
    /// The range, in the key's unit (milliseconds for a duration).
    pub lo: f64,
    pub hi: f64,
    pub kind: Kind,
}

/// What kind of value the key holds in the scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Float,
    Integer,
    Duration,
}

/// The value at a dotted key (array entries by index), if there is one.
fn lookup<'a>(table: &'a Table, key: &str) -> Option<&'a Value> {
    let mut parts = key.split('.');
    let mut value = table.get(parts.next()?)?;
    for part in parts {
        value = match value {
            Value::Table(t) => t.get(part)?,
            Value::Array(a) => a.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(value)
}

/// A `--free` argument that cannot be fitted, and what would be.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum FreeKeyError {
    #[error(
        "--free {0}: write KEY=LO..HI, e.g. resolver.1.share=0.01..0.2 or app.0.connection.max_age=1m..2h"
    )]
    Form(String),
    #[error(
        "--free {argument}: the scenario has no key {key}; a free key must be written in the \
         scenario (inline a preset to free one of its values: policy = {{ preset = \"…\", fixed_ttl = \"24h\" }})"
    )]
    NoSuchKey { argument: String, key: String },
    #[error("--free {argument}: {key} is {value}, not a number or a duration")]
    NotANumber {
        argument: String,
        key: String,
        value: String,
    },
    #[error("--free {argument}: {text}: {source}")]
    Duration {
        argument: String,
        text: String,
        source: duration::DurationError,
    },
    #[error("--free {argument}: {text} is not a number")]
    Number { argument: String, text: String },
    #[error("--free {0}: the range must have LO < HI")]
    Empty(String),
    #[error("--free {0}: a share's range lies within 0..1")]
    Share(String),
}

impl From<FreeKeyError> for crate::error::Error {
    fn from(e: FreeKeyError) -> Self {
        crate::error::Error::Input(Box::new(e))
    }
}

impl FreeKey {
    /// Parses `KEY=LO..HI` against the scenario's table (overrides applied).
    pub fn parse(argument: &str, table: &Table) -> Result<FreeKey, FreeKeyError> {
        let form = || FreeKeyError::Form(argument.to_string());
        let (key, range) = argument.split_once('=').ok_or_else(form)?;
        let (lo, hi) = range.split_once("..").ok_or_else(form)?;
        let key = key.trim().to_string();
        let current = lookup(table, &key).ok_or_else(|| FreeKeyError::NoSuchKey {
            argument: argument.to_string(),
            key: key.clone(),
        })?;
        let kind = match current {
            Value::Float(_) => Kind::Float,
            Value::Integer(_) => Kind::Integer,
            Value::String(s) if duration::parse_duration(s).is_ok() => Kind::Duration,
            other => {
                return Err(FreeKeyError::NotANumber {
                    argument: argument.to_string(),
                    key,
                    value: other.to_string(),
                })
            }
        };
        let value = |text: &str| -> Result<f64, FreeKeyError> {
            let text = text.trim();
            match kind {
                Kind::Duration => duration::parse_duration(text)
                    .map(|ms| ms as f64)
                    .map_err(|source| FreeKeyError::Duration {
                        argument: argument.to_string(),
                        text: text.to_string(),
                        source,
                    }),
                _ => text.parse::<f64>().map_err(|_| FreeKeyError::Number {
                    argument: argument.to_string(),
                    text: text.to_string(),
                }),
            }
        };
        let (lo, hi) = (value(lo)?, value(hi)?);
        if lo >= hi || !lo.is_finite() || !hi.is_finite() {
            return Err(FreeKeyError::Empty(argument.to_string()));
        }
        if key.ends_with(".share") && (lo < 0.0 || hi > 1.0) {
            return Err(FreeKeyError::Share(argument.to_string()));
        }
        Ok(FreeKey { key, lo, hi, kind })
    }

    /// The value at `u` (0..1) across the range.
    pub fn at(&self, u: f64) -> f64 {
        let v = self.lo + u.clamp(0.0, 1.0) * (self.hi - self.lo);
        if self.kind == Kind::Integer {
            v.round()
        } else {
            v
        }
    }

    /// A value as the scenario writes it: durations with units.
    pub fn toml_value(&self, v: f64) -> Value {
        match self.kind {
            Kind::Float => Value::Float(v),
            Kind::Integer => Value::Integer(v.round() as i64),
            Kind::Duration => Value::String(duration_text(v.round() as Millis)),
        }
    }

    /// The same as JSON (fit.json).
    pub fn json_value(&self, v: f64) -> serde_json::Value {
        match self.toml_value(v) {
            Value::Float(f) => serde_json::json!(f),
            Value::Integer(i) => serde_json::json!(i),
            Value::String(s) => serde_json::json!(s),
            _ => serde_json::Value::Null,
        }
    }

    /// The value as people read it.
    pub fn human(&self, v: f64) -> String {
        match self.kind {
            Kind::Duration => duration::human(v.round() as Millis),
            Kind::Integer => format!("{}", v.round()),
            Kind::Float => duration::significant(v),
        }
    }
}

/// A duration as the scenario accepts it: "45m", "1h 30m 12s", "250ms";
/// whole seconds from a minute up (finer is noise in a fit).
fn duration_text(ms: Millis) -> String {
    let ms = if ms >= 60_000 {
        (ms + 500) / 1000 * 1000
    } else {
        ms.max(0)
    };
    humantime::format_duration(std::time::Duration::from_millis(ms as u64)).to_string()
}

/// The pools of a layer by its scenario name, with their shares.
fn layer_shares(scenario: &Scenario, layer: &str) -> Option<Vec<f64>> {
    let pools = match layer {
        "resolver" => &scenario.resolvers,
        "router" => &scenario.routers,
        "os" if !scenario.profiles => &scenario.oses,
        "app" if !scenario.profiles => &scenario.apps,
        // A profile's share is its app pool's (and its OS pool's).
        "device" if scenario.profiles => &scenario.apps,
        _ => return None,
    };
    Some(pools.iter().map(|p| p.share).collect())
}

/// A candidate's values as overrides: each free key, then for each layer
/// with a freed share, every other pool's share rescaled in proportion.
/// `None` when the freed shares leave no room (they add up past 1).
pub fn overrides(free: &[FreeKey], values: &[f64], base: &Scenario) -> Option<Vec<Override>> {
    let mut out = Vec::new();
    let mut freed: Vec<(String, usize, f64)> = Vec::new();
    for (k, &v) in free.iter().zip(values) {
        let value = k.toml_value(v);
        out.push(Override {
            path: k.key.clone(),
            argument: format!("{}={value}", k.key),
            written: format!("--free {}", k.key),
            value,
        });
        let parts: Vec<&str> = k.key.split('.').collect();
        if let [layer, index, "share"] = parts[..] {
            if let Ok(index) = index.parse() {
                freed.push((layer.to_string(), index, v));
            }
        }
    }
    out.extend(rescaled(base, &freed, "--free")?);
    Some(out)
}

/// For each layer with shares set (layer, pool index, share), every other
/// pool's share rescaled in proportion so the layer's shares still add up
/// to 1: what `fit` frees and what `serve`'s sliders move. `written` says
/// who set them, for messages. `None` when the set shares leave no room.
pub fn rescaled(base: &Scenario, set: &[(String, usize, f64)], written: &str) -> Option<Vec<Override>> {
    let mut out = Vec::new();
    // Each layer once, in the order first set.
    let mut layers: Vec<&String> = Vec::new();
    for (layer, _, _) in set {
        if !layers.contains(&layer) {
            layers.push(layer);
        }
    }
    for layer in layers {
        let shares = layer_shares(base, layer)?;
        let mine: Vec<&(String, usize, f64)> = set.iter().filter(|(l, _, _)| l == layer).collect();
        let taken: f64 = mine.iter().map(|(_, _, v)| v).sum();
        let rest: f64 = shares
            .iter()
            .enumerate()
            .filter(|(i, _)| !mine.iter().any(|(_, j, _)| j == i))
            .map(|(_, s)| s)
            .sum();
        if taken > 1.0 + 1e-9 || (rest <= 0.0 && (taken - 1.0).abs() > 1e-9) {
            return None;
        }
        for (i, s) in shares.iter().enumerate() {
            if mine.iter().any(|(_, j, _)| *j == i) {
                continue;
            }
            let scaled = if rest > 0.0 { s * (1.0 - taken) / rest } else { 0.0 };
            let path = format!("{layer}.{i}.share");
            out.push(Override {
                argument: format!("{path}={scaled}"),
                written: format!("{written} {path} (rescaled)"),
                path,
                value: Value::Float(scaled),
            });
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        toml::from_str(
            r#"
            [record]
            ttl = "5m"
            [[resolver]]
            share = 0.9
            instances = 20
            [[resolver]]
            share = 0.1
            policy = { fixed_ttl = "24h" }
            "#,
        )
        .unwrap()
    }

    /// Freeing a device profile's share rescales the other profiles.
    #[test]
    fn a_profile_share_rescales_the_other_profiles() {
        let text = "[record]\nttl = \"5m\"\nold = [\"192.0.2.1\"]\nnew = [\"192.0.2.2\"]\n\
                    [population]\nhouseholds = 10\nrequests_per_day = 10\n\
                    [[device]]\nshare = 0.5\n[[device]]\nshare = 0.3\n[[device]]\nshare = 0.2\n";
        let base = crate::scenario::parse(text, "t.toml", &[]).unwrap();
        let t: Table = toml::from_str(text).unwrap();
        let free = [FreeKey::parse("device.0.share=0.1..0.9", &t).unwrap()];
        let out = overrides(&free, &[0.8], &base).expect("room for the others");
        let shares: Vec<(String, String)> = out
            .iter()
            .map(|o| (o.path.clone(), o.value.to_string()))
            .collect();
        assert_eq!(shares[0], ("device.0.share".to_string(), "0.8".to_string()));
        let rest: f64 = out[1..].iter().map(|o| o.value.as_float().unwrap()).sum();
        assert!((rest - 0.2).abs() < 1e-12, "{shares:?}");
    }

    #[test]
    fn free_keys_parse_by_the_kind_of_their_value() {
        let t = table();
        let share = FreeKey::parse("resolver.1.share=0.01..0.3", &t).unwrap();
        assert_eq!((share.kind, share.lo, share.hi), (Kind::Float, 0.01, 0.3));
        let pin = FreeKey::parse("resolver.1.policy.fixed_ttl=1h..2d", &t).unwrap();
        assert_eq!(
            (pin.kind, pin.lo, pin.hi),
            (Kind::Duration, 3_600_000.0, 172_800_000.0)
        );
        assert_eq!(pin.toml_value(5_400_000.0), Value::String("1h 30m".into()));
        assert_eq!(pin.toml_value(21_543_750.0), Value::String("5h 59m 4s".into()));
        assert_eq!(
            FreeKey::parse("resolver.0.instances=5..50", &t).unwrap().kind,
            Kind::Integer
        );
        for (bad, needle) in [
            ("resolver.2.share=0..1", "no key"),
            ("record.ttl=5..10", "5"),
            ("resolver.1.share=0.3..0.1", "LO < HI"),
            ("resolver.1.share=0.1..1.5", "within 0..1"),
            ("resolver.1.share", "KEY=LO..HI"),
            ("resolver.1.policy=1..2", "not a number"),
        ] {
            let e = FreeKey::parse(bad, &t).unwrap_err().to_string();
            assert!(e.contains(needle), "{bad}: {e}");
        }
    }
}
