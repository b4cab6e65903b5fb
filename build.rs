//! The engine's identity: a fingerprint of the numbers its golden outputs
//! hold (`tests/golden/*/timeseries.csv`). A change meant to alter results
//! regenerates those goldens, so the identity changes exactly when the
//! engine's numbers do; shards and results folders record it, and a merge
//! refuses to mix counts of different engines.

use std::path::Path;

fn main() {
    let golden = Path::new("tests/golden");
    println!("cargo:rerun-if-changed=tests/golden");
    let mut files: Vec<_> = std::fs::read_dir(golden)
        .map(|dir| {
            dir.flatten()
                .map(|e| e.path().join("timeseries.csv"))
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let identity = if files.is_empty() {
        // Built without the repository's tests (a packaged crate).
        "unknown".to_string()
    } else {
        // FNV-1a, 64 bits, over each file's name and bytes.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for path in &files {
            println!("cargo:rerun-if-changed={}", path.display());
            let name = path
                .parent()
                .and_then(Path::file_name)
                .map(|n| n.to_string_lossy().into_owned());
            let bytes = std::fs::read(path).unwrap_or_default();
            for b in name.unwrap_or_default().bytes().chain(bytes) {
                hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
            }
        }
        format!("{hash:016x}")
    };
    println!("cargo:rustc-env=CACHESIM_ENGINE={identity}");
}
