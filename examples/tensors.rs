//! A tour of typed tensors: sizes as types, a batch known at run time, and the
//! operations a dense layer is made of.
//!
//! Run with `cargo run --release --example tensors`.

use typeflux::prelude::*;
use typeflux::rand::SeedableRng;
use typeflux::rand::rngs::StdRng;

fn main() {
    let mut rng = StdRng::seed_from_u64(42);

    // A 2×5 weight matrix and a bias of 2: the seed's linear regression.
    let w = Matrix::<2, 5>::glorot_uniform(&mut rng);
    let b = Vector::<2>::zeros();
    println!("W (2x5, glorot_uniform) =\n{w}");

    // A batch of 3 samples with 5 features each; the batch size is a runtime dim.
    let x = Batch::<5>::rand_with((Const, 3), &mut rng);
    let y = w.matmul(&x) + &b; // W*x .+ b
    println!("W*x .+ b has shape {:?}:\n{y}", y.shape());

    // Reductions over the batch and over everything.
    println!("sum over the batch: {}", y.sum_along::<1>());
    println!("mean of all: {:.4}", y.mean());

    // Shapes computed at type-check time: 2×5 flattens to exactly 10 elements,
    // and 2 + 1 features concatenate into 3.
    let flat: Vector<10> = w.clone().flatten();
    println!("flattened W: {flat}");
    let stacked: Tensor<(Const<3>, usize)> = y.concat(&Batch::<1>::ones_with((Const, 3)));
    println!("y stacked over a row of ones:\n{stacked}");

    // A runtime size that disagrees is reported with both shapes.
    let bad = Batch::<5>::from_slice((Const, 2), &[0.0; 7]);
    println!("from_slice with 7 values: {}", bad.unwrap_err());
}
