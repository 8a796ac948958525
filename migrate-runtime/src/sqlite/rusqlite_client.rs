//! [`Client`] for rusqlite's `Connection` (feature `sqlite`): every call
//! blocks and its future is ready at once. Statements with parameters are
//! prepared once per connection (rusqlite's statement cache).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

use super::client::{Cell, Client, Failure};
use crate::{DriverError, Function, Value, code};

impl From<rusqlite::Error> for Failure {
    fn from(error: rusqlite::Error) -> Failure {
        let code = error.sqlite_error().map(|e| e.extended_code & 0xff);
        let error = match error {
            // SQLite's own words: the statement is reported beside them.
            #[cfg(feature = "bundled")]
            rusqlite::Error::SqlInputError { error, msg, .. } => {
                rusqlite::Error::SqliteFailure(error, Some(msg))
            }
            other => other,
        };
        Failure {
            code,
            error: Box::new(error),
        }
    }
}

impl Client for Connection {
    async fn batch(&mut self, sql: &str) -> Result<(), Failure> {
        Ok(self.execute_batch(sql)?)
    }

    async fn rows(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>, Failure> {
        let mut statement = self.prepare_cached(sql)?;
        let width = statement.column_count();
        let rows = statement
            .query_map(
                rusqlite::params_from_iter(params.iter().map(param)),
                |row| {
                    (0..width)
                        .map(|i| row.get_ref(i).map(value))
                        .collect::<rusqlite::Result<Vec<Value>>>()
                },
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    async fn visit_rows(
        &mut self,
        sql: &str,
        visit: &mut (dyn FnMut(&[Cell<'_>]) + Send),
    ) -> Result<(), Failure> {
        use rusqlite::types::ValueRef;
        let mut statement = self.prepare_cached(sql)?;
        let width = statement.column_count();
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            // The history's rows are narrow: their cells need no allocation.
            let mut cells = [Cell::Null; 8];
            let mut wide = Vec::new();
            for i in 0..width {
                let cell = match row.get_ref(i)? {
                    ValueRef::Null => Cell::Null,
                    ValueRef::Integer(n) => Cell::Integer(n),
                    ValueRef::Real(r) => Cell::Real(r),
                    ValueRef::Text(t) => Cell::Text(std::str::from_utf8(t).unwrap_or_default()),
                    ValueRef::Blob(b) => Cell::Blob(b),
                };
                match cells.get_mut(i) {
                    Some(slot) => *slot = cell,
                    None => wide.push(cell),
                }
            }
            if wide.is_empty() {
                visit(&cells[..width.min(cells.len())]);
            } else {
                let mut all = cells.to_vec();
                all.extend(wide);
                visit(&all);
            }
        }
        Ok(())
    }

    async fn change(&mut self, sql: &str, params: &[Value]) -> Result<u64, Failure> {
        let changed = self
            .prepare_cached(sql)?
            .execute(rusqlite::params_from_iter(params.iter().map(param)))?;
        Ok(changed as u64)
    }

    async fn in_transaction(&mut self) -> Result<bool, Failure> {
        Ok(!self.is_autocommit())
    }

    async fn path(&mut self) -> Option<PathBuf> {
        Connection::path(self)
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
    }

    async fn is_readonly(&mut self) -> bool {
        Connection::is_readonly(self, rusqlite::MAIN_DB).unwrap_or(false)
    }

    async fn set_busy_timeout(&mut self, ms: u32) -> Result<(), Failure> {
        Ok(self.busy_timeout(Duration::from_millis(ms.into()))?)
    }

    async fn set_deadline(&mut self, deadline: Option<Instant>) {
        match deadline {
            Some(deadline) => {
                self.progress_handler(1000, Some(move || Instant::now() >= deadline));
            }
            None => self.progress_handler(0, None::<fn() -> bool>),
        }
    }

    async fn copy_file(&mut self, source: &Path, copy: &Path) -> Result<(), DriverError> {
        copy_to(source, copy).map_err(DriverError::from)
    }

    async fn pause(&mut self, pause: Duration) {
        std::thread::sleep(pause);
    }

    // With the `sqlite` feature alone, every function is a SQLite one.
    #[allow(clippy::match_like_matches_macro, unreachable_patterns)]
    fn can_call(&self, function: &Function) -> bool {
        match function {
            Function::Sqlite(_) => true,
            _ => false,
        }
    }

    async fn call(&mut self, function: Function) -> Result<(), DriverError> {
        #[allow(unreachable_patterns)]
        match function {
            Function::Sqlite(run) => code::call(|| run(self)),
            other => Err(format!(
                "a function written for {} cannot run on a `rusqlite::Connection`",
                other.driver()
            )
            .into()),
        }
    }
}

/// A value as rusqlite binds it.
fn param(value: &Value) -> rusqlite::types::ToSqlOutput<'_> {
    use rusqlite::types::{ToSqlOutput, ValueRef};
    ToSqlOutput::Borrowed(match value {
        Value::Null => ValueRef::Null,
        Value::Integer(i) => ValueRef::Integer(*i),
        Value::Real(r) => ValueRef::Real(*r),
        Value::Text(t) => ValueRef::Text(t.as_bytes()),
        Value::Blob(b) => ValueRef::Blob(b),
    })
}

/// A SQLite value as a [`Value`].
fn value(value: rusqlite::types::ValueRef<'_>) -> Value {
    use rusqlite::types::ValueRef;
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(r) => Value::Real(r),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
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
