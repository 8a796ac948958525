//! What to do about a problem or an error, as data. Each front end words
//! it itself: the library names methods and macro options, the `migrate`
//! command line names flags and commands. A message is written once, with
//! its remedy as a [`Remedy`], and said through a [`Wording`].

use std::borrow::Cow;
use std::fmt;

use crate::Version;

/// A remedy a message proposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Remedy {
    /// Adopt another tool's history (`Migrator::adopt`).
    Adopt,
    /// Use another history table (`table(…)`), after "with".
    ChooseTable,
    /// Revert to a version (`down_to(…)`).
    DownTo,
    /// Accept out-of-order migrations (`allow_out_of_order(true)`), after "with".
    AllowOutOfOrder,
    /// Wait longer for the lock (`busy_timeout(…)`), after "with".
    BusyTimeout,
    /// A longer lease for the lock (`lock_lease(…)`), after "with".
    LockLease,
    /// How long each statement may wait for a table's lock (`lock_timeout(…)`).
    LockTimeout,
    /// Backups into another folder (`backup_dir(…)`), after "with".
    BackupDir,
    /// No backup (`backup(false)`), after "with".
    NoBackup,
    /// See each migration's state (`status`).
    Status,
    /// The time limits of a run (`timeout(…)` / `run_timeout(…)`).
    TimeLimits,
    /// The target version of a run (`to(…)`).
    Target,
    /// Resolve a failed migration, any version and either way (`resolve(…)`).
    ResolveAny,
    /// Resolve `version`, either way: completed or undone by hand.
    Resolve(Version),
    /// Resolve `version` as completed by hand.
    ResolveApplied(Version),
    /// Resolve `version` as undone by hand.
    ResolvePending(Version),
    /// Migrate with the release that knows the newer migrations.
    NewerRelease,
    /// Accept a set that does not start at 1 or has gaps (`allow_gaps = true`), after "pass".
    AllowGaps,
    /// Run a set holding Rust migrations from a program that compiles them.
    RunRustMigrations,
    /// Declare the connection a server session of the run's own, with no
    /// pooler in transaction mode between (`direct_connection(true)`).
    DirectConnection,
}

/// How a front end says remedies and names the embedded migrations.
pub trait Wording {
    /// `remedy`, in this front end's words.
    fn remedy(&self, remedy: Remedy) -> Cow<'static, str>;

    /// Where the migrations a run knows come from: `this binary`.
    fn embedded(&self) -> &'static str;

    /// What a migration directory's path is relative to: `the crate root`.
    fn relative_to(&self) -> &'static str;
}

/// The library's words: methods of `Migrator` and options of
/// `embed_migrations!`. What [`Display`](fmt::Display) says.
#[derive(Debug, Clone, Copy, Default)]
pub struct Library;

impl Wording for Library {
    fn remedy(&self, remedy: Remedy) -> Cow<'static, str> {
        Cow::Borrowed(match remedy {
            Remedy::Adopt => "`Migrator::adopt`",
            Remedy::ChooseTable => "`table(…)`",
            Remedy::DownTo => "`down_to(…)`",
            Remedy::AllowOutOfOrder => "`allow_out_of_order(true)`",
            Remedy::BusyTimeout => "`busy_timeout(…)`",
            Remedy::LockLease => "`lock_lease(…)`",
            Remedy::LockTimeout => "`lock_timeout(…)`",
            Remedy::BackupDir => "`backup_dir(…)`",
            Remedy::NoBackup => "`backup(false)`",
            Remedy::Status => "`status`",
            Remedy::TimeLimits => "`timeout(…)` / `run_timeout(…)`",
            Remedy::Target => "`to(…)`",
            Remedy::ResolveAny => "`resolve(…)`",
            Remedy::Resolve(version) => {
                return format!("`resolve(Version({version}), Resolution::Applied)` or `…Pending`")
                    .into();
            }
            Remedy::ResolveApplied(version) => {
                return format!("`resolve(Version({version}), Resolution::Applied)`").into();
            }
            Remedy::ResolvePending(version) => {
                return format!("`resolve(Version({version}), Resolution::Pending)`").into();
            }
            Remedy::NewerRelease => {
                "run that release (or a newer one), or revert the database with it"
            }
            Remedy::AllowGaps => "`allow_gaps = true`",
            Remedy::RunRustMigrations => {
                "run it from a program that embeds the set with `embed_migrations!`, which \
                 compiles its Rust migrations"
            }
            Remedy::DirectConnection => "`direct_connection(true)`",
        })
    }

    fn embedded(&self) -> &'static str {
        "this binary"
    }

    fn relative_to(&self) -> &'static str {
        "the crate root"
    }
}

/// A value said through a [`Wording`]: what [`Problem::worded`](crate::Problem::worded)
/// and the runtime's `Error::worded` return.
pub struct Worded<'a, T: ?Sized> {
    value: &'a T,
    wording: &'a dyn Wording,
    write: fn(&T, &mut fmt::Formatter<'_>, &dyn Wording) -> fmt::Result,
}

impl<'a, T: ?Sized> Worded<'a, T> {
    /// `value`, written by `write` in `wording`'s words.
    pub fn new(
        value: &'a T,
        wording: &'a dyn Wording,
        write: fn(&T, &mut fmt::Formatter<'_>, &dyn Wording) -> fmt::Result,
    ) -> Self {
        Worded {
            value,
            wording,
            write,
        }
    }
}

impl<T: ?Sized> fmt::Display for Worded<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (self.write)(self.value, f, self.wording)
    }
}
