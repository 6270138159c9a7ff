//! Accumulating gradients over several steps.

use super::{Rule, Trainable, lit, zeroed};
use core::ops::ControlFlow;
use typeflux_core::functor::{Functor, Mut, Path, Visitor};
use typeflux_core::{Element, Kernels, Shape, Tensor};

/// The mean of `n` gradients, passed on at every `n`-th step, Optimisers.jl's
/// `AccumGrad(n)`: put first in an [`OptimiserChain`](super::OptimiserChain),
/// `OptimiserChain((AccumGrad::new(n), rule))` takes a step of `rule` with
/// the mean of the last `n` gradients once every `n` updates, and leaves the
/// model (and `rule`'s state) alone in between. This trains with a batch
/// `n` times larger than fits in memory at once.
///
/// ```
/// use typeflux_core::prelude::*;
/// use typeflux_nn::optim::{AccumGrad, Descent, OptimiserChain, Rule};
///
/// let mut x = Vector::<1, f64>::from_array([1.0]);
/// let mut opt = OptimiserChain((AccumGrad::new(2), Descent::new(0.1))).setup(&x);
/// opt.update(&mut x, &Vector::from_array([3.0]));
/// assert_eq!(x[0], 1.0); // not yet
/// opt.update(&mut x, &Vector::from_array([5.0]));
/// assert_eq!(x[0], 1.0 - 0.1 * 4.0); // the mean of 3 and 5
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccumGrad {
    /// How many gradients make one step.
    pub n: usize,
}

impl AccumGrad {
    /// Steps with the mean of `n` gradients.
    ///
    /// # Panics
    /// When `n` is 0.
    pub fn new(n: usize) -> Self {
        assert!(n > 0, "AccumGrad must accumulate at least one gradient");
        AccumGrad { n }
    }
}

/// The state of [`AccumGrad`] for a model of type `M`.
#[derive(Clone, Debug)]
pub struct AccumGradState<M> {
    /// The sum of the gradients so far, each divided by `n`.
    pub sum: M,
    /// How many gradients the sum holds.
    pub count: usize,
}

impl Rule for AccumGrad {
    type State<M: Functor> = AccumGradState<M>;

    fn init<M: Functor + Clone>(&self, model: &M) -> AccumGradState<M> {
        AccumGradState {
            sum: zeroed(model),
            count: 0,
        }
    }

    fn apply<M: Functor>(
        &self,
        state: &mut AccumGradState<M>,
        _: &M,
        grad: &mut M,
        trainable: &Trainable,
    ) -> ControlFlow<()> {
        let mut at_each = Add {
            n: self.n,
            first: state.count == 0,
            last: state.count + 1 >= self.n,
        };
        trainable.walk::<M, _>((grad, &mut state.sum), &mut at_each);
        if at_each.last {
            state.count = 0;
            ControlFlow::Continue(())
        } else {
            state.count += 1;
            ControlFlow::Break(())
        }
    }
}

/// One gradient added to the sum at each parameter.
struct Add {
    n: usize,
    /// The sum starts anew.
    first: bool,
    /// The sum is passed on.
    last: bool,
}

impl Visitor for Add {
    type Access = (Mut, Mut);

    fn tensor<S: Shape, E: Element, D: Kernels<E>>(
        &mut self,
        _: &Path,
        (g, sum): (&mut Tensor<S, E, D>, &mut Tensor<S, E, D>),
    ) {
        let part = &*g / lit::<E>(self.n as f64);
        if self.first {
            *sum = part;
        } else {
            *sum += &part;
        }
        if self.last {
            g.clone_from(sum);
        }
    }
}
