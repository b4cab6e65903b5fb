//! Errors in scenario files that point at the problem: file, line, column,
//! the key, the value given and what would be accepted.

use std::fmt;
use toml::de::{DeTable, DeValue};

/// A problem with a scenario, located as precisely as the input allows.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioError {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// Dotted path of the key, e.g. `resolver.1.share`.
    pub key: Option<String>,
    /// The `--set` argument the value came from, when it did.
    pub from_override: Option<String>,
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": ")?;
        if let Some(arg) = &self.from_override {
            write!(f, "in {arg}: ")?;
        }
        if let Some(key) = &self.key {
            write!(f, "key `{key}`: ")?;
        }
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for ScenarioError {}

/// Finds where keys are written in the scenario's text, for error messages.
pub struct Locator<'a> {
    text: &'a str,
    table: Option<toml::Spanned<DeTable<'a>>>,
    /// `--set` arguments by the dotted key they set.
    overrides: Vec<(String, String)>,
}

impl<'a> Locator<'a> {
    pub fn new(text: &'a str, overrides: Vec<(String, String)>) -> Self {
        Locator {
            text,
            table: DeTable::parse(text).ok(),
            overrides,
        }
    }

    /// The line and column (1-based) of byte `offset`.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let before = &self.text[..offset.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
        (line, column)
    }

    /// An error about `key` (a dotted path), located in the file or in `--set`.
    pub fn error(&self, file: &str, key: &str, message: impl Into<String>) -> ScenarioError {
        let from_override = self
            .overrides
            .iter()
            .find(|(path, _)| key == path || key.starts_with(&format!("{path}.")))
            .map(|(_, arg)| arg.clone());
        let (line, column) = match (&from_override, self.span_of(key)) {
            (None, Some(offset)) => {
                let (l, c) = self.line_column(offset);
                (Some(l), Some(c))
            }
            _ => (None, None),
        };
        ScenarioError {
            file: file.to_string(),
            line,
            column,
            key: (!key.is_empty()).then(|| key.to_string()),
            from_override,
            message: message.into(),
        }
    }

    /// Byte offset of the deepest part of `key` that exists in the text.
    fn span_of(&self, key: &str) -> Option<usize> {
        let root = self.table.as_ref()?;
        let mut offset = None;
        let mut table: Option<&DeTable> = Some(root.get_ref());
        let mut array: Option<&[toml::Spanned<DeValue>]> = None;
        for segment in key.split('.').filter(|s| !s.is_empty()) {
            let value = if let Some(items) = array.take() {
                let index: usize = segment.parse().ok()?;
                let item = items.get(index)?;
                offset = Some(item.span().start);
                item
            } else {
                let map = table.take()?;
                let (k, v) = map.iter().find(|(k, _)| k.get_ref().as_ref() == segment)?;
                offset = Some(k.span().start);
                v
            };
            match value.get_ref() {
                DeValue::Table(t) => table = Some(t),
                DeValue::Array(a) => array = Some(a.as_ref()),
                _ => {}
            }
        }
        offset
    }
}

/// The closest of `candidates` to `given`, if close enough to be a typo.
pub fn did_you_mean<'a>(given: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    // Similar overall (Jaro-Winkler), or one slip away: a short key like
    // `tll` for `ttl` scores low on similarity but is one letter off.
    candidates
        .into_iter()
        .map(|c| {
            let one_slip = strsim::damerau_levenshtein(given, c) <= 1;
            (
                strsim::jaro_winkler(given, c) + if one_slip { 1.0 } else { 0.0 },
                c,
            )
        })
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_nested_keys_and_array_entries() {
        let text =
            "name = \"x\"\n[record]\nttl = \"5m\"\n\n[[resolver]]\nshare = 0.5\n[[resolver]]\nshare = 0.7\n";
        let locator = Locator::new(text, vec![]);
        let err = locator.error("s.toml", "resolver.1.share", "bad");
        assert_eq!((err.line, err.column), (Some(8), Some(1)));
        let err = locator.error("s.toml", "record.ttl", "bad");
        assert_eq!(err.line, Some(3));
        assert_eq!(err.to_string(), "s.toml:3:1: key `record.ttl`: bad");
    }

    #[test]
    fn blames_the_override_when_the_value_came_from_set() {
        let locator = Locator::new("", vec![("record.ttl".into(), "--set record.ttl=5".into())]);
        let err = locator.error("s.toml", "record.ttl", "no unit");
        assert_eq!(
            err.to_string(),
            "s.toml: in --set record.ttl=5: key `record.ttl`: no unit"
        );
    }

    #[test]
    fn suggests_close_names() {
        assert_eq!(did_you_mean("sahre", ["share", "name", "policy"]), Some("share"));
        assert_eq!(did_you_mean("zzz", ["share", "name"]), None);
    }
}
