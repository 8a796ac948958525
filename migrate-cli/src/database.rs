//! `--db` / `DATABASE_URL`: which database a command opens (a SQLite file,
//! named in the URL forms other tools use, a PostgreSQL server, or a MySQL
//! or MariaDB server), and the database opened.

use std::path::Path;

use migrate_runtime::postgres;
use migrate_runtime::rusqlite::Connection;

/// An open database.
pub enum Database {
    /// A SQLite file; with the file this command created, if it did.
    Sqlite(Connection, Option<Box<NewFile>>),
    /// A session on a PostgreSQL server (boxed: a client is large).
    Postgres(Box<postgres::Client>),
    /// A session on a MySQL or MariaDB server.
    Mysql(Box<migrate_runtime::mysql::Conn>),
}

/// Opens the database `url` names; with `existing`, a SQLite file that does
/// not exist is an error, not a new empty database.
pub fn open(url: &str, existing: bool) -> Result<Database, String> {
    if is_postgres(url) {
        let client = migrate_replay::ServerAddress::parse(url)
            .and_then(|address| address.connect())
            .map_err(|e| {
                format!(
                    "cannot connect to the PostgreSQL server of --db (or DATABASE_URL) `{}`: {}",
                    redacted(url),
                    connect_failure(&e)
                )
            })?;
        return Ok(Database::Postgres(Box::new(client)));
    }
    if is_mysql(url) {
        return open_mysql(url).map(|conn| Database::Mysql(Box::new(conn)));
    }
    let path = path(url)?;
    let exists = Path::new(path).exists();
    if existing && !exists {
        return Err(format!(
            "the database {path} does not exist; check the path (`migrate up` creates a new database)"
        ));
    }
    // SQLite would say "unable to open database file" for a new file in a
    // folder that is not there.
    if let Some(folder) = Path::new(path)
        .parent()
        .filter(|f| !f.as_os_str().is_empty())
        && !exists
        && !folder.is_dir()
    {
        return Err(format!(
            "the folder {} of the database {path} does not exist; create it, or check the path",
            folder.display()
        ));
    }
    let new = (!exists).then(|| Box::new(NewFile(path.into())));
    Connection::open(path)
        .map(|conn| Database::Sqlite(conn, new))
        .map_err(|e| format!("cannot open the database {path}: {e}"))
}

/// A session on the MySQL or MariaDB server of `url` (`mysql://` or
/// `mariadb://`), which must name a database: the history table and the
/// migrations live there. The password is never repeated.
fn open_mysql(url: &str) -> Result<migrate_runtime::mysql::Conn, String> {
    use migrate_runtime::mysql::{Conn, Opts};
    let (_, rest) = url.split_once("://").unwrap_or(("", url));
    let mysql_url = format!("mysql://{rest}");
    let hidden = |text: String| match password_of(&mysql_url) {
        Some(password) if !password.is_empty() => text.replace(password, "***"),
        _ => text,
    };
    let cannot = |why: String| {
        format!(
            "cannot connect to the MySQL server of --db (or DATABASE_URL) `{}`: {}",
            redacted(url),
            hidden(why)
        )
    };
    // A URL the driver cannot read is not repeated: where its password
    // ends is what the driver could not tell either.
    let opts = Opts::from_url(&mysql_url).map_err(|e| {
        format!(
            "--db (or DATABASE_URL) is not a MySQL URL the driver reads ({}): \
             write mysql://user:password@host:3306/app, with `/`, `@`, `:`, `?` and `%` \
             in the password percent-encoded (`%2F`, `%40` …)",
            hidden(e.to_string())
        )
    })?;
    if opts.get_db_name().is_none_or(str::is_empty) {
        return Err(format!(
            "--db (or DATABASE_URL) `{}` names no database: add it to the URL (mysql://user@host/app); the history table and the migrations live there",
            redacted(url)
        ));
    }
    Conn::new(opts).map_err(|e| {
        cannot(match e {
            migrate_runtime::mysql::Error::MySqlError(server) => format!(
                "ERROR {} ({}): {}",
                server.code, server.state, server.message
            ),
            migrate_runtime::mysql::Error::DriverError(driver) => driver.to_string(),
            migrate_runtime::mysql::Error::IoError(io) => io.to_string(),
            other => other.to_string(),
        })
    })
}

/// The password of a URL's `user:password@` part, as written.
fn password_of(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    let authority = rest.split('/').next()?;
    let (credentials, _) = authority.rsplit_once('@')?;
    credentials.split_once(':').map(|(_, password)| password)
}

/// A SQLite file the command created by opening it.
pub struct NewFile(std::path::PathBuf);

impl NewFile {
    /// Removes the file (and SQLite's files beside it) when the command
    /// left it without a single table: a dry run, or a refused command.
    pub fn take_back_if_empty(self, conn: Connection) {
        let empty = conn
            .query_row("SELECT count(*) = 0 FROM sqlite_master", [], |row| {
                row.get::<_, bool>(0)
            })
            .unwrap_or(false);
        drop(conn);
        if empty {
            for side in ["", "-journal", "-wal", "-shm"] {
                let mut name = self.0.clone().into_os_string();
                name.push(side);
                let _ = std::fs::remove_file(std::path::PathBuf::from(name));
            }
        }
    }
}

/// Why a connection failed, in the words the server, the system or the
/// TLS verification gave (the server's name is in the message already).
fn connect_failure(error: &migrate_replay::ServerError) -> String {
    match error {
        migrate_replay::ServerError::Connect { message, .. }
        | migrate_replay::ServerError::Url { message } => message.clone(),
        other => other.to_string(),
    }
}

/// The SQL dialect of the database at `url`: how its migrations are read.
pub fn dialect(url: &str) -> migrate_core::Dialect {
    if is_postgres(url) {
        migrate_core::Dialect::Postgres
    } else if is_mysql(url) {
        migrate_core::Dialect::Mysql
    } else {
        migrate_core::Dialect::Sqlite
    }
}

/// Whether `url` names a MySQL or MariaDB server (`mysql://`,
/// `mariadb://`).
pub fn is_mysql(url: &str) -> bool {
    let lower = url.get(..10).unwrap_or(url).to_ascii_lowercase();
    lower.starts_with("mysql://") || lower.starts_with("mariadb://")
}

/// Whether `url` names a PostgreSQL server: a `postgres://` URL, or a
/// connection string of `keyword=value` pairs as libpq reads them
/// (`host=db user=app dbname=app`), never a file name.
fn is_postgres(url: &str) -> bool {
    let lower = url.get(..13).unwrap_or(url).to_ascii_lowercase();
    lower.starts_with("postgres://")
        || lower.starts_with("postgresql://")
        || url
            .split_once('=')
            .is_some_and(|(key, _)| CONNECTION_KEYWORDS.contains(&key.trim()))
}

/// The keywords a libpq connection string may start with.
const CONNECTION_KEYWORDS: [&str; 14] = [
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "passfile",
    "sslmode",
    "sslrootcert",
    "application_name",
    "options",
    "connect_timeout",
    "target_session_attrs",
    "channel_binding",
];

/// The file a `--db` value names: `app.db`, `sqlite:app.db`,
/// `sqlite://app.db`, `sqlite3://app.db`, `file:app.db` and
/// `file:///srv/app.db` all name a file (a `?mode=rwc` query is dropped).
/// An empty path, an in-memory database and a SQL Server URL are refused:
/// an in-memory migration would vanish when the command ends, a deploy with
/// an unset variable must fail loudly, and this command line migrates
/// SQLite, PostgreSQL and MySQL only (a MySQL URL is not a path, and
/// `mysql:` without `//` is refused). A password in the URL is never repeated.
fn path(url: &str) -> Result<&str, String> {
    let (scheme, rest) = match url.split_once(':') {
        Some((scheme, rest)) if scheme.len() > 1 && is_scheme(scheme) => {
            (scheme.to_ascii_lowercase(), rest)
        }
        // No scheme, or a Windows drive letter.
        _ => (String::new(), url),
    };
    let path = match scheme.as_str() {
        "sqlite" | "sqlite3" | "file" => {
            let rest = rest.strip_prefix("//").unwrap_or(rest);
            let rest = rest.strip_prefix("localhost/").map_or(rest, |_| &rest[9..]);
            // Not repeated: `user:password@` means nothing to SQLite.
            if rest
                .split('/')
                .next()
                .is_some_and(|host| host.contains('@'))
            {
                return Err(format!(
                    "--db (or DATABASE_URL) is a {scheme} URL with a user (`…@`), which a SQLite \
                     file has none of; a PostgreSQL URL starts with `postgres://`"
                ));
            }
            let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
            refuse_what_is_not_followed(url, path, query)?;
            path
        }
        "sqlserver" | "mssql" => {
            return Err(format!(
                "--db (or DATABASE_URL) is a {scheme} URL (`{}`): this command line migrates SQLite \
                 files, PostgreSQL, MySQL and MariaDB; from a program, \
                 `Migrations::refinery_runner` applies the same migrations with refinery's drivers",
                redacted(url)
            ));
        }
        "mysql" | "mariadb" => {
            // `mysql:` without `//`: not a URL the driver reads. Not
            // repeated: no redaction knows where a password is in it.
            return Err(format!(
                "--db (or DATABASE_URL) starts with `{scheme}:` but is not a MySQL URL: write \
                 mysql://user@host:3306/app"
            ));
        }
        "" => {
            refuse_a_query_without_a_scheme(url)?;
            url
        }
        _ => {
            // Not repeated: what follows the scheme may hold a password
            // in a form no redaction knows.
            return Err(format!(
                "--db (or DATABASE_URL) starts with `{scheme}:`, which names no database this \
                 command line knows: a PostgreSQL URL starts with `postgres://`, a SQLite \
                 file is a path, `sqlite://` or `file:`; write `./{scheme}:…` for a file whose \
                 name has a colon"
            ));
        }
    };
    let in_memory =
        path == ":memory:" || path.starts_with(":memory:") || url.contains("mode=memory");
    if path.trim().is_empty() || in_memory {
        return Err(format!(
            "--db (or DATABASE_URL) names no database file (`{}`): an in-memory or unnamed database \
             would vanish when the command ends; pass the path of the database file",
            redacted(url)
        ));
    }
    Ok(path)
}

/// Refuses what a SQLite URL asks that this command line would not do as
/// SQLite does: a query parameter other than `mode=rwc`/`mode=rw` (`mode=ro`
/// and `immutable=1` would be dropped, and the file migrated all the same),
/// and a percent-encoded path (SQLite decodes `%20`; this reads it as
/// written, so another file would be opened).
fn refuse_what_is_not_followed(url: &str, path: &str, query: &str) -> Result<(), String> {
    let odd = query
        .split('&')
        .find(|p| !p.is_empty() && !matches!(*p, "mode=rwc" | "mode=rw" | "mode=memory"));
    if let Some(parameter) = odd {
        return Err(format!(
            "--db (or DATABASE_URL) asks SQLite for `{parameter}` (`{}`), which this command line \
             does not follow: it opens the file to read and write. Remove it",
            redacted(url)
        ));
    }
    if path.contains('%') {
        return Err(format!(
            "--db (or DATABASE_URL) has a percent-encoded path (`{}`), which SQLite would \
             decode and this command line would not; write the path as it is (`app data.db`)",
            redacted(url)
        ));
    }
    Ok(())
}

/// Whether `text` can be a URL's scheme (RFC 3986: a letter, then letters,
/// digits, `+`, `-` and `.`): `C` is a drive, `./a` a path.
fn is_scheme(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_alphabetic())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// Refuses a plain file name with what looks like a URL's query
/// (`app.db?mode=ro`): SQLite reads parameters only in a `file:` URL and
/// would open a file of that whole name, which is not what was meant.
fn refuse_a_query_without_a_scheme(url: &str) -> Result<(), String> {
    match url.split_once('?') {
        Some((path, query)) if query.contains('=') => Err(format!(
            "--db (or DATABASE_URL) names the file `{}`, whose `?{}` looks like a URL's \
             parameters, which SQLite reads only after `file:`; write `file:{path}?…`, \
             or the file name alone",
            redacted(url),
            redacted(query)
        )),
        _ => Ok(()),
    }
}

/// `url` with every password it holds replaced by `***`: the one of its
/// `user:password@` part, and the value of a `password=` parameter (in a
/// URL's query or a `keyword=value` connection string).
pub fn redacted(url: &str) -> String {
    password_values_hidden(&user_password_hidden(url))
}

/// `url` with the password of its `user:password@` part replaced by `***`.
/// The user part ends at the URL's last `@`, whatever comes before it: a
/// password with an unencoded `/`, `@` or `?` (which no reader of the URL
/// agrees on) is hidden whole, and a later `@` only hides more.
fn user_password_hidden(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let Some(at) = url[scheme_end..].rfind('@').map(|i| scheme_end + i) else {
        return url.to_owned();
    };
    match url[scheme_end..at].find(':') {
        Some(colon) => format!("{}:***{}", &url[..scheme_end + colon], &url[at..]),
        None => url.to_owned(),
    }
}

/// `text` with the value of each `password=` (and `sslpassword=`)
/// parameter replaced by `***`: up to the next `&` or blank, or a `'…'`
/// value whole, a `\` escaping the character after it as libpq reads it.
fn password_values_hidden(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = password_value(rest) {
        out.push_str(&rest[..start]);
        out.push_str("***");
        let value = &rest[start..];
        let quoted = value.starts_with('\'');
        let mut end = value.len();
        let mut chars = value.char_indices().skip(usize::from(quoted));
        while let Some((at, c)) = chars.next() {
            match c {
                '\\' => {
                    chars.next();
                }
                '\'' if quoted => {
                    end = at + 1;
                    break;
                }
                c if !quoted && (c == '&' || c.is_whitespace()) => {
                    end = at;
                    break;
                }
                _ => {}
            }
        }
        rest = &value[end..];
    }
    out.push_str(rest);
    out
}

/// Where the value of the first `password=` (or `pass=`) parameter of
/// `text` starts.
fn password_value(text: &str) -> Option<usize> {
    // Any case: `PASSWORD=` is refused by the driver, and then repeated.
    let lower = text.to_ascii_lowercase();
    lower.match_indices("pass").find_map(|(at, key)| {
        // `password`, libpq's `sslpassword` (the client key's), or `pass`
        // (the MySQL client's spelling).
        let key_start = text[..at].strip_suffix("ssl").unwrap_or(&text[..at]);
        let starts_a_parameter = key_start
            .chars()
            .next_back()
            .is_none_or(|c| c == '?' || c == '&' || c.is_whitespace());
        let word = if lower[at + key.len()..].starts_with("word") {
            4
        } else {
            0
        };
        let after = &text[at + key.len() + word..];
        let value = after.trim_start().strip_prefix('=')?.trim_start();
        starts_a_parameter.then(|| text.len() - value.len())
    })
}

#[cfg(test)]
mod tests {
    use super::{path, redacted};

    #[test]
    fn urls_name_files() {
        for (url, file) in [
            ("sqlite://app.db", "app.db"),
            ("sqlite:data/app.db", "data/app.db"),
            ("sqlite3://app.db", "app.db"),
            ("sqlite://app.db?mode=rwc", "app.db"),
            ("file:app.db", "app.db"),
            ("file:///srv/app.db", "/srv/app.db"),
            ("file://localhost/srv/app.db", "/srv/app.db"),
            ("/tmp/app.db", "/tmp/app.db"),
            ("app.db", "app.db"),
        ] {
            assert_eq!(path(url), Ok(file), "{url}");
        }
        for none in [
            "",
            " ",
            ":memory:",
            "sqlite:",
            "sqlite://",
            "sqlite::memory:",
            "file::memory:?cache=shared",
            "file:app.db?mode=memory",
        ] {
            assert!(path(none).is_err(), "{none:?}");
        }
        // What SQLite would do otherwise is refused, not dropped.
        for odd in [
            "sqlite:///x.db?mode=ro",
            "file:app.db?immutable=1",
            "file:rel%20sp.db",
        ] {
            assert!(path(odd).is_err(), "{odd:?}");
        }
    }

    #[test]
    fn server_urls_never_show_their_password() {
        let error = path("sqlserver://root:s3cret@h/db").expect_err("refused");
        assert!(error.contains("sqlserver://root:***@h/db"), "{error}");
        assert!(!error.contains("s3cret"), "{error}");
        let error = path("mysql:root:s3cret@h/db").expect_err("refused");
        assert!(!error.contains("s3cret"), "{error}");
        // A password with unencoded `/`, `@`, `?`: hidden whole.
        for (url, shown) in [
            ("mysql://u:ab/cdSECRET@h:3306/db", "mysql://u:***@h:3306/db"),
            ("mysql://u:S3cr#t@p:w/d%?&x@h/db", "mysql://u:***@h/db"),
            ("mysql://u@h/db?pass=hunter2", "mysql://u@h/db?pass=***"),
        ] {
            assert_eq!(redacted(url), shown);
        }
        assert_eq!(
            redacted("postgres://app:s3cret@db.example/app"),
            "postgres://app:***@db.example/app"
        );
        assert!(super::is_postgres("postgres://u@h/db") && super::is_postgres("PostgreSQL://h"));
        assert!(!super::is_postgres("app.db"));
        assert_eq!(redacted("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redacted("app.db"), "app.db");
        for (url, shown) in [
            (
                "postgres://u@h/db?password=s3cret&sslmode=disable",
                "postgres://u@h/db?password=***&sslmode=disable",
            ),
            (
                "postgres://u:s3cret@h/db?sslmode=disable&password=s3cret",
                "postgres://u:***@h/db?sslmode=disable&password=***",
            ),
            (
                "host=h user=u password=s3cret dbname=db",
                "host=h user=u password=*** dbname=db",
            ),
            (
                "host=h password = 's3 cret' dbname=db",
                "host=h password = *** dbname=db",
            ),
            (
                "postgres://h/db?mypassword=x",
                "postgres://h/db?mypassword=x",
            ),
        ] {
            assert_eq!(redacted(url), shown, "{url}");
        }
    }

    #[test]
    fn a_connection_string_names_a_server_and_a_file_name_does_not() {
        assert!(super::is_postgres("host=h user=u password=p"));
        assert!(super::is_postgres("dbname = app"));
        assert!(!super::is_postgres("a=b.db"));
        assert!(!super::is_postgres("data/app.db"));
    }
}
