//! Scenario files: TOML in, a validated [`Scenario`] out. Parsing happens in
//! two stages (raw serde structs that mirror the file, then checked values), so
//! the engine never sees a bad parameter and every refusal names the file,
//! line, key, the value given and what would be accepted.

// A located error is large, but it is built once, on the way out.
#![allow(clippy::result_large_err)]

mod check;
mod error;
mod model;
mod overrides;
mod raw;
pub mod warmup;

pub use error::{did_you_mean, ScenarioError};
pub use model::*;
pub use overrides::{Override, OverrideError};

use check::Checker;
use error::Locator;
use raw::RawScenario;
use std::path::Path;
use toml::{Table, Value};

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
            .map(|o| (o.path.clone(), o.written.clone()))
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
    overrides::apply_all(&mut table, overrides).map_err(|e| ScenarioError {
        file: file.to_string(),
        line: None,
        column: None,
        key: None,
        from_override: None,
        message: e.to_string(),
    })?;
    let raw: RawScenario =
        serde_path_to_error::deserialize(Value::Table(table)).map_err(|e| serde_error(&locator, file, e))?;
    let mut hash_input = text.as_bytes().to_vec();
    for o in overrides {
        hash_input.extend_from_slice(b"\n--set ");
        hash_input.extend_from_slice(o.argument.as_bytes());
    }
    let mut checker = Checker::new(locator, file);
    let mut scenario = checker.scenario(raw, file)?;
    scenario.content_hash = format!("{:016x}", fnv1a(&hash_input));
    scenario.warnings = checker.warnings;
    scenario.text = text.to_string();
    scenario.overrides = overrides.iter().map(|o| o.argument.clone()).collect();
    Ok(scenario)
}

/// A scenario's text that cannot be read as a table with its overrides.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("not valid TOML: {}", .0.message().trim())]
    NotToml(toml::de::Error),
    #[error(transparent)]
    Override(#[from] OverrideError),
}

/// The scenario's TOML table with `overrides` applied, before validation:
/// what `fit` reads a free key's current value from and writes fitted.toml from.
pub fn table_with(text: &str, overrides: &[Override]) -> Result<Table, TableError> {
    let mut table: Table = toml::from_str(text).map_err(TableError::NotToml)?;
    overrides::apply_all(&mut table, overrides)?;
    Ok(table)
}

/// A 64-bit FNV-1a hash: a stable fingerprint of what produced a result.
pub fn fnv1a(bytes: &[u8]) -> u64 {
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
        if key.is_empty() {
            // A whole table is missing: point at the file's start, and say
            // what goes in it.
            err.line = Some(1);
            let needs = match field {
                "record" => " (add a [record] table with ttl, old and new)",
                "population" => " (add a [population] table with households and requests_per_day)",
                _ => "",
            };
            err.message.push_str(needs);
        }
        err.key = Some(full);
        return err;
    }
    // serde names Rust types ("invalid type: string \"70 %\", expected f64"):
    // say what the scenario wants instead.
    let inner = if key.ends_with("share") && inner.starts_with("invalid type") {
        format!(
            "{}; a share is a fraction such as 0.7",
            inner.split(", expected").next().unwrap_or(&inner)
        )
    } else {
        inner
            .replace("expected f64", "expected a number")
            .replace("expected i64", "expected a whole number")
    };
    locator.error(file, &key, inner)
}
