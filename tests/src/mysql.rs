//! Scratch databases on the test MySQL or MariaDB server
//! (`MIGRATE_TEST_MYSQL_URL`, else `mysql://root@127.0.0.1:3306`), each
//! dropped when its test ends.

use migrate_runtime::mysql::prelude::Queryable;
use migrate_runtime::mysql::{Conn, Opts, OptsBuilder};

/// How many scratch databases this process made: with the time, in each
/// name, since two threads of one process may read the same time.
static MADE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A fresh database on the server, dropped on drop.
pub struct Scratch {
    server: Opts,
    url: String,
    name: String,
}

impl Scratch {
    /// A new database; `None` when no server answers (and none is required).
    pub fn new() -> Option<Scratch> {
        let url = crate::server_url(
            "MIGRATE_TEST_MYSQL_URL",
            "mysql://root@127.0.0.1:3306",
            |url| Opts::from_url(url).is_ok_and(|o| Conn::new(o).is_ok()),
        )?;
        let server = Opts::from_url(&url).expect("a MySQL URL");
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("time")
            .subsec_nanos();
        let made = MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("migrate_test_{}_{made}_{nanos}", std::process::id());
        let mut conn = Conn::new(server.clone()).expect("connect");
        conn.query_drop(format!("CREATE DATABASE `{name}`"))
            .expect("create the database");
        Some(Scratch { server, url, name })
    }

    /// A new session on the database.
    pub fn connect(&self) -> Conn {
        let opts = OptsBuilder::from_opts(self.server.clone()).db_name(Some(&self.name));
        Conn::new(opts).expect("connect to the scratch database")
    }

    /// The database's URL, for another process.
    pub fn url(&self) -> String {
        format!("{}/{}", self.url.trim_end_matches('/'), self.name)
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Ok(mut conn) = Conn::new(self.server.clone()) {
            let _ = conn.query_drop(format!("DROP DATABASE IF EXISTS `{}`", self.name));
        }
    }
}
