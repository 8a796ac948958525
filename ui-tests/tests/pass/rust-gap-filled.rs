//! A Rust migration fills version 2 between two SQL files: no gap, and it
//! runs in order, in the run's transaction, on a real SQLite connection.

static NOTES: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/rust-gap-filled");

fn main() {
    let versions: Vec<(u64, bool)> = NOTES.iter().map(|m| (m.version().0, m.is_rust())).collect();
    assert_eq!(versions, [(1, false), (2, true), (3, false)]);
    let mut conn = migrate_runtime::rusqlite::Connection::open_in_memory().expect("open");
    NOTES.migrator().to(migrate_runtime::Version(1)).run(&mut conn).expect("version 1");
    conn.execute("INSERT INTO notes (body) VALUES ('three little words')", [])
        .expect("a note");
    NOTES.migrate(&mut conn).expect("migrates");
    let words: Vec<Option<i64>> = conn
        .prepare("SELECT words FROM notes ORDER BY id")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("words");
    // The note written before the count is counted; the one after is not.
    assert_eq!(words, [Some(3), None]);
}
