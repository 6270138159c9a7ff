//! Forward over reverse: Hessians and Hessian-vector products.
//!
//! The function runs once on [`Var`](crate::tape::Var)s, recording the path it
//! takes (see [`crate::tape`]); then a reverse sweep whose elements are dual
//! numbers differentiates the gradient along one direction ([`hvp`]) or along
//! all `N` at once ([`hessian`], [`diaghessian`]). The function is written
//! once, generic over [`Real`](typeflux_core::Real), and may branch and loop on
//! values; the same function works with [`forward_hessian`](crate::forward_hessian), which
//! is forward over forward:
//!
//! | function | returns | cost |
//! |---|---|---|
//! | [`hvp`] | `(f, ∇f, ∇²f · v)` | a few evaluations of `f` |
//! | [`hessian`] | `(f, ∇f, ∇²f)` | one evaluation, then `O(k)` per recorded operation, `k` the width of its band (below) |
//! | [`diaghessian`] | `(f, ∇f, diag ∇²f)` | as [`hessian`], without the `N × N` matrix |
//!
//! Forward over forward ([`forward_hessian`](crate::forward_hessian))
//! carries `N²` second derivatives through every operation; here every
//! operation carries at most `N` first derivatives, and only on the band of
//! directions it can depend on, so a Hessian with a few nonzeros per row (a
//! chain, a stencil, Rosenbrock) costs `O(N)` operations plus writing the
//! matrix, and a dense one `O(N)` per operation.
//!
//! ```
//! use nalgebra::{Matrix4, SVector, matrix, vector};
//! use typeflux_ad::tape::Var;
//! use typeflux_ad::{DualNum, mixed};
//!
//! // Zygote's examples.
//! let (_, _, h) = mixed::hessian(|x| x[0] * x[1], vector![2.0, 3.0]);
//! assert_eq!(h, matrix![0.0, 1.0; 1.0, 0.0]);
//!
//! let cubes = |x: SVector<Var, 4>| x.map(|xi| xi.powi(3)).sum();
//! let (_, _, h) = mixed::hessian(cubes, vector![1.0, 3.0, 2.0, 4.0]);
//! assert_eq!(h, Matrix4::from_diagonal(&vector![6.0, 18.0, 12.0, 24.0]));
//! ```

mod banded;
mod hessian;
mod hvp;
mod sweep;

pub use hessian::{diaghessian, hessian};
pub use hvp::{ValueGradientHvp, hvp};
