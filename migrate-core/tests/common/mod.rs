//! Shared by the integration tests: a crate root with a `migrations/` folder.

use std::fs;

/// A temporary crate root with `migrations/` holding `files` (path, text).
pub fn dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("tempdir");
    fs::create_dir(root.path().join("migrations")).expect("mkdir");
    for (path, text) in files {
        let path = root.path().join("migrations").join(path);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, text).expect("write");
    }
    root
}
