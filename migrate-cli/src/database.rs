//! `--db` / `DATABASE_URL`: which SQLite file a command opens, from the URL
//! forms other tools use, and the database opened.

use std::path::Path;

use migrate_runtime::rusqlite::Connection;

/// The file a `--db` value names: `app.db`, `sqlite:app.db`,
/// `sqlite://app.db`, `sqlite3://app.db`, `file:app.db` and
/// `file:///srv/app.db` all name a file (a `?mode=rwc` query is dropped).
/// An empty path, an in-memory database and a server URL are refused: an
/// in-memory migration would vanish when the command ends, a deploy with an
/// unset variable must fail loudly, and this command line migrates SQLite
/// files only. A password in the URL is never repeated.
pub fn path(url: &str) -> Result<&str, String> {
    let (scheme, rest) = match url.split_once(':') {
        Some((scheme, rest)) if scheme.len() > 1 => (scheme.to_ascii_lowercase(), rest),
        // No scheme, or a Windows drive letter.
        _ => (String::new(), url),
    };
    let path = match scheme.as_str() {
        "sqlite" | "sqlite3" | "file" => {
            let rest = rest.strip_prefix("//").unwrap_or(rest);
            let rest = rest.strip_prefix("localhost/").map_or(rest, |_| &rest[9..]);
            rest.split_once('?').map_or(rest, |(path, _)| path)
        }
        "postgres" | "postgresql" => {
            return Err(format!(
                "--db (or DATABASE_URL) is a PostgreSQL URL (`{}`): this command line migrates SQLite \
                 files for now; pass the path of a SQLite database file",
                redacted(url)
            ));
        }
        "mysql" | "mariadb" | "sqlserver" | "mssql" => {
            return Err(format!(
                "--db (or DATABASE_URL) is a {scheme} URL (`{}`): this command line migrates SQLite \
                 files; from a program, `Migrations::refinery_runner` applies the same migrations with refinery's drivers",
                redacted(url)
            ));
        }
        _ => url,
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

/// `url` with the password of its `user:password@` part replaced by `***`.
pub fn redacted(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let authority_end = url[scheme_end..]
        .find('/')
        .map_or(url.len(), |i| scheme_end + i);
    let authority = &url[scheme_end..authority_end];
    match authority.rfind('@') {
        Some(at) => match authority[..at].split_once(':') {
            Some((user, _)) => format!(
                "{}{user}:***{}",
                &url[..scheme_end],
                &url[scheme_end + at..]
            ),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// Opens the database `url` names.
pub fn open(url: &str) -> Result<Connection, String> {
    let path = path(url)?;
    Connection::open(path).map_err(|e| format!("cannot open the database {path}: {e}"))
}

/// [`open`], for commands that make no sense on a new database: a missing
/// file is an error, not a new empty database.
pub fn open_existing(url: &str) -> Result<Connection, String> {
    let path = path(url)?;
    if !Path::new(path).exists() {
        return Err(format!(
            "the database {path} does not exist; check the path (`migrate up` creates a new database)"
        ));
    }
    open(url)
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
    }

    #[test]
    fn server_urls_are_refused_without_their_password() {
        let error = path("postgres://app:s3cret@db.example/app").expect_err("not yet");
        assert!(error.contains("PostgreSQL"), "{error}");
        assert!(
            error.contains("postgres://app:***@db.example/app"),
            "{error}"
        );
        assert!(!error.contains("s3cret"), "{error}");
        assert!(
            !path("mysql://root:pw@h/db")
                .expect_err("refused")
                .contains("pw@")
        );
        assert_eq!(redacted("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redacted("app.db"), "app.db");
    }
}
