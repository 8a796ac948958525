//! PostgreSQL-only SQL (an extension, an enum, a PL/pgSQL function in
//! dollar quotes, a `DO` block, `CREATE INDEX CONCURRENTLY`) passes
//! PostgreSQL's own parser at build time with `dialect = "postgres"`.

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/pass-postgres", dialect = "postgres");

fn main() {
    assert_eq!(MIGRATIONS.len(), 3);
    assert_eq!(MIGRATIONS.all()[0].up().len(), 5);
    assert!(MIGRATIONS.all()[1].no_transaction());
}
