//! The scratch databases of one replay, and their end: every database
//! created is dropped when the replay ends, on every path. A replay killed
//! before its end (a cancelled CI job, an editor restarting its macro
//! server) cannot drop its own: the next replay on the server does. The
//! session that creates a replay's databases is named after them
//! (`application_name`) and lives as long as the replay; the server ends it
//! when its process dies, so a scratch database whose owner session is not
//! in `pg_stat_activity` belongs to nobody alive, on this machine or any
//! other. (Advisory locks would not do: they are per database, and each
//! replay may connect to another.)

use std::fmt::Write as _;

use postgres::Client;

use super::ServerAddress;
use crate::scratch_name::{PREFIX, new_name, owner_of};
use crate::server_error::ServerError;

impl ServerError {
    pub(super) fn url(error: &postgres::Error) -> ServerError {
        ServerError::Url {
            message: error_message(error),
        }
    }

    pub(super) fn replay(error: &postgres::Error) -> ServerError {
        ServerError::Session {
            message: error_message(error),
        }
    }
}

/// The server's own message where it sent one, else the driver's with
/// its causes (`error connecting to server: Connection refused`).
pub(crate) fn error_message(error: &postgres::Error) -> String {
    if let Some(db) = error.as_db_error() {
        return db.message().to_owned();
    }
    let mut text = error.to_string();
    let mut cause = std::error::Error::source(error);
    while let Some(next) = cause {
        let _ = write!(text, ": {next}");
        cause = next.source();
    }
    text
}

/// A scratch database: made fresh from `template0` under a name no other
/// has, dropped (with the copies taken of it) when this is dropped, and, if
/// the process is killed first, by the next one made on the server. The
/// build-time replay runs each sequence of migrations in one; the
/// migration-path tests (`migrate_runtime::testing`) and this project's own
/// tests make theirs with it too.
pub struct Scratch {
    address: ServerAddress,
    /// A session on the URL's own database, which creates and drops.
    admin: Client,
    /// The scratch database.
    name: String,
    /// The session the migrations run in; closed while a copy is made.
    client: Option<Client>,
    /// Every database created and not yet dropped.
    created: Vec<String>,
    copies: u32,
}

impl Scratch {
    /// Creates a fresh database from `template0` on the server of `url`
    /// (whose own database is where it is created from), first dropping
    /// the scratch databases of processes that are gone.
    ///
    /// # Errors
    ///
    /// [`ServerError`] when the server cannot be reached or the role may
    /// not create a database.
    pub fn create(server: &ServerAddress) -> Result<Scratch, ServerError> {
        let mut address = server.clone();
        if address.config().get_application_name().is_none() {
            address.config_mut().application_name("migrate replay");
        }
        let name = new_name();
        // The owner session, named before the database exists: a sweep
        // never finds the database without it.
        let mut owner = address.clone();
        owner.config_mut().application_name(&owner_session(&name));
        let mut admin = owner.connect()?;
        sweep(&mut admin);
        let mut scratch = Scratch {
            address,
            admin,
            name,
            client: None,
            created: Vec::new(),
            copies: 0,
        };
        let sql = format!("CREATE DATABASE {} TEMPLATE template0", scratch.name);
        scratch
            .admin
            .batch_execute(&sql)
            .map_err(|error| ServerError::Create {
                server: scratch.address.describe(),
                message: error_message(&error),
            })?;
        scratch.created.push(scratch.name.clone());
        Ok(scratch)
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How the replay connects to the database: the server's settings
    /// (named `migrate replay` unless they name themselves), with its name.
    fn address(&self) -> ServerAddress {
        self.address.with_database(&self.name)
    }

    /// The session on the scratch database, opened at first use and again
    /// after a copy.
    pub(super) fn client(&mut self) -> Result<&mut Client, ServerError> {
        if self.client.is_none() {
            self.client = Some(self.address().connect()?);
        }
        Ok(self.client.as_mut().expect("opened above"))
    }

    /// A copy of the scratch database as it is now; returns its name. The
    /// session is closed: a template database must have none.
    pub(super) fn copy(&mut self) -> Result<String, ServerError> {
        self.client = None;
        self.copies += 1;
        let copy = format!("{}_c{}", self.name, self.copies);
        self.admin
            .batch_execute(&format!("CREATE DATABASE {copy} TEMPLATE {}", self.name))
            .map_err(|error| ServerError::replay(&error))?;
        self.created.push(copy.clone());
        Ok(copy)
    }

    /// Puts the scratch database back to the copy `copy`, which stays.
    pub(super) fn restore(&mut self, copy: &str) -> Result<(), ServerError> {
        self.client = None;
        drop_database(&mut self.admin, &self.name)?;
        self.admin
            .batch_execute(&format!("CREATE DATABASE {} TEMPLATE {copy}", self.name))
            .map_err(|error| ServerError::replay(&error))?;
        self.client().map(|_| ())
    }

    /// Drops one database this replay created.
    pub(super) fn drop_database(&mut self, name: &str) -> Result<(), ServerError> {
        drop_database(&mut self.admin, name)?;
        self.created.retain(|created| created != name);
        Ok(())
    }

    /// Drops every database this replay created, saying which could not be.
    pub(super) fn drop_all(mut self) -> Result<(), ServerError> {
        self.client = None;
        while let Some(name) = self.created.pop() {
            drop_database(&mut self.admin, &name)?;
        }
        Ok(())
    }
}

impl Drop for Scratch {
    /// The path of a failure or a panic: the databases go all the same.
    fn drop(&mut self) {
        self.client = None;
        for name in std::mem::take(&mut self.created) {
            let _ = drop_database(&mut self.admin, &name);
        }
    }
}

/// The `application_name` of the session that owns the scratch database
/// `name` (and its copies).
fn owner_session(name: &str) -> String {
    format!("migrate replay owner {name}")
}

/// Drops the scratch databases of replays that are gone: those whose owner
/// session is not on the server any more. Best effort: a database it cannot
/// drop is left for the next one.
fn sweep(admin: &mut Client) {
    let Ok(rows) = admin.query(
        "SELECT datname FROM pg_database WHERE starts_with(datname, $1) ORDER BY datname",
        &[&PREFIX],
    ) else {
        return;
    };
    let Ok(sessions) = admin.query(
        "SELECT application_name FROM pg_stat_activity WHERE application_name IS NOT NULL",
        &[],
    ) else {
        return;
    };
    let alive: Vec<String> = sessions.iter().filter_map(|r| r.try_get(0).ok()).collect();
    for row in rows {
        let Ok(name) = row.try_get::<_, String>(0) else {
            continue;
        };
        let Some(owner) = owner_of(&name) else {
            continue;
        };
        if !alive.contains(&owner_session(owner)) {
            let _ = drop_database(admin, &name);
        }
    }
}

/// `DROP DATABASE`, ending any session still on it (`WITH (FORCE)`, from
/// PostgreSQL 13; plainly before).
fn drop_database(admin: &mut Client, name: &str) -> Result<(), ServerError> {
    let forced = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    let result = match forced {
        Err(error) if error.code() == Some(&postgres::error::SqlState::SYNTAX_ERROR) => {
            admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
        }
        other => other,
    };
    result.map_err(|error| ServerError::Drop {
        name: name.to_owned(),
        message: error_message(&error),
    })
}
