//! Runs across transactions on a real PostgreSQL server (`NoTransaction`
//! migrations, `per_migration`): their lock is a lease in the lock table,
//! which works directly and through PgBouncer in transaction mode, names
//! its holder, ends when a killed holder's lease runs out, and stops a run
//! whose lease another migrator took before its next change.

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use migrate_runtime::postgres::{Client, NoTls};
use migrate_runtime::{Error, Version};
use migrate_tests::pg::{
    Bouncer, Scratch, at_once_through, counter, history, kill, lease_is_written, lock_is_free,
    total_applied,
};
use migrate_tests::{PG_ONCE, PG_ROWS, PG_SLOW};

const CHILD: &str = env!("CARGO_BIN_EXE_migrate-child");

/// The rows `pg_rows` inserts: one a migration.
const ROWS: [i32; 20] = [
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
];
/// The rows `pg_once` inserts: version 10 creates an index instead.
const ONCE_ROWS: [i32; 19] = [
    1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
];

/// `processes` children migrate `set` in `mode` through `url` at once,
/// `rounds` times, each in a fresh database: each migration applied once,
/// every child ends at the newest version, the lock is free afterwards.
fn across_transactions_at_once(
    bouncer: Option<&Bouncer>,
    (set, mode): (&str, &str),
    rounds: usize,
    versions: usize,
    rows: &[i32],
) {
    for round in 0..rounds {
        let Some(db) = Scratch::new() else { return };
        let url = bouncer.map_or_else(|| db.url(), |b| b.url(&db));
        let outputs = at_once_through(CHILD, &url, (set, mode), 16, 60_000, &[]);
        assert_eq!(
            total_applied(&outputs, round),
            versions,
            "round {round}: each migration applied once"
        );
        let mut client = db.client();
        assert_eq!(history(&mut client).len(), versions, "round {round}");
        assert_eq!(counter(&mut client), rows, "round {round}: every row once");
        assert!(lock_is_free(&mut client), "round {round}: lock free");
    }
}

#[test]
fn sixteen_processes_per_migration_apply_each_migration_once() {
    across_transactions_at_once(None, ("pg_rows", "per-migration"), 3, 20, &ROWS);
}

#[test]
fn sixteen_processes_through_pgbouncer_with_create_index_concurrently() {
    let Some(bouncer) = Bouncer::start() else {
        return;
    };
    // The index migration is NoTransaction: the runs hold a lease across
    // transactions, which a pooler in transaction mode cannot strand.
    across_transactions_at_once(Some(&bouncer), ("pg_once", "atomic"), 3, 20, &ONCE_ROWS);
}

#[test]
fn sixteen_processes_through_pgbouncer_per_migration() {
    let Some(bouncer) = Bouncer::start() else {
        return;
    };
    across_transactions_at_once(Some(&bouncer), ("pg_rows", "per-migration"), 2, 20, &ROWS);
}

/// A child migrating `set` through `url` per migration, with a lease of
/// `lease_ms`.
fn per_migration(url: &str, set: &str, lease_ms: u32) -> Child {
    Command::new(CHILD)
        .args([url, set, "per-migration"])
        .env("MIGRATE_CHILD_LEASE_MS", lease_ms.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn")
}

/// Waits until a run across transactions holds the lease.
fn wait_for_lease(client: &mut Client) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !lease_is_written(client) {
        assert!(Instant::now() < deadline, "no migrator took the lease");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_lease_holder_is_named_and_a_killed_one_frees_the_lock_when_its_lease_runs_out() {
    let Some(db) = Scratch::new() else { return };
    let mut client = db.client();
    // Commits version 1, then sleeps 30 s in version 2's transaction.
    let url = format!("{}?application_name=lease-holder", db.url());
    let holder = per_migration(&url, "pg_slow", 1000);
    let pid = i32::try_from(holder.id()).expect("pid");
    wait_for_lease(&mut client);
    while history(&mut client).is_empty() {
        std::thread::sleep(Duration::from_millis(10));
    }

    // Waiting past the lease's expiry changes nothing: the holder's open
    // transaction has the row locked.
    std::thread::sleep(Duration::from_millis(1500));
    let error = PG_SLOW
        .migrator()
        .busy_timeout(Duration::from_millis(300))
        .down_to(&mut client, Version(0))
        .expect_err("the lock is held");
    let Error::Locked {
        holder: Some(named),
        ..
    } = &error
    else {
        panic!("{error}");
    };
    assert_eq!(named.pid, pid, "{error}");
    assert_eq!(named.application_name, "lease-holder");
    assert!(named.lease_until.is_some());
    let message = error.to_string();
    assert!(
        message.contains(&format!(
            "held by process {pid} (a run across transactions)"
        )),
        "{message}"
    );

    // Killed in the middle of its statement: the server ends its
    // transaction within a second, and its lease has run out.
    kill(holder);
    let killed = Instant::now();
    PG_SLOW
        .migrator()
        .busy_timeout(Duration::from_secs(10))
        .down_to(&mut client, Version(0))
        .expect("the lock is free again");
    assert!(
        killed.elapsed() < Duration::from_secs(5),
        "{:?}",
        killed.elapsed()
    );
    assert!(history(&mut client).is_empty());
    assert!(lock_is_free(&mut client));
}

#[test]
fn lease_holders_killed_at_random_points_leave_nothing_half_applied() {
    let Some(bouncer) = Bouncer::start() else {
        return;
    };
    let mut rng = migrate_tests::Rng(0x1ea5e);
    for trial in 0..12 {
        let Some(db) = Scratch::new() else { return };
        // Half the trials go through the pooler.
        let url = if trial % 2 == 0 {
            db.url()
        } else {
            bouncer.url(&db)
        };
        let child = per_migration(&url, "pg_rows", 500);
        std::thread::sleep(Duration::from_millis(rng.below(150)));
        kill(child);
        let mut client = Client::connect(&url, NoTls).expect("connect");
        PG_ROWS
            .migrator()
            .per_migration(true)
            .busy_timeout(Duration::from_secs(10))
            .run(&mut client)
            .unwrap_or_else(|e| panic!("trial {trial}: the next migrator completes: {e}"));
        let mut direct = db.client();
        assert_eq!(
            counter(&mut direct),
            (1..=20).collect::<Vec<i32>>(),
            "trial {trial}: every row once"
        );
        assert_eq!(history(&mut direct).len(), 20, "trial {trial}");
    }
}

/// A run that pauses past its lease (here in a progress callback, after
/// version `pause_after`) while another migrator takes the lock and
/// finishes the work; the paused run's error.
fn paused_past_its_lease(
    db: &Scratch,
    set: &'static migrate_runtime::Migrations,
    pause_after: u64,
) -> Error {
    let url = db.url();
    let paused = AtomicBool::new(false);
    set.migrator()
        .per_migration(true)
        .lock_lease(Duration::from_millis(200))
        .on_progress(move |step| {
            if step.version == Version(pause_after) && !paused.swap(true, Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(400));
                let mut other = Client::connect(&url, NoTls).expect("connect");
                let report = set
                    .migrator()
                    .busy_timeout(Duration::from_secs(5))
                    .run(&mut other)
                    .expect("the other migrator takes the lock");
                assert_eq!(
                    report.steps.len(),
                    20 - usize::try_from(pause_after).expect("small")
                );
            }
        })
        .run(&mut db.client())
        .expect_err("the paused run stops")
}

#[test]
fn a_run_whose_lease_was_taken_stops_before_its_next_transaction() {
    let Some(db) = Scratch::new() else { return };
    let error = paused_past_its_lease(&db, &PG_ROWS, 3);
    assert!(matches!(error, Error::LockLost { .. }), "{error}");
    assert!(error.to_string().contains("lock_lease("), "{error}");
    let mut client = db.client();
    assert_eq!(history(&mut client).len(), 20);
    assert_eq!(counter(&mut client), (1..=20).collect::<Vec<i32>>());
    assert!(lock_is_free(&mut client));
}

#[test]
fn a_run_whose_lease_was_taken_stops_before_its_next_statement_outside_a_transaction() {
    let Some(db) = Scratch::new() else { return };
    // Version 10 creates an index concurrently, outside a transaction.
    let error = paused_past_its_lease(&db, &PG_ONCE, 9);
    assert!(matches!(error, Error::LockLost { .. }), "{error}");
    let mut client = db.client();
    assert_eq!(history(&mut client).len(), 20, "nothing recorded as failed");
    assert_eq!(
        counter(&mut client),
        (1..=20).filter(|k| *k != 10).collect::<Vec<i32>>()
    );
    assert!(lock_is_free(&mut client));
}
