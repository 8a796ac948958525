//! [`Backend`](crate::Backend) for async clients: the same methods, as
//! futures. The async driver performs the same script as the blocking one.

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use crate::{
    AppliedMigration, AppliedVersion, BackupSettings, DriverError, LockScope, Migration, Result,
    TableName, Value, Version,
};

/// What an async database must do for the executor: the methods of
/// [`Backend`](crate::Backend), each returning a future (`Send`, so that a
/// run can be spawned). Implemented for `tokio_postgres::Client`.
pub trait AsyncBackend: Send {
    /// See [`Backend::Lock`](crate::Backend::Lock).
    type Lock: Send;

    /// See [`Backend::kind`](crate::Backend::kind).
    fn kind(&self) -> &'static str {
        "database"
    }

    /// See [`Backend::lock`](crate::Backend::lock).
    fn lock(
        &mut self,
        table: &TableName,
        timeout: Duration,
        scope: LockScope,
        lease: Duration,
    ) -> impl Future<Output = Result<Self::Lock>> + Send;

    /// See [`Backend::takes_transaction_lock`](crate::Backend::takes_transaction_lock).
    fn takes_transaction_lock(&self) -> bool {
        false
    }

    /// See [`Backend::unlock`](crate::Backend::unlock).
    fn unlock(&mut self, lock: Self::Lock) -> impl Future<Output = ()> + Send;

    /// See [`Backend::begin`](crate::Backend::begin).
    fn begin(&mut self, lock: &mut Self::Lock) -> impl Future<Output = Result<()>> + Send;

    /// See [`Backend::commit`](crate::Backend::commit).
    fn commit(&mut self, lock: &mut Self::Lock) -> impl Future<Output = Result<()>> + Send;

    /// See [`Backend::rollback`](crate::Backend::rollback).
    fn rollback(&mut self, lock: &mut Self::Lock) -> impl Future<Output = ()> + Send;

    /// See [`Backend::execute`](crate::Backend::execute).
    fn execute(
        &mut self,
        lock: &mut Self::Lock,
        sql: &str,
        limit: Option<Duration>,
    ) -> impl Future<Output = Result<(), DriverError>> + Send;

    /// See [`Backend::read_history`](crate::Backend::read_history).
    fn read_history(
        &mut self,
        table: &TableName,
        wait: Duration,
    ) -> impl Future<Output = Result<Vec<AppliedMigration>>> + Send;

    /// See [`Backend::read_applied`](crate::Backend::read_applied).
    fn read_applied(
        &mut self,
        table: &TableName,
        wait: Duration,
    ) -> impl Future<Output = Result<Vec<AppliedVersion>>> + Send;

    /// See [`Backend::create_history`](crate::Backend::create_history).
    fn create_history(&mut self, table: &TableName) -> impl Future<Output = Result<()>> + Send;

    /// See [`Backend::insert_history`](crate::Backend::insert_history).
    fn insert_history(
        &mut self,
        table: &TableName,
        migration: &Migration,
        execution_time: Duration,
    ) -> impl Future<Output = Result<()>> + Send;

    /// See [`Backend::record_failure`](crate::Backend::record_failure).
    fn record_failure(
        &mut self,
        table: &TableName,
        migration: &Migration,
        failure: &str,
    ) -> impl Future<Output = Result<()>> + Send;

    /// See [`Backend::delete_history`](crate::Backend::delete_history).
    fn delete_history(
        &mut self,
        table: &TableName,
        version: Version,
    ) -> impl Future<Output = Result<()>> + Send;

    /// See [`Backend::renumber_history`](crate::Backend::renumber_history).
    fn renumber_history(
        &mut self,
        table: &TableName,
        from: Version,
        to: Version,
    ) -> impl Future<Output = Result<()>> + Send;

    /// See [`Backend::table_columns`](crate::Backend::table_columns).
    fn table_columns(
        &mut self,
        table: &TableName,
        wait: Duration,
    ) -> impl Future<Output = Result<Option<Vec<String>>>> + Send;

    /// See [`Backend::read_rows`](crate::Backend::read_rows).
    fn read_rows(
        &mut self,
        table: &TableName,
        columns: &[&str],
        wait: Duration,
    ) -> impl Future<Output = Result<Vec<Vec<Value>>>> + Send;

    /// See [`Backend::write_backup`](crate::Backend::write_backup); none by default.
    fn write_backup(
        &mut self,
        settings: &BackupSettings,
        from: Option<Version>,
    ) -> impl Future<Output = Result<Option<PathBuf>>> + Send {
        let _ = (settings, from);
        async { Ok(None) }
    }

    /// See [`Backend::set_search_path`](crate::Backend::set_search_path); nothing by default.
    fn set_search_path(
        &mut self,
        lock: &mut Self::Lock,
        schema: &str,
    ) -> impl Future<Output = Result<()>> + Send {
        let _ = (lock, schema);
        async { Ok(()) }
    }

    /// See [`Backend::foreign_keys_off`](crate::Backend::foreign_keys_off); nothing by default.
    fn foreign_keys_off(
        &mut self,
        lock: &mut Self::Lock,
    ) -> impl Future<Output = Result<()>> + Send {
        let _ = lock;
        async { Ok(()) }
    }

    /// See [`Backend::foreign_key_violations`](crate::Backend::foreign_key_violations); none by default.
    fn foreign_key_violations(&mut self) -> impl Future<Output = Result<Vec<String>>> + Send {
        async { Ok(Vec::new()) }
    }
}
