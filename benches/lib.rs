//! Benchmarks for typeflux; the benchmark targets are the files beside this one.
//! Run them with `cargo bench -p typeflux-benches` (or `cargo bench --bench NAME`
//! from the workspace root).
