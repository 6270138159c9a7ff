//! Kernels that move elements: the transpose and the concatenation.

use super::{Size, grid_stride, product};
use crate::ptx::{Cmp, Float, Global, Kernel, Special};

/// The transpose's tile: 32 × 32 elements, read and written by 32 × 8
/// threads.
pub const TILE: u32 = 32;
/// Rows of threads per transpose block.
pub const TILE_ROWS: u32 = 8;

/// `(a, out, rows, cols)`: `out[j, i] = a[i, j]`, through a tile in shared
/// memory so that both the reads and the writes are coalesced. Block
/// `(TILE, TILE_ROWS)`; grid `(⌈cols / TILE⌉, ⌈rows / TILE⌉)`.
pub fn transpose<T: Float>(k: &mut Kernel, rows: Size, cols: Size) {
    k.max_threads(TILE * TILE_ROWS);
    let a = k.param_ptr();
    let out = k.param_ptr();
    let rows = rows.load(k);
    let cols = cols.load(k);
    // One padding column, so that a column of the tile is spread over the
    // banks of shared memory.
    let tile = k.shared::<T>(TILE * (TILE + 1));
    let tx = k.special(Special::TidX);
    let ty = k.special(Special::TidY);
    let bx = k.special(Special::CtaidX);
    let by = k.special(Special::CtaidY);
    let i0 = k.mul(by, TILE);
    let j0 = k.mul(bx, TILE);
    // Read: thread (tx, ty) takes a[i0 + tx, j0 + ty + 8r].
    let i = k.add(i0, tx);
    let row_in = k.setp(Cmp::Lt, i, rows);
    for r in 0..TILE / TILE_ROWS {
        let jj = k.add(ty, r * TILE_ROWS);
        let j = k.add(j0, jj);
        let col_in = k.setp(Cmp::Lt, j, cols);
        let inside = k.and_pred(row_in, col_in);
        k.when(inside, |k| {
            let idx = k.fma(j, rows, i);
            let at = k.global::<T>(a, idx);
            let v = k.ld::<T, Global>(at);
            let slot = k.fma(jj, TILE + 1, tx);
            let at = k.at(tile, slot);
            k.st::<T, _>(at, v);
        });
    }
    k.bar_sync();
    // Write: thread (tx, ty) puts out[j0 + tx, i0 + ty + 8r].
    let j = k.add(j0, tx);
    let col_in = k.setp(Cmp::Lt, j, cols);
    for r in 0..TILE / TILE_ROWS {
        let ii = k.add(ty, r * TILE_ROWS);
        let i = k.add(i0, ii);
        let row_in = k.setp(Cmp::Lt, i, rows);
        let inside = k.and_pred(row_in, col_in);
        k.when(inside, |k| {
            let slot = k.fma(tx, TILE + 1, ii);
            let at = k.at(tile, slot);
            let v = k.ld::<T, _>(at);
            let idx = k.fma(i, cols, j);
            let at = k.global::<T>(out, idx);
            k.st::<T, Global>(at, v);
        });
    }
}

/// `(a, b, out, a_rows, b_rows, cols)`: the rows of `a` above those of `b`.
pub fn concat<T: Float>(k: &mut Kernel, a_rows: Size, b_rows: Size, cols: Size) {
    let a = k.param_ptr();
    let b = k.param_ptr();
    let out = k.param_ptr();
    let a_rows = a_rows.load(k);
    let b_rows = b_rows.load(k);
    let cols = cols.load(k);
    let rows = match (a_rows, b_rows) {
        (crate::ptx::Operand::Imm(x, _), crate::ptx::Operand::Imm(y, _)) => ((x + y) as u32).into(),
        _ => k.add(a_rows, b_rows).into(),
    };
    let n = product(k, rows, cols);
    grid_stride(k, n, |k, idx| {
        let r = k.rem(idx, rows);
        let c = k.div(idx, rows);
        let v = k.reg::<T>();
        let from_a = k.setp(Cmp::Lt, r, a_rows);
        let (other, done) = (k.label(), k.label());
        k.bra_unless(from_a, other);
        let at_a = k.fma(c, a_rows, r);
        let at = k.global::<T>(a, at_a);
        let x = k.ld::<T, Global>(at);
        k.assign(v, x);
        k.bra(done);
        k.place(other);
        let rb = k.sub(r, a_rows);
        let at_b = k.fma(c, b_rows, rb);
        let at = k.global::<T>(b, at_b);
        let x = k.ld::<T, Global>(at);
        k.assign(v, x);
        k.place(done);
        let at = k.global::<T>(out, idx);
        k.st::<T, Global>(at, v);
    });
}
