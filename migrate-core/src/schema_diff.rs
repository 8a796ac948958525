//! How two readings of a schema differ, said once for every database and
//! every check that compares schemas around a Down: the build-time replay
//! (SQLite, PostgreSQL) and the migration-path tests. Each reader keys its
//! objects by kind and name; what counts as a change of an object is the
//! reader's to decide (SQLite's SQL in normal form, PostgreSQL's catalog
//! descriptions), and how it is said is decided here.

use std::collections::BTreeMap;

/// A schema's objects: (kind, name) → what the reader keeps of each.
pub type SchemaObjects<D> = BTreeMap<(String, String), D>;

/// What `after` (the schema after a Down) lacks, has more, or has changed
/// against `before` (the schema before the Up), one sentence each, to
/// follow "Down of `004_idx` …". An object for which `told` is true (it
/// belongs to a table that is itself gone or new) is not said again;
/// `changed` says how an object present in both differs, or `None`.
pub fn schema_differences<D>(
    before: &SchemaObjects<D>,
    after: &SchemaObjects<D>,
    told: impl Fn(&D) -> bool,
    mut changed: impl FnMut(&str, &str, &D, &D) -> Option<String>,
) -> Vec<String> {
    let mut out = Vec::new();
    for ((kind, name), was) in before {
        match after.get(&(kind.clone(), name.clone())) {
            None if !told(was) => out.push(dropped(kind, name)),
            Some(now) => out.extend(changed(kind, name, was, now)),
            None => {}
        }
    }
    for ((kind, name), now) in after {
        if !before.contains_key(&(kind.clone(), name.clone())) && !told(now) {
            out.push(left_behind(kind, name));
        }
    }
    out
}

/// An object gone that was there before the Up.
pub fn dropped(kind: &str, name: &str) -> String {
    format!("drops {kind} `{name}`, which existed before its Up")
}

/// An object there after the Down that was not before the Up.
pub fn left_behind(kind: &str, name: &str) -> String {
    format!("leaves {kind} `{name}` behind")
}

/// An object whose definition after the Down (`after`) is not the one
/// from before the Up; `how` says in what way (`changed`).
pub fn changed(kind: &str, name: &str, how: &str, before: &str, after: &str) -> String {
    format!("leaves {kind} `{name}` {how}: `{before}` before its Up, `{after}` after its Down")
}

#[cfg(test)]
mod tests {
    use super::{SchemaObjects, changed, schema_differences};

    fn objects(items: &[(&str, &str, &str)]) -> SchemaObjects<String> {
        items
            .iter()
            .map(|(kind, name, sql)| (((*kind).to_owned(), (*name).to_owned()), (*sql).to_owned()))
            .collect()
    }

    #[test]
    fn each_difference_is_said_once_in_order() {
        let before = objects(&[
            ("table", "a", "A"),
            ("table", "b", "B"),
            ("index", "i", "I"),
        ]);
        let after = objects(&[
            ("table", "a", "A2"),
            ("index", "i", "I"),
            ("view", "v", "V"),
        ]);
        let said = schema_differences(
            &before,
            &after,
            |_| false,
            |kind, name, was, now| (was != now).then(|| changed(kind, name, "changed", was, now)),
        );
        assert_eq!(
            said,
            [
                "leaves table `a` changed: `A` before its Up, `A2` after its Down",
                "drops table `b`, which existed before its Up",
                "leaves view `v` behind",
            ]
        );
    }
}
