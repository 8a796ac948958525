//! `load` on real directories: every rule of the format at directory level.

mod common;
use common::dir;

use std::fs;
use std::path::Path;

use migrate_core::{Options, Problem, ProblemKind, Scheme, Version, load};

const GOOD: &str = "-- +migrate Up\nSELECT 1;\n-- +migrate Down\nSELECT 2;\n";

fn problems(root: &Path, options: &Options) -> Vec<Problem> {
    load(root, "migrations", options).expect_err("problems")
}

fn only(root: &Path) -> Problem {
    let mut found = problems(root, &Options::default());
    assert_eq!(found.len(), 1, "{found:#?}");
    found.remove(0)
}

#[test]
fn a_good_directory_loads_in_version_order() {
    let root = dir(&[
        ("002_b.up.sql", "SELECT 'b';"),
        ("002_b.down.sql", "SELECT 'not b';"),
        ("001_a.sql", GOOD),
        (
            "003_c.sql",
            "-- +migrate Up\nSELECT 3;\n-- +migrate Down irreversible\n",
        ),
        ("notes.txt", "ignored"),
    ]);
    let set = load(root.path(), "migrations", &Options::default()).expect("valid");
    assert_eq!(set.scheme, Scheme::Sequential);
    let summary: Vec<_> = set
        .migrations
        .iter()
        .map(|m| (m.version.0, m.name(), m.down_path.as_deref()))
        .collect();
    assert_eq!(
        summary,
        [
            (1, "a", Some("migrations/001_a.sql")),
            (2, "b", Some("migrations/002_b.down.sql")),
            (3, "c", None),
        ]
    );
    let read: Vec<_> = set
        .files
        .iter()
        .filter_map(|f| f.file_name()?.to_str())
        .collect();
    assert_eq!(
        read,
        ["001_a.sql", "002_b.up.sql", "002_b.down.sql", "003_c.sql"]
    );
    assert_eq!(
        set.migrations[1].down.as_ref().expect("down")[0].sql,
        "SELECT 'not b';"
    );
    assert!(set.migrations[2].down.is_none());
}

#[test]
fn single_file_and_pair_with_the_same_text_have_the_same_checksum() {
    let single = dir(&[(
        "1_a.sql",
        "-- +migrate Up\nSELECT 1;\n-- +migrate Down\nSELECT 2;\n",
    )]);
    let pair = dir(&[
        ("1_a.up.sql", "SELECT 1;\n"),
        ("1_a.down.sql", "SELECT 2;\n"),
    ]);
    let crlf = dir(&[(
        "1_a.sql",
        "-- +migrate Up\r\nSELECT 1;  \r\n-- +migrate Down\r\nSELECT 2;\r\n",
    )]);
    let checksum = |root: &Path| {
        load(root, "migrations", &Options::default())
            .expect("valid")
            .migrations[0]
            .checksum
    };
    assert_eq!(checksum(single.path()), checksum(pair.path()));
    assert_eq!(checksum(single.path()), checksum(crlf.path()));
}

#[test]
fn padding_does_not_make_a_new_version() {
    let root = dir(&[("1_a.sql", GOOD), ("2_x.sql", GOOD), ("002_y.sql", GOOD)]);
    assert_eq!(
        only(root.path()),
        Problem {
            path: "migrations/002_y.sql".into(),
            line: None,
            kind: ProblemKind::DuplicateVersion {
                version: Version(2),
                files: vec!["migrations/002_y.sql".into(), "migrations/2_x.sql".into()],
            },
        }
    );
}

#[test]
fn a_single_file_and_a_pair_for_one_version_are_a_duplicate() {
    let root = dir(&[
        ("1_a.sql", GOOD),
        ("1_a.up.sql", "SELECT 1;"),
        ("1_a.down.sql", "SELECT 1;"),
    ]);
    let problem = only(root.path());
    assert!(
        matches!(&problem.kind, ProblemKind::DuplicateVersion { files, .. } if files.len() == 3),
        "{problem}"
    );
}

#[test]
fn timestamps_may_follow_sequential_versions() {
    // goose's hybrid versioning: timestamps on branches, `fix` before release.
    let root = dir(&[
        ("001_a.sql", GOOD),
        ("002_b.sql", GOOD),
        ("20240101120000_c.sql", GOOD),
    ]);
    let set = load(root.path(), "migrations", &Options::default()).expect("valid");
    assert_eq!(set.scheme, Scheme::Hybrid);
    let versions: Vec<u64> = set.migrations.iter().map(|m| m.version.0).collect();
    assert_eq!(versions, [1, 2, 20240101120000]);
    // The sequential ones are still checked for gaps.
    let gap = dir(&[
        ("001_a.sql", GOOD),
        ("003_b.sql", GOOD),
        ("20240101120000_c.sql", GOOD),
    ]);
    assert!(matches!(only(gap.path()).kind, ProblemKind::Gap { .. }));
}

#[test]
fn timestamps_need_no_sequence_but_must_be_real_dates() {
    let good = dir(&[
        ("20240101120000_a.sql", GOOD),
        ("20250606060606_b.sql", GOOD),
    ]);
    let set = load(good.path(), "migrations", &Options::default()).expect("valid");
    assert_eq!(set.scheme, Scheme::Timestamp);
    let bad = dir(&[
        ("20240101120000_a.sql", GOOD),
        ("20241301120000_b.sql", GOOD),
    ]);
    assert_eq!(
        only(bad.path()).kind,
        ProblemKind::InvalidTimestamp {
            digits: "20241301120000".into()
        }
    );
}

#[test]
fn gaps_and_a_late_start_are_errors_unless_allowed() {
    let root = dir(&[("2_a.sql", GOOD), ("3_b.sql", GOOD), ("6_c.sql", GOOD)]);
    let found = problems(root.path(), &Options::default());
    assert_eq!(
        found
            .iter()
            .map(|p| (p.path.as_str(), &p.kind))
            .collect::<Vec<_>>(),
        [
            (
                "migrations/2_a.sql",
                &ProblemKind::DoesNotStartAtOne { first: Version(2) }
            ),
            (
                "migrations/6_c.sql",
                &ProblemKind::Gap {
                    from: Version(4),
                    to: Version(5),
                    after: "migrations/3_b.sql".into()
                }
            ),
        ]
    );
    let allowed = load(
        root.path(),
        "migrations",
        &Options {
            allow_gaps: true,
            ..Options::default()
        },
    )
    .expect("allowed");
    assert_eq!(allowed.migrations.len(), 3);
}

#[test]
fn orphan_down_and_mismatched_pairs() {
    let orphan = dir(&[("1_a.sql", GOOD), ("2_b.down.sql", "SELECT 1;")]);
    assert_eq!(only(orphan.path()).kind, ProblemKind::OrphanDown);
    let mismatch = dir(&[("1_a.up.sql", "SELECT 1;"), ("1_b.down.sql", "SELECT 1;")]);
    assert_eq!(
        only(mismatch.path()).kind,
        ProblemKind::PairNameMismatch {
            up_name: "a".into(),
            down: "migrations/1_b.down.sql".into()
        }
    );
}

#[test]
fn an_up_file_needs_its_down_file_or_irreversible() {
    let missing = dir(&[
        ("01_a.up.sql", "SELECT 1;"),
        ("02_b.up.sql", "SELECT 2;"),
        ("02_b.down.sql", "SELECT 3;"),
    ]);
    assert_eq!(
        only(missing.path()).to_string(),
        "migrations/01_a.up.sql: no down file `migrations/01_a.down.sql`, while other migrations of \
         this directory have one; add it, or put `-- +migrate Irreversible` in this file to declare \
         the migration irreversible"
    );
    let declared = dir(&[("01_a.up.sql", "-- +migrate Irreversible\nSELECT 1;")]);
    let set = load(declared.path(), "migrations", &Options::default()).expect("valid");
    assert!(set.migrations[0].down.is_none());
    let both = dir(&[
        ("01_a.up.sql", "-- +migrate Irreversible\nSELECT 1;"),
        ("01_a.down.sql", "SELECT 2;"),
    ]);
    assert_eq!(only(both.path()).kind, ProblemKind::IrreversibleWithDown);
}

#[test]
fn environments_share_the_version_sequence() {
    let root = dir(&[
        ("1_a.sql", GOOD),
        ("test/2_seed.sql", GOOD),
        ("prod/3_tune.sql", GOOD),
        ("4_b.sql", GOOD),
    ]);
    let set = load(root.path(), "migrations", &Options::default()).expect("valid");
    assert_eq!(set.environments(), ["prod", "test"]);
    let envs: Vec<_> = set
        .migrations
        .iter()
        .map(|m| m.environment.as_deref())
        .collect();
    assert_eq!(envs, [None, Some("test"), Some("prod"), None]);
    assert_eq!(set.migrations[1].up_path, "migrations/test/2_seed.sql");

    // Environment folders never run together: they may reuse a version.
    let reuse = dir(&[
        ("1_a.sql", GOOD),
        ("test/2_seed.sql", GOOD),
        ("prod/2_seed.sql", GOOD),
    ]);
    let set = load(reuse.path(), "migrations", &Options::default()).expect("valid");
    let found: Vec<_> = set
        .migrations
        .iter()
        .map(|m| (m.version.0, m.environment.as_deref()))
        .collect();
    assert_eq!(found, [(1, None), (2, Some("prod")), (2, Some("test"))]);
    // The base set may not share one with an environment.
    let clash = dir(&[
        ("1_a.sql", GOOD),
        ("2_b.sql", GOOD),
        ("prod/2_seed.sql", GOOD),
    ]);
    assert!(matches!(
        only(clash.path()).kind,
        ProblemKind::DuplicateVersion { .. }
    ));
}

#[test]
fn empty_and_missing_directories() {
    let empty = dir(&[("README.md", "no migrations here")]);
    assert_eq!(
        only(empty.path()).to_string(),
        "migrations: no migrations found; add a file such as `001_init.sql` (`migrate new init` creates one)"
    );
    let root = tempfile::tempdir().expect("tempdir");
    assert_eq!(only(root.path()).kind, ProblemKind::DirectoryMissing);
}

#[test]
fn non_utf8_files_are_reported() {
    let root = dir(&[("1_a.sql", GOOD)]);
    fs::write(
        root.path().join("migrations/2_b.sql"),
        b"-- +migrate Up\n\xff\xfe;\n",
    )
    .expect("write");
    assert_eq!(only(root.path()).kind, ProblemKind::NotUtf8);
}

#[test]
fn a_utf8_bom_is_ignored() {
    let root = dir(&[(
        "1_a.sql",
        "\u{feff}-- +migrate Up\nSELECT 1;\n-- +migrate Down\n",
    )]);
    load(root.path(), "migrations", &Options::default()).expect("valid");
}

#[test]
fn every_problem_of_every_file_is_reported() {
    let root = dir(&[
        (
            "1_a.sql",
            "-- +migrate Up\nSELECT 'open;\n-- +migrate Down\n-- +migrate Dwon\n",
        ),
        ("2_b.sql", "-- +migrate Down\nSELECT 1;\n"),
        ("3-c.sql", GOOD),
        ("5_e.sql", GOOD),
    ]);
    let found: Vec<String> = problems(root.path(), &Options::default())
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        found,
        [
            "migrations/1_a.sql:2: unterminated quote `'`; close it with a matching `'`",
            "migrations/1_a.sql:4: unknown annotation `+migrate Dwon`; did you mean `-- +migrate Down`?",
            "migrations/1_a.sql:4: second `-- +migrate Down` (the first is on line 3); a migration has one Down section",
            "migrations/2_b.sql:1: `-- +migrate Down` before `-- +migrate Up`; put the Up section first",
            "migrations/2_b.sql:2: SQL before the first `-- +migrate Up`; only comments may come before it",
            "migrations/3-c.sql: version is not followed by `_`; name it `<version>_<name>.sql`, e.g. `001_create_users.sql`",
            "migrations/5_e.sql: versions 3 to 4 are missing after `migrations/2_b.sql`; renumber the files (`migrate fix`), or pass `allow_gaps = true` for a squashed history",
        ]
    );
}

#[test]
fn results_do_not_depend_on_creation_order() {
    let forward = dir(&[("1_a.sql", GOOD), ("2_b.sql", GOOD), ("3_c.sql", GOOD)]);
    let backward = dir(&[("3_c.sql", GOOD), ("2_b.sql", GOOD), ("1_a.sql", GOOD)]);
    let load = |root: &Path| load(root, "migrations", &Options::default()).expect("valid");
    let (a, b) = (load(forward.path()), load(backward.path()));
    assert_eq!(a.migrations, b.migrations);
    let names = |set: &migrate_core::MigrationSet| -> Vec<String> {
        set.files
            .iter()
            .map(|f| {
                f.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            })
            .collect()
    };
    assert_eq!(names(&a), names(&b));
}

#[test]
fn a_nul_byte_is_a_problem_at_its_line() {
    let root = dir(&[(
        "001_a.sql",
        "-- +migrate Up\nSELECT 1;\nSELECT 2;\0SELECT 3;\n-- +migrate Down\nSELECT 4;\n",
    )]);
    assert_eq!(
        only(root.path()).to_string(),
        "migrations/001_a.sql:3: NUL byte in the file; SQLite stops reading a statement at a NUL \
         and would silently skip the rest, so remove it"
    );
}

#[test]
fn a_file_given_as_the_directory_is_said_to_be_a_file() {
    let root = dir(&[("001_a.sql", GOOD)]);
    let problems =
        load(root.path(), "migrations/001_a.sql", &Options::default()).expect_err("a file");
    assert_eq!(
        problems[0].to_string(),
        "migrations/001_a.sql: is a file, not a directory; point to the folder that holds the migration files"
    );
}

#[cfg(unix)]
#[test]
fn links_inside_the_directory_are_followed_and_links_out_of_it_refused() {
    let root = dir(&[("001_a.sql", GOOD)]);
    let migrations = root.path().join("migrations");
    fs::create_dir(migrations.join("shared")).expect("mkdir");
    fs::write(migrations.join("shared/002_b.sql"), GOOD).expect("write");
    std::os::unix::fs::symlink("shared/002_b.sql", migrations.join("002_b.sql")).expect("link");
    // The environment folder `shared` holds 002 too: a link into it is a
    // duplicate version, which shows that the link was followed.
    let problems = load(root.path(), "migrations", &Options::default()).expect_err("duplicate");
    assert!(
        problems[0]
            .to_string()
            .starts_with("migrations/002_b.sql: version 2 is used by 2 files"),
        "{problems:?}"
    );
    fs::remove_dir_all(migrations.join("shared")).expect("rm");
    fs::remove_file(migrations.join("002_b.sql")).expect("rm");
    fs::write(root.path().join("elsewhere.sql"), GOOD).expect("write");
    std::os::unix::fs::symlink("../elsewhere.sql", migrations.join("002_b.sql")).expect("link");
    assert_eq!(
        only(root.path()).to_string(),
        "migrations/002_b.sql: links to `../elsewhere.sql`, outside the migration directory; \
         copy the file into the directory, or link to one inside it"
    );
}

/// A link to nothing and a loop of links are each called what they are,
/// not a link out of the directory.
#[cfg(unix)]
#[test]
fn a_dangling_link_and_a_loop_of_links_are_each_said_as_what_they_are() {
    let root = dir(&[("001_a.sql", GOOD)]);
    let migrations = root.path().join("migrations");
    std::os::unix::fs::symlink("gone.sql", migrations.join("002_b.sql")).expect("link");
    assert_eq!(
        only(root.path()).to_string(),
        "migrations/002_b.sql: links to `gone.sql`, which does not exist; restore the file, \
         or remove the link"
    );
    fs::remove_file(migrations.join("002_b.sql")).expect("rm");
    std::os::unix::fs::symlink("003_c.sql", migrations.join("002_b.sql")).expect("link");
    std::os::unix::fs::symlink("002_b.sql", migrations.join("003_c.sql")).expect("link");
    let problems = load(root.path(), "migrations", &Options::default()).expect_err("a loop");
    let said: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(said.len(), 2, "{said:?}");
    assert!(
        said[0].starts_with(
            "migrations/002_b.sql: links to `003_c.sql`, which cannot be followed: Too many \
             levels of symbolic links"
        ) && said[0].ends_with("; link to the file itself"),
        "{said:?}"
    );
}

/// A file's own transaction must be balanced in each section: a `BEGIN`
/// inside the open one and an end with none open are errors at their
/// lines (a `BEGIN` never ended is a UI case); a balanced one loads, and
/// runs outside the run's transaction.
#[test]
fn a_files_own_transaction_is_balanced_or_refused_at_its_line() {
    let nested = dir(&[(
        "001_a.sql",
        "-- +migrate Up\nBEGIN;\nSELECT 1;\nBEGIN;\nCOMMIT;\n-- +migrate Down\nSELECT 2;\n",
    )]);
    let problem = only(nested.path());
    assert_eq!(problem.line, Some(4));
    assert_eq!(
        problem.kind,
        ProblemKind::TransactionAlreadyOpen { since: 2 }
    );
    let stray = dir(&[(
        "001_a.sql",
        "-- +migrate Up\nSELECT 1;\nCOMMIT;\n-- +migrate Down\nSELECT 2;\n",
    )]);
    let problem = only(stray.path());
    assert_eq!(problem.line, Some(3));
    assert_eq!(problem.kind, ProblemKind::TransactionNotOpen);
    let balanced = dir(&[(
        "001_a.sql",
        "-- +migrate Up\nBEGIN;\nSELECT 1;\nROLLBACK TO SAVEPOINT s;\nCOMMIT;\n-- +migrate Down\nSELECT 2;\n",
    )]);
    let set = load(balanced.path(), "migrations", &Options::default()).expect("balanced");
    assert!(set.migrations[0].no_transaction);
}
