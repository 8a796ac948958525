//! A MySQL or MariaDB scratch database for one replay, and its end. Every
//! database created is dropped when the replay ends, on every path; one
//! whose replay was killed first is dropped by the next replay on the
//! server. The owner of a scratch database is the session holding the
//! named lock of its name (`GET_LOCK`), which the server frees when that
//! session ends, on whichever machine it ran.
//!
//! MySQL's DDL commits as it goes, so a state cannot be rolled back: the
//! scratch database keeps the statements that made it, and going back to
//! an earlier state is building the database again from them.

use std::time::Duration;

use mysql::prelude::Queryable;
use mysql::{Conn, Opts, OptsBuilder};

use crate::scratch_name::{PREFIX, new_name, owner_of};
use crate::server_error::ServerError;

/// How long a connection's startup may take: a server that accepts the
/// connection and never answers must not hang a build.
const STARTUP_LIMIT: Duration = Duration::from_secs(10);

/// A scratch database on a MySQL or MariaDB server.
pub(super) struct Scratch {
    /// The session that owns the database (holds its named lock), creates
    /// and drops it, and runs the migrations in it.
    conn: Conn,
    /// The database's name.
    name: String,
    /// The server, for messages: host, port, user (never the password).
    server: String,
    /// `MariaDB 10.11.6` or `MySQL 8.4.2`.
    pub(super) flavour: String,
    /// Whether the server is MariaDB (its statement limit differs).
    pub(super) mariadb: bool,
    /// The statements that made the database as it is, in order.
    made: Vec<String>,
    dropped: bool,
    /// How to open another session in the database.
    opts: Opts,
}

impl Scratch {
    /// Creates a fresh database on the server of `url`, first dropping the
    /// scratch databases of replays that are gone.
    pub(super) fn create(url: &str) -> Result<Scratch, ServerError> {
        // MariaDB's scheme, which the driver does not know, is MySQL's.
        let url = url
            .strip_prefix("mariadb://")
            .map_or_else(|| url.to_owned(), |rest| format!("mysql://{rest}"));
        let opts = Opts::from_url(&url).map_err(|error| ServerError::Url {
            message: error.to_string(),
        })?;
        let mut builder = OptsBuilder::from_opts(opts.clone()).db_name(None::<String>);
        // A password kept out of the URL (which a build tracks, value and
        // all) comes from `MYSQL_PWD`, as the `mysql` client takes it.
        if opts.get_pass().is_none()
            && let Ok(password) = std::env::var("MYSQL_PWD")
        {
            builder = builder.pass(Some(password));
        }
        let builder = builder.tcp_connect_timeout(Some(STARTUP_LIMIT));
        // Another session in the database waits as long as it needs.
        let in_database = builder.clone();
        let builder = builder.read_timeout(Some(crate::sequence::BUILD_LIMIT));
        let server = format!(
            "{}:{}, user {}",
            opts.get_ip_or_hostname(),
            opts.get_tcp_port(),
            opts.get_user().unwrap_or("(none)")
        );
        let mut conn = Conn::new(builder).map_err(|error| ServerError::MysqlConnect {
            server: server.clone(),
            message: message(&error),
        })?;
        let version: String = conn
            .query_first("SELECT VERSION()")
            .map_err(|error| session(&error))?
            .unwrap_or_default();
        let mariadb = version.contains("MariaDB");
        let number = version.split('-').next().unwrap_or_default().to_owned();
        let flavour = format!("{} {number}", if mariadb { "MariaDB" } else { "MySQL" });
        sweep(&mut conn);
        let name = new_name();
        // The lock first: a sweep never finds the database without its owner.
        let locked: Option<i64> = conn
            .query_first(format!("SELECT GET_LOCK('{name}', 0)"))
            .map_err(|error| session(&error))?;
        if locked != Some(1) {
            return Err(ServerError::Session {
                message: format!("the named lock `{name}` could not be taken"),
            });
        }
        conn.query_drop(format!("CREATE DATABASE `{name}`"))
            .map_err(|error| ServerError::Create {
                server: server.clone(),
                message: message(&error),
            })?;
        conn.query_drop(format!("USE `{name}`"))
            .map_err(|error| session(&error))?;
        Ok(Scratch {
            conn,
            opts: Opts::from(in_database.db_name(Some(name.as_str()))),
            name,
            server,
            flavour,
            mariadb,
            made: Vec::new(),
            dropped: false,
        })
    }

    /// The session in the scratch database.
    pub(super) fn conn(&mut self) -> &mut Conn {
        &mut self.conn
    }

    /// How many statements made the database as it is now.
    pub(super) fn state(&self) -> usize {
        self.made.len()
    }

    /// Keeps `sql`, which ran, as one of the statements that made it.
    pub(super) fn ran(&mut self, sql: &str) {
        self.made.push(sql.to_owned());
    }

    /// Puts the database back to the state after `state` statements: drops
    /// it, creates it again, and runs them again.
    pub(super) fn restore(&mut self, state: usize) -> Result<(), ServerError> {
        self.made.truncate(state);
        let name = self.name.clone();
        let again = format!("DROP DATABASE `{name}`; CREATE DATABASE `{name}`; USE `{name}`");
        self.conn
            .query_drop(again)
            .map_err(|error| session(&error))?;
        for sql in &self.made {
            run(&mut self.conn, sql).map_err(|error| ServerError::Session {
                message: format!(
                    "a statement that ran before did not run again: {}",
                    message(&error)
                ),
            })?;
        }
        Ok(())
    }

    /// Drops the database, saying so when it cannot be.
    pub(super) fn drop_all(mut self) -> Result<(), ServerError> {
        self.dropped = true;
        drop_database(&mut self.conn, &self.name)
    }

    /// The server, for messages.
    pub(super) fn server(&self) -> &str {
        &self.server
    }

    /// The database's name.
    pub(super) fn name(&self) -> &str {
        &self.name
    }

    /// A new session in the database.
    pub(super) fn connect(&self) -> Result<Conn, ServerError> {
        Conn::new(self.opts.clone()).map_err(|error| ServerError::MysqlConnect {
            server: self.server.clone(),
            message: message(&error),
        })
    }
}

impl Drop for Scratch {
    /// The path of a failure or a panic: the database goes all the same.
    fn drop(&mut self) {
        if !self.dropped {
            let _ = drop_database(&mut self.conn, &self.name);
        }
    }
}

fn drop_database(conn: &mut Conn, name: &str) -> Result<(), ServerError> {
    conn.query_drop(format!("DROP DATABASE IF EXISTS `{name}`"))
        .map_err(|error| ServerError::Drop {
            name: name.to_owned(),
            message: message(&error),
        })
}

/// Drops the scratch databases of replays that are gone: those whose named
/// lock nobody holds. Best effort: one it cannot drop is left for the next.
fn sweep(conn: &mut Conn) {
    let Ok(names) = conn.query::<String, _>(format!(
        "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '{}%'",
        PREFIX.replace('_', "\\_")
    )) else {
        return;
    };
    for name in names {
        let Some(owner) = owner_of(&name) else {
            continue;
        };
        let held: Result<Option<Option<i64>>, _> =
            conn.query_first(format!("SELECT IS_USED_LOCK('{owner}')"));
        if matches!(held, Ok(Some(None))) {
            let _ = drop_database(conn, &name);
        }
    }
}

/// Runs `sql` (one statement, or several) and reads every result it
/// gives: an error that arrives while rows are sent (a subquery returning
/// two rows, a limit reached during a `SELECT`, a failing `CALL`) is the
/// statement's error, as the client would show it.
pub(super) fn run(conn: &mut Conn, sql: &str) -> Result<(), mysql::Error> {
    let mut result = conn.query_iter(sql)?;
    while let Some(set) = result.iter() {
        for row in set {
            row?;
        }
    }
    Ok(())
}

/// The server's words for a failure: `ERROR 1146 (42S02): …` where the
/// server answered, else the driver's.
pub(super) fn message(error: &mysql::Error) -> String {
    match error {
        mysql::Error::MySqlError(server) => {
            format!(
                "ERROR {} ({}): {}",
                server.code, server.state, server.message
            )
        }
        other => other.to_string(),
    }
}

fn session(error: &mysql::Error) -> ServerError {
    ServerError::Session {
        message: message(error),
    }
}
