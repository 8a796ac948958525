//! The build-time check of a `dialect = "mysql"` set beyond its format:
//! with `MIGRATE_REPLAY_MYSQL_URL` naming a MySQL or MariaDB server, every
//! migration replayed on a scratch database of it (the `mysql-replay`
//! feature); without it, nothing connects anywhere.

#[cfg(feature = "mysql-replay")]
use crate::expand::combine;
use crate::expand::{carries_password, replay_url};
use crate::input::Input;

/// The variable naming a MySQL or MariaDB server to replay a `dialect =
/// "mysql"` set on at build time.
pub const MYSQL_REPLAY_URL: &str = "MIGRATE_REPLAY_MYSQL_URL";

/// Replays `set` on the server of `MIGRATE_REPLAY_MYSQL_URL`, when it is set.
pub fn check_mysql(input: &Input, set: &migrate_core::MigrationSet) -> syn::Result<()> {
    let span = input.dir.span();
    let Some(url) = replay_url(MYSQL_REPLAY_URL, std::env::var(MYSQL_REPLAY_URL))
        .map_err(|e| syn::Error::new(span, e))?
    else {
        return Ok(());
    };
    // Cargo writes the variables a build reads, with their values, into
    // `target/`: the password comes from `MYSQL_PWD` instead, which the
    // build reads without tracking.
    if carries_password(&url) {
        return Err(syn::Error::new(
            span,
            format!(
                "the URL in `{MYSQL_REPLAY_URL}` carries a password, and cargo writes the \
                 variables a build reads, with their values, into `target/`; give the URL \
                 without it and the password in `MYSQL_PWD`, which the build reads and never \
                 writes"
            ),
        ));
    }
    #[cfg(feature = "mysql-replay")]
    {
        let problems = migrate_replay::replay_mysql(set, &url).map_err(|error| {
            let message = format!(
                "cannot replay the migrations on the server of `{MYSQL_REPLAY_URL}`: {error}; \
                 start the server or fix the variable, or unset it to build without the replay"
            );
            syn::Error::new(span, message)
        })?;
        combine(input, &problems).map_or(Ok(()), Err)
    }
    #[cfg(not(feature = "mysql-replay"))]
    {
        let _ = (set, url);
        Err(syn::Error::new(
            span,
            format!(
                "`{MYSQL_REPLAY_URL}` is set, but `migrate-runtime` was built without its \
                 `mysql-replay` feature; turn the feature on to replay the migrations on that \
                 server, or unset the variable"
            ),
        ))
    }
}
