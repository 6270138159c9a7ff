//! Rules applied one after another.

use super::{Rule, Trainable};
use core::ops::ControlFlow;
use typeflux_core::functor::Functor;

/// Rules applied in order, each to what the one before made of the
/// gradient, and the last one's result subtracted from the model:
/// Optimisers.jl's `OptimiserChain`. The rules are a tuple, of 1 to 8.
///
/// ```
/// use typeflux_core::prelude::*;
/// use typeflux_nn::optim::{ClipGrad, Descent, OptimiserChain, Rule};
///
/// // Optimisers.jl's own example: clip to 1, then scale by 0.1.
/// let mut x = Vector::<3, f64>::zeros();
/// let mut opt = OptimiserChain((ClipGrad::new(1.0), Descent::new(0.1))).setup(&x);
/// opt.update(&mut x, &Vector::from_array([0.3, 1.0, 7.0]));
/// assert_eq!(x.to_vec(), [-0.03, -0.1, -0.1]);
/// ```
///
/// A rule that takes no step this time ([`AccumGrad`](super::AccumGrad)
/// between its updates) ends the chain there: the rules after it are not
/// applied, and their state does not change. [`adjust`](Rule::adjust)
/// sets the learning rate of every member that has one.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct OptimiserChain<T>(pub T);

/// The `Rule` impl of a chain of each length.
macro_rules! chain_rules {
    ($($R:ident $i:tt),+) => {
        impl<$($R: Rule),+> Rule for OptimiserChain<($($R,)+)> {
            /// The state of each rule, in order.
            type State<M: Functor> = ($($R::State<M>,)+);

            fn init<M: Functor + Clone>(&self, model: &M) -> Self::State<M> {
                ($(self.0.$i.init(model),)+)
            }

            fn apply<M: Functor>(
                &self,
                state: &mut Self::State<M>,
                model: &M,
                grad: &mut M,
                trainable: &Trainable,
            ) -> ControlFlow<()> {
                $(self.0.$i.apply(&mut state.$i, model, grad, trainable)?;)+
                ControlFlow::Continue(())
            }

            fn adjust(&mut self, eta: f64) {
                $(self.0.$i.adjust(eta);)+
            }
        }
    };
}

chain_rules!(A 0);
chain_rules!(A 0, B 1);
chain_rules!(A 0, B 1, C 2);
chain_rules!(A 0, B 1, C 2, D 3);
chain_rules!(A 0, B 1, C 2, D 3, E 4);
chain_rules!(A 0, B 1, C 2, D 3, E 4, F 5);
chain_rules!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
chain_rules!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
