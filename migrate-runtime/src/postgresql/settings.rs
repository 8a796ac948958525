//! The settings a run needs on PostgreSQL — the schema (`search_path`),
//! the lock and statement timeouts, the check that the client is still
//! there — held only inside the transaction they serve (`set_config(…,
//! true)`), so that a pooler in transaction mode may hand each transaction
//! to any server session, and nothing is left behind for another client of
//! the pool, after an error or after a kill.
//!
//! They travel with something the run sends anyway: the `BEGIN` of a run's
//! transaction, and a `SELECT set_config(…)` sent in one message before a
//! statement (inside a transaction, only what changed). A statement
//! outside a transaction gets them in its own implicit transaction: the
//! settings and the statement in one message, which the server runs as one
//! transaction. A statement the server refuses inside a transaction block
//! (`CREATE INDEX CONCURRENTLY`, `VACUUM` …; the server says so, and
//! nothing ran) cannot carry them: it waits for locks without a lock
//! timeout, as `CONCURRENTLY` statements always do, and it runs only where
//! it needs neither the schema nor a time limit, or on a connection its
//! user declared a session of the run's own (`direct_connection(true)`),
//! where the two are set for the session around it and given back.

use std::time::Duration;

use super::millis;
use crate::SettingsRefused;

/// The check that the client is still there (see `check_client!`).
const CHECK_CLIENT: &str = check_client!();

/// The custom setting that keeps, for the rest of a transaction, the
/// `statement_timeout` that a limit of the run replaced in it.
const OWN_STATEMENT_TIMEOUT: &str = "embedded_migrations.statement_timeout";

/// `schema` as a `search_path` value (it is a checked identifier).
fn search_path(schema: &str) -> String {
    format!("\"{schema}\"")
}

/// `value` as an SQL string literal.
fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// `set_config` of `name` to `value`, for the transaction only when `local`.
fn set_config(name: &str, value: &str, local: bool) -> String {
    format!("set_config('{name}', {}, {local})", literal(value))
}

/// A limit as `lock_timeout` takes it: `0` turns it off.
fn millis_or_off(limit: Duration) -> String {
    if limit.is_zero() {
        "0".to_owned()
    } else {
        millis(limit)
    }
}

/// What the run set in the open transaction, which its end takes back.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Local {
    lock_timeout: Option<Duration>,
    limit: Option<Duration>,
    /// Whether [`OWN_STATEMENT_TIMEOUT`] keeps the transaction's own
    /// `statement_timeout`.
    own_kept: bool,
}

/// The settings of one run, and what its open transaction holds.
#[derive(Debug)]
pub(super) struct Settings {
    /// The run's schema.
    schema: Option<String>,
    /// The lock timeout the next statements wait at most.
    lock_timeout: Option<Duration>,
    local: Local,
    /// The connection is a server session of the run's own (no pooler in
    /// transaction mode between): a statement that cannot run in a
    /// transaction may get the settings it needs for the session.
    direct: bool,
}

/// How a statement that cannot run inside a transaction block is sent.
#[derive(Debug)]
pub(super) enum Alone {
    /// As it is: it needs no setting.
    Bare,
    /// Between `set` (which answers the session's own values in its one
    /// row) and the statement that gives them back, made of that row.
    Session { set: String },
    /// Not at all, for what it would need.
    Refused(SettingsRefused),
}

impl Settings {
    pub(super) fn new(direct: bool) -> Settings {
        Settings {
            schema: None,
            lock_timeout: None,
            local: Local::default(),
            direct,
        }
    }

    /// The run's schema, from now on.
    pub(super) fn set_schema(&mut self, schema: &str) {
        self.schema = Some(schema.to_owned());
    }

    /// `SELECT …` that sets the schema in the open transaction, if any.
    pub(super) fn schema_now(&self) -> Option<String> {
        let schema = self.schema.as_deref()?;
        Some(format!(
            "SELECT {}",
            set_config("search_path", &search_path(schema), true)
        ))
    }

    /// The lock timeout of the next statements.
    pub(super) fn set_lock_timeout(&mut self, limit: Duration) {
        self.lock_timeout = Some(limit);
    }

    /// The transaction ended: what it held went with it.
    pub(super) fn ended(&mut self) {
        self.local = Local::default();
    }

    /// The message that begins a transaction of the run with its settings.
    pub(super) fn begin(&self) -> String {
        let mut set = vec![CHECK_CLIENT.to_owned()];
        if let Some(schema) = &self.schema {
            set.push(set_config("search_path", &search_path(schema), true));
        }
        format!("BEGIN; SELECT {}", set.join(", "))
    }

    /// `SELECT …;` that gives the open transaction what the next statement
    /// needs (its lock timeout, and its time limit or none), empty when it
    /// has it already.
    pub(super) fn inside(&mut self, limit: Option<Duration>) -> String {
        let mut keep = String::new();
        let mut set = Vec::new();
        if let Some(wait) = self.lock_timeout
            && self.local.lock_timeout != Some(wait)
        {
            set.push(set_config("lock_timeout", &millis_or_off(wait), true));
            self.local.lock_timeout = Some(wait);
        }
        match limit {
            Some(limit) if self.local.limit != Some(limit) => {
                if !self.local.own_kept {
                    keep = format!(
                        "SELECT set_config('{OWN_STATEMENT_TIMEOUT}', \
                         current_setting('statement_timeout'), true);\n"
                    );
                    self.local.own_kept = true;
                }
                set.push(set_config("statement_timeout", &millis(limit), true));
                self.local.limit = Some(limit);
            }
            None if self.local.limit.is_some() => {
                set.push(format!(
                    "set_config('statement_timeout', current_setting('{OWN_STATEMENT_TIMEOUT}'), true)"
                ));
                self.local.limit = None;
            }
            _ => {}
        }
        if set.is_empty() {
            return String::new();
        }
        format!("{keep}SELECT {};\n", set.join(", "))
    }

    /// `SELECT …;` that gives a statement outside a transaction all it
    /// needs in its own implicit transaction, sent in one message with it.
    pub(super) fn outside(&self, limit: Option<Duration>) -> String {
        let mut set = vec![CHECK_CLIENT.to_owned()];
        if let Some(schema) = &self.schema {
            set.push(set_config("search_path", &search_path(schema), true));
        }
        if let Some(wait) = self.lock_timeout {
            set.push(set_config("lock_timeout", &millis_or_off(wait), true));
        }
        if let Some(limit) = limit {
            set.push(set_config("statement_timeout", &millis(limit), true));
        }
        format!("SELECT {};\n", set.join(", "))
    }

    /// How a statement (or a Rust function's client) outside a
    /// transaction, which cannot carry settings in a transaction of its
    /// own, is sent, given its time limit.
    pub(super) fn alone(&self, limit: Option<Duration>) -> Alone {
        if self.schema.is_none() && limit.is_none() {
            return Alone::Bare;
        }
        if !self.direct {
            return Alone::Refused(SettingsRefused::new(self.schema.clone(), limit));
        }
        let mut set = Vec::new();
        if let Some(schema) = &self.schema {
            set.push(set_config("search_path", &search_path(schema), false));
        }
        if let Some(limit) = limit {
            set.push(set_config("statement_timeout", &millis(limit), false));
        }
        Alone::Session {
            set: format!(
                "WITH own AS MATERIALIZED (SELECT current_setting('search_path') AS path, \
                 current_setting('statement_timeout') AS timeout) SELECT path, timeout, {} FROM own",
                set.join(", ")
            ),
        }
    }

    /// The statement that gives the session back its own `search_path`
    /// and `statement_timeout`, as `set` of [`Alone::Session`] answered them.
    pub(super) fn restore(path: &str, timeout: &str) -> String {
        format!(
            "SELECT {}, {}",
            set_config("search_path", path, false),
            set_config("statement_timeout", timeout, false)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inside_a_transaction_only_what_changed_is_sent() {
        let mut settings = Settings::new(false);
        settings.set_lock_timeout(Duration::from_secs(2));
        let first = settings.inside(None);
        assert_eq!(first, "SELECT set_config('lock_timeout', '2000', true);\n");
        assert_eq!(settings.inside(None), "");
        let limited = settings.inside(Some(Duration::from_millis(1500)));
        assert!(limited.starts_with("SELECT set_config('embedded_migrations."));
        assert!(limited.ends_with("SELECT set_config('statement_timeout', '1500', true);\n"));
        let back = settings.inside(None);
        assert!(back.contains("current_setting('embedded_migrations.statement_timeout')"));
        settings.ended();
        assert_eq!(
            settings.inside(None),
            "SELECT set_config('lock_timeout', '2000', true);\n"
        );
    }

    #[test]
    fn outside_a_transaction_everything_is_local_and_sent_with_the_statement() {
        let mut settings = Settings::new(false);
        settings.set_schema("tenant_a");
        settings.set_lock_timeout(Duration::ZERO);
        let sql = settings.outside(Some(Duration::from_secs(3)));
        assert!(sql.contains("set_config('search_path', '\"tenant_a\"', true)"));
        assert!(sql.contains("set_config('lock_timeout', '0', true)"));
        assert!(sql.contains("set_config('statement_timeout', '3000', true)"));
        assert!(!sql.contains(", false)"));
    }

    #[test]
    fn a_statement_alone_is_refused_what_it_cannot_carry_unless_the_session_is_its_own() {
        let mut settings = Settings::new(false);
        assert!(matches!(settings.alone(None), Alone::Bare));
        settings.set_schema("tenant_a");
        assert!(matches!(settings.alone(None), Alone::Refused(_)));
        let mut direct = Settings::new(true);
        direct.set_schema("tenant_a");
        let Alone::Session { set } = direct.alone(Some(Duration::from_secs(1))) else {
            panic!("a direct connection gets session settings");
        };
        assert!(set.contains("set_config('search_path', '\"tenant_a\"', false)"));
        assert!(set.contains("set_config('statement_timeout', '1000', false)"));
    }
}
