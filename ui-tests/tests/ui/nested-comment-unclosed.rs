// PostgreSQL's comments nest: the `*/` of the inner comment does not end
// the outer one, so the `DROP TABLE` and all that follows are inside it.
static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/nested-comment-unclosed", dialect = "postgres");

fn main() {}
