//! Shapes too large for memory and buffers that do not fit their shape:
//! each is an error or a panic that names the sizes, never a count that
//! wraps around or a kernel that reads or writes past a buffer.
//!
//! Arithmetic wraps silently in release builds, so these tests check the
//! returned errors and the panics' messages, which are the same in debug and
//! release builds; none of them allocates more than a few megabytes.
#![cfg(target_pointer_width = "64")]

use std::panic::{AssertUnwindSafe, catch_unwind};
use typeflux_core::Device;
use typeflux_core::prelude::*;

/// The message a closure panics with; fails the test if it does not panic.
#[track_caller]
fn panic_message<T>(f: impl FnOnce() -> T) -> String {
    let payload = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(_) => panic!("expected a panic"),
        Err(payload) => payload,
    };
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(payload) => payload
            .downcast::<&str>()
            .map(|s| s.to_string())
            .expect("panic payload is a string"),
    }
}

/// `64 · (2⁵⁸ + 1)` is `2⁶⁴ + 64`: the count wraps around to 64.
const WRAPS_TO_64: usize = (1 << 58) + 1;

const MAX_BYTES: &str = "a shape of at most 9223372036854775807 bytes";

mod constructors {
    use super::*;

    #[test]
    fn a_count_that_overflows_is_an_error_not_a_small_tensor() {
        let err = Batch::<64>::from_vec((Const, WRAPS_TO_64), vec![1.0; 64]).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "from_vec: expected {MAX_BYTES}, found shape 64x288230376151711745 of \
                 4-byte elements, whose element count overflows usize"
            )
        );
        let err = Batch::<64, f64>::from_slice((Const, WRAPS_TO_64), &[1.0; 64]).unwrap_err();
        assert_eq!(err.op, "from_slice");
        assert!(err.found.contains("overflows usize"), "{err}");
        let batch = Batch::<64>::ones_with((Const, 1));
        let err = batch.try_with_shape((Const, WRAPS_TO_64)).unwrap_err();
        assert_eq!(err.op, "try_with_shape");
    }

    #[test]
    fn a_count_whose_bytes_overflow_isize_is_an_error() {
        // 2⁶¹ elements fit a usize, but 2⁶³ bytes of f32 do not fit an isize.
        let err = Batch::<1>::from_vec((Const, 1 << 61), Vec::new()).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "from_vec: expected {MAX_BYTES}, found shape 1x2305843009213693952 of \
                 2305843009213693952 elements of 4 bytes each"
            )
        );
        // One element fewer in bytes is only a wrong length.
        let err = Batch::<1>::from_vec((Const, (1 << 61) - 1), Vec::new()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "from_vec: expected 2305843009213693951 elements for shape 1x2305843009213693951, \
             found 0 elements"
        );
    }

    #[test]
    fn constructors_without_a_result_panic_naming_the_shape() {
        let shape = (Const::<64>, WRAPS_TO_64);
        let message = |op: &str| {
            format!(
                "{op}: expected {MAX_BYTES}, found shape 64x288230376151711745 of \
                 4-byte elements, whose element count overflows usize"
            )
        };
        assert_eq!(
            panic_message(|| Batch::<64>::zeros_with(shape)),
            message("zeros_with")
        );
        assert_eq!(
            panic_message(|| Batch::<64>::ones_with(shape)),
            message("ones_with")
        );
        assert_eq!(
            panic_message(|| Batch::<64>::full_with(shape, 2.0)),
            message("full_with")
        );
        assert_eq!(
            panic_message(|| Batch::<64>::full_on(shape, 2.0, &Cpu)),
            message("full_on")
        );
        assert_eq!(
            panic_message(|| Batch::<64>::from_fn(shape, |_| 0.0)),
            message("from_fn")
        );
        let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(0);
        assert_eq!(
            panic_message(|| Batch::<64>::randn_with(shape, &mut rng)),
            message("from_fn")
        );
        assert_eq!(
            panic_message(|| Batch::<64, f32, Stack>::zeros_with(shape)),
            message("zeros_with")
        );
    }

    #[test]
    fn a_buffer_must_fill_its_shape() {
        // Half the elements a 2²⁰-column batch needs: before the check, adding
        // such a tensor returned 2¹⁹ values left over in an earlier buffer.
        let half = Cpu.upload::<(Const<1>, usize), f32>(&vec![0.5; 1 << 19]);
        assert_eq!(
            panic_message(|| Batch::<1>::from_parts((Const, 1 << 20), half, Cpu)),
            "from_parts: expected 1048576 elements for shape 1x1048576, found 524288 elements"
        );
        let wrapped = Cpu.upload::<(Const<64>, usize), f32>(&[1.0; 64]);
        assert_eq!(
            panic_message(|| Batch::<64>::from_parts((Const, WRAPS_TO_64), wrapped, Cpu)),
            "from_parts: expected more than usize::MAX elements for shape \
             64x288230376151711745, found 64 elements"
        );
        let fits = Cpu.upload::<(Const<2>, usize), f32>(&[1.0, 2.0, 3.0, 4.0]);
        let x = Batch::<2>::from_parts((Const, 2), fits, Cpu);
        assert_eq!(x[[1, 1]], 4.0);
    }
}

mod products {
    use super::*;

    type Dyn = Tensor<(usize, usize)>;

    #[test]
    fn a_product_with_no_inner_size_can_still_be_too_large() {
        // Two empty operands, 2⁴⁰ × 0 and 0 × 2⁴⁰, whose product has 2⁸⁰
        // elements.
        let (a, b) = (Dyn::zeros_with((1 << 40, 0)), Dyn::zeros_with((0, 1 << 40)));
        let too_many = "expected a shape of at most 9223372036854775807 bytes, found shape \
                        1099511627776x1099511627776 of 4-byte elements, whose element count \
                        overflows usize";
        assert_eq!(
            panic_message(|| a.matmul(&b)),
            format!("matmul: {too_many}")
        );
        assert_eq!(
            panic_message(|| b.t_matmul(&b)),
            format!("t_matmul: {too_many}")
        );
        assert_eq!(
            panic_message(|| a.matmul_t(&a)),
            format!("matmul_t: {too_many}")
        );
        // 2⁶² rows over no columns: the vector product has 2⁶⁴ bytes.
        let tall = Dyn::zeros_with((1 << 62, 0));
        let empty = Tensor::<(usize,)>::zeros_with((0,));
        let wide = Dyn::zeros_with((0, 1 << 62));
        assert!(panic_message(|| tall.matmul(&empty)).starts_with("matmul: expected"));
        assert!(panic_message(|| empty.vecmat(&wide)).starts_with("vecmat: expected"));
        assert!(panic_message(|| wide.sum_along::<0>()).starts_with("sum_axis: expected"));
        assert!(panic_message(|| tall.sum_along::<1>()).starts_with("sum_axis: expected"));
        // Products that fit are unchanged.
        let c = Dyn::ones_with((3, 0)).matmul(&Dyn::ones_with((0, 2)));
        assert_eq!((c.shape(), c.to_vec()), ((3, 2), vec![0.0; 6]));
    }
}
