static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/begin-never-ended");

fn main() {}
