//! A diesel directory with a loose data script, a README, and old
//! migrations whose Downs do not restore (one does not even parse) compiles
//! unchanged with `irreversible_before`: the old ones are
//! history, irreversible, their Ups still replayed. diesel's `-0000`
//! suffix orders as diesel orders it: the same second without it first,
//! and both are migrations. Lint findings there stay warnings.

// The old unique index is a lint finding (unique-on-existing-data): a
// warning in the history even though errors start before it.
#[allow(deprecated)]
static HISTORY: migrate_runtime::Migrations = migrate_runtime::embed_migrations!(
    "fixtures/history",
    irreversible_before = 20260101000000,
    lint_errors_from = 20170101000000
);

fn main() {
    // Shown as diesel writes them; numbered with room for the suffix.
    let versions: Vec<String> = HISTORY.iter().map(|m| m.version().to_string()).collect();
    assert_eq!(
        versions,
        [
            "20170101000000",
            "20170201000000",
            "20170301000000",
            "20260730140000",
            "202607301400000000",
            "20260801000000"
        ]
    );
    let reversible: Vec<bool> = HISTORY.iter().map(|m| m.is_reversible()).collect();
    assert_eq!(reversible, [false, false, false, true, true, true]);
    let names: Vec<&str> = HISTORY.iter().skip(3).map(|m| m.name()).collect();
    assert_eq!(names, ["add_comments", "add_posts", "add_tags"]);
}
