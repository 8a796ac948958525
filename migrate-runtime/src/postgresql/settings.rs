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

use super::{literal, millis};
use crate::SettingsRefused;

/// The check that the client is still there (see `check_client!`).
const CHECK_CLIENT: &str = check_client!();

/// `schema` as a `search_path` value (it is a checked identifier).
fn search_path(schema: &str) -> String {
    format!("\"{schema}\"")
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

/// The session's own settings when the run took its lock: what every
/// migration starts from where the run sets nothing of its own, whatever
/// an earlier migration set (`SET search_path`, `RESET ALL`, a
/// `statement_timeout`), and what the session is given back when a
/// transaction of the run commits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Own {
    /// `search_path`, as the server wrote it.
    pub search_path: String,
    /// `statement_timeout`, as the server wrote it.
    pub statement_timeout: String,
    /// `lock_timeout`, as the server wrote it.
    pub lock_timeout: String,
    /// `idle_in_transaction_session_timeout`, as the server wrote it.
    pub idle_timeout: String,
}

/// The statement time limit an open transaction has been given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timeout {
    /// The session's own ([`Own::statement_timeout`]).
    Own,
    /// A limit of the run.
    Limit(Duration),
}

/// What the run set in the open transaction, which its end takes back.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Local {
    path: bool,
    lock_timeout: Option<Duration>,
    timeout: Option<Timeout>,
}

/// The settings of one run, and what its open transaction holds.
#[derive(Debug)]
pub(super) struct Settings {
    /// The run's schema.
    schema: Option<String>,
    /// The session's own settings, where the run has none.
    own: Own,
    /// The lock timeout the next statements wait at most.
    lock_timeout: Option<Duration>,
    local: Local,
    /// A migration starts: the next statement gets everything, also
    /// outside a transaction.
    starting: bool,
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
    pub(super) fn new(direct: bool, own: Own) -> Settings {
        Settings {
            schema: None,
            own,
            lock_timeout: None,
            local: Local::default(),
            starting: false,
            direct,
        }
    }

    /// The run's schema, from now on.
    pub(super) fn set_schema(&mut self, schema: &str) {
        self.schema = Some(schema.to_owned());
    }

    /// The run's `search_path`: its schema, else the session's own.
    fn path(&self) -> String {
        match &self.schema {
            Some(schema) => search_path(schema),
            None => self.own.search_path.clone(),
        }
    }

    /// `SELECT …` that sets the schema in the open transaction, if any.
    pub(super) fn schema_now(&mut self) -> Option<String> {
        self.schema.as_ref()?;
        self.local.path = true;
        Some(format!(
            "SELECT {}",
            set_config("search_path", &self.path(), true)
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

    /// A migration's statements follow: its first statement sets the
    /// run's path and limits again, whatever an earlier migration set.
    pub(super) fn starting_migration(&mut self) {
        self.local = Local::default();
        self.starting = true;
    }

    /// `SELECT …;` that gives the session its own settings back, for the
    /// session: sent before each commit of the run (and at the release of
    /// a lease), so that what a migration set for the session (`SET
    /// search_path`, the `SET statement_timeout = 0` of a `pg_dump` file)
    /// does not outlive its migration's transaction on the connection, nor
    /// on a pooler's server session that other clients are given next.
    pub(super) fn give_back(&self) -> String {
        let own = &self.own;
        format!(
            "SELECT {}, {}, {}, {};\n",
            set_config("search_path", &own.search_path, false),
            set_config("statement_timeout", &own.statement_timeout, false),
            set_config("lock_timeout", &own.lock_timeout, false),
            set_config(
                "idle_in_transaction_session_timeout",
                &own.idle_timeout,
                false
            )
        )
    }

    /// The message that begins a transaction of the run with its settings.
    pub(super) fn begin(&mut self) -> String {
        self.local = Local {
            path: true,
            ..Local::default()
        };
        format!(
            "BEGIN; SELECT {CHECK_CLIENT}, {}",
            set_config("search_path", &self.path(), true)
        )
    }

    /// `set_config` of the statement time limit: `limit`, or the
    /// session's own.
    fn timeout(&self, limit: Option<Duration>) -> String {
        match limit {
            Some(limit) => set_config("statement_timeout", &millis(limit), true),
            None => set_config("statement_timeout", &self.own.statement_timeout, true),
        }
    }

    /// `SELECT …;` that gives the open transaction what the next statement
    /// needs (the run's path, its lock timeout, its time limit or the
    /// session's own), empty when it has it already.
    pub(super) fn inside(&mut self, limit: Option<Duration>) -> String {
        self.starting = false;
        let mut set = Vec::new();
        if !self.local.path {
            set.push(set_config("search_path", &self.path(), true));
            self.local.path = true;
        }
        if let Some(wait) = self.lock_timeout
            && self.local.lock_timeout != Some(wait)
        {
            set.push(set_config("lock_timeout", &millis_or_off(wait), true));
            self.local.lock_timeout = Some(wait);
        }
        let timeout = limit.map_or(Timeout::Own, Timeout::Limit);
        if self.local.timeout != Some(timeout) {
            set.push(self.timeout(limit));
            self.local.timeout = Some(timeout);
        }
        if set.is_empty() {
            return String::new();
        }
        format!("SELECT {};\n", set.join(", "))
    }

    /// `SELECT …;` that gives a statement outside a transaction all it
    /// needs in its own implicit transaction, sent in one message with it:
    /// the schema, the lock timeout and the time limit; for a migration's
    /// first statement also the session's own path and time limit where
    /// the run has none.
    pub(super) fn outside(&mut self, limit: Option<Duration>) -> String {
        let starting = std::mem::take(&mut self.starting);
        let mut set = vec![CHECK_CLIENT.to_owned()];
        if self.schema.is_some() || starting {
            set.push(set_config("search_path", &self.path(), true));
        }
        if let Some(wait) = self.lock_timeout {
            set.push(set_config("lock_timeout", &millis_or_off(wait), true));
        }
        if limit.is_some() || starting {
            set.push(self.timeout(limit));
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

    fn own() -> Own {
        Own {
            search_path: "\"$user\", public".to_owned(),
            statement_timeout: "5min".to_owned(),
            lock_timeout: "0".to_owned(),
            idle_timeout: "0".to_owned(),
        }
    }

    #[test]
    fn the_session_is_given_its_own_settings_back_for_the_session() {
        let back = Settings::new(false, own()).give_back();
        assert!(back.contains("set_config('search_path', '\"$user\", public', false)"));
        assert!(back.contains("set_config('statement_timeout', '5min', false)"));
        assert!(back.contains("set_config('idle_in_transaction_session_timeout', '0', false)"));
        assert!(!back.contains(", true)"));
    }

    #[test]
    fn inside_a_transaction_only_what_changed_is_sent() {
        let mut settings = Settings::new(false, own());
        settings.set_lock_timeout(Duration::from_secs(2));
        let begin = settings.begin();
        assert!(begin.contains("set_config('search_path', '\"$user\", public', true)"));
        let first = settings.inside(None);
        assert_eq!(
            first,
            "SELECT set_config('lock_timeout', '2000', true), \
             set_config('statement_timeout', '5min', true);\n"
        );
        assert_eq!(settings.inside(None), "");
        let limited = settings.inside(Some(Duration::from_millis(1500)));
        assert_eq!(
            limited,
            "SELECT set_config('statement_timeout', '1500', true);\n"
        );
        let back = settings.inside(None);
        assert_eq!(
            back,
            "SELECT set_config('statement_timeout', '5min', true);\n"
        );
        settings.ended();
        assert!(settings.inside(None).contains("'lock_timeout', '2000'"));
    }

    #[test]
    fn each_migration_starts_from_the_runs_path_and_limits() {
        let mut settings = Settings::new(false, own());
        settings.set_lock_timeout(Duration::from_secs(2));
        let _ = settings.begin();
        let _ = settings.inside(None);
        assert_eq!(settings.inside(None), "");
        settings.starting_migration();
        let again = settings.inside(None);
        for set in [
            "'search_path', '\"$user\", public'",
            "'lock_timeout'",
            "'5min'",
        ] {
            assert!(again.contains(set), "{again}");
        }
        // Outside a transaction, the first statement of a migration gets
        // the session's own path and time limit; the next ones do not
        // undo what the migration itself set.
        settings.ended();
        settings.starting_migration();
        let first = settings.outside(None);
        assert!(
            first.contains("search_path") && first.contains("'5min'"),
            "{first}"
        );
        let next = settings.outside(None);
        assert!(
            !next.contains("search_path") && !next.contains("statement_timeout"),
            "{next}"
        );
    }

    #[test]
    fn outside_a_transaction_everything_is_local_and_sent_with_the_statement() {
        let mut settings = Settings::new(false, own());
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
        let mut settings = Settings::new(false, own());
        assert!(matches!(settings.alone(None), Alone::Bare));
        settings.set_schema("tenant_a");
        assert!(matches!(settings.alone(None), Alone::Refused(_)));
        let mut direct = Settings::new(true, own());
        direct.set_schema("tenant_a");
        let Alone::Session { set } = direct.alone(Some(Duration::from_secs(1))) else {
            panic!("a direct connection gets session settings");
        };
        assert!(set.contains("set_config('search_path', '\"tenant_a\"', false)"));
        assert!(set.contains("set_config('statement_timeout', '1000', false)"));
    }
}
