// A link that leads out of the migration directory is refused, not followed.
static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/link-outside");

fn main() {}
