//! Criterion benchmarks live in `runtime.rs`; this library is empty.
