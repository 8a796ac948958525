// The placeholder after the error has the right type: only the real error shows.
static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/missing-down");

fn main() {
    let latest: Option<migrate_runtime::Version> = MIGRATIONS.latest(None);
    let _ = latest;
}
