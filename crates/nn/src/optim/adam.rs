//! Adam: adaptive moment estimation.

use super::{Rule, Trainable, lit, zeroed};
use core::ops::ControlFlow;
use typeflux_core::functor::{Functor, Mut, Path, Visitor};
use typeflux_core::{AdamStep, Element, Kernels, Shape, Tensor};

/// Adam, Optimisers.jl's `Adam(η = 0.001, β = (0.9, 0.999), ϵ = 1e-8)`:
/// moments `m` and `v` per parameter, starting at zero, and at step `t`
///
/// ```text
/// m = β₁·m + (1 - β₁)·g
/// v = β₂·v + (1 - β₂)·g²
/// p = p - η · (m / (1 - β₁ᵗ)) / (√(v / (1 - β₂ᵗ)) + ϵ)
/// ```
///
/// ```
/// use typeflux_nn::optim::Adam;
///
/// let adam = Adam::new(1e-3).beta((0.8, 0.99)).epsilon(1e-7);
/// assert_eq!((adam.eta, adam.beta, adam.epsilon), (1e-3, (0.8, 0.99), 1e-7));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Adam {
    /// The learning rate `η`.
    pub eta: f64,
    /// The decay rates `(β₁, β₂)` of the first and second moments.
    pub beta: (f64, f64),
    /// `ϵ`, which keeps the step finite where `v` is zero.
    pub epsilon: f64,
}

impl Adam {
    /// Adam with learning rate `eta` and the default `β = (0.9, 0.999)`,
    /// `ϵ = 1e-8`.
    pub fn new(eta: f64) -> Self {
        Adam {
            eta,
            beta: (0.9, 0.999),
            epsilon: 1e-8,
        }
    }

    /// The same rule with decay rates `beta`.
    #[must_use]
    pub fn beta(self, beta: (f64, f64)) -> Self {
        Adam { beta, ..self }
    }

    /// The same rule with `epsilon`.
    #[must_use]
    pub fn epsilon(self, epsilon: f64) -> Self {
        Adam { epsilon, ..self }
    }
}

impl Default for Adam {
    /// Optimisers.jl's defaults, `η = 0.001`, `β = (0.9, 0.999)`, `ϵ = 1e-8`.
    fn default() -> Self {
        Adam::new(0.001)
    }
}

/// The state of [`Adam`] and [`AdamW`](super::AdamW) for a model of type `M`.
#[derive(Clone, Debug)]
pub struct AdamState<M> {
    /// The first moment, one tensor per parameter.
    pub m: M,
    /// The second moment, one tensor per parameter.
    pub v: M,
    /// `(β₁ᵗ, β₂ᵗ)` for the coming step `t`, which corrects the moments'
    /// bias towards their zero start.
    pub beta_t: (f64, f64),
}

impl Rule for Adam {
    type State<M: Functor> = AdamState<M>;

    fn init<M: Functor + Clone>(&self, model: &M) -> AdamState<M> {
        init(model, self.beta)
    }

    fn apply<M: Functor>(
        &self,
        state: &mut AdamState<M>,
        _: &M,
        grad: &mut M,
        trainable: &Trainable,
    ) -> ControlFlow<()> {
        let AdamState { m, v, beta_t } = state;
        let mut at_each = Step {
            rule: *self,
            correction: (1.0 - beta_t.0, 1.0 - beta_t.1),
        };
        trainable.walk::<M, _>((grad, m, v), &mut at_each);
        *beta_t = (beta_t.0 * self.beta.0, beta_t.1 * self.beta.1);
        ControlFlow::Continue(())
    }

    fn adjust(&mut self, eta: f64) {
        self.eta = eta;
    }
}

/// Zero moments, and `βᵗ` for the first step.
pub(super) fn init<M: Functor + Clone>(model: &M, beta: (f64, f64)) -> AdamState<M> {
    AdamState {
        m: zeroed(model),
        v: zeroed(model),
        beta_t: beta,
    }
}

/// `m = β₁·m + (1 - β₁)·g` and `v = β₂·v + (1 - β₂)·g²`: the moments of
/// Adam and of the rules built on it.
pub(super) fn moments<S: Shape, E: Element, D: Kernels<E>>(
    g: &Tensor<S, E, D>,
    m: &mut Tensor<S, E, D>,
    v: &mut Tensor<S, E, D>,
    beta: (f64, f64),
) {
    *m *= lit::<E>(beta.0);
    m.axpy(lit(1.0 - beta.0), g);
    *v *= lit::<E>(beta.1);
    v.axpy(lit(1.0 - beta.1), &g.square());
}

/// `η·m̂ / (√v̂ + ϵ)`, given `(1 - β₁ᵗ, 1 - β₂ᵗ)`.
pub(super) fn corrected<S: Shape, E: Element, D: Kernels<E>>(
    m: &Tensor<S, E, D>,
    v: &Tensor<S, E, D>,
    eta: f64,
    epsilon: f64,
    correction: (f64, f64),
) -> Tensor<S, E, D> {
    let mut denominator = (v * lit::<E>(1.0 / correction.1)).sqrt();
    denominator += lit::<E>(epsilon);
    let mut change = m * lit::<E>(eta / correction.0);
    change /= &denominator;
    change
}

/// [`moments`], then the gradient `g` replaced by [`corrected`], in one
/// pass per tensor on the devices that have one ([`Kernels::adam`]).
pub(super) fn change<S: Shape, E: Element, D: Kernels<E>>(
    g: &mut Tensor<S, E, D>,
    m: &mut Tensor<S, E, D>,
    v: &mut Tensor<S, E, D>,
    beta: (f64, f64),
    eta: f64,
    epsilon: f64,
    correction: (f64, f64),
) {
    g.adam(
        m,
        v,
        AdamStep {
            beta1: lit(beta.0),
            one_minus_beta1: lit(1.0 - beta.0),
            beta2: lit(beta.1),
            one_minus_beta2: lit(1.0 - beta.1),
            inv_correction2: lit(1.0 / correction.1),
            epsilon: lit(epsilon),
            step: lit(eta / correction.0),
        },
    );
}

/// One Adam step at each parameter.
struct Step {
    rule: Adam,
    /// `(1 - β₁ᵗ, 1 - β₂ᵗ)`.
    correction: (f64, f64),
}

impl Visitor for Step {
    type Access = (Mut, Mut, Mut);

    fn tensor<S: Shape, E: Element, D: Kernels<E>>(
        &mut self,
        _: &Path,
        (g, m, v): (
            &mut Tensor<S, E, D>,
            &mut Tensor<S, E, D>,
            &mut Tensor<S, E, D>,
        ),
    ) {
        let Adam { eta, beta, epsilon } = self.rule;
        change(g, m, v, beta, eta, epsilon, self.correction);
    }
}
