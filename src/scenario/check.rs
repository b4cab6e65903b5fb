//! The second parsing stage: raw values as written to a checked
//! [`Scenario`], each refusal naming the file, line, key, the value given and
//! what would be accepted.

mod chain;
mod clients;
mod policy;

use super::error::{Locator, ScenarioError};
use super::model::*;
use super::raw::{self, RawPool, RawScenario};
use super::warmup;
use crate::duration::{self, Millis, FOREVER, MAX_DNS_TTL, MINUTE};
use crate::policy::Policy;
use crate::population::{DailyCycle, Spread};
use std::net::IpAddr;
use std::path::Path;
use toml::Value;

/// Second stage: raw values to checked ones, with located errors.
pub(super) struct Checker<'a> {
    locator: Locator<'a>,
    file: &'a str,
    pub(super) warnings: Vec<String>,
}

pub(super) type Checked<T> = Result<T, ScenarioError>;

impl<'a> Checker<'a> {
    pub(super) fn new(locator: Locator<'a>, file: &'a str) -> Checker<'a> {
        Checker {
            locator,
            file,
            warnings: Vec::new(),
        }
    }

    fn fail<T>(&self, key: &str, message: impl Into<String>) -> Checked<T> {
        Err(self.locator.error(self.file, key, message))
    }

    pub(super) fn scenario(&mut self, raw: RawScenario, file: &str) -> Checked<Scenario> {
        let sim = &raw.simulation;
        let Horizon {
            duration,
            bucket,
            warmup,
            runs,
        } = self.horizon(sim)?;
        let record = self.record(&raw.record)?;
        let population = self.population(&raw.population)?;
        let authoritative = self.authoritative(raw.authoritative.as_ref())?;
        let resolvers = self.pools(&raw.resolver, "resolver", true)?;
        let routers = self.pools(&raw.router, "router", false)?;
        let profiles = !raw.device.is_empty();
        let (oses, mut apps) = if profiles {
            self.no_layers_beside_profiles(&raw)?;
            self.devices(&raw.device)?
        } else {
            (
                self.pools(&raw.os, "os", false)?,
                self.pools(&raw.app, "app", false)?,
            )
        };
        // The server's limits live on in each app's connection.
        if let Some(server) = self.server(raw.server.as_ref())? {
            self.limit_connections(&mut apps, &server, profiles);
        }
        let name = raw.name.unwrap_or_else(|| {
            Path::new(file)
                .file_stem()
                .map_or("scenario".into(), |s| s.to_string_lossy().into_owned())
        });
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
            return self.fail(
                "name",
                format!("\"{name}\" cannot name a results folder; use letters, digits and dashes"),
            );
        }
        let scenario = Scenario {
            name,
            description: raw.description.unwrap_or_default(),
            file: file.to_string(),
            content_hash: String::new(),
            text: String::new(),
            overrides: Vec::new(),
            duration,
            warmup,
            bucket,
            runs,
            seed: sim.seed.unwrap_or(1),
            record,
            population,
            authoritative,
            resolvers,
            routers,
            oses,
            apps,
            profiles,
            traffic: self.traffic(raw.plan.as_ref().and_then(|p| p.traffic.as_ref()))?,
            warnings: Vec::new(),
        };
        self.exact_start(&scenario)?;
        Ok(scenario)
    }

    /// `[plan] traffic`: a number of requests per second, or a rate with its unit.
    fn traffic(&self, value: Option<&Value>) -> Checked<Option<f64>> {
        let rate = match value {
            None => return Ok(None),
            Some(Value::Integer(n)) => duration::parse_rate(&n.to_string()),
            Some(Value::Float(x)) => duration::parse_rate(&x.to_string()),
            Some(Value::String(text)) => duration::parse_rate(text),
            Some(other) => Err(duration::RateError::NotARate {
                text: other.to_string(),
            }),
        };
        match rate {
            Ok(r) => Ok(Some(r)),
            Err(e) => self.fail(
                "plan.traffic",
                format!("{e}; it is the site's requests per second to this name, averaged over a day"),
            ),
        }
    }

    /// `[simulation]`'s horizon, bucket, warm-up and runs.
    fn horizon(&self, sim: &raw::RawSimulation) -> Checked<Horizon> {
        let duration =
            self.optional_duration(sim.duration.as_ref(), "simulation.duration", 48 * duration::HOUR)?;
        if duration <= 0 || duration >= FOREVER {
            return self.fail(
                "simulation.duration",
                format!(
                    "must be a positive, finite duration; got {}",
                    duration::human(duration)
                ),
            );
        }
        let bucket = self.optional_duration(sim.bucket.as_ref(), "simulation.bucket", 5 * MINUTE)?;
        if bucket <= 0 {
            return self.fail("simulation.bucket", "must be longer than 0, e.g. \"5m\"");
        }
        if bucket > duration {
            return self.fail(
                "simulation.bucket",
                format!(
                    "{} is longer than simulation.duration ({}); use a bucket of at most the horizon",
                    duration::human(bucket),
                    duration::human(duration)
                ),
            );
        }
        if duration / bucket > 1_000_000 {
            return self.fail(
                "simulation.bucket",
                "makes more than a million buckets; use a longer bucket",
            );
        }
        let warmup = match &sim.warmup {
            None => None,
            Some(Value::String(s)) if s == "auto" => None,
            Some(v) => {
                let w = self.duration(v, "simulation.warmup")?;
                if !(0..FOREVER).contains(&w) {
                    return self.fail("simulation.warmup", "must be \"auto\" or a duration of 0 or more");
                }
                Some(w)
            }
        };
        let runs = sim.runs.unwrap_or(32);
        if !(1..=100_000).contains(&runs) {
            return self.fail(
                "simulation.runs",
                format!("{runs} runs: accepted are 1 to 100000"),
            );
        }
        Ok(Horizon {
            duration,
            bucket,
            warmup,
            runs: runs as u32,
        })
    }

    /// Refuses a warm-up too short for the engine's start to be exact:
    /// caches are seeded when the warm-up begins, and only a warm-up of
    /// [`warmup::shortest_exact`] lets nested caches agree with one another
    /// and every cached answer come from the record's timeline.
    fn exact_start(&self, scenario: &Scenario) -> Checked<()> {
        let Some(given) = scenario.warmup else {
            return Ok(());
        };
        let shortest = warmup::shortest_exact(scenario);
        let message = match warmup::inexact(scenario, given) {
            None => return Ok(()),
            Some(warmup::Inexact::TooShort { need }) => format!(
                "{} is too short to start the run exactly: caches are seeded when the warm-up begins, with \
                 the answer the record gives then, and need {} (twice the longest time an answer is kept, \
                 or an OS cache that reloads by itself remembers its start) to agree with one another by \
                 the change; use \"auto\" or at least \"{}\"",
                duration::human(given),
                duration::human(need),
                duration::short(need.max(shortest))
            ),
            Some(warmup::Inexact::BeforeStepForgotten {
                step_at,
                held,
                first_step,
            }) => format!(
                "{} begins {} after the record's step at {} before the change, while answers from before \
                 that step can still be held (up to {} after it), and caches are seeded knowing nothing of \
                 them: begin the warm-up by the first step, long enough for every answer (at least \"{}\"), \
                 or at least {} after the step; \"auto\" takes {}",
                duration::human(given),
                duration::human(-given - step_at),
                duration::human(-step_at),
                duration::human(held),
                duration::short(warmup::from_first_step(scenario).max(-first_step)),
                duration::human(held),
                duration::short(shortest)
            ),
        };
        self.fail("simulation.warmup", message)
    }

    fn duration(&self, value: &Value, key: &str) -> Checked<Millis> {
        match value {
            Value::String(s) => duration::parse_duration(s).or_else(|e| self.fail(key, e.to_string())),
            Value::Integer(n) => self.fail(key, format!("{n} has no unit; write e.g. \"{n}s\" or \"{n}m\"")),
            Value::Float(x) => self.fail(key, format!("{x} has no unit; write e.g. \"{x}s\"")),
            other => self.fail(
                key,
                format!(
                    "expected a duration such as \"60s\" or \"24h\", got {}",
                    other.type_str()
                ),
            ),
        }
    }

    fn optional_duration(&self, value: Option<&Value>, key: &str, default: Millis) -> Checked<Millis> {
        value.map_or(Ok(default), |v| self.duration(v, key))
    }

    fn positive_duration(&self, value: &Value, key: &str) -> Checked<Millis> {
        let d = self.duration(value, key)?;
        if d <= 0 {
            return self.fail(
                key,
                format!(
                    "{} makes no sense here; give a duration longer than 0",
                    duration::human(d)
                ),
            );
        }
        Ok(d)
    }

    /// A DNS TTL: 0 … 2^31−1 s. Larger values are treated as RFC 2181 §8 says.
    fn ttl(&mut self, value: &Value, key: &str) -> Checked<Millis> {
        let ttl = self.duration(value, key)?;
        if ttl < 0 {
            return self.fail(key, "a TTL cannot be negative; accepted: 0s to 2147483647s");
        }
        if ttl > MAX_DNS_TTL {
            // Located like an error, but a warning: the run goes on with TTL 0.
            let warning = self.locator.error(
                self.file,
                key,
                format!(
                    "{} is above 2^31−1 s; RFC 2181 §8 says to treat such a TTL as 0",
                    duration::human(ttl)
                ),
            );
            self.warnings.push(warning.to_string());
            return Ok(0);
        }
        Ok(ttl)
    }

    fn record(&mut self, raw: &raw::RawRecord) -> Checked<Record> {
        let ttl = self.ttl(&raw.ttl, "record.ttl")?;
        let mut addresses: Vec<String> = Vec::new();
        let old = self.address_set(&raw.old, "record.old", &mut addresses)?;
        let new = self.address_set(&raw.new, "record.new", &mut addresses)?;
        if old == new {
            return self.fail(
                "record.new",
                "lists the same addresses as record.old: nothing would change",
            );
        }
        // Steps change the TTL and/or the addresses from their time on.
        let mut steps: Vec<(Millis, Option<Millis>, Option<u64>)> = vec![(0, None, Some(new))];
        for (i, step) in raw.schedule.iter().enumerate() {
            let key = format!("record.schedule.{i}");
            let at = self.duration(&step.at, &format!("{key}.at"))?;
            let ttl = step
                .ttl
                .as_ref()
                .map(|v| self.ttl(v, &format!("{key}.ttl")))
                .transpose()?;
            let addrs = match &step.addresses {
                Some(list) => Some(self.address_set(list, &format!("{key}.addresses"), &mut addresses)?),
                None => None,
            };
            if ttl.is_none() && addrs.is_none() {
                return self.fail(
                    &key,
                    "a step changes `ttl`, `addresses` or both; this one changes nothing",
                );
            }
            if at == 0 && addrs.is_some() {
                return self.fail(
                    &format!("{key}.addresses"),
                    "the switch at 0 is record.new; give addresses changing at 0 there",
                );
            }
            steps.push((at, ttl, addrs));
        }
        steps.sort_by_key(|s| s.0);
        let mut versions = vec![Version {
            start: Millis::MIN,
            ttl,
            addresses: old,
        }];
        for (at, ttl, addrs) in steps {
            let last = *versions.last().expect("versions start non-empty");
            let next = Version {
                start: at,
                ttl: ttl.unwrap_or(last.ttl),
                addresses: addrs.unwrap_or(last.addresses),
            };
            if last.start == at {
                *versions.last_mut().expect("non-empty") = next;
            } else {
                versions.push(next);
            }
        }
        let rotate = match raw.pick.as_deref() {
            None | Some("random") => false,
            Some("rotate") => true,
            Some(other) => {
                return self.fail("record.pick", format!("\"{other}\": accepted are \"random\" (clients pick any address) and \"rotate\" (servers rotate the order, clients take the first)"));
            }
        };
        let (alias, weights, delegation) = self.chain(raw)?;
        Ok(Record {
            addresses,
            versions,
            rotate,
            alias,
            weights,
            delegation,
        })
    }

    fn address_set(&self, list: &[String], key: &str, all: &mut Vec<String>) -> Checked<u64> {
        if list.is_empty() {
            return self.fail(
                key,
                "is empty; give at least one IP address, e.g. [\"203.0.113.10\"]",
            );
        }
        let mut mask = 0u64;
        for (i, text) in list.iter().enumerate() {
            let ip: IpAddr = match text.parse() {
                Ok(ip) => ip,
                Err(_) => {
                    return self.fail(
                        &format!("{key}.{i}"),
                        format!("\"{text}\" is not an IPv4 or IPv6 address"),
                    )
                }
            };
            let canonical = ip.to_string();
            let index = match all.iter().position(|a| *a == canonical) {
                Some(i) => i,
                None => {
                    if all.len() == MAX_ADDRESSES {
                        return self.fail(
                            key,
                            format!("a record may use at most {MAX_ADDRESSES} distinct addresses"),
                        );
                    }
                    all.push(canonical);
                    all.len() - 1
                }
            };
            if mask & (1 << index) != 0 {
                return self.fail(&format!("{key}.{i}"), format!("\"{text}\" is listed twice"));
            }
            mask |= 1 << index;
        }
        Ok(mask)
    }

    fn authoritative(&self, raw: Option<&raw::RawAuthoritative>) -> Checked<Authoritative> {
        let mut a = Authoritative::default();
        let Some(raw) = raw else { return Ok(a) };
        let secondaries = raw.secondaries.unwrap_or(0);
        if !(0..=64).contains(&secondaries) {
            return self.fail(
                "authoritative.secondaries",
                format!("{secondaries}: accepted are 0 to 64 secondary servers"),
            );
        }
        a.secondaries = secondaries as u32;
        if let Some(v) = &raw.refresh {
            a.refresh = self.positive_duration(v, "authoritative.refresh")?;
        }
        if let Some(v) = &raw.notify_delay {
            a.notify_delay = Some(self.lifetime(v, "authoritative.notify_delay")?);
        }
        if raw.notify == Some(false) {
            a.notify_delay = None;
        }
        Ok(a)
    }

    fn population(&self, raw: &raw::RawPopulation) -> Checked<Population> {
        if !(1..=1_000_000_000).contains(&raw.households) {
            return self.fail(
                "population.households",
                format!("{}: accepted are 1 to 1000000000 households", raw.households),
            );
        }
        let devices_per_household = match &raw.devices_per_household {
            None => Spread::Fixed(1.0),
            Some(v) => self.spread(v, "population.devices_per_household")?,
        };
        let requests_per_day = self.spread(&raw.requests_per_day, "population.requests_per_day")?;
        let daily_cycle = match &raw.daily_cycle {
            None => None,
            Some(c) => {
                if !(0.0..1.0).contains(&c.amplitude) {
                    return self.fail(
                        "population.daily_cycle.amplitude",
                        format!("{}: accepted are 0 (flat) up to but not including 1", c.amplitude),
                    );
                }
                if !(0.0..24.0).contains(&c.peak_hour) {
                    return self.fail(
                        "population.daily_cycle.peak_hour",
                        format!("{}: accepted are hours 0 to 24", c.peak_hour),
                    );
                }
                let change_hour = c.change_hour.unwrap_or(14.0);
                if !(0.0..24.0).contains(&change_hour) {
                    return self.fail(
                        "population.daily_cycle.change_hour",
                        format!("{change_hour}: accepted are hours 0 to 24"),
                    );
                }
                Some(DailyCycle {
                    amplitude: c.amplitude,
                    peak_hour: c.peak_hour,
                    change_hour,
                })
            }
        };
        Ok(Population {
            households: raw.households as u64,
            devices_per_household,
            requests_per_day,
            daily_cycle,
        })
    }

    /// A cache lifetime: 0 or more, `forever` allowed.
    fn lifetime(&self, value: &Value, key: &str) -> Checked<Millis> {
        let d = self.duration(value, key)?;
        if d < 0 {
            return self.fail(key, "cannot be negative");
        }
        Ok(d)
    }

    fn pools(&self, raw: &[RawPool], layer: &str, shared: bool) -> Checked<Vec<Pool>> {
        if raw.len() > MAX_POOLS {
            return self.fail(
                layer,
                format!("{} [[{layer}]] entries; accepted: at most {MAX_POOLS}", raw.len()),
            );
        }
        let mut pools = Vec::with_capacity(raw.len());
        for (i, p) in raw.iter().enumerate() {
            let key = format!("{layer}.{i}");
            self.share(p.share, &format!("{key}.share"))?;
            let instances = p.instances.unwrap_or(1);
            if !shared && p.instances.is_some() {
                return self.fail(
                    &format!("{key}.instances"),
                    format!(
                        "only resolvers are shared between households; a {layer} cache belongs to one {}",
                        if layer == "router" { "household" } else { "device" }
                    ),
                );
            }
            if !(1..=10_000_000).contains(&instances) {
                return self.fail(
                    &format!("{key}.instances"),
                    format!("{instances}: accepted are 1 to 10000000"),
                );
            }
            let policy = match &p.policy {
                None => Policy::default(),
                Some(v) => self.policy(v, &format!("{key}.policy"))?,
            };
            self.reload_only_at_os(&policy, layer, &format!("{key}.policy.reload"))?;
            let connection = match &p.connection {
                None => None,
                Some(_) if layer != "app" => {
                    return self.fail(
                        &format!("{key}.connection"),
                        "keep-alive connections belong to apps: move it to an [[app]] entry",
                    )
                }
                Some(c) => Some(self.connection(c, &format!("{key}.connection"))?),
            };
            let restarts_per_day = self.restarts(p.restarts_per_day, &format!("{key}.restarts_per_day"))?;
            if restarts_per_day > 0.0 && layer != "app" {
                return self.fail(
                    &format!("{key}.restarts_per_day"),
                    "restarts clear an app's cache: set it on an [[app]] entry",
                );
            }
            pools.push(Pool {
                name: p.name.clone().unwrap_or_else(|| format!("{layer}-{i}")),
                share: p.share,
                instances: instances as u32,
                policy,
                connection,
                restarts_per_day,
                assumed: self.assumed(p.assumed.as_deref(), &format!("{key}.assumed"))?,
            });
        }
        self.shares_add_up(&pools, layer)?;
        Ok(pools)
    }

    /// Refuses shares of a layer's entries that do not add up to 1.
    fn shares_add_up(&self, pools: &[Pool], layer: &str) -> Checked<()> {
        let total: f64 = pools.iter().map(|p| p.share).sum();
        if !pools.is_empty() && (total - 1.0).abs() > 1e-6 {
            let list: Vec<String> = pools.iter().map(|p| format!("{} {}", p.name, p.share)).collect();
            return self.fail(
                &format!("{layer}.0.share"),
                format!(
                    "the shares of [[{layer}]] add up to {} ({}); they must add up to 1",
                    // Six decimals: 0.9 (not 0.8999999999999999), 0.9999 (not 1).
                    format!("{total:.6}").trim_end_matches('0').trim_end_matches('.'),
                    list.join(" + ")
                ),
            );
        }
        Ok(())
    }

    /// A share of households or devices: 0 to 1.
    fn share(&self, share: f64, key: &str) -> Checked<f64> {
        if !(0.0..=1.0).contains(&share) {
            return self.fail(key, format!("{share} is not a share; accepted: 0 to 1"));
        }
        Ok(share)
    }
}

#[cfg(test)]
mod tests;

/// `[simulation]` checked: how long, in what buckets, from when, how often.
struct Horizon {
    duration: Millis,
    bucket: Millis,
    warmup: Option<Millis>,
    runs: u32,
}
