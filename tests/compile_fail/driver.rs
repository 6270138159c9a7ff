//! Shapes that cannot fit are compile errors whose messages name the sizes.
//!
//! Each file in `cases/` must fail to compile with exactly the
//! diagnostics in its `.stderr` file. After a deliberate change to a message,
//! regenerate them with `TRYBUILD=overwrite cargo test --test compile_fail`
//! and read the result.

#[test]
fn shape_mismatches_do_not_compile() {
    trybuild::TestCases::new().compile_fail("cases/*.rs");
}
