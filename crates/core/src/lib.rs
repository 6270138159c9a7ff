//! Tensors whose sizes are types.
//!
//! `typeflux-core` is the ground floor of typeflux: statically shaped tensors,
//! generic over their element (`f32`, `f64`, dual numbers) and their device.
//!
//! # A first look
//! A static size is written as a plain number; the batch axis, known only when
//! data arrives, is a `usize`. Storage is column-major, features × batch, as in
//! Flux.
//! ```
//! use typeflux_core::prelude::*;
//!
//! let w: Matrix<2, 3> = Tensor::from_array([[1.0, 0.0, 2.0], [0.0, 1.0, 0.0]]);
//! let b: Vector<2> = Tensor::from_array([0.5, -0.5]);
//! let x: Batch<3> = Batch::from_slice((Const, 2), &[1.0, 1.0, 1.0, 2.0, 2.0, 2.0]).unwrap();
//!
//! let y = w.matmul(&x) + &b; // W*x .+ b: 2 × batch
//! assert_eq!(y.shape(), (Const::<2>, 2));
//! assert_eq!(y.to_vec(), vec![3.5, 0.5, 6.5, 1.5]);
//! ```
//!
//! # What the types forbid
//! Sizes that cannot fit are compile errors, with messages that say which sizes
//! disagree. A product needs matching inner sizes:
//! ```compile_fail
//! use typeflux_core::prelude::*;
//! let w = Matrix::<2, 3>::ones();
//! let x = Vector::<4>::ones();
//! let y = w.matmul(&x); // error: cannot multiply `Tensor<(Const<2>, Const<3>)>` by `Tensor<(Const<4>,)>`
//! ```
//! Vectors of different lengths cannot be added:
//! ```compile_fail
//! use typeflux_core::prelude::*;
//! let s = Vector::<3>::ones() + Vector::<4>::ones();
//! ```
//! A reshape keeps the element count, proven by the type checker with typenum:
//! ```compile_fail
//! use typeflux_core::prelude::*;
//! let v: Vector<10> = Matrix::<3, 4>::ones().flatten(); // 12 ≠ 10
//! ```
//!
//! # Runtime dims
//! Where a size is a `usize`, two tensors that disagree at run time make the
//! operation **panic**, with a message naming the operation and both shapes;
//! every operation does the same. Data whose length is only known at run time
//! goes through constructors that return a [`ShapeError`] instead:
//! ```should_panic
//! use typeflux_core::prelude::*;
//! let a = Batch::<2>::zeros_with((Const, 3));
//! let b = Batch::<2>::zeros_with((Const, 4));
//! let _ = a + b; // panics: "+: lhs 2x3, rhs 2x4: shapes disagree"
//! ```
//!
//! # Elements and devices
//! The element type is generic, so the same code runs with dual numbers for exact
//! derivatives:
//! ```
//! use typeflux_core::prelude::*;
//! use typeflux_core::num_dual::{Dual64, DualNum};
//!
//! let w: Matrix<1, 2, f64> = Tensor::from_array([[3.0, 4.0]]);
//! let w = w.map(Dual64::from_re);
//! let x: Vector<2, Dual64> = Tensor::from_array([Dual64::new(1.0, 1.0), Dual64::from_re(2.0)]);
//! let y = w.matmul(&x);
//! assert_eq!(y[0].re, 11.0);  // 3·1 + 4·2
//! assert_eq!(y[0].eps, 3.0);  // ∂y/∂x₀
//! ```
//! The device is the tensor's third type parameter, [`Cpu`] by default. Small
//! tensors (up to 64 `f32`) live inline, on the stack, and never allocate; large
//! products run on a blocked gemm over all cores. On the [`Stack`] device a
//! tensor of static shape is an array of exactly its elements, for small
//! models where moving 64-element buffers would cost more than the arithmetic:
//! ```
//! use typeflux_core::prelude::*;
//!
//! let w = Matrix::<2, 3>::ones().to_device(&Stack);
//! let y = w.matmul(&Vector::<3>::ones().to_device(&Stack));
//! assert_eq!(core::mem::size_of_val(&y), 2 * 4);
//! assert_eq!(y.to_vec(), vec![3.0, 3.0]);
//! ```
//!
//! # Threads
//! Large products and elementwise passes over large buffers are split over
//! rayon's thread pool, whose size `RAYON_NUM_THREADS` sets, or the code:
//! [`set_threads`] sizes the global pool, [`with_threads`] runs a closure
//! with a pool of its own.
//!
//! # The crates it builds on
//! num-dual's numbers are elements, rand's generators feed the initialisers
//! and nalgebra's vectors carry forward-mode gradients, so these crates
//! appear in typeflux's API. They are re-exported ([`num_dual`], [`rand`],
//! [`nalgebra`]): a program that uses them through typeflux gets the
//! versions typeflux was built with, without naming them in its
//! `Cargo.toml`.
//! ```
//! use typeflux_core::prelude::*;
//! use typeflux_core::rand::{SeedableRng, rngs::StdRng};
//!
//! let w = Matrix::<2, 3>::randn(&mut StdRng::seed_from_u64(7));
//! ```
#![warn(missing_docs)]

pub mod activation;
pub mod cpu;
pub mod dense_chain;
pub mod device;
pub mod dims;
pub mod element;
pub mod elementwise;
pub mod error;
pub mod functor;
pub mod init;
pub mod jet;
pub mod ops;
pub mod precision;
mod real;
pub mod shape;
pub mod tensor;
pub mod transfer;

pub use cpu::{Cpu, Host, Stack, ThreadsError, set_threads, with_threads};
pub use device::{AdamStep, BinaryOp, Device, Kernels, UnaryOp};
pub use dims::{Const, ConstDim, Dim, ToConst, ToTypenum};
pub use element::Element;
pub use elementwise::{Elementwise, Math};
pub use error::ShapeError;
pub use jet::{Cast, Jet};
pub use ops::{MatMul, ReduceAxis, ReshapeTo};
pub use precision::{ToElement, to_f32, to_f64};
pub use real::Real;
pub use shape::{ConstShape, Rank0, Rank1, Rank2, Rank3, Rank4, Shape};
pub use tensor::{Batch, Matrix, Scalar, Tensor, TensorArray, Vector};
pub use transfer::{TensorKind, ToDevice};
pub use {nalgebra, num_dual, rand};

/// The names most programs need.
pub mod prelude {
    pub use crate::{
        Batch, Cast, Const, ConstShape, Cpu, Device, Dim, Element, Kernels, MatMul, Matrix, Real,
        ReduceAxis, Scalar, Shape, ShapeError, Stack, Tensor, ToDevice, ToElement, Vector, to_f32,
        to_f64,
    };
}
