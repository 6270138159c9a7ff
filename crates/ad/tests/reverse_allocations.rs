//! What a gradient allocates, counted by a global allocator: the gradient of
//! `sum((x - y)²)` at n = 10⁶ with respect to borrowed `x` and `y`. Large
//! buffers are what cost (each is written once and page-faults when fresh),
//! so the count is of those.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use typeflux_ad::reverse::gradient;
use typeflux_core::prelude::*;

const N: usize = 1_000_000;
const LARGE: usize = 4 * N;

struct Counting;

static LARGE_ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() >= LARGE {
            LARGE_ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: the layout is passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[test]
fn the_gradient_of_a_squared_distance_allocates_two_buffers() {
    let x = Vector::<N>::full(3.0);
    let y = Vector::<N>::full(1.0);
    let before = LARGE_ALLOCATIONS.load(Ordering::Relaxed);
    let (gx, gy) = gradient(|(x, y)| (x - y).square().sum(), (&x, &y));
    let allocated = LARGE_ALLOCATIONS.load(Ordering::Relaxed) - before;
    assert_eq!((gx[0], gy[N - 1]), (4.0, -4.0));
    // The borrowed inputs are shared, not copied, so x - y is a new buffer
    // (which becomes x̄); the square is deferred and summed in one pass
    // without a buffer of its own; ȳ = -x̄ is the other buffer. The sum's
    // cotangent stays a scalar.
    assert_eq!(allocated, 2);
}
