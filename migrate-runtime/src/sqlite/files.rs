//! The files beside a SQLite database: the migration lock file, the probe
//! that its folder can be written, and the backup before a run.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::client::Client;
use crate::backoff::Backoff;
use crate::backup::{self, prune};
use crate::{BackupSettings, DriverError, Error, Result, Value, Version};

/// Takes the exclusive lock on `<database>-migrate-lock`, waiting at most
/// `timeout` for another migrator to release it.
pub(super) async fn lock_file<C: Client>(
    conn: &mut C,
    database: &Path,
    timeout: Duration,
) -> Result<fs::File> {
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
                Ok(pause) => conn.pause(pause).await,
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
pub(super) fn folder_writable(database: &Path) -> Result<()> {
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

/// [`Backups::write_backup`](crate::Backups::write_backup) on SQLite: a
/// copy of the last committed state, written under a hidden name and
/// renamed when complete.
pub(super) async fn write_backup<C: Client>(
    conn: &mut C,
    settings: &BackupSettings,
    from: Option<Version>,
) -> Result<Option<PathBuf>> {
    let Some(database) = conn.path().await else {
        return Ok(None);
    };
    if fs::metadata(&database).is_ok_and(|m| m.len() == 0) {
        // A new, empty file: there is nothing to lose.
        return Ok(None);
    }
    let started = Instant::now();
    let dir = backup::directory(&database, settings.dir.as_deref());
    let now = conn
        .rows("SELECT strftime('%Y%m%dT%H%M%f', 'now')", &[])
        .await
        .map_err(|e| Error::database("reading the time for the backup name", e))?
        .into_iter()
        .next()
        .and_then(|row| row.into_iter().next())
        .and_then(|value| match value {
            Value::Text(text) => Some(text),
            _ => None,
        })
        .unwrap_or_default();
    let path = backup::new_path(&database, &dir, from, &now.replace('.', ""));
    let failed = |driver: DriverError| Error::Backup {
        path: path.clone(),
        driver,
    };
    fs::create_dir_all(&dir).map_err(|e| failed(e.into()))?;
    // Written under a hidden name and renamed when complete: a run killed
    // during the copy leaves no file that looks like a backup.
    let partial = backup::partial_path(&path);
    let copied = conn
        .copy_file(&database, &partial)
        .await
        .and_then(|()| fs::rename(&partial, &path).map_err(DriverError::from));
    if let Err(error) = copied {
        let _ = fs::remove_file(&partial);
        return Err(failed(error));
    }
    prune(&database, &dir, settings.keep, &path);
    crate::trace::backup(&database, &path, started.elapsed());
    Ok(Some(path))
}
