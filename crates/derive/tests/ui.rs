//! The errors the derive gives, checked by compiling small crates. (What
//! it accepts is in `pass.rs`, ordinary tests: trybuild would build every
//! dependency a second time to run them.)

#[test]
fn ui() {
    trybuild::TestCases::new().compile_fail("tests/ui/fail/*.rs");
}
