//! Scenario parsing must answer or refuse, never panic, whatever the bytes.
//! Run: RUSTC_BOOTSTRAP=1 cargo fuzz run parse_scenario -- -max_total_time=300
#![no_main]

use cachesim::scenario::{parse, Override};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse(text, "fuzz.toml", &[]);
        // The same text behind an override exercises the --set path too.
        if let Ok(o) = Override::parse("simulation.runs=3") {
            let _ = parse(text, "fuzz.toml", &[o]);
        }
    }
});
