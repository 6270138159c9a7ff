//! Which parameters a step reaches: Optimisers.jl's `freeze!` and `thaw!`.

use std::collections::BTreeSet;
use typeflux_core::functor::{Functor, Leaf, Mut, Of, Path, Ref, Visitor, visit, visit_mut, walk};
use typeflux_core::{Element, Kernels, Shape, Tensor};

/// The parameters of a model that a step changes: all of them, but those
/// frozen by [`Optimiser::freeze`](super::Optimiser::freeze). Parameters
/// are named by their [`Path`] (`0.weight`), as weight files name them.
///
/// Rules walk the model, its gradient and their state through
/// [`walk`](Trainable::walk), which passes over the frozen parameters, so
/// that neither they nor their state change.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trainable {
    /// Every parameter of the model, by path, in the order of a walk.
    parameters: Vec<String>,
    /// The frozen ones.
    frozen: BTreeSet<String>,
}

impl Trainable {
    /// Every parameter of `model`, none frozen.
    pub fn of<M: Functor>(model: &M) -> Self {
        let mut names = Names(Vec::new());
        visit(model, &mut names);
        Trainable {
            parameters: names.0,
            frozen: BTreeSet::new(),
        }
    }

    /// The paths of the parameters, in the order of a walk.
    pub fn parameters(&self) -> &[String] {
        &self.parameters
    }

    /// Whether the parameter at `path` is frozen.
    pub fn is_frozen(&self, path: &str) -> bool {
        self.frozen.contains(path)
    }

    /// Freezes the parameters at `path` and below it.
    ///
    /// # Panics
    /// When there are none.
    pub fn freeze(&mut self, path: &str) {
        let found: Vec<String> = self.below(path).cloned().collect();
        self.frozen.extend(found);
    }

    /// Thaws the parameters at `path` and below it.
    ///
    /// # Panics
    /// When there are none.
    pub fn thaw(&mut self, path: &str) {
        let found: Vec<String> = self.below(path).cloned().collect();
        for name in &found {
            self.frozen.remove(name);
        }
    }

    /// The parameters at `path` or below it.
    fn below<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a String> {
        let under = move |name: &&String| {
            path.is_empty()
                || name
                    .strip_prefix(path)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
        };
        assert!(
            self.parameters.iter().any(|name| under(&name)),
            "no parameter at or below `{path}`: the model's parameters are {:?}",
            self.parameters
        );
        self.parameters.iter().filter(under)
    }

    /// Walks the structures `places` (the model, its gradient, a rule's
    /// state), as [`walk`] does, calling `visitor` at the parameters that
    /// are not frozen only.
    pub fn walk<M: Functor, V: Visitor>(&self, places: Of<'_, V::Access, M>, visitor: &mut V) {
        if self.frozen.is_empty() {
            walk::<M, V>(places, visitor);
        } else {
            walk::<M, _>(
                places,
                &mut Unfrozen {
                    frozen: &self.frozen,
                    visitor,
                },
            );
        }
    }

    /// Sets the frozen parameters of a gradient to zero, so that what is
    /// computed from the whole gradient (its norm) sees only the others.
    pub(super) fn zero_frozen<M: Functor>(&self, grad: &mut M) {
        if !self.frozen.is_empty() {
            visit_mut(
                grad,
                &mut ZeroFrozen {
                    frozen: &self.frozen,
                },
            );
        }
    }
}

/// The path of every tensor that a step trains.
struct Names(Vec<String>);

impl Visitor for Names {
    type Access = Ref;

    fn tensor<S: Shape, E: Element, D: Kernels<E>>(&mut self, path: &Path, _: &Tensor<S, E, D>) {
        self.0.push(path.to_string());
    }
}

/// A visitor that is not called at frozen parameters.
struct Unfrozen<'a, V> {
    frozen: &'a BTreeSet<String>,
    visitor: &'a mut V,
}

impl<V: Visitor> Visitor for Unfrozen<'_, V> {
    type Access = V::Access;

    fn tensor<S: Shape, E: Element, D: Kernels<E>>(
        &mut self,
        path: &Path,
        tensor: Of<'_, Self::Access, Tensor<S, E, D>>,
    ) {
        if !self.frozen.contains(path.as_str()) {
            self.visitor.tensor(path, tensor);
        }
    }

    fn leaf<L: Leaf>(&mut self, path: &Path, leaf: Of<'_, Self::Access, L>) {
        self.visitor.leaf(path, leaf);
    }

    fn state<S: Shape, E: Element, D: Kernels<E>>(
        &mut self,
        path: &Path,
        tensor: Of<'_, Self::Access, Tensor<S, E, D>>,
    ) {
        self.visitor.state(path, tensor);
    }
}

/// Zeroes the tensors at frozen paths.
struct ZeroFrozen<'a> {
    frozen: &'a BTreeSet<String>,
}

impl Visitor for ZeroFrozen<'_> {
    type Access = Mut;

    fn tensor<S: Shape, E: Element, D: Kernels<E>>(
        &mut self,
        path: &Path,
        tensor: &mut Tensor<S, E, D>,
    ) {
        if self.frozen.contains(path.as_str()) {
            *tensor = tensor.zeros_like();
        }
    }
}
