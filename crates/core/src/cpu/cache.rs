//! Large heap blocks kept for reuse.
//!
//! A training loop frees and allocates blocks of the same sizes every step:
//! activations, deltas, weight gradients. The system allocator hands blocks
//! of a few hundred kilobytes and up back to the operating system when they
//! are freed (glibc unmaps them, or trims the heap above them), so each step
//! faults its memory in again page by page, and the kernel clears every page
//! first. On the 1024-wide training step of the `nn` bench that was about a
//! fifth of the process's CPU time. CPU tensors therefore take their large
//! blocks from this cache and return them to it when the last tensor using
//! a block is dropped.
//!
//! The cache is shared by all threads, keeps blocks of at least
//! [`MIN_BYTES`] and at most [`limit`] bytes in all (256 MiB unless
//! [`set_limit`] says otherwise), and forgets the least recently returned
//! blocks first when it is full.
//!
//! ```
//! use typeflux_core::cpu::cache;
//! use typeflux_core::prelude::*;
//!
//! cache::clear();
//! let before = cache::cached_bytes();
//! drop(Matrix::<256, 256>::ones()); // 256 KiB of f32
//! assert!(cache::cached_bytes() >= before + 256 * 1024);
//! cache::clear(); // hands every kept block back to the allocator
//! ```

use crate::element::Element;
use std::any::{Any, TypeId};
use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

/// The smallest block the cache keeps, in bytes; smaller ones are left to
/// the allocator, which reuses them well on its own.
pub const MIN_BYTES: usize = 64 * 1024;

/// The default [`limit`]: 256 MiB.
pub const DEFAULT_LIMIT: usize = 256 << 20;

/// How much larger than asked a reused block may be: a quarter.
const SLACK: usize = 4;

/// One kept block: an empty `Vec` with its capacity.
struct Block {
    element: TypeId,
    capacity: usize,
    bytes: usize,
    vec: Box<dyn Any + Send>,
}

struct Cache {
    /// Oldest first.
    blocks: VecDeque<Block>,
    bytes: usize,
    limit: usize,
}

static CACHE: Mutex<Cache> = Mutex::new(Cache::new(DEFAULT_LIMIT));

/// The cache; a panic while it was held cannot leave it inconsistent (every
/// update is a push or a removal together with its byte count), so poisoning
/// is ignored.
fn cache() -> MutexGuard<'static, Cache> {
    CACHE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn bytes<E>(capacity: usize) -> usize {
    capacity.saturating_mul(core::mem::size_of::<E>())
}

impl Cache {
    const fn new(limit: usize) -> Self {
        Cache {
            blocks: VecDeque::new(),
            bytes: 0,
            limit,
        }
    }

    /// The most recently returned block of `E` with room for `len` elements
    /// and at most a quarter more, taken out of the cache.
    fn take<E: Element>(&mut self, len: usize) -> Option<Vec<E>> {
        let element = TypeId::of::<E>();
        let i = self.blocks.iter().rposition(|b| {
            b.element == element && b.capacity >= len && b.capacity - len <= len / SLACK
        })?;
        let block = self.blocks.remove(i)?;
        self.bytes -= block.bytes;
        block.vec.downcast::<Vec<E>>().ok().map(|vec| *vec)
    }

    /// Keeps `vec`, emptied, with its capacity of `size` bytes, and returns
    /// the blocks that no longer fit, oldest first, for the caller to free.
    fn give<E: Element>(&mut self, mut vec: Vec<E>, size: usize) -> Vec<Block> {
        if size > self.limit {
            return Vec::new();
        }
        vec.clear();
        self.bytes += size;
        self.blocks.push_back(Block {
            element: TypeId::of::<E>(),
            capacity: vec.capacity(),
            bytes: size,
            vec: Box::new(vec),
        });
        self.evict()
    }

    /// Removes the oldest blocks while the cache holds more than its limit.
    fn evict(&mut self) -> Vec<Block> {
        let mut evicted = Vec::new();
        while self.bytes > self.limit {
            let Some(old) = self.blocks.pop_front() else {
                break;
            };
            self.bytes -= old.bytes;
            evicted.push(old);
        }
        evicted
    }
}

/// An empty `Vec` with room for at least `len` elements: a kept block of
/// between `len` and `1.25 · len` elements when there is one (the most
/// recently returned), otherwise a new allocation.
#[inline]
pub(crate) fn take<E: Element>(len: usize) -> Vec<E> {
    if bytes::<E>(len) < MIN_BYTES {
        return Vec::with_capacity(len);
    }
    let found = cache().take::<E>(len);
    found.unwrap_or_else(|| Vec::with_capacity(len))
}

/// Keeps `vec`'s block for a later [`take`] if it is large enough, forgetting
/// the oldest blocks while the cache holds more than its limit; otherwise
/// frees it.
#[inline]
pub(crate) fn give<E: Element>(vec: Vec<E>) {
    let size = bytes::<E>(vec.capacity());
    if size < MIN_BYTES {
        return;
    }
    let evicted = cache().give(vec, size);
    // Freed here, after the lock is released.
    drop(evicted);
}

/// How many bytes the cache holds now.
pub fn cached_bytes() -> usize {
    cache().bytes
}

/// The most bytes the cache holds.
pub fn limit() -> usize {
    cache().limit
}

/// Sets the most bytes the cache holds, freeing the oldest blocks until it
/// holds no more. `0` turns the cache off: every large block is freed when
/// its last tensor is dropped.
///
/// ```
/// use typeflux_core::cpu::cache;
/// use typeflux_core::prelude::*;
///
/// let old = cache::limit();
/// cache::set_limit(0);
/// drop(Matrix::<256, 256>::ones());
/// assert_eq!(cache::cached_bytes(), 0);
/// cache::set_limit(old);
/// ```
pub fn set_limit(bytes: usize) {
    let evicted = {
        let mut cache = cache();
        cache.limit = bytes;
        cache.evict()
    };
    drop(evicted);
}

/// Frees every block the cache holds.
pub fn clear() {
    let blocks = {
        let mut cache = cache();
        cache.bytes = 0;
        core::mem::take(&mut cache.blocks)
    };
    drop(blocks);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Elements of the smallest kept `f32` block.
    const LEN: usize = MIN_BYTES / 4;

    /// Takes a block of `len` from `cache`, or allocates one.
    fn take_from<E: Element>(cache: &mut Cache, len: usize) -> Vec<E> {
        cache
            .take::<E>(len)
            .unwrap_or_else(|| Vec::with_capacity(len))
    }

    fn give_to<E: Element>(cache: &mut Cache, vec: Vec<E>) -> usize {
        let size = bytes::<E>(vec.capacity());
        cache.give(vec, size).len()
    }

    #[test]
    fn a_returned_block_is_taken_again_by_its_element_type_only() {
        let mut cache = Cache::new(DEFAULT_LIMIT);
        let mut v = take_from::<f32>(&mut cache, LEN);
        v.resize(LEN, 1.0);
        let address = v.as_ptr() as usize;
        give_to(&mut cache, v);
        assert_eq!(cache.bytes, LEN * 4);
        // The same bytes as `f64`: not this block.
        assert!(cache.take::<f64>(LEN / 2).is_none());
        // A little smaller: this block, empty.
        let again = cache.take::<f32>(LEN - 100).expect("kept");
        assert_eq!(again.as_ptr() as usize, address);
        assert!(again.is_empty() && again.capacity() >= LEN - 100);
        assert_eq!(cache.bytes, 0);
        // Much smaller, or larger: not this block.
        give_to(&mut cache, again);
        assert!(cache.take::<f32>(LEN / 2).is_none());
        assert!(cache.take::<f32>(LEN + 1).is_none());
        assert!(cache.take::<f32>(LEN).is_some());
    }

    #[test]
    fn the_limit_forgets_the_oldest_blocks_and_the_newest_come_back_first() {
        let mut cache = Cache::new(3 * LEN * 4);
        let blocks: Vec<Vec<f32>> = (0..4).map(|_| Vec::with_capacity(LEN)).collect();
        let addresses: Vec<usize> = blocks.iter().map(|v| v.as_ptr() as usize).collect();
        let evicted: Vec<usize> = blocks.into_iter().map(|v| give_to(&mut cache, v)).collect();
        assert_eq!(evicted, [0, 0, 0, 1]);
        assert_eq!(cache.bytes, 3 * LEN * 4);
        let taken: Vec<Vec<f32>> = (0..3)
            .map(|_| cache.take::<f32>(LEN).expect("kept"))
            .collect();
        let order: Vec<usize> = taken.iter().map(|v| v.as_ptr() as usize).collect();
        assert_eq!(order, [addresses[3], addresses[2], addresses[1]]);
        assert!(cache.take::<f32>(LEN).is_none());

        cache.limit = 0;
        assert_eq!(give_to(&mut cache, Vec::<f32>::with_capacity(LEN)), 0);
        assert_eq!(cache.bytes, 0);
    }

    #[test]
    fn blocks_under_the_minimum_are_left_to_the_allocator() {
        // A kept block may be a quarter larger than asked; these are exact.
        assert_eq!(take::<f32>(LEN - 1).capacity(), LEN - 1);
        assert_eq!(take::<f64>(LEN / 2 - 1).capacity(), LEN / 2 - 1);
    }
}
