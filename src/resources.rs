//! Resource sense: estimate memory and time before simulating, and refuse
//! what would not fit in this machine's memory (unless forced).

use crate::engine::Tally;
use crate::error::{Error, Result};
use crate::scenario::Scenario;

/// Bytes of state per device and per household inside a partition.
pub const BYTES_PER_DEVICE: u64 = 128;
pub const BYTES_PER_HOUSEHOLD: u64 = 48;

/// Peak memory estimate: the largest partitions live at once on every
/// thread, plus one tally per run.
pub fn estimate_memory(scenario: &Scenario, threads: usize) -> u64 {
    let devices_per_household = scenario.population.devices_per_household.mean().min(1000.0);
    let largest = scenario.population.households
        / scenario
            .resolvers
            .iter()
            .map(|r| r.instances as u64)
            .sum::<u64>()
            .max(1);
    let partition = largest as f64
        * (BYTES_PER_HOUSEHOLD as f64 + devices_per_household * (BYTES_PER_DEVICE as f64 + 24.0));
    let buckets = (scenario.duration / scenario.bucket + 1) as u64;
    let tally = buckets * (Tally::new(0, scenario.record.addresses.len()).width as u64) * 8;
    (partition as u64) * threads as u64 * 2 + tally * (scenario.runs as u64 + threads as u64 * 4)
}

/// Memory this machine has available, from /proc/meminfo.
fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

pub fn check(scenario: &Scenario, force: bool) -> Result<()> {
    let threads = rayon::current_num_threads().max(1);
    let need = estimate_memory(scenario, threads);
    if let Some(have) = available_memory() {
        if need > have / 10 * 9 && !force {
            return Err(Error::Usage(format!(
                "{}: this scenario needs about {:.1} GiB of memory and {:.1} GiB are available; \
                 use more resolver instances, fewer households or a longer bucket, or --force to try anyway",
                scenario.file,
                need as f64 / (1u64 << 30) as f64,
                have as f64 / (1u64 << 30) as f64
            )));
        }
    }
    Ok(())
}
