//! Resource sense: estimate memory and time before simulating, and refuse
//! what would not fit in this machine's memory (unless forced).

use crate::engine::{Tally, BYTES_PER_DEVICE, BYTES_PER_HOUSEHOLD};
use crate::error::{Error, Result};
use crate::scenario::Scenario;

/// The most households one partition (a resolver cache and its households) holds.
fn largest_partition(scenario: &Scenario) -> f64 {
    let households = scenario.population.households as f64;
    if scenario.resolvers.is_empty() {
        return households.min(512.0);
    }
    scenario
        .resolvers
        .iter()
        .map(|r| (households * r.share / r.instances as f64).ceil())
        .fold(0.0, f64::max)
}

/// Peak memory estimate: the largest partitions live at once on every
/// thread, plus one tally per run.
pub fn estimate_memory(scenario: &Scenario, threads: usize) -> u64 {
    let devices_per_household = scenario.population.devices_per_household.mean().min(1000.0);
    let partition = largest_partition(scenario)
        * (BYTES_PER_HOUSEHOLD as f64 + devices_per_household * BYTES_PER_DEVICE as f64);
    let buckets = (scenario.duration / scenario.bucket + 1) as u64;
    let tally = buckets
        * (Tally::new(
            0,
            scenario.record.addresses.len(),
            crate::engine::cause::causes(scenario).len(),
        )
        .width as u64)
        * 8;
    (partition as u64) * threads as u64 * 2 + tally * (scenario.runs as u64 + threads as u64 * 4)
}

/// Requests after the change over all runs, from the mean rates (warm-up
/// comes on top): what the run will cost.
pub fn estimate_requests(scenario: &Scenario) -> f64 {
    let p = &scenario.population;
    let per_device_day = p
        .requests_per_day
        .mean()
        .min(crate::population::MAX_REQUESTS_PER_DAY);
    p.households as f64
        * p.devices_per_household.mean().min(1000.0)
        * per_device_day
        * scenario.duration as f64
        / crate::duration::DAY as f64
        * scenario.runs as f64
}

/// Requests per second and thread this machine simulates on realistic
/// mixes: the basis of the time estimate.
pub const REQUESTS_PER_THREAD_SECOND: f64 = 4.5e7;

/// What a run is expected to cost in time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cost {
    pub requests: f64,
    pub seconds: f64,
    pub threads: usize,
}

/// Memory this machine has available, from /proc/meminfo.
fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Refuses what would not fit in memory (unless `force`); returns what the
/// run is expected to cost on the current thread pool.
pub fn check(scenario: &Scenario, force: bool) -> Result<Cost> {
    let threads = rayon::current_num_threads().max(1);
    let need = estimate_memory(scenario, threads);
    if let Some(available) = available_memory() {
        if need > available / 10 * 9 && !force {
            return Err(Error::TooBig {
                file: scenario.file.clone(),
                need,
                available,
            });
        }
    }
    let requests = estimate_requests(scenario);
    Ok(Cost {
        requests,
        seconds: requests / (REQUESTS_PER_THREAD_SECOND * threads as f64),
        threads,
    })
}
