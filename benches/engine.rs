//! Engine throughput: simulated requests per second for one replica, by
//! population size and by layer mix. `cargo bench` prints items/s = requests/s.

use cachesim::engine::{Model, Shortcuts};
use cachesim::scenario;
use divan::counter::ItemsCount;
use divan::Bencher;

fn main() {
    divan::main();
}

/// Requests per device and day: most devices light, a few heavy.
const TYPICAL_TRAFFIC: &str = "{ lognormal = { median = 20, sigma = 1.0 } }";
/// A heavier tail: the top 1 % of devices make a third of the requests,
/// mostly over open keep-alive connections.
const HEAVY_TAIL_TRAFFIC: &str = "{ lognormal = { median = 10, sigma = 2.0 } }";
/// Every device busy: a request every 8.6 s on average.
const BUSY_TRAFFIC: &str = "10000";

/// A scenario with `households` households (two devices each) and the given layers.
fn scenario_text(households: u64, layers: &str) -> String {
    scenario_with_traffic(households, TYPICAL_TRAFFIC, layers)
}

fn scenario_with_traffic(households: u64, traffic: &str, layers: &str) -> String {
    format!(
        r#"
name = "bench"
[simulation]
duration = "6h"
bucket = "5m"
runs = 1
seed = 1
[record]
ttl = "5m"
old = ["203.0.113.10"]
new = ["198.51.100.20"]
[population]
households = {households}
devices_per_household = 2
requests_per_day = {traffic}
{layers}
"#
    )
}

const REALISTIC: &str = r#"
[[resolver]]
share = 0.9
instances = 200
policy = "unbound"
[[resolver]]
share = 0.05
instances = 10
policy = "isp-min-1h"
[[resolver]]
share = 0.05
instances = 10
policy = "isp-pin-24h"
[[router]]
share = 1.0
policy = "dnsmasq"
[[os]]
share = 1.0
policy = "windows"
[[app]]
share = 0.6
policy = "firefox-legacy"
connection = { idle_timeout = "115s" }
[[app]]
share = 0.4
policy = "ie"
"#;

const RESOLVER_ONLY: &str = r#"
[[resolver]]
share = 1.0
instances = 200
policy = "unbound"
"#;

const PINNED_APP: &str = r#"
[[resolver]]
share = 1.0
instances = 10
policy = "unbound"
[[app]]
share = 1.0
policy = "ie"
"#;

const KEEPALIVE: &str = r#"
[[resolver]]
share = 1.0
instances = 10
policy = "unbound"
[[os]]
share = 1.0
policy = "windows"
[[app]]
share = 1.0
policy = "chrome"
connection = { idle_timeout = "300s", max_age = "1h" }
"#;

/// Device profiles behind nginx's keep-alive limits: laptops with Chrome,
/// phones whose apps keep OkHttp connections, JVM services; the server
/// closes idle connections after 75 s, any after 1 h or 1000 requests.
const PROFILES_WITH_SERVER: &str = r#"
[[resolver]]
share = 1.0
instances = 50
policy = "unbound"
[[router]]
share = 1.0
policy = "dnsmasq"
[[device]]
name = "windows-chrome"
share = 0.5
os = "windows"
app = "chrome"
connection = { idle_timeout = "300s" }
restarts_per_day = 2
[[device]]
name = "android-app"
share = 0.4
os = "android"
connection = { idle_timeout = "300s" }
[[device]]
name = "jvm-service"
share = 0.1
app = "java"
connection = { idle_timeout = "5s" }
"#;

fn throughput(bencher: Bencher, text: &str) {
    throughput_with(bencher, text, Shortcuts::default());
}

/// [`throughput_of`] the scenario `text`.
fn throughput_with(bencher: Bencher, text: &str, shortcuts: Shortcuts) {
    let s = scenario::parse(text, "bench.toml", &[]).expect("valid bench scenario");
    throughput_of(bencher, s, shortcuts);
}

/// Requests simulated per second by one replica of a model simulated with
/// `shortcuts` (each on or off).
fn throughput_of(bencher: Bencher, s: scenario::Scenario, shortcuts: Shortcuts) {
    let model = Model::with(s, shortcuts);
    let stop = std::sync::atomic::AtomicBool::new(false);
    let requests = model.run_replica(0, &stop).expect("not stopped").simulated;
    bencher
        .counter(ItemsCount::new(requests))
        .bench(|| model.run_replica(0, &stop).expect("not stopped").simulated);
}

/// The realistic mix at 10 thousand, 100 thousand and 1 million devices.
#[divan::bench(args = [5_000, 50_000, 500_000], sample_count = 3, sample_size = 1)]
fn realistic_mix(bencher: Bencher, households: u64) {
    throughput(bencher, &scenario_text(households, REALISTIC));
}

/// Only resolver caches: every request goes up to the shared cache.
#[divan::bench(sample_count = 3, sample_size = 1)]
fn resolver_only_100k_devices(bencher: Bencher) {
    throughput(bencher, &scenario_text(50_000, RESOLVER_ONLY));
}

/// The realistic mix, 100 thousand devices, every cache plain: the walk
/// spelt out for plain caches (`true`) against the general walk (`false`).
#[divan::bench(args = [true, false], sample_count = 3, sample_size = 1)]
fn plain_walk_100k_devices(bencher: Bencher, plain_walk: bool) {
    let text = scenario_text(50_000, REALISTIC);
    throughput_with(
        bencher,
        &text,
        Shortcuts {
            plain_walk,
            ..Shortcuts::default()
        },
    );
}

/// Heavy-tailed traffic over the realistic mix, 100 thousand devices, with
/// busy devices running ahead on their own streams (`true`) or every request
/// in one stream (`false`): what running ahead saves.
#[divan::bench(args = [true, false], sample_count = 3, sample_size = 1)]
fn heavy_tail_100k_devices(bencher: Bencher, run_ahead: bool) {
    let text = scenario_with_traffic(50_000, HEAVY_TAIL_TRAFFIC, REALISTIC);
    throughput_with(
        bencher,
        &text,
        Shortcuts {
            run_ahead,
            ..Shortcuts::default()
        },
    );
}

/// Busy API clients (10,000 requests a day each) behind an app cache that
/// keeps every answer 15 minutes: bulk Poisson counts (`true`) against one
/// draw per request (`false`).
#[divan::bench(args = [true, false], sample_count = 3, sample_size = 1)]
fn pinned_app_busy_clients(bencher: Bencher, run_ahead: bool) {
    let text = scenario_with_traffic(1_000, BUSY_TRAFFIC, PINNED_APP);
    throughput_with(
        bencher,
        &text,
        Shortcuts {
            run_ahead,
            ..Shortcuts::default()
        },
    );
}

/// Busy browsers on keep-alive connections (idle timeout 5 minutes): private
/// hits served ahead (`true`) against one stream (`false`).
#[divan::bench(args = [true, false], sample_count = 3, sample_size = 1)]
fn keepalive_busy_clients(bencher: Bencher, run_ahead: bool) {
    let text = scenario_with_traffic(1_000, BUSY_TRAFFIC, KEEPALIVE);
    throughput_with(
        bencher,
        &text,
        Shortcuts {
            run_ahead,
            ..Shortcuts::default()
        },
    );
}

/// Device profiles with server limits, heavy-tailed traffic, 100 thousand
/// devices (the server's table must come before the first table).
#[divan::bench(sample_count = 3, sample_size = 1)]
fn device_profiles_with_server_limits(bencher: Bencher) {
    let text = format!(
        "server = \"nginx\"\n{}",
        scenario_with_traffic(50_000, HEAVY_TAIL_TRAFFIC, PROFILES_WITH_SERVER)
    );
    throughput(bencher, &text);
}

/// The shipped `realistic-internet` scenario (the mix users copy from:
/// prefetch, serve-stale, sharded public resolvers, the daily cycle, app
/// restarts), one replica at a tenth of its households, with quiet
/// partitions counted in bulk (`true`, the default) or walked to the horizon.
#[divan::bench(sample_count = 3, sample_size = 1, args = [true, false])]
fn realistic_internet_shipped(bencher: Bencher, count_quietly: bool) {
    shipped(
        bencher,
        "realistic-internet",
        &["population.households=6000"],
        count_quietly,
    );
}

/// Where answers stay stale: the shipped `isp24h`, one replica at a tenth of
/// its households. 5 % behind resolvers pinning answers for a day walk every
/// request for 24 hours (the stale phase); the rest, once nothing above a
/// device can hand an old answer, walk only the devices still holding one
/// (`true`, the default) or every request to the horizon (`false`).
#[divan::bench(sample_count = 3, sample_size = 1, args = [true, false])]
fn isp24h_shipped(bencher: Bencher, count_quietly: bool) {
    shipped(bencher, "isp24h", &["population.households=10000"], count_quietly);
}

/// The stale phase alone: `isp24h` with every household behind the
/// resolvers that pin answers for a day, whose requests are walked one by
/// one until the pins lapse.
#[divan::bench(sample_count = 3, sample_size = 1)]
fn isp24h_stale_phase(bencher: Bencher) {
    let only_pins = [
        "population.households=2000",
        "resolver.0.share=0",
        "resolver.1.share=1",
    ];
    shipped(bencher, "isp24h", &only_pins, true);
}

/// Requests simulated per second by one replica of shipped scenario `name`
/// with `overrides`, quiet partitions counted in bulk or not.
fn shipped(bencher: Bencher, name: &str, overrides: &[&str], count_quietly: bool) {
    let path = format!("scenarios/{name}.toml");
    let text = std::fs::read_to_string(&path).expect("the shipped scenario");
    let overrides: Vec<scenario::Override> = overrides
        .iter()
        .map(|o| scenario::Override::parse(o).expect("valid override"))
        .collect();
    let s = scenario::parse(&text, &path, &overrides).expect("valid shipped scenario");
    let shortcuts = Shortcuts {
        count_quietly,
        ..Shortcuts::default()
    };
    throughput_of(bencher, s, shortcuts);
}

/// A what-if as `cachesim serve` answers it, once the scenario is loaded:
/// `realistic-internet` at 20,000 households, 8 runs, the TTL changed,
/// simulated on every core, answered and drawn (the page's three charts).
#[divan::bench(sample_count = 3, sample_size = 1)]
fn serve_what_if_realistic_20k(bencher: Bencher) {
    use cachesim::commands::run::{answer, Ask};
    use cachesim::export::charts::{run_svg, ChartData};
    let path = "scenarios/realistic-internet.toml";
    let text = std::fs::read_to_string(path).expect("the shipped scenario");
    let overrides: Vec<scenario::Override> = [
        "population.households=20000",
        "simulation.runs=8",
        "record.ttl=60s",
    ]
    .iter()
    .map(|o| scenario::Override::parse(o).expect("valid override"))
    .collect();
    let options = cachesim::simulation::SimOptions {
        quiet: true,
        ..Default::default()
    };
    bencher.bench(|| {
        let s = scenario::parse(&text, path, &overrides).expect("valid what-if");
        let simulated =
            cachesim::simulation::simulate_until(s, &options, &std::sync::atomic::AtomicBool::new(false))
                .expect("simulated");
        let ran = answer(simulated, std::path::PathBuf::new(), Ask::default());
        let data = ChartData::from_report(&ran.report());
        for chart in ["old_share", "old_share_log", "causes"] {
            divan::black_box(run_svg(chart, &data).expect("drawn"));
        }
    });
}
