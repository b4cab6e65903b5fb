//! `fitted.toml`: the user's scenario file with only the fitted values (and
//! the user's own `--set` values) changed. Comments, order, layout and units
//! are the user's; an edited key keeps its trailing comment.

use crate::scenario::Override;
use toml_edit::{DocumentMut, InlineTable, Item, Table, Value};

/// Why an override cannot be written into the file.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path} into the scenario file: {why}")]
pub struct EditError {
    path: String,
    why: String,
}

/// `text` with each override applied in order, as [`crate::scenario`] applies
/// them to a parsed table: dotted paths, array entries by index from 0,
/// missing tables created.
pub fn edited(text: &str, overrides: &[Override]) -> Result<String, EditError> {
    let mut doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| EditError {
        path: String::new(),
        why: e.to_string(),
    })?;
    for o in overrides {
        let fail = |why: &str| EditError {
            path: o.path.clone(),
            why: why.to_string(),
        };
        let new: Value = o
            .value
            .to_string()
            .parse()
            .map_err(|_| fail("the value is not a TOML value"))?;
        let segments: Vec<&str> = o.path.split('.').collect();
        set(Node::Table(doc.as_table_mut()), &segments, new)
            .ok_or_else(|| fail("no such table or entry, or a single value where a table is needed"))?;
    }
    Ok(doc.to_string())
}

/// A place in the document a dotted path walks through.
enum Node<'a> {
    Table(&'a mut Table),
    Item(&'a mut Item),
    Value(&'a mut Value),
}

/// Sets the value at `path` under `node`, keeping the replaced value's
/// comments and spacing; `None` where the path leads nowhere.
fn set(node: Node, path: &[&str], new: Value) -> Option<()> {
    let (first, rest) = path.split_first()?;
    match node {
        Node::Table(table) => match (table.get_mut(first), rest.is_empty()) {
            (Some(Item::Value(old)), true) => replace(old, new),
            (_, true) => {
                table.insert(first, Item::Value(new));
                Some(())
            }
            (_, false) => set(
                Node::Item(table.entry(first).or_insert_with(toml_edit::table)),
                rest,
                new,
            ),
        },
        Node::Item(Item::Table(table)) => set(Node::Table(table), path, new),
        Node::Item(Item::ArrayOfTables(tables)) if !rest.is_empty() => {
            set(Node::Table(tables.get_mut(first.parse().ok()?)?), rest, new)
        }
        Node::Item(Item::Value(value)) => set(Node::Value(value), path, new),
        Node::Value(Value::InlineTable(table)) => match (table.get_mut(first), rest.is_empty()) {
            (Some(old), true) => replace(old, new),
            (None, true) => {
                table.insert(*first, new);
                Some(())
            }
            (_, false) => set(
                Node::Value(
                    table
                        .entry(*first)
                        .or_insert_with(|| Value::InlineTable(InlineTable::new())),
                ),
                rest,
                new,
            ),
        },
        Node::Value(Value::Array(items)) => {
            let item = items.get_mut(first.parse().ok()?)?;
            if rest.is_empty() {
                replace(item, new)
            } else {
                set(Node::Value(item), rest, new)
            }
        }
        _ => None,
    }
}

/// Puts `new` where `old` was, with `old`'s surrounding spaces and comment.
fn replace(old: &mut Value, mut new: Value) -> Option<()> {
    *new.decor_mut() = old.decor().clone();
    *old = new;
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(argument: &str) -> Override {
        Override::parse(argument).unwrap()
    }

    #[test]
    fn only_the_fitted_values_change() {
        let text = "# my site\nname = \"x\"\n\n[simulation]\nbucket = \"5m\"  # fine enough\n\n\
                    [[resolver]]\nshare = 0.9\n\n[[resolver]]\nshare = 0.1   # free in the fit\n\
                    policy = { fixed_ttl = \"3h\" }   # pins\n";
        let out = edited(
            text,
            &[
                set("resolver.1.share=0.05"),
                set("resolver.0.share=0.95"),
                set("resolver.1.policy.fixed_ttl=\"6h 12m\""),
                set("simulation.runs=16"),
            ],
        )
        .unwrap();
        let expected =
            "# my site\nname = \"x\"\n\n[simulation]\nbucket = \"5m\"  # fine enough\nruns = 16\n\n\
                        [[resolver]]\nshare = 0.95\n\n[[resolver]]\nshare = 0.05   # free in the fit\n\
                        policy = { fixed_ttl = \"6h 12m\" }   # pins\n";
        assert_eq!(out, expected);
    }

    #[test]
    fn a_path_that_leads_nowhere_is_refused() {
        let text = "[[resolver]]\nshare = 1.0\npolicy = \"unbound\"\n";
        assert!(edited(text, &[set("resolver.3.share=0.5")]).is_err());
        assert!(edited(text, &[set("resolver.0.policy.fixed_ttl=\"1h\"")]).is_err());
    }
}
