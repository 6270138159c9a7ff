//! Rules for the entries into and exits from jet arithmetic (see core's
//! [`jet`](typeflux_core::jet)): forward mode inside reverse mode.
//!
//! A network cast to a jet element (`Dual2<f64>`) computes its output with
//! derivatives with respect to a seeded input; a loss then reads a part
//! (`u''`) and reverse mode carries the gradient back to the `f64`
//! parameters. Between the two, every rule runs in jet arithmetic
//! unchanged: a cotangent of a jet tensor is a jet tensor under core's
//! [`Jet::pair`], for which multiplying by a jet is self-adjoint. Only the
//! two crossings need rules of their own:
//!
//! - [`lift`]: `f64` → jet (derivative parts zero), pullback
//!   [`Jet::lift_cotangent`] elementwise;
//! - [`part`]: jet → part `k` as `f64`, pullback [`Jet::part_cotangent`].
//!
//! Both run on host devices, the only ones that compute with jets.
//!
//! ```
//! use typeflux_ad::reverse::gradient;
//! use typeflux_core::num_dual::{Dual2_64, DualNum};
//! use typeflux_core::prelude::*;
//!
//! // d/dw of (d²/dx² w·x³) = 6x: forward mode inside, reverse outside.
//! let x: Vector<2, f64> = Tensor::from_array([1.0, 2.0]);
//! let x = x.map(|x| Dual2_64::from_re(x).derivative());
//! let cube = x.map(|x| x.powi(3));
//! let w: Vector<2, f64> = Tensor::from_array([0.5, 0.5]);
//! let g = gradient(|w| (w.cast::<Dual2_64>() * &cube).part(2).sum(), &w);
//! assert_eq!(g.to_vec(), vec![6.0, 12.0]);
//! ```

use crate::reverse::node::Node;
use crate::reverse::pullback::Pullback;
use crate::reverse::traced::Traced;
use core::marker::PhantomData;
use typeflux_core::functor::TraceLeaf;
use typeflux_core::jet::Lift;
use typeflux_core::{Host, Jet, Shape, Tensor};

/// `x` lifted to the jet `J`: `x̄ = lift_cotangent(ȳ)` elementwise.
#[inline]
pub fn lift<J: Jet, S: Shape, D: Host>(
    x: Tensor<S, J::Base, D>,
) -> (Tensor<S, J, D>, LiftPullback<J>) {
    (x.lift(), LiftPullback(PhantomData))
}

/// The pullback of [`lift`].
pub struct LiftPullback<J>(PhantomData<fn() -> J>);

impl<J> Clone for LiftPullback<J> {
    #[inline(always)]
    fn clone(&self) -> Self {
        LiftPullback(PhantomData)
    }
}

impl<J> core::fmt::Debug for LiftPullback<J> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "LiftPullback<{}>", core::any::type_name::<J>())
    }
}

impl<J: Jet, S: Shape, D: Host> Pullback<Tensor<S, J, D>> for LiftPullback<J> {
    type Grads = Tensor<S, J::Base, D>;

    #[inline]
    fn pullback(self, dy: Tensor<S, J, D>) -> Tensor<S, J::Base, D> {
        dy.map(J::lift_cotangent)
    }
}

/// Part `k` of each element of `x`: `x̄ = part_cotangent(k, ȳ)` elementwise.
///
/// # Panics
/// If `k` is not below [`Jet::PARTS`].
#[inline]
#[track_caller]
pub fn part<J: Jet, S: Shape, D: Host>(
    x: Tensor<S, J, D>,
    k: usize,
) -> (Tensor<S, J::Base, D>, PartPullback<J>) {
    (
        x.part(k),
        PartPullback {
            k,
            jet: PhantomData,
        },
    )
}

/// The pullback of [`part`].
pub struct PartPullback<J> {
    k: usize,
    jet: PhantomData<fn() -> J>,
}

impl<J> Clone for PartPullback<J> {
    #[inline(always)]
    fn clone(&self) -> Self {
        PartPullback {
            k: self.k,
            jet: PhantomData,
        }
    }
}

impl<J> core::fmt::Debug for PartPullback<J> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "PartPullback<{}>({})",
            core::any::type_name::<J>(),
            self.k
        )
    }
}

impl<J: Jet, S: Shape, D: Host> Pullback<Tensor<S, J::Base, D>> for PartPullback<J> {
    type Grads = Tensor<S, J, D>;

    #[inline]
    fn pullback(self, dy: Tensor<S, J::Base, D>) -> Tensor<S, J, D> {
        let k = self.k;
        dy.map(|r| J::part_cotangent(k, r))
    }
}

/// A cast inside reverse mode: a traced tensor is lifted by the [`lift`]
/// rule, so that the gradient comes back through the cast.
impl<P, S: Shape, J: Jet, D: Host, B: Node> TraceLeaf<Traced<Tensor<S, J::Base, D>, B>, P>
    for Lift<J>
{
    type Traced = Traced<Tensor<S, J, D>, B::Then<LiftPullback<J>>>;
    type Slot = ();
    type Grad = ();

    #[inline]
    fn trace(&self, leaf: Traced<Tensor<S, J::Base, D>, B>) -> (Self::Traced, ()) {
        (leaf.apply(lift), ())
    }

    #[inline(always)]
    fn grad((): ()) {}
}
