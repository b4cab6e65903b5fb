//! Scenario files: TOML in, a validated [`Scenario`] out. Parsing happens in
//! two stages (raw serde structs that mirror the file, then checked values), so
//! the engine never sees a bad parameter and every refusal names the file,
//! line, key, the value given and what would be accepted.

// A located error is large, but it is built once, on the way out.
#![allow(clippy::result_large_err)]

mod error;
mod overrides;
mod raw;

pub use error::{did_you_mean, ScenarioError};
pub use overrides::Override;

use crate::duration::{self, Millis, FOREVER, MAX_DNS_TTL, MINUTE};
use crate::policy::{self, Policy, Prefetch, ServeStale};
use crate::population::{DailyCycle, Spread};
use error::Locator;
use raw::{RawPool, RawScenario};
use std::net::IpAddr;
use std::path::Path;
use toml::{Table, Value};

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
}

/// An app's keep-alive connection: requests on it need no lookup.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Connection {
    pub idle_timeout: Millis,
    pub max_age: Millis,
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

    /// The longest TTL the record ever carries.
    pub fn longest_ttl(&self) -> Millis {
        self.versions.iter().map(|v| v.ttl).max().unwrap_or(0)
    }

    /// Whether some answer carries several addresses (DNS load balancing).
    pub fn load_balanced(&self) -> bool {
        self.versions.iter().any(|v| v.addresses.count_ones() > 1)
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

/// Reads and validates a scenario file, applying `--set` overrides first.
pub fn load(path: &Path, overrides: &[Override]) -> Result<Scenario, ScenarioError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
        file: file.clone(),
        line: None,
        column: None,
        key: None,
        from_override: None,
        message: format!("cannot read the scenario file: {e}"),
    })?;
    parse(&text, &file, overrides)
}

/// Validates scenario text; `file` names it in errors.
pub fn parse(text: &str, file: &str, overrides: &[Override]) -> Result<Scenario, ScenarioError> {
    let locator = Locator::new(
        text,
        overrides
            .iter()
            .map(|o| (o.path.clone(), o.argument.clone()))
            .collect(),
    );
    let mut table: Table = toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map(|s| locator.line_column(s.start)).unzip();
        ScenarioError {
            file: file.to_string(),
            line,
            column,
            key: None,
            from_override: None,
            message: format!("not valid TOML: {}", e.message().trim()),
        }
    })?;
    overrides::apply_all(&mut table, overrides).map_err(|message| ScenarioError {
        file: file.to_string(),
        line: None,
        column: None,
        key: None,
        from_override: None,
        message,
    })?;
    let raw: RawScenario =
        serde_path_to_error::deserialize(Value::Table(table)).map_err(|e| serde_error(&locator, file, e))?;
    let mut hash_input = text.as_bytes().to_vec();
    for o in overrides {
        hash_input.extend_from_slice(b"\n--set ");
        hash_input.extend_from_slice(o.argument.as_bytes());
    }
    let mut checker = Checker {
        locator,
        file,
        warnings: Vec::new(),
    };
    let mut scenario = checker.scenario(raw, file)?;
    scenario.content_hash = format!("{:016x}", fnv1a(&hash_input));
    scenario.warnings = checker.warnings;
    scenario.text = text.to_string();
    scenario.overrides = overrides.iter().map(|o| o.argument.clone()).collect();
    Ok(scenario)
}

/// A 64-bit FNV-1a hash: a stable fingerprint of what produced a result.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn serde_error(
    locator: &Locator,
    file: &str,
    e: serde_path_to_error::Error<toml::de::Error>,
) -> ScenarioError {
    let path: Vec<String> = e
        .path()
        .iter()
        .map(|s| match s {
            serde_path_to_error::Segment::Seq { index } => index.to_string(),
            other => other.to_string(),
        })
        .collect();
    let key = path.join(".");
    let inner = e.inner().message().trim().to_string();
    // serde says "unknown field `x`, expected one of `a`, `b`": add a suggestion.
    if let Some(rest) = inner.strip_prefix("unknown field `") {
        let (given, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let accepted: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        let full = if key.ends_with(given) {
            key.clone()
        } else if key.is_empty() {
            given.to_string()
        } else {
            format!("{key}.{given}")
        };
        let hint = did_you_mean(given, accepted.iter().copied())
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        return locator.error(
            file,
            &full,
            format!(
                "unknown key `{given}`; accepted here: {}{hint}",
                accepted.join(", ")
            ),
        );
    }
    if let Some(field) = inner.strip_prefix("missing field `") {
        let field = field.trim_end_matches('`');
        let full = if key.is_empty() {
            field.to_string()
        } else {
            format!("{key}.{field}")
        };
        let mut err = locator.error(file, &key, format!("required key `{full}` is missing"));
        err.key = Some(full);
        return err;
    }
    locator.error(file, &key, inner)
}

/// Second stage: raw values to checked ones, with located errors.
struct Checker<'a> {
    locator: Locator<'a>,
    file: &'a str,
    warnings: Vec<String>,
}

type Checked<T> = Result<T, ScenarioError>;

impl Checker<'_> {
    fn fail<T>(&self, key: &str, message: impl Into<String>) -> Checked<T> {
        Err(self.locator.error(self.file, key, message))
    }

    fn scenario(&mut self, raw: RawScenario, file: &str) -> Checked<Scenario> {
        let sim = &raw.simulation;
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
        let record = self.record(&raw.record)?;
        let population = self.population(&raw.population)?;
        let authoritative = self.authoritative(raw.authoritative.as_ref())?;
        let resolvers = self.pools(&raw.resolver, "resolver", true)?;
        let routers = self.pools(&raw.router, "router", false)?;
        let oses = self.pools(&raw.os, "os", false)?;
        let apps = self.pools(&raw.app, "app", false)?;
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
        Ok(Scenario {
            name,
            description: raw.description.unwrap_or_default(),
            file: file.to_string(),
            content_hash: String::new(),
            text: String::new(),
            overrides: Vec::new(),
            duration,
            warmup,
            bucket,
            runs: runs as u32,
            seed: sim.seed.unwrap_or(1),
            record,
            population,
            authoritative,
            resolvers,
            routers,
            oses,
            apps,
            warnings: Vec::new(),
        })
    }

    fn duration(&self, value: &Value, key: &str) -> Checked<Millis> {
        match value {
            Value::String(s) => duration::parse_duration(s).or_else(|e| self.fail(key, e)),
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
        Ok(Record {
            addresses,
            versions,
            rotate,
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

    /// A number, or a one-key table naming a distribution and its parameters.
    fn spread(&self, value: &Value, key: &str) -> Checked<Spread> {
        const ACCEPTED: &str = "a number, or one of { exponential = { mean } }, { lognormal = { median, sigma } }, { pareto = { scale, shape } }";
        let number = |v: Option<&Value>, name: &str| -> Checked<f64> {
            match v {
                Some(Value::Integer(n)) => Ok(*n as f64),
                Some(Value::Float(x)) => Ok(*x),
                Some(other) => self.fail(
                    &format!("{key}.{name}"),
                    format!("expected a number, got {}", other.type_str()),
                ),
                None => self.fail(key, format!("`{name}` is missing")),
            }
        };
        let result = match value {
            Value::Integer(n) => Spread::fixed(*n as f64),
            Value::Float(x) => Spread::fixed(*x),
            Value::Table(t) if t.len() == 1 => {
                let (kind, params) = t.iter().next().expect("one entry");
                let params = match params {
                    Value::Table(p) => p,
                    _ => {
                        return self.fail(
                            key,
                            format!("`{kind}` needs a table of parameters; accepted: {ACCEPTED}"),
                        )
                    }
                };
                let allowed: &[&str] = match kind.as_str() {
                    "exponential" => &["mean"],
                    "lognormal" => &["median", "sigma"],
                    "pareto" => &["scale", "shape"],
                    "fixed" => &["value"],
                    _ => {
                        let hint = did_you_mean(kind, ["exponential", "lognormal", "pareto"])
                            .map(|s| format!("; did you mean `{s}`?"))
                            .unwrap_or_default();
                        return self.fail(
                            &format!("{key}.{kind}"),
                            format!("unknown distribution `{kind}`; accepted: {ACCEPTED}{hint}"),
                        );
                    }
                };
                if let Some(extra) = params.keys().find(|k| !allowed.contains(&k.as_str())) {
                    return self.fail(
                        &format!("{key}.{kind}.{extra}"),
                        format!(
                            "unknown parameter `{extra}`; `{kind}` takes {}",
                            allowed.join(", ")
                        ),
                    );
                }
                let p = |name| number(params.get(name), name);
                match kind.as_str() {
                    "exponential" => Spread::exponential(p("mean")?),
                    "lognormal" => Spread::lognormal(p("median")?, p("sigma")?),
                    "pareto" => Spread::pareto(p("scale")?, p("shape")?),
                    _ => Spread::fixed(p("value")?),
                }
            }
            other => return self.fail(key, format!("got {}; accepted: {ACCEPTED}", describe(other))),
        };
        result.or_else(|e| self.fail(key, e))
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
            if !(0.0..=1.0).contains(&p.share) {
                return self.fail(
                    &format!("{key}.share"),
                    format!("{} is not a share; accepted: 0 to 1", p.share),
                );
            }
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
            let connection = match &p.connection {
                None => None,
                Some(_) if layer != "app" => {
                    return self.fail(
                        &format!("{key}.connection"),
                        "keep-alive connections belong to apps: move it to an [[app]] entry",
                    )
                }
                Some(c) => Some(Connection {
                    idle_timeout: self
                        .positive_duration(&c.idle_timeout, &format!("{key}.connection.idle_timeout"))?,
                    max_age: match &c.max_age {
                        None => FOREVER,
                        Some(v) => self.positive_duration(v, &format!("{key}.connection.max_age"))?,
                    },
                }),
            };
            let restarts_per_day = p.restarts_per_day.unwrap_or(0.0);
            if !(restarts_per_day.is_finite() && restarts_per_day >= 0.0) {
                return self.fail(
                    &format!("{key}.restarts_per_day"),
                    format!("{restarts_per_day}: accepted is a rate of 0 or more"),
                );
            }
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
            });
        }
        let total: f64 = pools.iter().map(|p| p.share).sum();
        if !pools.is_empty() && (total - 1.0).abs() > 1e-6 {
            let list: Vec<String> = pools.iter().map(|p| format!("{} {}", p.name, p.share)).collect();
            return self.fail(
                &format!("{layer}.0.share"),
                format!(
                    "the shares of [[{layer}]] add up to {total} ({}); they must add up to 1",
                    list.join(" + ")
                ),
            );
        }
        Ok(pools)
    }

    /// A preset name, or a table of policy keys (optionally starting from `preset`).
    fn policy(&self, value: &Value, key: &str) -> Checked<Policy> {
        match value {
            Value::String(name) => self.preset(name, key),
            Value::Table(t) => {
                let mut policy = match t.get("preset") {
                    Some(Value::String(name)) => self.preset(name, &format!("{key}.preset"))?,
                    Some(other) => return self.fail(&format!("{key}.preset"), format!("expected a preset name, got {}", describe(other))),
                    None => Policy::default(),
                };
                for (name, v) in t {
                    let k = format!("{key}.{name}");
                    match name.as_str() {
                        "preset" => {}
                        "none" => policy.caches = !self.boolean(v, &k)?,
                        "fixed_ttl" => policy.fixed_ttl = Some(self.lifetime(v, &k)?),
                        "min_ttl" => policy.min_ttl = self.lifetime(v, &k)?,
                        "max_ttl" => policy.max_ttl = self.lifetime(v, &k)?,
                        "restamp" => policy.restamp = self.boolean(v, &k)?,
                        "shards" => match v {
                            Value::Integer(n) if (1..=1024).contains(n) => policy.shards = *n as u32,
                            other => return self.fail(&k, format!("{}: accepted are whole numbers 1 to 1024", describe(other))),
                        },
                        "evict_after" => {
                            policy.evict_after = match v {
                                Value::Integer(0) => None,
                                v => Some(self.positive_duration(v, &k)?),
                            }
                        }
                        "prefetch" => policy.prefetch = self.prefetch(v, &k)?,
                        "serve_stale" => policy.serve_stale = self.serve_stale(v, &k)?,
                        other => {
                            const KEYS: [&str; 10] = ["preset", "none", "fixed_ttl", "min_ttl", "max_ttl", "prefetch", "serve_stale", "shards", "restamp", "evict_after"];
                            let hint = did_you_mean(other, KEYS).map(|s| format!("; did you mean `{s}`?")).unwrap_or_default();
                            return self.fail(&k, format!("unknown policy key `{other}`; accepted: {}{hint}", KEYS.join(", ")));
                        }
                    }
                }
                if policy.min_ttl > policy.max_ttl {
                    return self.fail(&format!("{key}.min_ttl"), format!("min_ttl {} is above max_ttl {}", duration::human(policy.min_ttl), duration::human(policy.max_ttl)));
                }
                Ok(policy)
            }
            other => self.fail(key, format!("got {}; accepted: a preset name (see `cachesim presets`) or a table such as {{ max_ttl = \"1h\" }}", describe(other))),
        }
    }

    fn preset(&self, name: &str, key: &str) -> Checked<Policy> {
        if let Some(p) = policy::preset(name) {
            return Ok(p.policy.clone());
        }
        let all = policy::PRESETS;
        let names: Vec<&str> = all.iter().map(|p| p.name).collect();
        let hint = did_you_mean(name, names.iter().copied())
            .map(|s| format!("did you mean \"{s}\"? "))
            .unwrap_or_default();
        self.fail(
            key,
            format!(
                "unknown preset \"{name}\"; {hint}known presets: {}",
                names.join(", ")
            ),
        )
    }

    /// A cache lifetime: 0 or more, `forever` allowed.
    fn lifetime(&self, value: &Value, key: &str) -> Checked<Millis> {
        let d = self.duration(value, key)?;
        if d < 0 {
            return self.fail(key, "cannot be negative");
        }
        Ok(d)
    }

    fn boolean(&self, value: &Value, key: &str) -> Checked<bool> {
        match value {
            Value::Boolean(b) => Ok(*b),
            other => self.fail(key, format!("expected true or false, got {}", describe(other))),
        }
    }

    fn fraction(&self, value: &Value, key: &str) -> Checked<f64> {
        let x = match value {
            Value::Float(x) => *x,
            Value::Integer(n) => *n as f64,
            other => {
                return self.fail(
                    key,
                    format!("expected a fraction between 0 and 1, got {}", describe(other)),
                )
            }
        };
        if !(0.0..1.0).contains(&x) {
            return self.fail(
                key,
                format!("{x}: accepted is a fraction from 0 up to but not including 1"),
            );
        }
        Ok(x)
    }

    fn prefetch(&self, value: &Value, key: &str) -> Checked<Option<Prefetch>> {
        let prefetch = match value {
            Value::Table(t) => {
                for k in t.keys() {
                    if !["fraction", "trigger", "eligible"].contains(&k.as_str()) {
                        return self.fail(
                            &format!("{key}.{k}"),
                            "unknown key; prefetch takes fraction, trigger, eligible",
                        );
                    }
                }
                Prefetch {
                    fraction: t
                        .get("fraction")
                        .map_or(Ok(0.0), |v| self.fraction(v, &format!("{key}.fraction")))?,
                    trigger: t
                        .get("trigger")
                        .map_or(Ok(0), |v| self.lifetime(v, &format!("{key}.trigger")))?,
                    eligible: t
                        .get("eligible")
                        .map_or(Ok(0), |v| self.lifetime(v, &format!("{key}.eligible")))?,
                }
            }
            v => Prefetch {
                fraction: self.fraction(v, key)?,
                trigger: 0,
                eligible: 0,
            },
        };
        Ok((prefetch.fraction > 0.0 || prefetch.trigger > 0).then_some(prefetch))
    }

    fn serve_stale(&self, value: &Value, key: &str) -> Checked<Option<ServeStale>> {
        match value {
            Value::Boolean(false) => Ok(None),
            Value::Table(t) => {
                for k in t.keys() {
                    if !["max_stale", "reply_ttl"].contains(&k.as_str()) {
                        return self.fail(
                            &format!("{key}.{k}"),
                            "unknown key; serve_stale takes max_stale and reply_ttl",
                        );
                    }
                }
                let max_stale = match t.get("max_stale") {
                    Some(v) => self.positive_duration(v, &format!("{key}.max_stale"))?,
                    None => return self.fail(key, "`max_stale` is missing (RFC 8767 suggests 1 to 3 days)"),
                };
                let reply_ttl = t
                    .get("reply_ttl")
                    .map_or(Ok(30_000), |v| self.lifetime(v, &format!("{key}.reply_ttl")))?;
                Ok(Some(ServeStale { max_stale, reply_ttl }))
            }
            other => self.fail(
                key,
                format!(
                    "got {}; accepted: false or {{ max_stale = \"1d\", reply_ttl = \"30s\" }}",
                    describe(other)
                ),
            ),
        }
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::String(s) => format!("\"{s}\""),
        Value::Table(_) => "a table".into(),
        Value::Array(_) => "a list".into(),
        other => other.to_string(),
    }
}

/// The longest any cache can hold an answer in a chain under `resolver`
/// (`None`: no resolver cache), given the record: how long a warm-up must be
/// for every cache below to reach its steady state.
pub fn longest_chain_lifetime(scenario: &Scenario, resolver: Option<&Policy>) -> Millis {
    let longest = |pools: &[Pool], upstream: Millis| -> Millis {
        if pools.is_empty() {
            return upstream;
        }
        pools
            .iter()
            .map(|p| p.policy.longest_lifetime(upstream))
            .max()
            .unwrap_or(upstream)
    };
    let at_resolver = resolver.map_or(scenario.record.longest_ttl(), |p| {
        p.longest_lifetime(scenario.record.longest_ttl())
    });
    let at_router = longest(&scenario.routers, at_resolver);
    let at_os = longest(&scenario.oses, at_router);
    let at_app = longest(&scenario.apps, at_os);
    // A connection without a maximum age lives as long as its device stays
    // busy; its idle timeout is the part a warm-up can cover.
    let connection = scenario
        .apps
        .iter()
        .filter_map(|a| a.connection)
        .map(|c| {
            if c.max_age >= FOREVER {
                c.idle_timeout
            } else {
                c.max_age
            }
        })
        .max()
        .unwrap_or(0);
    at_resolver.max(at_router).max(at_os).max(at_app).max(connection)
}
