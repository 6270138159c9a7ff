//! What a walk does at the leaves.

use super::access::{Access, Of};
use super::leaf::Leaf;
use super::path::Path;
use crate::{Element, Kernels, Shape, Tensor};

/// What a walk by reference does at each leaf: the generic-method
/// counterpart of a closure, which could not be generic over the leaf's type.
///
/// `Access` says how the walk holds what it walks: [`Ref`](super::Ref) for one
/// structure read, [`Mut`](super::Mut) for one structure changed in place,
/// `(Mut, Ref)` for parameters updated from their gradient, and so on. Every
/// method is given the leaf's [`Path`] and, for each structure walked, the
/// leaf held that way. The defaults do nothing, so a visitor writes only the
/// methods for the leaves it cares about.
///
/// ```
/// use typeflux_core::functor::{visit, Leaf, Path, Ref, Visitor};
///
/// /// Collects the name of every leaf.
/// struct Names(Vec<String>);
///
/// impl Visitor for Names {
///     type Access = Ref;
///     fn leaf<L: Leaf>(&mut self, path: &Path, _: &L) {
///         self.0.push(path.to_string());
///     }
/// }
///
/// let mut names = Names(Vec::new());
/// visit(&((1.0, 2.0), vec![3.0]), &mut names);
/// assert_eq!(names.0, ["0.0", "0.1", "1.0"]);
/// ```
pub trait Visitor {
    /// How the walk holds each node.
    type Access: Access;

    /// Called at each tensor: a model's parameters, a gradient's entries.
    fn tensor<S: Shape, E: Element, D: Kernels<E>>(
        &mut self,
        path: &Path,
        tensor: Of<'_, Self::Access, Tensor<S, E, D>>,
    ) {
        let _ = (path, tensor);
    }

    /// Called at each leaf that is not a tensor: a number, a string, a
    /// user's [`Leaf`] type.
    fn leaf<L: Leaf>(&mut self, path: &Path, leaf: Of<'_, Self::Access, L>) {
        let _ = (path, leaf);
    }

    /// Called at each tensor of state that is kept but not trained, such
    /// as the running statistics of typeflux-nn's `BatchNorm` (its
    /// `State`): weight files save and load it, optimisers pass it over,
    /// as by default.
    fn state<S: Shape, E: Element, D: Kernels<E>>(
        &mut self,
        path: &Path,
        tensor: Of<'_, Self::Access, Tensor<S, E, D>>,
    ) {
        let _ = (path, tensor);
    }
}

/// What a walk by value does at each leaf: returns the leaf, changed or not.
/// The defaults return the leaf unchanged.
///
/// [`fmap`](super::fmap) with a closure is a `Mapper` that applies the closure
/// to the leaves of its argument's type; write a `Mapper` when the change
/// needs the path, or must handle leaves of several types.
///
/// ```
/// use typeflux_core::functor::{fmap_with, Leaf, Mapper, Path};
/// use std::any::Any;
///
/// /// Replaces the leaf called `scale` with 1.
/// struct ResetScale;
///
/// impl Mapper for ResetScale {
///     fn leaf<L: Leaf>(&mut self, path: &Path, mut leaf: L) -> L {
///         if let (true, Some(x)) = (path.as_str() == "1", (&mut leaf as &mut dyn Any).downcast_mut::<f64>()) {
///             *x = 1.0;
///         }
///         leaf
///     }
/// }
///
/// assert_eq!(fmap_with(&mut ResetScale, (5.0, 3.0)), (5.0, 1.0));
/// ```
pub trait Mapper {
    /// Called at each tensor.
    fn tensor<S: Shape, E: Element, D: Kernels<E>>(
        &mut self,
        path: &Path,
        tensor: Tensor<S, E, D>,
    ) -> Tensor<S, E, D> {
        let _ = path;
        tensor
    }

    /// Called at each leaf that is not a tensor.
    fn leaf<L: Leaf>(&mut self, path: &Path, leaf: L) -> L {
        let _ = path;
        leaf
    }
}
