static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/pass-single", allow_gap = true, strict = true);

fn main() {}
