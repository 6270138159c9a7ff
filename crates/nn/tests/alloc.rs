//! The seed's model, forward and backward on one sample, allocates nothing,
//! on the `Cpu` (its tensors are small enough to live inline) and on the
//! `Stack` (whose tensors are arrays); nor does a `Descent::step` on the
//! `Stack`.
//!
//! This binary holds a single test so that no other test allocates while it
//! counts; the counter is also per thread, which keeps the test harness out.

use core::cell::Cell;
use std::alloc::{GlobalAlloc, Layout, System};
use typeflux_ad::reverse::{model, pullback, value_and_gradient};
use typeflux_core::prelude::*;
use typeflux_nn::Descent;
use typeflux_nn::prelude::*;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded to the system allocator unchanged; the
// counter is a const-initialised thread-local without a destructor, which
// does not allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract is passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is passed on.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract is passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

#[test]
fn seed_model_forward_and_backward_on_one_sample_do_not_allocate() {
    let chain = Chain((
        Dense::<10, 5>::new(sigmoid),
        Dense::<5, 2>::new(identity),
        softmax,
    ));
    let x = Vector::<10>::from_array([0.5, -0.25, 1.0, 0.0, 2.0, -1.5, 0.75, 0.1, -0.3, 0.9]);
    let target = Vector::<2>::from_array([1.0, 0.0]);

    // A control: a heap tensor is counted.
    let start = allocations();
    let big = Vector::<1000>::zeros();
    assert!(allocations() > start, "the counter sees allocations");
    drop(big);

    let start = allocations();
    let y = chain.forward(&x);
    let forward = allocations() - start;

    let start = allocations();
    let (loss, grad) = value_and_gradient(|m| crossentropy(m.forward(&x), &target), model(&chain));
    let data = allocations() - start;

    let start = allocations();
    let (loss_too, (grad_too, dx)) = value_and_gradient(
        |(m, x)| crossentropy(m.forward(x), &target),
        (model(&chain), &x),
    );
    let with_input = allocations() - start;

    let start = allocations();
    let (y_hat, back) = pullback(|m| m.forward(&x), model(&chain));
    let _ = back(Vector::<2>::ones());
    let output = allocations() - start;

    assert_eq!(
        (forward, data, with_input, output),
        (0, 0, 0, 0),
        "allocations: forward, gradient of the model, of the model and the input, a pullback"
    );
    assert_eq!(y, y_hat);
    assert!(loss.is_finite());
    assert_eq!(loss, loss_too);
    assert_eq!(grad.0.0.weight, grad_too.0.0.weight);
    assert!(dx.iter().all(|d| d.is_finite()));

    // The same on the Stack.
    let chain = chain.to_device(&Stack);
    let (x, target) = (x.to_device(&Stack), target.to_device(&Stack));
    let start = allocations();
    let y = chain.forward(&x);
    let grad_stack = typeflux_ad::gradient(|m| crossentropy(m.forward(&x), &target), model(&chain));
    let (_, (_, dx)) = value_and_gradient(
        |(m, x)| crossentropy(m.forward(x), &target),
        (model(&chain), &x),
    );
    assert_eq!(allocations() - start, 0, "allocations on the Stack");

    // A step of descent folded into the backward pass, on the Stack: the
    // small products add into the weights in place.
    let mut stepped = chain.clone();
    let start = allocations();
    let loss = Descent::new(0.1).step(&mut stepped, |m| crossentropy(m.forward(&x), &target));
    assert_eq!(
        allocations() - start,
        0,
        "allocations of Descent::step on the Stack"
    );
    assert!(loss.is_finite());
    assert_ne!(
        stepped.0.0.weight.to_device(&Cpu),
        chain.0.0.weight.to_device(&Cpu)
    );
    assert_eq!(y.to_device(&Cpu), y_hat);
    assert_eq!(grad_stack.0.0.weight.to_device(&Cpu), grad.0.0.weight);
    assert!(dx.iter().all(|d| d.is_finite()));
}
