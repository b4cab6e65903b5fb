//! `--set KEY=VALUE`: change any scenario key by its dotted path before the
//! scenario is validated, so overridden values get the same checks.

use toml::{Table, Value};

/// A `--set` argument that cannot be applied, with what would be.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OverrideError {
    #[error("--set {argument}: expected KEY=VALUE, e.g. record.ttl=60s")]
    NoValue { argument: String },
    #[error("--set {argument}: \"{path}\" is not a dotted key such as simulation.runs")]
    NotAKey { argument: String, path: String },
    #[error("--set {argument}: `{list}` is a list; use an index from 0, not \"{segment}\"")]
    NotAnIndex {
        argument: String,
        list: String,
        segment: String,
    },
    #[error("--set {argument}: `{list}` has {len} entries (index 0 to {}); {index} is out of range", len.saturating_sub(1))]
    OutOfRange {
        argument: String,
        list: String,
        len: usize,
        index: usize,
    },
    #[error("--set {argument}: `{key}` is a single value, not a table")]
    NotATable { argument: String, key: String },
}

/// One parsed `--set` argument.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    pub path: String,
    pub value: Value,
    /// The argument as given (`KEY=VALUE`), recorded with the results.
    pub argument: String,
    /// How the user wrote it, for error messages: `--set KEY=VALUE`, or
    /// the flag that stands for it (`--runs 0`).
    pub written: String,
}

impl Override {
    /// Parses `KEY=VALUE`; VALUE is read as TOML where it parses, else as a string.
    pub fn parse(argument: &str) -> Result<Override, OverrideError> {
        let (path, raw) = argument.split_once('=').ok_or_else(|| OverrideError::NoValue {
            argument: argument.to_string(),
        })?;
        let path = path.trim();
        if path.is_empty() || path.split('.').any(str::is_empty) {
            return Err(OverrideError::NotAKey {
                argument: argument.to_string(),
                path: path.to_string(),
            });
        }
        let value = toml::from_str::<Table>(&format!("v = {raw}"))
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or_else(|| Value::String(raw.trim().to_string()));
        Ok(Override {
            path: path.to_string(),
            value,
            argument: argument.to_string(),
            written: format!("--set {argument}"),
        })
    }

    /// `KEY=VALUE` as set by a flag of its own (`--runs 8` for
    /// `simulation.runs=8`), named so in error messages.
    pub fn from_flag(flag: &str, path: &str, value: &str) -> Result<Override, OverrideError> {
        let mut o = Override::parse(&format!("{path}={value}"))?;
        o.written = format!("{flag} {value}");
        Ok(o)
    }
}

/// Applies overrides in order, creating tables on the way where needed;
/// entries of an array of tables are addressed by index from 0.
pub fn apply_all(root: &mut Table, overrides: &[Override]) -> Result<(), OverrideError> {
    for o in overrides {
        apply_one(root, o)?;
    }
    Ok(())
}

fn apply_one(root: &mut Table, o: &Override) -> Result<(), OverrideError> {
    let segments: Vec<&str> = o.path.split('.').collect();
    let mut value: &mut Value = root
        .entry(segments[0].to_string())
        .or_insert_with(|| Value::Table(Table::new()));
    if segments.len() == 1 {
        *value = o.value.clone();
        return Ok(());
    }
    for (i, segment) in segments.iter().enumerate().skip(1) {
        let is_last = i == segments.len() - 1;
        value = match value {
            Value::Array(items) => {
                let list = || segments[..i].join(".");
                let index: usize = segment.parse().map_err(|_| OverrideError::NotAnIndex {
                    argument: o.argument.clone(),
                    list: list(),
                    segment: segment.to_string(),
                })?;
                let len = items.len();
                items.get_mut(index).ok_or_else(|| OverrideError::OutOfRange {
                    argument: o.argument.clone(),
                    list: list(),
                    len,
                    index,
                })?
            }
            Value::Table(table) => table
                .entry(segment.to_string())
                .or_insert_with(|| Value::Table(Table::new())),
            _ => {
                return Err(OverrideError::NotATable {
                    argument: o.argument.clone(),
                    key: segments[..i].join("."),
                })
            }
        };
        if is_last {
            *value = o.value.clone();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Table {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn sets_nested_keys_and_array_entries() {
        let mut root = table("[record]\nttl = \"5m\"\n[[resolver]]\nshare = 1.0\n");
        let overrides = [
            Override::parse("record.ttl=60s").unwrap(),
            Override::parse("resolver.0.share=0.5").unwrap(),
            Override::parse("simulation.runs=8").unwrap(),
        ];
        apply_all(&mut root, &overrides).unwrap();
        assert_eq!(root["record"]["ttl"].as_str(), Some("60s"));
        assert_eq!(root["resolver"][0]["share"].as_float(), Some(0.5));
        assert_eq!(root["simulation"]["runs"].as_integer(), Some(8));
    }

    #[test]
    fn parses_toml_values_where_they_parse() {
        assert_eq!(Override::parse("a=8").unwrap().value, Value::Integer(8));
        assert_eq!(
            Override::parse("a=\"x\"").unwrap().value,
            Value::String("x".into())
        );
        assert_eq!(
            Override::parse("a=unbound").unwrap().value,
            Value::String("unbound".into())
        );
        assert!(Override::parse("novalue").is_err());
        assert!(Override::parse("a..b=1").is_err());
    }

    #[test]
    fn explains_bad_indices() {
        let mut root = table("[[resolver]]\nshare = 1.0\n");
        let err = apply_all(&mut root, &[Override::parse("resolver.3.share=1").unwrap()]).unwrap_err();
        assert!(err.to_string().contains("has 1 entries"), "{err}");
        let err = apply_all(&mut root, &[Override::parse("resolver.x.share=1").unwrap()]).unwrap_err();
        assert!(err.to_string().contains("use an index"), "{err}");
    }
}
