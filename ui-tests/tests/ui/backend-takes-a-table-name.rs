// A backend builds SQL from a validated `TableName` only: a raw string does
// not compile, so no crafted name can reach its SQL.
use migrate_runtime::HistoryStore;
use migrate_runtime::rusqlite::Connection;

fn main() {
    let mut conn = Connection::open_in_memory().unwrap();
    let wait = std::time::Duration::from_secs(1);
    let _ = conn.read_applied("x\"; DROP TABLE users; --", wait);
}
