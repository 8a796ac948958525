//! Compile-fail (trybuild) and compile-pass cases of `embed_migrations!`, with their fixture directories in `fixtures/`.
