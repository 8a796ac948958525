static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/pass-single", allow_gap = true, check = false);

fn main() {}
