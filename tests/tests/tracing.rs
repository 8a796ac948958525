//! What a run tells `tracing`, read back as `tracing-subscriber`'s JSON
//! lines (what a service that logs JSON would write): a span per run and per
//! migration with their fields, an event per statement at debug level, the
//! lock wait and the backup. SQLite on real files; the async PostgreSQL
//! driver on the real server.

use std::cell::RefCell;
use std::io::Write;
use std::sync::Once;
use std::time::Duration;

use migrate_runtime::rusqlite::Connection;
use migrate_tests::BASIC;
use serde_json::Value;

thread_local! {
    /// What the subscriber wrote on this thread while it was capturing.
    static CAPTURED: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
}

/// The JSON lines the subscriber wrote on this thread while `during` ran.
/// One global subscriber, as a service installs it: callsites then always
/// know a subscriber is interested (a per-thread default can leave a
/// callsite cached as uninteresting while tests run in parallel). Other
/// threads' lines are dropped.
fn logged<T>(during: impl FnOnce() -> T) -> (T, Vec<Value>) {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        tracing_subscriber::fmt()
            .json()
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(|| ThisThread)
            .init();
    });
    CAPTURED.with(|c| *c.borrow_mut() = Some(Vec::new()));
    let result = during();
    let bytes = CAPTURED.with(|c| c.borrow_mut().take()).unwrap_or_default();
    let text = String::from_utf8(bytes).expect("utf-8");
    let lines = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    (result, lines)
}

struct ThisThread;

impl Write for ThisThread {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        CAPTURED.with(|c| {
            if let Some(buffer) = c.borrow_mut().as_mut() {
                buffer.extend_from_slice(bytes);
            }
        });
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The events whose message is `message`.
fn events<'a>(lines: &'a [Value], message: &str) -> Vec<&'a Value> {
    lines
        .iter()
        .filter(|line| line["fields"]["message"] == message)
        .collect()
}

/// The span called `name` among those an event ran in.
fn span<'a>(event: &'a Value, name: &str) -> &'a Value {
    event["spans"]
        .as_array()
        .and_then(|spans| spans.iter().find(|s| s["name"] == name))
        .unwrap_or_else(|| panic!("no span `{name}` around {event}"))
}

#[test]
fn a_run_logs_its_span_each_migration_each_statement_and_the_backup() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("app.db");
    let mut conn = Connection::open(&path).expect("open");
    let (report, lines) = logged(|| {
        BASIC
            .migrator()
            .to(migrate_runtime::Version(2))
            .run(&mut conn)
    });
    report.expect("migrates to 2");

    let statements = events(&lines, "statement");
    assert!(statements.len() >= 2, "{lines:#?}");
    let first = statements[0];
    assert_eq!(first["level"], "DEBUG");
    assert_eq!(first["fields"]["file"], "migrations/basic/001_accounts.sql");
    assert!(first["fields"]["line"].as_u64().is_some_and(|l| l >= 1));
    assert!(first["fields"]["elapsed_ms"].as_f64().is_some());
    let run = span(first, "migrate");
    assert_eq!(run["operation"], "up");
    assert_eq!(run["database"], "sqlite");
    assert_eq!(run["history_table"], "schema_migrations");
    assert_eq!(run["from"], "none (no migration applied)");
    assert_eq!(run["to"], "2");
    let migration = span(first, "migration");
    assert_eq!(migration["version"], 1);
    assert_eq!(migration["migration_name"], "accounts");
    assert_eq!(migration["change"], "up");
    assert_eq!(migration["file"], "migrations/basic/001_accounts.sql");
    assert_eq!(migration["transaction"], true);

    let applied: Vec<_> = lines
        .iter()
        .filter(|l| l["level"] == "INFO" && l["fields"]["change"] == "up")
        .collect();
    assert_eq!(applied.len(), 2, "one event per migration: {lines:#?}");
    assert_eq!(applied[1]["fields"]["version"], 2);
    assert!(
        applied[1]["fields"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("applied 2 entries in ")),
        "{}",
        applied[1]
    );
    assert!(
        events(&lines, "backup written").is_empty(),
        "a new file has no backup"
    );

    // The next run changes a file that holds data: a backup, with its size.
    let (report, lines) = logged(|| BASIC.migrate(&mut conn));
    report.expect("migrates to 3");
    let backup = events(&lines, "backup written");
    assert_eq!(backup.len(), 1, "{lines:#?}");
    let fields = &backup[0]["fields"];
    assert!(fields["bytes"].as_u64().is_some_and(|b| b > 0), "{fields}");
    let written = fields["path"].as_str().expect("path");
    assert!(std::path::Path::new(written).exists(), "{written}");
    assert_eq!(span(backup[0], "migrate")["from"], "2");

    // Nothing pending: the run's span and nothing else of note.
    let (report, lines) = logged(|| BASIC.migrate(&mut conn));
    assert!(report.expect("nothing to do").is_empty());
    assert!(events(&lines, "statement").is_empty(), "{lines:#?}");
}

/// Another migrator, on its own thread, runs `operation` on `path` and
/// holds the lock `hold` long (its progress callback runs under the lock);
/// returns once it has the lock.
fn hold_lock(
    path: &std::path::Path,
    hold: Duration,
    operation: impl FnOnce(
        migrate_runtime::Migrator<'static>,
        &mut Connection,
    ) -> migrate_runtime::Result<migrate_runtime::Report>
    + Send
    + 'static,
) -> std::thread::JoinHandle<()> {
    let (started, holding) = std::sync::mpsc::channel();
    let path = path.to_path_buf();
    let holder = std::thread::spawn(move || {
        let mut conn = Connection::open(&path).expect("open");
        let migrator = BASIC.migrator().on_progress(move |_| {
            let _ = started.send(());
            std::thread::sleep(hold);
        });
        operation(migrator, &mut conn).expect("the holder's run");
    });
    holding.recv().expect("the holder has the lock");
    holder
}

#[test]
fn a_lock_wait_is_logged_with_the_time_waited() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("app.db");
    // Another migrator holds the lock for 300 ms.
    let holder = hold_lock(&path, Duration::from_millis(300), |migrator, conn| {
        migrator.to(migrate_runtime::Version(1)).run(conn)
    });
    let mut conn = Connection::open(&path).expect("open");
    let (report, lines) = logged(|| BASIC.migrate(&mut conn));
    report.expect("migrates after the wait");
    holder.join().expect("holder");
    let waited = events(&lines, "migration lock taken after a wait");
    assert_eq!(waited.len(), 1, "{lines:#?}");
    assert!(
        waited[0]["fields"]["waited_ms"]
            .as_f64()
            .is_some_and(|ms| ms >= 50.0),
        "{}",
        waited[0]
    );

    // A wait that runs out is a warning with the time waited.
    let holder = hold_lock(&path, Duration::from_millis(400), |migrator, conn| {
        migrator.down(conn)
    });
    let (refused, lines) = logged(|| {
        BASIC
            .migrator()
            .busy_timeout(Duration::from_millis(50))
            .down(&mut conn)
    });
    holder.join().expect("holder");
    assert!(refused.is_err());
    let vain = events(&lines, "migration lock still taken, waited in vain");
    assert_eq!(vain.len(), 1, "{lines:#?}");
    assert_eq!(vain[0]["level"], "WARN");
    assert!(
        vain[0]["fields"]["waited_ms"]
            .as_f64()
            .is_some_and(|ms| ms >= 50.0)
    );
}

#[test]
fn the_async_driver_logs_the_same_spans() {
    let Some(db) = migrate_tests::pg::Scratch::new() else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (report, lines) = logged(|| {
        runtime.block_on(async {
            let (mut client, connection) = migrate_runtime::tokio_postgres::connect(
                &db.url(),
                migrate_runtime::tokio_postgres::NoTls,
            )
            .await
            .expect("connect");
            tokio::spawn(connection);
            migrate_tests::PG_BASIC
                .migrator()
                .run_async(&mut client)
                .await
        })
    });
    assert_eq!(report.expect("runs").to, Some(migrate_runtime::Version(3)));
    let statements = events(&lines, "statement");
    assert!(!statements.is_empty(), "{lines:#?}");
    let run = span(statements[0], "migrate");
    assert_eq!(run["database"], "postgresql");
    assert_eq!(run["to"], "3");
    assert_eq!(span(statements[0], "migration")["version"], 1);
}
