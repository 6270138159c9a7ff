//! Compile-fail tests for typeflux; the cases are in `cases/`, the driver in
//! `driver.rs`.
