//! Rprop: steps that follow only the sign of the gradient.

use super::select::{max_scalar, min_scalar, positive};
use super::{Rule, Trainable, filled, lit, zeroed};
use core::ops::ControlFlow;
use typeflux_core::functor::{Functor, Mut, Path, Visitor};
use typeflux_core::{BinaryOp, Element, Kernels, Shape, Tensor};

/// Rprop, Optimisers.jl's `Rprop(η = 0.001, ℓ = (0.5, 1.2),
/// Γ = (1e-6, 50))`, a full-batch rule that looks only at the gradient's
/// sign: a step size `s` per parameter element, starting at `η`, and the
/// gradient `g₋` of the step before, starting at zero. At each step
///
/// ```text
/// s = min(s·ℓ₂, Γ₂)   where g₋·g > 0   (the same sign: longer steps)
/// s = max(s·ℓ₁, Γ₁)   where g₋·g < 0   (the sign flipped: shorter ones)
/// g = 0               where g₋·g < 0   (and no step after a flip)
/// p = p - s·sign(g),  g₋ = g
/// ```
///
/// ```
/// use typeflux_nn::optim::Rprop;
///
/// let rule = Rprop::new(0.01).ell((0.4, 1.5)).gamma((1e-5, 1.0));
/// assert_eq!((rule.eta, rule.ell, rule.gamma), (0.01, (0.4, 1.5), (1e-5, 1.0)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rprop {
    /// The first step size `η`.
    pub eta: f64,
    /// The factors `(ℓ₁, ℓ₂)` that shrink and grow a step size.
    pub ell: (f64, f64),
    /// The smallest and largest step sizes `(Γ₁, Γ₂)`.
    pub gamma: (f64, f64),
}

impl Rprop {
    /// Rprop with first step size `eta`, `ℓ = (0.5, 1.2)` and
    /// `Γ = (1e-6, 50)`.
    pub fn new(eta: f64) -> Self {
        Rprop {
            eta,
            ell: (0.5, 1.2),
            gamma: (1e-6, 50.0),
        }
    }

    /// The same rule with factors `ell`.
    #[must_use]
    pub fn ell(self, ell: (f64, f64)) -> Self {
        Rprop { ell, ..self }
    }

    /// The same rule with step size bounds `gamma`.
    #[must_use]
    pub fn gamma(self, gamma: (f64, f64)) -> Self {
        Rprop { gamma, ..self }
    }
}

impl Default for Rprop {
    /// Optimisers.jl's defaults, `η = 0.001`, `ℓ = (0.5, 1.2)`,
    /// `Γ = (1e-6, 50)`.
    fn default() -> Self {
        Rprop::new(0.001)
    }
}

/// The state of [`Rprop`] for a model of type `M`.
#[derive(Clone, Debug)]
pub struct RpropState<M> {
    /// The gradient of the step before, zero where its sign flipped.
    pub grad: M,
    /// The step sizes, one per parameter element.
    pub step: M,
}

impl Rule for Rprop {
    type State<M: Functor> = RpropState<M>;

    fn init<M: Functor + Clone>(&self, model: &M) -> RpropState<M> {
        RpropState {
            grad: zeroed(model),
            step: filled(model, self.eta),
        }
    }

    fn apply<M: Functor>(
        &self,
        state: &mut RpropState<M>,
        _: &M,
        grad: &mut M,
        trainable: &Trainable,
    ) -> ControlFlow<()> {
        trainable.walk::<M, _>((grad, &mut state.grad, &mut state.step), &mut Step(*self));
        ControlFlow::Continue(())
    }

    /// Sets the step size that a state built afterwards starts from; a
    /// running state's step sizes adapt on their own.
    fn adjust(&mut self, eta: f64) {
        self.eta = eta;
    }
}

/// One step of [`Rprop`] at each parameter.
struct Step(Rprop);

impl Visitor for Step {
    type Access = (Mut, Mut, Mut);

    fn tensor<S: Shape, E: Element, D: Kernels<E>>(
        &mut self,
        _: &Path,
        (g, before, size): (
            &mut Tensor<S, E, D>,
            &mut Tensor<S, E, D>,
            &mut Tensor<S, E, D>,
        ),
    ) {
        let Rprop { ell, gamma, .. } = self.0;
        // Masks, exactly 0 or 1: the same sign as before, or the other.
        let agreement = before.sign() * g.sign();
        let same = positive(&agreement);
        let flipped = positive(&-agreement);
        let kept = (&same + &flipped).scalar_op_left(BinaryOp::Sub, E::one());

        let grown = min_scalar(&(&*size * lit::<E>(ell.1)), gamma.1);
        let shrunk = max_scalar(&(&*size * lit::<E>(ell.0)), gamma.0);
        *size *= &kept;
        *size += &(grown * &same);
        *size += &(shrunk * &flipped);

        *g *= &flipped.scalar_op_left(BinaryOp::Sub, E::one());
        before.clone_from(g);
        *g = g.sign() * &*size;
    }
}
