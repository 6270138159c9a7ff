//! The tiled matrix product, for every transpose of its operands, with the
//! Dense layer's epilogue (bias and activation, and the activation's slope
//! for the backward pass) fused into its stores.
//!
//! A block computes a `bm × bn` tile of `C = op(A)·op(B)`. For each slice
//! of `bk` along the inner size it copies the `bm × bk` tile of `op(A)` and
//! the `bk × bn` tile of `op(B)` into shared memory (reading each operand
//! along its stored columns, so that neighbouring threads read neighbouring
//! addresses whichever way it is transposed), waits at a barrier, and each
//! thread accumulates a `tm × tn` block of the tile in registers: row
//! `tx + r·bm/tm`, column `ty + c·bn/tn`, so that the threads of a warp
//! read consecutive words of shared memory. Sizes the types fix are
//! immediates; where a fixed size is a multiple of its tile, its bounds
//! checks are not written at all.

use super::Size;
use crate::kernels::elementwise::{value, value_and_slope};
use crate::ptx::{Cmp, Float, Global, Kernel, Operand, Pred, Reg, Special, U32};
use typeflux_core::UnaryOp;

/// A tiling of the product.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tile {
    /// Rows of `C` per block.
    pub bm: u32,
    /// Columns of `C` per block.
    pub bn: u32,
    /// The slice of the inner size held in shared memory at a time.
    pub bk: u32,
    /// Rows of `C` per thread.
    pub tm: u32,
    /// Columns of `C` per thread.
    pub tn: u32,
}

impl Tile {
    /// 32 × 32 tiles, 2 × 2 per thread: small layers.
    pub const SMALL: Tile = Tile {
        bm: 32,
        bn: 32,
        bk: 16,
        tm: 2,
        tn: 2,
    };
    /// 64 × 64 tiles, 4 × 4 per thread.
    pub const MEDIUM: Tile = Tile {
        bm: 64,
        bn: 64,
        bk: 16,
        tm: 4,
        tn: 4,
    };
    /// 128 × 128 tiles, 8 × 8 per thread: large products.
    pub const LARGE: Tile = Tile {
        bm: 128,
        bn: 128,
        bk: 8,
        tm: 8,
        tn: 8,
    };

    /// The tiling for an `m × n` product.
    pub fn for_product(m: usize, n: usize) -> Tile {
        if m >= 512 && n >= 512 {
            Tile::LARGE
        } else if m >= 64 && n >= 64 {
            Tile::MEDIUM
        } else {
            Tile::SMALL
        }
    }

    /// Threads per block.
    pub fn threads(self) -> u32 {
        (self.bm / self.tm) * (self.bn / self.tn)
    }

    /// Whether the tiling can be written: whole thread blocks, and tiles
    /// that the block's threads load in whole rounds.
    pub fn is_valid(self) -> bool {
        let whole = self.tm > 0
            && self.tn > 0
            && self.bm.is_multiple_of(self.tm)
            && self.bn.is_multiple_of(self.tn)
            && self.bk > 0;
        whole && {
            let t = self.threads();
            (1..=1024).contains(&t)
                && (self.bm * self.bk).is_multiple_of(t)
                && (self.bn * self.bk).is_multiple_of(t)
        }
    }

    pub(crate) fn tag(self) -> String {
        format!(
            "{}x{}x{}_{}x{}",
            self.bm, self.bn, self.bk, self.tm, self.tn
        )
    }
}

/// What the product's stores do besides storing `alpha · op(A)·op(B)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Epilogue {
    /// Add the product to `C` instead of overwriting it.
    pub accumulate: bool,
    /// Add `bias[i]` to row `i`.
    pub bias: bool,
    /// Apply an operation of the table.
    pub activation: Option<UnaryOp>,
    /// Also store the activation's slope at the pre-activation.
    pub slope: bool,
}

impl Epilogue {
    /// `C = alpha · op(A)·op(B)`.
    pub const PLAIN: Epilogue = Epilogue {
        accumulate: false,
        bias: false,
        activation: None,
        slope: false,
    };

    /// `C += alpha · op(A)·op(B)`.
    pub const ACCUMULATE: Epilogue = Epilogue {
        accumulate: true,
        bias: false,
        activation: None,
        slope: false,
    };

    /// A Dense layer's forward pass: `act(W·x .+ b)`, with `act'` when
    /// `slope`.
    pub fn dense(bias: bool, activation: Option<UnaryOp>, slope: bool) -> Epilogue {
        Epilogue {
            accumulate: false,
            bias,
            activation,
            slope: slope && activation.is_some(),
        }
    }

    pub(crate) fn tag(self) -> String {
        let mut tag = String::from(if self.accumulate { "acc" } else { "set" });
        if self.bias {
            tag.push_str("_bias");
        }
        if let Some(op) = self.activation {
            tag.push('_');
            tag.push_str(op.name());
            if self.slope {
                tag.push_str("_slope");
            }
        }
        tag
    }
}

/// The product's sizes and how its operands are stored.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Operands {
    pub m: Size,
    pub k: Size,
    pub n: Size,
    pub a_transposed: bool,
    pub b_transposed: bool,
}

/// `a && b`, where either may be absent (always true).
fn both(k: &mut Kernel, a: Option<Reg<Pred>>, b: Option<Reg<Pred>>) -> Option<Reg<Pred>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(k.and_pred(a, b)),
        (a, None) => a,
        (None, b) => b,
    }
}

/// `x < bound`, unless `skip` says it always holds.
fn below(k: &mut Kernel, skip: bool, x: Reg<U32>, bound: Operand<U32>) -> Option<Reg<Pred>> {
    (!skip).then(|| k.setp(Cmp::Lt, x, bound))
}

/// `body`, where `p` holds (everywhere when there is no `p`).
fn guarded(k: &mut Kernel, p: Option<Reg<Pred>>, body: impl FnOnce(&mut Kernel)) {
    match p {
        Some(p) => k.when(p, body),
        None => body(k),
    }
}

/// `(a, b, c, bias, slope, alpha, m, k, n)`. Block: `tile.threads()`
/// threads; grid: `(⌈n / bn⌉, ⌈m / bm⌉)`.
pub(crate) fn matmul<T: Float>(k: &mut Kernel, ops: Operands, tile: Tile, epilogue: Epilogue) {
    assert!(tile.is_valid(), "matmul: {tile:?} cannot be written");
    let Tile { bm, bn, bk, tm, tn } = tile;
    let threads = tile.threads();
    k.max_threads(threads);
    let a = k.param_ptr();
    let b = k.param_ptr();
    let c = k.param_ptr();
    let bias = k.param_ptr();
    let slope = k.param_ptr();
    let alpha = k.param::<T>();
    let m = ops.m.load(k);
    let inner = ops.k.load(k);
    let n = ops.n.load(k);
    // Which bounds checks the sizes make unnecessary.
    let rows_whole = ops.m.divisible_by(bm);
    let cols_whole = ops.n.divisible_by(bn);
    let inner_whole = ops.k.divisible_by(bk);

    let a_tile = k.shared::<T>(bk * bm);
    let b_tile = k.shared::<T>(bk * bn);
    let t = k.special(Special::TidX);
    let bx = k.special(Special::CtaidX);
    let by = k.special(Special::CtaidY);
    let i0 = k.mul(by, bm);
    let j0 = k.mul(bx, bn);
    let tx = k.rem(t, bm / tm);
    let ty = k.div(t, bm / tm);

    // What each thread copies in every slice: element `t + l·threads` of
    // each tile, numbered along the operand's stored columns.
    struct Copy {
        /// Index along the inner size in the tile.
        inner: Reg<U32>,
        /// Its place in the shared tile.
        slot: crate::ptx::Ptr<crate::ptx::Shared>,
        /// Whether the row or column is inside the product.
        inside: Option<Reg<Pred>>,
        /// The global row (of op(A)) or column (of op(B)).
        global: Reg<U32>,
    }
    let copies = |k: &mut Kernel,
                  outer_len: u32,
                  transposed_reads_inner: bool,
                  origin: Reg<U32>,
                  bound: Operand<U32>,
                  whole: bool,
                  shared: crate::ptx::SharedArray<T>| {
        (0..outer_len * bk / threads)
            .map(|l| {
                let e = k.add(t, l * threads);
                // Along the stored columns: the inner index runs fastest
                // when the operand is stored with the inner size as rows.
                let (inner, outer) = if transposed_reads_inner {
                    (k.rem(e, bk), k.div(e, bk))
                } else {
                    (k.div(e, outer_len), k.rem(e, outer_len))
                };
                let global = k.add(origin, outer);
                let inside = below(k, whole, global, bound);
                let index = k.fma(inner, outer_len, outer);
                let slot = k.at(shared, index);
                Copy {
                    inner,
                    slot,
                    inside,
                    global,
                }
            })
            .collect::<Vec<_>>()
    };
    // op(A) is m × k: stored k × m (inner size as rows) when transposed.
    let a_copies = copies(k, bm, ops.a_transposed, i0, m, rows_whole, a_tile);
    // op(B) is k × n: stored k × n (inner size as rows) unless transposed.
    let b_copies = copies(k, bn, !ops.b_transposed, j0, n, cols_whole, b_tile);

    let acc: Vec<Vec<Reg<T>>> = (0..tm)
        .map(|_| (0..tn).map(|_| k.mov(T::lit(0.0))).collect())
        .collect();
    let a_row = k.at(a_tile, tx);
    let b_col = k.at(b_tile, ty);
    let bytes = i64::from(T::BYTES);

    k.range(0u32, inner, bk, |k, p0| {
        for (copy, source, transposed, stride) in a_copies
            .iter()
            .map(|c| {
                (
                    c,
                    a,
                    ops.a_transposed,
                    if ops.a_transposed { inner } else { m },
                )
            })
            .chain(b_copies.iter().map(|c| {
                (
                    c,
                    b,
                    !ops.b_transposed,
                    if ops.b_transposed { n } else { inner },
                )
            }))
        {
            let p = k.add(p0, copy.inner);
            let inner_ok = below(k, inner_whole, p, inner);
            let inside = both(k, copy.inside, inner_ok);
            let v = k.mov(T::lit(0.0));
            guarded(k, inside, |k| {
                // Stored with the inner size as rows: element (p, outer) at
                // p + outer·k; otherwise (outer, p) at outer + p·stride.
                let index = if transposed {
                    k.fma(copy.global, stride, p)
                } else {
                    k.fma(p, stride, copy.global)
                };
                let at = k.global::<T>(source, index);
                let x = k.ld::<T, Global>(at);
                k.assign(v, x);
            });
            k.st::<T, _>(copy.slot, v);
        }
        k.bar_sync();
        for pp in 0..bk {
            let av: Vec<Reg<T>> = (0..tm)
                .map(|r| {
                    let offset = i64::from(pp * bm + r * (bm / tm)) * bytes;
                    k.ld::<T, _>(a_row.offset(offset))
                })
                .collect();
            let bv: Vec<Reg<T>> = (0..tn)
                .map(|c| {
                    let offset = i64::from(pp * bn + c * (bn / tn)) * bytes;
                    k.ld::<T, _>(b_col.offset(offset))
                })
                .collect();
            for (r, row) in acc.iter().enumerate() {
                for (c, &sum) in row.iter().enumerate() {
                    let next = k.fma(av[r], bv[c], sum);
                    k.assign(sum, next);
                }
            }
        }
        k.bar_sync();
    });

    for (r, row) in acc.iter().enumerate() {
        let i = k.add(i0, tx);
        let i = k.add(i, r as u32 * (bm / tm));
        let row_ok = below(k, rows_whole, i, m);
        for (col, &sum) in row.iter().enumerate() {
            let j = k.add(j0, ty);
            let j = k.add(j, col as u32 * (bn / tn));
            let col_ok = below(k, cols_whole, j, n);
            let inside = both(k, row_ok, col_ok);
            guarded(k, inside, |k| {
                let index = k.fma(j, m, i);
                let at = k.global::<T>(c, index);
                let mut v = k.mul(sum, alpha);
                if epilogue.accumulate {
                    let old = k.ld::<T, Global>(at);
                    v = k.add(old, v);
                }
                if epilogue.bias {
                    let at_bias = k.global::<T>(bias, i);
                    let bv = k.ld::<T, Global>(at_bias);
                    v = k.add(v, bv);
                }
                match (epilogue.activation, epilogue.slope) {
                    (Some(op), true) => {
                        let (y, s) = value_and_slope(k, op, v);
                        let at_slope = k.global::<T>(slope, index);
                        k.st::<T, Global>(at_slope, s);
                        v = y;
                    }
                    (Some(op), false) => v = value(k, op, v),
                    (None, _) => {}
                }
                k.st::<T, Global>(at, v);
            });
        }
    }
}
