const DIR: &str = "fixtures/pass-single";

static MIGRATIONS: migrate_runtime::Migrations = migrate_runtime::embed_migrations!(DIR);

fn main() {}
