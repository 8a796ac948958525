//! The service started twice on a fresh database of the test server
//! (`MIGRATE_TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`): the first start
//! migrates, the second finds nothing to do, and both serve.

use std::process::Command;

use sqlx::Connection as _;

/// A fresh database on the server; `None` when no server answers (and
/// none is required: `MIGRATE_REQUIRE_SERVERS` makes that a failure).
async fn fresh(server: &str, name: &str) -> Option<String> {
    let Ok(mut admin) = sqlx::PgConnection::connect(server).await else {
        assert!(
            std::env::var_os("MIGRATE_REQUIRE_SERVERS").is_none(),
            "no PostgreSQL server answers; MIGRATE_REQUIRE_SERVERS is set, so this is a failure"
        );
        eprintln!("skipped: no PostgreSQL server answers");
        return None;
    };
    for sql in [
        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        format!("CREATE DATABASE {name} TEMPLATE template0"),
    ] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut admin)
            .await
            .expect("the scratch database");
    }
    let base = server.split('?').next().unwrap_or(server);
    let authority = base.find("://").map_or(0, |i| i + 3);
    let root = match base[authority..].find('/') {
        Some(slash) => &base[..authority + slash],
        None => base,
    };
    Some(format!("{root}/{name}"))
}

fn start(url: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_sqlx-service"))
        .env("DATABASE_URL", url)
        .output()
        .expect("the service runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn the_service_migrates_on_start_with_its_own_pool() {
    let server = std::env::var("MIGRATE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let name = format!("sqlx_service_{}", std::process::id());
    let Some(url) = fresh(&server, &name).await else {
        return;
    };
    let first = start(&url);
    assert!(
        first.starts_with("moved the database from version none (no migration applied) to 2"),
        "{first}"
    );
    assert!(first.ends_with("serving 1 account(s)\n"), "{first}");
    let second = start(&url);
    assert!(
        second.starts_with("nothing to do: the database is at version 2"),
        "{second}"
    );
    assert!(second.ends_with("serving 1 account(s)\n"), "{second}");
    let mut admin = sqlx::PgConnection::connect(&server).await.expect("connect");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .expect("drop the scratch database");
}
