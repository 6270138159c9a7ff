//! `with_threads`: the kernels run on a pool of the size asked for, and give
//! the same numbers whatever the size.

use typeflux_core::prelude::*;
use typeflux_core::with_threads;

#[test]
fn the_closure_runs_on_a_pool_of_the_size_asked_for() {
    for n in [1, 2, 3] {
        assert_eq!(with_threads(n, rayon::current_num_threads), n);
    }
    assert_eq!(with_threads(2, || 6 * 7), 42);
}

#[test]
fn a_large_product_gives_the_same_numbers_on_one_thread_and_on_three() {
    // 256³ multiply-adds: above the size from which the product is split.
    let a = Matrix::<256, 256>::from_fn(Default::default(), |[i, j]| ((i * 7 + j) % 13) as f32);
    let b =
        Matrix::<256, 256>::from_fn(Default::default(), |[i, j]| ((i + 3 * j) % 5) as f32 - 2.0);
    let one = with_threads(1, || a.matmul(&b));
    let three = with_threads(3, || a.matmul(&b));
    assert_eq!(one, three);
    // Elementwise passes are split from 2¹⁸ elements on; small whole numbers
    // sum exactly in any order.
    let big = Vector::<{ 1 << 19 }>::from_fn(Default::default(), |[i, _]| (i % 4) as f32);
    let one = with_threads(1, || (&big * 2.0).sum());
    let three = with_threads(3, || (&big * 2.0).sum());
    assert_eq!(one, three);
}
