//! The SQLite backend: [`Backend`] for [`rusqlite::Connection`].

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, ErrorCode, OpenFlags};

mod history;

use crate::backoff::Backoff;
use crate::backup::{self, prune};
use crate::{
    Backend, BackupSettings, Backups, DriverError, Error, ForeignKeys, Function, HistoryStore,
    LockRequest, Locking, ProgressRecord, Result, Session, Statement, TableName, Version, code,
};

/// What [`Backend::lock`] holds on SQLite: an exclusive lock on the
/// companion file `<database>-migrate-lock` (none for an in-memory
/// database), and the connection's settings to restore.
///
/// SQLite's own write lock lasts one transaction only; this lock lasts the
/// whole run, so it also covers `NoTransaction` migrations and the gaps
/// between `per_migration(true)` commits. It is an OS file lock, so the
/// kernel releases it when the process dies.
#[derive(Debug)]
pub struct SqliteLock {
    file: Option<fs::File>,
    busy_timeout_ms: i64,
    foreign_keys_were_on: bool,
}

impl Locking for Connection {
    type Lock = SqliteLock;

    /// The lock file lasts the session: this backend takes no transaction
    /// lock, so a run never asks for one, and needs no lease, since the
    /// operating system releases a dead process's lock.
    async fn lock(&mut self, request: LockRequest<'_>) -> Result<SqliteLock> {
        let timeout = request.timeout;
        if self.is_readonly(rusqlite::MAIN_DB).unwrap_or(false) {
            return Err(Error::ReadOnly);
        }
        let busy_timeout_ms = busy_timeout_ms(self)?;
        let file = match self.path().filter(|p| !p.is_empty()) {
            Some(database) => {
                let file = lock_file(Path::new(database), timeout)?;
                folder_writable(Path::new(database))?;
                Some(file)
            }
            None => None,
        };
        set_busy_timeout(self, timeout)?;
        Ok(SqliteLock {
            file,
            busy_timeout_ms,
            foreign_keys_were_on: false,
        })
    }

    async fn outside_transaction(&mut self) -> Result<()> {
        if self.is_autocommit() {
            Ok(())
        } else {
            Err(Error::SessionInTransaction)
        }
    }

    async fn unlock(&mut self, lock: SqliteLock) {
        if lock.foreign_keys_were_on
            && let Err(error) = self.execute_batch("PRAGMA foreign_keys = ON")
        {
            tracing::error!("could not turn foreign keys back on: {error}");
        }
        restore_busy_timeout(self, lock.busy_timeout_ms);
        // Dropping the file releases the lock.
        drop(lock.file);
    }
}

impl Session for Connection {
    async fn begin(&mut self, _lock: &mut SqliteLock) -> Result<()> {
        let started = Instant::now();
        self.execute_batch("BEGIN IMMEDIATE").map_err(|error| {
            file_error(&error, started)
                .unwrap_or_else(|| Error::database("starting the migration transaction", error))
        })
    }

    async fn commit(&mut self, _lock: &mut SqliteLock) -> Result<()> {
        let started = Instant::now();
        self.execute_batch("COMMIT").map_err(|error| {
            rollback(self);
            file_error(&error, started)
                .unwrap_or_else(|| Error::database("committing the migrations", error))
        })
    }

    async fn rollback(&mut self, _lock: &mut SqliteLock) {
        rollback(self);
    }

    async fn execute(
        &mut self,
        _lock: &mut SqliteLock,
        sql: &str,
        limit: Option<Duration>,
    ) -> Result<(), DriverError> {
        if let Some(at) = sql.find('\0') {
            // SQLite stops reading at a NUL: the rest would silently not run.
            return Err(format!(
                "the statement has a NUL byte at offset {at}, where SQLite would stop reading it; nothing of it ran"
            )
            .into());
        }
        let result = limited(self, limit, |conn| conn.execute_batch(sql));
        result.map_err(|error| match error {
            // SQLite's own message: the statement is reported beside it anyway.
            #[cfg(feature = "bundled")]
            rusqlite::Error::SqlInputError { error, msg, .. } => {
                rusqlite::Error::SqliteFailure(error, Some(msg)).into()
            }
            other => other.into(),
        })
    }

    // With the `sqlite` feature alone, every function is a SQLite one.
    #[allow(clippy::match_like_matches_macro, unreachable_patterns)]
    fn can_call(&self, function: &Function) -> bool {
        match function {
            Function::Sqlite(_) => true,
            _ => false,
        }
    }

    async fn call(
        &mut self,
        _lock: &mut SqliteLock,
        function: Function,
        limit: Option<Duration>,
    ) -> Result<(), DriverError> {
        #[allow(unreachable_patterns)]
        match function {
            Function::Sqlite(run) => {
                let inside = !self.is_autocommit();
                if inside {
                    // Created in the run's transaction: after the function,
                    // it tells a commit from a rollback.
                    self.execute_batch(&format!("CREATE TEMP TABLE {MARKER} (x INTEGER)"))?;
                }
                let result = limited(self, limit, |conn| code::call(|| run(conn)));
                still_inside(self, inside)?;
                result
            }
            other => Err(format!(
                "a function written for {} cannot run on SQLite",
                other.driver()
            )
            .into()),
        }
    }
}

/// The table that marks the run's transaction while a Rust migration's
/// function runs in it (in the connection's own `temp` schema).
const MARKER: &str = "temp.embedded_migrations_open_run";

/// After a Rust migration's function: whether the connection is still as
/// the run left it, `inside` its transaction or outside any; the marker
/// is dropped. A function that ended the run's transaction is the
/// [`TransactionEnded`](crate::TransactionEnded) error (committed when
/// the marker outlived it); one that left a transaction open outside the
/// run's has it rolled back.
fn still_inside(conn: &Connection, inside: bool) -> Result<(), DriverError> {
    match (inside, conn.is_autocommit()) {
        (true, false) => {
            conn.execute_batch(&format!("DROP TABLE {MARKER}"))?;
            Ok(())
        }
        (true, true) => {
            let committed = conn
                .query_row(
                    "SELECT count(*) > 0 FROM temp.sqlite_master WHERE name = 'embedded_migrations_open_run'",
                    [],
                    |row| row.get::<_, bool>(0),
                )
                .ok();
            let _ = conn.execute_batch(&format!("DROP TABLE IF EXISTS {MARKER}"));
            Err(Box::new(crate::TransactionEnded::new(committed)))
        }
        (false, false) => {
            rollback(conn);
            Err(
                "the function, given the connection outside a transaction, left a transaction \
                 open; the run rolled it back, with what the function did in it"
                    .into(),
            )
        }
        (false, true) => Ok(()),
    }
}

/// Runs `run` on `conn`, interrupted by SQLite after `limit` (checked
/// every thousand virtual machine steps of its statements).
fn limited<T>(conn: &Connection, limit: Option<Duration>, run: impl FnOnce(&Connection) -> T) -> T {
    if let Some(limit) = limit {
        let deadline = Instant::now() + limit;
        conn.progress_handler(1000, Some(move || Instant::now() >= deadline));
    }
    let result = run(conn);
    if limit.is_some() {
        conn.progress_handler(0, None::<fn() -> bool>);
    }
    result
}

impl Backups for Connection {
    async fn write_backup(
        &mut self,
        settings: &BackupSettings,
        from: Option<Version>,
    ) -> Result<Option<PathBuf>> {
        let Some(database) = self.path().filter(|p| !p.is_empty()).map(PathBuf::from) else {
            return Ok(None);
        };
        if fs::metadata(&database).is_ok_and(|m| m.len() == 0) {
            // A new, empty file: there is nothing to lose.
            return Ok(None);
        }
        let started = Instant::now();
        let dir = backup::directory(&database, settings.dir.as_deref());
        let now: String = self
            .query_row("SELECT strftime('%Y%m%dT%H%M%f', 'now')", [], |row| {
                row.get(0)
            })
            .map_err(|e| Error::database("reading the time for the backup name", e))?;
        let path = backup::new_path(&database, &dir, from, &now.replace('.', ""));
        let failed = |driver: DriverError| Error::Backup {
            path: path.clone(),
            driver,
        };
        fs::create_dir_all(&dir).map_err(|e| failed(e.into()))?;
        // Written under a hidden name and renamed when complete: a run killed
        // during the copy leaves no file that looks like a backup.
        let partial = backup::partial_path(&path);
        copy_to(&database, &partial)
            .map_err(DriverError::from)
            .and_then(|()| fs::rename(&partial, &path).map_err(DriverError::from))
            .map_err(|e| {
                let _ = fs::remove_file(&partial);
                failed(e)
            })?;
        prune(&database, &dir, settings.keep, &path);
        crate::trace::backup(&database, &path, started.elapsed());
        Ok(Some(path))
    }
}

impl ForeignKeys<SqliteLock> for Connection {
    async fn foreign_keys_off(&mut self, lock: &mut SqliteLock) -> Result<()> {
        let on = self
            .query_row("PRAGMA foreign_keys", [], |row| row.get::<_, bool>(0))
            .map_err(|e| Error::database("reading PRAGMA foreign_keys", e))?;
        if on {
            self.execute_batch("PRAGMA foreign_keys = OFF")
                .map_err(|e| Error::database("setting PRAGMA foreign_keys", e))?;
            lock.foreign_keys_were_on = true;
        }
        Ok(())
    }

    async fn foreign_keys_on(&mut self, lock: &mut SqliteLock) -> Result<()> {
        if lock.foreign_keys_were_on {
            self.execute_batch("PRAGMA foreign_keys = ON")
                .map_err(|e| Error::database("setting PRAGMA foreign_keys", e))?;
        }
        Ok(())
    }

    async fn foreign_key_violations(&mut self) -> Result<Vec<String>> {
        let mut statement = self
            .prepare("PRAGMA foreign_key_check")
            .map_err(|e| Error::database("running PRAGMA foreign_key_check", e))?;
        let rows = statement
            .query_map([], |row| {
                let table: String = row.get(0)?;
                let rowid: Option<i64> = row.get(1)?;
                let parent: String = row.get(2)?;
                Ok(match rowid {
                    Some(rowid) => {
                        format!("`{table}` row {rowid} references a missing row of `{parent}`")
                    }
                    None => format!("a row of `{table}` references a missing row of `{parent}`"),
                })
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>());
        rows.map_err(|e| Error::database("running PRAGMA foreign_key_check", e))
    }
}

impl Backend for Connection {
    fn backups(&mut self) -> Option<&mut impl Backups> {
        Some(self)
    }

    fn foreign_keys(&mut self) -> Option<&mut impl ForeignKeys<SqliteLock>> {
        Some(self)
    }

    fn kind(&self) -> &'static str {
        "sqlite"
    }

    /// A statement that only changes rows commits in one transaction with
    /// its record: one commit (one sync of the file) instead of two, and
    /// after a kill either both are there or neither. Any other runs alone,
    /// as SQLite runs it outside a transaction (`VACUUM`, a `PRAGMA`,
    /// `ATTACH` differ or fail inside one), and the record follows.
    async fn execute_recorded(
        &mut self,
        lock: &mut SqliteLock,
        statement: &Statement,
        limit: Option<Duration>,
        record: ProgressRecord<'_>,
    ) -> Result<Result<(), DriverError>> {
        let together = statement.changes_rows_only();
        if together && let Err(error) = self.execute_batch("BEGIN IMMEDIATE") {
            return Ok(Err(error.into()));
        }
        if let Err(error) = Session::execute(self, lock, statement.sql(), limit).await {
            if together {
                rollback(self);
            }
            return Ok(Err(error));
        }
        let recorded = self
            .record_progress(record.table, record.version, record.progress)
            .await;
        if !together {
            return recorded.map(Ok);
        }
        if let Err(error) = recorded {
            rollback(self);
            return Err(error);
        }
        Session::commit(self, lock).await.map(Ok)
    }
}

/// Rolls the open transaction back, if any, and finishes what a write
/// error left in the journal.
fn rollback(conn: &Connection) {
    if !conn.is_autocommit()
        && let Err(error) = conn.execute_batch("ROLLBACK")
    {
        tracing::error!("ROLLBACK failed, the connection rolls back when it closes: {error}");
    }
    // After a write error (a full disk), SQLite may have rolled the
    // transaction back in memory but left the old pages in a hot
    // journal, for the next open to put back. A read puts them back now,
    // so the database is whole when the error is returned.
    if let Err(error) = conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(())) {
        tracing::error!(
            "the rollback could not finish; SQLite finishes it on the next open: {error}"
        );
    }
}

/// Takes the exclusive lock on `<database>-migrate-lock`, waiting at most
/// `timeout` for another migrator to release it.
fn lock_file(database: &Path, timeout: Duration) -> Result<fs::File> {
    let mut name = database.as_os_str().to_owned();
    name.push("-migrate-lock");
    let path = PathBuf::from(name);
    // A lock file another user made may be opened to read only; when it
    // cannot be opened at all, the first error says why (not "no such
    // file", which the second try gives in a folder that cannot be written).
    let file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .or_else(|first| fs::File::open(&path).map_err(|_| first))
        .map_err(|e| Error::CannotOpen {
            message: format!("the migration lock file {}: {e}", path.display()),
        })?;
    let mut backoff = Backoff::new(timeout);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(fs::TryLockError::WouldBlock) => match backoff.next() {
                Ok(pause) => std::thread::sleep(pause),
                Err(waited) => {
                    return Err(Error::Locked {
                        waited,
                        holder: None,
                    });
                }
            },
            Err(fs::TryLockError::Error(error)) => {
                return Err(Error::database("locking the migration lock file", error));
            }
        }
    }
}

/// Whether a file can be made in the folder of `database`: SQLite writes
/// its journal beside the database while it changes it, so in a folder
/// this user cannot write a run would fail at its first change, said as
/// that change's error. A file made and removed at once says it before
/// anything, with the folder.
fn folder_writable(database: &Path) -> Result<()> {
    let mut name = database.as_os_str().to_owned();
    name.push(format!("-migrate-probe-{}", std::process::id()));
    let probe = PathBuf::from(name);
    // A probe left by a killed run of the same process id is removed first.
    let _ = fs::remove_file(&probe);
    match fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(file) => {
            drop(file);
            let _ = fs::remove_file(&probe);
            Ok(())
        }
        Err(error) => {
            let folder = database
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            Err(Error::CannotOpen {
                message: format!(
                    "its folder {} cannot be written: {error}; SQLite keeps its journal beside \
                     the database file while it changes it",
                    folder.display()
                ),
            })
        }
    }
}

/// Copies the last committed state of the database at `source` into a new
/// file with SQLite's online backup API.
///
/// The copy is read through a connection of its own: the migrating
/// connection already holds the write lock, and SQLite refuses a backup from
/// a connection inside a write transaction. Its uncommitted changes are
/// invisible to the second connection, so the copy is the state before the run.
fn copy_to(source: &Path, path: &Path) -> rusqlite::Result<()> {
    let source = Connection::open_with_flags(source, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    source.busy_timeout(Duration::from_secs(30))?;
    let mut destination = Connection::open(path)?;
    let backup = Backup::new(&source, &mut destination)?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match backup.step(-1)? {
            StepResult::Done => return Ok(()),
            StepResult::Busy | StepResult::Locked if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10));
            }
            StepResult::Busy | StepResult::Locked => {
                return Err(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                    Some("the database stayed locked during the backup".to_owned()),
                ));
            }
            // `More`, and whatever a newer SQLite adds: step again.
            _ => {}
        }
    }
}

/// A history row's version, refused when no migration can have it.
fn version(table: &TableName, stored: i64) -> Result<Version> {
    // Version 0 is a real version: diesel's initial setup, sets numbered from 0.
    if stored >= 0 {
        Ok(Version(stored.cast_unsigned()))
    } else {
        Err(Error::BadHistoryRow {
            table: table.to_string(),
            version: stored,
        })
    }
}

/// Runs `read`, tried again while another connection keeps the database
/// locked (SQLite's busy and shared-cache locked answers), for at most
/// `wait`. A connection whose busy handler is a timeout (what `PRAGMA
/// busy_timeout` reports, rusqlite's 5 s by default) waits at most `wait`
/// in each try and gets its own timeout back; any other handler (an
/// application's `busy_handler`, which SQLite cannot report) is left as it
/// is.
fn waiting<T>(
    conn: &Connection,
    wait: Duration,
    read: impl Fn(&Connection, Instant) -> Result<T>,
) -> Result<T> {
    // A shared-cache database whose schema another connection holds
    // cannot even report its busy timeout: the reads below wait for it.
    let previous = busy_timeout_ms(conn).unwrap_or(0);
    if previous > 0 {
        set_busy_timeout(conn, wait)?;
    }
    let started = Instant::now();
    let mut pause = Duration::from_millis(1);
    let result = loop {
        match read(conn, started) {
            Err(Error::Locked { .. }) if started.elapsed() < wait => {
                std::thread::sleep(pause.min(wait.saturating_sub(started.elapsed())));
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            answer => break answer,
        }
    };
    if previous > 0 {
        restore_busy_timeout(conn, previous);
    }
    result
}

/// The connection's busy timeout, in milliseconds.
fn busy_timeout_ms(conn: &Connection) -> Result<i64> {
    let started = Instant::now();
    conn.prepare_cached("PRAGMA busy_timeout")
        .and_then(|mut s| s.query_row([], |row| row.get(0)))
        .map_err(|e| {
            file_error(&e, started)
                .unwrap_or_else(|| Error::database("reading the busy timeout", e))
        })
}

/// Sets the busy timeout; SQLite takes at most `i32::MAX` milliseconds
/// (about 24.8 days), and a longer wait is that long.
fn set_busy_timeout(conn: &Connection, wait: Duration) -> Result<()> {
    let most = Duration::from_millis(i32::MAX.unsigned_abs().into());
    conn.busy_timeout(wait.min(most))
        .map_err(|e| Error::database("setting the busy timeout", e))
}

fn restore_busy_timeout(conn: &Connection, ms: i64) {
    if let Err(error) = set_busy_timeout(conn, Duration::from_millis(ms.max(0).cast_unsigned())) {
        tracing::error!("could not restore the busy timeout: {error}");
    }
}

/// What a failed read of the history means: a lock that stayed taken, a
/// file that is no database, a damaged one, one that cannot be opened, or
/// a table that is not a history table.
fn classify(table: &TableName, error: &rusqlite::Error, started: Instant) -> Error {
    file_error(error, started).unwrap_or_else(|| invalid(table, error))
}

/// The errors of the database file rather than of a statement: a lock that
/// stayed taken (with the time waited since `started`), a file that is no
/// database, a damaged one, one that cannot be opened or take files beside it.
fn file_error(error: &rusqlite::Error, started: Instant) -> Option<Error> {
    let message = || match error {
        rusqlite::Error::SqliteFailure(_, Some(message)) => message.clone(),
        other => other.to_string(),
    };
    Some(match error.sqlite_error_code()? {
        ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => Error::Locked {
            waited: started.elapsed(),
            holder: None,
        },
        ErrorCode::NotADatabase => Error::NotADatabase { message: message() },
        ErrorCode::DatabaseCorrupt => Error::CorruptDatabase { message: message() },
        ErrorCode::CannotOpen => Error::CannotOpen { message: message() },
        _ => return None,
    })
}

fn invalid(table: &TableName, error: &rusqlite::Error) -> Error {
    Error::InvalidHistory {
        table: table.to_string(),
        message: error.to_string(),
    }
}

fn is_no_such_table(error: &rusqlite::Error) -> bool {
    matches!(error, rusqlite::Error::SqliteFailure(_, Some(message)) if message.starts_with("no such table"))
}
