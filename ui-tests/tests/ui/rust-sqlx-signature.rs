// A Rust migration written for sqlx takes `&mut sqlx::PgConnection`.
static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/rust-sqlx-signature", dialect = "postgres");

fn main() {}
