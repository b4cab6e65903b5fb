//! The shard file: what one shard counted, with a manifest saying exactly
//! what produced it, so a merge can refuse anything that does not belong.
//!
//! Layout: a 16-byte header, the manifest as JSON behind its length (u32,
//! little-endian; readable with `head`), the tallies in postcard, and a
//! CRC-32 of everything before it, so a truncated or damaged file is caught.

use super::Shard;
use crate::engine::Tally;
use crate::scenario::Scenario;
use serde::{Deserialize, Serialize};
use std::ops::Range;
use std::path::Path;

/// Bumped whenever the layout or the meaning of the manifest changes (the
/// counts' meaning is the engine's identity, in the manifest).
pub const FORMAT: u32 = 2;

const HEADER: &[u8; 16] = b"cachesim shard\n\0";

/// What produced a shard: enough to refuse a foreign shard and to rebuild
/// the scenario for the merge without the scenario file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub cachesim_version: String,
    /// The engine that counted (see [`crate::engine::IDENTITY`]).
    #[serde(default)]
    pub engine: String,
    pub scenario: String,
    /// The scenario file as it was named on the command line.
    pub file: String,
    pub content_hash: String,
    /// The scenario file's text and the overrides, as given.
    pub text: String,
    pub overrides: Vec<String>,
    pub seed: u64,
    pub runs: u32,
    pub shard: Shard,
    /// The (run, partition) pairs simulated.
    pub pairs: Range<u64>,
}

/// One shard's manifest and counts: one tally per piece of a replica, with
/// the replica's number.
#[derive(Clone, Debug, PartialEq)]
pub struct ShardFile {
    pub manifest: Manifest,
    pub tallies: Vec<(u32, Tally)>,
}

/// The file name of a shard: sorts in shard order.
pub fn name(shard: Shard) -> String {
    let width = shard.count.to_string().len().max(4);
    format!(
        "shard-{:0width$}-of-{:0width$}.cachesim",
        shard.index, shard.count
    )
}

/// The name of the file beside a shard that says how long it took: kept
/// apart so that a shard run again gives the same bytes.
pub fn timing_name(shard: Shard) -> String {
    name(shard).replace(".cachesim", ".time.json")
}

/// How long a shard took, beside it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    pub wall_time_s: f64,
}

/// Whether a file name is a shard's.
pub fn is_shard_name(name: &str) -> bool {
    name.starts_with("shard-") && name.ends_with(".cachesim")
}

impl Manifest {
    /// What produced shard `shard` (pairs `pairs`) of `scenario`.
    pub fn of(scenario: &Scenario, shard: Shard, pairs: Range<u64>) -> Manifest {
        Manifest {
            format: FORMAT,
            cachesim_version: env!("CARGO_PKG_VERSION").to_string(),
            engine: crate::engine::IDENTITY.to_string(),
            scenario: scenario.name.clone(),
            file: scenario.file.clone(),
            content_hash: scenario.content_hash.clone(),
            text: scenario.text.clone(),
            overrides: scenario.overrides.clone(),
            seed: scenario.seed,
            runs: scenario.runs,
            shard,
            pairs,
        }
    }
}

/// What is wrong with a shard file, in words a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum ShardFileError {
    #[error("cannot read it: {0}")]
    Read(#[from] std::io::Error),
    #[error("not a cachesim shard file (it does not start with the shard header)")]
    NotAShard,
    #[error("truncated{}", rerun(.0))]
    Truncated(Option<Shard>),
    #[error("truncated or damaged (its checksum does not match){}", rerun(.0))]
    Damaged(Option<Shard>),
    #[error("its manifest cannot be read")]
    Manifest,
    #[error("its counts cannot be read ({reason}){}", rerun(&Some(*.shard)))]
    Counts { reason: String, shard: Shard },
    #[error(
        "written by cachesim {version} (shard format {format}; this cachesim {} reads format {FORMAT}); \
         simulate it again with this cachesim",
        env!("CARGO_PKG_VERSION")
    )]
    OtherFormat { version: String, format: u32 },
    #[error(
        "counted by another engine ({engine}; this cachesim's is {}), whose numbers are not this one's; \
         simulate it again with this cachesim",
        crate::engine::IDENTITY
    )]
    OtherEngine { engine: String },
}

/// What to do about a damaged shard: run it (or, unknown, that one) again.
fn rerun(shard: &Option<Shard>) -> String {
    match shard {
        Some(s) => format!("; run shard {s} again"),
        None => "; run that shard again".to_string(),
    }
}

impl Manifest {
    /// Refuses counts this cachesim cannot take as its own: of another
    /// shard format, or counted by another engine (whose numbers would mix
    /// with this one's as if they were the same).
    fn counted_here(&self) -> Result<(), ShardFileError> {
        if self.format != FORMAT {
            return Err(ShardFileError::OtherFormat {
                version: self.cachesim_version.clone(),
                format: self.format,
            });
        }
        if self.engine != crate::engine::IDENTITY {
            return Err(ShardFileError::OtherEngine {
                engine: self.engine.clone(),
            });
        }
        Ok(())
    }
}

impl ShardFile {
    /// Every run's whole counts, as the one shard of all the work.
    pub fn of_runs(scenario: &Scenario, tallies: &[Tally]) -> ShardFile {
        let pairs = tallies.len() as u64 * crate::engine::partition_plans(scenario).len() as u64;
        ShardFile {
            manifest: Manifest::of(scenario, Shard { index: 0, count: 1 }, 0..pairs),
            tallies: tallies
                .iter()
                .cloned()
                .enumerate()
                .map(|(r, t)| (r as u32, t))
                .collect(),
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let manifest = serde_json::to_vec_pretty(&self.manifest).expect("a manifest serializes");
        let mut bytes = HEADER.to_vec();
        bytes.extend_from_slice(&(manifest.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&manifest);
        bytes.extend(postcard::to_allocvec(&self.tallies).expect("tallies serialize"));
        let crc = crc32fast::hash(&bytes);
        bytes.extend_from_slice(&crc.to_le_bytes());
        bytes
    }

    /// Reads a shard file; the error says what is wrong with it, in words.
    pub fn read(path: &Path) -> Result<ShardFile, ShardFileError> {
        ShardFile::from_bytes(&std::fs::read(path)?)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<ShardFile, ShardFileError> {
        if !bytes.starts_with(HEADER) {
            return Err(ShardFileError::NotAShard);
        }
        let manifest = Self::manifest(bytes);
        let shard = manifest.as_ref().map(|m| m.shard);
        let Some((body, crc)) = bytes.split_last_chunk::<4>() else {
            return Err(ShardFileError::Truncated(shard));
        };
        if crc32fast::hash(body) != u32::from_le_bytes(*crc) {
            return Err(ShardFileError::Damaged(shard));
        }
        let manifest = manifest.ok_or(ShardFileError::Manifest)?;
        manifest.counted_here()?;
        let start = HEADER.len() + 4 + manifest_len(bytes).unwrap_or(0);
        let tallies = postcard::from_bytes(&body[start..]).map_err(|e| ShardFileError::Counts {
            reason: e.to_string(),
            shard: manifest.shard,
        })?;
        Ok(ShardFile { manifest, tallies })
    }

    /// The manifest, if it can be read (even from a damaged file: to name
    /// the shard to run again).
    fn manifest(bytes: &[u8]) -> Option<Manifest> {
        let len = manifest_len(bytes)?;
        let start = HEADER.len() + 4;
        serde_json::from_slice(bytes.get(start..start + len)?).ok()
    }
}

fn manifest_len(bytes: &[u8]) -> Option<usize> {
    let len = bytes.get(HEADER.len()..HEADER.len() + 4)?;
    Some(u32::from_le_bytes(len.try_into().ok()?) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ShardFile {
        let mut tally = Tally::new(3, 1, 2);
        tally.row_mut(1)[0] = 12345;
        tally.last_old = Some(77);
        ShardFile {
            manifest: Manifest {
                format: FORMAT,
                cachesim_version: "0.2.0".into(),
                engine: crate::engine::IDENTITY.into(),
                scenario: "s".into(),
                file: "s.toml".into(),
                content_hash: "00".into(),
                text: "[record]\n".into(),
                overrides: vec!["record.ttl=60s".into()],
                seed: 7,
                runs: 2,
                shard: Shard { index: 1, count: 4 },
                pairs: 3..5,
            },
            tallies: vec![(1, tally)],
        }
    }

    #[test]
    fn round_trips() {
        let file = sample();
        assert_eq!(ShardFile::from_bytes(&file.to_bytes()).unwrap(), file);
    }

    #[test]
    fn damage_and_truncation_are_caught_and_name_the_shard() {
        let bytes = sample().to_bytes();
        let truncated = ShardFile::from_bytes(&bytes[..bytes.len() - 9])
            .unwrap_err()
            .to_string();
        assert!(truncated.contains("run shard 1/4 again"), "{truncated}");
        let mut flipped = bytes.clone();
        let last = flipped.len() - 6;
        flipped[last] ^= 1;
        assert!(ShardFile::from_bytes(&flipped)
            .unwrap_err()
            .to_string()
            .contains("checksum"));
        assert!(ShardFile::from_bytes(b"hello")
            .unwrap_err()
            .to_string()
            .contains("not a cachesim shard"));
    }

    #[test]
    fn counts_of_another_engine_or_format_are_refused() {
        let mut other = sample();
        other.manifest.engine = "0123456789abcdef".into();
        let said = ShardFile::from_bytes(&other.to_bytes()).unwrap_err().to_string();
        assert!(said.contains("another engine (0123456789abcdef"), "{said}");
        let mut old = sample();
        old.manifest.format = 1;
        let said = ShardFile::from_bytes(&old.to_bytes()).unwrap_err().to_string();
        assert!(said.contains("shard format 1"), "{said}");
    }

    #[test]
    fn names_sort_in_shard_order() {
        assert_eq!(name(Shard { index: 3, count: 16 }), "shard-0003-of-0016.cachesim");
        assert_eq!(
            name(Shard {
                index: 7,
                count: 20000
            }),
            "shard-00007-of-20000.cachesim"
        );
        assert!(is_shard_name(&name(Shard { index: 0, count: 1 })));
    }
}
