//! The layer trait: a forward pass, written once for plain and traced values.

use crate::fused::{ChainRun, DenseLink};
use typeflux_core::functor::{Functor, Mapper, Of, Path, Rebuild, Trace, TraceMut, Visitor};

/// A model piece that maps an input `X` to an output: a [`Dense`](crate::Dense)
/// layer, an activation, a [`Chain`](crate::Chain), a layer of your own, or
/// any plain function or closure `Fn(X) -> Y`.
///
/// A layer is implemented once per input type it accepts, so an input of the
/// wrong size is a compile error: a `Dense<10, 5>` takes 10 features and not
/// 4. typeflux's layers take plain tensors (owned, or borrowed as data) and
/// traced ones ([`Traced`](typeflux_ad::reverse::Traced)), and a layer whose
/// parameters are traced (inside [`gradient`](typeflux_ad::reverse::gradient))
/// returns a traced value: the one forward pass serves plain evaluation and
/// differentiation, and no pullback is ever written for a layer.
///
/// A layer of your own is written the same way, once, generic over what it
/// receives: implement `Layer` for your struct with the tensor operations,
/// which plain and traced tensors share (see the crate docs: the seed's
/// `Affine`).
///
/// ```
/// use typeflux_core::prelude::*;
/// use typeflux_nn::prelude::*;
///
/// let double = |x: Vector<3>| x * 2.0;
/// assert_eq!(double.forward(Vector::<3>::ones()).to_vec(), vec![2.0; 3]);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot take `{X}` as its input",
    label = "this layer does not accept `{X}`",
    note = "a layer's input must have the feature size, element type and device the layer was \
            built for (`to_device` moves a tensor or a model); in a `Chain`, each member's output \
            is the next member's input, so neighbouring sizes must agree (the members after the \
            first receive it as a `Traced<Tensor<…>, Hole>`)"
)]
pub trait Layer<X> {
    /// What the layer returns for an input `X`.
    type Output;

    /// Applies the layer: Flux's `m(x)`.
    fn forward(&self, x: X) -> Self::Output;

    /// The layer as a member of a chain that its device may run in one
    /// pass ([`fused`](crate::fused)): `Some` for a [`Dense`](crate::Dense)
    /// layer on such a device; `None`, the default, for every other layer.
    #[inline(always)]
    fn dense_link(&self) -> Option<&dyn DenseLink> {
        None
    }

    /// [`forward`](Self::forward) as a member of a chain's `run`: a
    /// [`Dense`](crate::Dense) layer of a chain its device runs in one
    /// pass takes its part of that pass; every other layer, by default,
    /// runs as it always does.
    #[inline(always)]
    fn forward_in(&self, x: X, run: &mut ChainRun<'_>) -> Self::Output {
        let _ = run;
        self.forward(x)
    }
}

/// Plain functions and closures are layers without parameters, so that
/// `Chain((|x| x * x, |x| x + 1))` works as in Flux. A closure of tensor
/// code differentiates like any other code: inside a chain after its first
/// member it receives a traced tensor (`Traced<Tensor<…>, Hole>`), and
/// the operations it applies are traced.
///
/// A layer given the wrong input would otherwise be reported as "not a
/// closure"; `do_not_recommend` keeps the error on the layer and its input.
#[diagnostic::do_not_recommend]
impl<F, X, Y> Layer<X> for F
where
    F: Fn(X) -> Y,
{
    type Output = Y;

    #[inline(always)]
    fn forward(&self, x: X) -> Y {
        self(x)
    }
}

/// A closure as a member of a model that is walked, traced and trained: a
/// layer without parameters. A bare closure is a layer too, but a model
/// whose parts are visited (an optimiser's walk, a weight file, a
/// [`gradient`](typeflux_ad::reverse::gradient) of the model) needs each
/// part to say what it holds, and a closure's type cannot: `Lambda` says
/// "nothing". Flux's `Chain(Dense(3 => 4, tanh), x -> 2x, Dense(4 => 1))`:
///
/// ```
/// use typeflux_ad::reverse::{gradient, model};
/// use typeflux_core::prelude::*;
/// use typeflux_nn::prelude::*;
///
/// let chain = Chain((Dense::<3, 4>::new(tanh), Lambda(|x| x * 2.0), Dense::<4, 1>::new(identity)));
/// let x = Batch::<3>::ones_with((Const, 5));
/// let y = Batch::<1>::zeros_with((Const, 5));
/// let plain = chain.forward(&x);
/// let g = gradient(|m| mse(m.forward(&x), &y), model(&chain));
/// assert_eq!(g.0.0.weight.shape(), chain.0.0.weight.shape());
/// ```
///
/// Inside a chain after its first member, the closure receives a traced
/// tensor (`Traced<Tensor<…>, Hole>`) whether the chain is traced or not,
/// so one closure serves plain evaluation and training.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Lambda<F>(pub F);

impl<F: Fn(X) -> Y, X, Y> Layer<X> for Lambda<F> {
    type Output = Y;

    #[inline(always)]
    fn forward(&self, x: X) -> Y {
        (self.0)(x)
    }
}

impl<F> Functor for Lambda<F> {
    type Children = ();
    type ChildRefs<'a>
        = ()
    where
        Self: 'a;
    type Rest = (Self,);
    const NAMES: &'static [&'static str] = &[];

    #[inline]
    fn children(&self) {}

    #[inline]
    fn into_children(self) -> ((), (Self,)) {
        ((), (self,))
    }

    #[inline]
    fn walk<V: Visitor + ?Sized>(_: Of<'_, V::Access, Self>, _: &mut Path, _: &mut V) {}

    #[inline]
    fn map_leaves<M: Mapper + ?Sized>(self, _: &mut Path, _: &mut M) -> Self {
        self
    }
}

impl<F> Rebuild<()> for Lambda<F> {
    type Output = Self;

    #[inline]
    fn rebuild((this,): (Self,), (): ()) -> Self {
        this
    }
}

impl<K, P, F> Trace<K, P> for Lambda<F> {
    type Traced = Self;
    type Slots = ();
    type Grads = ();

    #[inline]
    fn trace(self, _: &K) -> (Self, ()) {
        (self, ())
    }

    #[inline]
    fn grads((): ()) {}
}

impl<'a, K, P, F: Clone + 'a> TraceMut<'a, K, P> for Lambda<F> {
    type Traced = Self;
    type Slots = ();
    type Grads = ();

    #[inline]
    fn trace_mut(&'a mut self, _: &K) -> (Self, ()) {
        (self.clone(), ())
    }

    #[inline]
    fn grads((): ()) {}
}

/// A closure holds what it captured where it captured it: it moves as it is.
impl<F: Clone, D2: typeflux_core::Device> typeflux_core::ToDevice<D2> for Lambda<F> {
    type Output = Self;

    #[inline]
    fn to_device(&self, _: &D2) -> Self {
        self.clone()
    }
}

/// A closure keeps what it captured in another precision too: it is copied
/// as it is.
impl<F: Clone, E2> typeflux_core::ToElement<E2> for Lambda<F> {
    type Output = Self;

    #[inline]
    fn to_element(&self) -> Self {
        self.clone()
    }
}
