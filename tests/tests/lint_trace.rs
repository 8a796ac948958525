//! The lint rules checked by the server: a corpus of statements (the
//! subcommands of `ALTER TABLE`, `CREATE`, `DROP` and `ALTER` of each kind
//! of object, the data statements), each on objects an earlier migration
//! created, replayed on the real PostgreSQL server with the locks traced.
//! Where the trace finds a rewrite or a scan under a lock that blocks
//! writes, a rule must have found it; where a rule says a lock is held for
//! a rewrite, a scan or a build, the trace must have seen it, except in
//! the few cases only the server can know (listed with why). The table of
//! what each statement locks in `docs/lints.md` is generated from the
//! same run (`MIGRATE_WRITE_DOCS=1` writes it; the test fails while the
//! page differs).

use std::fmt::Write as _;
use std::path::Path;

use migrate_core::{Dialect, Finding, LockMode, MigrationSet, TracedStatement};
use migrate_runtime::postgres::{Client, NoTls};

/// The objects most statements work on: `{t}` is the case's own name.
const TABLE: &str = "CREATE TABLE {t} (id int PRIMARY KEY, n int, s varchar(10), body text, at timestamp, doc jsonb);\n\
                     CREATE INDEX {t}_n ON {t} (n);\n";

/// One statement of the corpus.
struct Case {
    /// What the statement is, for the table in the documentation.
    kind: &'static str,
    /// Extra objects (after [`TABLE`]) made by an earlier migration.
    setup: &'static str,
    /// The statement, on `{t}`.
    statement: &'static str,
    /// Runs in a migration marked `NoTransaction`.
    no_transaction: bool,
    /// A rule's long-lock finding the server refutes, and why only the
    /// server can know.
    only_the_server_knows: Option<&'static str>,
}

const fn case(kind: &'static str, statement: &'static str) -> Case {
    Case {
        kind,
        setup: "",
        statement,
        no_transaction: false,
        only_the_server_knows: None,
    }
}

const fn with(kind: &'static str, setup: &'static str, statement: &'static str) -> Case {
    Case {
        kind,
        setup,
        statement,
        no_transaction: false,
        only_the_server_knows: None,
    }
}

const fn refuted(kind: &'static str, statement: &'static str, why: &'static str) -> Case {
    Case {
        kind,
        setup: "",
        statement,
        no_transaction: false,
        only_the_server_knows: Some(why),
    }
}

const fn outside(kind: &'static str, statement: &'static str) -> Case {
    Case {
        kind,
        setup: "",
        statement,
        no_transaction: true,
        only_the_server_knows: None,
    }
}

const CORPUS: &[Case] = &[
    // ALTER TABLE, subcommand by subcommand.
    case("add a nullable column", "ALTER TABLE {t} ADD COLUMN c int"),
    case(
        "add a column with a constant default",
        "ALTER TABLE {t} ADD COLUMN c int DEFAULT 0",
    ),
    case(
        "add a NOT NULL column with a constant default",
        "ALTER TABLE {t} ADD COLUMN c int NOT NULL DEFAULT 0",
    ),
    case(
        "add a column defaulting to `now()`",
        "ALTER TABLE {t} ADD COLUMN c timestamptz DEFAULT now()",
    ),
    case(
        "add a column with a volatile default",
        "ALTER TABLE {t} ADD COLUMN c uuid DEFAULT gen_random_uuid()",
    ),
    case(
        "add a `serial` column",
        "ALTER TABLE {t} ADD COLUMN c serial",
    ),
    case(
        "add an identity column",
        "ALTER TABLE {t} ADD COLUMN c int GENERATED ALWAYS AS IDENTITY",
    ),
    case(
        "add a stored generated column",
        "ALTER TABLE {t} ADD COLUMN c int GENERATED ALWAYS AS (n * 2) STORED",
    ),
    case(
        "add a NOT NULL column without a default",
        "ALTER TABLE {t} ADD COLUMN c int NOT NULL",
    ),
    case("drop a column", "ALTER TABLE {t} DROP COLUMN body"),
    refuted(
        "widen a `varchar`",
        "ALTER TABLE {t} ALTER COLUMN s TYPE varchar(20)",
        "a longer varchar is binary-compatible: no rewrite",
    ),
    refuted(
        "`varchar` to `text`",
        "ALTER TABLE {t} ALTER COLUMN s TYPE text",
        "varchar to text is binary-compatible: no rewrite",
    ),
    refuted(
        "a column's type to the same type",
        "ALTER TABLE {t} ALTER COLUMN n TYPE int",
        "the same type: nothing to convert",
    ),
    case(
        "`int` to `bigint`",
        "ALTER TABLE {t} ALTER COLUMN n TYPE bigint",
    ),
    case(
        "`text` to a shorter `varchar`",
        "ALTER TABLE {t} ALTER COLUMN body TYPE varchar(5)",
    ),
    case(
        "a type change with `USING`",
        "ALTER TABLE {t} ALTER COLUMN body TYPE int USING length(body)",
    ),
    case(
        "set a column's default",
        "ALTER TABLE {t} ALTER COLUMN n SET DEFAULT 1",
    ),
    case(
        "drop a column's default",
        "ALTER TABLE {t} ALTER COLUMN n DROP DEFAULT",
    ),
    case(
        "set NOT NULL",
        "ALTER TABLE {t} ALTER COLUMN n SET NOT NULL",
    ),
    with(
        "set NOT NULL with a valid `CHECK (… IS NOT NULL)`",
        "ALTER TABLE {t} ADD CONSTRAINT {t}_n_nn CHECK (n IS NOT NULL);\n",
        "ALTER TABLE {t} ALTER COLUMN n SET NOT NULL",
    ),
    with(
        "drop NOT NULL",
        "CREATE TABLE {t}_strict (v int NOT NULL);\n",
        "ALTER TABLE {t}_strict ALTER COLUMN v DROP NOT NULL",
    ),
    case(
        "set a column's statistics target",
        "ALTER TABLE {t} ALTER COLUMN n SET STATISTICS 500",
    ),
    case(
        "set a column's storage",
        "ALTER TABLE {t} ALTER COLUMN body SET STORAGE EXTERNAL",
    ),
    case(
        "add a `CHECK` constraint",
        "ALTER TABLE {t} ADD CONSTRAINT {t}_positive CHECK (n > 0)",
    ),
    case(
        "add a `CHECK` constraint `NOT VALID`",
        "ALTER TABLE {t} ADD CONSTRAINT {t}_positive CHECK (n > 0) NOT VALID",
    ),
    with(
        "validate a constraint",
        "ALTER TABLE {t} ADD CONSTRAINT {t}_positive CHECK (n > 0) NOT VALID;\n",
        "ALTER TABLE {t} VALIDATE CONSTRAINT {t}_positive",
    ),
    with(
        "add a foreign key",
        "CREATE TABLE {t}_parent (id int PRIMARY KEY);\n",
        "ALTER TABLE {t} ADD CONSTRAINT {t}_fk FOREIGN KEY (n) REFERENCES {t}_parent (id)",
    ),
    with(
        "add a foreign key `NOT VALID`",
        "CREATE TABLE {t}_parent (id int PRIMARY KEY);\n",
        "ALTER TABLE {t} ADD CONSTRAINT {t}_fk FOREIGN KEY (n) REFERENCES {t}_parent (id) NOT VALID",
    ),
    case(
        "add a unique constraint",
        "ALTER TABLE {t} ADD CONSTRAINT {t}_n_key UNIQUE (n)",
    ),
    with(
        "add a unique constraint `USING INDEX`",
        "CREATE UNIQUE INDEX {t}_s_key ON {t} (s);\n",
        "ALTER TABLE {t} ADD CONSTRAINT {t}_s_key UNIQUE USING INDEX {t}_s_key",
    ),
    case(
        "add an exclusion constraint",
        "ALTER TABLE {t} ADD CONSTRAINT {t}_excl EXCLUDE USING btree (n WITH =)",
    ),
    with(
        "add a primary key",
        "CREATE TABLE {t}_keyless (n int NOT NULL);\n",
        "ALTER TABLE {t}_keyless ADD PRIMARY KEY (n)",
    ),
    with(
        "drop a constraint",
        "ALTER TABLE {t} ADD CONSTRAINT {t}_positive CHECK (n > 0);\n",
        "ALTER TABLE {t} DROP CONSTRAINT {t}_positive",
    ),
    case(
        "rename a column",
        "ALTER TABLE {t} RENAME COLUMN body TO text_body",
    ),
    case("rename a table", "ALTER TABLE {t} RENAME TO {t}_renamed"),
    with(
        "move a table to another schema",
        "CREATE SCHEMA {t}_other;\n",
        "ALTER TABLE {t} SET SCHEMA {t}_other",
    ),
    case("`SET UNLOGGED`", "ALTER TABLE {t} SET UNLOGGED"),
    with(
        "`SET LOGGED`",
        "CREATE UNLOGGED TABLE {t}_unlogged (id int);\n",
        "ALTER TABLE {t}_unlogged SET LOGGED",
    ),
    case(
        "set a storage parameter",
        "ALTER TABLE {t} SET (fillfactor = 70)",
    ),
    case(
        "cluster on an index (the mark only)",
        "ALTER TABLE {t} CLUSTER ON {t}_n",
    ),
    case(
        "disable every trigger",
        "ALTER TABLE {t} DISABLE TRIGGER ALL",
    ),
    case(
        "enable row-level security",
        "ALTER TABLE {t} ENABLE ROW LEVEL SECURITY",
    ),
    case(
        "set the replica identity",
        "ALTER TABLE {t} REPLICA IDENTITY FULL",
    ),
    with(
        "attach a partition",
        "CREATE TABLE {t}_parted (id int, at date) PARTITION BY RANGE (at);\n\
         CREATE TABLE {t}_2026 (id int, at date);\n",
        "ALTER TABLE {t}_parted ATTACH PARTITION {t}_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')",
    ),
    Case {
        kind: "attach a partition with a matching `CHECK`",
        setup: "CREATE TABLE {t}_parted (id int, at date) PARTITION BY RANGE (at);\n\
                CREATE TABLE {t}_2026 (id int, at date NOT NULL, CONSTRAINT {t}_2026_bounds CHECK (at >= '2026-01-01' AND at < '2027-01-01'));\n",
        statement: "ALTER TABLE {t}_parted ATTACH PARTITION {t}_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')",
        no_transaction: false,
        only_the_server_knows: Some(
            "whether a CHECK implies the partition's bounds is the server's proof",
        ),
    },
    with(
        "detach a partition",
        "CREATE TABLE {t}_parted (id int, at date) PARTITION BY RANGE (at);\n\
         CREATE TABLE {t}_2026 PARTITION OF {t}_parted FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');\n",
        "ALTER TABLE {t}_parted DETACH PARTITION {t}_2026",
    ),
    case(
        "several subcommands, one a type change",
        "ALTER TABLE {t} ADD COLUMN c int, ALTER COLUMN n TYPE bigint",
    ),
    // CREATE of each kind of object on a table that was there.
    case("create an index", "CREATE INDEX {t}_s ON {t} (s)"),
    case(
        "create a unique index",
        "CREATE UNIQUE INDEX {t}_s ON {t} (s)",
    ),
    outside(
        "create an index `CONCURRENTLY`",
        "CREATE INDEX CONCURRENTLY {t}_s ON {t} (s)",
    ),
    case(
        "create a table referencing it",
        "CREATE TABLE {t}_child (id int PRIMARY KEY, parent int REFERENCES {t} (id))",
    ),
    case(
        "create a view of it",
        "CREATE VIEW {t}_view AS SELECT id, n FROM {t}",
    ),
    case(
        "create a materialized view of it",
        "CREATE MATERIALIZED VIEW {t}_mv AS SELECT id, n FROM {t}",
    ),
    with(
        "create a trigger",
        "CREATE FUNCTION {t}_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n",
        "CREATE TRIGGER {t}_touch BEFORE UPDATE ON {t} FOR EACH ROW EXECUTE FUNCTION {t}_touch()",
    ),
    case(
        "create a policy",
        "CREATE POLICY {t}_mine ON {t} USING (n > 0)",
    ),
    case(
        "create extended statistics",
        "CREATE STATISTICS {t}_stats ON n, s FROM {t}",
    ),
    case("comment on it", "COMMENT ON TABLE {t} IS 'the accounts'"),
    case("grant on it", "GRANT SELECT ON {t} TO PUBLIC"),
    // DROP and ALTER of the other kinds.
    case("drop a table", "DROP TABLE {t}"),
    case("drop an index", "DROP INDEX {t}_n"),
    outside(
        "drop an index `CONCURRENTLY`",
        "DROP INDEX CONCURRENTLY {t}_n",
    ),
    with(
        "drop a view",
        "CREATE VIEW {t}_view AS SELECT id FROM {t};\n",
        "DROP VIEW {t}_view",
    ),
    with(
        "drop a schema `CASCADE`",
        "CREATE SCHEMA {t}_tenant;\nCREATE TABLE {t}_tenant.items (id int);\n",
        "DROP SCHEMA {t}_tenant CASCADE",
    ),
    case("rename an index", "ALTER INDEX {t}_n RENAME TO {t}_n_idx"),
    with(
        "restart a sequence",
        "CREATE SEQUENCE {t}_seq;\n",
        "ALTER SEQUENCE {t}_seq RESTART WITH 100",
    ),
    with(
        "rename a view",
        "CREATE VIEW {t}_view AS SELECT id FROM {t};\n",
        "ALTER VIEW {t}_view RENAME TO {t}_view2",
    ),
    with(
        "add a domain constraint",
        "CREATE DOMAIN {t}_positive AS int;\nCREATE TABLE {t}_amounts (amount {t}_positive);\n",
        "ALTER DOMAIN {t}_positive ADD CONSTRAINT {t}_positive_check CHECK (VALUE > 0)",
    ),
    // The data statements.
    case("`UPDATE` without `WHERE`", "UPDATE {t} SET n = 1"),
    case(
        "`UPDATE` with a bounding `WHERE`",
        "UPDATE {t} SET n = 1 WHERE id = 5",
    ),
    case("`DELETE` without `WHERE`", "DELETE FROM {t}"),
    case(
        "`DELETE` under a `WITH`",
        "WITH gone AS (DELETE FROM {t} RETURNING id) SELECT count(*) FROM gone",
    ),
    case(
        "`DELETE` with a bounding `WHERE`",
        "DELETE FROM {t} WHERE id = 5",
    ),
    case(
        "`INSERT … SELECT`",
        "INSERT INTO {t} (id, n) SELECT id + 1000, n FROM {t}",
    ),
    case("`TRUNCATE`", "TRUNCATE {t}"),
    case("`LOCK TABLE`", "LOCK TABLE {t}"),
    with(
        "refresh a materialized view",
        "CREATE MATERIALIZED VIEW {t}_mv AS SELECT id, n FROM {t};\n",
        "REFRESH MATERIALIZED VIEW {t}_mv",
    ),
    with(
        "refresh a materialized view `CONCURRENTLY`",
        "CREATE MATERIALIZED VIEW {t}_mv AS SELECT id, n FROM {t};\nCREATE UNIQUE INDEX {t}_mv_id ON {t}_mv (id);\n",
        "REFRESH MATERIALIZED VIEW CONCURRENTLY {t}_mv",
    ),
    case("`REINDEX TABLE`", "REINDEX TABLE {t}"),
    case("`CLUSTER`", "CLUSTER {t} USING {t}_n"),
    outside("`VACUUM FULL`", "VACUUM FULL {t}"),
    case("`ANALYZE`", "ANALYZE {t}"),
    case(
        "a data change after a schema change in one transaction",
        "ALTER TABLE {t} ADD COLUMN c int;\nUPDATE {t} SET c = n WHERE id > 0",
    ),
];

/// The server's URL, or `None` when there is none (and none is required).
fn server() -> Option<String> {
    migrate_tests::server_url(
        "MIGRATE_TEST_POSTGRES_URL",
        "postgres://postgres@127.0.0.1:5432/postgres",
        |url| Client::connect(url, NoTls).is_ok(),
    )
}

/// The corpus as a directory: one migration making every case's objects,
/// then one migration per case. Returns the set and each case's file.
fn corpus_set(root: &Path) -> (MigrationSet, Vec<String>) {
    let dir = root.join("migrations");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let mut setup = String::from("-- +migrate Up\n");
    let mut paths = Vec::new();
    for (k, case) in CORPUS.iter().enumerate() {
        let name = format!("t{k}");
        setup.push_str(&TABLE.replace("{t}", &name));
        setup.push_str(&case.setup.replace("{t}", &name));
        let header = if case.no_transaction {
            "-- +migrate Up\n-- +migrate NoTransaction\n"
        } else {
            "-- +migrate Up\n"
        };
        let file = format!("{:05}_case_{k}.sql", k + 2);
        let mut text = header.to_owned();
        for line in case.statement.replace("{t}", &name).lines() {
            let _ = writeln!(text, "{};", line.trim_end_matches(';'));
        }
        std::fs::write(dir.join(&file), text).expect("write");
        paths.push(format!("migrations/{file}"));
    }
    std::fs::write(dir.join("00001_setup.sql"), setup).expect("write");
    let options = migrate_core::Options {
        dialect: Dialect::Postgres,
        ..migrate_core::Options::default()
    };
    let set = migrate_core::load(root, "migrations", &options).expect("a valid corpus");
    (set, paths)
}

/// (code, line) of the findings in `path`.
fn codes(findings: &[Finding], path: &str) -> Vec<(String, u32)> {
    let mut codes: Vec<(String, u32)> = findings
        .iter()
        .filter(|finding| finding.path == path)
        .map(|finding| (finding.rule.code().to_owned(), finding.line))
        .collect();
    codes.sort();
    codes
}

#[test]
fn the_rules_and_the_servers_trace_agree_on_every_statement_of_the_corpus() {
    let Some(url) = server() else { return };
    let root = tempfile::tempdir().expect("tempdir");
    let (set, paths) = corpus_set(root.path());
    let traced = migrate_replay::replay_postgres_traced(&set, &url).expect("the server is usable");
    let problems: Vec<String> = traced.problems.iter().map(ToString::to_string).collect();
    assert!(problems.is_empty(), "the corpus replays: {problems:#?}");
    let rules = migrate_core::lint(&set, Dialect::Postgres, None);
    let with_trace = migrate_core::lint_traced(&set, Dialect::Postgres, None, &traced.statements);
    let mut disagreements = Vec::new();
    let mut table = String::from(
        "| Statement (on a table an earlier migration made) | Locks taken | Rewrite / full read | Findings with the trace |\n\
         |---|---|---|---|\n",
    );
    for (case, path) in CORPUS.iter().zip(&paths) {
        let by_rules = codes(&rules, path);
        let by_both = codes(&with_trace, path);
        let statements: Vec<&TracedStatement> = traced
            .statements
            .iter()
            .filter(|s| &s.path == path)
            .collect();
        match case.only_the_server_knows {
            None if by_rules != by_both => disagreements.push(format!(
                "{}: `{}`: the rules found {by_rules:?}, with the trace {by_both:?}; traced: {statements:#?}",
                case.kind, case.statement
            )),
            Some(why) if by_rules == by_both => disagreements.push(format!(
                "{}: `{}`: listed as known only to the server ({why}), but the rules and the trace agree on {by_rules:?}",
                case.kind, case.statement
            )),
            _ => {}
        }
        let _ = writeln!(table, "{}", row(case, &statements, &by_both));
    }
    assert!(
        disagreements.is_empty(),
        "the rules and the server disagree:\n{}",
        disagreements.join("\n")
    );
    compare_with_docs(&table);
}

/// A row of the lock table: the statement kind, the modes taken on each
/// relation that was there (named by its role: the table, its index, …),
/// what the server saw it rewrite or read, and the findings.
fn row(case: &Case, statements: &[&TracedStatement], findings: &[(String, u32)]) -> String {
    let mut locks = Vec::new();
    let mut effects = Vec::new();
    for relation in statements.iter().flat_map(|s| &s.relations) {
        let role = role(&relation.name);
        if let Some(strongest) = relation.taken.iter().max() {
            locks.push(format!("{} on {role}", mode(*strongest)));
        }
        match (relation.rewritten, relation.scanned, relation.dropped) {
            (true, _, _) => effects.push(format!("rewrites {role}")),
            (_, true, _) => effects.push(format!("reads all of {role}")),
            (_, _, true) => effects.push(format!("drops {role}")),
            _ => {}
        }
    }
    let untraced = statements.is_empty();
    let cell = |items: Vec<String>, none: &str| {
        if untraced {
            "(runs outside a transaction: not traced)".to_owned()
        } else if items.is_empty() {
            none.to_owned()
        } else {
            items.join(", ")
        }
    };
    let mut codes: Vec<String> = findings
        .iter()
        .map(|(code, _)| format!("`{code}`"))
        .collect();
    codes.dedup();
    let codes = if codes.is_empty() {
        "none".to_owned()
    } else {
        codes.join(", ")
    };
    format!(
        "| {} | {} | {} | {codes} |",
        case.kind,
        cell(locks, "none"),
        cell(effects, "no")
    )
}

/// How the table names a relation of case `t<k>`: by what it is to the case.
fn role(name: &str) -> String {
    let name = name.rsplit('.').next().unwrap_or(name);
    let rest = name
        .trim_start_matches('t')
        .trim_start_matches(|c: char| c.is_ascii_digit());
    match rest {
        "" => "the table".to_owned(),
        "_pkey" => "its primary key".to_owned(),
        "_n" => "its index".to_owned(),
        other => format!("`{}`", other.trim_start_matches('_')),
    }
}

fn mode(mode: LockMode) -> String {
    let said = mode.sql_name();
    if mode.blocks_writes() {
        format!("**{said}**")
    } else {
        said.to_owned()
    }
}

/// The generated table must be the one in `docs/lints.md`, between its
/// markers; `MIGRATE_WRITE_DOCS=1` writes it there.
fn compare_with_docs(table: &str) {
    const START: &str = "<!-- lock table: generated by tests/tests/lint_trace.rs -->\n";
    const END: &str = "<!-- end of the lock table -->";
    let page = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/lints.md");
    let text = std::fs::read_to_string(&page).expect("docs/lints.md");
    let (Some(start), Some(end)) = (text.find(START), text.find(END)) else {
        panic!("docs/lints.md has no lock table markers");
    };
    let written = &text[start + START.len()..end];
    if written == table {
        return;
    }
    if std::env::var_os("MIGRATE_WRITE_DOCS").is_some() {
        let new = format!("{}{START}{table}{}", &text[..start], &text[end..]);
        std::fs::write(&page, new).expect("write docs/lints.md");
        return;
    }
    panic!(
        "the lock table in docs/lints.md is not what the server traced; run this test with \
         MIGRATE_WRITE_DOCS=1 to write it. Traced:\n{table}"
    );
}

/// The six statements a reviewer flags (issue 37) are found with the
/// server as without it, at their file and line, now saying the lock the
/// server saw and what it blocks, beside the safe way; a constant-default
/// `ADD COLUMN` and a bounded `UPDATE`, each in its own migration, are not.
#[test]
fn the_statements_a_reviewer_flags_are_found_with_the_lock_the_server_saw() {
    let Some(url) = server() else { return };
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("migrations");
    std::fs::create_dir(&dir).expect("mkdir");
    for (name, text) in [
        (
            "001_before.sql",
            "CREATE TABLE accounts (id INT PRIMARY KEY, email TEXT);\n\
             CREATE TABLE events (id INT, at DATE) PARTITION BY RANGE (at);\n\
             CREATE TABLE events_2026 (id INT, at DATE);\n\
             CREATE MATERIALIZED VIEW totals AS SELECT count(*) AS n FROM accounts;\n\
             CREATE SCHEMA archive;\nCREATE TABLE archive.items (id INT);",
        ),
        (
            "002_reviewed.sql",
            "REFRESH MATERIALIZED VIEW totals;\n\
             ALTER TABLE events ATTACH PARTITION events_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');\n\
             DELETE FROM accounts;\n\
             ALTER TABLE accounts SET UNLOGGED;\n\
             ALTER TABLE accounts DISABLE TRIGGER ALL;\n\
             DROP SCHEMA archive CASCADE;",
        ),
        (
            "003_plan.sql",
            "ALTER TABLE accounts ADD COLUMN plan TEXT DEFAULT 'free';",
        ),
        (
            "004_lower.sql",
            "UPDATE accounts SET email = lower(email) WHERE id < 1000;",
        ),
    ] {
        std::fs::write(dir.join(name), format!("-- +migrate Up\n{text}\n")).expect("write");
    }
    let options = migrate_core::Options {
        dialect: Dialect::Postgres,
        ..migrate_core::Options::default()
    };
    let set = migrate_core::load(root.path(), "migrations", &options).expect("valid");
    let traced = migrate_replay::replay_postgres_traced(&set, &url).expect("the server is usable");
    assert!(traced.problems.is_empty(), "{:?}", traced.problems);
    let offline = migrate_core::lint(&set, Dialect::Postgres, None);
    let with_trace = migrate_core::lint_traced(&set, Dialect::Postgres, None, &traced.statements);
    let at = |findings: &[Finding]| -> Vec<(String, u32, &'static str)> {
        findings
            .iter()
            .map(|f| (f.path.clone(), f.line, f.rule.code()))
            .collect()
    };
    let reviewed = "migrations/002_reviewed.sql".to_owned();
    let expected = [
        (
            2,
            "refresh-not-concurrently",
            "took ACCESS EXCLUSIVE on materialized view `totals` (blocks reads and writes) and rewrote it",
        ),
        (
            3,
            "attach-partition-scan",
            "took ACCESS EXCLUSIVE on table `events_2026` (blocks reads and writes) and read all of it",
        ),
        (
            4,
            "delete-without-where",
            "took ROW EXCLUSIVE on table `accounts` (blocks neither reads nor writes)",
        ),
        (
            5,
            "set-unlogged",
            "took ACCESS EXCLUSIVE on table `accounts` (blocks reads and writes) and rewrote it",
        ),
        (
            6,
            "disable-trigger",
            "held ACCESS EXCLUSIVE on table `accounts` (blocks reads and writes)",
        ),
        (
            7,
            "drop-schema",
            "took ACCESS EXCLUSIVE on table `archive.items` (blocks reads and writes) and dropped it",
        ),
    ];
    let codes: Vec<(String, u32, &str)> = expected
        .iter()
        .map(|(line, code, _)| (reviewed.clone(), *line, *code))
        .collect();
    assert_eq!(at(&offline), codes, "offline: {offline:#?}");
    assert_eq!(at(&with_trace), codes, "with the trace: {with_trace:#?}");
    for (finding, (_, _, saw)) in with_trace.iter().zip(expected) {
        let said = finding.to_string();
        assert!(
            said.contains(&format!(
                "traced on the PostgreSQL server, the statement {saw}"
            )) && said.contains(finding.rule.advice()),
            "{said}"
        );
    }
}

/// Replays `files` (name, Up SQL) on the server with the trace; the
/// findings with it, as `path:line code (traced …)`.
fn traced_findings(files: &[(&str, &str)]) -> Option<Vec<String>> {
    let url = server()?;
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("migrations");
    std::fs::create_dir(&dir).expect("mkdir");
    for (name, up) in files {
        std::fs::write(dir.join(name), format!("-- +migrate Up\n{up}\n")).expect("write");
    }
    let options = migrate_core::Options {
        dialect: Dialect::Postgres,
        ..migrate_core::Options::default()
    };
    let set = migrate_core::load(root.path(), "migrations", &options).expect("valid");
    let traced = migrate_replay::replay_postgres_traced(&set, &url).expect("the server is usable");
    assert!(traced.problems.is_empty(), "{:?}", traced.problems);
    Some(
        migrate_core::lint_traced(&set, Dialect::Postgres, None, &traced.statements)
            .iter()
            .map(|f| {
                format!(
                    "{}:{} {} ({})",
                    &f.path["migrations/".len()..],
                    f.line,
                    f.rule.code(),
                    f.traced.as_deref().unwrap_or("untraced")
                )
            })
            .collect(),
    )
}

/// What a hostile review of `migrate lint --replay-url` found, each now
/// held: two statements on one line are traced each on its own (the second
/// one's rewrite is not lost, nor taken for the first one's); a `SET
/// search_path` of an earlier migration does not reach the next one's
/// statements in the replay, as it does not at run time, so the trace
/// watches the table the run changes; and a finding on a statement whose
/// lock an earlier statement of the transaction took says it is held.
#[test]
fn statements_on_one_line_settings_between_migrations_and_held_locks_are_traced_right() {
    let Some(one_line) = traced_findings(&[
        ("001_a.sql", "CREATE TABLE a (id INT PRIMARY KEY, n INT);"),
        (
            "002_one_line.sql",
            "SELECT 1; DO $$ BEGIN ALTER TABLE a ALTER COLUMN n TYPE bigint; END $$;",
        ),
    ]) else {
        return;
    };
    assert_eq!(
        one_line,
        [
            "002_one_line.sql:2 rewrite-under-lock (took ACCESS EXCLUSIVE on table `a` (blocks reads and writes) and rewrote it)"
        ]
    );
    let settings = traced_findings(&[
        (
            "001_t.sql",
            "CREATE SCHEMA app;\nCREATE TABLE t (id INT PRIMARY KEY, n INT);",
        ),
        ("002_path.sql", "SET search_path = app, public;"),
        (
            "003_alter.sql",
            "CREATE TABLE app.t (id INT PRIMARY KEY, n INT);\n\
             DO $$ BEGIN ALTER TABLE t ALTER COLUMN n TYPE bigint; END $$;",
        ),
    ])
    .expect("the server");
    assert_eq!(
        settings,
        [
            "003_alter.sql:3 rewrite-under-lock (took ACCESS EXCLUSIVE on table `t` (blocks reads and writes) and rewrote it)"
        ],
        "the run rewrites public.t: the replay must watch that one"
    );
    let held = traced_findings(&[
        (
            "001_a.sql",
            "CREATE TABLE a (id INT PRIMARY KEY, s VARCHAR(10));",
        ),
        (
            "002_two.sql",
            "ALTER TABLE a ALTER COLUMN s SET DEFAULT 'x';\nALTER TABLE a RENAME COLUMN s TO s2;",
        ),
    ])
    .expect("the server");
    assert_eq!(
        held,
        [
            "002_two.sql:3 rename-column (held ACCESS EXCLUSIVE on table `a` (blocks reads and writes))"
        ]
    );
}

/// Tracing changes nothing the replay finds: on a set whose migrations
/// fail in a transaction, outside one (where each statement runs in the
/// tracer's own transaction), in a statement that refuses a transaction,
/// and in a Down that does not restore, the traced replay reports exactly
/// the problems of the replay without the trace.
#[test]
fn the_traced_replay_finds_the_same_problems_as_the_replay_without_it() {
    let Some(url) = server() else { return };
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("migrations");
    std::fs::create_dir(&dir).expect("mkdir");
    for (name, text) in [
        (
            "001_a.sql",
            "-- +migrate Up\nCREATE TABLE a (id INT PRIMARY KEY, n INT);\nINSERT INTO a VALUES (1, 1);\n-- +migrate Down\nDROP TABLE a;\n",
        ),
        (
            "002_in_transaction.sql",
            "-- +migrate Up\nALTER TABLE a ADD COLUMN b INT;\nINSERT INTO a VALUES (1, 1);\n-- +migrate Down\nALTER TABLE a DROP COLUMN b;\n",
        ),
        (
            "003_outside.sql",
            "-- +migrate NoTransaction\n-- +migrate Up\nALTER TABLE a ADD COLUMN c INT;\nUPDATE a SET missing = 1;\n-- +migrate Down\nALTER TABLE a DROP COLUMN c;\n",
        ),
        (
            "004_concurrently.sql",
            "-- +migrate NoTransaction\n-- +migrate Up\nCREATE INDEX CONCURRENTLY a_missing ON a (missing);\n-- +migrate Down\nDROP INDEX CONCURRENTLY IF EXISTS a_missing;\n",
        ),
        (
            "005_down.sql",
            "-- +migrate Up\nCREATE INDEX a_n ON a (n);\n-- +migrate Down\nSELECT 1;\n",
        ),
    ] {
        std::fs::write(dir.join(name), text).expect("write");
    }
    let options = migrate_core::Options {
        dialect: Dialect::Postgres,
        ..migrate_core::Options::default()
    };
    let set = migrate_core::load(root.path(), "migrations", &options).expect("valid");
    let said = |problems: &[migrate_core::Problem]| -> Vec<String> {
        problems.iter().map(ToString::to_string).collect()
    };
    let plain = migrate_replay::replay_postgres(&set, &url).expect("the server");
    let traced = migrate_replay::replay_postgres_traced(&set, &url).expect("the server");
    assert_eq!(said(&traced.problems), said(&plain));
    assert_eq!(plain.len(), 4, "{:#?}", said(&plain));
}
