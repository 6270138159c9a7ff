//! Clipping the gradient by its norm before another rule's step.

use super::Rule;
use core::fmt;
use typeflux_core::functor::{Functor, clip_norm, norm};

/// Another rule's step taken with the gradient scaled down, when its norm
/// (all its tensors taken as one vector, see
/// [`norm`](typeflux_core::functor::norm)) exceeds `omega`, to norm
/// `omega`: Optimisers.jl's `OptimiserChain(ClipNorm(ω), rule)`.
///
/// The rules here change the model themselves rather than hand a changed
/// gradient to the next, so the clipping wraps the rule it feeds.
///
/// ```
/// use typeflux_core::functor::norm;
/// use typeflux_core::prelude::*;
/// use typeflux_nn::optim::{ClipNorm, Descent, Rule};
///
/// let mut model = (Vector::<2, f64>::zeros(), Vector::<1, f64>::zeros());
/// let grad = (Vector::from_array([30.0, 0.0]), Vector::from_array([40.0])); // norm 50
/// let mut opt = ClipNorm::new(1.0, Descent::new(0.1)).setup(&model);
/// opt.update(&mut model, &grad);
/// assert!((norm(&model) - 0.1).abs() < 1e-12); // a step of η · 1
/// ```
///
/// # Panics
/// At a step whose gradient has a norm that is NaN or infinite, as
/// Optimisers.jl's `ClipNorm` throws: no scaling makes it finite.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClipNorm<R> {
    /// The largest norm a gradient reaches the rule with, `ω`.
    pub omega: f64,
    /// The rule that takes the step.
    pub rule: R,
}

impl<R: Rule> ClipNorm<R> {
    /// `rule`, fed gradients whose norm is at most `omega`.
    pub fn new(omega: f64, rule: R) -> Self {
        ClipNorm { omega, rule }
    }
}

/// The state of [`ClipNorm`]: the state of the rule it wraps.
pub struct ClipNormState<S, M> {
    /// The wrapped rule's state.
    pub inner: S,
    /// Copies a gradient, for one to scale: `Rule::apply` has no `Clone`
    /// bound on the model, but `Rule::init` has.
    copy: fn(&M) -> M,
}

impl<R: Rule> Rule for ClipNorm<R> {
    type State<M: Functor> = ClipNormState<R::State<M>, M>;

    fn init<M: Functor + Clone>(&self, model: &M) -> Self::State<M> {
        ClipNormState {
            inner: self.rule.init(model),
            copy: M::clone,
        }
    }

    fn apply<M: Functor>(&self, state: &mut Self::State<M>, model: &mut M, grad: &M) {
        let size = norm(grad);
        assert!(
            size.is_finite(),
            "ClipNorm: the gradient's norm is {size}, which no scaling makes finite"
        );
        if size <= self.omega {
            self.rule.apply(&mut state.inner, model, grad);
        } else {
            let mut clipped = (state.copy)(grad);
            clip_norm(&mut clipped, self.omega);
            self.rule.apply(&mut state.inner, model, &clipped);
        }
    }
}

impl<S: Clone, M> Clone for ClipNormState<S, M> {
    fn clone(&self) -> Self {
        ClipNormState {
            inner: self.inner.clone(),
            copy: self.copy,
        }
    }
}

impl<S: fmt::Debug, M> fmt::Debug for ClipNormState<S, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClipNormState")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}
