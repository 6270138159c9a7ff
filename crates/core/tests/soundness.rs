//! Shapes too large for memory and buffers that do not fit their shape:
//! each is an error or a panic that names the sizes, never a count that
//! wraps around or a kernel that reads or writes past a buffer.
//!
//! Arithmetic wraps silently in release builds, so these tests check the
//! returned errors and the panics' messages, which are the same in debug and
//! release builds; none of them allocates more than a few megabytes.
#![cfg(target_pointer_width = "64")]

use std::panic::{AssertUnwindSafe, catch_unwind};
use typeflux_core::prelude::*;
use typeflux_core::{BinaryOp, Device};

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
        // (Under Miri, which is slow to fill a buffer, 2¹⁰ columns.)
        let columns = if cfg!(miri) { 1 << 10 } else { 1 << 20 };
        let half = Cpu.upload::<(Const<1>, usize), f32>(&vec![0.5; columns / 2]);
        assert_eq!(
            panic_message(|| Batch::<1>::from_parts((Const, columns), half, Cpu)),
            format!(
                "from_parts: expected {columns} elements for shape 1x{columns}, found {} elements",
                columns / 2
            )
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

    #[test]
    fn the_product_kernel_refuses_sizes_its_buffers_do_not_have() {
        // The kernels are public: called with sizes whose count wraps around,
        // the product names them instead of writing past its result.
        let a = Cpu.upload::<(Const<64>, Const<64>), f32>(&[1.0; 64 * 64]);
        let b = Cpu.upload::<(Const<64>, usize), f32>(&[1.0; 64]);
        let message = panic_message(|| {
            <Cpu as Kernels<f32>>::matmul::<
                (Const<64>, Const<64>),
                (Const<64>, usize),
                (Const<64>, usize),
            >(&Cpu, 64, 64, WRAPS_TO_64, &a, false, &b, false)
        });
        assert!(message.contains("64x288230376151711745"), "{message}");
        // And with a right operand shorter than its sizes.
        let a = Cpu.upload::<(usize, usize), f64>(&vec![1.0; 100 * 100]);
        let short = Cpu.upload::<(usize, usize), f64>(&vec![1.0; 100 * 99]);
        let message = panic_message(|| {
            type M = (usize, usize);
            <Cpu as Kernels<f64>>::matmul::<M, M, M>(&Cpu, 100, 100, 100, &a, false, &short, false)
        });
        assert!(message.contains("100x100"), "{message}");
    }
}

mod kernels {
    use super::*;

    type Column = (Const<1>, usize);

    /// Long enough for the elementwise passes to split over a pool of more
    /// than one thread (under Miri, where the split starts at a few hundred
    /// elements, a thousand).
    const LONG: usize = if cfg!(miri) { 1 << 10 } else { 1 << 20 };

    fn two_threads<T: Send>(f: impl FnOnce() -> T + Send) -> T {
        rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap()
            .install(f)
    }

    #[test]
    fn elementwise_passes_refuse_operands_of_different_lengths() {
        let long = Cpu.upload::<Column, f32>(&vec![1.0; LONG]);
        let short = Cpu.upload::<Column, f32>(&vec![2.0; LONG / 2]);
        let expected = format!(
            "elementwise pass over operands of {LONG} and {} elements",
            LONG / 2
        );
        assert_eq!(
            panic_message(|| two_threads(|| <Cpu as Kernels<f32>>::binary::<Column>(
                &Cpu,
                BinaryOp::Add,
                &long,
                &short
            ))),
            expected
        );
        let mut target = Cpu.upload::<Column, f32>(&vec![1.0; LONG]);
        assert_eq!(
            panic_message(
                || two_threads(|| <Cpu as Kernels<f32>>::binary_assign::<Column>(
                    &Cpu,
                    BinaryOp::Mul,
                    &mut target,
                    &short
                ))
            ),
            expected
        );
        let mut target = Cpu.upload::<Column, f32>(&vec![1.0; LONG]);
        assert_eq!(
            panic_message(|| two_threads(|| <Cpu as Kernels<f32>>::axpy::<Column>(
                &Cpu,
                &mut target,
                2.0,
                &short
            ))),
            expected
        );
        // On one thread, where the passes do not split, the same.
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        assert_eq!(
            panic_message(|| one.install(|| <Cpu as Kernels<f32>>::binary::<Column>(
                &Cpu,
                BinaryOp::Sub,
                &short,
                &long
            ))),
            format!(
                "elementwise pass over operands of {} and {LONG} elements",
                LONG / 2
            )
        );
    }

    #[test]
    fn a_split_pass_over_equal_lengths_writes_every_element() {
        let a = Batch::<1>::from_fn((Const, LONG), |[_, j]| j as f32);
        let b = Batch::<1>::ones_with((Const, LONG));
        let sum = two_threads(|| &a + &b);
        assert!(sum.iter().enumerate().all(|(j, &x)| x == j as f32 + 1.0));
    }

    #[test]
    fn a_broadcast_vector_must_have_the_matrix_s_rows() {
        let m = Cpu.upload::<(Const<3>, usize), f32>(&[1.0; 6]);
        let v = Cpu.upload::<(Const<2>,), f32>(&[1.0; 2]);
        assert_eq!(
            panic_message(
                || <Cpu as Kernels<f32>>::broadcast::<(Const<3>, usize), (Const<2>,)>(
                    &Cpu,
                    BinaryOp::Add,
                    &m,
                    3,
                    &v
                )
            ),
            "broadcast: a vector of 2 over 3 rows"
        );
    }
}
