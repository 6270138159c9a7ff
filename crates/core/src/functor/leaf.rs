//! Leaves: the values a walk stops at.

use super::access::Of;
use super::path::Path;
use super::visitor::{Mapper, Visitor};
use super::{Functor, Rebuild};

/// A value with no children, where a walk stops and calls the visitor's
/// [`leaf`](Visitor::leaf): numbers, `bool`, `char`, strings. Functors.jl's
/// `@leaf`.
///
/// Mark a type of your own as a leaf with an empty impl; it then is a
/// [`Functor`] with no children.
///
/// ```
/// use typeflux_core::functor::{children, Leaf};
///
/// #[derive(Debug, PartialEq)]
/// enum Activation { Relu, Tanh }
/// impl Leaf for Activation {}
///
/// assert_eq!(children(&Activation::Relu), ());
/// ```
///
/// Leaves are `'static`, so that a visitor can ask which type a leaf is
/// (this is how [`fmap`](super::fmap) finds the leaves its closure takes).
pub trait Leaf: 'static {}

impl<L: Leaf> Functor for L {
    type Children = ();
    type ChildRefs<'a>
        = ()
    where
        Self: 'a;
    type Rest = L;
    const NAMES: &'static [&'static str] = &[];

    #[inline]
    fn children(&self) {}

    #[inline]
    fn into_children(self) -> ((), L) {
        ((), self)
    }

    #[inline]
    fn walk<V: Visitor + ?Sized>(this: Of<'_, V::Access, Self>, path: &mut Path, visitor: &mut V) {
        visitor.leaf::<L>(path, this);
    }

    #[inline]
    fn map_leaves<M: Mapper + ?Sized>(self, path: &mut Path, mapper: &mut M) -> Self {
        mapper.leaf(path, self)
    }
}

impl<L: Leaf> Rebuild<()> for L {
    type Output = L;

    #[inline]
    fn rebuild(rest: L, (): ()) -> L {
        rest
    }
}

macro_rules! leaves {
    ($($t:ty),*) => { $(impl Leaf for $t {})* };
}

leaves!(bool, char, String, &'static str);
leaves!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize, f32, f64
);
