//! Elements that carry derivatives, and models cast to them: forward mode
//! inside a network, so that a loss can hold `u'(x)` or `u''(x)` of the
//! network exactly.
//!
//! A [`Jet`] is a num-dual number over a float (`Dual2<f64>` over `f64`): a
//! value together with derivatives. A model of `f64` tensors is cast to
//! one with [`Cast::cast`] (each weight lifted: its derivative parts zero,
//! since the weights do not depend on the input), an input is seeded
//! (`Dual2_64::from_re(x).derivative()`), and the forward pass then computes
//! the network's output with its first and second derivatives with respect
//! to the input, read back with [`Tensor::part`]:
//!
//! ```
//! use typeflux_core::jet::Cast;
//! use typeflux_core::num_dual::{Dual2_64, DualNum};
//! use typeflux_core::prelude::*;
//!
//! // u(x) = w·x², elementwise, with w a "model" of one weight.
//! let w: Vector<3, f64> = Tensor::from_array([1.0, 2.0, 3.0]);
//! let x: Vector<3, f64> = Tensor::from_array([1.0, 1.0, 2.0]);
//! let x = x.map(|x| Dual2_64::from_re(x).derivative());
//! let u = &w.cast::<Dual2_64>() * &(&x * &x);
//! assert_eq!(u.part(0).to_vec(), vec![1.0, 2.0, 12.0]); // u
//! assert_eq!(u.part(1).to_vec(), vec![2.0, 4.0, 12.0]); // u' = 2wx
//! assert_eq!(u.part(2).to_vec(), vec![2.0, 4.0, 6.0]); // u'' = 2w
//! ```
//!
//! Reverse mode differentiates through jets too (typeflux-ad's `lift` and
//! `part` rules), so the parameters of a physics-informed loss get their
//! gradient from the same `gradient` call. A cotangent of a jet is itself a
//! jet, paired with a tangent by [`Jet::pair`]; the pairing is chosen so that
//! multiplying by a jet is its own adjoint, and every rule written for
//! elements differentiates jet arithmetic unchanged.

use crate::cpu::Host;
use crate::element::Element;
use crate::functor::{Root, Trace, TraceLeaf};
use crate::shape::Shape;
use crate::tensor::Tensor;
use core::marker::PhantomData;
use num_dual::{Dual, Dual2, Dual3, HyperDual};

/// A number that carries derivatives of a [`Base`](Self::Base) float: a
/// value and derivative parts, each part a float.
///
/// The parts, numbered as num-dual stores them:
///
/// | jet | parts |
/// |---|---|
/// | `f32`, `f64` | `0`: the value |
/// | `Dual<F>` | `0`: value, `1`: first derivative |
/// | `Dual2<F>` | `0`: value, `1`: first, `2`: second derivative |
/// | `Dual3<F>` | `0`: value, `1`, `2`, `3`: first to third derivative |
/// | `HyperDual<F>` | `0`: value, `1`: ∂/∂ε₁, `2`: ∂/∂ε₂, `3`: ∂²/∂ε₁∂ε₂ |
///
/// Reverse mode needs the cotangent of a jet. The jets are algebras in
/// which multiplication by a number is self-adjoint under the pairing
/// [`pair`](Self::pair) (the top coefficient of a product, scaled): so the
/// pullback of `y = a·x` is `x̄ = a·ȳ` in jet arithmetic, as for floats, and
/// only the entries and exits of jet arithmetic need rules: [`lift`](Self::lift)
/// (whose pullback is [`lift_cotangent`](Self::lift_cotangent)) and
/// [`part`](Self::part) (whose pullback is [`part_cotangent`](Self::part_cotangent)).
pub trait Jet: Element {
    /// The float the derivatives are of.
    type Base: Element;
    /// How many parts a jet has.
    const PARTS: usize;

    /// The jet of a constant: its value `re`, every derivative zero.
    fn lift(re: Self::Base) -> Self;

    /// Part `k` (see the table above).
    ///
    /// # Panics
    /// If `k` is not below [`PARTS`](Self::PARTS).
    fn part(self, k: usize) -> Self::Base;

    /// The pairing of a cotangent `self` with a tangent `v`: the real number
    /// a cotangent assigns to a change `v`. In parts,
    /// `pair(ū, v) = Σₖ part(ū, k)·part(v, n − k)·binom(n, k)` for the
    /// Taylor jets of order `n`, and with the mixed part paired with the
    /// value for `HyperDual`.
    fn pair(self, v: Self) -> Self::Base;

    /// The cotangent of [`lift`](Self::lift): for a cotangent `ū` of the
    /// jet, the cotangent of its value, `pair(ū, lift(1))`.
    fn lift_cotangent(self) -> Self::Base;

    /// The cotangent of [`part`](Self::part): the jet `ū` with
    /// `pair(ū, v) = r·part(v, k)` for every `v`.
    ///
    /// # Panics
    /// If `k` is not below [`PARTS`](Self::PARTS).
    fn part_cotangent(k: usize, r: Self::Base) -> Self;
}

#[track_caller]
#[cold]
fn no_part(k: usize, parts: usize, jet: &str) -> ! {
    panic!("part {k} of a {jet}, which has parts 0 to {}", parts - 1)
}

macro_rules! float_jet {
    ($($f:ty),*) => {$(
        impl Jet for $f {
            type Base = $f;
            const PARTS: usize = 1;

            #[inline(always)]
            fn lift(re: $f) -> $f {
                re
            }

            #[inline(always)]
            fn part(self, k: usize) -> $f {
                if k != 0 {
                    no_part(k, 1, stringify!($f));
                }
                self
            }

            #[inline(always)]
            fn pair(self, v: $f) -> $f {
                self * v
            }

            #[inline(always)]
            fn lift_cotangent(self) -> $f {
                self
            }

            #[inline(always)]
            fn part_cotangent(k: usize, r: $f) -> $f {
                if k != 0 {
                    no_part(k, 1, stringify!($f));
                }
                r
            }
        }

        impl Jet for Dual<$f> {
            type Base = $f;
            const PARTS: usize = 2;

            #[inline(always)]
            fn lift(re: $f) -> Self {
                Dual::new(re, 0.0)
            }

            #[inline(always)]
            fn part(self, k: usize) -> $f {
                match k {
                    0 => self.re,
                    1 => self.eps,
                    _ => no_part(k, 2, "Dual"),
                }
            }

            #[inline(always)]
            fn pair(self, v: Self) -> $f {
                self.re * v.eps + self.eps * v.re
            }

            #[inline(always)]
            fn lift_cotangent(self) -> $f {
                self.eps
            }

            #[inline(always)]
            fn part_cotangent(k: usize, r: $f) -> Self {
                match k {
                    0 => Dual::new(0.0, r),
                    1 => Dual::new(r, 0.0),
                    _ => no_part(k, 2, "Dual"),
                }
            }
        }

        impl Jet for Dual2<$f> {
            type Base = $f;
            const PARTS: usize = 3;

            #[inline(always)]
            fn lift(re: $f) -> Self {
                Dual2::new(re, 0.0, 0.0)
            }

            #[inline(always)]
            fn part(self, k: usize) -> $f {
                match k {
                    0 => self.re,
                    1 => self.v1,
                    2 => self.v2,
                    _ => no_part(k, 3, "Dual2"),
                }
            }

            #[inline(always)]
            fn pair(self, v: Self) -> $f {
                self.re * v.v2 + 2.0 * self.v1 * v.v1 + self.v2 * v.re
            }

            #[inline(always)]
            fn lift_cotangent(self) -> $f {
                self.v2
            }

            #[inline(always)]
            fn part_cotangent(k: usize, r: $f) -> Self {
                match k {
                    0 => Dual2::new(0.0, 0.0, r),
                    1 => Dual2::new(0.0, r / 2.0, 0.0),
                    2 => Dual2::new(r, 0.0, 0.0),
                    _ => no_part(k, 3, "Dual2"),
                }
            }
        }

        impl Jet for Dual3<$f> {
            type Base = $f;
            const PARTS: usize = 4;

            #[inline(always)]
            fn lift(re: $f) -> Self {
                Dual3::new(re, 0.0, 0.0, 0.0)
            }

            #[inline(always)]
            fn part(self, k: usize) -> $f {
                match k {
                    0 => self.re,
                    1 => self.v1,
                    2 => self.v2,
                    3 => self.v3,
                    _ => no_part(k, 4, "Dual3"),
                }
            }

            #[inline(always)]
            fn pair(self, v: Self) -> $f {
                self.re * v.v3 + 3.0 * self.v1 * v.v2 + 3.0 * self.v2 * v.v1 + self.v3 * v.re
            }

            #[inline(always)]
            fn lift_cotangent(self) -> $f {
                self.v3
            }

            #[inline(always)]
            fn part_cotangent(k: usize, r: $f) -> Self {
                match k {
                    0 => Dual3::new(0.0, 0.0, 0.0, r),
                    1 => Dual3::new(0.0, 0.0, r / 3.0, 0.0),
                    2 => Dual3::new(0.0, r / 3.0, 0.0, 0.0),
                    3 => Dual3::new(r, 0.0, 0.0, 0.0),
                    _ => no_part(k, 4, "Dual3"),
                }
            }
        }

        impl Jet for HyperDual<$f> {
            type Base = $f;
            const PARTS: usize = 4;

            #[inline(always)]
            fn lift(re: $f) -> Self {
                HyperDual::new(re, 0.0, 0.0, 0.0)
            }

            #[inline(always)]
            fn part(self, k: usize) -> $f {
                match k {
                    0 => self.re,
                    1 => self.eps1,
                    2 => self.eps2,
                    3 => self.eps1eps2,
                    _ => no_part(k, 4, "HyperDual"),
                }
            }

            #[inline(always)]
            fn pair(self, v: Self) -> $f {
                self.re * v.eps1eps2 + self.eps1 * v.eps2 + self.eps2 * v.eps1 + self.eps1eps2 * v.re
            }

            #[inline(always)]
            fn lift_cotangent(self) -> $f {
                self.eps1eps2
            }

            #[inline(always)]
            fn part_cotangent(k: usize, r: $f) -> Self {
                match k {
                    0 => HyperDual::new(0.0, 0.0, 0.0, r),
                    1 => HyperDual::new(0.0, 0.0, r, 0.0),
                    2 => HyperDual::new(0.0, r, 0.0, 0.0),
                    3 => HyperDual::new(r, 0.0, 0.0, 0.0),
                    _ => no_part(k, 4, "HyperDual"),
                }
            }
        }
    )*};
}

float_jet!(f32, f64);

impl<S: Shape, E: Element, D: Host> Tensor<S, E, D> {
    /// Each element lifted to the jet `J`: the same values, every
    /// derivative zero (see [`Jet::lift`]). [`Cast::cast`] does this to every
    /// tensor of a model.
    #[inline]
    pub fn lift<J: Jet<Base = E>>(&self) -> Tensor<S, J, D> {
        self.map(J::lift)
    }
}

impl<S: Shape, J: Jet, D: Host> Tensor<S, J, D> {
    /// Part `k` of each element: `0` the value, then the derivatives (see
    /// the table at [`Jet`]).
    ///
    /// ```
    /// use typeflux_core::num_dual::{Dual2_64, DualNum};
    /// use typeflux_core::prelude::*;
    ///
    /// let x: Vector<2, f64> = Tensor::from_array([1.0, 2.0]);
    /// let x = x.map(|x| Dual2_64::from_re(x).derivative());
    /// let y = x.map(|x| x.powi(3)); // y' = 3x², y'' = 6x
    /// assert_eq!(y.part(1).to_vec(), vec![3.0, 12.0]);
    /// assert_eq!(y.part(2).to_vec(), vec![6.0, 12.0]);
    /// ```
    ///
    /// # Panics
    /// If `k` is not below [`Jet::PARTS`].
    #[inline]
    #[track_caller]
    pub fn part(&self, k: usize) -> Tensor<S, J::Base, D> {
        if k >= J::PARTS {
            no_part(k, J::PARTS, core::any::type_name::<J>());
        }
        self.map(|x| x.part(k))
    }
}

/// The leaf kind of a cast: each tensor of elements `J::Base` becomes a
/// tensor of the jet `J`, lifted (see [`Cast`]). typeflux-ad implements it
/// for traced tensors too, with the pullback of the lift.
pub struct Lift<J>(PhantomData<fn() -> J>);

impl<J> Lift<J> {
    /// The kind.
    #[inline(always)]
    pub fn new() -> Self {
        Lift(PhantomData)
    }
}

impl<J> Default for Lift<J> {
    #[inline(always)]
    fn default() -> Self {
        Lift::new()
    }
}

impl<P, S: Shape, J: Jet, D: Host> TraceLeaf<Tensor<S, J::Base, D>, P> for Lift<J> {
    type Traced = Tensor<S, J, D>;
    type Slot = ();
    type Grad = ();

    #[inline]
    fn trace(&self, leaf: Tensor<S, J::Base, D>) -> (Tensor<S, J, D>, ()) {
        (leaf.lift(), ())
    }

    #[inline(always)]
    fn grad((): ()) {}
}

/// A model, a tensor or any traceable structure (see
/// [`Trace`]) with its element type changed to a
/// [`Jet`] in one call: every tensor lifted, so that the forward pass
/// computes derivatives with respect to a seeded input.
///
/// ```
/// use typeflux_core::jet::Cast;
/// use typeflux_core::num_dual::Dual64;
/// use typeflux_core::prelude::*;
///
/// let params = (Matrix::<2, 2, f64>::ones(), Some(Vector::<2, f64>::zeros()));
/// let lifted: (Matrix<2, 2, Dual64>, Option<Vector<2, Dual64>>) = params.cast::<Dual64>();
/// assert_eq!(lifted.0.part(0), params.0);
/// assert_eq!(lifted.0.part(1), Matrix::<2, 2, f64>::zeros());
/// ```
///
/// Inside a reverse-mode `gradient`, the model's traced tensors are cast
/// the same way, and the gradient flows back through the cast to the
/// parameters (typeflux-ad's `rules::jet`).
pub trait Cast: Sized {
    /// The same structure with every tensor lifted to the jet `J`.
    #[inline]
    fn cast<J>(&self) -> <Self as Trace<Lift<J>>>::Traced
    where
        Self: Trace<Lift<J>, Root> + Clone,
    {
        self.clone().trace(&Lift::new()).0
    }
}

impl<T> Cast for T {}

#[cfg(test)]
mod tests {
    use super::*;
    use num_dual::{Dual2_64, Dual3_64, Dual64, DualNum, HyperDual64};

    /// `pair(part_cotangent(k, r), v) = r·part(v, k)` and
    /// `pair(ū, lift(x)) = lift_cotangent(ū)·x`, and multiplying by a jet is
    /// self-adjoint: `pair(ū, a·v) = pair(a·ū, v)`.
    fn check<J: Jet<Base = f64>>(a: J, u: J, v: J) {
        for k in 0..J::PARTS {
            let lhs = J::part_cotangent(k, 1.5).pair(v);
            assert!((lhs - 1.5 * v.part(k)).abs() < 1e-12, "part {k}");
        }
        assert!((u.pair(J::lift(0.7)) - u.lift_cotangent() * 0.7).abs() < 1e-12);
        let lhs = u.pair(a * v);
        let rhs = (a * u).pair(v);
        assert!(
            (lhs - rhs).abs() < 1e-12 * (1.0 + lhs.abs()),
            "{lhs} vs {rhs}"
        );
    }

    #[test]
    fn the_pairings_make_products_self_adjoint() {
        check(1.3, -0.4, 2.0);
        check(
            Dual64::new(1.3, 0.2),
            Dual64::new(-0.4, 0.9),
            Dual64::new(2.0, -1.1),
        );
        check(
            Dual2_64::new(1.3, 0.2, -0.5),
            Dual2_64::new(-0.4, 0.9, 0.3),
            Dual2_64::new(2.0, -1.1, 0.6),
        );
        check(
            Dual3_64::new(1.3, 0.2, -0.5, 0.8),
            Dual3_64::new(-0.4, 0.9, 0.3, -0.2),
            Dual3_64::new(2.0, -1.1, 0.6, 0.4),
        );
        check(
            HyperDual64::new(1.3, 0.2, -0.5, 0.8),
            HyperDual64::new(-0.4, 0.9, 0.3, -0.2),
            HyperDual64::new(2.0, -1.1, 0.6, 0.4),
        );
    }

    #[test]
    fn a_lifted_jet_has_no_derivatives() {
        let x = Dual2_64::lift(2.5);
        assert_eq!((x.part(0), x.part(1), x.part(2)), (2.5, 0.0, 0.0));
        assert_eq!(x.sin().v1, 0.0);
    }

    #[test]
    #[should_panic(expected = "part 3 of a Dual2, which has parts 0 to 2")]
    fn a_missing_part_is_named() {
        Dual2_64::lift(1.0).part(3);
    }
}
