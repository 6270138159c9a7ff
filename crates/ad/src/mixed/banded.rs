//! Vectors of directional derivatives stored on the band of directions they
//! can be nonzero in.
//!
//! A tangent `∂u/∂x` of a node that depends on `x₃` and `x₄` only is zero
//! outside directions 3 and 4; stored densely it would cost `N` numbers and
//! `N` operations per use. Each vector here is stored on an interval
//! `lo..hi` of directions, all vectors of a sweep back to back in one
//! buffer, so a sweep allocates a few buffers however many nodes it visits.

use crate::tape::TapeFloat;
use core::ops::Range;

/// The interval `lo..hi` of directions outside which a vector is zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Band {
    pub(super) lo: u32,
    pub(super) hi: u32,
}

impl Band {
    /// Zero in every direction; the identity of [`Band::hull`].
    pub(super) const EMPTY: Band = Band {
        lo: u32::MAX,
        hi: 0,
    };

    /// Direction `i` alone.
    #[inline(always)]
    pub(super) fn unit(i: usize) -> Band {
        Band {
            lo: i as u32,
            hi: i as u32 + 1,
        }
    }

    #[inline(always)]
    pub(super) fn is_empty(self) -> bool {
        self.lo >= self.hi
    }

    #[inline(always)]
    pub(super) fn len(self) -> usize {
        self.hi.saturating_sub(self.lo) as usize
    }

    /// The directions, as indices.
    #[inline(always)]
    pub(super) fn range(self) -> Range<usize> {
        if self.is_empty() {
            0..0
        } else {
            self.lo as usize..self.hi as usize
        }
    }

    /// The smallest band holding both.
    #[inline(always)]
    pub(super) fn hull(self, other: Band) -> Band {
        Band {
            lo: self.lo.min(other.lo),
            hi: self.hi.max(other.hi),
        }
    }

    /// Whether `other` lies inside this band.
    #[inline(always)]
    fn holds(self, other: Band) -> bool {
        other.is_empty() || (self.lo <= other.lo && other.hi <= self.hi)
    }
}

/// Where a vector lives: its band and where its entries start.
#[derive(Clone, Copy, Debug)]
struct Slot {
    band: Band,
    offset: usize,
}

impl Slot {
    const EMPTY: Slot = Slot {
        band: Band::EMPTY,
        offset: 0,
    };

    #[inline(always)]
    fn range(self) -> Range<usize> {
        self.offset..self.offset + self.band.len()
    }
}

/// `dst += alpha · src` for `src` on `src_band` and `dst` on `dst_band`, which
/// holds it.
#[inline(always)]
fn axpy<F: TapeFloat>(dst: &mut [F], dst_band: Band, src: &[F], src_band: Band, alpha: F) {
    if src_band.is_empty() {
        return;
    }
    debug_assert!(dst_band.holds(src_band));
    let at = (src_band.lo - dst_band.lo) as usize;
    let dst = &mut dst[at..at + src.len()];
    for i in 0..src.len() {
        dst[i] += alpha * src[i];
    }
}

/// One banded vector per node of a sweep.
pub(super) struct Banded<F> {
    slots: Vec<Slot>,
    data: Vec<F>,
}

impl<F: TapeFloat> Banded<F> {
    /// Zero vectors on the given bands, to be added to with [`Banded::add`]
    /// and [`Banded::add_own`].
    pub(super) fn zeros(bands: &[Band]) -> Self {
        let mut offset = 0;
        let slots = bands
            .iter()
            .map(|&band| {
                let slot = Slot { band, offset };
                offset += band.len();
                slot
            })
            .collect();
        Banded {
            slots,
            data: vec![F::zero(); offset],
        }
    }

    /// No vectors yet, room for `capacity`, to be appended with
    /// [`Banded::push_unit`] and [`Banded::push_combination`].
    pub(super) fn with_capacity(capacity: usize) -> Self {
        Banded {
            slots: Vec::with_capacity(capacity),
            data: Vec::with_capacity(2 * capacity),
        }
    }

    /// The band of vector `u`.
    #[inline(always)]
    pub(super) fn band(&self, u: usize) -> Band {
        self.slots[u].band
    }

    /// Vector `u`: its band and its entries on it.
    #[inline(always)]
    pub(super) fn get(&self, u: usize) -> (Band, &[F]) {
        let slot = self.slots[u];
        (slot.band, &self.data[slot.range()])
    }

    /// Appends the unit vector in direction `i`.
    pub(super) fn push_unit(&mut self, i: usize) {
        self.slots.push(Slot {
            band: Band::unit(i),
            offset: self.data.len(),
        });
        self.data.push(F::one());
    }

    /// Appends the zero vector.
    #[inline(always)]
    pub(super) fn push_zero(&mut self) {
        self.slots.push(Slot::EMPTY);
    }

    /// Entry `d` of the vector in `slot`.
    #[inline(always)]
    fn entry(&self, slot: Slot, d: u32) -> F {
        if slot.band.lo <= d && d < slot.band.hi {
            self.data[slot.offset + (d - slot.band.lo) as usize]
        } else {
            F::zero()
        }
    }

    // The vectors are a handful of entries long: they are built entry by
    // entry, which beats calling into `memcpy` and `memset` for each.

    /// Appends `alpha · v_a` (when `b` is `None`) or `alpha · v_a + beta · v_b`.
    #[inline(always)]
    pub(super) fn push_combination(&mut self, (a, alpha): (usize, F), b: Option<(usize, F)>) {
        let sa = self.slots[a];
        let offset = self.data.len();
        let band = match b {
            None => {
                for i in sa.range() {
                    let v = alpha * self.data[i];
                    self.data.push(v);
                }
                sa.band
            }
            Some((b, beta)) => {
                let sb = self.slots[b];
                let band = sa.band.hull(sb.band);
                for d in band.lo..band.hi.max(band.lo) {
                    let v = alpha * self.entry(sa, d) + beta * self.entry(sb, d);
                    self.data.push(v);
                }
                band
            }
        };
        self.slots.push(Slot { band, offset });
    }

    /// `v_u += alpha · src`, for `src` from elsewhere on a band inside `u`'s.
    #[inline(always)]
    pub(super) fn add(&mut self, u: usize, (band, src): (Band, &[F]), alpha: F) {
        let slot = self.slots[u];
        axpy(&mut self.data[slot.range()], slot.band, src, band, alpha);
    }

    /// `v_u += alpha · v_w` for another vector `w` of this set, whose band
    /// lies inside `u`'s.
    #[inline(always)]
    pub(super) fn add_own(&mut self, u: usize, w: usize, alpha: F) {
        let (src, dst) = (self.slots[w], self.slots[u]);
        let (read, write) = (src.range(), dst.range());
        // Two vectors never share entries, so one lies wholly before the other.
        let (src_entries, dst_entries) = if read.end <= write.start {
            let (lo, hi) = self.data.split_at_mut(write.start);
            (&lo[read], &mut hi[..write.len()])
        } else {
            let (lo, hi) = self.data.split_at_mut(read.start);
            (&hi[..read.len()], &mut lo[write])
        };
        axpy(dst_entries, dst.band, src_entries, src.band, alpha);
    }
}
