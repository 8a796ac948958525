//! A PostgreSQL server as a user names it: a `postgres://` URL or a libpq
//! connection string (`host=db user=app`), read as libpq reads it, TLS
//! parameters included (`sslmode=verify-full`, `sslrootcert`, `sslcert`,
//! `sslkey`), which the driver's own parser does not know. Every connection
//! this project makes itself (the command line, the build-time replay, the
//! `testing` module's servers) is made from one.

use std::fmt::Write as _;
use std::time::Duration;

use postgres::{Client, Config};

use super::tls::{Tls, TlsParameters};
use super::{ServerError, error_message};

/// A PostgreSQL server to connect to, with the database, the role and the
/// TLS settings its URL names. Reading it checks the TLS files named, so a
/// wrong path is said before any connection.
#[derive(Clone)]
pub struct ServerAddress {
    config: Config,
    tls: Tls,
}

impl std::fmt::Debug for ServerAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// How long a connection's whole startup may take (the socket, the
/// server's answer, the TLS handshake, the authentication): a server that
/// accepts the connection and never answers (a dead tunnel) must not hang
/// a build or a deploy.
const STARTUP_LIMIT: Duration = Duration::from_secs(10);

impl ServerAddress {
    /// Reads `url`: a `postgres://` (or `postgresql://`) URL or a
    /// `keyword=value` connection string. `sslmode` is libpq's (`disable`,
    /// `allow` and `prefer` — the default —, `require`, `verify-ca`,
    /// `verify-full`), with `sslrootcert` (a file, or `system`), `sslcert`
    /// and `sslkey`; `PGSSLMODE`, `PGSSLROOTCERT`, `PGSSLCERT`,
    /// `PGSSLKEY` and `PGPASSWORD` are read as libpq reads them when the
    /// URL does not say.
    ///
    /// # Errors
    ///
    /// [`ServerError::Url`] when the URL cannot be read, a TLS parameter
    /// has a value libpq would refuse, or a certificate or key file named
    /// cannot be read (the message names the file, never its content).
    pub fn parse(url: &str) -> Result<ServerAddress, ServerError> {
        let (rest, parameters) = TlsParameters::take(url)?;
        let mut config: Config = rest.parse().map_err(|error| ServerError::url(&error))?;
        // A password kept out of the URL (which a build tracks, value and
        // all) comes from `PGPASSWORD`, as psql takes it.
        if config.get_password().is_none()
            && let Ok(password) = std::env::var("PGPASSWORD")
        {
            config.password(password);
        }
        let tls = Tls::new(&parameters.with_environment())?;
        config.ssl_mode(tls.driver_mode());
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(STARTUP_LIMIT);
        }
        Ok(ServerAddress { config, tls })
    }

    /// The driver's settings (host, port, role, database…).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The driver's settings, to change (the database, the session's name).
    pub fn config_mut(&mut self) -> &mut Config {
        &mut self.config
    }

    /// The same server and settings, on database `name`.
    #[must_use]
    pub fn with_database(&self, name: &str) -> ServerAddress {
        let mut address = self.clone();
        address.config.dbname(name);
        address
    }

    /// A session, or the error naming the server without its password. The
    /// startup runs on a thread of its own, waited for at most ten seconds;
    /// one that never ends is left to the process's end.
    ///
    /// # Errors
    ///
    /// [`ServerError::Connect`] with the server's words (`database "x"
    /// does not exist`), the system's (`Connection refused`) or the TLS
    /// verification's (`the certificate of db.example is not signed by …`).
    pub fn connect(&self) -> Result<Client, ServerError> {
        let (sender, receiver) = std::sync::mpsc::channel();
        let config = self.config.clone();
        let connector = self.tls.connector();
        let made = connector.clone();
        std::thread::spawn(move || {
            let _ = sender.send(config.connect(made));
        });
        let failed = |message: String| ServerError::Connect {
            server: self.describe(),
            message,
        };
        match receiver.recv_timeout(STARTUP_LIMIT) {
            Ok(Ok(client)) => {
                self.tls.connected(&connector, &self.describe());
                Ok(client)
            }
            Ok(Err(error)) => Err(failed(error_message(&error))),
            Err(_) => Err(failed(format!(
                "the server accepted the connection but did not answer in {STARTUP_LIMIT:?}"
            ))),
        }
    }

    /// The server as a message may name it: host, port, user and database
    /// (never the password).
    pub fn describe(&self) -> String {
        let config = &self.config;
        let hosts: Vec<String> = config
            .get_hosts()
            .iter()
            .map(|host| match host {
                postgres::config::Host::Tcp(name) => name.clone(),
                postgres::config::Host::Unix(path) => path.display().to_string(),
            })
            .collect();
        let mut text = if hosts.is_empty() {
            "localhost".to_owned()
        } else {
            hosts.join(",")
        };
        if let Some(port) = config.get_ports().first() {
            let _ = write!(text, ":{port}");
        }
        if let Some(user) = config.get_user() {
            let _ = write!(text, ", user {user}");
        }
        if let Some(dbname) = config.get_dbname() {
            let _ = write!(text, ", database {dbname}");
        }
        text
    }
}
