//! `-- +migrate Allow` needs a known code and a reason.

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/allow-without-reason");

fn main() {}
