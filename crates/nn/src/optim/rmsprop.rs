//! RMSProp, plain and centred.

use super::{Rule, Trainable, lit, zeroed};
use core::ops::ControlFlow;
use typeflux_core::functor::{Functor, Mut, Path, Visitor};
use typeflux_core::{Element, Kernels, Shape, Tensor};

/// RMSProp, Optimisers.jl's `RMSProp(η = 0.001, ρ = 0.9, ϵ = 1e-8;
/// centred = false)`: a running mean `s` of the squared gradient per
/// parameter, starting at zero, and at each step
///
/// ```text
/// s = ρ·s + (1 - ρ)·g²
/// p = p - η·g / (√s + ϵ)
/// ```
///
/// The centred variant also keeps the running mean `c` of the gradient,
/// `c = ρ·c + (1 - ρ)·g`, and divides by `√(s - c²) + ϵ`, an estimate of
/// the gradient's spread rather than of its size.
///
/// ```
/// use typeflux_nn::optim::RMSProp;
///
/// let rule = RMSProp::new(1e-2).rho(0.95).centred(true);
/// assert_eq!((rule.eta, rule.rho, rule.epsilon, rule.centred), (1e-2, 0.95, 1e-8, true));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RMSProp {
    /// The learning rate `η`.
    pub eta: f64,
    /// The decay `ρ` of the running means.
    pub rho: f64,
    /// `ϵ`, which keeps the step finite where `s` is zero.
    pub epsilon: f64,
    /// Whether the running mean of the gradient is taken out. It cannot
    /// change once the state is built, which holds that mean or not.
    pub centred: bool,
}

impl RMSProp {
    /// RMSProp with learning rate `eta`, `ρ = 0.9`, `ϵ = 1e-8`, not
    /// centred.
    pub fn new(eta: f64) -> Self {
        RMSProp {
            eta,
            rho: 0.9,
            epsilon: 1e-8,
            centred: false,
        }
    }

    /// The same rule with decay `rho`.
    #[must_use]
    pub fn rho(self, rho: f64) -> Self {
        RMSProp { rho, ..self }
    }

    /// The same rule with `epsilon`.
    #[must_use]
    pub fn epsilon(self, epsilon: f64) -> Self {
        RMSProp { epsilon, ..self }
    }

    /// The same rule, centred or not.
    #[must_use]
    pub fn centred(self, centred: bool) -> Self {
        RMSProp { centred, ..self }
    }
}

impl Default for RMSProp {
    /// Optimisers.jl's defaults, `η = 0.001`, `ρ = 0.9`, `ϵ = 1e-8`, not
    /// centred.
    fn default() -> Self {
        RMSProp::new(0.001)
    }
}

/// The state of [`RMSProp`] for a model of type `M`.
#[derive(Clone, Debug)]
pub struct RMSPropState<M> {
    /// The running mean of the squared gradient, `s`.
    pub quad: M,
    /// The running mean of the gradient, `c`, when centred.
    pub lin: Option<M>,
}

impl Rule for RMSProp {
    type State<M: Functor> = RMSPropState<M>;

    fn init<M: Functor + Clone>(&self, model: &M) -> RMSPropState<M> {
        RMSPropState {
            quad: zeroed(model),
            lin: self.centred.then(|| zeroed(model)),
        }
    }

    fn apply<M: Functor>(
        &self,
        state: &mut RMSPropState<M>,
        _: &M,
        grad: &mut M,
        trainable: &Trainable,
    ) -> ControlFlow<()> {
        match &mut state.lin {
            Some(lin) => trainable.walk::<M, _>((grad, &mut state.quad, lin), &mut Centred(*self)),
            None => trainable.walk::<M, _>((grad, &mut state.quad), &mut Plain(*self)),
        }
        ControlFlow::Continue(())
    }

    fn adjust(&mut self, eta: f64) {
        self.eta = eta;
    }
}

/// `s = ρ·s + (1 - ρ)·g²`.
fn running<S: Shape, E: Element, D: Kernels<E>>(
    mean: &mut Tensor<S, E, D>,
    x: &Tensor<S, E, D>,
    rho: f64,
) {
    *mean *= lit::<E>(rho);
    mean.axpy(lit(1.0 - rho), x);
}

/// `g = η·g / (√spread + ϵ)`.
fn divide<S: Shape, E: Element, D: Kernels<E>>(
    g: &mut Tensor<S, E, D>,
    spread: Tensor<S, E, D>,
    rule: RMSProp,
) {
    let mut denominator = spread.sqrt();
    denominator += lit::<E>(rule.epsilon);
    *g *= lit::<E>(rule.eta);
    *g /= &denominator;
}

/// One step of plain [`RMSProp`] at each parameter.
struct Plain(RMSProp);

impl Visitor for Plain {
    type Access = (Mut, Mut);

    fn tensor<S: Shape, E: Element, D: Kernels<E>>(
        &mut self,
        _: &Path,
        (g, quad): (&mut Tensor<S, E, D>, &mut Tensor<S, E, D>),
    ) {
        running(quad, &g.square(), self.0.rho);
        divide(g, quad.clone(), self.0);
    }
}

/// One step of centred [`RMSProp`] at each parameter.
struct Centred(RMSProp);

impl Visitor for Centred {
    type Access = (Mut, Mut, Mut);

    fn tensor<S: Shape, E: Element, D: Kernels<E>>(
        &mut self,
        _: &Path,
        (g, quad, lin): (
            &mut Tensor<S, E, D>,
            &mut Tensor<S, E, D>,
            &mut Tensor<S, E, D>,
        ),
    ) {
        running(quad, &g.square(), self.0.rho);
        running(lin, g, self.0.rho);
        divide(g, &*quad - &lin.square(), self.0);
    }
}
