//! The scenario exactly as written: serde structs that mirror the TOML and
//! refuse unknown keys. Polymorphic values (durations, policies,
//! distributions) stay TOML values here and are checked in `validate`.

use serde::Deserialize;
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
    pub devices_per_household: Option<Value>,
    pub requests_per_day: Value,
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
    pub policy: Option<Value>,
    pub connection: Option<RawConnection>,
    pub restarts_per_day: Option<f64>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawConnection {
    pub idle_timeout: Value,
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
