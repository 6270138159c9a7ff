//! A model as a flat list: its tensors by name, or all its numbers in one
//! vector (Flux's `destructure`).

use super::each::cast;
use super::path::Path;
use super::visitor::{Mapper, Visitor};
use super::{Functor, Ref, fmap_with, visit};
use crate::{Element, Kernels, Shape, Tensor};
use core::any::TypeId;

/// One tensor of a model, copied to the host: its name, its shape and its
/// elements. [`named_tensors`] lists them.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedTensor<E> {
    /// The tensor's [`Path`] in the model (`0.weight`, `1.bias`): the name
    /// weight files give it.
    pub name: String,
    /// The size of each axis: `[]` for a scalar, `[n]` for a vector,
    /// `[rows, columns]` for a matrix.
    pub shape: Vec<usize>,
    /// The elements, column by column.
    pub data: Vec<E>,
}

/// Every tensor of `x` whose elements are `E`, in the order of a walk,
/// with its name and shape: a model, or its gradient, as a flat list.
/// Tensors of other element types are left out, and so is state that is
/// kept but not trained (a `BatchNorm`'s running statistics): these are the
/// trainable parameters (Optimisers.jl's `trainables`), with their names.
///
/// ```
/// use typeflux_core::functor::{Functor, named_tensors};
/// use typeflux_core::prelude::*;
///
/// #[derive(Functor)]
/// struct Affine { weight: Matrix<2, 3>, bias: Vector<2> }
///
/// let layer = Affine { weight: Matrix::ones(), bias: Vector::from_array([1.0, 2.0]) };
/// let tensors = named_tensors::<f32>(&layer);
/// assert_eq!(tensors[0].name, "weight");
/// assert_eq!(tensors[0].shape, [2, 3]);
/// assert_eq!((tensors[1].name.as_str(), tensors[1].data.as_slice()), ("bias", &[1.0, 2.0][..]));
/// ```
#[doc(alias = "trainables")]
pub fn named_tensors<E: Element>(x: &impl Functor) -> Vec<NamedTensor<E>> {
    let mut list = List(Vec::new());
    visit(x, &mut list);
    list.0
}

/// All the numbers of `x`'s tensors whose elements are `E`, in one vector,
/// and a function that builds a copy of `x` holding other numbers: Flux's
/// `destructure`. The vector is the [`named_tensors`]' elements one after
/// the other; leaves that are not such tensors keep their values.
///
/// ```
/// use typeflux_core::functor::destructure;
/// use typeflux_core::prelude::*;
///
/// let model = (Matrix::<2, 2>::ones(), Vector::<2>::from_array([5.0, 6.0]));
/// let (flat, rebuild) = destructure::<f32, _>(&model);
/// assert_eq!(flat, [1.0, 1.0, 1.0, 1.0, 5.0, 6.0]);
///
/// let twice: Vec<f32> = flat.iter().map(|x| 2.0 * x).collect();
/// let (m, v) = rebuild(&twice);
/// assert_eq!((m[[1, 1]], v.to_vec()), (2.0, vec![10.0, 12.0]));
/// ```
///
/// The function panics when given a slice of another length.
pub fn destructure<E: Element, T: Functor + Clone>(
    x: &T,
) -> (Vec<E>, impl Fn(&[E]) -> T + use<E, T>) {
    let flat: Vec<E> = named_tensors::<E>(x)
        .into_iter()
        .flat_map(|tensor| tensor.data)
        .collect();
    let (model, len) = (x.clone(), flat.len());
    let rebuild = move |numbers: &[E]| {
        assert!(
            numbers.len() == len,
            "destructure: the model holds {len} numbers, the slice {}",
            numbers.len()
        );
        fmap_with(&mut Load { numbers }, model.clone())
    };
    (flat, rebuild)
}

/// The visitor behind [`named_tensors`].
struct List<A>(Vec<NamedTensor<A>>);

impl<A: Element> Visitor for List<A> {
    type Access = Ref;

    fn tensor<S: Shape, E: Element, D: Kernels<E>>(&mut self, path: &Path, t: &Tensor<S, E, D>) {
        if TypeId::of::<E>() != TypeId::of::<A>() {
            return;
        }
        let data = cast::<Vec<E>, Vec<A>>(t.to_vec())
            .unwrap_or_else(|_| unreachable!("the type ids are equal"));
        self.0.push(NamedTensor {
            name: path.to_string(),
            shape: t.shape.axes()[..S::RANK].to_vec(),
            data,
        });
    }
}

/// The mapper behind [`destructure`]'s rebuilding: each tensor of `A`s
/// takes the next numbers.
struct Load<'a, A> {
    numbers: &'a [A],
}

impl<A: Element> Mapper for Load<'_, A> {
    fn tensor<S: Shape, E: Element, D: Kernels<E>>(
        &mut self,
        _: &Path,
        mut tensor: Tensor<S, E, D>,
    ) -> Tensor<S, E, D> {
        if TypeId::of::<E>() == TypeId::of::<A>() {
            let (these, rest) = self.numbers.split_at(tensor.len());
            self.numbers = rest;
            let these = cast::<Vec<A>, Vec<E>>(these.to_vec())
                .unwrap_or_else(|_| unreachable!("the type ids are equal"));
            tensor.data = tensor.device.upload::<S, E>(&these);
        }
        tensor
    }
}
