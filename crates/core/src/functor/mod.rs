//! Structural traversal of models: Functors.jl's `@functor`, typed.
//!
//! A model is a tree: a `Chain` is a tuple of layers, a layer is a struct of
//! tensors, a bias may be absent. Everything that must reach every parameter
//! (optimisers, parameter counts, zeroing gradients, saving and loading
//! weights, moving to another device, gradients that come back in the shape
//! of the model) walks that tree through one trait, [`Functor`], instead of
//! a hand-written walk per layer. `#[derive(Functor)]` writes it for a struct.
//!
//! # Children and rebuilding
//! A struct's *children* are the fields a walk steps into. [`children`]
//! borrows them, [`functor`] takes the struct apart into its children and a
//! function that builds it again from new ones.
//! ```
//! use typeflux_core::functor::{children, functor, Functor};
//!
//! #[derive(Functor, Debug, PartialEq)]
//! struct Foo<X, Y> { x: X, y: Y }
//!
//! assert_eq!(children(&Foo { x: 1, y: 2 }), (&1, &2));
//! assert_eq!(Foo::<i32, i32>::NAMES, ["x", "y"]);
//!
//! let (_, re) = functor(Foo { x: 1, y: 2 });
//! assert_eq!(re((10, 20)), Foo { x: 10, y: 20 });
//! ```
//! Only some fields may be children, Functors.jl's `@functor TwoThirds (a, c)`.
//! The others are kept as they are when the struct is rebuilt:
//! ```
//! use typeflux_core::functor::{functor, Functor};
//!
//! #[derive(Functor, Debug, PartialEq)]
//! #[functor(a, c)]
//! struct TwoThirds<A, B, C> { a: A, b: B, c: C }
//!
//! let (ch2, re3) = functor(TwoThirds { a: 10, b: 20, c: 30 });
//! assert_eq!(ch2, (10, 30));
//! assert_eq!(re3(("ten", "thirty")), TwoThirds { a: "ten", b: 20, c: "thirty" });
//! ```
//! The same with `#[functor(skip)]` on `b` instead of the list. A list gives
//! the children's order; `skip` keeps the order of declaration.
//!
//! **Which children can change type.** As above, rebuilding may put values of
//! other types in the children whose declared type is a bare type parameter
//! (`a: A`) that appears nowhere else: in no bound or where clause, in no
//! other field, in no other child's type. Every other child is rebuilt with a
//! value of its own type (a `weight: Matrix<O, I>` stays one). The generated
//! [`Rebuild`] impl says which, for each struct.
//!
//! # `fmap`
//! [`fmap`] applies a function to every leaf, through every level of
//! nesting, and rebuilds the structure around the results. A closure takes
//! one type, so the leaves of that type are mapped and every other leaf is
//! left alone; fields that are not children are never visited.
//! ```
//! # use typeflux_core::functor::Functor;
//! # #[derive(Functor, Debug, PartialEq)]
//! # struct Foo<X, Y> { x: X, y: Y }
//! # #[derive(Functor, Debug, PartialEq)]
//! # #[functor(a, c)]
//! # struct TwoThirds<A, B, C> { a: A, b: B, c: C }
//! use typeflux_core::functor::fmap;
//!
//! let m = TwoThirds { a: Foo { x: 1, y: 2 }, b: Foo { x: 3, y: 4 }, c: 56 };
//! assert_eq!(
//!     fmap(|x: i32| 10 * x, m),
//!     TwoThirds { a: Foo { x: 10, y: 20 }, b: Foo { x: 3, y: 4 }, c: 560 },
//! );
//!
//! #[derive(Functor, Debug, PartialEq)]
//! struct OneChild3 { #[functor(skip)] x: i32, y: i32, #[functor(skip)] z: i32 }
//!
//! assert_eq!(fmap(|y: i32| 2 * y, OneChild3 { x: 1, y: 2, z: 3 }), OneChild3 { x: 1, y: 4, z: 3 });
//! assert_eq!(fmap(|s: f64| 2.0 * s, OneChild3 { x: 1, y: 2, z: 3 }), OneChild3 { x: 1, y: 2, z: 3 });
//! ```
//! A closure takes one type, and a tensor's shape is part of its type, so
//! Flux's `fmap(x -> 2x, m)`, which doubles every array, is
//! [`fmap_elements`] with a function of numbers: it reaches the elements of
//! every tensor of that element type, whatever its shape.
//! ```
//! use typeflux_core::functor::{fmap, fmap_elements};
//! use typeflux_core::prelude::*;
//!
//! let m = (Vector::<2>::ones(), Matrix::<2, 2>::ones());
//! let (v, w) = fmap(|v: Vector<2>| v * 2.0, m.clone()); // the vector only
//! assert_eq!((v[0], w[[0, 0]]), (2.0, 1.0));
//! let (v, w) = fmap_elements(|x: f32| 2.0 * x, m); // every tensor of `f32`
//! assert_eq!((v[0], w[[0, 0]]), (2.0, 2.0));
//! ```
//!
//! # A flat view
//! [`named_tensors`] lists the tensors of a model, or of its gradient, with
//! their names and shapes; [`destructure`] (Flux's) puts all their numbers
//! in one vector and rebuilds the model from another; [`norm`] is the
//! 2-norm of all of them together, and [`clip_norm`] scales them down to a
//! given norm.
//!
//! # Leaves, paths and visitors
//! A walk stops at *leaves*: tensors, numbers, strings, and any type marked
//! [`Leaf`]. There a [`Visitor`] (walking by reference) or a [`Mapper`]
//! (walking by value) is called with the leaf and its [`Path`], the dotted
//! name that weight files use: tuple positions and `Vec` indices by number,
//! struct fields by name, an `Option` transparently. Tensors go to the
//! visitor's [`tensor`](Visitor::tensor) method, generic over shape, element
//! and device; every other leaf to [`leaf`](Visitor::leaf); a tensor of
//! state that is kept but not trained (a running statistic) to
//! [`state`](Visitor::state). Each does nothing unless the visitor says
//! otherwise.
//! ```
//! use typeflux_core::functor::{visit, Functor, Path, Ref, Visitor};
//! use typeflux_core::{Element, Kernels, Matrix, Shape, Tensor, Vector};
//!
//! #[derive(Functor)]
//! struct Affine<const I: usize, const O: usize> { weight: Matrix<O, I>, bias: Option<Vector<O>> }
//!
//! /// Each parameter's name and size.
//! struct Sizes(Vec<(String, usize)>);
//! impl Visitor for Sizes {
//!     type Access = Ref;
//!     fn tensor<S: Shape, E: Element, D: Kernels<E>>(&mut self, path: &Path, t: &Tensor<S, E, D>) {
//!         self.0.push((path.to_string(), t.len()));
//!     }
//! }
//!
//! let model = (
//!     Affine::<3, 2> { weight: Matrix::ones(), bias: Some(Vector::zeros()) },
//!     Affine::<2, 1> { weight: Matrix::ones(), bias: None },
//! );
//! let mut sizes = Sizes(Vec::new());
//! visit(&model, &mut sizes);
//! assert_eq!(sizes.0, [("0.weight".into(), 6), ("0.bias".into(), 2), ("1.weight".into(), 2)]);
//! ```
//!
//! # Walking structures side by side
//! An optimiser walks the parameters, their gradient and its own state
//! together: values of one type, in lock-step. The visitor's [`Access`] says
//! how each is held, and [`walk`] takes them as a tuple. Where one of them
//! has `None` for an `Option` (a gradient that is absent), that child is
//! passed over.
//! ```
//! use typeflux_core::functor::{walk, Functor, Mut, Path, Ref, Visitor};
//! use typeflux_core::{Element, Kernels, Shape, Tensor, Vector};
//!
//! #[derive(Functor, Clone)]
//! struct Line { slope: Vector<1, f64>, intercept: Vector<1, f64> }
//!
//! /// Gradient descent: p -= lr · g, at every tensor.
//! struct Descent { lr: f64 }
//! impl Visitor for Descent {
//!     type Access = (Mut, Ref);
//!     fn tensor<S: Shape, E: Element, D: Kernels<E>>(
//!         &mut self,
//!         _: &Path,
//!         (p, g): (&mut Tensor<S, E, D>, &Tensor<S, E, D>),
//!     ) {
//!         p.axpy(E::from_f64(-self.lr).unwrap(), g);
//!     }
//! }
//!
//! let mut model = Line { slope: Vector::from_array([1.0]), intercept: Vector::from_array([0.0]) };
//! let grad = Line { slope: Vector::from_array([10.0]), intercept: Vector::from_array([-10.0]) };
//! walk((&mut model, &grad), &mut Descent { lr: 0.1 });
//! assert_eq!((model.slope[0], model.intercept[0]), (0.0, 1.0));
//! ```
//!
//! # Tied nodes
//! One layer or tensor may be held at several places of a model
//! (Functors.jl's `Chain(m, m)`, a shared embedding). [`Tied`] makes the
//! tie explicit: `Tied::new(x)` is a handle, and its clones are the other
//! places. Every walk meets a tied node once, at the first path that
//! reaches it, and `fmap` maps it once and puts one new handle at every
//! place, so the result is tied where `x` was:
//! ```
//! use typeflux_core::functor::{Tied, fmap, named_tensors};
//! use typeflux_core::prelude::*;
//!
//! let shared = Tied::new(Vector::<2>::ones());
//! let model = (shared.clone(), Vector::<2>::zeros(), shared);
//! assert_eq!(named_tensors::<f32>(&model).len(), 2);
//!
//! let doubled = fmap(|v: Vector<2>| v * 2.0, model);
//! assert!(Tied::ptr_eq(&doubled.0, &doubled.2));
//! assert_eq!(doubled.2.read().to_vec(), [2.0, 2.0]); // doubled once
//! ```
//!
//! # Deriving
//! `#[derive(Functor)]` works on named structs, tuple structs and unit
//! structs, generic or not; a struct's bounds and where clauses are kept, and
//! each child whose type involves a type parameter gets a `Functor` bound.
//! - `#[functor(a, c)]` on the struct: only these fields are children, in
//!   this order; `#[functor(0, 2)]` for a tuple struct; `#[functor()]`:
//!   no field is (Functors.jl's `@functor T ()`), so walks, `fmap`,
//!   optimisers and weight files pass the struct over.
//! - `#[functor(skip)]` on a field: not a child. Its type needs no trait.
//! - `#[functor(crate = path)]` on the struct: the crate whose `functor`
//!   module to use, for code that reaches typeflux through a re-export. By
//!   default the derive reads the deriving crate's `Cargo.toml` and uses
//!   `typeflux-core` or `typeflux`, under the name the crate gave it. A crate
//!   that derives `Functor` inside its own library needs
//!   `extern crate self as <its name>;`.
//!
//! Children and kept fields appear in the public associated types
//! [`Functor::Children`] and [`Functor::Rest`], so a public struct's fields
//! must be of public types (rustc's E0446 otherwise).
//!
//! Mistakes are reported at the attribute: a listed field that does not
//! exist is named, with the fields there are.
//! ```compile_fail
//! use typeflux_core::functor::Functor;
//!
//! #[derive(Functor)]
//! #[functor(a, d)] // error: no field `d` in `TwoThirds`: its fields are `a`, `b`, `c`
//! struct TwoThirds { a: i32, b: i32, c: i32 }
//! ```

mod access;
mod containers;
mod each;
mod elements;
mod flat;
mod keypath;
mod leaf;
mod norm;
mod path;
mod tensor;
mod tied;
mod trace;
mod visitor;

pub use access::{Access, Mut, Of, Ref};
pub use flat::{NamedTensor, destructure, named_tensors};
pub use keypath::{KeyPathError, Tree, fcollect, fmapstructure, set_tensor_at, tensor_at};
pub use leaf::Leaf;
pub use norm::{clip_norm, norm};
pub use path::Path;
pub use typeflux_derive::Functor;
// For the derive's `ToDevice` impl, which names paths through this module.
#[doc(hidden)]
pub use crate::{
    device::Device as __Device, element::Element as __Element, precision::ToElement as __ToElement,
    transfer::ToDevice as __ToDevice,
};
pub use tied::{TieTable, Tied, TiedSlot, TraceTies, deep_clone};
pub use trace::{Elements, Root, Step, Trace, TraceLeaf, TraceMut};
pub use visitor::{Mapper, Visitor};

use crate::element::Element;

/// A value whose parts can be walked and rebuilt: Functors.jl's `functor`.
///
/// Write it with `#[derive(Functor)]`; the [module docs](self) show how.
/// Leaves get it from [`Leaf`]; `Option`, `Vec`, arrays, tuples of up to
/// 16 elements and [`Tied`] handles have it when their elements do.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a `Functor`, so a walk cannot step into it",
    label = "not a `Functor`",
    note = "derive it with `#[derive(Functor)]`, declare a type without parts a leaf with \
            `impl Leaf for {Self} {{}}`, or leave the field out of walks with `#[functor(skip)]`"
)]
pub trait Functor: Sized {
    /// The children, by value: a tuple of the child fields for a struct;
    /// the container itself for `Option`, `Vec`, arrays and tuples; `()` for
    /// a leaf.
    type Children;
    /// The children, borrowed: a tuple of references for a struct.
    type ChildRefs<'a>
    where
        Self: 'a;
    /// What rebuilding needs besides the children: a tuple of the fields that
    /// are not children; a leaf keeps itself.
    type Rest;
    /// The children's names, when the type fixes them: field names, tuple
    /// positions. Empty for leaves and for containers whose elements are
    /// numbered at run time (`Vec`, arrays, `Option`).
    const NAMES: &'static [&'static str];

    /// Borrows the children.
    fn children(&self) -> Self::ChildRefs<'_>;

    /// Takes the value apart into its children and the rest; [`Rebuild`]
    /// puts it together again.
    fn into_children(self) -> (Self::Children, Self::Rest);

    /// Walks the leaves below this node in order, holding them as
    /// `V::Access` says, with `path` naming each. `this` is the node itself
    /// held that way: `&Self`, `&mut Self`, or a tuple of those for several
    /// structures walked together.
    fn walk<V: Visitor + ?Sized>(this: Of<'_, V::Access, Self>, path: &mut Path, visitor: &mut V);

    /// Passes each leaf below this node through `mapper`, with `path` naming
    /// it, and rebuilds this node from the results. [`fmap_with`] calls it
    /// from the root.
    ///
    /// It is not called `map`: with `Functor` in scope (the prelude brings
    /// it), an owned `tensor.map(f)` would find this method before
    /// [`Tensor::map`](crate::Tensor::map), which takes `&self`.
    fn map_leaves<M: Mapper + ?Sized>(self, path: &mut Path, mapper: &mut M) -> Self;

    /// [`walk`](Functor::walk) by shared reference.
    #[inline]
    fn visit<V: Visitor<Access = Ref> + ?Sized>(&self, path: &mut Path, visitor: &mut V) {
        Self::walk(self, path, visitor);
    }

    /// [`walk`](Functor::walk) by mutable reference.
    #[inline]
    fn visit_mut<V: Visitor<Access = Mut> + ?Sized>(&mut self, path: &mut Path, visitor: &mut V) {
        Self::walk(self, path, visitor);
    }
}

/// Building a value again from its [`Rest`](Functor::Rest) and new children
/// of the types `Children`, which gives an `Output`.
///
/// `Output` is `Self` when the children keep their types; `#[derive(Functor)]`
/// also allows other types for children whose declared type is a bare type
/// parameter used nowhere else (see the [module docs](self)), and containers
/// take children of any type: `Vec<T>` rebuilt from `Vec<U>` is `Vec<U>`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be rebuilt from children of types `{Children}`",
    label = "these children do not fit `{Self}`",
    note = "a child may change type only where its field's declared type is a bare type \
            parameter used nowhere else; every other child keeps its type"
)]
pub trait Rebuild<Children>: Functor {
    /// What is built.
    type Output;

    /// Puts `rest` and `children` together.
    fn rebuild(rest: Self::Rest, children: Children) -> Self::Output;
}

/// Borrows the children of `x`: Functors.jl's `children`. For a struct, a
/// tuple of references to its child fields, in order.
#[inline]
pub fn children<T: Functor>(x: &T) -> T::ChildRefs<'_> {
    x.children()
}

/// Takes `x` apart into its children and a function that rebuilds it from
/// new ones: Functors.jl's `functor`.
///
/// The rebuild function's argument type is inferred from its call; a caller
/// that wants only the children uses [`Functor::into_children`] or
/// [`children`] instead.
#[inline]
pub fn functor<T, C>(x: T) -> (T::Children, impl FnOnce(C) -> T::Output)
where
    T: Rebuild<C>,
{
    let (children, rest) = x.into_children();
    (children, move |new| T::rebuild(rest, new))
}

/// Applies `f` to every leaf of type `A` in `x`, at any depth, and rebuilds
/// `x` around the results; leaves of other types, and fields that are not
/// children, are kept as they are.
///
/// Which leaves are `A` is decided per leaf type by comparing type ids,
/// which the compiler folds to a constant for each one, so the check costs
/// nothing at run time.
#[inline]
pub fn fmap<A: 'static, T: Functor>(f: impl FnMut(A) -> A, x: T) -> T {
    fmap_with(&mut each::Each::new(f), x)
}

/// Applies `f` to every element of every tensor of `x` whose elements are
/// `E`, whatever its shape, and rebuilds `x` around the results: Flux's
/// `fmap(x -> 2x, m)`, which doubles every array. Leaves that are not
/// tensors of `E`, and fields that are not children, are kept as they are.
///
/// [`fmap`] with a closure of tensors reaches only the tensors of the
/// closure's one type (one shape); a closure of numbers reaches them all.
///
/// ```
/// use typeflux_core::functor::{Functor, fmap_elements};
/// use typeflux_core::prelude::*;
///
/// #[derive(Functor)]
/// struct Affine { weight: Matrix<2, 3>, bias: Vector<2> }
///
/// let layer = Affine { weight: Matrix::ones(), bias: Vector::ones() };
/// let doubled = fmap_elements(|x: f32| 2.0 * x, layer);
/// assert_eq!((doubled.weight[[1, 2]], doubled.bias[0]), (2.0, 2.0));
/// ```
///
/// A Rust closure runs on the host, so on another device each tensor's
/// elements are copied there and back.
#[inline]
pub fn fmap_elements<E: Element, T: Functor>(f: impl FnMut(E) -> E, x: T) -> T {
    fmap_with(&mut elements::Elements::new(f), x)
}

/// Passes every leaf of `x` through `mapper`, at any depth, and rebuilds `x`
/// around the results. Paths start at the root.
#[inline]
pub fn fmap_with<M: Mapper + ?Sized, T: Functor>(mapper: &mut M, x: T) -> T {
    x.map_leaves(&mut Path::new(), mapper)
}

/// Calls `visitor` at every leaf of `x`, by shared reference. Paths start at
/// the root.
#[inline]
pub fn visit<T: Functor, V: Visitor<Access = Ref> + ?Sized>(x: &T, visitor: &mut V) {
    x.visit(&mut Path::new(), visitor);
}

/// Calls `visitor` at every leaf of `x`, by mutable reference. Paths start
/// at the root.
#[inline]
pub fn visit_mut<T: Functor, V: Visitor<Access = Mut> + ?Sized>(x: &mut T, visitor: &mut V) {
    x.visit_mut(&mut Path::new(), visitor);
}

/// Walks several structures of one type in lock-step, held as the visitor's
/// [`Access`] says: `walk((&mut params, &grad), &mut step)` for a visitor
/// whose `Access` is `(Mut, Ref)`. Paths start at the root.
#[inline]
pub fn walk<T: Functor, V: Visitor + ?Sized>(places: Of<'_, V::Access, T>, visitor: &mut V) {
    T::walk(places, &mut Path::new(), visitor);
}
