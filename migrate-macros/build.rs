//! An identifier of this build of the macro, part of its cache's key: a
//! cache written by another build (whose checks or generated code may
//! differ) is never reused. In this workspace the build script runs again
//! whenever the macro's sources or those of the crates it checks with
//! change; a published build is identified by the crates' versions too.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

fn main() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=src");
    for sibling in [
        "../migrate-core/src",
        "../migrate-replay/src",
        "../migrate-runtime/src/private.rs",
    ] {
        if here.join(sibling).exists() {
            println!("cargo::rerun-if-changed={sibling}");
        }
    }
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    println!("cargo::rustc-env=MIGRATE_MACROS_BUILD={nanos}");
}
