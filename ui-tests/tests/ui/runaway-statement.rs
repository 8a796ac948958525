// A statement that never ends, under its file's `Timeout 1s`: the build
// stops it at the limit and says so, at its line.
static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/runaway-statement");

fn main() {}
