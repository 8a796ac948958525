//! The form from the README compiles as a `static` and reads without
//! allocation or parsing.

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/pass-single");

fn main() {
    assert_eq!(MIGRATIONS.len(), 3);
    assert_eq!(MIGRATIONS.latest(None), Some(migrate_runtime::Version(3)));
}
