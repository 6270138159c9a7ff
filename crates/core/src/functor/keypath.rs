//! A model's nodes by their key paths (Functors.jl's `getkeypath`,
//! `setkeypath!`, `fcollect` and `fmapstructure`).
//!
//! A key path is the dotted name a walk gives a node ([`Path`]): `0.weight`
//! in a `Chain`, `layers.2.bias` in a struct. Reading and replacing a
//! tensor by its path works on any [`Functor`]; the structure of a model's
//! tensors, with each mapped to a value of any type, comes back as a
//! [`Tree`].

use super::each::cast;
use super::flat::NamedTensor;
use super::path::Path;
use super::visitor::Visitor;
use super::{Functor, Mut, named_tensors, visit_mut};
use crate::{Element, Kernels, Shape, Tensor};
use core::any::TypeId;
use core::fmt;

/// The tensor of `x` at the key path `path` (Functors.jl's `getkeypath`),
/// copied to the host with its shape; `None` when no tensor of element type
/// `E` has that path.
///
/// ```
/// use typeflux_core::functor::tensor_at;
/// use typeflux_core::prelude::*;
///
/// let model = (Matrix::<2, 3>::ones(), Some(Vector::<2>::from_array([4.0, 5.0])));
/// // An `Option` adds no name of its own, as in `Dense`'s `bias`.
/// let bias = tensor_at::<f32>(&model, "1").unwrap();
/// assert_eq!((bias.shape, bias.data), (vec![2], vec![4.0, 5.0]));
/// assert!(tensor_at::<f32>(&model, "2").is_none());
/// ```
pub fn tensor_at<E: Element>(x: &impl Functor, path: &str) -> Option<NamedTensor<E>> {
    named_tensors::<E>(x).into_iter().find(|t| t.name == path)
}

/// Why [`set_tensor_at`] left the model as it was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyPathError {
    /// No tensor of the element type has the path; `paths` are those that
    /// do.
    NoSuchPath {
        /// The path asked for.
        path: String,
        /// The paths of the model's tensors of that element type.
        paths: Vec<String>,
    },
    /// The tensor at the path has another shape than the values given.
    ShapeMismatch {
        /// The path.
        path: String,
        /// The tensor's shape.
        tensor: Vec<usize>,
        /// The shape given.
        given: Vec<usize>,
    },
    /// The number of values does not match the shape given.
    WrongLength {
        /// The path.
        path: String,
        /// The shape given.
        given: Vec<usize>,
        /// How many values came with it.
        values: usize,
    },
}

impl fmt::Display for KeyPathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyPathError::NoSuchPath { path, paths } => write!(
                f,
                "no tensor at `{path}`; the model's tensors are at {}",
                if paths.is_empty() {
                    "no path".to_string()
                } else {
                    paths
                        .iter()
                        .map(|p| format!("`{p}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
            KeyPathError::ShapeMismatch {
                path,
                tensor,
                given,
            } => write!(
                f,
                "the tensor at `{path}` has shape {tensor:?}, the values given have shape {given:?}"
            ),
            KeyPathError::WrongLength {
                path,
                given,
                values,
            } => write!(
                f,
                "for `{path}`: shape {given:?} holds {} values, {values} were given",
                given.iter().product::<usize>()
            ),
        }
    }
}

impl std::error::Error for KeyPathError {}

/// Replaces the elements of the tensor of `x` at the key path `path`
/// (Functors.jl's `setkeypath!`) with `data`, given in the tensor's
/// column-major order with its `shape`. On an error nothing changes: the
/// path must name a tensor of element type `E` and the shapes must agree,
/// and the error names both.
///
/// ```
/// use typeflux_core::functor::{KeyPathError, set_tensor_at};
/// use typeflux_core::prelude::*;
///
/// let mut model = (Matrix::<2, 2, f64>::zeros(), Vector::<2, f64>::zeros());
/// set_tensor_at(&mut model, "1", &[2], &[7.0, 8.0]).unwrap();
/// assert_eq!(model.1.to_vec(), [7.0, 8.0]);
///
/// let err = set_tensor_at(&mut model, "0", &[3, 2], &[0.0; 6]).unwrap_err();
/// assert_eq!(err.to_string(), "the tensor at `0` has shape [2, 2], the values given have shape [3, 2]");
/// assert_eq!(model.0, Matrix::zeros());
/// ```
pub fn set_tensor_at<E: Element, T: Functor>(
    x: &mut T,
    path: &str,
    shape: &[usize],
    data: &[E],
) -> Result<(), KeyPathError> {
    if shape.iter().product::<usize>() != data.len() {
        return Err(KeyPathError::WrongLength {
            path: path.to_string(),
            given: shape.to_vec(),
            values: data.len(),
        });
    }
    let Some(found) = tensor_at::<E>(x, path) else {
        return Err(KeyPathError::NoSuchPath {
            path: path.to_string(),
            paths: named_tensors::<E>(x).into_iter().map(|t| t.name).collect(),
        });
    };
    if found.shape != shape {
        return Err(KeyPathError::ShapeMismatch {
            path: path.to_string(),
            tensor: found.shape,
            given: shape.to_vec(),
        });
    }
    visit_mut(
        x,
        &mut Store {
            path,
            data,
            stored: false,
        },
    );
    Ok(())
}

/// The visitor behind [`set_tensor_at`]: writes `data` into the first
/// tensor of element type `A` at `path`.
struct Store<'a, A> {
    path: &'a str,
    data: &'a [A],
    stored: bool,
}

impl<A: Element> Visitor for Store<'_, A> {
    type Access = Mut;

    fn tensor<S: Shape, E: Element, D: Kernels<E>>(
        &mut self,
        path: &Path,
        tensor: &mut Tensor<S, E, D>,
    ) {
        if self.stored || path.as_str() != self.path || TypeId::of::<E>() != TypeId::of::<A>() {
            return;
        }
        let data = cast::<Vec<A>, Vec<E>>(self.data.to_vec())
            .unwrap_or_else(|_| unreachable!("the type ids are equal"));
        tensor.data = tensor.device.upload::<S, E>(&data);
        self.stored = true;
    }
}

/// A model's structure with a value at each tensor: what
/// [`fmapstructure`] returns. A node's children are named as in key paths.
#[derive(Clone, Debug, PartialEq)]
pub enum Tree<T> {
    /// A tensor's value.
    Leaf(T),
    /// A node with named children, in the order of a walk.
    Node(Vec<(String, Tree<T>)>),
}

impl<T> Tree<T> {
    /// The child called `name` of a node; `None` for a leaf or an absent
    /// name.
    pub fn child(&self, name: &str) -> Option<&Tree<T>> {
        match self {
            Tree::Leaf(_) => None,
            Tree::Node(children) => children.iter().find(|(n, _)| n == name).map(|(_, t)| t),
        }
    }

    /// The subtree at the key path `path` (`""` is the tree itself).
    pub fn at(&self, path: &str) -> Option<&Tree<T>> {
        if path.is_empty() {
            return Some(self);
        }
        path.split('.')
            .try_fold(self, |tree, name| tree.child(name))
    }

    /// The leaf's value; `None` for a node.
    pub fn leaf(&self) -> Option<&T> {
        match self {
            Tree::Leaf(value) => Some(value),
            Tree::Node(_) => None,
        }
    }

    /// The key path of every node, the root (`""`) first and each node
    /// before its children, in the order of a walk.
    pub fn paths(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.collect_paths(String::new(), &mut out);
        out
    }

    fn collect_paths(&self, here: String, out: &mut Vec<String>) {
        if let Tree::Node(children) = self {
            out.push(here.clone());
            for (name, child) in children {
                let path = if here.is_empty() {
                    name.clone()
                } else {
                    format!("{here}.{name}")
                };
                child.collect_paths(path, out);
            }
        } else {
            out.push(here);
        }
    }

    /// Inserts `value` at the key path whose segments are `names`.
    fn insert(&mut self, names: &[&str], value: T) {
        let Tree::Node(children) = self else {
            unreachable!("a tensor's path does not continue below another tensor")
        };
        let [name, rest @ ..] = names else {
            unreachable!("a tensor's path has a segment")
        };
        if rest.is_empty() {
            children.push((name.to_string(), Tree::Leaf(value)));
            return;
        }
        let at = match children.iter().position(|(n, _)| n == name) {
            Some(at) => at,
            None => {
                children.push((name.to_string(), Tree::Node(Vec::new())));
                children.len() - 1
            }
        };
        children[at].1.insert(rest, value);
    }
}

/// Written as Julia writes a named tuple: `(0 = (weight = [5, 10], bias =
/// [5]), 1 = ...)`.
impl<T: fmt::Debug> fmt::Display for Tree<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tree::Leaf(value) => write!(f, "{value:?}"),
            Tree::Node(children) => {
                f.write_str("(")?;
                for (i, (name, child)) in children.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{name} = {child}")?;
                }
                f.write_str(")")
            }
        }
    }
}

/// `f` of every tensor of `x` with element type `E`, in the structure of
/// `x` (Functors.jl's `fmapstructure`): a [`Tree`] whose leaves are what
/// `f` returns, named as key paths name them. A tensor at the root (`x`
/// itself a tensor) is the tree's only leaf.
///
/// ```
/// use typeflux_core::functor::{Tree, fmapstructure};
/// use typeflux_core::prelude::*;
///
/// let model = ((Matrix::<5, 10>::ones(), Vector::<5>::zeros()), Matrix::<2, 5>::ones());
/// let shapes = fmapstructure::<f32, _>(|t| t.shape.clone(), &model);
/// assert_eq!(shapes.to_string(), "(0 = (0 = [5, 10], 1 = [5]), 1 = [2, 5])");
/// assert_eq!(shapes.at("0.1").and_then(Tree::leaf), Some(&vec![5]));
/// // Functors.jl's `fcollect`: every node, by its key path.
/// assert_eq!(shapes.paths(), ["", "0", "0.0", "0.1", "1"]);
/// ```
pub fn fmapstructure<E: Element, T>(
    mut f: impl FnMut(&NamedTensor<E>) -> T,
    x: &impl Functor,
) -> Tree<T> {
    let mut tree = Tree::Node(Vec::new());
    for tensor in named_tensors::<E>(x) {
        if tensor.name.is_empty() {
            return Tree::Leaf(f(&tensor));
        }
        let value = f(&tensor);
        let names: Vec<&str> = tensor.name.split('.').collect();
        tree.insert(&names, value);
    }
    tree
}

/// The key path of every node of `x` that holds tensors of element type
/// `E`, the root (`""`) first and each node before its children
/// (Functors.jl's `fcollect`, by path: the nodes of a Rust model have
/// different types, so their paths stand for them).
///
/// ```
/// use typeflux_core::functor::fcollect;
/// use typeflux_core::prelude::*;
///
/// let model = (Matrix::<2, 2>::ones(), (Vector::<2>::zeros(),));
/// assert_eq!(fcollect::<f32>(&model), ["", "0", "1", "1.0"]);
/// ```
pub fn fcollect<E: Element>(x: &impl Functor) -> Vec<String> {
    fmapstructure::<E, ()>(|_| (), x).paths()
}
