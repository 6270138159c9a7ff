//! A [`Chain`] over a `Vec` of layers of one type, whose length is known
//! only at run time.
//!
//! `Chain(vec![layer; n])` applies the layers in order, as Flux's
//! `Chain([layer1, layer2, ...])` does. All of them share one type, so each
//! must map its input to a value of the same type (`Dense<N, N>`, a
//! residual block): what the first returns is what the second takes. A
//! chain over a tuple has no such limit, but its length is part of its
//! type.
//!
//! ```
//! use typeflux_ad::reverse::{gradient, model};
//! use typeflux_core::prelude::*;
//! use typeflux_nn::prelude::*;
//!
//! let depth = 4; // known at run time
//! let blocks: Vec<Dense<3, 3, Tanh>> = (0..depth).map(|_| Dense::new(tanh)).collect();
//! let net = Chain(blocks);
//! let x = Batch::<3>::ones_with((Const, 5));
//! let y = net.forward(&x);
//!
//! let g = gradient(|m| mse(m.forward(&x), &y), model(&net));
//! assert_eq!(g.0.len(), depth);
//! ```
//!
//! Every member runs on the value before it behind a hole, the first on
//! the chain's input, and the chain's backward pass is one
//! [`RepeatNode`] that runs the members' in a loop. Differentiated with
//! respect to the model, the `Vec` is traced element by element, each
//! into slots of its own ([`Elements`]), and the gradient is a chain over
//! the `Vec` of the members' gradients. The members' paths in a weight
//! file are `0.weight`, `1.weight`, ..., as for a tuple.

use crate::chain::Chain;
use crate::isolate::Split;
use crate::layer::Layer;
use typeflux_ad::reverse::{Hole, Node, OwnSlots, Pick, RepeatNode, Shared, Traced};
use typeflux_core::functor::Elements;

/// Runs `layers` on `x`, one after another, each behind a hole, and joins
/// their nodes into one [`RepeatNode`].
#[inline]
fn repeat<'a, X, L, N, S>(
    layers: impl IntoIterator<Item = &'a L>,
    x: X,
) -> <RepeatNode<X::Node, N, X::Value, S> as Pick<X::Value>>::Out
where
    X: Split,
    L: Layer<Traced<X::Value, Hole>, Output = Traced<X::Value, N>> + 'a,
    N: Node,
    RepeatNode<X::Node, N, X::Value, S>: Pick<X::Value>,
{
    let (mut value, first) = x.split();
    let mut active = first.active();
    let mut nodes = Vec::new();
    for layer in layers {
        let (next, node) = layer
            .forward(Traced::new(value, Hole::new(active)))
            .into_parts();
        active = node.active();
        value = next;
        nodes.push(node);
    }
    RepeatNode::new(first, nodes).pick(value)
}

/// The layers of a `Vec` applied in order; with no layers, the input.
impl<X, L, N> Layer<X> for Chain<Vec<L>>
where
    X: Split,
    L: Layer<Traced<X::Value, Hole>, Output = Traced<X::Value, N>>,
    N: Node,
    RepeatNode<X::Node, N, X::Value, Shared>: Pick<X::Value>,
{
    type Output = <RepeatNode<X::Node, N, X::Value, Shared> as Pick<X::Value>>::Out;

    #[inline]
    #[track_caller]
    fn forward(&self, x: X) -> Self::Output {
        repeat(&self.0, x)
    }
}

/// The traced layers of a `Vec` applied in order: each member's backward
/// pass runs with the slots of its own element.
impl<X, L, N, P> Layer<X> for Chain<Elements<L, P>>
where
    X: Split,
    L: Layer<Traced<X::Value, Hole>, Output = Traced<X::Value, N>>,
    N: Node,
    RepeatNode<X::Node, N, X::Value, OwnSlots<P>>: Pick<X::Value>,
{
    type Output = <RepeatNode<X::Node, N, X::Value, OwnSlots<P>> as Pick<X::Value>>::Out;

    #[inline]
    #[track_caller]
    fn forward(&self, x: X) -> Self::Output {
        repeat(&self.0.items, x)
    }
}
