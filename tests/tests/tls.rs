//! TLS as libpq reads it from a URL, on every connection the project makes
//! itself (`migrate_replay::ServerAddress`: the command line, the build-time
//! replay, `testing`), against the real server with TLS on (`.ci/servers`:
//! a test CA, a server certificate for `localhost` and `127.0.0.1`, two
//! roles that the server lets in only over TLS). Whether a session is
//! encrypted is read from the server's own `pg_stat_ssl`.

use std::path::Path;

use migrate_replay::ServerAddress;
use migrate_runtime::postgres::Client;
use migrate_runtime::testing::MigrationTest;
use migrate_tests::pg::{Bouncer, Scratch};

/// Whether the server says this session is encrypted.
fn encrypted(client: &mut Client) -> bool {
    client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .expect("pg_stat_ssl")
        .get(0)
}

/// Connects to `url` as the command line, the replay and `testing` do.
fn connect(url: &str) -> Result<Client, String> {
    ServerAddress::parse(url)
        .and_then(|address| address.connect())
        .map_err(|error| error.to_string())
}

/// The error of a connection to `url` that must be refused.
fn refused(url: &str) -> String {
    match connect(url) {
        Ok(_) => panic!("connected to {url}"),
        Err(error) => error,
    }
}

fn setup() -> Option<(Scratch, std::path::PathBuf)> {
    let tls = migrate_tests::tls_dir()?;
    Some((Scratch::new()?, tls))
}

fn file(tls: &Path, name: &str) -> String {
    tls.join(name).display().to_string()
}

#[test]
fn every_sslmode_connects_as_libpq_would_and_the_server_says_whether_it_is_encrypted() {
    let Some((db, tls)) = setup() else { return };
    let ca = file(&tls, "ca.crt");
    for (role, query, expected) in [
        ("migrate_tls_only", "sslmode=allow".to_owned(), true),
        ("migrate_tls_only", "sslmode=prefer".to_owned(), true),
        ("migrate_tls_only", String::new(), true),
        ("migrate_tls_only", "sslmode=require".to_owned(), true),
        (
            "migrate_tls_only",
            format!("sslmode=verify-ca&sslrootcert={ca}"),
            true,
        ),
        (
            "migrate_tls_only",
            format!("sslmode=verify-full&sslrootcert={ca}"),
            true,
        ),
        ("postgres", "sslmode=disable".to_owned(), false),
    ] {
        let url = db.tls_url(role, &query);
        let mut client = connect(&url).unwrap_or_else(|e| panic!("{query}: {e}"));
        assert_eq!(encrypted(&mut client), expected, "{query}");
    }
    // The server refuses the TLS-only role without TLS, in its own words.
    let said = refused(&db.tls_url("migrate_tls_only", "sslmode=disable"));
    assert!(said.contains("no encryption"), "{said}");
    // A connection string says the same as a URL.
    let pairs = format!(
        "host=127.0.0.1 port=5432 user=migrate_tls_only dbname={} sslmode=verify-full \
         sslrootcert='{ca}'",
        db.name
    );
    let mut client = connect(&pairs).expect("a connection string");
    assert!(encrypted(&mut client));
}

#[test]
fn a_certificate_of_another_ca_is_refused_naming_the_host_and_the_roots() {
    let Some((db, tls)) = setup() else { return };
    let other = file(&tls, "other-ca.crt");
    for mode in ["verify-ca", "verify-full", "require"] {
        // `require` with a root certificate checks it, as libpq does.
        let url = db.tls_url(
            "migrate_tls_only",
            &format!("sslmode={mode}&sslrootcert={other}"),
        );
        let said = refused(&url);
        assert!(
            said.contains(&format!(
                "the certificate of 127.0.0.1 is not signed by a CA of sslrootcert {other}"
            )),
            "{mode}: {said}"
        );
    }
}

#[test]
fn verify_full_refuses_a_host_name_the_certificate_is_not_for_and_verify_ca_does_not_check_it() {
    let Some((db, tls)) = setup() else { return };
    let ca = file(&tls, "ca.crt");
    db.tls_url("migrate_tls_only", "");
    // The name the certificate is checked for is the host; the address is
    // where the server is.
    let url = |mode: &str| {
        format!(
            "postgres://migrate_tls_only@wrong.example:5432/{}?hostaddr=127.0.0.1\
             &sslmode={mode}&sslrootcert={ca}",
            db.name
        )
    };
    let said = refused(&url("verify-full"));
    assert!(
        said.contains("the certificate of the server is not for the host name wrong.example"),
        "{said}"
    );
    let mut client = connect(&url("verify-ca")).expect("the chain is checked, not the name");
    assert!(encrypted(&mut client));
    // `localhost` is in the certificate.
    let localhost = format!(
        "postgres://migrate_tls_only@localhost:5432/{}?sslmode=verify-full&sslrootcert={ca}",
        db.name
    );
    connect(&localhost).expect("localhost is named by the certificate");
}

#[test]
fn a_client_certificate_is_accepted_where_the_server_asks_for_one() {
    let Some((db, tls)) = setup() else { return };
    let (ca, cert, key) = (
        file(&tls, "ca.crt"),
        file(&tls, "client.crt"),
        file(&tls, "client.key"),
    );
    let url = db.tls_url(
        "migrate_tls_cert",
        &format!("sslmode=verify-full&sslrootcert={ca}&sslcert={cert}&sslkey={key}"),
    );
    let mut client = connect(&url).expect("the client certificate");
    let user: String = client
        .query_one("SELECT current_user::text", &[])
        .expect("query")
        .get(0);
    assert_eq!(user, "migrate_tls_cert");
    let without = db.tls_url(
        "migrate_tls_cert",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    );
    let said = refused(&without);
    assert!(said.contains("certificate"), "{said}");
}

#[test]
fn tls_settings_that_cannot_work_are_refused_before_connecting_naming_the_file() {
    let Some((db, tls)) = setup() else { return };
    let missing = tls.join("missing.crt").display().to_string();
    let key = file(&tls, "client.key");
    for (query, said) in [
        (
            format!("sslmode=verify-full&sslrootcert={missing}"),
            format!("sslrootcert {missing}: No such file"),
        ),
        (
            "sslmode=verify-bogus".to_owned(),
            "`sslmode=verify-bogus` is not one of".to_owned(),
        ),
        (
            "sslmode=require&sslrootcert=system".to_owned(),
            "may not be used with `sslrootcert=system`".to_owned(),
        ),
        (
            format!("sslkey={key}"),
            "`sslkey` needs `sslcert`".to_owned(),
        ),
        (format!("sslcert={key}&sslkey={key}"), "sslcert".to_owned()),
    ] {
        let error = refused(&db.tls_url("migrate_tls_only", &query));
        assert!(error.contains(&said), "{query}: {error}");
        assert!(!error.contains("BEGIN"), "key material in: {error}");
    }
    // libpq's default root certificate is looked for in HOME; without it,
    // verify-full says what to name.
    let error = refused(&db.tls_url("migrate_tls_only", "sslmode=verify-full"));
    assert!(error.contains("`sslrootcert=FILE`"), "{error}");
}

#[test]
fn the_replay_and_testing_reach_a_server_that_takes_only_tls() {
    let Some((db, tls)) = setup() else { return };
    let ca = file(&tls, "ca.crt");
    let url = db.tls_url(
        "migrate_tls_only",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    );
    let root = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(root.path().join("migrations")).expect("mkdir");
    std::fs::write(
        root.path().join("migrations/001_t.sql"),
        "-- +migrate Up\nCREATE TABLE t (id INT);\n-- +migrate Down\nDROP TABLE t;\n",
    )
    .expect("write");
    let options = migrate_core::Options {
        dialect: migrate_core::Dialect::Postgres,
        ..migrate_core::Options::default()
    };
    let set = migrate_core::load(root.path(), "migrations", &options).expect("valid format");
    let problems = migrate_replay::replay_postgres(&set, &url).expect("the replay over TLS");
    assert!(problems.is_empty(), "{problems:?}");
    let migrations = migrate_runtime::Migrations::from_set(set);
    MigrationTest::postgres(&migrations, &url)
        .expect("the server over TLS")
        .walk()
        .expect("testing over TLS");
}

#[test]
fn through_a_pgbouncer_that_requires_tls() {
    let Some((db, tls)) = setup() else { return };
    let Some(bouncer) = Bouncer::with_tls(&tls) else {
        return;
    };
    let ca = file(&tls, "ca.crt");
    let url = format!("{}?sslmode=verify-full&sslrootcert={ca}", bouncer.url(&db));
    let mut client = connect(&url).expect("through the pooler over TLS");
    client.batch_execute("SELECT 1").expect("a query");
    let plain = format!("{}?sslmode=disable", bouncer.url(&db));
    let said = refused(&plain);
    assert!(said.contains("SSL required"), "{said}");
    let other = format!(
        "{}?sslmode=verify-ca&sslrootcert={}",
        bouncer.url(&db),
        file(&tls, "other-ca.crt")
    );
    refused(&other);
}
