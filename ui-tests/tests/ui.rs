//! trybuild: every bad directory in `fixtures/` is a compile error with the
//! message in its `.stderr`; `tests/pass/` compiles and runs.
//!
//! Regenerate the `.stderr` files with `TRYBUILD=overwrite cargo test -p
//! migrate-ui-tests --test ui`, then read every change before committing.

#[test]
fn ui() {
    // trybuild builds the cases inside `target/`, where `CARGO_MANIFEST_DIR`
    // does not hold the fixtures: point the macro at this crate instead.
    // This test binary runs this one test, which sets the variable before
    // anything else reads the environment.
    std::env::set_var("MIGRATE_MANIFEST_DIR", env!("CARGO_MANIFEST_DIR"));
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
    cases.pass("tests/pass/*.rs");
}
