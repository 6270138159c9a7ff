//! Small static tensors live inline and never touch the heap.
//!
//! This test binary installs a global allocator that counts the allocations made
//! by the current thread, so tests running in parallel do not see each other's.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;
use typeflux_core::prelude::*;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded unchanged to the system allocator; counting
// touches only a const-initialised thread-local, which itself never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract for this method is the system allocator's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract for this method is the system allocator's.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract for this method is the system allocator's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract for this method is the system allocator's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The number of allocations `f` makes on this thread.
fn allocations<T>(f: impl FnOnce() -> T) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    black_box(f());
    ALLOCATIONS.with(Cell::get) - before
}

/// The number of allocations `f` makes on this thread, and its result.
fn counted<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let before = ALLOCATIONS.with(Cell::get);
    let out = black_box(f());
    (ALLOCATIONS.with(Cell::get) - before, out)
}

#[test]
fn small_static_tensors_do_not_allocate() {
    let n = allocations(|| {
        let w = Matrix::<5, 10>::from_fn(Default::default(), |[r, c]| (r + c) as f32);
        let x = Vector::<10>::ones();
        let b = Vector::<5>::full(0.5);
        let y = w.matmul(&x) + &b;
        let z = &w + &Matrix::<5, 10>::zeros();
        let s = z.sum() + y.sum();
        let columns = w.sum_along::<0>();
        let wt: Matrix<10, 5> = w.transpose();
        let h = w.matmul(&Matrix::<10, 2>::ones()).map(|v| v.max(0.0)) * 2.0;
        (y, s, columns, wt, h)
    });
    assert_eq!(n, 0, "small static tensors made {n} allocations");
}

#[test]
fn small_f64_and_runtime_dims_do_not_allocate_either() {
    let n = allocations(|| {
        let w = Matrix::<4, 8, f64>::ones();
        let x = Batch::<8, f64>::ones_with((Const, 3));
        let y = w.matmul(&x);
        let v: Vector<32, f64> = Matrix::<4, 8, f64>::full(1.0).flatten();
        (y.sum_along::<1>(), v.max())
    });
    assert_eq!(n, 0, "made {n} allocations");
}

#[test]
fn a_large_tensor_does_allocate() {
    // The counter is real: 1000 elements do not fit inline. A heap buffer is
    // two allocations, the elements and their reference count.
    let n = allocations(|| {
        let a = Vector::<1000>::ones();
        &a + &a
    });
    assert_eq!(n, 4);
    let m = allocations(Matrix::<8, 9>::zeros);
    assert_eq!(m, 2, "72 f32 exceed the 64 kept inline");
    // A clone shares the elements: no allocation until one side is written.
    let a = Vector::<1000>::ones();
    let (n, mut b) = counted(|| a.clone());
    assert_eq!(n, 0, "cloning a heap buffer shares it");
    let n = allocations(|| b[0] = 2.0);
    assert_eq!(n, 2, "writing to a shared buffer copies it");
    assert_eq!((a[0], b[0]), (1.0, 2.0));
}

#[test]
fn small_tensors_from_arrays_do_not_allocate() {
    let n = allocations(|| {
        let m = Tensor::from_array([[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]]);
        let v = Tensor::from_array([1.0f32, 1.0, 1.0]);
        m.matmul(&v).sum()
    });
    assert_eq!(n, 0, "made {n} allocations");
}
