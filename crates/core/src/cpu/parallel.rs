//! Elementwise passes over large buffers, split over the rayon pool (the one
//! the blocked products use, so `RAYON_NUM_THREADS`, `set_threads` or
//! `with_threads` sets both).
//!
//! Below [`MIN_PARALLEL`] elements a pass runs on the calling thread: a
//! rayon join costs a few microseconds, what a pass over some 50 000
//! elements takes. So does every pass when the pool has one thread: handing
//! the work to that thread would only move it to another core, away from
//! the caches that hold its data (the reverse-mode benchmark at 10⁶ ran at
//! 2.1 times the hand loop that way, against 1.4 on the calling thread).
//! Otherwise the buffer is cut into chunks of [`CHUNK`] elements, each
//! handled by a vectorised loop.

use crate::cpu::{HostBuffer, cache};
use crate::element::Element;
use rayon::prelude::*;

/// Elements from which a pass is split (1 MB of `f32`); under Miri, which
/// interprets the split passes' unsafe code some thousand times slower, a
/// few chunks' worth.
pub(crate) const MIN_PARALLEL: usize = if cfg!(miri) { 1 << 8 } else { 1 << 18 };
/// Elements per piece of work (64 kB of `f32`; 64 elements under Miri).
pub(crate) const CHUNK: usize = if cfg!(miri) { 1 << 6 } else { 1 << 14 };

/// Whether a pass over `len` elements is split.
#[inline(always)]
pub(crate) fn split(len: usize) -> bool {
    len >= MIN_PARALLEL && rayon::current_num_threads() > 1
}

/// `f(x)` for every element of `a`, as a new buffer.
#[inline]
pub(crate) fn map<E: Element, O: HostBuffer<E>>(a: &[E], f: impl Fn(E) -> E + Sync) -> O {
    if !split(a.len()) {
        return O::from_exact_iter(a.iter().map(|&x| f(x)));
    }
    let mut out = cache::take(a.len());
    out.spare_capacity_mut()[..a.len()]
        .par_chunks_mut(CHUNK)
        .zip(a.par_chunks(CHUNK))
        .for_each(|(out, a)| {
            for (o, &x) in out.iter_mut().zip(a) {
                o.write(f(x));
            }
        });
    // The first `a.len()` slots of the spare capacity (the slice above panics
    // if there are fewer) and `a` are cut into chunks of the same size, so
    // the two chunk sequences pair up one to one with equal lengths.
    // SAFETY: so every one of the first `a.len()` slots was written above.
    unsafe { out.set_len(a.len()) };
    O::from_vec(out)
}

/// `f(x, y)` for every pair of elements of `a` and `b`, as a new buffer.
///
/// # Panics
/// If `a` and `b` differ in length.
#[inline]
#[track_caller]
pub(crate) fn zip<E: Element, O: HostBuffer<E>>(
    a: &[E],
    b: &[E],
    f: impl Fn(E, E) -> E + Sync,
) -> O {
    same_length(a.len(), b.len());
    if !split(a.len()) {
        return O::from_exact_iter(a.iter().zip(b).map(|(&x, &y)| f(x, y)));
    }
    let mut out = cache::take(a.len());
    out.spare_capacity_mut()[..a.len()]
        .par_chunks_mut(CHUNK)
        .zip(a.par_chunks(CHUNK).zip(b.par_chunks(CHUNK)))
        .for_each(|(out, (a, b))| {
            for (o, (&x, &y)) in out.iter_mut().zip(a.iter().zip(b)) {
                o.write(f(x, y));
            }
        });
    // SAFETY: as in `map`; `b` has `a`'s length (checked above, in release
    // builds too: a shorter `b` would end the zip early and leave slots
    // unwritten), so the zip covers every chunk.
    unsafe { out.set_len(a.len()) };
    O::from_vec(out)
}

/// `f(&mut x)` for every element of `a`, in place.
#[inline]
pub(crate) fn update<E: Element>(a: &mut [E], f: impl Fn(&mut E) + Sync) {
    if !split(a.len()) {
        a.iter_mut().for_each(f);
    } else {
        a.par_chunks_mut(CHUNK)
            .for_each(|a| a.iter_mut().for_each(&f));
    }
}

/// `f(&mut x, y)` for every pair of elements of `a` and `b`, in place in
/// `a`.
///
/// # Panics
/// If `a` and `b` differ in length.
#[inline]
#[track_caller]
pub(crate) fn update_zip<E: Element>(a: &mut [E], b: &[E], f: impl Fn(&mut E, E) + Sync) {
    same_length(a.len(), b.len());
    if !split(a.len()) {
        a.iter_mut().zip(b).for_each(|(x, &y)| f(x, y));
    } else {
        a.par_chunks_mut(CHUNK)
            .zip(b.par_chunks(CHUNK))
            .for_each(|(a, b)| a.iter_mut().zip(b).for_each(|(x, &y)| f(x, y)));
    }
}

/// `f(x)` for every element of `a`, where `f` gives two values: the first
/// replaces `x` in place, the second goes into a new buffer (an operation's
/// value and its derivative, in one pass).
#[inline]
pub(crate) fn update_split<E: Element, O: HostBuffer<E>>(
    a: &mut [E],
    f: impl Fn(E) -> (E, E) + Sync,
) -> O {
    if !split(a.len()) {
        return O::from_exact_iter(a.iter_mut().map(|x| {
            let (value, other) = f(*x);
            *x = value;
            other
        }));
    }
    let len = a.len();
    let mut out = cache::take(len);
    assert!(
        out.capacity() >= len,
        "the cache hands out a block that fits"
    );
    out.spare_capacity_mut()[..len]
        .par_chunks_mut(CHUNK)
        .zip(a.par_chunks_mut(CHUNK))
        .for_each(|(out, a)| {
            for (o, x) in out.iter_mut().zip(a) {
                let (value, other) = f(*x);
                *x = value;
                o.write(other);
            }
        });
    // SAFETY: the capacity is at least `len` (asserted above); the chunks of
    // the spare capacity and of `a` pair up one to one over the first `len`
    // slots, and every slot of every chunk was written.
    unsafe { out.set_len(len) };
    O::from_vec(out)
}

/// `f(x)` for every element of `a`, where `f` gives two values, each going
/// into its own new buffer.
#[inline]
pub(crate) fn map_split<E: Element, O: HostBuffer<E>>(
    a: &[E],
    f: impl Fn(E) -> (E, E) + Sync,
) -> (O, O) {
    if !split(a.len()) {
        let mut first = O::from_slice(a);
        let second = update_split(&mut first, f);
        return (first, second);
    }
    let mut first = cache::take(a.len());
    first.extend_from_slice(a);
    let second = update_split(&mut first, f);
    (O::from_vec(first), second)
}

/// Panics unless two operands of an elementwise pass have one length: the
/// tensor layer checks shapes, but the kernels are public.
#[inline(always)]
#[track_caller]
fn same_length(a: usize, b: usize) {
    if a != b {
        different_lengths(a, b);
    }
}

#[cold]
#[inline(never)]
#[track_caller]
fn different_lengths(a: usize, b: usize) -> ! {
    panic!("elementwise pass over operands of {a} and {b} elements")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::CpuBuffer;

    /// A length that is split, and not a multiple of a chunk.
    const LEN: usize = MIN_PARALLEL + 3 * CHUNK + 17;

    fn values(seed: u32) -> Vec<f32> {
        (0..LEN as u32)
            .map(|i| ((i * 7919 + seed) % 1013) as f32 - 506.0)
            .collect()
    }

    #[test]
    fn split_passes_match_plain_loops() {
        // Two threads, so that the passes split whatever the machine has.
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        pool.install(|| assert!(split(LEN)));
        pool.install(check_passes);
        // And the same on one thread, where they do not.
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        one.install(|| assert!(!split(LEN)));
        one.install(check_passes);
    }

    fn check_passes() {
        let (a, b) = (values(1), values(2));
        let m: CpuBuffer<f32> = map(&a, |x| 2.0 * x - 1.0);
        assert!(m.iter().zip(&a).all(|(m, x)| *m == 2.0 * x - 1.0));
        let z: CpuBuffer<f32> = zip(&a, &b, |x, y| x * y + 3.0);
        assert!(
            z.iter()
                .zip(a.iter().zip(&b))
                .all(|(z, (x, y))| *z == x * y + 3.0)
        );
        let mut u = a.clone();
        update(&mut u, |x| *x = -*x);
        assert!(u.iter().zip(&a).all(|(u, x)| *u == -x));
        update_zip(&mut u, &b, |x, y| *x += 0.5 * y);
        assert!(
            u.iter()
                .zip(a.iter().zip(&b))
                .all(|(u, (x, y))| *u == -x + 0.5 * y)
        );
        assert_eq!((m.len(), z.len()), (LEN, LEN));
        let mut v = a.clone();
        let doubled: CpuBuffer<f32> = update_split(&mut v, |x| (x + 1.0, 2.0 * x));
        assert!(v.iter().zip(&a).all(|(v, x)| *v == x + 1.0));
        assert!(doubled.iter().zip(&a).all(|(d, x)| *d == 2.0 * x));
        let (first, second): (CpuBuffer<f32>, CpuBuffer<f32>) = map_split(&a, |x| (-x, x * x));
        assert!(first.iter().zip(&a).all(|(f, x)| *f == -x));
        assert!(second.iter().zip(&a).all(|(s, x)| *s == x * x));
    }

    #[test]
    fn short_passes_stay_inline() {
        let a = [1.0f32, 2.0, 3.0];
        let m: CpuBuffer<f32> = map(&a, |x| x + 1.0);
        let z: CpuBuffer<f32> = zip(&a, &a, |x, y| x * y);
        assert_eq!(
            (&m[..], &z[..]),
            (&[2.0, 3.0, 4.0][..], &[1.0, 4.0, 9.0][..])
        );
    }
}
