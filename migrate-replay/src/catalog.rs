//! A server's schema as objects (PostgreSQL's catalogs, MySQL's
//! `information_schema`, each read by its replay), and the differences
//! between two readings said for a person.

use std::collections::BTreeSet;

use crate::normal::collapsed;
use migrate_core::schema_diff::changed;
use migrate_core::{SchemaObjects, schema_differences};

/// Every object of a schema: by kind and name, its parent (the table of a
/// column, an index, a constraint, a trigger; empty for none) and its
/// description as the server writes it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Catalog {
    /// (kind, name) → (the table it belongs to, or `""`; its description).
    objects: SchemaObjects<(String, String)>,
}

impl From<SchemaObjects<(String, String)>> for Catalog {
    fn from(objects: SchemaObjects<(String, String)>) -> Catalog {
        Catalog { objects }
    }
}

impl Catalog {
    /// What `after` has that `self` had not, what it lacks, and what changed,
    /// one sentence each (to follow "Down of `004_idx` …"). The columns,
    /// constraints, indexes, triggers and policies of a table that is itself
    /// gone or new are not said again.
    pub fn differences(&self, after: &Catalog) -> Vec<String> {
        let (named_before, named_after) = (self.names(), after.names());
        let told = |(parent, _): &(String, String)| {
            !parent.is_empty()
                && named_before.contains(parent.as_str()) != named_after.contains(parent.as_str())
        };
        schema_differences(
            &self.objects,
            &after.objects,
            told,
            |kind, name, was, now| {
                (now.1 != was.1)
                    .then(|| changed(kind, name, "changed", &shown(&was.1), &shown(&now.1)))
            },
        )
    }

    /// The name of every object.
    fn names(&self) -> BTreeSet<&str> {
        self.objects.keys().map(|(_, name)| name.as_str()).collect()
    }
}

/// A description on one line, cut to a length a message can hold.
fn shown(description: &str) -> String {
    const MOST: usize = 200;
    let line = collapsed(description);
    match line.char_indices().nth(MOST) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}
