//! A training loop reuses its large blocks: once the first steps have run,
//! a step allocates no block of [`cache::MIN_BYTES`] or more, because the
//! blocks of the step before come back from the CPU buffer cache.
//!
//! This binary holds a single test, and counts the large allocations of every
//! thread (the products run on the rayon pool) with the alignment of an
//! element: the `gemm` crate allocates its own packing buffers, aligned to
//! 128 bytes, for each product it packs, and those are not typeflux's.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use typeflux_ad::reverse::value_and_gradient;
use typeflux_core::cpu::cache;
use typeflux_core::prelude::*;
use typeflux_nn::optim::{Descent, Optimiser, Rule};
use typeflux_nn::prelude::*;

struct Counting;

static LARGE: AtomicUsize = AtomicUsize::new(0);

fn count(layout: Layout) {
    if layout.size() >= cache::MIN_BYTES && layout.align() <= 16 {
        LARGE.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: every call is forwarded unchanged to the system allocator; counting
// is one atomic add, which does not allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout);
        // SAFETY: the caller's contract is passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout);
        // SAFETY: the caller's contract is passed on.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(Layout::from_size_align(new_size, layout.align()).unwrap_or(layout));
        // SAFETY: the caller's contract is passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

type Model = Chain<(Dense<256, 256, Relu>, Dense<256, 256, Relu>, Dense<256, 10>)>;

/// Forward, `logitcrossentropy`, gradient and descent; the loss.
fn step(
    model: &mut Model,
    opt: &mut Optimiser<Descent, Model>,
    x: &Batch<256>,
    y: &Batch<10>,
) -> f32 {
    let (loss, grad) = value_and_gradient(
        |m| logitcrossentropy(m.forward(x), y),
        typeflux_ad::reverse::model(model),
    );
    opt.update(model, &grad);
    loss
}

/// Large allocations made by `steps` training steps.
fn large_allocations(
    steps: usize,
    model: &mut Model,
    opt: &mut Optimiser<Descent, Model>,
    x: &Batch<256>,
    y: &Batch<10>,
) -> usize {
    let start = LARGE.load(Ordering::Relaxed);
    for _ in 0..steps {
        assert!(step(model, opt, x, y).is_finite());
    }
    LARGE.load(Ordering::Relaxed) - start
}

#[test]
fn training_steps_reuse_their_large_blocks() {
    typeflux_nn::init::seed(5);
    // Batch 128: every activation and delta is 256 × 128 f32 (128 KiB), every
    // weight and weight gradient 256 KiB, all above the cache's minimum.
    let x = Batch::<256>::from_fn((Const, 128), |[r, c]| ((r * 7 + c * 3) % 11) as f32 / 11.0);
    let y = Batch::<10>::from_fn((Const, 128), |[r, c]| f32::from(u8::from(r == c % 10)));
    let mut model: Model = Chain((Dense::new(relu), Dense::new(relu), Dense::new(identity)));
    let mut opt = Descent::new(0.01).setup(&model);

    // Without the cache every step allocates its large blocks anew: the
    // counter sees them.
    let limit = cache::limit();
    cache::set_limit(0);
    let uncached = large_allocations(3, &mut model, &mut opt, &x, &y);
    assert!(
        uncached >= 3 * 6,
        "{uncached} large allocations in three steps"
    );

    // With it, the first step fills the cache and the next ones take from it.
    cache::set_limit(limit);
    large_allocations(2, &mut model, &mut opt, &x, &y);
    let cached = large_allocations(5, &mut model, &mut opt, &x, &y);
    assert_eq!(cached, 0, "large allocations in five steps with the cache");
    assert!(cache::cached_bytes() > 0);

    // Clearing it hands the blocks back; the next step allocates again.
    cache::clear();
    assert_eq!(cache::cached_bytes(), 0);
    assert!(large_allocations(1, &mut model, &mut opt, &x, &y) > 0);
}
