//! Automatic differentiation for typeflux.
//!
//! Write a function once, generic over [`Real`], and take exact derivatives of
//! it: forward mode (this page, module [`forward`]) pushes derivatives through
//! the computation together with the values, on num-dual's dual numbers; reverse
//! mode pulls gradients back through it.
//!
//! # Forward mode
//!
//! ## First derivatives, and derivatives of derivatives
//!
//! [`derivative`] calls the function with a dual number, so the function must
//! be generic over [`Real`]. A function that calls `derivative` is again
//! generic over `Real`, so it can be differentiated in turn:
//!
//! ```
//! use typeflux_ad::{DualNum, Real, derivative, value_and_derivative};
//!
//! fn f<T: Real>(x: T) -> T {
//!     x * x * 3.0 + x * 2.0 + 1.0
//! }
//! fn df<T: Real>(x: T) -> T {
//!     derivative(f, x) // 6x + 2
//! }
//! assert_eq!(df(2.0), 14.0);
//! assert_eq!(derivative(df, 2.0), 6.0);
//!
//! // The value comes for free with the derivative.
//! assert_eq!(value_and_derivative(f, 2.0), (17.0, 14.0));
//! // Closures work too; their math methods come from `DualNum`.
//! assert_eq!(derivative(|x| x.exp(), 0.0), 1.0);
//! ```
//!
//! ## Higher and partial derivatives in one pass
//!
//! Nesting works to any depth, but a wider number type gets several
//! derivatives from a single evaluation:
//!
//! ```
//! use typeflux_ad::{DualNum, partial, second_derivative, second_partial, third_derivative};
//!
//! let (y, dy, d2y) = second_derivative(|x| x.powi(4), 2.0);
//! assert_eq!((y, dy, d2y), (16.0, 32.0, 48.0));
//!
//! let (_, _, _, d3y) = third_derivative(|x| x.powi(4), 2.0);
//! assert_eq!(d3y, 48.0); // 24x
//!
//! // g(x, y) = x²y: value, ∂g/∂x, ∂g/∂y
//! assert_eq!(partial(|x, y| x * x * y, 3.0, 2.0), (18.0, 12.0, 9.0));
//! // ... and the mixed second partial ∂²g/∂x∂y = 2x, exactly
//! assert_eq!(second_partial(|x, y| x * x * y, 3.0, 2.0), (18.0, 12.0, 9.0, 6.0));
//! ```
//!
//! ## Gradients, Jacobians and Hessians
//!
//! Functions of a vector take an nalgebra [`SVector`](nalgebra::SVector) whose
//! length is part of the type, so the gradient and the Hessian come back with
//! sizes the compiler knows, and nothing is allocated:
//!
//! ```
//! use typeflux_ad::nalgebra::{self, SVector, matrix, vector};
//! use typeflux_ad::{Real, forward_gradient, forward_hessian, jacobian};
//!
//! fn rosenbrock<T: Real, const N: usize>(x: SVector<T, N>) -> T {
//!     (0..N - 1)
//!         .map(|i| (x[i + 1] - x[i] * x[i]).powi(2) * 100.0 + (-x[i] + 1.0).powi(2))
//!         .sum()
//! }
//!
//! let (v, g) = forward_gradient(rosenbrock, vector![1.0, 1.0]);
//! assert_eq!((v, g), (0.0, vector![0.0, 0.0])); // the minimum
//!
//! let (_, _, h) = forward_hessian(rosenbrock, vector![1.0, 1.0]);
//! assert_eq!(h, matrix![802.0, -400.0; -400.0, 200.0]);
//!
//! // Forward over forward: the Jacobian of the gradient is the Hessian.
//! let (_, h2) = jacobian(|x| forward_gradient(rosenbrock, x).1, vector![1.0, 1.0]);
//! assert_eq!(h2, h);
//! ```
//!
//! `forward_gradient` says its mode because [`gradient`] is reverse mode's
//! (below). nalgebra is re-exported as [`nalgebra`](mod@nalgebra), and
//! num-dual as [`num_dual`], so a program need not depend on the versions
//! typeflux uses; nalgebra's `vector!` and `matrix!` need the name
//! `nalgebra` in scope, which `use typeflux_ad::nalgebra;` gives.
//!
//! ## Nesting without perturbation confusion
//!
//! Each level of nesting differentiates with its own number type: inside
//! `derivative(|y| ..., x)`, `y` is one `Dual` deeper than a captured `x`. To
//! use the outer variable inside, [`lift`] it to the inner type; it then
//! counts as a constant for the inner derivative and still as a variable for
//! the outer one:
//!
//! ```
//! use typeflux_ad::{derivative, lift};
//!
//! // d/dx [x · d/dy (x + y)] = d/dx [x · 1] = 1
//! assert_eq!(derivative(|x| x * derivative(|y| lift(x) + y, x), 1.0), 1.0);
//! // d/dx [x · d/dy (x · y)] = d/dx [x²] = 2x = 8 at x = 4
//! assert_eq!(derivative(|x| x * derivative(|y| lift(x) * y, x), 4.0), 8.0);
//! ```
//!
//! Forgetting the lift is a type error, not a wrong number: the inner and the
//! outer perturbations cannot be confused, because they cannot be added.
//!
//! ```compile_fail,E0308
//! use typeflux_ad::derivative;
//!
//! // `x + y` mixes two nesting levels: no `Add` impl exists for them.
//! let d = derivative(|x| x * derivative(|y| x + y, x), 1.0);
//! ```
//!
//! ## Single precision
//!
//! Every function is generic over the primitive float, so `f32` works the same:
//!
//! ```
//! use typeflux_ad::{Real, derivative};
//!
//! fn g<T: Real<f32>>(x: T) -> T {
//!     x.sin() * 2.0
//! }
//! assert_eq!(derivative(g, 0.0f32), 2.0f32);
//! ```
//!
//! ## What the types forbid
//!
//! A function fixed to `f64` cannot be differentiated, because it cannot
//! accept the dual number that carries the derivative; make it generic over
//! [`Real`] instead:
//!
//! ```compile_fail,E0631
//! use typeflux_ad::derivative;
//!
//! fn square(x: f64) -> f64 {
//!     x * x
//! }
//! let d = derivative(square, 3.0);
//! ```
//!
//! A function of three variables cannot be differentiated at a point of two:
//!
//! ```compile_fail,E0308
//! use nalgebra::{SVector, vector};
//! use typeflux_ad::{Real, forward_gradient};
//!
//! fn total<T: Real>(x: SVector<T, 3>) -> T {
//!     x[0] + x[1] + x[2]
//! }
//! let (_, g) = forward_gradient(total, vector![1.0, 2.0]);
//! ```
//!
//! # Reverse mode
//!
//! Reverse mode gives the gradient of a scalar function of any number of
//! tensors for about the price of two evaluations: the way to differentiate
//! a loss with respect to a model's parameters. The function receives its
//! inputs as [`Traced`] tensors and computes with them as with tensors; the
//! gradient comes back in the shape of the input: a tensor for a tensor, a
//! tuple for a tuple. Module [`reverse`] explains how (pullbacks composed at
//! compile time, no tape) and lists the derivative rules.
//!
//! ## Gradients of ordinary code
//!
//! Flux's `gradient((x, y) -> sum((x .- y).^2), [2, 1], [2, 0])`, and the same
//! in Flux's implicit style, where [`params`] collects the parameters and the
//! gradients are looked up by the parameters themselves:
//!
//! ```
//! use typeflux_ad::{gradient, params};
//! use typeflux_core::prelude::*;
//!
//! let x = Tensor::from_array([2.0, 1.0]);
//! let y = Tensor::from_array([2.0, 0.0]);
//! let (gx, gy) = gradient(|(x, y)| (x - y).square().sum(), (&x, &y));
//! assert_eq!(format!("({gx}, {gy})"), "([0, 2], [-0, -2])");
//!
//! let gs = gradient(|(x, y)| (x - y).square().sum(), params((&x, &y)));
//! assert_eq!(format!("{} {}", gs[&x], gs[&y]), "[0, 2] [-0, -2]");
//! ```
//!
//! ## A layer on a batch
//!
//! Tensors that are data (here the batch and its targets) enter by
//! reference and get no gradient; a vector added to a batch is broadcast
//! over its columns, and its gradient sums over them:
//!
//! ```
//! use typeflux_ad::value_and_gradient;
//! use typeflux_core::prelude::*;
//!
//! let w: Matrix<2, 3> = Tensor::from_array([[0.5, -1.0, 0.0], [1.0, 0.0, 2.0]]);
//! let b: Vector<2> = Tensor::from_array([0.1, -0.1]);
//! let x = Batch::<3>::from_slice((Const, 4), &[1.0; 12]).unwrap();
//! let y = Batch::<2>::zeros_with((Const, 4));
//!
//! let (loss, (dw, db)) =
//!     value_and_gradient(|(w, b)| (w.matmul(&x) + b - &y).square().mean(), (&w, &b));
//! // Every column of W·x .+ b is [-0.4, 2.9]; the mean over 8 squares:
//! assert!((loss - (0.4f32 * 0.4 + 2.9 * 2.9) / 2.0).abs() < 1e-5);
//! assert_eq!(db.shape(), (Const::<2>,));
//! assert_eq!(dw.shape(), (Const::<2>, Const::<3>));
//! ```
//!
//! ## Values used twice
//!
//! Operations consume traced values, so a value used twice is cloned (its
//! backward pass then runs once per use); the compiler points at the second
//! use otherwise. `x.square()` is the single-use form of `x * x`:
//!
//! ```compile_fail,E0382
//! use typeflux_ad::gradient;
//! use typeflux_core::prelude::*;
//!
//! let x = Vector::<2>::ones();
//! let g = gradient(|x| (x * x).sum(), &x); // `x` was moved by the first use
//! ```
//!
//! ## Scalar code with loops and branches on values; Hessians
//!
//! Code whose path depends on the values (a loop until convergence, a
//! branch) takes gradients through the [`tape`]: its [`Var`] is a [`Real`],
//! so the same generic function runs with `f64`, dual numbers and `Var`.
//! Forward over reverse on that tape ([`mixed`]) gives Hessians and
//! Hessian-vector products:
//!
//! ```
//! use nalgebra::{SVector, vector};
//! use typeflux_ad::{Real, mixed, tape};
//!
//! // Newton's iteration for √(xᵀx): as many steps as the values need.
//! fn norm<T: Real, const N: usize>(x: SVector<T, N>) -> T {
//!     let a = x.dot(&x);
//!     let mut r = a;
//!     while (r * r - a).abs() > a.re() * 1e-15 {
//!         r = (r + a / r) * 0.5;
//!     }
//!     r
//! }
//! let (v, g) = tape::gradient_array(|x| norm(SVector::from(x)), [3.0, 4.0]);
//! assert!((v - 5.0).abs() < 1e-15 && (g[0] - 0.6).abs() < 1e-15);
//!
//! let (_, _, h) = mixed::hessian(norm, vector![3.0, 4.0]); // (I − x xᵀ/|x|²)/|x|
//! assert!((h[(0, 1)] + 12.0 / 125.0).abs() < 1e-14);
//! ```
#![warn(missing_docs)]

pub mod forward;
pub mod mixed;
pub mod reverse;
pub mod tape;

pub use forward::DualNum;
pub use forward::{
    derivative, forward_diaghessian, forward_gradient, forward_hessian, jacobian, lift, partial,
    second_derivative, second_partial, third_derivative, third_partial, value_and_derivative,
};
pub use reverse::{Grads, Traced, gradient, params, pullback, value_and_gradient};
pub use tape::Var;
pub use typeflux_core::Real;
pub use typeflux_core::{nalgebra, num_dual};
