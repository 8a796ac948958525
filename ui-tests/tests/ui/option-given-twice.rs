static MIGRATIONS: migrate_runtime::Migrations = migrate_runtime::embed_migrations!(
    "fixtures/pass-single",
    allow_gaps = true,
    allow_gaps = false
);

fn main() {}
