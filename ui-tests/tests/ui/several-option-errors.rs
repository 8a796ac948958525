// Every bad option is reported in one build, also after an unknown one.
static MIGRATIONS: migrate_runtime::Migrations = migrate_runtime::embed_migrations!(
    "fixtures/pass-single",
    allow_gap = true,
    allow_gaps = "yes",
    dialect = "oracle",
    check = false
);

fn main() {}
