// A Rust migration in a `dialect = "mysql"` directory takes `&mut mysql::Conn`.
static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/rust-mysql-signature", dialect = "mysql");

fn main() {}
