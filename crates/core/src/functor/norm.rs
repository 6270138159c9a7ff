//! The norm of a model or a gradient, all its tensors taken as one vector,
//! and clipping by it.

use super::path::Path;
use super::visitor::Visitor;
use super::{Functor, Mut, Ref, visit, visit_mut};
use crate::{Element, Kernels, Shape, Tensor, UnaryOp};
use num_traits::ToPrimitive;

/// The 2-norm of all the tensors of `x` taken together as one flat vector:
/// `√(Σ x²)` over every element of every tensor, as Flux's
/// `norm(destructure(g)[1])`. Tensors of dual numbers count their real part.
///
/// ```
/// use typeflux_core::functor::norm;
/// use typeflux_core::prelude::*;
///
/// let grad = (Vector::<2>::from_array([3.0, 0.0]), Matrix::<1, 1>::from_array([[4.0]]));
/// assert_eq!(norm(&grad), 5.0);
/// ```
pub fn norm<T: Functor>(x: &T) -> f64 {
    let mut squares = SumSquares(0.0);
    visit(x, &mut squares);
    squares.0.sqrt()
}

/// Scales every tensor of `x` by `max / norm(x)` when [`norm`]`(x)`
/// exceeds `max`, so that its norm is at most `max`, and returns the norm it
/// had: a gradient clipped by its norm, the step of Optimisers.jl's
/// `ClipNorm`. A norm that is NaN is left as it is, and returned.
///
/// ```
/// use typeflux_core::functor::{clip_norm, norm};
/// use typeflux_core::prelude::*;
///
/// let mut grad = (Vector::<2, f64>::from_array([3.0, 0.0]), Vector::<1, f64>::from_array([4.0]));
/// assert_eq!(clip_norm(&mut grad, 1.0), 5.0);
/// assert!((norm(&grad) - 1.0).abs() < 1e-15);
/// assert_eq!(grad.1[0], 0.8);
/// ```
pub fn clip_norm<T: Functor>(x: &mut T, max: f64) -> f64 {
    let before = norm(x);
    if before > max {
        visit_mut(x, &mut Scale(max / before));
    }
    before
}

/// The visitor behind [`norm`]: the sum of the squares so far.
struct SumSquares(f64);

impl Visitor for SumSquares {
    type Access = Ref;

    fn tensor<S: Shape, E: Element, D: Kernels<E>>(&mut self, _: &Path, t: &Tensor<S, E, D>) {
        let squares = t.sum_of(UnaryOp::Square).re();
        self.0 += squares.to_f64().unwrap_or(f64::NAN);
    }
}

/// The visitor behind [`clip_norm`]: multiplies every tensor by a number.
struct Scale(f64);

impl Visitor for Scale {
    type Access = Mut;

    fn tensor<S: Shape, E: Element, D: Kernels<E>>(&mut self, _: &Path, t: &mut Tensor<S, E, D>) {
        *t *= E::from_f64(self.0).expect("an f64 converts to every element type");
    }
}
