//! The toolchain a user needs: the declared `rust-version` covers every
//! locked package's own (else `cargo install --path .` fails on it with a
//! message about some dependency), and the image builds with that version.

use crate::common::assert_succeeded;
use std::process::Command;

/// A version such as 1.89 or 1.89.0, comparable.
fn version(text: &str) -> Vec<u32> {
    let mut parts: Vec<u32> = text.split('.').map(|p| p.parse().unwrap()).collect();
    parts.resize(3, 0);
    parts
}

#[test]
fn the_declared_rust_version_covers_every_locked_package() {
    let root = env!("CARGO_MANIFEST_DIR");
    let output = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(root)
        .output()
        .unwrap();
    assert_succeeded(&output);
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let declared = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "cachesim")
        .and_then(|p| p["rust_version"].as_str())
        .expect("Cargo.toml declares rust-version");
    for package in metadata["packages"].as_array().unwrap() {
        if let Some(needs) = package["rust_version"].as_str() {
            assert!(
                version(needs) <= version(declared),
                "{} {} needs Rust {needs}; Cargo.toml declares {declared}",
                package["name"],
                package["version"]
            );
        }
    }
    let dockerfile = std::fs::read_to_string(format!("{root}/deploy/k8s/Dockerfile")).unwrap();
    assert!(
        dockerfile.contains(&format!("FROM rust:{declared}-")),
        "deploy/k8s/Dockerfile should build with Rust {declared}"
    );
    let ignored = std::fs::read_to_string(format!("{root}/.dockerignore")).unwrap();
    assert!(
        ignored.lines().any(|l| l.trim() == "target/"),
        "target/ stays out of the image's build context"
    );
}
