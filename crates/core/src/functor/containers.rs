//! The standard containers a model is built from: `Option` (an absent bias),
//! tuples (a `Chain`'s layers), arrays and `Vec`s (repeated blocks).
//!
//! A container is its own children: its `Children` is itself, and rebuilding
//! it from children of other types gives the same container of those types.

use super::access::{Access, Of};
use super::path::Path;
use super::visitor::{Mapper, Visitor};
use super::{Functor, Rebuild};

/// `None` has no children; `Some(x)` has `x`'s, under the same path (a
/// present bias is `bias`, not `bias.0`). Walking several structures together
/// steps into the child only where every one is `Some`, as Zygote's `nothing`
/// gradient means "nothing to update".
impl<T: Functor> Functor for Option<T> {
    type Children = Self;
    type ChildRefs<'a>
        = Option<&'a T>
    where
        Self: 'a;
    type Rest = ();
    const NAMES: &'static [&'static str] = &[];

    #[inline]
    fn children(&self) -> Option<&T> {
        self.as_ref()
    }

    #[inline]
    fn into_children(self) -> (Self, ()) {
        (self, ())
    }

    #[inline]
    fn walk<V: Visitor + ?Sized>(this: Of<'_, V::Access, Self>, path: &mut Path, visitor: &mut V) {
        if let Some(inner) = V::Access::try_project(this, Option::as_ref, Option::as_mut) {
            T::walk(inner, path, visitor);
        }
    }

    #[inline]
    fn map_leaves<M: Mapper + ?Sized>(self, path: &mut Path, mapper: &mut M) -> Self {
        Option::map(self, |x| T::map_leaves(x, path, mapper))
    }
}

impl<T: Functor, U> Rebuild<Option<U>> for Option<T> {
    type Output = Option<U>;

    #[inline]
    fn rebuild((): (), children: Option<U>) -> Option<U> {
        children
    }
}

/// Elements are named by index: `layers.0`, `layers.1`, ...
///
/// # Panics
/// Walking `Vec`s of different lengths together panics, naming the path.
impl<T: Functor> Functor for Vec<T> {
    type Children = Self;
    type ChildRefs<'a>
        = &'a [T]
    where
        Self: 'a;
    type Rest = ();
    const NAMES: &'static [&'static str] = &[];

    #[inline]
    fn children(&self) -> &[T] {
        self
    }

    #[inline]
    fn into_children(self) -> (Self, ()) {
        (self, ())
    }

    fn walk<V: Visitor + ?Sized>(this: Of<'_, V::Access, Self>, path: &mut Path, visitor: &mut V) {
        let mut this = this;
        let len = V::Access::same(&this, Vec::len)
            .unwrap_or_else(|| panic!("`Vec`s walked together differ in length at `{path}`"));
        for i in 0..len {
            path.push_index(i);
            let element =
                V::Access::project(V::Access::reborrow(&mut this), |v| &v[i], |v| &mut v[i]);
            T::walk(element, path, visitor);
            path.pop();
        }
    }

    fn map_leaves<M: Mapper + ?Sized>(self, path: &mut Path, mapper: &mut M) -> Self {
        // Collecting a `Vec`'s own elements back into a `Vec` reuses its buffer.
        self.into_iter()
            .enumerate()
            .map(|(i, x)| {
                path.push_index(i);
                let x = T::map_leaves(x, path, mapper);
                path.pop();
                x
            })
            .collect()
    }
}

impl<T: Functor, U> Rebuild<Vec<U>> for Vec<T> {
    type Output = Vec<U>;

    #[inline]
    fn rebuild((): (), children: Vec<U>) -> Vec<U> {
        children
    }
}

/// Elements are named by index, as for `Vec`.
impl<T: Functor, const N: usize> Functor for [T; N] {
    type Children = Self;
    type ChildRefs<'a>
        = &'a [T; N]
    where
        Self: 'a;
    type Rest = ();
    const NAMES: &'static [&'static str] = &[];

    #[inline]
    fn children(&self) -> &[T; N] {
        self
    }

    #[inline]
    fn into_children(self) -> (Self, ()) {
        (self, ())
    }

    fn walk<V: Visitor + ?Sized>(this: Of<'_, V::Access, Self>, path: &mut Path, visitor: &mut V) {
        let mut this = this;
        for i in 0..N {
            path.push_index(i);
            let element =
                V::Access::project(V::Access::reborrow(&mut this), |a| &a[i], |a| &mut a[i]);
            T::walk(element, path, visitor);
            path.pop();
        }
    }

    fn map_leaves<M: Mapper + ?Sized>(self, path: &mut Path, mapper: &mut M) -> Self {
        let mut i = 0;
        <[T; N]>::map(self, |x| {
            path.push_index(i);
            let x = T::map_leaves(x, path, mapper);
            path.pop();
            i += 1;
            x
        })
    }
}

impl<T: Functor, U, const N: usize> Rebuild<[U; N]> for [T; N] {
    type Output = [U; N];

    #[inline]
    fn rebuild((): (), children: [U; N]) -> [U; N] {
        children
    }
}

/// Tuples of 1 to 16 elements, named by position: a `Chain`'s layers are
/// `0`, `1`, ..., so its first layer's weight is `0.weight`.
macro_rules! tuple_functor {
    ($($T:ident $U:ident $i:tt),+) => {
        impl<$($T: Functor),+> Functor for ($($T,)+) {
            type Children = Self;
            type ChildRefs<'a>
                = ($(&'a $T,)+)
            where
                Self: 'a;
            type Rest = ();
            const NAMES: &'static [&'static str] = &[$(stringify!($i)),+];

            #[inline]
            fn children(&self) -> Self::ChildRefs<'_> {
                ($(&self.$i,)+)
            }

            #[inline]
            fn into_children(self) -> (Self, ()) {
                (self, ())
            }

            #[inline]
            fn walk<V: Visitor + ?Sized>(
                this: Of<'_, V::Access, Self>,
                path: &mut Path,
                visitor: &mut V,
            ) {
                let mut this = this;
                $(
                    path.push(stringify!($i));
                    $T::walk(
                        V::Access::project(V::Access::reborrow(&mut this), |t| &t.$i, |t| &mut t.$i),
                        path,
                        visitor,
                    );
                    path.pop();
                )+
            }

            #[inline]
            fn map_leaves<M: Mapper + ?Sized>(self, path: &mut Path, mapper: &mut M) -> Self {
                ($({
                    path.push(stringify!($i));
                    let x = $T::map_leaves(self.$i, path, mapper);
                    path.pop();
                    x
                },)+)
            }
        }

        impl<$($T: Functor, $U),+> Rebuild<($($U,)+)> for ($($T,)+) {
            type Output = ($($U,)+);

            #[inline]
            fn rebuild((): (), children: ($($U,)+)) -> ($($U,)+) {
                children
            }
        }
    };
}

tuple_functor!(A0 B0 0);
tuple_functor!(A0 B0 0, A1 B1 1);
tuple_functor!(A0 B0 0, A1 B1 1, A2 B2 2);
tuple_functor!(A0 B0 0, A1 B1 1, A2 B2 2, A3 B3 3);
tuple_functor!(A0 B0 0, A1 B1 1, A2 B2 2, A3 B3 3, A4 B4 4);
tuple_functor!(A0 B0 0, A1 B1 1, A2 B2 2, A3 B3 3, A4 B4 4, A5 B5 5);
tuple_functor!(A0 B0 0, A1 B1 1, A2 B2 2, A3 B3 3, A4 B4 4, A5 B5 5, A6 B6 6);
tuple_functor!(A0 B0 0, A1 B1 1, A2 B2 2, A3 B3 3, A4 B4 4, A5 B5 5, A6 B6 6, A7 B7 7);
tuple_functor!(
    A0 B0 0, A1 B1 1, A2 B2 2, A3 B3 3, A4 B4 4, A5 B5 5, A6 B6 6, A7 B7 7, A8 B8 8
);
tuple_functor!(
    A0 B0 0, A1 B1 1, A2 B2 2, A3 B3 3, A4 B4 4, A5 B5 5, A6 B6 6, A7 B7 7, A8 B8 8, A9 B9 9
);
tuple_functor!(
    A0 B0 0, A1 B1 1, A2 B2 2, A3 B3 3, A4 B4 4, A5 B5 5, A6 B6 6, A7 B7 7, A8 B8 8, A9 B9 9,
    A10 B10 10
);
tuple_functor!(
    A0 B0 0, A1 B1 1, A2 B2 2, A3 B3 3, A4 B4 4, A5 B5 5, A6 B6 6, A7 B7 7, A8 B8 8, A9 B9 9,
    A10 B10 10, A11 B11 11
);
tuple_functor!(
    A0 B0 0, A1 B1 1, A2 B2 2, A3 B3 3, A4 B4 4, A5 B5 5, A6 B6 6, A7 B7 7, A8 B8 8, A9 B9 9,
    A10 B10 10, A11 B11 11, A12 B12 12
);
tuple_functor!(
    A0 B0 0, A1 B1 1, A2 B2 2, A3 B3 3, A4 B4 4, A5 B5 5, A6 B6 6, A7 B7 7, A8 B8 8, A9 B9 9,
    A10 B10 10, A11 B11 11, A12 B12 12, A13 B13 13
);
tuple_functor!(
    A0 B0 0, A1 B1 1, A2 B2 2, A3 B3 3, A4 B4 4, A5 B5 5, A6 B6 6, A7 B7 7, A8 B8 8, A9 B9 9,
    A10 B10 10, A11 B11 11, A12 B12 12, A13 B13 13, A14 B14 14
);
tuple_functor!(
    A0 B0 0, A1 B1 1, A2 B2 2, A3 B3 3, A4 B4 4, A5 B5 5, A6 B6 6, A7 B7 7, A8 B8 8, A9 B9 9,
    A10 B10 10, A11 B11 11, A12 B12 12, A13 B13 13, A14 B14 14, A15 B15 15
);
