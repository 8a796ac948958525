//! A process that migrates a database file, for the crash and concurrency
//! tests: `migrate-child <db> <set> <atomic|per-migration|backup> [<go-file>]`
//! (`backup`: one transaction, after a backup).
//! With a go-file it waits for that file to exist first, so that many
//! children start at once. Prints the number of migrations it applied.
//! A `postgres://` URL as `<db>` migrates that PostgreSQL database, a
//! `mysql://` URL that MySQL or MariaDB database.
//! `MIGRATE_CHILD_WAIT_MS` bounds its wait for the lock (default 60 s);
//! `MIGRATE_CHILD_LEASE_MS` sets the lease of a run across transactions;
//! `MIGRATE_CHILD_SCHEMA` the schema to migrate; `MIGRATE_CHILD_DRIVER=sqlx`
//! migrates a PostgreSQL database on sqlx's `PgConnection`, a SQLite file
//! on sqlx's `SqliteConnection`.

use std::path::Path;
use std::time::Duration;

use migrate_runtime::rusqlite::Connection;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (db, set, mode) = (&args[1], &args[2], &args[3]);
    if let Some(go) = args.get(4) {
        while !Path::new(go).exists() {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    let migrations = migrate_tests::set(set).expect("known set");
    let mut migrator =
        migrations
            .migrator()
            .backup(mode == "backup")
            .busy_timeout(Duration::from_millis(
                std::env::var("MIGRATE_CHILD_WAIT_MS")
                    .ok()
                    .and_then(|ms| ms.parse().ok())
                    .unwrap_or(60_000),
            ));
    if let Some(lease) = std::env::var("MIGRATE_CHILD_LEASE_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
    {
        migrator = migrator.lock_lease(Duration::from_millis(lease));
    }
    if let Ok(schema) = std::env::var("MIGRATE_CHILD_SCHEMA") {
        migrator = migrator.schema(schema);
    }
    if mode == "per-migration" {
        migrator = migrator.per_migration(true);
    }
    let result = if db.starts_with("mysql") {
        let opts = migrate_runtime::mysql::Opts::from_url(db).expect("a MySQL URL");
        migrator.run(&mut migrate_runtime::mysql::Conn::new(opts).expect("connect"))
    } else if db.starts_with("postgres")
        && std::env::var("MIGRATE_CHILD_DRIVER").as_deref() == Ok("sqlx")
    {
        use migrate_runtime::sqlx::Connection as _;
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(async {
                let mut conn = migrate_runtime::sqlx::PgConnection::connect(db)
                    .await
                    .expect("connect");
                migrator.run_async(&mut conn).await
            })
    } else if db.starts_with("postgres") {
        let mut client =
            migrate_runtime::postgres::Client::connect(db, migrate_runtime::postgres::NoTls)
                .expect("connect");
        migrator.run(&mut client)
    } else if std::env::var("MIGRATE_CHILD_DRIVER").as_deref() == Ok("sqlx") {
        use migrate_runtime::sqlx::ConnectOptions as _;
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(async {
                let mut conn = migrate_runtime::sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(db)
                    .create_if_missing(true)
                    .connect()
                    .await
                    .expect("open");
                migrator.run_async(&mut conn).await
            })
    } else {
        migrator.run(&mut Connection::open(db).expect("open"))
    };
    match result {
        Ok(report) => println!("{}", report.steps.len()),
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(1);
        }
    }
}
