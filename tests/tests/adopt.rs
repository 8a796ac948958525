//! Adopting the databases other tools migrated, on real SQLite files: sqlx
//! and refinery migrate with their own runners; for goose, golang-migrate,
//! diesel and SuperChat the table is created as that tool's source creates
//! it, with the rows it writes. Every refusal leaves the file byte-identical.

use std::fs;
use std::path::{Path, PathBuf};

use migrate_runtime::rusqlite::Connection;
use migrate_runtime::{AdoptProblem, Error, Migrations, Tool, Version};
use migrate_tests::versions_in;

/// A scratch directory with a `migrations` folder and a database file.
struct Project {
    root: tempfile::TempDir,
}

impl Project {
    fn new(files: &[(&str, &str)]) -> Project {
        let project = Project {
            root: tempfile::tempdir().expect("tempdir"),
        };
        project.add(files);
        project
    }

    fn add(&self, files: &[(&str, &str)]) {
        for (name, text) in files {
            let path = self.dir().join(name);
            fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            fs::write(path, text).expect("write");
        }
    }

    fn dir(&self) -> PathBuf {
        self.root.path().join("migrations")
    }

    fn db(&self) -> PathBuf {
        self.root.path().join("app.db")
    }

    fn migrations(&self) -> Migrations {
        let set = migrate_core::load(
            self.root.path(),
            "migrations",
            &migrate_core::Options::default(),
        )
        .unwrap_or_else(|problems| panic!("{problems:?}"));
        Migrations::from_set(set)
    }

    fn open(&self) -> Connection {
        Connection::open(self.db()).expect("open")
    }

    fn bytes(&self) -> Vec<u8> {
        fs::read(self.db()).expect("read the database file")
    }

    /// A run on the database is refused as `tool`'s history at version
    /// `reached`, with nothing changed; the error.
    fn run_refused(&self, tool: Tool, reached: u64) -> Error {
        let error = self.refuses(|m, conn| m.migrate(conn).expect_err("another tool's history"));
        assert!(
            matches!(&error, Error::ForeignHistory { tool: t, reached: Some(r), .. } if *t == tool && r.0 == reached),
            "{error:?}"
        );
        error
    }

    /// An adoption into `table` is refused, with nothing changed: the
    /// tool, the problem and the message.
    fn adoption_refused(&self, table: &str) -> (Tool, AdoptProblem, String) {
        let error =
            self.refuses(|m, conn| m.migrator().table(table).adopt(conn).expect_err("refused"));
        let message = error.to_string();
        match error {
            Error::CannotAdopt { tool, problem, .. } => (tool, problem, message),
            other => panic!("not a refused adoption: {other:?}"),
        }
    }

    /// Runs `refused` on the database, which must fail without changing a byte.
    fn refuses(&self, refused: impl FnOnce(&Migrations, &mut Connection) -> Error) -> Error {
        let before = self.bytes();
        let mut conn = self.open();
        let error = refused(&self.migrations(), &mut conn);
        drop(conn);
        assert_eq!(self.bytes(), before, "a refusal changed the file: {error}");
        error
    }
}

/// The refusal of an adoption whose file `version` was edited.
fn checksum_differs(project: &Project, version: u64) -> AdoptProblem {
    let migrations = project.migrations();
    let migration = migrations.get(Version(version)).expect("embedded");
    AdoptProblem::ChecksumDiffers {
        version: Version(version),
        path: migration.up_path().to_owned(),
    }
}

fn tables(conn: &Connection) -> Vec<String> {
    let mut statement = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .expect("prepare");
    statement
        .query_map([], |r| r.get(0))
        .expect("query")
        .map(|r| r.expect("row"))
        .collect()
}

fn dump(conn: &Connection, table: &str) -> Vec<String> {
    migrate_tests::rows(conn, table).expect("rows")
}

const GOOSE_1: &str =
    "-- +goose Up\nCREATE TABLE users (id INTEGER);\n-- +goose Down\nDROP TABLE users;\n";
const GOOSE_2: &str =
    "-- +goose Up\nCREATE TABLE posts (id INTEGER);\n-- +goose Down\nDROP TABLE posts;\n";
const GOOSE_3: &str =
    "-- +goose Up\nCREATE TABLE tags (id INTEGER);\n-- +goose Down\nDROP TABLE tags;\n";

/// goose's SQLite table, as its sqlite3 dialect creates it.
const GOOSE_TABLE: &str = "CREATE TABLE goose_db_version (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    version_id INTEGER NOT NULL,
    is_applied INTEGER NOT NULL,
    tstamp TIMESTAMP DEFAULT (datetime('now'))
)";

/// A database goose migrated to version 2, having applied and reverted 3 once.
fn goose_at_2() -> Project {
    let project = Project::new(&[
        ("001_users.sql", GOOSE_1),
        ("002_posts.sql", GOOSE_2),
        ("003_tags.sql", GOOSE_3),
    ]);
    project
        .open()
        .execute_batch(&format!(
            "{GOOSE_TABLE};
             INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1);
             CREATE TABLE users (id INTEGER);
             INSERT INTO goose_db_version (version_id, is_applied) VALUES (1, 1);
             CREATE TABLE posts (id INTEGER);
             INSERT INTO goose_db_version (version_id, is_applied) VALUES (2, 1);
             INSERT INTO goose_db_version (version_id, is_applied) VALUES (3, 1);
             INSERT INTO goose_db_version (version_id, is_applied) VALUES (3, 0);"
        ))
        .expect("goose's state");
    project
}

#[test]
fn a_goose_database_is_refused_then_adopted_then_migrated_further() {
    let project = goose_at_2();
    let error = project.run_refused(Tool::Goose, 2);
    assert!(matches!(
        error,
        Error::ForeignHistory {
            shares_table: false,
            ..
        }
    ));
    assert_eq!(
        error.to_string(),
        "this database was migrated by goose (table `goose_db_version`, version 2); nothing was run; \
         adopt its history first with `Migrator::adopt`"
    );
    let pending = project.refuses(|m, conn| m.migrator().pending(conn).expect_err("refused"));
    assert!(matches!(pending, Error::ForeignHistory { .. }));

    let mut conn = project.open();
    let migrations = project.migrations();
    let status = migrations.status(&mut conn).expect("status");
    let foreign = status
        .foreign
        .as_ref()
        .expect("goose's history in the status");
    assert_eq!(
        (foreign.tool, foreign.reached()),
        (Tool::Goose, Some(Version(2)))
    );
    assert!(
        status
            .to_string()
            .contains("goose's history is in table `goose_db_version`, at version 2")
    );

    let goose_rows = dump(&conn, "goose_db_version");
    let report = migrations.migrator().adopt(&mut conn).expect("adopt");
    assert_eq!(report.to, Some(Version(2)));
    assert!(report.to_string().contains("adopt"), "{report}");
    assert_eq!(versions_in(&conn, "schema_migrations"), [1, 2]);
    assert_eq!(
        dump(&conn, "goose_db_version"),
        goose_rows,
        "goose's table is left as it was"
    );

    let report = migrations.migrate(&mut conn).expect("migrate further");
    assert_eq!(report.steps.len(), 1, "only 3 runs: {report}");
    assert_eq!(versions_in(&conn, "schema_migrations"), [1, 2, 3]);
    assert!(tables(&conn).contains(&"tags".to_owned()));
    // Adopting twice is refused: there is a history of our own now.
    let (_, problem, _) = project.adoption_refused("schema_migrations");
    assert_eq!(
        problem,
        AdoptProblem::HistoryExists {
            table: "schema_migrations".into()
        }
    );
}

#[test]
fn goose_with_only_its_own_row_is_a_new_database() {
    let project = Project::new(&[("001_users.sql", GOOSE_1)]);
    let mut conn = project.open();
    conn.execute_batch(&format!(
        "{GOOSE_TABLE}; INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1);"
    ))
    .expect("goose's table");
    project
        .migrations()
        .migrate(&mut conn)
        .expect("nothing applied by goose");
    assert_eq!(versions_in(&conn, "schema_migrations"), [1]);
}

/// golang-migrate's sqlite3 driver's table: our default table's name, another shape.
const GOLANG_MIGRATE_TABLE: &str =
    "CREATE TABLE IF NOT EXISTS schema_migrations (version uint64,dirty bool);
    CREATE UNIQUE INDEX IF NOT EXISTS version_unique ON schema_migrations (version);";

fn golang_migrate_at(version: i64, dirty: bool) -> Project {
    let project = Project::new(&[
        ("1_users.up.sql", "CREATE TABLE users (id INTEGER);\n"),
        ("1_users.down.sql", "DROP TABLE users;\n"),
        ("2_posts.up.sql", "CREATE TABLE posts (id INTEGER);\n"),
        ("2_posts.down.sql", "DROP TABLE posts;\n"),
        ("3_tags.up.sql", "CREATE TABLE tags (id INTEGER);\n"),
        ("3_tags.down.sql", "DROP TABLE tags;\n"),
    ]);
    let conn = project.open();
    conn.execute_batch(&format!(
        "{GOLANG_MIGRATE_TABLE}
         CREATE TABLE users (id INTEGER);
         CREATE TABLE posts (id INTEGER);"
    ))
    .expect("golang-migrate's state");
    conn.execute(
        "INSERT INTO schema_migrations (version, dirty) VALUES (?1, ?2)",
        (version, dirty),
    )
    .expect("golang-migrate's row");
    project
}

#[test]
fn a_golang_migrate_database_is_adopted_in_place() {
    let project = golang_migrate_at(2, false);
    let error = project.run_refused(Tool::GolangMigrate, 2);
    assert!(matches!(
        error,
        Error::ForeignHistory {
            shares_table: true,
            ..
        }
    ));
    let mut conn = project.open();
    let migrations = project.migrations();
    let report = migrations.migrator().adopt(&mut conn).expect("adopt");
    assert_eq!(report.to, Some(Version(2)));
    assert_eq!(versions_in(&conn, "schema_migrations"), [1, 2]);
    assert_eq!(
        dump(&conn, "golang_migrate_schema_migrations"),
        ["Integer(2)|Integer(0)"],
        "golang-migrate's table kept, row and all"
    );
    // Its unique index went with it.
    let index: String = conn
        .query_row(
            "SELECT tbl_name FROM sqlite_master WHERE name = 'version_unique'",
            [],
            |r| r.get(0),
        )
        .expect("index");
    assert_eq!(index, "golang_migrate_schema_migrations");
    migrations.migrate(&mut conn).expect("a plain run after it");
    assert_eq!(versions_in(&conn, "schema_migrations"), [1, 2, 3]);
}

#[test]
fn a_golang_migrate_database_adopted_into_another_table_keeps_working() {
    let project = golang_migrate_at(2, false);
    let mut conn = project.open();
    let migrations = project.migrations();
    let migrator = migrations.migrator().table("migrate_history");
    let report = migrator.adopt(&mut conn).expect("adopt");
    assert_eq!(report.kept_history, None, "nothing shares the table");
    assert_eq!(versions_in(&conn, "migrate_history"), [1, 2]);
    migrator.run(&mut conn).expect("migrate further");
    assert_eq!(versions_in(&conn, "migrate_history"), [1, 2, 3]);
    assert_eq!(dump(&conn, "schema_migrations"), ["Integer(2)|Integer(0)"]);
}

#[test]
fn an_adoption_in_place_whose_new_name_is_taken_changes_nothing() {
    let project = golang_migrate_at(2, false);
    project
        .open()
        .execute_batch("CREATE TABLE golang_migrate_schema_migrations (x INTEGER);")
        .expect("a table of that name");
    let error = project.refuses(|m, conn| m.migrator().adopt(conn).expect_err("taken"));
    assert!(
        error
            .to_string()
            .contains("keeping the other tool's history table under a new name"),
        "{error}"
    );
}

#[test]
fn a_dirty_golang_migrate_version_is_refused() {
    let project = golang_migrate_at(2, true);
    let (_, problem, error) = project.adoption_refused("migrate_history");
    assert_eq!(problem, AdoptProblem::Dirty(Version(2)));
    assert!(
        error.contains("golang-migrate left version 2 dirty"),
        "{error}"
    );
}

const SQLX_USERS: &str = "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n";
const SQLX_POSTS: &str =
    "-- posts belong to users\nCREATE TABLE posts (id INTEGER, user_id INTEGER);\n";

/// Runs sqlx's own migrator on the project's directory and database.
fn sqlx_migrate(project: &Project) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        use sqlx::Connection as _;
        let url = format!("sqlite://{}?mode=rwc", project.db().display());
        let mut conn = sqlx::SqliteConnection::connect(&url)
            .await
            .expect("sqlx connects");
        let migrator = sqlx::migrate::Migrator::new(project.dir())
            .await
            .expect("sqlx reads");
        migrator.run(&mut conn).await.expect("sqlx migrates");
        conn.close().await.expect("close");
    });
}

#[test]
fn a_sqlx_database_is_adopted_with_its_checksums_compared() {
    let project = Project::new(&[("1_users.sql", SQLX_USERS), ("2_posts.sql", SQLX_POSTS)]);
    sqlx_migrate(&project);
    project.run_refused(Tool::Sqlx, 2);

    let mut conn = project.open();
    let report = project
        .migrations()
        .migrator()
        .adopt(&mut conn)
        .expect("adopt");
    assert_eq!(report.to, Some(Version(2)));
    drop(conn);
    project.add(&[("3_tags.sql", "CREATE TABLE tags (id INTEGER);\n")]);
    let mut conn = project.open();
    project
        .migrations()
        .migrate(&mut conn)
        .expect("migrate further");
    assert_eq!(versions_in(&conn, "schema_migrations"), [1, 2, 3]);
    assert_eq!(
        versions_in(&conn, "_sqlx_migrations"),
        [1, 2],
        "sqlx's table is left as it was"
    );
}

#[test]
fn sqlx_refusals_an_edited_file_and_a_failed_row() {
    let project = Project::new(&[("1_users.sql", SQLX_USERS), ("2_posts.sql", SQLX_POSTS)]);
    sqlx_migrate(&project);
    // Edited after sqlx applied it: only a comment, but sqlx's checksum is of the bytes.
    project.add(&[("2_posts.sql", &format!("{SQLX_POSTS}-- edited\n"))]);
    let (tool, problem, edited) = project.adoption_refused("schema_migrations");
    assert_eq!(tool, Tool::Sqlx);
    assert_eq!(problem, checksum_differs(&project, 2));
    assert!(
        edited.contains("2_posts.sql is not the file it applied as version 2"),
        "{edited}"
    );
    project.add(&[("2_posts.sql", SQLX_POSTS)]);
    project
        .open()
        .execute(
            "UPDATE _sqlx_migrations SET success = FALSE WHERE version = 2",
            [],
        )
        .expect("a failed row");
    let (_, problem, _) = project.adoption_refused("schema_migrations");
    assert_eq!(problem, AdoptProblem::Failed(Version(2)));
}

const REFINERY_USERS: &str = "CREATE TABLE users (id INTEGER PRIMARY KEY);\n";
const REFINERY_POSTS: &str = "CREATE TABLE posts (id INTEGER);\n";

/// Runs refinery's own runner over the project's `V…__….sql` files, read as
/// refinery's `embed_migrations!` reads them.
fn refinery_migrate(project: &Project) {
    let mut files: Vec<PathBuf> = fs::read_dir(project.dir())
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    let migrations: Vec<refinery_core::Migration> = files
        .iter()
        .map(|path| {
            let stem = path.file_stem().and_then(|s| s.to_str()).expect("name");
            refinery_core::Migration::unapplied(stem, &fs::read_to_string(path).expect("read"))
                .expect("refinery takes the file")
        })
        .collect();
    let mut conn = project.open();
    refinery_core::Runner::new(&migrations)
        .run(&mut conn)
        .expect("refinery migrates");
}

#[test]
fn a_refinery_database_is_adopted_with_refinerys_own_checksums() {
    let project = Project::new(&[
        ("V1__users.sql", REFINERY_USERS),
        ("V2__posts.sql", REFINERY_POSTS),
    ]);
    refinery_migrate(&project);
    project.run_refused(Tool::Refinery, 2);

    let mut conn = project.open();
    project
        .migrations()
        .migrator()
        .adopt_from(&mut conn, Tool::Refinery)
        .expect("adopt");
    drop(conn);
    project.add(&[("V3__tags.sql", "CREATE TABLE tags (id INTEGER);\n")]);
    let mut conn = project.open();
    project
        .migrations()
        .migrate(&mut conn)
        .expect("migrate further");
    assert_eq!(versions_in(&conn, "schema_migrations"), [1, 2, 3]);
    assert_eq!(versions_in(&conn, "refinery_schema_history"), [1, 2]);
}

#[test]
fn refinery_refusals_an_edited_file_and_a_renamed_one() {
    let project = Project::new(&[
        ("V1__users.sql", REFINERY_USERS),
        ("V2__posts.sql", REFINERY_POSTS),
    ]);
    refinery_migrate(&project);
    project.add(&[(
        "V2__posts.sql",
        "CREATE TABLE posts (id INTEGER, title TEXT);\n",
    )]);
    let (tool, problem, _) = project.adoption_refused("schema_migrations");
    assert_eq!(tool, Tool::Refinery);
    assert_eq!(problem, checksum_differs(&project, 2));
    fs::remove_file(project.dir().join("V2__posts.sql")).expect("rm");
    project.add(&[("V2__articles.sql", REFINERY_POSTS)]);
    let renamed = project.refuses(|m, conn| m.migrator().adopt(conn).expect_err("renamed"));
    assert!(
        matches!(&renamed, Error::CannotAdopt { problem: AdoptProblem::NameDiffers { recorded, .. }, .. } if recorded == "posts"),
        "{renamed:?}"
    );
}

/// diesel's table, as `diesel_migrations` creates it.
const DIESEL_TABLE: &str = "CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (
    version VARCHAR(50) PRIMARY KEY NOT NULL,
    run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
)";

fn diesel_project() -> Project {
    Project::new(&[
        (
            "2024-01-01-120000_users/up.sql",
            "CREATE TABLE users (id INTEGER);\n",
        ),
        ("2024-01-01-120000_users/down.sql", "DROP TABLE users;\n"),
        (
            "2024-02-01-120000_posts/up.sql",
            "CREATE TABLE posts (id INTEGER);\n",
        ),
        ("2024-02-01-120000_posts/down.sql", "DROP TABLE posts;\n"),
    ])
}

#[test]
fn a_diesel_database_is_adopted() {
    let project = diesel_project();
    project
        .open()
        .execute_batch(&format!(
            "{DIESEL_TABLE};
             CREATE TABLE users (id INTEGER);
             INSERT INTO __diesel_schema_migrations (version) VALUES ('20240101120000');"
        ))
        .expect("diesel's state");
    let mut conn = project.open();
    let migrations = project.migrations();
    let report = migrations.migrator().adopt(&mut conn).expect("adopt");
    assert_eq!(report.to, Version::diesel("20240101120000"));
    migrations.migrate(&mut conn).expect("migrate further");
    // diesel's versions, with room for its `-0000` suffix (`Version::diesel`).
    assert_eq!(
        versions_in(&conn, "schema_migrations"),
        [2024010112000000000, 2024020112000000000]
    );
}

#[test]
fn a_version_the_set_lacks_is_refused() {
    let project = diesel_project();
    project
        .open()
        .execute_batch(&format!(
            "{DIESEL_TABLE};
             INSERT INTO __diesel_schema_migrations (version) VALUES ('20240101120000'), ('20231201000000');"
        ))
        .expect("diesel's state");
    let (tool, problem, error) = project.adoption_refused("schema_migrations");
    assert_eq!(tool, Tool::Diesel);
    assert_eq!(
        problem,
        AdoptProblem::UnknownVersion(Version::diesel("20231201000000").expect("a version"))
    );
    assert_eq!(
        error,
        "cannot adopt diesel's history: it applied version 20231201000000, which no embedded migration has; \
         add that migration's file, unchanged, to the directory; nothing was changed"
    );
}

/// SuperChat's runner's table.
const SUPERCHAT_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
)";

#[test]
fn a_superchat_database_is_adopted_and_a_renamed_file_refused() {
    let project = Project::new(&[
        ("001_initial.sql", "CREATE TABLE channels (id INTEGER);\n"),
        (
            "002_add_user_table.sql",
            "CREATE TABLE users (id INTEGER);\n",
        ),
    ]);
    project
        .open()
        .execute_batch(&format!(
            "{SUPERCHAT_TABLE};
             CREATE TABLE channels (id INTEGER);
             INSERT INTO schema_migrations VALUES (1, 'initial', 1700000000000);"
        ))
        .expect("SuperChat's state");
    let error = project.run_refused(Tool::SuperChat, 1);
    assert!(matches!(
        error,
        Error::ForeignHistory {
            shares_table: true,
            ..
        }
    ));

    fs::rename(
        project.dir().join("001_initial.sql"),
        project.dir().join("001_init.sql"),
    )
    .expect("mv");
    let (_, problem, _) = project.adoption_refused("schema_migrations");
    assert!(
        matches!(&problem, AdoptProblem::NameDiffers { .. }),
        "{problem:?}"
    );
    fs::rename(
        project.dir().join("001_init.sql"),
        project.dir().join("001_initial.sql"),
    )
    .expect("mv");

    let mut conn = project.open();
    let migrations = project.migrations();
    let report = migrations
        .migrator()
        .adopt(&mut conn)
        .expect("adopt in place");
    assert_eq!(
        report.kept_history.map(|k| k.kept_as),
        Some("superchat_schema_migrations".to_owned())
    );
    migrations.migrate(&mut conn).expect("migrate further");
    assert_eq!(versions_in(&conn, "schema_migrations"), [1, 2]);
}

/// dbmate's files, as `dbmate new` writes them.
const DBMATE_USERS: &str =
    "-- migrate:up\nCREATE TABLE users (id INTEGER);\n\n-- migrate:down\nDROP TABLE users;\n";
const DBMATE_POSTS: &str =
    "-- migrate:up\nCREATE TABLE posts (id INTEGER);\n\n-- migrate:down\nDROP TABLE posts;\n";

/// dbmate's table has our history table's name and one column, the
/// version as text: adopted in place, its table kept under a new name.
#[test]
fn a_dbmate_database_is_adopted_in_place() {
    let project = Project::new(&[
        ("20240101120000_users.sql", DBMATE_USERS),
        ("20240201120000_posts.sql", DBMATE_POSTS),
    ]);
    project
        .open()
        .execute_batch(
            // dbmate's sqlite driver.
            "create table if not exists schema_migrations (version varchar(128) primary key);
             CREATE TABLE users (id INTEGER);
             INSERT INTO schema_migrations (version) VALUES ('20240101120000');",
        )
        .expect("dbmate's state");
    let error = project.run_refused(Tool::Dbmate, 20_240_101_120_000);
    assert!(
        matches!(
            error,
            Error::ForeignHistory {
                shares_table: true,
                ..
            }
        ),
        "{error}"
    );
    let mut conn = project.open();
    let migrations = project.migrations();
    let report = migrations
        .migrator()
        .adopt(&mut conn)
        .expect("adopt in place");
    assert_eq!(
        report.kept_history.map(|k| k.kept_as),
        Some("dbmate_schema_migrations".to_owned())
    );
    migrations.migrate(&mut conn).expect("migrate further");
    assert_eq!(
        versions_in(&conn, "schema_migrations"),
        [20_240_101_120_000, 20_240_201_120_000]
    );
}

#[test]
fn nothing_to_adopt_says_so() {
    let project = Project::new(&[("001_users.sql", GOOSE_1)]);
    project
        .open()
        .execute_batch("CREATE TABLE users (id INTEGER)")
        .expect("a database");
    let none = project.refuses(|m, conn| m.migrator().adopt(conn).expect_err("nothing"));
    assert!(
        matches!(none, Error::NothingToAdopt { tool: None, .. }),
        "{none:?}"
    );
    let goose = project.refuses(|m, conn| {
        m.migrator()
            .adopt_from(conn, Tool::Goose)
            .expect_err("nothing")
    });
    assert!(
        goose.to_string().contains("no migration applied by goose"),
        "{goose}"
    );
    assert!(
        !goose.to_string().contains("migrated here already"),
        "{goose}"
    );
}

/// `adopt` on a database this project migrated already says so, rather
/// than only that no other tool's history is there.
#[test]
fn adopt_on_a_database_migrated_here_says_so() {
    let project = Project::new(&[("001_users.sql", GOOSE_1)]);
    project
        .migrations()
        .migrate(&mut project.open())
        .expect("migrates");
    let error = project.refuses(|m, conn| m.migrator().adopt(conn).expect_err("nothing to adopt"));
    assert!(
        matches!(
            error,
            Error::NothingToAdopt {
                tool: None,
                ours_at: Some(Version(1)),
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("the database is migrated here already (its history is at version 1)"),
        "{error}"
    );
}

#[test]
fn force_records_exactly_the_versions_up_to_its_target() {
    let project = Project::new(&[
        ("001_users.sql", GOOSE_1),
        ("002_posts.sql", GOOSE_2),
        ("003_tags.sql", GOOSE_3),
    ]);
    let mut conn = project.open();
    let migrations = project.migrations();
    migrations
        .migrator()
        .to(Version(1))
        .run(&mut conn)
        .expect("to 1");
    let report = migrations
        .migrator()
        .force(&mut conn, Version(3))
        .expect("force 3");
    assert_eq!(report.to, Some(Version(3)));
    assert_eq!(versions_in(&conn, "schema_migrations"), [1, 2, 3]);
    assert_eq!(tables(&conn), ["schema_migrations", "users"], "no SQL ran");
    migrations
        .migrator()
        .force(&mut conn, Version(1))
        .expect("force 1");
    assert_eq!(versions_in(&conn, "schema_migrations"), [1]);
    assert_eq!(tables(&conn), ["schema_migrations", "users"], "no Down ran");
}

/// The embedded set, applied by refinery's runner and then adopted: the
/// text reaches refinery as refinery reads it, so the checksums agree.
#[test]
fn the_refinery_runner_applies_an_embedded_set_that_is_then_adopted() {
    static SET: Migrations = migrate_runtime::embed_migrations!("migrations/basic");
    let root = tempfile::tempdir().expect("tempdir");
    let path: &Path = &root.path().join("app.db");
    let mut conn = Connection::open(path).expect("open");
    let report = SET
        .refinery_runner()
        .expect("runner")
        .run(&mut conn)
        .expect("refinery runs");
    assert_eq!(report.applied_migrations().len(), SET.len());
    let accounts: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'accounts'",
            [],
            |r| r.get(0),
        )
        .expect("query");
    assert_eq!(accounts, 1);
    SET.migrator()
        .adopt(&mut conn)
        .expect("refinery's checksums agree with ours");
    assert!(SET.migrate(&mut conn).expect("nothing pending").is_empty());
}

/// One real refusal per tool, as the closing note quotes them.
#[test]
fn each_tools_refusal_reads_as_a_sentence() {
    let project = Project::new(&[("001_initial.sql", "CREATE TABLE channels (id INTEGER);\n")]);
    project
        .open()
        .execute_batch(&format!(
            "{SUPERCHAT_TABLE}; INSERT INTO schema_migrations VALUES (1, 'first', 1700000000000);"
        ))
        .expect("SuperChat's state");
    let (tool, _, message) = project.adoption_refused("migrate_history");
    assert_eq!(tool, Tool::SuperChat);
    assert_eq!(
        message,
        "cannot adopt SuperChat's history: it applied version 1 as `first`, the embedded migration is \
         `initial`; give the file its old name back; nothing was changed"
    );
}

#[test]
fn a_version_refinery_cannot_take_is_refused_by_the_runner() {
    let project = Project::new(&[("V3000000000__big.sql", REFINERY_USERS)]);
    let Err(error) = project.migrations().refinery_runner() else {
        panic!("refinery takes versions up to i32::MAX only");
    };
    assert!(
        matches!(&error, Error::Refinery { path, .. } if path.ends_with("V3000000000__big.sql")),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("refinery cannot run this migration"),
        "{error}"
    );
}
