//! The implicit style of Flux: collect the parameters with [`params`], and
//! look their gradients up by the parameters themselves (`grads[&w]`).
//!
//! A [`Grads`] is keyed by the address of each parameter's buffer, as
//! Flux's `Grads` is keyed by object identity, and checks the type of what it
//! finds on every lookup. The differentiation itself is the static one: the
//! function receives the traced parameters in the order `params` lists them
//! (Rust cannot see which captured variables a closure reads), and the
//! backward pass is the same composed type as for [`gradient`](super::gradient)
//! of a tuple. Only the result is collected into a map.

use super::input::Reverse;
use super::slots::Step;
use core::any::{Any, type_name};
use core::fmt;
use core::ops::Index;
use std::collections::HashMap;
use typeflux_core::functor::Trace;
use typeflux_core::{Element, Kernels, Shape, Tensor};

/// The parameters of an implicit-style gradient: a tensor reference or a
/// tuple of them (nested as needed), to be passed to
/// [`gradient`](super::gradient), which then returns [`Grads`].
///
/// ```
/// use typeflux_ad::reverse::{gradient, params};
/// use typeflux_core::prelude::*;
///
/// let x = Tensor::from_array([2.0, 1.0]);
/// let y = Tensor::from_array([2.0, 0.0]);
/// let gs = gradient(|(x, y)| (x - y).square().sum(), params((&x, &y)));
/// assert_eq!(gs[&x].to_vec(), vec![0.0, 2.0]);
/// assert_eq!(gs[&y].to_vec(), vec![-0.0, -2.0]);
/// ```
#[inline]
pub fn params<T: ParamList>(tensors: T) -> Params<T> {
    Params { tensors }
}

/// Parameters collected by [`params`].
#[derive(Clone, Copy, Debug)]
pub struct Params<T> {
    tensors: T,
}

/// The address that identifies a parameter: that of its buffer.
fn key<S: Shape, E: Element, D: Kernels<E>>(t: &Tensor<S, E, D>) -> usize {
    core::ptr::from_ref(t.buffer()).addr()
}

/// Tensor references, and tuples of them, that [`params`] accepts.
pub trait ParamList {
    /// Appends the key of every tensor, in order.
    fn keys(&self, out: &mut Vec<usize>);
}

/// Gradients that [`Grads`] can hold: tensors, and tuples of them.
pub trait GradList {
    /// Files every gradient under the next key.
    fn file(self, keys: &mut dyn Iterator<Item = usize>, grads: &mut Grads);
}

impl<S: Shape, E: Element, D: Kernels<E>> ParamList for &Tensor<S, E, D> {
    fn keys(&self, out: &mut Vec<usize>) {
        out.push(key(self));
    }
}

impl<S: Shape, E: Element, D: Kernels<E>> GradList for Tensor<S, E, D> {
    fn file(self, keys: &mut dyn Iterator<Item = usize>, grads: &mut Grads) {
        let key = keys.next().expect("one key per parameter");
        grads.insert(key, self);
    }
}

macro_rules! tuple_params {
    ($(($($X:ident $i:tt),+);)+) => {$(
        impl<$($X: ParamList),+> ParamList for ($($X,)+) {
            fn keys(&self, out: &mut Vec<usize>) {
                $(self.$i.keys(out);)+
            }
        }

        impl<$($X: GradList),+> GradList for ($($X,)+) {
            fn file(self, keys: &mut dyn Iterator<Item = usize>, grads: &mut Grads) {
                $(self.$i.file(keys, grads);)+
            }
        }
    )+};
}

tuple_params! {
    (A 0);
    (A 0, B 1);
    (A 0, B 1, C 2);
    (A 0, B 1, C 2, D 3);
    (A 0, B 1, C 2, D 3, E 4);
    (A 0, B 1, C 2, D 3, E 4, F 5);
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6);
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
}

/// The keys of the parameters, carried next to their gradient slots until
/// the gradients are filed.
#[derive(Clone, Debug)]
pub struct ParamKeys(Vec<usize>);

impl<P, T: ParamList + Trace<Reverse, Step<P, 0>>> Trace<Reverse, P> for Params<T>
where
    T::Grads: GradList,
{
    type Traced = T::Traced;
    type Slots = (T::Slots, ParamKeys);
    type Grads = Grads;

    fn trace(self, kind: &Reverse) -> (Self::Traced, Self::Slots) {
        let mut keys = Vec::new();
        self.tensors.keys(&mut keys);
        let (traced, slots) = self.tensors.trace(kind);
        (traced, (slots, ParamKeys(keys)))
    }

    fn grads((slots, keys): Self::Slots) -> Grads {
        let mut grads = Grads {
            entries: HashMap::with_capacity(keys.0.len()),
        };
        T::grads(slots).file(&mut keys.0.into_iter(), &mut grads);
        grads
    }
}

/// Gradients of the parameters collected by [`params`], looked up by the
/// parameters themselves: `grads[&w]`.
///
/// A parameter is recognised by the address of its buffer, so it must stay
/// where it was (not be moved) between `params` and the lookup; the lookup
/// also checks that the gradient has the parameter's type. Both mistakes
/// panic with a message that says which.
///
/// ```should_panic
/// use typeflux_ad::reverse::{gradient, params};
/// use typeflux_core::prelude::*;
///
/// let (w, v) = (Vector::<2>::ones(), Vector::<2>::ones());
/// let gs = gradient(|w| w.sum(), params(&w));
/// let _ = &gs[&v]; // panics: `v` is not a parameter
/// ```
pub struct Grads {
    entries: HashMap<usize, Entry>,
}

struct Entry {
    grad: Box<dyn Any + Send + Sync>,
    type_name: &'static str,
}

impl Grads {
    /// Files `grad` under `key`; a parameter listed twice gets the sum.
    fn insert<S: Shape, E: Element, D: Kernels<E>>(&mut self, key: usize, grad: Tensor<S, E, D>) {
        match self.entries.get_mut(&key) {
            Some(entry) => {
                let sum = entry
                    .grad
                    .downcast_mut::<Tensor<S, E, D>>()
                    .expect("one buffer address holds one parameter");
                *sum += grad;
            }
            None => {
                let entry = Entry {
                    grad: Box::new(grad),
                    type_name: type_name::<Tensor<S, E, D>>(),
                };
                self.entries.insert(key, entry);
            }
        }
    }

    /// The gradient of `param`, or `None` when `param` is not a parameter
    /// (or has another type than its gradient).
    pub fn get<S: Shape, E: Element, D: Kernels<E>>(
        &self,
        param: &Tensor<S, E, D>,
    ) -> Option<&Tensor<S, E, D>> {
        self.entries.get(&key(param))?.grad.downcast_ref()
    }

    /// Number of parameters.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no parameters.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<S: Shape, E: Element, D: Kernels<E>> Index<&Tensor<S, E, D>> for Grads {
    type Output = Tensor<S, E, D>;

    /// The gradient of `param`.
    ///
    /// # Panics
    /// When `param` is not one of the parameters, or its gradient has
    /// another type.
    #[track_caller]
    fn index(&self, param: &Tensor<S, E, D>) -> &Tensor<S, E, D> {
        let Some(entry) = self.entries.get(&key(param)) else {
            panic!(
                "Grads: no gradient for this tensor of shape {}: it was not passed to `params`, \
                 or it was moved since (a parameter is recognised by the address of its buffer)",
                param.shape().describe()
            )
        };
        match entry.grad.downcast_ref() {
            Some(grad) => grad,
            None => panic!(
                "Grads: the gradient of this parameter is a `{}`, not a `{}`",
                entry.type_name,
                type_name::<Tensor<S, E, D>>()
            ),
        }
    }
}

impl fmt::Debug for Grads {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.entries.values().map(|e| e.type_name))
            .finish()
    }
}
