//! How a walk holds what it walks: by `&`, by `&mut`, or several structures
//! side by side.

use super::tied::Tied;

/// How a [`Visitor`](super::Visitor) holds the nodes it walks.
///
/// [`Ref`] walks one structure by `&T`, [`Mut`] by `&mut T`. A tuple of
/// accesses walks several structures of the same type in lock-step, each held
/// its own way: an optimiser walks `(Mut, Ref)` over (parameters, gradient),
/// and `(Mut, Ref, Mut, Mut)` over (parameters, gradient, first moment,
/// second moment) for Adam. Tuples of two to four accesses are provided.
///
/// The methods are what [`Functor`](super::Functor) implementations use to
/// step from a node to its children; visitors only name an access.
pub trait Access {
    /// What the walk holds at a node of type `T`: `&'a T` for [`Ref`],
    /// `(&'a mut T, &'a T)` for `(Mut, Ref)`.
    type Of<'a, T: 'a>;

    /// Borrows the held places again for a shorter time, so that one child
    /// after another can be projected from them.
    fn reborrow<'a: 'b, 'b, T: 'a>(places: &'b mut Self::Of<'a, T>) -> Self::Of<'b, T>;

    /// Steps into the same child in every structure. `field` and `field_mut`
    /// pick the child out of one structure; each access uses the one it needs.
    fn project<'a, T: 'a, U: 'a>(
        places: Self::Of<'a, T>,
        field: impl Fn(&T) -> &U,
        field_mut: impl Fn(&mut T) -> &mut U,
    ) -> Self::Of<'a, U>;

    /// Steps into a child that may be absent (`Option`, an index): `None`
    /// unless every structure has it.
    fn try_project<'a, T: 'a, U: 'a>(
        places: Self::Of<'a, T>,
        field: impl Fn(&T) -> Option<&U>,
        field_mut: impl Fn(&mut T) -> Option<&mut U>,
    ) -> Option<Self::Of<'a, U>>;

    /// `key` of the structures when they all agree on it, such as the length
    /// of `Vec`s walked together; `None` when they differ.
    fn same<T, K: PartialEq>(places: &Self::Of<'_, T>, key: impl Fn(&T) -> K) -> Option<K>;

    /// `key` of the first structure walked: which node a walk is at.
    fn first<T, K>(places: &Self::Of<'_, T>, key: impl Fn(&T) -> K) -> K;

    /// Steps into the values behind [`Tied`] handles, in every structure,
    /// and calls `f` with them, holding each handle's lock (for reading or
    /// writing, as the structure is held) while `f` runs.
    ///
    /// # Panics
    /// When a value is held already in a way that excludes this one.
    fn enter<T: 'static, R>(
        places: Self::Of<'_, Tied<T>>,
        f: impl FnOnce(Self::Of<'_, T>) -> R,
    ) -> R;
}

/// What a walk over the accesses `A` holds at a node of type `T`.
pub type Of<'a, A, T> = <A as Access>::Of<'a, T>;

/// Walks one structure by shared reference: reading, counting, saving.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ref;

/// Walks one structure by mutable reference: zeroing, loading, updating in
/// place.
#[derive(Clone, Copy, Debug, Default)]
pub struct Mut;

impl Access for Ref {
    type Of<'a, T: 'a> = &'a T;

    #[inline(always)]
    fn reborrow<'a: 'b, 'b, T: 'a>(places: &'b mut &'a T) -> &'b T {
        places
    }

    #[inline(always)]
    fn project<'a, T: 'a, U: 'a>(
        places: &'a T,
        field: impl Fn(&T) -> &U,
        _: impl Fn(&mut T) -> &mut U,
    ) -> &'a U {
        field(places)
    }

    #[inline(always)]
    fn try_project<'a, T: 'a, U: 'a>(
        places: &'a T,
        field: impl Fn(&T) -> Option<&U>,
        _: impl Fn(&mut T) -> Option<&mut U>,
    ) -> Option<&'a U> {
        field(places)
    }

    #[inline(always)]
    fn same<T, K: PartialEq>(places: &&T, key: impl Fn(&T) -> K) -> Option<K> {
        Some(key(places))
    }

    #[inline(always)]
    fn first<T, K>(places: &&T, key: impl Fn(&T) -> K) -> K {
        key(places)
    }

    #[inline]
    #[track_caller]
    fn enter<T: 'static, R>(places: &Tied<T>, f: impl FnOnce(&T) -> R) -> R {
        f(&places.read())
    }
}

impl Access for Mut {
    type Of<'a, T: 'a> = &'a mut T;

    #[inline(always)]
    fn reborrow<'a: 'b, 'b, T: 'a>(places: &'b mut &'a mut T) -> &'b mut T {
        places
    }

    #[inline(always)]
    fn project<'a, T: 'a, U: 'a>(
        places: &'a mut T,
        _: impl Fn(&T) -> &U,
        field_mut: impl Fn(&mut T) -> &mut U,
    ) -> &'a mut U {
        field_mut(places)
    }

    #[inline(always)]
    fn try_project<'a, T: 'a, U: 'a>(
        places: &'a mut T,
        _: impl Fn(&T) -> Option<&U>,
        field_mut: impl Fn(&mut T) -> Option<&mut U>,
    ) -> Option<&'a mut U> {
        field_mut(places)
    }

    #[inline(always)]
    fn same<T, K: PartialEq>(places: &&mut T, key: impl Fn(&T) -> K) -> Option<K> {
        Some(key(places))
    }

    #[inline(always)]
    fn first<T, K>(places: &&mut T, key: impl Fn(&T) -> K) -> K {
        key(places)
    }

    #[inline]
    #[track_caller]
    fn enter<T: 'static, R>(places: &mut Tied<T>, f: impl FnOnce(&mut T) -> R) -> R {
        f(&mut places.write())
    }
}

/// Lock-step access over several structures, one access per structure.
macro_rules! tuple_access {
    ($($A:ident $i:tt $x:ident),+) => {
        impl<$($A: Access),+> Access for ($($A,)+) {
            type Of<'a, T: 'a> = ($($A::Of<'a, T>,)+);

            #[inline(always)]
            fn reborrow<'a: 'b, 'b, T: 'a>(places: &'b mut Self::Of<'a, T>) -> Self::Of<'b, T> {
                ($($A::reborrow(&mut places.$i),)+)
            }

            #[inline(always)]
            fn project<'a, T: 'a, U: 'a>(
                places: Self::Of<'a, T>,
                field: impl Fn(&T) -> &U,
                field_mut: impl Fn(&mut T) -> &mut U,
            ) -> Self::Of<'a, U> {
                ($($A::project(places.$i, &field, &field_mut),)+)
            }

            #[inline(always)]
            fn try_project<'a, T: 'a, U: 'a>(
                places: Self::Of<'a, T>,
                field: impl Fn(&T) -> Option<&U>,
                field_mut: impl Fn(&mut T) -> Option<&mut U>,
            ) -> Option<Self::Of<'a, U>> {
                Some(($($A::try_project(places.$i, &field, &field_mut)?,)+))
            }

            #[inline(always)]
            fn same<T, K: PartialEq>(places: &Self::Of<'_, T>, key: impl Fn(&T) -> K) -> Option<K> {
                let mut keys = [$($A::same(&places.$i, &key)?),+].into_iter();
                let first = keys.next()?;
                keys.all(|k| k == first).then_some(first)
            }

            #[inline(always)]
            fn first<T, K>(places: &Self::Of<'_, T>, key: impl Fn(&T) -> K) -> K {
                tuple_access!(@first places key $($A $i)+)
            }

            #[inline]
            fn enter<T: 'static, R>(
                places: Self::Of<'_, Tied<T>>,
                f: impl FnOnce(Self::Of<'_, T>) -> R,
            ) -> R {
                tuple_access!(@enter f places [] $($A $i $x)+)
            }
        }
    };
    (@first $places:ident $key:ident $A:ident $i:tt $($rest:tt)*) => {
        $A::first(&$places.$i, $key)
    };
    // One lock after another, each held by a closure around the next; the
    // innermost calls `f` with every value reborrowed for one lifetime.
    (@enter $f:ident $places:ident [$(($A:ident $x:ident))*]) => {
        $f(($($A::reborrow(&mut $x),)*))
    };
    (@enter $f:ident $places:ident [$($done:tt)*] $A:ident $i:tt $x:ident $($rest:tt)*) => {
        $A::enter($places.$i, |mut $x| tuple_access!(@enter $f $places [$($done)* ($A $x)] $($rest)*))
    };
}

tuple_access!(A 0 a, B 1 b);
tuple_access!(A 0 a, B 1 b, C 2 c);
tuple_access!(A 0 a, B 1 b, C 2 c, D 3 d);
